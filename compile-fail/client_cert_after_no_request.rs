// Pins: after a ServerHelloDone with no CertificateRequest, the client is at ClientKey in
// the `Full` shape, where `send_certificate` does not exist (only `ClientAuth` has it).
// Rules out: a client sending a Certificate without a CertificateRequest.
use tlstate::handshake::{Client, Full, Handshake, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ClientKey, Full> = any();
    let _ = client.send_certificate();
}
