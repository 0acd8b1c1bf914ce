// Pins: sending ClientKeyExchange leads to ClientChangeCipherSpec, never straight to
// ClientFinished: the Finished is written only after the CCS switched the keys.
// Rules out: a Finished sent before ChangeCipherSpec (in the clear, under the old keys).
use tlstate::handshake::{Client, Fatal, Handshake, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ClientKey> = any();
    let finished: Result<Handshake<Client, state::ClientFinished>, Fatal> = client.send();
    drop(finished);
}
