// Pins: one `recv` at ClientKey reads exactly the ClientKeyExchange and yields the
// ClientChangeCipherSpec state: a server cannot get past the CCS without reading the key.
// Rules out: a server accepting the client's CCS before its key exchange (CVE-2014-0224).
use tlstate::handshake::{Handshake, Server, Step, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let server: Handshake<Server, state::ClientKey> = any();
    let finished: Handshake<Server, state::ClientFinished> = match server.recv() {
        Ok(Step::Next(next)) => next,
        _ => unimplemented!(),
    };
    drop(finished);
}
