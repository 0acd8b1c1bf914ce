// Pins: a server cannot read at ServerHello: that message's writer column is `S`, and the
// server's peer (the client) writes only `C` and `B`.
// Rules out: a server that consumes a ServerHello (reflection of its own flight).
use tlstate::handshake::{Handshake, Server, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let server: Handshake<Server, state::ServerHello> = any();
    let _ = server.recv();
}
