// Pins: the internal state moves (`advance_same`, `advance`, `reshape`) are private: outside
// the crate a state changes only through a transition that does its work.
// Rules out: going from ClientKey to ClientChangeCipherSpec with no key exchange (CVE-2014-0224).
use tlstate::handshake::{Client, Handshake, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ClientKey> = any();
    let _ccs: Handshake<Client, state::ClientChangeCipherSpec> = client.advance_same();
}
