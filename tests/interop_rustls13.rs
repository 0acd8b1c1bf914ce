//! TLS 1.3 against rustls 0.23 (ring provider) over loopback TCP, the
//! shapes the other rustls tests leave out: our client answering rustls's
//! HelloRetryRequest, and client authentication both ways (with a
//! certificate, and without one under a server that requires it).

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::ClientAuthPki;
use rustls::RootCertStore;
use rustls::crypto::ring as rring;
use rustls_pki_types::ServerName;
use tlstate::crypto::WebPkiClientVerifier;
use tlstate::enums::{AlertDescription, NamedGroup, ProtocolVersion};
use tlstate::error::{Error, PeerIncompatible};
use tlstate::handshake::{CertifiedKey, ClientCertPolicy, ClientConfig, ServerConfig};
use tlstate::stream::{accept_with_client_auth, connect};

const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn pki() -> &'static ClientAuthPki {
    static PKI: std::sync::OnceLock<ClientAuthPki> = std::sync::OnceLock::new();
    PKI.get_or_init(|| ClientAuthPki::new("tlstate rustls 1.3 CA"))
}

fn roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    roots.add(pki().pki.ca.clone()).unwrap();
    roots
}

fn provider(
    groups: Option<Vec<&'static dyn rustls::crypto::SupportedKxGroup>>,
) -> Arc<rustls::crypto::CryptoProvider> {
    let mut provider = rring::default_provider();
    if let Some(groups) = groups {
        provider.kx_groups = groups;
    }
    Arc::new(provider)
}

/// Our TLS 1.3-only client, with a client certificate or not.
fn our_client_config(with_certificate: bool) -> Arc<ClientConfig> {
    let p = pki();
    let mut config = (*p.pki.client_config()).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    if with_certificate {
        config.client_certificate =
            Some(CertifiedKey::new(p.client.chain.clone(), &p.client.key).unwrap());
    }
    Arc::new(config)
}

/// A rustls TLS 1.3 server on a thread: it reads five bytes, answers
/// "world" and closes; returns the client chain it saw, or its error.
fn rustls_server(
    config: rustls::ServerConfig,
) -> (
    std::net::SocketAddr,
    thread::JoinHandle<Result<Vec<rustls_pki_types::CertificateDer<'static>>, String>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut got = [0u8; 5];
        tls.read_exact(&mut got).map_err(|e| e.to_string())?;
        assert_eq!(&got, b"hello");
        tls.write_all(b"world").map_err(|e| e.to_string())?;
        tls.conn.send_close_notify();
        tls.flush().map_err(|e| e.to_string())?;
        Ok(tls
            .conn
            .peer_certificates()
            .map(<[_]>::to_vec)
            .unwrap_or_default())
    });
    (addr, server)
}

fn rustls_server_config(
    groups: Option<Vec<&'static dyn rustls::crypto::SupportedKxGroup>>,
    client_auth: bool,
) -> rustls::ServerConfig {
    let p = pki();
    let builder = rustls::ServerConfig::builder_with_provider(provider(groups.clone()))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap();
    let builder = if client_auth {
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots()),
            provider(groups),
        )
        .build()
        .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    builder
        .with_single_cert(p.server.chain.clone(), p.server.key.clone_key())
        .unwrap()
}

/// Our client says hello, reads to the end; returns its summary's group.
fn our_client_exchange(
    config: Arc<ClientConfig>,
    addr: std::net::SocketAddr,
) -> Result<NamedGroup, std::io::Error> {
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut stream = connect(config, ServerName::try_from("localhost").unwrap(), tcp)
        .map_err(|fatal| std::io::Error::other(fatal.into_error()))?;
    assert_eq!(stream.summary().protocol_version, ProtocolVersion::Tls13);
    let group = stream.summary().group;
    stream.write_all(b"hello")?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    assert_eq!(answer, b"world");
    Ok(group)
}

/// Our client shares only its first group, x25519; a rustls server that
/// takes secp384r1 alone must ask again (HelloRetryRequest), and the
/// handshake ends on secp384r1.
#[test]
fn our_client_answers_a_rustls_hello_retry_request() {
    let config = our_client_config(false);
    assert_eq!(config.groups.first(), Some(&NamedGroup::X25519));
    assert!(config.groups.contains(&NamedGroup::secp384r1));
    let (addr, server) = rustls_server(rustls_server_config(
        Some(vec![rring::kx_group::SECP384R1]),
        false,
    ));
    let group = our_client_exchange(config, addr).expect("handshake after the retry");
    assert_eq!(group, NamedGroup::secp384r1);
    server.join().unwrap().unwrap();
}

#[test]
fn our_client_certificate_to_a_rustls_server_requiring_one() {
    let (addr, server) = rustls_server(rustls_server_config(None, true));
    our_client_exchange(our_client_config(true), addr).expect("client-auth handshake");
    let seen = server.join().unwrap().unwrap();
    assert_eq!(seen, pki().client.chain, "rustls saw our client chain");
}

/// rustls requires a certificate; our client has none and sends an empty
/// Certificate: rustls refuses with certificate_required (RFC 8446 4.4.2.4),
/// which our client reads after its own Finished.
#[test]
fn our_client_without_certificate_is_refused_by_rustls_with_certificate_required() {
    let (addr, server) = rustls_server(rustls_server_config(None, true));
    let err = our_client_exchange(our_client_config(false), addr).expect_err("refused");
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<Error>())
        .cloned()
        .unwrap_or_else(|| panic!("not our error: {err:?}"));
    assert!(
        matches!(
            inner,
            Error::AlertReceived {
                description: AlertDescription::CertificateRequired,
                ..
            }
        ),
        "{inner:?}"
    );
    let server_error = server.join().unwrap().unwrap_err();
    assert!(server_error.contains("certificate"), "{server_error}");
}

/// Our server requiring a client certificate, on a thread: the summary's
/// client chain, or its error.
fn our_server(
    required: bool,
) -> (
    std::net::SocketAddr,
    thread::JoinHandle<Result<Vec<rustls_pki_types::CertificateDer<'static>>, Error>>,
) {
    let p = pki();
    let mut config: ServerConfig = (*p.pki.server_config(&p.server)).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    let policy = ClientCertPolicy {
        verifier: Arc::new(WebPkiClientVerifier::new(std::slice::from_ref(&p.pki.ca)).unwrap()),
        required,
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let mut stream =
            accept_with_client_auth(Arc::new(config), policy, tcp).map_err(|f| f.into_error())?;
        let chain = stream.summary().client_certificates.to_vec();
        let mut got = [0u8; 5];
        stream.read_exact(&mut got).unwrap();
        stream.write_all(b"world").unwrap();
        stream.close().unwrap();
        Ok(chain)
    });
    (addr, server)
}

/// A rustls client (TLS 1.3 only, with or without a certificate): says
/// hello, reads to the end.
fn rustls_client(
    addr: std::net::SocketAddr,
    with_certificate: bool,
) -> Result<Vec<u8>, std::io::Error> {
    let p = pki();
    let builder = rustls::ClientConfig::builder_with_provider(provider(None))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots());
    let config = if with_certificate {
        builder
            .with_client_auth_cert(p.client.chain.clone(), p.client.key.clone_key())
            .unwrap()
    } else {
        builder.with_no_client_auth()
    };
    let conn =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"hello")?;
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer)?;
    Ok(answer)
}

#[test]
fn rustls_client_certificate_to_our_server_requiring_one() {
    let (addr, server) = our_server(true);
    assert_eq!(rustls_client(addr, true).unwrap(), b"world");
    let chain = server.join().unwrap().expect("our server's handshake");
    assert_eq!(chain, pki().client.chain);
}

/// Without a certificate under a required policy, our server refuses with
/// certificate_required (RFC 8446 6.2), which rustls reports.
#[test]
fn rustls_client_without_certificate_gets_certificate_required() {
    let (addr, server) = our_server(true);
    let err = rustls_client(addr, false).expect_err("refused");
    let rustls_error = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
        .cloned();
    assert_eq!(
        rustls_error,
        Some(rustls::Error::AlertReceived(
            rustls::AlertDescription::CertificateRequired
        )),
        "{err:?}"
    );
    assert_eq!(
        server.join().unwrap().unwrap_err(),
        Error::PeerIncompatible(PeerIncompatible::ClientCertificateRequired13)
    );
}

/// Under an optional policy the same client gets in, anonymously.
#[test]
fn rustls_client_without_certificate_gets_in_under_an_optional_policy() {
    let (addr, server) = our_server(false);
    assert_eq!(rustls_client(addr, false).unwrap(), b"world");
    assert_eq!(server.join().unwrap().unwrap(), Vec::new());
}
