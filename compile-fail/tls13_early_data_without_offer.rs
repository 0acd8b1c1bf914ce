// Pins: 0-RTT early data is written only at the hello state `send_with_early_data` returns (shape `EarlyData`); the ServerHello state of an ordinary ClientHello (`Full`) has no `write_early_data`.
// Rules out: early data sent without an early_data offer, under no early key.
use tlstate::handshake::{state, Client, Full, Handshake};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ServerHello, Full> = any();
    let _ = client.write_early_data(b"GET /");
}
