//! TLS 1.3 ClientHello, ServerHello and HelloRetryRequest extensions
//! (RFC 8446 4.1.2-4.1.4, 4.2), through the public API and the TLS 1.2
//! `HandshakeMessage` decoder a server reads every first hello with.
//!
//! RFC 8448's traces come first (section 3's hellos, section 4's resumed
//! ClientHello with its PSK binder); then hand-made hellos for every new
//! extension and every rejection.

mod common;

use tlstate::Error;
use tlstate::codec::Codec;
use tlstate::crypto::HashAlgorithm;
use tlstate::crypto::tls13::{EarlySecret, finished_verify_data};
use tlstate::enums::{
    AlertDescription, CipherSuite, Compression, ExtensionType, HandshakeType, NamedGroup,
    ProtocolVersion, SignatureScheme,
};
use tlstate::error::InvalidMessage;
use tlstate::message::tls13::KeyShareEntry;
use tlstate::message::{
    ClientExtension, ClientHello, DistinguishedName, DowngradeSentinel, HandshakeMessage,
    HandshakePayload, OfferedPsks, PskIdentity, PskKeyExchangeMode, Random, ServerExtension,
    ServerHello, SessionId,
};

use common::rfc8448::{hex, simple_1rtt as trace};

/// RFC 8448 section 4 ("Resumed 0-RTT Handshake"): the ClientHello the
/// client sends, handshake header and complete binder included (512
/// bytes). Its pre_shared_key offers the ticket of section 3.
const RESUMED_CLIENT_HELLO: &str = "
    01 00 01 fc 03 03 1b c3 ce b6 bb e3 9c ff 93 83 55 b5 a5 0a db 6d b2 1b 7a 6a f6 49 d7 b4 bc 41
    9d 78 76 48 7d 95 00 00 06 13 01 13 03 13 02 01 00 01 cd 00 00 00 0b 00 09 00 00 06 73 65 72 76
    65 72 ff 01 00 01 00 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00
    33 00 26 00 24 00 1d 00 20 e4 ff b6 8a c0 5f 8d 96 c9 9d a2 66 98 34 6c 6b e1 64 82 ba dd da fe
    05 1a 66 b4 f1 8d 66 8f 0b 00 2a 00 00 00 2b 00 03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03
    02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01 04 02 05 02 06 02 02 02 00 2d 00 02 01 01 00 1c
    00 02 40 01 00 15 00 57 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    29 00 dd 00 b8 00 b2 2c 03 5d 82 93 59 ee 5f f7 af 4e c9 00 00 00 00 26 2a 64 94 dc 48 6d 2c 8a
    34 cb 33 fa 90 bf 1b 00 70 ad 3c 49 88 83 c9 36 7c 09 a2 be 78 5a bc 55 cd 22 60 97 a3 a9 82 11
    72 83 f8 2a 03 a1 43 ef d3 ff 5d d3 6d 64 e8 61 be 7f d6 1d 28 27 db 27 9c ce 14 50 77 d4 54 a3
    66 4d 4e 6d a4 d2 9e e0 37 25 a6 a4 da fc d0 fc 67 d2 ae a7 05 29 51 3e 3d a2 67 7f a5 90 6c 5b
    3f 7d 8f 92 f2 28 bd a4 0d da 72 14 70 f9 fb f2 97 b5 ae a6 17 64 6f ac 5c 03 27 2e 97 07 27 c6
    21 a7 91 41 ef 5f 7d e6 50 5e 5b fb c3 88 e9 33 43 69 40 93 93 4a e4 d3 57 fa d6 aa cb 00 21 20
    3a dd 4f b2 d8 fd f8 22 a0 ca 3c f7 67 8e f5 e8 8d ae 99 01 41 c5 92 4d 57 bb 6f a3 1b 9e 5f 9d
";

/// RFC 8448 section 4: the resumption PSK (from section 3's
/// resumption_master_secret and ticket nonce 0).
const RESUMPTION_PSK: &str = "4e cd 0e b6 ec 3b 4d 87 f5 d6 02 8f 92 2c a4 c5
    85 1a 27 7f d4 13 11 c9 e6 2d 2c 94 92 e1 c4 f3";

/// Decodes a whole handshake message, checks that it re-encodes to the
/// same bytes, and returns its payload.
fn decode_known(bytes: &[u8]) -> HandshakePayload {
    let message = HandshakeMessage::read_bytes(bytes).expect("known message decodes");
    assert_eq!(message.get_encoding(), bytes, "re-encoding differs");
    message.payload
}

fn client_hello(payload: HandshakePayload) -> ClientHello {
    match payload {
        HandshakePayload::ClientHello(hello) => *hello,
        other => panic!("not a ClientHello: {other:?}"),
    }
}

fn server_hello(payload: HandshakePayload) -> ServerHello {
    match payload {
        HandshakePayload::ServerHello(hello) => hello,
        other => panic!("not a ServerHello: {other:?}"),
    }
}

/// One extension: type, u16 length, body.
fn extension(typ: ExtensionType, data: &[u8]) -> Vec<u8> {
    let mut out = typ.to_wire().to_be_bytes().to_vec();
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
    out
}

/// A ClientHello body (null compression, one suite) with this extension
/// block.
fn client_hello_body(extensions: &[u8]) -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[7; 32]);
    body.push(0);
    body.extend_from_slice(&[0x00, 0x02, 0x13, 0x01, 0x01, 0x00]);
    body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    body.extend_from_slice(extensions);
    body
}

fn read_client_hello_with(extensions: &[u8]) -> Result<HandshakePayload, InvalidMessage> {
    HandshakePayload::read_body(HandshakeType::ClientHello, &client_hello_body(extensions))
}

/// A ServerHello body with `random` and this extension block.
fn server_hello_body(random: &Random, extensions: &[u8]) -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&random.0);
    body.push(0);
    body.extend_from_slice(&[0x13, 0x01, 0x00]);
    body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    body.extend_from_slice(extensions);
    body
}

fn read_server_hello_with(
    random: &Random,
    extensions: &[u8],
) -> Result<HandshakePayload, InvalidMessage> {
    HandshakePayload::read_body(
        HandshakeType::ServerHello,
        &server_hello_body(random, extensions),
    )
}

/// Encodes `payload` as a handshake message and decodes it back.
fn round_trip(payload: HandshakePayload) {
    let message = HandshakeMessage::from(payload);
    let bytes = message.get_encoding();
    assert_eq!(HandshakeMessage::read_bytes(&bytes), Ok(message));
}

fn binder_of(len: usize, byte: u8) -> Vec<u8> {
    vec![byte; len]
}

/// A ClientHello with every TLS 1.3 extension this crate types, with
/// pre_shared_key last.
fn tls13_client_hello(psks: OfferedPsks) -> ClientHello {
    ClientHello {
        client_version: ProtocolVersion::Tls12,
        random: Random([0x5a; 32]),
        session_id: SessionId::new(&[1; 32]).unwrap(),
        cipher_suites: [CipherSuite::TLS13_AES_128_GCM_SHA256]
            .into_iter()
            .collect(),
        compression_methods: [Compression::Null].into_iter().collect(),
        extensions: [
            ClientExtension::SupportedVersions(
                [ProtocolVersion::Tls13, ProtocolVersion::Tls12]
                    .into_iter()
                    .collect(),
            ),
            ClientExtension::KeyShare(vec![
                KeyShareEntry {
                    group: NamedGroup::X25519,
                    key_exchange: vec![9; 32],
                },
                KeyShareEntry {
                    group: NamedGroup::secp256r1,
                    key_exchange: vec![4; 65],
                },
            ]),
            ClientExtension::Cookie(vec![0xc0, 0x0c, 0x1e]),
            ClientExtension::PskKeyExchangeModes(
                [PskKeyExchangeMode::PskDheKe, PskKeyExchangeMode::PskKe]
                    .into_iter()
                    .collect(),
            ),
            ClientExtension::SignatureAlgorithmsCert(
                [SignatureScheme::ECDSA_NISTP256_SHA256]
                    .into_iter()
                    .collect(),
            ),
            ClientExtension::EarlyData,
            ClientExtension::PostHandshakeAuth,
            ClientExtension::CertificateAuthorities(vec![
                DistinguishedName(vec![0x30, 0x00]),
                DistinguishedName(vec![0x30, 0x03, 0x31, 0x01, 0x00]),
            ]),
            ClientExtension::PreSharedKey(psks),
        ]
        .into_iter()
        .collect(),
    }
}

fn two_psks() -> OfferedPsks {
    OfferedPsks {
        identities: vec![
            PskIdentity {
                identity: b"ticket one".to_vec(),
                obfuscated_ticket_age: 0x0102_0304,
            },
            PskIdentity {
                identity: vec![0xee; 300],
                obfuscated_ticket_age: 0,
            },
        ],
        binders: vec![binder_of(32, 0xb1), binder_of(48, 0xb2)],
    }
}

// ---- RFC 8448 ----

#[test]
fn decodes_rfc8448_client_hello_with_typed_tls13_extensions() {
    let bytes = trace()["client_hello"].clone();
    let hello = client_hello(decode_known(&bytes));
    assert_eq!(
        hello.supported_versions(),
        Some(&[ProtocolVersion::Tls13][..])
    );
    assert!(hello.offers_tls13());
    let shares = hello.key_shares().expect("key_share");
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0].group, NamedGroup::X25519);
    assert_eq!(shares[0].key_exchange.len(), 32);
    assert_eq!(&shares[0].key_exchange[..4], &[0x99, 0x38, 0x1d, 0xe5]);
    assert_eq!(
        hello.psk_key_exchange_modes(),
        Some(&[PskKeyExchangeMode::PskDheKe][..])
    );
    assert_eq!(hello.pre_shared_key(), None);
    assert_eq!(hello.binders_offset(), None);
    assert!(!hello.offers_early_data());
    assert!(!hello.offers_post_handshake_auth());
    assert_eq!(hello.signature_algorithms_cert(), None);
    assert_eq!(hello.cookie(), None);
    assert_eq!(hello.session_ticket(), Some(&[][..]));
    // record_size_limit (28) is not one this crate types.
    assert_eq!(
        hello.extension(ExtensionType::Unknown(28)),
        Some(&ClientExtension::Unknown {
            typ: ExtensionType::Unknown(28),
            data: vec![0x40, 0x01],
        })
    );
}

#[test]
fn decodes_rfc8448_server_hello() {
    let bytes = trace()["server_hello"].clone();
    let hello = server_hello(decode_known(&bytes));
    assert!(!hello.is_hello_retry_request());
    assert_eq!(hello.server_version, ProtocolVersion::Tls12);
    assert_eq!(hello.selected_version(), Some(ProtocolVersion::Tls13));
    let share = hello.key_share().expect("key_share");
    assert_eq!(share.group, NamedGroup::X25519);
    assert_eq!(share.key_exchange.len(), 32);
    assert_eq!(&share.key_exchange[..4], &[0xc9, 0x82, 0x88, 0x76]);
    assert_eq!(hello.selected_group(), None);
    assert_eq!(hello.cookie(), None);
    assert_eq!(hello.pre_shared_key(), None);
    assert_eq!(hello.random.downgrade_sentinel(), None);
}

/// The section 4 ClientHello decodes, its binder sits at the offset
/// `binders_offset` gives (the RFC's binder is the HMAC over exactly those
/// 477 bytes), and a hello encoded with placeholder binders is patched
/// into the RFC's bytes.
#[test]
fn rfc8448_resumed_client_hello_binder_is_over_the_truncated_hello() {
    let bytes = hex(RESUMED_CLIENT_HELLO);
    assert_eq!(bytes.len(), 512);
    let hello = client_hello(decode_known(&bytes));
    assert!(hello.offers_early_data());
    let offered = hello.pre_shared_key().expect("pre_shared_key").clone();
    assert_eq!(offered.identities.len(), 1);
    assert_eq!(offered.identities[0].identity.len(), 0xb2);
    assert_eq!(offered.identities[0].obfuscated_ticket_age, 0xfad6_aacb);
    assert_eq!(offered.binders.len(), 1);
    assert_eq!(offered.binders_len(), 2 + 1 + 32);

    let offset = hello.binders_offset().expect("pre_shared_key is last");
    assert_eq!(offset, 477);

    // The binder: HMAC with the "res binder" key over the hash of the
    // truncated hello (RFC 8446 4.2.11.2).
    let early = EarlySecret::new(HashAlgorithm::Sha256, Some(&hex(RESUMPTION_PSK))).unwrap();
    let binder_key = early.binder_key(true).unwrap();
    let truncated_hash = ring::digest::digest(&ring::digest::SHA256, &bytes[..offset]);
    let binder = finished_verify_data(&binder_key, truncated_hash.as_ref()).unwrap();
    assert_eq!(binder.as_ref(), &offered.binders[0][..]);

    // Encode with a placeholder of the right length, then patch.
    let mut placeholder = hello.clone();
    if let Some(ClientExtension::PreSharedKey(psks)) = placeholder.extensions.last_mut() {
        psks.binders = vec![vec![0; 32]];
    }
    let mut message =
        HandshakeMessage::from(HandshakePayload::ClientHello(Box::new(placeholder.clone())))
            .get_encoding();
    assert_eq!(placeholder.binders_offset(), Some(offset));
    assert_eq!(&message[..offset], &bytes[..offset]);
    assert_ne!(message, bytes);
    placeholder
        .patch_binders(&mut message, &[binder.as_ref()])
        .unwrap();
    assert_eq!(message, bytes);
}

#[test]
fn patch_binders_refuses_binders_of_other_lengths() {
    let hello = tls13_client_hello(two_psks());
    let mut message =
        HandshakeMessage::from(HandshakePayload::ClientHello(Box::new(hello.clone())))
            .get_encoding();
    let original = message.clone();
    for binders in [
        vec![&[1u8; 32][..]],
        vec![&[1u8; 32][..], &[2u8; 32][..]],
        vec![&[1u8; 32][..], &[2u8; 48][..], &[3u8; 32][..]],
    ] {
        assert!(matches!(
            hello.patch_binders(&mut message, &binders),
            Err(Error::Internal(_))
        ));
        assert_eq!(message, original, "nothing written");
    }
    // A buffer that is not this hello's encoding.
    let mut short = original[..original.len() - 1].to_vec();
    assert!(matches!(
        hello.patch_binders(&mut short, &[&[1u8; 32][..], &[2u8; 48][..]]),
        Err(Error::Internal(_))
    ));
    // The right shapes patch both binders, after the list's length and
    // each entry's length byte.
    hello
        .patch_binders(&mut message, &[&[1u8; 32][..], &[2u8; 48][..]])
        .unwrap();
    let offset = hello.binders_offset().unwrap();
    assert_eq!(&message[..offset], &original[..offset]);
    assert_eq!(&message[offset..offset + 3], &[0, 82, 32]);
    assert_eq!(&message[offset + 3..offset + 35], &[1u8; 32][..]);
    assert_eq!(message[offset + 35], 48);
    assert_eq!(&message[offset + 36..], &[2u8; 48][..]);
}

// ---- round trips ----

#[test]
fn round_trips_client_hello_with_every_tls13_extension() {
    let hello = tls13_client_hello(two_psks());
    assert!(hello.offers_tls13());
    assert!(hello.offers_early_data());
    assert!(hello.offers_post_handshake_auth());
    assert_eq!(hello.cookie(), Some(&[0xc0, 0x0c, 0x1e][..]));
    assert_eq!(
        hello.signature_algorithms_cert(),
        Some(&[SignatureScheme::ECDSA_NISTP256_SHA256][..])
    );
    assert_eq!(hello.key_shares().map(<[_]>::len), Some(2));
    assert_eq!(hello.pre_shared_key(), Some(&two_psks()));
    round_trip(HandshakePayload::ClientHello(Box::new(hello.clone())));
    // Each extension alone, too.
    for ext in &hello.extensions {
        let bytes = ext.get_encoding();
        assert_eq!(ClientExtension::read_bytes(&bytes).as_ref(), Ok(ext));
    }
    // The empty key_share list asks for a HelloRetryRequest and is legal.
    let empty = ClientExtension::KeyShare(Vec::new());
    assert_eq!(empty.get_encoding(), [0, 51, 0, 2, 0, 0]);
    assert_eq!(
        ClientExtension::read_bytes(&empty.get_encoding()),
        Ok(empty)
    );
}

#[test]
fn client_extensions_known_encodings() {
    let cases: Vec<(ClientExtension, Vec<u8>)> = vec![
        (
            ClientExtension::SupportedVersions(
                [ProtocolVersion::Tls13, ProtocolVersion::Tls12]
                    .into_iter()
                    .collect(),
            ),
            vec![0, 43, 0, 5, 4, 3, 4, 3, 3],
        ),
        (
            ClientExtension::Cookie(vec![0xaa]),
            vec![0, 44, 0, 3, 0, 1, 0xaa],
        ),
        (
            ClientExtension::PskKeyExchangeModes([PskKeyExchangeMode::PskKe].into_iter().collect()),
            vec![0, 45, 0, 2, 1, 0],
        ),
        (ClientExtension::EarlyData, vec![0, 42, 0, 0]),
        (ClientExtension::PostHandshakeAuth, vec![0, 49, 0, 0]),
        (
            ClientExtension::CertificateAuthorities(vec![DistinguishedName(vec![0x30, 0])]),
            vec![0, 47, 0, 6, 0, 4, 0, 2, 0x30, 0],
        ),
        (
            ClientExtension::SignatureAlgorithmsCert(
                [SignatureScheme::RSA_PKCS1_SHA256].into_iter().collect(),
            ),
            vec![0, 50, 0, 4, 0, 2, 4, 1],
        ),
        (
            ClientExtension::PreSharedKey(OfferedPsks {
                identities: vec![PskIdentity {
                    identity: vec![0x77],
                    obfuscated_ticket_age: 5,
                }],
                binders: vec![binder_of(32, 0xbb)],
            }),
            [
                &[0, 41, 0, 0x2c, 0, 7, 0, 1, 0x77, 0, 0, 0, 5, 0, 0x21, 0x20][..],
                &[0xbb; 32][..],
            ]
            .concat(),
        ),
    ];
    for (ext, bytes) in cases {
        assert_eq!(ext.get_encoding(), bytes, "{ext:?}");
        assert_eq!(ClientExtension::read_bytes(&bytes), Ok(ext));
    }
}

#[test]
fn round_trips_server_hello_with_tls13_extensions() {
    let hello = ServerHello {
        server_version: ProtocolVersion::Tls12,
        random: Random([3; 32]),
        session_id: SessionId::new(&[1; 32]).unwrap(),
        cipher_suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
        compression_method: Compression::Null,
        extensions: [
            ServerExtension::SupportedVersions(ProtocolVersion::Tls13),
            ServerExtension::KeyShare(KeyShareEntry {
                group: NamedGroup::secp256r1,
                key_exchange: vec![4; 65],
            }),
            ServerExtension::PreSharedKey(1),
        ]
        .into_iter()
        .collect(),
    };
    assert!(!hello.is_hello_retry_request());
    assert_eq!(hello.selected_version(), Some(ProtocolVersion::Tls13));
    assert_eq!(hello.pre_shared_key(), Some(1));
    assert_eq!(
        hello.key_share().map(|s| s.group),
        Some(NamedGroup::secp256r1)
    );
    round_trip(HandshakePayload::ServerHello(hello.clone()));
    assert_eq!(
        ServerExtension::PreSharedKey(0x0102).get_encoding(),
        [0, 41, 0, 2, 1, 2]
    );
    assert_eq!(
        ServerExtension::SupportedVersions(ProtocolVersion::Tls13).get_encoding(),
        [0, 43, 0, 2, 3, 4]
    );
    for ext in &hello.extensions {
        let bytes = ext.get_encoding();
        assert_eq!(ServerExtension::read_bytes(&bytes).as_ref(), Ok(ext));
    }
}

// ---- HelloRetryRequest ----

#[test]
fn hello_retry_request_random_is_sha256_of_its_name() {
    let digest = ring::digest::digest(&ring::digest::SHA256, b"HelloRetryRequest");
    assert_eq!(&Random::HELLO_RETRY_REQUEST.0[..], digest.as_ref());
}

#[test]
fn recognises_hello_retry_request_and_reads_its_key_share_as_a_group() {
    let extensions = [
        extension(ExtensionType::SupportedVersions, &[3, 4]),
        extension(ExtensionType::KeyShare, &[0x00, 0x17]),
        extension(ExtensionType::Cookie, &[0, 3, 1, 2, 3]),
    ]
    .concat();
    let hrr =
        server_hello(read_server_hello_with(&Random::HELLO_RETRY_REQUEST, &extensions).unwrap());
    assert!(hrr.is_hello_retry_request());
    assert_eq!(hrr.selected_group(), Some(NamedGroup::secp256r1));
    assert_eq!(hrr.key_share(), None);
    assert_eq!(hrr.selected_version(), Some(ProtocolVersion::Tls13));
    assert_eq!(hrr.cookie(), Some(&[1, 2, 3][..]));
    assert_eq!(
        hrr.extensions[1],
        ServerExtension::KeyShareHrr(NamedGroup::secp256r1)
    );
    // It re-encodes to the same bytes.
    let mut body = Vec::new();
    HandshakePayload::ServerHello(hrr.clone()).encode_body(&mut body);
    assert_eq!(
        body,
        server_hello_body(&Random::HELLO_RETRY_REQUEST, &extensions)
    );
    round_trip(HandshakePayload::ServerHello(hrr));

    // The same key_share in a ServerHello proper is a share cut short.
    assert_eq!(
        read_server_hello_with(&Random([0; 32]), &extensions),
        Err(InvalidMessage::MissingData("key_exchange"))
    );
    // And a full share in a HelloRetryRequest is a group with trailing
    // bytes.
    let share = [
        extension(ExtensionType::SupportedVersions, &[3, 4]),
        extension(ExtensionType::KeyShare, &[0x00, 0x1d, 0, 1, 9]),
    ]
    .concat();
    assert_eq!(
        read_server_hello_with(&Random::HELLO_RETRY_REQUEST, &share),
        Err(InvalidMessage::TrailingData("key_share"))
    );
}

#[test]
fn rejects_bad_tls13_server_extensions() {
    let random = Random([0; 32]);
    let cases: Vec<(Vec<u8>, InvalidMessage)> = vec![
        (
            extension(ExtensionType::SupportedVersions, &[3]),
            InvalidMessage::MissingData("selected_version"),
        ),
        (
            extension(ExtensionType::SupportedVersions, &[3, 4, 3, 3]),
            InvalidMessage::TrailingData("supported_versions"),
        ),
        (
            extension(ExtensionType::PreSharedKey, &[0]),
            InvalidMessage::MissingData("selected_identity"),
        ),
        (
            extension(ExtensionType::Cookie, &[0, 0]),
            InvalidMessage::EmptyList("cookie"),
        ),
        (
            extension(ExtensionType::KeyShare, &[0, 0x1d, 0, 0]),
            InvalidMessage::EmptyList("key_exchange"),
        ),
    ];
    for (block, error) in cases {
        assert_eq!(
            read_server_hello_with(&random, &block),
            Err(error),
            "{block:02x?}"
        );
    }
    let twice = [
        extension(ExtensionType::SupportedVersions, &[3, 4]),
        extension(ExtensionType::SupportedVersions, &[3, 4]),
    ]
    .concat();
    assert_eq!(
        read_server_hello_with(&random, &twice),
        Err(InvalidMessage::DuplicateExtension(
            ExtensionType::SupportedVersions
        ))
    );
    let twice_hrr = [
        extension(ExtensionType::KeyShare, &[0, 0x17]),
        extension(ExtensionType::KeyShare, &[0, 0x1d]),
    ]
    .concat();
    assert_eq!(
        read_server_hello_with(&Random::HELLO_RETRY_REQUEST, &twice_hrr),
        Err(InvalidMessage::DuplicateExtension(ExtensionType::KeyShare))
    );
}

// ---- downgrade sentinels ----

#[test]
fn downgrade_sentinels_are_read_from_the_last_eight_bytes() {
    assert_eq!(&Random::DOWNGRADE_TLS12, b"DOWNGRD\x01");
    assert_eq!(
        Random::DOWNGRADE_TLS12,
        [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01]
    );
    assert_eq!(
        Random::DOWNGRADE_TLS11,
        [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00]
    );
    let with_tail = |tail: &[u8; 8]| {
        let mut random = [0xab; 32];
        random[24..].copy_from_slice(tail);
        Random(random)
    };
    assert_eq!(
        with_tail(&Random::DOWNGRADE_TLS12).downgrade_sentinel(),
        Some(DowngradeSentinel::Tls12)
    );
    assert_eq!(
        with_tail(&Random::DOWNGRADE_TLS11).downgrade_sentinel(),
        Some(DowngradeSentinel::Tls11OrBelow)
    );
    assert_eq!(with_tail(b"DOWNGRD\x02").downgrade_sentinel(), None);
    assert_eq!(with_tail(b"downgrd\x01").downgrade_sentinel(), None);
    // The sentinel must end the random, not sit elsewhere in it.
    let mut early = [0xab; 32];
    early[..8].copy_from_slice(&Random::DOWNGRADE_TLS12);
    assert_eq!(Random(early).downgrade_sentinel(), None);
    assert_eq!(Random::HELLO_RETRY_REQUEST.downgrade_sentinel(), None);
}

// ---- rejections ----

/// A minimal valid pre_shared_key body: one identity, one 32-byte binder.
fn psk_body() -> Vec<u8> {
    ClientExtension::PreSharedKey(OfferedPsks {
        identities: vec![PskIdentity {
            identity: vec![1],
            obfuscated_ticket_age: 0,
        }],
        binders: vec![binder_of(32, 0)],
    })
    .get_encoding()[4..]
        .to_vec()
}

#[test]
fn rejects_pre_shared_key_not_last_as_illegal_parameter() {
    let last = [
        extension(ExtensionType::SupportedVersions, &[2, 3, 4]),
        extension(ExtensionType::PreSharedKey, &psk_body()),
    ]
    .concat();
    assert!(read_client_hello_with(&last).is_ok());
    let not_last = [
        extension(ExtensionType::PreSharedKey, &psk_body()),
        extension(ExtensionType::SupportedVersions, &[2, 3, 4]),
    ]
    .concat();
    assert_eq!(
        read_client_hello_with(&not_last),
        Err(InvalidMessage::PreSharedKeyNotLast)
    );
    assert_eq!(
        Error::from(InvalidMessage::PreSharedKeyNotLast).alert(),
        Some(AlertDescription::IllegalParameter)
    );
    // Through the whole-message decoder as well, and with an unknown
    // extension after it.
    let unknown_after = [
        extension(ExtensionType::PreSharedKey, &psk_body()),
        extension(ExtensionType::Unknown(0x4a4a), &[]),
    ]
    .concat();
    let body = client_hello_body(&unknown_after);
    let mut message = vec![1, 0];
    message.extend_from_slice(&(body.len() as u16).to_be_bytes());
    message.extend_from_slice(&body);
    assert_eq!(
        HandshakeMessage::read_bytes(&message),
        Err(InvalidMessage::PreSharedKeyNotLast)
    );
    // An encoded hello with pre_shared_key not last has no binders offset.
    let mut hello = tls13_client_hello(two_psks());
    assert!(hello.binders_offset().is_some());
    let psk = hello.extensions.pop().unwrap();
    hello.extensions.insert(0, psk);
    assert_eq!(hello.binders_offset(), None);
}

#[test]
fn still_rejects_repeated_tls13_client_extensions() {
    for (typ, data) in [
        (ExtensionType::SupportedVersions, vec![2, 3, 4]),
        (ExtensionType::KeyShare, vec![0, 0]),
        (ExtensionType::EarlyData, vec![]),
    ] {
        let block = [extension(typ, &data), extension(typ, &data)].concat();
        assert_eq!(
            read_client_hello_with(&block),
            Err(InvalidMessage::DuplicateExtension(typ))
        );
    }
    // pre_shared_key twice: the repeat is found before the order.
    let block = [
        extension(ExtensionType::PreSharedKey, &psk_body()),
        extension(ExtensionType::PreSharedKey, &psk_body()),
    ]
    .concat();
    assert_eq!(
        read_client_hello_with(&block),
        Err(InvalidMessage::DuplicateExtension(
            ExtensionType::PreSharedKey
        ))
    );
}

#[test]
fn rejects_malformed_tls13_client_extensions() {
    let psk = |identities: &[u8], binders: &[u8]| {
        let mut body = (identities.len() as u16).to_be_bytes().to_vec();
        body.extend_from_slice(identities);
        body.extend_from_slice(&(binders.len() as u16).to_be_bytes());
        body.extend_from_slice(binders);
        extension(ExtensionType::PreSharedKey, &body)
    };
    let one_identity = [0, 1, 0x77, 0, 0, 0, 0];
    let binder = |len: u8| [&[len][..], &vec![0xbb; usize::from(len)]].concat();
    let cases: Vec<(Vec<u8>, InvalidMessage)> = vec![
        (
            extension(ExtensionType::SupportedVersions, &[0]),
            InvalidMessage::EmptyList("supported_versions"),
        ),
        (
            extension(ExtensionType::SupportedVersions, &[3, 3, 4, 3]),
            InvalidMessage::MissingData("ProtocolVersion"),
        ),
        (
            extension(ExtensionType::Cookie, &[0, 0]),
            InvalidMessage::EmptyList("cookie"),
        ),
        (
            extension(ExtensionType::PskKeyExchangeModes, &[0]),
            InvalidMessage::EmptyList("ke_modes"),
        ),
        (
            extension(ExtensionType::SignatureAlgorithmsCert, &[0, 0]),
            InvalidMessage::EmptyList("signature_algorithms_cert"),
        ),
        (
            extension(ExtensionType::CertificateAuthorities, &[0, 0]),
            InvalidMessage::EmptyList("authorities"),
        ),
        (
            extension(ExtensionType::CertificateAuthorities, &[0, 2, 0, 0]),
            InvalidMessage::EmptyList("DistinguishedName"),
        ),
        (
            extension(ExtensionType::EarlyData, &[0]),
            InvalidMessage::TrailingData("early_data"),
        ),
        (
            extension(ExtensionType::PostHandshakeAuth, &[0]),
            InvalidMessage::TrailingData("post_handshake_auth"),
        ),
        (
            extension(ExtensionType::KeyShare, &[0, 4, 0, 0x1d, 0, 0]),
            InvalidMessage::EmptyList("key_exchange"),
        ),
        (
            extension(ExtensionType::KeyShare, &[0, 0, 0]),
            InvalidMessage::TrailingData("key_share"),
        ),
        // A binder one byte shorter than the shortest allowed.
        (
            psk(&one_identity, &binder(31)),
            InvalidMessage::InvalidValue("PskBinderEntry length"),
        ),
        (
            psk(&one_identity, &[]),
            InvalidMessage::InvalidValue("binders (count differs from identities)"),
        ),
        (
            psk(&one_identity, &[binder(32), binder(32)].concat()),
            InvalidMessage::InvalidValue("binders (count differs from identities)"),
        ),
        (
            psk(&[], &binder(32)),
            InvalidMessage::EmptyList("identities"),
        ),
        (
            psk(&[0, 0, 0, 0, 0, 0], &binder(32)),
            InvalidMessage::EmptyList("PskIdentity.identity"),
        ),
        (
            psk(&[0, 1, 0x77, 0, 0], &binder(32)),
            InvalidMessage::MissingData("obfuscated_ticket_age"),
        ),
    ];
    for (block, error) in cases {
        assert_eq!(read_client_hello_with(&block), Err(error), "{block:02x?}");
    }
    // The bounds that are legal: a 32- and a 255-byte binder, a 254-byte
    // supported_versions list.
    assert!(read_client_hello_with(&psk(&one_identity, &binder(32))).is_ok());
    assert!(read_client_hello_with(&psk(&one_identity, &binder(255))).is_ok());
    let mut versions = vec![254];
    versions.extend(std::iter::repeat_n([3, 4], 127).flatten());
    let hello = client_hello(
        read_client_hello_with(&extension(ExtensionType::SupportedVersions, &versions)).unwrap(),
    );
    assert_eq!(hello.supported_versions().map(<[_]>::len), Some(127));
}

#[test]
fn offers_tls13_only_by_supported_versions() {
    let block = extension(ExtensionType::SupportedVersions, &[4, 3, 3, 3, 2]);
    let hello = client_hello(read_client_hello_with(&block).unwrap());
    assert!(!hello.offers_tls13());
    assert_eq!(
        hello.supported_versions(),
        Some(&[ProtocolVersion::Tls12, ProtocolVersion::Tls11][..])
    );
    let hello = client_hello(read_client_hello_with(&[]).unwrap());
    assert!(!hello.offers_tls13());
    assert_eq!(hello.supported_versions(), None);
}
