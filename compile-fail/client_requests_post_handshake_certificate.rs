// Pins: `request_client_certificate` exists only on a server's connection,
// write half and stream (`Connection<Server>`, `WriteHalf<Server>`).
// Rules out: a client sending a post-handshake CertificateRequest (only servers ask, RFC 8446 4.6.2).
use tlstate::connection::{Connection, WriteHalf};
use tlstate::handshake::{Client, ClientCertPolicy};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let mut conn: Connection<Client> = any();
    let _ = conn.request_client_certificate(any::<ClientCertPolicy>());
    let mut half: WriteHalf<Client> = any();
    let _ = half.request_client_certificate(any::<ClientCertPolicy>());
}
