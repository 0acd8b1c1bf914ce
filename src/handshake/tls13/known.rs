//! What both sides know at each TLS 1.3 state, as types (the table's
//! `known` column), as `tls12::known` is for TLS 1.2.

use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::crypto::tls13::Tls13CipherSuite;
use crate::enums::{CipherSuite, NamedGroup};
use crate::handshake::facts::{Chosen, GroupChosen, ServerChain};

/// Before the ServerHello: the offer is made, nothing is chosen.
#[derive(Debug, Default)]
pub struct Hello13(());

/// From the ServerHello on: the suite, the key exchange group and the
/// extensions' answers.
#[derive(Clone, Debug)]
pub struct Negotiated13 {
    pub(crate) suite: &'static Tls13CipherSuite,
    pub(crate) group: NamedGroup,
    pub(crate) alpn_protocol: Option<Vec<u8>>,
    pub(crate) server_name: Option<String>,
}

/// From the server's CertificateVerify on: also the server's chain (its
/// signature over the transcript verified), and the client's once it sent
/// one.
#[derive(Clone, Debug)]
pub struct Certified13 {
    pub(crate) negotiated: Negotiated13,
    pub(crate) server_certificates: Arc<[CertificateDer<'static>]>,
    /// The OCSP response stapled to the server's end-entity certificate
    /// (RFC 8446 4.4.2.1), as sent or received.
    pub(crate) ocsp_response: Option<Arc<[u8]>>,
    pub(crate) client_certificates: Arc<[CertificateDer<'static>]>,
}

impl Chosen for Negotiated13 {
    fn suite_id(&self) -> CipherSuite {
        self.suite.suite
    }
    fn alpn(&self) -> Option<&[u8]> {
        self.alpn_protocol.as_deref()
    }
    fn sni(&self) -> Option<&str> {
        self.server_name.as_deref()
    }
}

impl GroupChosen for Negotiated13 {
    fn key_exchange_group(&self) -> NamedGroup {
        self.group
    }
}

impl Chosen for Certified13 {
    fn suite_id(&self) -> CipherSuite {
        self.negotiated.suite_id()
    }
    fn alpn(&self) -> Option<&[u8]> {
        self.negotiated.alpn()
    }
    fn sni(&self) -> Option<&str> {
        self.negotiated.sni()
    }
}

impl GroupChosen for Certified13 {
    fn key_exchange_group(&self) -> NamedGroup {
        self.negotiated.group
    }
}

impl ServerChain for Certified13 {
    fn server_chain(&self) -> &[CertificateDer<'static>] {
        &self.server_certificates
    }
}

impl Certified13 {
    /// The client's chain, when it sent one; empty otherwise.
    pub fn client_certificates(&self) -> &[CertificateDer<'static>] {
        &self.client_certificates
    }
}
