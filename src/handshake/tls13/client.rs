//! The client's TLS 1.3 transitions (RFC 8446 4): from the ServerHello the
//! version layer hands over to the client's Finished.

use std::sync::Arc;

use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::keys::{application_secrets, handshake_secrets};
use super::known::{Certified13, Negotiated13};
use super::table::state;
use crate::codec::Codec;
use crate::crypto::tls13::{
    CLIENT_CERTIFICATE_VERIFY, EarlySecret, SERVER_CERTIFICATE_VERIFY, finished_verify_data,
    lookup_tls13, message_hash, sign_certificate_verify, verify_certificate_verify,
    verify_finished,
};
use crate::crypto::{EphemeralKeyExchange, Transcript};
use crate::enums::{Compression, ExtensionType, HandshakeType, ProtocolVersion, SignatureScheme};
use crate::error::{CertificateError, Error, PeerMisbehaved, Received};
use crate::handshake::config::{CertifiedKey, ClientConfig};
use crate::handshake::core::{Core, Incoming, expect_payload13};
use crate::handshake::machine::{Fatal, Handshake, RecvMessage, SendMessage};
use crate::handshake::role::Client;
use crate::handshake::shape::{ClientAuth, Full, NoClientCert, Resumed};
use crate::handshake::side::{ClientSide, Tls13ClientKeys};
use crate::handshake::tls12::shape::FullShape;
use crate::handshake::tls13::{OneRtt, Shape13};
use crate::message::tls13::{CertificateTls13, FinishedTls13, KeyShareEntry, PayloadTls13};
use crate::message::{
    ClientExtension, ClientExtensions, ClientHello, DigitallySigned, HandshakeMessage,
    HandshakePayload, OfferedPsks, PskIdentity, PskKeyExchangeMode, ServerHello,
};
use crate::session::{Tls13Ticket, now_millis};

fn dns_name(name: &ServerName<'_>) -> Option<String> {
    match name {
        ServerName::DnsName(name) => Some(name.as_ref().to_owned()),
        _ => None,
    }
}

fn illegal(what: &'static str) -> Error {
    PeerMisbehaved::IllegalParameter(what).into()
}

/// The pre_shared_key extension offering `ticket`, with a placeholder
/// binder of the right length (patched in by [`send_client_hello`]).
fn pre_shared_key(ticket: &Tls13Ticket, hash_len: usize) -> ClientExtension {
    ClientExtension::PreSharedKey(OfferedPsks {
        identities: vec![PskIdentity {
            identity: ticket.ticket.clone(),
            obfuscated_ticket_age: ticket.obfuscated_age(now_millis()),
        }],
        binders: vec![vec![0; hash_len]],
    })
}

/// With tickets enabled, a session store and a DNS name: psk_key_exchange_modes with
/// psk_dhe_ke alone (we always send a key share, so a resumption keeps
/// forward secrecy; plain psk_ke is never offered, RFC 8446 4.2.9), and,
/// if the store holds a ticket for this server name whose hash one of our
/// TLS 1.3 suites shares, pre_shared_key offering it (RFC 8446 4.2.11),
/// which must be the hello's last extension. The ticket is taken out of the store, so it is offered once,
/// whether or not the server takes it.
pub(crate) fn offer_ticket13(
    config: &ClientConfig,
    side: &mut ClientSide,
    extensions: &mut ClientExtensions,
) {
    side.offered_ticket13 = None;
    if !config.enable_tickets {
        return;
    }
    let (Some(store), Some(name)) = (&config.session_store, dns_name(&side.server_name)) else {
        return;
    };
    // Listed whenever we keep tickets, with a ticket to offer or not: it
    // tells the server we can use its tickets (rustls sends none to a
    // client that does not list psk_dhe_ke).
    extensions.push(ClientExtension::PskKeyExchangeModes(
        [PskKeyExchangeMode::PskDheKe].into_iter().collect(),
    ));
    let Some(ticket) = store.take_tls13(&name) else {
        return;
    };
    let Some(hash) = lookup_tls13(ticket.suite).map(|suite| suite.hash) else {
        return;
    };
    let shares_hash = side
        .offered_suites
        .iter()
        .any(|suite| lookup_tls13(*suite).is_some_and(|offered| offered.hash == hash));
    if !shares_hash || ticket.expired(now_millis()) {
        return;
    }
    // RFC 8446 4.2.10: 0-RTT only with the first PSK, under its own suite,
    // which we must offer; the data is bounded by the ticket.
    side.early = None;
    let early = side.early_requested
        && config.enable_early_data
        && ticket.max_early_data_size > 0
        && side.offered_suites.contains(&ticket.suite);
    if early {
        extensions.push(ClientExtension::EarlyData);
        side.early = Some(Box::new(crate::handshake::side::EarlyDataSent {
            max: usize::try_from(ticket.max_early_data_size).unwrap_or(usize::MAX),
            data: Vec::new(),
        }));
    }
    extensions.push(pre_shared_key(&ticket, hash.output_len()));
    side.offered_ticket13 = Some(Box::new(ticket));
}

/// Sends a ClientHello (the first or the second). One that offers a
/// ticket gets its binder (RFC 8446 4.2.11.2): the hello is encoded with
/// the placeholder binder, the part before the binders list is hashed
/// after the transcript so far (nothing, or the HelloRetryRequest's
/// message_hash and itself), the binder is the Finished-style HMAC of that
/// under the ticket's binder key ("res binder"), and it is patched into
/// the encoding, which is sent as it is.
pub(crate) fn send_client_hello(
    core: &mut Core<Client>,
    hello: Box<ClientHello>,
) -> Result<Box<ClientHello>, Error> {
    let Some(ticket) = core.side.offered_ticket13.as_deref() else {
        return match core.send_handshake_kept(HandshakePayload::ClientHello(hello))? {
            HandshakePayload::ClientHello(hello) => Ok(hello),
            _ => Err(Error::Internal("a ClientHello is not one")),
        };
    };
    let hash = lookup_tls13(ticket.suite)
        .ok_or(Error::Internal("a ticket of an unknown suite"))?
        .hash;
    let offset = hello
        .binders_offset()
        .ok_or(Error::Internal("pre_shared_key is not the last extension"))?;
    let message = HandshakeMessage {
        payload: HandshakePayload::ClientHello(hello),
    };
    let mut encoded = message.get_encoding();
    let HandshakePayload::ClientHello(hello) = message.payload else {
        return Err(Error::Internal("a ClientHello is not one"));
    };
    let truncated = encoded
        .get(..offset)
        .ok_or(Error::Internal("binders beyond the ClientHello"))?;
    let mut transcript = core.transcript.clone();
    // The first hello starts the hash; after a HelloRetryRequest it has
    // started with the suite's hash, which the ticket's then is.
    transcript.start_hash(hash);
    let hello_hash = transcript.hash_with(truncated)?;
    let binder_key = EarlySecret::new(hash, Some(ticket.psk.as_bytes()))?.binder_key(true)?;
    let binder = finished_verify_data(&binder_key, hello_hash.as_bytes())?;
    hello.patch_binders(&mut encoded, &[binder.as_ref()])?;
    core.send_encoded_handshake(&encoded)?;
    Ok(hello)
}
/// Accepts a ServerHello that selected TLS 1.3 (the version layer has
/// checked that we offered it): checks it against our offer (RFC 8446
/// 4.1.3, 4.2.8), completes the key exchange, and switches the reader to
/// TLS 1.3 rules under the server's handshake traffic key.
pub(crate) fn accept_server_hello(
    core: &mut Core<Client>,
    hello: &ServerHello,
) -> Result<(Negotiated13, bool), Error> {
    if hello.server_version != ProtocolVersion::Tls12 {
        return Err(illegal("a legacy_version other than TLS 1.2"));
    }
    let suite = match lookup_tls13(hello.cipher_suite) {
        Some(suite) if core.side.offered_suites.contains(&hello.cipher_suite) => suite,
        _ => return Err(illegal("a TLS 1.3 cipher suite we did not offer")),
    };
    if hello.compression_method != Compression::Null {
        return Err(illegal("a compression method other than null"));
    }
    if hello.session_id != core.side.sent_session_id {
        return Err(illegal(
            "a legacy_session_id_echo that is not our session ID",
        ));
    }
    // supported_versions, key_share and, if we offered a ticket,
    // pre_shared_key are all a TLS 1.3 ServerHello may carry (RFC 8446
    // 4.2); the TLS 1.2 ones are not for it either.
    let offered_psk = core.side.offered_ticket13.is_some();
    let allowed = |typ| match typ {
        ExtensionType::SupportedVersions | ExtensionType::KeyShare => true,
        ExtensionType::PreSharedKey => offered_psk,
        _ => false,
    };
    if hello.extensions.iter().any(|ext| !allowed(ext.typ())) {
        return Err(illegal("an extension a TLS 1.3 ServerHello may not carry"));
    }
    // RFC 8446 4.2.11: the identity must be one we offered (we offer one),
    // and the suite must have the PSK's hash.
    let resumed = match hello.pre_shared_key() {
        None => None,
        Some(0) => {
            let ticket = core
                .side
                .offered_ticket13
                .take()
                .ok_or(Error::Internal("no ticket offered"))?;
            match lookup_tls13(ticket.suite) {
                Some(issued) if issued.hash == suite.hash => Some(ticket),
                _ => return Err(illegal("a PSK resumed under a suite of another hash")),
            }
        }
        Some(_) => return Err(illegal("a PSK identity we did not offer")),
    };
    let share = hello
        .key_share()
        .ok_or_else(|| illegal("a TLS 1.3 ServerHello without a key share"))?;
    let kx = core
        .side
        .key_share
        .take()
        .ok_or(Error::Internal("no key share offered"))?;
    let group = kx.group();
    if share.group != group {
        return Err(illegal("a key share for a group we sent no share for"));
    }
    let shared = kx.complete(&share.key_exchange)?;
    core.server_random = hello.random.0;
    core.transcript.start_hash(suite.hash);
    core.hash_received();
    let psk = resumed.as_ref().map(|ticket| ticket.psk.as_bytes());
    let (handshake, secrets) = handshake_secrets(core, suite, psk, shared.as_bytes())?;
    core.tls13 = true;
    core.reader.set_tls13();
    // The ServerHello must end its record (RFC 8446 5.1).
    core.reader
        .install_opener(Box::new(suite.opener(&secrets.server)?))?;
    // Everything we write from here on (an alert about the server's flight,
    // then our Finished) goes under our handshake key: the connection state
    // after the ServerHello (RFC 8446 5, 6). The compatibility
    // ChangeCipherSpec is written unprotected all the same.
    let sealer = Box::new(suite.sealer(&secrets.client)?);
    if resumed.is_some() && core.side.early.is_some() {
        // Our writing stays under the early key until EncryptedExtensions
        // says whether the server takes the early data (then until our
        // EndOfEarlyData); the handshake key waits.
        core.pending_sealer = Some(sealer);
    } else {
        core.writer.set_sealer(sealer);
    }
    core.side.tls13 = Tls13ClientKeys {
        handshake_secret: Some(handshake),
        client_handshake: Some(secrets.client),
        server_handshake: Some(secrets.server),
        client_application: None,
        master: None,
        resumption: None,
    };
    let is_resumed = resumed.is_some();
    // The ticket stays with the handshake: its server chain is this
    // handshake's (no Certificate comes).
    if resumed.is_some() {
        core.side.offered_ticket13 = resumed;
    } else {
        core.side.offered_ticket13 = None;
    }
    Ok((
        Negotiated13 {
            suite,
            group,
            alpn_protocol: None,
            server_name: dns_name(&core.side.server_name),
        },
        is_resumed,
    ))
}

/// Accepts a HelloRetryRequest (RFC 8446 4.1.4) after we offered TLS 1.3:
/// it must choose a TLS 1.3 suite we offered and, if it names a group, one
/// we offered but sent no share for. The transcript restarts with
/// `message_hash` standing for our first ClientHello (RFC 8446 4.4.1), and
/// the reader switches to TLS 1.3 rules (a compatibility ChangeCipherSpec
/// may follow).
pub(crate) fn accept_hello_retry_request(
    core: &mut Core<Client>,
    hello: &ServerHello,
) -> Result<(), Error> {
    if hello.selected_version() != Some(ProtocolVersion::Tls13) {
        return Err(illegal(
            "a HelloRetryRequest without TLS 1.3 in supported_versions",
        ));
    }
    if hello.server_version != ProtocolVersion::Tls12 {
        return Err(illegal("a legacy_version other than TLS 1.2"));
    }
    let suite = match lookup_tls13(hello.cipher_suite) {
        Some(suite) if core.side.offered_suites.contains(&hello.cipher_suite) => suite,
        _ => return Err(illegal("a TLS 1.3 cipher suite we did not offer")),
    };
    if hello.compression_method != Compression::Null {
        return Err(illegal("a compression method other than null"));
    }
    if hello.session_id != core.side.sent_session_id {
        return Err(illegal(
            "a legacy_session_id_echo that is not our session ID",
        ));
    }
    let allowed = |typ| {
        matches!(
            typ,
            ExtensionType::SupportedVersions | ExtensionType::KeyShare | ExtensionType::Cookie
        )
    };
    if hello.extensions.iter().any(|ext| !allowed(ext.typ())) {
        return Err(illegal("an extension a HelloRetryRequest may not carry"));
    }
    let shared_group = core.side.key_share.as_ref().map(|kx| kx.group());
    match hello.selected_group() {
        // RFC 8446 4.2.8: a group we offered, and not the one we shared.
        Some(group)
            if !core.side.offered_groups.contains(&group) || Some(group) == shared_group =>
        {
            return Err(illegal(
                "a HelloRetryRequest group we did not offer or already shared",
            ));
        }
        Some(group) => core.side.key_share = Some(EphemeralKeyExchange::generate(group)?),
        // RFC 8446 4.1.4: an HRR must change something.
        None if hello.cookie().is_none() => {
            return Err(illegal("a HelloRetryRequest that asks for no change"));
        }
        None => {}
    }
    core.transcript.start_hash(suite.hash);
    let first_hello = core.transcript.current_hash()?;
    let (message_hash, len) = message_hash(suite.hash, first_hello.as_bytes())?;
    core.transcript = Transcript::new();
    core.transcript.start_hash(suite.hash);
    core.transcript
        .add(message_hash.get(..len).unwrap_or_default());
    core.hash_received();
    core.side.retry_suite = Some(suite.suite);
    core.side.retry_cookie = hello.cookie().map(<[u8]>::to_vec);
    core.tls13 = true;
    core.reader.set_tls13();
    Ok(())
}

impl SendMessage<Client, Full> for state::ClientHello {
    /// The server's answer must now be a ServerHello.
    type Next = state::ServerHello;

    /// The first ClientHello again, with the key share for the group the
    /// HelloRetryRequest named and its cookie (RFC 8446 4.1.2).
    fn send(
        hs: Handshake<Client, Self, Full>,
    ) -> Result<Handshake<Client, Self::Next, Full>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            let side = &mut hs.core.side;
            let mut hello = side
                .sent_hello
                .take()
                .ok_or(Error::Internal("no first ClientHello kept"))?;
            let kx = side
                .key_share
                .as_ref()
                .ok_or(Error::Internal("no key share for the second ClientHello"))?;
            let share = KeyShareEntry {
                group: kx.group(),
                key_exchange: kx.public_key().to_vec(),
            };
            let cookie = side.retry_cookie.take();
            hello.extensions.retain(|ext| {
                !matches!(
                    ext,
                    ClientExtension::KeyShare(_)
                        | ClientExtension::Cookie(_)
                        | ClientExtension::PreSharedKey(_)
                        // RFC 8446 4.1.2: no early_data after a retry.
                        | ClientExtension::EarlyData
                )
            });
            hello
                .extensions
                .push(ClientExtension::KeyShare(vec![share]));
            if let Some(cookie) = cookie {
                hello.extensions.push(ClientExtension::Cookie(cookie));
            }
            // RFC 8446 4.1.4: the ticket again, last, if its hash is the
            // suite's the HelloRetryRequest chose; otherwise it is dropped.
            let retry_hash = side.retry_suite.and_then(lookup_tls13).map(|s| s.hash);
            let ticket = side.offered_ticket13.take();
            if let Some(ticket) = ticket {
                let hash = lookup_tls13(ticket.suite).map(|suite| suite.hash);
                if let Some(hash) = hash.filter(|hash| Some(*hash) == retry_hash) {
                    hello
                        .extensions
                        .push(pre_shared_key(&ticket, hash.output_len()));
                    side.offered_ticket13 = Some(ticket);
                }
            }
            send_client_hello(&mut hs.core, hello).map(drop)
        })?;
        Ok(hs.advance_same())
    }
}

/// What the ServerHello after a HelloRetryRequest decided: a full
/// handshake, or the resumption of the ticket our second ClientHello
/// offered (it carries pre_shared_key).
#[derive(Debug)]
pub enum AfterServerHello13 {
    /// A full handshake: EncryptedExtensions, then the server's Certificate.
    Full(Handshake<Client, state::EncryptedExtensions, Full>),
    /// Resumed: EncryptedExtensions, then straight to the server's Finished.
    Resumed(Handshake<Client, state::EncryptedExtensions, Resumed>),
}

impl RecvMessage<Client, Full> for state::ServerHello {
    type Next = AfterServerHello13;

    fn recv(hs: Handshake<Client, Self, Full>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, negotiated) = hs.try_with(|hs| {
            let hello = expect_payload13!(message, ServerHello)?;
            // RFC 8446 4.1.4: a second HelloRetryRequest is unexpected_message.
            if hello.is_hello_retry_request() {
                return Err(Error::UnexpectedMessage {
                    expected: "ServerHello (a second HelloRetryRequest)",
                    got: Received::Handshake(HandshakeType::ServerHello),
                });
            }
            if hello.selected_version() != Some(ProtocolVersion::Tls13) {
                return Err(illegal(
                    "a ServerHello after a HelloRetryRequest without TLS 1.3",
                ));
            }
            if Some(hello.cipher_suite) != hs.core.side.retry_suite {
                return Err(illegal("another suite than its HelloRetryRequest's"));
            }
            accept_server_hello(&mut hs.core, &hello)
        })?;
        let (negotiated, resumed) = negotiated;
        Ok(match resumed {
            true => AfterServerHello13::Resumed(hs.reshape(|_hello| negotiated)),
            false => AfterServerHello13::Full(hs.advance(|_hello| negotiated)),
        })
    }
}

/// The extensions an EncryptedExtensions may answer, given our offer
/// (RFC 8446 4.2, 4.3.1): server_name (empty) if we sent one, the server's
/// supported_groups, ALPN if we offered it. Anything else is refused.
fn allowed_in_encrypted_extensions(core: &Core<Client>, typ: ExtensionType) -> bool {
    match typ {
        ExtensionType::ServerName => dns_name(&core.side.server_name).is_some(),
        ExtensionType::SupportedGroups => true,
        ExtensionType::ApplicationLayerProtocolNegotiation => {
            !core.config.alpn_protocols.is_empty()
        }
        // RFC 8446 4.2.10: only in answer to our early_data.
        ExtensionType::EarlyData => core.side.early.is_some(),
        _ => false,
    }
}

/// Reads EncryptedExtensions: only what we may be answered, and an ALPN
/// protocol we offered.
fn recv_encrypted_extensions(
    core: &mut Core<Client>,
    message: Incoming,
) -> Result<Option<Vec<u8>>, Error> {
    recv_encrypted_extensions_early(core, message).map(|(alpn, _)| alpn)
}

/// [`recv_encrypted_extensions`], also saying whether the server accepted
/// our early data (an empty early_data, RFC 8446 4.2.10).
pub(crate) fn recv_encrypted_extensions_early(
    core: &mut Core<Client>,
    message: Incoming,
) -> Result<(Option<Vec<u8>>, bool), Error> {
    let extensions = expect_payload13!(message, EncryptedExtensions)?;
    let early_accepted = match extensions.extensions.get(ExtensionType::EarlyData) {
        None => false,
        Some([]) => true,
        Some(_) => {
            return Err(crate::error::InvalidMessage::TrailingData("early_data").into());
        }
    };
    if extensions
        .extensions
        .types()
        .any(|typ| !allowed_in_encrypted_extensions(core, typ))
    {
        return Err(illegal("an extension EncryptedExtensions may not carry"));
    }
    let alpn_protocol = extensions.alpn_protocol()?;
    if alpn_protocol
        .as_ref()
        .is_some_and(|chosen| !core.config.alpn_protocols.contains(chosen))
    {
        return Err(illegal("an application protocol we did not offer"));
    }
    core.hash_received();
    Ok((alpn_protocol, early_accepted))
}

impl RecvMessage<Client, Full> for state::EncryptedExtensions {
    /// The optional CertificateRequest is next, then the Certificate.
    type Next = Handshake<Client, state::ServerCertReq, Full>;

    fn recv(hs: Handshake<Client, Self, Full>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, alpn_protocol) =
            hs.try_with(|hs| recv_encrypted_extensions(&mut hs.core, message))?;
        Ok(hs.advance(|negotiated| Negotiated13 {
            alpn_protocol,
            ..negotiated
        }))
    }
}

impl RecvMessage<Client, Resumed> for state::EncryptedExtensions {
    /// Resumed: no Certificate comes, the server's Finished is next. The
    /// server's chain is the one the ticket's handshake verified.
    type Next = Handshake<Client, state::ServerFinished, Resumed>;

    fn recv(hs: Handshake<Client, Self, Resumed>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, (alpn_protocol, chain)) = hs.try_with(|hs| {
            let alpn_protocol = recv_encrypted_extensions(&mut hs.core, message)?;
            Ok((alpn_protocol, ticket_chain(&hs.core)?))
        })?;
        Ok(hs.advance(|negotiated| resumed_known(negotiated, alpn_protocol, chain)))
    }
}

/// The server's chain on resumption: the one the ticket's handshake
/// verified.
pub(crate) fn ticket_chain(core: &Core<Client>) -> Result<Arc<[CertificateDer<'static>]>, Error> {
    core.side
        .offered_ticket13
        .as_ref()
        .map(|ticket| ticket.server_certificates.clone())
        .ok_or(Error::Internal("resumed without the ticket"))
}

/// What a resumed handshake knows after EncryptedExtensions.
pub(crate) fn resumed_known(
    negotiated: Negotiated13,
    alpn_protocol: Option<Vec<u8>>,
    chain: Arc<[CertificateDer<'static>]>,
) -> Certified13 {
    certified(
        Negotiated13 {
            alpn_protocol,
            ..negotiated
        },
        // No Certificate on resumption, so nothing is stapled.
        (chain, None),
    )
}

/// What followed EncryptedExtensions: the server's Certificate, or its
/// CertificateRequest (RFC 8446 4.3.2) and then its Certificate.
#[derive(Debug)]
pub enum AfterEncryptedExtensions {
    /// No CertificateRequest: the server's Certificate is read and
    /// verified, its CertificateVerify is next.
    NoCertificateRequest(Handshake<Client, state::ServerCertVerify, Full>),
    /// A CertificateRequest: the server's Certificate is next, and after
    /// the server's Finished we answer with a Certificate of our own.
    CertificateRequested(Handshake<Client, state::ServerCert, ClientAuth>),
}

/// The server's chain and the OCSP response stapled to it, if any.
type ServerChain13 = (Arc<[CertificateDer<'static>]>, Option<Arc<[u8]>>);

/// The OCSP response in the server's Certificate, after checking every
/// entry's extensions against our ClientHello (RFC 8446 4.4.2: they "MUST
/// correspond to ones from the ClientHello"; 4.2: anything we did not ask
/// for is unsupported_extension). We ask for nothing but status_request,
/// and only when configured to. Its response is read from the end-entity
/// entry; on another entry it is ignored, as OpenSSL does (a response for
/// an intermediate belongs to status_request_v2, which we do not offer).
fn stapled_ocsp_response(
    core: &Core<Client>,
    certificate: &CertificateTls13,
) -> Result<Option<Arc<[u8]>>, Error> {
    let asked = core.side.offered_status_request;
    let unasked = certificate
        .entries
        .iter()
        .flat_map(|entry| entry.extensions.types())
        .find(|typ| !(asked && *typ == ExtensionType::StatusRequest));
    if let Some(typ) = unasked {
        return Err(PeerMisbehaved::UnsolicitedExtension(typ).into());
    }
    match certificate.entries.first() {
        Some(end_entity) => Ok(end_entity.ocsp_response()?),
        None => Ok(None),
    }
}

/// Reads and verifies the server's Certificate (RFC 8446 4.4.2), then hands
/// the stapled OCSP response, or its absence, to the verifier (4.4.2.1).
fn recv_server_cert<P: FullShape>(
    hs: &mut Handshake<Client, state::ServerCert, P>,
    certificate: CertificateTls13,
) -> Result<ServerChain13, Error> {
    // RFC 8446 4.4.2: empty in the server's Certificate.
    if !certificate.context.is_empty() {
        return Err(illegal("a certificate_request_context in its Certificate"));
    }
    let ocsp_response = stapled_ocsp_response(&hs.core, &certificate)?;
    let chain = certificate.into_chain();
    let (end_entity, intermediates) = chain.split_first().ok_or(CertificateError::Empty)?;
    let verifier = &hs.core.config.verifier;
    let server_name = &hs.core.side.server_name;
    verifier.verify_server_cert(end_entity, intermediates, server_name, UnixTime::now())?;
    verifier.verify_ocsp_response(
        end_entity,
        intermediates,
        server_name,
        ocsp_response.as_deref(),
        UnixTime::now(),
    )?;
    hs.core.hash_received();
    Ok((chain, ocsp_response))
}

fn certified(negotiated: Negotiated13, (chain, ocsp_response): ServerChain13) -> Certified13 {
    Certified13 {
        negotiated,
        server_certificates: chain,
        ocsp_response,
        client_certificates: Arc::default(),
    }
}

impl RecvMessage<Client, Full> for state::ServerCertReq {
    type Next = AfterEncryptedExtensions;

    fn recv(hs: Handshake<Client, Self, Full>, message: Incoming) -> Result<Self::Next, Fatal> {
        let certificate = match message {
            Incoming::Tls13(PayloadTls13::Certificate(certificate)) => certificate,
            Incoming::Tls13(PayloadTls13::CertificateRequest(request)) => {
                let (hs, ()) = hs.try_with(|hs| {
                    // RFC 8446 4.3.2: signature_algorithms must be there.
                    let schemes = request
                        .signature_algorithms()?
                        .ok_or(PeerMisbehaved::MissingExtension("signature_algorithms"))?;
                    // RFC 8446 4.3.2: the context "SHALL be zero length
                    // unless used for the post-handshake authentication
                    // exchanges"; we would echo it in our Certificate.
                    if !request.context.is_empty() {
                        return Err(illegal(
                            "a certificate_request_context in a CertificateRequest during the handshake",
                        ));
                    }
                    hs.core.side.requested_schemes = schemes.to_vec();
                    hs.core.side.requested_context = request.context;
                    hs.core.hash_received();
                    Ok(())
                })?;
                return Ok(AfterEncryptedExtensions::CertificateRequested(
                    hs.reshape(|known| known),
                ));
            }
            _ => {
                return Err(hs.fatal(Error::Internal("table check let through a non-Certificate")));
            }
        };
        // The optional row was skipped: this is the Certificate.
        let hs: Handshake<Client, state::ServerCert, Full> = hs.advance_same();
        let (hs, chain) = hs.try_with(|hs| recv_server_cert(hs, certificate))?;
        Ok(AfterEncryptedExtensions::NoCertificateRequest(
            hs.advance(|negotiated| certified(negotiated, chain)),
        ))
    }
}

impl RecvMessage<Client, ClientAuth> for state::ServerCert {
    /// The server's CertificateVerify is next.
    type Next = Handshake<Client, state::ServerCertVerify, ClientAuth>;

    fn recv(
        hs: Handshake<Client, Self, ClientAuth>,
        message: Incoming,
    ) -> Result<Self::Next, Fatal> {
        let (hs, chain) = hs.try_with(|hs| {
            let certificate = expect_payload13!(message, Certificate)?;
            recv_server_cert(hs, certificate)
        })?;
        Ok(hs.advance(|negotiated| certified(negotiated, chain)))
    }
}

impl<P: FullShape> RecvMessage<Client, P> for state::ServerCertVerify {
    type Next = Handshake<Client, state::ServerFinished, P>;

    fn recv(hs: Handshake<Client, Self, P>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            let signed = expect_payload13!(message, CertificateVerify)?;
            if !hs.core.side.offered_schemes.contains(&signed.scheme) {
                return Err(illegal("a signature scheme we did not offer"));
            }
            let end_entity = hs
                .known
                .server_certificates
                .first()
                .ok_or(CertificateError::Empty)?;
            // RFC 8446 4.4.3: over the transcript up to the Certificate.
            let hash = hs.core.transcript.current_hash()?;
            verify_certificate_verify(
                end_entity,
                signed.scheme,
                SERVER_CERTIFICATE_VERIFY,
                hash.as_bytes(),
                &signed.signature,
            )?;
            hs.core.side.server_scheme = Some(signed.scheme);
            hs.core.hash_received();
            Ok(())
        })?;
        Ok(hs.advance_same())
    }
}

impl<P: OneRtt> RecvMessage<Client, P> for state::ServerFinished {
    /// Our compatibility ChangeCipherSpec is next (written only with
    /// middlebox compatibility), then our Finished, or first our
    /// Certificate if the server asked for one.
    type Next = Handshake<Client, state::ClientChangeCipherSpec, P>;

    fn recv(hs: Handshake<Client, Self, P>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, ()) = hs.try_with(|hs| recv_server_finished(hs, message))?;
        Ok(hs.advance_same())
    }
}

/// Checks the server's Finished (constant time) and moves our reading to
/// the server's application key.
pub(crate) fn recv_server_finished<P: Shape13>(
    hs: &mut Handshake<Client, state::ServerFinished, P>,
    message: Incoming,
) -> Result<(), Error> {
    let finished = expect_payload13!(message, Finished)?;
    let keys = &mut hs.core.side.tls13;
    let server_handshake = keys
        .server_handshake
        .take()
        .ok_or(Error::Internal("no server handshake secret at Finished"))?;
    let hash = hs.core.transcript.current_hash()?;
    let verified = verify_finished(&server_handshake, hash.as_bytes(), finished.verify_data())?;
    hs.core.hash_received();
    let handshake = hs
        .core
        .side
        .tls13
        .handshake_secret
        .take()
        .ok_or(Error::Internal("no handshake secret at Finished"))?;
    let (secrets, master) = application_secrets(&hs.core, handshake)?;
    let suite = hs.known.negotiated.suite;
    // The server's Finished must end its record (RFC 8446 5.1);
    // from here a plaintext ChangeCipherSpec is refused (RFC 8446 5).
    hs.core
        .reader
        .install_opener(Box::new(suite.opener(&secrets.server)?))?;
    hs.core.reader.end_compat_ccs();
    hs.core.read_traffic13 = Some(secrets.server);
    hs.core.side.tls13.client_application = Some(secrets.client);
    hs.core.side.tls13.master = Some(master);
    hs.core.side.server_finished = Some(verified);
    Ok(())
}

/// Writes the compatibility ChangeCipherSpec if the configuration asks for
/// middlebox compatibility (RFC 8446 D.4); our writing has been under the
/// client handshake traffic key since the ServerHello.
fn send_client_ccs<P: Shape13>(
    hs: &mut Handshake<Client, state::ClientChangeCipherSpec, P>,
) -> Result<(), Error> {
    // Once: after a ClientHello with early data it went out right after it.
    if hs.core.config.middlebox_compat && !hs.core.side.sent_compat_ccs {
        hs.core.send_compat_change_cipher_spec()?;
        hs.core.side.sent_compat_ccs = true;
    }
    Ok(())
}

impl SendMessage<Client, Full> for state::ClientChangeCipherSpec {
    type Next = state::ClientFinished;

    fn send(
        hs: Handshake<Client, Self, Full>,
    ) -> Result<Handshake<Client, Self::Next, Full>, Fatal> {
        let (hs, ()) = hs.try_with(send_client_ccs)?;
        Ok(hs.advance_same())
    }
}

impl SendMessage<Client, Resumed> for state::ClientChangeCipherSpec {
    type Next = state::ClientFinished;

    fn send(
        hs: Handshake<Client, Self, Resumed>,
    ) -> Result<Handshake<Client, Self::Next, Resumed>, Fatal> {
        let (hs, ()) = hs.try_with(send_client_ccs)?;
        Ok(hs.advance_same())
    }
}

impl SendMessage<Client, ClientAuth> for state::ClientChangeCipherSpec {
    /// The server asked: our Certificate is next.
    type Next = state::ClientCert;

    fn send(
        hs: Handshake<Client, Self, ClientAuth>,
    ) -> Result<Handshake<Client, Self::Next, ClientAuth>, Fatal> {
        let (hs, ()) = hs.try_with(send_client_ccs)?;
        Ok(hs.advance_same())
    }
}

impl Handshake<Client, state::ClientCert, ClientAuth> {
    /// The configured certificate and the scheme to sign with, if the
    /// CertificateRequest's signature_algorithms accept its key.
    fn usable_certificate(&self) -> Option<(CertifiedKey, SignatureScheme)> {
        let certified = self.core.config.client_certificate.clone()?;
        let scheme = certified
            .key
            .choose_scheme_tls13(&self.core.side.requested_schemes)?;
        Some((certified, scheme))
    }

    /// Whether the configured client certificate can answer this
    /// CertificateRequest.
    pub fn can_send_certificate(&self) -> bool {
        self.usable_certificate().is_some()
    }

    /// Sends the configured chain with the request's context (RFC 8446
    /// 4.4.2); our CertificateVerify is next. Without a usable certificate
    /// this fails with a configuration error: check
    /// [`can_send_certificate`](Self::can_send_certificate).
    pub fn send_certificate(
        self,
    ) -> Result<Handshake<Client, state::ClientCertVerify, ClientAuth>, Fatal> {
        let usable = self.usable_certificate();
        let (hs, chain) = self.try_with(|hs| {
            let (certified, scheme) = usable
                .ok_or_else(|| Error::Config("no client certificate the server accepts".into()))?;
            let context = hs.core.side.requested_context.clone();
            hs.core
                .send_handshake13(PayloadTls13::Certificate(CertificateTls13::from_chain(
                    context,
                    &certified.chain,
                )))?;
            hs.core.side.client_scheme = Some(scheme);
            Ok(certified.chain)
        })?;
        Ok(hs.advance(|known| Certified13 {
            client_certificates: chain,
            ..known
        }))
    }

    /// Sends an empty Certificate (RFC 8446 4.4.2.4): no CertificateVerify,
    /// our Finished is next.
    pub fn send_no_certificate(
        self,
    ) -> Result<Handshake<Client, state::ClientFinished, NoClientCert>, Fatal> {
        let (hs, ()) = self.try_with(|hs| {
            let context = hs.core.side.requested_context.clone();
            hs.core
                .send_handshake13(PayloadTls13::Certificate(CertificateTls13::from_chain(
                    context,
                    &[],
                )))
        })?;
        Ok(hs.reshape(|known| known))
    }
}

impl SendMessage<Client, ClientAuth> for state::ClientCertVerify {
    type Next = state::ClientFinished;

    /// Our signature over the transcript through our Certificate (RFC 8446
    /// 4.4.3), in the scheme chosen from the request's list.
    fn send(
        hs: Handshake<Client, Self, ClientAuth>,
    ) -> Result<Handshake<Client, Self::Next, ClientAuth>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            let certified = hs
                .core
                .config
                .client_certificate
                .clone()
                .ok_or(Error::Internal(
                    "no client certificate at CertificateVerify",
                ))?;
            let scheme = hs
                .core
                .side
                .client_scheme
                .ok_or(Error::Internal("no client scheme at CertificateVerify"))?;
            let hash = hs.core.transcript.current_hash()?;
            let signature = sign_certificate_verify(
                &certified.key,
                scheme,
                CLIENT_CERTIFICATE_VERIFY,
                hash.as_bytes(),
            )?;
            hs.core
                .send_handshake13(PayloadTls13::CertificateVerify(DigitallySigned {
                    scheme,
                    signature,
                }))
        })?;
        Ok(hs.advance_same())
    }
}

impl<P: Shape13> SendMessage<Client, P> for state::ClientFinished {
    /// The client's Finished is the last message of the handshake.
    type Next = state::HandshakeOver;

    fn send(hs: Handshake<Client, Self, P>) -> Result<Handshake<Client, Self::Next, P>, Fatal> {
        let (mut hs, ()) = hs.try_with(|hs| {
            let keys = &mut hs.core.side.tls13;
            let client_handshake = keys
                .client_handshake
                .take()
                .ok_or(Error::Internal("no client handshake secret at Finished"))?;
            let application = keys
                .client_application
                .take()
                .ok_or(Error::Internal("no client application secret at Finished"))?;
            let hash = hs.core.transcript.current_hash()?;
            let tag = finished_verify_data(&client_handshake, hash.as_bytes())?;
            let finished =
                FinishedTls13::new(tag.as_ref()).ok_or(Error::Internal("Finished length"))?;
            hs.core.send_handshake13(PayloadTls13::Finished(finished))?;
            // RFC 8446 7.1: resumption_master_secret over the transcript
            // through our Finished, for the tickets the server sends.
            let master = hs
                .core
                .side
                .tls13
                .master
                .take()
                .ok_or(Error::Internal("no master secret at Finished"))?;
            let finished_hash = hs.core.transcript.current_hash()?;
            hs.core.side.tls13.resumption =
                Some(master.resumption_master_secret(finished_hash.as_bytes())?);
            let sealer = hs.known.negotiated.suite.sealer(&application)?;
            hs.core.writer.set_sealer(Box::new(sealer));
            hs.core.write_traffic13 = Some(application);
            Ok(())
        })?;
        match hs.core.side.server_finished.take() {
            Some(verified) => Ok(hs.finish(verified)),
            None => Err(hs.fatal(Error::Internal("client Finished before the server's"))),
        }
    }
}
