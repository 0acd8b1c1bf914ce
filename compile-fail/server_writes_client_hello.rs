// Pins: the writer column of ClientHello is `C`, so `send` does not exist for a server there.
// Rules out: a server that opens the handshake itself (writes a ClientHello), i.e. a
// role confusion where one side speaks the other's lines.
use tlstate::handshake::{Handshake, Server, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let server: Handshake<Server, state::ClientHello> = any();
    let _ = server.send();
}
