//! TLS 1.3 tickets and PSK resumption (RFC 8446 2.2, 4.2.11, 4.6.1), ours
//! against ours: the server's NewSessionTickets, the client's store, the
//! resumed handshake (with ALPN negotiated again), each ticket offered at
//! most once, and the fallbacks: a tampered binder is decrypt_error, an
//! expired ticket or one from another `Ticketer` gets a full handshake.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use common::memory::{localhost, next};
use tlstate::connection::SessionSummary;
use tlstate::enums::{AlertDescription, ProtocolVersion};
use tlstate::error::{Error, PeerMisbehaved};
use tlstate::handshake::{
    AfterClientHello, AfterServerHello, ClientCertPolicy, ClientConfig, Handshake, ServerConfig,
};
use tlstate::session::{
    ClientSession, ClientSessionStore, InMemorySessionStore, Ticketer, Tls13Ticket,
};
use tlstate::stream;

/// A TLS 1.3-only server issuing tickets from `ticketer`, accepting h2 and
/// http/1.1.
fn server(ticketer: Arc<Ticketer>) -> Arc<ServerConfig> {
    let fixture = common::fixture();
    let mut config = (*fixture.pki.server_config(&fixture.leaf)).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    config.ticketer = Some(ticketer);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

fn ticketer() -> Arc<Ticketer> {
    Arc::new(Ticketer::new(3600, 3600).unwrap())
}

/// A TLS 1.3-only client keeping its sessions in `store`, offering `alpn`.
fn client(store: Arc<dyn ClientSessionStore>, alpn: &[u8]) -> Arc<ClientConfig> {
    let mut config = (*common::fixture().pki.client_config()).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    config.session_store = Some(store);
    config.alpn_protocols = vec![alpn.to_vec()];
    Arc::new(config)
}

/// One connection over a socket pair: the handshake, then a ping from the
/// client and a pong from the server (the tickets come before the pong, so
/// the client has read them). Both summaries.
fn connect(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
) -> (SessionSummary, SessionSummary) {
    connect_to(localhost(), client, server)
}

/// [`connect`] to `name`.
fn connect_to(
    name: rustls_pki_types::ServerName<'static>,
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
) -> (SessionSummary, SessionSummary) {
    let (c, s) = UnixStream::pair().unwrap();
    let server = thread::spawn(move || {
        let mut stream = stream::accept(server, s).unwrap();
        let mut ping = [0u8; 4];
        stream.read_exact(&mut ping).unwrap();
        stream.write_all(b"pong").unwrap();
        stream.flush().unwrap();
        let summary = stream.summary().clone();
        let _ = stream.shutdown();
        summary
    });
    let mut stream = stream::connect(client, name, c).unwrap();
    stream.write_all(b"ping").unwrap();
    stream.flush().unwrap();
    let mut pong = [0u8; 4];
    stream.read_exact(&mut pong).unwrap();
    assert_eq!(&pong, b"pong");
    let summary = stream.summary().clone();
    let _ = stream.shutdown();
    (summary, server.join().unwrap())
}

#[test]
fn full_handshake_then_resumed_with_alpn_negotiated_again() {
    let store: Arc<dyn ClientSessionStore> = Arc::new(InMemorySessionStore::new(8));
    let server = server(ticketer());
    let (c, s) = connect(client(store.clone(), b"h2"), server.clone());
    assert_eq!(c.protocol_version, ProtocolVersion::Tls13);
    assert!(
        !c.resumed && !s.resumed,
        "the first handshake is a full one"
    );
    assert_eq!(c.alpn_protocol.as_deref(), Some(&b"h2"[..]));
    let first_chain = c.server_certificates.clone();

    // The second offers another protocol: resumed, and ALPN is chosen
    // from this offer, not the ticket's.
    let (c, s) = connect(client(store, b"http/1.1"), server);
    assert!(c.resumed, "the client resumed its ticket");
    assert!(s.resumed, "the server resumed the client's ticket");
    assert_eq!(c.protocol_version, ProtocolVersion::Tls13);
    assert_eq!(c.alpn_protocol.as_deref(), Some(&b"http/1.1"[..]));
    assert_eq!(s.alpn_protocol.as_deref(), Some(&b"http/1.1"[..]));
    assert_eq!(c.server_certificates, first_chain, "the ticket's chain");
    assert_eq!(c.server_name.as_deref(), Some("localhost"));
}

#[test]
fn server_sends_the_configured_number_of_tickets() {
    for count in [0, 1, 2, 3] {
        let store = Arc::new(InMemorySessionStore::new(8));
        let mut server = (*server(ticketer())).clone();
        server.tls13_tickets = count;
        let _ = connect(client(store.clone(), b"h2"), Arc::new(server));
        let mut kept = 0;
        while store.take_tls13("localhost").is_some() {
            kept += 1;
        }
        assert_eq!(kept, count, "tickets kept after {count} were sent");
    }
}

#[test]
fn no_tickets_without_a_ticketer() {
    let store = Arc::new(InMemorySessionStore::new(8));
    let mut server = (*server(ticketer())).clone();
    server.ticketer = None;
    let server = Arc::new(server);
    let _ = connect(client(store.clone(), b"h2"), server.clone());
    assert!(store.take_tls13("localhost").is_none());
    let (c, s) = connect(client(store, b"h2"), server);
    assert!(!c.resumed && !s.resumed);
}

/// A store that records every ticket it hands out, and can stop keeping
/// new ones; with `lifetime`, it stretches each ticket's lifetime as the
/// client sees it (so the client still offers what the server has let
/// expire).
#[derive(Debug)]
struct Recording {
    inner: InMemorySessionStore,
    keep: AtomicBool,
    lifetime: Option<u32>,
    /// Added to each ticket's age_add as the client keeps it, so that the
    /// age it reports is off by this many milliseconds.
    age_shift: u32,
    taken: Mutex<Vec<Vec<u8>>>,
}

impl Recording {
    fn new(lifetime: Option<u32>) -> Self {
        Self {
            inner: InMemorySessionStore::new(8),
            keep: AtomicBool::new(true),
            lifetime,
            age_shift: 0,
            taken: Mutex::new(Vec::new()),
        }
    }
}

impl ClientSessionStore for Recording {
    fn put(&self, server_name: &str, session: ClientSession) {
        self.inner.put(server_name, session);
    }
    fn get(&self, server_name: &str) -> Option<ClientSession> {
        self.inner.get(server_name)
    }
    fn remove(&self, server_name: &str) {
        self.inner.remove(server_name);
    }
    fn put_tls13(&self, server_name: &str, mut ticket: Tls13Ticket) {
        if let Some(lifetime) = self.lifetime {
            ticket.lifetime_secs = lifetime;
        }
        ticket.age_add = ticket.age_add.wrapping_add(self.age_shift);
        if self.keep.load(Ordering::SeqCst) {
            self.inner.put_tls13(server_name, ticket);
        }
    }
    fn take_tls13(&self, server_name: &str) -> Option<Tls13Ticket> {
        let ticket = self.inner.take_tls13(server_name)?;
        self.taken.lock().unwrap().push(ticket.ticket.clone());
        Some(ticket)
    }
}

#[test]
fn each_ticket_is_offered_at_most_once() {
    let store = Arc::new(Recording::new(None));
    let server = server(ticketer());
    let (c, _) = connect(client(store.clone(), b"h2"), server.clone());
    assert!(!c.resumed);
    // Two tickets came; no more are kept from here on.
    store.keep.store(false, Ordering::SeqCst);
    let resumed: Vec<bool> = (0..3)
        .map(|_| {
            connect(client(store.clone(), b"h2"), server.clone())
                .0
                .resumed
        })
        .collect();
    assert_eq!(resumed, [true, true, false], "two tickets, two resumptions");
    let taken = store.taken.lock().unwrap();
    assert_eq!(taken.len(), 2, "each ticket handed out once");
    assert_ne!(taken[0], taken[1], "two different tickets");
}

#[test]
fn a_ticket_the_server_let_expire_gets_a_full_handshake() {
    // The server's tickets live one second; the client is made to think
    // they live an hour, so it offers one the server must refuse.
    let store = Arc::new(Recording::new(Some(3600)));
    let server = server(Arc::new(Ticketer::new(3600, 1).unwrap()));
    let _ = connect(client(store.clone(), b"h2"), server.clone());
    thread::sleep(std::time::Duration::from_millis(2100));
    let (c, s) = connect(client(store.clone(), b"h2"), server);
    assert_eq!(
        store.taken.lock().unwrap().len(),
        1,
        "the ticket was offered"
    );
    assert!(!c.resumed && !s.resumed, "an expired ticket is not resumed");
}

#[test]
fn a_ticket_age_outside_the_window_gets_a_full_handshake() {
    let server = server(ticketer());
    let tolerance = u32::try_from(tlstate::handshake::tls13::TICKET_AGE_TOLERANCE_MS).unwrap();
    // Within the window: resumed; a minute off: a full handshake.
    for (shift, resumes) in [(tolerance / 2, true), (60_000, false)] {
        let store = Arc::new(Recording {
            age_shift: shift,
            ..Recording::new(None)
        });
        let _ = connect(client(store.clone(), b"h2"), server.clone());
        let (c, s) = connect(client(store.clone(), b"h2"), server.clone());
        assert_eq!(
            store.taken.lock().unwrap().len(),
            1,
            "the ticket was offered"
        );
        assert_eq!(
            (c.resumed, s.resumed),
            (resumes, resumes),
            "age off by {shift} ms"
        );
    }
}

/// A store that offers every server the tickets it holds for localhost.
#[derive(Debug)]
struct AnyName(InMemorySessionStore);

impl ClientSessionStore for AnyName {
    fn put(&self, _: &str, session: ClientSession) {
        self.0.put("localhost", session);
    }
    fn get(&self, _: &str) -> Option<ClientSession> {
        self.0.get("localhost")
    }
    fn remove(&self, _: &str) {
        self.0.remove("localhost");
    }
    fn put_tls13(&self, _: &str, ticket: Tls13Ticket) {
        self.0.put_tls13("localhost", ticket);
    }
    fn take_tls13(&self, _: &str) -> Option<Tls13Ticket> {
        self.0.take_tls13("localhost")
    }
}

#[test]
fn a_ticket_offered_for_another_server_name_gets_a_full_handshake() {
    let fixture = common::fixture();
    let leaf = fixture
        .pki
        .leaf(common::KeyKind::EcdsaP256, &["localhost", "other.example"]);
    let mut server = (*fixture.pki.server_config(&leaf)).clone();
    server.versions = vec![ProtocolVersion::Tls13];
    server.ticketer = Some(ticketer());
    let server = Arc::new(server);
    let store = Arc::new(AnyName(InMemorySessionStore::new(8)));
    let other = rustls_pki_types::ServerName::try_from("other.example").unwrap();
    let _ = connect(client(store.clone(), b"h2"), server.clone());
    // The same name: resumed (so the ticket itself is good).
    let (c, _) = connect(client(store.clone(), b"h2"), server.clone());
    assert!(c.resumed);
    // A ticket issued under localhost, offered for other.example.
    let (c, s) = connect_to(other, client(store, b"h2"), server);
    assert!(!c.resumed && !s.resumed, "not across server names");
    assert_eq!(s.server_name.as_deref(), Some("other.example"));
}

#[test]
fn a_ticket_from_another_ticketer_gets_a_full_handshake() {
    let store = Arc::new(Recording::new(None));
    let _ = connect(client(store.clone(), b"h2"), server(ticketer()));
    let (c, s) = connect(client(store.clone(), b"h2"), server(ticketer()));
    assert_eq!(
        store.taken.lock().unwrap().len(),
        1,
        "the ticket was offered"
    );
    assert!(
        !c.resumed && !s.resumed,
        "another key's ticket is not resumed"
    );
}

#[test]
fn a_tampered_binder_is_decrypt_error() {
    let store: Arc<dyn ClientSessionStore> = Arc::new(InMemorySessionStore::new(8));
    let server = server(ticketer());
    let _ = connect(client(store.clone(), b"h2"), server.clone());
    let mut c = Handshake::client(client(store, b"h2"), localhost())
        .send()
        .unwrap();
    let mut hello = c.take_output();
    // The binder is the hello's last bytes (pre_shared_key ends it).
    *hello.last_mut().unwrap() ^= 0x01;
    let mut s = Handshake::server(server);
    assert_eq!(s.feed(&hello), hello.len());
    let fatal = match s.recv() {
        Err(fatal) => fatal,
        Ok(_) => panic!("a tampered binder was accepted"),
    };
    assert_eq!(
        fatal.error(),
        &Error::PeerMisbehaved(PeerMisbehaved::IncorrectFinished)
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::DecryptError));
    // On the wire: a plaintext fatal decrypt_error alert (51).
    assert_eq!(fatal.output(), [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 51]);
}

#[test]
fn the_resumed_paths_are_typed_branches() {
    let store: Arc<dyn ClientSessionStore> = Arc::new(InMemorySessionStore::new(8));
    let server = server(ticketer());
    let _ = connect(client(store.clone(), b"h2"), server.clone());
    let mut c = Handshake::client(client(store, b"h2"), localhost())
        .send()
        .unwrap();
    let mut s = Handshake::server(server);
    let hello = c.take_output();
    assert_eq!(s.feed(&hello), hello.len());
    let AfterClientHello::Tls13Resumed(s) = next(s.recv().unwrap()) else {
        panic!("the server's read of the ClientHello resumes")
    };
    // ServerHello, [ChangeCipherSpec], EncryptedExtensions, Finished: no
    // Certificate state on this path.
    let mut s = s
        .send()
        .unwrap()
        .send()
        .unwrap()
        .send()
        .unwrap()
        .send()
        .unwrap();
    let flight = s.take_output();
    assert_eq!(c.feed(&flight), flight.len());
    let AfterServerHello::Tls13Resumed(c) = next(c.recv().unwrap()) else {
        panic!("the client's read of the ServerHello resumes")
    };
    let c = next(next(c.recv().unwrap()).recv().unwrap());
    let mut c = c.send().unwrap().send().unwrap();
    assert!(c.summary().resumed);
    let flight = c.take_output();
    assert_eq!(s.feed(&flight), flight.len());
    let s = next(s.recv().unwrap());
    assert!(s.summary().resumed);
    assert_eq!(s.summary().client_certificates.len(), 0);
}

#[test]
fn resumes_under_every_suite() {
    for suite in tlstate::crypto::tls13::TLS13_CIPHER_SUITES {
        let store: Arc<dyn ClientSessionStore> = Arc::new(InMemorySessionStore::new(8));
        let mut server = (*server(ticketer())).clone();
        server.cipher_suites = vec![suite.suite];
        let server = Arc::new(server);
        let (c, _) = connect(client(store.clone(), b"h2"), server.clone());
        assert_eq!(c.cipher_suite, suite.suite);
        let (c, s) = connect(client(store, b"h2"), server);
        assert!(c.resumed && s.resumed, "{:?}", suite.suite);
    }
}

#[test]
fn resumes_after_a_hello_retry_request() {
    // The client's one share is x25519's; the server takes P-256 only, so
    // it asks again and the second ClientHello's binder covers the retry.
    let store: Arc<dyn ClientSessionStore> = Arc::new(InMemorySessionStore::new(8));
    let mut server = (*server(ticketer())).clone();
    server.groups = vec![tlstate::enums::NamedGroup::secp256r1];
    let server = Arc::new(server);
    let mut client = (*client(store, b"h2")).clone();
    client.groups = vec![
        tlstate::enums::NamedGroup::X25519,
        tlstate::enums::NamedGroup::secp256r1,
    ];
    let client = Arc::new(client);
    let (c, s) = connect(client.clone(), server.clone());
    assert!(!c.resumed && !s.resumed);
    let (c, s) = connect(client, server);
    assert!(
        c.resumed && s.resumed,
        "resumed after the HelloRetryRequest"
    );
    assert_eq!(c.group, tlstate::enums::NamedGroup::secp256r1);
}

// --- client authentication: the TLS 1.2 rule (docs/security.md item 1) ---

fn auth_pki() -> &'static common::ClientAuthPki {
    static PKI: std::sync::OnceLock<common::ClientAuthPki> = std::sync::OnceLock::new();
    PKI.get_or_init(|| common::ClientAuthPki::new("tlstate 1.3 resumption CA"))
}

fn auth_server(ticketer: &Arc<Ticketer>) -> Arc<ServerConfig> {
    let p = auth_pki();
    let mut config = (*p.pki.server_config(&p.server)).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    config.ticketer = Some(ticketer.clone());
    Arc::new(config)
}

fn auth_client(store: &Arc<dyn ClientSessionStore>) -> Arc<ClientConfig> {
    let p = auth_pki();
    let mut config = (*p.pki.client_config()).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    config.session_store = Some(store.clone());
    config.client_certificate =
        Some(tlstate::handshake::CertifiedKey::new(p.client.chain.clone(), &p.client.key).unwrap());
    Arc::new(config)
}

/// A policy verifying client chains against `ca`.
fn policy(ca: &rustls_pki_types::CertificateDer<'static>, required: bool) -> ClientCertPolicy {
    ClientCertPolicy {
        verifier: Arc::new(
            tlstate::crypto::WebPkiClientVerifier::new(std::slice::from_ref(ca)).unwrap(),
        ),
        required,
    }
}

/// [`connect`], the server asking for client certificates under
/// `policy` (`None`: not asking); the server's summary or its error.
fn connect_auth(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    policy: Option<ClientCertPolicy>,
) -> (Option<SessionSummary>, Result<SessionSummary, Error>) {
    let (c, s) = UnixStream::pair().unwrap();
    let server = thread::spawn(move || {
        let accepted = match policy {
            Some(policy) => stream::accept_with_client_auth(server, policy, s),
            None => stream::accept(server, s),
        };
        let mut stream = accepted.map_err(|fatal| fatal.into_error())?;
        let mut ping = [0u8; 4];
        stream.read_exact(&mut ping).unwrap();
        stream.write_all(b"pong").unwrap();
        stream.flush().unwrap();
        let summary = stream.summary().clone();
        let _ = stream.shutdown();
        Ok(summary)
    });
    let client = stream::connect(client, localhost(), c)
        .ok()
        .and_then(|mut stream| {
            stream.write_all(b"ping").ok()?;
            stream.flush().ok()?;
            let mut pong = [0u8; 4];
            stream.read_exact(&mut pong).ok()?;
            let summary = stream.summary().clone();
            let _ = stream.shutdown();
            Some(summary)
        });
    (client, server.join().unwrap())
}

#[test]
fn required_policy_resumes_a_ticket_whose_chain_verifies_with_its_identity() {
    let p = auth_pki();
    let ticketer = ticketer();
    let store: Arc<dyn ClientSessionStore> = Arc::new(InMemorySessionStore::new(8));
    let required = || Some(policy(&p.pki.ca, true));
    let (_, first) = connect_auth(auth_client(&store), auth_server(&ticketer), required());
    let first = first.unwrap();
    assert!(!first.resumed);
    assert_eq!(first.client_certificates.first(), p.client.chain.first());
    let (c, second) = connect_auth(auth_client(&store), auth_server(&ticketer), required());
    let second = second.unwrap();
    assert!(second.resumed && c.unwrap().resumed);
    assert_eq!(
        second.client_certificates, first.client_certificates,
        "the ticket's verified chain is the client's identity"
    );
}

#[test]
fn ticket_without_client_chain_does_not_resume_under_a_required_policy() {
    let p = auth_pki();
    let ticketer = ticketer();
    let store: Arc<dyn ClientSessionStore> = Arc::new(InMemorySessionStore::new(8));
    // Made by a server that asked for nothing: no client chain.
    let (_, first) = connect_auth(auth_client(&store), auth_server(&ticketer), None);
    assert!(first.unwrap().client_certificates.is_empty());
    let (_, second) = connect_auth(
        auth_client(&store),
        auth_server(&ticketer),
        Some(policy(&p.pki.ca, true)),
    );
    let second = second.unwrap();
    assert!(
        !second.resumed,
        "a full handshake, with a CertificateRequest"
    );
    assert_eq!(second.client_certificates.first(), p.client.chain.first());
}

#[test]
fn ticket_whose_chain_the_current_policy_refuses_does_not_resume() {
    let p = auth_pki();
    let ticketer = ticketer();
    let store: Arc<dyn ClientSessionStore> = Arc::new(InMemorySessionStore::new(8));
    let (_, first) = connect_auth(
        auth_client(&store),
        auth_server(&ticketer),
        Some(policy(&p.pki.ca, true)),
    );
    assert!(!first.unwrap().client_certificates.is_empty());
    // The policy now trusts another CA only: the ticket's chain fails it,
    // so no resumption; the full handshake's Certificate fails it too.
    let other = common::TestPki::new("tlstate another CA");
    let (client, second) = connect_auth(
        auth_client(&store),
        auth_server(&ticketer),
        Some(policy(&other.ca, false)),
    );
    assert!(client.is_none());
    assert!(matches!(second, Err(Error::Certificate(_))), "{second:?}");
}

/// The client's first application traffic secret, from its key log.
#[derive(Debug, Default)]
struct ClientTrafficSecret(Mutex<Option<Vec<u8>>>);

impl tlstate::keylog::KeyLog for ClientTrafficSecret {
    fn log(&self, label: &str, _client_random: &[u8; 32], secret: &[u8]) {
        if label == "CLIENT_TRAFFIC_SECRET_0" {
            *self.0.lock().unwrap() = Some(secret.to_vec());
        }
    }
}

/// Only servers send tickets (RFC 8446 4.6.1): a NewSessionTicket sealed
/// under the client's application key is unexpected_message at the
/// server, sealed under the server's key.
#[test]
fn a_new_session_ticket_from_the_client_is_unexpected_message() {
    use tlstate::crypto::tls13::{Secret, lookup_tls13};
    use tlstate::enums::{CipherSuite, ContentType};
    use tlstate::record::RecordSealer;
    let suite = lookup_tls13(CipherSuite::TLS13_AES_128_GCM_SHA256).unwrap();
    let log = Arc::new(ClientTrafficSecret::default());
    let store: Arc<dyn ClientSessionStore> = Arc::new(InMemorySessionStore::new(8));
    let mut client = (*client(store, b"h2")).clone();
    client.cipher_suites = vec![suite.suite];
    client.key_log = Some(log.clone());
    let mut server = (*server(ticketer())).clone();
    server.ticketer = None;
    let (_c, mut s) = common::memory::full_handshake13(Arc::new(client), Arc::new(server)).unwrap();
    let _ = s.take_output();
    // lifetime 60, age_add 0, an empty nonce, a 1-byte ticket, no extensions
    let body = [0, 0, 0, 60, 0, 0, 0, 0, 0, 0, 1, 7, 0, 0];
    let mut record = vec![0; 5];
    record.extend_from_slice(&[4, 0, 0, body.len() as u8]);
    record.extend_from_slice(&body);
    let secret = log.0.lock().unwrap().clone().unwrap();
    suite
        .sealer(&Secret::new(suite.hash, &secret).unwrap())
        .unwrap()
        .seal(0, ContentType::Handshake, &mut record, 0)
        .unwrap();
    assert_eq!(s.feed(&record), record.len());
    let error = s.read(&mut [0u8; 16]).unwrap_err();
    assert!(
        matches!(error, Error::UnexpectedMessage { .. }),
        "{error:?}"
    );
    assert_eq!(error.alert(), Some(AlertDescription::UnexpectedMessage));
    // On the wire: one protected record, the 2-byte alert, its inner type
    // and the 16-byte tag.
    assert_eq!(s.take_output()[..5], [23, 3, 3, 0, 19]);
}
