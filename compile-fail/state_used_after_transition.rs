// Pins: every transition takes `self` by value; a state is gone once it moved on.
// Rules out: using a state twice — e.g. sending two ClientHellos from one state, or
// replaying a transition with the same ephemeral key.
use tlstate::handshake::{Client, Handshake, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ClientHello> = any();
    let first = client.send();
    let second = client.send();
    drop((first, second));
}
