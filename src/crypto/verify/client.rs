//! Verifying a client's certificate chain with rustls-webpki.

use std::path::Path;

use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

use super::ClientCertVerifier;
use super::anchors::{distinguished_name, trust_anchors};
use super::errors::certificate_error;
use crate::crypto::load::{load_certificates, load_certificates_file};
use crate::error::{CertificateError, Error};

/// Verifies client chains against a set of trust anchors, for the
/// clientAuth usage.
#[derive(Debug, Clone)]
pub struct WebPkiClientVerifier {
    roots: Vec<TrustAnchor<'static>>,
    subjects: Vec<Vec<u8>>,
}

impl WebPkiClientVerifier {
    /// A verifier trusting these root certificates (DER).
    pub fn new(roots: &[CertificateDer<'_>]) -> Result<Self, Error> {
        let roots = trust_anchors(roots)?;
        let subjects = roots.iter().map(distinguished_name).collect();
        Ok(Self { roots, subjects })
    }

    /// A verifier trusting the roots in PEM or DER bytes.
    pub fn from_bytes(roots: &[u8]) -> Result<Self, Error> {
        Self::new(&load_certificates(roots)?)
    }

    /// A verifier trusting the roots in a PEM or DER file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::new(&load_certificates_file(path)?)
    }
}

impl ClientCertVerifier for WebPkiClientVerifier {
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<(), CertificateError> {
        let cert = EndEntityCert::try_from(end_entity).map_err(certificate_error)?;
        cert.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &self.roots,
            intermediates,
            now,
            KeyUsage::client_auth(),
            None,
            None,
        )
        .map(|_| ())
        .map_err(certificate_error)
    }

    fn root_hint_subjects(&self) -> &[Vec<u8>] {
        &self.subjects
    }
}
