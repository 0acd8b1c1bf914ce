//! Encode/decode tests for every TLS 1.2 handshake message, through the
//! public API only.
//!
//! Real peers' bytes come first: decoding what OpenSSL actually sent, and
//! re-encoding it to the same bytes, is the strongest check that our schema
//! matches the RFCs. Then synthetic messages cover every field and every
//! rejection the RFCs require.

use rustls_pki_types::CertificateDer;
use smallvec::smallvec;
use tlstate::codec::Codec;
use tlstate::enums::{
    CipherSuite, ClientCertificateType, Compression, EcPointFormat, ExtensionType, HandshakeType,
    NamedGroup, ProtocolVersion, SignatureScheme,
};
use tlstate::error::InvalidMessage;
use tlstate::message::{
    CertificateChain, CertificateRequest, ChangeCipherSpecPayload, ClientExtension, ClientHello,
    ClientKeyExchange, DigitallySigned, DistinguishedName, Finished, HandshakeMessage,
    HandshakePayload, MAX_CLIENT_HELLO_LEN, NewSessionTicket, Random, ServerEcdhParams,
    ServerExtension, ServerHello, ServerKeyExchange, SessionId,
};

/// A ClientHello from OpenSSL 3.0.19, captured by running a one-shot Python
/// socket listener on 127.0.0.1 that printed the first record it received,
/// and connecting to it with
/// `openssl s_client -tls1_2 -connect 127.0.0.1:44333 -servername example.com -alpn h2,http/1.1`.
/// This is the handshake message (header and body) from inside that record.
const OPENSSL_CLIENT_HELLO: &str = "010000d9030369138f48c4574e662600dff68b0c9eab6c0d9f6855e3389c96b728ee9aca690f000038c02cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff0100007800000010000e00000b6578616d706c652e636f6d000b000403000102000a000c000a001d0017001e00190018002300000010000e000c02683208687474702f312e310016000000170000000d002a0028040305030603080708080809080a080b080408050806040105010601030303010302040205020602";

// The server flight below is what `openssl s_server -tls1_2 -verify 1` (with
// a self-signed P-256 certificate for CN=example.com) sent back when a Python
// client replayed OPENSSL_CLIENT_HELLO to it; each constant is one handshake
// message, split out of its record.

/// OpenSSL's ServerHello: renegotiation_info, ec_point_formats, session
/// ticket acknowledgement, extended master secret.
const OPENSSL_SERVER_HELLO: &str = "0200003d0303ff4f4230d4b7b5d0d171ceb921f93ff3229ddc5d2f62c54db1aaf8b5e624a0d700c02c000015ff01000100000b0004030001020023000000170000";

/// OpenSSL's Certificate: one self-signed P-256 certificate.
const OPENSSL_CERTIFICATE: &str = "0b00018c0001890001863082018230820127a003020102021436d7c49d5c0d796cba1a45f401b37842026f80ef300a06082a8648ce3d04030230163114301206035504030c0b6578616d706c652e636f6d301e170d3236313132373035333731355a170d3336313132343035333731355a30163114301206035504030c0b6578616d706c652e636f6d3059301306072a8648ce3d020106082a8648ce3d0301070342000423298c5b44cc1d1d810792d3f67dd301f05be22a42443e854b14515b0f8e0ae82e602395d34ab4ff455392fb99a87d03574ea8bb794f346e235b26a5a9f577dba3533051301d0603551d0e041604148df2de973a09aebab648739ea155072b948e7947301f0603551d230418301680148df2de973a09aebab648739ea155072b948e7947300f0603551d130101ff040530030101ff300a06082a8648ce3d0403020349003046022100f9c920a866cc45d2ed01aac2f5a2f7454c3d7fb5e4ca2cda7546a56640995201022100e8d03367ac73f16514fbf35ffaa9705e3c94fe646e5d78888c8e3ff1b833c6e2";

/// OpenSSL's ServerKeyExchange: an X25519 key signed with ECDSA P-256/SHA-256.
const OPENSSL_SERVER_KEY_EXCHANGE: &str = "0c00007003001d200d63f6d52901bfdd00ffeecfeab241833f03e2dff9cac965789e5ae2b5d7ad44040300483046022100a7c9d4fd706b761a166f403592b2c8377d342b06011250da9772802f10716a69022100f38bd39a6149e7836e7352e861098e798878713bef95d8e045cf44e11114add2";

/// OpenSSL's CertificateRequest: two certificate types, 20 schemes, no CAs.
const OPENSSL_CERTIFICATE_REQUEST: &str = "0d000030030102400028040305030603080708080809080a080b0804080508060401050106010303030103020402050206020000";

/// OpenSSL's ServerHelloDone.
const OPENSSL_SERVER_HELLO_DONE: &str = "0e000000";

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len() % 2 == 0, "odd hex length");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Decodes a known encoding, checks it re-encodes to the same bytes, and
/// returns the payload.
fn decode_known(text: &str) -> HandshakePayload {
    let bytes = hex(text);
    let message = HandshakeMessage::read_bytes(&bytes).expect("known message decodes");
    assert_eq!(message.get_encoding(), bytes, "re-encoding differs");
    message.payload
}

/// Encodes, decodes, and checks the result equals the input and that every
/// proper prefix of the body fails to decode with `MissingData` (except the
/// cut points in `valid_cuts`, where a shorter message is also well-formed).
fn round_trip_with_cuts(payload: HandshakePayload, valid_cuts: &[usize]) -> Vec<u8> {
    let message = HandshakeMessage::from(payload.clone());
    let bytes = message.get_encoding();
    assert_eq!(HandshakeMessage::read_bytes(&bytes), Ok(message.clone()));
    assert_eq!(bytes[0], message.typ().to_wire());
    assert_eq!(
        bytes.len() - HandshakeMessage::HEADER_LEN,
        body(&payload).len()
    );

    let typ = payload.typ();
    let body = body(&payload);
    for cut in 0..body.len() {
        let result = HandshakePayload::read_body(typ, &body[..cut]);
        if valid_cuts.contains(&cut) {
            assert!(result.is_ok(), "{typ} cut at {cut}: {result:?}");
            continue;
        }
        match result {
            Err(InvalidMessage::MissingData(_)) => {}
            other => panic!("{typ} cut at {cut} of {}: {other:?}", body.len()),
        }
    }
    // The whole message cut anywhere (header included) is an error too.
    for cut in 0..bytes.len() {
        assert!(
            HandshakeMessage::read_bytes(&bytes[..cut]).is_err(),
            "{typ} message cut at {cut}"
        );
    }
    bytes
}

fn round_trip(payload: HandshakePayload) -> Vec<u8> {
    round_trip_with_cuts(payload, &[])
}

fn body(payload: &HandshakePayload) -> Vec<u8> {
    let mut out = Vec::new();
    payload.encode_body(&mut out);
    out
}

/// A message's body with `extra` appended must be rejected as trailing data
/// naming the message.
fn assert_rejects_trailing(payload: &HandshakePayload, extra: &[u8], name: &'static str) {
    let mut body = body(payload);
    body.extend_from_slice(extra);
    assert_eq!(
        HandshakePayload::read_body(payload.typ(), &body),
        Err(InvalidMessage::TrailingData(name))
    );
}

fn body_of(text: &str) -> Vec<u8> {
    hex(text)[HandshakeMessage::HEADER_LEN..].to_vec()
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

fn sample_client_hello() -> ClientHello {
    ClientHello {
        client_version: ProtocolVersion::Tls12,
        random: Random([0x11; 32]),
        session_id: SessionId::new(&[0x22; 32]).expect("32 bytes fit"),
        cipher_suites: smallvec![
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
            CipherSuite::Unknown(0x13ff),
        ],
        compression_methods: smallvec![Compression::Unknown(1), Compression::Null],
        extensions: smallvec![
            ClientExtension::ServerName(b"example.com".to_vec()),
            ClientExtension::SupportedGroups(smallvec![NamedGroup::X25519, NamedGroup::secp256r1]),
            ClientExtension::EcPointFormats(smallvec![EcPointFormat::Uncompressed]),
            ClientExtension::SignatureAlgorithms(smallvec![
                SignatureScheme::ECDSA_NISTP256_SHA256,
                SignatureScheme::RSA_PSS_SHA256,
            ]),
            ClientExtension::Alpn(vec![b"h2".to_vec(), b"http/1.1".to_vec()]),
            ClientExtension::ExtendedMasterSecret,
            ClientExtension::RenegotiationInfo(vec![0xaa; 12]),
            ClientExtension::SessionTicket(vec![0xbb; 40]),
            ClientExtension::Unknown {
                typ: ExtensionType::Unknown(0x0016),
                data: vec![],
            },
            ClientExtension::Unknown {
                typ: ExtensionType::Unknown(0xfe0d),
                data: vec![1, 2, 3],
            },
        ],
    }
}

fn sample_server_hello() -> ServerHello {
    ServerHello {
        server_version: ProtocolVersion::Tls12,
        random: Random([0x33; 32]),
        session_id: SessionId::new(&[0x44; 16]).expect("16 bytes fit"),
        cipher_suite: CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        compression_method: Compression::Null,
        extensions: smallvec![
            ServerExtension::ServerNameAck,
            ServerExtension::EcPointFormats(smallvec![EcPointFormat::Uncompressed]),
            ServerExtension::Alpn(b"h2".to_vec()),
            ServerExtension::ExtendedMasterSecret,
            ServerExtension::RenegotiationInfo(vec![0xcc; 24]),
            ServerExtension::SessionTicketAck,
            ServerExtension::Unknown {
                typ: ExtensionType::Unknown(0x0016),
                data: vec![],
            },
        ],
    }
}

/// A ClientHello body built from parts, for hand-made malformed hellos.
fn client_hello_body(compression: &[u8], extensions: &[u8]) -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[0; 32]);
    body.push(0);
    body.extend_from_slice(&[0x00, 0x02, 0xc0, 0x2b]);
    body.push(compression.len() as u8);
    body.extend_from_slice(compression);
    body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    body.extend_from_slice(extensions);
    body
}

/// One extension: type, u16 length, body.
fn extension(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut out = typ.to_be_bytes().to_vec();
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
    out
}

fn read_client_hello_with(extensions: &[u8]) -> Result<HandshakePayload, InvalidMessage> {
    HandshakePayload::read_body(
        HandshakeType::ClientHello,
        &client_hello_body(&[0], extensions),
    )
}

/// A ServerHello body with the given extension block.
fn server_hello_body(extensions: &[u8]) -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[0; 32]);
    body.push(0);
    body.extend_from_slice(&[0xc0, 0x2b, 0x00]);
    body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    body.extend_from_slice(extensions);
    body
}

fn read_server_hello_with(extensions: &[u8]) -> Result<HandshakePayload, InvalidMessage> {
    HandshakePayload::read_body(HandshakeType::ServerHello, &server_hello_body(extensions))
}

// ---- real peers' bytes ----

#[test]
fn decodes_openssl_client_hello() {
    let hello = client_hello(decode_known(OPENSSL_CLIENT_HELLO));
    assert_eq!(hello.client_version, ProtocolVersion::Tls12);
    assert!(hello.session_id.is_empty());
    assert_eq!(hello.cipher_suites.len(), 28);
    assert_eq!(
        hello.cipher_suites[0],
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
    );
    assert!(hello.offers_renegotiation_scsv());
    assert_eq!(hello.compression_methods[..], [Compression::Null]);
    assert_eq!(hello.server_name(), Some(&b"example.com"[..]));
    assert_eq!(
        hello.ec_point_formats(),
        Some(
            &[
                EcPointFormat::Uncompressed,
                EcPointFormat::Unknown(1),
                EcPointFormat::Unknown(2)
            ][..]
        )
    );
    assert_eq!(
        hello.supported_groups(),
        Some(
            &[
                NamedGroup::X25519,
                NamedGroup::secp256r1,
                NamedGroup::Unknown(0x1e),
                NamedGroup::Unknown(0x19),
                NamedGroup::secp384r1,
            ][..]
        )
    );
    assert_eq!(hello.session_ticket(), Some(&[][..]));
    assert_eq!(
        hello.alpn_protocols(),
        Some(&[b"h2".to_vec(), b"http/1.1".to_vec()][..])
    );
    assert!(hello.offers_extended_master_secret());
    let schemes = hello.signature_algorithms().expect("offered");
    assert_eq!(schemes.len(), 20);
    assert_eq!(schemes[0], SignatureScheme::ECDSA_NISTP256_SHA256);
    assert_eq!(hello.renegotiation_info(), None);
    // encrypt_then_mac (22) is not ours to understand; it is kept raw.
    assert_eq!(
        hello.extension(ExtensionType::Unknown(22)),
        Some(&ClientExtension::Unknown {
            typ: ExtensionType::Unknown(22),
            data: vec![]
        })
    );
    assert_eq!(hello.extensions.len(), 8);
}

#[test]
fn openssl_client_hello_truncated_anywhere_is_rejected() {
    let hello = client_hello(decode_known(OPENSSL_CLIENT_HELLO));
    let without_extensions = ClientHello {
        extensions: smallvec![],
        ..hello.clone()
    };
    let extensions_start = without_extensions.get_encoding().len();
    round_trip_with_cuts(
        HandshakePayload::ClientHello(Box::new(hello)),
        &[extensions_start],
    );
}

#[test]
fn decodes_openssl_server_flight() {
    let hello = server_hello(decode_known(OPENSSL_SERVER_HELLO));
    assert_eq!(hello.server_version, ProtocolVersion::Tls12);
    assert_eq!(
        hello.cipher_suite,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
    );
    assert_eq!(hello.compression_method, Compression::Null);
    assert_eq!(hello.renegotiation_info(), Some(&[][..]));
    assert_eq!(hello.ec_point_formats().map(<[_]>::len), Some(3));
    assert!(hello.acknowledges_session_ticket());
    assert!(hello.accepts_extended_master_secret());
    assert!(!hello.acknowledges_server_name());
    assert_eq!(hello.alpn_protocol(), None);

    let HandshakePayload::Certificate(chain) = decode_known(OPENSSL_CERTIFICATE) else {
        panic!("not a Certificate");
    };
    assert_eq!(chain.0.len(), 1);
    assert_eq!(chain.0[0].as_ref().len(), 0x186);
    assert_eq!(chain.0[0].as_ref()[0], 0x30, "a DER SEQUENCE");

    let HandshakePayload::ServerKeyExchange(ske) = decode_known(OPENSSL_SERVER_KEY_EXCHANGE) else {
        panic!("not a ServerKeyExchange");
    };
    assert_eq!(ske.params.group, NamedGroup::X25519);
    assert_eq!(ske.params.public.len(), 32);
    assert_eq!(ske.signed.scheme, SignatureScheme::ECDSA_NISTP256_SHA256);
    assert_eq!(ske.signed.signature.len(), 0x48);
    // The signed params are the first 4 + 32 bytes of the body.
    assert_eq!(
        ske.params_encoding(),
        body_of(OPENSSL_SERVER_KEY_EXCHANGE)[..36].to_vec()
    );

    let HandshakePayload::CertificateRequest(request) = decode_known(OPENSSL_CERTIFICATE_REQUEST)
    else {
        panic!("not a CertificateRequest");
    };
    assert_eq!(
        request.certificate_types,
        [
            ClientCertificateType::RsaSign,
            ClientCertificateType::Unknown(2),
            ClientCertificateType::EcdsaSign
        ]
    );
    assert_eq!(request.supported_signature_algorithms.len(), 20);
    assert!(request.certificate_authorities.is_empty());

    assert_eq!(
        decode_known(OPENSSL_SERVER_HELLO_DONE),
        HandshakePayload::ServerHelloDone
    );
}

#[test]
fn openssl_server_flight_truncated_anywhere_is_rejected() {
    for text in [
        OPENSSL_CERTIFICATE,
        OPENSSL_SERVER_KEY_EXCHANGE,
        OPENSSL_CERTIFICATE_REQUEST,
    ] {
        round_trip(decode_known(text));
    }
    let hello = server_hello(decode_known(OPENSSL_SERVER_HELLO));
    let extensions_start = ServerHello {
        extensions: smallvec![],
        ..hello.clone()
    }
    .get_encoding()
    .len();
    round_trip_with_cuts(HandshakePayload::ServerHello(hello), &[extensions_start]);
}

// ---- round trips of synthetic messages, and known encodings ----

#[test]
fn round_trips_hello_request() {
    let bytes = round_trip(HandshakePayload::HelloRequest);
    assert_eq!(bytes, [0, 0, 0, 0]);
    assert_eq!(decode_known("00000000"), HandshakePayload::HelloRequest);
}

#[test]
fn round_trips_client_hello_with_every_extension() {
    let hello = sample_client_hello();
    let extensions_start = ClientHello {
        extensions: smallvec![],
        ..hello.clone()
    }
    .get_encoding()
    .len();
    round_trip_with_cuts(
        HandshakePayload::ClientHello(Box::new(hello.clone())),
        &[extensions_start],
    );
    assert_eq!(hello.renegotiation_info(), Some(&[0xaa; 12][..]));
    assert_eq!(hello.session_ticket(), Some(&[0xbb; 40][..]));
}

#[test]
fn round_trips_client_hello_without_extensions() {
    let hello = ClientHello {
        extensions: smallvec![],
        ..sample_client_hello()
    };
    let bytes = round_trip(HandshakePayload::ClientHello(Box::new(hello.clone())));
    // An absent extension block: the body ends after the compression list.
    assert_eq!(bytes.last(), Some(&0x00));
    assert_eq!(hello.server_name(), None);
    assert!(!hello.offers_extended_master_secret());
}

#[test]
fn accepts_client_hello_with_empty_extension_block() {
    let body = client_hello_body(&[0], &[]);
    let hello = client_hello(
        HandshakePayload::read_body(HandshakeType::ClientHello, &body).expect("decodes"),
    );
    assert!(hello.extensions.is_empty());
}

#[test]
fn client_hello_known_encoding() {
    let hello = ClientHello {
        client_version: ProtocolVersion::Tls12,
        random: Random([7; 32]),
        session_id: SessionId::EMPTY,
        cipher_suites: smallvec![CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
        compression_methods: smallvec![Compression::Null],
        extensions: smallvec![
            ClientExtension::ServerName(b"a.b".to_vec()),
            ClientExtension::ExtendedMasterSecret,
        ],
    };
    let text = concat!(
        "0100003b",
        "0303",
        "0707070707070707070707070707070707070707070707070707070707070707",
        "00",
        "0002c02b",
        "0100",
        "0010",
        "000000080006000003612e62",
        "00170000",
    );
    assert_eq!(
        decode_known(text),
        HandshakePayload::ClientHello(Box::new(hello))
    );
}

#[test]
fn round_trips_server_hello_with_every_extension() {
    let hello = sample_server_hello();
    let extensions_start = ServerHello {
        extensions: smallvec![],
        ..hello.clone()
    }
    .get_encoding()
    .len();
    round_trip_with_cuts(
        HandshakePayload::ServerHello(hello.clone()),
        &[extensions_start],
    );
    assert!(hello.acknowledges_server_name());
    assert_eq!(hello.alpn_protocol(), Some(&b"h2"[..]));
    assert_eq!(hello.renegotiation_info(), Some(&[0xcc; 24][..]));
    assert_eq!(
        hello.extension(ExtensionType::SessionTicket),
        Some(&ServerExtension::SessionTicketAck)
    );
}

#[test]
fn server_hello_known_encoding() {
    let text = concat!(
        "02000039",
        "0303",
        "0909090909090909090909090909090909090909090909090909090909090909",
        "00",
        "c02f",
        "00",
        "0011",
        "0010000500030268320017000000000000",
    );
    let hello = server_hello(decode_known(text));
    assert_eq!(
        hello.extensions[..],
        [
            ServerExtension::Alpn(b"h2".to_vec()),
            ServerExtension::ExtendedMasterSecret,
            ServerExtension::ServerNameAck,
        ]
    );
}

#[test]
fn round_trips_certificate_chains() {
    let chain = CertificateChain(
        [
            CertificateDer::from(vec![0x30, 0x03, 1, 2, 3]),
            CertificateDer::from(vec![0x30; 300]),
        ]
        .into(),
    );
    round_trip(HandshakePayload::Certificate(chain));
    // An empty chain is legal: a client without a certificate sends it.
    let bytes = round_trip(HandshakePayload::Certificate(CertificateChain::default()));
    assert_eq!(bytes, [11, 0, 0, 3, 0, 0, 0]);
    assert_eq!(
        decode_known("0b00000b000008000005300301020a"),
        HandshakePayload::Certificate(CertificateChain(
            [CertificateDer::from(vec![0x30, 3, 1, 2, 10])].into()
        ))
    );
}

#[test]
fn round_trips_server_key_exchange() {
    let ske = ServerKeyExchange {
        params: ServerEcdhParams {
            group: NamedGroup::secp256r1,
            public: [vec![4], vec![0x5a; 64]].concat(),
        },
        signed: DigitallySigned {
            scheme: SignatureScheme::RSA_PSS_SHA256,
            signature: vec![0x77; 256],
        },
    };
    let bytes = round_trip(HandshakePayload::ServerKeyExchange(ske.clone()));
    let params = ske.params_encoding();
    assert_eq!(&params[..4], [3, 0x00, 0x17, 65]);
    assert_eq!(&bytes[4..4 + params.len()], params.as_slice());
    assert_eq!(
        decode_known("0c00000e03001d0201020403000401020304"),
        HandshakePayload::ServerKeyExchange(ServerKeyExchange {
            params: ServerEcdhParams {
                group: NamedGroup::X25519,
                public: vec![1, 2],
            },
            signed: DigitallySigned {
                scheme: SignatureScheme::ECDSA_NISTP256_SHA256,
                signature: vec![1, 2, 3, 4],
            },
        })
    );
}

#[test]
fn round_trips_certificate_request() {
    let request = CertificateRequest {
        certificate_types: vec![ClientCertificateType::EcdsaSign],
        supported_signature_algorithms: vec![SignatureScheme::ECDSA_NISTP384_SHA384],
        certificate_authorities: vec![
            DistinguishedName(vec![0x30, 0x00]),
            DistinguishedName(vec![0x30; 70]),
        ],
    };
    round_trip(HandshakePayload::CertificateRequest(request));
    assert_eq!(
        decode_known("0d00000c01400002050300040002300a"),
        HandshakePayload::CertificateRequest(CertificateRequest {
            certificate_types: vec![ClientCertificateType::EcdsaSign],
            supported_signature_algorithms: vec![SignatureScheme::ECDSA_NISTP384_SHA384],
            certificate_authorities: vec![DistinguishedName(vec![0x30, 0x0a])],
        })
    );
}

#[test]
fn round_trips_server_hello_done() {
    let bytes = round_trip(HandshakePayload::ServerHelloDone);
    assert_eq!(bytes, [14, 0, 0, 0]);
}

#[test]
fn round_trips_client_key_exchange() {
    round_trip(HandshakePayload::ClientKeyExchange(ClientKeyExchange {
        public: vec![0x42; 32],
    }));
    assert_eq!(
        decode_known("10000004030a0b0c"),
        HandshakePayload::ClientKeyExchange(ClientKeyExchange {
            public: vec![10, 11, 12]
        })
    );
}

#[test]
fn round_trips_certificate_verify() {
    round_trip(HandshakePayload::CertificateVerify(DigitallySigned {
        scheme: SignatureScheme::RSA_PKCS1_SHA384,
        signature: vec![0x99; 512],
    }));
    assert_eq!(
        decode_known("0f00000608040002abcd"),
        HandshakePayload::CertificateVerify(DigitallySigned {
            scheme: SignatureScheme::RSA_PSS_SHA256,
            signature: vec![0xab, 0xcd],
        })
    );
}

#[test]
fn round_trips_finished() {
    round_trip(HandshakePayload::Finished(Finished {
        verify_data: [0xf1; Finished::VERIFY_DATA_LEN],
    }));
    assert_eq!(
        decode_known("1400000c000102030405060708090a0b"),
        HandshakePayload::Finished(Finished {
            verify_data: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
        })
    );
}

#[test]
fn round_trips_new_session_ticket() {
    round_trip(HandshakePayload::NewSessionTicket(NewSessionTicket {
        lifetime_hint: 7200,
        ticket: vec![0x5e; 180],
    }));
    // RFC 5077 3.3: an empty ticket says no ticket after all; still legal.
    assert_eq!(
        decode_known("04000006000000000000"),
        HandshakePayload::NewSessionTicket(NewSessionTicket {
            lifetime_hint: 0,
            ticket: vec![],
        })
    );
}

#[test]
fn each_message_codec_reads_its_own_encoding() {
    // The per-message types are usable on their own, not only through
    // HandshakePayload.
    let hello = sample_client_hello();
    assert_eq!(ClientHello::read_bytes(&hello.get_encoding()), Ok(hello));
    let hello = sample_server_hello();
    assert_eq!(ServerHello::read_bytes(&hello.get_encoding()), Ok(hello));
    let signed = DigitallySigned {
        scheme: SignatureScheme::RSA_PKCS1_SHA256,
        signature: vec![],
    };
    assert_eq!(
        DigitallySigned::read_bytes(&signed.get_encoding()),
        Ok(signed)
    );
    let id = SessionId::new(&[1, 2, 3]).expect("fits");
    assert_eq!(SessionId::read_bytes(&id.get_encoding()), Ok(id));
    assert_eq!(id.as_bytes(), [1, 2, 3]);
    let random = Random([5; 32]);
    assert_eq!(Random::read_bytes(&random.get_encoding()), Ok(random));
}

#[test]
fn accepts_full_length_session_id() {
    let id = SessionId::new(&[9; SessionId::MAX_LEN]).expect("32 bytes fit");
    let mut bytes = vec![32];
    bytes.extend_from_slice(&[9; 32]);
    assert_eq!(SessionId::read_bytes(&bytes), Ok(id));
}

// ---- rejections ----

#[test]
fn rejects_session_id_longer_than_32_bytes() {
    assert_eq!(SessionId::new(&[0; 33]), None);
    let mut bytes = vec![33];
    bytes.extend_from_slice(&[0; 33]);
    assert_eq!(
        SessionId::read_bytes(&bytes),
        Err(InvalidMessage::InvalidValue("session_id length"))
    );
    // The same inside a ClientHello.
    let mut body = client_hello_body(&[0], &[]);
    body[34] = 33;
    body.splice(35..35, [0; 33]);
    assert_eq!(
        HandshakePayload::read_body(HandshakeType::ClientHello, &body),
        Err(InvalidMessage::InvalidValue("session_id length"))
    );
}

#[test]
fn rejects_trailing_data_naming_the_message() {
    let cases = [
        (HandshakePayload::HelloRequest, "HelloRequest"),
        (HandshakePayload::ServerHelloDone, "ServerHelloDone"),
        (
            HandshakePayload::ClientHello(Box::new(sample_client_hello())),
            "ClientHello",
        ),
        (
            HandshakePayload::ServerHello(sample_server_hello()),
            "ServerHello",
        ),
        (
            HandshakePayload::Certificate(CertificateChain::default()),
            "Certificate",
        ),
        (
            decode_known(OPENSSL_SERVER_KEY_EXCHANGE),
            "ServerKeyExchange",
        ),
        (
            decode_known(OPENSSL_CERTIFICATE_REQUEST),
            "CertificateRequest",
        ),
        (
            HandshakePayload::CertificateVerify(DigitallySigned {
                scheme: SignatureScheme::RSA_PSS_SHA256,
                signature: vec![1],
            }),
            "CertificateVerify",
        ),
        (
            HandshakePayload::ClientKeyExchange(ClientKeyExchange { public: vec![1] }),
            "ClientKeyExchange",
        ),
        (
            HandshakePayload::Finished(Finished {
                verify_data: [0; 12],
            }),
            "Finished",
        ),
        (
            HandshakePayload::NewSessionTicket(NewSessionTicket {
                lifetime_hint: 1,
                ticket: vec![],
            }),
            "NewSessionTicket",
        ),
    ];
    for (payload, name) in cases {
        let payload = &payload;
        assert_rejects_trailing(payload, &[0], name);
        assert_rejects_trailing(payload, &[1, 2, 3], name);
    }
}

#[test]
fn rejects_trailing_data_after_whole_message() {
    let mut bytes = hex(OPENSSL_SERVER_HELLO_DONE);
    bytes.push(0);
    assert_eq!(
        HandshakeMessage::read_bytes(&bytes),
        Err(InvalidMessage::TrailingData("HandshakeMessage"))
    );
}

#[test]
fn rejects_non_empty_server_hello_done_and_hello_request() {
    assert_eq!(
        decode("0e00000100"),
        Err(InvalidMessage::TrailingData("ServerHelloDone"))
    );
    assert_eq!(
        decode("00000002abcd"),
        Err(InvalidMessage::TrailingData("HelloRequest"))
    );
}

#[test]
fn rejects_finished_of_wrong_length() {
    assert_eq!(
        decode_body(HandshakeType::Finished, &[0; 11]),
        Err(InvalidMessage::MissingData("Finished"))
    );
    assert_eq!(
        decode_body(HandshakeType::Finished, &[0; 13]),
        Err(InvalidMessage::TrailingData("Finished"))
    );
    assert_eq!(
        decode_body(HandshakeType::Finished, &[0; 36]),
        Err(InvalidMessage::TrailingData("Finished"))
    );
    assert_eq!(
        decode_body(HandshakeType::Finished, &[]),
        Err(InvalidMessage::MissingData("Finished"))
    );
}

fn decode_body(typ: HandshakeType, body: &[u8]) -> Result<HandshakePayload, InvalidMessage> {
    HandshakePayload::read_body(typ, body)
}

/// Decodes a whole handshake message given as hex.
fn decode(text: &str) -> Result<HandshakePayload, InvalidMessage> {
    HandshakeMessage::read_bytes(&hex(text)).map(|m| m.payload)
}

#[test]
fn rejects_unknown_handshake_type() {
    assert_eq!(
        decode("03000000"),
        Err(InvalidMessage::InvalidValue("HandshakeType"))
    );
    assert_eq!(
        decode_body(HandshakeType::Unknown(99), &[]),
        Err(InvalidMessage::InvalidValue("HandshakeType"))
    );
}

#[test]
fn rejects_handshake_length_beyond_input() {
    assert_eq!(
        decode("0e000001"),
        Err(InvalidMessage::MissingData("handshake message body"))
    );
    assert_eq!(
        decode("0e0000"),
        Err(InvalidMessage::MissingData("handshake message body"))
    );
}

/// Decoded or not, a hello without null compression is refused with
/// illegal_parameter (RFC 8446 4.1.2), not decode_error: it is well formed.
#[test]
fn rejects_client_hello_without_null_compression() {
    assert_eq!(
        tlstate::Error::from(InvalidMessage::MissingNullCompression).alert(),
        Some(tlstate::enums::AlertDescription::IllegalParameter)
    );
    let body = client_hello_body(&[1, 2], &[]);
    assert_eq!(
        decode_body(HandshakeType::ClientHello, &body),
        Err(InvalidMessage::MissingNullCompression)
    );
    let hello = ClientHello {
        compression_methods: smallvec![Compression::Unknown(1)],
        ..sample_client_hello()
    };
    assert_eq!(
        ClientHello::read_bytes(&hello.get_encoding()),
        Err(InvalidMessage::MissingNullCompression)
    );
}

/// The largest ClientHello its length fields allow: a 32-byte session id,
/// 32,767 suites, 255 compression methods and a full extension block (one
/// unknown extension of 65,531 bytes) decode and re-encode byte for byte.
#[test]
fn decodes_the_largest_legal_client_hello() {
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[7; 32]);
    body.push(32);
    body.extend_from_slice(&[9; 32]);
    body.extend_from_slice(&[0xff, 0xfe]);
    for _ in 0..32_767 {
        body.extend_from_slice(&[0x0a, 0x0a]);
    }
    body.push(255);
    body.push(0);
    body.extend_from_slice(&[0x40; 254]);
    body.extend_from_slice(&[0xff, 0xff]);
    body.extend_from_slice(&extension(0xff77, &[0x5a; 65_531]));
    assert_eq!(body.len(), MAX_CLIENT_HELLO_LEN);
    let Ok(HandshakePayload::ClientHello(hello)) = decode_body(HandshakeType::ClientHello, &body)
    else {
        panic!("the largest legal ClientHello does not decode")
    };
    assert_eq!(hello.cipher_suites.len(), 32_767);
    assert_eq!(hello.compression_methods.len(), 255);
    assert_eq!(hello.get_encoding(), body);
}

#[test]
fn change_cipher_spec_body_is_exactly_one_byte_of_1() {
    assert_eq!(
        ChangeCipherSpecPayload::read_record_body(&[1]),
        Ok(ChangeCipherSpecPayload)
    );
    for body in [&[][..], &[0], &[2], &[1, 1], &[1, 0]] {
        assert_eq!(
            ChangeCipherSpecPayload::read_record_body(body),
            Err(InvalidMessage::InvalidChangeCipherSpec),
            "{body:?}"
        );
    }
    assert_eq!(
        ChangeCipherSpecPayload::read_bytes(&[2]),
        Err(InvalidMessage::InvalidChangeCipherSpec)
    );
    assert_eq!(
        tlstate::Error::from(InvalidMessage::InvalidChangeCipherSpec).alert(),
        Some(tlstate::enums::AlertDescription::UnexpectedMessage)
    );
}

#[test]
fn rejects_empty_compression_methods() {
    assert_eq!(
        decode_body(HandshakeType::ClientHello, &client_hello_body(&[], &[])),
        Err(InvalidMessage::EmptyList("compression_methods"))
    );
}

#[test]
fn rejects_empty_cipher_suites() {
    let mut body = client_hello_body(&[0], &[]);
    // Replace the one suite (length 2, c02b) with an empty list.
    body.splice(35..39, [0, 0]);
    assert_eq!(
        decode_body(HandshakeType::ClientHello, &body),
        Err(InvalidMessage::EmptyList("cipher_suites"))
    );
}

#[test]
fn rejects_odd_length_cipher_suites() {
    let mut body = client_hello_body(&[0], &[]);
    body.splice(35..39, [0, 3, 0xc0, 0x2b, 0xc0]);
    assert_eq!(
        decode_body(HandshakeType::ClientHello, &body),
        Err(InvalidMessage::MissingData("CipherSuite"))
    );
}

#[test]
fn rejects_repeated_client_extension() {
    let block = [
        extension(23, &[]),
        extension(0xff01, &[0]),
        extension(23, &[]),
    ]
    .concat();
    assert_eq!(
        read_client_hello_with(&block),
        Err(InvalidMessage::DuplicateExtension(
            ExtensionType::ExtendedMasterSecret
        ))
    );
    // Unknown types too.
    let block = [extension(0x1234, &[1]), extension(0x1234, &[2])].concat();
    assert_eq!(
        read_client_hello_with(&block),
        Err(InvalidMessage::DuplicateExtension(ExtensionType::Unknown(
            0x1234
        )))
    );
    // renegotiation_info (kept apart from the low types) and the last
    // low type.
    let block = [extension(0xff01, &[0]), extension(0xff01, &[0])].concat();
    assert_eq!(
        read_client_hello_with(&block),
        Err(InvalidMessage::DuplicateExtension(
            ExtensionType::RenegotiationInfo
        ))
    );
    let block = [extension(0xff, &[]), extension(0xff, &[])].concat();
    assert_eq!(
        read_client_hello_with(&block),
        Err(InvalidMessage::DuplicateExtension(ExtensionType::Unknown(
            0xff
        )))
    );
}

#[test]
fn accepts_distinct_extension_types_that_share_low_bits() {
    // 0x17 and 0x117 share their low byte, 0 and 64 their bit in a word:
    // none of them is a repeat.
    let block = [
        extension(0x17, &[]),
        extension(0x117, &[]),
        extension(0x1017, &[]),
        extension(0xff01, &[0]),
        extension(0x40, &[]),
        extension(0x4a4a, &[]),
    ]
    .concat();
    let hello = client_hello(read_client_hello_with(&block).expect("no repeated type"));
    assert_eq!(hello.extensions.len(), 6);
}

#[test]
fn rejects_repeated_server_extension() {
    let block = [extension(35, &[]), extension(35, &[])].concat();
    assert_eq!(
        read_server_hello_with(&block),
        Err(InvalidMessage::DuplicateExtension(
            ExtensionType::SessionTicket
        ))
    );
}

#[test]
fn rejects_empty_lists_in_client_extensions() {
    let cases: [(u16, &[u8], &str); 7] = [
        (0, &[0, 0], "server_name_list"),
        (10, &[0, 0], "named_group_list"),
        (11, &[0], "ec_point_format_list"),
        (13, &[0, 0], "supported_signature_algorithms"),
        (16, &[0, 0], "protocol_name_list"),
        // A list holding one empty protocol name.
        (16, &[0, 1, 0], "ProtocolName"),
        // A host_name entry with an empty name.
        (0, &[0, 3, 0, 0, 0], "HostName"),
    ];
    for (typ, data, list) in cases {
        assert_eq!(
            read_client_hello_with(&extension(typ, data)),
            Err(InvalidMessage::EmptyList(list)),
            "extension {typ}"
        );
    }
}

#[test]
fn rejects_empty_lists_in_server_extensions() {
    let cases: [(u16, &[u8], &str); 3] = [
        (11, &[0], "ec_point_format_list"),
        (16, &[0, 0], "protocol_name_list"),
        (16, &[0, 1, 0], "ProtocolName"),
    ];
    for (typ, data, list) in cases {
        assert_eq!(
            read_server_hello_with(&extension(typ, data)),
            Err(InvalidMessage::EmptyList(list)),
            "extension {typ}"
        );
    }
}

#[test]
fn rejects_server_alpn_with_two_protocols() {
    let data = [0, 6, 2, b'h', b'2', 2, b'h', b'3'];
    assert_eq!(
        read_server_hello_with(&extension(16, &data)),
        Err(InvalidMessage::InvalidValue(
            "number of selected ALPN protocols"
        ))
    );
}

#[test]
fn rejects_extension_body_longer_than_its_content() {
    // Each body holds a well-formed value followed by one stray byte.
    let cases: [(u16, &[u8], &str); 8] = [
        (0, &[0, 4, 0, 0, 1, b'a', 9], "server_name"),
        (10, &[0, 2, 0, 0x1d, 9], "supported_groups"),
        (11, &[1, 0, 9], "ec_point_formats"),
        (13, &[0, 2, 4, 3, 9], "signature_algorithms"),
        (
            16,
            &[0, 3, 2, b'h', b'2', 9],
            "application_layer_protocol_negotiation",
        ),
        (23, &[9], "extended_master_secret"),
        (0xff01, &[0, 9], "renegotiation_info"),
        (0xff01, &[1, 0, 9], "renegotiation_info"),
    ];
    for (typ, data, name) in cases {
        assert_eq!(
            read_client_hello_with(&extension(typ, data)),
            Err(InvalidMessage::TrailingData(name)),
            "extension {typ}"
        );
    }
}

#[test]
fn rejects_non_empty_server_acknowledgements() {
    for (typ, name) in [
        (0, "server_name"),
        (23, "extended_master_secret"),
        (35, "session_ticket"),
    ] {
        assert_eq!(
            read_server_hello_with(&extension(typ, &[0])),
            Err(InvalidMessage::TrailingData(name)),
            "extension {typ}"
        );
    }
    assert_eq!(
        read_server_hello_with(&extension(0x0b, &[1, 0, 0])),
        Err(InvalidMessage::TrailingData("ec_point_formats"))
    );
}

#[test]
fn rejects_extension_inner_length_beyond_its_body() {
    // server_name_list claims 5 bytes inside a 2-byte body.
    assert_eq!(
        read_client_hello_with(&extension(0, &[0, 5])),
        Err(InvalidMessage::MissingData("server_name_list"))
    );
    // The extension claims more than the block holds.
    let mut block = extension(23, &[]);
    block[3] = 4;
    assert_eq!(
        read_client_hello_with(&block),
        Err(InvalidMessage::MissingData("extension_data"))
    );
    // The block claims more than the hello holds.
    let mut body = client_hello_body(&[0], &extension(23, &[]));
    let block_len_at = body.len() - 6;
    body[block_len_at + 1] = 9;
    assert_eq!(
        decode_body(HandshakeType::ClientHello, &body),
        Err(InvalidMessage::MissingData("extensions"))
    );
    // An odd-length supported_groups list.
    assert_eq!(
        read_client_hello_with(&extension(10, &[0, 1, 0x1d])),
        Err(InvalidMessage::MissingData("NamedGroup"))
    );
}

#[test]
fn rejects_server_name_without_or_with_two_host_names() {
    // Only an entry of an unknown name type.
    assert_eq!(
        read_client_hello_with(&extension(0, &[0, 4, 7, 0, 1, b'a'])),
        Err(InvalidMessage::InvalidValue(
            "server_name_list (no host name)"
        ))
    );
    assert_eq!(
        read_client_hello_with(&extension(0, &[0, 8, 0, 0, 1, b'a', 0, 0, 1, b'b'])),
        Err(InvalidMessage::InvalidValue(
            "server_name_list (two host names)"
        ))
    );
}

#[test]
fn skips_server_name_entries_of_unknown_type() {
    let payload =
        read_client_hello_with(&extension(0, &[0, 8, 7, 0, 1, b'x', 0, 0, 1, b'a'])).expect("ok");
    assert_eq!(client_hello(payload).server_name(), Some(&b"a"[..]));
}

#[test]
fn accepts_empty_renegotiation_info_and_session_ticket() {
    let block = [extension(0xff01, &[0]), extension(35, &[])].concat();
    let hello = client_hello(read_client_hello_with(&block).expect("decodes"));
    assert_eq!(hello.renegotiation_info(), Some(&[][..]));
    assert_eq!(hello.session_ticket(), Some(&[][..]));
}

#[test]
fn rejects_bad_curve_type() {
    for curve_type in [0u8, 1, 2, 4, 255] {
        let mut body = body_of(OPENSSL_SERVER_KEY_EXCHANGE);
        body[0] = curve_type;
        assert_eq!(
            decode_body(HandshakeType::ServerKeyExchange, &body),
            Err(InvalidMessage::InvalidValue("ECCurveType")),
            "curve type {curve_type}"
        );
    }
}

#[test]
fn rejects_empty_points() {
    assert_eq!(
        decode_body(
            HandshakeType::ServerKeyExchange,
            &[3, 0, 0x1d, 0, 4, 3, 0, 0]
        ),
        Err(InvalidMessage::EmptyList("ECPoint"))
    );
    assert_eq!(
        decode_body(HandshakeType::ClientKeyExchange, &[0]),
        Err(InvalidMessage::EmptyList("ECPoint"))
    );
}

#[test]
fn rejects_empty_certificate_in_chain() {
    assert_eq!(
        decode_body(HandshakeType::Certificate, &[0, 0, 3, 0, 0, 0]),
        Err(InvalidMessage::EmptyList("ASN.1Cert"))
    );
}

#[test]
fn rejects_certificate_length_beyond_list() {
    assert_eq!(
        decode_body(HandshakeType::Certificate, &[0, 0, 4, 0, 0, 2, 0x30]),
        Err(InvalidMessage::MissingData("ASN.1Cert"))
    );
}

#[test]
fn rejects_empty_lists_in_certificate_request() {
    assert_eq!(
        decode_body(HandshakeType::CertificateRequest, &[0, 0, 2, 4, 3, 0, 0]),
        Err(InvalidMessage::EmptyList("certificate_types"))
    );
    assert_eq!(
        decode_body(HandshakeType::CertificateRequest, &[1, 64, 0, 0, 0, 0]),
        Err(InvalidMessage::EmptyList("supported_signature_algorithms"))
    );
    assert_eq!(
        decode_body(
            HandshakeType::CertificateRequest,
            &[1, 64, 0, 2, 4, 3, 0, 2, 0, 0]
        ),
        Err(InvalidMessage::EmptyList("DistinguishedName"))
    );
}

#[test]
fn rejects_truncated_new_session_ticket() {
    assert_eq!(
        decode_body(HandshakeType::NewSessionTicket, &[0, 0, 1]),
        Err(InvalidMessage::MissingData("ticket_lifetime_hint"))
    );
    assert_eq!(
        decode_body(HandshakeType::NewSessionTicket, &[0, 0, 1, 0, 0, 2, 1]),
        Err(InvalidMessage::MissingData("ticket"))
    );
}
