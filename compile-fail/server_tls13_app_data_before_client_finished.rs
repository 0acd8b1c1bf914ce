// Pins: a TLS 1.3 server gets a connection only at the TLS 1.3 HandshakeOver, after reading and
// verifying the client's Finished, though it already writes under application keys.
// Rules out: a TLS 1.3 server serving application data to a client whose Finished it has not
// checked.
use tlstate::handshake::tls13::table::state;
use tlstate::handshake::{Handshake, Server};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let server: Handshake<Server, state::ClientFinished> = any();
    let _ = server.into_connection();
}
