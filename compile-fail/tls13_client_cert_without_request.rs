// Pins: a TLS 1.3 client that read no CertificateRequest (`Full`) goes from CCS to Finished;
// `send_certificate` exists only at ClientCert in `ClientAuth`.
// Rules out: a TLS 1.3 client sending a Certificate the server never asked for.
use tlstate::handshake::tls13::table::state;
use tlstate::handshake::{Client, Full, Handshake};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ClientChangeCipherSpec, Full> = any();
    let _ = client.send().unwrap().send_certificate();
}
