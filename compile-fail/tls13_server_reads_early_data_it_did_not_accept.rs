// Pins: only a server that accepted early data (`AfterClientHello::Tls13Early`, shape `EarlyData`) reads an EndOfEarlyData; EndOfEarlyData has no `recv` in `Resumed`.
// Rules out: a server taking early data it rejected, or an EndOfEarlyData after a rejection.
use tlstate::handshake::tls13::table::state;
use tlstate::handshake::{Handshake, Resumed, Server};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let server: Handshake<Server, state::EndOfEarlyData, Resumed> = any();
    let _ = server.recv();
}
