//! From rustls-webpki's errors to ours.

use crate::error::CertificateError;

/// The [`CertificateError`] for a webpki error.
pub(super) fn certificate_error(e: webpki::Error) -> CertificateError {
    use webpki::Error as W;
    #[allow(deprecated)]
    match e {
        W::UnknownIssuer => CertificateError::UnknownIssuer,
        W::CertExpired { .. } => CertificateError::Expired,
        W::CertNotValidYet { .. } => CertificateError::NotValidYet,
        W::CertNotValidForName(_) => CertificateError::NotValidForName,
        W::BadDer
        | W::BadDerTime
        | W::TrailingData(_)
        | W::MalformedExtensions
        | W::ExtensionValueInvalid
        | W::InvalidSerialNumber
        | W::InvalidCertValidity
        | W::UnsupportedCertVersion => CertificateError::BadEncoding,
        W::UnsupportedSignatureAlgorithm
        | W::UnsupportedSignatureAlgorithmContext(_)
        | W::UnsupportedSignatureAlgorithmForPublicKey
        | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => CertificateError::Unsupported,
        other => CertificateError::Other(other.to_string()),
    }
}
