//! Our TLS 1.3 client against our TLS 1.3 server, over loopback TCP
//! through `stream::connect` / `stream::accept`: every suite, group and
//! certificate kind, the compatibility ChangeCipherSpec on and off, a
//! HelloRetryRequest, and version negotiation when one side has only TLS
//! 1.2. (Interop with other implementations is in tests/tls13_client.rs and
//! tests/tls13_server.rs; this file checks the two halves agree.)

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

use common::{KeyKind, Leaf, fixture};
use tlstate::connection::SessionSummary;
use tlstate::crypto::tls13::TLS13_CIPHER_SUITES;
use tlstate::enums::{NamedGroup, ProtocolVersion};
use tlstate::handshake::{ClientConfig, ServerConfig};
use tlstate::stream;

const TLS13: ProtocolVersion = ProtocolVersion::Tls13;
const TLS12: ProtocolVersion = ProtocolVersion::Tls12;

/// One connection: the client sends a line, the server echoes it back;
/// returns both summaries.
fn exchange(client: ClientConfig, server: ServerConfig) -> (SessionSummary, SessionSummary) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Arc::new(server);
    let server = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let mut s = stream::accept(server, tcp).expect("server handshake");
        let mut line = [0u8; 5];
        s.read_exact(&mut line).unwrap();
        s.write_all(&line).unwrap();
        s.flush().unwrap();
        s.summary().clone()
    });
    let tcp = TcpStream::connect(addr).unwrap();
    let mut c = stream::connect(Arc::new(client), "localhost".try_into().unwrap(), tcp)
        .expect("client handshake");
    c.write_all(b"ping\n").unwrap();
    c.flush().unwrap();
    let mut back = [0u8; 5];
    c.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"ping\n");
    (c.summary().clone(), server.join().unwrap())
}

fn configs(leaf: &Leaf, versions: &[ProtocolVersion]) -> (ClientConfig, ServerConfig) {
    let pki = &fixture().pki;
    let mut client = (*pki.client_config()).clone();
    client.versions = versions.to_vec();
    let mut server = (*pki.server_config(leaf)).clone();
    server.versions = versions.to_vec();
    (client, server)
}

#[test]
fn every_suite_group_and_key_kind() {
    let pki = &fixture().pki;
    let leaves = [
        pki.leaf(KeyKind::EcdsaP256, &["localhost"]),
        pki.leaf(KeyKind::EcdsaP384, &["localhost"]),
        pki.leaf(KeyKind::Rsa2048, &["localhost"]),
        pki.leaf_ed25519(&["localhost"]),
    ];
    for leaf in &leaves {
        for suite in TLS13_CIPHER_SUITES {
            for group in [
                NamedGroup::X25519,
                NamedGroup::secp256r1,
                NamedGroup::secp384r1,
            ] {
                let (mut client, mut server) = configs(leaf, &[TLS13]);
                client.cipher_suites = vec![suite.suite];
                client.groups = vec![group];
                server.groups = vec![group];
                let (c, s) = exchange(client, server);
                for summary in [&c, &s] {
                    assert_eq!(summary.protocol_version, TLS13);
                    assert_eq!(summary.cipher_suite, suite.suite);
                    assert_eq!(summary.group, group);
                    assert!(!summary.resumed);
                }
                assert_eq!(c.server_certificates, s.server_certificates);
                assert_eq!(c.signature_scheme, s.signature_scheme);
            }
        }
    }
}

#[test]
fn with_and_without_the_compatibility_change_cipher_spec() {
    let leaf = &fixture().leaf;
    for (client_compat, server_compat) in
        [(true, true), (false, false), (true, false), (false, true)]
    {
        let (mut client, mut server) = configs(leaf, &[TLS13]);
        client.middlebox_compat = client_compat;
        server.middlebox_compat = server_compat;
        let (c, s) = exchange(client, server);
        assert_eq!((c.protocol_version, s.protocol_version), (TLS13, TLS13));
    }
}

#[test]
fn hello_retry_request_between_our_client_and_server() {
    // The client's one key share is for x25519, which the server does not
    // take; both support P-256, so the server asks again.
    let leaf = &fixture().leaf;
    let (mut client, mut server) = configs(leaf, &[TLS13]);
    client.groups = vec![NamedGroup::X25519, NamedGroup::secp256r1];
    server.groups = vec![NamedGroup::secp256r1];
    let (c, s) = exchange(client, server);
    assert_eq!(
        (c.group, s.group),
        (NamedGroup::secp256r1, NamedGroup::secp256r1)
    );
    assert_eq!(c.protocol_version, TLS13);
}

#[test]
fn alpn_is_negotiated_in_encrypted_extensions() {
    let leaf = &fixture().leaf;
    let (mut client, mut server) = configs(leaf, &[TLS13]);
    client.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    let (c, s) = exchange(client, server);
    assert_eq!(c.alpn_protocol.as_deref(), Some(&b"http/1.1"[..]));
    assert_eq!(s.alpn_protocol, c.alpn_protocol);
}

#[test]
fn versions_meet_at_the_highest_both_enable() {
    let leaf = &fixture().leaf;
    let both = [TLS13, TLS12];
    for (client_versions, server_versions, expected) in [
        (&both[..], &both[..], TLS13),
        (&both[..], &[TLS12][..], TLS12),
        (&[TLS12][..], &both[..], TLS12),
    ] {
        let (client, _) = configs(leaf, client_versions);
        let (_, server) = configs(leaf, server_versions);
        let (c, s) = exchange(client, server);
        assert_eq!(
            c.protocol_version, expected,
            "{client_versions:?} / {server_versions:?}"
        );
        assert_eq!(s.protocol_version, expected);
        if expected == TLS12 {
            // A TLS 1.2 handshake between a 1.3-capable pair ran no 1.3 suite.
            assert!(
                !TLS13_CIPHER_SUITES
                    .iter()
                    .any(|t| t.suite == c.cipher_suite)
            );
            assert!(tlstate::crypto::lookup(c.cipher_suite).is_some());
        }
    }
}

mod key_log {
    //! The key log's TLS 1.3 lines are the secrets the records were really
    //! sealed with: a capture of one of our handshakes is decrypted with
    //! them, record by record, through keys derived from the logged secrets
    //! alone (`crypto::tls13`, itself checked against RFC 8448).

    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use common::memory::next;
    use tlstate::crypto::tls13::{Secret, lookup_tls13};
    use tlstate::enums::{ContentType, ProtocolVersion};
    use tlstate::handshake::{
        AfterClientHello, AfterEncryptedExtensions, AfterServerHello, Handshake,
    };
    use tlstate::keylog::KeyLog;
    use tlstate::record::RecordOpener;

    use super::{common, fixture};

    #[derive(Debug, Default)]
    struct Lines(Mutex<HashMap<String, Vec<u8>>>);

    impl KeyLog for Lines {
        fn log(&self, label: &str, _client_random: &[u8; 32], secret: &[u8]) {
            self.0
                .lock()
                .unwrap()
                .insert(label.to_string(), secret.to_vec());
        }
    }

    /// The records of `wire`: (outer type, whole record).
    fn records(wire: &[u8]) -> Vec<(u8, Vec<u8>)> {
        let mut out = Vec::new();
        let mut at = 0;
        while at + 5 <= wire.len() {
            let len = usize::from(u16::from_be_bytes([wire[at + 3], wire[at + 4]]));
            out.push((wire[at], wire[at..at + 5 + len].to_vec()));
            at += 5 + len;
        }
        assert_eq!(at, wire.len(), "the capture is whole records");
        out
    }

    #[test]
    fn a_capture_decrypts_with_the_logged_secrets() {
        let lines = Arc::new(Lines::default());
        let pki = &fixture().pki;
        let mut client = (*pki.client_config()).clone();
        client.versions = vec![ProtocolVersion::Tls13];
        client.key_log = Some(lines.clone());
        let mut server = (*pki.server_config(&fixture().leaf)).clone();
        server.versions = vec![ProtocolVersion::Tls13];

        // The handshake in memory; every byte the server sends is captured.
        let mut to_client = Vec::new();
        let mut c = Handshake::client(Arc::new(client), "localhost".try_into().unwrap())
            .send()
            .unwrap();
        let mut s = Handshake::server(Arc::new(server));
        let hello = c.take_output();
        assert_eq!(s.feed(&hello), hello.len());
        let AfterClientHello::Tls13(s) = next(s.recv().unwrap()) else {
            panic!("TLS 1.3 was not chosen")
        };
        // ServerHello, compatibility CCS, EncryptedExtensions, Certificate,
        // CertificateVerify, Finished.
        let s = s.send().unwrap().send().unwrap().send().unwrap();
        let mut s = s.send().unwrap().send().unwrap().send().unwrap();
        let flight = s.take_output();
        to_client.extend_from_slice(&flight);
        assert_eq!(c.feed(&flight), flight.len());
        let AfterServerHello::Tls13(c) = next(c.recv().unwrap()) else {
            panic!("TLS 1.3 was not negotiated")
        };
        // EncryptedExtensions, Certificate (no CertificateRequest)
        let AfterEncryptedExtensions::NoCertificateRequest(c) =
            next(next(c.recv().unwrap()).recv().unwrap())
        else {
            panic!("a CertificateRequest was not sent")
        };
        // CertificateVerify, Finished
        let c = next(next(c.recv().unwrap()).recv().unwrap());
        let mut c = c.send().unwrap().send().unwrap();
        let finished = c.take_output();
        assert_eq!(s.feed(&finished), finished.len());
        let suite = lookup_tls13(c.cipher_suite()).unwrap();
        let (mut client, mut server) = (
            c.into_connection(),
            next(s.recv().unwrap()).into_connection(),
        );
        server.send(b"pong").unwrap();
        let data = server.take_output();
        to_client.extend_from_slice(&data);
        assert_eq!(client.feed(&data), data.len());

        let logged = lines.0.lock().unwrap();
        for label in [
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0",
            "SERVER_TRAFFIC_SECRET_0",
        ] {
            assert!(logged.contains_key(label), "{label} not logged");
        }
        let secret = |label: &str| Secret::new(suite.hash, &logged[label]).unwrap();
        // Server records: ServerHello (plaintext), the compatibility CCS,
        // then protected records under the handshake secret up to its
        // Finished, then application data under traffic secret 0.
        let handshake = suite
            .opener(&secret("SERVER_HANDSHAKE_TRAFFIC_SECRET"))
            .unwrap();
        let application = suite.opener(&secret("SERVER_TRAFFIC_SECRET_0")).unwrap();
        let mut seq = 0;
        let mut inner = Vec::new();
        let mut opened_data = None;
        for (outer, record) in records(&to_client) {
            if outer != 23 {
                continue;
            }
            // A failed open leaves its buffer unspecified: each try works
            // on its own copy.
            let mut attempt = record.clone();
            match handshake.open(seq, ContentType::ApplicationData, 0x0303, &mut attempt[5..]) {
                Ok((typ, range)) => {
                    assert_eq!(typ, ContentType::Handshake);
                    inner.extend_from_slice(&attempt[5..][range]);
                    seq += 1;
                }
                Err(_) => {
                    let mut record = record;
                    let (typ, range) = application
                        .open(0, ContentType::ApplicationData, 0x0303, &mut record[5..])
                        .expect("the data record opens under SERVER_TRAFFIC_SECRET_0");
                    assert_eq!(typ, ContentType::ApplicationData);
                    opened_data = Some(record[5..][range].to_vec());
                }
            }
        }
        // EncryptedExtensions, Certificate, CertificateVerify, Finished.
        let types: Vec<u8> = {
            let mut at = 0;
            let mut types = Vec::new();
            while at + 4 <= inner.len() {
                types.push(inner[at]);
                at += 4
                    + (usize::from(inner[at + 1]) << 16
                        | usize::from(inner[at + 2]) << 8
                        | usize::from(inner[at + 3]));
            }
            types
        };
        assert_eq!(types, [8, 11, 15, 20]);
        assert_eq!(opened_data.as_deref(), Some(&b"pong"[..]));
        let mut buf = [0u8; 8];
        assert!(matches!(
            client.read(&mut buf),
            Ok(tlstate::connection::ReadOutcome::Data(4))
        ));
    }
}
