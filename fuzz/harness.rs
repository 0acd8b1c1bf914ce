//! The fuzz harness: one plain function per fuzz target, each taking the
//! fuzzer's bytes and panicking only on a bug in `tlstate`.
//!
//! Shared by the cargo-fuzz targets in `fuzz/fuzz_targets/` and by
//! `tests/fuzz_corpus.rs`, which replays the checked-in corpus on stable
//! with `cargo test`. It therefore depends on nothing but `tlstate`,
//! `rustls-pki-types` and `rcgen`. See `docs/fuzzing.md`.
//!
//! - [`deframer`]: bytes into a `RecordReader` in fuzzer-chosen chunks;
//!   the messages must not depend on the chunking.
//! - [`messages`]: the first byte picks a decoder; whatever decodes must
//!   re-encode to something that decodes to the same value.
//! - [`client_states`] / [`server_states`]: the first byte picks a
//!   handshake (TLS 1.2 or TLS 1.3, and its shape) and a reading state of
//!   our client (server) in it; a real handshake with our server (client)
//!   runs up to just before it, then the fuzzer's bytes are the peer's
//!   bytes from there on.
//! - [`client_sealed`] / [`server_sealed`]: as the state targets for TLS
//!   1.3 (full, resumed and 0-RTT), but the fuzzer's bytes are records the
//!   harness seals as the peer's under its real keys (the client's early
//!   data and EndOfEarlyData under its early key), so the protected
//!   handshake reads and the post-handshake ones are reached.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::fmt::Debug;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tlstate::codec::Codec;
use tlstate::crypto::WebPkiClientVerifier;
use tlstate::driver::{AnyState, ClientDriver, Driver, Event, ServerDriver};
use tlstate::enums::{ContentType, HandshakeType, NamedGroup, ProtocolVersion};
use tlstate::error::Error;
use tlstate::handshake::{CertifiedKey, ClientCertPolicy, ClientConfig, ServerConfig};
use tlstate::message::tls13::{
    CertificateRequestTls13, CertificateTls13, EncryptedExtensions, KeyShareEntry,
    NewSessionTicketTls13, PayloadTls13,
};
use tlstate::message::{
    AlertMessage, CertificateChain, CertificateRequest, ChangeCipherSpecPayload, ClientExtension,
    ClientHello, ClientKeyExchange, DigitallySigned, DistinguishedName, Finished, HandshakeMessage,
    HandshakePayload, NewSessionTicket, Random, ServerEcdhParams, ServerExtension, ServerHello,
    ServerKeyExchange, SessionId,
};
use tlstate::record::{
    DEFAULT_MAX_HANDSHAKE_LEN, Inbound, MAX_IDLE_CAPACITY, MAX_PLAINTEXT_LEN, MAX_RECORD_LEN,
    RecordOpener, RecordReader,
};
use tlstate::session::{
    ClientSession, ClientSessionStore, InMemorySessionStore, Ticketer, Tls13Ticket,
};

// ---------------------------------------------------------------------------
// Test PKI
// ---------------------------------------------------------------------------

/// The test CA's key (ECDSA P-256). Fixed, so that certificates in the
/// checked-in corpus, issued by an earlier process, still verify: the CA
/// certificate is re-made in every process, but its name and key are the
/// same. A test-only key: it protects nothing.
const CA_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsZj7RugqIG+v0TOT
J55Ob+C+VB+v6eXTbZsWxJ/CWTGhRANCAAQOI4MFj6C1+hv+gYm2TcWwtOsWkt/R
fs1vFIkzvtMwl0CTRxBJBwHeO8mI5pzQQUk27XWgN0oa4rqLP0cY3ocd
-----END PRIVATE KEY-----
";

/// The `localhost` leaf's key (ECDSA P-256), fixed for the same reason.
const LEAF_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgt014I8okNWg41UDS
2YjOPUEd6pXZnNqQBeuVMlNvlKWhRANCAAQOKofcghDWOqRlWmCE3F1epBoLOuvs
kegg2vbn0SnB85pzbWB5HfhY5EGGzS8tmwbKQJZkq1C9ahaL+MMJafCc
-----END PRIVATE KEY-----
";

/// The client's key (ECDSA P-256), fixed for the same reason.
const CLIENT_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjXkc2E/BLiYOKU3c
EFuPsua2HWuQVpLOBp8kIp214oyhRANCAASGaWDNhr5dKMyfaSYqQoBjOVfU/hdw
/q1/AuFzDPiI68IWI3Gap5uxrbiLYFGd0NeMQdKRHhEe/rUNr/8RoYaj
-----END PRIVATE KEY-----
";

/// The configurations of our client and our server, made once per
/// process. The TLS 1.2 ones enable TLS 1.2 only, the TLS 1.3 ones TLS
/// 1.3 only, whatever the default versions are.
struct Pki {
    /// No client certificate, no session store (so no input leaves a
    /// session behind for the next).
    client: Arc<ClientConfig>,
    /// As `client`, with a client certificate.
    client_with_cert: Arc<ClientConfig>,
    /// As `client`, TLS 1.3 only, the compatibility ChangeCipherSpec on.
    client13: Arc<ClientConfig>,
    /// As `client13`, without the compatibility ChangeCipherSpec and with
    /// a client certificate.
    client13_with_cert: Arc<ClientConfig>,
    /// As `client13`, without the compatibility ChangeCipherSpec.
    client13_no_ccs: Arc<ClientConfig>,
    /// As `client13`, its one key share x25519's.
    client13_hrr: Arc<ClientConfig>,
    /// TLS 1.3 only, the compatibility ChangeCipherSpec on.
    server13: Arc<ServerConfig>,
    /// As `server13`, without the compatibility ChangeCipherSpec.
    server13_no_ccs: Arc<ServerConfig>,
    /// As `server13`, taking P-256 only: a HelloRetryRequest for
    /// `client13_hrr`.
    server13_hrr: Arc<ServerConfig>,
    /// Issues session tickets.
    server: Arc<ServerConfig>,
    /// As `server`, also stapling an OCSP response (a CertificateStatus
    /// after the Certificate), for the client-certificate scenarios.
    stapling_server: Arc<ServerConfig>,
    /// As `client13`, sending 0-RTT early data when it holds a ticket
    /// allowing it.
    client13_early: Arc<ClientConfig>,
    /// As `server13`, issuing tickets that allow 0-RTT and taking it.
    server13_early: Arc<ServerConfig>,
    client_verifier: Arc<WebPkiClientVerifier>,
    /// A session `server` issued a ticket for, for the resumed scenario.
    session: ClientSession,
    /// A ticket of `server13_early`'s allowing 0-RTT, for the 0-RTT
    /// scenario: each run offers it again, to a server with a strike
    /// register of its own, which accepts it once.
    ticket13: Tls13Ticket,
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let ca_key = KeyPair::from_pem(CA_KEY).expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "tlstate fuzz CA");
        let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf = |key_pem: &str, names: Vec<String>, usage| {
            let key = KeyPair::from_pem(key_pem).expect("leaf key");
            let mut params = CertificateParams::new(names).expect("leaf params");
            params.extended_key_usages = vec![usage];
            let cert = params.signed_by(&key, &issuer).expect("leaf certificate");
            let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
            (vec![cert.der().clone()], der)
        };
        let (server_chain, server_key) = leaf(
            LEAF_KEY,
            vec!["localhost".to_string()],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let (client_chain, client_key) =
            leaf(CLIENT_KEY, Vec::new(), ExtendedKeyUsagePurpose::ClientAuth);

        let mut client = ClientConfig::with_root_certificates(&[ca.der().clone()]).expect("client");
        client.session_store = None;
        let mut client13 = client.clone();
        client.versions = vec![ProtocolVersion::Tls12];
        let mut client_with_cert = client.clone();
        let certified = CertifiedKey::new(client_chain, &client_key).expect("client certificate");
        client_with_cert.client_certificate = Some(certified.clone());
        let mut server = ServerConfig::new(server_chain, &server_key).expect("server");
        let mut server13 = server.clone();
        server.versions = vec![ProtocolVersion::Tls12];
        server.ticketer = Some(Arc::new(Ticketer::new(1 << 30, 1 << 30).expect("ticketer")));

        client13.versions = vec![ProtocolVersion::Tls13];
        client13.middlebox_compat = true;
        server13.versions = vec![ProtocolVersion::Tls13];
        server13.middlebox_compat = true;
        let mut client13_no_ccs = client13.clone();
        client13_no_ccs.middlebox_compat = false;
        let mut client13_with_cert = client13_no_ccs.clone();
        client13_with_cert.client_certificate = Some(certified);
        let mut server13_no_ccs = server13.clone();
        server13_no_ccs.middlebox_compat = false;
        // x25519 shared, P-256 taken: the server asks again.
        let mut client13_hrr = client13.clone();
        client13_hrr.groups = vec![NamedGroup::X25519, NamedGroup::secp256r1];
        let mut server13_hrr = server13.clone();
        server13_hrr.groups = vec![NamedGroup::secp256r1];
        let mut stapling_server = server.clone();
        stapling_server.ocsp_response = Some(Arc::from(&b"fuzz OCSP response"[..]));
        let server = Arc::new(server);

        // One full handshake to get a ticket for the resumed scenario.
        let store = Arc::new(InMemorySessionStore::new(1));
        let mut resuming = client.clone();
        resuming.session_store = Some(store.clone());
        let mut c = ClientDriver::new(Arc::new(resuming), server_name());
        let mut s = ServerDriver::new(server.clone());
        for _ in 0..4 {
            let flight = output(&mut c);
            assert_eq!(s.handle_input(&flight), flight.len());
            let flight = output(&mut s);
            assert_eq!(c.handle_input(&flight), flight.len());
        }
        assert!(c.summary().is_some(), "the first handshake did not finish");
        let session = store.get("localhost").expect("a session to resume");

        // One TLS 1.3 handshake to get a ticket allowing 0-RTT.
        let mut client13_early = client13.clone();
        client13_early.enable_early_data = true;
        let mut server13_early = server13.clone();
        server13_early.ticketer =
            Some(Arc::new(Ticketer::new(1 << 30, 1 << 30).expect("ticketer")));
        server13_early.max_early_data_size = 16384;
        let store = Arc::new(InMemorySessionStore::new(2));
        let mut first = client13_early.clone();
        first.session_store = Some(store.clone());
        let mut c = ClientDriver::new(Arc::new(first), server_name());
        let mut s = ServerDriver::new(Arc::new(server13_early.clone()));
        for _ in 0..4 {
            let flight = output(&mut c);
            assert_eq!(s.handle_input(&flight), flight.len());
            let flight = output(&mut s);
            assert_eq!(c.handle_input(&flight), flight.len());
        }
        // Reading takes the tickets that followed the handshake.
        let _ = c.read(&mut [0; 64]);
        let ticket13 = store.take_tls13("localhost").expect("a TLS 1.3 ticket");
        assert!(ticket13.max_early_data_size > 0, "the ticket allows 0-RTT");
        Pki {
            client: Arc::new(client),
            client_with_cert: Arc::new(client_with_cert),
            client13: Arc::new(client13),
            client13_with_cert: Arc::new(client13_with_cert),
            client13_no_ccs: Arc::new(client13_no_ccs),
            client13_hrr: Arc::new(client13_hrr),
            server13: Arc::new(server13),
            server13_no_ccs: Arc::new(server13_no_ccs),
            server13_hrr: Arc::new(server13_hrr),
            server,
            stapling_server: Arc::new(stapling_server),
            client13_early: Arc::new(client13_early),
            server13_early: Arc::new(server13_early),
            client_verifier: Arc::new(
                WebPkiClientVerifier::new(&[ca.der().clone()]).expect("client verifier"),
            ),
            session,
            ticket13,
        }
    })
}

/// The early data the 0-RTT scenario's client sends.
const EARLY_DATA: &[u8] = b"GET /early HTTP/1.1\r\n\r\n";

/// The 0-RTT scenario's pair: our client holding the ticket allowing
/// 0-RTT (see [`Pki::ticket13`]) and starting with early data, our server
/// with a strike register of this run alone (so it accepts the early data;
/// a shared one would refuse the ticket's second 0-RTT); the client
/// offering post_handshake_auth and logging into `log` if given, as the
/// server does.
fn early_pair(log: Option<&Arc<Logged>>) -> (ClientDriver, ServerDriver) {
    let pki = pki();
    let store = InMemorySessionStore::new(2);
    store.put_tls13("localhost", pki.ticket13.clone());
    let mut client = (*pki.client13_early).clone();
    client.session_store = Some(Arc::new(store));
    client.post_handshake_auth = true;
    let mut server = (*pki.server13_early).clone();
    server.anti_replay = Arc::default();
    if let Some(log) = log {
        client.key_log = Some(log.clone());
        server.key_log = Some(log.clone());
    }
    (
        ClientDriver::with_early_data(Arc::new(client), server_name(), EARLY_DATA),
        ServerDriver::new(Arc::new(server)),
    )
}

fn server_name() -> ServerName<'static> {
    ServerName::try_from("localhost").expect("a valid DNS name")
}

// ---------------------------------------------------------------------------
// Delivery of the fuzzer's bytes
// ---------------------------------------------------------------------------

/// Hands out the fuzzer's bytes in chunks of one size (0: all at once).
struct Feeder<'a> {
    rest: &'a [u8],
    chunk: usize,
}

impl<'a> Feeder<'a> {
    /// `nibble` 0 delivers everything at once, `n` chunks of `2^(n-1)`.
    fn new(rest: &'a [u8], nibble: u8) -> Self {
        let chunk = match nibble {
            0 => 0,
            n => 1 << (n - 1),
        };
        Self { rest, chunk }
    }

    fn next_chunk(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let n = match self.chunk {
            0 => self.rest.len(),
            c => c.min(self.rest.len()),
        };
        let (chunk, rest) = self.rest.split_at(n);
        self.rest = rest;
        Some(chunk)
    }
}

// ---------------------------------------------------------------------------
// deframer
// ---------------------------------------------------------------------------

/// What the reader handed out, owned, to compare two runs.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Deframed {
    Handshake(HandshakeType, Vec<u8>),
    ChangeCipherSpec,
    Alert(AlertMessage),
    ApplicationData(Vec<u8>),
    Error(Error),
}

/// A stand-in for the AEAD opener installed at ChangeCipherSpec, so the
/// fuzzer can reach the protected-record paths: the last byte of a body is
/// a "tag" that must be the sequence number's low byte; the rest is the
/// plaintext, XORed with 0x5c.
struct ToyOpener;

impl RecordOpener for ToyOpener {
    fn open(
        &self,
        seq: u64,
        typ: ContentType,
        _version: u16,
        body: &mut [u8],
    ) -> Result<(ContentType, Range<usize>), Error> {
        let Some((tag, plain)) = body.split_last_mut() else {
            return Err(Error::DecryptFailed);
        };
        if *tag != seq as u8 {
            return Err(Error::DecryptFailed);
        }
        plain.iter_mut().for_each(|b| *b ^= 0x5c);
        Ok((typ, 0..plain.len()))
    }

    fn overhead(&self) -> usize {
        1
    }

    fn max_body_len(&self) -> usize {
        tlstate::record::MAX_CIPHERTEXT_LEN
    }
}

/// The size of a chunk from one chunk-size byte: `0..=0x7f` as is (0 feeds
/// an empty slice, then one byte), `0x80..` in steps of 256 bytes.
fn chunk_size(b: u8) -> usize {
    match b {
        0..=0x7f => usize::from(b),
        _ => usize::from(b - 0x7f) * 256,
    }
}

/// Feeds `stream` to a fresh reader in chunks of `sizes` (cycled; empty:
/// all at once), draining it after each feed, and returns what it handed
/// out, ending with the error if any.
fn deframe(stream: &[u8], sizes: &[u8], owned: u8) -> Vec<Deframed> {
    let mut rd = RecordReader::new();
    let mut events = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    // Bounds the reader's heap: the wire buffer holds at most what was fed
    // plus a record, the joiner one largest handshake message; allow for
    // `Vec` doubling.
    let heap_bound = 2 * (stream.len() + MAX_RECORD_LEN + DEFAULT_MAX_HANDSHAKE_LEN + 4) + 4096;
    while pos < stream.len() {
        let len = match sizes.get(i % sizes.len().max(1)) {
            None => stream.len(),
            Some(&b) => chunk_size(b),
        };
        i += 1;
        if len == 0 {
            // An empty feed, then one byte so the loop moves on.
            let _nothing = match owned {
                0 => rd.feed(&[]),
                _ => rd.feed_owned(Vec::new()).len(),
            };
            if drain(&mut rd, &mut events) {
                return events;
            }
        }
        let len = len.max(1);
        let end = (pos + len).min(stream.len());
        let chunk = &stream[pos..end];
        // `owned`: 0 `feed`, 1 `feed_owned`, 2 and 3 alternate.
        // The reader takes what fits under MAX_BUFFERED_LEN; the rest is
        // fed again after the drain below.
        let taken = match (owned, i % 2) {
            (0, _) | (2, 0) | (3, 1) => rd.feed(chunk),
            _ => chunk.len() - rd.feed_owned(chunk.to_vec()).len(),
        };
        pos += taken;
        let failed = drain(&mut rd, &mut events);
        assert!(
            rd.capacity() <= heap_bound,
            "reader holds {} bytes of heap after {pos} bytes fed",
            rd.capacity()
        );
        if failed {
            return events;
        }
    }
    events
}

/// Takes messages until `None` or an error; returns whether it failed.
fn drain(rd: &mut RecordReader, events: &mut Vec<Deframed>) -> bool {
    loop {
        let event = match rd.next_message() {
            Ok(None) => {
                if rd.buffered_len() == 0 {
                    assert!(
                        rd.capacity() <= MAX_IDLE_CAPACITY,
                        "an idle reader holds at most MAX_IDLE_CAPACITY"
                    );
                }
                return false;
            }
            Ok(Some(Inbound::Handshake { typ, encoded })) => {
                assert!(encoded.len() >= HandshakeMessage::HEADER_LEN);
                assert_eq!(typ, HandshakeType::from_wire(encoded[0]));
                let declared = u32::from_be_bytes([0, encoded[1], encoded[2], encoded[3]]);
                assert_eq!(
                    declared as usize,
                    encoded.len() - HandshakeMessage::HEADER_LEN
                );
                assert!(encoded.len() - HandshakeMessage::HEADER_LEN <= DEFAULT_MAX_HANDSHAKE_LEN);
                // What the handshake layer does next; must not panic.
                let _ = HandshakeMessage::read_bytes(encoded);
                Deframed::Handshake(typ, encoded.to_vec())
            }
            Ok(Some(Inbound::ChangeCipherSpec)) => {
                rd.set_opener(Box::new(ToyOpener));
                Deframed::ChangeCipherSpec
            }
            Ok(Some(Inbound::Alert(alert))) => Deframed::Alert(alert),
            Ok(Some(Inbound::ApplicationData(data))) => {
                assert!(data.len() <= MAX_PLAINTEXT_LEN);
                Deframed::ApplicationData(data.to_vec())
            }
            Err(error) => {
                assert_eq!(rd.next_message(), Err(error.clone()), "errors are sticky");
                assert_eq!(rd.buffered_len(), 0, "a failed reader drops its buffers");
                events.push(Deframed::Error(error));
                return true;
            }
        };
        events.push(event);
    }
}

/// Target `deframer`. Input: a byte whose low 4 bits are `n` and bits 4-5
/// how chunks are fed (0 `feed`, 1 `feed_owned`, 2 and 3 alternating),
/// then `n` chunk-size bytes (see [`chunk_size`]; none: the stream goes in
/// at once), then the byte stream. After each feed the reader is drained;
/// at ChangeCipherSpec a toy opener is installed. What comes out must not
/// depend on the chunking or the feeding: it is compared with feeding the
/// stream whole with `feed`.
pub fn deframer(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(first % 16).min(rest.len());
    let owned = first >> 4 & 3;
    let (sizes, stream) = rest.split_at(n);
    let events = deframe(stream, sizes, owned);
    if !sizes.is_empty() || owned != 0 {
        let whole = deframe(stream, &[], 0);
        assert_eq!(
            events, whole,
            "the chunking or feeding changed what the reader handed out"
        );
    }
}

// ---------------------------------------------------------------------------
// messages
// ---------------------------------------------------------------------------

/// The decoders of target `messages`, by first byte (mod their number).
pub const MESSAGE_DECODERS: [&str; 19] = [
    "HandshakeMessage",
    "HandshakePayload::read_body",
    "ClientHello",
    "ServerHello",
    "CertificateChain",
    "ServerKeyExchange",
    "CertificateRequest",
    "ClientKeyExchange",
    "DigitallySigned",
    "Finished",
    "NewSessionTicket",
    "AlertMessage",
    "ChangeCipherSpecPayload",
    "ClientExtension",
    "ServerExtension",
    "ServerEcdhParams",
    "Random",
    "SessionId",
    "DistinguishedName",
];

/// The TLS 1.3 decoders of target `messages`, on first bytes
/// [`TLS13_DECODERS_FROM`] and up (a range no earlier seed uses, so the
/// corpus keeps its meaning).
pub const TLS13_MESSAGE_DECODERS: [&str; 6] = [
    "PayloadTls13::read_body",
    "EncryptedExtensions",
    "CertificateTls13",
    "CertificateRequestTls13",
    "NewSessionTicketTls13",
    "KeyShareEntry",
];

/// The first selector byte of [`TLS13_MESSAGE_DECODERS`].
pub const TLS13_DECODERS_FROM: u8 = 192;

/// Target `messages`. Input: a decoder (see [`MESSAGE_DECODERS`], and
/// [`TLS13_MESSAGE_DECODERS`] from [`TLS13_DECODERS_FROM`] on), then its
/// input (for `read_body`: the type byte, then the body).
pub fn messages(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    match selector.checked_sub(TLS13_DECODERS_FROM) {
        Some(0) => return payload13_roundtrip(input),
        Some(1) => return roundtrip::<EncryptedExtensions>(input),
        Some(2) => return roundtrip::<CertificateTls13>(input),
        Some(3) => return roundtrip::<CertificateRequestTls13>(input),
        Some(4) => return roundtrip::<NewSessionTicketTls13>(input),
        Some(5) => return roundtrip::<KeyShareEntry>(input),
        _ => {}
    }
    match usize::from(selector) % MESSAGE_DECODERS.len() {
        0 => roundtrip::<HandshakeMessage>(input),
        1 => payload_roundtrip(input),
        2 => roundtrip::<ClientHello>(input),
        3 => roundtrip::<ServerHello>(input),
        4 => roundtrip::<CertificateChain>(input),
        5 => roundtrip::<ServerKeyExchange>(input),
        6 => roundtrip::<CertificateRequest>(input),
        7 => roundtrip::<ClientKeyExchange>(input),
        8 => roundtrip::<DigitallySigned>(input),
        9 => roundtrip::<Finished>(input),
        10 => roundtrip::<NewSessionTicket>(input),
        11 => roundtrip::<AlertMessage>(input),
        12 => roundtrip::<ChangeCipherSpecPayload>(input),
        13 => roundtrip::<ClientExtension>(input),
        14 => roundtrip::<ServerExtension>(input),
        15 => roundtrip::<ServerEcdhParams>(input),
        16 => roundtrip::<Random>(input),
        17 => roundtrip::<SessionId>(input),
        _ => roundtrip::<DistinguishedName>(input),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes `input` as a `T`; if it decodes, its encoding must decode to
/// the same value and encode to the same bytes again.
fn roundtrip<T: Codec + PartialEq + Debug>(input: &[u8]) {
    let Ok(value) = T::read_bytes(input) else {
        return;
    };
    let name = std::any::type_name::<T>();
    let encoded = value.get_encoding();
    let again = match T::read_bytes(&encoded) {
        Ok(again) => again,
        Err(e) => panic!(
            "{name}: the re-encoding does not decode: {e:?}\n value: {value:?}\n encoding: {}",
            hex(&encoded)
        ),
    };
    assert_eq!(again, value, "{name}: decode(encode(v)) != v");
    assert_eq!(
        again.get_encoding(),
        encoded,
        "{name}: the encoding is not stable"
    );
}

/// As [`payload_roundtrip`], for a TLS 1.3 handshake body.
fn payload13_roundtrip(input: &[u8]) {
    let Some((&typ, body)) = input.split_first() else {
        return;
    };
    let typ = HandshakeType::from_wire(typ);
    let Ok(payload) = PayloadTls13::read_body(typ, body) else {
        return;
    };
    assert_eq!(
        payload.typ(),
        typ,
        "read_body made a TLS 1.3 payload of another type"
    );
    let mut encoded = Vec::new();
    payload.encode_body(&mut encoded);
    let again = match PayloadTls13::read_body(typ, &encoded) {
        Ok(again) => again,
        Err(e) => panic!(
            "{typ:?}: the re-encoded TLS 1.3 body does not decode: {e:?}\n value: {payload:?}\n encoding: {}",
            hex(&encoded)
        ),
    };
    assert_eq!(
        again, payload,
        "{typ:?}: TLS 1.3 read_body(encode_body(v)) != v"
    );
}

fn payload_roundtrip(input: &[u8]) {
    let Some((&typ, body)) = input.split_first() else {
        return;
    };
    let typ = HandshakeType::from_wire(typ);
    let Ok(payload) = HandshakePayload::read_body(typ, body) else {
        return;
    };
    assert_eq!(
        payload.typ(),
        typ,
        "read_body made a payload of another type"
    );
    let mut encoded = Vec::new();
    payload.encode_body(&mut encoded);
    let again = match HandshakePayload::read_body(typ, &encoded) {
        Ok(again) => again,
        Err(e) => panic!(
            "{typ:?}: the re-encoded body does not decode: {e:?}\n value: {payload:?}\n encoding: {}",
            hex(&encoded)
        ),
    };
    assert_eq!(again, payload, "{typ:?}: read_body(encode_body(v)) != v");
}

// ---------------------------------------------------------------------------
// client_states / server_states
// ---------------------------------------------------------------------------

/// The handshakes the state targets run, by bits 4-6 of the selector (and
/// bit 3 for the last): four TLS 1.2 ones, five TLS 1.3 ones (shapes of the
/// TLS 1.3 table) that between them reach every TLS 1.3 reading state of
/// both roles.
pub const SCENARIOS: [&str; 9] = [
    // TLS 1.2, the full handshake; the server issues a session ticket.
    "full",
    // TLS 1.2: the server asks for a client certificate and gets one; it
    // staples an OCSP response (CertificateStatus).
    "client-auth",
    // TLS 1.2: the server asks for a client certificate (optional) and
    // gets none.
    "no-client-cert",
    // TLS 1.2: the client resumes a session with the server's ticket.
    "resumed",
    // TLS 1.3, 1-RTT, with the compatibility ChangeCipherSpecs.
    "1.3-full+ccs",
    // TLS 1.3 after a HelloRetryRequest, with the compatibility
    // ChangeCipherSpecs (the server's comes right after its HRR).
    "1.3-hrr+ccs",
    // TLS 1.3: the server asks for a client certificate (required) and
    // gets one, with its CertificateVerify.
    "1.3-client-auth",
    // TLS 1.3: the server asks for a client certificate (optional) and
    // gets an empty Certificate.
    "1.3-no-cert",
    // TLS 1.3 0-RTT (with the compatibility ChangeCipherSpecs): the client
    // resumes with a ticket allowing early data and sends some after its
    // ClientHello (and CCS); the server accepts it, then reads the early
    // data and the EndOfEarlyData under the client's early traffic key.
    "1.3-early+ccs",
];

/// The 0-RTT scenario of [`SCENARIOS`].
pub const EARLY: usize = 8;

/// Whether `scenario` negotiates TLS 1.3.
pub fn is_tls13(scenario: usize) -> bool {
    SCENARIOS[scenario].starts_with("1.3-")
}

/// A genuine pair of endpoints for `scenario`, not yet started.
fn endpoints(scenario: usize) -> (ClientDriver, ServerDriver) {
    if scenario == EARLY {
        return early_pair(None);
    }
    let pki = pki();
    let client = match scenario {
        1 => pki.client_with_cert.clone(),
        3 => {
            let store = InMemorySessionStore::new(1);
            store.put("localhost", pki.session.clone());
            let mut config = (*pki.client).clone();
            config.session_store = Some(Arc::new(store));
            Arc::new(config)
        }
        4 => pki.client13.clone(),
        5 => pki.client13_hrr.clone(),
        6 => pki.client13_with_cert.clone(),
        7 => pki.client13_no_ccs.clone(),
        _ => pki.client.clone(),
    };
    let asking = |config: &Arc<ServerConfig>, required| {
        ServerDriver::requesting_client_cert(
            config.clone(),
            ClientCertPolicy {
                verifier: pki.client_verifier.clone(),
                required,
            },
        )
    };
    let server = match scenario {
        1 | 2 => asking(&pki.stapling_server, scenario == 1),
        4 => ServerDriver::new(pki.server13.clone()),
        5 => ServerDriver::new(pki.server13_hrr.clone()),
        6 | 7 => asking(&pki.server13_no_ccs, scenario == 6),
        _ => ServerDriver::new(pki.server.clone()),
    };
    (ClientDriver::new(client, server_name()), server)
}

/// Splits a byte stream into its records (a short tail is kept whole).
fn records(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let len = match bytes {
            [_, _, _, hi, lo, ..] => 5 + usize::from(u16::from_be_bytes([*hi, *lo])),
            _ => bytes.len(),
        };
        let (record, rest) = bytes.split_at(len.min(bytes.len()));
        out.push(record.to_vec());
        bytes = rest;
    }
    out
}

/// Everything the driver owes the peer, as one byte string.
fn output<S: AnyState>(driver: &mut Driver<S>) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(bytes) = driver.poll_output() {
        out.extend_from_slice(&bytes);
    }
    out
}

/// Takes the driver's events; reads any data. Returns the failure, if
/// the driver failed.
fn events<S: AnyState>(driver: &mut Driver<S>) -> Option<Error> {
    let mut failed = None;
    while let Some(event) = driver.poll_event() {
        match event {
            Event::DataReadable => {
                let mut buf = [0u8; 4096];
                while let Ok(n) = driver.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                }
            }
            Event::Failed(error) => failed = Some(error),
            _ => {}
        }
    }
    failed
}

/// The genuine exchange between `fuzzed` and `peer`, up to `k` of the
/// peer's records delivered to `fuzzed` (or until the peer has nothing
/// more to say). Returns the peer's records in the order `fuzzed` reads
/// them: the `k` delivered, then any already written but not delivered.
fn genuine<F: AnyState, P: AnyState>(
    fuzzed: &mut Driver<F>,
    peer: &mut Driver<P>,
    k: usize,
) -> Vec<Vec<u8>> {
    let mut delivered: Vec<Vec<u8>> = Vec::new();
    let mut queue: VecDeque<Vec<u8>> = VecDeque::new();
    loop {
        let out = output(fuzzed);
        if !out.is_empty() {
            assert_eq!(peer.handle_input(&out), out.len());
        }
        if let Some(error) = events(peer) {
            panic!("our genuine peer failed at {}: {error}", peer.state_name());
        }
        queue.extend(records(&output(peer)));
        if delivered.len() == k {
            break;
        }
        let Some(record) = queue.pop_front() else {
            break;
        };
        assert_eq!(fuzzed.handle_input(&record), record.len());
        if let Some(error) = events(fuzzed) {
            panic!(
                "genuine handshake failed at {}: {error}",
                fuzzed.state_name()
            );
        }
        delivered.push(record);
    }
    delivered.extend(queue);
    delivered
}

/// Feeds the fuzzer's bytes to `driver` as its peer's, then the end of the
/// stream, then sends and closes; nothing may panic. Returns the failure
/// the bytes led to, if any (not the end of the stream's).
fn fuzz_driver<S: AnyState>(driver: &mut Driver<S>, feeder: &mut Feeder<'_>) -> Option<Error> {
    let mut failure = None;
    while let Some(chunk) = feeder.next_chunk() {
        // Bytes not taken (the driver's buffers full) are dropped: the
        // fuzzer's stream is arbitrary anyway.
        let _taken = driver.handle_input(chunk);
        failure = events(driver);
        let _ = output(driver);
        if failure.is_some() {
            assert_eq!(driver.state_name(), "Failed");
            assert!(!driver.is_handshaking());
            break;
        }
    }
    driver.handle_eof();
    let _ = events(driver);
    let _ = driver.send(b"fuzz");
    let _ = driver.close();
    let _ = events(driver);
    let _ = output(driver);
    failure
}

/// How many of the peer's records each side reads in each scenario: the
/// reading states before the connection is established.
struct Reads {
    client: [usize; SCENARIOS.len()],
    server: [usize; SCENARIOS.len()],
}

fn reads() -> &'static Reads {
    static READS: OnceLock<Reads> = OnceLock::new();
    READS.get_or_init(|| {
        let mut reads = Reads {
            client: [0; SCENARIOS.len()],
            server: [0; SCENARIOS.len()],
        };
        for (scenario, name) in SCENARIOS.iter().enumerate() {
            let (mut c, mut s) = endpoints(scenario);
            reads.client[scenario] = genuine(&mut c, &mut s, usize::MAX).len();
            assert!(c.summary().is_some(), "{name}: no handshake");
            let (mut c, mut s) = endpoints(scenario);
            reads.server[scenario] = genuine(&mut s, &mut c, usize::MAX).len();
            assert!(s.summary().is_some(), "{name}: no handshake");
        }
        reads
    })
}

/// Decodes the selector byte: bits 0-3 the state (the number of genuine
/// peer records read first, mod the scenario's reads + 1: the last is the
/// established connection), bits 4-6 the scenario (see [`SCENARIOS`]: 0-3
/// TLS 1.2, 4-7 TLS 1.3), bit 7 the chunking of the fuzzer's bytes (whole,
/// or one byte at a time). In a TLS 1.3 scenario, bit 3 set picks the 0-RTT
/// scenario [`EARLY`] instead, bits 0-2 its state (no TLS 1.3 scenario has
/// more than 8 states, so bit 3 only ever repeated a state there).
fn select(selector: u8, reads: &[usize; SCENARIOS.len()]) -> (usize, usize, u8) {
    let mut scenario = usize::from(selector >> 4 & 7);
    let mut k = usize::from(selector & 0x0f);
    if is_tls13(scenario) && k & 8 != 0 {
        (scenario, k) = (EARLY, k & 7);
    }
    let k = k % (reads[scenario] + 1);
    let chunking = selector >> 7;
    (scenario, k, chunking)
}

/// The selector byte for state `k` of `scenario`, delivered whole.
pub fn selector(scenario: usize, k: usize) -> u8 {
    match scenario {
        EARLY => 4 << 4 | 8 | k as u8,
        _ => (scenario as u8) << 4 | k as u8,
    }
}

/// The scenario and state `selector` picks, as [`select`] reads it.
pub fn selected(selector: u8, client: bool) -> (usize, usize) {
    let reads = match client {
        true => &reads().client,
        false => &reads().server,
    };
    let (scenario, k, _) = select(selector, reads);
    (scenario, k)
}

/// Target `client_states`. Input: a selector byte (see [`select`]), then
/// the server's bytes from that state on. Our client and our server run
/// the scenario's handshake until the client has read `k` of the server's
/// records; then the fuzzer's bytes are the server's.
pub fn client_states(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let (scenario, k, chunking) = select(selector, &reads().client);
    let (mut client, mut server) = endpoints(scenario);
    genuine(&mut client, &mut server, k);
    let _ = fuzz_driver(&mut client, &mut Feeder::new(input, chunking));
}

/// Target `server_states`, the same for our server fed the client's bytes.
pub fn server_states(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let (scenario, k, chunking) = select(selector, &reads().server);
    let (mut client, mut server) = endpoints(scenario);
    genuine(&mut server, &mut client, k);
    let _ = fuzz_driver(&mut server, &mut Feeder::new(input, chunking));
}

/// The state the fuzzed side is in for each `k` of `scenario`, by name:
/// `(client states, server states)`.
pub fn state_names(scenario: usize) -> (Vec<&'static str>, Vec<&'static str>) {
    let mut client_names = Vec::new();
    for k in 0..=reads().client[scenario] {
        let (mut c, mut s) = endpoints(scenario);
        genuine(&mut c, &mut s, k);
        client_names.push(c.state_name());
    }
    let mut server_names = Vec::new();
    for k in 0..=reads().server[scenario] {
        let (mut c, mut s) = endpoints(scenario);
        genuine(&mut s, &mut c, k);
        server_names.push(s.state_name());
    }
    (client_names, server_names)
}

// ---------------------------------------------------------------------------
// Seeds
// ---------------------------------------------------------------------------

/// The records one side reads in a genuine run of `scenario`: the whole
/// handshake, then one application data record and a close_notify.
pub fn peer_records(scenario: usize, client_reads: bool) -> Vec<Vec<u8>> {
    let (mut c, mut s) = endpoints(scenario);
    let (mut records, peer_out) = if client_reads {
        let records = genuine(&mut c, &mut s, usize::MAX);
        s.send(b"HTTP/1.1 200 OK\r\n\r\n").expect("server data");
        s.close().expect("server close");
        (records, output(&mut s))
    } else {
        let records = genuine(&mut s, &mut c, usize::MAX);
        c.send(b"GET / HTTP/1.1\r\n\r\n").expect("client data");
        c.close().expect("client close");
        (records, output(&mut c))
    };
    records.extend(self::records(&peer_out));
    records
}

/// A starting corpus from real handshakes: `(target, file name, input)`.
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut seeds = Vec::new();
    let with = |prefix: &[u8], rest: &[u8]| [prefix, rest].concat();
    let server_full = peer_records(0, true);
    let client_full = peer_records(0, false);
    let server_auth = peer_records(1, true);
    let client_auth = peer_records(1, false);

    // deframer: both directions, whole and in chunks.
    let client_stream = client_full.concat();
    let server_stream = server_full.concat();
    seeds.push((
        "deframer",
        "client-whole".into(),
        with(&[0], &client_stream),
    ));
    seeds.push((
        "deframer",
        "server-whole".into(),
        with(&[0], &server_stream),
    ));
    seeds.push((
        "deframer",
        "server-chunks".into(),
        with(&[3, 1, 7, 0x90], &server_stream),
    ));
    seeds.push((
        "deframer",
        "client-bytewise".into(),
        with(&[1, 1], &client_stream),
    ));

    // messages: every plaintext handshake message, framed and bare, plus
    // small hand-made ones for the rest.
    let decoder = |name: &str| {
        MESSAGE_DECODERS
            .iter()
            .position(|d| *d == name)
            .expect("a decoder") as u8
    };
    let plaintext = [
        ("ClientHello", &client_full[0]),
        ("ClientKeyExchange", &client_full[1]),
        ("ServerHello", &server_full[0]),
        ("CertificateChain", &server_full[1]),
        ("ServerKeyExchange", &server_full[2]),
        ("HelloDone", &server_full[3]),
        ("NewSessionTicket", &server_full[4]),
        ("CertificateStatus", &server_auth[2]),
        ("CertificateRequest", &server_auth[4]),
        ("ClientCertificate", &client_auth[1]),
        ("DigitallySigned", &client_auth[3]),
    ];
    for (name, record) in plaintext {
        let message = &record[5..];
        seeds.push(("messages", format!("framed-{name}"), with(&[0], message)));
        seeds.push((
            "messages",
            format!("body-{name}"),
            with(&[1, message[0]], &message[4..]),
        ));
        if MESSAGE_DECODERS.contains(&name) {
            seeds.push((
                "messages",
                format!("bare-{name}"),
                with(&[decoder(name)], &message[4..]),
            ));
        }
    }
    let ske_body = &server_full[2][9..];
    // ServerEcdhParams: curve_type(1) group(2) point<u8>; then the signature.
    let params_len = 4 + usize::from(ske_body[3]);
    let hand_made: [(&str, Vec<u8>); 9] = [
        ("ServerEcdhParams", ske_body[..params_len].to_vec()),
        ("Finished", (1..=12).collect()),
        ("AlertMessage", vec![2, 40]),
        ("ChangeCipherSpecPayload", vec![1]),
        ("ClientExtension", vec![0, 0x10, 0, 5, 0, 3, 2, b'h', b'2']),
        ("ServerExtension", vec![0xff, 1, 0, 1, 0]),
        ("SessionId", [&[32u8][..], &[7; 32]].concat()),
        ("Random", vec![9; 32]),
        ("DistinguishedName", vec![0, 4, 0x30, 2, 5, 0]),
    ];
    for (name, input) in hand_made {
        seeds.push((
            "messages",
            format!("bare-{name}"),
            with(&[decoder(name)], &input),
        ));
    }

    // client_states / server_states: for every scenario and state, the
    // genuine peer's records from that state on.
    for (scenario, scenario_name) in SCENARIOS.iter().enumerate() {
        let (client_names, server_names) = state_names(scenario);
        let server_records = peer_records(scenario, true);
        for (k, state) in client_names.iter().enumerate() {
            seeds.push((
                "client_states",
                format!("{scenario_name}-{k}-{state}"),
                with(&[selector(scenario, k)], &server_records[k..].concat()),
            ));
        }
        let client_records = peer_records(scenario, false);
        for (k, state) in server_names.iter().enumerate() {
            seeds.push((
                "server_states",
                format!("{scenario_name}-{k}-{state}"),
                with(&[selector(scenario, k)], &client_records[k..].concat()),
            ));
        }
    }
    seeds
}

// ---------------------------------------------------------------------------
// client_sealed / server_sealed
// ---------------------------------------------------------------------------
//
// The state targets cannot reach what a TLS 1.3 peer sends after its
// ServerHello: those records are sealed under the keys of one handshake,
// and the fuzzer's bytes do not open under the next. These two targets
// seal the fuzzer's records themselves, as the peer's, under its real
// keys (both sides log their secrets): the protected handshake reads
// (EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify,
// Finished; on the resumed path too) and the established connection's
// reads of post-handshake messages (NewSessionTicket, KeyUpdate,
// CertificateRequest, the messages of post-handshake client
// authentication, RFC 8446 4.6) are reached.

/// The secrets a run's two sides log, by label.
#[derive(Debug, Default)]
struct Logged(std::sync::Mutex<Vec<(String, Vec<u8>)>>);

impl tlstate::keylog::KeyLog for Logged {
    fn log(&self, label: &str, _client_random: &[u8; 32], secret: &[u8]) {
        if let Ok(mut logged) = self.0.lock() {
            logged.push((label.to_string(), secret.to_vec()));
        }
    }
}

impl Logged {
    fn get(&self, label: &str) -> Option<Vec<u8>> {
        let logged = self.0.lock().ok()?;
        logged
            .iter()
            .find(|(name, _)| name == label)
            .map(|(_, secret)| secret.clone())
    }
}

/// Where a sealed target's run starts, as its selector picks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SealedAt {
    /// A TLS 1.3 scenario of [`SCENARIOS`] (4-8).
    pub scenario: usize,
    /// The client holds a ticket of the server's (which issues tickets):
    /// the handshake resumes where the scenario allows it (always, with
    /// 0-RTT, in [`EARLY`]).
    pub resumed: bool,
    /// How many of the peer's records the side under test reads first
    /// (its reading states; the count of them is the established
    /// connection, one more the connection after the server's
    /// post-handshake CertificateRequest).
    pub k: usize,
}

/// Decodes a sealed target's selector: bits 0-3 `k` (mod the number of
/// stages, [`sealed_stages`]), bits 4-5 the scenario (4 + n), bit 6
/// resumed, bit 7 the chunking (as in the state targets). Resumed, scenario
/// 7 (`1.3-no-cert`, whose resumption asks for no certificate: the same
/// handshake as resumed 6) is the 0-RTT scenario [`EARLY`] instead.
pub fn sealed_at(selector: u8, client: bool) -> SealedAt {
    let mut scenario = 4 + usize::from(selector >> 4 & 3);
    let resumed = selector & 0x40 != 0;
    if resumed && scenario == 7 {
        scenario = EARLY;
    }
    let k = usize::from(selector & 0x0f) % sealed_stages(scenario, resumed, client);
    SealedAt {
        scenario,
        resumed,
        k,
    }
}

/// The selector of `at`, delivered whole.
pub fn sealed_selector(at: SealedAt) -> u8 {
    let scenario = at.scenario.min(7) - 4;
    (scenario as u8) << 4 | u8::from(at.resumed) << 6 | at.k as u8
}

/// The `(scenario, resumed)` a sealed selector can pick, in the order of
/// [`sealed_stage_list`].
pub fn sealed_variants() -> Vec<(usize, bool)> {
    let mut out = Vec::new();
    for scenario in 4..EARLY {
        out.push((scenario, false));
        if scenario != 7 {
            out.push((scenario, true));
        }
    }
    out.push((EARLY, true));
    out
}

/// Whether the sealed seeds cover `at`'s stage: all but the resumption of
/// `1.3-client-auth` (a resumption asks for no certificate: it is that of
/// 4 and 5 without the compatibility CCS).
pub fn sealed_seeded(at: SealedAt) -> bool {
    !(at.resumed && at.scenario == 6)
}

/// The ticketer of the sealed targets' resuming servers.
fn sealed_ticketer() -> Arc<Ticketer> {
    static TICKETER: OnceLock<Arc<Ticketer>> = OnceLock::new();
    TICKETER
        .get_or_init(|| Arc::new(Ticketer::new(1 << 30, 1 << 30).expect("ticketer")))
        .clone()
}

/// A genuine TLS 1.3 pair of `scenario`, both logging into `log` (if
/// given), the client offering post_handshake_auth and keeping tickets in
/// `store` (if given); the server issues tickets if `tickets`.
fn sealed_pair(
    scenario: usize,
    log: Option<&Arc<Logged>>,
    tickets: bool,
    store: Option<Arc<InMemorySessionStore>>,
) -> (ClientDriver, ServerDriver) {
    if scenario == EARLY {
        return early_pair(log);
    }
    let pki = pki();
    let (client, server) = match scenario {
        4 => (&pki.client13, &pki.server13),
        5 => (&pki.client13_hrr, &pki.server13_hrr),
        6 => (&pki.client13_with_cert, &pki.server13_no_ccs),
        _ => (&pki.client13_no_ccs, &pki.server13_no_ccs),
    };
    let mut client = (**client).clone();
    let mut server = (**server).clone();
    if let Some(log) = log {
        client.key_log = Some(log.clone());
        server.key_log = Some(log.clone());
    }
    client.post_handshake_auth = true;
    client.session_store = store.map(|store| store as Arc<dyn ClientSessionStore>);
    if tickets {
        server.ticketer = Some(sealed_ticketer());
    }
    let server = Arc::new(server);
    let server = match scenario {
        6 | 7 => ServerDriver::requesting_client_cert(
            server,
            ClientCertPolicy {
                verifier: pki.client_verifier.clone(),
                required: scenario == 6,
            },
        ),
        _ => ServerDriver::new(server),
    };
    (ClientDriver::new(Arc::new(client), server_name()), server)
}

/// The pair of `scenario`, logging into `log`; if `resumed`, the server
/// issues tickets and the client holds fresh ones (from a full handshake
/// of the same pair, just now; in [`EARLY`], the one ticket allowing
/// 0-RTT, see [`early_pair`]).
fn sealed_endpoints(
    scenario: usize,
    resumed: bool,
    log: &Arc<Logged>,
) -> (ClientDriver, ServerDriver) {
    if scenario == EARLY {
        return early_pair(Some(log));
    }
    let store = resumed.then(|| {
        let store = Arc::new(InMemorySessionStore::new(2));
        let (mut c, mut s) = sealed_pair(scenario, None, true, Some(store.clone()));
        genuine(&mut c, &mut s, usize::MAX);
        // Reading takes the tickets that followed the handshake.
        let _ = c.read(&mut [0; 64]);
        store
    });
    sealed_pair(scenario, Some(log), resumed, store)
}

/// The number of stages of `scenario`: the peer's records the side under
/// test reads before it is established (its reading states), the
/// established connection, and the connection after the server's
/// post-handshake CertificateRequest. Counted once per process.
pub fn sealed_stages(scenario: usize, resumed: bool, client: bool) -> usize {
    sealed_genuine(scenario, resumed, client).0 + 2
}

/// What a genuine run of `scenario` is, per process: how many of the
/// peer's records the side under test reads before it is established, and
/// the suite negotiated (the same in every run: the configurations are).
fn sealed_genuine(
    scenario: usize,
    resumed: bool,
    client: bool,
) -> (usize, tlstate::enums::CipherSuite) {
    type Runs = Vec<((usize, bool, bool), (usize, tlstate::enums::CipherSuite))>;
    static GENUINE: OnceLock<Runs> = OnceLock::new();
    let genuine_runs = GENUINE.get_or_init(|| {
        let mut out = Vec::new();
        for (scenario, resumed) in sealed_variants() {
            for client in [false, true] {
                let log = Arc::default();
                let (mut c, mut s) = sealed_endpoints(scenario, resumed, &log);
                let read = match client {
                    true => genuine(&mut c, &mut s, usize::MAX).len(),
                    false => genuine(&mut s, &mut c, usize::MAX).len(),
                };
                let suite = c.summary().map(|summary| summary.cipher_suite);
                let name = SCENARIOS[scenario];
                assert!(s.summary().is_some(), "{name}: no handshake");
                if scenario == EARLY {
                    assert!(
                        s.summary()
                            .is_some_and(|summary| summary.early_data_accepted),
                        "{name}: the early data was not accepted"
                    );
                }
                out.push((
                    (scenario, resumed, client),
                    (read, suite.expect("a handshake")),
                ));
            }
        }
        out
    });
    genuine_runs
        .iter()
        .find(|(variant, _)| *variant == (scenario, resumed, client))
        .map(|(_, run)| *run)
        .expect("a sealed variant")
}

/// One direction's keys, by epoch: the client's early traffic secret (the
/// client's direction of [`EARLY`]), the handshake traffic secret, then the
/// first application traffic secret (and those after it).
struct SealedKeys<'a> {
    log: &'a Logged,
    suite: &'static tlstate::crypto::tls13::Tls13CipherSuite,
    labels: &'static [&'static str],
}

impl SealedKeys<'_> {
    /// The epoch of the handshake key.
    fn handshake(&self) -> usize {
        self.labels.len() - 2
    }

    /// The epoch of the first application key.
    fn application(&self) -> usize {
        self.labels.len() - 1
    }

    /// The secret of `epoch`: from the first application key on, the
    /// first application secret (the later ones are derived from it).
    fn secret(&self, epoch: usize) -> Option<tlstate::crypto::tls13::Secret> {
        let secret = self.log.get(self.labels[epoch.min(self.application())])?;
        tlstate::crypto::tls13::Secret::new(self.suite.hash, &secret).ok()
    }

    /// The first key after `epoch` under which `record` opens as number 0.
    fn later_opening(&self, epoch: usize, record: &[u8]) -> Option<usize> {
        (epoch + 1..self.labels.len()).find(|&later| self.opens(later, 0, record))
    }

    fn opens(&self, epoch: usize, seq: u64, record: &[u8]) -> bool {
        use tlstate::record::RecordOpener;
        let (Some(secret), Some(body)) = (self.secret(epoch), record.get(5..)) else {
            return false;
        };
        let mut body = body.to_vec();
        let Ok(opener) = self.suite.opener(&secret) else {
            return false;
        };
        opener
            .open(seq, ContentType::ApplicationData, 0x0303, &mut body)
            .is_ok()
    }

    /// Where the record after `stream` would go: `None` if in plaintext
    /// (the next genuine record is), else `(epoch, sequence number)`.
    fn place_after(&self, stream: &[Vec<u8>], next: Option<&[u8]>) -> Option<(usize, u64)> {
        let (mut epoch, mut seq) = (0, 0);
        for record in stream {
            if record.first() != Some(&23) {
                continue;
            }
            if self.opens(epoch, seq, record) {
                seq += 1;
            } else if let Some(later) = self.later_opening(epoch, record) {
                (epoch, seq) = (later, 1);
            }
        }
        let application = self.application();
        match next {
            Some(record) if record.first() != Some(&23) => None,
            Some(record) if epoch < application && !self.opens(epoch, seq, record) => {
                Some((self.later_opening(epoch, record).unwrap_or(epoch + 1), 0))
            }
            Some(_) => Some((epoch, seq)),
            // Established: the application key.
            None if epoch < application => Some((application, 0)),
            None => Some((epoch, seq)),
        }
    }
}

/// Seals each record of `input` as the peer's next protected record from
/// `place` on: `input` is a sequence of (inner content type, 16-bit
/// length, content); a tail shorter than its length is taken as it is. A
/// record holding an EndOfEarlyData under the early key moves on to the
/// handshake key, one holding a Finished under the handshake key to the
/// application key, one ending in a KeyUpdate to the next application
/// key (RFC 8446 4.6.3), each from sequence number 0, as the peer's
/// would.
fn seal_records(input: &[u8], keys: &SealedKeys<'_>, place: (usize, u64)) -> Vec<u8> {
    use tlstate::record::RecordSealer;
    let (mut epoch, mut seq) = place;
    let Some(mut secret) = keys.secret(epoch) else {
        return Vec::new();
    };
    // Application secrets after the first: each the next of the one before.
    for _ in keys.application()..epoch {
        secret = tlstate::crypto::tls13::next_traffic_secret(&secret).expect("the next secret");
    }
    let mut out = Vec::new();
    let mut rest = input;
    while let [typ, hi, lo, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo]))
            .min(tail.len())
            .min(MAX_PLAINTEXT_LEN);
        let (content, after) = tail.split_at(len);
        let start = out.len();
        out.extend_from_slice(&[0; 5]);
        out.extend_from_slice(content);
        keys.suite
            .sealer(&secret)
            .expect("a sealer")
            .seal(seq, ContentType::from_wire(*typ), &mut out, start)
            .expect("sealed");
        seq += 1;
        rest = after;
        let handshake = *typ == 22;
        let end_of_early_data =
            handshake && epoch < keys.handshake() && content.first() == Some(&5);
        let finished = handshake && epoch == keys.handshake() && content.first() == Some(&20);
        let key_update = handshake
            && epoch > keys.handshake()
            && content.len() >= 5
            && content[content.len() - 5..content.len() - 1] == [24, 0, 0, 1];
        if end_of_early_data || finished || key_update {
            epoch += 1;
            seq = 0;
            secret = match key_update {
                false => keys.secret(epoch).expect("the next secret was logged"),
                true => {
                    tlstate::crypto::tls13::next_traffic_secret(&secret).expect("the next secret")
                }
            };
        }
    }
    out
}

/// Target `client_sealed` (`client` true) or `server_sealed`. Input: a
/// selector byte ([`sealed_at`]), then records as [`seal_records`] reads
/// them. A genuine handshake runs until the side under test has read `k`
/// of its peer's records (or, at the last stage, until the server has
/// asked for a certificate after the handshake, the client has read the
/// request); then the records are sealed as the peer's next ones, in the
/// place of its next genuine record (or, at a plaintext place such as the
/// ServerHello's, the input is fed as it is), then the end of the stream,
/// then it sends and closes. Nothing may panic; a failure leaves it
/// `Failed`.
pub fn sealed(data: &[u8], client: bool) {
    let _ = sealed_run(data, client);
}

/// What a run of a sealed target did.
#[derive(Debug)]
pub struct SealedRun {
    /// Whether the input was sealed (else fed as it is).
    pub sealed: bool,
    /// The failure the input led to, if any.
    pub failure: Option<Error>,
    /// Whether the server authenticated its client after the handshake.
    pub authenticated: bool,
}

/// A sealed target's run, set up: the pair, the peer's records (the
/// first `delivered` of them read by the side under test), the secrets.
struct SealedSetup {
    c: ClientDriver,
    s: ServerDriver,
    stream: Vec<Vec<u8>>,
    delivered: usize,
    log: Arc<Logged>,
    suite: tlstate::enums::CipherSuite,
    /// The 0-RTT scenario: the client's records start under its early key.
    early: bool,
}

impl SealedSetup {
    fn new(at: SealedAt, client: bool) -> Self {
        let reads = sealed_stages(at.scenario, at.resumed, client) - 2;
        let log = Arc::new(Logged::default());
        let (mut c, mut s) = sealed_endpoints(at.scenario, at.resumed, &log);
        let mut stream = match client {
            true => genuine(&mut c, &mut s, at.k.min(reads)),
            false => genuine(&mut s, &mut c, at.k.min(reads)),
        };
        let mut delivered = at.k.min(reads).min(stream.len());
        if at.k > reads {
            // Established: what the peer wrote after the handshake
            // (tickets), read; then the server's request.
            for record in &stream[delivered..] {
                let taken = match client {
                    true => c.handle_input(record),
                    false => s.handle_input(record),
                };
                assert_eq!(taken, record.len());
            }
            delivered = stream.len();
            assert!(events(&mut c).is_none() && events(&mut s).is_none());
            let policy = ClientCertPolicy {
                verifier: pki().client_verifier.clone(),
                required: false,
            };
            s.request_client_certificate(policy).expect("a request");
            let request = output(&mut s);
            assert_eq!(c.handle_input(&request), request.len());
            assert!(events(&mut c).is_none(), "the client refused the request");
            let answer = output(&mut c);
            match client {
                // The client read the request (and answered).
                true => {
                    stream.extend(records(&request));
                    delivered = stream.len();
                }
                // The server waits for the answer: the input in its place.
                false => stream.extend(records(&answer)),
            }
        }
        Self {
            c,
            s,
            stream,
            delivered,
            log,
            suite: sealed_genuine(at.scenario, at.resumed, client).1,
            early: at.scenario == EARLY,
        }
    }

    fn keys(&self, client: bool) -> SealedKeys<'_> {
        SealedKeys {
            log: &self.log,
            suite: tlstate::crypto::tls13::lookup_tls13(self.suite).expect("a TLS 1.3 suite"),
            labels: match (client, self.early) {
                (true, _) => &["SERVER_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0"],
                (false, false) => &["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"],
                (false, true) => &[
                    "CLIENT_EARLY_TRAFFIC_SECRET",
                    "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                    "CLIENT_TRAFFIC_SECRET_0",
                ],
            },
        }
    }

    /// Where the input goes: `None` for a plaintext place.
    fn place(&self, client: bool) -> Option<(usize, u64)> {
        let next = self.stream.get(self.delivered).map(Vec::as_slice);
        self.keys(client)
            .place_after(&self.stream[..self.delivered], next)
    }

    /// The state the side under test is at.
    fn state_name(&self, client: bool) -> &'static str {
        match client {
            true => self.c.state_name(),
            false => self.s.state_name(),
        }
    }
}

/// [`sealed`], reporting what the run did (`None`: no selector byte).
pub fn sealed_run(data: &[u8], client: bool) -> Option<SealedRun> {
    let (&selector, input) = data.split_first()?;
    let mut setup = SealedSetup::new(sealed_at(selector, client), client);
    let place = setup.place(client);
    let bytes = match place {
        Some(place) => seal_records(input, &setup.keys(client), place),
        None => input.to_vec(),
    };
    let mut feeder = Feeder::new(&bytes, selector >> 7);
    let failure = match client {
        true => fuzz_driver(&mut setup.c, &mut feeder),
        false => fuzz_driver(&mut setup.s, &mut feeder),
    };
    Some(SealedRun {
        sealed: place.is_some(),
        failure,
        authenticated: setup.s.post_handshake_auth().is_some(),
    })
}

/// Every stage the sealed targets have: `(at, the state the side under
/// test is at, whether the input is sealed there)`.
pub fn sealed_stage_list(client: bool) -> Vec<(SealedAt, &'static str, bool)> {
    let mut out = Vec::new();
    for (scenario, resumed) in sealed_variants() {
        for k in 0..sealed_stages(scenario, resumed, client) {
            let at = SealedAt {
                scenario,
                resumed,
                k,
            };
            let setup = SealedSetup::new(at, client);
            out.push((at, setup.state_name(client), setup.place(client).is_some()));
        }
    }
    out
}

/// Seeds of the sealed targets: `(target, file name, input)`. At every
/// sealed stage of the handshake (of the scenarios 4-7, resumed of 4 and
/// 5, and the 0-RTT scenario 8), the genuine peer's records from there on,
/// opened (another
/// run's: their CertificateVerify or Finished, over that run's transcript,
/// is refused, and the fuzzer explores the reads before it); at the
/// established connection, a KeyUpdate of request_update 2 and a
/// NewSessionTicket; after the server's post-handshake request, a
/// CertificateRequest to the client, and to the server the client's
/// genuine answer (another run's: the request's context is fresh each
/// time, so it is refused at the Certificate) and an empty Certificate.
/// At most 50 a target (docs/fuzzing.md).
pub fn sealed_seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let record = |typ: u8, content: &[u8]| {
        let mut out = vec![typ];
        out.extend_from_slice(&(content.len() as u16).to_be_bytes());
        out.extend_from_slice(content);
        out
    };
    let encode = |payload: PayloadTls13| {
        let mut out = Vec::new();
        payload.encode(&mut out);
        out
    };
    let ticket = record(
        22,
        &encode(PayloadTls13::NewSessionTicket(NewSessionTicketTls13 {
            lifetime: 3600,
            age_add: 1,
            nonce: vec![0],
            ticket: vec![7; 48],
            extensions: Default::default(),
        })),
    );
    let mut request = CertificateRequestTls13 {
        context: vec![3; 32],
        ..Default::default()
    };
    request.extensions.push(
        tlstate::enums::ExtensionType::SignatureAlgorithms,
        vec![0, 2, 4, 3],
    );
    let request = record(22, &encode(PayloadTls13::CertificateRequest(request)));
    let empty_certificate = record(
        22,
        &encode(PayloadTls13::Certificate(CertificateTls13::from_chain(
            vec![3; 32],
            &[],
        ))),
    );
    let key_update_2 = record(22, &[24, 0, 0, 1, 2]);
    let mut seeds = Vec::new();
    for (target, client) in [("client_sealed", true), ("server_sealed", false)] {
        for (at, state, sealed) in sealed_stage_list(client) {
            if !sealed || !sealed_seeded(at) {
                continue;
            }
            let reads = sealed_stages(at.scenario, at.resumed, client) - 2;
            let name = format!(
                "{}{}-{}-{state}",
                SCENARIOS[at.scenario],
                if at.resumed && at.scenario != EARLY {
                    "-resumed"
                } else {
                    ""
                },
                at.k
            );
            let inputs: Vec<(&str, Vec<u8>)> = match (at.k.cmp(&reads), client) {
                (std::cmp::Ordering::Less, _) => {
                    vec![("genuine", sealed_continuation(at, client))]
                }
                (std::cmp::Ordering::Equal, _) => vec![
                    ("key-update-2", key_update_2.clone()),
                    ("ticket", ticket.clone()),
                ],
                (std::cmp::Ordering::Greater, true) => {
                    vec![("certificate-request", request.clone())]
                }
                (std::cmp::Ordering::Greater, false) => vec![
                    ("answer", sealed_continuation(at, client)),
                    ("empty-certificate", empty_certificate.clone()),
                ],
            };
            for (what, input) in inputs {
                seeds.push((
                    target,
                    format!("{name}-{what}"),
                    [&[sealed_selector(at)][..], &input].concat(),
                ));
            }
        }
    }
    seeds
}

/// The genuine peer's records from `at` on (those the setup recorded),
/// opened, as [`seal_records`] reads them.
fn sealed_continuation(at: SealedAt, client: bool) -> Vec<u8> {
    use tlstate::record::RecordOpener;
    let setup = SealedSetup::new(at, client);
    let keys = setup.keys(client);
    let Some((mut epoch, mut seq)) = setup.place(client) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for record in &setup.stream[setup.delivered..] {
        let Some(secret) = keys.secret(epoch) else {
            break;
        };
        let mut body = record[5..].to_vec();
        let opener = keys.suite.opener(&secret).expect("an opener");
        let Ok((typ, range)) = opener.open(seq, ContentType::ApplicationData, 0x0303, &mut body)
        else {
            break;
        };
        let content = &body[range];
        out.push(typ.to_wire());
        out.extend_from_slice(&(content.len() as u16).to_be_bytes());
        out.extend_from_slice(content);
        seq += 1;
        let handshake = typ == ContentType::Handshake;
        if handshake && epoch < keys.handshake() && content.first() == Some(&5)
            || handshake && epoch == keys.handshake() && content.first() == Some(&20)
        {
            (epoch, seq) = (epoch + 1, 0);
        }
    }
    out
}

/// Target `client_sealed`: see [`sealed`].
pub fn client_sealed(data: &[u8]) {
    sealed(data, true);
}

/// Target `server_sealed`: see [`sealed`].
pub fn server_sealed(data: &[u8]) {
    sealed(data, false);
}
