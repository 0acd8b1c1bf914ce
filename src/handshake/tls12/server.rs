//! The server's transitions: what it writes and how it checks what it reads.

use std::sync::Arc;

use smallvec::smallvec;

use rustls_pki_types::{CertificateDer, UnixTime};

use super::keys::{SignedParams, check_finished, derive_master, install_keys, send_finished};
use super::known::{Certified, Hello, Keyed, Knows, Negotiated};
use super::shape::{FullShape, WithoutCertificateVerify};
use super::table::state;
use crate::crypto::MasterSecret;
use crate::crypto::{self, EphemeralKeyExchange};
use crate::enums::{
    ClientCertificateType, Compression, EcPointFormat, NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::error::{CertificateError, Error, PeerIncompatible, PeerMisbehaved};
use crate::handshake::config::{
    CertifiedKey, ClientCertPolicy, DEFAULT_SIGNATURE_SCHEMES, ServerConfig,
};
use crate::handshake::core::{Core, Incoming, expect_payload};
use crate::handshake::machine::{Fatal, Handshake, RecvMessage, SendMessage};
use crate::handshake::role::Server;
use crate::handshake::shape::{ClientAuth, Full, NoClientCert, Resumed, ResumedClientAuth, Shape};
use crate::handshake::side::{Choice, ServerSide};
use crate::message::{
    CertificateChain, CertificateRequest, CertificateStatus, ClientHello, DigitallySigned,
    DistinguishedName, HandshakePayload, NewSessionTicket, Random, ServerEcdhParams,
    ServerExtension, ServerExtensions, ServerHello, ServerKeyExchange, SessionId,
};
use crate::session::{ResumedBy, SessionState, now_secs};

impl Handshake<Server, state::ClientHello> {
    /// Starts a server handshake that does not ask for client
    /// certificates: the first thing it does is read a ClientHello.
    pub fn server(config: Arc<ServerConfig>) -> Self {
        let mut core = Core::<Server>::new(config, ServerSide::default());
        core.writer
            .set_max_fragment_len(core.config.max_fragment_len);
        core.writer
            .set_idle_capacity(core.config.idle_buffer_capacity);
        core.reader
            .set_idle_capacity(core.config.idle_buffer_capacity);
        core.reader
            .set_max_client_hello_len(core.config.max_client_hello_len);
        core.reader
            .set_max_handshake_len(core.config.max_handshake_message_len);
        Self::from_parts(Box::new(core), Hello::new())
    }
}

impl Handshake<Server, state::ClientHello, ClientAuth> {
    /// Starts a server handshake that asks for a client certificate
    /// (CertificateRequest) in full handshakes; `policy` says whether one
    /// is required and how it is verified.
    pub fn server_requesting_client_cert(
        config: Arc<ServerConfig>,
        policy: ClientCertPolicy,
    ) -> Self {
        let side = ServerSide {
            client_auth: Some(policy),
            ..ServerSide::default()
        };
        let mut core = Core::<Server>::new(config, side);
        core.writer
            .set_max_fragment_len(core.config.max_fragment_len);
        core.writer
            .set_idle_capacity(core.config.idle_buffer_capacity);
        core.reader
            .set_idle_capacity(core.config.idle_buffer_capacity);
        core.reader
            .set_max_client_hello_len(core.config.max_client_hello_len);
        core.reader
            .set_max_handshake_len(core.config.max_handshake_message_len);
        // Verifying CertificateVerify needs the raw transcript.
        core.transcript.keep_buffer(true);
        Self::from_parts(Box::new(core), Hello::new())
    }
}

/// The application protocol for this handshake: the server's most
/// preferred one that this ClientHello offers (RFC 7301 3.2). Negotiated
/// on every handshake, resumed or not (RFC 7301 3.1); no overlap is
/// no_application_protocol.
fn negotiate_alpn(config: &ServerConfig, hello: &ClientHello) -> Result<Option<Vec<u8>>, Error> {
    Ok(match hello.alpn_protocols() {
        Some(offered) if !config.alpn_protocols.is_empty() => Some(
            config
                .alpn_protocols
                .iter()
                .find(|protocol| offered.contains(protocol))
                .cloned()
                .ok_or(PeerIncompatible::NoApplicationProtocol)?,
        ),
        _ => None,
    })
}

/// Chooses suite, group and scheme from the ClientHello, in the server's
/// order of preference (RFC 5246 7.4.1.2, RFC 8422 5.1, RFC 7627 5.2,
/// RFC 5746 3.6, RFC 6066 3, RFC 7301 3.2).
fn choose(config: &ServerConfig, hello: &ClientHello) -> Result<Choice, Error> {
    if hello.client_version.to_wire() < ProtocolVersion::Tls12.to_wire() {
        return Err(PeerIncompatible::ProtocolVersion.into());
    }
    let server_name = hello
        .server_name()
        .and_then(|name| core::str::from_utf8(name).ok())
        .map(str::to_owned);
    let by_name = server_name.as_deref().and_then(|name| {
        config
            .certificates_by_name
            .iter()
            .find(|(configured, _)| configured.eq_ignore_ascii_case(name))
    });
    let certified = match by_name {
        Some((_, certified)) => certified.clone(),
        None => CertifiedKey {
            chain: config.cert_chain.clone(),
            key: config.key.clone(),
            ocsp_response: config.ocsp_response.clone(),
        },
    };
    // `opaque OCSPResponse<1..2^24-1>` inside a handshake message whose
    // body (status_type, the 3-byte length, the response) must fit 2^24-1
    // bytes too: a response that cannot be sent is not stapled.
    const MAX_OCSP_RESPONSE_LEN: usize = (1 << 24) - 1 - 4;
    let ocsp_response = certified
        .ocsp_response
        .clone()
        .filter(|response| !response.is_empty() && response.len() <= MAX_OCSP_RESPONSE_LEN)
        .filter(|_| hello.status_request().is_some_and(|r| r.is_ocsp()));
    let alpn_protocol = negotiate_alpn(config, hello)?;
    // RFC 8422 5.1, 5.3: an ECDSA certificate must be on a curve the client
    // supports; otherwise no ECDSA suite can be chosen.
    let key_usable = match (certified.key.ecdsa_curve(), hello.supported_groups()) {
        (Some(curve), Some(offered)) => offered.contains(&curve),
        _ => true,
    };
    let key_algorithm = certified.key.algorithm();
    let suite = config
        .cipher_suites
        .iter()
        .filter(|suite| hello.cipher_suites.contains(suite))
        .filter_map(|suite| crypto::lookup(*suite))
        .find(|suite| key_usable && suite.signature == key_algorithm)
        .ok_or(PeerIncompatible::NoCommonCipherSuite)?;
    // RFC 8422 4: without supported_groups the client is taken to accept
    // any curve; we then use our first choice.
    let group = match hello.supported_groups() {
        Some(offered) => config
            .groups
            .iter()
            .copied()
            .find(|g| offered.contains(g) && crypto::is_supported_group(*g)),
        None => config
            .groups
            .iter()
            .copied()
            .find(|g| crypto::is_supported_group(*g)),
    }
    .ok_or(PeerIncompatible::NoCommonGroup)?;
    // RFC 5246 7.4.1.4.1: without signature_algorithms the client accepts
    // only SHA-1, which we do not sign with.
    let scheme = hello
        .signature_algorithms()
        .and_then(|offered| certified.key.choose_scheme(offered))
        .ok_or(PeerIncompatible::NoCommonSignatureScheme)?;
    if hello
        .ec_point_formats()
        .is_some_and(|formats| !formats.contains(&EcPointFormat::Uncompressed))
    {
        return Err(PeerIncompatible::UncompressedPointsRequired.into());
    }
    let extended_master_secret = hello.offers_extended_master_secret();
    if !extended_master_secret && config.require_extended_master_secret {
        return Err(PeerIncompatible::ExtendedMasterSecretRequired.into());
    }
    // RFC 5746 3.6: on an initial handshake renegotiation_info must be empty.
    if hello
        .renegotiation_info()
        .is_some_and(|info| !info.is_empty())
    {
        return Err(PeerMisbehaved::BadRenegotiationInfo.into());
    }
    let session_id = match &config.session_cache {
        Some(_) => {
            let mut id = [0u8; 32];
            crypto::fill_random(&mut id)?;
            SessionId::new(&id).unwrap_or(SessionId::EMPTY)
        }
        None => SessionId::EMPTY,
    };
    Ok(Choice {
        by_name: by_name.is_some(),
        certified,
        alpn_protocol,
        suite,
        group,
        scheme,
        extended_master_secret,
        secure_renegotiation: hello.renegotiation_info().is_some()
            || hello.offers_renegotiation_scsv(),
        echo_point_formats: hello.ec_point_formats().is_some(),
        server_name,
        session_id,
        ticket_promised: config.ticketer.is_some() && hello.session_ticket().is_some(),
        resumed_by: None,
        ocsp_response,
    })
}

/// The session the client asks to resume, if we hold it and may resume it:
/// a ticket we sealed, else a cached session ID. Anything unusable means a
/// full handshake, never an error (RFC 5077 3.4, RFC 5246 7.4.1.2).
fn resumable(config: &ServerConfig, hello: &ClientHello) -> Option<(SessionState, ResumedBy)> {
    let from_ticket = match (&config.ticketer, hello.session_ticket()) {
        (Some(ticketer), Some(ticket)) if !ticket.is_empty() => ticketer.open(ticket),
        _ => None,
    };
    let (session, by) = match from_ticket {
        Some(session) => (session, ResumedBy::Ticket),
        None => match &config.session_cache {
            Some(cache) if !hello.session_id.is_empty() => (
                cache.get(hello.session_id.as_bytes())?,
                ResumedBy::SessionId,
            ),
            _ => return None,
        },
    };
    let server_name = hello
        .server_name()
        .and_then(|name| core::str::from_utf8(name).ok());
    let usable = hello.cipher_suites.contains(&session.cipher_suite)
        && config.cipher_suites.contains(&session.cipher_suite)
        // RFC 7627 5.3: the extended master secret status must not change;
        // if it would, a full handshake follows instead.
        && session.extended_master_secret == hello.offers_extended_master_secret()
        && (session.extended_master_secret || !config.require_extended_master_secret)
        // RFC 6066 3: not across server names.
        && session.server_name.as_deref() == server_name;
    usable.then_some((session, by))
}

/// The TLS 1.2 answers to a ClientHello: the TLS 1.2 variants of
/// `negotiate`'s `AfterClientHello` (see there).
#[derive(Debug)]
pub(crate) enum Answer12<P: FullShape> {
    Full(Handshake<Server, state::ServerHello, P>),
    Resumed(Handshake<Server, state::ServerHello, Resumed>),
    ResumedWithClientCert(P::ResumedWithClientCert),
}

/// How the ClientHello is answered.
enum Resumption {
    /// A full handshake.
    No,
    /// Resumed; the client is not authenticated.
    Anonymous,
    /// Resumed; the session's client chain passed the current policy.
    WithClientCert,
}

/// Whether a session may resume under a client-auth `policy`, and how (see
/// [`AfterClientHello`]). A chain the verifier now rejects (expired,
/// revoked from the trust anchors, another CA) is not an error: the client
/// gets a full handshake and a CertificateRequest.
fn client_auth_resumption(policy: &ClientCertPolicy, session: &SessionState) -> Resumption {
    match session.client_certificates.split_first() {
        None if policy.required => Resumption::No,
        None => Resumption::Anonymous,
        Some((end_entity, intermediates)) => {
            match policy
                .verifier
                .verify_client_cert(end_entity, intermediates, UnixTime::now())
            {
                Ok(_) => Resumption::WithClientCert,
                Err(_) => Resumption::No,
            }
        }
    }
}

/// The read of the ClientHello both server shapes share: the choice is
/// made and recorded; `resumption` says, for a session we may resume,
/// whether to resume it and how.
fn recv_client_hello<P: FullShape>(
    hs: Handshake<Server, state::ClientHello, P>,
    hello: Box<ClientHello>,
    resumption: impl FnOnce(&Core<Server>, &SessionState) -> Resumption,
) -> Result<(Handshake<Server, state::ClientHello, P>, Resumption), Fatal> {
    hs.try_with(|hs| {
        let (resumed, how) = match resumable(&hs.core.config, &hello) {
            Some((session, by)) => match resumption(&hs.core, &session) {
                Resumption::No => (None, Resumption::No),
                how => (Some((session, by)), how),
            },
            None => (None, Resumption::No),
        };
        let mut choice = match &resumed {
            Some((session, _)) => resumption_choice(&hs.core.config, &hello, session)?,
            None => choose(&hs.core.config, &hello)?,
        };
        let resumed = resumed.map(|(session, by)| {
            // Echoing the client's session ID is what says "resumed"
            // (RFC 5246 7.4.1.3, RFC 5077 3.4).
            choice.session_id = hello.session_id;
            choice.resumed_by = Some(by);
            session
        });
        hs.core.client_random = hello.random.0;
        hs.core.transcript.start_hash(choice.suite.hash);
        hs.core.hash_received();
        hs.core.side.choice = Some(choice);
        if resumed.is_some() {
            hs.core.transcript.keep_buffer(false);
        }
        hs.core.side.resumed = resumed;
        Ok(how)
    })
}

/// The TLS 1.2 read of a ClientHello (the version is chosen in
/// `negotiate`): a full handshake or a resumption.
pub(crate) fn recv_client_hello12<P: FullShape>(
    hs: Handshake<Server, state::ClientHello, P>,
    hello: Box<ClientHello>,
) -> Result<Answer12<P>, Fatal> {
    {
        let (hs, how) = recv_client_hello(hs, hello, |core, session| {
            match &core.side.client_auth {
                Some(policy) => client_auth_resumption(policy, session),
                // Not asking for certificates, any session we hold may
                // resume; `send_resumed_hello` then reports no client
                // chain.
                None => Resumption::Anonymous,
            }
        })?;
        match how {
            Resumption::No => Ok(Answer12::Full(hs.advance_same())),
            Resumption::Anonymous => Ok(Answer12::Resumed(hs.reshape(|known| known))),
            // Only a server with a policy gets here, and only the
            // ClientAuth constructor sets one: for any other shape this
            // is our own bug.
            Resumption::WithClientCert => {
                match P::resumed_with_client_cert(hs.reshape(|known| known)) {
                    Ok(resumed) => Ok(Answer12::ResumedWithClientCert(resumed)),
                    Err(hs) => Err(hs.fatal(Error::Internal(
                        "a client-auth resumption without a client-auth shape",
                    ))),
                }
            }
        }
    }
}

/// The choice for a resumed session: its suite and parameters, with the
/// extensions of this hello.
fn resumption_choice(
    config: &ServerConfig,
    hello: &ClientHello,
    session: &SessionState,
) -> Result<Choice, Error> {
    let suite =
        crypto::lookup(session.cipher_suite).ok_or(Error::Internal("resumed an unknown suite"))?;
    Ok(Choice {
        certified: CertifiedKey {
            chain: config.cert_chain.clone(),
            key: config.key.clone(),
            ocsp_response: None,
        },
        by_name: false,
        // Not the session's: ALPN is negotiated again (RFC 7301 3.1).
        alpn_protocol: negotiate_alpn(config, hello)?,
        suite,
        group: session.group,
        scheme: session.signature_scheme,
        extended_master_secret: session.extended_master_secret,
        secure_renegotiation: hello.renegotiation_info().is_some()
            || hello.offers_renegotiation_scsv(),
        echo_point_formats: hello.ec_point_formats().is_some(),
        server_name: session.server_name.clone(),
        session_id: SessionId::EMPTY,
        ticket_promised: config.ticketer.is_some() && hello.session_ticket().is_some(),
        // Set by the caller, which knows where the session came from.
        resumed_by: None,
        // No Certificate, so no CertificateStatus, on resumption.
        ocsp_response: None,
    })
}

fn choice(core: &Core<Server>) -> Result<&Choice, Error> {
    core.side
        .choice
        .as_ref()
        .ok_or(Error::Internal("no choice before ServerHello"))
}

/// Writes the ServerHello for our choice.
fn send_server_hello(core: &mut Core<Server>) -> Result<Negotiated, Error> {
    crypto::fill_random(&mut core.server_random)?;
    // RFC 8446 4.1.3: a server that could have negotiated TLS 1.3 says so
    // in the last 8 bytes of its random, so a TLS 1.3 client can tell an
    // attacker's downgrade.
    if crate::handshake::negotiate::server::offers_tls13(core) {
        core.server_random[Random::LEN - Random::DOWNGRADE_TLS12.len()..]
            .copy_from_slice(&Random::DOWNGRADE_TLS12);
    }
    let choice = choice(core)?;
    let mut extensions = ServerExtensions::new();
    if choice.secure_renegotiation {
        extensions.push(ServerExtension::RenegotiationInfo(Vec::new()));
    }
    if choice.extended_master_secret {
        extensions.push(ServerExtension::ExtendedMasterSecret);
    }
    if choice.echo_point_formats {
        extensions.push(ServerExtension::EcPointFormats(smallvec![
            EcPointFormat::Uncompressed
        ]));
    }
    if choice.by_name {
        extensions.push(ServerExtension::ServerNameAck);
    }
    if let Some(protocol) = &choice.alpn_protocol {
        extensions.push(ServerExtension::Alpn(protocol.clone()));
    }
    if choice.ticket_promised {
        extensions.push(ServerExtension::SessionTicketAck);
    }
    // RFC 6066 8: sending CertificateStatus requires this empty ack.
    if choice.ocsp_response.is_some() {
        extensions.push(ServerExtension::StatusRequestAck);
    }
    let hello = ServerHello {
        server_version: ProtocolVersion::Tls12,
        random: Random(core.server_random),
        session_id: choice.session_id,
        cipher_suite: choice.suite.suite,
        compression_method: Compression::Null,
        extensions,
    };
    let negotiated = Negotiated {
        suite: choice.suite,
        session_id: choice.session_id.as_bytes().to_vec(),
        extended_master_secret: choice.extended_master_secret,
        alpn_protocol: choice.alpn_protocol.clone(),
        server_name: choice.server_name.clone(),
        resumed_by: choice.resumed_by,
    };
    core.send_handshake(HandshakePayload::ServerHello(hello))?;
    Ok(negotiated)
}

impl<P: FullShape> SendMessage<Server, P> for state::ServerHello {
    type Next = state::ServerCert;

    fn send(hs: Handshake<Server, Self, P>) -> Result<Handshake<Server, Self::Next, P>, Fatal> {
        let (hs, negotiated) = hs.try_with(|hs| send_server_hello(&mut hs.core))?;
        Ok(hs.advance(|_hello| negotiated))
    }
}

/// Writes the ServerHello of a resumption and installs the session's keys.
/// `client_identity` says whether the session's client chain is this
/// handshake's client identity: only in [`ResumedClientAuth`], whose
/// handshakes are made after the chain is verified again.
fn send_resumed_hello<P: Shape>(
    hs: Handshake<Server, state::ServerHello, P>,
    client_identity: bool,
) -> Result<Handshake<Server, state::ServerNewSessionTicket, P>, Fatal> {
    let (hs, keyed) = hs.try_with(|hs| {
        let negotiated = send_server_hello(&mut hs.core)?;
        let core: &mut Core<Server> = &mut hs.core;
        let session = core
            .side
            .resumed
            .as_ref()
            .ok_or(Error::Internal("resuming without a session"))?;
        let (group, signature_scheme) = (session.group, session.signature_scheme);
        let client_certificates = match client_identity {
            true => session.client_certificates.clone(),
            false => Arc::default(),
        };
        // Copied from the session straight into the `Core`'s wiped slot.
        core.master_secret
            .insert(MasterSecret::zeroed())
            .as_mut()
            .copy_from_slice(session.master_secret.as_bytes());
        let key_log = hs.core.config.key_log.clone();
        install_keys(&mut hs.core, negotiated.suite, key_log.as_deref(), false)?;
        let chain = choice(&hs.core)?.certified.chain.clone();
        Ok(Keyed {
            certified: Certified {
                negotiated,
                server_certificates: chain,
                ocsp_response: None,
            },
            group,
            signature_scheme,
            client_certificates,
        })
    })?;
    Ok(hs.advance(|_hello| keyed))
}

impl SendMessage<Server, Resumed> for state::ServerHello {
    /// Resuming, the optional NewSessionTicket is next, then our
    /// ChangeCipherSpec.
    type Next = state::ServerNewSessionTicket;

    fn send(
        hs: Handshake<Server, Self, Resumed>,
    ) -> Result<Handshake<Server, Self::Next, Resumed>, Fatal> {
        send_resumed_hello(hs, false)
    }
}

impl SendMessage<Server, ResumedClientAuth> for state::ServerHello {
    /// As in [`Resumed`]; the session's verified client chain becomes
    /// this handshake's client identity.
    type Next = state::ServerNewSessionTicket;

    fn send(
        hs: Handshake<Server, Self, ResumedClientAuth>,
    ) -> Result<Handshake<Server, Self::Next, ResumedClientAuth>, Fatal> {
        send_resumed_hello(hs, true)
    }
}

impl<P: FullShape> SendMessage<Server, P> for state::ServerCert {
    /// The optional CertificateStatus is next, then ServerKeyExchange.
    type Next = state::ServerCertStatus;

    fn send(hs: Handshake<Server, Self, P>) -> Result<Handshake<Server, Self::Next, P>, Fatal> {
        let (hs, chain) = hs.try_with(|hs| {
            let chain = choice(&hs.core)?.certified.chain.clone();
            hs.core
                .send_handshake(HandshakePayload::Certificate(CertificateChain(
                    chain.clone(),
                )))?;
            Ok(chain)
        })?;
        Ok(hs.advance(|negotiated| Certified {
            negotiated,
            server_certificates: chain,
            ocsp_response: None,
        }))
    }
}

impl<P: FullShape> SendMessage<Server, P> for state::ServerCertStatus {
    type Next = state::ServerKey;

    /// Writes the CertificateStatus our ServerHello announced (RFC 6066
    /// 8): the chosen certificate's OCSP response, if the client asked for
    /// one. Otherwise this optional row is passed with nothing written.
    fn send(hs: Handshake<Server, Self, P>) -> Result<Handshake<Server, Self::Next, P>, Fatal> {
        let (hs, stapled) = hs.try_with(|hs| {
            let Some(ocsp_response) = choice(&hs.core)?.ocsp_response.clone() else {
                return Ok(None);
            };
            hs.core
                .send_handshake(HandshakePayload::CertificateStatus(CertificateStatus {
                    ocsp_response: ocsp_response.clone(),
                }))?;
            Ok(Some(ocsp_response))
        })?;
        Ok(hs.advance(|mut certified: Certified| {
            certified.ocsp_response = stapled;
            certified
        }))
    }
}

/// Writes ServerKeyExchange: our ephemeral key for the chosen group,
/// signed with the certificate's key (RFC 8422 5.4).
fn send_server_key<P: Shape>(
    hs: &mut Handshake<Server, state::ServerKey, P>,
) -> Result<(NamedGroup, SignatureScheme), Error> {
    let (group, scheme, certified) = {
        let choice = choice(&hs.core)?;
        (choice.group, choice.scheme, choice.certified.clone())
    };
    let kx = EphemeralKeyExchange::generate(group)?;
    let params = ServerEcdhParams {
        group,
        public: kx.public_key().to_vec(),
    };
    let mut exchange = ServerKeyExchange {
        params,
        signed: DigitallySigned {
            scheme,
            signature: Vec::new(),
        },
    };
    let message = SignedParams::new(&hs.core, &exchange.params);
    exchange.signed.signature = certified.key.sign(scheme, message.as_bytes())?;
    hs.core
        .send_handshake(HandshakePayload::ServerKeyExchange(exchange))?;
    hs.core.side.kx = Some(kx);
    Ok((group, scheme))
}

fn keyed(certified: Certified, (group, signature_scheme): (NamedGroup, SignatureScheme)) -> Keyed {
    Keyed {
        certified,
        group,
        signature_scheme,
        client_certificates: Arc::default(),
    }
}

impl SendMessage<Server, Full> for state::ServerKey {
    /// Without a CertificateRequest, ServerHelloDone is next.
    type Next = state::ServerHelloDone;

    fn send(
        hs: Handshake<Server, Self, Full>,
    ) -> Result<Handshake<Server, Self::Next, Full>, Fatal> {
        let (hs, key) = hs.try_with(send_server_key)?;
        Ok(hs.advance(|certified| keyed(certified, key)))
    }
}

impl SendMessage<Server, ClientAuth> for state::ServerKey {
    /// Asking for a client certificate, the CertificateRequest is next.
    type Next = state::ServerCertReq;

    fn send(
        hs: Handshake<Server, Self, ClientAuth>,
    ) -> Result<Handshake<Server, Self::Next, ClientAuth>, Fatal> {
        let (hs, key) = hs.try_with(send_server_key)?;
        Ok(hs.advance(|certified| keyed(certified, key)))
    }
}

impl SendMessage<Server, ClientAuth> for state::ServerCertReq {
    type Next = state::ServerHelloDone;

    fn send(
        hs: Handshake<Server, Self, ClientAuth>,
    ) -> Result<Handshake<Server, Self::Next, ClientAuth>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            let policy = hs
                .core
                .side
                .client_auth
                .as_ref()
                .ok_or(Error::Internal("no client-auth policy"))?;
            let request = CertificateRequest {
                certificate_types: vec![
                    ClientCertificateType::EcdsaSign,
                    ClientCertificateType::RsaSign,
                ],
                supported_signature_algorithms: DEFAULT_SIGNATURE_SCHEMES.to_vec(),
                certificate_authorities: policy
                    .verifier
                    .root_hint_subjects()
                    .iter()
                    .map(|subject| DistinguishedName(subject.clone()))
                    .collect(),
            };
            hs.core
                .send_handshake(HandshakePayload::CertificateRequest(request))
        })?;
        Ok(hs.advance_same())
    }
}

impl SendMessage<Server, Full> for state::ServerHelloDone {
    type Next = state::ClientKey;

    fn send(
        hs: Handshake<Server, Self, Full>,
    ) -> Result<Handshake<Server, Self::Next, Full>, Fatal> {
        let (hs, ()) =
            hs.try_with(|hs| hs.core.send_handshake(HandshakePayload::ServerHelloDone))?;
        Ok(hs.advance_same())
    }
}

impl SendMessage<Server, ClientAuth> for state::ServerHelloDone {
    /// Having asked, the client's Certificate is next.
    type Next = state::ClientCert;

    fn send(
        hs: Handshake<Server, Self, ClientAuth>,
    ) -> Result<Handshake<Server, Self::Next, ClientAuth>, Fatal> {
        let (hs, ()) =
            hs.try_with(|hs| hs.core.send_handshake(HandshakePayload::ServerHelloDone))?;
        Ok(hs.advance_same())
    }
}

/// What the client answered to our CertificateRequest.
#[derive(Debug)]
pub enum AfterClientCert {
    /// A chain we verified: its CertificateVerify must follow the key
    /// exchange.
    Certificate(Handshake<Server, state::ClientKey, ClientAuth>),
    /// An empty Certificate, and our policy lets the client in without one.
    NoCertificate(Handshake<Server, state::ClientKey, NoClientCert>),
}

impl RecvMessage<Server, ClientAuth> for state::ClientCert {
    type Next = AfterClientCert;

    fn recv(
        hs: Handshake<Server, Self, ClientAuth>,
        message: Incoming,
    ) -> Result<Self::Next, Fatal> {
        let (mut hs, chain) = hs.try_with(|hs| {
            let chain = expect_payload!(message, Certificate)?.0;
            let policy = hs
                .core
                .side
                .client_auth
                .as_ref()
                .ok_or(Error::Internal("no client-auth policy"))?;
            policy.check(&chain, PeerIncompatible::ClientCertificateRequired.into())?;
            hs.core.hash_received();
            Ok(chain)
        })?;
        if chain.is_empty() {
            hs.core.transcript.keep_buffer(false);
            return Ok(AfterClientCert::NoCertificate(hs.reshape(|known| known)));
        }
        Ok(AfterClientCert::Certificate(hs.advance(
            |mut keyed: Keyed| {
                keyed.client_certificates = chain;
                keyed
            },
        )))
    }
}

/// Reads the client's key exchange and derives the keys.
fn recv_client_key<P: Shape>(
    hs: &mut Handshake<Server, state::ClientKey, P>,
    message: Incoming,
) -> Result<(), Error> {
    let exchange = expect_payload!(message, ClientKeyExchange)?;
    let kx = hs
        .core
        .side
        .kx
        .take()
        .ok_or(Error::Internal("no key exchange at ClientKeyExchange"))?;
    let premaster = kx.complete(&exchange.public)?;
    hs.core.hash_received();
    let negotiated: &Negotiated = hs.known.knows();
    let (suite, ems) = (negotiated.suite, negotiated.extended_master_secret);
    let key_log = hs.core.config.key_log.clone();
    derive_master(
        &mut hs.core,
        suite,
        ems,
        &premaster,
        key_log.as_deref(),
        false,
    )
}

impl<P: WithoutCertificateVerify> RecvMessage<Server, P> for state::ClientKey {
    type Next = Handshake<Server, state::ClientChangeCipherSpec, P>;

    fn recv(hs: Handshake<Server, Self, P>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, ()) = hs.try_with(|hs| recv_client_key(hs, message))?;
        Ok(hs.advance_same())
    }
}

impl RecvMessage<Server, ClientAuth> for state::ClientKey {
    /// A client that sent a certificate must prove it holds the key: its
    /// CertificateVerify is next, and nothing else is accepted (the
    /// skipped-CertificateVerify attack).
    type Next = Handshake<Server, state::ClientCertVerify, ClientAuth>;

    fn recv(
        hs: Handshake<Server, Self, ClientAuth>,
        message: Incoming,
    ) -> Result<Self::Next, Fatal> {
        let (hs, ()) = hs.try_with(|hs| recv_client_key(hs, message))?;
        Ok(hs.advance_same())
    }
}

impl RecvMessage<Server, ClientAuth> for state::ClientCertVerify {
    type Next = Handshake<Server, state::ClientChangeCipherSpec, ClientAuth>;

    fn recv(
        hs: Handshake<Server, Self, ClientAuth>,
        message: Incoming,
    ) -> Result<Self::Next, Fatal> {
        let (mut hs, ()) = hs.try_with(|hs| {
            let signed = expect_payload!(message, CertificateVerify)?;
            // The scheme must be one our CertificateRequest offered.
            if !DEFAULT_SIGNATURE_SCHEMES.contains(&signed.scheme) {
                return Err(PeerMisbehaved::IllegalParameter(
                    "a signature scheme we did not offer",
                )
                .into());
            }
            let keyed: &Keyed = hs.known.knows();
            let end_entity: &CertificateDer<'_> = keyed
                .client_certificates
                .first()
                .ok_or(CertificateError::Empty)?;
            // RFC 5246 7.4.8: over every handshake message before this one.
            let transcript = hs
                .core
                .transcript
                .buffer()
                .ok_or(Error::Internal("transcript not kept"))?;
            crypto::verify_signature(end_entity, signed.scheme, transcript, &signed.signature)?;
            hs.core.hash_received();
            Ok(())
        })?;
        hs.core.transcript.keep_buffer(false);
        Ok(hs.advance_same())
    }
}

impl<P: Shape> RecvMessage<Server, P> for state::ClientChangeCipherSpec {
    type Next = Handshake<Server, state::ClientFinished, P>;

    fn recv(hs: Handshake<Server, Self, P>, _message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, ()) = hs.try_with(|hs| hs.core.recv_change_cipher_spec())?;
        Ok(hs.advance_same())
    }
}

impl<P: FullShape> RecvMessage<Server, P> for state::ClientFinished {
    /// Our optional NewSessionTicket is next, then our ChangeCipherSpec.
    type Next = Handshake<Server, state::ServerNewSessionTicket, P>;

    fn recv(hs: Handshake<Server, Self, P>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            let verified = check_finished(hs, message)?;
            hs.core.side.client_finished = Some(verified);
            Ok(())
        })?;
        Ok(hs.advance_same())
    }
}

impl RecvMessage<Server, Resumed> for state::ClientFinished {
    /// Resuming, the client's Finished is the last message.
    type Next = Handshake<Server, state::HandshakeOver, Resumed>;

    fn recv(hs: Handshake<Server, Self, Resumed>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, verified) = hs.try_with(|hs| check_finished(hs, message))?;
        Ok(hs.finish(verified))
    }
}

impl RecvMessage<Server, ResumedClientAuth> for state::ClientFinished {
    /// As in [`Resumed`].
    type Next = Handshake<Server, state::HandshakeOver, ResumedClientAuth>;

    fn recv(
        hs: Handshake<Server, Self, ResumedClientAuth>,
        message: Incoming,
    ) -> Result<Self::Next, Fatal> {
        let (hs, verified) = hs.try_with(|hs| check_finished(hs, message))?;
        Ok(hs.finish(verified))
    }
}

/// The session this handshake made (or resumed), as it goes into a ticket
/// or the cache.
fn session_state(core: &Core<Server>, keyed: &Keyed) -> Result<SessionState, Error> {
    if let Some(resumed) = &core.side.resumed {
        return Ok(resumed.clone());
    }
    let negotiated = &keyed.certified.negotiated;
    Ok(SessionState {
        cipher_suite: negotiated.suite.suite,
        master_secret: core
            .master_secret
            .clone()
            .ok_or(Error::Internal("no master secret"))?,
        extended_master_secret: negotiated.extended_master_secret,
        group: keyed.group,
        signature_scheme: keyed.signature_scheme,
        alpn_protocol: negotiated.alpn_protocol.clone(),
        server_name: negotiated.server_name.clone(),
        created: now_secs(),
        // Empty when the client sent no certificate (or was not asked):
        // then the session never resumes under a policy requiring one.
        client_certificates: keyed.client_certificates.clone(),
    })
}

impl<P: Shape> SendMessage<Server, P> for state::ServerNewSessionTicket {
    type Next = state::ServerChangeCipherSpec;

    /// Writes the NewSessionTicket our ServerHello promised (RFC 5077 3.3);
    /// when it promised none, this optional row is passed with nothing
    /// written.
    fn send(hs: Handshake<Server, Self, P>) -> Result<Handshake<Server, Self::Next, P>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            if !choice(&hs.core)?.ticket_promised {
                return Ok(());
            }
            let ticketer = hs
                .core
                .config
                .ticketer
                .clone()
                .ok_or(Error::Internal("ticket promised without a ticketer"))?;
            let state = session_state(&hs.core, hs.known.knows())?;
            let ticket = NewSessionTicket {
                lifetime_hint: ticketer.lifetime_hint(),
                ticket: ticketer.seal(&state)?,
            };
            hs.core
                .send_handshake(HandshakePayload::NewSessionTicket(ticket))
        })?;
        Ok(hs.advance_same())
    }
}

impl<P: Shape> SendMessage<Server, P> for state::ServerChangeCipherSpec {
    type Next = state::ServerFinished;

    fn send(hs: Handshake<Server, Self, P>) -> Result<Handshake<Server, Self::Next, P>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| hs.core.send_change_cipher_spec())?;
        Ok(hs.advance_same())
    }
}

impl<P: FullShape> SendMessage<Server, P> for state::ServerFinished {
    type Next = state::HandshakeOver;

    fn send(hs: Handshake<Server, Self, P>) -> Result<Handshake<Server, Self::Next, P>, Fatal> {
        let (mut hs, ()) = hs.try_with(|hs| {
            send_finished(hs)?;
            // The full handshake is complete: cache the session by its ID.
            let id = choice(&hs.core)?.session_id;
            if let (Some(cache), false) = (&hs.core.config.session_cache, id.is_empty()) {
                cache.put(id.as_bytes(), session_state(&hs.core, hs.known.knows())?);
            }
            Ok(())
        })?;
        match hs.core.side.client_finished.take() {
            Some(verified) => Ok(hs.finish(verified)),
            None => Err(hs.fatal(Error::Internal("server Finished before the client's"))),
        }
    }
}

impl SendMessage<Server, Resumed> for state::ServerFinished {
    /// Resuming, the client's ChangeCipherSpec and Finished come last.
    type Next = state::ClientChangeCipherSpec;

    fn send(
        hs: Handshake<Server, Self, Resumed>,
    ) -> Result<Handshake<Server, Self::Next, Resumed>, Fatal> {
        let (hs, ()) = hs.try_with(send_finished)?;
        Ok(hs.advance_same())
    }
}

impl SendMessage<Server, ResumedClientAuth> for state::ServerFinished {
    /// As in [`Resumed`].
    type Next = state::ClientChangeCipherSpec;

    fn send(
        hs: Handshake<Server, Self, ResumedClientAuth>,
    ) -> Result<Handshake<Server, Self::Next, ResumedClientAuth>, Fatal> {
        let (hs, ()) = hs.try_with(send_finished)?;
        Ok(hs.advance_same())
    }
}
