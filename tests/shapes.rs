//! Every handshake shape between our client and our server over TCP
//! loopback: full, resumed by session ID, resumed by ticket (with and
//! without a fresh ticket), client authentication with and without a
//! certificate. (Interop of each shape with OpenSSL and rustls is in
//! `interop_openssl_shapes.rs` and `interop_rustls_shapes.rs`.)

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

use common::{KeyKind, LeafFlavor, TestPki};
use rustls_pki_types::ServerName;
use tlstate::connection::SessionSummary;
use tlstate::crypto::WebPkiClientVerifier;
use tlstate::enums::AlertDescription;
use tlstate::error::{Error, PeerIncompatible};
use tlstate::handshake::{CertifiedKey, ClientCertPolicy, ClientConfig, ServerConfig};
use tlstate::session::{ResumedBy, SessionCache, Ticketer};
use tlstate::stream::{accept, accept_with_client_auth, connect};

/// One connection: the server answers "pong" to "ping"; returns both
/// summaries, or the two sides' errors.
fn exchange(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
    policy: Option<ClientCertPolicy>,
) -> (Result<SessionSummary, Error>, Result<SessionSummary, Error>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = server.clone();
    let server_side = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let stream = match policy {
            Some(policy) => accept_with_client_auth(server, policy, tcp),
            None => accept(server, tcp),
        };
        let mut stream = stream.map_err(|fatal| fatal.into_error())?;
        let mut buf = [0u8; 4];
        stream.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ping");
        stream.write_all(b"pong").unwrap();
        stream.shutdown().unwrap();
        Ok(stream.summary().clone())
    });
    let tcp = TcpStream::connect(addr).unwrap();
    let client_result = connect(
        client.clone(),
        ServerName::try_from("localhost").unwrap(),
        tcp,
    )
    .map_err(|fatal| fatal.into_error())
    .map(|mut stream| {
        stream.write_all(b"ping").unwrap();
        let mut buf = [0u8; 4];
        stream.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"pong");
        stream.shutdown().unwrap();
        stream.summary().clone()
    });
    (client_result, server_side.join().unwrap())
}

fn pki() -> (TestPki, Arc<ServerConfig>) {
    let pki = TestPki::new("tlstate shapes CA");
    let leaf = pki.leaf(KeyKind::EcdsaP256, &["localhost"]);
    let server = pki.server_config_tls12(&leaf);
    (pki, server)
}

#[test]
fn resumes_by_session_id() {
    let (pki, server) = pki();
    let mut server = (*server).clone();
    server.session_cache = Some(Arc::new(SessionCache::new(16, 3600)));
    let server = Arc::new(server);
    let mut client = (*pki.client_config_tls12()).clone();
    client.enable_tickets = false;
    let client = Arc::new(client);

    let (first, first_server) = exchange(&client, &server, None);
    let (first, first_server) = (first.unwrap(), first_server.unwrap());
    assert!(!first.resumed && !first_server.resumed);
    assert_eq!((first.resumed_by, first_server.resumed_by), (None, None));
    assert_eq!(first.session_id.len(), 32);
    let (second, second_server) = exchange(&client, &server, None);
    let (second, second_server) = (second.unwrap(), second_server.unwrap());
    assert!(second.resumed, "the second handshake resumes");
    assert!(second_server.resumed);
    assert_eq!(second.resumed_by, Some(ResumedBy::SessionId));
    assert_eq!(second_server.resumed_by, Some(ResumedBy::SessionId));
    assert_eq!(second.session_id, first.session_id);
    assert_eq!(second.cipher_suite, first.cipher_suite);
    assert_eq!(second.server_certificates, first.server_certificates);
}

#[test]
fn resumes_by_ticket_and_gets_a_fresh_one() {
    let (pki, server) = pki();
    let mut server = (*server).clone();
    server.ticketer = Some(Arc::new(Ticketer::new(3600, 7200).unwrap()));
    let server = Arc::new(server);
    let client = pki.client_config_tls12();
    let (first, _) = exchange(&client, &server, None);
    assert!(!first.unwrap().resumed);
    for _ in 0..2 {
        let (again, again_server) = exchange(&client, &server, None);
        let (again, again_server) = (again.unwrap(), again_server.unwrap());
        assert!(again.resumed, "resumed with the ticket");
        assert!(again_server.resumed);
        assert_eq!(again.resumed_by, Some(ResumedBy::Ticket));
        assert_eq!(again_server.resumed_by, Some(ResumedBy::Ticket));
    }
}

#[test]
fn does_not_resume_with_another_servers_ticket_keys() {
    let (pki, server) = pki();
    let with_tickets = |server: &Arc<ServerConfig>| {
        let mut server = (**server).clone();
        server.ticketer = Some(Arc::new(Ticketer::new(3600, 7200).unwrap()));
        Arc::new(server)
    };
    let (one, two) = (with_tickets(&server), with_tickets(&server));
    let client = pki.client_config_tls12();
    assert!(!exchange(&client, &one, None).0.unwrap().resumed);
    // A ticket the server cannot open means a full handshake, not an error.
    assert!(!exchange(&client, &two, None).0.unwrap().resumed);
    assert!(exchange(&client, &two, None).0.unwrap().resumed);
}

fn client_auth_setup(
    required: bool,
) -> (TestPki, Arc<ServerConfig>, ClientCertPolicy, CertifiedKey) {
    let (pki, server) = pki();
    let verifier = WebPkiClientVerifier::new(std::slice::from_ref(&pki.ca)).unwrap();
    let policy = ClientCertPolicy {
        verifier: Arc::new(verifier),
        required,
    };
    let leaf = pki.leaf_with(
        KeyKind::EcdsaP384,
        &["client.example"],
        LeafFlavor::ClientAuth,
    );
    let certified = CertifiedKey::new(leaf.chain.clone(), &leaf.key).unwrap();
    (pki, server, policy, certified)
}

#[test]
fn authenticates_the_client_with_its_certificate() {
    let (pki, server, policy, certified) = client_auth_setup(true);
    let mut client = (*pki.client_config_tls12()).clone();
    client.client_certificate = Some(certified.clone());
    let (client_summary, server_summary) = exchange(&Arc::new(client), &server, Some(policy));
    let server_summary = server_summary.unwrap();
    assert_eq!(server_summary.client_certificates, certified.chain);
    assert_eq!(client_summary.unwrap().client_certificates, certified.chain);
}

#[test]
fn refuses_a_missing_required_client_certificate() {
    let (pki, server, policy, _) = client_auth_setup(true);
    let (client_result, server_result) =
        exchange(&pki.client_config_tls12(), &server, Some(policy));
    // RFC 5246 7.4.6: handshake_failure.
    assert_eq!(
        server_result.unwrap_err(),
        Error::PeerIncompatible(PeerIncompatible::ClientCertificateRequired)
    );
    assert!(matches!(
        client_result.unwrap_err(),
        Error::AlertReceived {
            description: AlertDescription::HandshakeFailure,
            ..
        }
    ));
}

#[test]
fn lets_in_a_client_without_certificate_when_optional() {
    let (pki, server, policy, _) = client_auth_setup(false);
    let (client_summary, server_summary) =
        exchange(&pki.client_config_tls12(), &server, Some(policy));
    assert!(client_summary.unwrap().client_certificates.is_empty());
    assert!(server_summary.unwrap().client_certificates.is_empty());
}

#[test]
fn rejects_a_client_certificate_from_an_unknown_ca() {
    let (pki, server, policy, _) = client_auth_setup(true);
    let other = TestPki::new("someone else's CA");
    let leaf = other.leaf_with(
        KeyKind::EcdsaP256,
        &["client.example"],
        LeafFlavor::ClientAuth,
    );
    let mut client = (*pki.client_config_tls12()).clone();
    client.client_certificate = Some(CertifiedKey::new(leaf.chain, &leaf.key).unwrap());
    let (client_result, server_result) = exchange(&Arc::new(client), &server, Some(policy));
    assert_eq!(
        server_result.unwrap_err(),
        Error::Certificate(tlstate::error::CertificateError::UnknownIssuer)
    );
    assert!(matches!(
        client_result.unwrap_err(),
        Error::AlertReceived {
            description: AlertDescription::UnknownCa,
            ..
        }
    ));
}

#[test]
fn server_does_not_resume_across_a_change_of_extended_master_secret() {
    // RFC 7627 5.3: a session made without the extended master secret is
    // not resumed by a ClientHello that offers it; a full handshake follows.
    use tlstate::enums::{CipherSuite, NamedGroup, SignatureScheme};
    use tlstate::session::{ClientSession, ClientSessionStore, InMemorySessionStore, SessionState};
    let (pki, server) = pki();
    let cache = Arc::new(SessionCache::new(16, 3600));
    let mut server = (*server).clone();
    server.session_cache = Some(cache.clone());
    server.require_extended_master_secret = false;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let state = |extended_master_secret| SessionState {
        cipher_suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        master_secret: [3; 48].into(),
        extended_master_secret,
        group: NamedGroup::X25519,
        signature_scheme: SignatureScheme::ECDSA_NISTP256_SHA256,
        alpn_protocol: None,
        server_name: Some("localhost".into()),
        created: now,
        client_certificates: Default::default(),
    };
    cache.put(&[7; 32], state(false));
    let store = Arc::new(InMemorySessionStore::new(4));
    store.put(
        "localhost",
        ClientSession {
            session_id: vec![7; 32],
            ticket: None,
            lifetime_hint: 0,
            state: state(true),
            server_certificates: Default::default(),
        },
    );
    let mut client = (*pki.client_config_tls12()).clone();
    client.enable_tickets = false;
    client.session_store = Some(store);
    let (client_summary, server_summary) = exchange(&Arc::new(client), &Arc::new(server), None);
    assert!(!client_summary.unwrap().resumed);
    assert!(!server_summary.unwrap().resumed);
}

#[test]
fn client_rejects_resumption_that_drops_extended_master_secret() {
    // RFC 7627 5.3: resuming an EMS session, the client aborts if the
    // ServerHello lacks the extension.
    use tlstate::handshake::{AfterClientHello, Handshake, Step};
    let (pki, server) = pki();
    let mut server = (*server).clone();
    server.session_cache = Some(Arc::new(SessionCache::new(16, 3600)));
    let server = Arc::new(server);
    let mut client = (*pki.client_config_tls12()).clone();
    client.enable_tickets = false;
    let client = Arc::new(client);
    assert!(!exchange(&client, &server, None).0.unwrap().resumed);

    let mut c = Handshake::client(client, ServerName::try_from("localhost").unwrap())
        .send()
        .unwrap();
    let mut s = Handshake::server(server);
    let input: &[u8] = &c.take_output();
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let Ok(Step::Next(AfterClientHello::Resumed(s))) = s.recv() else {
        panic!("the server resumes")
    };
    let mut s = s.send().unwrap();
    let mut hello = s.take_output();
    let at = hello
        .windows(4)
        .position(|w| w == [0x00, 0x17, 0x00, 0x00])
        .unwrap();
    hello.drain(at..at + 4);
    // Fix the record, handshake and extensions lengths (32-byte session ID).
    for (at, width) in [(3, 2), (6, 3), (5 + 4 + 2 + 32 + 1 + 32 + 2 + 1, 2)] {
        let n = hello[at..at + width]
            .iter()
            .fold(0usize, |n, b| n << 8 | usize::from(*b))
            - 4;
        hello[at..at + width].copy_from_slice(&n.to_be_bytes()[8 - width..]);
    }
    let input: &[u8] = &hello;
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let fatal = c.recv().unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::PeerMisbehaved(tlstate::error::PeerMisbehaved::ExtendedMasterSecretMismatch)
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::HandshakeFailure));
}

#[test]
fn rejects_a_client_certificate_verify_with_a_bad_signature() {
    // RFC 5246 7.4.8: the server checks the CertificateVerify signature
    // over the transcript with the client certificate's key; a signature
    // that does not verify is decrypt_error.
    use common::memory::next;
    use tlstate::handshake::{
        AfterClientCert, AfterClientHello, AfterServerHello, AfterServerKey, Handshake,
    };
    let (pki, server, policy, certified) = client_auth_setup(true);
    let mut client = (*pki.client_config_tls12()).clone();
    client.client_certificate = Some(certified);
    let mut c = Handshake::client(Arc::new(client), ServerName::try_from("localhost").unwrap())
        .send()
        .unwrap();
    let mut s = Handshake::server_requesting_client_cert(server, policy);
    let input: &[u8] = &c.take_output();
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let AfterClientHello::Full(s) = next(s.recv().unwrap()) else {
        panic!("resumed")
    };
    let mut s = (|| s.send()?.send()?.send()?.send()?.send()?.send())().unwrap();
    let input: &[u8] = &s.take_output();
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterServerHello::Full(c) = next(c.recv().unwrap()) else {
        panic!("resumed")
    };
    let c = common::memory::client_through_server_key(c).unwrap();
    let AfterServerKey::CertificateRequested(c) = next(c.recv().unwrap()) else {
        panic!("no request")
    };
    let c = next(c.recv().unwrap());
    // Certificate, ClientKeyExchange, CertificateVerify: three records.
    let mut c = (|| c.send_certificate()?.send()?.send())().unwrap();
    let mut flight = c.take_output();
    // The CertificateVerify is the last record; its last byte is in the
    // signature.
    let last = flight.len() - 1;
    flight[last] ^= 1;
    let input: &[u8] = &flight;
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let AfterClientCert::Certificate(s) = next(s.recv().unwrap()) else {
        panic!("the certificate was not taken")
    };
    let s = next(s.recv().unwrap());
    let fatal = s.recv().unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::PeerMisbehaved(tlstate::error::PeerMisbehaved::BadSignature)
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::DecryptError));
    assert_eq!(fatal.output(), &[21, 3, 3, 0, 2, 2, 51]);
}
