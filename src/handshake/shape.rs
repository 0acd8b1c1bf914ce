//! Handshake shapes: which path through the state table a handshake takes.
//!
//! The shape is the third type parameter of `Handshake<R, St, P>`. Where the
//! peer decides the path (a CertificateRequest, a resumed session), the read
//! that learns it returns an enum whose variants carry the new shape; where
//! we decide (requesting a client certificate, sending one), a separate
//! constructor or method does. Transitions that differ by path are
//! implemented per shape, so e.g. a client can only send a Certificate in
//! the [`ClientAuth`] shape, which only a CertificateRequest leads into.

use super::role::Sealed;

/// A path through the state table.
pub trait Shape: Sealed + 'static {
    /// The shape's name, for logs and docs.
    const NAME: &'static str;
    /// Whether this shape resumes an earlier session.
    const RESUMED: bool = false;
    /// Whether the handshake carried 0-RTT early data the server accepted.
    const EARLY_DATA: bool = false;
}

/// The full handshake without client authentication: ServerHello,
/// Certificate, ServerKeyExchange, ServerHelloDone, ClientKeyExchange,
/// ChangeCipherSpec and Finished both ways.
#[derive(Debug)]
pub enum Full {}

/// A full handshake in which the server sent a CertificateRequest and the
/// client answers with its certificate and a CertificateVerify.
#[derive(Debug)]
pub enum ClientAuth {}

/// A full handshake in which the server sent a CertificateRequest and the
/// client answered with an empty Certificate (and so no
/// CertificateVerify, RFC 5246 7.4.6).
#[derive(Debug)]
pub enum NoClientCert {}

/// An abbreviated handshake resuming an earlier session (by session ID or
/// ticket): ServerHello, an optional NewSessionTicket, the server ChangeCipherSpec and
/// Finished, then the client's.
#[derive(Debug)]
pub enum Resumed {}

/// An abbreviated handshake of a server that asks for client
/// certificates, resuming a session in which the client authenticated: the
/// client chain the session remembers was verified again, at this
/// ClientHello, with the server's current [`ClientCertPolicy`], and is the
/// handshake's client identity (`client_certificates`, never empty in this
/// shape). The messages are those of [`Resumed`].
///
/// Only the server's read of a ClientHello makes a handshake of this shape,
/// and only after that verification; a session that fails it, or that
/// has no client chain under a policy that requires one, gets a full
/// handshake with a CertificateRequest instead.
///
/// [`ClientCertPolicy`]: super::ClientCertPolicy
#[derive(Debug)]
pub enum ResumedClientAuth {}

/// A TLS 1.3 resumption with 0-RTT early data (RFC 8446 2.3, 4.2.10).
///
/// On the client, the shape of the hello state after a ClientHello that
/// offered early data ([`send_with_early_data`]): only there can early data
/// be written. The server's answer decides what follows: its
/// EncryptedExtensions accepting early data keeps this shape (the
/// client's EndOfEarlyData follows the server's Finished); anything else
/// leaves it, handing the early data back. On the server, the shape of a
/// resumption that accepted the client's early data: it is read before
/// the EndOfEarlyData, and kept apart from the application data that
/// follows the handshake.
///
/// [`send_with_early_data`]: crate::handshake::Handshake::send_with_early_data
#[derive(Debug)]
pub enum EarlyData {}

impl Sealed for Full {}
impl Sealed for EarlyData {}
impl Sealed for ResumedClientAuth {}
impl Sealed for ClientAuth {}
impl Sealed for NoClientCert {}
impl Sealed for Resumed {}

impl Shape for Full {
    const NAME: &'static str = "full";
}
impl Shape for ClientAuth {
    const NAME: &'static str = "full with client certificate";
}
impl Shape for NoClientCert {
    const NAME: &'static str = "full with empty client certificate";
}
impl Shape for Resumed {
    const NAME: &'static str = "resumed";
    const RESUMED: bool = true;
}

impl Shape for EarlyData {
    const NAME: &'static str = "resumed with early data";
    const RESUMED: bool = true;
    const EARLY_DATA: bool = true;
}

impl Shape for ResumedClientAuth {
    const NAME: &'static str = "resumed with client certificate";
    const RESUMED: bool = true;
}
