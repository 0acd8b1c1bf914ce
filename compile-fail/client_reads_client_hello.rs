// Pins: `recv` exists only where the peer writes the state's message; the client's peer
// (the server) never writes a ClientHello.
// Rules out: a client that accepts a ClientHello (a reflected or role-swapped hello).
use tlstate::handshake::{Client, Handshake, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ClientHello> = any();
    let _ = client.recv();
}
