//! The server's TLS 1.3 transitions (RFC 8446 4): the choice made from the
//! ClientHello, then ServerHello, the compatibility ChangeCipherSpec,
//! EncryptedExtensions, Certificate, CertificateVerify and Finished, and
//! the read of the client's Finished.
//!
//! Keys change at three points: the handshake keys for our writing after
//! ServerHello (and its ChangeCipherSpec), for our reading at the same
//! time (the client's next record is its Finished); the application keys
//! for our writing after our Finished, for our reading after the client's.

use super::known::{Certified13, Hello13, Negotiated13};
use super::table::state;

use crate::crypto::cert_signature::chain_signed_within;
use crate::crypto::tls13::{
    CLIENT_CERTIFICATE_VERIFY, EarlySecret, SERVER_CERTIFICATE_VERIFY, Secret,
    finished_verify_data, lookup_tls13, message_hash, resumption_psk, sign_certificate_verify,
    verify_certificate_verify, verify_finished,
};
use crate::crypto::{self, EphemeralKeyExchange, Transcript};
use crate::enums::{Compression, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::error::{CertificateError, Error, PeerIncompatible, PeerMisbehaved};
use crate::handshake::config::{CertifiedKey, ClientCertPolicy, MIN_EARLY_DATA_SKIP, ServerConfig};
use crate::handshake::core::{Core, EarlyDataReceived, Incoming, expect_payload13};
use crate::handshake::machine::{Fatal, Handshake, RecvMessage, SendMessage};
use crate::handshake::role::Server;
use crate::handshake::shape::{ClientAuth, EarlyData, Full, NoClientCert, Resumed};
use crate::handshake::side::{AcceptedPsk, EarlyAnswer, Server13};
use crate::handshake::tls12::shape::FullShape;
use crate::handshake::tls13::Shape13;
use crate::handshake::tls13::keys::client_early_secret;
use crate::keylog::KeyLog;
use crate::message::tls13::{
    CertificateRequestTls13, CertificateTls13, EncryptedExtensions, FinishedTls13, KeyShareEntry,
    MAX_STAPLED_OCSP_RESPONSE_LEN, NewSessionTicketTls13, PayloadTls13,
};
use crate::message::{
    ClientHello, DigitallySigned, HandshakePayload, PskKeyExchangeMode, Random, ServerExtension,
    ServerExtensions, ServerHello,
};
use crate::session::{MAX_TICKET_LIFETIME_SECS, TicketState13, now_millis};

/// The certificates that may answer a hello naming `server_name`: every
/// `certificates_by_name` entry for the name, in configured order (an
/// ECDSA and an RSA chain may share one), then the default chain. Each
/// comes with whether it was picked by name.
fn candidates<'c>(
    config: &'c ServerConfig,
    server_name: Option<&'c str>,
) -> impl Iterator<Item = (CertifiedKey, bool)> + 'c {
    let by_name = config
        .certificates_by_name
        .iter()
        .filter(move |(configured, _)| {
            server_name.is_some_and(|name| configured.eq_ignore_ascii_case(name))
        })
        .map(|(_, certified)| (certified.clone(), true));
    let default = CertifiedKey {
        chain: config.cert_chain.clone(),
        key: config.key.clone(),
        ocsp_response: config.ocsp_response.clone(),
    };
    by_name.chain(core::iter::once((default, false)))
}

/// Our certificate and CertificateVerify scheme for this hello (RFC 8446
/// 4.2.3, 4.4.2.2): the first candidate whose key can sign with a scheme
/// of signature_algorithms and whose chain is signed with schemes of
/// signature_algorithms_cert (or, without it, signature_algorithms); if no
/// chain satisfies that list, the first whose key can sign all the same
/// (the server "SHOULD continue the handshake", 4.4.2.2). With no key that
/// can sign, there is no common scheme.
fn choose_certificate(
    config: &ServerConfig,
    server_name: Option<&str>,
    hello: &ClientHello,
    offered_schemes: &[SignatureScheme],
) -> Result<(CertifiedKey, bool, SignatureScheme), Error> {
    let cert_schemes = hello.signature_algorithms_cert().unwrap_or(offered_schemes);
    let mut fallback = None;
    for (certified, by_name) in candidates(config, server_name) {
        let Some(scheme) = certified.key.choose_scheme_tls13(offered_schemes) else {
            continue;
        };
        if chain_signed_within(&certified.chain, cert_schemes) {
            return Ok((certified, by_name, scheme));
        }
        fallback.get_or_insert((certified, by_name, scheme));
    }
    fallback.ok_or_else(|| PeerIncompatible::NoCommonSignatureScheme.into())
}

/// The two rules of RFC 8446 4.2.8 on the client's shares: no two for one
/// group, none for a group supported_groups does not list. The RFC lets a
/// server check them ("MAY ... abort the handshake with an
/// illegal_parameter alert"); we do, for every entry, so a client that
/// breaks them learns it instead of being answered by the entry we liked.
///
/// Sets, not scans: a hello can carry some 13,000 shares and 32,000
/// groups, and a quadratic check would let a peer burn our CPU. The sets
/// are bitmaps over the 2^16 group numbers, on the stack (16 KiB), so
/// the check allocates nothing either.
fn check_key_shares(shares: &[KeyShareEntry], offered_groups: &[NamedGroup]) -> Result<(), Error> {
    let mut listed = GroupSet::new();
    for group in offered_groups {
        listed.insert(group.to_wire());
    }
    let mut seen = GroupSet::new();
    for share in shares {
        let group = share.group.to_wire();
        if !seen.insert(group) {
            return Err(PeerMisbehaved::IllegalParameter("two key shares for one group").into());
        }
        if !listed.contains(group) {
            return Err(PeerMisbehaved::IllegalParameter(
                "a key share for a group not in supported_groups",
            )
            .into());
        }
    }
    Ok(())
}

/// A set of group numbers: one bit per possible `u16`.
struct GroupSet([u64; 1 << 10]);

impl GroupSet {
    fn new() -> Self {
        Self([0; 1 << 10])
    }

    /// Adds `group`; whether it was new.
    fn insert(&mut self, group: u16) -> bool {
        let (word, bit) = (usize::from(group >> 6), 1u64 << (group & 63));
        match self.0.get_mut(word) {
            Some(slot) => {
                let new = *slot & bit == 0;
                *slot |= bit;
                new
            }
            None => false,
        }
    }

    fn contains(&self, group: u16) -> bool {
        let (word, bit) = (usize::from(group >> 6), 1u64 << (group & 63));
        self.0.get(word).is_some_and(|slot| slot & bit != 0)
    }
}

/// Chooses suite, group and scheme for a TLS 1.3 ClientHello (RFC 8446
/// 4.1.1, 4.2.3, 4.2.8, 9.2), in the server's order of preference.
fn choose(config: &ServerConfig, hello: &ClientHello) -> Result<Server13, Error> {
    // RFC 8446 9.2: a ClientHello offering TLS 1.3 without these (and not
    // using a PSK, which we do not accept) is refused with missing_extension.
    let shares = hello
        .key_shares()
        .ok_or(PeerMisbehaved::MissingExtension("key_share"))?;
    let offered_groups = hello
        .supported_groups()
        .ok_or(PeerMisbehaved::MissingExtension("supported_groups"))?;
    let offered_schemes = hello
        .signature_algorithms()
        .ok_or(PeerMisbehaved::MissingExtension("signature_algorithms"))?;
    // RFC 8446 4.1.2: legacy_compression_methods is exactly the null one.
    if hello.compression_methods.as_slice() != [Compression::Null] {
        return Err(PeerMisbehaved::IllegalParameter("compression in a TLS 1.3 hello").into());
    }
    check_key_shares(shares, offered_groups)?;
    let server_name = hello
        .server_name()
        .and_then(|name| core::str::from_utf8(name).ok())
        .map(str::to_owned);
    // Our order: the TLS 1.3 suites the configuration lists, or all three.
    let suite = crypto::tls13::configured_tls13_suites(&config.cipher_suites)
        .find(|suite| hello.cipher_suites.contains(&suite.suite))
        .ok_or(PeerIncompatible::NoCommonCipherSuite)?;
    // A share in a group of ours, our order first (every share's group is
    // one the client lists, checked above).
    let ours_offered =
        || {
            config.groups.iter().copied().filter(|group| {
                crypto::is_supported_group(*group) && offered_groups.contains(group)
            })
        };
    let share = ours_offered().find_map(|group| shares.iter().find(|share| share.group == group));
    // Without a usable share, a group we share gets a HelloRetryRequest
    // (RFC 8446 4.1.4): `client_share` stays empty.
    let (group, client_share) = match share {
        Some(share) => (share.group, Some(share.key_exchange.clone())),
        None => (
            ours_offered()
                .next()
                .ok_or(PeerIncompatible::NoCommonGroup)?,
            None,
        ),
    };
    let (mut certified, by_name, scheme) =
        choose_certificate(config, server_name.as_deref(), hello, offered_schemes)?;
    // RFC 8446 4.4.2.1: a response is stapled only for a client that asked
    // (status_request of type ocsp), and only one that fits a
    // CertificateEntry; `certified` keeps it for our Certificate.
    certified.ocsp_response = certified.ocsp_response.take().filter(|response| {
        hello.status_request().is_some_and(|r| r.is_ocsp())
            && !response.is_empty()
            && response.len() <= MAX_STAPLED_OCSP_RESPONSE_LEN
    });
    let alpn_protocol = match hello.alpn_protocols() {
        Some(offered) if !config.alpn_protocols.is_empty() => Some(
            config
                .alpn_protocols
                .iter()
                .find(|protocol| offered.contains(protocol))
                .cloned()
                .ok_or(PeerIncompatible::NoApplicationProtocol)?,
        ),
        _ => None,
    };
    Ok(Server13 {
        certified,
        by_name,
        alpn_protocol,
        suite,
        group,
        scheme,
        server_name,
        session_id: hello.session_id,
        client_share,
        retried: false,
        first_hello: None,
        post_handshake_auth: hello.offers_post_handshake_auth(),
        handshake_secret: None,
        client_handshake_secret: None,
        server_handshake_secret: None,
        client_application_secret: None,
        master: None,
        psk: None,
        client_takes_tickets: hello
            .psk_key_exchange_modes()
            .is_some_and(|modes| modes.contains(&PskKeyExchangeMode::PskDheKe)),
        early: match hello.offers_early_data() {
            true => EarlyAnswer::Rejected,
            false => EarlyAnswer::NotOffered,
        },
        early_opener: None,
    })
}

/// How many offered identities are tried at most: each costs an AEAD
/// open, and a client has no reason to offer more than a few.
const MAX_IDENTITIES_TRIED: usize = 4;

/// How far the client's idea of a ticket's age (its obfuscated_ticket_age
/// less the ticket's age_add) may be from ours, in milliseconds (RFC 8446
/// 8.3: clocks and the round trip make them differ a little). A ticket
/// outside this window gets a full handshake.
pub const TICKET_AGE_TOLERANCE_MS: u64 = 10_000;

/// Whether a ticket's client chain lets the session resume under this
/// server's client-auth `policy` (the TLS 1.2 rule, docs/security.md
/// item 1): `Some(true)` resumes with the chain, verified again now, as
/// the client's identity; `Some(false)` resumes anonymously (no chain and
/// none required, or no policy); `None` makes a full handshake.
fn client_auth_resumption(
    policy: Option<&crate::handshake::config::ClientCertPolicy>,
    state: &TicketState13,
) -> Option<bool> {
    let Some(policy) = policy else {
        return Some(false);
    };
    match state.client_certificates.split_first() {
        None if policy.required => None,
        None => Some(false),
        Some((end_entity, intermediates)) => policy
            .verifier
            .verify_client_cert(end_entity, intermediates, rustls_pki_types::UnixTime::now())
            .ok()
            .map(|_| true),
    }
}

/// The PSK of a ClientHello we resume (RFC 8446 4.2.11), if any. The
/// ClientHello is `core.msg`, not yet in the transcript. For each offered
/// identity, in order: a ticket our ticketer opens (an unknown, expired or
/// foreign one is passed over), of our suite's hash; its binder is then
/// checked, in constant time, before anything else looks at the PSK (a
/// wrong binder is decrypt_error); then its age, its server name and the
/// client-auth policy, any of which failing means a full handshake.
fn accept_psk(
    core: &Core<Server>,
    choice: &Server13,
    hello: &ClientHello,
) -> Result<Option<AcceptedPsk>, Error> {
    let (Some(ticketer), Some(offered)) = (&core.config.ticketer, hello.pre_shared_key()) else {
        return Ok(None);
    };
    // RFC 8446 4.2.9: only the modes the client lists; we take psk_dhe_ke
    // alone (psk_ke would give up forward secrecy).
    let dhe = hello
        .psk_key_exchange_modes()
        .is_some_and(|modes| modes.contains(&PskKeyExchangeMode::PskDheKe));
    if !dhe {
        return Ok(None);
    }
    // The binders end the message (pre_shared_key is the last extension,
    // checked when it was decoded): the truncated hello is what precedes
    // them, as received.
    let truncated = core
        .msg
        .len()
        .checked_sub(offered.binders_len())
        .and_then(|len| core.msg.get(..len))
        .ok_or(Error::Internal("binders beyond the ClientHello"))?;
    let now = now_millis();
    let offers = offered.identities.iter().zip(&offered.binders).enumerate();
    for (index, (identity, binder)) in offers.take(MAX_IDENTITIES_TRIED) {
        let Some(state) = ticketer.open13(&identity.identity, now) else {
            continue;
        };
        match lookup_tls13(state.suite) {
            Some(suite) if suite.hash == choice.suite.hash => {}
            _ => continue,
        }
        let binder_key =
            EarlySecret::new(choice.suite.hash, Some(state.psk.as_bytes()))?.binder_key(true)?;
        let hash = core.transcript.hash_with(truncated)?;
        let _binder_verified = verify_finished(&binder_key, hash.as_bytes(), binder)?;
        let client_age = u64::from(identity.obfuscated_ticket_age.wrapping_sub(state.age_add));
        let our_age = now.saturating_sub(state.created_ms);
        let fresh = client_age.abs_diff(our_age) <= TICKET_AGE_TOLERANCE_MS;
        // RFC 8446 4.6.1, 4.2.11: not across server names.
        let same_name = state.server_name == choice.server_name;
        if !fresh || !same_name {
            return Ok(None);
        }
        let Some(client_identity) = client_auth_resumption(core.side.client_auth.as_ref(), &state)
        else {
            return Ok(None);
        };
        let early_data = index == 0
            && choice.early == EarlyAnswer::Rejected
            && accepts_early_data(core, choice, &state, &identity.identity, client_age, now);
        let index = u16::try_from(index).map_err(|_| Error::Internal("identity index"))?;
        return Ok(Some(AcceptedPsk {
            index,
            state,
            client_identity,
            early_data,
        }));
    }
    Ok(None)
}

/// Whether the 0-RTT data offered with the first PSK, `state` (already
/// checked fresh, for this server name, its binder verified), is accepted
/// (RFC 8446 4.2.10, 8): we take early data; the ticket was issued
/// allowing it; this handshake has the ticket's suite and application
/// protocol; and the anti-replay register finds the ticket (`identity`)
/// fresh (its age, as the client gives it, within the register's window:
/// RFC 8446 8.3) and not seen before (8.1). Last, so that only a ticket
/// that would be accepted is recorded.
fn accepts_early_data(
    core: &Core<Server>,
    choice: &Server13,
    state: &TicketState13,
    identity: &[u8],
    client_age_ms: u64,
    now_ms: u64,
) -> bool {
    core.config.max_early_data_size > 0
        && state.max_early_data_size > 0
        && state.suite == choice.suite.suite
        && state.alpn_protocol == choice.alpn_protocol
        && core
            .config
            .anti_replay
            .admit_early_data(identity, state.created_ms, client_age_ms, now_ms)
            .accepts_early_data()
}

/// How much rejected early data the reader skips (RFC 8446 4.2.10).
fn early_skip_budget(config: &ServerConfig) -> usize {
    usize::try_from(config.max_early_data_size)
        .unwrap_or(usize::MAX)
        .max(MIN_EARLY_DATA_SKIP)
}

/// How the server answers a TLS 1.3 ClientHello.
pub(crate) enum Answer13 {
    /// A full handshake: our ServerHello is next.
    Full,
    /// A HelloRetryRequest first (no share in a group we take); a PSK is
    /// looked at in the second ClientHello.
    Retry,
    /// The resumption of the ticket the client offered.
    Resumed,
    /// The resumption, accepting the 0-RTT data offered with it.
    ResumedEarly,
}

/// The TLS 1.3 read of a ClientHello (the version is chosen in
/// `negotiate`): makes the choice, starts the transcript with the hello,
/// and switches the record layer to the TLS 1.3 rules. Returns whether a
/// HelloRetryRequest must come first (no share in a group we take).
pub(crate) fn recv_client_hello13(
    core: &mut Core<Server>,
    hello: &ClientHello,
) -> Result<(Hello13, Answer13), Error> {
    let mut choice = choose(&core.config, hello)?;
    let retry = choice.client_share.is_none();
    if retry {
        choice.first_hello = Some(Box::new(hello.clone()));
    }
    core.client_random = hello.random.0;
    core.transcript.start_hash(choice.suite.hash);
    let answer = match retry {
        true => {
            // RFC 8446 4.2.10: early data behind a hello we answer with a
            // HelloRetryRequest is skipped; the second hello has none.
            if choice.early == EarlyAnswer::Rejected {
                core.reader
                    .skip_rejected_early_data(early_skip_budget(&core.config));
                choice.early = EarlyAnswer::NotOffered;
            }
            Answer13::Retry
        }
        false => {
            choice.psk = accept_psk(core, &choice, hello)?.map(Box::new);
            match &choice.psk {
                Some(psk) if psk.early_data => {
                    choice.early = EarlyAnswer::Accepted;
                    Answer13::ResumedEarly
                }
                Some(_) => Answer13::Resumed,
                None => Answer13::Full,
            }
        }
    };
    core.hash_received();
    core.side.tls13 = Some(Box::new(choice));
    core.tls13 = true;
    core.reader.set_tls13();
    Ok((Hello13::default(), answer))
}

impl<P: FullShape> SendMessage<Server, P> for state::HelloRetryRequest {
    /// The compatibility ChangeCipherSpec, when configured, is written
    /// here, right after our first handshake message (RFC 8446 D.4): the
    /// client's second hello is next.
    type Next = state::ClientHello;

    /// Asks for a share in the group we chose (RFC 8446 4.1.4); the
    /// transcript's first ClientHello becomes its message_hash (4.4.1).
    fn send(hs: Handshake<Server, Self, P>) -> Result<Handshake<Server, Self::Next, P>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            let core = &mut hs.core;
            let choice = server13(core)?;
            let (suite, group, session_id) = (choice.suite, choice.group, choice.session_id);
            choice.retried = true;
            let first_hello = core.transcript.current_hash()?;
            let (message, len) = message_hash(suite.hash, first_hello.as_bytes())?;
            let mut transcript = Transcript::new();
            transcript.start_hash(suite.hash);
            transcript.add(&message[..len]);
            core.transcript = transcript;
            let mut extensions = ServerExtensions::new();
            extensions.push(ServerExtension::SupportedVersions(ProtocolVersion::Tls13));
            extensions.push(ServerExtension::KeyShareHrr(group));
            let retry = ServerHello {
                server_version: ProtocolVersion::Tls12,
                random: Random::HELLO_RETRY_REQUEST,
                session_id,
                cipher_suite: suite.suite,
                compression_method: Compression::Null,
                extensions,
            };
            core.send_handshake(HandshakePayload::ServerHello(retry))?;
            if core.config.middlebox_compat {
                core.send_compat_change_cipher_spec()?;
            }
            Ok(())
        })?;
        Ok(hs.advance_same())
    }
}

/// What the second ClientHello (after our HelloRetryRequest) decided: a
/// full handshake in the server's shape, or the resumption of the ticket
/// it offers.
#[derive(Debug)]
pub enum AfterSecondClientHello<P: Shape13> {
    /// A full handshake: our ServerHello is next.
    Full(Handshake<Server, state::ServerHello, P>),
    /// The resumption of the client's ticket (its binder verified over
    /// this hello): our ServerHello, with pre_shared_key, is next.
    Resumed(Handshake<Server, state::ServerHello, Resumed>),
}

impl<P: FullShape> RecvMessage<Server, P> for state::ClientHello {
    type Next = AfterSecondClientHello<P>;

    /// The second ClientHello: chosen from again, it must keep the suite
    /// and now carry a share in the group we asked for (RFC 8446 4.1.2;
    /// anything else is illegal_parameter). A second HelloRetryRequest is
    /// never sent (4.1.4). Its PSK, if any, is checked as in a first one,
    /// the binder over the transcript with our HelloRetryRequest.
    fn recv(hs: Handshake<Server, Self, P>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, resumed) = hs.try_with(|hs| {
            let hello = expect_payload13!(message, ClientHello)?;
            let core = &mut hs.core;
            let mut second = choose(&core.config, &hello)?;
            let first = server13(core)?;
            if second.suite != first.suite
                || second.group != first.group
                || second.client_share.is_none()
                || second.session_id != first.session_id
            {
                return Err(PeerMisbehaved::IllegalParameter(
                    "a second ClientHello that does not answer the HelloRetryRequest",
                )
                .into());
            }
            let first_hello = first
                .first_hello
                .take()
                .ok_or(Error::Internal("the first ClientHello was not kept"))?;
            check_second_hello(&first_hello, &hello, first.group)?;
            second.retried = true;
            second.psk = accept_psk(core, &second, &hello)?.map(Box::new);
            let resumed = second.psk.is_some();
            core.hash_received();
            core.side.tls13 = Some(Box::new(second));
            Ok(resumed)
        })?;
        Ok(match resumed {
            true => AfterSecondClientHello::Resumed(hs.reshape(|known| known)),
            false => AfterSecondClientHello::Full(hs.advance_same()),
        })
    }
}

/// RFC 8446 4.1.2: the second ClientHello is the first "without
/// modification, except": key_share now one share, in the group asked for;
/// early_data removed; a cookie only if the HelloRetryRequest carried one
/// (ours never does: the first hello is kept here instead, so a cookie is
/// a change); pre_shared_key updated; padding resized. Everything else
/// (version, random, session ID, suites, compression, every other
/// extension, in order) must be the same, or it is illegal_parameter.
fn check_second_hello(
    first: &ClientHello,
    second: &ClientHello,
    group: crate::enums::NamedGroup,
) -> Result<(), Error> {
    use crate::message::ClientExtension;
    /// padding (RFC 7685), whose length a client may change.
    const PADDING: u16 = 21;
    /// What must stay: every extension but those RFC 8446 4.1.2 lets change.
    fn must_stay(extension: &&ClientExtension) -> bool {
        !matches!(
            extension,
            ClientExtension::KeyShare(_)
                | ClientExtension::EarlyData
                | ClientExtension::PreSharedKey(_)
        ) && !matches!(extension, ClientExtension::Unknown { typ, .. } if typ.to_wire() == PADDING)
    }
    let changed = |why| Err(PeerMisbehaved::IllegalParameter(why).into());
    if second.client_version != first.client_version
        || second.random != first.random
        || second.session_id != first.session_id
        || second.cipher_suites != first.cipher_suites
        || second.compression_methods != first.compression_methods
    {
        return changed("a second ClientHello that changed its fixed fields");
    }
    // A cookie is among what must stay: ours never asks for one.
    let staying = first.extensions.iter().filter(must_stay);
    if !staying.eq(second.extensions.iter().filter(must_stay)) {
        return changed("a second ClientHello that changed an extension");
    }
    match second.key_shares() {
        Some([share]) if share.group == group => {}
        _ => return changed("a second ClientHello without exactly one share, in our group"),
    }
    if second
        .extensions
        .iter()
        .any(|e| matches!(e, ClientExtension::EarlyData))
    {
        return changed("early_data in the second ClientHello");
    }
    Ok(())
}

fn server13(core: &mut Core<Server>) -> Result<&mut Server13, Error> {
    core.side
        .tls13
        .as_deref_mut()
        .ok_or(Error::Internal("no TLS 1.3 choice"))
}

fn log_secret(core: &Core<Server>, label: &str, secret: &Secret) {
    if let Some(key_log) = core.config.key_log.as_deref() {
        KeyLog::log(key_log, label, &core.client_random, secret.as_bytes());
    }
}

fn negotiated(choice: &mut Server13) -> Negotiated13 {
    Negotiated13 {
        suite: choice.suite,
        group: choice.group,
        alpn_protocol: choice.alpn_protocol.clone(),
        // Moved: nothing after the ServerHello reads the choice's.
        server_name: choice.server_name.take(),
    }
}

impl<P: Shape13> SendMessage<Server, P> for state::ServerHello {
    type Next = state::ServerChangeCipherSpec;

    /// Writes the ServerHello (our share for the client's group), then
    /// derives the handshake secrets and makes their keys.
    fn send(hs: Handshake<Server, Self, P>) -> Result<Handshake<Server, Self::Next, P>, Fatal> {
        let (hs, negotiated) = hs.try_with(|hs| {
            let core = &mut hs.core;
            crypto::fill_random(&mut core.server_random)?;
            let choice = server13(core)?;
            let kx = EphemeralKeyExchange::generate(choice.group)?;
            let public = kx.public_key().to_vec();
            let client_share = choice
                .client_share
                .as_deref()
                .ok_or(Error::Internal("ServerHello without the client's share"))?;
            let shared = kx.complete(client_share)?;
            let (suite, group, session_id) = (choice.suite, choice.group, choice.session_id);
            let negotiated = negotiated(choice);
            let mut extensions = ServerExtensions::new();
            extensions.push(ServerExtension::SupportedVersions(ProtocolVersion::Tls13));
            extensions.push(ServerExtension::KeyShare(KeyShareEntry {
                group,
                key_exchange: public,
            }));
            // RFC 8446 4.2.11: the identity we resume.
            if let Some(psk) = &choice.psk {
                extensions.push(ServerExtension::PreSharedKey(psk.index));
            }
            let hello = ServerHello {
                // RFC 8446 4.1.3: legacy_version is TLS 1.2; the version
                // is in supported_versions.
                server_version: ProtocolVersion::Tls12,
                random: Random(core.server_random),
                session_id,
                cipher_suite: suite.suite,
                compression_method: Compression::Null,
                extensions,
            };
            let early = match &server13(core)?.psk {
                Some(psk) => EarlySecret::new(suite.hash, Some(psk.state.psk.as_bytes()))?,
                None => EarlySecret::new(suite.hash, None)?,
            };
            // Accepted 0-RTT: its key, over the ClientHello alone.
            let early_secret = match core.side.tls13.as_deref() {
                Some(choice) if choice.early == EarlyAnswer::Accepted => {
                    let psk = choice
                        .psk
                        .as_ref()
                        .ok_or(Error::Internal("early data without a PSK"))?;
                    Some(client_early_secret(core, suite, psk.state.psk.as_bytes())?)
                }
                _ => None,
            };
            if let Some(secret) = early_secret {
                server13(core)?.early_opener = Some(Box::new(suite.opener(&secret)?));
            }
            core.send_handshake(HandshakePayload::ServerHello(hello))?;
            let hello_hash = core.transcript.current_hash()?;
            let handshake = early.into_handshake(shared.as_bytes())?;
            let secrets = handshake.traffic_secrets(hello_hash.as_bytes())?;
            log_secret(core, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", &secrets.client);
            log_secret(core, "SERVER_HANDSHAKE_TRAFFIC_SECRET", &secrets.server);
            core.pending_sealer = Some(Box::new(suite.sealer(&secrets.server)?));
            core.pending_opener = Some(Box::new(suite.opener(&secrets.client)?));
            let choice = server13(core)?;
            choice.handshake_secret = Some(handshake);
            choice.client_handshake_secret = Some(secrets.client);
            choice.server_handshake_secret = Some(secrets.server);
            Ok(negotiated)
        })?;
        Ok(hs.advance(|_hello| negotiated))
    }
}

impl<P: Shape13> SendMessage<Server, P> for state::ServerChangeCipherSpec {
    type Next = state::EncryptedExtensions;

    /// Writes the compatibility ChangeCipherSpec when configured (RFC 8446
    /// D.4), then switches both directions to the handshake keys: our
    /// next record is EncryptedExtensions, the client's its Finished (its
    /// own compatibility ChangeCipherSpec is dropped by the record layer).
    fn send(hs: Handshake<Server, Self, P>) -> Result<Handshake<Server, Self::Next, P>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            let core = &mut hs.core;
            // After a HelloRetryRequest the compatibility ChangeCipherSpec
            // has been sent already.
            if core.config.middlebox_compat && !server13(core)?.retried {
                core.send_compat_change_cipher_spec()?;
            }
            let sealer = core
                .pending_sealer
                .take()
                .ok_or(Error::Internal("no handshake keys"))?;
            let opener = core
                .pending_opener
                .take()
                .ok_or(Error::Internal("no handshake keys"))?;
            core.writer.set_sealer(sealer);
            let choice = server13(core)?;
            match choice.early {
                EarlyAnswer::Accepted => {
                    // The client's early data, then its EndOfEarlyData,
                    // come under the early key; the handshake key waits.
                    let early = choice
                        .early_opener
                        .take()
                        .ok_or(Error::Internal("no early key"))?;
                    // The ticket's allowance or ours now, whichever is less
                    // (a configuration may have lowered it since).
                    let allowed = choice
                        .psk
                        .as_ref()
                        .map_or(0, |psk| psk.state.max_early_data_size)
                        .min(core.config.max_early_data_size);
                    core.pending_opener = Some(opener);
                    core.early_data = Some(EarlyDataReceived {
                        data: Vec::new(),
                        received: 0,
                        max: usize::try_from(allowed).unwrap_or(usize::MAX),
                        ended: false,
                    });
                    core.reader.install_opener(early)
                }
                answer => {
                    // RFC 8446 5.1: the ClientHello must end its record;
                    // anything after it would straddle the key change.
                    core.reader.install_opener(opener)?;
                    if answer == EarlyAnswer::Rejected {
                        core.reader
                            .skip_rejected_early_data(early_skip_budget(&core.config));
                    }
                    Ok(())
                }
            }
        })?;
        Ok(hs.advance_same())
    }
}

/// Our answers to ALPN and server_name; nothing TLS 1.2-only.
fn send_encrypted_extensions(core: &mut Core<Server>) -> Result<(), Error> {
    let choice = server13(core)?;
    let mut extensions = EncryptedExtensions::default();
    if choice.by_name {
        extensions
            .extensions
            .push(ExtensionType::ServerName, Vec::new());
    }
    if let Some(protocol) = &choice.alpn_protocol {
        extensions.set_alpn_protocol(protocol);
    }
    // RFC 8446 4.2.10: an empty early_data accepts the client's.
    if choice.early == EarlyAnswer::Accepted {
        extensions
            .extensions
            .push(ExtensionType::EarlyData, Vec::new());
    }
    core.send_handshake13(PayloadTls13::EncryptedExtensions(extensions))
}

impl SendMessage<Server, Full> for state::EncryptedExtensions {
    type Next = state::ServerCert;

    fn send(
        hs: Handshake<Server, Self, Full>,
    ) -> Result<Handshake<Server, Self::Next, Full>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| send_encrypted_extensions(&mut hs.core))?;
        Ok(hs.advance_same())
    }
}

impl SendMessage<Server, Resumed> for state::EncryptedExtensions {
    /// Resuming, no Certificate or CertificateVerify: our Finished is
    /// next. The server's chain is the one we hold; the client's, the
    /// ticket's, if the client-auth policy verified it again.
    type Next = state::ServerFinished;

    fn send(
        hs: Handshake<Server, Self, Resumed>,
    ) -> Result<Handshake<Server, Self::Next, Resumed>, Fatal> {
        send_resumed_encrypted_extensions(hs)
    }
}

impl SendMessage<Server, EarlyData> for state::EncryptedExtensions {
    /// As resumed, with early_data accepting the client's 0-RTT data.
    type Next = state::ServerFinished;

    fn send(
        hs: Handshake<Server, Self, EarlyData>,
    ) -> Result<Handshake<Server, Self::Next, EarlyData>, Fatal> {
        send_resumed_encrypted_extensions(hs)
    }
}

/// EncryptedExtensions of a resumption: the identities are the ticket's.
fn send_resumed_encrypted_extensions<P: Shape13>(
    hs: Handshake<Server, state::EncryptedExtensions, P>,
) -> Result<Handshake<Server, state::ServerFinished, P>, Fatal> {
    let (hs, (server_certificates, client_certificates)) = hs.try_with(|hs| {
        send_encrypted_extensions(&mut hs.core)?;
        let choice = server13(&mut hs.core)?;
        let psk = choice
            .psk
            .as_ref()
            .ok_or(Error::Internal("resuming without a PSK"))?;
        let client = match psk.client_identity {
            true => psk.state.client_certificates.clone(),
            false => Default::default(),
        };
        Ok((choice.certified.chain.clone(), client))
    })?;
    Ok(hs.advance(|negotiated| Certified13 {
        negotiated,
        server_certificates,
        // No Certificate on resumption, so nothing is stapled.
        ocsp_response: None,
        client_certificates,
    }))
}

impl SendMessage<Server, ClientAuth> for state::EncryptedExtensions {
    /// A server that asks for a client certificate writes its
    /// CertificateRequest next.
    type Next = state::ServerCertReq;

    fn send(
        hs: Handshake<Server, Self, ClientAuth>,
    ) -> Result<Handshake<Server, Self::Next, ClientAuth>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| send_encrypted_extensions(&mut hs.core))?;
        Ok(hs.advance_same())
    }
}

/// Our TLS 1.3 CertificateRequest under `policy` (RFC 8446 4.3.2): the
/// schemes of [`client_schemes13`] and the policy's CA names. `context` is
/// empty in the handshake and fresh for post-handshake authentication.
pub(crate) fn certificate_request13(
    context: Vec<u8>,
    policy: &ClientCertPolicy,
) -> Result<CertificateRequestTls13, Error> {
    let mut request = CertificateRequestTls13 {
        context,
        ..CertificateRequestTls13::default()
    };
    let mut schemes = Vec::new();
    for scheme in client_schemes13() {
        schemes.extend_from_slice(&scheme.to_wire().to_be_bytes());
    }
    let mut body = Vec::new();
    push_u16_vector(&mut body, &schemes)?;
    request
        .extensions
        .push(ExtensionType::SignatureAlgorithms, body);
    let hints = policy.verifier.root_hint_subjects();
    if !hints.is_empty() {
        let mut names = Vec::new();
        for subject in hints {
            push_u16_vector(&mut names, subject)?;
        }
        let mut body = Vec::new();
        push_u16_vector(&mut body, &names)?;
        request
            .extensions
            .push(ExtensionType::CertificateAuthorities, body);
    }
    Ok(request)
}

/// The schemes we accept in a client's TLS 1.3 CertificateVerify: all we
/// verify except PKCS#1 v1.5, which TLS 1.3 forbids there (RFC 8446 4.2.3).
pub(crate) fn client_schemes13() -> impl Iterator<Item = SignatureScheme> {
    crypto::SUPPORTED_SIGNATURE_SCHEMES
        .iter()
        .copied()
        .filter(|scheme| !is_pkcs1(*scheme))
}

fn is_pkcs1(scheme: SignatureScheme) -> bool {
    matches!(
        scheme,
        SignatureScheme::RSA_PKCS1_SHA256
            | SignatureScheme::RSA_PKCS1_SHA384
            | SignatureScheme::RSA_PKCS1_SHA512
    )
}

/// Appends a TLS vector with a two-byte length.
fn push_u16_vector(out: &mut Vec<u8>, body: &[u8]) -> Result<(), Error> {
    let len = u16::try_from(body.len()).map_err(|_| Error::Internal("vector too long"))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    Ok(())
}

impl SendMessage<Server, ClientAuth> for state::ServerCertReq {
    type Next = state::ServerCert;

    /// An empty context (RFC 8446 4.3.2: during the handshake), our TLS
    /// 1.3 schemes in signature_algorithms, and the verifier's root
    /// subjects, if any, in certificate_authorities (4.2.4).
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
            let request = certificate_request13(Vec::new(), policy)?;
            hs.core
                .send_handshake13(PayloadTls13::CertificateRequest(request))
        })?;
        Ok(hs.advance_same())
    }
}

impl<P: FullShape> SendMessage<Server, P> for state::ServerCert {
    type Next = state::ServerCertVerify;

    /// Our chain, with an empty request context (RFC 8446 4.4.2), and the
    /// OCSP response, if we staple one, in the end-entity's entry
    /// (4.4.2.1).
    fn send(hs: Handshake<Server, Self, P>) -> Result<Handshake<Server, Self::Next, P>, Fatal> {
        let (hs, (chain, ocsp_response)) = hs.try_with(|hs| {
            let certified = &server13(&mut hs.core)?.certified;
            let (chain, ocsp_response) = (certified.chain.clone(), certified.ocsp_response.clone());
            match &ocsp_response {
                // Stapling: the end-entity entry carries status_request.
                Some(response) => {
                    let mut certificate = CertificateTls13::from_chain(Vec::new(), &chain);
                    certificate.staple_ocsp_response(response);
                    hs.core
                        .send_handshake13(PayloadTls13::Certificate(certificate))?;
                }
                // Else encoded straight from the chain, without copying it
                // into a message first.
                None => hs.core.send_encoded(|out| {
                    CertificateTls13::encode_message_from_chain(&[], &chain, out);
                })?,
            }
            Ok((chain, ocsp_response))
        })?;
        Ok(hs.advance(|negotiated| Certified13 {
            negotiated,
            server_certificates: chain,
            ocsp_response,
            client_certificates: Default::default(),
        }))
    }
}

impl<P: FullShape> SendMessage<Server, P> for state::ServerCertVerify {
    type Next = state::ServerFinished;

    /// Our signature over the transcript through our Certificate (RFC 8446
    /// 4.4.3).
    fn send(hs: Handshake<Server, Self, P>) -> Result<Handshake<Server, Self::Next, P>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            let hash = hs.core.transcript.current_hash()?;
            let choice = server13(&mut hs.core)?;
            let scheme = choice.scheme;
            let signature = sign_certificate_verify(
                &choice.certified.key,
                scheme,
                SERVER_CERTIFICATE_VERIFY,
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

/// Our Finished, then the application secrets: our writing switches to
/// them now, the client's after its Finished (RFC 8446 7.1: the client's
/// Certificate and CertificateVerify are not in their transcript).
fn send_server_finished(core: &mut Core<Server>) -> Result<(), Error> {
    let hash = core.transcript.current_hash()?;
    let choice = server13(core)?;
    let suite = choice.suite;
    let base = choice
        .server_handshake_secret
        .take()
        .ok_or(Error::Internal("no server handshake secret"))?;
    let handshake = choice
        .handshake_secret
        .take()
        .ok_or(Error::Internal("no handshake secret"))?;
    let verify_data = finished_verify_data(&base, hash.as_bytes())?;
    let finished = FinishedTls13::new(verify_data.as_ref())
        .ok_or(Error::Internal("verify_data longer than any hash"))?;
    core.send_handshake13(PayloadTls13::Finished(finished))?;
    let finished_hash = core.transcript.current_hash()?;
    let master = handshake.into_master()?;
    let secrets = master.traffic_secrets(finished_hash.as_bytes())?;
    log_secret(core, "CLIENT_TRAFFIC_SECRET_0", &secrets.client);
    log_secret(core, "SERVER_TRAFFIC_SECRET_0", &secrets.server);
    if core.config.key_log.is_some() {
        let exporter = master.exporter_master_secret(finished_hash.as_bytes())?;
        log_secret(core, "EXPORTER_SECRET", &exporter);
    }
    core.writer
        .set_sealer(Box::new(suite.sealer(&secrets.server)?));
    core.write_traffic13 = Some(secrets.server);
    let choice = server13(core)?;
    choice.client_application_secret = Some(secrets.client);
    choice.master = Some(master);
    Ok(())
}

impl SendMessage<Server, Full> for state::ServerFinished {
    /// The client's compatibility ChangeCipherSpec is never awaited (the
    /// record layer drops it): its Finished is next.
    type Next = state::ClientFinished;

    fn send(
        hs: Handshake<Server, Self, Full>,
    ) -> Result<Handshake<Server, Self::Next, Full>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| send_server_finished(&mut hs.core))?;
        Ok(hs.advance_same())
    }
}

impl SendMessage<Server, Resumed> for state::ServerFinished {
    /// The client's Finished is next.
    type Next = state::ClientFinished;

    fn send(
        hs: Handshake<Server, Self, Resumed>,
    ) -> Result<Handshake<Server, Self::Next, Resumed>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| send_server_finished(&mut hs.core))?;
        Ok(hs.advance_same())
    }
}

impl SendMessage<Server, EarlyData> for state::ServerFinished {
    /// The client's early data and its EndOfEarlyData are next.
    type Next = state::EndOfEarlyData;

    fn send(
        hs: Handshake<Server, Self, EarlyData>,
    ) -> Result<Handshake<Server, Self::Next, EarlyData>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| send_server_finished(&mut hs.core))?;
        Ok(hs.advance_same())
    }
}

impl RecvMessage<Server, EarlyData> for state::EndOfEarlyData {
    /// The client's Finished is next, under its handshake key.
    type Next = Handshake<Server, state::ClientFinished, EarlyData>;

    /// Reads the early data (kept apart: see `Core::read_message`) up to
    /// the EndOfEarlyData, which must end its record (RFC 8446 5.1); the
    /// reader then takes the client's handshake key.
    fn recv(
        hs: Handshake<Server, Self, EarlyData>,
        message: Incoming,
    ) -> Result<Self::Next, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            let core = &mut hs.core;
            let Incoming::Tls13(PayloadTls13::EndOfEarlyData) = message else {
                return Err(Error::Internal(
                    "table check let through a non-EndOfEarlyData",
                ));
            };
            core.hash_received();
            if let Some(early) = core.early_data.as_mut() {
                early.ended = true;
            }
            let opener = core
                .pending_opener
                .take()
                .ok_or(Error::Internal("no handshake key after early data"))?;
            core.reader.install_opener(opener)
        })?;
        Ok(hs.advance_same())
    }
}

impl SendMessage<Server, ClientAuth> for state::ServerFinished {
    /// Having asked, the client's Certificate is next.
    type Next = state::ClientCert;

    fn send(
        hs: Handshake<Server, Self, ClientAuth>,
    ) -> Result<Handshake<Server, Self::Next, ClientAuth>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| send_server_finished(&mut hs.core))?;
        Ok(hs.advance_same())
    }
}

/// What the client answered to our TLS 1.3 CertificateRequest.
#[derive(Debug)]
pub enum AfterClientCert13 {
    /// A chain we verified: its CertificateVerify is next.
    Certificate(Handshake<Server, state::ClientCertVerify, ClientAuth>),
    /// An empty Certificate, and our policy lets the client in without
    /// one: its Finished is next.
    NoCertificate(Handshake<Server, state::ClientFinished, NoClientCert>),
}

impl RecvMessage<Server, ClientAuth> for state::ClientCert {
    type Next = AfterClientCert13;

    /// The context must be our (empty) one; an empty chain is refused with
    /// certificate_required when the policy requires one (RFC 8446 4.4.2.4),
    /// any other chain must pass the policy's verifier.
    fn recv(
        hs: Handshake<Server, Self, ClientAuth>,
        message: Incoming,
    ) -> Result<Self::Next, Fatal> {
        let (hs, chain) = hs.try_with(|hs| {
            let certificate = expect_payload13!(message, Certificate)?;
            let policy = hs
                .core
                .side
                .client_auth
                .as_ref()
                .ok_or(Error::Internal("no client-auth policy"))?;
            // Our CertificateRequest's context is empty.
            let chain = policy.check_tls13_certificate(certificate, &[])?;
            hs.core.hash_received();
            Ok(chain)
        })?;
        if chain.is_empty() {
            return Ok(AfterClientCert13::NoCertificate(hs.reshape(|known| known)));
        }
        Ok(AfterClientCert13::Certificate(hs.advance(
            |known: Certified13| Certified13 {
                client_certificates: chain,
                ..known
            },
        )))
    }
}

impl RecvMessage<Server, ClientAuth> for state::ClientCertVerify {
    /// The client's Finished is next.
    type Next = Handshake<Server, state::ClientFinished, ClientAuth>;

    /// The client's signature over the transcript through its Certificate
    /// (RFC 8446 4.4.3), in a scheme we offered in the CertificateRequest.
    fn recv(
        hs: Handshake<Server, Self, ClientAuth>,
        message: Incoming,
    ) -> Result<Self::Next, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            let signed = expect_payload13!(message, CertificateVerify)?;
            if !client_schemes13().any(|scheme| scheme == signed.scheme) {
                return Err(PeerMisbehaved::IllegalParameter(
                    "a signature scheme we did not offer",
                )
                .into());
            }
            let end_entity = hs
                .known
                .client_certificates
                .first()
                .ok_or(CertificateError::Empty)?;
            let hash = hs.core.transcript.current_hash()?;
            verify_certificate_verify(
                end_entity,
                signed.scheme,
                CLIENT_CERTIFICATE_VERIFY,
                hash.as_bytes(),
                &signed.signature,
            )?;
            hs.core.hash_received();
            Ok(())
        })?;
        Ok(hs.advance_same())
    }
}

/// Our NewSessionTickets (RFC 8446 4.6.1), when a ticketer is configured
/// and the client listed psk_dhe_ke: `tls13_tickets` of them, each with its own nonce (so its own PSK) and
/// a random ticket_age_add, sealing the resumption PSK with the suite, the
/// server name, the verified client chain and the time.
///
/// They are queued here, at the read of the client's Finished, because
/// this is the only point where both hold: the transcript ends at the
/// client's Finished (the resumption master secret is over exactly it)
/// and our writing is already under the application key. Queued in the
/// handshake's output, they go out before any application data the
/// connection writes, and the secrets they come from never leave the
/// handshake state (wiped with it), so nothing of them is copied into
/// the connection.
fn send_tickets(core: &mut Core<Server>, known: &Certified13) -> Result<(), Error> {
    let Some(ticketer) = core.config.ticketer.clone() else {
        return Ok(());
    };
    // A client that lists no psk_dhe_ke (RFC 8446 4.2.9) could not use
    // a ticket of ours: it gets none.
    let count = match server13(core)?.client_takes_tickets {
        true => core.config.tls13_tickets,
        false => 0,
    };
    let hash = core.transcript.current_hash()?;
    let choice = server13(core)?;
    let master = choice
        .master
        .take()
        .ok_or(Error::Internal("no master secret at the client's Finished"))?;
    if count == 0 {
        return Ok(());
    }
    let resumption = master.resumption_master_secret(hash.as_bytes())?;
    let lifetime = ticketer.lifetime_hint().min(MAX_TICKET_LIFETIME_SECS);
    // The server name from what the handshake knows: `Server13` hands its
    // own over to `Negotiated13` at the ServerHello.
    let (suite, server_name) = (choice.suite.suite, known.negotiated.server_name.clone());
    let alpn_protocol = choice.alpn_protocol.clone();
    for n in 0..count {
        // Unique per ticket of this connection, as RFC 8446 4.6.1 asks.
        let nonce = u64::try_from(n)
            .map_err(|_| Error::Internal("ticket count"))?
            .to_be_bytes()
            .to_vec();
        let mut age_add = [0u8; 4];
        crypto::fill_random(&mut age_add)?;
        let age_add = u32::from_be_bytes(age_add);
        let state = TicketState13 {
            suite,
            psk: resumption_psk(&resumption, &nonce)?,
            age_add,
            created_ms: now_millis(),
            lifetime_secs: lifetime,
            server_name: server_name.clone(),
            alpn_protocol: alpn_protocol.clone(),
            client_certificates: known.client_certificates.clone(),
            max_early_data_size: core.config.max_early_data_size,
        };
        let ticket = ticketer.seal13(&state)?;
        if ticket.is_empty() {
            // Too long to send (a huge client chain): no tickets.
            break;
        }
        // RFC 8446 4.6.1: early_data with max_early_data_size, when we
        // take 0-RTT.
        let mut extensions = crate::message::tls13::Extensions::default();
        if core.config.max_early_data_size > 0 {
            extensions.push(
                ExtensionType::EarlyData,
                core.config.max_early_data_size.to_be_bytes().to_vec(),
            );
        }
        core.send_post_handshake13(PayloadTls13::NewSessionTicket(NewSessionTicketTls13 {
            lifetime,
            age_add,
            nonce,
            ticket,
            extensions,
        }))?;
    }
    Ok(())
}

impl<P: Shape13> RecvMessage<Server, P> for state::ClientFinished {
    type Next = Handshake<Server, state::HandshakeOver, P>;

    /// Checks the client's Finished (constant time; decrypt_error when
    /// wrong), switches our reading to the application keys, and queues
    /// our tickets (see [`send_tickets`]).
    fn recv(hs: Handshake<Server, Self, P>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, verified) = hs.try_with(|hs| {
            let finished = expect_payload13!(message, Finished)?;
            let core = &mut hs.core;
            let hash = core.transcript.current_hash()?;
            let choice = server13(core)?;
            let suite = choice.suite;
            let base = choice
                .client_handshake_secret
                .take()
                .ok_or(Error::Internal("no client handshake secret"))?;
            let application = choice
                .client_application_secret
                .take()
                .ok_or(Error::Internal("no client application secret"))?;
            let verified = verify_finished(&base, hash.as_bytes(), finished.verify_data())?;
            core.hash_received();
            core.reader
                .install_opener(Box::new(suite.opener(&application)?))?;
            core.reader.end_compat_ccs();
            core.read_traffic13 = Some(application);
            send_tickets(&mut hs.core, &hs.known)?;
            Ok(verified)
        })?;
        Ok(hs.finish(verified))
    }
}

impl<P: crate::handshake::shape::Shape> Handshake<Server, state::HandshakeOver, P> {
    /// The signature scheme of our CertificateVerify, for the summary.
    pub(crate) fn tls13_server_scheme(&self) -> Option<crate::enums::SignatureScheme> {
        self.core.side.tls13.as_ref().map(|choice| choice.scheme)
    }
}
