// Pins: after an empty client Certificate (shape `NoClientCert`) there is no CertificateVerify
// transition: ClientKey leads straight to ChangeCipherSpec (RFC 5246 7.4.6, 7.4.8).
// Rules out: a CertificateVerify signed for a certificate that was never sent.
use tlstate::handshake::{Client, Handshake, NoClientCert, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ClientCertVerify, NoClientCert> = any();
    let _ = client.send();
}
