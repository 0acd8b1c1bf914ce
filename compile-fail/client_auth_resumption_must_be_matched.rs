// Pins: a server asking for client certificates must handle the branch that resumes a session with a verified client chain (`ResumedWithClientCert`); it is a branch of its own, not `Resumed`.
// Rules out: a client-auth server treating every resumption alike, so a session without (or with an unchecked) client identity slips past ClientCert.
use tlstate::handshake::{AfterClientHello, ClientAuth};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let after: AfterClientHello<ClientAuth> = any();
    match after {
        AfterClientHello::Full(_) => {}
        AfterClientHello::Resumed(_) => {}
    }
}
