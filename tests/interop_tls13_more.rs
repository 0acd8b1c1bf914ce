//! More TLS 1.3 interop, with GnuTLS's command line (gnutls-bin 3.7.9) and
//! Python's `ssl` as peers over TCP loopback:
//!
//! - our TLS 1.3 client against `gnutls-serv --echo`, and `gnutls-cli`
//!   against our TLS 1.3 server, each 1.3 suite once and each group once,
//!   asserting our `SessionSummary` and the `- Description:` line GnuTLS
//!   prints for the session;
//! - a HelloRetryRequest each way with GnuTLS, seen on the wire through a
//!   recording proxy (the HelloRetryRequest random, RFC 8446 4.1.3);
//! - Python's `ssl` as a TLS 1.3 server for our client;
//! - our 1.3+1.2 client falling back to TLS 1.2 against a TLS 1.2-only
//!   gnutls-serv;
//! - gnutls-serv's default optional CertificateRequest, which our TLS 1.3
//!   client without a certificate answers with an empty Certificate.
//!
//! A missing gnutls-cli, gnutls-serv or python3 fails the test.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock, mpsc};
use std::thread;
use std::time::Duration;

use common::gnutls::{GnutlsCli, GnutlsServ, TLS12, TLS13};
use common::wire::Proxy;
use common::{KeyKind, KillOnDrop, Leaf, TestPki};
use rustls_pki_types::ServerName;
use tlstate::connection::SessionSummary;
use tlstate::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use tlstate::handshake::{Client, ClientConfig, Fatal, ServerConfig};
use tlstate::stream::{Stream, accept, connect};

/// Bounds every blocking read on our side.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// The ServerHello.random of a HelloRetryRequest (RFC 8446 4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Each TLS 1.3 suite once and each group once, with GnuTLS's names for
/// them.
const CASES: [(CipherSuite, &str, NamedGroup, &str); 3] = [
    (
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        "AES-128-GCM",
        NamedGroup::X25519,
        "X25519",
    ),
    (
        CipherSuite::TLS13_AES_256_GCM_SHA384,
        "AES-256-GCM",
        NamedGroup::secp256r1,
        "SECP256R1",
    ),
    (
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        "CHACHA20-POLY1305",
        NamedGroup::secp384r1,
        "SECP384R1",
    ),
];

struct Fixture {
    pki: TestPki,
    p256: Leaf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let pki = TestPki::new("tlstate TLS 1.3 interop CA");
        Fixture {
            p256: pki.leaf(KeyKind::EcdsaP256, &["localhost"]),
            pki,
        }
    })
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

/// The Description line GnuTLS prints for a TLS 1.3 session with the P-256
/// leaf.
fn description13(cipher: &str, group: &str) -> String {
    format!("- Description: (TLS1.3-X.509)-(ECDHE-{group})-(ECDSA-SECP256R1-SHA256)-({cipher})\n")
}

/// Our client config for `versions` and `groups` (a key share for the
/// first only).
fn client_config(versions: &[ProtocolVersion], groups: &[NamedGroup]) -> ClientConfig {
    let mut config = (*fixture().pki.client_config()).clone();
    config.versions = versions.to_vec();
    config.groups = groups.to_vec();
    config
}

/// Our server config with the P-256 leaf, TLS 1.3 else 1.2, for `groups`.
fn server_config13(groups: &[NamedGroup]) -> ServerConfig {
    let f = fixture();
    let mut config = (*f.pki.server_config(&f.p256)).clone();
    config.versions = vec![ProtocolVersion::Tls13, ProtocolVersion::Tls12];
    config.groups = groups.to_vec();
    config
}

fn our_connect(config: ClientConfig, port: u16) -> Result<Stream<Client, TcpStream>, Fatal> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    connect(
        Arc::new(config),
        ServerName::try_from("localhost").unwrap(),
        tcp,
    )
}

/// `gnutls-serv --echo` with the P-256 leaf and `priority`, asking for no
/// client certificate (by default it sends an optional CertificateRequest:
/// see `our_tls13_client_answers_gnutls_servs_optional_certificate_request`).
fn gnutls_serv(priority: &str) -> GnutlsServ {
    gnutls_serv_with(priority, &["--disable-client-cert"])
}

fn gnutls_serv_with(priority: &str, extra: &[&str]) -> GnutlsServ {
    let f = fixture();
    let mut args = vec![
        "--x509certfile",
        path(&f.p256.cert_path),
        "--x509keyfile",
        path(&f.p256.key_path),
        "--priority",
        priority,
        "--echo",
    ];
    args.extend_from_slice(extra);
    GnutlsServ::start(f.pki.dir.path(), &args)
}

/// Our client sends `line` to gnutls-serv --echo (at `port`), reads it
/// back, and ends with close_notify both ways.
fn echo_through(config: ClientConfig, port: u16, line: &str, log: &GnutlsServ) -> SessionSummary {
    let mut stream =
        our_connect(config, port).unwrap_or_else(|e| panic!("{line}: {e}\n{}", log.output()));
    stream.write_all(line.as_bytes()).unwrap();
    let mut echoed = String::new();
    stream.read_line(&mut echoed).unwrap();
    assert_eq!(echoed, line);
    stream
        .shutdown()
        .unwrap_or_else(|e| panic!("{line}: {e}\n{}", log.output()));
    stream.summary().clone()
}

#[test]
fn our_tls13_client_with_gnutls_serv_each_suite_and_group() {
    let server = gnutls_serv(TLS13);
    for (n, (suite, cipher, group, group_name)) in CASES.into_iter().enumerate() {
        let case = format!("{cipher} / {group_name}");
        let mut config = client_config(&[ProtocolVersion::Tls13], &[group]);
        config.cipher_suites = vec![suite];
        let line = format!("hello from tlstate, {case}\n");
        let summary = echo_through(config, server.port, &line, &server);
        assert_eq!(summary.protocol_version, ProtocolVersion::Tls13, "{case}");
        assert_eq!(summary.cipher_suite, suite, "{case}");
        assert_eq!(summary.group, group, "{case}");
        assert_eq!(
            summary.signature_scheme,
            SignatureScheme::ECDSA_NISTP256_SHA256,
            "{case}"
        );
        assert!(!summary.extended_master_secret, "{case}");
        let report = server.connection_report(n + 1);
        assert!(
            report.contains(&description13(cipher, group_name)),
            "{case}: {report}"
        );
        assert!(
            report.contains("- Given server name[1]: localhost\n"),
            "{case}: {report}"
        );
    }
}

/// What our server saw of one connection: its summary and the line read.
type Served = Result<(SessionSummary, Vec<u8>), String>;

const ECHO_PREFIX: &str = "tlstate echo: ";

/// Our server for one connection: accept, read a line, echo it with
/// [`ECHO_PREFIX`], send close_notify, read once more (the peer's end).
fn serve_one(config: ServerConfig, listener: TcpListener) -> mpsc::Receiver<Served> {
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
            let reply = [ECHO_PREFIX.as_bytes(), &request].concat();
            stream
                .write_all(&reply)
                .map_err(|e| format!("write: {e}"))?;
            stream.close().map_err(|e| format!("close: {e}"))?;
            let _ = stream.read(&mut buf);
            Ok((stream.summary().clone(), request))
        })();
        let _ = tx.send(result);
    });
    rx
}

fn listen() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// gnutls-cli with `priority`, trusting the test CA, sends `line` to
/// `port` and waits for our close_notify; returns what it printed.
fn gnutls_cli_line(port: u16, priority: &str, line: &str) -> (bool, String) {
    let f = fixture();
    let mut cli = GnutlsCli::start(
        port,
        &[
            "--x509cafile",
            path(&f.pki.ca_path),
            "--sni-hostname",
            "localhost",
            "--verify-hostname",
            "localhost",
            "--priority",
            priority,
        ],
    );
    cli.send(line.as_bytes());
    cli.wait_for("- Peer has closed the GnuTLS connection");
    let (status, output) = cli.finish();
    (status.success(), output)
}

fn received(rx: &mpsc::Receiver<Served>, output: &str) -> (SessionSummary, Vec<u8>) {
    rx.recv_timeout(IO_TIMEOUT)
        .unwrap_or_else(|e| panic!("our server did not finish ({e}): {output}"))
        .unwrap_or_else(|e| panic!("our server: {e}\n{output}"))
}

#[test]
fn gnutls_cli_with_our_tls13_server_each_suite_and_group() {
    for (suite, cipher, group, group_name) in CASES {
        let case = format!("{cipher} / {group_name}");
        let (listener, port) = listen();
        let rx = serve_one(server_config13(&[group]), listener);
        let priority = format!("{TLS13}:-CIPHER-ALL:+{cipher}:-GROUP-ALL:+GROUP-{group_name}");
        let line = format!("hello from gnutls-cli, {case}\n");
        let (ok, output) = gnutls_cli_line(port, &priority, &line);
        let (summary, request) = received(&rx, &output);
        assert!(ok, "{case}: {output}");
        assert_eq!(request, line.as_bytes(), "{case}");
        assert_eq!(summary.protocol_version, ProtocolVersion::Tls13, "{case}");
        assert_eq!(summary.cipher_suite, suite, "{case}");
        assert_eq!(summary.group, group, "{case}");
        assert_eq!(summary.server_name.as_deref(), Some("localhost"), "{case}");
        assert!(
            output.contains(&format!("{ECHO_PREFIX}{line}")),
            "{case}: {output}"
        );
        assert!(
            output.contains(&description13(cipher, group_name)),
            "{case}: {output}"
        );
        assert!(
            output.contains("- Status: The certificate is trusted."),
            "{case}: {output}"
        );
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn gnutls_cli_gets_hello_retry_request_from_our_server() {
    // gnutls-cli shares keys for its first groups (x25519, P-256); our
    // server takes only P-384, which gnutls-cli supports without a share,
    // so our server asks again.
    let (listener, port) = listen();
    let rx = serve_one(server_config13(&[NamedGroup::secp384r1]), listener);
    let proxy = Proxy::start(([127, 0, 0, 1], port).into(), IO_TIMEOUT);
    let priority = format!("{TLS13}:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1");
    let line = "hello from gnutls-cli after a retry\n";
    let (ok, output) = gnutls_cli_line(proxy.addr.port(), &priority, line);
    let (summary, request) = received(&rx, &output);
    let wire = proxy.recorded();
    assert!(ok, "{output}");
    assert_eq!(request, line.as_bytes());
    assert_eq!(summary.protocol_version, ProtocolVersion::Tls13);
    assert_eq!(summary.group, NamedGroup::secp384r1);
    assert!(
        contains(&wire.server_to_client, &HRR_RANDOM),
        "no HelloRetryRequest"
    );
    assert!(
        output.contains(&description13("AES-256-GCM", "SECP384R1")),
        "{output}"
    );
}

#[test]
fn our_client_answers_gnutls_serv_hello_retry_request() {
    // Our one key share is for x25519; gnutls-serv takes only P-256, which
    // we also offer, so it asks again.
    let server = gnutls_serv(&format!("{TLS13}:-GROUP-ALL:+GROUP-SECP256R1"));
    let proxy = Proxy::start(([127, 0, 0, 1], server.port).into(), IO_TIMEOUT);
    let config = client_config(
        &[ProtocolVersion::Tls13],
        &[NamedGroup::X25519, NamedGroup::secp256r1],
    );
    let line = "hello from tlstate after a retry\n";
    let summary = echo_through(config, proxy.addr.port(), line, &server);
    let wire = proxy.recorded();
    assert_eq!(summary.protocol_version, ProtocolVersion::Tls13);
    assert_eq!(summary.group, NamedGroup::secp256r1);
    assert!(
        contains(&wire.server_to_client, &HRR_RANDOM),
        "no HelloRetryRequest"
    );
    let report = server.connection_report(1);
    assert!(
        report.contains(&description13("AES-256-GCM", "SECP256R1")),
        "{report}"
    );
}

const PY_TLS13_SERVER: &str = r#"
import socket, ssl, sys
cert, key = sys.argv[1], sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_cert_chain(cert, key)
with socket.create_server(("127.0.0.1", 0)) as listener:
    print(listener.getsockname()[1], flush=True)
    listener.settimeout(10)
    raw, _ = listener.accept()
    raw.settimeout(10)
    with ctx.wrap_socket(raw, server_side=True) as s:
        line = b""
        while not line.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            line += chunk
        s.sendall(b"python echo: " + line)
        print(s.version(), flush=True)
        print(s.cipher()[0], flush=True)
        s.unwrap()
"#;

#[test]
fn python_tls13_server_with_our_client() {
    let f = fixture();
    let child = Command::new("python3")
        .args([
            "-c",
            PY_TLS13_SERVER,
            path(&f.p256.cert_path),
            path(&f.p256.key_path),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed");
    let mut child = KillOnDrop(child);
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let mut port = String::new();
    stdout.read_line(&mut port).unwrap();
    let port: u16 = port
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("python printed no port ({e}): {port:?}"));

    let config = client_config(&[ProtocolVersion::Tls13], &[NamedGroup::X25519]);
    let mut stream = our_connect(config, port).unwrap();
    stream.write_all(b"hello from tlstate\n").unwrap();
    let mut echoed = String::new();
    stream.read_line(&mut echoed).unwrap();
    assert_eq!(echoed, "python echo: hello from tlstate\n");
    stream.shutdown().unwrap();
    let summary = stream.summary().clone();

    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let status = child.0.wait().unwrap();
    let mut stderr = String::new();
    child
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{rest}\n{stderr}");
    assert_eq!(summary.protocol_version, ProtocolVersion::Tls13);
    // Python's (OpenSSL's) preference with our default offer.
    assert_eq!(summary.cipher_suite, CipherSuite::TLS13_AES_256_GCM_SHA384);
    assert_eq!(rest, "TLSv1.3\nTLS_AES_256_GCM_SHA384\n");
}

#[test]
fn our_tls13_client_falls_back_to_tls12_gnutls_serv() {
    let server = gnutls_serv(TLS12);
    let config = client_config(
        &[ProtocolVersion::Tls13, ProtocolVersion::Tls12],
        &[NamedGroup::X25519],
    );
    let proxy = Proxy::start(([127, 0, 0, 1], server.port).into(), IO_TIMEOUT);
    let line = "hello from tlstate, 1.2\n";
    let summary = echo_through(config, proxy.addr.port(), line, &server);
    let wire = proxy.recorded();
    // A server that has TLS 1.3 switched off sends no downgrade sentinel
    // (RFC 8446 4.1.3 asks it only of servers that negotiate 1.3), so our
    // client has nothing to refuse. The ServerHello's random follows the
    // record header (5), handshake header (4) and version (2).
    let random = &wire.server_to_client[11..43];
    assert_eq!(wire.server_to_client[5], 2, "a ServerHello first");
    assert_ne!(&random[24..30], b"DOWNGR", "{random:02x?}");
    assert_eq!(summary.protocol_version, ProtocolVersion::Tls12);
    assert_eq!(
        summary.cipher_suite,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    );
    assert_eq!(summary.group, NamedGroup::X25519);
    assert!(summary.extended_master_secret);
    let report = server.connection_report(1);
    assert!(
        report.contains(
            "- Description: (TLS1.2-X.509)-(ECDHE-X25519)-(ECDSA-SHA256)-(AES-128-GCM)\n"
        ),
        "{report}"
    );
}

/// gnutls-serv by default sends an optional CertificateRequest; our TLS
/// 1.3 client, configured with no certificate, answers it with an empty
/// Certificate (RFC 8446 4.4.2) and the handshake completes — this was a
/// refusal until TLS 1.3 client authentication landed.
#[test]
fn our_tls13_client_answers_gnutls_servs_optional_certificate_request() {
    let server = gnutls_serv_with(TLS13, &[]);
    let config = client_config(&[ProtocolVersion::Tls13], &[NamedGroup::X25519]);
    let summary = echo_through(config, server.port, "no certificate here\n", &server);
    assert_eq!(summary.protocol_version, ProtocolVersion::Tls13);
    assert!(summary.client_certificates.is_empty());
    let report = server.connection_report(1);
    assert!(!report.contains("Error in handshake"), "{report}");
}
