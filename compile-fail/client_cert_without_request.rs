// Pins: in the `Full` shape (no CertificateRequest was read) there is no client
// Certificate transition: `SendMessage<Client, Full>` is not implemented for ClientCert.
// Rules out: a client sending a Certificate the server never asked for.
use tlstate::handshake::{Client, Full, Handshake, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ClientCert, Full> = any();
    let _ = client.send();
}
