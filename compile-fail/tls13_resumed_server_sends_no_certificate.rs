// Pins: a resumed TLS 1.3 server (`Resumed`) goes from EncryptedExtensions to its Finished; ServerCert has no `send` in `Resumed`.
// Rules out: a resumed TLS 1.3 handshake carrying a server Certificate.
use tlstate::handshake::tls13::table::state;
use tlstate::handshake::{Handshake, Resumed, Server};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let server: Handshake<Server, state::ServerCert, Resumed> = any();
    let _ = server.send();
}
