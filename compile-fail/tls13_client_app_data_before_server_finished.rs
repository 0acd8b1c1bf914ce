// Pins: a TLS 1.3 client's `into_connection` exists only at the TLS 1.3 HandshakeOver.
// Rules out: a TLS 1.3 client sending application data before the server's Finished was verified.
use tlstate::handshake::tls13::table::state;
use tlstate::handshake::{Client, Handshake};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ServerFinished> = any();
    let mut connection = client.into_connection();
    let _ = connection.send(b"GET / HTTP/1.1\r\n\r\n");
}
