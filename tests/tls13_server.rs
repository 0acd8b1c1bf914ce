//! Our TLS 1.3 server against real clients: `openssl s_client -tls1_3` for
//! each suite × group × certificate kind, ALPN, rustls in-process, Python
//! `ssl`; the fallback to TLS 1.2 with the downgrade sentinel; and the
//! refusals, with their alerts, driven by a hand-built client made from the
//! crate's own TLS 1.3 pieces (key schedule, record protection).

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, OnceLock, mpsc};
use std::thread;
use std::time::Duration;

use common::openssl::s_client_version;
use common::wire::Proxy;
use common::{KeyKind, Leaf, TestPki};
use tlstate::codec::Codec;
use tlstate::connection::{Connection, ReadOutcome, SessionSummary};
use tlstate::crypto::tls13::{EarlySecret, Secret, finished_verify_data, lookup_tls13};
use tlstate::crypto::{EphemeralKeyExchange, HashAlgorithm, Transcript};
use tlstate::driver::{Event, ServerDriver};
use tlstate::enums::{
    AlertDescription, CipherSuite, Compression, ContentType, HandshakeType, NamedGroup,
    ProtocolVersion, SignatureScheme,
};
use tlstate::error::{Error, PeerMisbehaved};
use tlstate::handshake::{AfterClientHello, Fatal, Handshake, Server, ServerConfig, Step};
use tlstate::message::tls13::{KeyShareEntry, PayloadTls13};
use tlstate::message::{ClientExtension, ClientHello, Random, SessionId};
use tlstate::record::{Inbound, RecordReader, RecordWriter};
use tlstate::stream::accept;

const IO_TIMEOUT: Duration = Duration::from_secs(10);

const TLS13_SUITES: [(CipherSuite, &str); 3] = [
    (
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        "TLS_AES_128_GCM_SHA256",
    ),
    (
        CipherSuite::TLS13_AES_256_GCM_SHA384,
        "TLS_AES_256_GCM_SHA384",
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

/// The certificate kinds of the TLS 1.3 matrix.
#[derive(Clone, Copy, Debug)]
enum Cert {
    P256,
    P384,
    Rsa2048,
    Ed25519,
}

struct Fixture {
    pki: TestPki,
    p256: Leaf,
    p384: Leaf,
    rsa: Leaf,
    ed25519: Leaf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let pki = TestPki::new("tlstate TLS 1.3 test CA");
        Fixture {
            p256: pki.leaf(KeyKind::EcdsaP256, &["localhost"]),
            p384: pki.leaf(KeyKind::EcdsaP384, &["localhost"]),
            rsa: pki.leaf(KeyKind::Rsa2048, &["localhost"]),
            ed25519: pki.leaf_ed25519(&["localhost"]),
            pki,
        }
    })
}

impl Fixture {
    fn leaf(&self, cert: Cert) -> &Leaf {
        match cert {
            Cert::P256 => &self.p256,
            Cert::P384 => &self.p384,
            Cert::Rsa2048 => &self.rsa,
            Cert::Ed25519 => &self.ed25519,
        }
    }

    /// A server for `cert` that negotiates TLS 1.3, else TLS 1.2.
    fn config13(&self, cert: Cert) -> ServerConfig {
        let mut config = (*self.pki.server_config(self.leaf(cert))).clone();
        config.versions = vec![ProtocolVersion::Tls13, ProtocolVersion::Tls12];
        config
    }
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

const ECHO_PREFIX: &[u8] = b"tlstate echo: ";

/// What our server saw of one connection (its summary and the request
/// line), or why it failed.
type Served = Result<(SessionSummary, Vec<u8>), String>;

/// Our server on an ephemeral port, for one connection: accept, read one
/// line, echo it with [`ECHO_PREFIX`], send close_notify, then read until
/// the client goes away.
fn serve_one(config: ServerConfig) -> (u16, mpsc::Receiver<Served>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let result = (|| {
            let (tcp, _) = listener.accept().map_err(|e| e.to_string())?;
            tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            let mut stream =
                accept(Arc::new(config), tcp).map_err(|fatal| format!("handshake: {fatal}"))?;
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.contains(&b'\n') {
                match stream.read(&mut buf) {
                    Ok(0) => return Err("close_notify before a line".to_string()),
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                    Err(e) => return Err(format!("read: {e}")),
                }
            }
            let mut reply = ECHO_PREFIX.to_vec();
            reply.extend_from_slice(&request);
            stream
                .write_all(&reply)
                .map_err(|e| format!("write: {e}"))?;
            stream.close().map_err(|e| format!("close: {e}"))?;
            let _ = stream.read(&mut buf);
            Ok((stream.summary().clone(), request))
        })();
        let _ = tx.send(result);
    });
    (port, rx)
}

/// s_client -tls1_3 with exactly `suite` and `group` against our server
/// with the `cert` leaf: data both ways, the certificate verified.
fn openssl_matrix(cert: Cert) {
    let f = fixture();
    for (suite, suite_name) in TLS13_SUITES {
        for (group, group_name) in GROUPS {
            let case = format!("{suite_name} / {group_name} / {cert:?}");
            let (port, served) = serve_one(f.config13(cert));
            let line = format!("hello from s_client, {case}\n");
            let (ok, output) = s_client_version(
                "-tls1_3",
                port,
                &[],
                &[
                    "-servername",
                    "localhost",
                    "-CAfile",
                    path(&f.pki.ca_path),
                    "-verify_return_error",
                    "-ciphersuites",
                    suite_name,
                    "-groups",
                    group_name,
                    "-ign_eof",
                ],
                line.as_bytes(),
            );
            let (summary, request) = served
                .recv_timeout(IO_TIMEOUT)
                .unwrap_or_else(|e| panic!("{case}: our server did not finish ({e}): {output}"))
                .unwrap_or_else(|e| panic!("{case}: our server: {e}\n{output}"));
            assert!(ok, "{case}: s_client failed: {output}");
            assert_eq!(request, line.as_bytes(), "{case}");
            assert_eq!(summary.protocol_version, ProtocolVersion::Tls13, "{case}");
            assert_eq!(summary.cipher_suite, suite, "{case}");
            assert_eq!(summary.group, group, "{case}");
            assert_eq!(summary.server_name.as_deref(), Some("localhost"));
            let echoed = format!("{}{line}", String::from_utf8_lossy(ECHO_PREFIX));
            assert!(output.contains(&echoed), "{case}: {output}");
            assert!(
                output.contains("Verify return code: 0 (ok)"),
                "{case}: {output}"
            );
            assert!(
                output.contains(&format!("New, TLSv1.3, Cipher is {suite_name}\n")),
                "{case}: {output}"
            );
        }
    }
}

#[test]
fn openssl_tls13_client_ecdsa_p256() {
    openssl_matrix(Cert::P256);
}

#[test]
fn openssl_tls13_client_ecdsa_p384() {
    openssl_matrix(Cert::P384);
}

#[test]
fn openssl_tls13_client_rsa2048() {
    openssl_matrix(Cert::Rsa2048);
}

#[test]
fn openssl_tls13_client_ed25519() {
    openssl_matrix(Cert::Ed25519);
}

/// ALPN in EncryptedExtensions: the server's preference among the offer.
#[test]
fn openssl_tls13_client_alpn() {
    let f = fixture();
    let mut config = f.config13(Cert::P256);
    config.alpn_protocols = vec![b"http/1.1".to_vec(), b"h2".to_vec()];
    let (port, served) = serve_one(config);
    let (ok, output) = s_client_version(
        "-tls1_3",
        port,
        &[],
        &[
            "-servername",
            "localhost",
            "-CAfile",
            path(&f.pki.ca_path),
            "-verify_return_error",
            "-alpn",
            "h2,http/1.1",
            "-ign_eof",
        ],
        b"alpn\n",
    );
    let (summary, _) = served.recv_timeout(IO_TIMEOUT).unwrap().unwrap();
    assert!(ok, "{output}");
    assert_eq!(summary.alpn_protocol.as_deref(), Some(&b"http/1.1"[..]));
    assert!(
        output.contains("ALPN protocol: http/1.1"),
        "s_client did not see our ALPN answer: {output}"
    );
}

/// The ServerHello's random, from the first server record a proxy saw.
fn server_hello_random(server_to_client: &[u8]) -> [u8; 32] {
    // record header (5), handshake header (4), legacy_version (2)
    assert_eq!(server_to_client[0], 22, "a handshake record first");
    assert_eq!(server_to_client[5], 2, "a ServerHello first");
    server_to_client[11..43].try_into().unwrap()
}

/// `s_client -tls1_2` against a TLS 1.3 + 1.2 server: TLS 1.2 is
/// negotiated and the ServerHello.random ends in "DOWNGRD" 01 (RFC 8446
/// 4.1.3), which a TLS 1.2-only server does not write.
#[test]
fn tls12_client_gets_tls12_with_downgrade_sentinel() {
    let f = fixture();
    for (versions, sentinel) in [
        (vec![ProtocolVersion::Tls13, ProtocolVersion::Tls12], true),
        (vec![ProtocolVersion::Tls12], false),
    ] {
        let mut config = f.config13(Cert::P256);
        config.versions = versions.clone();
        let (port, served) = serve_one(config);
        let proxy = Proxy::start(([127, 0, 0, 1], port).into(), IO_TIMEOUT);
        let (ok, output) = s_client_version(
            "-tls1_2",
            proxy.addr.port(),
            &[],
            &[
                "-servername",
                "localhost",
                "-CAfile",
                path(&f.pki.ca_path),
                "-verify_return_error",
                "-ign_eof",
            ],
            b"downgrade\n",
        );
        let (summary, _) = served.recv_timeout(IO_TIMEOUT).unwrap().unwrap();
        assert!(ok, "{versions:?}: {output}");
        assert_eq!(summary.protocol_version, ProtocolVersion::Tls12);
        assert!(output.contains("Protocol  : TLSv1.2"), "{output}");
        let random = server_hello_random(&proxy.recorded().server_to_client);
        assert_eq!(
            random[24..] == Random::DOWNGRADE_TLS12,
            sentinel,
            "{versions:?}: random {random:02x?}"
        );
    }
}

/// rustls, in-process over TCP, TLS 1.3 only.
#[test]
fn rustls_tls13_client() {
    let f = fixture();
    for cert in [Cert::P256, Cert::Rsa2048, Cert::Ed25519] {
        let (port, served) = serve_one(f.config13(cert));
        let mut roots = rustls::RootCertStore::empty();
        roots.add(f.pki.ca.clone()).unwrap();
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let conn = rustls::ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap())
            .unwrap();
        let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        tls.write_all(b"hello from rustls\n").unwrap();
        let mut reply = Vec::new();
        let _ = tls.read_to_end(&mut reply);
        assert_eq!(
            tls.conn.protocol_version(),
            Some(rustls::ProtocolVersion::TLSv1_3),
            "{cert:?}"
        );
        assert_eq!(reply, b"tlstate echo: hello from rustls\n", "{cert:?}");
        // Our server reads until the client goes away.
        drop(tls);
        let (summary, _) = served.recv_timeout(IO_TIMEOUT).unwrap().unwrap();
        assert_eq!(summary.protocol_version, ProtocolVersion::Tls13);
    }
}

const PY_TLS13_CLIENT: &str = r#"
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"hello from python\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        print(s.version())
        print(data.decode())
"#;

/// Python's `ssl` (OpenSSL underneath, its own defaults), TLS 1.3 only.
#[test]
fn python_tls13_client() {
    let f = fixture();
    let (port, served) = serve_one(f.config13(Cert::P256));
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            PY_TLS13_CLIENT,
            &port.to_string(),
            path(&f.pki.ca_path),
        ])
        .output()
        .expect("python3 must be installed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("TLSv1.3\n"), "{stdout}");
    assert!(
        stdout.contains("tlstate echo: hello from python"),
        "{stdout}"
    );
    let (summary, _) = served.recv_timeout(IO_TIMEOUT).unwrap().unwrap();
    assert_eq!(summary.protocol_version, ProtocolVersion::Tls13);
}

// A hand-built TLS 1.3 client, in memory, for what no real client sends.

const SUITE: CipherSuite = CipherSuite::TLS13_AES_128_GCM_SHA256;

fn client_hello(kx: &EphemeralKeyExchange, with_key_share: bool) -> Vec<u8> {
    client_hello_offering(kx, with_key_share, &[NamedGroup::X25519])
}

/// A ClientHello with `groups` in supported_groups and, if asked, a share
/// for `kx`'s group.
fn client_hello_offering(
    kx: &EphemeralKeyExchange,
    with_key_share: bool,
    groups: &[NamedGroup],
) -> Vec<u8> {
    let mut extensions = vec![
        ClientExtension::SupportedVersions([ProtocolVersion::Tls13].into_iter().collect()),
        ClientExtension::SupportedGroups(groups.iter().copied().collect()),
        ClientExtension::SignatureAlgorithms(
            [SignatureScheme::ECDSA_NISTP256_SHA256]
                .into_iter()
                .collect(),
        ),
    ];
    if with_key_share {
        extensions.push(ClientExtension::KeyShare(vec![KeyShareEntry {
            group: kx.group(),
            key_exchange: kx.public_key().to_vec(),
        }]));
    }
    let hello = ClientHello {
        client_version: ProtocolVersion::Tls12,
        random: Random([0x5a; 32]),
        session_id: SessionId::new(&[1; 32]).unwrap(),
        cipher_suites: [SUITE].into_iter().collect(),
        compression_methods: [Compression::Null].into_iter().collect(),
        extensions: extensions.into_iter().collect(),
    };
    let mut message = vec![HandshakeType::ClientHello.to_wire()];
    let mut body = Vec::new();
    hello.encode(&mut body);
    message.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    message.extend_from_slice(&body);
    message
}

fn record(writer: &mut RecordWriter, typ: ContentType, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    writer.write(typ, payload, &mut out).unwrap();
    out
}

fn next_handshake(reader: &mut RecordReader) -> Vec<u8> {
    match reader.next_message().unwrap() {
        Some(Inbound::Handshake { encoded, .. }) => encoded.to_vec(),
        other => panic!("expected a handshake message, got {other:?}"),
    }
}

/// Runs our server through its flight against the hand-built client and
/// answers with a Finished, correct or with its first byte flipped.
/// Returns the server's result and the client's reader, now under the
/// server's application keys.
/// Returns the server's connection (or its failure), and the client's
/// reader and writer, now under the application keys.
fn handshake_with_finished(
    flip: bool,
) -> (
    Result<Connection<Server>, Fatal>,
    RecordReader,
    RecordWriter,
) {
    let f = fixture();
    let mut config = f.config13(Cert::P256);
    config.versions = vec![ProtocolVersion::Tls13];
    let kx = EphemeralKeyExchange::generate(NamedGroup::X25519).unwrap();
    let hello = client_hello(&kx, true);
    let mut writer = RecordWriter::new();
    let mut s = Handshake::server(Arc::new(config));
    let input = record(&mut writer, ContentType::Handshake, &hello);
    assert_eq!(s.feed(&input), input.len());
    let Ok(Step::Next(AfterClientHello::Tls13(s))) = s.recv() else {
        panic!("TLS 1.3 not chosen");
    };
    // ServerHello, ChangeCipherSpec, EncryptedExtensions, Certificate,
    // CertificateVerify, Finished
    let s = s.send().unwrap().send().unwrap().send().unwrap();
    let mut s = s.send().unwrap().send().unwrap().send().unwrap();
    let flight = s.take_output();

    let suite = lookup_tls13(SUITE).unwrap();
    let mut transcript = Transcript::new();
    transcript.start_hash(HashAlgorithm::Sha256);
    transcript.add(&hello);
    let mut reader = RecordReader::new();
    assert_eq!(reader.feed(&flight), flight.len());
    let server_hello = next_handshake(&mut reader);
    transcript.add(&server_hello);
    let PayloadTls13::ServerHello(sh) = PayloadTls13::read_message(&server_hello).unwrap() else {
        panic!("not a ServerHello");
    };
    assert_eq!(sh.session_id, SessionId::new(&[1; 32]).unwrap());
    assert_eq!(sh.selected_version(), Some(ProtocolVersion::Tls13));
    let shared = kx.complete(&sh.key_share().unwrap().key_exchange).unwrap();
    let handshake = EarlySecret::new(HashAlgorithm::Sha256, None)
        .unwrap()
        .into_handshake(shared.as_bytes())
        .unwrap();
    let secrets = handshake
        .traffic_secrets(transcript.current_hash().unwrap().as_bytes())
        .unwrap();
    reader.set_tls13();
    reader
        .install_opener(Box::new(suite.opener(&secrets.server).unwrap()))
        .unwrap();
    for _ in 0..4 {
        // EncryptedExtensions, Certificate, CertificateVerify, Finished
        let message = next_handshake(&mut reader);
        transcript.add(&message);
    }
    let app = handshake
        .into_master()
        .unwrap()
        .traffic_secrets(transcript.current_hash().unwrap().as_bytes())
        .unwrap();
    reader
        .install_opener(Box::new(suite.opener(&app.server).unwrap()))
        .unwrap();
    let finished = finished(&secrets.client, &transcript, flip);
    let mut writer = RecordWriter::new();
    writer.set_sealer(Box::new(suite.sealer(&secrets.client).unwrap()));
    let input = record(&mut writer, ContentType::Handshake, &finished);
    assert_eq!(s.feed(&input), input.len());
    let result = s.recv().map(|step| match step {
        Step::Next(s) => s.into_connection(),
        Step::NeedMore(_) => panic!("the Finished was fed whole"),
    });
    let mut writer = RecordWriter::new();
    writer.set_sealer(Box::new(suite.sealer(&app.client).unwrap()));
    (result, reader, writer)
}

fn finished(base: &Secret, transcript: &Transcript, flip: bool) -> Vec<u8> {
    let tag = finished_verify_data(base, transcript.current_hash().unwrap().as_bytes()).unwrap();
    let mut data = tag.as_ref().to_vec();
    if flip {
        data[0] ^= 1;
    }
    let mut message = vec![HandshakeType::Finished.to_wire(), 0, 0, data.len() as u8];
    message.extend_from_slice(&data);
    message
}

/// The hand-built client completes the handshake; data flows both ways
/// under the application keys.
#[test]
fn hand_built_client_completes_and_exchanges_data() {
    let (result, mut reader, mut writer) = handshake_with_finished(false);
    let mut conn = result.unwrap();
    assert_eq!(conn.summary().protocol_version, ProtocolVersion::Tls13);
    assert_eq!(conn.summary().cipher_suite, SUITE);
    conn.send(b"from the server").unwrap();
    let out = conn.take_output();
    assert_eq!(reader.feed(&out), out.len());
    match reader.next_message().unwrap() {
        Some(Inbound::ApplicationData(data)) => assert_eq!(data, b"from the server"),
        other => panic!("expected data, got {other:?}"),
    }
    let input = record(
        &mut writer,
        ContentType::ApplicationData,
        b"from the client",
    );
    assert_eq!(conn.feed(&input), input.len());
    let mut buf = [0u8; 64];
    assert_eq!(conn.read(&mut buf).unwrap(), ReadOutcome::Data(15));
    assert_eq!(&buf[..15], b"from the client");
}

/// After the handshake, the hand-built client's sealed handshake record
/// `message` goes to our server; returns the server's read error and the
/// alert it sent, opened by the client's reader (`twice`: the message
/// twice in one record).
fn server_reads_post_handshake(message: &[u8], twice: bool) -> (Error, AlertDescription) {
    let (result, mut reader, mut writer) = handshake_with_finished(false);
    let mut conn = result.unwrap();
    let mut payload = message.to_vec();
    if twice {
        // Two messages in one record: the first one's key change falls
        // inside the record.
        payload.extend_from_slice(message);
    }
    let input = record(&mut writer, ContentType::Handshake, &payload);
    assert_eq!(conn.feed(&input), input.len());
    let mut buf = [0u8; 16];
    let error = conn.read(&mut buf).unwrap_err();
    let out = conn.take_output();
    assert_eq!(reader.feed(&out), out.len());
    let alert = match reader.next_message().unwrap() {
        Some(Inbound::Alert(alert)) => alert.description,
        other => panic!("expected the alert, got {other:?}"),
    };
    (error, alert)
}

/// RFC 8446 4.6.3: a KeyUpdate whose request is neither 0 nor 1 is
/// illegal_parameter.
#[test]
fn a_key_update_with_another_request_value_is_illegal_parameter() {
    let (error, alert) = server_reads_post_handshake(&[24, 0, 0, 1, 2], false);
    assert_eq!(
        error,
        Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(
            "a KeyUpdate request other than 0 or 1"
        ))
    );
    assert_eq!(alert, AlertDescription::IllegalParameter);
}

/// A KeyUpdate body of the wrong length does not decode: decode_error.
#[test]
fn a_key_update_of_the_wrong_length_is_decode_error() {
    for message in [&[24, 0, 0, 0][..], &[24, 0, 0, 2, 0, 0]] {
        let (error, alert) = server_reads_post_handshake(message, false);
        assert!(matches!(error, Error::InvalidMessage(_)), "{error:?}");
        assert_eq!(alert, AlertDescription::DecodeError, "{message:?}");
    }
}

/// RFC 8446 5.1: the key changes after a KeyUpdate, so it must end its
/// record; more bytes after it in the same record (here a second
/// KeyUpdate) are unexpected_message.
#[test]
fn a_key_update_that_does_not_end_its_record_is_unexpected_message() {
    let (error, alert) = server_reads_post_handshake(&[24, 0, 0, 1, 0], true);
    assert_eq!(
        error,
        Error::UnexpectedMessage {
            expected: "a key change on a record boundary",
            got: tlstate::error::Received::Record(ContentType::Handshake),
        }
    );
    assert_eq!(alert, AlertDescription::UnexpectedMessage);
}

/// A client Finished with one bit wrong: decrypt_error (RFC 8446 4.4.4),
/// sent under our application keys.
#[test]
fn wrong_client_finished_is_decrypt_error() {
    let (result, mut reader, _) = handshake_with_finished(true);
    let fatal = result.unwrap_err();
    assert!(
        matches!(
            fatal.error(),
            Error::PeerMisbehaved(PeerMisbehaved::IncorrectFinished)
        ),
        "{fatal}"
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::DecryptError));
    let out = fatal.output().to_vec();
    assert_eq!(reader.feed(&out), out.len());
    match reader.next_message().unwrap() {
        Some(Inbound::Alert(alert)) => {
            assert_eq!(alert.description, AlertDescription::DecryptError)
        }
        other => panic!("expected the alert, got {other:?}"),
    }
}

/// A TLS 1.3 ClientHello without key_share: missing_extension (RFC 8446
/// 9.2), in a plaintext alert record.
#[test]
fn client_hello_without_key_share_is_missing_extension() {
    let f = fixture();
    let kx = EphemeralKeyExchange::generate(NamedGroup::X25519).unwrap();
    let hello = client_hello(&kx, false);
    let mut s = Handshake::server(Arc::new(f.config13(Cert::P256)));
    let input = record(&mut RecordWriter::new(), ContentType::Handshake, &hello);
    assert_eq!(s.feed(&input), input.len());
    let fatal = s.recv().unwrap_err();
    assert!(
        matches!(
            fatal.error(),
            Error::PeerMisbehaved(PeerMisbehaved::MissingExtension("key_share"))
        ),
        "{fatal}"
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::MissingExtension));
    assert_eq!(fatal.output(), [21, 3, 3, 0, 2, 2, 109]);
}

/// Collects key log lines in memory.
#[derive(Debug, Default)]
struct Lines(std::sync::Mutex<Vec<String>>);

impl tlstate::keylog::KeyLog for Lines {
    fn log(&self, label: &str, client_random: &[u8; 32], secret: &[u8]) {
        let line = tlstate::keylog::key_log_line(label, client_random, secret);
        self.0.lock().unwrap().push(line);
    }
}

/// Our key log of a TLS 1.3 handshake has exactly the five lines
/// s_client's `-keylogfile` writes for it (the handshake and application
/// traffic secrets and the exporter secret, RFC 8446 7.1), byte for byte.
#[test]
fn key_log_matches_openssl() {
    let f = fixture();
    let lines = Arc::new(Lines::default());
    let mut config = f.config13(Cert::P256);
    config.key_log = Some(lines.clone());
    let (port, served) = serve_one(config);
    let dir = tempfile::tempdir().unwrap();
    let keylog = dir.path().join("s_client.keys");
    let (ok, output) = s_client_version(
        "-tls1_3",
        port,
        &[],
        &[
            "-CAfile",
            path(&f.pki.ca_path),
            "-keylogfile",
            path(&keylog),
            "-ign_eof",
        ],
        b"keys\n",
    );
    served.recv_timeout(IO_TIMEOUT).unwrap().unwrap();
    assert!(ok, "{output}");
    let mut theirs: Vec<String> = std::fs::read_to_string(&keylog)
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| format!("{line}\n"))
        .collect();
    let mut ours = lines.0.lock().unwrap().clone();
    theirs.sort();
    ours.sort();
    assert_eq!(ours.len(), 5, "{ours:?}");
    assert_eq!(ours, theirs);
}

fn rustls_tls13_connection() -> rustls::ClientConnection {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(fixture().pki.ca.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13])
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    rustls::ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).unwrap()
}

/// Moves everything each side owes the other until neither owes anything.
fn pump(client: &mut rustls::ClientConnection, server: &mut ServerDriver) {
    for _ in 0..32 {
        let mut moved = false;
        let mut wire = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut wire).unwrap();
        }
        let mut rest = &wire[..];
        while !rest.is_empty() {
            let taken = server.handle_input(rest);
            assert!(taken > 0, "the driver takes what it is given");
            rest = &rest[taken..];
            moved = true;
        }
        while let Some(out) = server.poll_output() {
            let mut bytes = &out[..];
            while !bytes.is_empty() {
                client.read_tls(&mut bytes).unwrap();
            }
            client.process_new_packets().unwrap();
            moved = true;
        }
        if !moved {
            return;
        }
    }
    panic!("the two sides never settled");
}

/// The sans-IO `ServerDriver` walks the TLS 1.3 branch too: against
/// rustls in memory, the handshake completes and data flows both ways.
#[test]
fn server_driver_walks_tls13_with_rustls() {
    let mut server = ServerDriver::new(Arc::new(fixture().config13(Cert::P256)));
    let mut client = rustls_tls13_connection();
    pump(&mut client, &mut server);
    assert!(!client.is_handshaking());
    assert!(!server.is_handshaking());
    assert_eq!(server.state_name(), "HandshakeOver");
    match server.poll_event() {
        Some(Event::HandshakeDone(summary)) => {
            assert_eq!(summary.protocol_version, ProtocolVersion::Tls13)
        }
        other => panic!("expected HandshakeDone, got {other:?}"),
    }
    client.writer().write_all(b"ping").unwrap();
    pump(&mut client, &mut server);
    assert_eq!(server.poll_event(), Some(Event::DataReadable));
    let mut buf = [0u8; 16];
    assert_eq!(server.read(&mut buf), Ok(4));
    assert_eq!(&buf[..4], b"ping");
    server.send(b"pong").unwrap();
    pump(&mut client, &mut server);
    let mut got = [0u8; 4];
    client.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got, b"pong");
}

/// The record types of our first flight to a TLS 1.3 ClientHello, with
/// middlebox compatibility on or off.
fn first_flight_record_types(middlebox_compat: bool) -> Vec<u8> {
    let mut config = fixture().config13(Cert::P256);
    config.middlebox_compat = middlebox_compat;
    let kx = EphemeralKeyExchange::generate(NamedGroup::X25519).unwrap();
    let hello = client_hello(&kx, true);
    let mut s = Handshake::server(Arc::new(config));
    let input = record(&mut RecordWriter::new(), ContentType::Handshake, &hello);
    assert_eq!(s.feed(&input), input.len());
    let Ok(Step::Next(AfterClientHello::Tls13(s))) = s.recv() else {
        panic!("TLS 1.3 not chosen");
    };
    let s = s.send().unwrap().send().unwrap().send().unwrap();
    let mut s = s.send().unwrap().send().unwrap().send().unwrap();
    common::wire::records(&s.take_output())
        .into_iter()
        .map(|(typ, _)| typ)
        .collect()
}

/// RFC 8446 D.4: with middlebox compatibility our ServerHello is followed
/// by one unprotected ChangeCipherSpec, then only protected records
/// (EncryptedExtensions, Certificate, CertificateVerify, Finished); without
/// it, no ChangeCipherSpec.
#[test]
fn compat_change_cipher_spec_follows_server_hello_only_when_configured() {
    assert_eq!(first_flight_record_types(true), [22, 20, 23, 23, 23, 23]);
    assert_eq!(first_flight_record_types(false), [22, 23, 23, 23, 23]);
}

/// A client whose only key share is in a group we do not take gets a
/// HelloRetryRequest for ours (RFC 8446 4.1.4: the special random, first
/// on the wire), answers with a second ClientHello, and the handshake
/// completes in our group.
#[test]
fn openssl_client_without_our_share_gets_hello_retry_request() {
    let f = fixture();
    for middlebox_compat in [true, false] {
        let mut config = f.config13(Cert::P256);
        config.groups = vec![NamedGroup::secp384r1];
        config.middlebox_compat = middlebox_compat;
        let (port, served) = serve_one(config);
        let proxy = Proxy::start(([127, 0, 0, 1], port).into(), IO_TIMEOUT);
        // OpenSSL sends a share for the first group only.
        let (ok, output) = s_client_version(
            "-tls1_3",
            proxy.addr.port(),
            &[],
            &[
                "-CAfile",
                path(&f.pki.ca_path),
                "-verify_return_error",
                "-groups",
                "X25519:P-384",
                "-ign_eof",
            ],
            b"retry\n",
        );
        let (summary, request) = served
            .recv_timeout(IO_TIMEOUT)
            .unwrap()
            .unwrap_or_else(|e| panic!("{e}\n{output}"));
        assert!(ok, "{output}");
        assert_eq!(request, b"retry\n");
        assert_eq!(summary.protocol_version, ProtocolVersion::Tls13);
        assert_eq!(summary.group, NamedGroup::secp384r1);
        let wire = proxy.recorded().server_to_client;
        assert_eq!(server_hello_random(&wire), Random::HELLO_RETRY_REQUEST.0);
        // One compatibility ChangeCipherSpec at most, right after the
        // HelloRetryRequest.
        let types: Vec<u8> = common::wire::records(&wire)
            .into_iter()
            .map(|(typ, _)| typ)
            .take(3)
            .collect();
        match middlebox_compat {
            true => assert_eq!(types, [22, 20, 22]),
            false => assert_eq!(types, [22, 22, 23]),
        }
        assert_eq!(
            common::wire::records(&wire)
                .iter()
                .filter(|(typ, _)| *typ == 20)
                .count(),
            usize::from(middlebox_compat)
        );
    }
}

/// rustls answers our HelloRetryRequest too.
#[test]
fn rustls_client_without_our_share_gets_hello_retry_request() {
    let mut config = fixture().config13(Cert::P256);
    config.groups = vec![NamedGroup::secp256r1];
    let mut server = ServerDriver::new(Arc::new(config));
    // rustls shares for its first group (x25519) only.
    let mut client = rustls_tls13_connection();
    pump(&mut client, &mut server);
    assert!(!client.is_handshaking());
    match server.poll_event() {
        Some(Event::HandshakeDone(summary)) => {
            assert_eq!(summary.group, NamedGroup::secp256r1)
        }
        other => panic!("expected HandshakeDone, got {other:?}"),
    }
}

/// A second ClientHello that ignores our HelloRetryRequest (its share is
/// again in the group we did not take): illegal_parameter (RFC 8446
/// 4.1.2), in a plaintext alert.
#[test]
fn second_client_hello_without_the_asked_share_is_illegal_parameter() {
    let mut config = fixture().config13(Cert::P256);
    config.groups = vec![NamedGroup::secp256r1];
    config.middlebox_compat = false;
    let kx = EphemeralKeyExchange::generate(NamedGroup::X25519).unwrap();
    let groups = [NamedGroup::X25519, NamedGroup::secp256r1];
    let hello = client_hello_offering(&kx, true, &groups);
    let mut writer = RecordWriter::new();
    let mut s = Handshake::server(Arc::new(config));
    let input = record(&mut writer, ContentType::Handshake, &hello);
    assert_eq!(s.feed(&input), input.len());
    let Ok(Step::Next(AfterClientHello::Tls13Retry(s))) = s.recv() else {
        panic!("no HelloRetryRequest");
    };
    let mut s = s.send().unwrap();
    let retry = s.take_output();
    let PayloadTls13::ServerHello(hrr) = PayloadTls13::read_message(&retry[5..]).unwrap() else {
        panic!("not a HelloRetryRequest");
    };
    assert!(hrr.is_hello_retry_request());
    assert_eq!(hrr.selected_group(), Some(NamedGroup::secp256r1));
    let input = record(&mut writer, ContentType::Handshake, &hello);
    assert_eq!(s.feed(&input), input.len());
    let fatal = s.recv().unwrap_err();
    assert!(
        matches!(
            fatal.error(),
            Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(_))
        ),
        "{fatal}"
    );
    assert_eq!(fatal.output(), [21, 3, 3, 0, 2, 2, 47]);
}

/// A server asking for client certificates negotiates TLS 1.3 too (issue
/// #12): offered TLS 1.3 and 1.2 (rustls, in memory, with no client
/// certificate), the driver sends its CertificateRequest, takes rustls's
/// empty Certificate under an optional policy and finishes in TLS 1.3.
#[test]
fn client_auth_server_negotiates_tls13_and_takes_an_empty_certificate() {
    let f = fixture();
    let verifier =
        tlstate::crypto::WebPkiClientVerifier::new(std::slice::from_ref(&f.pki.ca)).unwrap();
    let policy = tlstate::handshake::ClientCertPolicy {
        verifier: Arc::new(verifier),
        required: false,
    };
    let mut server = ServerDriver::requesting_client_cert(Arc::new(f.config13(Cert::P256)), policy);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(f.pki.ca.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let mut client =
        rustls::ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).unwrap();
    pump(&mut client, &mut server);
    assert!(!client.is_handshaking());
    assert_eq!(
        client.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    match server.poll_event() {
        Some(Event::HandshakeDone(summary)) => {
            assert_eq!(summary.protocol_version, ProtocolVersion::Tls13);
            assert!(summary.client_certificates.is_empty());
        }
        other => panic!("expected HandshakeDone, got {other:?}"),
    }
}

/// A TLS 1.3-only server refuses a TLS 1.2 client with protocol_version
/// (RFC 8446 4.2.1), and s_client sees that alert.
#[test]
fn tls13_only_server_refuses_tls12_client_with_protocol_version() {
    let f = fixture();
    let mut config = f.config13(Cert::P256);
    config.versions = vec![ProtocolVersion::Tls13];
    let (port, served) = serve_one(config);
    let (ok, output) = s_client_version(
        "-tls1_2",
        port,
        &[],
        &["-CAfile", path(&f.pki.ca_path)],
        b"",
    );
    let error = served.recv_timeout(IO_TIMEOUT).unwrap().unwrap_err();
    assert!(!ok, "{output}");
    assert!(error.contains("sent alert protocol_version"), "{error}");
    assert!(output.contains("alert protocol version"), "{output}");
}
