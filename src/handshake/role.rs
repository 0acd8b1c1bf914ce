//! Roles (`Client`, `Server`) and the writer column (`C`, `S`, `B`) as types.
//!
//! `Client: Writes<C> + Writes<B>` and `Server: Writes<S> + Writes<B>`, and
//! nothing else: these four impls are the whole of "who writes what". The
//! traits are sealed, so no code outside this crate can add a fifth.

pub(crate) use sealed::Sealed;

use crate::enums::HandshakeType;

mod sealed {
    /// Seals the crate's marker traits.
    pub trait Sealed {}
}

/// The writer column's value, for tables and error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriterColumn {
    /// The client writes.
    C,
    /// The server writes.
    S,
    /// Both write (application data).
    B,
}

impl WriterColumn {
    /// The table's letter for this column.
    pub fn letter(self) -> &'static str {
        match self {
            Self::C => "C",
            Self::S => "S",
            Self::B => "B",
        }
    }
}

/// A value of the writer column, as a type.
pub trait Writer: Sealed + 'static {
    /// The same value, as data.
    const COLUMN: WriterColumn;
}

/// Writer column `C`: the client writes this message.
#[derive(Debug)]
pub enum C {}
/// Writer column `S`: the server writes this message.
#[derive(Debug)]
pub enum S {}
/// Writer column `B`: both write (application data).
#[derive(Debug)]
pub enum B {}

impl Sealed for C {}
impl Sealed for S {}
impl Sealed for B {}
impl Writer for C {
    const COLUMN: WriterColumn = WriterColumn::C;
}
impl Writer for S {
    const COLUMN: WriterColumn = WriterColumn::S;
}
impl Writer for B {
    const COLUMN: WriterColumn = WriterColumn::B;
}

/// A side of the connection.
pub trait Role: Sealed + Sized + Send + 'static {
    /// The other side.
    type Peer: Role;
    /// The role's name, for logs and the `walk` example.
    const NAME: &'static str;
    /// The role's configuration.
    type Config: Send + Sync + 'static;
    /// The role's own handshake secrets and offers (crate-internal).
    #[doc(hidden)]
    type Side: Send + 'static;
    /// The handshake message by which the peer would start a
    /// renegotiation: a HelloRequest reaches a client, a ClientHello a
    /// server (RFC 5246 7.4.1.1, 7.4.1.2). Both are refused.
    const PEER_RENEGOTIATION: HandshakeType;
    /// The label of the Finished this role sends (RFC 5246 7.4.9):
    /// "client finished" or "server finished". The Finished to check is
    /// the peer's, under `<Self::Peer as Role>::FINISHED_LABEL`.
    const FINISHED_LABEL: &'static str;
}

/// The client role.
#[derive(Debug)]
pub enum Client {}
/// The server role.
#[derive(Debug)]
pub enum Server {}

impl Sealed for Client {}
impl Sealed for Server {}
impl Role for Client {
    type Peer = Server;
    const NAME: &'static str = "client";
    type Config = super::config::ClientConfig;
    type Side = super::side::ClientSide;
    const PEER_RENEGOTIATION: HandshakeType = HandshakeType::HelloRequest;
    const FINISHED_LABEL: &'static str = crate::crypto::CLIENT_FINISHED;
}
impl Role for Server {
    type Peer = Client;
    const NAME: &'static str = "server";
    type Config = super::config::ServerConfig;
    type Side = super::side::ServerSide;
    const PEER_RENEGOTIATION: HandshakeType = HandshakeType::ClientHello;
    const FINISHED_LABEL: &'static str = crate::crypto::SERVER_FINISHED;
}

/// `R: Writes<W>` holds when role `R` writes the messages of writer column
/// `W`.
#[diagnostic::on_unimplemented(
    message = "in TLS 1.2 the {Self} does not write this message (its writer column is `{W}`)",
    label = "the {Self} does not write the message of this state",
    note = "the writer column says who writes each message: `C` the client, `S` the server, `B` both; a role writes only its own column and reads only its peer's"
)]
pub trait Writes<W: Writer>: Role {}

impl Writes<C> for Client {}
impl Writes<B> for Client {}
impl Writes<S> for Server {}
impl Writes<B> for Server {}
