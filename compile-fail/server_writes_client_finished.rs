// Pins: the client's Finished (state ClientFinished, writer `C`) has no `send` for a server.
// Rules out: a server that forges the client's Finished instead of verifying it
// (reflection of the client's own Finished).
use tlstate::handshake::{Handshake, Server, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let server: Handshake<Server, state::ClientFinished> = any();
    let _ = server.send();
}
