// Pins: `into_connection` (and so application data) exists only at HandshakeOver.
// Rules out: a client sending application data before the server's Finished was verified
// (e.g. data under keys an attacker may have steered).
use tlstate::handshake::{Client, Handshake, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ServerFinished> = any();
    let mut connection = client.into_connection();
    let _ = connection.send(b"GET / HTTP/1.1\r\n\r\n");
}
