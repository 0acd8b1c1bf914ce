//! Our TLS 1.3 client against independent servers: `openssl s_server
//! -tls1_3` over TCP loopback for every suite × group × server key kind,
//! rustls in-process, version fallback to a TLS 1.2-only s_server, and the
//! refusals (a forged TLS 1.2 ServerHello with the downgrade sentinel, a
//! HelloRetryRequest), each asserting the error and the alert on the wire.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use common::openssl::SServer;
use common::{KeyKind, Leaf, TestPki};
use rustls_pki_types::ServerName;
use tlstate::connection::SessionSummary;
use tlstate::enums::{AlertDescription, CipherSuite, NamedGroup, ProtocolVersion};
use tlstate::error::{Error, PeerMisbehaved};
use tlstate::handshake::{ClientConfig, Fatal};
use tlstate::keylog::KeyLog;
use tlstate::stream::connect;

const IO_TIMEOUT: Duration = Duration::from_secs(10);

struct Fixture {
    pki: TestPki,
    p256: Leaf,
    rsa: Leaf,
    ed25519: Leaf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let pki = TestPki::new("tlstate tls13_client CA");
        Fixture {
            p256: pki.leaf(KeyKind::EcdsaP256, &["localhost"]),
            rsa: pki.leaf(KeyKind::Rsa2048, &["localhost"]),
            ed25519: pki.leaf_ed25519(&["localhost"]),
            pki,
        }
    })
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

const SUITES: [(CipherSuite, &str); 3] = [
    (
        CipherSuite::TLS13_AES_256_GCM_SHA384,
        "TLS_AES_256_GCM_SHA384",
    ),
    (
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        "TLS_AES_128_GCM_SHA256",
    ),
    (
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        "TLS_CHACHA20_POLY1305_SHA256",
    ),
];

const GROUPS: [(NamedGroup, &str); 3] = [
    (NamedGroup::X25519, "X25519"),
    (NamedGroup::secp256r1, "P-256"),
    (NamedGroup::secp384r1, "P-384"),
];

/// A client config for `versions`, sharing a key for `group` first.
fn client_config(versions: &[ProtocolVersion], group: NamedGroup) -> ClientConfig {
    let mut config = (*fixture().pki.client_config()).clone();
    config.versions = versions.to_vec();
    config.groups = vec![group];
    config
}

/// Connects our client, sends `GET /` and reads the whole page, which must
/// end in s_server's close_notify.
fn our_get(config: ClientConfig, port: u16) -> Result<(SessionSummary, String), Fatal> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut stream = connect(
        Arc::new(config),
        ServerName::try_from("localhost").unwrap(),
        tcp,
    )?;
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut page = Vec::new();
    stream
        .read_to_end(&mut page)
        .expect("the page, ending in close_notify");
    Ok((
        stream.summary().clone(),
        String::from_utf8_lossy(&page).into_owned(),
    ))
}

fn s_server13(leaf: &Leaf, suite: &str, group: &str, extra: &[&str]) -> SServer {
    let mut args = vec![
        "-cert",
        path(&leaf.cert_path),
        "-key",
        path(&leaf.key_path),
        "-ciphersuites",
        suite,
        "-groups",
        group,
        "-www",
    ];
    args.extend_from_slice(extra);
    SServer::start_version(fixture().pki.dir.path(), "-tls1_3", &[], &args)
}

#[test]
fn every_suite_group_and_key_kind_against_openssl() {
    let f = fixture();
    for (leaf, kind) in [(&f.p256, "P-256"), (&f.rsa, "RSA"), (&f.ed25519, "Ed25519")] {
        for (suite, suite_name) in SUITES {
            for (group, group_name) in GROUPS {
                let case = format!("{kind} {suite_name} {group_name}");
                let server = s_server13(leaf, suite_name, group_name, &[]);
                let config =
                    client_config(&[ProtocolVersion::Tls13, ProtocolVersion::Tls12], group);
                let (summary, page) = our_get(config, server.port)
                    .unwrap_or_else(|e| panic!("{case}: {e}\n{}", server.output()));
                assert_eq!(summary.protocol_version, ProtocolVersion::Tls13, "{case}");
                assert_eq!(summary.cipher_suite, suite, "{case}");
                assert_eq!(summary.group, group, "{case}");
                assert_eq!(summary.server_certificates[..], leaf.chain[..], "{case}");
                // The page s_server -www sends back describes the session it
                // saw: our GET arrived, its answer came back.
                assert!(page.contains("TLSv1.3"), "{case}: {page}");
                assert!(page.contains(suite_name), "{case}: {page}");
            }
        }
    }
}

#[test]
fn falls_back_to_tls12_against_a_tls12_only_openssl() {
    // s_server -tls1_2 supports only TLS 1.2, so its random carries no
    // downgrade sentinel: the fallback must not mistake it for one.
    let f = fixture();
    let args = [
        "-cert",
        path(&f.p256.cert_path),
        "-key",
        path(&f.p256.key_path),
        "-www",
    ];
    let server = SServer::start(f.pki.dir.path(), &args);
    let mut config = client_config(
        &[ProtocolVersion::Tls13, ProtocolVersion::Tls12],
        NamedGroup::X25519,
    );
    // In TLS 1.2 supported_groups also names the curves of the ECDSA
    // certificates we accept (RFC 8422 5.1.1).
    config.groups.push(NamedGroup::secp256r1);
    let (summary, page) =
        our_get(config, server.port).unwrap_or_else(|e| panic!("{e}\n{}", server.output()));
    assert_eq!(summary.protocol_version, ProtocolVersion::Tls12);
    assert!(page.contains("TLSv1.2"), "{page}");
}

/// Collects the key log lines of a session.
#[derive(Debug, Default)]
struct Lines(Mutex<Vec<String>>);

impl KeyLog for Lines {
    fn log(&self, label: &str, client_random: &[u8; 32], secret: &[u8]) {
        let line = tlstate::keylog::key_log_line(label, client_random, secret);
        self.0.lock().unwrap().push(line);
    }
}

#[test]
fn key_log_lines_match_openssls() {
    let f = fixture();
    let keylog = f.pki.dir.path().join("s_server-keylog.txt");
    let server = s_server13(
        &f.p256,
        "TLS_AES_128_GCM_SHA256",
        "X25519",
        &["-keylogfile", path(&keylog)],
    );
    let lines = Arc::new(Lines::default());
    let mut config = client_config(&[ProtocolVersion::Tls13], NamedGroup::X25519);
    config.key_log = Some(lines.clone());
    our_get(config, server.port).unwrap_or_else(|e| panic!("{e}\n{}", server.output()));
    let ours = lines.0.lock().unwrap().clone();
    let labels: Vec<&str> = ours.iter().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(
        labels,
        [
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0",
            "SERVER_TRAFFIC_SECRET_0",
        ]
    );
    // The server derived the same secrets for the same client random: each
    // of our lines is one of its lines.
    let theirs = std::fs::read_to_string(&keylog).unwrap();
    for line in &ours {
        assert!(theirs.contains(line.as_str()), "{line} not in\n{theirs}");
    }
}

#[test]
fn answers_openssls_hello_retry_request() {
    // We share a key for X25519 only; s_server accepts only P-384, which we
    // also offer in supported_groups, so it asks again (RFC 8446 4.1.4).
    let f = fixture();
    for compat in [true, false] {
        let server = s_server13(&f.p256, "TLS_AES_128_GCM_SHA256", "P-384", &[]);
        let mut config = client_config(&[ProtocolVersion::Tls13], NamedGroup::X25519);
        config.groups = vec![NamedGroup::X25519, NamedGroup::secp384r1];
        config.middlebox_compat = compat;
        let (summary, page) =
            our_get(config, server.port).unwrap_or_else(|e| panic!("{e}\n{}", server.output()));
        assert_eq!(summary.group, NamedGroup::secp384r1);
        assert!(page.contains("TLSv1.3"), "{page}");
    }
}

/// A plaintext HelloRetryRequest asking for a share of `group`.
fn hello_retry_request(group: [u8; 2]) -> Vec<u8> {
    const HRR_RANDOM: [u8; 32] = [
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8,
        0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
        0x33, 0x9c,
    ];
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&HRR_RANDOM);
    body.extend_from_slice(&[0, 0x13, 0x01, 0]); // no session ID, suite, null
    body.extend_from_slice(&[
        0x00, 0x0c, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33, 0x00, 0x02,
    ]);
    body.extend_from_slice(&group);
    let mut message = vec![2, 0, 0, body.len() as u8];
    message.extend_from_slice(&body);
    let mut record = vec![22, 3, 3, 0, message.len() as u8];
    record.extend_from_slice(&message);
    record
}

#[test]
fn refuses_a_hello_retry_request_for_the_group_we_shared_or_did_not_offer() {
    const ILLEGAL_PARAMETER_ALERT: [u8; 7] = [21, 3, 3, 0, 2, 2, 47];
    // We share x25519 and offer only it (client_config's groups).
    for group in [[0x00, 0x1d], [0x00, 0x18]] {
        let (error, output) = tls13_client_refuses(&hello_retry_request(group));
        assert_eq!(
            error,
            Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(
                "a HelloRetryRequest group we did not offer or already shared"
            )),
            "{group:?}"
        );
        assert_eq!(output, ILLEGAL_PARAMETER_ALERT);
    }
}

/// A plaintext handshake record holding a TLS 1.2 ServerHello with
/// `random`, suite ECDHE-ECDSA-AES128-GCM-SHA256, renegotiation_info and
/// extended_master_secret: what a TLS 1.2 server answers.
fn tls12_server_hello(random: [u8; 32]) -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&random);
    body.push(0); // session_id
    body.extend_from_slice(&[0xc0, 0x2b, 0x00]); // suite, compression
    body.extend_from_slice(&[
        0x00, 0x09, 0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x17, 0x00, 0x00,
    ]);
    let mut message = vec![2, 0, 0, body.len() as u8];
    message.extend_from_slice(&body);
    let mut record = vec![22, 3, 3, 0, message.len() as u8];
    record.extend_from_slice(&message);
    record
}

/// Our ClientHello, then `server_hello` fed in: where the client gets.
fn client_reads(
    versions: &[ProtocolVersion],
    server_hello: &[u8],
) -> Result<tlstate::handshake::AfterServerHello, Fatal> {
    let config = Arc::new(client_config(versions, NamedGroup::X25519));
    let hs =
        tlstate::handshake::Handshake::client(config, ServerName::try_from("localhost").unwrap());
    let mut hs = hs.send()?;
    let _client_hello = hs.take_output();
    assert_eq!(hs.feed(server_hello), server_hello.len());
    match hs.recv()? {
        tlstate::handshake::Step::Next(after) => Ok(after),
        tlstate::handshake::Step::NeedMore(_) => panic!("the ServerHello is whole"),
    }
}

#[test]
fn refuses_a_tls12_server_hello_with_the_downgrade_sentinel_after_offering_tls13() {
    let mut random = [0x5a; 32];
    random[24..].copy_from_slice(b"DOWNGRD\x01");
    let forged = tls12_server_hello(random);
    let fatal = client_reads(&[ProtocolVersion::Tls13, ProtocolVersion::Tls12], &forged)
        .expect_err("the sentinel is refused");
    assert_eq!(
        fatal.error(),
        &Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(
            "TLS 1.2 with the downgrade sentinel after we offered TLS 1.3"
        ))
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::IllegalParameter));
    // On the wire: a plaintext fatal illegal_parameter alert.
    assert_eq!(fatal.output(), [21, 3, 3, 0, 2, 2, 47]);

    // Controls: the same ServerHello is TLS 1.2 as usual when we did not
    // offer TLS 1.3, and without the sentinel when we did.
    assert!(matches!(
        client_reads(&[ProtocolVersion::Tls12], &forged),
        Ok(tlstate::handshake::AfterServerHello::Full(_))
    ));
    let plain = tls12_server_hello([0x5a; 32]);
    assert!(matches!(
        client_reads(&[ProtocolVersion::Tls13, ProtocolVersion::Tls12], &plain),
        Ok(tlstate::handshake::AfterServerHello::Full(_))
    ));
}

#[test]
fn against_rustls_server_tls13_data_both_ways() {
    let f = fixture();
    for (suite, theirs) in [
        (
            CipherSuite::TLS13_AES_256_GCM_SHA384,
            rustls::crypto::ring::cipher_suite::TLS13_AES_256_GCM_SHA384,
        ),
        (
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256,
        ),
        (
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            rustls::crypto::ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
        ),
    ] {
        let provider = rustls::crypto::CryptoProvider {
            cipher_suites: vec![theirs],
            ..rustls::crypto::ring::default_provider()
        };
        let server_config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(f.p256.chain.clone(), f.p256.key.clone_key())
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            let conn = rustls::ServerConnection::new(Arc::new(server_config)).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut got = [0u8; 5];
            tls.read_exact(&mut got).unwrap();
            assert_eq!(&got, b"hello");
            tls.write_all(b"world").unwrap();
            tls.conn.send_close_notify();
            tls.flush().unwrap();
        });
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let config = client_config(&[ProtocolVersion::Tls13], NamedGroup::X25519);
        let mut stream = connect(
            Arc::new(config),
            ServerName::try_from("localhost").unwrap(),
            tcp,
        )
        .unwrap_or_else(|e| panic!("{suite:?}: {e}"));
        assert_eq!(stream.summary().protocol_version, ProtocolVersion::Tls13);
        assert_eq!(stream.summary().cipher_suite, suite);
        stream.write_all(b"hello").unwrap();
        let mut page = Vec::new();
        stream.read_to_end(&mut page).unwrap();
        assert_eq!(page, b"world");
        server.join().unwrap();
    }
}

/// A rustls TLS 1.3 server that reads `hello`, then runs `then` on its
/// connection, and returns what its last read saw.
fn rustls_server13(
    then: impl FnOnce(&mut rustls::StreamOwned<rustls::ServerConnection, TcpStream>) + Send + 'static,
) -> (
    std::net::SocketAddr,
    thread::JoinHandle<std::io::Result<usize>>,
) {
    let f = fixture();
    let server_config =
        rustls::ServerConfig::builder_with_protocol_versions(&[&rustls::version::TLS13])
            .with_no_client_auth()
            .with_single_cert(f.p256.chain.clone(), f.p256.key.clone_key())
            .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let conn = rustls::ServerConnection::new(Arc::new(server_config)).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut got = [0u8; 5];
        tls.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"hello");
        then(&mut tls);
        tls.read(&mut [0u8; 16])
    });
    (addr, server)
}

fn our_client13(
    addr: std::net::SocketAddr,
) -> tlstate::stream::Stream<tlstate::handshake::Client, TcpStream> {
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let config = client_config(&[ProtocolVersion::Tls13], NamedGroup::X25519);
    let mut stream = connect(
        Arc::new(config),
        ServerName::try_from("localhost").unwrap(),
        tcp,
    )
    .unwrap();
    stream.write_all(b"hello").unwrap();
    stream
}

/// s_server sends its NewSessionTickets (here four; two by default) after
/// our Finished, before its page: our client takes them (into its store,
/// if it has one; `tests/tls13_resumption.rs` resumes with them) and reads
/// the page after them.
#[test]
fn takes_new_session_tickets_and_reads_on() {
    let f = fixture();
    let server = s_server13(
        &f.p256,
        "TLS_AES_128_GCM_SHA256",
        "X25519",
        &["-num_tickets", "4"],
    );
    let config = client_config(&[ProtocolVersion::Tls13], NamedGroup::X25519);
    let (_, page) =
        our_get(config, server.port).unwrap_or_else(|e| panic!("{e}\n{}", server.output()));
    assert!(page.contains("TLSv1.3"), "{page}");
}

/// A rustls server's KeyUpdate (update_requested) over TCP: our client
/// reads the data after it under the new key, and answers with its own
/// update before its next record, which rustls reads (more KeyUpdate
/// cases in `tests/tls13_key_update.rs`).
#[test]
fn follows_a_key_update_from_rustls_and_answers_it() {
    let (addr, server) = rustls_server13(|tls| {
        tls.conn.refresh_traffic_keys().unwrap();
        tls.write_all(b"world").unwrap();
        tls.flush().unwrap();
        let mut again = [0u8; 5];
        tls.read_exact(&mut again).unwrap();
        assert_eq!(&again, b"again");
        tls.conn.send_close_notify();
        tls.flush().unwrap();
    });
    let mut stream = our_client13(addr);
    let mut page = [0u8; 5];
    stream.read_exact(&mut page).unwrap();
    assert_eq!(&page, b"world");
    stream.write_all(b"again").unwrap();
    stream.flush().unwrap();
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, b"");
    assert_eq!(server.join().unwrap().unwrap(), 0, "rustls saw our close");
}

#[test]
fn negotiates_alpn_and_works_without_middlebox_compatibility() {
    let f = fixture();
    let server = s_server13(
        &f.p256,
        "TLS_AES_128_GCM_SHA256",
        "X25519",
        &["-alpn", "http/1.1"],
    );
    let mut config = client_config(&[ProtocolVersion::Tls13], NamedGroup::X25519);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config.middlebox_compat = false;
    let (summary, _) =
        our_get(config, server.port).unwrap_or_else(|e| panic!("{e}\n{}", server.output()));
    assert_eq!(summary.alpn_protocol.as_deref(), Some(&b"http/1.1"[..]));
}

/// The legacy_session_id of our first ClientHello record.
fn client_hello_session_id(config: ClientConfig) -> Vec<u8> {
    let hs = tlstate::handshake::Handshake::client(
        Arc::new(config),
        ServerName::try_from("localhost").unwrap(),
    );
    let mut hs = hs.send().unwrap();
    let record = hs.take_output();
    // record header (5), handshake header (4), version (2), random (32)
    let len = usize::from(record[43]);
    record[44..44 + len].to_vec()
}

#[test]
fn sends_a_random_session_id_only_for_middlebox_compatibility() {
    let config = client_config(&[ProtocolVersion::Tls13], NamedGroup::X25519);
    let first = client_hello_session_id(config.clone());
    assert_eq!(first.len(), 32);
    assert_ne!(first, client_hello_session_id(config.clone()));
    let mut off = config;
    off.middlebox_compat = false;
    assert!(client_hello_session_id(off).is_empty());
    // A TLS 1.2-only ClientHello is as before: no session ID to resume.
    let tls12 = client_config(&[ProtocolVersion::Tls12], NamedGroup::X25519);
    assert!(client_hello_session_id(tls12).is_empty());
}

/// A plaintext handshake record holding a TLS 1.3 ServerHello echoing
/// `session_id`, with `suite` and a key share of `group`.
fn tls13_server_hello(session_id: &[u8], suite: [u8; 2], group: [u8; 2], key: &[u8]) -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[0x11; 32]);
    body.push(session_id.len() as u8);
    body.extend_from_slice(session_id);
    body.extend_from_slice(&suite);
    body.push(0);
    let mut extensions = vec![0x00, 0x2b, 0x00, 0x02, 0x03, 0x04];
    extensions.extend_from_slice(&[0x00, 0x33]);
    extensions.extend_from_slice(&((key.len() + 4) as u16).to_be_bytes());
    extensions.extend_from_slice(&group);
    extensions.extend_from_slice(&(key.len() as u16).to_be_bytes());
    extensions.extend_from_slice(key);
    body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    body.extend_from_slice(&extensions);
    let mut message = vec![2, 0, 0, body.len() as u8];
    message.extend_from_slice(&body);
    let mut record = vec![22, 3, 3, 0, message.len() as u8];
    record.extend_from_slice(&message);
    record
}

/// Our TLS 1.3-only client (compat session ID off, so the echo is empty)
/// reading `server_hello`: the error and the alert it sends.
fn tls13_client_refuses(server_hello: &[u8]) -> (Error, Vec<u8>) {
    let mut config = client_config(&[ProtocolVersion::Tls13], NamedGroup::X25519);
    config.middlebox_compat = false;
    let hs = tlstate::handshake::Handshake::client(
        Arc::new(config),
        ServerName::try_from("localhost").unwrap(),
    );
    let mut hs = hs.send().unwrap();
    let _client_hello = hs.take_output();
    assert_eq!(hs.feed(server_hello), server_hello.len());
    let fatal = match hs.recv() {
        Err(fatal) => fatal,
        Ok(_) => panic!("the ServerHello is accepted"),
    };
    (fatal.error().clone(), fatal.output().to_vec())
}

#[test]
fn refuses_tls13_server_hellos_that_do_not_answer_our_offer() {
    const ILLEGAL_PARAMETER_ALERT: [u8; 7] = [21, 3, 3, 0, 2, 2, 47];
    // A valid x25519 public key (the base point); its value does not matter
    // before the checks.
    let mut x25519 = [0u8; 32];
    x25519[0] = 9;
    let aes128 = [0x13, 0x01];
    let x25519_id = [0x00, 0x1d];
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "session ID not echoed",
            tls13_server_hello(&[7; 32], aes128, x25519_id, &x25519),
            "a legacy_session_id_echo that is not our session ID",
        ),
        (
            "a TLS 1.2 suite",
            tls13_server_hello(&[], [0xc0, 0x2b], x25519_id, &x25519),
            "a TLS 1.3 cipher suite we did not offer",
        ),
        (
            "a share for another group",
            tls13_server_hello(&[], aes128, [0x00, 0x17], &[4; 65]),
            "a key share for a group we sent no share for",
        ),
    ];
    for (case, hello, what) in cases {
        let (error, output) = tls13_client_refuses(&hello);
        assert_eq!(
            error,
            Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(what)),
            "{case}"
        );
        assert_eq!(output, ILLEGAL_PARAMETER_ALERT, "{case}");
    }
}

#[test]
fn client_driver_walks_the_tls13_handshake() {
    let f = fixture();
    let server = s_server13(&f.p256, "TLS_AES_256_GCM_SHA384", "X25519", &[]);
    let mut tcp = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let config = Arc::new(client_config(&[ProtocolVersion::Tls13], NamedGroup::X25519));
    let mut driver =
        tlstate::driver::ClientDriver::new(config, ServerName::try_from("localhost").unwrap());
    let mut buf = [0u8; 4096];
    let mut page = Vec::new();
    let mut sent = false;
    loop {
        if !driver.is_handshaking() && !sent {
            driver.send(b"GET / HTTP/1.0\r\n\r\n").unwrap();
            sent = true;
        }
        while let Some(out) = driver.poll_output() {
            tcp.write_all(&out).unwrap();
        }
        loop {
            match driver.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => page.extend_from_slice(&buf[..n]),
                Err(e) => panic!("{e}\n{}", server.output()),
            }
        }
        let n = tcp.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        assert_eq!(driver.handle_input(&buf[..n]), n);
    }
    let summary = driver.summary().expect("established").clone();
    assert_eq!(summary.protocol_version, ProtocolVersion::Tls13);
    assert_eq!(summary.cipher_suite, CipherSuite::TLS13_AES_256_GCM_SHA384);
    let page = String::from_utf8_lossy(&page);
    assert!(page.contains("TLSv1.3"), "{page}");
}

#[test]
fn refuses_a_second_hello_retry_request_with_unexpected_message() {
    let mut config = client_config(&[ProtocolVersion::Tls13], NamedGroup::X25519);
    config.groups = vec![NamedGroup::X25519, NamedGroup::secp256r1];
    config.middlebox_compat = false;
    let hs = tlstate::handshake::Handshake::client(
        Arc::new(config),
        ServerName::try_from("localhost").unwrap(),
    );
    let mut hs = hs.send().unwrap();
    let _client_hello = hs.take_output();
    let hrr = hello_retry_request([0x00, 0x17]);
    assert_eq!(hs.feed(&hrr), hrr.len());
    let Ok(tlstate::handshake::Step::Next(
        tlstate::handshake::AfterServerHello::HelloRetryRequest(hs),
    )) = hs.recv()
    else {
        panic!("the first HelloRetryRequest is answered");
    };
    let mut hs = hs.send().unwrap();
    let second_hello = hs.take_output();
    assert_eq!(second_hello[5], 1, "a ClientHello");
    assert_eq!(hs.feed(&hrr), hrr.len());
    let fatal = match hs.recv() {
        Err(fatal) => fatal,
        Ok(_) => panic!("a second HelloRetryRequest is accepted"),
    };
    assert!(
        matches!(
            fatal.error(),
            Error::UnexpectedMessage {
                got: tlstate::error::Received::Handshake(
                    tlstate::enums::HandshakeType::ServerHello
                ),
                ..
            }
        ),
        "{:?}",
        fatal.error()
    );
    assert_eq!(fatal.output(), [21, 3, 3, 0, 2, 2, 10]);
}

/// Our refusal of the server's certificate reaches s_server as the alert
/// it names. Like OpenSSL's and rustls's clients, ours still writes in the
/// clear until its compatibility ChangeCipherSpec / Finished, so the
/// alert is unprotected; s_server reads it either way.
#[test]
fn refuses_a_certificate_for_another_name_with_an_alert_openssl_reads() {
    let f = fixture();
    let leaf = f.pki.leaf(KeyKind::EcdsaP256, &["example.com"]);
    for compat in [true, false] {
        let server = s_server13(&leaf, "TLS_AES_128_GCM_SHA256", "X25519", &[]);
        let mut config = client_config(&[ProtocolVersion::Tls13], NamedGroup::X25519);
        config.middlebox_compat = compat;
        let fatal = our_get(config, server.port).expect_err("the name does not match");
        assert_eq!(
            fatal.error(),
            &Error::Certificate(tlstate::error::CertificateError::NotValidForName)
        );
        assert_eq!(fatal.alert(), Some(AlertDescription::BadCertificate));
        let number = format!(
            "SSL alert number {}",
            AlertDescription::BadCertificate.to_wire()
        );
        let output = server.wait_for_output(&number);
        assert!(output.contains(&number), "compat {compat}: {output}");
    }
}
