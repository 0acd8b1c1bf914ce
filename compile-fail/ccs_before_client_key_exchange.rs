// Pins: the client's ChangeCipherSpec transition takes only a state at ClientChangeCipherSpec,
// which only `send` at ClientKey (writing ClientKeyExchange) produces.
// Rules out: CCS before the key exchange (the CCS-injection ordering, CVE-2014-0224).
use tlstate::handshake::{Client, Full, Handshake, SendMessage, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ClientKey> = any();
    // Calling the ChangeCipherSpec transition directly on the ClientKey state.
    let _ = <state::ClientChangeCipherSpec as SendMessage<Client, Full>>::send(client);
}
