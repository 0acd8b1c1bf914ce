// Pins: a TLS 1.3 client whose ServerHello resumed its ticket (`Resumed`) reads the server's Finished after EncryptedExtensions; ServerCertVerify has no `recv` in `Resumed`.
// Rules out: a resumed client accepting a CertificateVerify in place of the PSK's proof.
use tlstate::handshake::tls13::table::state;
use tlstate::handshake::{Client, Handshake, Resumed};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ServerCertVerify, Resumed> = any();
    let _ = client.recv();
}
