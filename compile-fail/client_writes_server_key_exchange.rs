// Pins: ServerKeyExchange (state ServerKey, writer `S`) has no `send` for a client.
// Rules out: a client that writes the server's signed ECDHE parameters, i.e. impersonates
// the server's part of the key exchange.
use tlstate::handshake::{Client, Handshake, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ServerKey> = any();
    let _ = client.send();
}
