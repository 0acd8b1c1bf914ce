//! Verifiers that turn verification off. **Never use these in
//! production**: they let anyone in the middle impersonate the peer.

use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::verify::ServerCertVerifier;
use crate::error::CertificateError;

/// Accepts every server certificate chain, for every name, at every time.
///
/// **Dangerous: never use this in production.** It exists for tests and
/// for talking to a known peer whose certificate cannot be verified. The
/// handshake still checks the ServerKeyExchange signature against the
/// end-entity key, but nothing ties that key to the server's name.
#[derive(Debug, Clone, Copy, Default)]
pub struct DangerousAcceptAnyServerCertificate;

impl ServerCertVerifier for DangerousAcceptAnyServerCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _now: UnixTime,
    ) -> Result<(), CertificateError> {
        Ok(())
    }
}
