// Pins: at ServerHelloDone the client can only read (writer `S`); its first write of the
// second flight (ClientKeyExchange) exists only after the ServerHelloDone was read.
// Rules out: a client that writes its key exchange before the server's first flight ended.
use tlstate::handshake::{Client, Handshake, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ServerHelloDone> = any();
    // Trying to write ClientKeyExchange early: there is no `send` here.
    let _ = client.send();
}
