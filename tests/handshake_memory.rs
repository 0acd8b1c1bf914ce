//! Our client against our server in memory: every suite, group and key
//! kind; byte-at-a-time delivery; and the fatal paths, each with the alert
//! it puts on the wire. (Interop with independent peers is in
//! `interop_openssl.rs` and `interop_rustls.rs`; this file checks our own
//! state handling.)

mod common;

use std::sync::{Arc, OnceLock};

use common::memory::{
    client_through_hello_done, full_handshake, localhost, next, server_full,
    server_through_hello_done,
};
use common::{KeyKind, Leaf, TestPki};
use tlstate::connection::{Connection, ReadOutcome};
use tlstate::enums::{AlertDescription, CipherSuite, NamedGroup};
use tlstate::error::{Error, PeerMisbehaved, Received};
use tlstate::handshake::{
    AfterClientHello, AfterServerHello, Client, ClientConfig, Fatal, Handshake, Server,
    ServerConfig, Step,
};

struct Fixture {
    pki: TestPki,
    leaves: Vec<(KeyKind, Leaf)>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let pki = TestPki::new("tlstate memory test CA");
        let leaves = KeyKind::ALL
            .iter()
            .map(|kind| (*kind, pki.leaf(*kind, &["localhost"])))
            .collect();
        Fixture { pki, leaves }
    })
}

fn leaf(kind: KeyKind) -> &'static Leaf {
    &fixture().leaves.iter().find(|(k, _)| *k == kind).unwrap().1
}

/// A full handshake with every flight delivered whole.
fn handshake(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
) -> Result<(Connection<Client>, Connection<Server>), Fatal> {
    full_handshake(client, server).map(|(c, s, _)| (c, s))
}

fn read_all<R: tlstate::handshake::Role>(conn: &mut Connection<R>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 1000];
    while let ReadOutcome::Data(n) = conn.read(&mut buf).unwrap() {
        out.extend_from_slice(&buf[..n]);
    }
    out
}

const ECDSA_SUITES: [CipherSuite; 3] = [
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
];
const RSA_SUITES: [CipherSuite; 3] = [
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];
const GROUPS: [NamedGroup; 3] = [
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
];

#[test]
fn completes_every_suite_group_and_key() {
    let mut checked = 0;
    for kind in KeyKind::ALL {
        let suites = if kind.is_rsa() {
            RSA_SUITES
        } else {
            ECDSA_SUITES
        };
        for suite in suites {
            for group in GROUPS {
                let mut client = (*fixture().pki.client_config_tls12()).clone();
                client.cipher_suites = vec![suite];
                // The client must also support the ECDSA leaf's curve
                // (RFC 8422 5.1); the server's one group forces `group`.
                client.groups = vec![group, NamedGroup::secp256r1, NamedGroup::secp384r1];
                let mut server = (*fixture().pki.server_config(leaf(kind))).clone();
                server.groups = vec![group];
                let (mut c, mut s) =
                    handshake(Arc::new(client), Arc::new(server)).expect("handshake");
                assert_eq!(c.summary().cipher_suite, suite);
                assert_eq!(c.summary().group, group);
                assert_eq!(s.summary(), c.summary());
                assert!(c.summary().extended_master_secret);
                // More than one record each way.
                let data: Vec<u8> = (0..40_000u32).map(|i| i as u8).collect();
                c.send(&data).unwrap();
                let wire = c.take_output();
                let mut rest = &wire[..];
                let mut got = Vec::new();
                while !rest.is_empty() {
                    // The reader takes at most one record beyond what is read.
                    rest = &rest[s.feed(rest)..];
                    got.extend(read_all(&mut s));
                }
                assert!(got == data, "data lost or changed");
                s.send(&data[..100]).unwrap();
                let input: &[u8] = &s.take_output();
                assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
                assert_eq!(read_all(&mut c), &data[..100]);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 27);
}

#[test]
fn refuses_ecdsa_suites_when_the_client_lacks_the_certificate_curve() {
    // RFC 8422 5.1: a P-256 certificate is unusable with a client that
    // supports only x25519, so no ECDSA suite can be chosen.
    use tlstate::error::PeerIncompatible;
    let mut client = (*fixture().pki.client_config_tls12()).clone();
    client.groups = vec![NamedGroup::X25519];
    let fatal = handshake(
        Arc::new(client),
        fixture().pki.server_config(leaf(KeyKind::EcdsaP256)),
    )
    .unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::PeerIncompatible(PeerIncompatible::NoCommonCipherSuite)
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::HandshakeFailure));
}

#[test]
fn a_state_that_lacks_bytes_comes_back_unchanged() {
    let pki = &fixture().pki;
    let mut c = Handshake::client(pki.client_config_tls12(), localhost())
        .send()
        .unwrap();
    let mut s = Handshake::server(pki.server_config(leaf(KeyKind::EcdsaP256)));
    // Feed the ClientHello one byte at a time: every call but the last
    // hands the same state back.
    let hello = c.take_output();
    let mut need_more = 0;
    let s = {
        let mut pending = Some(s);
        let mut result = None;
        for byte in &hello {
            s = pending.take().unwrap();
            let input: &[u8] = std::slice::from_ref(byte);
            assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
            match s.recv().unwrap() {
                Step::Next(next) => result = Some(next),
                Step::NeedMore(same) => {
                    need_more += 1;
                    pending = Some(same);
                }
            }
        }
        result.expect("the whole ClientHello was fed")
    };
    assert_eq!(need_more, hello.len() - 1);
    let AfterClientHello::Full(s) = s else {
        panic!("resumed")
    };
    assert_eq!(s.state_name(), "ServerHello");
    // The state that was handed back and forth still works.
    let s = s.send().unwrap();
    assert_eq!(s.state_name(), "ServerCert");
}

#[test]
fn rejects_change_cipher_spec_before_key_exchange() {
    // CCS injection (CVE-2014-0224): a ChangeCipherSpec where the server
    // expects ClientKeyExchange ends the handshake with unexpected_message.
    let pki = &fixture().pki;
    let mut c = Handshake::client(pki.client_config_tls12(), localhost())
        .send()
        .unwrap();
    let mut s = Handshake::server(pki.server_config(leaf(KeyKind::EcdsaP256)));
    let input: &[u8] = &c.take_output();
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let mut s = server_through_hello_done(s).unwrap();
    let _ = s.take_output();
    let input: &[u8] = &[20, 3, 3, 0, 1, 1];
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let fatal = s.recv().unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::UnexpectedMessage {
            expected: "ClientKey",
            got: Received::Record(tlstate::enums::ContentType::ChangeCipherSpec)
        }
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::UnexpectedMessage));
    // The alert is on the wire, in plaintext: fatal(2) unexpected_message(10).
    assert_eq!(fatal.output(), &[21, 3, 3, 0, 2, 2, 10]);
}

#[test]
fn rejects_tampered_server_key_exchange_signature() {
    let pki = &fixture().pki;
    let mut c = Handshake::client(pki.client_config_tls12(), localhost())
        .send()
        .unwrap();
    let mut s = Handshake::server(pki.server_config(leaf(KeyKind::EcdsaP256)));
    let input: &[u8] = &c.take_output();
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let s = server_full(s).unwrap().send().unwrap();
    let mut s = s.send().unwrap();
    let mut flight = s.take_output();
    // No OCSP response is configured: the CertificateStatus row writes nothing.
    let mut s = s.send().unwrap().send().unwrap();
    let mut key_exchange = s.take_output();
    // The last byte of the ServerKeyExchange record is in the signature.
    let last = key_exchange.len() - 1;
    key_exchange[last] ^= 1;
    flight.extend_from_slice(&key_exchange);
    let input: &[u8] = &flight;
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterServerHello::Full(c) = next(c.recv().unwrap()) else {
        panic!("resumed")
    };
    let c = next(c.recv().unwrap());
    let fatal = c.recv().unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::PeerMisbehaved(PeerMisbehaved::BadSignature)
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::DecryptError));
}

#[test]
fn rejects_tampered_transcript_with_decrypt_error() {
    // A man in the middle rewrites the ClientHello: drops the
    // extended_master_secret offer (so the keys no longer cover the
    // transcript) and the RSA suite offer (which the server would not have
    // picked anyway). The keys still agree, so only Finished can notice
    // (RFC 5246 7.4.9): the server's check fails with decrypt_error.
    use tlstate::codec::Codec;
    use tlstate::message::{ClientExtension, HandshakeMessage, HandshakePayload};
    let pki = &fixture().pki;
    let mut client = (*pki.client_config_tls12()).clone();
    client.require_extended_master_secret = false;
    client.cipher_suites = vec![
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ];
    let mut server = (*pki.server_config(leaf(KeyKind::EcdsaP256))).clone();
    server.require_extended_master_secret = false;

    let mut c = Handshake::client(Arc::new(client), localhost())
        .send()
        .unwrap();
    let record = c.take_output();
    let mut message = HandshakeMessage::read_bytes(&record[5..]).unwrap();
    let HandshakePayload::ClientHello(hello) = &mut message.payload else {
        panic!("not a ClientHello")
    };
    hello
        .extensions
        .retain(|ext| *ext != ClientExtension::ExtendedMasterSecret);
    hello
        .cipher_suites
        .retain(|suite| *suite == CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    let body = message.get_encoding();
    let mut rewritten = vec![22, 3, 3];
    rewritten.extend_from_slice(&(body.len() as u16).to_be_bytes());
    rewritten.extend_from_slice(&body);

    let mut s = Handshake::server(Arc::new(server));
    let input: &[u8] = &rewritten;
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let mut s = server_through_hello_done(s).unwrap();
    let input: &[u8] = &s.take_output();
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let c = client_through_hello_done(c).unwrap();
    assert!(!c.extended_master_secret());
    let mut c = c.send().unwrap().send().unwrap().send().unwrap();
    let input: &[u8] = &c.take_output();
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let s = next(next(s.recv().unwrap()).recv().unwrap());
    let fatal = s.recv().unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::PeerMisbehaved(PeerMisbehaved::IncorrectFinished)
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::DecryptError));
    // The server has not sent its ChangeCipherSpec yet, so its alert
    // goes out in plaintext: fatal(2) decrypt_error(51).
    assert_eq!(fatal.output(), &[21, 3, 3, 0, 2, 2, 51]);
}

#[test]
fn rejects_tampered_transcript_with_extended_master_secret_as_bad_record_mac() {
    // With the extended master secret the same rewrite changes the keys
    // themselves: the client's encrypted Finished no longer opens.
    use tlstate::codec::Codec;
    use tlstate::message::{HandshakeMessage, HandshakePayload};
    let pki = &fixture().pki;
    let mut c = Handshake::client(pki.client_config_tls12(), localhost())
        .send()
        .unwrap();
    let record = c.take_output();
    let mut message = HandshakeMessage::read_bytes(&record[5..]).unwrap();
    let HandshakePayload::ClientHello(hello) = &mut message.payload else {
        panic!("not a ClientHello")
    };
    hello
        .cipher_suites
        .retain(|suite| *suite == CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    let body = message.get_encoding();
    let mut rewritten = vec![22, 3, 3];
    rewritten.extend_from_slice(&(body.len() as u16).to_be_bytes());
    rewritten.extend_from_slice(&body);
    let mut s = Handshake::server(pki.server_config(leaf(KeyKind::EcdsaP256)));
    let input: &[u8] = &rewritten;
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let mut s = server_through_hello_done(s).unwrap();
    let input: &[u8] = &s.take_output();
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let c = client_through_hello_done(c).unwrap();
    let mut c = c.send().unwrap().send().unwrap().send().unwrap();
    let input: &[u8] = &c.take_output();
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let s = next(next(s.recv().unwrap()).recv().unwrap());
    let fatal = s.recv().unwrap_err();
    assert_eq!(fatal.error(), &Error::DecryptFailed);
    assert_eq!(fatal.alert(), Some(AlertDescription::BadRecordMac));
}

#[test]
fn rejects_server_without_extended_master_secret_by_default() {
    // RFC 7627 5.2: a client that requires the extension aborts with
    // handshake_failure when the server does not echo it.
    use tlstate::error::PeerIncompatible;
    let pki = &fixture().pki;
    let mut c = Handshake::client(pki.client_config_tls12(), localhost())
        .send()
        .unwrap();
    let hello = c.take_output();
    let mut s = Handshake::server(pki.server_config(leaf(KeyKind::EcdsaP256)));
    let input: &[u8] = &hello;
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let mut s = server_full(s).unwrap().send().unwrap();
    let mut server_hello = s.take_output();
    // Remove the server's extended_master_secret extension (00 17 00 00)
    // and fix the three lengths around it.
    let at = server_hello
        .windows(4)
        .position(|w| w == [0x00, 0x17, 0x00, 0x00])
        .unwrap();
    server_hello.drain(at..at + 4);
    let fix = |bytes: &mut Vec<u8>, at: usize, width: usize| {
        let mut n = 0usize;
        for b in &bytes[at..at + width] {
            n = n << 8 | usize::from(*b);
        }
        let n = (n - 4).to_be_bytes();
        bytes[at..at + width].copy_from_slice(&n[n.len() - width..]);
    };
    fix(&mut server_hello, 3, 2); // record length
    fix(&mut server_hello, 6, 3); // handshake length
    // header(5) + handshake header(4) + version(2) + random(32) + empty
    // session id(1) + suite(2) + compression(1)
    let extensions_len_at = 5 + 4 + 2 + 32 + 1 + 2 + 1;
    fix(&mut server_hello, extensions_len_at, 2);
    let input: &[u8] = &server_hello;
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let fatal = c.recv().unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::PeerIncompatible(PeerIncompatible::ExtendedMasterSecretRequired)
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::HandshakeFailure));
    assert_eq!(fatal.output(), &[21, 3, 3, 0, 2, 2, 40]);
}
