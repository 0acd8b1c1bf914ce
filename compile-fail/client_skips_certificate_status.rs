// Pins: the client's read of the server's Certificate yields the ServerCertStatus state
// (the optional CertificateStatus row, RFC 6066 8), never ServerKey directly.
// Rules out: a client that goes on to the ServerKeyExchange without passing the row where a
// stapled OCSP response is checked (or, unpromised, refused).
use tlstate::handshake::{Client, Handshake, Step, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ServerCert> = any();
    if let Ok(Step::Next(next)) = client.recv() {
        let _skipped: Handshake<Client, state::ServerKey> = next;
    }
}
