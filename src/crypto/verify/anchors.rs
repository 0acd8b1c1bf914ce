//! Trust anchors from root certificates.

use rustls_pki_types::{CertificateDer, TrustAnchor};

use crate::error::Error;

/// Owned trust anchors from `roots`; an empty list or a root that does not
/// parse is a configuration error.
pub(super) fn trust_anchors(
    roots: &[CertificateDer<'_>],
) -> Result<Vec<TrustAnchor<'static>>, Error> {
    if roots.is_empty() {
        return Err(Error::Config("no trust anchors given".to_string()));
    }
    roots
        .iter()
        .enumerate()
        .map(|(i, cert)| {
            webpki::anchor_from_trusted_cert(cert)
                .map(|a| a.to_owned())
                .map_err(|e| Error::Config(format!("trust anchor {i} is not usable: {e}")))
        })
        .collect()
}

/// The DER `Name` (a SEQUENCE) of an anchor's subject, for the
/// certificate_authorities of CertificateRequest (RFC 5246 7.4.4).
pub(super) fn distinguished_name(anchor: &TrustAnchor<'_>) -> Vec<u8> {
    let contents: &[u8] = anchor.subject.as_ref();
    let mut out = vec![0x30];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let be = len.to_be_bytes();
        let skip = be.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (be.len() - skip) as u8);
        out.extend_from_slice(&be[skip..]);
    }
    out.extend_from_slice(contents);
    out
}
