//! The facts both protocol versions establish, as traits a state's known
//! type implements once the fact is known, and the `Handshake` accessors
//! that exist exactly where it is: `cipher_suite()` from the hello on,
//! `server_certificates()` from the server's Certificate (TLS 1.2) or
//! CertificateVerify (TLS 1.3) on, `group()` once the key exchange is known.
//! Each version's `known` module implements them for its own types.

use rustls_pki_types::CertificateDer;

use super::machine::Handshake;
use super::role::Role;
use super::shape::Shape;
use super::table::State;
use crate::enums::{CipherSuite, NamedGroup};

/// Known from the hello on: the suite and the extensions' answers.
pub trait Chosen {
    /// The cipher suite the server chose.
    fn suite_id(&self) -> CipherSuite;
    /// The application protocol the server selected (ALPN), if any.
    fn alpn(&self) -> Option<&[u8]>;
    /// The server name the client asked for (SNI), if any.
    fn sni(&self) -> Option<&str>;
}

/// Known once the server's chain is: end-entity first.
pub trait ServerChain {
    /// The chain.
    fn server_chain(&self) -> &[CertificateDer<'static>];
}

/// Known once the key exchange group is.
pub trait GroupChosen {
    /// The group.
    fn key_exchange_group(&self) -> NamedGroup;
}

impl<R: Role, St: State, P: Shape> Handshake<R, St, P>
where
    St::Known: Chosen,
{
    /// The cipher suite the server chose. Known from the ServerHello on.
    pub fn cipher_suite(&self) -> CipherSuite {
        self.known.suite_id()
    }

    /// The application protocol the server selected (ALPN), if any.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.known.alpn()
    }

    /// The server name the client asked for (SNI), if any.
    pub fn server_name(&self) -> Option<&str> {
        self.known.sni()
    }
}

impl<R: Role, St: State, P: Shape> Handshake<R, St, P>
where
    St::Known: ServerChain,
{
    /// The server's certificate chain, end-entity first.
    pub fn server_certificates(&self) -> &[CertificateDer<'static>] {
        self.known.server_chain()
    }
}

impl<R: Role, St: State, P: Shape> Handshake<R, St, P>
where
    St::Known: GroupChosen,
{
    /// The key exchange group.
    pub fn group(&self) -> NamedGroup {
        self.known.key_exchange_group()
    }
}
