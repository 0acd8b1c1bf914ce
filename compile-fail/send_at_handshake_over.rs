// Pins: HandshakeOver (writer `B`) has no handshake `send`, although both roles write `B`:
// no `SendMessage` impl exists for it, so the handshake cannot restart from there.
// Rules out: a server writing another handshake message into an established session.
use tlstate::handshake::{Handshake, Server, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let server: Handshake<Server, state::HandshakeOver> = any();
    let _ = server.send();
}
