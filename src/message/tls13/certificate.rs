//! Certificate in TLS 1.3 (RFC 8446 4.4.2): a request context, then each
//! certificate with extensions of its own (an OCSP response, SCTs).

use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::codec::{
    Codec, LengthPrefix, Reader, encode_bytes, encode_prefixed, read_bytes, read_prefixed,
};
use crate::enums::{ExtensionType, HandshakeType};
use crate::error::InvalidMessage;
use crate::message::CertificateStatus;

use super::extensions::Extensions;

/// The longest OCSP response a CertificateEntry can carry: its extension
/// list is `Extension extensions<0..2^16-1>`, and the status_request one
/// takes 4 bytes of header plus the CertificateStatus's status_type (1) and
/// 24-bit length (3) around the response (RFC 8446 4.4.2, 4.4.2.1).
pub const MAX_STAPLED_OCSP_RESPONSE_LEN: usize = 0xffff - 4 - 4;

/// One CertificateEntry: an X.509 certificate and its extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateEntry {
    /// The DER certificate.
    pub cert: CertificateDer<'static>,
    /// Its extensions (status_request carries a stapled OCSP response,
    /// RFC 8446 4.4.2.1).
    pub extensions: Extensions,
}

impl CertificateEntry {
    /// The OCSP response stapled to this certificate (RFC 8446 4.4.2.1: a
    /// status_request extension whose body is a CertificateStatus), if
    /// any. A body that is not one whole CertificateStatus of type ocsp
    /// with a non-empty response is a decode error.
    pub fn ocsp_response(&self) -> Result<Option<Arc<[u8]>>, InvalidMessage> {
        self.extensions
            .get(ExtensionType::StatusRequest)
            .map(|body| CertificateStatus::read_bytes(body).map(|status| status.ocsp_response))
            .transpose()
    }
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

    /// Staples `ocsp_response` to the end-entity certificate (RFC 8446
    /// 4.4.2.1). Nothing is stapled to an empty chain, nor a response that
    /// is empty or longer than [`MAX_STAPLED_OCSP_RESPONSE_LEN`]: neither
    /// can be encoded.
    pub fn staple_ocsp_response(&mut self, ocsp_response: &Arc<[u8]>) {
        let Some(end_entity) = self.entries.first_mut() else {
            return;
        };
        if ocsp_response.is_empty() || ocsp_response.len() > MAX_STAPLED_OCSP_RESPONSE_LEN {
            return;
        }
        let mut body = Vec::new();
        CertificateStatus {
            ocsp_response: ocsp_response.clone(),
        }
        .encode(&mut body);
        end_entity
            .extensions
            .push(ExtensionType::StatusRequest, body);
    }

    /// The chain alone, as the verifier and the summary take it.
    pub fn chain(&self) -> Arc<[CertificateDer<'static>]> {
        self.entries
            .iter()
            .map(|entry| entry.cert.clone())
            .collect()
    }

    /// [`chain`](Self::chain), moving the certificates out of the message
    /// instead of copying them.
    pub fn into_chain(self) -> Arc<[CertificateDer<'static>]> {
        self.entries.into_iter().map(|entry| entry.cert).collect()
    }

    /// Appends the whole message (type, length, body) that
    /// `PayloadTls13::Certificate(CertificateTls13::from_chain(context, chain))`
    /// encodes to, straight from `chain`: a server sends its configured
    /// chain without first copying each certificate into a message.
    pub fn encode_message_from_chain(
        context: &[u8],
        chain: &[CertificateDer<'_>],
        out: &mut Vec<u8>,
    ) {
        HandshakeType::Certificate.encode(out);
        encode_prefixed(out, LengthPrefix::U24, |out| {
            encode_bytes(out, LengthPrefix::U8, context);
            encode_prefixed(out, LengthPrefix::U24, |out| {
                for cert in chain {
                    encode_bytes(out, LengthPrefix::U24, cert.as_ref());
                    Extensions::new().encode(out);
                }
            });
        });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::tls13::PayloadTls13;

    #[test]
    fn a_message_encoded_from_the_chain_is_the_one_from_chain_encodes() {
        let chain = [
            CertificateDer::from(vec![0x30, 1, 2, 3]),
            CertificateDer::from(vec![0x30; 300]),
        ];
        for context in [&[][..], &[7, 7]] {
            let mut want = Vec::new();
            PayloadTls13::Certificate(CertificateTls13::from_chain(context.to_vec(), &chain))
                .encode(&mut want);
            let mut got = Vec::new();
            CertificateTls13::encode_message_from_chain(context, &chain, &mut got);
            assert_eq!(got, want);
            let PayloadTls13::Certificate(read) = PayloadTls13::read_message(&got).unwrap() else {
                panic!("not a Certificate")
            };
            assert_eq!(&*read.into_chain(), &chain);
        }
    }
}
