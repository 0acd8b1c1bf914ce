//! Interop with GnuTLS's command line (gnutls-bin 3.7.9) as an independent
//! peer, over real TCP loopback sockets: `gnutls-serv` for our client and
//! `gnutls-cli` for our server, each a child process killed when the test
//! ends. A missing binary fails the test (`.ci/run` installs gnutls-bin).
//!
//! TLS 1.2 only (`--priority NORMAL:-VERS-ALL:+VERS-TLS1.2`). Every suite
//! this crate implements, against every group, in both directions: ECDSA
//! P-256 server certificates for the ECDHE_ECDSA suites, RSA-2048 for the
//! ECDHE_RSA ones. Each case asserts what was negotiated on both ends: our
//! `SessionSummary`, and the `- Description: (TLS1.2-X.509)-(ECDHE-GROUP)-
//! (SIGNATURE)-(CIPHER)` line GnuTLS prints for the session.
//!
//! Our client restricts itself (`ClientConfig::cipher_suites`, `groups`:
//! exactly one of each) against one gnutls-serv per suite that allows
//! everything; gnutls-cli restricts itself by priority string to one suite
//! against our server restricted to the group. In TLS 1.2 supported_groups
//! also names the curves the client accepts ECDSA certificates on (RFC 8422
//! 5.1.1), and our server holds its ECDSA leaf to them, so gnutls-cli
//! offers the leaf's curve after the forced group; gnutls-serv does not
//! (unlike OpenSSL), so our client offers the one group alone.
//!
//! Also: client certificates both ways, resumption by ticket and by
//! session ID both ways (`gnutls-cli --resume`), ALPN both ways, an HTTP
//! exchange each way (`gnutls-serv --http`), and close_notify both ways.

mod common;

use std::io::{BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, OnceLock, mpsc};
use std::thread;
use std::time::Duration;

use common::gnutls::{GnutlsCli, GnutlsServ, TLS12, gnutls_cli};
use common::{KeyKind, Leaf, LeafFlavor, TestPki};
use rustls_pki_types::ServerName;
use tlstate::connection::SessionSummary;
use tlstate::crypto::WebPkiClientVerifier;
use tlstate::enums::{AlertDescription, AlertLevel, CipherSuite, NamedGroup, SignatureScheme};
use tlstate::error::{Error, PeerIncompatible};
use tlstate::handshake::{CertifiedKey, ClientCertPolicy, ClientConfig, Fatal, ServerConfig};
use tlstate::session::{SessionCache, Ticketer};
use tlstate::stream::{Stream, accept, accept_with_client_auth, connect};

/// Bounds every blocking read on our side, so that a peer that stops
/// talking fails the test instead of hanging it.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------
// Fixture: one CA, the two server leaves and a client leaf for the whole
// file (RSA key generation is slow).

struct Fixture {
    pki: TestPki,
    p256: Leaf,
    rsa: Leaf,
    client: Leaf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let pki = TestPki::new("tlstate interop_gnutls CA");
        Fixture {
            p256: pki.leaf(KeyKind::EcdsaP256, &["localhost"]),
            rsa: pki.leaf(KeyKind::Rsa2048, &["localhost"]),
            client: pki.leaf_with(
                KeyKind::EcdsaP256,
                &["client.example"],
                LeafFlavor::ClientAuth,
            ),
            pki,
        }
    })
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

// ---------------------------------------------------------------------------
// Names on both sides.

/// A suite: ours, GnuTLS's key exchange and cipher names (for priority
/// strings and its Description line), and the server leaf it needs.
struct Suite {
    ours: CipherSuite,
    kx: &'static str,
    cipher: &'static str,
}

fn gnutls_suite(suite: CipherSuite) -> Suite {
    let (kx, cipher) = match suite {
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => ("ECDHE-ECDSA", "AES-128-GCM"),
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => ("ECDHE-ECDSA", "AES-256-GCM"),
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => {
            ("ECDHE-ECDSA", "CHACHA20-POLY1305")
        }
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => ("ECDHE-RSA", "AES-128-GCM"),
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => ("ECDHE-RSA", "AES-256-GCM"),
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => {
            ("ECDHE-RSA", "CHACHA20-POLY1305")
        }
        other => panic!("no GnuTLS name for {other:?}"),
    };
    Suite {
        ours: suite,
        kx,
        cipher,
    }
}

impl Suite {
    fn leaf(&self) -> &'static Leaf {
        let f = fixture();
        if self.kx == "ECDHE-RSA" {
            &f.rsa
        } else {
            &f.p256
        }
    }

    /// The curve of the leaf's key, for an ECDSA leaf.
    fn leaf_curve(&self) -> Option<NamedGroup> {
        (self.kx == "ECDHE-ECDSA").then_some(NamedGroup::secp256r1)
    }
}

const GROUPS: [NamedGroup; 3] = [
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
];

/// GnuTLS's name for a group, as in `+GROUP-X25519` and `(ECDHE-X25519)`.
fn gnutls_group(group: NamedGroup) -> &'static str {
    match group {
        NamedGroup::X25519 => "X25519",
        NamedGroup::secp256r1 => "SECP256R1",
        NamedGroup::secp384r1 => "SECP384R1",
        other => panic!("no GnuTLS name for {other:?}"),
    }
}

/// GnuTLS's name for the signature scheme of a TLS 1.2 ServerKeyExchange.
fn gnutls_signature(scheme: SignatureScheme) -> &'static str {
    match scheme {
        SignatureScheme::ECDSA_NISTP256_SHA256 => "ECDSA-SHA256",
        SignatureScheme::ECDSA_NISTP384_SHA384 => "ECDSA-SHA384",
        SignatureScheme::RSA_PSS_SHA256 => "RSA-PSS-RSAE-SHA256",
        SignatureScheme::RSA_PSS_SHA384 => "RSA-PSS-RSAE-SHA384",
        SignatureScheme::RSA_PKCS1_SHA256 => "RSA-SHA256",
        other => panic!("no GnuTLS name for {other:?}"),
    }
}

/// The Description line GnuTLS prints for the session in `summary`.
fn description(summary: &SessionSummary) -> String {
    let suite = gnutls_suite(summary.cipher_suite);
    format!(
        "- Description: (TLS1.2-X.509)-(ECDHE-{})-({})-({})\n",
        gnutls_group(summary.group),
        gnutls_signature(summary.signature_scheme),
        suite.cipher
    )
}

/// The groups a client forced to `group` offers: `group`, then the ECDSA
/// leaf's curve if it is another one (RFC 8422 5.1.1).
fn offered_groups(suite: &Suite, group: NamedGroup) -> Vec<NamedGroup> {
    let mut groups = vec![group];
    groups.extend(suite.leaf_curve().filter(|c| *c != group));
    groups
}

// ---------------------------------------------------------------------------
// Our client against gnutls-serv.

/// `gnutls-serv` with `leaf`, TLS 1.2, plus `args`.
fn start_gnutls_serv(leaf: &Leaf, args: &[&str]) -> GnutlsServ {
    let mut all = vec![
        "--x509certfile",
        path(&leaf.cert_path),
        "--x509keyfile",
        path(&leaf.key_path),
        "--priority",
        TLS12,
    ];
    all.extend_from_slice(args);
    GnutlsServ::start(fixture().pki.dir.path(), &all)
}

fn our_connect(
    config: Arc<ClientConfig>,
    port: u16,
) -> Result<Stream<tlstate::handshake::Client, TcpStream>, Fatal> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    connect(config, ServerName::try_from("localhost").unwrap(), tcp)
}

/// Our client sends `GET /` to `gnutls-serv --http` and reads the page to
/// its end.
fn our_get(config: Arc<ClientConfig>, port: u16) -> Result<(SessionSummary, String), Fatal> {
    let mut stream = our_connect(config, port)?;
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut page = Vec::new();
    let end = stream.read_to_end(&mut page);
    let page = String::from_utf8_lossy(&page).into_owned();
    end.unwrap_or_else(|e| {
        panic!("gnutls-serv --http ends its page with close_notify: {e}\n{page}")
    });
    Ok((stream.summary().clone(), page))
}

/// Our client, restricted to `suite` and each group in turn, against one
/// `gnutls-serv --echo`: a line each way, then close_notify each way.
fn our_client_matrix(suite: CipherSuite) {
    let suite = gnutls_suite(suite);
    let server = start_gnutls_serv(suite.leaf(), &["--echo"]);
    for (n, &group) in GROUPS.iter().enumerate() {
        let case = format!("{} / {}", suite.cipher, gnutls_group(group));
        let mut config = (*fixture().pki.client_config()).clone();
        config.cipher_suites = vec![suite.ours];
        // Exactly one group: gnutls-serv does not hold an ECDSA leaf to the
        // curves offered (see
        // `gnutls_serv_presents_ecdsa_leaf_on_curve_we_did_not_offer`).
        config.groups = vec![group];
        let mut stream = our_connect(Arc::new(config), server.port)
            .unwrap_or_else(|e| panic!("{case}: {e}\n{}", server.output()));
        let line = format!("hello from tlstate, {case}\n");
        stream.write_all(line.as_bytes()).unwrap();
        let mut echoed = String::new();
        stream.read_line(&mut echoed).unwrap();
        assert_eq!(echoed, line, "{case}");
        // Our close_notify, answered by gnutls-serv's.
        stream
            .shutdown()
            .unwrap_or_else(|e| panic!("{case}: {e}\n{}", server.output()));

        let summary = stream.summary().clone();
        assert_eq!(summary.cipher_suite, suite.ours, "{case}");
        assert_eq!(summary.group, group, "{case}");
        assert!(summary.extended_master_secret, "{case}");
        assert!(!summary.resumed, "{case}");
        let report = server.connection_report(n + 1);
        assert!(report.contains(&description(&summary)), "{case}: {report}");
        assert!(
            report.contains(&format!("- Key Exchange: {}\n", suite.kx)),
            "{case}: {report}"
        );
        assert!(
            report.contains("- Given server name[1]: localhost\n"),
            "{case}: {report}"
        );
        assert!(
            report.contains("- Options: extended master secret"),
            "{case}: {report}"
        );
    }
}

// ---------------------------------------------------------------------------
// gnutls-cli against our server.

/// What our server saw of one connection.
#[derive(Debug)]
struct Served {
    summary: SessionSummary,
    request: Vec<u8>,
    /// How reading the request ended early, if it did: `Ok(())` for the
    /// peer's close_notify, else the error our read gave.
    early_end: Option<Result<(), std::io::ErrorKind>>,
    /// How the peer ended after our close_notify: `Ok(())` for its
    /// close_notify, else the error our read gave.
    peer_end: Result<(), std::io::ErrorKind>,
}

/// What a served connection answers to a request.
type Reply = fn(&[u8]) -> Vec<u8>;

const ECHO_PREFIX: &str = "tlstate echo: ";

fn echo(request: &[u8]) -> Vec<u8> {
    [ECHO_PREFIX.as_bytes(), request].concat()
}

/// Our server on an ephemeral port for `connections` connections, one
/// after another: accept (asking for a client certificate by `policy`),
/// read a request up to `terminator` (or the peer's close_notify), answer
/// it with `reply`, send close_notify, then read once more to see how the
/// peer ends. Each connection's outcome (or handshake error) is sent back.
fn our_server(
    config: Arc<ServerConfig>,
    policy: Option<ClientCertPolicy>,
    connections: usize,
    terminator: &'static [u8],
    reply: Reply,
) -> (u16, mpsc::Receiver<Result<Served, Fatal>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for _ in 0..connections {
            let Ok((tcp, _)) = listener.accept() else {
                return;
            };
            tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            let accepted = match &policy {
                Some(policy) => accept_with_client_auth(config.clone(), policy.clone(), tcp),
                None => accept(config.clone(), tcp),
            };
            let mut stream = match accepted {
                Ok(stream) => stream,
                Err(fatal) => {
                    let _ = tx.send(Err(fatal));
                    continue;
                }
            };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            let mut early_end = None;
            while !request.ends_with(terminator) {
                match stream.read(&mut buf) {
                    Ok(0) => early_end = Some(Ok(())),
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                    Err(e) => early_end = Some(Err(e.kind())),
                }
                if early_end.is_some() {
                    break;
                }
            }
            if !request.is_empty() {
                let _ = stream.write_all(&reply(&request));
            }
            let _ = stream.close();
            let peer_end = match stream.read(&mut buf) {
                Ok(0) => Ok(()),
                Ok(_) => Err(std::io::ErrorKind::InvalidData),
                Err(e) => Err(e.kind()),
            };
            let _ = tx.send(Ok(Served {
                summary: stream.summary().clone(),
                request,
                early_end,
                peer_end,
            }));
        }
    });
    (port, rx)
}

fn served(rx: &mpsc::Receiver<Result<Served, Fatal>>, output: &str) -> Served {
    rx.recv_timeout(IO_TIMEOUT)
        .unwrap_or_else(|e| panic!("our server did not finish ({e}): {output}"))
        .unwrap_or_else(|e| panic!("our server: {e}\n{output}"))
}

/// gnutls-cli's arguments to reach our server as `localhost`, trusting
/// the test CA, with `priority`.
fn cli_args(priority: &str) -> Vec<&str> {
    let ca: &'static str = path(&fixture().pki.ca_path);
    vec![
        "--x509cafile",
        ca,
        "--sni-hostname",
        "localhost",
        "--verify-hostname",
        "localhost",
        "--priority",
        priority,
    ]
}

/// gnutls-cli restricted by priority string to `suite` and each group in
/// turn, against our server (default suites) restricted to the group: a
/// line each way, then our close_notify.
fn gnutls_client_matrix(suite: CipherSuite) {
    let suite = gnutls_suite(suite);
    for &group in &GROUPS {
        let case = format!("{} / {}", suite.cipher, gnutls_group(group));
        let mut config = (*fixture().pki.server_config(suite.leaf())).clone();
        config.groups = vec![group];
        let (port, rx) = our_server(Arc::new(config), None, 1, b"\n", echo);
        let mut priority = format!(
            "{TLS12}:-CIPHER-ALL:+{}:-KX-ALL:+{}:-GROUP-ALL",
            suite.cipher, suite.kx
        );
        for offered in offered_groups(&suite, group) {
            priority.push_str(&format!(":+GROUP-{}", gnutls_group(offered)));
        }
        let mut cli = GnutlsCli::start(port, &cli_args(&priority));
        let line = format!("hello from gnutls-cli, {case}\n");
        cli.send(line.as_bytes());
        // gnutls-cli exits on our close_notify, without answering it.
        cli.wait_for("- Peer has closed the GnuTLS connection");
        let (status, output) = cli.finish();
        let served = served(&rx, &output);
        assert!(status.success(), "{case}: {output}");
        assert_eq!(served.request, line.as_bytes(), "{case}");
        let summary = &served.summary;
        assert_eq!(summary.cipher_suite, suite.ours, "{case}");
        assert_eq!(summary.group, group, "{case}");
        assert!(summary.extended_master_secret, "{case}");
        assert_eq!(summary.server_name.as_deref(), Some("localhost"), "{case}");
        assert!(
            output.contains(&format!("{ECHO_PREFIX}{line}")),
            "{case}: {output}"
        );
        assert!(output.contains(&description(summary)), "{case}: {output}");
        assert!(
            output.contains("- Status: The certificate is trusted."),
            "{case}: {output}"
        );
        assert!(
            output.contains("- Options: extended master secret"),
            "{case}: {output}"
        );
        assert!(
            output.contains("- Peer has closed the GnuTLS connection"),
            "{case}: {output}"
        );
        // No close_notify back: gnutls-cli closes the socket (see
        // docs/connection.md), which our read after close reports as
        // truncation.
        assert_eq!(
            served.peer_end,
            Err(std::io::ErrorKind::UnexpectedEof),
            "{case}"
        );
    }
}

/// One test per suite and direction, each over every group.
macro_rules! matrix_tests {
    ($($name:ident => $suite:ident;)*) => {
        mod our_client_gnutls_server {
            use super::*;
            $(
                #[test]
                fn $name() {
                    our_client_matrix(CipherSuite::$suite);
                }
            )*
        }
        mod gnutls_client_our_server {
            use super::*;
            $(
                #[test]
                fn $name() {
                    gnutls_client_matrix(CipherSuite::$suite);
                }
            )*
        }
    };
}

matrix_tests! {
    ecdhe_ecdsa_aes128_gcm => TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    ecdhe_ecdsa_aes256_gcm => TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384;
    ecdhe_ecdsa_chacha20_poly1305 => TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256;
    ecdhe_rsa_aes128_gcm => TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    ecdhe_rsa_aes256_gcm => TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384;
    ecdhe_rsa_chacha20_poly1305 => TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256;
}

// ---------------------------------------------------------------------------
// An HTTP-like exchange each way.

/// Our client against `gnutls-serv --http`, whose page reports the session
/// it made; then GnuTLS's close_notify ends the page.
#[test]
fn our_client_gets_gnutls_serv_http_page() {
    let f = fixture();
    let server = start_gnutls_serv(&f.p256, &["--http"]);
    let (summary, page) = our_get(f.pki.client_config(), server.port).unwrap();
    assert!(page.starts_with("HTTP/1.0 200 OK\r\n"), "{page}");
    assert!(
        page.contains("<TD>Protocol version:</TD><TD>TLS1.2</TD>"),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<TD>Ciphersuite</TD><TD>{}</TD>",
            gnutls_suite_name(summary.cipher_suite)
        )),
        "{page}"
    );
    // gnutls-serv follows the client's order by default (no
    // %SERVER_PRECEDENCE in its priority string): our first suite and
    // group.
    assert_eq!(
        summary.cipher_suite,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    );
    assert_eq!(summary.group, NamedGroup::X25519);
    let line = description(&summary);
    let in_table = line
        .trim_start_matches("- Description: ")
        .trim_end_matches('\n');
    assert!(
        page.contains(&format!("<TD>Description:</TD><TD>{in_table}</TD>")),
        "{page}"
    );
    assert!(server.connection_report(1).contains(&line));
}

/// GnuTLS's name for the suite in its `--http` page.
fn gnutls_suite_name(suite: CipherSuite) -> &'static str {
    match suite {
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "ECDHE_ECDSA_AES_128_GCM_SHA256",
        other => panic!("not in this test: {other:?}"),
    }
}

fn http_page(request: &[u8]) -> Vec<u8> {
    let body = format!(
        "you asked for {}",
        String::from_utf8_lossy(request)
            .lines()
            .next()
            .unwrap_or("")
    );
    format!(
        "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// gnutls-cli sends a GET to our server, which answers with a page and
/// close_notify.
#[test]
fn gnutls_cli_gets_page_from_our_server() {
    let f = fixture();
    let (port, rx) = our_server(
        f.pki.server_config(&f.p256),
        None,
        1,
        b"\r\n\r\n",
        http_page,
    );
    let mut cli = GnutlsCli::start(port, &cli_args(TLS12));
    cli.send(b"GET /index.html HTTP/1.0\r\nHost: localhost\r\n\r\n");
    cli.wait_for("- Peer has closed the GnuTLS connection");
    let (status, output) = cli.finish();
    let served = served(&rx, &output);
    assert!(status.success(), "{output}");
    assert_eq!(
        served.request,
        b"GET /index.html HTTP/1.0\r\nHost: localhost\r\n\r\n"
    );
    assert!(
        output.contains(
            "HTTP/1.0 200 OK\r\nContent-Length: 38\r\n\r\nyou asked for GET /index.html HTTP/1.0"
        ),
        "{output}"
    );
    // Our server's order wins (ServerConfig::cipher_suites, groups): our
    // first suite and group, although GnuTLS's NORMAL puts AES-256-GCM
    // first.
    assert_eq!(
        served.summary.cipher_suite,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    );
    assert_eq!(served.summary.group, NamedGroup::X25519);
    assert!(output.contains(&description(&served.summary)), "{output}");
}

// ---------------------------------------------------------------------------
// Client certificates both ways.

fn client_policy(required: bool) -> ClientCertPolicy {
    let verifier = WebPkiClientVerifier::new(std::slice::from_ref(&fixture().pki.ca)).unwrap();
    ClientCertPolicy {
        verifier: Arc::new(verifier),
        required,
    }
}

#[test]
fn gnutls_cli_certificate_to_our_server_requiring_one() {
    let f = fixture();
    let (port, rx) = our_server(
        f.pki.server_config(&f.p256),
        Some(client_policy(true)),
        2,
        b"\n",
        echo,
    );
    let mut args = cli_args(TLS12);
    args.extend([
        "--x509certfile",
        path(&f.client.cert_path),
        "--x509keyfile",
        path(&f.client.key_path),
    ]);
    let (ok, output) = gnutls_cli(port, &args, b"");
    let served = served(&rx, &output);
    assert!(ok, "{output}");
    assert_eq!(served.summary.client_certificates[..], f.client.chain[..]);
    assert!(
        output.contains("- Successfully sent 1 certificate(s) to server."),
        "{output}"
    );
    assert!(output.contains(&description(&served.summary)), "{output}");

    // Without one: refused with handshake_failure (RFC 5246 7.4.6), which
    // gnutls-cli reports receiving.
    let (ok, output) = gnutls_cli(port, &cli_args(TLS12), b"");
    assert!(!ok, "{output}");
    let fatal = rx.recv_timeout(IO_TIMEOUT).unwrap().unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::PeerIncompatible(PeerIncompatible::ClientCertificateRequired)
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::HandshakeFailure));
    assert!(
        output.contains("- Successfully sent 0 certificate(s) to server."),
        "{output}"
    );
    assert!(output.contains("Received alert [40]"), "{output}");
}

#[test]
fn our_client_certificate_to_gnutls_serv_requiring_one() {
    let f = fixture();
    let server = start_gnutls_serv(
        &f.p256,
        &[
            "--echo",
            "--require-client-cert",
            "--verify-client-cert",
            "--x509cafile",
            path(&f.pki.ca_path),
        ],
    );
    let mut config = (*f.pki.client_config()).clone();
    config.client_certificate =
        Some(CertifiedKey::new(f.client.chain.clone(), &f.client.key).unwrap());
    let mut stream = our_connect(Arc::new(config), server.port).unwrap();
    stream.write_all(b"with a certificate\n").unwrap();
    let mut echoed = String::new();
    stream.read_line(&mut echoed).unwrap();
    assert_eq!(echoed, "with a certificate\n");
    stream.shutdown().unwrap();
    assert_eq!(stream.summary().client_certificates[..], f.client.chain[..]);
    let report = server.connection_report(1);
    assert!(report.contains("client.example"), "{report}");
    assert!(report.contains(&description(stream.summary())), "{report}");

    // Without one, gnutls-serv refuses the handshake ("No certificate was
    // found") with decode_error, not the handshake_failure RFC 5246 7.4.6
    // names: GnuTLS 3.7.9 does the same to openssl s_client and gnutls-cli.
    // Our client reports the alert it received and sends none back.
    let fatal = our_connect(f.pki.client_config(), server.port).unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::AlertReceived {
            level: AlertLevel::Fatal,
            description: AlertDescription::DecodeError,
        },
        "{}",
        server.output()
    );
    assert_eq!(fatal.alert(), None);
    let output = server.wait_for_count("Error in handshake: No certificate was found.", 1);
    assert!(
        output.contains("Error in handshake: No certificate was found."),
        "{output}"
    );
}

// ---------------------------------------------------------------------------
// Resumption both ways.

/// `gnutls-cli --resume` makes a full handshake, closes, and reconnects
/// resuming it; `config` decides whether by ticket or by session ID.
fn gnutls_cli_resumes(config: ServerConfig, extra: &[&str]) {
    let (port, rx) = our_server(Arc::new(config), None, 2, b"\n", echo);
    let mut args = cli_args(TLS12);
    args.push("--resume");
    args.extend_from_slice(extra);
    let (ok, output) = gnutls_cli(port, &args, b"");
    assert!(ok, "{output}");
    let first = served(&rx, &output);
    let second = served(&rx, &output);
    assert!(!first.summary.resumed, "{output}");
    assert!(second.summary.resumed, "{output}");
    assert_eq!(second.summary.cipher_suite, first.summary.cipher_suite);
    assert_eq!(
        output.matches("*** This is a resumed session").count(),
        1,
        "{output}"
    );
    assert!(output.contains(&description(&first.summary)), "{output}");
    // gnutls-cli ends the first connection with close_notify before it
    // reconnects, and the second when its stdin ends.
    for served in [first, second] {
        assert!(served.request.is_empty(), "{output}");
        assert_eq!(served.early_end, Some(Ok(())), "{output}");
    }
}

#[test]
fn gnutls_cli_resumes_with_our_server_by_ticket() {
    let f = fixture();
    let mut config = (*f.pki.server_config(&f.p256)).clone();
    // Tickets only: no session cache, so the resumption is by ticket.
    config.ticketer = Some(Arc::new(Ticketer::new(3600, 7200).unwrap()));
    gnutls_cli_resumes(config, &[]);
}

#[test]
fn gnutls_cli_resumes_with_our_server_by_session_id() {
    let f = fixture();
    let mut config = (*f.pki.server_config(&f.p256)).clone();
    config.session_cache = Some(Arc::new(SessionCache::new(64, 3600)));
    gnutls_cli_resumes(config, &["--noticket"]);
}

/// Our client twice against a gnutls-serv: the second connection resumes,
/// by session ID against `--noticket` with our tickets off, by ticket
/// against `--nodb` (no session cache) with them on.
#[test]
fn our_client_resumes_with_gnutls_serv_by_session_id_and_by_ticket() {
    let f = fixture();
    // Each server can resume one way only: no tickets, or no cache.
    for (tickets, only) in [(false, "--noticket"), (true, "--nodb")] {
        let server = start_gnutls_serv(&f.p256, &["--echo", only]);
        let mut config = (*f.pki.client_config()).clone();
        config.enable_tickets = tickets;
        let config = Arc::new(config);
        for resumed in [false, true] {
            let mut stream = our_connect(config.clone(), server.port).unwrap();
            stream.write_all(b"ping\n").unwrap();
            let mut echoed = String::new();
            stream.read_line(&mut echoed).unwrap();
            assert_eq!(echoed, "ping\n");
            stream.shutdown().unwrap();
            assert_eq!(stream.summary().resumed, resumed, "tickets={tickets}");
            let report = server.connection_report(1 + resumed as usize);
            assert_eq!(
                report.contains("*** This is a resumed session"),
                resumed,
                "tickets={tickets}: {report}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// ALPN both ways.

#[test]
fn alpn_with_gnutls_cli() {
    let f = fixture();
    let mut config = (*f.pki.server_config(&f.p256)).clone();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let (port, rx) = our_server(Arc::new(config), None, 2, b"\n", echo);
    // The server's preference wins (RFC 7301 3.2).
    let mut args = cli_args(TLS12);
    args.extend(["--alpn", "http/1.1", "--alpn", "h2"]);
    let (ok, output) = gnutls_cli(port, &args, b"");
    assert!(ok, "{output}");
    let served = served(&rx, &output);
    assert_eq!(served.summary.alpn_protocol.as_deref(), Some(&b"h2"[..]));
    assert!(output.contains("- Application protocol: h2\n"), "{output}");
    // Nothing in common: no_application_protocol, on the wire.
    let mut args = cli_args(TLS12);
    args.extend(["--alpn", "spdy/1"]);
    let (ok, output) = gnutls_cli(port, &args, b"");
    assert!(!ok, "{output}");
    let fatal = rx.recv_timeout(IO_TIMEOUT).unwrap().unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::PeerIncompatible(PeerIncompatible::NoApplicationProtocol)
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::NoApplicationProtocol));
    assert!(output.contains("Received alert [120]"), "{output}");
}

#[test]
fn alpn_with_gnutls_serv() {
    let f = fixture();
    let server = start_gnutls_serv(&f.p256, &["--echo", "--alpn", "http/1.1", "--alpn-fatal"]);
    let mut config = (*f.pki.client_config()).clone();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let mut stream = our_connect(Arc::new(config), server.port).unwrap();
    stream.shutdown().unwrap();
    assert_eq!(
        stream.summary().alpn_protocol.as_deref(),
        Some(&b"http/1.1"[..])
    );
    let report = server.connection_report(1);
    assert!(
        report.contains("- Application protocol: http/1.1\n"),
        "{report}"
    );
    // Nothing in common, and --alpn-fatal: gnutls-serv refuses.
    let mut config = (*f.pki.client_config()).clone();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let fatal = our_connect(Arc::new(config), server.port).unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::AlertReceived {
            level: AlertLevel::Fatal,
            description: AlertDescription::NoApplicationProtocol,
        },
        "{}",
        server.output()
    );
}

// ---------------------------------------------------------------------------
// supported_groups names ECDSA curves too (RFC 8422 5.1.1).

/// Unlike OpenSSL (`interop_openssl::openssl_refuses_ecdsa_leaf_on_curve_we_did_not_offer`),
/// gnutls-serv presents its ECDSA P-256 leaf to a client that offered only
/// X25519. RFC 8422 5.3 puts that duty on the server; our client, which can
/// verify P-256 signatures, accepts the handshake (OpenSSL's client refuses
/// it as "wrong curve").
#[test]
fn gnutls_serv_presents_ecdsa_leaf_on_curve_we_did_not_offer() {
    let f = fixture();
    let server = start_gnutls_serv(&f.p256, &["--echo"]);
    let mut config = (*f.pki.client_config()).clone();
    config.groups = vec![NamedGroup::X25519];
    let mut stream = our_connect(Arc::new(config), server.port).unwrap();
    stream.shutdown().unwrap();
    let summary = stream.summary();
    assert_eq!(summary.group, NamedGroup::X25519);
    assert_eq!(
        summary.signature_scheme,
        SignatureScheme::ECDSA_NISTP256_SHA256
    );
    let report = server.connection_report(1);
    assert!(report.contains(&description(summary)), "{report}");
}

/// Our server, offered only X25519 by gnutls-cli, does not present its
/// ECDSA P-256 leaf (RFC 8422 5.1, 5.3); with no other suite left it
/// refuses with handshake_failure, which gnutls-cli reports.
#[test]
fn our_server_refuses_ecdsa_leaf_on_curve_gnutls_cli_did_not_offer() {
    let f = fixture();
    let (port, rx) = our_server(f.pki.server_config(&f.p256), None, 1, b"\n", echo);
    let priority = format!("{TLS12}:-GROUP-ALL:+GROUP-X25519");
    let (ok, output) = gnutls_cli(port, &cli_args(&priority), b"");
    assert!(!ok, "{output}");
    let fatal = rx.recv_timeout(IO_TIMEOUT).unwrap().unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::PeerIncompatible(PeerIncompatible::NoCommonCipherSuite)
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::HandshakeFailure));
    assert!(output.contains("Received alert [40]"), "{output}");
}

// ---------------------------------------------------------------------------
// close_notify both ways (see docs/connection.md).

/// gnutls-serv answers our close_notify with its own; gnutls-cli sends
/// close_notify when its stdin ends (our read's clean end), but exits on
/// ours without answering, so a read after our close_notify sees the
/// socket close: truncation, as for any EOF before the peer's close_notify.
#[test]
fn close_notify_both_ways_with_gnutls() {
    let f = fixture();

    // Our close_notify to gnutls-serv, answered.
    let server = start_gnutls_serv(&f.p256, &["--echo"]);
    let mut stream = our_connect(f.pki.client_config(), server.port).unwrap();
    stream.write_all(b"bye\n").unwrap();
    let mut echoed = String::new();
    stream.read_line(&mut echoed).unwrap();
    assert_eq!(echoed, "bye\n");
    stream.close().unwrap();
    let mut rest = Vec::new();
    assert_eq!(stream.read_to_end(&mut rest).unwrap(), 0);
    assert!(stream.connection().peer_closed());

    let (port, rx) = our_server(f.pki.server_config(&f.p256), None, 2, b"\n", echo);
    // Our close_notify to gnutls-cli: it reports it and exits 0, unanswered.
    let mut cli = GnutlsCli::start(port, &cli_args(TLS12));
    cli.send(b"bye\n");
    cli.wait_for("- Peer has closed the GnuTLS connection");
    let (status, output) = cli.finish();
    let served_first = served(&rx, &output);
    assert!(status.success(), "{output}");
    assert!(output.contains("tlstate echo: bye\n"), "{output}");
    assert_eq!(served_first.early_end, None);
    assert_eq!(
        served_first.peer_end,
        Err(std::io::ErrorKind::UnexpectedEof)
    );

    // gnutls-cli's close_notify at the end of its stdin: our clean end.
    let (ok, output) = gnutls_cli(port, &cli_args(TLS12), b"");
    let served_second = served(&rx, &output);
    assert!(ok, "{output}");
    assert!(served_second.request.is_empty());
    assert_eq!(served_second.early_end, Some(Ok(())));
}
