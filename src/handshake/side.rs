//! Each role's own state between transitions: what it offered or chose,
//! its ephemeral keys, the proofs it carries forward. Shared by the
//! protocol versions' transitions, which is why it sits below them.

use std::sync::Arc;

use rustls_pki_types::ServerName;

use super::config::{CertifiedKey, ClientCertPolicy};
use crate::crypto::tls13::{HandshakeSecret, MasterSecret, Secret, Tls13CipherSuite};
use crate::crypto::{EphemeralKeyExchange, FinishedVerified, SupportedCipherSuite};
use crate::enums::{CipherSuite, NamedGroup, SignatureScheme};
use crate::message::{CipherSuites, ClientHello, NamedGroups, SessionId, SignatureSchemes};
use crate::session::{ClientSession, SessionState, TicketState13, Tls13Ticket};

/// The client's own state between transitions.
#[derive(Debug)]
pub struct ClientSide {
    pub(crate) server_name: ServerName<'static>,
    /// What the ClientHello offered, to check the server's choices.
    pub(crate) offered_suites: CipherSuites,
    pub(crate) offered_groups: NamedGroups,
    pub(crate) offered_schemes: SignatureSchemes,
    /// The session offered for resumption, and the session ID sent with it.
    pub(crate) offered_session: Option<(ClientSession, SessionId)>,
    /// Whether the ClientHello carried a session_ticket extension.
    pub(crate) offered_ticket_extension: bool,
    /// Whether the ServerHello promised a NewSessionTicket (RFC 5077 3.2).
    pub(crate) ticket_promised: bool,
    /// Whether the ClientHello carried a status_request extension.
    pub(crate) offered_status_request: bool,
    /// Whether the ServerHello acknowledged it, so that a CertificateStatus
    /// may follow the Certificate (RFC 6066 8).
    pub(crate) status_promised: bool,
    /// A ticket the server sent in this handshake: (lifetime hint, ticket).
    pub(crate) new_ticket: Option<(u32, Vec<u8>)>,
    /// The server's ECDHE public key, from ServerKeyExchange.
    pub(crate) server_public: Vec<u8>,
    /// The schemes a CertificateRequest accepts.
    pub(crate) requested_schemes: Vec<SignatureScheme>,
    /// A TLS 1.3 CertificateRequest's context, echoed in our Certificate
    /// (RFC 8446 4.4.2).
    pub(crate) requested_context: Vec<u8>,
    /// The scheme of our TLS 1.3 CertificateVerify, chosen with our
    /// Certificate.
    pub(crate) client_scheme: Option<SignatureScheme>,
    /// In a resumed handshake, proof the server's Finished verified,
    /// carried to our own Finished.
    pub(crate) server_finished: Option<FinishedVerified>,
    /// Whether the ClientHello offered TLS 1.3 (supported_versions).
    pub(crate) offered_tls13: bool,
    /// The legacy_session_id the ClientHello carried, which a TLS 1.3
    /// ServerHello must echo (RFC 8446 4.1.3).
    pub(crate) sent_session_id: SessionId,
    /// The ephemeral key behind our one TLS 1.3 key_share, until the
    /// ServerHello answers it.
    pub(crate) key_share: Option<EphemeralKeyExchange>,
    /// The TLS 1.3 key schedule between the ServerHello and our Finished.
    pub(crate) tls13: Tls13ClientKeys,
    /// The scheme the server's TLS 1.3 CertificateVerify used.
    pub(crate) server_scheme: Option<SignatureScheme>,
    /// The first ClientHello, kept while TLS 1.3 is offered: the second
    /// one after a HelloRetryRequest is this one with a new key share and
    /// the cookie (RFC 8446 4.1.2).
    pub(crate) sent_hello: Option<Box<ClientHello>>,
    /// After a HelloRetryRequest: the suite it chose, which the ServerHello
    /// must repeat (RFC 8446 4.1.4), and its cookie.
    pub(crate) retry_suite: Option<CipherSuite>,
    pub(crate) retry_cookie: Option<Vec<u8>>,
    /// The TLS 1.3 ticket our ClientHello offers in pre_shared_key (taken
    /// from the store: offered once, whatever happens).
    pub(crate) offered_ticket13: Option<Box<Tls13Ticket>>,
    /// The walk asked for 0-RTT (`send_with_early_data`).
    pub(crate) early_requested: bool,
    /// The 0-RTT data offered with the ticket: how much the ticket allows
    /// and what was written, kept to hand back if it is not accepted.
    pub(crate) early: Option<Box<EarlyDataSent>>,
    /// Our compatibility ChangeCipherSpec went out already (right after a
    /// ClientHello with early data, RFC 8446 D.4): it is sent once.
    pub(crate) sent_compat_ccs: bool,
}

/// The 0-RTT data of a ClientHello (RFC 8446 4.2.10).
#[derive(Debug, Default)]
pub(crate) struct EarlyDataSent {
    /// The ticket's max_early_data_size.
    pub(crate) max: usize,
    /// What was written, in order.
    pub(crate) data: Vec<u8>,
}

/// The TLS 1.3 secrets the client carries from the ServerHello to its
/// Finished; each is wiped when dropped.
#[derive(Default)]
pub(crate) struct Tls13ClientKeys {
    /// Until the server's Finished, when it becomes the master secret.
    pub(crate) handshake_secret: Option<HandshakeSecret>,
    /// client_handshake_traffic_secret: our sealer and our Finished key.
    pub(crate) client_handshake: Option<Secret>,
    /// server_handshake_traffic_secret: the server's Finished key.
    pub(crate) server_handshake: Option<Secret>,
    /// client_application_traffic_secret_0, installed after our Finished.
    pub(crate) client_application: Option<Secret>,
    /// From the server's Finished to ours, whose transcript gives the
    /// resumption master secret.
    pub(crate) master: Option<MasterSecret>,
    /// resumption_master_secret, from our Finished on: the connection
    /// derives each ticket's PSK from a copy of it.
    pub(crate) resumption: Option<Secret>,
}

impl core::fmt::Debug for Tls13ClientKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never the secrets themselves.
        f.debug_struct("Tls13ClientKeys")
            .field("handshake_secret", &self.handshake_secret.is_some())
            .field("client_application", &self.client_application.is_some())
            .finish_non_exhaustive()
    }
}

/// The server's own state between transitions.
#[derive(Debug, Default)]
pub struct ServerSide {
    /// What we chose from the ClientHello.
    pub(crate) choice: Option<Choice>,
    /// The request for client certificates, when we make one.
    pub(crate) client_auth: Option<ClientCertPolicy>,
    /// The session being resumed.
    pub(crate) resumed: Option<SessionState>,
    /// Our ephemeral key, from ServerKeyExchange to ClientKeyExchange.
    pub(crate) kx: Option<EphemeralKeyExchange>,
    /// Proof the client's Finished verified, carried to our Finished.
    pub(crate) client_finished: Option<FinishedVerified>,
    /// A TLS 1.3 handshake's choice and key schedule, from the ClientHello on.
    pub(crate) tls13: Option<Box<Server13>>,
}

/// The server's TLS 1.3 decisions after reading the ClientHello, and the
/// secrets of its key schedule as they come (each taken when used, so none
/// outlives its stage).
pub(crate) struct Server13 {
    pub(crate) certified: CertifiedKey,
    /// Whether the certificate was picked by the client's server name.
    pub(crate) by_name: bool,
    pub(crate) alpn_protocol: Option<Vec<u8>>,
    pub(crate) suite: &'static Tls13CipherSuite,
    /// The group of the client's share we answer.
    pub(crate) group: NamedGroup,
    pub(crate) scheme: SignatureScheme,
    pub(crate) server_name: Option<String>,
    /// legacy_session_id, echoed (RFC 8446 4.1.3).
    pub(crate) session_id: SessionId,
    /// The client's public key for `group`; `None` until a second
    /// ClientHello answers our HelloRetryRequest.
    pub(crate) client_share: Option<Vec<u8>>,
    /// Whether we sent a HelloRetryRequest (and, with it, the
    /// compatibility ChangeCipherSpec).
    pub(crate) retried: bool,
    /// The first ClientHello, kept only when a HelloRetryRequest answers
    /// it: the second must repeat it but for what RFC 8446 4.1.2 lets
    /// change.
    pub(crate) first_hello: Option<Box<crate::message::ClientHello>>,
    /// Whether the (last) ClientHello offered post_handshake_auth (RFC
    /// 8446 4.2.6): only then may the connection send a CertificateRequest.
    pub(crate) post_handshake_auth: bool,
    pub(crate) handshake_secret: Option<HandshakeSecret>,
    pub(crate) client_handshake_secret: Option<Secret>,
    pub(crate) server_handshake_secret: Option<Secret>,
    pub(crate) client_application_secret: Option<Secret>,
    /// From our Finished to the client's, whose transcript gives the
    /// resumption master secret for our tickets.
    pub(crate) master: Option<MasterSecret>,
    /// The ticket the client offered that we resume, if any.
    pub(crate) psk: Option<Box<AcceptedPsk>>,
    /// Whether the client lists psk_dhe_ke, so that our tickets are of
    /// use to it.
    pub(crate) client_takes_tickets: bool,
    /// What becomes of the 0-RTT data the ClientHello announced.
    pub(crate) early: EarlyAnswer,
    /// The opener for accepted early data, from the ClientHello to the
    /// ServerChangeCipherSpec row, where the reader takes it.
    pub(crate) early_opener: Option<Box<dyn crate::record::RecordOpener>>,
}

/// The server's answer to a ClientHello's early_data (RFC 8446 4.2.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EarlyAnswer {
    /// The hello announced none.
    NotOffered,
    /// Accepted: read under the early key until EndOfEarlyData.
    Accepted,
    /// Not accepted: skipped (up to a budget) until the client's second
    /// flight.
    Rejected,
}

/// A PSK the server accepted from a ClientHello's pre_shared_key: its
/// binder verified, its ticket fresh and bound to this server name.
pub(crate) struct AcceptedPsk {
    /// Its index among the offered identities, echoed in the ServerHello.
    pub(crate) index: u16,
    pub(crate) state: TicketState13,
    /// Whether the ticket's client chain is this handshake's client
    /// identity: only under a client-auth policy that verified it again.
    pub(crate) client_identity: bool,
    /// Whether the 0-RTT data offered with it is accepted.
    pub(crate) early_data: bool,
}

impl core::fmt::Debug for Server13 {
    // The secrets stay out of any output.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Server13")
            .field("suite", &self.suite.suite)
            .field("group", &self.group)
            .field("scheme", &self.scheme)
            .field("alpn_protocol", &self.alpn_protocol)
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

/// The server's decisions after reading the ClientHello.
#[derive(Debug, Clone)]
pub(crate) struct Choice {
    /// The chain and key to use: two shared pointers, so choosing one
    /// copies neither.
    pub(crate) certified: CertifiedKey,
    /// Whether the certificate was picked by the client's server name.
    pub(crate) by_name: bool,
    pub(crate) alpn_protocol: Option<Vec<u8>>,
    pub(crate) suite: &'static SupportedCipherSuite,
    pub(crate) group: NamedGroup,
    pub(crate) scheme: SignatureScheme,
    pub(crate) extended_master_secret: bool,
    pub(crate) secure_renegotiation: bool,
    pub(crate) echo_point_formats: bool,
    pub(crate) server_name: Option<String>,
    /// The session ID our ServerHello carries.
    pub(crate) session_id: SessionId,
    /// Whether our ServerHello promises a NewSessionTicket.
    pub(crate) ticket_promised: bool,
    /// How the session we resume came to us, when we resume one.
    pub(crate) resumed_by: Option<crate::session::ResumedBy>,
    /// The OCSP response to staple: the client asked for one and the
    /// chosen certificate has one (RFC 6066 8). Our ServerHello then
    /// acknowledges status_request and a CertificateStatus follows our
    /// Certificate.
    pub(crate) ocsp_response: Option<Arc<[u8]>>,
}
