// Pins: a server gets a connection only at HandshakeOver, after reading and verifying the
// client's Finished.
// Rules out: a server serving application data to a client whose Finished it has not checked.
use tlstate::handshake::{Handshake, Server, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let server: Handshake<Server, state::ClientFinished> = any();
    let _ = server.into_connection();
}
