//! Certificate in TLS 1.3 (RFC 8446 4.4.2): a request context, then each
//! certificate with extensions of its own (an OCSP response, SCTs).

use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::codec::{
    Codec, LengthPrefix, Reader, encode_bytes, encode_prefixed, read_bytes, read_prefixed,
};
use crate::error::InvalidMessage;

use super::extensions::Extensions;

/// One CertificateEntry: an X.509 certificate and its extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateEntry {
    /// The DER certificate.
    pub cert: CertificateDer<'static>,
    /// Its extensions (status_request carries a stapled OCSP response,
    /// RFC 8446 4.4.2.1).
    pub extensions: Extensions,
}

/// A TLS 1.3 Certificate message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateTls13 {
    /// Empty in the handshake's server Certificate; in a client's, the
    /// context of the CertificateRequest it answers.
    pub context: Vec<u8>,
    /// The chain, end-entity first. May be empty in a client's Certificate
    /// (no suitable certificate).
    pub entries: Vec<CertificateEntry>,
}

impl CertificateTls13 {
    /// A Certificate carrying `chain` with no per-certificate extensions.
    pub fn from_chain(context: Vec<u8>, chain: &[CertificateDer<'static>]) -> Self {
        Self {
            context,
            entries: chain
                .iter()
                .map(|cert| CertificateEntry {
                    cert: cert.clone(),
                    extensions: Extensions::new(),
                })
                .collect(),
        }
    }

    /// The chain alone, as the verifier and the summary take it.
    pub fn chain(&self) -> Arc<[CertificateDer<'static>]> {
        self.entries
            .iter()
            .map(|entry| entry.cert.clone())
            .collect()
    }
}

impl Codec for CertificateTls13 {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_bytes(out, LengthPrefix::U8, &self.context);
        encode_prefixed(out, LengthPrefix::U24, |out| {
            for entry in &self.entries {
                encode_bytes(out, LengthPrefix::U24, entry.cert.as_ref());
                entry.extensions.encode(out);
            }
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let context = read_bytes(r, LengthPrefix::U8, "certificate_request_context")?;
        let mut list = read_prefixed(r, LengthPrefix::U24, "certificate_list")?;
        let mut entries = Vec::new();
        while list.any_left() {
            // `opaque cert_data<1..2^24-1>`
            let cert = read_bytes(&mut list, LengthPrefix::U24, "cert_data")?;
            if cert.is_empty() {
                return Err(InvalidMessage::EmptyList("cert_data"));
            }
            let extensions = Extensions::read(&mut list)?;
            entries.push(CertificateEntry {
                cert: CertificateDer::from(cert),
                extensions,
            });
        }
        Ok(Self { context, entries })
    }
}
