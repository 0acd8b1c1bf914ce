// Pins: HandshakeOver (writer `B`) has no handshake `recv`: after the handshake, records are
// read through `Connection`, and no further handshake message is accepted.
// Rules out: a handshake message (e.g. a renegotiation) read into the established session.
use tlstate::handshake::{Client, Handshake, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::HandshakeOver> = any();
    let _ = client.recv();
}
