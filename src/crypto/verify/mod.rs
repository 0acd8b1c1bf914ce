//! Verifying the peer: its handshake signatures, and its certificate
//! chain behind the [`ServerCertVerifier`] and [`ClientCertVerifier`]
//! traits.

mod anchors;
mod client;
mod errors;
mod server;
mod signature;

use core::fmt::Debug;

use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

pub use client::WebPkiClientVerifier;
pub use server::WebPkiServerVerifier;
pub use signature::{verify_signature, verify_signature_tls13};

use crate::error::CertificateError;

/// Decides whether a server's certificate chain is acceptable for the
/// name the client asked for.
pub trait ServerCertVerifier: Send + Sync + Debug {
    /// Verifies `end_entity`, through `intermediates`, for `server_name`
    /// at `now`.
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), CertificateError>;

    /// Checks the OCSP response the server stapled for `end_entity`
    /// (RFC 6066 8, RFC 8446 4.4.2.1), or its absence (`None`). Called once
    /// in every full handshake, after
    /// [`verify_server_cert`](Self::verify_server_cert) accepted the chain:
    /// in TLS 1.2 before the ServerKeyExchange is read, in TLS 1.3 before
    /// the CertificateVerify; a
    /// response arrives only if the client asked for one
    /// ([`ClientConfig::request_ocsp`](crate::handshake::ClientConfig::request_ocsp)).
    ///
    /// The default accepts everything: neither it nor
    /// [`WebPkiServerVerifier`] parses or checks OCSP (rustls-webpki has no
    /// OCSP support). A verifier that wants revocation checked by OCSP, or
    /// wants stapling required, implements this.
    fn verify_ocsp_response(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: Option<&[u8]>,
        now: UnixTime,
    ) -> Result<(), CertificateError> {
        let _ = (end_entity, intermediates, server_name, ocsp_response, now);
        Ok(())
    }
}

/// Decides whether a client's certificate chain is acceptable.
pub trait ClientCertVerifier: Send + Sync + Debug {
    /// Verifies `end_entity`, through `intermediates`, at `now`.
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<(), CertificateError>;

    /// The DER distinguished names of the acceptable CAs, for the
    /// certificate_authorities of CertificateRequest (RFC 5246 7.4.4).
    /// Empty means no hint.
    fn root_hint_subjects(&self) -> &[Vec<u8>] {
        &[]
    }
}
