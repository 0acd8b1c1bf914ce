// Pins: the client's Finished transition takes only a state at ClientFinished; at
// ClientChangeCipherSpec the only write is the CCS itself.
// Rules out: skipping the ChangeCipherSpec and writing Finished directly.
use tlstate::handshake::{Client, Full, Handshake, SendMessage, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ClientChangeCipherSpec> = any();
    let _ = <state::ClientFinished as SendMessage<Client, Full>>::send(client);
}
