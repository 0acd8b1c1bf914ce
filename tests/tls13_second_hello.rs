//! The second ClientHello after our HelloRetryRequest (RFC 8446 4.1.2): the
//! first one again, "without modification, except" a single key share in
//! the group asked for, early_data removed, a cookie only if asked for
//! (our server never asks), pre_shared_key updated and padding resized.
//! Anything else changed is illegal_parameter, in a plaintext alert (the
//! server has no keys yet). A hand-built client, in memory: no real client
//! sends these.

mod common;

use std::sync::Arc;

use common::fixture;
use tlstate::codec::Codec;
use tlstate::crypto::EphemeralKeyExchange;
use tlstate::enums::{
    CipherSuite, Compression, ContentType, ExtensionType, HandshakeType, NamedGroup,
    ProtocolVersion, SignatureScheme,
};
use tlstate::error::{Error, PeerMisbehaved};
use tlstate::handshake::{AfterClientHello, Fatal, Handshake, Step};
use tlstate::message::tls13::{KeyShareEntry, PayloadTls13};
use tlstate::message::{ClientExtension, ClientHello, Random, SessionId};
use tlstate::record::RecordWriter;

fn share(group: NamedGroup) -> KeyShareEntry {
    let kx = EphemeralKeyExchange::generate(group).unwrap();
    KeyShareEntry {
        group,
        key_exchange: kx.public_key().to_vec(),
    }
}

/// A TLS 1.3 ClientHello offering x25519 and secp256r1, with an x25519
/// share only, ALPN and padding.
fn first_hello() -> ClientHello {
    ClientHello {
        client_version: ProtocolVersion::Tls12,
        random: Random([0x5a; 32]),
        session_id: SessionId::new(&[1; 32]).unwrap(),
        cipher_suites: [
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            CipherSuite::TLS13_AES_256_GCM_SHA384,
        ]
        .into_iter()
        .collect(),
        compression_methods: [Compression::Null].into_iter().collect(),
        extensions: [
            ClientExtension::SupportedVersions([ProtocolVersion::Tls13].into_iter().collect()),
            ClientExtension::SupportedGroups(
                [NamedGroup::X25519, NamedGroup::secp256r1]
                    .into_iter()
                    .collect(),
            ),
            ClientExtension::SignatureAlgorithms(
                [SignatureScheme::ECDSA_NISTP256_SHA256]
                    .into_iter()
                    .collect(),
            ),
            ClientExtension::KeyShare(vec![share(NamedGroup::X25519)]),
            ClientExtension::Alpn(vec![b"http/1.1".to_vec()]),
            ClientExtension::Unknown {
                typ: ExtensionType::from_wire(21),
                data: vec![0; 16],
            },
        ]
        .into_iter()
        .collect(),
    }
}

/// The second hello as RFC 8446 4.1.2 asks: the first, with one
/// secp256r1 share in place of its key_share.
fn answering(first: &ClientHello) -> ClientHello {
    let mut second = first.clone();
    for extension in second.extensions.iter_mut() {
        if let ClientExtension::KeyShare(shares) = extension {
            *shares = vec![share(NamedGroup::secp256r1)];
        }
    }
    second
}

fn handshake_record(writer: &mut RecordWriter, hello: &ClientHello) -> Vec<u8> {
    let mut body = Vec::new();
    hello.encode(&mut body);
    let mut message = vec![HandshakeType::ClientHello.to_wire()];
    message.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes()[1..]);
    message.extend_from_slice(&body);
    let mut out = Vec::new();
    writer
        .write(ContentType::Handshake, &message, &mut out)
        .unwrap();
    out
}

/// Our server (secp256r1 only, so the x25519 share gets a
/// HelloRetryRequest) reads the first hello, asks for a secp256r1 share,
/// and reads `second`: Ok when it goes on to its ServerHello.
fn server_reads_second(second: impl FnOnce(&ClientHello) -> ClientHello) -> Result<(), Fatal> {
    let fx = fixture();
    let mut config = (*fx.pki.server_config(&fx.leaf)).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    config.groups = vec![NamedGroup::secp256r1];
    config.middlebox_compat = false;
    let first = first_hello();
    let mut writer = RecordWriter::new();
    let mut s = Handshake::server(Arc::new(config));
    let input = handshake_record(&mut writer, &first);
    assert_eq!(s.feed(&input), input.len());
    let Ok(Step::Next(AfterClientHello::Tls13Retry(s))) = s.recv() else {
        panic!("no HelloRetryRequest");
    };
    let mut s = s.send().unwrap();
    let retry = s.take_output();
    let PayloadTls13::ServerHello(hrr) = PayloadTls13::read_message(&retry[5..]).unwrap() else {
        panic!("not a HelloRetryRequest");
    };
    assert_eq!(hrr.selected_group(), Some(NamedGroup::secp256r1));
    assert_eq!(hrr.cookie(), None, "our server sends no cookie");
    let input = handshake_record(&mut writer, &second(&first));
    assert_eq!(s.feed(&input), input.len());
    match s.recv()? {
        Step::Next(_) => Ok(()),
        Step::NeedMore(_) => panic!("the whole hello was fed"),
    }
}

#[test]
fn second_client_hello_answering_the_retry_is_taken() {
    server_reads_second(answering).expect("the answer is taken");
    // Padding may change its length, and early_data go.
    server_reads_second(|first| {
        let mut second = answering(first);
        for extension in second.extensions.iter_mut() {
            if let ClientExtension::Unknown { data, .. } = extension {
                data.truncate(3);
            }
        }
        second
    })
    .expect("resized padding is taken");
}

#[test]
fn second_client_hello_changed_otherwise_is_illegal_parameter() {
    type Change = fn(&mut ClientHello);
    let changes: [(&str, Change); 9] = [
        ("another random", |h| h.random = Random([0x5b; 32])),
        ("another session ID", |h| {
            h.session_id = SessionId::new(&[2; 32]).unwrap()
        }),
        ("a suite dropped", |h| {
            h.cipher_suites.truncate(1);
        }),
        ("an extension added", |h| {
            h.extensions.push(ClientExtension::PostHandshakeAuth)
        }),
        ("an extension dropped", |h| {
            h.extensions
                .retain(|e| !matches!(e, ClientExtension::Alpn(_)))
        }),
        ("an extension changed", |h| {
            for e in h.extensions.iter_mut() {
                if let ClientExtension::SignatureAlgorithms(schemes) = e {
                    schemes.push(SignatureScheme::ED25519);
                }
            }
        }),
        ("a cookie nobody asked for", |h| {
            h.extensions.push(ClientExtension::Cookie(vec![7; 8]))
        }),
        ("two shares", |h| {
            for e in h.extensions.iter_mut() {
                if let ClientExtension::KeyShare(shares) = e {
                    shares.push(share(NamedGroup::X25519));
                }
            }
        }),
        ("early_data", |h| {
            h.extensions.push(ClientExtension::EarlyData)
        }),
    ];
    for (what, change) in changes {
        let fatal = server_reads_second(|first| {
            let mut second = answering(first);
            change(&mut second);
            second
        })
        .expect_err(what);
        assert!(
            matches!(
                fatal.error(),
                Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(_))
            ),
            "{what}: {fatal}"
        );
        assert_eq!(fatal.output(), [21, 3, 3, 0, 2, 2, 47], "{what}");
    }
}
