//! TLS 1.3 client authentication (RFC 8446 4.3.2, 4.4.2, 4.4.3): our
//! server asking for a client certificate with the same
//! `ClientCertPolicy` as in TLS 1.2, and our client answering a
//! CertificateRequest; each against the other and against `openssl
//! s_client -tls1_3` / `s_server -tls1_3`.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, mpsc};
use std::thread;

use common::openssl::{SServer, s_client_version};
use common::{ClientAuthPki, TestPki};
use tlstate::connection::SessionSummary;
use tlstate::crypto::WebPkiClientVerifier;
use tlstate::enums::{AlertDescription, ProtocolVersion};
use tlstate::error::{Error, PeerIncompatible};
use tlstate::handshake::{CertifiedKey, ClientCertPolicy, ClientConfig, ServerConfig};
use tlstate::stream::{accept_with_client_auth, connect};

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

fn policy(pki: &TestPki, required: bool) -> ClientCertPolicy {
    let verifier = WebPkiClientVerifier::new(std::slice::from_ref(&pki.ca)).unwrap();
    ClientCertPolicy {
        verifier: Arc::new(verifier),
        required,
    }
}

fn server_config13(p: &ClientAuthPki) -> Arc<ServerConfig> {
    let mut config = (*p.pki.server_config(&p.server)).clone();
    config.versions = vec![ProtocolVersion::Tls13, ProtocolVersion::Tls12];
    Arc::new(config)
}

/// Our server asking for a client certificate: one connection, echoed
/// until the peer closes; the handshake's outcome is reported.
fn our_server(
    config: Arc<ServerConfig>,
    policy: ClientCertPolicy,
) -> (u16, mpsc::Receiver<Result<SessionSummary, Error>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let Ok((tcp, _)) = listener.accept() else {
            return;
        };
        let mut stream = match accept_with_client_auth(config, policy, tcp) {
            Ok(stream) => stream,
            Err(fatal) => {
                let _ = tx.send(Err(fatal.into_error()));
                return;
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
    });
    (port, rx)
}

#[test]
fn openssl_tls13_client_certificate_to_our_server_requiring_one() {
    let p = ClientAuthPki::new("tls13 client auth CA");
    let (port, handshakes) = our_server(server_config13(&p), policy(&p.pki, true));
    let (ok, output) = s_client_version(
        "-tls1_3",
        port,
        &[],
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
    assert_eq!(summary.protocol_version, ProtocolVersion::Tls13);
    // OpenSSL sends the chain it built from -CAfile: the leaf first.
    assert_eq!(summary.client_certificates.first(), p.client.chain.first());
    assert!(ok, "{output}");
    assert!(output.contains("Verify return code: 0 (ok)"), "{output}");
}

#[test]
fn openssl_tls13_client_without_certificate_gets_certificate_required() {
    let p = ClientAuthPki::new("tls13 client auth CA");
    let (port, handshakes) = our_server(server_config13(&p), policy(&p.pki, true));
    let (_, output) = s_client_version(
        "-tls1_3",
        port,
        &[],
        // -ign_eof: s_client keeps reading after its stdin ends, so it
        // reports the alert that follows its Finished.
        &[
            "-servername",
            "localhost",
            "-CAfile",
            path(&p.pki.ca_path),
            "-ign_eof",
        ],
        b"hello\n",
    );
    assert_eq!(
        handshakes.recv().unwrap().unwrap_err(),
        Error::PeerIncompatible(PeerIncompatible::ClientCertificateRequired13)
    );
    // RFC 8446 6.2: certificate_required(116), as OpenSSL names it.
    assert!(output.contains("alert certificate required"), "{output}");
}

#[test]
fn openssl_tls13_client_without_certificate_allowed_by_optional_policy() {
    let p = ClientAuthPki::new("tls13 client auth CA");
    let (port, handshakes) = our_server(server_config13(&p), policy(&p.pki, false));
    let (ok, output) = s_client_version(
        "-tls1_3",
        port,
        &[],
        &["-servername", "localhost", "-CAfile", path(&p.pki.ca_path)],
        b"hello\n",
    );
    let summary = handshakes.recv().unwrap().unwrap();
    assert_eq!(summary.protocol_version, ProtocolVersion::Tls13);
    assert!(summary.client_certificates.is_empty());
    assert!(ok, "{output}");
}

fn client_config13(p: &ClientAuthPki, certificate: Option<&common::Leaf>) -> Arc<ClientConfig> {
    let mut config = (*p.pki.client_config()).clone();
    config.versions = vec![ProtocolVersion::Tls13, ProtocolVersion::Tls12];
    config.client_certificate =
        certificate.map(|leaf| CertifiedKey::new(leaf.chain.clone(), &leaf.key).unwrap());
    Arc::new(config)
}

/// Our client against our server: the client's summary (or error) and the
/// server's.
fn ours(
    p: &ClientAuthPki,
    certificate: Option<&common::Leaf>,
    required: bool,
) -> (Result<SessionSummary, Error>, Result<SessionSummary, Error>) {
    let (port, handshakes) = our_server(server_config13(p), policy(&p.pki, required));
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let client = connect(
        client_config13(p, certificate),
        "localhost".try_into().unwrap(),
        tcp,
    )
    .map_err(|fatal| fatal.into_error())
    .and_then(|mut stream| {
        // In TLS 1.3 the client's handshake ends with its own Finished
        // (RFC 8446 4.4.4): the server's verdict on its Certificate comes
        // after, so it is read here. Our server echoes on success.
        let summary = stream.summary().clone();
        stream.write_all(b"ping").map_err(|e| inner(&e))?;
        let mut echo = [0u8; 4];
        stream.read_exact(&mut echo).map_err(|e| inner(&e))?;
        assert_eq!(&echo, b"ping");
        Ok(summary)
    });
    (client, handshakes.recv().unwrap())
}

fn inner(error: &std::io::Error) -> Error {
    error
        .get_ref()
        .and_then(|e| e.downcast_ref::<Error>())
        .cloned()
        .unwrap_or_else(|| panic!("not a TLS error: {error}"))
}

#[test]
fn our_client_certificate_to_our_server_tls13() {
    let p = ClientAuthPki::new("tls13 client auth CA");
    let (client, server) = ours(&p, Some(&p.client), true);
    let (client, server) = (client.unwrap(), server.unwrap());
    assert_eq!(client.protocol_version, ProtocolVersion::Tls13);
    assert_eq!(server.protocol_version, ProtocolVersion::Tls13);
    assert_eq!(server.client_certificates[..], p.client.chain[..]);
    assert_eq!(client.client_certificates[..], p.client.chain[..]);
}

#[test]
fn our_client_empty_certificate_allowed_by_optional_policy_tls13() {
    let p = ClientAuthPki::new("tls13 client auth CA");
    let (client, server) = ours(&p, None, false);
    let (client, server) = (client.unwrap(), server.unwrap());
    assert_eq!(server.protocol_version, ProtocolVersion::Tls13);
    assert!(server.client_certificates.is_empty());
    assert!(client.client_certificates.is_empty());
}

#[test]
fn our_client_empty_certificate_refused_with_certificate_required_tls13() {
    let p = ClientAuthPki::new("tls13 client auth CA");
    let (client, server) = ours(&p, None, true);
    assert_eq!(
        server.unwrap_err(),
        Error::PeerIncompatible(PeerIncompatible::ClientCertificateRequired13)
    );
    // On the wire: certificate_required(116), RFC 8446 6.2.
    assert!(matches!(
        client.unwrap_err(),
        Error::AlertReceived {
            description: AlertDescription::CertificateRequired,
            ..
        }
    ));
}

#[test]
fn our_client_chain_the_verifier_rejects_gets_its_alert_tls13() {
    let p = ClientAuthPki::new("tls13 client auth CA");
    let stranger = ClientAuthPki::new("another CA");
    let (client, server) = ours(&p, Some(&stranger.client), true);
    let server = server.unwrap_err();
    assert_eq!(
        server,
        Error::Certificate(tlstate::error::CertificateError::UnknownIssuer)
    );
    let client = client.unwrap_err();
    assert!(
        matches!(
            client,
            Error::AlertReceived {
                description: AlertDescription::UnknownCa,
                ..
            }
        ),
        "{client:?}"
    );
}

#[test]
fn our_client_certificate_to_openssl_s_server_tls13_verify_required() {
    let p = ClientAuthPki::new("tls13 client auth CA");
    let server = SServer::start_version(
        p.pki.dir.path(),
        "-tls1_3",
        &[],
        &[
            "-www",
            "-cert",
            path(&p.server.cert_path),
            "-key",
            path(&p.server.key_path),
            "-CAfile",
            path(&p.pki.ca_path),
            "-Verify",
            "1",
        ],
    );
    let tcp = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let mut stream = connect(
        client_config13(&p, Some(&p.client)),
        "localhost".try_into().unwrap(),
        tcp,
    )
    .unwrap();
    assert_eq!(stream.summary().protocol_version, ProtocolVersion::Tls13);
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut page = Vec::new();
    let _ = stream.read_to_end(&mut page);
    let page = String::from_utf8_lossy(&page);
    // s_server -www prints the client certificate it verified.
    assert!(page.contains("Client certificate"), "{page}");
    assert!(page.contains("client.example"), "{page}");
}
