//! Interop with the OpenSSL 3 command line as an independent peer, over real
//! TCP loopback sockets: `openssl s_server` for our client and
//! `openssl s_client` for our server, each a child process killed when the
//! test ends.
//!
//! The matrix covers every suite this crate implements against every group,
//! in both directions, with ECDSA P-256 and P-384 server certificates for
//! the ECDSA suites and RSA-2048 for the RSA suites. The OpenSSL side is
//! restricted to exactly one suite (`-cipher`) per case, and each side that
//! chooses the ECDHE group (s_server's `-groups`, our server's `groups`) to
//! exactly one group; our side keeps its default suites, so it has to
//! negotiate its way to OpenSSL's single choice. The client offers the
//! forced group plus, for an ECDSA leaf on another curve, that curve: in
//! TLS 1.2 supported_groups also names the curves the client accepts ECDSA
//! certificates on (RFC 8422 5.1.1), and OpenSSL enforces it both as server
//! and as client (the last two tests).
//!
//! The negative cases (a certificate for another name, from another CA, or
//! expired) assert the specific error and alert on our side, and that the
//! alert crossed the wire: s_server logs `... alert <name> ... SSL alert
//! number <n>` when it receives one.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, OnceLock, mpsc};
use std::thread;
use std::time::Duration;

use common::openssl::{SServer, s_client};
use common::{KeyKind, Leaf, LeafFlavor, TestPki, server_key_kinds};
use rustls_pki_types::ServerName;
use tlstate::connection::SessionSummary;
use tlstate::enums::{AlertDescription, AlertLevel, CipherSuite, NamedGroup};
use tlstate::error::{CertificateError, Error, PeerIncompatible};
use tlstate::handshake::{ClientConfig, Fatal, ServerConfig};
use tlstate::stream::{accept, connect};

/// Bounds every blocking read on our side, so that a peer that stops
/// talking fails the test instead of hanging it.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------
// Fixture: one CA and one leaf per key kind for the whole file (RSA key
// generation is slow).

struct Fixture {
    pki: TestPki,
    p256: Leaf,
    p384: Leaf,
    rsa: Leaf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let pki = TestPki::new("tlstate interop_openssl CA");
        Fixture {
            p256: pki.leaf(KeyKind::EcdsaP256, &["localhost"]),
            p384: pki.leaf(KeyKind::EcdsaP384, &["localhost"]),
            rsa: pki.leaf(KeyKind::Rsa2048, &["localhost"]),
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

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

// ---------------------------------------------------------------------------
// Names on both sides.

/// OpenSSL's name for each suite.
fn openssl_suite(suite: CipherSuite) -> &'static str {
    match suite {
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "ECDHE-ECDSA-AES128-GCM-SHA256",
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => "ECDHE-ECDSA-AES256-GCM-SHA384",
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => {
            "ECDHE-ECDSA-CHACHA20-POLY1305"
        }
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => "ECDHE-RSA-AES128-GCM-SHA256",
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => "ECDHE-RSA-AES256-GCM-SHA384",
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-RSA-CHACHA20-POLY1305",
        other => panic!("no OpenSSL name for {other:?}"),
    }
}

/// A group: ours, the `-groups` argument, how s_client reports the
/// server's ephemeral key for it, and how the s_server -www page reports
/// it as the only group both sides support.
struct Group {
    ours: NamedGroup,
    arg: &'static str,
    temp_key: &'static str,
    shared: &'static str,
}

const GROUPS: [Group; 3] = [
    Group {
        ours: NamedGroup::X25519,
        arg: "X25519",
        shared: "Shared groups: x25519\n",
        temp_key: "Server Temp Key: X25519, 253 bits",
    },
    Group {
        ours: NamedGroup::secp256r1,
        arg: "P-256",
        shared: "Shared groups: secp256r1\n",
        temp_key: "Server Temp Key: ECDH, prime256v1, 256 bits",
    },
    Group {
        ours: NamedGroup::secp384r1,
        arg: "P-384",
        shared: "Shared groups: secp384r1\n",
        temp_key: "Server Temp Key: ECDH, secp384r1, 384 bits",
    },
];

/// The curve of an ECDSA leaf's key, as a group.
fn leaf_curve(kind: KeyKind) -> Option<NamedGroup> {
    match kind {
        KeyKind::EcdsaP256 => Some(NamedGroup::secp256r1),
        KeyKind::EcdsaP384 => Some(NamedGroup::secp384r1),
        KeyKind::Rsa2048 => None,
    }
}

// ---------------------------------------------------------------------------
// Our client against `openssl s_server -www`.

/// Starts `s_server -www` with `leaf`, exactly `suite` and exactly `group`.
fn start_s_server(dir: &std::path::Path, leaf: &Leaf, suite: &str, group: &str) -> SServer {
    SServer::start(
        dir,
        &[
            "-cert",
            path(&leaf.cert_path),
            "-key",
            path(&leaf.key_path),
            "-cipher",
            suite,
            "-groups",
            group,
            "-www",
        ],
    )
}

/// Connects our client, sends `GET /` and reads the whole page, which must
/// end in s_server's close_notify.
fn our_get(config: Arc<ClientConfig>, port: u16) -> Result<(SessionSummary, String), Fatal> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut stream = connect(config, ServerName::try_from("localhost").unwrap(), tcp)?;
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut page = Vec::new();
    stream
        .read_to_end(&mut page)
        .expect("s_server -www ends its page with close_notify");
    Ok((
        stream.summary().clone(),
        String::from_utf8_lossy(&page).into_owned(),
    ))
}

/// Our client against s_server for each of `suite`'s groups, with the leaf
/// of `kind`.
fn our_client_matrix(suite: CipherSuite, kind: KeyKind) {
    let f = fixture();
    let leaf = f.leaf(kind);
    let name = openssl_suite(suite);
    for group in &GROUPS {
        let case = format!("{name} / {} / {kind:?}", group.arg);
        let server = start_s_server(f.pki.dir.path(), leaf, name, group.arg);
        let mut config = (*f.pki.client_config()).clone();
        // In TLS 1.2 supported_groups also names the curves the client can
        // verify ECDSA signatures on (RFC 8422 5.1.1), and OpenSSL refuses
        // an ECDSA certificate on a curve the client did not list (see
        // `openssl_refuses_ecdsa_leaf_on_curve_we_did_not_offer`). So we
        // offer the forced group and the leaf's curve; s_server's
        // `-groups` still leaves it exactly one ECDHE group to choose.
        config.groups = vec![group.ours];
        if let Some(curve) = leaf_curve(kind).filter(|c| *c != group.ours) {
            config.groups.push(curve);
        }
        let (summary, page) = our_get(Arc::new(config), server.port)
            .unwrap_or_else(|e| panic!("{case}: {e}\n{}", server.output()));
        assert_eq!(summary.cipher_suite, suite, "{case}");
        assert_eq!(summary.group, group.ours, "{case}");
        assert!(summary.extended_master_secret, "{case}");
        assert!(!summary.resumed, "{case}");
        // The page is s_server's own report of the session it made.
        assert!(page.starts_with("HTTP/1.0 200 ok\r\n"), "{case}: {page}");
        assert!(
            page.contains(&format!("New, TLSv1.2, Cipher is {name}\n")),
            "{case}: {page}"
        );
        assert!(page.contains("Protocol  : TLSv1.2\n"), "{case}: {page}");
        assert!(page.contains(group.shared), "{case}: {page}");
        assert!(
            page.contains("Extended master secret: yes"),
            "{case}: {page}"
        );
    }
}

// ---------------------------------------------------------------------------
// `openssl s_client` against our server.

/// What our server saw of one connection.
struct Served {
    summary: SessionSummary,
    request: Vec<u8>,
}

/// How serving one connection failed.
#[derive(Debug)]
enum ServeError {
    /// The handshake failed (its alert has been sent).
    Handshake(Fatal),
    /// Something after the handshake failed.
    Io(String),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Handshake(fatal) => write!(f, "handshake: {fatal}"),
            Self::Io(why) => f.write_str(why),
        }
    }
}

const ECHO_PREFIX: &[u8] = b"tlstate echo: ";

/// Our server on an ephemeral port, for one connection: accept, read one
/// line, answer it with [`ECHO_PREFIX`] in front, send close_notify, then
/// read until s_client goes away (so our socket never resets the reply).
fn serve_one(config: Arc<ServerConfig>) -> (u16, mpsc::Receiver<Result<Served, ServeError>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let result = (|| {
            let io = |what: &str, e: std::io::Error| ServeError::Io(format!("{what}: {e}"));
            let (tcp, _) = listener.accept().map_err(|e| io("accept", e))?;
            tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            let mut stream = accept(config, tcp).map_err(ServeError::Handshake)?;
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.contains(&b'\n') {
                match stream.read(&mut buf) {
                    Ok(0) => return Err(ServeError::Io("close_notify before a line".into())),
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                    Err(e) => return Err(io("read", e)),
                }
            }
            let mut reply = ECHO_PREFIX.to_vec();
            reply.extend_from_slice(&request);
            stream.write_all(&reply).map_err(|e| io("write", e))?;
            stream.close().map_err(|e| io("close", e))?;
            // s_client answers with its own close_notify and exits; either
            // way the connection is over, so the outcome does not matter.
            let _ = stream.read(&mut buf);
            Ok(Served {
                summary: stream.summary().clone(),
                request,
            })
        })();
        let _ = tx.send(result);
    });
    (port, rx)
}

/// The `-groups` argument for one group.
fn group_arg(group: NamedGroup) -> &'static str {
    GROUPS.iter().find(|g| g.ours == group).unwrap().arg
}

/// s_client with exactly `suite` against our server (default suites) with
/// the leaf of `kind`, for each group. Our server is restricted to the
/// group; s_client offers it and, for an ECDSA leaf on another curve, that
/// curve too, which RFC 8422 5.1.1 requires for the certificate to be
/// usable (see `our_server_refuses_ecdsa_leaf_on_curve_openssl_did_not_offer`).
fn openssl_client_matrix(suite: CipherSuite, kind: KeyKind) {
    let f = fixture();
    let name = openssl_suite(suite);
    for group in &GROUPS {
        let case = format!("{name} / {} / {kind:?}", group.arg);
        let mut config = (*f.pki.server_config(f.leaf(kind))).clone();
        config.groups = vec![group.ours];
        let (port, served) = serve_one(Arc::new(config));
        let mut groups = group.arg.to_string();
        if let Some(curve) = leaf_curve(kind).filter(|c| *c != group.ours) {
            groups = format!("{groups}:{}", group_arg(curve));
        }
        let line = format!("hello from s_client, {case}\n");
        let (ok, output) = s_client(
            port,
            &[
                "-servername",
                "localhost",
                "-CAfile",
                path(&f.pki.ca_path),
                "-verify_return_error",
                "-cipher",
                name,
                "-groups",
                &groups,
                // Keep reading after stdin ends, until our close_notify.
                "-ign_eof",
            ],
            line.as_bytes(),
        );
        let served = served
            .recv_timeout(IO_TIMEOUT)
            .unwrap_or_else(|e| panic!("{case}: our server did not finish ({e}): {output}"))
            .unwrap_or_else(|e| panic!("{case}: our server: {e}\n{output}"));
        assert!(ok, "{case}: s_client failed: {output}");
        assert_eq!(served.request, line.as_bytes(), "{case}");
        assert_eq!(served.summary.cipher_suite, suite, "{case}");
        assert_eq!(served.summary.group, group.ours, "{case}");
        assert!(served.summary.extended_master_secret, "{case}");
        assert_eq!(
            served.summary.server_name.as_deref(),
            Some("localhost"),
            "{case}"
        );
        let echoed = format!("{}{line}", String::from_utf8_lossy(ECHO_PREFIX));
        assert!(output.contains(&echoed), "{case}: {output}");
        assert!(
            output.contains("Verify return code: 0 (ok)"),
            "{case}: {output}"
        );
        assert!(
            output.contains(&format!("New, TLSv1.2, Cipher is {name}\n")),
            "{case}: {output}"
        );
        assert!(output.contains("Protocol  : TLSv1.2\n"), "{case}: {output}");
        assert!(output.contains(group.temp_key), "{case}: {output}");
        assert!(
            output.contains("Extended master secret: yes"),
            "{case}: {output}"
        );
    }
}

/// One test per suite and direction, each over every server key kind the
/// suite allows and every group.
macro_rules! matrix_tests {
    ($($name:ident => $suite:ident;)*) => {
        mod our_client_openssl_server {
            use super::*;
            $(
                #[test]
                fn $name() {
                    for &kind in server_key_kinds(CipherSuite::$suite) {
                        our_client_matrix(CipherSuite::$suite, kind);
                    }
                }
            )*
        }
        mod openssl_client_our_server {
            use super::*;
            $(
                #[test]
                fn $name() {
                    for &kind in server_key_kinds(CipherSuite::$suite) {
                        openssl_client_matrix(CipherSuite::$suite, kind);
                    }
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
// Certificates our client must refuse, each alert checked on the wire.

/// Our client (trusting `trusting`'s CA) against s_server serving `leaf`:
/// the handshake must fail with `expected`, the fatal alert must be
/// `alert`, and s_server must log that alert as received.
fn refused_by_our_client(
    trusting: &TestPki,
    leaf: &Leaf,
    expected: CertificateError,
    alert: AlertDescription,
    openssl_alert: &str,
) {
    let server = SServer::start(
        trusting.dir.path(),
        &[
            "-cert",
            path(&leaf.cert_path),
            "-key",
            path(&leaf.key_path),
            "-www",
        ],
    );
    let fatal = our_get(trusting.client_config(), server.port)
        .map(|(summary, _)| summary)
        .expect_err("the handshake must fail");
    assert_eq!(fatal.error(), &Error::Certificate(expected));
    assert_eq!(fatal.alert(), Some(alert));
    // What OpenSSL 3.0 logs for a received fatal alert, e.g.
    // `...:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:
    // ../ssl/record/rec_layer_s3.c:1601:SSL alert number 42`.
    let number = format!("SSL alert number {}", alert.to_wire());
    let output = server.wait_for_output(&number);
    assert!(output.contains(&number), "{output}");
    assert!(
        output.contains(&format!("alert {openssl_alert}:")),
        "{output}"
    );
}

#[test]
fn our_client_refuses_openssl_server_leaf_for_another_name() {
    let f = fixture();
    let leaf = f.pki.leaf(KeyKind::EcdsaP256, &["example.com"]);
    refused_by_our_client(
        &f.pki,
        &leaf,
        CertificateError::NotValidForName,
        AlertDescription::BadCertificate,
        "bad certificate",
    );
}

#[test]
fn our_client_refuses_openssl_server_leaf_from_another_ca() {
    let f = fixture();
    let stranger = TestPki::new("tlstate interop_openssl stranger CA");
    let leaf = stranger.leaf(KeyKind::EcdsaP256, &["localhost"]);
    refused_by_our_client(
        &f.pki,
        &leaf,
        CertificateError::UnknownIssuer,
        AlertDescription::UnknownCa,
        "unknown ca",
    );
}

#[test]
fn our_client_refuses_openssl_server_expired_leaf() {
    let f = fixture();
    let leaf = f
        .pki
        .leaf_with(KeyKind::EcdsaP256, &["localhost"], LeafFlavor::Expired);
    refused_by_our_client(
        &f.pki,
        &leaf,
        CertificateError::Expired,
        AlertDescription::CertificateExpired,
        "certificate expired",
    );
}

// ---------------------------------------------------------------------------
// supported_groups names ECDSA curves too.

/// In TLS 1.2 the client's supported_groups also lists the curves it can
/// verify ECDSA signatures on (RFC 8422 5.1.1), and OpenSSL as a server
/// will not present an ECDSA certificate on a curve the client left out. A
/// client configured with `groups = [X25519]` therefore cannot reach an
/// OpenSSL server whose leaf is ECDSA P-256: s_server finds no usable suite
/// and sends handshake_failure.
#[test]
fn openssl_refuses_ecdsa_leaf_on_curve_we_did_not_offer() {
    let f = fixture();
    let server = start_s_server(
        f.pki.dir.path(),
        &f.p256,
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "X25519",
    );
    let mut config = (*f.pki.client_config()).clone();
    config.groups = vec![NamedGroup::X25519];
    let fatal = our_get(Arc::new(config), server.port)
        .map(|(summary, _)| summary)
        .expect_err("s_server must refuse");
    assert_eq!(
        fatal.error(),
        &Error::AlertReceived {
            level: AlertLevel::Fatal,
            description: AlertDescription::HandshakeFailure,
        }
    );
    // No alert of ours: the peer's alert ended the connection.
    assert_eq!(fatal.alert(), None);
    let output = server.wait_for_output("no shared cipher");
    assert!(output.contains("no shared cipher"), "{output}");
}

/// The mirror image, on our server: offered only X25519 by s_client, it
/// must not present its ECDSA P-256 leaf (RFC 8422 5.1: a server "MUST NOT
/// negotiate the use of an ECC cipher suite unless [it] can complete the
/// handshake while respecting the choice of curves specified by the
/// client"; 5.3: the certificate's key "MUST use a curve ... supported by
/// the client"). With no other suite left it must refuse with
/// handshake_failure, as s_server does above.
#[test]
fn our_server_refuses_ecdsa_leaf_on_curve_openssl_did_not_offer() {
    let f = fixture();
    let (port, served) = serve_one(f.pki.server_config(&f.p256));
    let (ok, output) = s_client(
        port,
        &[
            "-servername",
            "localhost",
            "-CAfile",
            path(&f.pki.ca_path),
            "-verify_return_error",
            "-cipher",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "-groups",
            "X25519",
        ],
        b"",
    );
    assert!(!ok, "{output}");
    let error = match served.recv_timeout(IO_TIMEOUT) {
        Ok(Err(ServeError::Handshake(fatal))) => fatal,
        Ok(Err(e)) => panic!("{e}\n{output}"),
        Ok(Ok(_)) => panic!("handshake succeeded\n{output}"),
        Err(e) => panic!("our server did not finish ({e}): {output}"),
    };
    assert_eq!(
        error.error(),
        &Error::PeerIncompatible(PeerIncompatible::NoCommonCipherSuite),
        "{output}"
    );
    assert_eq!(error.alert(), Some(AlertDescription::HandshakeFailure));
    assert!(output.contains("alert handshake failure:"), "{output}");
    assert!(output.contains("SSL alert number 40"), "{output}");
}
