//! The client's transitions: what it writes and how it checks what it reads.

use std::sync::Arc;

use smallvec::smallvec;

use rustls_pki_types::{ServerName, UnixTime};

use super::keys::{SignedParams, check_finished, derive_master, install_keys, send_finished};
use super::known::{Certified, Hello, Keyed, Knows, Negotiated};
use super::shape::{FullShape, WithoutCertificateVerify};
use super::table::state;
use crate::crypto::{self, EphemeralKeyExchange, SupportedCipherSuite};
use crate::enums::{
    Compression, ContentType, EcPointFormat, ExtensionType, HandshakeType, NamedGroup,
    ProtocolVersion, SignatureScheme,
};
use crate::error::{CertificateError, Error, PeerIncompatible, PeerMisbehaved, Received};
use crate::handshake::config::{CertifiedKey, ClientConfig};
use crate::handshake::core::{Core, Incoming, expect_payload};
use crate::handshake::machine::{Fatal, Handshake, RecvMessage, SendMessage};
use crate::handshake::role::Client;
use crate::handshake::shape::{ClientAuth, Full, NoClientCert, Resumed, Shape};
use crate::handshake::side::ClientSide;
use crate::message::tls13::KeyShareEntry;
use crate::message::{
    CertificateChain, CertificateStatusRequest, CipherSuites, ClientExtension, ClientExtensions,
    ClientHello, ClientKeyExchange, DigitallySigned, HandshakePayload, NamedGroups,
    OcspStatusRequest, Random, ServerHello, ServerKeyExchange, SessionId, SignatureSchemes,
};
use crate::session::{ClientSession, SessionState};

impl Handshake<Client, state::ClientHello> {
    /// Starts a client handshake with `server_name`: a DNS name is sent as
    /// SNI, checked against the certificate and used to find a session to
    /// resume; an IP address is only checked.
    pub fn client(config: Arc<ClientConfig>, server_name: ServerName<'static>) -> Self {
        let side = ClientSide {
            server_name,
            offered_suites: CipherSuites::new(),
            offered_groups: NamedGroups::new(),
            offered_schemes: SignatureSchemes::new(),
            offered_session: None,
            offered_ticket_extension: false,
            ticket_promised: false,
            offered_status_request: false,
            status_promised: false,
            new_ticket: None,
            server_public: Vec::new(),
            requested_schemes: Vec::new(),
            requested_context: Vec::new(),
            client_scheme: None,
            server_finished: None,
            offered_tls13: false,
            sent_session_id: SessionId::EMPTY,
            key_share: None,
            tls13: Default::default(),
            server_scheme: None,
            sent_hello: None,
            retry_suite: None,
            retry_cookie: None,
            offered_ticket13: None,
            early_requested: false,
            early: None,
            sent_compat_ccs: false,
        };
        let mut core = Core::<Client>::new(config, side);
        core.writer
            .set_max_fragment_len(core.config.max_fragment_len);
        core.writer
            .set_idle_capacity(core.config.idle_buffer_capacity);
        core.reader
            .set_idle_capacity(core.config.idle_buffer_capacity);
        // A client reads no ClientHello (one is unexpected_message), so
        // it gets no more room than any other message.
        core.reader
            .set_max_client_hello_len(core.config.max_handshake_message_len);
        core.reader
            .set_max_handshake_len(core.config.max_handshake_message_len);
        // Signing a CertificateVerify needs the raw transcript, whatever
        // the PRF hash; keep it only if we might have to.
        core.transcript
            .keep_buffer(core.config.client_certificate.is_some());
        Self::from_parts(Box::new(core), Hello::new())
    }
}

fn dns_name<'a>(name: &'a ServerName<'_>) -> Option<&'a str> {
    match name {
        ServerName::DnsName(name) => Some(name.as_ref()),
        _ => None,
    }
}

/// The session to offer, if the store has a usable one (RFC 5246 7.4.1.2,
/// RFC 5077 3.4), and the session ID to send with it.
fn session_to_offer(core: &Core<Client>) -> Result<Option<(ClientSession, SessionId)>, Error> {
    let config = &core.config;
    let (Some(store), Some(name)) = (&config.session_store, dns_name(&core.side.server_name))
    else {
        return Ok(None);
    };
    let Some(session) = store.get(name) else {
        return Ok(None);
    };
    let usable = core
        .side
        .offered_suites
        .contains(&session.state.cipher_suite)
        && (session.state.extended_master_secret || !config.require_extended_master_secret)
        && (session.ticket.is_none() || config.enable_tickets);
    if !usable {
        return Ok(None);
    }
    // With a ticket, a fresh session ID lets us see whether the server
    // accepted it: it echoes the ID when it resumes (RFC 5077 3.4).
    let id = match (&session.ticket, session.session_id.is_empty()) {
        (Some(_), true) => {
            let mut id = [0u8; 32];
            crypto::fill_random(&mut id)?;
            SessionId::new(&id)
        }
        _ => SessionId::new(&session.session_id),
    };
    Ok(id.map(|id| (session, id)))
}

fn client_hello(core: &mut Core<Client>) -> Result<ClientHello, Error> {
    let config = core.config.clone();
    let offer_tls13 = config.versions.contains(&ProtocolVersion::Tls13);
    let offer_tls12 = config.versions.contains(&ProtocolVersion::Tls12);
    let side = &mut core.side;
    // The TLS 1.3 suites first (those the configuration names, else all
    // three, as the server reads it), then the TLS 1.2 ones it names (a
    // 1.3-only client offers no 1.2 suite).
    let tls13_suites = crypto::tls13::configured_tls13_suites(&config.cipher_suites)
        .map(|s| s.suite)
        .filter(|_| offer_tls13);
    let tls12_suites = config
        .cipher_suites
        .iter()
        .copied()
        .filter(|s| offer_tls12 && crypto::lookup(*s).is_some());
    side.offered_suites = tls13_suites.chain(tls12_suites).collect();
    side.offered_tls13 = offer_tls13;
    side.offered_groups = config
        .groups
        .iter()
        .copied()
        .filter(|g| crypto::is_supported_group(*g))
        .collect();
    side.offered_schemes = config
        .signature_schemes
        .iter()
        .copied()
        .filter(|s| crypto::scheme_algorithm(*s).is_some())
        .collect();
    if side.offered_suites.is_empty()
        || side.offered_groups.is_empty()
        || side.offered_schemes.is_empty()
    {
        return Err(Error::Config(
            "no supported version, cipher suite, group or signature scheme configured".into(),
        ));
    }
    crypto::fill_random(&mut core.client_random)?;
    core.side.offered_session = session_to_offer(core)?;
    let side = &mut core.side;

    let mut extensions = ClientExtensions::new();
    if let Some(name) = dns_name(&side.server_name) {
        extensions.push(ClientExtension::ServerName(name.as_bytes().to_vec()));
    }
    extensions.push(ClientExtension::SupportedGroups(
        side.offered_groups.clone(),
    ));
    if offer_tls12 {
        extensions.push(ClientExtension::EcPointFormats(smallvec![
            EcPointFormat::Uncompressed
        ]));
    }
    extensions.push(ClientExtension::SignatureAlgorithms(
        side.offered_schemes.clone(),
    ));
    if let Some(schemes) = &config.signature_algorithms_cert
        && !schemes.is_empty()
    {
        extensions.push(ClientExtension::SignatureAlgorithmsCert(
            schemes.iter().copied().collect(),
        ));
    }
    if offer_tls12 {
        extensions.push(ClientExtension::ExtendedMasterSecret);
    }
    if !config.alpn_protocols.is_empty() {
        extensions.push(ClientExtension::Alpn(config.alpn_protocols.clone()));
    }
    if config.enable_tickets && offer_tls12 {
        let ticket = side
            .offered_session
            .as_ref()
            .and_then(|(session, _)| session.ticket.clone());
        extensions.push(ClientExtension::SessionTicket(ticket.unwrap_or_default()));
        side.offered_ticket_extension = true;
    }
    if config.request_ocsp {
        // Any responder, no request extensions (RFC 6066 8).
        extensions.push(ClientExtension::StatusRequest(
            CertificateStatusRequest::Ocsp(OcspStatusRequest::default()),
        ));
        side.offered_status_request = true;
    }
    if offer_tls12 {
        // RFC 5746 3.4: an empty renegotiation_info on the initial handshake.
        extensions.push(ClientExtension::RenegotiationInfo(Vec::new()));
    }
    if offer_tls13 {
        // RFC 8446 4.2.1: the versions, most preferred first.
        extensions.push(ClientExtension::SupportedVersions(
            config
                .versions
                .iter()
                .copied()
                .filter(|v| matches!(v, ProtocolVersion::Tls13 | ProtocolVersion::Tls12))
                .collect(),
        ));
        // One share, for the group we prefer (RFC 8446 4.2.8); a server
        // that wants another asks with a HelloRetryRequest.
        let group = *side
            .offered_groups
            .first()
            .ok_or(Error::Internal("no group to share a key for"))?;
        let kx = EphemeralKeyExchange::generate(group)?;
        extensions.push(ClientExtension::KeyShare(vec![KeyShareEntry {
            group,
            key_exchange: kx.public_key().to_vec(),
        }]));
        side.key_share = Some(kx);
        if config.post_handshake_auth {
            // RFC 8446 4.2.6: an empty extension.
            extensions.push(ClientExtension::PostHandshakeAuth);
        }
        // Last: pre_shared_key must end the hello (RFC 8446 4.2.11).
        crate::handshake::tls13::client::offer_ticket13(&config, side, &mut extensions);
    }
    side.sent_session_id = match &side.offered_session {
        Some((_, id)) => *id,
        // RFC 8446 D.4: a fresh 32-byte session ID makes a middlebox take
        // the TLS 1.3 handshake for a TLS 1.2 resumption.
        None if offer_tls13 && config.middlebox_compat => {
            let mut id = [0u8; 32];
            crypto::fill_random(&mut id)?;
            SessionId::new(&id).ok_or(Error::Internal("a 32-byte session ID"))?
        }
        None => SessionId::EMPTY,
    };
    Ok(ClientHello {
        client_version: ProtocolVersion::Tls12,
        random: Random(core.client_random),
        session_id: side.sent_session_id,
        cipher_suites: side.offered_suites.clone(),
        compression_methods: smallvec![Compression::Null],
        extensions,
    })
}

impl<P: Shape> SendMessage<Client, P> for state::ClientHello {
    type Next = state::ServerHello;

    fn send(
        hs: Handshake<Client, Self, P>,
    ) -> Result<Handshake<Client, state::ServerHello, P>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            let hello = Box::new(client_hello(&mut hs.core)?);
            // With a TLS 1.3 ticket to offer, its binder is patched in
            // over the encoded hello.
            let sent = crate::handshake::tls13::client::send_client_hello(&mut hs.core, hello)?;
            if hs.core.side.offered_tls13 {
                hs.core.reader.drop_compat_ccs_before_server_hello();
            }
            // Kept for a HelloRetryRequest (moved back, not copied).
            if hs.core.side.offered_tls13 {
                hs.core.side.sent_hello = Some(sent);
            }
            Ok(())
        })?;
        Ok(hs.advance_same())
    }
}

/// Checks the ServerHello against what we offered (RFC 5246 7.4.1.3,
/// RFC 7627 5.2, RFC 5746 3.4, RFC 8422 5.2, RFC 7301 3.1, RFC 5077 3.2).
fn check_server_hello(core: &mut Core<Client>, hello: &ServerHello) -> Result<Negotiated, Error> {
    if hello.server_version != ProtocolVersion::Tls12 {
        return Err(PeerIncompatible::ProtocolVersion.into());
    }
    let suite: &'static SupportedCipherSuite = match crypto::lookup(hello.cipher_suite) {
        Some(suite) if core.side.offered_suites.contains(&hello.cipher_suite) => suite,
        _ => {
            return Err(PeerMisbehaved::IllegalParameter("a cipher suite we did not offer").into());
        }
    };
    if hello.compression_method != Compression::Null {
        return Err(
            PeerMisbehaved::IllegalParameter("a compression method we did not offer").into(),
        );
    }
    // Only extensions we sent may come back (RFC 5246 7.4.1.4).
    let offered = |typ: ExtensionType| match typ {
        ExtensionType::ServerName
        | ExtensionType::EcPointFormats
        | ExtensionType::ExtendedMasterSecret
        | ExtensionType::RenegotiationInfo => true,
        ExtensionType::ApplicationLayerProtocolNegotiation => {
            !core.config.alpn_protocols.is_empty()
        }
        ExtensionType::SessionTicket => core.side.offered_ticket_extension,
        ExtensionType::StatusRequest => core.side.offered_status_request,
        _ => false,
    };
    if hello.extensions.iter().any(|ext| !offered(ext.typ())) {
        return Err(PeerMisbehaved::IllegalParameter("an extension we did not offer").into());
    }
    let alpn_protocol = hello.alpn_protocol().map(<[u8]>::to_vec);
    if alpn_protocol
        .as_ref()
        .is_some_and(|chosen| !core.config.alpn_protocols.contains(chosen))
    {
        return Err(
            PeerMisbehaved::IllegalParameter("an application protocol we did not offer").into(),
        );
    }
    if hello
        .renegotiation_info()
        .is_some_and(|info| !info.is_empty())
    {
        return Err(PeerMisbehaved::BadRenegotiationInfo.into());
    }
    if hello
        .ec_point_formats()
        .is_some_and(|formats| !formats.contains(&EcPointFormat::Uncompressed))
    {
        return Err(PeerIncompatible::UncompressedPointsRequired.into());
    }
    let extended_master_secret = hello.accepts_extended_master_secret();
    if !extended_master_secret && core.config.require_extended_master_secret {
        return Err(PeerIncompatible::ExtendedMasterSecretRequired.into());
    }
    core.side.ticket_promised = hello.acknowledges_session_ticket();
    core.side.status_promised = hello.acknowledges_status_request();
    core.server_random = hello.random.0;
    core.transcript.start_hash(suite.hash);
    core.hash_received();
    Ok(Negotiated {
        suite,
        session_id: hello.session_id.as_bytes().to_vec(),
        extended_master_secret,
        alpn_protocol,
        server_name: dns_name(&core.side.server_name).map(str::to_owned),
        resumed_by: None,
    })
}

/// If the server echoed the session ID we offered, it resumes that session:
/// the suite and the extended master secret must match it (RFC 5246
/// 7.4.1.3, RFC 7627 5.3).
fn resumed_session(
    core: &Core<Client>,
    hello: &ServerHello,
) -> Result<Option<ClientSession>, Error> {
    let Some((session, offered_id)) = &core.side.offered_session else {
        return Ok(None);
    };
    if hello.session_id.is_empty() || hello.session_id != *offered_id {
        return Ok(None);
    }
    if hello.cipher_suite != session.state.cipher_suite {
        return Err(
            PeerMisbehaved::IllegalParameter("a different suite for the resumed session").into(),
        );
    }
    if hello.accepts_extended_master_secret() != session.state.extended_master_secret {
        return Err(PeerMisbehaved::ExtendedMasterSecretMismatch.into());
    }
    Ok(Some(session.clone()))
}

/// Accepts a TLS 1.2 ServerHello (the version layer has decided it is
/// one): what it negotiated, and the session it resumes, if any, whose
/// keys are then made.
pub(crate) fn accept_server_hello(
    core: &mut Core<Client>,
    hello: &ServerHello,
) -> Result<(Negotiated, Option<ClientSession>), Error> {
    let resumed = resumed_session(core, hello)?;
    let negotiated = check_server_hello(core, hello)?;
    if let Some(session) = &resumed {
        let key_log = core.config.key_log.clone();
        core.set_master_secret(&session.state.master_secret);
        install_keys(core, negotiated.suite, key_log.as_deref(), true)?;
    }
    Ok((negotiated, resumed))
}

/// What a resumed handshake knows from the start: the session's.
pub(crate) fn resumed_known(mut negotiated: Negotiated, session: ClientSession) -> Keyed {
    // A session offered with its ticket was resumed by the ticket (the
    // server echoes the session ID we sent with it, RFC 5077 3.4).
    negotiated.resumed_by = Some(match session.ticket {
        Some(_) => crate::session::ResumedBy::Ticket,
        None => crate::session::ResumedBy::SessionId,
    });
    Keyed {
        certified: Certified {
            negotiated,
            server_certificates: session.server_certificates,
            // No Certificate, so no CertificateStatus, on resumption.
            ocsp_response: None,
        },
        group: session.state.group,
        signature_scheme: session.state.signature_scheme,
        client_certificates: Arc::default(),
    }
}

impl<P: Shape> RecvMessage<Client, P> for state::ServerCert {
    /// The optional CertificateStatus is next, then the ServerKeyExchange.
    type Next = Handshake<Client, state::ServerCertStatus, P>;

    fn recv(hs: Handshake<Client, Self, P>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, chain) = hs.try_with(|hs| {
            let chain = expect_payload!(message, Certificate)?.0;
            let (end_entity, intermediates) = chain.split_first().ok_or(CertificateError::Empty)?;
            hs.core.config.verifier.verify_server_cert(
                end_entity,
                intermediates,
                &hs.core.side.server_name,
                UnixTime::now(),
            )?;
            hs.core.hash_received();
            Ok(chain)
        })?;
        Ok(hs.advance(|negotiated| Certified {
            negotiated,
            server_certificates: chain,
            ocsp_response: None,
        }))
    }
}

/// What came after the server's Certificate: its optional
/// CertificateStatus, or directly its ServerKeyExchange. Match on it to go
/// on.
#[derive(Debug)]
pub enum AfterServerCert {
    /// A stapled OCSP response came (and the verifier accepted it); the
    /// ServerKeyExchange is next.
    CertificateStatus(Handshake<Client, state::ServerKey, Full>),
    /// No CertificateStatus: the ServerKeyExchange came (and was checked);
    /// a CertificateRequest or the ServerHelloDone is next.
    NoCertificateStatus(Handshake<Client, state::ServerCertReq, Full>),
}

/// Hands the stapled response (or its absence) to the verifier, with the
/// chain it belongs to.
fn verify_ocsp(
    core: &Core<Client>,
    known: &Certified,
    ocsp_response: Option<&[u8]>,
) -> Result<(), Error> {
    let (end_entity, intermediates) = known
        .server_certificates
        .split_first()
        .ok_or(CertificateError::Empty)?;
    core.config.verifier.verify_ocsp_response(
        end_entity,
        intermediates,
        &core.side.server_name,
        ocsp_response,
        UnixTime::now(),
    )?;
    Ok(())
}

impl RecvMessage<Client, Full> for state::ServerCertStatus {
    type Next = AfterServerCert;

    fn recv(hs: Handshake<Client, Self, Full>, message: Incoming) -> Result<Self::Next, Fatal> {
        match message {
            // RFC 6066 8: a server that sends CertificateStatus MUST have
            // acknowledged status_request; one that did not has sent a
            // message this handshake cannot have.
            Incoming::Handshake(HandshakePayload::CertificateStatus(_))
                if !hs.core.side.status_promised =>
            {
                Err(hs.fatal(Error::UnexpectedMessage {
                    expected: "ServerKey",
                    got: Received::Handshake(HandshakeType::CertificateStatus),
                }))
            }
            Incoming::Handshake(HandshakePayload::CertificateStatus(status)) => {
                let (hs, ()) = hs.try_with(|hs| {
                    verify_ocsp(&hs.core, &hs.known, Some(&status.ocsp_response))?;
                    hs.core.hash_received();
                    Ok(())
                })?;
                Ok(AfterServerCert::CertificateStatus(hs.advance(
                    |mut certified: Certified| {
                        certified.ocsp_response = Some(status.ocsp_response);
                        certified
                    },
                )))
            }
            _ => {
                // The optional row was skipped: this is the
                // ServerKeyExchange. An acknowledgement does not oblige the
                // server to staple (OpenSSL's client reads RFC 6066 8 so too).
                let (hs, ()) = hs.try_with(|hs| verify_ocsp(&hs.core, &hs.known, None))?;
                let key: Handshake<Client, state::ServerKey, Full> = hs.advance_same();
                <state::ServerKey as RecvMessage<Client, Full>>::recv(key, message)
                    .map(AfterServerCert::NoCertificateStatus)
            }
        }
    }
}

fn check_server_key_exchange(
    core: &mut Core<Client>,
    known: &Certified,
    exchange: ServerKeyExchange,
) -> Result<(NamedGroup, SignatureScheme), Error> {
    let group = exchange.params.group;
    if !core.side.offered_groups.contains(&group) {
        return Err(PeerMisbehaved::IllegalParameter("a group we did not offer").into());
    }
    let scheme = exchange.signed.scheme;
    let suite = known.negotiated.suite;
    // FREAK-style parameter games: the scheme must be one we offered and
    // fit the suite's signature algorithm.
    if !core.side.offered_schemes.contains(&scheme)
        || crypto::scheme_algorithm(scheme) != Some(suite.signature)
    {
        return Err(PeerMisbehaved::IllegalParameter(
            "a signature scheme we did not offer for this suite",
        )
        .into());
    }
    let end_entity = known
        .server_certificates
        .first()
        .ok_or(CertificateError::Empty)?;
    let message = SignedParams::new(core, &exchange.params);
    crypto::verify_signature(
        end_entity,
        scheme,
        message.as_bytes(),
        &exchange.signed.signature,
    )?;
    core.side.server_public = exchange.params.public;
    core.hash_received();
    Ok((group, scheme))
}

impl<P: Shape> RecvMessage<Client, P> for state::ServerKey {
    type Next = Handshake<Client, state::ServerCertReq, P>;

    fn recv(hs: Handshake<Client, Self, P>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, (group, signature_scheme)) = hs.try_with(|hs| {
            let exchange = expect_payload!(message, ServerKeyExchange)?;
            check_server_key_exchange(&mut hs.core, &hs.known, exchange)
        })?;
        Ok(hs.advance(|certified| Keyed {
            certified,
            group,
            signature_scheme,
            client_certificates: Arc::default(),
        }))
    }
}

/// What came after ServerKeyExchange: the server's optional
/// CertificateRequest, or directly its ServerHelloDone. Match on it: the
/// client's Certificate and CertificateVerify exist only on the
/// `CertificateRequested` path.
#[derive(Debug)]
pub enum AfterServerKey {
    /// No CertificateRequest: the ServerHelloDone came, the client's key
    /// exchange is next.
    NoCertificateRequest(Handshake<Client, state::ClientKey, Full>),
    /// The server asked for a certificate; its ServerHelloDone is next.
    CertificateRequested(Handshake<Client, state::ServerHelloDone, ClientAuth>),
}

impl RecvMessage<Client, Full> for state::ServerCertReq {
    type Next = AfterServerKey;

    fn recv(hs: Handshake<Client, Self, Full>, message: Incoming) -> Result<Self::Next, Fatal> {
        match message {
            Incoming::Handshake(HandshakePayload::CertificateRequest(request)) => {
                let (hs, ()) = hs.try_with(|hs| {
                    hs.core.side.requested_schemes = request.supported_signature_algorithms;
                    hs.core.hash_received();
                    Ok(())
                })?;
                Ok(AfterServerKey::CertificateRequested(
                    hs.reshape(|known| known),
                ))
            }
            _ => {
                // The optional row was skipped: this is the ServerHelloDone.
                let mut done: Handshake<Client, state::ServerHelloDone, Full> = hs.advance_same();
                done.core.hash_received();
                // Nothing will be signed: the raw transcript can go.
                done.core.transcript.keep_buffer(false);
                Ok(AfterServerKey::NoCertificateRequest(done.advance_same()))
            }
        }
    }
}

impl RecvMessage<Client, ClientAuth> for state::ServerHelloDone {
    type Next = Handshake<Client, state::ClientCert, ClientAuth>;

    fn recv(
        mut hs: Handshake<Client, Self, ClientAuth>,
        _message: Incoming,
    ) -> Result<Self::Next, Fatal> {
        hs.core.hash_received();
        Ok(hs.advance_same())
    }
}

impl Handshake<Client, state::ClientCert, ClientAuth> {
    /// The configured certificate and the scheme to sign with, if the
    /// server's CertificateRequest accepts them.
    fn usable_certificate(&self) -> Option<(CertifiedKey, SignatureScheme)> {
        let certified = self.core.config.client_certificate.clone()?;
        let scheme = certified
            .key
            .choose_scheme(&self.core.side.requested_schemes)?;
        Some((certified, scheme))
    }

    /// Whether the configured client certificate can answer this
    /// CertificateRequest (a key whose schemes the server accepts).
    pub fn can_send_certificate(&self) -> bool {
        self.usable_certificate().is_some()
    }

    /// Sends the configured certificate chain; a CertificateVerify follows
    /// the key exchange. Without a usable certificate this fails with a
    /// configuration error: check [`can_send_certificate`](Self::can_send_certificate).
    pub fn send_certificate(
        self,
    ) -> Result<Handshake<Client, state::ClientKey, ClientAuth>, Fatal> {
        let usable = self.usable_certificate();
        let (hs, chain) = self.try_with(|hs| {
            let (certified, _) = usable
                .ok_or_else(|| Error::Config("no client certificate the server accepts".into()))?;
            hs.core
                .send_handshake(HandshakePayload::Certificate(CertificateChain(
                    certified.chain.clone(),
                )))?;
            Ok(certified.chain)
        })?;
        Ok(hs.advance(|mut keyed| {
            keyed.client_certificates = chain;
            keyed
        }))
    }

    /// Sends an empty Certificate: no client authentication, and no
    /// CertificateVerify (RFC 5246 7.4.6).
    pub fn send_no_certificate(
        self,
    ) -> Result<Handshake<Client, state::ClientKey, NoClientCert>, Fatal> {
        let (mut hs, ()) = self.try_with(|hs| {
            hs.core
                .send_handshake(HandshakePayload::Certificate(CertificateChain::default()))
        })?;
        hs.core.transcript.keep_buffer(false);
        Ok(hs.reshape(|known| known))
    }
}

/// Our key exchange: completes ECDHE with the server's key, sends our
/// public key and derives the keys.
fn send_client_key<P: Shape>(hs: &mut Handshake<Client, state::ClientKey, P>) -> Result<(), Error> {
    let kx = EphemeralKeyExchange::generate(hs.known.group)?;
    let public = kx.public_key().to_vec();
    let server_public = core::mem::take(&mut hs.core.side.server_public);
    let premaster = kx.complete(&server_public)?;
    hs.core
        .send_handshake(HandshakePayload::ClientKeyExchange(ClientKeyExchange {
            public,
        }))?;
    let negotiated: &Negotiated = hs.known.knows();
    let (suite, ems) = (negotiated.suite, negotiated.extended_master_secret);
    let key_log = hs.core.config.key_log.clone();
    derive_master(
        &mut hs.core,
        suite,
        ems,
        &premaster,
        key_log.as_deref(),
        true,
    )
}

impl<P: WithoutCertificateVerify> SendMessage<Client, P> for state::ClientKey {
    type Next = state::ClientChangeCipherSpec;

    fn send(hs: Handshake<Client, Self, P>) -> Result<Handshake<Client, Self::Next, P>, Fatal> {
        let (hs, ()) = hs.try_with(send_client_key)?;
        Ok(hs.advance_same())
    }
}

impl SendMessage<Client, ClientAuth> for state::ClientKey {
    type Next = state::ClientCertVerify;

    fn send(
        hs: Handshake<Client, Self, ClientAuth>,
    ) -> Result<Handshake<Client, Self::Next, ClientAuth>, Fatal> {
        let (hs, ()) = hs.try_with(send_client_key)?;
        Ok(hs.advance_same())
    }
}

impl SendMessage<Client, ClientAuth> for state::ClientCertVerify {
    type Next = state::ClientChangeCipherSpec;

    fn send(
        hs: Handshake<Client, Self, ClientAuth>,
    ) -> Result<Handshake<Client, Self::Next, ClientAuth>, Fatal> {
        let (mut hs, ()) = hs.try_with(|hs| {
            let certified = hs
                .core
                .config
                .client_certificate
                .clone()
                .ok_or(Error::Internal("no client certificate to sign with"))?;
            let scheme = certified
                .key
                .choose_scheme(&hs.core.side.requested_schemes)
                .ok_or(Error::Internal("no scheme for CertificateVerify"))?;
            // RFC 5246 7.4.8: the signature covers every handshake message
            // so far, hashed with the scheme's own hash.
            let transcript = hs
                .core
                .transcript
                .buffer()
                .ok_or(Error::Internal("transcript not kept"))?;
            let signature = certified.key.sign(scheme, transcript)?;
            hs.core
                .send_handshake(HandshakePayload::CertificateVerify(DigitallySigned {
                    scheme,
                    signature,
                }))
        })?;
        hs.core.transcript.keep_buffer(false);
        Ok(hs.advance_same())
    }
}

impl<P: Shape> SendMessage<Client, P> for state::ClientChangeCipherSpec {
    type Next = state::ClientFinished;

    fn send(hs: Handshake<Client, Self, P>) -> Result<Handshake<Client, Self::Next, P>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| hs.core.send_change_cipher_spec())?;
        Ok(hs.advance_same())
    }
}

impl<P: FullShape> SendMessage<Client, P> for state::ClientFinished {
    /// The server's optional NewSessionTicket comes next, then its
    /// ChangeCipherSpec.
    type Next = state::ServerNewSessionTicket;

    fn send(hs: Handshake<Client, Self, P>) -> Result<Handshake<Client, Self::Next, P>, Fatal> {
        let (hs, ()) = hs.try_with(send_finished)?;
        Ok(hs.advance_same())
    }
}

impl SendMessage<Client, Resumed> for state::ClientFinished {
    /// In a resumed handshake the client's Finished is the last message.
    type Next = state::HandshakeOver;

    fn send(
        hs: Handshake<Client, Self, Resumed>,
    ) -> Result<Handshake<Client, Self::Next, Resumed>, Fatal> {
        let (mut hs, ()) = hs.try_with(send_finished)?;
        remember_session(&hs.core, &hs.known, true);
        match hs.core.side.server_finished.take() {
            Some(verified) => Ok(hs.finish(verified)),
            None => Err(hs.fatal(Error::Internal("client Finished before the server's"))),
        }
    }
}

/// What came after the client's Finished (or, resuming, after
/// ServerHello): the optional NewSessionTicket, or directly the server's
/// ChangeCipherSpec.
#[derive(Debug)]
pub enum AfterTicket<P: Shape> {
    /// A NewSessionTicket came (and was kept); the server's
    /// ChangeCipherSpec is next.
    Ticket(Handshake<Client, state::ServerChangeCipherSpec, P>),
    /// No ticket: the ChangeCipherSpec came (and the read keys changed);
    /// the server's Finished is next.
    NoTicket(Handshake<Client, state::ServerFinished, P>),
}

impl<P: Shape> RecvMessage<Client, P> for state::ServerNewSessionTicket {
    type Next = AfterTicket<P>;

    fn recv(hs: Handshake<Client, Self, P>, message: Incoming) -> Result<Self::Next, Fatal> {
        // RFC 5077 3.3: a server that acknowledged the extension MUST send
        // a ticket, and one that did not MUST NOT.
        let promised = hs.core.side.ticket_promised;
        match message {
            Incoming::Handshake(HandshakePayload::NewSessionTicket(ticket)) if promised => {
                let (hs, ()) = hs.try_with(|hs| {
                    hs.core.side.new_ticket = Some((ticket.lifetime_hint, ticket.ticket));
                    hs.core.hash_received();
                    Ok(())
                })?;
                Ok(AfterTicket::Ticket(hs.advance_same()))
            }
            Incoming::ChangeCipherSpec if !promised => {
                let ccs: Handshake<Client, state::ServerChangeCipherSpec, P> = hs.advance_same();
                let (ccs, ()) = ccs.try_with(|hs| hs.core.recv_change_cipher_spec())?;
                Ok(AfterTicket::NoTicket(ccs.advance_same()))
            }
            Incoming::ChangeCipherSpec => Err(hs.fatal(Error::UnexpectedMessage {
                expected: "ServerNewSessionTicket",
                got: Received::Record(ContentType::ChangeCipherSpec),
            })),
            _ => Err(hs.fatal(Error::UnexpectedMessage {
                expected: "ServerChangeCipherSpec",
                got: Received::Handshake(HandshakeType::NewSessionTicket),
            })),
        }
    }
}

impl<P: Shape> RecvMessage<Client, P> for state::ServerChangeCipherSpec {
    type Next = Handshake<Client, state::ServerFinished, P>;

    fn recv(hs: Handshake<Client, Self, P>, _message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, ()) = hs.try_with(|hs| hs.core.recv_change_cipher_spec())?;
        Ok(hs.advance_same())
    }
}

impl<P: FullShape> RecvMessage<Client, P> for state::ServerFinished {
    type Next = Handshake<Client, state::HandshakeOver, P>;

    fn recv(hs: Handshake<Client, Self, P>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, verified) = hs.try_with(|hs| check_finished(hs, message))?;
        remember_session(&hs.core, &hs.known, false);
        Ok(hs.finish(verified))
    }
}

impl RecvMessage<Client, Resumed> for state::ServerFinished {
    type Next = Handshake<Client, state::ClientChangeCipherSpec, Resumed>;

    fn recv(hs: Handshake<Client, Self, Resumed>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            let verified = check_finished(hs, message)?;
            hs.core.side.server_finished = Some(verified);
            Ok(())
        })?;
        Ok(hs.advance_same())
    }
}

/// Keeps the session for resumption once the handshake is complete: its
/// session ID and any ticket, under the server name.
fn remember_session(core: &Core<Client>, known: &Keyed, resumed: bool) {
    let (Some(store), Some(name)) = (&core.config.session_store, dns_name(&core.side.server_name))
    else {
        return;
    };
    let Some(master_secret) = core.master_secret.clone() else {
        return;
    };
    let negotiated = &known.certified.negotiated;
    let previous = core
        .side
        .offered_session
        .as_ref()
        .map(|(session, _)| session);
    let (lifetime_hint, ticket) = match (&core.side.new_ticket, previous) {
        (Some((hint, ticket)), _) => (*hint, Some(ticket.clone())),
        (None, Some(session)) if resumed => (session.lifetime_hint, session.ticket.clone()),
        (None, _) => (0, None),
    };
    if negotiated.session_id.is_empty() && ticket.is_none() {
        return;
    }
    let created = match previous {
        Some(session) if resumed => session.state.created,
        _ => crate::session::now_secs(),
    };
    let session = ClientSession {
        session_id: negotiated.session_id.clone(),
        ticket,
        lifetime_hint,
        state: SessionState {
            cipher_suite: negotiated.suite.suite,
            master_secret,
            extended_master_secret: negotiated.extended_master_secret,
            group: known.group,
            signature_scheme: known.signature_scheme,
            alpn_protocol: negotiated.alpn_protocol.clone(),
            server_name: negotiated.server_name.clone(),
            created,
            // The server remembers the client's chain; the client has no
            // use for its own.
            client_certificates: Arc::default(),
        },
        server_certificates: known.certified.server_certificates.clone(),
    };
    store.put(name, session);
}
