//! The TLS 1.2 facts about the shapes: which are full handshakes, and the
//! branch a client-auth server takes when it resumes a session.

use super::table::state;
use crate::handshake::machine::Handshake;
use crate::handshake::role::Server;
use crate::handshake::shape::{ClientAuth, Full, NoClientCert, ResumedClientAuth};

/// The shapes of a full handshake (with or without client authentication),
/// in either version (so each is a [`Shape13`] too).
///
/// [`Shape13`]: crate::handshake::tls13::Shape13
pub trait FullShape: crate::handshake::tls13::Shape13 {
    /// What the [`AfterClientHello::ResumedWithClientCert`] branch of a
    /// server started in this shape holds: the resumed handshake in shape
    /// [`ResumedClientAuth`] for a server that asks for client
    /// certificates ([`ClientAuth`]), and nothing at all
    /// ([`Infallible`](core::convert::Infallible), a branch that cannot
    /// be taken and need not be matched) for one that does not.
    ///
    /// [`AfterClientHello::ResumedWithClientCert`]: crate::handshake::AfterClientHello::ResumedWithClientCert
    type ResumedWithClientCert;

    /// The branch payload for a handshake resumed with a verified client
    /// chain; the handshake back for the shapes that never take that
    /// branch. Only the server's read of a ClientHello can make the
    /// argument.
    #[doc(hidden)]
    fn resumed_with_client_cert(
        hs: Handshake<Server, state::ServerHello, ResumedClientAuth>,
    ) -> Result<Self::ResumedWithClientCert, Handshake<Server, state::ServerHello, ResumedClientAuth>>;
}

impl FullShape for Full {
    type ResumedWithClientCert = core::convert::Infallible;
    fn resumed_with_client_cert(
        hs: Handshake<Server, state::ServerHello, ResumedClientAuth>,
    ) -> Result<Self::ResumedWithClientCert, Handshake<Server, state::ServerHello, ResumedClientAuth>>
    {
        Err(hs)
    }
}
impl FullShape for ClientAuth {
    type ResumedWithClientCert = Handshake<Server, state::ServerHello, ResumedClientAuth>;
    fn resumed_with_client_cert(
        hs: Handshake<Server, state::ServerHello, ResumedClientAuth>,
    ) -> Result<Self::ResumedWithClientCert, Handshake<Server, state::ServerHello, ResumedClientAuth>>
    {
        Ok(hs)
    }
}
impl FullShape for NoClientCert {
    type ResumedWithClientCert = core::convert::Infallible;
    fn resumed_with_client_cert(
        hs: Handshake<Server, state::ServerHello, ResumedClientAuth>,
    ) -> Result<Self::ResumedWithClientCert, Handshake<Server, state::ServerHello, ResumedClientAuth>>
    {
        Err(hs)
    }
}

/// The full shapes without a CertificateVerify: after ClientKeyExchange
/// comes ChangeCipherSpec.
pub trait WithoutCertificateVerify: FullShape {}

impl WithoutCertificateVerify for Full {}
impl WithoutCertificateVerify for NoClientCert {}
