//! What both sides know at each state, as types.
//!
//! The table's `known` column names one of these per state; a
//! `Handshake<R, St>` carries `St::Known`, and the accessors for a fact
//! exist only where the fact is known (`cipher_suite()` from `ServerCert`
//! on, the server's certificates from `ServerKey` on, the group from
//! `ServerCertReq` on). There is no `Option` to unwrap: before the fact is
//! known, the method does not exist.

use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::crypto::SupportedCipherSuite;
use crate::enums::{CipherSuite, NamedGroup, SignatureScheme};
use crate::handshake::facts::{Chosen, GroupChosen, ServerChain};
use crate::handshake::machine::Handshake;
use crate::handshake::role::Role;
use crate::handshake::shape::Shape;
use crate::handshake::table::State;

/// Before ServerHello: nothing is negotiated yet.
#[derive(Debug, Default)]
pub struct Hello(());

impl Hello {
    pub(crate) fn new() -> Self {
        Self(())
    }
}

/// After ServerHello: the suite and the session's properties.
#[derive(Clone, Debug)]
pub struct Negotiated {
    pub(crate) suite: &'static SupportedCipherSuite,
    pub(crate) session_id: Vec<u8>,
    pub(crate) extended_master_secret: bool,
    pub(crate) alpn_protocol: Option<Vec<u8>>,
    pub(crate) server_name: Option<String>,
    /// How this handshake resumed a session, if it did.
    pub(crate) resumed_by: Option<crate::session::ResumedBy>,
}

/// After the server's Certificate: also its chain, end-entity first.
#[derive(Clone, Debug)]
pub struct Certified {
    pub(crate) negotiated: Negotiated,
    pub(crate) server_certificates: Arc<[CertificateDer<'static>]>,
    /// The OCSP response stapled with the chain (RFC 6066 8), once the
    /// optional CertificateStatus has been passed; `None` if there was none.
    pub(crate) ocsp_response: Option<Arc<[u8]>>,
}

/// After ServerKeyExchange: also the key exchange group and the scheme
/// that signed its parameters.
#[derive(Clone, Debug)]
pub struct Keyed {
    pub(crate) certified: Certified,
    pub(crate) group: NamedGroup,
    pub(crate) signature_scheme: SignatureScheme,
    /// The client's certificate chain, when it sent one (client
    /// authentication); empty otherwise.
    pub(crate) client_certificates: Arc<[CertificateDer<'static>]>,
}

/// `K: Knows<T>`: knowledge `K` includes `T`.
pub trait Knows<T> {
    /// The included knowledge.
    fn knows(&self) -> &T;
}

impl Knows<Negotiated> for Negotiated {
    fn knows(&self) -> &Negotiated {
        self
    }
}
impl Knows<Negotiated> for Certified {
    fn knows(&self) -> &Negotiated {
        &self.negotiated
    }
}
impl Knows<Certified> for Certified {
    fn knows(&self) -> &Certified {
        self
    }
}
impl Knows<Negotiated> for Keyed {
    fn knows(&self) -> &Negotiated {
        &self.certified.negotiated
    }
}
impl Knows<Certified> for Keyed {
    fn knows(&self) -> &Certified {
        &self.certified
    }
}
impl Knows<Keyed> for Keyed {
    fn knows(&self) -> &Keyed {
        self
    }
}

impl<K: Knows<Negotiated>> Chosen for K {
    fn suite_id(&self) -> CipherSuite {
        self.knows().suite.suite
    }
    fn alpn(&self) -> Option<&[u8]> {
        self.knows().alpn_protocol.as_deref()
    }
    fn sni(&self) -> Option<&str> {
        self.knows().server_name.as_deref()
    }
}

impl<K: Knows<Certified>> ServerChain for K {
    fn server_chain(&self) -> &[CertificateDer<'static>] {
        &self.knows().server_certificates
    }
}

impl<K: Knows<Keyed>> GroupChosen for K {
    fn key_exchange_group(&self) -> NamedGroup {
        self.knows().group
    }
}

impl<R: Role, St: State, P: Shape> Handshake<R, St, P>
where
    St::Known: Knows<Negotiated>,
{
    /// Whether the extended master secret (RFC 7627) is in use.
    pub fn extended_master_secret(&self) -> bool {
        self.known.knows().extended_master_secret
    }

    /// The session ID the server assigned (may be empty).
    pub fn session_id(&self) -> &[u8] {
        &self.known.knows().session_id
    }
}

impl<R: Role, St: State, P: Shape> Handshake<R, St, P>
where
    St::Known: Knows<Keyed>,
{
    /// The scheme that signed the ECDHE parameters.
    pub fn signature_scheme(&self) -> SignatureScheme {
        self.known.knows().signature_scheme
    }
}
