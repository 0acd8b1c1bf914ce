//! TLS 1.3 client authentication (RFC 8446 4.3.2, 4.4.2, 4.4.3): our
//! server asking for a client certificate with the same
//! `ClientCertPolicy` as in TLS 1.2, against `openssl s_client -tls1_3`.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, mpsc};
use std::thread;

use common::openssl::s_client_version;
use common::{ClientAuthPki, TestPki};
use tlstate::connection::SessionSummary;
use tlstate::crypto::WebPkiClientVerifier;
use tlstate::enums::ProtocolVersion;
use tlstate::error::{Error, PeerIncompatible};
use tlstate::handshake::{ClientCertPolicy, ServerConfig};
use tlstate::stream::accept_with_client_auth;

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
        &["-servername", "localhost", "-CAfile", path(&p.pki.ca_path)],
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
