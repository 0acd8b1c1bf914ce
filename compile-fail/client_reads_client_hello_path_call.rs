// Pins: as client_reads_client_hello.rs, called as a path (`Handshake::recv(hs)`), where
// rustc shows the `Writes` sentence about the peer and the `RecvMessage` sentence.
// Rules out: a client accepting a reflected or role-swapped ClientHello.
use tlstate::handshake::{Client, Handshake, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ClientHello> = any();
    let _ = Handshake::recv(client);
}
