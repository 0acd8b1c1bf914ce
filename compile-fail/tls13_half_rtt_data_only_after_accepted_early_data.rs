// Pins: 0.5-RTT data (application data before the client's Finished) exists only at EndOfEarlyData in `EarlyData`, after the server accepted early data; a resumed server waiting for the client's Finished has no `send_half_rtt_data`.
// Rules out: a server serving data before the client's Finished verified outside the 0-RTT exception RFC 8446 2.3 makes.
use tlstate::handshake::tls13::table::state;
use tlstate::handshake::{Handshake, Resumed, Server};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let server: Handshake<Server, state::ClientFinished, Resumed> = any();
    let _ = server.send_half_rtt_data(b"early answer");
}
