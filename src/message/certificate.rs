//! Certificate (RFC 5246 7.4.2 and 7.4.6).

use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::codec::{
    Codec, LengthPrefix, Reader, encode_bytes, encode_prefixed, read_bytes, read_prefixed,
};
use crate::error::InvalidMessage;

/// A certificate chain, end-entity first.
///
/// May be empty: a client without a suitable certificate answers a
/// CertificateRequest with an empty chain (RFC 5246 7.4.6). Whether an empty
/// chain is acceptable is the handshake's decision, not the decoder's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
///
/// The list is shared (`Arc`): the chain a server sends is its configured
/// one, and the chain a peer sent is kept in the handshake's summary, so
/// neither is copied.
pub struct CertificateChain(pub Arc<[CertificateDer<'static>]>);

impl Codec for CertificateChain {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_prefixed(out, LengthPrefix::U24, |out| {
            for cert in self.0.iter() {
                encode_bytes(out, LengthPrefix::U24, cert.as_ref());
            }
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let mut list = read_prefixed(r, LengthPrefix::U24, "certificate_list")?;
        let mut certs = Vec::new();
        while list.any_left() {
            let cert = read_bytes(&mut list, LengthPrefix::U24, "ASN.1Cert")?;
            // `opaque ASN.1Cert<1..2^24-1>`
            if cert.is_empty() {
                return Err(InvalidMessage::EmptyList("ASN.1Cert"));
            }
            certs.push(CertificateDer::from(cert));
        }
        Ok(Self(certs.into()))
    }
}
