//! The server's side of version negotiation (see the module docs).

use crate::enums::ProtocolVersion;
use crate::error::Error;
use crate::handshake::core::Incoming;
use crate::handshake::machine::{Fatal, Handshake, RecvMessage};
use crate::handshake::role::Server;
use crate::handshake::shape::{EarlyData, Resumed};
use crate::handshake::table::Follows;
use crate::handshake::tls12::server::{Answer12, recv_client_hello12};
use crate::handshake::tls12::shape::FullShape;
use crate::handshake::tls13::server::Answer13;
use crate::handshake::{tls12, tls13};
use crate::message::HandshakePayload;

/// What the ClientHello decided: a full handshake, or the resumption of a
/// session we hold.
///
/// A server that asks for client certificates (`P` = [`ClientAuth`])
/// resumes only a session whose client chain passes its current policy:
/// into [`ResumedWithClientCert`](Self::ResumedWithClientCert) when the
/// session has a chain (verified again now), into
/// [`Resumed`](Self::Resumed) when it has none and the policy does not
/// require one. Any other session gets the full handshake, with its
/// CertificateRequest. A server that asks for none (`P` = [`Full`]) cannot
/// take the `ResumedWithClientCert` branch (its payload is uninhabited, so
/// a `match` need not name it), and its resumed handshakes report no
/// client certificate.
///
/// [`Tls13`](Self::Tls13) is taken when the server's `versions` include
/// TLS 1.3 and the client's supported_versions offers it (RFC 8446
/// 4.2.1), by a server that asks for client certificates too (`P` =
/// [`ClientAuth`]: its TLS 1.3 walk has the CertificateRequest).
///
/// [`ClientAuth`]: crate::handshake::ClientAuth
/// [`ResumedClientAuth`]: crate::handshake::ResumedClientAuth
/// [`Full`]: crate::handshake::Full
#[derive(Debug)]
pub enum AfterClientHello<P: FullShape> {
    /// A full TLS 1.2 handshake in the shape this server was started in.
    Full(Handshake<Server, tls12::table::state::ServerHello, P>),
    /// An abbreviated TLS 1.2 handshake resuming the client's session, in
    /// which the client is not authenticated.
    Resumed(Handshake<Server, tls12::table::state::ServerHello, Resumed>),
    /// An abbreviated TLS 1.2 handshake resuming a session in which the
    /// client authenticated, its chain verified again with the current
    /// policy (shape [`ResumedClientAuth`](crate::handshake::ResumedClientAuth)).
    /// Only for a [`ClientAuth`](crate::handshake::ClientAuth) server.
    ResumedWithClientCert(P::ResumedWithClientCert),
    /// A TLS 1.3 handshake (RFC 8446 2): our ServerHello is next.
    Tls13(Handshake<Server, tls13::table::state::ServerHello, P>),
    /// A TLS 1.3 handshake whose ClientHello has no key share in a group
    /// we take: our HelloRetryRequest is next (RFC 8446 4.1.4).
    Tls13Retry(Handshake<Server, tls13::table::state::HelloRetryRequest, P>),
    /// A TLS 1.3 resumption (RFC 8446 2.2): the ClientHello offered a
    /// ticket of ours whose binder verified, fresh, for this server name,
    /// and (for a server asking for client certificates) whose client
    /// chain passes the current policy again, or that has none where none
    /// is required. Our ServerHello with pre_shared_key is next; no
    /// Certificate follows. The ticket's verified client chain, if any, is
    /// the handshake's client identity.
    Tls13Resumed(Handshake<Server, tls13::table::state::ServerHello, Resumed>),
    /// A TLS 1.3 resumption as [`Tls13Resumed`](Self::Tls13Resumed) that
    /// also accepts the client's 0-RTT early data (RFC 8446 2.3, 4.2.10):
    /// the ticket allows it, this handshake has its suite and application
    /// protocol, and the anti-replay register had not seen it. After our
    /// Finished the early data is read, up to the client's EndOfEarlyData;
    /// the connection hands it out apart
    /// ([`Connection::take_early_data`](crate::connection::Connection::take_early_data)).
    Tls13Early(Handshake<Server, tls13::table::state::ServerHello, EarlyData>),
}

/// The edges from the shared hello state into the TLS 1.3 table.
impl Follows<tls12::table::state::ClientHello> for tls13::table::state::ServerHello {}
impl Follows<tls12::table::state::ClientHello> for tls13::table::state::HelloRetryRequest {}

/// Whether this server negotiates TLS 1.3 with a client: configured. A
/// server that asks for client certificates does so in TLS 1.3 too (its
/// CertificateRequest follows EncryptedExtensions).
pub(crate) fn offers_tls13(core: &crate::handshake::core::Core<Server>) -> bool {
    core.config.versions.contains(&ProtocolVersion::Tls13)
}

impl<P: FullShape> RecvMessage<Server, P> for tls12::table::state::ClientHello {
    type Next = AfterClientHello<P>;

    fn recv(hs: Handshake<Server, Self, P>, message: Incoming) -> Result<Self::Next, Fatal> {
        let Incoming::Handshake(HandshakePayload::ClientHello(hello)) = message else {
            return Err(hs.fatal(Error::Internal("table check let through a non-ClientHello")));
        };
        if offers_tls13(&hs.core) && hello.offers_tls13() {
            let (hs, (known, retry)) =
                hs.try_with(|hs| tls13::server::recv_client_hello13(&mut hs.core, &hello))?;
            return Ok(match retry {
                Answer13::Retry => AfterClientHello::Tls13Retry(hs.reshape(|_| known)),
                Answer13::Full => AfterClientHello::Tls13(hs.reshape(|_| known)),
                Answer13::Resumed => AfterClientHello::Tls13Resumed(hs.reshape(|_| known)),
                Answer13::ResumedEarly => AfterClientHello::Tls13Early(hs.reshape(|_| known)),
            });
        }
        if !hs.core.config.versions.contains(&ProtocolVersion::Tls12) {
            return Err(hs.fatal(crate::error::PeerIncompatible::ProtocolVersion.into()));
        }
        Ok(match recv_client_hello12(hs, hello)? {
            Answer12::Full(hs) => AfterClientHello::Full(hs),
            Answer12::Resumed(hs) => AfterClientHello::Resumed(hs),
            Answer12::ResumedWithClientCert(hs) => AfterClientHello::ResumedWithClientCert(hs),
        })
    }
}
