//! Every handshake shape against rustls (ring provider, TLS 1.2), in both
//! directions over TCP loopback: resumption by session ID and by ticket,
//! and client authentication.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

use common::ClientAuthPki;
use rustls::client::{Resumption, Tls12Resumption};
use rustls::crypto::ring as rring;
use rustls::{ClientConnection, HandshakeKind, ServerConnection, StreamOwned};
use rustls_pki_types::ServerName;
use tlstate::connection::SessionSummary;
use tlstate::crypto::WebPkiClientVerifier;
use tlstate::handshake::{CertifiedKey, ClientCertPolicy, ServerConfig};
use tlstate::session::{SessionCache, Ticketer};
use tlstate::stream::{accept, accept_with_client_auth, connect};

type Pki = ClientAuthPki;

fn pki() -> Pki {
    ClientAuthPki::new("tlstate rustls shapes CA")
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rring::default_provider())
}

fn rustls_roots(p: &Pki) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(p.pki.ca.clone()).unwrap();
    roots
}

/// A rustls client config: TLS 1.2, trusting the test CA, with `resumption`
/// and optionally a client certificate.
fn rustls_client(p: &Pki, resumption: Resumption, with_cert: bool) -> Arc<rustls::ClientConfig> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(rustls_roots(p));
    let mut config = match with_cert {
        true => builder
            .with_client_auth_cert(p.client.chain.clone(), p.client.key.clone_key())
            .unwrap(),
        false => builder.with_no_client_auth(),
    };
    config.resumption = resumption;
    Arc::new(config)
}

/// The rustls client says "ping", expects "pong"; returns how its
/// handshake went.
fn rustls_client_exchange(config: &Arc<rustls::ClientConfig>, port: u16) -> HandshakeKind {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let conn =
        ClientConnection::new(config.clone(), ServerName::try_from("localhost").unwrap()).unwrap();
    let mut stream = StreamOwned::new(conn, tcp);
    stream.write_all(b"ping").unwrap();
    let mut buf = [0u8; 4];
    stream.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"pong");
    stream.conn.send_close_notify();
    stream.flush().unwrap();
    stream.conn.handshake_kind().unwrap()
}

/// Our server for `connections` connections: answers "pong" to "ping".
fn our_server(
    config: Arc<ServerConfig>,
    policy: Option<ClientCertPolicy>,
    connections: usize,
) -> (u16, thread::JoinHandle<Vec<SessionSummary>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        (0..connections)
            .map(|_| {
                let (tcp, _) = listener.accept().unwrap();
                let mut stream = match &policy {
                    Some(policy) => accept_with_client_auth(config.clone(), policy.clone(), tcp),
                    None => accept(config.clone(), tcp),
                }
                .unwrap();
                let mut buf = [0u8; 4];
                stream.read_exact(&mut buf).unwrap();
                stream.write_all(b"pong").unwrap();
                let _ = stream.shutdown();
                stream.summary().clone()
            })
            .collect()
    });
    (port, handle)
}

#[test]
fn rustls_client_resumes_with_our_server_by_ticket() {
    let p = pki();
    let mut config = (*p.pki.server_config(&p.server)).clone();
    config.ticketer = Some(Arc::new(Ticketer::new(3600, 7200).unwrap()));
    let (port, server) = our_server(Arc::new(config), None, 3);
    let client = rustls_client(&p, Resumption::in_memory_sessions(8), false);
    let kinds: Vec<_> = (0..3)
        .map(|_| rustls_client_exchange(&client, port))
        .collect();
    assert_eq!(
        kinds,
        [
            HandshakeKind::Full,
            HandshakeKind::Resumed,
            HandshakeKind::Resumed
        ]
    );
    let resumed: Vec<bool> = server.join().unwrap().iter().map(|s| s.resumed).collect();
    assert_eq!(resumed, [false, true, true]);
}

#[test]
fn rustls_client_resumes_with_our_server_by_session_id() {
    let p = pki();
    let mut config = (*p.pki.server_config(&p.server)).clone();
    config.session_cache = Some(Arc::new(SessionCache::new(8, 3600)));
    let (port, server) = our_server(Arc::new(config), None, 2);
    let resumption =
        Resumption::in_memory_sessions(8).tls12_resumption(Tls12Resumption::SessionIdOnly);
    let client = rustls_client(&p, resumption, false);
    let kinds: Vec<_> = (0..2)
        .map(|_| rustls_client_exchange(&client, port))
        .collect();
    assert_eq!(kinds, [HandshakeKind::Full, HandshakeKind::Resumed]);
    let summaries = server.join().unwrap();
    assert!(summaries[1].resumed);
    assert_eq!(summaries[0].session_id, summaries[1].session_id);
}

/// A rustls server for `connections` connections answering "pong".
fn rustls_server(
    config: Arc<rustls::ServerConfig>,
    connections: usize,
) -> (u16, thread::JoinHandle<Vec<HandshakeKind>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        (0..connections)
            .map(|_| {
                let (tcp, _) = listener.accept().unwrap();
                let mut stream =
                    StreamOwned::new(ServerConnection::new(config.clone()).unwrap(), tcp);
                let mut buf = [0u8; 4];
                stream.read_exact(&mut buf).unwrap();
                stream.write_all(b"pong").unwrap();
                stream.conn.send_close_notify();
                stream.flush().unwrap();
                stream.conn.handshake_kind().unwrap()
            })
            .collect()
    });
    (port, handle)
}

fn rustls_server_config(
    p: &Pki,
    tickets: bool,
    require_client_cert: bool,
) -> Arc<rustls::ServerConfig> {
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap();
    let builder = match require_client_cert {
        true => {
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(rustls_roots(p)),
                provider(),
            )
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        false => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(p.server.chain.clone(), p.server.key.clone_key())
        .unwrap();
    if tickets {
        config.ticketer = rring::Ticketer::new().unwrap();
    }
    Arc::new(config)
}

/// Our client: "ping"/"pong" over a fresh connection.
fn our_client_exchange(
    config: &Arc<tlstate::handshake::ClientConfig>,
    port: u16,
) -> SessionSummary {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut stream = connect(
        config.clone(),
        ServerName::try_from("localhost").unwrap(),
        tcp,
    )
    .unwrap();
    stream.write_all(b"ping").unwrap();
    let mut buf = [0u8; 4];
    stream.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"pong");
    let _ = stream.shutdown();
    stream.summary().clone()
}

#[test]
fn our_client_resumes_with_rustls_server_by_ticket_and_by_session_id() {
    let p = pki();
    for tickets in [true, false] {
        let (port, server) = rustls_server(rustls_server_config(&p, tickets, false), 2);
        let mut config = (*p.pki.client_config()).clone();
        config.enable_tickets = tickets;
        let config = Arc::new(config);
        let first = our_client_exchange(&config, port);
        let second = our_client_exchange(&config, port);
        assert!(!first.resumed && second.resumed, "tickets={tickets}");
        assert_eq!(
            server.join().unwrap(),
            [HandshakeKind::Full, HandshakeKind::Resumed],
            "tickets={tickets}"
        );
    }
}

#[test]
fn our_client_certificate_to_rustls_server_requiring_one() {
    let p = pki();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = rustls_server_config(&p, false, true);
    let server = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let mut stream = StreamOwned::new(ServerConnection::new(config).unwrap(), tcp);
        let mut buf = [0u8; 4];
        stream.read_exact(&mut buf).unwrap();
        stream.write_all(b"pong").unwrap();
        stream.conn.send_close_notify();
        stream.flush().unwrap();
        stream.conn.peer_certificates().map(<[_]>::to_vec)
    });
    let mut config = (*p.pki.client_config()).clone();
    config.client_certificate =
        Some(CertifiedKey::new(p.client.chain.clone(), &p.client.key).unwrap());
    let summary = our_client_exchange(&Arc::new(config), port);
    assert_eq!(summary.client_certificates[..], p.client.chain[..]);
    assert_eq!(server.join().unwrap(), Some(p.client.chain.clone()));
}

#[test]
fn rustls_client_certificate_to_our_server_requiring_one() {
    let p = pki();
    let verifier = WebPkiClientVerifier::new(std::slice::from_ref(&p.pki.ca)).unwrap();
    let policy = ClientCertPolicy {
        verifier: Arc::new(verifier),
        required: true,
    };
    let (port, server) = our_server(p.pki.server_config(&p.server), Some(policy), 1);
    let client = rustls_client(&p, Resumption::disabled(), true);
    assert_eq!(rustls_client_exchange(&client, port), HandshakeKind::Full);
    let summaries = server.join().unwrap();
    assert_eq!(summaries[0].client_certificates[..], p.client.chain[..]);
}
