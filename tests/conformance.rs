//! RFC conformance of what a peer may send, end to end through our
//! handshake: the alert a malformed ChangeCipherSpec gets (RFC 8446 5),
//! the alert a ClientHello without null compression gets (RFC 5246
//! 7.4.1.2, RFC 8446 4.1.2), and that every ClientHello its own length
//! fields allow is read, up to the largest one (about 131 KB), while a
//! longer one is refused at its header, before its body is buffered.

mod common;

use std::sync::Arc;

use common::fixture;
use common::memory::{
    client_through_hello_done, localhost, next, server_full, server_through_hello_done,
};
use rustls::crypto::ring as rring;
use tlstate::codec::Codec;
use tlstate::driver::{Event, ServerDriver};
use tlstate::enums::{AlertDescription, CipherSuite, Compression, ContentType, ExtensionType};
use tlstate::error::{Error, InvalidMessage};
use tlstate::handshake::{
    AfterClientHello, AfterServerHello, ClientConfig, DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN, Fatal,
    Handshake, Server, ServerConfig, Step, state,
};
use tlstate::message::{
    ClientExtension, ClientHello, HandshakeMessage, HandshakePayload, MAX_CLIENT_HELLO_LEN,
    OfferedPsks, PskIdentity, SessionId,
};

/// The plaintext fatal alert record `description` is sent as before any
/// ChangeCipherSpec.
fn alert_record(description: AlertDescription) -> Vec<u8> {
    vec![21, 3, 3, 0, 2, 2, description.to_wire()]
}

/// Plaintext records of `typ` carrying `payload`, cut at the 2^14 limit.
fn records(typ: u8, payload: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    for chunk in payload.chunks(1 << 14) {
        wire.extend_from_slice(&[typ, 3, 3]);
        wire.extend_from_slice(&u16::try_from(chunk.len()).unwrap().to_be_bytes());
        wire.extend_from_slice(chunk);
    }
    wire
}

fn server_config() -> Arc<ServerConfig> {
    fixture().pki.server_config_tls12(&fixture().leaf)
}

fn client_config() -> Arc<ClientConfig> {
    fixture().pki.client_config_tls12()
}

/// The ClientHello our client sends by default, decoded.
fn our_client_hello() -> ClientHello {
    let mut c = Handshake::client(client_config(), localhost())
        .send()
        .unwrap();
    let wire = c.take_output();
    assert_eq!(wire[0], 22, "one handshake record");
    let message = HandshakeMessage::read_bytes(&wire[5..]).unwrap();
    let HandshakePayload::ClientHello(hello) = message.payload else {
        panic!("our client's first message is a ClientHello")
    };
    *hello
}

/// A handshake message header: type, then the 24-bit body length.
fn handshake_header(typ: u8, declared: usize) -> Vec<u8> {
    let mut header = vec![typ];
    header.extend_from_slice(&u32::try_from(declared).unwrap().to_be_bytes()[1..]);
    header
}

/// Our server reading `wire`, to its next state or its error.
fn server_reads(
    config: Arc<ServerConfig>,
    wire: &[u8],
) -> Result<Handshake<Server, state::ServerHello>, Fatal> {
    // `feed` takes at most one record's worth of unread bytes at a time,
    // so a ClientHello over many records goes in as the server reads it.
    let mut s = Handshake::server(config);
    let mut rest = wire;
    loop {
        rest = &rest[s.feed(rest)..];
        match s.recv()? {
            Step::Next(AfterClientHello::Full(s)) => return Ok(s),
            Step::Next(_) => panic!("nothing was offered for resumption"),
            Step::NeedMore(same) => {
                assert!(!rest.is_empty(), "the whole ClientHello was fed");
                s = same;
            }
        }
    }
}

// --- item 10: ChangeCipherSpec ------------------------------------------

/// Our server, having read the client's flight up to ClientKeyExchange,
/// waiting for the client's ChangeCipherSpec.
fn server_at_client_change_cipher_spec() -> Handshake<Server, state::ClientChangeCipherSpec> {
    let mut c = Handshake::client(client_config(), localhost())
        .send()
        .unwrap();
    let mut s = Handshake::server(server_config());
    let input: &[u8] = &c.take_output();
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let mut s = server_through_hello_done(s).unwrap();
    let input: &[u8] = &s.take_output();
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    // ClientKeyExchange only: the ChangeCipherSpec is the test's own.
    let mut c = client_through_hello_done(c).unwrap().send().unwrap();
    let input: &[u8] = &c.take_output();
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    next(s.recv().unwrap())
}

#[test]
fn change_cipher_spec_other_than_one_byte_of_1_is_unexpected_message() {
    for body in [&[2u8][..], &[0], &[1, 1], &[1, 0], &[2, 1]] {
        let mut s = server_at_client_change_cipher_spec();
        assert_eq!(s.state_name(), "ClientChangeCipherSpec");
        let input: &[u8] = &records(20, body);
        assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
        let fatal = s.recv().unwrap_err();
        assert_eq!(
            fatal.error(),
            &Error::InvalidMessage(InvalidMessage::InvalidChangeCipherSpec),
            "body {body:?}"
        );
        assert_eq!(fatal.alert(), Some(AlertDescription::UnexpectedMessage));
        assert_eq!(
            fatal.output(),
            alert_record(AlertDescription::UnexpectedMessage),
            "body {body:?}: the alert, in plaintext, is all that goes out"
        );
    }
}

#[test]
fn empty_change_cipher_spec_is_unexpected_message() {
    let mut s = server_at_client_change_cipher_spec();
    let input: &[u8] = &[20, 3, 3, 0, 0];
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let fatal = s.recv().unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::InvalidMessage(InvalidMessage::EmptyFragment(ContentType::ChangeCipherSpec))
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::UnexpectedMessage));
    assert_eq!(
        fatal.output(),
        alert_record(AlertDescription::UnexpectedMessage)
    );
}

#[test]
fn change_cipher_spec_of_one_byte_of_1_is_still_taken() {
    let mut s = server_at_client_change_cipher_spec();
    let input: &[u8] = &records(20, &[1]);
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let s = next(s.recv().unwrap());
    assert_eq!(s.state_name(), "ClientFinished");
}

// --- item 11: null compression ------------------------------------------

#[test]
fn client_hello_without_null_compression_is_illegal_parameter() {
    for methods in [vec![1u8], vec![1, 2], vec![64, 255]] {
        let hello = ClientHello {
            compression_methods: methods.iter().map(|m| Compression::from_wire(*m)).collect(),
            ..our_client_hello()
        };
        let message = HandshakeMessage::from(HandshakePayload::ClientHello(Box::new(hello)));
        let fatal = server_reads(server_config(), &records(22, &message.get_encoding()))
            .expect_err("refused");
        assert_eq!(
            fatal.error(),
            &Error::InvalidMessage(InvalidMessage::MissingNullCompression),
            "methods {methods:?}"
        );
        assert_eq!(fatal.alert(), Some(AlertDescription::IllegalParameter));
        assert_eq!(
            fatal.output(),
            alert_record(AlertDescription::IllegalParameter)
        );
    }
}

/// RFC 8446 4.2.11: pre_shared_key must be the last extension; a hello
/// where it is not gets illegal_parameter, even from a TLS 1.2 server.
#[test]
fn client_hello_with_pre_shared_key_not_last_is_illegal_parameter() {
    let mut hello = our_client_hello();
    hello.extensions.insert(
        0,
        ClientExtension::PreSharedKey(OfferedPsks {
            identities: vec![PskIdentity {
                identity: vec![1; 16],
                obfuscated_ticket_age: 0,
            }],
            binders: vec![vec![0; 32]],
        }),
    );
    let message = HandshakeMessage::from(HandshakePayload::ClientHello(Box::new(hello)));
    let fatal =
        server_reads(server_config(), &records(22, &message.get_encoding())).expect_err("refused");
    assert_eq!(
        fatal.error(),
        &Error::InvalidMessage(InvalidMessage::PreSharedKeyNotLast)
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::IllegalParameter));
    assert_eq!(
        fatal.output(),
        alert_record(AlertDescription::IllegalParameter)
    );
}

#[test]
fn client_hello_with_null_among_other_compression_methods_is_accepted() {
    let hello = ClientHello {
        compression_methods: [1u8, 0, 2]
            .iter()
            .map(|m| Compression::from_wire(*m))
            .collect(),
        ..our_client_hello()
    };
    let message = HandshakeMessage::from(HandshakePayload::ClientHello(Box::new(hello)));
    let s = server_reads(server_config(), &records(22, &message.get_encoding())).unwrap();
    assert_eq!(s.state_name(), "ServerHello");
}

// --- item 12: the size of a ClientHello ---------------------------------

/// The largest ClientHello body its length fields allow: version(2),
/// random(32), session_id<0..32>, cipher_suites<2..2^16-2>,
/// compression_methods<1..2^8-1>, extensions<0..2^16-1> (RFC 5246 7.4.1.2).
const LARGEST_CLIENT_HELLO_BODY: usize =
    2 + 32 + (1 + 32) + (2 + 65_534) + (1 + 255) + (2 + 65_535);

#[test]
fn default_client_hello_limit_is_the_largest_legal_client_hello() {
    assert_eq!(MAX_CLIENT_HELLO_LEN, LARGEST_CLIENT_HELLO_BODY);
    assert_eq!(MAX_CLIENT_HELLO_LEN, 131_396);
    let config = server_config();
    assert_eq!(config.max_client_hello_len, MAX_CLIENT_HELLO_LEN);
    assert_eq!(
        config.max_handshake_message_len,
        DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN
    );
    assert_eq!(
        client_config().max_handshake_message_len,
        DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN
    );
    assert_eq!(DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN, 64 * 1024);
}

/// Our client's ClientHello with one more extension of `ext_len` bytes
/// (unknown type 0xff77, ignored by the server), and 100 more suites
/// (GREASE values) as a browser's long offer would take.
fn client_hello_with_extension_of(ext_len: usize) -> Vec<u8> {
    let mut hello = our_client_hello();
    hello
        .cipher_suites
        .extend(core::iter::repeat_n(CipherSuite::from_wire(0x1a1a), 100));
    hello.extensions.push(ClientExtension::Unknown {
        typ: ExtensionType::from_wire(0xff77),
        data: vec![0x5a; ext_len],
    });
    HandshakeMessage::from(HandshakePayload::ClientHello(Box::new(hello))).get_encoding()
}

#[test]
fn client_hello_with_one_extension_of_65385_bytes_is_accepted() {
    let message = client_hello_with_extension_of(65_385);
    assert!(
        message.len() - 4 > 64 * 1024,
        "{} bytes: over the old 64 KiB limit",
        message.len() - 4
    );
    assert!(extensions_block_len(&message[4..]) <= 65_535);
    let s = server_reads(server_config(), &records(22, &message)).unwrap();
    assert_eq!(s.state_name(), "ServerHello");
    let s = s.send().unwrap();
    assert_eq!(s.state_name(), "ServerCert");
}

#[test]
fn largest_legal_client_hello_is_accepted() {
    let mut hello = our_client_hello();
    hello.session_id = SessionId::new(&[7; 32]).unwrap();
    // 32,767 suites (65,534 bytes): ours first, then GREASE values.
    while hello.cipher_suites.len() < 32_767 {
        hello.cipher_suites.push(CipherSuite::from_wire(0x0a0a));
    }
    // 255 methods, null among them.
    while hello.compression_methods.len() < 255 {
        hello.compression_methods.push(Compression::from_wire(0x40));
    }
    // What the extensions take now: the body less everything before them
    // and the block's own length prefix.
    let before_extensions = 2 + 32 + (1 + 32) + (2 + 65_534) + (1 + 255) + 2;
    let body_len = HandshakeMessage::from(HandshakePayload::ClientHello(Box::new(hello.clone())))
        .get_encoding()
        .len()
        - 4;
    let extensions_len = body_len - before_extensions;
    // The block is full at 2^16 - 1: one more extension, type(2) len(2) data.
    hello.extensions.push(ClientExtension::Unknown {
        typ: ExtensionType::from_wire(0xff77),
        data: vec![0x5a; 65_535 - extensions_len - 4],
    });
    let message =
        HandshakeMessage::from(HandshakePayload::ClientHello(Box::new(hello))).get_encoding();
    assert_eq!(message.len(), 4 + LARGEST_CLIENT_HELLO_BODY);
    let s = server_reads(server_config(), &records(22, &message)).unwrap();
    assert_eq!(s.state_name(), "ServerHello");
}

#[test]
fn client_hello_over_the_limit_is_refused_at_its_header() {
    // Only the header arrives: the refusal cannot wait for the body.
    let header = handshake_header(1, MAX_CLIENT_HELLO_LEN + 1);
    let mut s = Handshake::server(server_config());
    let input: &[u8] = &records(22, &header);
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let fatal = match s.recv() {
        Err(fatal) => fatal,
        Ok(_) => panic!("a ClientHello declaring more than the limit was waited for"),
    };
    assert_eq!(
        fatal.error(),
        &Error::InvalidMessage(InvalidMessage::HandshakeMessageTooLarge {
            declared: MAX_CLIENT_HELLO_LEN + 1,
            max: MAX_CLIENT_HELLO_LEN,
        })
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::DecodeError));
    assert_eq!(fatal.output(), alert_record(AlertDescription::DecodeError));
}

#[test]
fn client_hello_limit_is_configurable() {
    let message = client_hello_with_extension_of(1_000);
    let mut config = (*server_config()).clone();
    config.max_client_hello_len = 1_000;
    let fatal = server_reads(Arc::new(config), &records(22, &message))
        .expect_err("over the configured limit");
    assert_eq!(
        fatal.error(),
        &Error::InvalidMessage(InvalidMessage::HandshakeMessageTooLarge {
            declared: message.len() - 4,
            max: 1_000,
        })
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::DecodeError));
}

#[test]
fn other_messages_keep_their_own_limit() {
    // A Certificate-typed message over 64 KiB, where the server wants a
    // ClientHello: refused by its size at the header, before its type is
    // even looked at, though a ClientHello that long would be read.
    let declared = DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN + 1;
    let header = handshake_header(11, declared);
    let mut s = Handshake::server(server_config());
    let input: &[u8] = &records(22, &header);
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let fatal = s.recv().expect_err("refused at the header");
    assert_eq!(
        fatal.error(),
        &Error::InvalidMessage(InvalidMessage::HandshakeMessageTooLarge {
            declared,
            max: DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN,
        })
    );
}

#[test]
fn client_limit_on_server_messages_is_configurable() {
    let mut config = (*client_config()).clone();
    config.max_handshake_message_len = 100;
    let mut c = Handshake::client(Arc::new(config), localhost())
        .send()
        .unwrap();
    let mut s = Handshake::server(server_config());
    let input: &[u8] = &c.take_output();
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let mut s = server_full(s).unwrap().send().unwrap().send().unwrap();
    let input: &[u8] = &s.take_output();
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterServerHello::Full(c) = next(c.recv().unwrap()) else {
        panic!("nothing was offered for resumption")
    };
    // The certificate chain is several hundred bytes.
    let fatal = c.recv().expect_err("the Certificate is over the limit");
    assert!(
        matches!(
            fatal.error(),
            Error::InvalidMessage(InvalidMessage::HandshakeMessageTooLarge { max: 100, .. })
        ),
        "{:?}",
        fatal.error()
    );
    assert_eq!(fatal.alert(), Some(AlertDescription::DecodeError));
}

/// The length of the extension block of the ClientHello body `body`.
fn extensions_block_len(body: &[u8]) -> usize {
    let session_id = 2 + 32;
    let suites = session_id + 1 + usize::from(body[session_id]);
    let compression =
        suites + 2 + usize::from(u16::from_be_bytes([body[suites], body[suites + 1]]));
    let extensions = compression + 1 + usize::from(body[compression]);
    usize::from(u16::from_be_bytes([body[extensions], body[extensions + 1]]))
}

fn rustls_client(alpn_protocols: Vec<Vec<u8>>) -> rustls::ClientConnection {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(fixture().pki.ca.clone()).unwrap();
    let mut config =
        rustls::ClientConfig::builder_with_provider(Arc::new(rring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    config.alpn_protocols = alpn_protocols;
    rustls::ClientConnection::new(Arc::new(config), localhost()).unwrap()
}

/// Everything `client` wants to send now.
fn rustls_output(client: &mut rustls::ClientConnection) -> Vec<u8> {
    let mut wire = Vec::new();
    while client.wants_write() {
        client.write_tls(&mut wire).unwrap();
    }
    wire
}

/// The handshake message(s) in plaintext handshake records.
fn handshake_payload(wire: &[u8]) -> Vec<u8> {
    let mut payload = Vec::new();
    let mut rest = wire;
    while !rest.is_empty() {
        assert_eq!(rest[0], 22, "a plaintext handshake record");
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        payload.extend_from_slice(&rest[5..5 + len]);
        rest = &rest[5 + len..];
    }
    payload
}

/// A rustls client (an independent peer) whose ALPN offer fills its
/// ClientHello's extension block to the maximum, 2^16 - 1 bytes, so that
/// the hello is over 64 KiB, completes a handshake with our server, which
/// picks the one protocol it knows from the end of the list.
#[test]
fn rustls_client_with_a_client_hello_over_64_kib_completes_a_handshake() {
    // How much rustls's other extensions take, from a hello without ALPN.
    let plain_hello = handshake_payload(&rustls_output(&mut rustls_client(Vec::new())));
    let others = extensions_block_len(&plain_hello[4..]);
    // ALPN: type(2) length(2), then its body: the list's length (2) and
    // names of at most 255 bytes, each behind its length byte; ours last.
    let ours = b"tlstate-conformance".to_vec();
    let mut left = 65_535 - others - 4 - 2 - (1 + ours.len());
    let mut protocols = Vec::new();
    while left > 0 {
        let len = left.min(1 + 255) - 1;
        // Leave no remainder too short to be a name of its own.
        let len = if left - (1 + len) == 1 { len - 1 } else { len };
        let mut name = format!("p{:05}-", protocols.len()).into_bytes();
        name.resize(len, b'x');
        left -= 1 + len;
        protocols.push(name);
    }
    protocols.push(ours.clone());
    let mut client = rustls_client(protocols);

    let mut config = (*server_config()).clone();
    config.alpn_protocols = vec![ours.clone()];
    let mut server = ServerDriver::new(Arc::new(config));

    let mut to_server = rustls_output(&mut client);
    let hello = handshake_payload(&to_server);
    assert_eq!(hello[0], 1, "a ClientHello");
    assert_eq!(extensions_block_len(&hello[4..]), 65_535);
    let declared = usize::from(hello[1]) << 16 | usize::from(hello[2]) << 8 | usize::from(hello[3]);
    assert_eq!(declared, hello.len() - 4);
    assert!(declared > 64 * 1024, "the ClientHello is {declared} bytes");

    let mut done = None;
    for _ in 0..10 {
        let input: &[u8] = &to_server;
        assert_eq!(
            server.handle_input(input),
            input.len(),
            "the driver takes it all"
        );
        while let Some(event) = server.poll_event() {
            match event {
                Event::HandshakeDone(summary) => done = Some(summary),
                Event::Failed(e) => panic!("our server failed: {e}"),
                _ => {}
            }
        }
        let mut to_client = Vec::new();
        while let Some(bytes) = server.poll_output() {
            to_client.extend_from_slice(&bytes);
        }
        let mut rest = &to_client[..];
        while !rest.is_empty() {
            client.read_tls(&mut rest).unwrap();
            client.process_new_packets().unwrap();
        }
        if done.is_some() && !client.is_handshaking() {
            break;
        }
        to_server = rustls_output(&mut client);
    }
    let summary = done.expect("our server completed the handshake");
    assert_eq!(summary.alpn_protocol.as_deref(), Some(&ours[..]));
    assert!(!client.is_handshaking());
    assert_eq!(client.alpn_protocol(), Some(&ours[..]));
}

#[test]
fn handshake_completes_under_tighter_configured_limits() {
    let mut config = (*server_config()).clone();
    config.max_handshake_message_len = 16 * 1024;
    config.max_client_hello_len = 4 * 1024;
    let result = common::memory::full_handshake(client_config(), Arc::new(config));
    assert!(result.is_ok(), "{:?}", result.err());
}
