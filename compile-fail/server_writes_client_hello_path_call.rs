// Pins: as server_writes_client_hello.rs, called as a path (`Handshake::send(hs)`), where
// rustc shows the `#[diagnostic::on_unimplemented]` sentences of `Writes` and `SendMessage`.
// Rules out: a server writing a ClientHello (role confusion).
use tlstate::handshake::{Handshake, Server, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let server: Handshake<Server, state::ClientHello> = any();
    let _ = Handshake::send(server);
}
