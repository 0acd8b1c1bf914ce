//! Every handshake shape against the `openssl` command line: client
//! certificates both ways (`s_server -Verify 1` / `-verify 1`,
//! `s_client -cert -key`), resumption by session ID and by ticket both ways
//! (`-reconnect`, `-sess_out`/`-sess_in`), ALPN (`-alpn`), and key logs
//! compared with `s_client -keylogfile`.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;

use common::openssl::{SServer, s_client};
use common::{ClientAuthPki, TestPki};
use rustls_pki_types::ServerName;
use tlstate::connection::SessionSummary;
use tlstate::crypto::WebPkiClientVerifier;
use tlstate::enums::AlertDescription;
use tlstate::error::{Error, PeerIncompatible};
use tlstate::handshake::{CertifiedKey, ClientCertPolicy, ClientConfig, ServerConfig};
use tlstate::keylog::KeyLogFile;
use tlstate::session::{SessionCache, Ticketer};
use tlstate::stream::{accept, accept_with_client_auth, connect};

type Pki = ClientAuthPki;

fn pki() -> Pki {
    ClientAuthPki::new("tlstate openssl shapes CA")
}

/// `openssl s_server -www` with our server certificate, plus `args`.
fn s_server_www(p: &Pki, args: &[&str]) -> SServer {
    let mut all = vec![
        "-cert",
        path(&p.server.cert_path),
        "-key",
        path(&p.server.key_path),
    ];
    all.extend_from_slice(args);
    all.push("-www");
    SServer::start(p.pki.dir.path(), &all)
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

/// Our client: GET / and the whole response, or the handshake error.
fn our_get(config: Arc<ClientConfig>, port: u16) -> Result<(SessionSummary, String), Error> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut stream = connect(config, ServerName::try_from("localhost").unwrap(), tcp)
        .map_err(|f| f.into_error())?;
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut page = Vec::new();
    // s_server -www closes after the page; its close_notify is a clean end.
    let _ = stream.read_to_end(&mut page);
    Ok((
        stream.summary().clone(),
        String::from_utf8_lossy(&page).into_owned(),
    ))
}

/// Our server: accepts `connections` connections one after another, echoes
/// what each sends until the peer closes, and reports each handshake.
fn our_server(
    config: Arc<ServerConfig>,
    policy: Option<ClientCertPolicy>,
    connections: usize,
) -> (u16, mpsc::Receiver<Result<SessionSummary, Error>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for _ in 0..connections {
            let Ok((tcp, _)) = listener.accept() else {
                return;
            };
            let accepted = match &policy {
                Some(policy) => accept_with_client_auth(config.clone(), policy.clone(), tcp),
                None => accept(config.clone(), tcp),
            };
            let mut stream = match accepted {
                Ok(stream) => stream,
                Err(fatal) => {
                    let _ = tx.send(Err(fatal.into_error()));
                    continue;
                }
            };
            let _ = tx.send(Ok(stream.summary().clone()));
            let mut buf = [0u8; 4096];
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 || stream.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            let _ = stream.close();
        }
    });
    (port, rx)
}

fn policy(pki: &TestPki, required: bool) -> ClientCertPolicy {
    let verifier = WebPkiClientVerifier::new(std::slice::from_ref(&pki.ca)).unwrap();
    ClientCertPolicy {
        verifier: Arc::new(verifier),
        required,
    }
}

fn client_with_cert(p: &Pki) -> Arc<ClientConfig> {
    let mut config = (*p.pki.client_config()).clone();
    config.client_certificate =
        Some(CertifiedKey::new(p.client.chain.clone(), &p.client.key).unwrap());
    Arc::new(config)
}

#[test]
fn our_client_certificate_satisfies_openssl_verify_required() {
    let p = pki();
    let server = s_server_www(&p, &["-CAfile", path(&p.pki.ca_path), "-Verify", "1"]);
    let (summary, page) = our_get(client_with_cert(&p), server.port).unwrap();
    assert_eq!(summary.client_certificates[..], p.client.chain[..]);
    // s_server -www prints the peer certificate it verified.
    assert!(page.contains("Client certificate"), "{page}");
    assert!(page.contains("client.example"), "{page}");
}

#[test]
fn our_client_without_certificate_passes_openssl_verify_optional() {
    let p = pki();
    let server = s_server_www(&p, &["-verify", "1"]);
    let (summary, page) = our_get(p.pki.client_config(), server.port).unwrap();
    assert!(summary.client_certificates.is_empty());
    assert!(page.contains("no client certificate available"), "{page}");
    // With a certificate configured, the optional request gets it.
    let (summary, page) = our_get(client_with_cert(&p), server.port).unwrap();
    assert_eq!(summary.client_certificates[..], p.client.chain[..]);
    assert!(page.contains("Client certificate"), "{page}");
}

#[test]
fn openssl_verify_required_refuses_our_client_without_certificate() {
    let p = pki();
    let server = s_server_www(&p, &["-Verify", "1"]);
    let error = our_get(p.pki.client_config(), server.port).unwrap_err();
    assert!(
        matches!(
            error,
            Error::AlertReceived {
                description: AlertDescription::HandshakeFailure,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn openssl_client_certificate_to_our_server_requiring_one() {
    let p = pki();
    let (port, handshakes) = our_server(
        p.pki.server_config(&p.server),
        Some(policy(&p.pki, true)),
        1,
    );
    let (ok, output) = s_client(
        port,
        &[
            "-servername",
            "localhost",
            "-CAfile",
            path(&p.pki.ca_path),
            "-verify_return_error",
            "-cert",
            path(&p.client.cert_path),
            "-key",
            path(&p.client.key_path),
        ],
        b"hello\n",
    );
    let summary = handshakes.recv().unwrap().unwrap();
    // OpenSSL sends the chain it built from -CAfile: the leaf, then the CA.
    assert_eq!(summary.client_certificates.first(), p.client.chain.first());
    assert!(ok, "{output}");
    assert!(output.contains("Verify return code: 0 (ok)"), "{output}");
}

#[test]
fn our_server_refuses_openssl_client_without_required_certificate() {
    let p = pki();
    let (port, handshakes) = our_server(
        p.pki.server_config(&p.server),
        Some(policy(&p.pki, true)),
        1,
    );
    let (_, output) = s_client(
        port,
        &["-servername", "localhost", "-CAfile", path(&p.pki.ca_path)],
        b"hello\n",
    );
    assert_eq!(
        handshakes.recv().unwrap().unwrap_err(),
        Error::PeerIncompatible(PeerIncompatible::ClientCertificateRequired)
    );
    // RFC 5246 7.4.6: handshake_failure, as OpenSSL reports it.
    assert!(output.contains("alert handshake failure"), "{output}");
}

fn reused_count(output: &str) -> usize {
    output.matches("Reused, TLSv1.2").count()
}

/// `s_client -reconnect` makes one connection and five more resuming it;
/// `config` decides whether by session ID or by ticket.
fn reconnect_resumes(config: ServerConfig, extra: &[&str], p: &Pki) {
    let (port, handshakes) = our_server(Arc::new(config), None, 6);
    let mut args = vec![
        "-servername",
        "localhost",
        "-CAfile",
        path(&p.pki.ca_path),
        "-reconnect",
    ];
    args.extend_from_slice(extra);
    let (ok, output) = s_client(port, &args, b"");
    assert!(ok, "{output}");
    assert_eq!(reused_count(&output), 5, "{output}");
    let resumed: Vec<bool> = handshakes
        .iter()
        .take(6)
        .map(|h| h.unwrap().resumed)
        .collect();
    assert_eq!(resumed, [false, true, true, true, true, true]);
}

#[test]
fn openssl_reconnect_resumes_by_session_id() {
    let p = pki();
    let mut config = (*p.pki.server_config(&p.server)).clone();
    config.session_cache = Some(Arc::new(SessionCache::new(64, 3600)));
    reconnect_resumes(config, &["-no_ticket"], &p);
}

#[test]
fn openssl_reconnect_resumes_by_ticket() {
    let p = pki();
    let mut config = (*p.pki.server_config(&p.server)).clone();
    // Tickets only: no session cache, so every resumption is by ticket.
    config.ticketer = Some(Arc::new(Ticketer::new(3600, 7200).unwrap()));
    reconnect_resumes(config, &[], &p);
}

#[test]
fn openssl_sess_in_resumes_by_ticket_and_by_session_id() {
    let p = pki();
    let mut config = (*p.pki.server_config(&p.server)).clone();
    config.ticketer = Some(Arc::new(Ticketer::new(3600, 7200).unwrap()));
    config.session_cache = Some(Arc::new(SessionCache::new(64, 3600)));
    let (port, handshakes) = our_server(Arc::new(config), None, 4);
    for (kind, extra) in [("ticket", &[][..]), ("session-id", &["-no_ticket"][..])] {
        let session = p.pki.dir.path().join(format!("{kind}.sess"));
        let mut args = vec!["-servername", "localhost", "-CAfile", path(&p.pki.ca_path)];
        args.extend_from_slice(extra);
        let (ok, first) = s_client(
            port,
            &[&args[..], &["-sess_out", path(&session)]].concat(),
            b"",
        );
        assert!(ok && first.contains("New, TLSv1.2"), "{kind}: {first}");
        let (ok, second) = s_client(
            port,
            &[&args[..], &["-sess_in", path(&session)]].concat(),
            b"",
        );
        assert!(ok && reused_count(&second) == 1, "{kind}: {second}");
        assert!(!handshakes.recv().unwrap().unwrap().resumed);
        assert!(handshakes.recv().unwrap().unwrap().resumed, "{kind}");
    }
}

/// Issue #11 item 1 on the wire, one server configuration (its ticketer
/// and session cache) behind two listeners: one asking for no client
/// certificate, one requiring one.
///
/// - A session made with `s_client -cert -sess_out` on the requiring
///   listener resumes there with `-sess_in` (a resumption sends no
///   Certificate: the session is the proof), and our summary carries the
///   client chain the session stored (before the fix: none).
/// - A session made without a certificate on the other listener is not
///   resumed on the requiring one: the full handshake follows, with its
///   CertificateRequest, and refuses the client (handshake_failure).
///
/// Tickets, then the session cache with `-no_ticket`.
#[test]
fn openssl_resumption_without_certificate_is_not_resumed_under_required_client_auth() {
    let p = pki();
    let mut config = (*p.pki.server_config(&p.server)).clone();
    config.ticketer = Some(Arc::new(Ticketer::new(3600, 7200).unwrap()));
    config.session_cache = Some(Arc::new(SessionCache::new(64, 3600)));
    let config = Arc::new(config);
    let (required, required_handshakes) = our_server(config.clone(), Some(policy(&p.pki, true)), 6);
    let (anonymous, anonymous_handshakes) = our_server(config, None, 2);
    let cert = [
        "-cert",
        path(&p.client.cert_path),
        "-key",
        path(&p.client.key_path),
    ];
    for (kind, extra) in [("ticket", &[][..]), ("session-id", &["-no_ticket"][..])] {
        let mut args = vec!["-servername", "localhost", "-CAfile", path(&p.pki.ca_path)];
        args.extend_from_slice(extra);

        let authenticated = p.pki.dir.path().join(format!("auth-{kind}.sess"));
        let (ok, first) = s_client(
            required,
            &[&args[..], &cert[..], &["-sess_out", path(&authenticated)]].concat(),
            b"",
        );
        assert!(ok && first.contains("New, TLSv1.2"), "{kind}: {first}");
        let made = required_handshakes.recv().unwrap().unwrap();
        assert!(!made.resumed);
        assert_eq!(made.client_certificates.first(), p.client.chain.first());
        let (ok, again) = s_client(
            required,
            &[&args[..], &["-sess_in", path(&authenticated)]].concat(),
            b"",
        );
        assert!(ok && reused_count(&again) == 1, "{kind}: {again}");
        let resumed = required_handshakes.recv().unwrap().unwrap();
        assert!(resumed.resumed, "{kind}");
        assert_eq!(
            resumed.client_certificates[..],
            made.client_certificates[..]
        );

        let anonymous_session = p.pki.dir.path().join(format!("anon-{kind}.sess"));
        let (ok, first) = s_client(
            anonymous,
            &[&args[..], &["-sess_out", path(&anonymous_session)]].concat(),
            b"",
        );
        assert!(ok && first.contains("New, TLSv1.2"), "{kind}: {first}");
        assert!(
            anonymous_handshakes
                .recv()
                .unwrap()
                .unwrap()
                .client_certificates
                .is_empty()
        );
        let (_, refused) = s_client(
            required,
            &[&args[..], &["-sess_in", path(&anonymous_session)]].concat(),
            b"",
        );
        assert_eq!(
            required_handshakes.recv().unwrap().unwrap_err(),
            Error::PeerIncompatible(PeerIncompatible::ClientCertificateRequired),
            "{kind}"
        );
        assert_eq!(reused_count(&refused), 0, "{kind}: {refused}");
        assert!(
            refused.contains("alert handshake failure"),
            "{kind}: {refused}"
        );
    }
}

/// Issue #11 item 2 on the wire: a session made with `-alpn h2` and
/// resumed with `-alpn http/1.1` is resumed with http/1.1 (ALPN is
/// negotiated on every handshake, RFC 7301 3.1), and without `-alpn` with
/// none.
#[test]
fn openssl_resumption_renegotiates_alpn() {
    let p = pki();
    let mut config = (*p.pki.server_config(&p.server)).clone();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config.ticketer = Some(Arc::new(Ticketer::new(3600, 7200).unwrap()));
    config.session_cache = Some(Arc::new(SessionCache::new(64, 3600)));
    let (port, handshakes) = our_server(Arc::new(config), None, 6);
    for (kind, extra) in [("ticket", &[][..]), ("session-id", &["-no_ticket"][..])] {
        let session = p.pki.dir.path().join(format!("alpn-{kind}.sess"));
        let mut args = vec!["-servername", "localhost", "-CAfile", path(&p.pki.ca_path)];
        args.extend_from_slice(extra);
        let (ok, first) = s_client(
            port,
            &[&args[..], &["-alpn", "h2", "-sess_out", path(&session)]].concat(),
            b"",
        );
        assert!(ok && first.contains("ALPN protocol: h2"), "{kind}: {first}");
        assert!(!handshakes.recv().unwrap().unwrap().resumed);
        let (ok, second) = s_client(
            port,
            &[
                &args[..],
                &["-alpn", "http/1.1", "-sess_in", path(&session)],
            ]
            .concat(),
            b"",
        );
        assert!(ok && reused_count(&second) == 1, "{kind}: {second}");
        assert!(
            second.contains("ALPN protocol: http/1.1"),
            "{kind}: {second}"
        );
        let resumed = handshakes.recv().unwrap().unwrap();
        assert!(resumed.resumed);
        assert_eq!(resumed.alpn_protocol.as_deref(), Some(&b"http/1.1"[..]));
        let (ok, third) = s_client(
            port,
            &[&args[..], &["-sess_in", path(&session)]].concat(),
            b"",
        );
        assert!(ok && reused_count(&third) == 1, "{kind}: {third}");
        assert!(third.contains("No ALPN negotiated"), "{kind}: {third}");
        let resumed = handshakes.recv().unwrap().unwrap();
        assert!(resumed.resumed);
        assert_eq!(resumed.alpn_protocol, None);
    }
}

#[test]
fn our_client_resumes_with_openssl_by_session_id_and_by_ticket() {
    let p = pki();
    let server = s_server_www(&p, &[]);
    for tickets in [false, true] {
        let mut config = (*p.pki.client_config()).clone();
        config.enable_tickets = tickets;
        let config = Arc::new(config);
        let (first, _) = our_get(config.clone(), server.port).unwrap();
        assert!(!first.resumed);
        let (second, page) = our_get(config, server.port).unwrap();
        assert!(second.resumed, "tickets={tickets}");
        assert!(
            page.contains("Reused, TLSv1.2"),
            "tickets={tickets}: {page}"
        );
    }
}

#[test]
fn alpn_with_openssl_s_client() {
    let p = pki();
    let mut config = (*p.pki.server_config(&p.server)).clone();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let (port, handshakes) = our_server(Arc::new(config), None, 2);
    let base = ["-servername", "localhost", "-CAfile", path(&p.pki.ca_path)];
    // The server's preference wins (RFC 7301 3.2).
    let (ok, output) = s_client(port, &[&base[..], &["-alpn", "http/1.1,h2"]].concat(), b"");
    assert!(ok, "{output}");
    assert!(output.contains("ALPN protocol: h2"), "{output}");
    assert_eq!(
        handshakes.recv().unwrap().unwrap().alpn_protocol.as_deref(),
        Some(&b"h2"[..])
    );
    // Nothing in common: no_application_protocol.
    let (_, output) = s_client(port, &[&base[..], &["-alpn", "spdy/1"]].concat(), b"");
    assert_eq!(
        handshakes.recv().unwrap().unwrap_err(),
        Error::PeerIncompatible(PeerIncompatible::NoApplicationProtocol)
    );
    assert!(output.contains("no application protocol"), "{output}");
}

#[test]
fn key_log_lines_match_openssl_keylogfile() {
    let p = pki();
    let ours = p.pki.dir.path().join("ours.keylog");
    let theirs = p.pki.dir.path().join("theirs.keylog");
    let mut config = (*p.pki.server_config(&p.server)).clone();
    config.key_log = Some(Arc::new(KeyLogFile::create(&ours).unwrap()));
    let (port, handshakes) = our_server(Arc::new(config), None, 1);
    let (ok, output) = s_client(
        port,
        &[
            "-servername",
            "localhost",
            "-CAfile",
            path(&p.pki.ca_path),
            "-keylogfile",
            path(&theirs),
        ],
        b"",
    );
    assert!(ok, "{output}");
    handshakes.recv().unwrap().unwrap();
    let ours = std::fs::read_to_string(ours).unwrap();
    let theirs = std::fs::read_to_string(theirs).unwrap();
    let line = ours.lines().next().expect("we logged a line");
    // The same session, seen from both ends, gives the same line:
    // `CLIENT_RANDOM <64 hex> <96 hex>`.
    let fields: Vec<&str> = line.split(' ').collect();
    assert_eq!(fields.len(), 3);
    assert_eq!(
        (fields[0], fields[1].len(), fields[2].len()),
        ("CLIENT_RANDOM", 64, 96)
    );
    assert!(
        theirs.lines().any(|l| l == line),
        "ours: {ours}\ntheirs: {theirs}"
    );
}
