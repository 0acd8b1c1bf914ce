//! TLS 1.3 post-handshake client authentication (RFC 8446 4.6.2): our
//! server asks an established connection for a certificate, our client
//! answers with Certificate, CertificateVerify and Finished from its
//! writer, and the server's reader checks the answer; application data
//! flows both ways around it. The refusals rewrite the client's answer on
//! the wire under its real application key (from the key log), so the
//! check under test is the only one that can fail. Interop: `openssl
//! s_client -enable_pha` against our server, our client against `openssl
//! s_server -verify_post_handshake` (driven by its `c` command).

mod common;

use std::sync::Arc;

use common::ClientAuthPki;
use common::memory::full_handshake13;
use common::reseal::{Logged, messages, open, records, seal};
use tlstate::connection::{Connection, PostHandshakeAuth, ReadOutcome};
use tlstate::crypto::WebPkiClientVerifier;
use tlstate::crypto::tls13::{Secret, Tls13CipherSuite, lookup_tls13};
use tlstate::enums::{AlertDescription, AlertLevel, ContentType, HandshakeType, ProtocolVersion};
use tlstate::error::{Error, PeerIncompatible, PeerMisbehaved, Received};
use tlstate::handshake::{CertifiedKey, Client, ClientCertPolicy, Role, Server};
use tlstate::message::tls13::PayloadTls13;

/// A connected pair and what the tests need to rewrite records.
struct Pair {
    client: Connection<Client>,
    server: Connection<Server>,
    suite: &'static Tls13CipherSuite,
    log: Arc<Logged>,
    /// The next sequence number of each side's application key.
    client_seq: u64,
    server_seq: u64,
}

impl Pair {
    fn secret(&self, label: &str) -> Secret {
        self.log.secret(self.suite, label)
    }
}

fn policy(p: &ClientAuthPki, required: bool) -> ClientCertPolicy {
    let verifier = WebPkiClientVerifier::new(std::slice::from_ref(&p.pki.ca)).unwrap();
    ClientCertPolicy {
        verifier: Arc::new(verifier),
        required,
    }
}

/// Our client (offering post_handshake_auth if `offer`, with the client
/// certificate if `with_certificate`) and our server, TLS 1.3, handshaken
/// in memory without client authentication.
fn pair(p: &ClientAuthPki, offer: bool, with_certificate: bool) -> Pair {
    let log = Arc::new(Logged::default());
    let mut client = (*p.pki.client_config()).clone();
    client.versions = vec![ProtocolVersion::Tls13];
    client.post_handshake_auth = offer;
    client.key_log = Some(log.clone());
    client.client_certificate =
        with_certificate.then(|| CertifiedKey::new(p.client.chain.clone(), &p.client.key).unwrap());
    let mut server = (*p.pki.server_config(&p.server)).clone();
    server.versions = vec![ProtocolVersion::Tls13];
    let (client, server) = full_handshake13(Arc::new(client), Arc::new(server))
        .unwrap_or_else(|fatal| panic!("handshake failed: {fatal:?}"));
    let suite = lookup_tls13(client.summary().cipher_suite).unwrap();
    Pair {
        client,
        server,
        suite,
        log,
        client_seq: 0,
        server_seq: 0,
    }
}

/// Every handshake message of the protected records in `wire`, opened
/// from `seq` on under `secret`; returns them and the records' count.
fn opened_messages(
    wire: &[u8],
    secret: &Secret,
    suite: &Tls13CipherSuite,
    seq: u64,
) -> (Vec<PayloadTls13>, u64) {
    let mut out = Vec::new();
    let mut n = 0;
    for record in records(wire) {
        let (typ, content) = open(&record, secret, suite, seq + n);
        assert_eq!(typ, ContentType::Handshake);
        out.extend(messages(&content));
        n += 1;
    }
    (out, n)
}

fn deliver<A: Role, B: Role>(from: &mut Connection<A>, to: &mut Connection<B>) -> Vec<u8> {
    let wire = from.take_output();
    assert_eq!(to.feed(&wire), wire.len(), "a whole flight is taken");
    wire
}

fn read_all<R: Role>(conn: &mut Connection<R>) -> Result<Vec<u8>, Error> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match conn.read(&mut buf)? {
            ReadOutcome::Data(n) => data.extend_from_slice(&buf[..n]),
            ReadOutcome::NeedMore => return Ok(data),
            ReadOutcome::Closed => panic!("closed"),
        }
    }
}

/// Data both ways, one record each: both sequence numbers move on.
fn exchange_data(pair: &mut Pair, tag: &str) {
    let to_server = format!("client {tag}");
    pair.client.send(to_server.as_bytes()).unwrap();
    deliver(&mut pair.client, &mut pair.server);
    assert_eq!(read_all(&mut pair.server).unwrap(), to_server.as_bytes());
    let to_client = format!("server {tag}");
    pair.server.send(to_client.as_bytes()).unwrap();
    deliver(&mut pair.server, &mut pair.client);
    assert_eq!(read_all(&mut pair.client).unwrap(), to_client.as_bytes());
    pair.client_seq += 1;
    pair.server_seq += 1;
}

/// The server requests, the client reads the request: the client's
/// answer (its wire bytes, still queued) and the request's context.
fn request_and_read(pair: &mut Pair, policy: ClientCertPolicy) -> (Vec<u8>, Vec<u8>) {
    pair.server.request_client_certificate(policy).unwrap();
    let wire = deliver(&mut pair.server, &mut pair.client);
    let secret = pair.secret("SERVER_TRAFFIC_SECRET_0");
    let (sent, n) = opened_messages(&wire, &secret, pair.suite, pair.server_seq);
    pair.server_seq += n;
    let [PayloadTls13::CertificateRequest(request)] = &sent[..] else {
        panic!("the server sent {sent:?}");
    };
    assert!(request.signature_algorithms().unwrap().is_some());
    // Reading answers at once (the unsplit connection owns its writer).
    assert_eq!(read_all(&mut pair.client).unwrap(), b"");
    (pair.client.take_output(), request.context.clone())
}

/// The client's answer (`wire`) passed through `rewrite` and sealed again
/// under its real key at the same sequence numbers, fed to the server.
fn rewrite_answer(pair: &mut Pair, wire: &[u8], rewrite: impl FnOnce(&mut Vec<PayloadTls13>)) {
    let secret = pair.secret("CLIENT_TRAFFIC_SECRET_0");
    let (mut answer, n) = opened_messages(wire, &secret, pair.suite, pair.client_seq);
    assert_eq!(n, 1, "the answer is one record");
    rewrite(&mut answer);
    let mut content = Vec::new();
    for message in &answer {
        message.encode(&mut content);
    }
    let record = seal(
        &content,
        ContentType::Handshake,
        &secret,
        pair.suite,
        pair.client_seq,
    );
    pair.client_seq += 1;
    assert_eq!(pair.server.feed(&record), record.len());
}

/// The alert the server wrote, as our client reads it.
fn alert_the_client_reads(pair: &mut Pair) -> Error {
    deliver(&mut pair.server, &mut pair.client);
    read_all(&mut pair.client).unwrap_err()
}

fn fatal(description: AlertDescription) -> Error {
    Error::AlertReceived {
        level: AlertLevel::Fatal,
        description,
    }
}

/// Our client's first ClientHello under `config`.
fn our_client_hello(config: tlstate::handshake::ClientConfig) -> tlstate::message::ClientHello {
    let mut c = tlstate::handshake::Handshake::client(
        Arc::new(config),
        rustls_pki_types::ServerName::try_from("localhost").unwrap(),
    )
    .send()
    .unwrap();
    let record = c.take_output();
    match PayloadTls13::read_message(&record[5..]).unwrap() {
        PayloadTls13::ClientHello(hello) => *hello,
        other => panic!("not a ClientHello: {other:?}"),
    }
}

#[test]
fn the_client_offers_post_handshake_auth_only_when_configured_and_offering_tls13() {
    let p = ClientAuthPki::new("pha CA");
    let mut config = (*p.pki.client_config()).clone();
    config.versions = vec![ProtocolVersion::Tls13, ProtocolVersion::Tls12];
    assert!(!our_client_hello(config.clone()).offers_post_handshake_auth());
    config.post_handshake_auth = true;
    assert!(our_client_hello(config.clone()).offers_post_handshake_auth());
    // Without a certificate too: the answer is then an empty Certificate.
    config.client_certificate = None;
    assert!(our_client_hello(config.clone()).offers_post_handshake_auth());
    // TLS 1.2 has no such extension.
    config.versions = vec![ProtocolVersion::Tls12];
    assert!(!our_client_hello(config).offers_post_handshake_auth());
}

#[test]
fn a_server_driver_requests_and_reports_the_outcome() {
    use tlstate::driver::{ClientDriver, ServerDriver};
    let p = ClientAuthPki::new("pha CA");
    let mut client = (*p.pki.client_config()).clone();
    client.versions = vec![ProtocolVersion::Tls13];
    client.post_handshake_auth = true;
    client.client_certificate =
        Some(CertifiedKey::new(p.client.chain.clone(), &p.client.key).unwrap());
    let mut server = (*p.pki.server_config(&p.server)).clone();
    server.versions = vec![ProtocolVersion::Tls13];
    let mut c = ClientDriver::new(
        Arc::new(client),
        rustls_pki_types::ServerName::try_from("localhost").unwrap(),
    );
    let mut s = ServerDriver::new(Arc::new(server));
    let pump = |c: &mut ClientDriver, s: &mut ServerDriver| {
        for _ in 0..4 {
            while let Some(bytes) = c.poll_output() {
                assert_eq!(s.handle_input(&bytes), bytes.len());
            }
            while let Some(bytes) = s.poll_output() {
                assert_eq!(c.handle_input(&bytes), bytes.len());
            }
        }
    };
    pump(&mut c, &mut s);
    assert!(matches!(
        ServerDriver::new(Arc::new((*p.pki.server_config(&p.server)).clone()))
            .request_client_certificate(policy(&p, true)),
        Err(Error::Internal(_))
    ));
    assert_eq!(s.post_handshake_auth(), None);
    s.request_client_certificate(policy(&p, true)).unwrap();
    pump(&mut c, &mut s);
    assert_eq!(
        s.post_handshake_auth(),
        Some(PostHandshakeAuth::Certified(p.client.chain.clone().into()))
    );
}

#[test]
fn client_with_a_certificate_answers_and_the_server_gets_the_verified_chain() {
    let p = ClientAuthPki::new("pha CA");
    let mut pair = pair(&p, true, true);
    exchange_data(&mut pair, "before");
    assert_eq!(pair.server.post_handshake_auth(), None);
    let (answer, context) = request_and_read(&mut pair, policy(&p, true));
    assert_eq!(context.len(), 32, "a fresh 32-byte context");
    let secret = pair.secret("CLIENT_TRAFFIC_SECRET_0");
    let (messages, _) = opened_messages(&answer, &secret, pair.suite, pair.client_seq);
    let types: Vec<_> = messages.iter().map(PayloadTls13::typ).collect();
    assert_eq!(
        types,
        [
            HandshakeType::Certificate,
            HandshakeType::CertificateVerify,
            HandshakeType::Finished
        ]
    );
    let PayloadTls13::Certificate(certificate) = &messages[0] else {
        unreachable!()
    };
    assert_eq!(certificate.context, context, "the context is echoed");
    pair.client_seq += 1;
    assert_eq!(pair.server.feed(&answer), answer.len());
    assert_eq!(read_all(&mut pair.server).unwrap(), b"");
    assert_eq!(
        pair.server.post_handshake_auth(),
        Some(&PostHandshakeAuth::Certified(p.client.chain.clone().into()))
    );
    exchange_data(&mut pair, "after");
}

#[test]
fn the_answer_goes_before_the_clients_next_data_and_data_flows_around_it() {
    let p = ClientAuthPki::new("pha CA");
    let mut pair = pair(&p, true, true);
    // The server's data after its request arrives with the request.
    pair.server
        .request_client_certificate(policy(&p, true))
        .unwrap();
    pair.server.send(b"while asking").unwrap();
    deliver(&mut pair.server, &mut pair.client);
    assert_eq!(read_all(&mut pair.client).unwrap(), b"while asking");
    pair.client.send(b"while answering").unwrap();
    deliver(&mut pair.client, &mut pair.server);
    assert_eq!(read_all(&mut pair.server).unwrap(), b"while answering");
    assert!(matches!(
        pair.server.post_handshake_auth(),
        Some(PostHandshakeAuth::Certified(_))
    ));
    exchange_data(&mut pair, "after");
}

#[test]
fn a_split_client_answers_from_its_writer_thread() {
    let p = ClientAuthPki::new("pha CA");
    let Pair {
        client, mut server, ..
    } = pair(&p, true, true);
    let (mut reader, mut writer) = client.split();
    server.request_client_certificate(policy(&p, true)).unwrap();
    let wire = server.take_output();
    assert_eq!(reader.feed(&wire), wire.len());
    let mut buf = [0u8; 64];
    assert_eq!(reader.read(&mut buf).unwrap(), ReadOutcome::NeedMore);
    // The reader wrote nothing: the writer, on another thread, answers.
    let answer = std::thread::spawn(move || {
        writer.send(b"from the writer").unwrap();
        writer.take_output()
    })
    .join()
    .unwrap();
    assert_eq!(server.feed(&answer), answer.len());
    assert_eq!(read_all(&mut server).unwrap(), b"from the writer");
    assert!(matches!(
        server.post_handshake_auth(),
        Some(PostHandshakeAuth::Certified(_))
    ));
}

#[test]
fn client_without_a_certificate_under_an_optional_policy_is_no_certificate() {
    let p = ClientAuthPki::new("pha CA");
    let mut pair = pair(&p, true, false);
    exchange_data(&mut pair, "before");
    let (answer, _) = request_and_read(&mut pair, policy(&p, false));
    let secret = pair.secret("CLIENT_TRAFFIC_SECRET_0");
    let (messages, _) = opened_messages(&answer, &secret, pair.suite, pair.client_seq);
    let types: Vec<_> = messages.iter().map(PayloadTls13::typ).collect();
    assert_eq!(types, [HandshakeType::Certificate, HandshakeType::Finished]);
    pair.client_seq += 1;
    assert_eq!(pair.server.feed(&answer), answer.len());
    assert_eq!(read_all(&mut pair.server).unwrap(), b"");
    assert_eq!(
        pair.server.post_handshake_auth(),
        Some(&PostHandshakeAuth::NoCertificate)
    );
    exchange_data(&mut pair, "after");
}

#[test]
fn client_without_a_certificate_under_a_required_policy_is_certificate_required() {
    let p = ClientAuthPki::new("pha CA");
    let mut pair = pair(&p, true, false);
    let (answer, _) = request_and_read(&mut pair, policy(&p, true));
    assert_eq!(pair.server.feed(&answer), answer.len());
    assert_eq!(
        read_all(&mut pair.server).unwrap_err(),
        Error::PeerIncompatible(PeerIncompatible::ClientCertificateRequired13)
    );
    assert_eq!(pair.server.post_handshake_auth(), None);
    assert_eq!(
        alert_the_client_reads(&mut pair),
        fatal(AlertDescription::CertificateRequired)
    );
}

#[test]
fn two_requests_in_a_row_have_different_contexts_and_both_verify() {
    let p = ClientAuthPki::new("pha CA");
    let mut pair = pair(&p, true, true);
    let mut contexts = Vec::new();
    for round in 0..2 {
        let (answer, context) = request_and_read(&mut pair, policy(&p, true));
        contexts.push(context);
        pair.client_seq += 1;
        assert_eq!(pair.server.feed(&answer), answer.len());
        assert_eq!(read_all(&mut pair.server).unwrap(), b"");
        assert!(
            matches!(
                pair.server.post_handshake_auth(),
                Some(PostHandshakeAuth::Certified(_))
            ),
            "round {round}"
        );
        exchange_data(&mut pair, &format!("round {round}"));
    }
    assert_ne!(contexts[0], contexts[1]);
}

#[test]
fn a_second_request_while_one_is_unanswered_is_refused_and_sends_nothing() {
    let p = ClientAuthPki::new("pha CA");
    let mut pair = pair(&p, true, true);
    pair.server
        .request_client_certificate(policy(&p, true))
        .unwrap();
    let queued = pair.server.pending_output().len();
    assert!(matches!(
        pair.server.request_client_certificate(policy(&p, true)),
        Err(Error::Config(_))
    ));
    assert_eq!(pair.server.pending_output().len(), queued);
}

#[test]
fn the_server_refuses_to_request_when_the_client_did_not_offer_post_handshake_auth() {
    let p = ClientAuthPki::new("pha CA");
    let mut pair = pair(&p, false, true);
    assert!(matches!(
        pair.server.request_client_certificate(policy(&p, true)),
        Err(Error::Config(_))
    ));
    assert!(pair.server.pending_output().is_empty());
    exchange_data(&mut pair, "still fine");
}

#[test]
fn the_server_refuses_to_request_on_tls12() {
    let p = ClientAuthPki::new("pha CA");
    let mut client = (*p.pki.client_config()).clone();
    client.versions = vec![ProtocolVersion::Tls12];
    client.post_handshake_auth = true;
    let mut server = (*p.pki.server_config(&p.server)).clone();
    server.versions = vec![ProtocolVersion::Tls12];
    let (_, mut server, _) =
        common::memory::full_handshake(Arc::new(client), Arc::new(server)).unwrap();
    assert_eq!(server.summary().protocol_version, ProtocolVersion::Tls12);
    assert!(matches!(
        server.request_client_certificate(policy(&p, true)),
        Err(Error::Config(_))
    ));
    assert!(server.pending_output().is_empty());
}

#[test]
fn a_certificate_request_the_client_did_not_allow_is_unexpected_message() {
    let p = ClientAuthPki::new("pha CA");
    let mut pair = pair(&p, false, true);
    // The server would not send it (see above): it is forged under the
    // server's real key.
    let mut request = tlstate::message::tls13::CertificateRequestTls13 {
        context: vec![7; 32],
        ..Default::default()
    };
    request.extensions.push(
        tlstate::enums::ExtensionType::SignatureAlgorithms,
        vec![0, 2, 4, 3],
    );
    let mut content = Vec::new();
    PayloadTls13::CertificateRequest(request).encode(&mut content);
    let secret = pair.secret("SERVER_TRAFFIC_SECRET_0");
    let record = seal(&content, ContentType::Handshake, &secret, pair.suite, 0);
    assert_eq!(pair.client.feed(&record), record.len());
    assert_eq!(
        read_all(&mut pair.client).unwrap_err(),
        Error::UnexpectedMessage {
            expected: "application data, KeyUpdate or NewSessionTicket",
            got: Received::Handshake(HandshakeType::CertificateRequest),
        }
    );
    deliver(&mut pair.client, &mut pair.server);
    assert_eq!(
        read_all(&mut pair.server).unwrap_err(),
        fatal(AlertDescription::UnexpectedMessage)
    );
}

#[test]
fn a_client_certificate_the_server_did_not_ask_for_is_unexpected_message() {
    let p = ClientAuthPki::new("pha CA");
    let mut pair = pair(&p, true, true);
    let mut content = Vec::new();
    PayloadTls13::Certificate(tlstate::message::tls13::CertificateTls13::from_chain(
        vec![1; 32],
        &p.client.chain,
    ))
    .encode(&mut content);
    let secret = pair.secret("CLIENT_TRAFFIC_SECRET_0");
    let record = seal(&content, ContentType::Handshake, &secret, pair.suite, 0);
    assert_eq!(pair.server.feed(&record), record.len());
    assert_eq!(
        read_all(&mut pair.server).unwrap_err(),
        Error::UnexpectedMessage {
            expected: "application data or KeyUpdate",
            got: Received::Handshake(HandshakeType::Certificate),
        }
    );
    assert_eq!(
        alert_the_client_reads(&mut pair),
        fatal(AlertDescription::UnexpectedMessage)
    );
}

#[test]
fn a_tampered_certificate_verify_is_decrypt_error() {
    let p = ClientAuthPki::new("pha CA");
    let mut pair = pair(&p, true, true);
    let (answer, _) = request_and_read(&mut pair, policy(&p, true));
    rewrite_answer(&mut pair, &answer, |messages| {
        let PayloadTls13::CertificateVerify(signed) = &mut messages[1] else {
            panic!("no CertificateVerify")
        };
        let last = signed.signature.len() - 1;
        signed.signature[last] ^= 1;
    });
    assert_eq!(
        read_all(&mut pair.server).unwrap_err(),
        Error::PeerMisbehaved(PeerMisbehaved::BadSignature)
    );
    assert_eq!(pair.server.post_handshake_auth(), None);
    assert_eq!(
        alert_the_client_reads(&mut pair),
        fatal(AlertDescription::DecryptError)
    );
}

#[test]
fn a_context_not_echoed_is_illegal_parameter() {
    let p = ClientAuthPki::new("pha CA");
    let mut pair = pair(&p, true, true);
    let (answer, _) = request_and_read(&mut pair, policy(&p, true));
    rewrite_answer(&mut pair, &answer, |messages| {
        let PayloadTls13::Certificate(certificate) = &mut messages[0] else {
            panic!("no Certificate")
        };
        certificate.context[0] ^= 1;
    });
    assert!(matches!(
        read_all(&mut pair.server).unwrap_err(),
        Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(_))
    ));
    assert_eq!(
        alert_the_client_reads(&mut pair),
        fatal(AlertDescription::IllegalParameter)
    );
}

#[test]
fn a_wrong_finished_is_decrypt_error() {
    let p = ClientAuthPki::new("pha CA");
    let mut pair = pair(&p, true, true);
    let (answer, _) = request_and_read(&mut pair, policy(&p, true));
    rewrite_answer(&mut pair, &answer, |messages| {
        let PayloadTls13::Finished(finished) = &messages[2] else {
            panic!("no Finished")
        };
        let mut data = finished.verify_data().to_vec();
        data[0] ^= 1;
        messages[2] =
            PayloadTls13::Finished(tlstate::message::tls13::FinishedTls13::new(&data).unwrap());
    });
    assert_eq!(
        read_all(&mut pair.server).unwrap_err(),
        Error::PeerMisbehaved(PeerMisbehaved::IncorrectFinished)
    );
    assert_eq!(pair.server.post_handshake_auth(), None);
    assert_eq!(
        alert_the_client_reads(&mut pair),
        fatal(AlertDescription::DecryptError)
    );
}

#[test]
fn after_a_key_update_both_sides_key_the_finished_by_the_current_secret() {
    // The Finished key is the client's *current* application traffic
    // secret: after a KeyUpdate, the next one on both sides.
    let p = ClientAuthPki::new("pha CA");
    let mut pair = pair(&p, true, true);
    pair.client.update_keys(false).unwrap();
    deliver(&mut pair.client, &mut pair.server);
    assert_eq!(read_all(&mut pair.server).unwrap(), b"");
    let (answer, _) = request_and_read(&mut pair, policy(&p, true));
    assert_eq!(pair.server.feed(&answer), answer.len());
    assert_eq!(read_all(&mut pair.server).unwrap(), b"");
    assert!(matches!(
        pair.server.post_handshake_auth(),
        Some(PostHandshakeAuth::Certified(_))
    ));
}

// --- interop with the openssl command line ------------------------------

mod openssl {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::process::{Command, Stdio};
    use std::sync::Arc;
    use std::thread;
    use std::time::Duration;

    use rustls_pki_types::ServerName;
    use tlstate::connection::PostHandshakeAuth;
    use tlstate::enums::ProtocolVersion;
    use tlstate::handshake::CertifiedKey;

    use super::common::ClientAuthPki;
    use super::common::openssl::SServer;
    use super::policy;

    fn path(p: &std::path::Path) -> &str {
        p.to_str().unwrap()
    }

    /// `openssl s_client -tls1_3 -enable_pha -cert C -key K` against our
    /// server, which asks for the certificate after the client's first
    /// line: the server gets the verified chain, and data flows after.
    #[test]
    fn openssl_s_client_answers_our_servers_post_handshake_request() {
        let p = ClientAuthPki::new("pha openssl CA");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut config = (*p.pki.server_config(&p.server)).clone();
        config.versions = vec![ProtocolVersion::Tls13];
        let config = Arc::new(config);
        let required = policy(&p, true);
        let server = thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut stream = tlstate::stream::accept(config, tcp).unwrap();
            let mut received = Vec::new();
            let mut buf = [0u8; 4096];
            let mut read_until = |stream: &mut tlstate::stream::Stream<_, _>, line: &[u8]| {
                while !received.windows(line.len()).any(|w| w == line) {
                    let n = stream.read(&mut buf).unwrap();
                    assert_ne!(n, 0, "EOF before {line:?}");
                    received.extend_from_slice(&buf[..n]);
                }
            };
            read_until(&mut stream, b"hello\n");
            assert_eq!(stream.connection().post_handshake_auth(), None);
            stream.request_client_certificate(required).unwrap();
            read_until(&mut stream, b"after\n");
            let outcome = stream.connection().post_handshake_auth().cloned();
            stream.write_all(b"certified\n").unwrap();
            stream.flush().unwrap();
            let _ = stream.close();
            outcome
        });
        let mut child = Command::new("openssl")
            .args(["s_client", "-tls1_3", "-enable_pha", "-msg"])
            .args(["-connect", &format!("127.0.0.1:{port}")])
            .args(["-CAfile", path(&p.pki.ca_path), "-servername", "localhost"])
            .args(["-cert", path(&p.client.cert_path)])
            .args(["-key", path(&p.client.key_path)])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("openssl s_client");
        let mut stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let lines = thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        });
        for line in [&b"hello\n"[..], b"after\n"] {
            stdin.write_all(line).unwrap();
            stdin.flush().unwrap();
            thread::sleep(Duration::from_millis(500));
        }
        let outcome = server.join().unwrap();
        drop(stdin);
        let _ = child.wait();
        let output = lines.join().unwrap().join("\n");
        // s_client sends its chain up to the CA: the end entity is ours.
        let Some(PostHandshakeAuth::Certified(chain)) = outcome else {
            panic!("{outcome:?}: {output}");
        };
        assert_eq!(chain.first(), p.client.chain.first(), "{output}");
        // s_client read our CertificateRequest after the handshake, and
        // the data after its answer.
        assert!(output.contains("CertificateRequest"), "{output}");
        assert!(output.contains("certified"), "{output}");
    }

    /// Our client (offering post_handshake_auth, with a certificate)
    /// against `openssl s_server -tls1_3 -verify 1 -verify_return_error`,
    /// whose `c` command sends a post-handshake CertificateRequest: s_server
    /// verifies our answer and reads our data after it.
    #[test]
    fn our_client_answers_openssl_s_servers_post_handshake_request() {
        let p = ClientAuthPki::new("pha s_server CA");
        let dir = tempfile::tempdir().unwrap();
        let mut s_server = SServer::start_version(
            dir.path(),
            "-tls1_3",
            &[],
            &[
                "-cert",
                path(&p.server.cert_path),
                "-key",
                path(&p.server.key_path),
                "-CAfile",
                path(&p.pki.ca_path),
                "-verify",
                "1",
                "-verify_return_error",
                "-msg",
            ],
        );
        let mut config = (*p.pki.client_config()).clone();
        config.versions = vec![ProtocolVersion::Tls13];
        config.post_handshake_auth = true;
        config.client_certificate =
            Some(CertifiedKey::new(p.client.chain.clone(), &p.client.key).unwrap());
        let tcp = TcpStream::connect(("127.0.0.1", s_server.port)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut stream = tlstate::stream::connect(
            Arc::new(config),
            ServerName::try_from("localhost").unwrap(),
            tcp,
        )
        .unwrap();
        stream.write_all(b"hello\n").unwrap();
        stream.flush().unwrap();
        let before = s_server.wait_for_output("hello");
        let requests_before = before.matches("CertificateRequest").count();
        // s_server's `c`: a CertificateRequest after the handshake; then a
        // line for us to read, behind it.
        s_server.write_stdin(b"c\n");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while s_server.output().matches("CertificateRequest").count() == requests_before
            && std::time::Instant::now() < deadline
        {
            thread::sleep(Duration::from_millis(20));
        }
        s_server.write_stdin(b"from s_server\n");
        let mut received = Vec::new();
        let mut buf = [0u8; 256];
        while !received.ends_with(b"from s_server\n") {
            let n = stream.read(&mut buf).unwrap();
            assert_ne!(n, 0, "EOF");
            received.extend_from_slice(&buf[..n]);
        }
        stream.write_all(b"after\n").unwrap();
        stream.flush().unwrap();
        let output = s_server.wait_for_output("after");
        assert!(output.contains("after"), "{output}");
        assert_eq!(
            output.matches("CertificateRequest").count(),
            requests_before + 1,
            "one CertificateRequest after the handshake: {output}"
        );
        // Our answer's Certificate, CertificateVerify and Finished, read
        // and verified by s_server (-verify_return_error would have ended
        // the connection otherwise, before our "after").
        let after_request = &output[output.rfind("CertificateRequest").unwrap()..];
        for message in ["<<< TLS 1.3, Handshake", "CertificateVerify", "Finished"] {
            assert!(after_request.contains(message), "{message}: {output}");
        }
        assert!(!output.contains("error"), "{output}");
        let _ = stream.close();
    }
}

#[test]
fn every_byte_changed_in_the_clients_answer_is_refused_with_its_alert() {
    // Certificate, CertificateVerify and Finished cover every byte of the
    // answer between them (the signature over the Certificate, the MAC
    // over both): whichever byte is changed, the server refuses the
    // answer, without panicking, with the alert `Error::alert` names.
    let p = ClientAuthPki::new("pha CA");
    let mut template = pair(&p, true, true);
    let (answer, _) = request_and_read(&mut template, policy(&p, true));
    let secret = template.secret("CLIENT_TRAFFIC_SECRET_0");
    let (_, content) = open(&records(&answer)[0], &secret, template.suite, 0);
    let len = content.len();
    let mut tried = 0;
    let mut waiting = 0;
    for at in 0..len {
        let mut pair = pair(&p, true, true);
        let (answer, _) = request_and_read(&mut pair, policy(&p, true));
        let secret = pair.secret("CLIENT_TRAFFIC_SECRET_0");
        let (typ, mut content) = open(&records(&answer)[0], &secret, pair.suite, 0);
        assert_eq!(typ, ContentType::Handshake);
        // An ECDSA signature's DER length varies by a byte or two from
        // one connection to the next: this answer may be shorter than the
        // template's.
        let Some(byte) = content.get_mut(at) else {
            continue;
        };
        *byte ^= 0x01;
        let record = seal(&content, ContentType::Handshake, &secret, pair.suite, 0);
        assert_eq!(pair.server.feed(&record), record.len());
        let read = read_all(&mut pair.server);
        assert_eq!(pair.server.post_handshake_auth(), None, "byte {at}");
        let error = match read {
            // A length made longer: the reader waits for the rest of the
            // message, which never comes; nothing was accepted.
            Ok(data) => {
                assert!(data.is_empty(), "byte {at}");
                waiting += 1;
                continue;
            }
            Err(error) => error,
        };
        let alert = error
            .alert()
            .unwrap_or_else(|| panic!("byte {at}: {error:?} has no alert"));
        assert_eq!(
            alert_the_client_reads(&mut pair),
            fatal(alert),
            "byte {at}: {error:?}"
        );
        tried += 1;
    }
    assert!(tried > 100, "{tried} positions refused");
    assert!(waiting < 8, "{waiting} positions left the reader waiting");
}

/// A CertificateRequest (context `context`, with signature_algorithms if
/// `with_schemes`) sealed under the server's real key at `seq`.
fn forged_request(pair: &Pair, context: u8, with_schemes: bool, seq: u64) -> Vec<u8> {
    let mut request = tlstate::message::tls13::CertificateRequestTls13 {
        context: vec![context; 32],
        ..Default::default()
    };
    if with_schemes {
        // ecdsa_secp256r1_sha256
        request.extensions.push(
            tlstate::enums::ExtensionType::SignatureAlgorithms,
            vec![0, 2, 4, 3],
        );
    }
    let mut content = Vec::new();
    PayloadTls13::CertificateRequest(request).encode(&mut content);
    let secret = pair.secret("SERVER_TRAFFIC_SECRET_0");
    seal(&content, ContentType::Handshake, &secret, pair.suite, seq)
}

#[test]
fn a_certificate_request_without_signature_algorithms_is_missing_extension() {
    let p = ClientAuthPki::new("pha CA");
    let mut pair = pair(&p, true, true);
    let record = forged_request(&pair, 1, false, 0);
    assert_eq!(pair.client.feed(&record), record.len());
    assert_eq!(
        read_all(&mut pair.client).unwrap_err(),
        Error::PeerMisbehaved(PeerMisbehaved::MissingExtension("signature_algorithms"))
    );
    deliver(&mut pair.client, &mut pair.server);
    assert_eq!(
        read_all(&mut pair.server).unwrap_err(),
        fatal(AlertDescription::MissingExtension)
    );
}

#[test]
fn a_fifth_unanswered_certificate_request_is_unexpected_message() {
    // A client whose writer is silent holds at most four requests: the
    // server cannot make it hold (or, later, write) more than it sends.
    let p = ClientAuthPki::new("pha CA");
    let pair = pair(&p, true, true);
    let records: Vec<_> = (0..5u8)
        .map(|n| forged_request(&pair, n, true, u64::from(n)))
        .collect();
    let (mut reader, _writer) = pair.client.split();
    let mut buf = [0u8; 16];
    for record in &records[..4] {
        assert_eq!(reader.feed(record), record.len());
        assert_eq!(reader.read(&mut buf).unwrap(), ReadOutcome::NeedMore);
    }
    assert_eq!(reader.feed(&records[4]), records[4].len());
    assert_eq!(
        reader.read(&mut buf).unwrap_err(),
        Error::UnexpectedMessage {
            expected: "application data (too many unanswered CertificateRequests)",
            got: Received::Handshake(HandshakeType::CertificateRequest),
        }
    );
}
