//! The sans-IO driver: our `ClientDriver` against our `ServerDriver` in
//! memory, with the bytes moved in tiny chunks, in every handshake shape;
//! a `ServerDriver` against a rustls client over TCP loopback; and the
//! failure paths (an unexpected record, truncation, misuse).

mod common;

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::memory::localhost;
use common::openssl::SServer;
use common::wire::{HELLO_REQUEST, before_each_plaintext_record};
use common::{KeyKind, LeafFlavor, TestPki};
use tlstate::crypto::WebPkiClientVerifier;
use tlstate::driver::{ClientDriver, Event, ServerDriver};
use tlstate::enums::{AlertDescription, AlertLevel, CipherSuite, ProtocolVersion};
use tlstate::error::{Error, PeerIncompatible, Received};
use tlstate::handshake::{CertifiedKey, ClientCertPolicy, ClientConfig, ServerConfig};
use tlstate::record::{MAX_BUFFERED_LEN, MAX_RECORD_LEN};
use tlstate::session::{InMemorySessionStore, SessionCache, Ticketer};

/// Chunk sizes the in-memory tests move bytes in: one byte, seven bytes,
/// whole flights.
const CHUNKS: [usize; 3] = [1, 7, usize::MAX];

fn pki() -> (TestPki, Arc<ServerConfig>) {
    let pki = TestPki::new("tlstate driver CA");
    let leaf = pki.leaf(KeyKind::EcdsaP256, &["localhost"]);
    let server = pki.server_config(&leaf);
    (pki, server)
}

/// One side of a [`Pair`], seen from the test.
trait Side {
    fn output(&mut self) -> Option<Vec<u8>>;
    fn input(&mut self, bytes: &[u8]);
    fn event(&mut self) -> Option<Event>;
    fn name(&self) -> &'static str;
}

macro_rules! side {
    ($driver:ty) => {
        impl Side for $driver {
            fn output(&mut self) -> Option<Vec<u8>> {
                self.poll_output()
            }
            fn input(&mut self, bytes: &[u8]) {
                // These tests move at most the inbox cap between reads.
                assert_eq!(self.handle_input(bytes), bytes.len(), "input not taken");
            }
            fn event(&mut self) -> Option<Event> {
                self.poll_event()
            }
            fn name(&self) -> &'static str {
                self.state_name()
            }
        }
    };
}
side!(ClientDriver);
side!(ServerDriver);

/// Client and server drivers wired together in memory.
struct Pair {
    client: ClientDriver,
    server: ServerDriver,
    chunk: usize,
    client_events: Vec<Event>,
    server_events: Vec<Event>,
    /// Every state name each side was in, in order, without repeats.
    client_states: Vec<&'static str>,
    server_states: Vec<&'static str>,
}

/// Moves everything `from` owes into `to`, `chunk` bytes per
/// `handle_input`, collecting `to`'s events after each.
fn deliver(
    from: &mut impl Side,
    to: &mut impl Side,
    chunk: usize,
    events: &mut Vec<Event>,
    states: &mut Vec<&'static str>,
) -> bool {
    let mut moved = false;
    while let Some(bytes) = from.output() {
        assert!(!bytes.is_empty(), "poll_output never yields empty output");
        for piece in bytes.chunks(chunk) {
            to.input(piece);
            moved = true;
            events.extend(std::iter::from_fn(|| to.event()));
            if states.last() != Some(&to.name()) {
                states.push(to.name());
            }
        }
    }
    moved
}

impl Pair {
    fn new(client: ClientDriver, server: ServerDriver, chunk: usize) -> Self {
        let mut pair = Self {
            client_states: vec![client.state_name()],
            server_states: vec![server.state_name()],
            client,
            server,
            chunk,
            client_events: Vec::new(),
            server_events: Vec::new(),
        };
        pair.client_events
            .extend(std::iter::from_fn(|| pair.client.poll_event()));
        pair
    }

    fn with(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>, chunk: usize) -> Self {
        Self::new(
            ClientDriver::new(client.clone(), localhost()),
            ServerDriver::new(server.clone()),
            chunk,
        )
    }

    /// Moves bytes both ways until neither side owes any.
    fn run(&mut self) {
        loop {
            let to_server = deliver(
                &mut self.client,
                &mut self.server,
                self.chunk,
                &mut self.server_events,
                &mut self.server_states,
            );
            let to_client = deliver(
                &mut self.server,
                &mut self.client,
                self.chunk,
                &mut self.client_events,
                &mut self.client_states,
            );
            if !to_server && !to_client {
                break;
            }
        }
    }

    fn handshake(&mut self) {
        self.run();
        assert!(!self.client.is_handshaking(), "{:?}", self.client_events);
        assert!(!self.server.is_handshaking(), "{:?}", self.server_events);
        assert!(matches!(
            self.client_events.as_slice(),
            [Event::HandshakeDone(_)]
        ));
        assert!(matches!(
            self.server_events.as_slice(),
            [Event::HandshakeDone(_)]
        ));
        assert_eq!(self.client.state_name(), "HandshakeOver");
        assert_eq!(self.server.state_name(), "HandshakeOver");
        self.client_events.clear();
        self.server_events.clear();
    }
}

/// Everything `read` hands out now.
fn read_all<S: tlstate::driver::AnyState>(driver: &mut tlstate::driver::Driver<S>) -> Vec<u8> {
    let mut data = Vec::new();
    let mut buf = [0u8; 5];
    loop {
        let n = driver.read(&mut buf).unwrap();
        if n == 0 {
            return data;
        }
        data.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn client_and_server_drivers_in_memory_in_tiny_chunks() {
    let (pki, server) = pki();
    let client = pki.client_config();
    for chunk in CHUNKS {
        let mut pair = Pair::with(&client, &server, chunk);
        assert_eq!(
            pair.client.state_name(),
            "ServerHello",
            "ClientHello is sent at once"
        );
        assert_eq!(pair.server.state_name(), "ClientHello");
        assert!(pair.client.is_handshaking() && pair.server.is_handshaking());
        pair.handshake();
        let summary = pair.client.summary().unwrap().clone();
        assert_eq!(
            pair.server.summary().unwrap().cipher_suite,
            summary.cipher_suite
        );
        assert!(!summary.resumed);

        // Application data, both ways.
        pair.client.send(b"ping from the client").unwrap();
        let big: Vec<u8> = (0..40_000u32).map(|i| i as u8).collect();
        pair.server.send(&big).unwrap();
        pair.run();
        assert_eq!(pair.server_events, [Event::DataReadable], "chunk {chunk}");
        assert_eq!(read_all(&mut pair.server), b"ping from the client");
        assert!(pair.client_events.iter().all(|e| *e == Event::DataReadable));
        assert!(!pair.client_events.is_empty());
        assert_eq!(read_all(&mut pair.client), big);
        pair.client_events.clear();
        pair.server_events.clear();

        // close_notify from the client, while the server's last words
        // are on their way: the server answers with its own close_notify
        // at once, without a `close` (RFC 5246 7.2.1), and can send no
        // more; the client reads the last words, then the clean end.
        pair.server.send(b"last words").unwrap();
        pair.client.close().unwrap();
        pair.run();
        assert_eq!(pair.server_events, [Event::PeerClosed]);
        assert_eq!(pair.client_events, [Event::DataReadable, Event::PeerClosed]);
        assert_eq!(read_all(&mut pair.client), b"last words");
        assert_eq!(pair.client.send(b"too late"), Err(Error::Closed));
        assert_eq!(pair.server.send(b"too late"), Err(Error::Closed));
        pair.server.close().unwrap();
        assert_eq!(pair.server.poll_output(), None, "one close_notify only");
        assert_eq!(pair.client.read(&mut [0u8; 8]), Ok(0));
        // An EOF after close_notify is the clean end: no event.
        pair.client.handle_eof();
        pair.server.handle_eof();
        assert_eq!(pair.client.poll_event(), None);
        assert_eq!(pair.server.poll_event(), None);
    }
}

#[test]
fn walks_the_tls13_table_states_in_order() {
    let (pki, server) = pki();
    let mut pair = Pair::with(&pki.client_config(), &server, 1);
    pair.handshake();
    assert_eq!(
        pair.client_states,
        [
            "ServerHello",
            "EncryptedExtensions",
            // The read after EncryptedExtensions is where a CertificateRequest
            // would come; the server's Certificate arrives there instead.
            "ServerCertReq",
            "ServerCertVerify",
            "ServerFinished",
            "HandshakeOver",
        ]
    );
    assert_eq!(
        pair.server_states,
        ["ClientHello", "ClientFinished", "HandshakeOver"]
    );
}

#[test]
fn walks_the_tls12_table_states_in_order() {
    let (pki, server) = pki();
    let server = common::tls12_server(server);
    let mut pair = Pair::with(&pki.client_config(), &server, 1);
    pair.handshake();
    assert_eq!(
        pair.client_states,
        [
            "ServerHello",
            "ServerCert",
            // No OCSP response is stapled: the ServerKeyExchange arrives at
            // the optional CertificateStatus row.
            "ServerCertStatus",
            "ServerCertReq",
            "ServerNewSessionTicket",
            "ServerFinished",
            "HandshakeOver",
        ]
    );
    assert_eq!(
        pair.server_states,
        [
            "ClientHello",
            "ClientKey",
            "ClientChangeCipherSpec",
            "ClientFinished",
            "HandshakeOver",
        ]
    );
}

#[test]
fn resumes_by_ticket_and_by_session_id() {
    // The TLS 1.2 ways, both (TLS 1.3 resumption: tests/tls13_resumption.rs).
    let (pki, server) = pki();
    let server = common::tls12_server(server);
    let mut with_tickets = (*server).clone();
    with_tickets.ticketer = Some(Arc::new(Ticketer::new(3600, 7200).unwrap()));
    let mut with_cache = (*server).clone();
    with_cache.session_cache = Some(Arc::new(SessionCache::new(16, 3600)));
    let mut no_tickets = (*pki.client_config()).clone();
    no_tickets.enable_tickets = false;
    let cases = [
        (pki.client_config(), Arc::new(with_tickets)),
        (Arc::new(no_tickets), Arc::new(with_cache)),
    ];
    for (client, server) in cases {
        for chunk in CHUNKS {
            // A fresh session store: each chunk size starts with a full handshake.
            let mut client = (*client).clone();
            client.session_store = Some(Arc::new(InMemorySessionStore::new(8)));
            let client = Arc::new(client);
            let mut first = Pair::with(&client, &server, chunk);
            first.handshake();
            assert!(!first.client.summary().unwrap().resumed);
            let mut again = Pair::with(&client, &server, chunk);
            again.handshake();
            assert!(again.client.summary().unwrap().resumed, "chunk {chunk}");
            assert!(again.server.summary().unwrap().resumed);
            again.client.send(b"resumed").unwrap();
            again.run();
            assert_eq!(read_all(&mut again.server), b"resumed");
        }
    }
}

fn client_auth(required: bool) -> (TestPki, Arc<ServerConfig>, ClientCertPolicy, CertifiedKey) {
    let (pki, server) = pki();
    let verifier = WebPkiClientVerifier::new(std::slice::from_ref(&pki.ca)).unwrap();
    let policy = ClientCertPolicy {
        verifier: Arc::new(verifier),
        required,
    };
    let leaf = pki.leaf_with(
        KeyKind::EcdsaP256,
        &["client.example"],
        LeafFlavor::ClientAuth,
    );
    let certified = CertifiedKey::new(leaf.chain.clone(), &leaf.key).unwrap();
    (pki, server, policy, certified)
}

#[test]
fn authenticates_the_client_with_and_without_a_certificate() {
    let (pki, server, policy, certified) = client_auth(false);
    let mut with_cert = (*pki.client_config()).clone();
    with_cert.client_certificate = Some(certified.clone());
    for (client, expected) in [
        (Arc::new(with_cert), certified.chain.clone()),
        (pki.client_config(), Default::default()),
    ] {
        for chunk in CHUNKS {
            let mut pair = Pair::new(
                ClientDriver::new(client.clone(), localhost()),
                ServerDriver::requesting_client_cert(server.clone(), policy.clone()),
                chunk,
            );
            pair.handshake();
            assert_eq!(pair.server.summary().unwrap().client_certificates, expected);
            pair.server.send(b"hello, client").unwrap();
            pair.run();
            assert_eq!(read_all(&mut pair.client), b"hello, client");
        }
    }
}

#[test]
fn a_missing_required_client_certificate_fails_both_sides() {
    let (pki, server, policy, _) = client_auth(true);
    // TLS 1.2 answers with handshake_failure (RFC 5246 7.4.6), TLS 1.3 with
    // certificate_required (RFC 8446 6.2). The TLS 1.3 client has finished
    // its side of the handshake when the server reads its Certificate
    // (RFC 8446 4.4.2.4), so it reports the handshake done, then the alert.
    for (server, refusal, alert, client_done_first) in [
        (
            common::tls12_server(server.clone()),
            PeerIncompatible::ClientCertificateRequired,
            AlertDescription::HandshakeFailure,
            false,
        ),
        (
            server,
            PeerIncompatible::ClientCertificateRequired13,
            AlertDescription::CertificateRequired,
            true,
        ),
    ] {
        let mut pair = Pair::new(
            ClientDriver::new(pki.client_config(), localhost()),
            ServerDriver::requesting_client_cert(server, policy.clone()),
            7,
        );
        pair.run();
        assert_eq!(
            pair.server_events,
            [Event::Failed(Error::PeerIncompatible(refusal))]
        );
        let events = pair.client_events.as_slice();
        let failure = match events {
            [Event::HandshakeDone(_), failure] if client_done_first => failure,
            [failure] if !client_done_first => failure,
            _ => panic!("unexpected client events: {events:?}"),
        };
        assert!(
            matches!(failure, Event::Failed(Error::AlertReceived { description, .. }) if *description == alert),
            "{events:?}"
        );
        assert_eq!(pair.client.state_name(), "Failed");
        assert_eq!(pair.server.state_name(), "Failed");
    }
}

#[test]
fn server_driver_fails_on_a_change_cipher_spec_instead_of_a_client_hello() {
    let (_pki, server) = pki();
    for chunk in [1, 6] {
        let mut driver = ServerDriver::new(server.clone());
        assert_eq!(driver.poll_output(), None);
        for piece in [20u8, 3, 3, 0, 1, 1].chunks(chunk) {
            assert_eq!(driver.handle_input(piece), piece.len());
        }
        match driver.poll_event() {
            Some(Event::Failed(Error::UnexpectedMessage { got, .. })) => {
                assert_eq!(
                    got,
                    Received::Record(tlstate::enums::ContentType::ChangeCipherSpec)
                )
            }
            other => panic!("expected an unexpected_message failure, got {other:?}"),
        }
        assert_eq!(driver.poll_event(), None);
        assert_eq!(driver.poll_output(), Some(vec![21, 3, 3, 0, 2, 2, 10]));
        assert_eq!(driver.poll_output(), None);
        assert_eq!(driver.state_name(), "Failed");
        assert!(!driver.is_handshaking());
        // Nothing more happens.
        assert_eq!(driver.handle_input(&[22, 3, 3, 0, 0]), 5, "ignored, taken");
        driver.handle_eof();
        assert_eq!(driver.poll_event(), None);
        assert_eq!(driver.poll_output(), None);
        assert!(driver.send(b"x").is_err());
    }
}

#[test]
fn application_data_before_the_handshake_is_done_is_an_error() {
    let (pki, server) = pki();
    let mut client = ClientDriver::new(pki.client_config(), localhost());
    let mut server = ServerDriver::new(server);
    assert!(client.send(b"early").is_err());
    assert!(server.send(b"early").is_err());
    assert_eq!(client.read(&mut [0u8; 4]), Ok(0));
    assert!(client.is_handshaking(), "a refused send changes nothing");
    assert!(
        client.poll_output().is_some(),
        "the ClientHello is still owed"
    );
}

#[test]
fn eof_mid_handshake_and_without_close_notify_is_truncation() {
    let (pki, server) = pki();
    // Mid-handshake: the client has sent its hello; the server vanishes.
    let mut client = ClientDriver::new(pki.client_config(), localhost());
    client.poll_output().unwrap();
    client.handle_eof();
    assert_eq!(client.poll_event(), Some(Event::Failed(Error::Truncated)));
    assert_eq!(client.poll_output(), None, "truncation owes no alert");
    assert_eq!(client.state_name(), "Failed");

    // Established: an EOF without close_notify.
    let mut pair = Pair::with(&pki.client_config(), &server, usize::MAX);
    pair.handshake();
    pair.server.handle_eof();
    assert_eq!(
        pair.server.poll_event(),
        Some(Event::Failed(Error::Truncated))
    );
    assert_eq!(pair.server.read(&mut [0u8; 4]), Err(Error::Truncated));
}

#[test]
fn a_tampered_record_fails_the_connection_with_an_alert() {
    let (pki, server) = pki();
    let mut pair = Pair::with(&pki.client_config(), &server, usize::MAX);
    pair.handshake();
    pair.client.send(b"payload").unwrap();
    let mut record = pair.client.poll_output().unwrap();
    let last = record.len() - 1;
    record[last] ^= 1;
    assert_eq!(pair.server.handle_input(&record), record.len());
    assert_eq!(
        pair.server.poll_event(),
        Some(Event::Failed(Error::DecryptFailed))
    );
    assert!(
        pair.server.poll_output().is_some(),
        "the bad_record_mac alert"
    );
    assert_eq!(pair.server.state_name(), "Failed");
}

#[test]
fn close_during_the_handshake_abandons_it() {
    let (pki, _server) = pki();
    let mut client = ClientDriver::new(pki.client_config(), localhost());
    client.close().unwrap();
    assert!(!client.is_handshaking());
    assert_eq!(client.state_name(), "Failed");
    assert_eq!(client.poll_event(), None);
    assert!(client.send(b"x").is_err());
}

// A ServerDriver against rustls over TCP loopback.

fn rustls_client_config(pki: &TestPki) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS12])
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    Arc::new(config)
}

/// Writes all of `bytes` to a non-blocking socket.
fn write_nonblocking(socket: &mut TcpStream, mut bytes: &[u8], deadline: Instant) {
    while !bytes.is_empty() {
        match socket.write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "timed out writing");
                thread::sleep(Duration::from_millis(1));
            }
            Err(e) => panic!("write failed: {e}"),
        }
    }
}

#[test]
fn server_driver_against_rustls_client_over_tcp() {
    let (pki, server) = pki();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let rustls_config = rustls_client_config(&pki);

    let client = thread::spawn(move || {
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let conn =
            rustls::ClientConnection::new(rustls_config, "localhost".try_into().unwrap()).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        tls.write_all(b"ping from rustls").unwrap();
        tls.flush().unwrap();
        let mut reply = [0u8; 16];
        tls.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"PING FROM RUSTLS");
        tls.conn.send_close_notify();
        tls.flush().unwrap();
        // Our close_notify answers: rustls reads it as the clean end.
        let mut rest = Vec::new();
        tls.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
        tls.conn.negotiated_cipher_suite().unwrap().suite()
    });

    let (mut socket, _) = listener.accept().unwrap();
    socket.set_nonblocking(true).unwrap();
    let mut driver = ServerDriver::new(server);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut incoming = [0u8; 4096];
    let mut events = Vec::new();
    let mut received = Vec::new();
    let mut closed = false;
    while !closed {
        assert!(
            Instant::now() < deadline,
            "timed out; events so far: {events:?}"
        );
        match socket.read(&mut incoming) {
            Ok(0) => driver.handle_eof(),
            Ok(n) => assert_eq!(driver.handle_input(&incoming[..n]), n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(1))
            }
            Err(e) => panic!("read failed: {e}"),
        }
        while let Some(event) = driver.poll_event() {
            match &event {
                Event::DataReadable => {
                    received.extend(read_all(&mut driver));
                    if received.len() == 16 {
                        driver.send(&received.to_ascii_uppercase()).unwrap();
                    }
                }
                Event::PeerClosed => {
                    driver.close().unwrap();
                    closed = true;
                }
                Event::Failed(error) => panic!("server driver failed: {error}"),
                _ => {}
            }
            events.push(event);
        }
        while let Some(bytes) = driver.poll_output() {
            write_nonblocking(&mut socket, &bytes, deadline);
        }
    }
    drop(socket);
    let suite = client.join().unwrap();
    assert_eq!(received, b"ping from rustls");
    let Some(Event::HandshakeDone(summary)) = events.first() else {
        panic!("the first event is HandshakeDone: {events:?}");
    };
    assert_eq!(u16::from(suite), summary.cipher_suite.to_wire());
    assert!(matches!(
        summary.cipher_suite,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
            | CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
            | CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
    ));
    assert_eq!(events.last(), Some(&Event::PeerClosed));
}

/// Issue #11 item 7: `handle_input` is bounded. 10 MB of application data
/// handed over at once is taken only up to the inbox cap plus the record
/// layer's bound (one record being read and `MAX_BUFFERED_LEN` unread
/// bytes); nothing more is taken until the application reads; then more
/// is, and every byte arrives, in order.
#[test]
fn handle_input_takes_what_fits_and_loses_nothing() {
    const INBOX: usize = 100_000;
    let (pki, server) = pki();
    let mut pair = Pair::with(&pki.client_config(), &server, usize::MAX);
    pair.handshake();
    let data: Vec<u8> = (0..10u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    pair.server.send(&data).unwrap();
    let mut wire = Vec::new();
    while let Some(bytes) = pair.server.poll_output() {
        wire.extend_from_slice(&bytes);
    }
    pair.client.set_max_inbox(INBOX);

    let taken = pair.client.handle_input(&wire);
    // The inbox's plaintext came in records of up to 16 KiB plus 29 bytes
    // of header and AEAD overhead each.
    let records_in_inbox = INBOX.div_ceil(16 * 1024) + 1;
    let bound = INBOX + 29 * records_in_inbox + MAX_RECORD_LEN + MAX_BUFFERED_LEN;
    assert!(
        taken > INBOX && taken <= bound,
        "took {taken} of {} bytes (bound {bound})",
        wire.len()
    );
    assert_eq!(
        pair.client.handle_input(&wire[taken..]),
        0,
        "full until read"
    );

    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut pos = taken;
    loop {
        loop {
            let n = pair.client.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        if pos == wire.len() {
            break;
        }
        let n = pair.client.handle_input(&wire[pos..]);
        assert!(n > 0, "nothing taken after the inbox was read");
        assert!(n <= bound, "took {n} at once");
        pos += n;
    }
    assert_eq!(got.len(), data.len());
    assert!(got == data, "bytes lost or reordered");
}

/// RFC 5246 7.4.1.1 through the sans-IO driver: plaintext HelloRequests
/// before each record of the server's flights (up to its
/// ChangeCipherSpec), handed over one byte at a time, are passed over by
/// the client driver, and the handshake completes on both sides (so they
/// were not hashed either).
#[test]
fn client_driver_ignores_hello_requests_during_the_handshake() {
    let (pki, server) = pki();
    let mut client = ClientDriver::new(pki.client_config_tls12(), localhost());
    let mut server = ServerDriver::new(server);
    for _ in 0..4 {
        while let Some(out) = client.poll_output() {
            assert_eq!(server.handle_input(&out), out.len());
        }
        while let Some(out) = server.poll_output() {
            for byte in before_each_plaintext_record(&out, &HELLO_REQUEST).chunks(1) {
                assert_eq!(client.handle_input(byte), 1);
            }
        }
    }
    let events: Vec<Event> = std::iter::from_fn(|| client.poll_event()).collect();
    assert!(
        matches!(events.as_slice(), [Event::HandshakeDone(_)]),
        "{events:?}"
    );
    assert!(matches!(server.poll_event(), Some(Event::HandshakeDone(_))));
    assert_eq!(client.state_name(), "HandshakeOver");
}

// TLS 1.3 client authentication through the client driver.

/// [`client_auth`] with both sides on TLS 1.3 only, and the client's
/// configuration with its certificate (if `with_certificate`).
fn client_auth13(
    required: bool,
    with_certificate: bool,
) -> (
    TestPki,
    Arc<ClientConfig>,
    Arc<ServerConfig>,
    ClientCertPolicy,
    CertifiedKey,
) {
    let (pki, server, policy, certified) = client_auth(required);
    let mut server = (*server).clone();
    server.versions = vec![ProtocolVersion::Tls13];
    let mut client = (*pki.client_config()).clone();
    client.versions = vec![ProtocolVersion::Tls13];
    if with_certificate {
        client.client_certificate = Some(certified.clone());
    }
    (pki, Arc::new(client), Arc::new(server), policy, certified)
}

#[test]
fn client_driver_sends_its_certificate_to_our_tls13_server() {
    let (_pki, client, server, policy, certified) = client_auth13(true, true);
    for chunk in CHUNKS {
        let mut pair = Pair::new(
            ClientDriver::new(client.clone(), localhost()),
            ServerDriver::requesting_client_cert(server.clone(), policy.clone()),
            chunk,
        );
        pair.handshake();
        let summary = pair.server.summary().unwrap();
        assert_eq!(summary.protocol_version, ProtocolVersion::Tls13);
        assert_eq!(summary.client_certificates, certified.chain);
        let summary = pair.client.summary().unwrap();
        assert_eq!(summary.protocol_version, ProtocolVersion::Tls13);
        assert_eq!(summary.client_certificates, certified.chain);
        // The server read the client's Finished: data flows both ways.
        pair.client.send(b"hello, server").unwrap();
        pair.server.send(b"hello, client").unwrap();
        pair.run();
        assert_eq!(read_all(&mut pair.server), b"hello, server");
        assert_eq!(read_all(&mut pair.client), b"hello, client");
    }
}

#[test]
fn client_driver_without_a_certificate_sees_certificate_required_from_our_tls13_server() {
    let (_pki, client, server, policy, _) = client_auth13(true, false);
    let mut pair = Pair::new(
        ClientDriver::new(client, localhost()),
        ServerDriver::requesting_client_cert(server, policy),
        7,
    );
    pair.run();
    assert_eq!(
        pair.server_events,
        [Event::Failed(Error::PeerIncompatible(
            PeerIncompatible::ClientCertificateRequired13
        ))]
    );
    // RFC 8446 4.4.4: the client's handshake ends with its own Finished,
    // so its caller sees HandshakeDone, then the server's verdict, as the
    // certificate_required alert (6.2).
    assert!(
        matches!(
            pair.client_events.as_slice(),
            [
                Event::HandshakeDone(_),
                Event::Failed(Error::AlertReceived {
                    level: AlertLevel::Fatal,
                    description: AlertDescription::CertificateRequired,
                })
            ]
        ),
        "{:?}",
        pair.client_events
    );
    assert_eq!(pair.client.state_name(), "Failed");
    assert_eq!(pair.server.state_name(), "Failed");
}

/// The client driver over a blocking TCP socket (with a timeout) until
/// the peer closes or the connection fails: every event, and the data
/// received. `request` is sent at HandshakeDone.
fn client_driver_over_tcp(
    mut driver: ClientDriver,
    port: u16,
    request: &[u8],
) -> (Vec<Event>, Vec<u8>) {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut events = Vec::new();
    let mut received = Vec::new();
    let mut incoming = [0u8; 16 * 1024];
    loop {
        while let Some(bytes) = driver.poll_output() {
            // The peer may be gone after its alert.
            let _ = socket.write_all(&bytes);
        }
        let mut done = false;
        while let Some(event) = driver.poll_event() {
            match &event {
                Event::HandshakeDone(_) => driver.send(request).unwrap(),
                Event::DataReadable => received.extend(read_all(&mut driver)),
                Event::PeerClosed | Event::Failed(_) => done = true,
                _ => {}
            }
            events.push(event);
        }
        while let Some(bytes) = driver.poll_output() {
            let _ = socket.write_all(&bytes);
        }
        if done {
            return (events, received);
        }
        match socket.read(&mut incoming) {
            Ok(0) => driver.handle_eof(),
            Ok(n) => assert_eq!(driver.handle_input(&incoming[..n]), n),
            Err(e) => panic!("read failed: {e}; events so far: {events:?}"),
        }
    }
}

/// `openssl s_server -tls1_3 -Verify 1 -www` with the PKI's CA for client
/// certificates.
fn s_server_tls13_verify(pki: &TestPki) -> SServer {
    let leaf = pki.leaf(KeyKind::EcdsaP256, &["localhost"]);
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    SServer::start_version(
        pki.dir.path(),
        "-tls1_3",
        &[],
        &[
            "-www",
            "-cert",
            &path(&leaf.cert_path),
            "-key",
            &path(&leaf.key_path),
            "-CAfile",
            &path(&pki.ca_path),
            "-Verify",
            "1",
        ],
    )
}

#[test]
fn client_driver_sends_its_certificate_to_openssl_s_server_tls13() {
    let (pki, client, _, _, _) = client_auth13(true, true);
    let server = s_server_tls13_verify(&pki);
    let (events, page) = client_driver_over_tcp(
        ClientDriver::new(client, localhost()),
        server.port,
        b"GET / HTTP/1.0\r\n\r\n",
    );
    let Some(Event::HandshakeDone(summary)) = events.first() else {
        panic!("{events:?}")
    };
    assert_eq!(summary.protocol_version, ProtocolVersion::Tls13);
    let page = String::from_utf8_lossy(&page);
    // s_server -www prints the client certificate it verified.
    assert!(page.contains("Client certificate"), "{page}");
    assert!(page.contains("client.example"), "{page}");
    assert_eq!(events.last(), Some(&Event::PeerClosed), "{events:?}");
}

#[test]
fn client_driver_without_a_certificate_sees_certificate_required_from_openssl_tls13() {
    let (pki, client, _, _, _) = client_auth13(true, false);
    let server = s_server_tls13_verify(&pki);
    let (events, page) = client_driver_over_tcp(
        ClientDriver::new(client, localhost()),
        server.port,
        b"GET / HTTP/1.0\r\n\r\n",
    );
    assert!(page.is_empty(), "{}", String::from_utf8_lossy(&page));
    assert!(
        matches!(
            events.as_slice(),
            [
                Event::HandshakeDone(_),
                Event::Failed(Error::AlertReceived {
                    level: AlertLevel::Fatal,
                    description: AlertDescription::CertificateRequired,
                })
            ]
        ),
        "{events:?}"
    );
}
