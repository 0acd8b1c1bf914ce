// Pins: `Role` is sealed, and `Writes<W>` requires `Role`: code outside the crate cannot add
// a role (and the orphan rule keeps it from giving `Client` or `Server` another column).
// Rules out: a user-defined role that writes both `C` and `S` and so could play both sides.
use tlstate::enums::HandshakeType;
use tlstate::handshake::{Client, ClientConfig, Role};

enum Mallory {}

impl Role for Mallory {
    type Peer = Client;
    const NAME: &'static str = "mallory";
    type Config = ClientConfig;
    type Side = ();
    const PEER_RENEGOTIATION: HandshakeType = HandshakeType::ClientHello;
    const FINISHED_LABEL: &'static str = "client finished";
}

fn main() {}
