//! The server's transitions: what it writes and how it checks what it reads.

use std::sync::Arc;

use super::client::{check_finished, derive_keys, expect_payload, send_finished, signed_params};
use super::config::{CertifiedKey, ServerConfig};
use super::core::{Core, Incoming};
use super::known::{Certified, Hello, Keyed, Knows, Negotiated};
use super::machine::{Fatal, Full, Handshake, RecvMessage, SendMessage, Shape};
use super::role::Server;
use super::table::state;
use crate::crypto::{self, EphemeralKeyExchange, FinishedVerified, SupportedCipherSuite};
use crate::enums::{Compression, EcPointFormat, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::error::{Error, PeerIncompatible, PeerMisbehaved};
use crate::message::{
    CertificateChain, ClientHello, DigitallySigned, HandshakePayload, Random, ServerEcdhParams,
    ServerExtension, ServerHello, ServerKeyExchange, SessionId,
};

/// The server's own state between transitions.
#[derive(Debug, Default)]
pub struct ServerSide {
    /// What we chose from the ClientHello.
    choice: Option<Choice>,
    /// Our ephemeral key, from ServerKeyExchange to ClientKeyExchange.
    kx: Option<EphemeralKeyExchange>,
    /// Proof the client's Finished verified, carried to our Finished.
    client_finished: Option<FinishedVerified>,
}

/// The server's decisions after reading the ClientHello.
#[derive(Debug, Clone)]
struct Choice {
    certified: Arc<CertifiedKey>,
    /// Whether the certificate was picked by the client's server name.
    by_name: bool,
    alpn_protocol: Option<Vec<u8>>,
    suite: &'static SupportedCipherSuite,
    group: NamedGroup,
    scheme: SignatureScheme,
    extended_master_secret: bool,
    secure_renegotiation: bool,
    echo_point_formats: bool,
    server_name: Option<String>,
}

impl Handshake<Server, state::ClientHello> {
    /// Starts a server handshake: the first thing it does is read a
    /// ClientHello.
    pub fn server(config: Arc<ServerConfig>) -> Self {
        let mut core = Core::<Server>::new(config, ServerSide::default());
        core.writer
            .set_max_fragment_len(core.config.max_fragment_len);
        Self::from_parts(Box::new(core), Hello::new())
    }
}

/// Chooses suite, group and scheme from the ClientHello, in the server's
/// order of preference (RFC 5246 7.4.1.2, RFC 8422 5.1, RFC 7627 5.2,
/// RFC 5746 3.6).
fn choose(config: &ServerConfig, hello: &ClientHello) -> Result<Choice, Error> {
    if hello.client_version.to_wire() < ProtocolVersion::Tls12.to_wire() {
        return Err(PeerIncompatible::ProtocolVersion.into());
    }
    let server_name = hello
        .server_name()
        .and_then(|name| core::str::from_utf8(name).ok())
        .map(str::to_owned);
    // SNI (RFC 6066 3): a certificate configured for the name, else the
    // default one.
    let by_name = server_name.as_deref().and_then(|name| {
        config
            .certificates_by_name
            .iter()
            .find(|(configured, _)| configured.eq_ignore_ascii_case(name))
    });
    let certified = match by_name {
        Some((_, certified)) => Arc::new(certified.clone()),
        None => Arc::new(CertifiedKey {
            chain: config.cert_chain.clone(),
            key: config.key.clone(),
        }),
    };
    // ALPN (RFC 7301 3.2): the server's preference among the client's
    // offers; an offer with nothing in common is refused.
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
    let key_algorithm = certified.key.algorithm();
    let suite = config
        .cipher_suites
        .iter()
        .filter(|suite| hello.cipher_suites.contains(suite))
        .filter_map(|suite| crypto::lookup(*suite))
        .find(|suite| suite.signature == key_algorithm)
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
    let secure_renegotiation =
        hello.renegotiation_info().is_some() || hello.offers_renegotiation_scsv();
    Ok(Choice {
        by_name: by_name.is_some(),
        certified,
        alpn_protocol,
        suite,
        group,
        scheme,
        extended_master_secret,
        secure_renegotiation,
        echo_point_formats: hello.ec_point_formats().is_some(),
        server_name,
    })
}

impl<P: Shape> RecvMessage<Server, P> for state::ClientHello {
    type Next = Handshake<Server, state::ServerHello, P>;

    fn recv(hs: Handshake<Server, Self, P>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            let hello = expect_payload!(message, ClientHello)?;
            let choice = choose(&hs.core.config, &hello)?;
            hs.core.client_random = hello.random.0;
            hs.core.transcript.start_hash(choice.suite.hash);
            hs.core.hash_received();
            hs.core.side.choice = Some(choice);
            Ok(())
        })?;
        Ok(hs.advance_same())
    }
}

fn choice(core: &Core<Server>) -> Result<&Choice, Error> {
    core.side
        .choice
        .as_ref()
        .ok_or(Error::Internal("no choice before ServerHello"))
}

impl SendMessage<Server, Full> for state::ServerHello {
    type Next = state::ServerCert;

    fn send(
        hs: Handshake<Server, Self, Full>,
    ) -> Result<Handshake<Server, Self::Next, Full>, Fatal> {
        let (hs, negotiated) = hs.try_with(|hs| {
            crypto::fill_random(&mut hs.core.server_random)?;
            let choice = choice(&hs.core)?;
            let mut extensions = Vec::with_capacity(5);
            if choice.secure_renegotiation {
                extensions.push(ServerExtension::RenegotiationInfo(Vec::new()));
            }
            if choice.extended_master_secret {
                extensions.push(ServerExtension::ExtendedMasterSecret);
            }
            if choice.echo_point_formats {
                extensions.push(ServerExtension::EcPointFormats(vec![
                    EcPointFormat::Uncompressed,
                ]));
            }
            if choice.by_name {
                extensions.push(ServerExtension::ServerNameAck);
            }
            if let Some(protocol) = &choice.alpn_protocol {
                extensions.push(ServerExtension::Alpn(protocol.clone()));
            }
            let hello = ServerHello {
                server_version: ProtocolVersion::Tls12,
                random: Random(hs.core.server_random),
                // Empty: no session cache, so this session cannot be resumed.
                session_id: SessionId::EMPTY,
                cipher_suite: choice.suite.suite,
                compression_method: Compression::Null,
                extensions,
            };
            let negotiated = Negotiated {
                suite: choice.suite,
                session_id: Vec::new(),
                extended_master_secret: choice.extended_master_secret,
                alpn_protocol: choice.alpn_protocol.clone(),
                server_name: choice.server_name.clone(),
            };
            hs.core
                .send_handshake(HandshakePayload::ServerHello(hello))?;
            Ok(negotiated)
        })?;
        Ok(hs.advance(|_hello| negotiated))
    }
}

impl<P: Shape> SendMessage<Server, P> for state::ServerCert {
    type Next = state::ServerKey;

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
        }))
    }
}

impl SendMessage<Server, Full> for state::ServerKey {
    type Next = state::ServerHelloDone;

    fn send(
        hs: Handshake<Server, Self, Full>,
    ) -> Result<Handshake<Server, Self::Next, Full>, Fatal> {
        let (hs, (group, signature_scheme)) = hs.try_with(|hs| {
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
            let message = signed_params(&hs.core, &exchange.params_encoding());
            exchange.signed.signature = certified.key.sign(scheme, &message)?;
            hs.core
                .send_handshake(HandshakePayload::ServerKeyExchange(exchange))?;
            hs.core.side.kx = Some(kx);
            Ok((group, scheme))
        })?;
        Ok(hs.advance(|certified| Keyed {
            certified,
            group,
            signature_scheme,
        }))
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

impl RecvMessage<Server, Full> for state::ClientKey {
    type Next = Handshake<Server, state::ClientChangeCipherSpec, Full>;

    fn recv(hs: Handshake<Server, Self, Full>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
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
            derive_keys(
                &mut hs.core,
                suite,
                ems,
                &premaster,
                key_log.as_deref(),
                false,
            )
        })?;
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

impl RecvMessage<Server, Full> for state::ClientFinished {
    type Next = Handshake<Server, state::ServerChangeCipherSpec, Full>;

    fn recv(hs: Handshake<Server, Self, Full>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            let finished = expect_payload!(message, Finished)?;
            let suite = Knows::<Negotiated>::knows(&hs.known).suite;
            let verified = check_finished(&mut hs.core, suite, crypto::CLIENT_FINISHED, &finished)?;
            hs.core.side.client_finished = Some(verified);
            Ok(())
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

impl SendMessage<Server, Full> for state::ServerFinished {
    type Next = state::HandshakeOver;

    fn send(
        hs: Handshake<Server, Self, Full>,
    ) -> Result<Handshake<Server, Self::Next, Full>, Fatal> {
        let (hs, verified) = hs.try_with(|hs| {
            let suite = Knows::<Negotiated>::knows(&hs.known).suite;
            send_finished(&mut hs.core, suite, crypto::SERVER_FINISHED)?;
            hs.core
                .side
                .client_finished
                .take()
                .ok_or(Error::Internal("server Finished before the client's"))
        })?;
        Ok(hs.finish(verified))
    }
}
