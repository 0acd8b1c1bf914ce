//! Interop with rustls 0.23 (ring provider, TLS 1.2 only) as an independent,
//! in-process peer over real TCP loopback sockets.
//!
//! The matrix runs every suite this crate implements against every group, in
//! both directions (rustls client to our server, our client to a rustls
//! server), with ECDSA P-256 and P-384 server certificates for the ECDSA
//! suites and RSA-2048 for the RSA suites. The rustls side is restricted to
//! exactly one suite and one group per case; our side keeps its defaults, so
//! it has to negotiate its way to the rustls peer's single choice.
//!
//! The negative cases assert the specific error on each side and the specific
//! alert that crossed the wire.

mod common;

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use common::memory::localhost;
use common::{KeyKind, Leaf, TestPki, server_key_kinds};
use rustls::crypto::{CryptoProvider, SupportedKxGroup, ring as rring};
use rustls::{ClientConnection, ServerConnection, StreamOwned, SupportedCipherSuite};
use rustls_pki_types::{CertificateDer, ServerName};
use tlstate::enums::{AlertDescription, AlertLevel, CipherSuite, NamedGroup, SignatureScheme};
use tlstate::error::{CertificateError, Error, PeerIncompatible};
use tlstate::handshake::{ClientConfig, Fatal, ServerConfig};

// ---------------------------------------------------------------------------
// Fixture: one CA and one leaf per key kind for the whole file (RSA key
// generation is slow).

struct Fixture {
    pki: TestPki,
    p256: Leaf,
    p384: Leaf,
    rsa: Leaf,
    /// A second, unrelated CA, for "does not trust" cases.
    stranger: TestPki,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let pki = TestPki::new("tlstate interop_rustls CA");
        Fixture {
            p256: pki.leaf(KeyKind::EcdsaP256, &["localhost"]),
            p384: pki.leaf(KeyKind::EcdsaP384, &["localhost"]),
            rsa: pki.leaf(KeyKind::Rsa2048, &["localhost"]),
            stranger: TestPki::new("tlstate interop_rustls stranger CA"),
            pki,
        }
    })
}

impl Fixture {
    fn leaf(&self, kind: KeyKind) -> &Leaf {
        match kind {
            KeyKind::EcdsaP256 => &self.p256,
            KeyKind::EcdsaP384 => &self.p384,
            KeyKind::Rsa2048 => &self.rsa,
        }
    }
}

// ---------------------------------------------------------------------------
// Mapping between our enums and rustls's.

fn rustls_suite(suite: CipherSuite) -> SupportedCipherSuite {
    use rring::cipher_suite as cs;
    let theirs = match suite {
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => {
            cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        }
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => {
            cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
        }
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => {
            cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
        }
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => {
            cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        }
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => {
            cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
        }
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => {
            cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
        }
        other => panic!("no rustls counterpart for {other:?}"),
    };
    assert_eq!(u16::from(theirs.suite()), suite.to_wire());
    theirs
}

fn rustls_group(group: NamedGroup) -> &'static dyn SupportedKxGroup {
    use rring::kx_group as kx;
    let theirs = match group {
        NamedGroup::X25519 => kx::X25519,
        NamedGroup::secp256r1 => kx::SECP256R1,
        NamedGroup::secp384r1 => kx::SECP384R1,
        other => panic!("no rustls counterpart for {other:?}"),
    };
    assert_eq!(u16::from(theirs.name()), group.to_wire());
    theirs
}

const GROUPS: [NamedGroup; 3] = [
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
];

// ---------------------------------------------------------------------------
// rustls configurations: TLS 1.2 only, one suite, one group, EMS required.

fn provider(suite: CipherSuite, group: NamedGroup) -> Arc<CryptoProvider> {
    Arc::new(CryptoProvider {
        cipher_suites: vec![rustls_suite(suite)],
        kx_groups: vec![rustls_group(group)],
        ..rring::default_provider()
    })
}

/// The rustls client offers `group` first, then the two ECDSA certificate
/// curves: RFC 8422 5.1 lets a server use an ECDSA certificate only on a
/// curve the client supports, and our server keeps that rule (rustls does
/// not check it). Our server's single configured group still forces
/// `group` in the matrix.
fn rustls_client_config(
    suite: CipherSuite,
    group: NamedGroup,
    trust: &CertificateDer<'static>,
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(trust.clone()).unwrap();
    let mut groups = vec![rustls_group(group)];
    for curve in [NamedGroup::secp256r1, NamedGroup::secp384r1] {
        if curve != group {
            groups.push(rustls_group(curve));
        }
    }
    let provider = Arc::new(CryptoProvider {
        kx_groups: groups,
        ..(*provider(suite, group)).clone()
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    // rustls then refuses a handshake without the extended master secret.
    config.require_ems = true;
    Arc::new(config)
}

fn rustls_server_config(
    suite: CipherSuite,
    group: NamedGroup,
    leaf: &Leaf,
) -> Arc<rustls::ServerConfig> {
    let mut config = rustls::ServerConfig::builder_with_provider(provider(suite, group))
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
        .unwrap();
    config.require_ems = true;
    Arc::new(config)
}

// ---------------------------------------------------------------------------
// Sockets and threads.

/// A guard against a hung peer; no assertion depends on timing.
const HANG_GUARD: Duration = Duration::from_secs(30);

fn guard(tcp: &TcpStream) {
    tcp.set_read_timeout(Some(HANG_GUARD)).unwrap();
    tcp.set_write_timeout(Some(HANG_GUARD)).unwrap();
}

fn listen() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap()
}

fn accept_one(listener: &TcpListener) -> TcpStream {
    let (tcp, _) = listener.accept().unwrap();
    guard(&tcp);
    tcp
}

fn dial(listener: &TcpListener) -> TcpStream {
    let tcp = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    guard(&tcp);
    tcp
}

/// Joins a thread, re-raising its panic with the original message.
fn join<T>(handle: JoinHandle<T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// After a failed handshake: stop sending and wait for the peer to close, so
/// neither side closes with unread bytes (which would turn into a reset).
fn linger(mut tcp: &TcpStream) {
    let _ = tcp.shutdown(Shutdown::Write);
    let _ = io::copy(&mut tcp, &mut io::sink());
}

// ---------------------------------------------------------------------------
// Application data.

/// The sizes of the writes each side makes: a few KB in small writes, and one
/// write larger than a record (2^14) so it spans records.
const WRITES: [usize; 5] = [1, 1_000, 4_000, 20_000, 7];
const TOTAL: usize = 1 + 1_000 + 4_000 + 20_000 + 7;

/// Deterministic, seed-dependent bytes (xorshift), so the two directions
/// carry different data.
fn payload(seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..TOTAL)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

const CLIENT_SEED: u64 = 0xc11e_47c1_1e47;
const SERVER_SEED: u64 = 0x5e4e_45e4_e45e;

fn send_payload(w: &mut impl Write, data: &[u8]) {
    let mut at = 0;
    for len in WRITES {
        w.write_all(&data[at..at + len]).unwrap();
        at += len;
    }
    w.flush().unwrap();
}

fn recv_payload(r: &mut impl Read, expected: &[u8], who: &str) {
    let mut got = vec![0u8; expected.len()];
    r.read_exact(&mut got)
        .unwrap_or_else(|e| panic!("{who}: reading application data: {e}"));
    assert!(got == expected, "{who}: application data differs");
}

/// Reads once and expects the clean end of the stream (the peer's
/// close_notify).
fn expect_clean_end(r: &mut impl Read, who: &str) {
    let mut buf = [0u8; 64];
    match r.read(&mut buf) {
        Ok(0) => {}
        Ok(n) => panic!("{who}: expected close_notify, got {n} more bytes of data"),
        Err(e) => panic!("{who}: expected close_notify, got error {e:?}"),
    }
}

/// Who sends close_notify first. The other side answers with its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CloseFirst {
    Rustls,
    Ours,
}

fn rustls_close<C, S>(stream: &mut StreamOwned<C, TcpStream>)
where
    C: DerefMut + Deref<Target = rustls::ConnectionCommon<S>>,
    S: rustls::SideData,
{
    stream.conn.send_close_notify();
    stream.flush().unwrap();
}

/// After our close_notify we may not read through the connection any more;
/// drain the transport to its end instead and check that what arrived is a
/// single (encrypted) alert record: the peer's close_notify reply.
fn drain_after_our_close(tcp: &mut TcpStream, who: &str) {
    let mut rest = Vec::new();
    tcp.read_to_end(&mut rest)
        .unwrap_or_else(|e| panic!("{who}: draining after close: {e}"));
    assert!(rest.len() > 5, "{who}: no reply to close_notify: {rest:?}");
    assert_eq!(rest[0], 21, "{who}: reply is not an alert record");
    let len = u16::from_be_bytes([rest[3], rest[4]]) as usize;
    assert_eq!(
        rest.len(),
        5 + len,
        "{who}: more than one record after close"
    );
}

// ---------------------------------------------------------------------------
// Checks on what each side says was negotiated.

struct Case {
    suite: CipherSuite,
    group: NamedGroup,
    kind: KeyKind,
    close_first: CloseFirst,
}

impl Case {
    fn expected_signature_schemes(&self) -> &'static [SignatureScheme] {
        match self.kind {
            KeyKind::EcdsaP256 => &[SignatureScheme::ECDSA_NISTP256_SHA256],
            KeyKind::EcdsaP384 => &[SignatureScheme::ECDSA_NISTP384_SHA384],
            KeyKind::Rsa2048 => &[
                SignatureScheme::RSA_PSS_SHA256,
                SignatureScheme::RSA_PSS_SHA384,
                SignatureScheme::RSA_PSS_SHA512,
                SignatureScheme::RSA_PKCS1_SHA256,
                SignatureScheme::RSA_PKCS1_SHA384,
                SignatureScheme::RSA_PKCS1_SHA512,
            ],
        }
    }
}

fn check_our_summary(summary: &tlstate::connection::SessionSummary, case: &Case, leaf: &Leaf) {
    assert_eq!(summary.cipher_suite, case.suite, "our suite");
    assert_eq!(summary.group, case.group, "our group");
    assert!(
        case.expected_signature_schemes()
            .contains(&summary.signature_scheme),
        "our signature scheme {:?} does not fit a {:?} key",
        summary.signature_scheme,
        case.kind
    );
    assert!(summary.extended_master_secret, "EMS not in use");
    assert_eq!(
        summary.server_certificates[..],
        leaf.chain[..],
        "server chain"
    );
    assert_eq!(summary.server_name.as_deref(), Some("localhost"), "SNI");
}

fn check_rustls_side(conn: &rustls::CommonState, case: &Case) {
    assert_eq!(
        conn.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    let suite = conn.negotiated_cipher_suite().expect("rustls: no suite");
    assert_eq!(
        u16::from(suite.suite()),
        case.suite.to_wire(),
        "rustls suite"
    );
    let group = conn
        .negotiated_key_exchange_group()
        .expect("rustls: no group");
    assert_eq!(
        u16::from(group.name()),
        case.group.to_wire(),
        "rustls group"
    );
    assert_eq!(
        conn.handshake_kind(),
        Some(rustls::HandshakeKind::Full),
        "rustls handshake kind"
    );
}

// ---------------------------------------------------------------------------
// One case in each direction.

/// rustls client ↔ our server.
fn rustls_client_case(case: Case) {
    let fx = fixture();
    let leaf = fx.leaf(case.kind);
    let listener = listen();
    let client_tcp = dial(&listener);
    let server_tcp = accept_one(&listener);
    let mut server_config = (*fx.pki.server_config(leaf)).clone();
    server_config.groups = vec![case.group];
    let server_config = Arc::new(server_config);
    let client_config = rustls_client_config(case.suite, case.group, &fx.pki.ca);
    let close_first = case.close_first;

    let ours = thread::spawn(move || {
        let mut stream = tlstate::stream::accept(server_config, server_tcp)
            .unwrap_or_else(|f| panic!("our server: handshake failed: {f}"));
        recv_payload(&mut stream, &payload(CLIENT_SEED), "our server");
        send_payload(&mut stream, &payload(SERVER_SEED));
        match close_first {
            CloseFirst::Rustls => {
                expect_clean_end(&mut stream, "our server");
                stream.close().unwrap();
            }
            CloseFirst::Ours => {
                stream.close().unwrap();
                drain_after_our_close(stream.transport(), "our server");
            }
        }
        stream.summary().clone()
    });

    let theirs = thread::spawn(move || {
        let conn = ClientConnection::new(client_config, localhost()).unwrap();
        let mut stream = StreamOwned::new(conn, client_tcp);
        send_payload(&mut stream, &payload(CLIENT_SEED));
        recv_payload(&mut stream, &payload(SERVER_SEED), "rustls client");
        match close_first {
            CloseFirst::Rustls => {
                rustls_close(&mut stream);
                expect_clean_end(&mut stream, "rustls client");
            }
            CloseFirst::Ours => {
                expect_clean_end(&mut stream, "rustls client");
                rustls_close(&mut stream);
            }
        }
        // The stream is kept for inspection: end the transport explicitly.
        stream.sock.shutdown(Shutdown::Write).unwrap();
        stream
    });

    let stream = join(theirs);
    let summary = join(ours);
    check_rustls_side(&stream.conn, &case);
    let peer_chain = stream.conn.peer_certificates().expect("rustls: no chain");
    assert_eq!(peer_chain, &leaf.chain[..], "rustls: server chain");
    check_our_summary(&summary, &case, leaf);
}

/// Our client ↔ rustls server.
fn our_client_case(case: Case) {
    let fx = fixture();
    let leaf = fx.leaf(case.kind);
    let listener = listen();
    let client_tcp = dial(&listener);
    let server_tcp = accept_one(&listener);
    let server_config = rustls_server_config(case.suite, case.group, leaf);
    let client_config = fx.pki.client_config();
    let close_first = case.close_first;

    let theirs = thread::spawn(move || {
        let conn = ServerConnection::new(server_config).unwrap();
        let mut stream = StreamOwned::new(conn, server_tcp);
        recv_payload(&mut stream, &payload(CLIENT_SEED), "rustls server");
        send_payload(&mut stream, &payload(SERVER_SEED));
        match close_first {
            CloseFirst::Rustls => {
                rustls_close(&mut stream);
                expect_clean_end(&mut stream, "rustls server");
            }
            CloseFirst::Ours => {
                expect_clean_end(&mut stream, "rustls server");
                rustls_close(&mut stream);
            }
        }
        // The stream is kept for inspection: end the transport explicitly.
        stream.sock.shutdown(Shutdown::Write).unwrap();
        stream
    });

    let ours = thread::spawn(move || {
        let mut stream = tlstate::stream::connect(client_config, localhost(), client_tcp)
            .unwrap_or_else(|f| panic!("our client: handshake failed: {f}"));
        send_payload(&mut stream, &payload(CLIENT_SEED));
        recv_payload(&mut stream, &payload(SERVER_SEED), "our client");
        match close_first {
            CloseFirst::Rustls => {
                expect_clean_end(&mut stream, "our client");
                stream.close().unwrap();
            }
            CloseFirst::Ours => {
                stream.close().unwrap();
                drain_after_our_close(stream.transport(), "our client");
            }
        }
        stream.summary().clone()
    });

    let summary = join(ours);
    let stream = join(theirs);
    check_rustls_side(&stream.conn, &case);
    assert_eq!(stream.conn.server_name(), Some("localhost"), "rustls: SNI");
    check_our_summary(&summary, &case, leaf);
}

#[derive(Clone, Copy)]
enum Direction {
    RustlsClientOurServer,
    OurClientRustlsServer,
}

/// Every group and every fitting key kind for `suite`. The side that closes
/// first alternates from case to case, so each suite sees both orders.
fn matrix(direction: Direction, suite: CipherSuite) {
    let mut n = 0;
    for group in GROUPS {
        for &kind in server_key_kinds(suite) {
            let close_first = if n % 2 == 0 {
                CloseFirst::Rustls
            } else {
                CloseFirst::Ours
            };
            n += 1;
            let case = Case {
                suite,
                group,
                kind,
                close_first,
            };
            let what = format!("{suite:?} / {group:?} / {kind:?} / {close_first:?} closes first");
            let result = std::panic::catch_unwind(|| match direction {
                Direction::RustlsClientOurServer => rustls_client_case(case),
                Direction::OurClientRustlsServer => our_client_case(case),
            });
            if let Err(panic) = result {
                eprintln!("failing case: {what}");
                std::panic::resume_unwind(panic);
            }
        }
    }
}

macro_rules! matrix_tests {
    ($($name:ident => $suite:ident;)*) => {
        mod rustls_client_our_server {
            use super::*;
            $(
                #[test]
                fn $name() {
                    matrix(Direction::RustlsClientOurServer, CipherSuite::$suite);
                }
            )*
        }
        mod our_client_rustls_server {
            use super::*;
            $(
                #[test]
                fn $name() {
                    matrix(Direction::OurClientRustlsServer, CipherSuite::$suite);
                }
            )*
        }
    };
}

matrix_tests! {
    ecdhe_ecdsa_aes_128_gcm => TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    ecdhe_ecdsa_aes_256_gcm => TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384;
    ecdhe_ecdsa_chacha20_poly1305 => TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256;
    ecdhe_rsa_aes_128_gcm => TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    ecdhe_rsa_aes_256_gcm => TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384;
    ecdhe_rsa_chacha20_poly1305 => TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256;
}

// ---------------------------------------------------------------------------
// Negative cases.

/// Drives a rustls handshake to its end and returns rustls's own error.
fn rustls_handshake<C, S>(stream: &mut StreamOwned<C, TcpStream>) -> Result<(), rustls::Error>
where
    C: DerefMut + Deref<Target = rustls::ConnectionCommon<S>>,
    S: rustls::SideData,
{
    while stream.conn.is_handshaking() {
        if let Err(e) = stream.conn.complete_io(&mut stream.sock) {
            return Err(e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .cloned()
                .unwrap_or_else(|| panic!("rustls: transport error, not a TLS error: {e:?}")));
        }
    }
    Ok(())
}

/// A rustls client against our server, where the handshake must fail.
/// Returns (our error, rustls's error).
fn rustls_client_fails(
    server_config: Arc<ServerConfig>,
    client_config: Arc<rustls::ClientConfig>,
    name: &'static str,
) -> (Fatal, rustls::Error) {
    let listener = listen();
    let client_tcp = dial(&listener);
    let server_tcp = accept_one(&listener);

    let ours = thread::spawn(move || {
        let result = tlstate::stream::accept(server_config, server_tcp.try_clone().unwrap());
        let fatal = result.expect_err("our server: handshake unexpectedly succeeded");
        linger(&server_tcp);
        fatal
    });
    let theirs = thread::spawn(move || {
        let conn =
            ClientConnection::new(client_config, ServerName::try_from(name).unwrap()).unwrap();
        let mut stream = StreamOwned::new(conn, client_tcp);
        let error = rustls_handshake(&mut stream)
            .expect_err("rustls client: handshake unexpectedly succeeded");
        linger(&stream.sock);
        error
    });
    (join(ours), join(theirs))
}

/// Our client against a rustls server, where the handshake must fail.
/// Returns (our error, rustls's error).
fn our_client_fails(
    client_config: Arc<ClientConfig>,
    server_config: Arc<rustls::ServerConfig>,
    name: &'static str,
) -> (Fatal, rustls::Error) {
    let listener = listen();
    let client_tcp = dial(&listener);
    let server_tcp = accept_one(&listener);

    let theirs = thread::spawn(move || {
        let conn = ServerConnection::new(server_config).unwrap();
        let mut stream = StreamOwned::new(conn, server_tcp);
        let error = rustls_handshake(&mut stream)
            .expect_err("rustls server: handshake unexpectedly succeeded");
        linger(&stream.sock);
        error
    });
    let ours = thread::spawn(move || {
        let result = tlstate::stream::connect(
            client_config,
            ServerName::try_from(name).unwrap(),
            client_tcp.try_clone().unwrap(),
        );
        let fatal = result.expect_err("our client: handshake unexpectedly succeeded");
        linger(&client_tcp);
        fatal
    });
    (join(ours), join(theirs))
}

fn alert_received(description: AlertDescription) -> Error {
    Error::AlertReceived {
        level: AlertLevel::Fatal,
        description,
    }
}

fn ecdsa_server_config(suites: &[CipherSuite], groups: &[NamedGroup]) -> Arc<ServerConfig> {
    let fx = fixture();
    let mut config = (*fx.pki.server_config(&fx.p256)).clone();
    config.cipher_suites = suites.to_vec();
    config.groups = groups.to_vec();
    Arc::new(config)
}

/// Our server enables only ECDSA/AES-128-GCM; the rustls client offers only
/// ECDSA/ChaCha20: no suite in common, so we refuse with handshake_failure.
#[test]
fn rustls_client_offering_a_suite_our_server_does_not_enable() {
    let fx = fixture();
    let server = ecdsa_server_config(
        &[CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
        &GROUPS,
    );
    let client = rustls_client_config(
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        NamedGroup::X25519,
        &fx.pki.ca,
    );
    let (ours, theirs) = rustls_client_fails(server, client, "localhost");
    assert_eq!(
        *ours.error(),
        Error::PeerIncompatible(PeerIncompatible::NoCommonCipherSuite)
    );
    assert_eq!(ours.alert(), Some(AlertDescription::HandshakeFailure));
    assert_eq!(
        theirs,
        rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure)
    );
}

/// Our server has an ECDSA key and every suite enabled; the rustls client
/// offers only ECDHE_RSA suites, which that key cannot serve.
#[test]
fn rustls_client_offering_only_rsa_suites_to_our_ecdsa_server() {
    let fx = fixture();
    let server = fx.pki.server_config(&fx.p256);
    let mut provider = (*provider(
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        NamedGroup::X25519,
    ))
    .clone();
    provider.cipher_suites = vec![
        rring::cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        rring::cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        rring::cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];
    let mut roots = rustls::RootCertStore::empty();
    roots.add(fx.pki.ca.clone()).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let (ours, theirs) = rustls_client_fails(server, Arc::new(client), "localhost");
    assert_eq!(
        *ours.error(),
        Error::PeerIncompatible(PeerIncompatible::NoCommonCipherSuite)
    );
    assert_eq!(ours.alert(), Some(AlertDescription::HandshakeFailure));
    assert_eq!(
        theirs,
        rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure)
    );
}

/// The rustls client offers only secp384r1; our server accepts only x25519.
#[test]
fn rustls_client_offering_a_group_our_server_does_not_enable() {
    let fx = fixture();
    let server = ecdsa_server_config(
        &[CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
        &[NamedGroup::X25519],
    );
    let client = rustls_client_config(
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        NamedGroup::secp384r1,
        &fx.pki.ca,
    );
    let (ours, theirs) = rustls_client_fails(server, client, "localhost");
    assert_eq!(
        *ours.error(),
        Error::PeerIncompatible(PeerIncompatible::NoCommonGroup)
    );
    assert_eq!(ours.alert(), Some(AlertDescription::HandshakeFailure));
    assert_eq!(
        theirs,
        rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure)
    );
}

/// The rustls client trusts a different CA: it rejects our chain as
/// UnknownIssuer and tells us so with unknown_ca.
#[test]
fn rustls_client_not_trusting_our_ca() {
    let fx = fixture();
    let server = fx.pki.server_config(&fx.p256);
    let client = rustls_client_config(
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        NamedGroup::X25519,
        &fx.stranger.ca,
    );
    let (ours, theirs) = rustls_client_fails(server, client, "localhost");
    assert_eq!(
        theirs,
        rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
    );
    assert_eq!(*ours.error(), alert_received(AlertDescription::UnknownCa));
    assert_eq!(ours.alert(), None, "no alert answers an alert");
}

/// The rustls client connects to a name our certificate does not cover: it
/// rejects the chain and sends bad_certificate.
#[test]
fn rustls_client_with_a_name_our_certificate_does_not_cover() {
    let fx = fixture();
    let server = fx.pki.server_config(&fx.p256);
    let client = rustls_client_config(
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        NamedGroup::X25519,
        &fx.pki.ca,
    );
    let (ours, theirs) = rustls_client_fails(server, client, "example.com");
    assert!(
        matches!(
            theirs,
            rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. }
            )
        ),
        "rustls: {theirs:?}"
    );
    assert_eq!(
        *ours.error(),
        alert_received(AlertDescription::BadCertificate)
    );
    assert_eq!(ours.alert(), None, "no alert answers an alert");
}

/// Our client offers only ECDSA/AES-128-GCM; the rustls server enables only
/// ECDSA/ChaCha20.
#[test]
fn our_client_offering_a_suite_the_rustls_server_does_not_enable() {
    let fx = fixture();
    let mut client = (*fx.pki.client_config()).clone();
    client.cipher_suites = vec![CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
    let server = rustls_server_config(
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        NamedGroup::X25519,
        &fx.p256,
    );
    let (ours, theirs) = our_client_fails(Arc::new(client), server, "localhost");
    assert_eq!(
        theirs,
        rustls::Error::PeerIncompatible(rustls::PeerIncompatible::NoCipherSuitesInCommon)
    );
    assert_eq!(
        *ours.error(),
        alert_received(AlertDescription::HandshakeFailure)
    );
    assert_eq!(ours.alert(), None, "no alert answers an alert");
}

/// Our client offers only x25519; the rustls server accepts only secp384r1.
#[test]
fn our_client_offering_a_group_the_rustls_server_does_not_enable() {
    let fx = fixture();
    let mut client = (*fx.pki.client_config()).clone();
    client.groups = vec![NamedGroup::X25519];
    let server = rustls_server_config(
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        NamedGroup::secp384r1,
        &fx.p256,
    );
    let (ours, theirs) = our_client_fails(Arc::new(client), server, "localhost");
    assert_eq!(
        theirs,
        rustls::Error::PeerIncompatible(rustls::PeerIncompatible::NoKxGroupsInCommon)
    );
    assert_eq!(
        *ours.error(),
        alert_received(AlertDescription::HandshakeFailure)
    );
    assert_eq!(ours.alert(), None, "no alert answers an alert");
}

/// Our client trusts a different CA: we reject the rustls server's chain
/// with unknown_ca, and rustls receives exactly that.
#[test]
fn our_client_not_trusting_the_rustls_server_ca() {
    let fx = fixture();
    let client = fx.stranger.client_config();
    let server = rustls_server_config(
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        NamedGroup::X25519,
        &fx.p256,
    );
    let (ours, theirs) = our_client_fails(client, server, "localhost");
    assert_eq!(
        *ours.error(),
        Error::Certificate(CertificateError::UnknownIssuer)
    );
    assert_eq!(ours.alert(), Some(AlertDescription::UnknownCa));
    assert_eq!(
        theirs,
        rustls::Error::AlertReceived(rustls::AlertDescription::UnknownCA)
    );
}

/// Our client asks for a name the rustls server's certificate does not
/// cover: bad_certificate.
#[test]
fn our_client_with_a_name_the_rustls_server_certificate_does_not_cover() {
    let fx = fixture();
    let server = rustls_server_config(
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        NamedGroup::X25519,
        &fx.rsa,
    );
    let (ours, theirs) = our_client_fails(fx.pki.client_config(), server, "example.com");
    assert_eq!(
        *ours.error(),
        Error::Certificate(CertificateError::NotValidForName)
    );
    assert_eq!(ours.alert(), Some(AlertDescription::BadCertificate));
    assert_eq!(
        theirs,
        rustls::Error::AlertReceived(rustls::AlertDescription::BadCertificate)
    );
}
