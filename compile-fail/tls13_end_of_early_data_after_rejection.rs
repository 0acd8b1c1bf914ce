// Pins: a client whose early data was not accepted (its EncryptedExtensions read in `EarlyData` returned `Rejected`, shape `Resumed`) sends no EndOfEarlyData; EndOfEarlyData has no `send` in `Resumed`.
// Rules out: an EndOfEarlyData the server never asked for, under a key it does not hold.
use tlstate::handshake::tls13::table::state;
use tlstate::handshake::{Client, Handshake, Resumed};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::EndOfEarlyData, Resumed> = any();
    let _ = client.send();
}
