//! The client's transitions: what it writes and how it checks what it reads.

use std::sync::Arc;

use rustls_pki_types::{ServerName, UnixTime};

use super::config::ClientConfig;
use super::core::{Core, Incoming};
use super::known::{Certified, Hello, Keyed, Knows, Negotiated};
use super::machine::{Fatal, Full, Handshake, RecvMessage, SendMessage, Shape};
use super::role::Client;
use super::table::state;
use crate::crypto::{self, EphemeralKeyExchange, KeyBlock, SupportedCipherSuite};
use crate::enums::{
    CipherSuite, Compression, EcPointFormat, ExtensionType, NamedGroup, ProtocolVersion,
    SignatureScheme,
};
use crate::error::{CertificateError, Error, PeerIncompatible, PeerMisbehaved};
use crate::keylog::KeyLog;
use crate::message::{
    ClientExtension, ClientHello, ClientKeyExchange, Finished, HandshakePayload, Random,
    ServerHello, ServerKeyExchange, SessionId,
};

/// The client's own state between transitions.
#[derive(Debug)]
pub struct ClientSide {
    server_name: ServerName<'static>,
    /// What the ClientHello offered, to check the server's choices.
    offered_suites: Vec<CipherSuite>,
    offered_groups: Vec<NamedGroup>,
    offered_schemes: Vec<SignatureScheme>,
    /// The server's ECDHE public key, from ServerKeyExchange.
    server_public: Vec<u8>,
}

impl Handshake<Client, state::ClientHello> {
    /// Starts a client handshake with `server_name`: a DNS name is sent as
    /// SNI and checked against the certificate; an IP address is only
    /// checked.
    pub fn client(config: Arc<ClientConfig>, server_name: ServerName<'static>) -> Self {
        let side = ClientSide {
            server_name,
            offered_suites: Vec::new(),
            offered_groups: Vec::new(),
            offered_schemes: Vec::new(),
            server_public: Vec::new(),
        };
        let mut core = Core::<Client>::new(config, side);
        core.writer
            .set_max_fragment_len(core.config.max_fragment_len);
        Self::from_parts(Box::new(core), Hello::new())
    }
}

fn client_hello(core: &mut Core<Client>) -> Result<ClientHello, Error> {
    let config = &core.config;
    let side = &mut core.side;
    side.offered_suites = config
        .cipher_suites
        .iter()
        .copied()
        .filter(|s| crypto::lookup(*s).is_some())
        .collect();
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
            "no supported cipher suite, group or signature scheme configured".into(),
        ));
    }
    crypto::fill_random(&mut core.client_random)?;

    let mut extensions = Vec::with_capacity(7);
    if let ServerName::DnsName(name) = &side.server_name {
        extensions.push(ClientExtension::ServerName(
            name.as_ref().as_bytes().to_vec(),
        ));
    }
    extensions.push(ClientExtension::SupportedGroups(
        side.offered_groups.clone(),
    ));
    extensions.push(ClientExtension::EcPointFormats(vec![
        EcPointFormat::Uncompressed,
    ]));
    extensions.push(ClientExtension::SignatureAlgorithms(
        side.offered_schemes.clone(),
    ));
    extensions.push(ClientExtension::ExtendedMasterSecret);
    if !config.alpn_protocols.is_empty() {
        extensions.push(ClientExtension::Alpn(config.alpn_protocols.clone()));
    }
    // RFC 5746 3.4: an empty renegotiation_info on the initial handshake.
    extensions.push(ClientExtension::RenegotiationInfo(Vec::new()));
    Ok(ClientHello {
        client_version: ProtocolVersion::Tls12,
        random: Random(core.client_random),
        session_id: SessionId::EMPTY,
        cipher_suites: side.offered_suites.clone(),
        compression_methods: vec![Compression::Null],
        extensions,
    })
}

impl<P: Shape> SendMessage<Client, P> for state::ClientHello {
    type Next = state::ServerHello;

    fn send(
        hs: Handshake<Client, Self, P>,
    ) -> Result<Handshake<Client, state::ServerHello, P>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            let hello = client_hello(&mut hs.core)?;
            hs.core.send_handshake(HandshakePayload::ClientHello(hello))
        })?;
        Ok(hs.advance_same())
    }
}

/// Checks the ServerHello against what we offered (RFC 5246 7.4.1.3,
/// RFC 7627 5.2, RFC 5746 3.4, RFC 8422 5.2).
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
    const OFFERED: &[ExtensionType] = &[
        ExtensionType::ServerName,
        ExtensionType::EcPointFormats,
        ExtensionType::ExtendedMasterSecret,
        ExtensionType::RenegotiationInfo,
        ExtensionType::ApplicationLayerProtocolNegotiation,
    ];
    if hello
        .extensions
        .iter()
        .any(|ext| !OFFERED.contains(&ext.typ()))
    {
        return Err(PeerMisbehaved::IllegalParameter("an extension we did not offer").into());
    }
    // RFC 7301 3.1: the selected protocol must be one we offered.
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
    core.server_random = hello.random.0;
    core.transcript.start_hash(suite.hash);
    core.hash_received();
    let server_name = match &core.side.server_name {
        ServerName::DnsName(name) => Some(name.as_ref().to_string()),
        _ => None,
    };
    Ok(Negotiated {
        suite,
        session_id: hello.session_id.as_bytes().to_vec(),
        extended_master_secret,
        alpn_protocol,
        server_name,
    })
}

/// The payload of the message just read, which the table check has
/// already matched to the state; any other variant is our own bug.
macro_rules! expect_payload {
    ($message:expr, $variant:ident) => {
        match $message {
            Incoming::Handshake(HandshakePayload::$variant(inner)) => Ok(inner),
            _ => Err(Error::Internal(concat!(
                "table check let through a non-",
                stringify!($variant)
            ))),
        }
    };
}
pub(crate) use expect_payload;

impl RecvMessage<Client, Full> for state::ServerHello {
    type Next = Handshake<Client, state::ServerCert, Full>;

    fn recv(hs: Handshake<Client, Self, Full>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, negotiated) = hs.try_with(|hs| {
            let hello = expect_payload!(message, ServerHello)?;
            check_server_hello(&mut hs.core, &hello)
        })?;
        Ok(hs.advance(|_hello| negotiated))
    }
}

impl<P: Shape> RecvMessage<Client, P> for state::ServerCert {
    type Next = Handshake<Client, state::ServerKey, P>;

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
        }))
    }
}

/// The content a ServerKeyExchange signature covers (RFC 8422 5.4):
/// client_random + server_random + the encoded ECDHE params.
pub(crate) fn signed_params<R: super::role::Role>(core: &Core<R>, params: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(64 + params.len());
    message.extend_from_slice(&core.client_random);
    message.extend_from_slice(&core.server_random);
    message.extend_from_slice(params);
    message
}

fn check_server_key_exchange(
    core: &mut Core<Client>,
    known: &Certified,
    exchange: &ServerKeyExchange,
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
    let message = signed_params(core, &exchange.params_encoding());
    crypto::verify_signature(end_entity, scheme, &message, &exchange.signed.signature)?;
    core.side.server_public.clone_from(&exchange.params.public);
    core.hash_received();
    Ok((group, scheme))
}

impl<P: Shape> RecvMessage<Client, P> for state::ServerKey {
    type Next = Handshake<Client, state::ServerCertReq, P>;

    fn recv(hs: Handshake<Client, Self, P>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, (group, signature_scheme)) = hs.try_with(|hs| {
            let exchange = expect_payload!(message, ServerKeyExchange)?;
            check_server_key_exchange(&mut hs.core, &hs.known, &exchange)
        })?;
        Ok(hs.advance(|certified| Keyed {
            certified,
            group,
            signature_scheme,
        }))
    }
}

impl RecvMessage<Client, Full> for state::ServerCertReq {
    /// Without a CertificateRequest the ServerHelloDone comes here, and
    /// the client's key exchange is next.
    type Next = Handshake<Client, state::ClientKey, Full>;

    fn recv(hs: Handshake<Client, Self, Full>, message: Incoming) -> Result<Self::Next, Fatal> {
        match message {
            Incoming::Handshake(HandshakePayload::ServerHelloDone) => {
                let mut done: Handshake<Client, state::ServerHelloDone, Full> = hs.advance_same();
                done.core.hash_received();
                Ok(done.advance_same())
            }
            // Client certificates come with the client-authentication shape.
            _ => Err(hs.fatal(PeerIncompatible::ClientCertificateUnsupported.into())),
        }
    }
}

/// Completes the key exchange, hashes `ClientKeyExchange`, and derives the
/// master secret and the record keys (RFC 5246 8.1, RFC 7627 4).
pub(crate) fn derive_keys<R: super::role::Role>(
    core: &mut Core<R>,
    suite: &'static SupportedCipherSuite,
    extended_master_secret: bool,
    premaster: &crypto::PremasterSecret,
    key_log: Option<&dyn KeyLog>,
    we_are_client: bool,
) -> Result<(), Error> {
    let master = match extended_master_secret {
        true => {
            let session_hash = core.transcript.current_hash()?;
            crypto::extended_master_secret(
                suite.hash,
                premaster.as_bytes(),
                session_hash.as_bytes(),
            )
        }
        false => crypto::master_secret(
            suite.hash,
            premaster.as_bytes(),
            &core.client_random,
            &core.server_random,
        ),
    };
    if let Some(key_log) = key_log {
        key_log.log("CLIENT_RANDOM", &core.client_random, &master);
    }
    let key_block = KeyBlock::derive(suite, &master, &core.client_random, &core.server_random);
    let (sealer, opener) = crypto::new_record_protection(suite, &key_block, we_are_client)?;
    core.master_secret = Some(master);
    core.pending_sealer = Some(sealer);
    core.pending_opener = Some(opener);
    Ok(())
}

impl SendMessage<Client, Full> for state::ClientKey {
    type Next = state::ClientChangeCipherSpec;

    fn send(
        hs: Handshake<Client, Self, Full>,
    ) -> Result<Handshake<Client, Self::Next, Full>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
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
            derive_keys(
                &mut hs.core,
                suite,
                ems,
                &premaster,
                key_log.as_deref(),
                true,
            )
        })?;
        Ok(hs.advance_same())
    }
}

/// Our Finished: `verify_data` over the transcript so far (RFC 5246 7.4.9).
pub(crate) fn send_finished<R: super::role::Role>(
    core: &mut Core<R>,
    suite: &SupportedCipherSuite,
    label: &str,
) -> Result<(), Error> {
    let master = core
        .master_secret
        .as_ref()
        .ok_or(Error::Internal("no master secret at Finished"))?;
    let hash = core.transcript.current_hash()?;
    let verify_data = crypto::verify_data(suite.hash, master, label, hash.as_bytes());
    core.send_handshake(HandshakePayload::Finished(Finished { verify_data }))
}

/// Checks the peer's Finished in constant time, then hashes it.
pub(crate) fn check_finished<R: super::role::Role>(
    core: &mut Core<R>,
    suite: &SupportedCipherSuite,
    label: &str,
    finished: &Finished,
) -> Result<crypto::FinishedVerified, Error> {
    let master = core
        .master_secret
        .as_ref()
        .ok_or(Error::Internal("no master secret at Finished"))?;
    let hash = core.transcript.current_hash()?;
    let expected = crypto::verify_data(suite.hash, master, label, hash.as_bytes());
    let verified = crypto::verify_finished(&expected, &finished.verify_data)?;
    core.hash_received();
    Ok(verified)
}

impl<P: Shape> SendMessage<Client, P> for state::ClientChangeCipherSpec {
    type Next = state::ClientFinished;

    fn send(hs: Handshake<Client, Self, P>) -> Result<Handshake<Client, Self::Next, P>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| hs.core.send_change_cipher_spec())?;
        Ok(hs.advance_same())
    }
}

impl SendMessage<Client, Full> for state::ClientFinished {
    type Next = state::ServerChangeCipherSpec;

    fn send(
        hs: Handshake<Client, Self, Full>,
    ) -> Result<Handshake<Client, Self::Next, Full>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            let suite = Knows::<Negotiated>::knows(&hs.known).suite;
            send_finished(&mut hs.core, suite, crypto::CLIENT_FINISHED)
        })?;
        Ok(hs.advance_same())
    }
}

impl<P: Shape> RecvMessage<Client, P> for state::ServerChangeCipherSpec {
    type Next = Handshake<Client, state::ServerFinished, P>;

    fn recv(hs: Handshake<Client, Self, P>, _message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, ()) = hs.try_with(|hs| hs.core.recv_change_cipher_spec())?;
        Ok(hs.advance_same())
    }
}

impl RecvMessage<Client, Full> for state::ServerFinished {
    type Next = Handshake<Client, state::HandshakeOver, Full>;

    fn recv(hs: Handshake<Client, Self, Full>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, verified) = hs.try_with(|hs| {
            let finished = expect_payload!(message, Finished)?;
            let suite = Knows::<Negotiated>::knows(&hs.known).suite;
            check_finished(&mut hs.core, suite, crypto::SERVER_FINISHED, &finished)
        })?;
        Ok(hs.finish(verified))
    }
}
