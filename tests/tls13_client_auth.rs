//! TLS 1.3 client authentication (RFC 8446 4.3.2, 4.4.2, 4.4.3): our
//! server asking for a client certificate with the same
//! `ClientCertPolicy` as in TLS 1.2, and our client answering a
//! CertificateRequest; each against the other and against `openssl
//! s_client -tls1_3` / `s_server -tls1_3`. The refusals (a bad client
//! CertificateVerify, Certificate or Finished; a bad CertificateRequest)
//! are in [`tampered`], with flights rewritten under the real keys.

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

mod tampered {
    //! The refusals of TLS 1.3 client authentication, each with the exact
    //! error and the exact alert on the wire. Our client and our server
    //! (sans-IO drivers, in memory) handshake with client authentication;
    //! one protected flight is rewritten in flight, message by message,
    //! under the sender's real handshake traffic key (from the key log),
    //! where no real peer can be made to send the bad message. Where the
    //! rewrite changes the transcript, the sender's later messages are
    //! made again over the new one (CertificateVerify signed by the real
    //! key, Finished from the real secret), so the check under test is the
    //! only one that can fail.

    use std::sync::Arc;

    use rustls_pki_types::ServerName;
    use tlstate::crypto::tls13::{
        CLIENT_CERTIFICATE_VERIFY, SERVER_CERTIFICATE_VERIFY, Secret, SignedContent,
        Tls13CipherSuite, finished_verify_data, lookup_tls13,
    };
    use tlstate::crypto::{SigningKey, Transcript, WebPkiClientVerifier};
    use tlstate::driver::{ClientDriver, Event, ServerDriver};
    use tlstate::enums::{
        AlertDescription, ContentType, ExtensionType, HandshakeType, ProtocolVersion,
        SignatureScheme,
    };
    use tlstate::error::{Error, PeerIncompatible, PeerMisbehaved, Received};
    use tlstate::handshake::{CertifiedKey, ClientCertPolicy};
    use tlstate::message::DigitallySigned;
    use tlstate::message::tls13::{CertificateTls13, FinishedTls13, PayloadTls13};
    use tlstate::record::RecordSealer;

    use super::common::reseal::{Logged, messages, open, records};
    use super::common::{ClientAuthPki, KeyKind, Leaf, LeafFlavor};

    /// What a rewrite sees of the handshake so far.
    struct Context<'a> {
        suite: &'static Tls13CipherSuite,
        /// Every handshake message delivered before this flight, encoded.
        transcript: &'a [u8],
        client_log: &'a Logged,
        server_log: &'a Logged,
    }

    impl Context<'_> {
        /// The transcript hash through the messages delivered so far and
        /// then `more`.
        fn hash(&self, more: &[PayloadTls13]) -> Vec<u8> {
            let mut transcript = Transcript::new();
            transcript.start_hash(self.suite.hash);
            transcript.add(self.transcript);
            for message in more {
                let mut encoded = Vec::new();
                message.encode(&mut encoded);
                transcript.add(&encoded);
            }
            transcript.current_hash().unwrap().as_bytes().to_vec()
        }

        /// The client's Finished over the messages so far and `more` (RFC
        /// 8446 4.4.4), from its real handshake traffic secret.
        fn client_finished(&self, more: &[PayloadTls13]) -> PayloadTls13 {
            let secret = self
                .client_log
                .secret(self.suite, "CLIENT_HANDSHAKE_TRAFFIC_SECRET");
            let tag = finished_verify_data(&secret, &self.hash(more)).unwrap();
            PayloadTls13::Finished(FinishedTls13::new(tag.as_ref()).unwrap())
        }

        /// The server's CertificateVerify and Finished in `messages` (its
        /// flight) made again over the transcript as it now is, with the
        /// server's real key and secret.
        fn server_signs_again(&self, messages: &mut [PayloadTls13], key: &SigningKey) {
            let at = position(messages, HandshakeType::CertificateVerify);
            let PayloadTls13::CertificateVerify(signed) = &messages[at] else {
                unreachable!()
            };
            let scheme = signed.scheme;
            let content =
                SignedContent::new(SERVER_CERTIFICATE_VERIFY, &self.hash(&messages[..at]));
            messages[at] = PayloadTls13::CertificateVerify(DigitallySigned {
                scheme,
                signature: key.sign(scheme, content.unwrap().as_bytes()).unwrap(),
            });
            let at = position(messages, HandshakeType::Finished);
            let secret = self
                .server_log
                .secret(self.suite, "SERVER_HANDSHAKE_TRAFFIC_SECRET");
            let tag = finished_verify_data(&secret, &self.hash(&messages[..at])).unwrap();
            messages[at] = PayloadTls13::Finished(FinishedTls13::new(tag.as_ref()).unwrap());
        }
    }

    /// Which protected flight a rewrite is for.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Flight {
        /// The server's: EncryptedExtensions, CertificateRequest,
        /// Certificate, CertificateVerify, Finished.
        Server,
        /// The client's: Certificate, [CertificateVerify], Finished.
        Client,
    }

    /// How a run ended.
    struct Outcome {
        client_events: Vec<Event>,
        server_events: Vec<Event>,
        /// The alert the failed side wrote, opened under its key: the
        /// client's under its handshake traffic key (it writes under it
        /// from the ServerHello on), the server's under its application
        /// traffic key (it has sent its Finished).
        alert: Option<(u8, AlertDescription)>,
    }

    /// `flight` with its protected handshake messages passed through
    /// `rewrite` and sealed again, one a record, under `secret` from
    /// sequence number 0 (each of the two flights starts its key's use).
    /// Plaintext records (ServerHello, ChangeCipherSpec) stay where they
    /// are; every handshake message delivered is added to `transcript`.
    fn rewrite_flight(
        flight: &[u8],
        secret: &Secret,
        context: &mut (Option<&'static Tls13CipherSuite>, Vec<u8>),
        logs: (&Logged, &Logged),
        rewrite: &mut dyn FnMut(&mut Vec<PayloadTls13>, &Context<'_>),
    ) -> Vec<u8> {
        let suite = context.0.unwrap();
        let mut plain = Vec::new();
        let mut protected = Vec::new();
        let mut seq = 0;
        for record in records(flight) {
            if record[0] != 23 {
                plain.extend_from_slice(&record);
                continue;
            }
            let (typ, content) = open(&record, secret, suite, seq);
            assert_eq!(typ, ContentType::Handshake);
            protected.extend(messages(&content));
            seq += 1;
        }
        rewrite(
            &mut protected,
            &Context {
                suite,
                transcript: &context.1,
                client_log: logs.0,
                server_log: logs.1,
            },
        );
        let sealer = suite.sealer(secret).unwrap();
        let mut out = plain;
        for (seq, message) in protected.iter().enumerate() {
            let mut encoded = Vec::new();
            message.encode(&mut encoded);
            context.1.extend_from_slice(&encoded);
            let start = out.len();
            out.extend_from_slice(&[0; 5]);
            out.extend_from_slice(&encoded);
            sealer
                .seal(seq as u64, ContentType::Handshake, &mut out, start)
                .unwrap();
        }
        out
    }

    /// Adds the plaintext handshake messages of `flight` (ClientHello,
    /// ServerHello) to the transcript; the ServerHello names the suite.
    fn note_plaintext(flight: &[u8], context: &mut (Option<&'static Tls13CipherSuite>, Vec<u8>)) {
        for record in records(flight) {
            if record[0] == 22 {
                for message in messages(&record[5..]) {
                    if let PayloadTls13::ServerHello(hello) = &message {
                        context.0 = Some(lookup_tls13(hello.cipher_suite).unwrap());
                    }
                    message.encode(&mut context.1);
                }
            }
        }
    }

    /// The alert record `record` holds, opened at sequence number 0.
    fn opened_alert(
        record: &[u8],
        secret: &Secret,
        suite: &Tls13CipherSuite,
    ) -> (u8, AlertDescription) {
        let (typ, content) = open(record, secret, suite, 0);
        assert_eq!(typ, ContentType::Alert, "the failed side wrote {content:?}");
        assert_eq!(content.len(), 2, "one alert");
        (content[0], AlertDescription::from_wire(content[1]))
    }

    fn drain(output: impl FnMut() -> Option<Vec<u8>>) -> Vec<u8> {
        std::iter::from_fn(output).flatten().collect()
    }

    /// A TLS 1.3 handshake with client authentication between our client
    /// (with `certificate`, if any) and our server (`required` or not),
    /// `rewrite` applied to the protected handshake messages of `flight`.
    fn run(
        p: &ClientAuthPki,
        certificate: Option<&Leaf>,
        required: bool,
        flight: Flight,
        mut rewrite: impl FnMut(&mut Vec<PayloadTls13>, &Context<'_>),
    ) -> Outcome {
        let client_log = Arc::new(Logged::default());
        let server_log = Arc::new(Logged::default());
        let mut client = (*p.pki.client_config()).clone();
        client.versions = vec![ProtocolVersion::Tls13];
        client.middlebox_compat = true;
        client.key_log = Some(client_log.clone());
        client.client_certificate =
            certificate.map(|leaf| CertifiedKey::new(leaf.chain.clone(), &leaf.key).unwrap());
        let mut server = (*p.pki.server_config(&p.server)).clone();
        server.versions = vec![ProtocolVersion::Tls13];
        server.middlebox_compat = true;
        server.key_log = Some(server_log.clone());
        let verifier = WebPkiClientVerifier::new(std::slice::from_ref(&p.pki.ca)).unwrap();
        let policy = ClientCertPolicy {
            verifier: Arc::new(verifier),
            required,
        };
        let mut c = ClientDriver::new(Arc::new(client), ServerName::try_from("localhost").unwrap());
        let mut s = ServerDriver::requesting_client_cert(Arc::new(server), policy);
        let mut context = (None, Vec::new());
        let (mut client_events, mut server_events) = (Vec::new(), Vec::new());
        let mut alert = None;
        // The client's flights: ClientHello, then its second; the
        // server's: its first, then whatever follows.
        for round in 0.. {
            assert!(round < 8, "the handshake does not end");
            let mut to_server = drain(|| c.poll_output());
            if alert.is_none() && c.state_name() == "Failed" {
                let suite = context.0.unwrap();
                let secret = client_log.secret(suite, "CLIENT_HANDSHAKE_TRAFFIC_SECRET");
                alert = Some(opened_alert(&to_server, &secret, suite));
            } else if round == 0 {
                note_plaintext(&to_server, &mut context);
            } else if round == 1 && flight == Flight::Client {
                let secret =
                    client_log.secret(context.0.unwrap(), "CLIENT_HANDSHAKE_TRAFFIC_SECRET");
                to_server = rewrite_flight(
                    &to_server,
                    &secret,
                    &mut context,
                    (&client_log, &server_log),
                    &mut rewrite,
                );
            }
            if !to_server.is_empty() {
                assert_eq!(s.handle_input(&to_server), to_server.len());
                server_events.extend(std::iter::from_fn(|| s.poll_event()));
            }
            let to_client = drain(|| s.poll_output());
            if alert.is_none() && s.state_name() == "Failed" {
                let suite = context.0.unwrap();
                let secret = server_log.secret(suite, "SERVER_TRAFFIC_SECRET_0");
                alert = Some(opened_alert(&to_client, &secret, suite));
            }
            let to_client = if round == 0 {
                note_plaintext(&to_client, &mut context);
                let secret =
                    server_log.secret(context.0.unwrap(), "SERVER_HANDSHAKE_TRAFFIC_SECRET");
                // A rewritten server flight is signed again, so the
                // rewrite of one message is all that changes; otherwise it
                // stays as it was (re-signed, the two sides' transcripts
                // would part: ECDSA signatures differ each time).
                let key = SigningKey::new(&p.server.key).unwrap();
                let mut server_rewrite =
                    |messages: &mut Vec<PayloadTls13>, context: &Context<'_>| {
                        if flight == Flight::Server {
                            rewrite(messages, context);
                            context.server_signs_again(messages, &key);
                        }
                    };
                rewrite_flight(
                    &to_client,
                    &secret,
                    &mut context,
                    (&client_log, &server_log),
                    &mut server_rewrite,
                )
            } else {
                to_client
            };
            if !to_client.is_empty() {
                assert_eq!(c.handle_input(&to_client), to_client.len());
                client_events.extend(std::iter::from_fn(|| c.poll_event()));
            }
            if to_server.is_empty() && to_client.is_empty() {
                break;
            }
        }
        Outcome {
            client_events,
            server_events,
            alert,
        }
    }

    fn pki() -> ClientAuthPki {
        ClientAuthPki::new("tls13 tampered client auth CA")
    }

    /// The server refused the client's flight with `error`, sent `alert`
    /// (fatal), and the client, already done with its handshake (RFC 8446
    /// 4.4.4: its Finished ends it), read that alert.
    fn assert_server_refused(outcome: &Outcome, error: Error, alert: AlertDescription) {
        assert_eq!(outcome.server_events, [Event::Failed(error)]);
        assert_eq!(outcome.alert, Some((2, alert)));
        assert!(
            matches!(
                outcome.client_events.as_slice(),
                [Event::HandshakeDone(_), Event::Failed(Error::AlertReceived { description, .. })]
                    if *description == alert
            ),
            "{:?}",
            outcome.client_events
        );
    }

    /// The client refused the server's flight with `error` and sent
    /// `alert` (fatal) under its handshake key.
    fn assert_client_refused(outcome: &Outcome, error: Error, alert: AlertDescription) {
        assert_eq!(outcome.client_events, [Event::Failed(error)]);
        assert_eq!(outcome.alert, Some((2, alert)));
        assert!(
            matches!(
                outcome.server_events.as_slice(),
                [Event::Failed(Error::AlertReceived { description, .. })] if *description == alert
            ),
            "{:?}",
            outcome.server_events
        );
    }

    fn position(messages: &[PayloadTls13], typ: HandshakeType) -> usize {
        messages
            .iter()
            .position(|message| message.typ() == typ)
            .unwrap_or_else(|| panic!("no {typ} in the flight"))
    }

    /// Replaces the client's CertificateVerify by `signed(hash)` (`hash`:
    /// the transcript through the client's Certificate) and makes its
    /// Finished again over the new transcript.
    fn replace_certificate_verify(
        messages: &mut [PayloadTls13],
        context: &Context<'_>,
        signed: impl FnOnce(&[u8]) -> DigitallySigned,
    ) {
        let at = position(messages, HandshakeType::CertificateVerify);
        messages[at] = PayloadTls13::CertificateVerify(signed(&context.hash(&messages[..at])));
        let finished = position(messages, HandshakeType::Finished);
        messages[finished] = context.client_finished(&messages[..finished]);
    }

    #[test]
    fn the_harness_alone_changes_nothing() {
        // Opening and sealing the client's flight again, unchanged: the
        // handshake completes on both sides.
        let p = pki();
        let outcome = run(&p, Some(&p.client), true, Flight::Client, |_, _| {});
        assert!(
            matches!(outcome.client_events.as_slice(), [Event::HandshakeDone(_)]),
            "{:?}",
            outcome.client_events
        );
        assert!(
            matches!(outcome.server_events.as_slice(), [Event::HandshakeDone(summary)]
                if summary.client_certificates[..] == p.client.chain[..]),
            "{:?}",
            outcome.server_events
        );
        assert_eq!(outcome.alert, None);
    }

    #[test]
    fn the_client_accepts_a_server_flight_signed_again() {
        // The server's flight signed again (a new CertificateVerify and
        // Finished) is one the client accepts: a client-side refusal
        // below is the rewritten message's. The server's transcript has
        // the old signature, so it refuses the client's CertificateVerify.
        let p = pki();
        let outcome = run(&p, Some(&p.client), true, Flight::Server, |_, _| {});
        assert!(
            matches!(outcome.client_events.first(), Some(Event::HandshakeDone(_))),
            "{:?}",
            outcome.client_events
        );
        assert_eq!(
            outcome.server_events,
            [Event::Failed(PeerMisbehaved::BadSignature.into())]
        );
    }

    #[test]
    fn the_resigned_run_completes() {
        // A CertificateVerify signed again as the client would, and its
        // Finished made again, pass: the rewrites below change only what
        // they say they change.
        let p = pki();
        let key = SigningKey::new(&p.client.key).unwrap();
        let outcome = run(
            &p,
            Some(&p.client),
            true,
            Flight::Client,
            |messages, context| {
                replace_certificate_verify(messages, context, |hash| DigitallySigned {
                    scheme: SignatureScheme::ECDSA_NISTP256_SHA256,
                    signature: key
                        .sign(
                            SignatureScheme::ECDSA_NISTP256_SHA256,
                            SignedContent::new(CLIENT_CERTIFICATE_VERIFY, hash)
                                .unwrap()
                                .as_bytes(),
                        )
                        .unwrap(),
                });
            },
        );
        assert!(
            matches!(outcome.server_events.as_slice(), [Event::HandshakeDone(_)]),
            "{:?}",
            outcome.server_events
        );
    }

    #[test]
    fn server_refuses_a_pkcs1_client_certificate_verify() {
        // RFC 8446 4.4.3: RSA PKCS#1 v1.5 "MUST NOT" sign a TLS 1.3
        // CertificateVerify; we never offer it in the CertificateRequest.
        // An RSA client signs the right content with it, correctly.
        let p = pki();
        let rsa = p.pki.leaf_with(
            KeyKind::Rsa2048,
            &["client.example"],
            LeafFlavor::ClientAuth,
        );
        let key = SigningKey::new(&rsa.key).unwrap();
        let outcome = run(&p, Some(&rsa), true, Flight::Client, |messages, context| {
            replace_certificate_verify(messages, context, |hash| DigitallySigned {
                scheme: SignatureScheme::RSA_PKCS1_SHA256,
                signature: key
                    .sign(
                        SignatureScheme::RSA_PKCS1_SHA256,
                        SignedContent::new(CLIENT_CERTIFICATE_VERIFY, hash)
                            .unwrap()
                            .as_bytes(),
                    )
                    .unwrap(),
            });
        });
        assert_server_refused(
            &outcome,
            PeerMisbehaved::IllegalParameter("a signature scheme we did not offer").into(),
            AlertDescription::IllegalParameter,
        );
    }

    #[test]
    fn server_refuses_a_client_certificate_verify_scheme_it_did_not_offer() {
        // ecdsa_sha1 (0x0203) is in no CertificateRequest of ours.
        let p = pki();
        let outcome = run(
            &p,
            Some(&p.client),
            true,
            Flight::Client,
            |messages, context| {
                let at = position(messages, HandshakeType::CertificateVerify);
                let PayloadTls13::CertificateVerify(signed) = &messages[at] else {
                    unreachable!()
                };
                let signature = signed.signature.clone();
                replace_certificate_verify(messages, context, |_| DigitallySigned {
                    scheme: SignatureScheme::from_wire(0x0203),
                    signature,
                });
            },
        );
        assert_server_refused(
            &outcome,
            PeerMisbehaved::IllegalParameter("a signature scheme we did not offer").into(),
            AlertDescription::IllegalParameter,
        );
    }

    #[test]
    fn server_refuses_a_client_certificate_verify_that_does_not_verify() {
        // The client's own signature, one byte of it flipped.
        let p = pki();
        let outcome = run(
            &p,
            Some(&p.client),
            true,
            Flight::Client,
            |messages, context| {
                let at = position(messages, HandshakeType::CertificateVerify);
                let PayloadTls13::CertificateVerify(signed) = &messages[at] else {
                    unreachable!()
                };
                let mut signed = signed.clone();
                let last = signed.signature.len() - 1;
                signed.signature[last] ^= 1;
                replace_certificate_verify(messages, context, |_| signed);
            },
        );
        assert_server_refused(
            &outcome,
            PeerMisbehaved::BadSignature.into(),
            AlertDescription::DecryptError,
        );
    }

    #[test]
    fn server_refuses_a_client_certificate_verify_signed_as_a_server() {
        // RFC 8446 4.4.3: the context string keeps a server's signature
        // from being taken as a client's. The client's real key signs the
        // right transcript under the server's context.
        let p = pki();
        let key = SigningKey::new(&p.client.key).unwrap();
        let outcome = run(
            &p,
            Some(&p.client),
            true,
            Flight::Client,
            |messages, context| {
                replace_certificate_verify(messages, context, |hash| DigitallySigned {
                    scheme: SignatureScheme::ECDSA_NISTP256_SHA256,
                    signature: key
                        .sign(
                            SignatureScheme::ECDSA_NISTP256_SHA256,
                            SignedContent::new(SERVER_CERTIFICATE_VERIFY, hash)
                                .unwrap()
                                .as_bytes(),
                        )
                        .unwrap(),
                });
            },
        );
        assert_server_refused(
            &outcome,
            PeerMisbehaved::BadSignature.into(),
            AlertDescription::DecryptError,
        );
    }

    #[test]
    fn server_refuses_a_client_certificate_with_another_request_context() {
        // RFC 8446 4.4.2: the client's Certificate echoes the request's
        // context, which is empty during the handshake (4.3.2).
        let p = pki();
        let outcome = run(&p, Some(&p.client), true, Flight::Client, |messages, _| {
            let at = position(messages, HandshakeType::Certificate);
            let PayloadTls13::Certificate(certificate) = &mut messages[at] else {
                unreachable!()
            };
            certificate.context = vec![1, 2, 3];
        });
        assert_server_refused(
            &outcome,
            PeerMisbehaved::IllegalParameter(
                "a certificate_request_context that is not our request's",
            )
            .into(),
            AlertDescription::IllegalParameter,
        );
    }

    #[test]
    fn server_refuses_a_wrong_client_finished_after_a_client_certificate() {
        let p = pki();
        let outcome = run(&p, Some(&p.client), true, Flight::Client, |messages, _| {
            let at = position(messages, HandshakeType::Finished);
            let PayloadTls13::Finished(finished) = &messages[at] else {
                unreachable!()
            };
            let mut data = finished.verify_data().to_vec();
            data[0] ^= 1;
            messages[at] = PayloadTls13::Finished(FinishedTls13::new(&data).unwrap());
        });
        assert_server_refused(
            &outcome,
            PeerMisbehaved::IncorrectFinished.into(),
            AlertDescription::DecryptError,
        );
    }

    #[test]
    fn server_refuses_a_wrong_client_finished_after_an_empty_certificate() {
        let p = pki();
        let outcome = run(&p, None, false, Flight::Client, |messages, _| {
            let at = position(messages, HandshakeType::Finished);
            let PayloadTls13::Finished(finished) = &messages[at] else {
                unreachable!()
            };
            let mut data = finished.verify_data().to_vec();
            data[0] ^= 1;
            messages[at] = PayloadTls13::Finished(FinishedTls13::new(&data).unwrap());
        });
        assert_server_refused(
            &outcome,
            PeerMisbehaved::IncorrectFinished.into(),
            AlertDescription::DecryptError,
        );
    }

    #[test]
    fn server_refuses_an_empty_client_certificate_when_one_is_required() {
        // The client had a certificate; its Certificate is emptied and its
        // CertificateVerify dropped (RFC 8446 4.4.2.4: an empty one has
        // none), so the message, not the client's choice, is what is
        // refused: certificate_required (6.2).
        let p = pki();
        let outcome = run(
            &p,
            Some(&p.client),
            true,
            Flight::Client,
            |messages, context| {
                let at = position(messages, HandshakeType::Certificate);
                messages[at] =
                    PayloadTls13::Certificate(CertificateTls13::from_chain(Vec::new(), &[]));
                messages.remove(position(messages, HandshakeType::CertificateVerify));
                let finished = position(messages, HandshakeType::Finished);
                messages[finished] = context.client_finished(&messages[..finished]);
            },
        );
        assert_server_refused(
            &outcome,
            PeerIncompatible::ClientCertificateRequired13.into(),
            AlertDescription::CertificateRequired,
        );
    }

    #[test]
    fn server_refuses_a_client_chain_its_verifier_refuses() {
        // A leaf of the right CA without the clientAuth key usage: the
        // verifier refuses it, and the one mapping picks bad_certificate
        // for what rustls-webpki reports.
        let p = pki();
        let server_only = p.pki.leaf(KeyKind::EcdsaP256, &["client.example"]);
        let outcome = run(&p, Some(&server_only), true, Flight::Client, |_, _| {});
        let [Event::Failed(Error::Certificate(tlstate::error::CertificateError::Other(why)))] =
            outcome.server_events.as_slice()
        else {
            panic!("{:?}", outcome.server_events)
        };
        assert!(why.contains("RequiredEkuNotFound"), "{why}");
        let error = outcome.server_events[0].clone();
        let Event::Failed(error) = error else {
            unreachable!()
        };
        assert_server_refused(&outcome, error, AlertDescription::BadCertificate);
    }

    #[test]
    fn server_refuses_a_client_certificate_without_its_certificate_verify() {
        // RFC 8446 4.4.3: a non-empty client Certificate is followed by
        // its CertificateVerify; the client's Finished (made again over
        // the shorter transcript) may not take its place.
        let p = pki();
        let outcome = run(
            &p,
            Some(&p.client),
            true,
            Flight::Client,
            |messages, context| {
                messages.remove(position(messages, HandshakeType::CertificateVerify));
                let finished = position(messages, HandshakeType::Finished);
                messages[finished] = context.client_finished(&messages[..finished]);
            },
        );
        assert_server_refused(
            &outcome,
            Error::UnexpectedMessage {
                expected: "ClientCertVerify",
                got: Received::Handshake(HandshakeType::Finished),
            },
            AlertDescription::UnexpectedMessage,
        );
    }

    #[test]
    fn server_refuses_a_certificate_verify_after_an_empty_certificate() {
        // An empty Certificate has no CertificateVerify (RFC 8446 4.4.2.4,
        // 4.4.3): one that follows it is refused, not verified.
        let p = pki();
        let outcome = run(
            &p,
            Some(&p.client),
            false,
            Flight::Client,
            |messages, context| {
                let at = position(messages, HandshakeType::Certificate);
                messages[at] =
                    PayloadTls13::Certificate(CertificateTls13::from_chain(Vec::new(), &[]));
                let finished = position(messages, HandshakeType::Finished);
                messages[finished] = context.client_finished(&messages[..finished]);
            },
        );
        assert_server_refused(
            &outcome,
            Error::UnexpectedMessage {
                expected: "ClientFinished",
                got: Received::Handshake(HandshakeType::CertificateVerify),
            },
            AlertDescription::UnexpectedMessage,
        );
    }

    #[test]
    fn client_refuses_a_certificate_request_without_signature_algorithms() {
        // RFC 8446 4.3.2: "The "signature_algorithms" extension MUST be
        // specified"; 9.2: missing_extension.
        let p = pki();
        let outcome = run(&p, Some(&p.client), true, Flight::Server, |messages, _| {
            let at = position(messages, HandshakeType::CertificateRequest);
            let PayloadTls13::CertificateRequest(request) = &mut messages[at] else {
                unreachable!()
            };
            request
                .extensions
                .0
                .retain(|ext| ext.typ != ExtensionType::SignatureAlgorithms);
        });
        assert_client_refused(
            &outcome,
            PeerMisbehaved::MissingExtension("signature_algorithms").into(),
            AlertDescription::MissingExtension,
        );
    }

    #[test]
    fn client_refuses_a_certificate_request_context_during_the_handshake() {
        // RFC 8446 4.3.2: the context "SHALL be zero length unless used
        // for the post-handshake authentication exchanges".
        let p = pki();
        let outcome = run(&p, Some(&p.client), true, Flight::Server, |messages, _| {
            let at = position(messages, HandshakeType::CertificateRequest);
            let PayloadTls13::CertificateRequest(request) = &mut messages[at] else {
                unreachable!()
            };
            request.context = vec![7; 8];
        });
        assert_client_refused(
            &outcome,
            PeerMisbehaved::IllegalParameter(
                "a certificate_request_context in a CertificateRequest during the handshake",
            )
            .into(),
            AlertDescription::IllegalParameter,
        );
    }

    #[test]
    fn client_refuses_a_second_certificate_request() {
        // RFC 8446 4.3.2 allows one CertificateRequest in the handshake,
        // right after EncryptedExtensions; the table expects the
        // Certificate next.
        let p = pki();
        let outcome = run(&p, Some(&p.client), true, Flight::Server, |messages, _| {
            let at = position(messages, HandshakeType::CertificateRequest);
            let again = messages[at].clone();
            messages.insert(at + 1, again);
        });
        let [Event::Failed(error @ Error::UnexpectedMessage { got, .. })] =
            outcome.client_events.as_slice()
        else {
            panic!("{:?}", outcome.client_events)
        };
        assert_eq!(*got, Received::Handshake(HandshakeType::CertificateRequest));
        assert_client_refused(&outcome, error.clone(), AlertDescription::UnexpectedMessage);
    }
}
