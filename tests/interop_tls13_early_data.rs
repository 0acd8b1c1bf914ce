//! TLS 1.3 0-RTT (RFC 8446 2.3, 4.2.10) against other implementations:
//! `openssl s_client -sess_in -early_data` against our server (accepted and
//! answered; the same ticket's second 0-RTT refused while the resumption
//! succeeds), a rustls client's early data accepted by our server, and our
//! client sending accepted early data to `openssl s_server -early_data`,
//! `gnutls-serv --earlydata` and a rustls server.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use common::fixture;
use common::gnutls::GnutlsServ;
use common::openssl::{SServer, s_client_version};
use tlstate::connection::SessionSummary;
use tlstate::enums::ProtocolVersion;
use tlstate::handshake::ClientConfig;
use tlstate::session::{ClientSessionStore, InMemorySessionStore, Ticketer};
use tlstate::stream::{self, EarlyDataOutcome};

const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// What our server saw of one connection: its summary and the early data.
type Seen = (SessionSummary, Option<Vec<u8>>);

/// Our TLS 1.3 server taking 0-RTT on a thread, for `connections`
/// connections: it answers the early data (if any) with "early:<data>",
/// then echoes one read, then closes.
fn our_server(connections: usize) -> (u16, mpsc::Receiver<Seen>) {
    let f = fixture();
    let mut config = (*f.pki.server_config(&f.leaf)).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    config.ticketer = Some(Arc::new(Ticketer::new(3600, 7200).unwrap()));
    config.max_early_data_size = 16384;
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for _ in 0..connections {
            let Ok((tcp, _)) = listener.accept() else {
                return;
            };
            tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            let Ok(mut stream) = stream::accept(config.clone(), tcp) else {
                continue;
            };
            let early = stream.take_early_data();
            let _ = tx.send((stream.summary().clone(), early.clone()));
            if let Some(early) = early {
                let _ = stream.write_all(&[&b"early:"[..], &early].concat());
                let _ = stream.flush();
            }
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
fn openssl_early_data_is_accepted_by_our_server_once_per_ticket() {
    let f = fixture();
    let (port, seen) = our_server(3);
    let session = f.pki.dir.path().join("tls13-early.sess");
    let early = f.pki.dir.path().join("early.txt");
    std::fs::write(&early, b"GET /early\n").unwrap();
    let base = [
        "-servername",
        "localhost",
        "-CAfile",
        path(&f.pki.ca_path),
        "-ign_eof",
    ];
    let (ok, first) = s_client_version(
        "-tls1_3",
        port,
        &[],
        &[&base[..], &["-sess_out", path(&session)]].concat(),
        b"hello\n",
    );
    assert!(ok && first.contains("New, TLSv1.3"), "{first}");
    assert!(first.contains("Max Early Data: 16384"), "{first}");
    assert_eq!(seen.recv().unwrap().1, None);
    let zero_rtt = [
        &base[..],
        &["-sess_in", path(&session), "-early_data", path(&early)],
    ]
    .concat();
    let (ok, second) = s_client_version("-tls1_3", port, &[], &zero_rtt, b"after\n");
    assert!(ok && second.contains("Reused, TLSv1.3"), "{second}");
    assert!(second.contains("Early data was accepted"), "{second}");
    assert!(second.contains("early:GET /early"), "answered: {second}");
    let (summary, data) = seen.recv().unwrap();
    assert!(summary.resumed && summary.early_data_accepted);
    assert_eq!(data.as_deref(), Some(&b"GET /early\n"[..]));
    // The same session file, so the same ticket: its 0-RTT was used.
    let (ok, third) = s_client_version("-tls1_3", port, &[], &zero_rtt, b"after\n");
    assert!(ok && third.contains("Reused, TLSv1.3"), "resumes: {third}");
    assert!(third.contains("Early data was rejected"), "{third}");
    let (summary, data) = seen.recv().unwrap();
    assert!(summary.resumed && !summary.early_data_accepted);
    assert_eq!(data, None, "the replayed early data reached nobody");
}

/// Our TLS 1.3 client with early data on, keeping tickets in `store`.
fn our_client(store: &Arc<InMemorySessionStore>) -> Arc<ClientConfig> {
    let mut config = (*fixture().pki.client_config()).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    config.session_store = Some(store.clone() as Arc<dyn ClientSessionStore>);
    config.enable_early_data = true;
    Arc::new(config)
}

/// One connection of our client to `port` sending `early` as early data:
/// the outcome; then it writes what was not taken and `after`, and reads
/// until the server is quiet for half a second (the tickets come after the
/// handshake), returning what it read.
fn our_client_connects(
    config: Arc<ClientConfig>,
    port: u16,
    early: &[u8],
    after: &[u8],
) -> (SessionSummary, EarlyDataOutcome, Vec<u8>) {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let (mut stream, outcome) = stream::connect_with_early_data(config, name, tcp, early).unwrap();
    stream.write_all(&outcome.unsent).unwrap();
    stream.write_all(after).unwrap();
    stream.flush().unwrap();
    let mut read = Vec::new();
    let mut buf = [0u8; 1024];
    while let Ok(n @ 1..) = stream.read(&mut buf) {
        read.extend_from_slice(&buf[..n]);
    }
    let summary = stream.summary().clone();
    let _ = stream.close();
    (summary, outcome, read)
}

#[test]
fn our_client_sends_accepted_early_data_to_openssl_s_server() {
    let f = fixture();
    let server = SServer::start_version(
        f.pki.dir.path(),
        "-tls1_3",
        &[],
        &[
            "-cert",
            path(&f.leaf.cert_path),
            "-key",
            path(&f.leaf.key_path),
            "-early_data",
        ],
    );
    let store = Arc::new(InMemorySessionStore::new(4));
    let config = our_client(&store);
    let (summary, outcome, _) = our_client_connects(config.clone(), server.port, b"", b"first\n");
    assert!(!summary.resumed && !outcome.accepted);
    server.wait_for_output("first");
    let (summary, outcome, _) =
        our_client_connects(config, server.port, b"zero-rtt data\n", b"second\n");
    assert!(summary.resumed, "{}", server.output());
    assert!(
        outcome.accepted && outcome.unsent.is_empty(),
        "{outcome:?}: {}",
        server.output()
    );
    let output = server.wait_for_output("second");
    assert!(output.contains("Early data received:"), "{output}");
    assert!(output.contains("zero-rtt data"), "{output}");
}

#[test]
fn our_client_sends_accepted_early_data_to_gnutls_serv() {
    let f = fixture();
    let server = GnutlsServ::start(
        f.pki.dir.path(),
        &[
            "--x509certfile",
            path(&f.leaf.cert_path),
            "--x509keyfile",
            path(&f.leaf.key_path),
            "--earlydata",
            "--maxearlydata=16384",
            "--priority=NORMAL:-VERS-ALL:+VERS-TLS1.3",
            "--echo",
        ],
    );
    let store = Arc::new(InMemorySessionStore::new(4));
    let config = our_client(&store);
    let (summary, outcome, _) = our_client_connects(config.clone(), server.port, b"", b"first\n");
    assert!(!summary.resumed && !outcome.accepted);
    let (summary, outcome, echoed) =
        our_client_connects(config, server.port, b"zero-rtt data\n", b"second\n");
    assert!(summary.resumed, "{}", server.output());
    assert!(
        outcome.accepted && outcome.unsent.is_empty(),
        "{outcome:?}: {}",
        server.output()
    );
    // gnutls-serv --echo answers the data after the handshake (its early
    // data is not echoed); that it answers at all says it opened our early
    // records and EndOfEarlyData under the early key, and our Finished
    // after them under the handshake key.
    assert_eq!(
        String::from_utf8_lossy(&echoed),
        "second\n",
        "{}",
        server.output()
    );
}

fn rustls_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

#[test]
fn rustls_early_data_is_accepted_by_our_server() {
    let (port, seen) = our_server(2);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(fixture().pki.ca.clone()).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(rustls_provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.enable_early_data = true;
    let config = Arc::new(config);
    let name = || rustls_pki_types::ServerName::try_from("localhost").unwrap();
    // First: a full handshake, whose tickets allow 0-RTT; our server echoes.
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut tls = rustls::StreamOwned::new(
        rustls::ClientConnection::new(config.clone(), name()).unwrap(),
        tcp,
    );
    tls.write_all(b"hello\n").unwrap();
    let mut echo = [0u8; 6];
    tls.read_exact(&mut echo).unwrap();
    assert_eq!(seen.recv().unwrap().1, None);
    tls.conn.send_close_notify();
    let _ = tls.flush();
    // Second: early data written before the handshake.
    let mut conn = rustls::ClientConnection::new(config, name()).unwrap();
    let mut early = conn
        .early_data()
        .expect("rustls kept a ticket allowing 0-RTT");
    assert_eq!(early.write(b"GET /early\n").unwrap(), 11);
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"after\n").unwrap();
    let mut answer = vec![0u8; b"early:GET /early\nafter\n".len()];
    tls.read_exact(&mut answer).unwrap();
    assert_eq!(answer, b"early:GET /early\nafter\n");
    assert!(tls.conn.is_early_data_accepted(), "rustls says accepted");
    let (summary, data) = seen.recv().unwrap();
    assert!(summary.resumed && summary.early_data_accepted);
    assert_eq!(data.as_deref(), Some(&b"GET /early\n"[..]));
}

#[test]
fn our_client_sends_accepted_early_data_to_rustls() {
    let f = fixture();
    let mut config = rustls::ServerConfig::builder_with_provider(rustls_provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(f.leaf.chain.clone(), f.leaf.key.clone_key())
        .unwrap();
    // rustls takes 0-RTT only with stateful resumption (its anti-replay,
    // RFC 8446 8.1): its default session cache, no ticketer.
    config.max_early_data_size = 16384;
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let mut early = Vec::new();
        for _ in 0..2 {
            let (tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            let mut tls = rustls::StreamOwned::new(
                rustls::ServerConnection::new(config.clone()).unwrap(),
                tcp,
            );
            // The handshake up to the client's Finished; the early data
            // is read on the way.
            while tls.conn.is_handshaking() {
                tls.conn.complete_io(&mut tls.sock).unwrap();
            }
            let mut got = Vec::new();
            if let Some(mut reader) = tls.conn.early_data() {
                reader.read_to_end(&mut got).unwrap();
            }
            early.push(got);
            let mut line = [0u8; 7];
            tls.read_exact(&mut line).unwrap();
            tls.write_all(&line).unwrap();
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
        early
    });
    let store = Arc::new(InMemorySessionStore::new(4));
    let config = our_client(&store);
    let (summary, outcome, _) = our_client_connects(config.clone(), port, b"", b"first!\n");
    assert!(!summary.resumed && !outcome.offered);
    let (summary, outcome, echoed) =
        our_client_connects(config, port, b"zero-rtt data\n", b"second\n");
    assert!(summary.resumed);
    assert!(outcome.accepted && outcome.unsent.is_empty(), "{outcome:?}");
    assert_eq!(echoed, b"second\n");
    let early = server.join().unwrap();
    assert_eq!(early[0], b"");
    assert_eq!(early[1], b"zero-rtt data\n", "rustls read our early data");
}
