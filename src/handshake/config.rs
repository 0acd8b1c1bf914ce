//! Client and server configuration.

use std::sync::Arc;

use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::crypto::{ClientCertVerifier, ServerCertVerifier, SigningKey, WebPkiServerVerifier};
use crate::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::error::Error;
use crate::keylog::KeyLog;
use crate::message::MAX_CLIENT_HELLO_LEN;
use crate::record::{DEFAULT_MAX_HANDSHAKE_LEN, MAX_PLAINTEXT_LEN};
use crate::session::{ClientSessionStore, InMemorySessionStore, SessionCache, Ticketer};

/// The cipher suites this crate implements, in its default preference order.
pub const DEFAULT_CIPHER_SUITES: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// The key exchange groups this crate implements, in its default
/// preference order.
pub const DEFAULT_GROUPS: &[NamedGroup] = crate::crypto::SUPPORTED_GROUPS;

/// The signature schemes this crate verifies, in its default preference
/// order.
pub const DEFAULT_SIGNATURE_SCHEMES: &[SignatureScheme] =
    crate::crypto::SUPPORTED_SIGNATURE_SCHEMES;

/// The default largest handshake message body either side reads, for every
/// message but ClientHello: 64 KiB, more than certificate chains take in
/// practice.
pub const DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN: usize = DEFAULT_MAX_HANDSHAKE_LEN;

/// The versions a configuration negotiates by default: TLS 1.3 and TLS
/// 1.2, TLS 1.3 preferred (a client offers both in one ClientHello; a
/// server picks TLS 1.3 when the client offers it).
pub const DEFAULT_VERSIONS: &[ProtocolVersion] = &[ProtocolVersion::Tls13, ProtocolVersion::Tls12];

/// How many TLS 1.3 tickets a server sends after each handshake by
/// default: two, as OpenSSL and rustls do, so that a client can open two
/// connections without reusing a ticket.
pub const DEFAULT_TLS13_TICKETS: usize = 2;

/// How a client connects.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Suites to offer, most preferred first. Suites this crate does not
    /// implement are left out of the ClientHello. TLS 1.3's suites and
    /// TLS 1.2's are read apart (as OpenSSL keeps `-ciphersuites` apart
    /// from `-cipher`): TLS 1.3 offers the TLS 1.3 suites listed here, or
    /// all three when the list names none; TLS 1.2 the TLS 1.2 ones.
    pub cipher_suites: Vec<CipherSuite>,
    /// Groups to offer, most preferred first.
    pub groups: Vec<NamedGroup>,
    /// Signature schemes to accept on ServerKeyExchange.
    pub signature_schemes: Vec<SignatureScheme>,
    /// The schemes to send in signature_algorithms_cert (RFC 8446 4.2.3):
    /// those we accept in the server's certificates, when they differ from
    /// `signature_schemes`. `None` (the default), or an empty list, sends
    /// no such extension, and signature_algorithms then stands for both.
    /// The server uses the list to choose its chain; our verification of
    /// the chain is the verifier's (the default webpki one accepts every
    /// algorithm it implements, whatever this says).
    pub signature_algorithms_cert: Option<Vec<SignatureScheme>>,
    /// Verifies the server's certificate chain and name.
    pub verifier: Arc<dyn ServerCertVerifier>,
    /// Refuse servers that do not support the extended master secret
    /// (RFC 7627). On by default; turn off only for old peers.
    pub require_extended_master_secret: bool,
    /// The largest record plaintext we send (at most 2^14).
    pub max_fragment_len: usize,
    /// The most heap each record buffer (reading and writing) keeps when
    /// the connection is idle; default
    /// [`MAX_IDLE_CAPACITY`](crate::record::MAX_IDLE_CAPACITY) (a record
    /// of 1 KiB fits). More spares a connection that moves larger records
    /// now and then an allocation per record, at that cost while idle; 0
    /// frees every drained buffer. While large records stream, the
    /// buffers stay whatever this says (`Connection::release_buffers`).
    pub idle_buffer_capacity: usize,
    /// Application protocols to offer (ALPN, RFC 7301), most preferred
    /// first; empty offers none.
    pub alpn_protocols: Vec<Vec<u8>>,
    /// Where to log session secrets (`SSLKEYLOGFILE` format); `None` by
    /// default.
    pub key_log: Option<Arc<dyn KeyLog>>,
    /// Where sessions are kept for resumption, keyed by server name; a
    /// bounded in-memory store by default, `None` never resumes.
    pub session_store: Option<Arc<dyn ClientSessionStore>>,
    /// Whether to ask for (and present) session tickets: RFC 5077's in TLS
    /// 1.2; in TLS 1.3 (RFC 8446 4.6.1), whether to list psk_dhe_ke
    /// (without which servers send no tickets) and offer a kept ticket.
    pub enable_tickets: bool,
    /// The certificate to send when a server asks for one; `None` answers
    /// a CertificateRequest with an empty Certificate.
    pub client_certificate: Option<CertifiedKey>,
    /// The largest handshake message body accepted from the server
    /// (default [`DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN`]). A message whose
    /// header declares more ends the handshake with decode_error as soon
    /// as the header arrives, before its body is buffered, so this bounds
    /// what one message can make the client hold.
    pub max_handshake_message_len: usize,
    /// Whether to ask the server to staple an OCSP response (status_request,
    /// RFC 6066 8, RFC 8446 4.4.2.1). On by default. Without it, a TLS 1.3
    /// server's stapled response is refused (unsupported_extension). A stapled response is handed to
    /// [`ServerCertVerifier::verify_ocsp_response`] and kept in the
    /// session summary; the default webpki verifier does not check it.
    pub request_ocsp: bool,
    /// The protocol versions to negotiate (TLS 1.3 and TLS 1.2 are
    /// known), most preferred first. Default [`DEFAULT_VERSIONS`]: both,
    /// TLS 1.3 preferred. Both versions resume: TLS 1.2 by session ID or
    /// ticket, TLS 1.3 by a ticket's PSK (RFC 8446 2.2).
    pub versions: Vec<ProtocolVersion>,
    /// Whether to send the compatibility ChangeCipherSpec of a TLS 1.3
    /// handshake (RFC 8446 D.4, as OpenSSL and rustls do by default).
    pub middlebox_compat: bool,
    /// TLS 1.3: offer post-handshake client authentication
    /// (post_handshake_auth, RFC 8446 4.2.6), so that the server may ask
    /// for [`client_certificate`](Self::client_certificate) at any time
    /// after the handshake. Off by default: a separate switch, not implied
    /// by having a certificate, because offering it lets the server ask at
    /// any time (the client answers from its writer, see
    /// `docs/connection.md`), and because a client without a certificate
    /// may offer it too and answer with an empty Certificate.
    pub post_handshake_auth: bool,
    /// TLS 1.3: with a ticket that allows it, offer 0-RTT early data
    /// (RFC 8446 2.3, 4.2.10) when the walk asks for it
    /// ([`send_with_early_data`](crate::handshake::Handshake::send_with_early_data)).
    /// Off by default: early data can be replayed by an attacker (RFC 8446
    /// 8, `docs/security.md`), so a client sends it only on purpose.
    pub enable_early_data: bool,
}

impl ClientConfig {
    /// Defaults with the given verifier.
    pub fn new(verifier: Arc<dyn ServerCertVerifier>) -> Self {
        Self {
            cipher_suites: DEFAULT_CIPHER_SUITES.to_vec(),
            groups: DEFAULT_GROUPS.to_vec(),
            signature_schemes: DEFAULT_SIGNATURE_SCHEMES.to_vec(),
            signature_algorithms_cert: None,
            verifier,
            require_extended_master_secret: true,
            max_fragment_len: MAX_PLAINTEXT_LEN,
            idle_buffer_capacity: crate::record::MAX_IDLE_CAPACITY,
            alpn_protocols: Vec::new(),
            key_log: None,
            session_store: Some(Arc::new(InMemorySessionStore::new(256))),
            enable_tickets: true,
            client_certificate: None,
            max_handshake_message_len: DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN,
            request_ocsp: true,
            versions: DEFAULT_VERSIONS.to_vec(),
            middlebox_compat: true,
            post_handshake_auth: false,
            enable_early_data: false,
        }
    }

    /// Defaults, trusting the given root certificates (DER).
    pub fn with_root_certificates(roots: &[CertificateDer<'_>]) -> Result<Self, Error> {
        Ok(Self::new(Arc::new(WebPkiServerVerifier::new(roots)?)))
    }
}

/// A certificate chain and the private key of its end-entity certificate.
#[derive(Clone, Debug)]
pub struct CertifiedKey {
    /// The chain, end-entity first.
    pub chain: Arc<[CertificateDer<'static>]>,
    /// The end-entity certificate's private key.
    pub key: Arc<SigningKey>,
    /// A DER OCSP response for the end-entity certificate, stapled when the
    /// client asks: in a CertificateStatus in TLS 1.2 (RFC 6066 8), in the
    /// end-entity CertificateEntry in TLS 1.3 (RFC 8446 4.4.2.1, where it
    /// must fit [`MAX_STAPLED_OCSP_RESPONSE_LEN`](crate::message::tls13::MAX_STAPLED_OCSP_RESPONSE_LEN)
    /// bytes). `None` staples nothing. The server sends it as it is:
    /// keeping it fresh is the caller's job. An empty one is never sent.
    pub ocsp_response: Option<Arc<[u8]>>,
}

impl CertifiedKey {
    /// A chain and its key; an empty chain is a configuration error.
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: &PrivateKeyDer<'_>,
    ) -> Result<Self, Error> {
        if chain.is_empty() {
            return Err(Error::Config("the certificate chain is empty".into()));
        }
        Ok(Self {
            chain: chain.into(),
            key: Arc::new(SigningKey::new(key)?),
            ocsp_response: None,
        })
    }
}

/// How a server accepts.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The certificate chain, end-entity first, used when the client names
    /// no server, or one without an entry in `certificates_by_name`.
    pub cert_chain: Arc<[CertificateDer<'static>]>,
    /// The end-entity certificate's private key.
    pub key: Arc<SigningKey>,
    /// A DER OCSP response for `cert_chain`'s end-entity certificate,
    /// stapled when the client asks, in either version (see
    /// [`CertifiedKey::ocsp_response`]); `None` (the default)
    /// staples nothing. Each certificate in `certificates_by_name` has its
    /// own, in [`CertifiedKey::ocsp_response`].
    pub ocsp_response: Option<Arc<[u8]>>,
    /// Certificates chosen by the server name the client sends (SNI,
    /// RFC 6066 3), compared without regard to ASCII case. Several entries
    /// may share a name (an ECDSA and an RSA chain, say): TLS 1.3 takes,
    /// among them and then `cert_chain`, the first whose key can sign with
    /// a scheme the client offers, preferring a chain signed with schemes
    /// of its signature_algorithms_cert (RFC 8446 4.2.3, 4.4.2.2); TLS 1.2
    /// takes the first entry for the name.
    pub certificates_by_name: Vec<(String, CertifiedKey)>,
    /// Application protocols to accept (ALPN), most preferred first: the
    /// server's order decides. Empty ignores the client's offer.
    pub alpn_protocols: Vec<Vec<u8>>,
    /// Where to log session secrets; `None` by default.
    pub key_log: Option<Arc<dyn KeyLog>>,
    /// The session-ID cache for resumption; `None` (the default) gives
    /// out no session IDs.
    pub session_cache: Option<Arc<SessionCache>>,
    /// Seals session tickets (RFC 5077, and TLS 1.3's NewSessionTicket,
    /// RFC 8446 4.6.1); `None` (the default) issues none and ignores the
    /// tickets clients present.
    pub ticketer: Option<Arc<Ticketer>>,
    /// How many TLS 1.3 NewSessionTickets to send after a handshake when a
    /// `ticketer` is set (default [`DEFAULT_TLS13_TICKETS`], as OpenSSL and
    /// rustls send); 0 sends none.
    pub tls13_tickets: usize,
    /// Suites to accept, most preferred first (the server's order wins).
    /// Only the suites matching the key's algorithm are ever chosen. As
    /// for the client, TLS 1.3 takes the TLS 1.3 suites listed here, or
    /// all three when the list names none.
    pub cipher_suites: Vec<CipherSuite>,
    /// Groups to accept, most preferred first.
    pub groups: Vec<NamedGroup>,
    /// Refuse clients that do not offer the extended master secret
    /// (RFC 7627). On by default; turn off only for old peers.
    pub require_extended_master_secret: bool,
    /// The largest record plaintext we send (at most 2^14).
    pub max_fragment_len: usize,
    /// The most heap each record buffer (reading and writing) keeps when
    /// the connection is idle; default
    /// [`MAX_IDLE_CAPACITY`](crate::record::MAX_IDLE_CAPACITY) (a record
    /// of 1 KiB fits). More spares a connection that moves larger records
    /// now and then an allocation per record, at that cost while idle; 0
    /// frees every drained buffer. While large records stream, the
    /// buffers stay whatever this says (`Connection::release_buffers`).
    pub idle_buffer_capacity: usize,
    /// The largest ClientHello body accepted (default
    /// [`MAX_CLIENT_HELLO_LEN`], 131,396 bytes: every hello its own length
    /// fields allow, since its suites and extensions may each take nearly
    /// 2^16 bytes). Refused as `max_handshake_message_len` is.
    pub max_client_hello_len: usize,
    /// The largest body accepted for every other handshake message from
    /// the client (default [`DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN`]). A
    /// message whose header declares more ends the handshake with
    /// decode_error as soon as the header arrives, before its body is
    /// buffered.
    pub max_handshake_message_len: usize,
    /// The protocol versions to negotiate (TLS 1.3 and TLS 1.2 are
    /// known), most preferred first. Default [`DEFAULT_VERSIONS`]: both,
    /// TLS 1.3 preferred. Both versions resume: TLS 1.2 by session ID or
    /// ticket, TLS 1.3 by a ticket's PSK (RFC 8446 2.2).
    pub versions: Vec<ProtocolVersion>,
    /// Whether to send the compatibility ChangeCipherSpec of a TLS 1.3
    /// handshake (RFC 8446 D.4, as OpenSSL and rustls do by default).
    pub middlebox_compat: bool,
    /// TLS 1.3: the most 0-RTT early data accepted with a ticket, in
    /// plaintext bytes (RFC 8446 4.2.10, 4.6.1). Default 0: no 0-RTT. When
    /// more than 0 (and a `ticketer` is set), tickets carry it in their
    /// early_data extension, and a resumption that offers early data under
    /// a fresh ticket, first seen by the `anti_replay` register, with the
    /// suite and application protocol of the ticket's handshake, accepts
    /// it; it is handed to the application apart from the data after the
    /// handshake (`Connection::take_early_data`), since it may be a replay.
    /// Early data that is not accepted is skipped up to this many bytes (at
    /// least [`MIN_EARLY_DATA_SKIP`]).
    pub max_early_data_size: u32,
    /// The register of tickets already used for 0-RTT (RFC 8446 8.1):
    /// each ticket's early data is accepted once while it is fresh. Shared
    /// by every connection of this configuration (and of any other that
    /// holds the same `Arc`); see `docs/security.md` for what it does not
    /// cover (several processes).
    pub anti_replay: Arc<crate::session::StrikeRegister>,
}

/// How much rejected 0-RTT data a server skips at least (RFC 8446 4.2.10
/// says "up to the configured max_early_data_size"; a server configured
/// with none may still meet a client holding an older ticket of ours).
pub const MIN_EARLY_DATA_SKIP: usize = 16 * 1024;

impl ServerConfig {
    /// Defaults with the given chain and key.
    pub fn new(
        cert_chain: Vec<CertificateDer<'static>>,
        key: &PrivateKeyDer<'_>,
    ) -> Result<Self, Error> {
        if cert_chain.is_empty() {
            return Err(Error::Config("the certificate chain is empty".into()));
        }
        Ok(Self {
            cert_chain: cert_chain.into(),
            key: Arc::new(SigningKey::new(key)?),
            ocsp_response: None,
            certificates_by_name: Vec::new(),
            alpn_protocols: Vec::new(),
            key_log: None,
            session_cache: None,
            ticketer: None,
            tls13_tickets: DEFAULT_TLS13_TICKETS,
            cipher_suites: DEFAULT_CIPHER_SUITES.to_vec(),
            groups: DEFAULT_GROUPS.to_vec(),
            require_extended_master_secret: true,
            max_fragment_len: MAX_PLAINTEXT_LEN,
            idle_buffer_capacity: crate::record::MAX_IDLE_CAPACITY,
            max_client_hello_len: MAX_CLIENT_HELLO_LEN,
            max_handshake_message_len: DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN,
            versions: DEFAULT_VERSIONS.to_vec(),
            middlebox_compat: true,
            max_early_data_size: 0,
            anti_replay: Arc::default(),
        })
    }
}

/// A server's request for client certificates, given to
/// `Handshake::server_requesting_client_cert`: requesting is a choice the
/// server makes, so it is a constructor, not a flag.
#[derive(Clone, Debug)]
pub struct ClientCertPolicy {
    /// Verifies the client's chain (client-auth usage); its trust anchors'
    /// subjects are sent as the acceptable CA names.
    pub verifier: Arc<dyn ClientCertVerifier>,
    /// Whether a client without a certificate is refused
    /// (handshake_failure in TLS 1.2, RFC 5246 7.4.6; certificate_required
    /// in TLS 1.3, RFC 8446 6.2) or let in anonymously.
    pub required: bool,
}

impl ClientCertPolicy {
    /// Checks the client's `chain` (end-entity first) against the policy:
    /// an empty one is `missing` if a certificate is required, else fine;
    /// any other is verified now. Both versions' servers read a client
    /// Certificate through this; `missing` is their error for "required".
    pub(crate) fn check(
        &self,
        chain: &[CertificateDer<'static>],
        missing: Error,
    ) -> Result<(), Error> {
        match chain.split_first() {
            None if self.required => Err(missing),
            None => Ok(()),
            Some((end_entity, intermediates)) => Ok(self.verifier.verify_client_cert(
                end_entity,
                intermediates,
                rustls_pki_types::UnixTime::now(),
            )?),
        }
    }

    /// A TLS 1.3 client Certificate answering our CertificateRequest of
    /// `context` (RFC 8446 4.4.2), during the handshake (an empty context)
    /// or after it (post-handshake authentication, 4.6.2): the context
    /// echoed (else illegal_parameter), no entry extensions (we ask for
    /// none: unsupported_extension, 4.2), and the chain [`check`]ed with
    /// certificate_required for a missing one (6.2). Returns the chain.
    ///
    /// [`check`]: Self::check
    pub(crate) fn check_tls13_certificate(
        &self,
        certificate: crate::message::tls13::CertificateTls13,
        context: &[u8],
    ) -> Result<Arc<[CertificateDer<'static>]>, Error> {
        use crate::error::{PeerIncompatible, PeerMisbehaved};
        if certificate.context != context {
            return Err(PeerMisbehaved::IllegalParameter(
                "a certificate_request_context that is not our request's",
            )
            .into());
        }
        if let Some(typ) = certificate
            .entries
            .iter()
            .flat_map(|entry| entry.extensions.types())
            .next()
        {
            return Err(PeerMisbehaved::UnsolicitedExtension(typ).into());
        }
        let chain = certificate.into_chain();
        self.check(&chain, PeerIncompatible::ClientCertificateRequired13.into())?;
        Ok(chain)
    }
}
