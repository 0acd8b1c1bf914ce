//! What a TLS 1.3 CertificateVerify signs (RFC 8446 4.4.3): 64 spaces, a
//! context string naming the signer's role, a zero byte, and the transcript
//! hash. The context keeps a server's signature from being replayed as a
//! client's and the 64 spaces keep it from being a TLS 1.2 signed content.

use rustls_pki_types::CertificateDer;

use super::key_schedule::MAX_HASH_LEN;
use crate::crypto::sign::SigningKey;
use crate::crypto::verify::verify_signature_tls13;
use crate::enums::SignatureScheme;
use crate::error::Error;

/// The context string of the server's CertificateVerify.
pub const SERVER_CERTIFICATE_VERIFY: &[u8; CONTEXT_LEN] = b"TLS 1.3, server CertificateVerify";
/// The context string of the client's CertificateVerify.
pub const CLIENT_CERTIFICATE_VERIFY: &[u8; CONTEXT_LEN] = b"TLS 1.3, client CertificateVerify";
const PAD_LEN: usize = 64;
/// Both contexts are 33 bytes.
pub const CONTEXT_LEN: usize = 33;
const MAX_CONTENT_LEN: usize = PAD_LEN + CONTEXT_LEN + 1 + MAX_HASH_LEN;

/// The signed content, on the stack.
pub struct SignedContent {
    buf: [u8; MAX_CONTENT_LEN],
    len: usize,
}

impl SignedContent {
    /// The content under `context` ([`SERVER_CERTIFICATE_VERIFY`] or
    /// [`CLIENT_CERTIFICATE_VERIFY`]: the signer's) over `transcript_hash`
    /// (the hash of the handshake up to and including the Certificate).
    pub fn new(context: &[u8; CONTEXT_LEN], transcript_hash: &[u8]) -> Result<Self, Error> {
        let mut buf = [0u8; MAX_CONTENT_LEN];
        buf[..PAD_LEN].fill(0x20);
        buf[PAD_LEN..PAD_LEN + CONTEXT_LEN].copy_from_slice(context);
        // buf[PAD_LEN + CONTEXT_LEN] stays the separating zero.
        let start = PAD_LEN + CONTEXT_LEN + 1;
        buf.get_mut(start..start + transcript_hash.len())
            .ok_or(Error::Internal("transcript hash longer than any hash"))?
            .copy_from_slice(transcript_hash);
        Ok(Self {
            buf,
            len: start + transcript_hash.len(),
        })
    }

    /// The bytes to sign.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Signs a CertificateVerify with `key` under `scheme`, which the caller
/// chose with `SigningKey::choose_scheme_tls13`.
pub fn sign_certificate_verify(
    key: &SigningKey,
    scheme: SignatureScheme,
    context: &[u8; CONTEXT_LEN],
    transcript_hash: &[u8],
) -> Result<Vec<u8>, Error> {
    if crate::crypto::sign::is_rsa_pkcs1(scheme) {
        return Err(Error::Internal("RSA PKCS#1 chosen for TLS 1.3"));
    }
    key.sign(
        scheme,
        SignedContent::new(context, transcript_hash)?.as_bytes(),
    )
}

/// Checks the peer's CertificateVerify with its end-entity certificate
/// (see `verify_signature_tls13` for the scheme rules).
pub fn verify_certificate_verify(
    end_entity: &CertificateDer<'_>,
    scheme: SignatureScheme,
    context: &[u8; CONTEXT_LEN],
    transcript_hash: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let content = SignedContent::new(context, transcript_hash)?;
    verify_signature_tls13(end_entity, scheme, content.as_bytes(), signature)
}
