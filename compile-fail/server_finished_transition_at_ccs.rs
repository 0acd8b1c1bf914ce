// Pins: the server's Finished transition takes only a state at ServerFinished; at
// ServerChangeCipherSpec the only write is the CCS itself.
// Rules out: a server Finished before the server's ChangeCipherSpec.
use tlstate::handshake::{Full, Handshake, SendMessage, Server, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let server: Handshake<Server, state::ServerChangeCipherSpec> = any();
    let _ = <state::ServerFinished as SendMessage<Server, Full>>::send(server);
}
