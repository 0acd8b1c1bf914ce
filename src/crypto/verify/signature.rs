//! Verifying a handshake signature with the peer's end-entity key.

use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm};
use webpki::EndEntityCert;
use webpki::ring as alg;

use crate::enums::SignatureScheme;
use crate::error::{CertificateError, Error, PeerMisbehaved};

type Alg = &'static dyn SignatureVerificationAlgorithm;

/// The webpki algorithms that can check `scheme`. In TLS 1.2 an ECDSA
/// scheme names only the hash, not the curve (RFC 8422 5.1.3), so both
/// curves are tried.
fn algorithms(scheme: SignatureScheme) -> [Option<Alg>; 2] {
    let one = |a: Alg| [Some(a), None];
    match scheme {
        SignatureScheme::ECDSA_NISTP256_SHA256 => {
            [Some(alg::ECDSA_P256_SHA256), Some(alg::ECDSA_P384_SHA256)]
        }
        SignatureScheme::ECDSA_NISTP384_SHA384 => {
            [Some(alg::ECDSA_P384_SHA384), Some(alg::ECDSA_P256_SHA384)]
        }
        SignatureScheme::ED25519 => one(alg::ED25519),
        SignatureScheme::RSA_PSS_SHA256 => one(alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY),
        SignatureScheme::RSA_PSS_SHA384 => one(alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY),
        SignatureScheme::RSA_PSS_SHA512 => one(alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY),
        SignatureScheme::RSA_PKCS1_SHA256 => one(alg::RSA_PKCS1_2048_8192_SHA256),
        SignatureScheme::RSA_PKCS1_SHA384 => one(alg::RSA_PKCS1_2048_8192_SHA384),
        SignatureScheme::RSA_PKCS1_SHA512 => one(alg::RSA_PKCS1_2048_8192_SHA512),
        _ => [None, None],
    }
}

/// Checks `signature` over `message` with the key of `end_entity` under
/// `scheme`.
///
/// A scheme we do not support is [`PeerMisbehaved::IllegalParameter`]; a
/// signature that does not verify (including one whose scheme does not fit
/// the key) is [`PeerMisbehaved::BadSignature`]; a certificate that does
/// not parse is [`CertificateError::BadEncoding`].
pub fn verify_signature(
    end_entity: &CertificateDer<'_>,
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let algs = algorithms(scheme);
    if algs[0].is_none() {
        return Err(PeerMisbehaved::IllegalParameter("an unsupported signature scheme").into());
    }
    let cert = EndEntityCert::try_from(end_entity)
        .map_err(|_| Error::Certificate(CertificateError::BadEncoding))?;
    if algs
        .into_iter()
        .flatten()
        .any(|alg| cert.verify_signature(alg, message, signature).is_ok())
    {
        return Ok(());
    }
    Err(PeerMisbehaved::BadSignature.into())
}

/// [`verify_signature`] under TLS 1.3's rules (RFC 8446 4.2.3, 4.4.3): an
/// ECDSA scheme names its curve too, and RSA PKCS#1 v1.5 is refused
/// (illegal_parameter) whatever the key.
pub fn verify_signature_tls13(
    end_entity: &CertificateDer<'_>,
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let alg: Alg = match scheme {
        SignatureScheme::ECDSA_NISTP256_SHA256 => alg::ECDSA_P256_SHA256,
        SignatureScheme::ECDSA_NISTP384_SHA384 => alg::ECDSA_P384_SHA384,
        SignatureScheme::ED25519 => alg::ED25519,
        SignatureScheme::RSA_PSS_SHA256 => alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        SignatureScheme::RSA_PSS_SHA384 => alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        SignatureScheme::RSA_PSS_SHA512 => alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        SignatureScheme::RSA_PKCS1_SHA256
        | SignatureScheme::RSA_PKCS1_SHA384
        | SignatureScheme::RSA_PKCS1_SHA512 => {
            return Err(PeerMisbehaved::IllegalParameter(
                "RSA PKCS#1 v1.5 in a TLS 1.3 CertificateVerify",
            )
            .into());
        }
        _ => {
            return Err(PeerMisbehaved::IllegalParameter("an unsupported signature scheme").into());
        }
    };
    let cert = EndEntityCert::try_from(end_entity)
        .map_err(|_| Error::Certificate(CertificateError::BadEncoding))?;
    cert.verify_signature(alg, message, signature)
        .map_err(|_| PeerMisbehaved::BadSignature.into())
}
