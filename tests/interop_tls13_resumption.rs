//! TLS 1.3 resumption (RFC 8446 2.2) against other implementations:
//! `openssl s_client -sess_out/-sess_in` against our server (also with
//! another ALPN the second time), our client against `openssl s_server`,
//! a rustls client with its default resumption store against our server,
//! and our client against a rustls server issuing tickets.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use common::fixture;
use common::openssl::{SServer, s_client_version};
use rustls::client::Resumption;
use rustls::crypto::ring as rring;
use rustls_pki_types::ServerName;
use tlstate::connection::SessionSummary;
use tlstate::enums::ProtocolVersion;
use tlstate::handshake::{ClientConfig, ServerConfig};
use tlstate::session::{ClientSessionStore, InMemorySessionStore, Ticketer};
use tlstate::stream::{accept, connect};

const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Our TLS 1.3 server issuing tickets, taking h2 and http/1.1.
fn our_server_config() -> Arc<ServerConfig> {
    let f = fixture();
    let mut config = (*f.pki.server_config(&f.leaf)).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    config.ticketer = Some(Arc::new(Ticketer::new(3600, 7200).unwrap()));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

/// Our server on a thread for `connections` connections, echoing one read
/// and closing; each handshake's summary is sent back.
fn our_server(connections: usize) -> (u16, mpsc::Receiver<SessionSummary>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    let config = our_server_config();
    thread::spawn(move || {
        for _ in 0..connections {
            let Ok((tcp, _)) = listener.accept() else {
                return;
            };
            tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            let Ok(mut stream) = accept(config.clone(), tcp) else {
                continue;
            };
            let _ = tx.send(stream.summary().clone());
            // One read echoed, then close (s_client -ign_eof waits for it,
            // reading our tickets meanwhile).
            let mut buf = [0u8; 4096];
            if let Ok(n) = stream.read(&mut buf) {
                let _ = stream.write_all(&buf[..n]);
            }
            let _ = stream.close();
        }
    });
    (port, rx)
}

#[test]
fn openssl_sess_in_resumes_against_our_server_with_alpn_again() {
    let f = fixture();
    let (port, handshakes) = our_server(3);
    let session = f.pki.dir.path().join("tls13-ours.sess");
    let base = [
        "-servername",
        "localhost",
        "-CAfile",
        path(&f.pki.ca_path),
        "-ign_eof",
    ];
    // The tickets come after the handshake: s_client reads them while it
    // waits for the echo of its line.
    let (ok, first) = s_client_version(
        "-tls1_3",
        port,
        &[],
        &[&base[..], &["-alpn", "h2", "-sess_out", path(&session)]].concat(),
        b"hello\n",
    );
    assert!(ok && first.contains("New, TLSv1.3"), "{first}");
    assert!(!handshakes.recv().unwrap().resumed);
    let (ok, second) = s_client_version(
        "-tls1_3",
        port,
        &[],
        &[&base[..], &["-alpn", "h2", "-sess_in", path(&session)]].concat(),
        b"hello\n",
    );
    assert!(ok && second.contains("Reused, TLSv1.3"), "{second}");
    assert!(handshakes.recv().unwrap().resumed);
    // The same session, another protocol offered: resumed, and ALPN is
    // negotiated from this offer.
    let (ok, third) = s_client_version(
        "-tls1_3",
        port,
        &[],
        &[
            &base[..],
            &["-alpn", "http/1.1", "-sess_in", path(&session)],
        ]
        .concat(),
        b"hello\n",
    );
    assert!(ok && third.contains("Reused, TLSv1.3"), "{third}");
    assert!(third.contains("ALPN protocol: http/1.1"), "{third}");
    let summary = handshakes.recv().unwrap();
    assert!(summary.resumed);
    assert_eq!(summary.alpn_protocol.as_deref(), Some(&b"http/1.1"[..]));
}

/// Our TLS 1.3-only client keeping sessions in `store`.
fn our_client(store: &Arc<InMemorySessionStore>) -> Arc<ClientConfig> {
    let mut config = (*fixture().pki.client_config()).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    config.session_store = Some(store.clone() as Arc<dyn ClientSessionStore>);
    Arc::new(config)
}

/// Our client sends `request` and reads until the server closes; the
/// summary.
fn our_client_exchange(config: Arc<ClientConfig>, port: u16, request: &[u8]) -> SessionSummary {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut stream = connect(config, ServerName::try_from("localhost").unwrap(), tcp).unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(!answer.is_empty(), "the server answered");
    stream.summary().clone()
}

#[test]
fn our_client_resumes_against_openssl_s_server() {
    let f = fixture();
    let args = [
        "-cert",
        path(&f.leaf.cert_path),
        "-key",
        path(&f.leaf.key_path),
        "-www",
    ];
    let server = SServer::start_version(f.pki.dir.path(), "-tls1_3", &[], &args);
    let store = Arc::new(InMemorySessionStore::new(8));
    let get = b"GET / HTTP/1.0\r\n\r\n";
    let first = our_client_exchange(our_client(&store), server.port, get);
    assert_eq!(first.protocol_version, ProtocolVersion::Tls13);
    assert!(!first.resumed);
    let second = our_client_exchange(our_client(&store), server.port, get);
    assert!(second.resumed, "resumed against openssl s_server");
    assert_eq!(second.server_certificates, first.server_certificates);
    // s_server -www reports the resumption on its status page too.
    let third = our_client_exchange(our_client(&store), server.port, get);
    assert!(third.resumed);
}

fn rustls_roots() -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(fixture().pki.ca.clone()).unwrap();
    roots
}

fn rustls_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rring::default_provider())
}

#[test]
fn rustls_client_resumes_against_our_server() {
    let (port, handshakes) = our_server(2);
    let mut config = rustls::ClientConfig::builder_with_provider(rustls_provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(rustls_roots())
        .with_no_client_auth();
    // The default store, said out loud.
    config.resumption = Resumption::default();
    let config = Arc::new(config);
    let mut kinds = Vec::new();
    for _ in 0..2 {
        let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let conn = rustls::ClientConnection::new(
            config.clone(),
            ServerName::try_from("localhost").unwrap(),
        )
        .unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        tls.write_all(b"ping").unwrap();
        let mut pong = [0u8; 4];
        tls.read_exact(&mut pong).unwrap();
        assert_eq!(&pong, b"ping");
        kinds.push(tls.conn.handshake_kind().unwrap());
        tls.conn.send_close_notify();
        let _ = tls.flush();
    }
    assert_eq!(
        kinds,
        [rustls::HandshakeKind::Full, rustls::HandshakeKind::Resumed]
    );
    assert!(!handshakes.recv().unwrap().resumed);
    assert!(handshakes.recv().unwrap().resumed);
}

#[test]
fn our_client_resumes_against_a_rustls_server_with_tickets() {
    let f = fixture();
    let mut config = rustls::ServerConfig::builder_with_provider(rustls_provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(f.leaf.chain.clone(), f.leaf.key.clone_key())
        .unwrap();
    config.ticketer = rring::Ticketer::new().unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let mut kinds = Vec::new();
        for _ in 0..2 {
            let (tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut ping = [0u8; 4];
            tls.read_exact(&mut ping).unwrap();
            tls.write_all(b"pong").unwrap();
            kinds.push(tls.conn.handshake_kind().unwrap());
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
        kinds
    });
    let store = Arc::new(InMemorySessionStore::new(8));
    let first = our_client_exchange(our_client(&store), port, b"ping");
    let second = our_client_exchange(our_client(&store), port, b"ping");
    assert!(!first.resumed);
    assert!(second.resumed, "resumed against rustls");
    assert_eq!(
        server.join().unwrap(),
        [rustls::HandshakeKind::Full, rustls::HandshakeKind::Resumed]
    );
}
