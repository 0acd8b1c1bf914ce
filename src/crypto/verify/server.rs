//! Verifying the server's certificate chain and name with rustls-webpki.

use std::path::Path;

use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

use super::ServerCertVerifier;
use super::anchors::trust_anchors;
use super::errors::certificate_error;
use crate::crypto::load::{load_certificates, load_certificates_file};
use crate::error::{CertificateError, Error};

/// Verifies server chains against a set of trust anchors, for the
/// serverAuth usage, and the name against the end-entity certificate.
#[derive(Debug, Clone)]
pub struct WebPkiServerVerifier {
    roots: Vec<TrustAnchor<'static>>,
}

impl WebPkiServerVerifier {
    /// A verifier trusting these root certificates (DER).
    pub fn new(roots: &[CertificateDer<'_>]) -> Result<Self, Error> {
        Ok(Self {
            roots: trust_anchors(roots)?,
        })
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

impl ServerCertVerifier for WebPkiServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), CertificateError> {
        let cert = EndEntityCert::try_from(end_entity).map_err(certificate_error)?;
        cert.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &self.roots,
            intermediates,
            now,
            KeyUsage::server_auth(),
            None,
            None,
        )
        .map_err(certificate_error)?;
        cert.verify_is_valid_for_subject_name(server_name)
            .map_err(certificate_error)
    }
}
