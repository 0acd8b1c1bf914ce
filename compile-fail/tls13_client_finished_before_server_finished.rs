// Pins: at the TLS 1.3 ServerFinished state the client can only read (no `send`).
// Rules out: a TLS 1.3 client writing its Finished (or compat CCS) before reading the server's.
use tlstate::handshake::tls13::table::state;
use tlstate::handshake::{Client, Handshake};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ServerFinished> = any();
    let _ = client.send();
}
