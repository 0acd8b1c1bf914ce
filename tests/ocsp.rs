//! OCSP stapling (RFC 6066 8): the status_request extension and the
//! optional ServerCertStatus row, against OpenSSL and in memory; and in
//! TLS 1.3 (RFC 8446 4.4.2.1), the response in the end-entity
//! CertificateEntry, against OpenSSL, rustls, ourselves and a hand-built
//! server for what no real one sends.
//!
//! The OCSP responses are real: `openssl ocsp` answers for the test leaf
//! from an index file, signed by the test CA. The default verifier does
//! not check them (rustls-webpki has no OCSP); these tests check that the
//! bytes travel unchanged, that the row appears exactly when it should,
//! and that a CertificateStatus out of place is refused.

mod common;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use common::memory::{localhost, next, server_through_hello_done};
use common::openssl::{SServer, s_client, s_client_version};
use common::{KeyKind, Leaf, TestPki, free_port};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tlstate::codec::Codec;
use tlstate::connection::SessionSummary;
use tlstate::crypto::tls13::{EarlySecret, lookup_tls13};
use tlstate::crypto::{EphemeralKeyExchange, Transcript};
use tlstate::crypto::{ServerCertVerifier, WebPkiServerVerifier};
use tlstate::driver::{ClientDriver, ServerDriver};
use tlstate::enums::{
    AlertDescription, CertificateStatusType, CipherSuite, Compression, ContentType, ExtensionType,
    HandshakeType, ProtocolVersion,
};
use tlstate::error::{CertificateError, Error, InvalidMessage, PeerMisbehaved, Received};
use tlstate::handshake::{
    AfterServerCert, AfterServerHello, AfterServerKey, CertifiedKey, Client, ClientConfig,
    Handshake, ServerConfig, state,
};
use tlstate::message::tls13::{
    CertificateTls13, EncryptedExtensions, Extensions, KeyShareEntry,
    MAX_STAPLED_OCSP_RESPONSE_LEN, PayloadTls13,
};
use tlstate::message::{
    CertificateStatus, CertificateStatusRequest, ClientExtension, HandshakeMessage,
    HandshakePayload, OcspStatusRequest, Random, ServerExtension, ServerExtensions, ServerHello,
};
use tlstate::record::{Inbound, RecordReader, RecordWriter};
use tlstate::session::{InMemorySessionStore, SessionCache};

const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A test CA, a `localhost` leaf, and a real OCSP response ("good") for
/// the leaf, made once per test binary.
struct Ocsp {
    pki: TestPki,
    leaf: Leaf,
    response: Vec<u8>,
    response_path: std::path::PathBuf,
}

fn ocsp() -> &'static Ocsp {
    static OCSP: std::sync::OnceLock<Ocsp> = std::sync::OnceLock::new();
    OCSP.get_or_init(|| {
        let pki = TestPki::new("tlstate OCSP test CA");
        let leaf = pki.leaf(KeyKind::EcdsaP256, &["localhost"]);
        let response_path = ocsp_response_for(&pki, &leaf.cert_path, "localhost");
        let response = std::fs::read(&response_path).unwrap();
        Ocsp {
            pki,
            leaf,
            response,
            response_path,
        }
    })
}

/// Runs `openssl ocsp` as a responder for `cert` (issued by the test CA,
/// valid per an index file), signed by the CA; returns the DER response's
/// path.
fn ocsp_response_for(pki: &TestPki, cert: &Path, name: &str) -> std::path::PathBuf {
    let dir = pki.dir.path();
    let serial = Command::new("openssl")
        .args(["x509", "-noout", "-serial", "-in", path(cert)])
        .output()
        .expect("openssl must be installed (.ci/run installs it)");
    let serial = String::from_utf8(serial.stdout).unwrap();
    let serial = serial.trim().strip_prefix("serial=").expect("a serial");
    // The CA database: V(alid), expiry, no revocation date, serial,
    // file name, subject.
    let index = dir.join(format!("index-{name}.txt"));
    std::fs::write(
        &index,
        format!("V\t491231235959Z\t\t{serial}\tunknown\t/CN={name}\n"),
    )
    .unwrap();
    let response = dir.join(format!("ocsp-{name}.der"));
    let output = Command::new("openssl")
        .args(["ocsp", "-index", path(&index)])
        .args(["-CA", path(&pki.ca_path), "-issuer", path(&pki.ca_path)])
        .args([
            "-rsigner",
            path(&pki.ca_path),
            "-rkey",
            path(&pki.ca_key_path),
        ])
        .args([
            "-cert",
            path(cert),
            "-respout",
            path(&response),
            "-ndays",
            "1",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "openssl ocsp failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    response
}

// The TLS 1.2 tests pin the version (the TLS 1.3 ones, below, theirs),
// whatever the configurations' default.

fn stapling_server(response: &[u8]) -> Arc<ServerConfig> {
    let mut config = (*plain_server()).clone();
    config.ocsp_response = Some(response.into());
    Arc::new(config)
}

fn plain_server() -> Arc<ServerConfig> {
    let fx = ocsp();
    let mut config = (*fx.pki.server_config(&fx.leaf)).clone();
    config.versions = vec![ProtocolVersion::Tls12];
    Arc::new(config)
}

fn client(request_ocsp: bool) -> Arc<ClientConfig> {
    let mut config = (*ocsp().pki.client_config_tls12()).clone();
    config.request_ocsp = request_ocsp;
    config.versions = vec![ProtocolVersion::Tls12];
    Arc::new(config)
}

/// Splits bytes into records.
fn records(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while bytes.len() >= 5 {
        let len = 5 + usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        out.push(bytes[..len].to_vec());
        bytes = &bytes[len..];
    }
    out
}

/// The handshake types of a plaintext flight, one message per record.
fn message_types(flight: &[Vec<u8>]) -> Vec<HandshakeType> {
    flight
        .iter()
        .map(|r| HandshakeType::from_wire(r[5]))
        .collect()
}

/// The extensions of the ServerHello record.
fn server_hello_extensions(record: &[u8]) -> Vec<ExtensionType> {
    let message = HandshakeMessage::read_bytes(&record[5..]).unwrap();
    let HandshakePayload::ServerHello(hello) = message.payload else {
        panic!("not a ServerHello")
    };
    hello.extensions.iter().map(ServerExtension::typ).collect()
}

/// A client that has sent its ClientHello, and the server's first flight
/// (one record per message) answering it.
fn first_flight(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
) -> (Handshake<Client, state::ServerHello>, Vec<Vec<u8>>) {
    let mut c = Handshake::client(client, localhost()).send().unwrap();
    let mut s = Handshake::server(server);
    let input: &[u8] = &c.take_output();
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    // ServerHello, Certificate, [CertificateStatus], ServerKeyExchange,
    // ServerHelloDone
    let mut s = server_through_hello_done(s).unwrap();
    (c, records(&s.take_output()))
}

/// The whole in-memory handshake: the client's and the server's summary.
fn handshake(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
) -> (SessionSummary, SessionSummary) {
    let (c, s, _) = common::memory::full_handshake(client, server).unwrap();
    (c.summary().clone(), s.summary().clone())
}

// --- the wire format ----------------------------------------------------

#[test]
fn certificate_status_round_trips() {
    let status = CertificateStatus {
        ocsp_response: Arc::from(&[0x30, 0x03, 0x0a, 0x01, 0x00][..]),
    };
    let mut body = Vec::new();
    status.encode(&mut body);
    // status_type ocsp(1), then the response behind a 24-bit length.
    assert_eq!(body, [1, 0, 0, 5, 0x30, 0x03, 0x0a, 0x01, 0x00]);
    assert_eq!(CertificateStatus::read_bytes(&body), Ok(status));
}

#[test]
fn certificate_status_of_another_type_is_a_decode_error() {
    // Only ocsp(1) is defined (RFC 6066 8); ocsp_multi(2) belongs to
    // status_request_v2, which we never offer.
    assert_eq!(
        CertificateStatus::read_bytes(&[2, 0, 0, 1, 0]),
        Err(InvalidMessage::InvalidValue("CertificateStatusType"))
    );
}

#[test]
fn empty_ocsp_response_is_a_decode_error() {
    // `opaque OCSPResponse<1..2^24-1>`
    assert_eq!(
        CertificateStatus::read_bytes(&[1, 0, 0, 0]),
        Err(InvalidMessage::EmptyList("OCSPResponse"))
    );
}

#[test]
fn status_request_round_trips() {
    let request =
        ClientExtension::StatusRequest(CertificateStatusRequest::Ocsp(OcspStatusRequest {
            responder_ids: vec![vec![0xa1, 0x00]],
            request_extensions: vec![0x30, 0x00],
        }));
    let mut bytes = Vec::new();
    request.encode(&mut bytes);
    // type 5, length 11: status_type 1, responder_id_list<2+2+2>,
    // request_extensions<2+2>.
    assert_eq!(
        bytes,
        [0, 5, 0, 11, 1, 0, 4, 0, 2, 0xa1, 0x00, 0, 2, 0x30, 0x00]
    );
    assert_eq!(ClientExtension::read_bytes(&bytes), Ok(request));
    // What our client sends: any responder, no extensions.
    let ours = ClientExtension::StatusRequest(CertificateStatusRequest::Ocsp(
        OcspStatusRequest::default(),
    ));
    let mut bytes = Vec::new();
    ours.encode(&mut bytes);
    assert_eq!(bytes, [0, 5, 0, 5, 1, 0, 0, 0, 0]);
}

#[test]
fn status_request_of_another_type_is_kept_undecoded() {
    let bytes = [0, 5, 0, 3, 7, 0xab, 0xcd];
    let read = ClientExtension::read_bytes(&bytes).unwrap();
    assert_eq!(
        read,
        ClientExtension::StatusRequest(CertificateStatusRequest::Other {
            status_type: CertificateStatusType::from_wire(7),
            data: vec![0xab, 0xcd],
        })
    );
    let mut again = Vec::new();
    read.encode(&mut again);
    assert_eq!(again, bytes);
}

#[test]
fn empty_responder_id_is_a_decode_error() {
    // `opaque ResponderID<1..2^16-1>`
    assert_eq!(
        ClientExtension::read_bytes(&[0, 5, 0, 7, 1, 0, 2, 0, 0, 0, 0]),
        Err(InvalidMessage::EmptyList("ResponderID"))
    );
}

#[test]
fn status_request_ack_is_empty() {
    let mut bytes = Vec::new();
    ServerExtension::StatusRequestAck.encode(&mut bytes);
    assert_eq!(bytes, [0, 5, 0, 0]);
    assert_eq!(
        ServerExtension::read_bytes(&bytes),
        Ok(ServerExtension::StatusRequestAck)
    );
    assert_eq!(
        ServerExtension::read_bytes(&[0, 5, 0, 1, 0]),
        Err(InvalidMessage::TrailingData("status_request"))
    );
}

// --- in memory: when the row is written ---------------------------------

#[test]
fn stapled_response_reaches_the_client_summary() {
    let fx = ocsp();
    let (c, s) = handshake(client(true), stapling_server(&fx.response));
    assert_eq!(c.ocsp_response.as_deref(), Some(&fx.response[..]));
    assert_eq!(s.ocsp_response.as_deref(), Some(&fx.response[..]));
}

#[test]
fn stapling_server_acks_status_request_and_writes_certificate_status() {
    let fx = ocsp();
    let (c, flight) = first_flight(client(true), stapling_server(&fx.response));
    assert_eq!(
        message_types(&flight),
        [
            HandshakeType::ServerHello,
            HandshakeType::Certificate,
            HandshakeType::CertificateStatus,
            HandshakeType::ServerKeyExchange,
            HandshakeType::ServerHelloDone,
        ]
    );
    // RFC 6066 8: an empty status_request in the ServerHello.
    assert!(server_hello_extensions(&flight[0]).contains(&ExtensionType::StatusRequest));
    let mut c = c;
    let input: &[u8] = &flight[..3].concat();
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterServerHello::Full(c) = next(c.recv().unwrap()) else {
        panic!("resumed")
    };
    let AfterServerCert::CertificateStatus(_) = next(next(c.recv().unwrap()).recv().unwrap())
    else {
        panic!("the CertificateStatus was not read as one")
    };
}

#[test]
fn no_response_configured_means_no_status_row() {
    let (c, flight) = first_flight(client(true), plain_server());
    assert_eq!(
        message_types(&flight),
        [
            HandshakeType::ServerHello,
            HandshakeType::Certificate,
            HandshakeType::ServerKeyExchange,
            HandshakeType::ServerHelloDone,
        ]
    );
    assert!(!server_hello_extensions(&flight[0]).contains(&ExtensionType::StatusRequest));
    let mut c = c;
    let input: &[u8] = &flight[..3].concat();
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterServerHello::Full(c) = next(c.recv().unwrap()) else {
        panic!("resumed")
    };
    let AfterServerCert::NoCertificateStatus(_) = next(next(c.recv().unwrap()).recv().unwrap())
    else {
        panic!("a CertificateStatus nobody sent")
    };
    let (c, s) = handshake(client(true), plain_server());
    assert_eq!(c.ocsp_response, None);
    assert_eq!(s.ocsp_response, None);
}

#[test]
fn client_that_did_not_ask_gets_no_status() {
    let fx = ocsp();
    let (c, flight) = first_flight(client(false), stapling_server(&fx.response));
    // The ClientHello had no status_request, so no ack and no row.
    assert_eq!(
        message_types(&flight),
        [
            HandshakeType::ServerHello,
            HandshakeType::Certificate,
            HandshakeType::ServerKeyExchange,
            HandshakeType::ServerHelloDone,
        ]
    );
    assert!(!server_hello_extensions(&flight[0]).contains(&ExtensionType::StatusRequest));
    drop(c);
    let (c, s) = handshake(client(false), stapling_server(&fx.response));
    assert_eq!(c.ocsp_response, None);
    assert_eq!(s.ocsp_response, None);
}

#[test]
fn each_sni_certificate_staples_its_own_response() {
    let fx = ocsp();
    let other = fx.pki.leaf(KeyKind::EcdsaP256, &["other.example"]);
    let other_response = std::fs::read(ocsp_response_for(
        &fx.pki,
        &other.cert_path,
        "other.example",
    ))
    .unwrap();
    assert_ne!(other_response, fx.response);
    let mut server = (*stapling_server(&fx.response)).clone();
    let mut by_name = CertifiedKey::new(other.chain.clone(), &other.key).unwrap();
    by_name.ocsp_response = Some(other_response.clone().into());
    server
        .certificates_by_name
        .push(("other.example".into(), by_name));
    let server = Arc::new(server);

    // The certificate and the response the client gets, asking for `name`.
    let stapled = |name: &str| {
        let mut c = Handshake::client(
            client(true),
            ServerName::try_from(name.to_string()).unwrap(),
        )
        .send()
        .unwrap();
        let mut s = Handshake::server(server.clone());
        let input: &[u8] = &c.take_output();
        assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
        let mut s = server_through_hello_done(s).unwrap();
        let input: &[u8] = &s.take_output();
        assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
        let AfterServerHello::Full(c) = next(c.recv().unwrap()) else {
            panic!("resumed")
        };
        let c = next(c.recv().unwrap());
        let certificate = c.server_certificates()[0].clone();
        let AfterServerCert::CertificateStatus(c) = next(c.recv().unwrap()) else {
            panic!("{name}: no CertificateStatus")
        };
        // The rest of the handshake, for the summary.
        let AfterServerKey::NoCertificateRequest(c) = next(next(c.recv().unwrap()).recv().unwrap())
        else {
            panic!("a CertificateRequest")
        };
        let mut c = (|| c.send()?.send()?.send())().unwrap();
        let input: &[u8] = &c.take_output();
        assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
        let mut s = (|| {
            next(next(next(s.recv()?).recv()?).recv()?)
                .send()?
                .send()?
                .send()
        })()
        .unwrap();
        let input: &[u8] = &s.take_output();
        assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
        let c = next(common::memory::client_no_ticket(c).unwrap().recv().unwrap());
        (certificate, c.summary().ocsp_response.unwrap().to_vec())
    };
    // The name picks the certificate and, with it, the response.
    assert_eq!(
        stapled("other.example"),
        (other.chain[0].clone(), other_response)
    );
    // A name without an entry gets the default certificate and its own.
    assert_eq!(
        stapled("localhost"),
        (fx.leaf.chain[0].clone(), fx.response.clone())
    );
}

/// Runs a client and a server driver against each other until neither
/// has output left; returns the client's summary and every byte the server
/// wrote.
fn drive(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
) -> (Option<SessionSummary>, Vec<u8>) {
    let (client, _, wire) = drive_both(client, server);
    (client, wire)
}

/// [`drive`], with the server's summary too.
fn drive_both(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
) -> (Option<SessionSummary>, Option<SessionSummary>, Vec<u8>) {
    let mut c = ClientDriver::new(client, localhost());
    let mut s = ServerDriver::new(server);
    let mut from_server = Vec::new();
    loop {
        let mut to_server = Vec::new();
        while let Some(bytes) = c.poll_output() {
            to_server.extend_from_slice(&bytes);
        }
        let input: &[u8] = &to_server;
        assert_eq!(
            s.handle_input(input),
            input.len(),
            "the driver takes it all"
        );
        let mut to_client = Vec::new();
        while let Some(bytes) = s.poll_output() {
            to_client.extend_from_slice(&bytes);
        }
        if to_server.is_empty() && to_client.is_empty() {
            break;
        }
        from_server.extend_from_slice(&to_client);
        let input: &[u8] = &to_client;
        assert_eq!(
            c.handle_input(input),
            input.len(),
            "the driver takes it all"
        );
    }
    (c.summary().cloned(), s.summary().cloned(), from_server)
}

#[test]
fn resumption_staples_nothing() {
    // An abbreviated handshake has no Certificate, so no CertificateStatus
    // and no acknowledgement, though the client asks and the server has a
    // response (RFC 6066 8 ties the status to the Certificate).
    let fx = ocsp();
    let mut server = (*stapling_server(&fx.response)).clone();
    server.session_cache = Some(Arc::new(SessionCache::new(4, 3600)));
    let server = Arc::new(server);
    let mut config = (*client(true)).clone();
    config.session_store = Some(Arc::new(InMemorySessionStore::new(4)));
    config.enable_tickets = false;
    let config = Arc::new(config);
    let (first, _) = drive(config.clone(), server.clone());
    let first = first.expect("the first handshake completes");
    assert!(!first.resumed);
    assert_eq!(first.ocsp_response.as_deref(), Some(&fx.response[..]));
    let (second, wire) = drive(config, server);
    let second = second.expect("the second handshake completes");
    assert!(second.resumed);
    assert_eq!(second.ocsp_response, None);
    let flight = records(&wire);
    assert_eq!(flight[0][5], HandshakeType::ServerHello.to_wire());
    assert!(!server_hello_extensions(&flight[0]).contains(&ExtensionType::StatusRequest));
    assert!(
        !flight
            .iter()
            .take_while(|r| r[0] == 22)
            .any(|r| r[5] == HandshakeType::CertificateStatus.to_wire())
    );
}

// --- in memory: what the client refuses ---------------------------------

/// The flight of a stapling server, with the ServerHello of a server that
/// did not acknowledge status_request: the client reads ServerHello,
/// Certificate and then a CertificateStatus it was not promised.
fn unpromised_status(request_ocsp: bool) -> tlstate::handshake::Fatal {
    let fx = ocsp();
    let (c, plain) = first_flight(client(request_ocsp), plain_server());
    let (_, stapled) = first_flight(client(true), stapling_server(&fx.response));
    assert_eq!(stapled[2][5], HandshakeType::CertificateStatus.to_wire());
    let mut c = c;
    let input: &[u8] = &[&plain[0][..], &plain[1], &stapled[2]].concat();
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterServerHello::Full(c) = next(c.recv().unwrap()) else {
        panic!("resumed")
    };
    next(c.recv().unwrap()).recv().unwrap_err()
}

#[test]
fn client_rejects_certificate_status_it_did_not_ask_for() {
    let fatal = unpromised_status(false);
    assert_eq!(
        fatal.error(),
        &Error::UnexpectedMessage {
            expected: "ServerKey",
            got: Received::Handshake(HandshakeType::CertificateStatus),
        }
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::UnexpectedMessage));
    assert_eq!(fatal.output(), &[21, 3, 3, 0, 2, 2, 10]);
}

#[test]
fn client_rejects_certificate_status_the_server_did_not_acknowledge() {
    // The client asked, but the ServerHello carried no ack: RFC 6066 8
    // forbids the CertificateStatus then.
    let fatal = unpromised_status(true);
    assert_eq!(
        fatal.error(),
        &Error::UnexpectedMessage {
            expected: "ServerKey",
            got: Received::Handshake(HandshakeType::CertificateStatus),
        }
    );
    assert_eq!(fatal.output(), &[21, 3, 3, 0, 2, 2, 10]);
}

#[test]
fn client_rejects_status_request_ack_it_did_not_offer() {
    // The ServerHello of a stapling server that answered a client who
    // asked, read by a client who did not.
    let fx = ocsp();
    let (c, _) = first_flight(client(false), plain_server());
    let (_, stapled) = first_flight(client(true), stapling_server(&fx.response));
    let mut c = c;
    let input: &[u8] = &stapled[0];
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let fatal = c.recv().unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(
            "an extension we did not offer"
        ))
    );
    assert_eq!(fatal.output(), &[21, 3, 3, 0, 2, 2, 47]);
}

#[test]
fn client_rejects_certificate_status_of_another_type() {
    let fx = ocsp();
    let (mut c, mut stapled) = first_flight(client(true), stapling_server(&fx.response));
    // header(5) handshake header(4) status_type(1)
    assert_eq!(stapled[2][9], 1);
    stapled[2][9] = 2;
    let input: &[u8] = &stapled[..3].concat();
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterServerHello::Full(c) = next(c.recv().unwrap()) else {
        panic!("resumed")
    };
    let fatal = next(c.recv().unwrap()).recv().unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::InvalidMessage(InvalidMessage::InvalidValue("CertificateStatusType"))
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::DecodeError));
    assert_eq!(fatal.output(), &[21, 3, 3, 0, 2, 2, 50]);
}

#[test]
fn client_rejects_an_empty_ocsp_response() {
    let fx = ocsp();
    let (mut c, stapled) = first_flight(client(true), stapling_server(&fx.response));
    // certificate_status(22), length 4: ocsp(1), OCSPResponse<0>.
    let empty = [22, 3, 3, 0, 8, 22, 0, 0, 4, 1, 0, 0, 0];
    let input: &[u8] = &[&stapled[0][..], &stapled[1], &empty].concat();
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterServerHello::Full(c) = next(c.recv().unwrap()) else {
        panic!("resumed")
    };
    let fatal = next(c.recv().unwrap()).recv().unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::InvalidMessage(InvalidMessage::EmptyList("OCSPResponse"))
    );
    assert_eq!(fatal.output(), &[21, 3, 3, 0, 2, 2, 50]);
}

// --- the verifier -------------------------------------------------------

/// Accepts the chain as webpki does and records every OCSP call; refuses
/// the response if told to.
#[derive(Debug)]
struct RecordingVerifier {
    inner: WebPkiServerVerifier,
    seen: Mutex<Vec<Option<Vec<u8>>>>,
    refuse: bool,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), CertificateError> {
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, now)
    }

    fn verify_ocsp_response(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: Option<&[u8]>,
        _now: UnixTime,
    ) -> Result<(), CertificateError> {
        assert_eq!(end_entity, &ocsp().leaf.chain[0]);
        self.seen
            .lock()
            .unwrap()
            .push(ocsp_response.map(<[u8]>::to_vec));
        match self.refuse {
            true => Err(CertificateError::Other("revoked, says OCSP".into())),
            false => Ok(()),
        }
    }
}

fn recording_client(refuse: bool) -> (Arc<ClientConfig>, Arc<RecordingVerifier>) {
    let verifier = Arc::new(RecordingVerifier {
        inner: WebPkiServerVerifier::new(std::slice::from_ref(&ocsp().pki.ca)).unwrap(),
        seen: Mutex::new(Vec::new()),
        refuse,
    });
    let mut config = (*client(true)).clone();
    config.verifier = verifier.clone();
    (Arc::new(config), verifier)
}

#[test]
fn verifier_gets_the_stapled_response_or_its_absence() {
    let fx = ocsp();
    let (config, verifier) = recording_client(false);
    handshake(config.clone(), stapling_server(&fx.response));
    handshake(config, plain_server());
    assert_eq!(
        *verifier.seen.lock().unwrap(),
        [Some(fx.response.clone()), None]
    );
}

#[test]
fn verifier_refusing_the_response_ends_the_handshake() {
    let fx = ocsp();
    let (config, verifier) = recording_client(true);
    let (mut c, stapled) = first_flight(config, stapling_server(&fx.response));
    let input: &[u8] = &stapled[..3].concat();
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterServerHello::Full(c) = next(c.recv().unwrap()) else {
        panic!("resumed")
    };
    let fatal = next(c.recv().unwrap()).recv().unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::Certificate(CertificateError::Other("revoked, says OCSP".into()))
    );
    assert_eq!(fatal.output(), &[21, 3, 3, 0, 2, 2, 42], "bad_certificate");
    assert_eq!(verifier.seen.lock().unwrap().len(), 1);
}

// --- against OpenSSL ----------------------------------------------------

/// Our server for one connection on an ephemeral port; sends back the
/// summary of the handshake (or its error).
fn serve_one(config: Arc<ServerConfig>) -> (u16, mpsc::Receiver<Result<SessionSummary, String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = (|| {
            let (tcp, _) = listener.accept().map_err(|e| e.to_string())?;
            tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            let mut stream = tlstate::stream::accept(config, tcp).map_err(|e| e.to_string())?;
            let summary = stream.summary().clone();
            // s_client closes when its stdin ends; read until then.
            let _ = stream.read(&mut [0u8; 64]);
            let _ = stream.close();
            Ok(summary)
        })();
        let _ = tx.send(result);
    });
    (port, rx)
}

#[test]
fn openssl_s_client_status_sees_our_stapled_response() {
    let fx = ocsp();
    let (port, served) = serve_one(stapling_server(&fx.response));
    let (_, output) = s_client(
        port,
        &[
            "-servername",
            "localhost",
            "-CAfile",
            path(&fx.pki.ca_path),
            "-verify_return_error",
            "-status",
        ],
        b"",
    );
    let summary = served
        .recv_timeout(IO_TIMEOUT)
        .expect("our server finished")
        .unwrap_or_else(|e| panic!("our server: {e}\n{output}"));
    assert!(
        output.contains("OCSP Response Status: successful"),
        "{output}"
    );
    assert!(output.contains("Cert Status: good"), "{output}");
    assert_eq!(summary.ocsp_response.as_deref(), Some(&fx.response[..]));
}

#[test]
fn openssl_s_client_without_status_gets_none() {
    let fx = ocsp();
    let (port, served) = serve_one(stapling_server(&fx.response));
    let (_, output) = s_client(
        port,
        &["-servername", "localhost", "-CAfile", path(&fx.pki.ca_path)],
        b"",
    );
    let summary = served
        .recv_timeout(IO_TIMEOUT)
        .expect("our server finished")
        .unwrap_or_else(|e| panic!("our server: {e}\n{output}"));
    assert!(!output.contains("OCSP response"), "{output}");
    assert_eq!(summary.ocsp_response, None);
}

#[test]
fn our_client_reports_the_response_openssl_s_server_staples() {
    let fx = ocsp();
    let server = SServer::start(
        fx.pki.dir.path(),
        &[
            "-cert",
            path(&fx.leaf.cert_path),
            "-key",
            path(&fx.leaf.key_path),
            "-status_file",
            path(&fx.response_path),
            "-www",
        ],
    );
    let (config, verifier) = recording_client(false);
    let tcp = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let stream = tlstate::stream::connect(config, localhost(), tcp)
        .unwrap_or_else(|e| panic!("{e}\n{}", server.output()));
    assert_eq!(
        stream.summary().ocsp_response.as_deref(),
        Some(&fx.response[..])
    );
    assert_eq!(*verifier.seen.lock().unwrap(), [Some(fx.response.clone())]);
}

// --- the examples -------------------------------------------------------

/// The path of an example binary, built now: `cargo test --test ocsp`
/// alone does not build the examples, and a stale one would test old code.
fn example(name: &str) -> std::path::PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success(), "cargo build --example {name}");
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name)
}

#[test]
fn example_server_staples_and_example_client_prints_it() {
    let fx = ocsp();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let server = common::KillOnDrop(
        Command::new(example("server"))
            .args(["--listen", &listen])
            .args(["--cert", path(&fx.leaf.cert_path)])
            .args(["--key", path(&fx.leaf.key_path)])
            .args(["--ocsp", path(&fx.response_path)])
            // The stapling tested here is TLS 1.2's CertificateStatus.
            .arg("--tls12")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + IO_TIMEOUT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the example server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let run = |extra: &[&str]| {
        let output = Command::new(example("client"))
            .args(["--connect", &listen, "--server-name", "localhost"])
            .args(["--ca", path(&fx.pki.ca_path)])
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let stderr = run(&[]);
    assert!(
        stderr.contains(&format!("ocsp: {} bytes\n", fx.response.len())),
        "{stderr}"
    );
    drop(server);
    // And s_client -status against the example server.
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let _server = common::KillOnDrop(
        Command::new(example("server"))
            .args(["--listen", &listen])
            .args(["--cert", path(&fx.leaf.cert_path)])
            .args(["--key", path(&fx.leaf.key_path)])
            .args(["--ocsp", path(&fx.response_path)])
            // The stapling tested here is TLS 1.2's CertificateStatus.
            .arg("--tls12")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + IO_TIMEOUT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the example server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let (_, output) = s_client(
        port,
        &[
            "-servername",
            "localhost",
            "-CAfile",
            path(&fx.pki.ca_path),
            "-status",
        ],
        b"GET / HTTP/1.0\r\n\r\n",
    );
    assert!(
        output.contains("OCSP Response Status: successful"),
        "{output}"
    );
}

// --- against rustls, in memory -------------------------------------------

/// Moves bytes between a rustls connection and one of our drivers until
/// neither has anything left to say.
fn pump_rustls<S: tlstate::driver::AnyState>(
    peer: &mut impl std::ops::DerefMut<Target = rustls::ConnectionCommon<impl rustls::SideData>>,
    ours: &mut tlstate::driver::Driver<S>,
) {
    for _ in 0..16 {
        let mut to_ours = Vec::new();
        while peer.wants_write() {
            peer.write_tls(&mut to_ours).unwrap();
        }
        let input: &[u8] = &to_ours;
        assert_eq!(
            ours.handle_input(input),
            input.len(),
            "the driver takes it all"
        );
        let mut to_peer = Vec::new();
        while let Some(bytes) = ours.poll_output() {
            to_peer.extend_from_slice(&bytes);
        }
        if to_ours.is_empty() && to_peer.is_empty() {
            return;
        }
        let mut rd = &to_peer[..];
        while !rd.is_empty() {
            peer.read_tls(&mut rd).unwrap();
        }
        peer.process_new_packets()
            .unwrap_or_else(|e| panic!("rustls: {e}"));
    }
    panic!("the handshake did not settle");
}

/// rustls's webpki verifier, recording the OCSP response rustls hands it.
#[derive(Debug)]
struct RustlsRecorder {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    seen: Mutex<Vec<Vec<u8>>>,
}

impl rustls::client::danger::ServerCertVerifier for RustlsRecorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        self.seen.lock().unwrap().push(ocsp_response.to_vec());
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn rustls_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

#[test]
fn rustls_client_gets_our_stapled_response() {
    let fx = ocsp();
    rustls_client_gets(&rustls::version::TLS12, stapling_server(&fx.response));
}

#[test]
fn rustls_tls13_client_gets_our_stapled_response() {
    let fx = ocsp();
    rustls_client_gets(&rustls::version::TLS13, server13(Some(&fx.response)));
}

/// A rustls client of `version` against `ours`, which staples the
/// fixture's response: rustls's verifier and our summary both see it.
fn rustls_client_gets(version: &'static rustls::SupportedProtocolVersion, ours: Arc<ServerConfig>) {
    let fx = ocsp();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(fx.pki.ca.clone()).unwrap();
    let recorder = Arc::new(RustlsRecorder {
        inner: rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            rustls_provider(),
        )
        .build()
        .unwrap(),
        seen: Mutex::new(Vec::new()),
    });
    let config = rustls::ClientConfig::builder_with_provider(rustls_provider())
        .with_protocol_versions(&[version])
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let mut peer = rustls::ClientConnection::new(Arc::new(config), localhost()).unwrap();
    let mut ours = ServerDriver::new(ours);
    pump_rustls(&mut peer, &mut ours);
    assert!(!peer.is_handshaking());
    // rustls asks for a status by default, and got ours.
    assert_eq!(
        *recorder.seen.lock().unwrap(),
        std::slice::from_ref(&fx.response)
    );
    assert_eq!(
        peer.protocol_version(),
        Some(version.version),
        "the version asked for"
    );
    assert_eq!(
        ours.summary().unwrap().ocsp_response.as_deref(),
        Some(&fx.response[..])
    );
}

#[test]
fn our_client_gets_the_response_a_rustls_server_staples() {
    our_client_gets_from_rustls(&rustls::version::TLS12, client(true));
}

#[test]
fn our_tls13_client_gets_the_response_a_rustls_server_staples() {
    our_client_gets_from_rustls(&rustls::version::TLS13, client13(true));
}

/// Our client (`ours`) against a rustls server of `version` stapling the
/// fixture's response: our summary reports it.
fn our_client_gets_from_rustls(
    version: &'static rustls::SupportedProtocolVersion,
    ours: Arc<ClientConfig>,
) {
    let fx = ocsp();
    let config = rustls::ServerConfig::builder_with_provider(rustls_provider())
        .with_protocol_versions(&[version])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert_with_ocsp(
            fx.leaf.chain.clone(),
            fx.leaf.key.clone_key(),
            fx.response.clone(),
        )
        .unwrap();
    let mut peer = rustls::ServerConnection::new(Arc::new(config)).unwrap();
    let mut ours = ClientDriver::new(ours, localhost());
    // Our ClientHello first: the server speaks only when spoken to.
    let mut hello = Vec::new();
    while let Some(bytes) = ours.poll_output() {
        hello.extend_from_slice(&bytes);
    }
    let mut rd = &hello[..];
    while !rd.is_empty() {
        peer.read_tls(&mut rd).unwrap();
    }
    peer.process_new_packets().unwrap();
    pump_rustls(&mut peer, &mut ours);
    assert!(!peer.is_handshaking());
    assert_eq!(peer.protocol_version(), Some(version.version));
    assert_eq!(
        ours.summary().unwrap().ocsp_response.as_deref(),
        Some(&fx.response[..])
    );
}

// --- TLS 1.3: the response in the end-entity CertificateEntry ------------

/// [`client`], negotiating TLS 1.3 only.
fn client13(request_ocsp: bool) -> Arc<ClientConfig> {
    let mut config = (*client(request_ocsp)).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    Arc::new(config)
}

/// The `localhost` server, TLS 1.3 only, stapling `response` if given.
fn server13(response: Option<&[u8]>) -> Arc<ServerConfig> {
    let mut config = (*plain_server()).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    config.ocsp_response = response.map(Arc::from);
    Arc::new(config)
}

#[test]
fn tls13_stapled_response_reaches_both_summaries() {
    let fx = ocsp();
    let (c, s, _) = drive_both(client13(true), server13(Some(&fx.response)));
    let (c, s) = (
        c.expect("the client finished"),
        s.expect("the server finished"),
    );
    assert_eq!(c.protocol_version, ProtocolVersion::Tls13);
    assert_eq!(c.ocsp_response.as_deref(), Some(&fx.response[..]));
    assert_eq!(s.ocsp_response.as_deref(), Some(&fx.response[..]));
}

#[test]
fn tls13_client_that_did_not_ask_gets_no_status() {
    let fx = ocsp();
    let (c, s, _) = drive_both(client13(false), server13(Some(&fx.response)));
    let (c, s) = (
        c.expect("the client finished"),
        s.expect("the server finished"),
    );
    assert_eq!(c.protocol_version, ProtocolVersion::Tls13);
    assert_eq!(c.ocsp_response, None);
    assert_eq!(s.ocsp_response, None);
}

#[test]
fn tls13_verifier_gets_the_stapled_response_or_its_absence() {
    let fx = ocsp();
    let (config, verifier) = recording_client(false);
    let mut config = (*config).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    let config = Arc::new(config);
    let (c, _, _) = drive_both(config.clone(), server13(Some(&fx.response)));
    assert_eq!(c.unwrap().protocol_version, ProtocolVersion::Tls13);
    let (c, _, _) = drive_both(config, server13(None));
    assert_eq!(c.unwrap().ocsp_response, None);
    assert_eq!(
        *verifier.seen.lock().unwrap(),
        [Some(fx.response.clone()), None]
    );
}

#[test]
fn tls13_staple_goes_in_the_end_entity_entry_and_reads_back() {
    let fx = ocsp();
    let chain = [fx.leaf.chain[0].clone(), fx.pki.ca.clone()];
    let response: Arc<[u8]> = fx.response.clone().into();
    let mut certificate = CertificateTls13::from_chain(Vec::new(), &chain);
    certificate.staple_ocsp_response(&response);
    let mut bytes = Vec::new();
    certificate.encode(&mut bytes);
    let read = CertificateTls13::read_bytes(&bytes).unwrap();
    // status_request(5) holding a CertificateStatus: ocsp(1), u24 length,
    // the response (RFC 8446 4.4.2.1).
    let body = read.entries[0]
        .extensions
        .get(ExtensionType::StatusRequest)
        .unwrap();
    assert_eq!(body[0], 1);
    assert_eq!(&body[4..], &fx.response[..]);
    assert_eq!(read.entries[0].ocsp_response(), Ok(Some(response)));
    assert_eq!(read.entries[1].extensions, Extensions::new());
}

#[test]
fn tls13_response_too_long_for_an_entry_is_not_stapled() {
    let fx = ocsp();
    let fits: Arc<[u8]> = vec![0x30; MAX_STAPLED_OCSP_RESPONSE_LEN].into();
    let too_long: Arc<[u8]> = vec![0x30; MAX_STAPLED_OCSP_RESPONSE_LEN + 1].into();
    let mut certificate = CertificateTls13::from_chain(Vec::new(), &fx.leaf.chain);
    certificate.staple_ocsp_response(&too_long);
    assert_eq!(certificate.entries[0].ocsp_response(), Ok(None));
    certificate.staple_ocsp_response(&fits);
    let mut bytes = Vec::new();
    certificate.encode(&mut bytes);
    let read = CertificateTls13::read_bytes(&bytes).unwrap();
    assert_eq!(read.entries[0].ocsp_response(), Ok(Some(fits)));
    // And the server leaves out a response it could not encode.
    let (c, s, _) = drive_both(client13(true), server13(Some(&too_long)));
    assert_eq!(c.unwrap().ocsp_response, None);
    assert_eq!(s.unwrap().ocsp_response, None);
}

/// What a hand-built TLS 1.3 server sends our client (ServerHello, then
/// under its handshake key EncryptedExtensions and a Certificate for the
/// fixture leaf whose end-entity entry carries `entry_extensions`), and
/// how the client ends: its error, and the alert it sent, read back under
/// the client's handshake key.
fn client13_reads_certificate_with(
    config: Arc<ClientConfig>,
    entry_extensions: Extensions,
) -> (Error, AlertDescription) {
    let suite = lookup_tls13(CipherSuite::TLS13_AES_128_GCM_SHA256).unwrap();
    let mut c = Handshake::client(config, localhost()).send().unwrap();
    let hello_record = c.take_output();
    let hello_message = &hello_record[5..];
    let PayloadTls13::ClientHello(hello) = PayloadTls13::read_message(hello_message).unwrap()
    else {
        panic!("not a ClientHello")
    };
    let client_share = &hello.key_shares().unwrap()[0];
    let kx = EphemeralKeyExchange::generate(client_share.group).unwrap();
    let public = kx.public_key().to_vec();
    let shared = kx.complete(&client_share.key_exchange).unwrap();
    let mut extensions = ServerExtensions::new();
    extensions.push(ServerExtension::SupportedVersions(ProtocolVersion::Tls13));
    extensions.push(ServerExtension::KeyShare(KeyShareEntry {
        group: client_share.group,
        key_exchange: public,
    }));
    let server_hello = PayloadTls13::ServerHello(ServerHello {
        server_version: ProtocolVersion::Tls12,
        random: Random([7; 32]),
        session_id: hello.session_id,
        cipher_suite: suite.suite,
        compression_method: Compression::Null,
        extensions,
    });
    let mut transcript = Transcript::new();
    transcript.start_hash(suite.hash);
    transcript.add(hello_message);
    let mut message = Vec::new();
    server_hello.encode(&mut message);
    transcript.add(&message);
    let secrets = EarlySecret::new(suite.hash, None)
        .unwrap()
        .into_handshake(shared.as_bytes())
        .unwrap()
        .traffic_secrets(transcript.current_hash().unwrap().as_bytes())
        .unwrap();
    let mut writer = RecordWriter::new();
    let mut flight = Vec::new();
    writer
        .write(ContentType::Handshake, &message, &mut flight)
        .unwrap();
    writer.set_sealer(Box::new(suite.sealer(&secrets.server).unwrap()));
    let mut certificate = CertificateTls13::from_chain(Vec::new(), &ocsp().leaf.chain);
    certificate.entries[0].extensions = entry_extensions;
    for payload in [
        PayloadTls13::EncryptedExtensions(EncryptedExtensions::default()),
        PayloadTls13::Certificate(certificate),
    ] {
        let mut message = Vec::new();
        payload.encode(&mut message);
        writer
            .write(ContentType::Handshake, &message, &mut flight)
            .unwrap();
    }
    assert_eq!(c.feed(&flight), flight.len(), "a whole flight is taken");
    let AfterServerHello::Tls13(c) = next(c.recv().unwrap()) else {
        panic!("TLS 1.3 was not negotiated")
    };
    let Err(fatal) = next(c.recv().unwrap()).recv() else {
        panic!("the Certificate was accepted")
    };
    let mut reader = RecordReader::new();
    reader.set_tls13();
    reader
        .install_opener(Box::new(suite.opener(&secrets.client).unwrap()))
        .unwrap();
    let output = fatal.output().to_vec();
    assert_eq!(reader.feed(&output), output.len());
    let Some(Inbound::Alert(alert)) = reader.next_message().unwrap() else {
        panic!("no alert record")
    };
    assert_eq!(Some(alert.description), fatal.alert());
    (fatal.error().clone(), alert.description)
}

/// Entry extensions holding one status_request with `body`.
fn status_request_entry(body: &[u8]) -> Extensions {
    let mut extensions = Extensions::new();
    extensions.push(ExtensionType::StatusRequest, body.to_vec());
    extensions
}

/// The CertificateStatus body of the fixture's response.
fn fixture_status() -> Vec<u8> {
    let mut body = Vec::new();
    CertificateStatus {
        ocsp_response: ocsp().response.clone().into(),
    }
    .encode(&mut body);
    body
}

#[test]
fn tls13_client_refuses_a_stapled_response_it_did_not_ask_for() {
    let (error, alert) =
        client13_reads_certificate_with(client13(false), status_request_entry(&fixture_status()));
    assert_eq!(
        error,
        Error::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension(
            ExtensionType::StatusRequest
        ))
    );
    assert_eq!(alert, AlertDescription::UnsupportedExtension);
}

#[test]
fn tls13_client_refuses_an_entry_extension_it_never_asks_for() {
    // signed_certificate_timestamp(18), which we never send, after the
    // response we did ask for.
    let sct = ExtensionType::from_wire(18);
    let mut extensions = status_request_entry(&fixture_status());
    extensions.push(sct, vec![0, 0]);
    let (error, alert) = client13_reads_certificate_with(client13(true), extensions);
    assert_eq!(
        error,
        Error::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension(sct))
    );
    assert_eq!(alert, AlertDescription::UnsupportedExtension);
}

#[test]
fn tls13_client_refuses_a_stapled_status_of_another_type() {
    let mut body = fixture_status();
    body[0] = 2;
    let (error, alert) =
        client13_reads_certificate_with(client13(true), status_request_entry(&body));
    assert_eq!(
        error,
        Error::InvalidMessage(InvalidMessage::InvalidValue("CertificateStatusType"))
    );
    assert_eq!(alert, AlertDescription::DecodeError);
}

#[test]
fn tls13_verifier_refusing_the_response_ends_the_handshake() {
    let (config, verifier) = recording_client(true);
    let mut config = (*config).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    let (error, alert) =
        client13_reads_certificate_with(Arc::new(config), status_request_entry(&fixture_status()));
    assert_eq!(
        error,
        Error::Certificate(CertificateError::Other("revoked, says OCSP".into()))
    );
    assert_eq!(alert, AlertDescription::BadCertificate);
    assert_eq!(
        *verifier.seen.lock().unwrap(),
        [Some(ocsp().response.clone())]
    );
}

#[test]
fn openssl_s_client_tls13_status_sees_our_stapled_response() {
    let fx = ocsp();
    let (port, served) = serve_one(server13(Some(&fx.response)));
    let (_, output) = s_client_version(
        "-tls1_3",
        port,
        &[],
        &[
            "-servername",
            "localhost",
            "-CAfile",
            path(&fx.pki.ca_path),
            "-verify_return_error",
            "-status",
        ],
        b"",
    );
    let summary = served
        .recv_timeout(IO_TIMEOUT)
        .expect("our server finished")
        .unwrap_or_else(|e| panic!("our server: {e}\n{output}"));
    assert_eq!(summary.protocol_version, ProtocolVersion::Tls13);
    assert!(
        output.contains("OCSP Response Status: successful"),
        "{output}"
    );
    assert!(output.contains("Cert Status: good"), "{output}");
    assert_eq!(summary.ocsp_response.as_deref(), Some(&fx.response[..]));
}

#[test]
fn our_client_reports_the_response_openssl_s_server_tls13_staples() {
    let fx = ocsp();
    let server = SServer::start_version(
        fx.pki.dir.path(),
        "-tls1_3",
        &[],
        &[
            "-cert",
            path(&fx.leaf.cert_path),
            "-key",
            path(&fx.leaf.key_path),
            "-status_file",
            path(&fx.response_path),
            "-www",
        ],
    );
    let (config, verifier) = recording_client(false);
    let mut config = (*config).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    let tcp = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let stream = tlstate::stream::connect(Arc::new(config), localhost(), tcp)
        .unwrap_or_else(|e| panic!("{e}\n{}", server.output()));
    assert_eq!(stream.summary().protocol_version, ProtocolVersion::Tls13);
    assert_eq!(
        stream.summary().ocsp_response.as_deref(),
        Some(&fx.response[..])
    );
    assert_eq!(*verifier.seen.lock().unwrap(), [Some(fx.response.clone())]);
}
