//! RFC 5246 7.4.1.1: a HelloRequest that reaches a client while it is
//! negotiating is ignored, and it "MUST NOT be included in the message
//! hashes". Our client used to fail the handshake with unexpected_message.
//! Here plaintext HelloRequests are slipped in before every record of the
//! server's flights up to its ChangeCipherSpec; the handshake completes,
//! which also proves they were not hashed (the server's Finished, over its
//! own transcript, verifies at the client, and the client's at the server).

mod common;

use common::fixture;
use common::memory::{
    client_no_ticket, client_through_hello_done, localhost, next, server_full,
    server_through_hello_done,
};
use common::wire::{HELLO_REQUEST, before_each_plaintext_record};
use tlstate::enums::HandshakeType;
use tlstate::error::{Error, InvalidMessage};
use tlstate::handshake::{Handshake, Step};

#[test]
fn client_ignores_hello_requests_during_the_handshake() {
    let client_config = fixture().pki.client_config_tls12();
    let server_config = fixture().pki.server_config_tls12(&fixture().leaf);
    let mut c = Handshake::client(client_config, localhost())
        .send()
        .unwrap();
    let mut s = Handshake::server(server_config);
    let input: &[u8] = &c.take_output();
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let mut s = server_through_hello_done(s).unwrap();
    // ServerHello, Certificate, (no) CertificateStatus, ServerKeyExchange,
    // ServerHelloDone: a
    // HelloRequest before each, and one more at the end.
    let mut first = before_each_plaintext_record(&s.take_output(), &HELLO_REQUEST);
    first.extend_from_slice(&HELLO_REQUEST);
    let input: &[u8] = &first;
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let mut c = client_through_hello_done(c)
        .unwrap()
        .send()
        .unwrap()
        .send()
        .unwrap()
        .send()
        .unwrap();
    let input: &[u8] = &c.take_output();
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let mut s = next(
        next(next(s.recv().unwrap()).recv().unwrap())
            .recv()
            .unwrap(),
    )
    .send()
    .unwrap()
    .send()
    .unwrap()
    .send()
    .unwrap();
    // ChangeCipherSpec, Finished: a HelloRequest before the
    // ChangeCipherSpec, while the client waits for it.
    let input = before_each_plaintext_record(&s.take_output(), &HELLO_REQUEST);
    assert_eq!(c.feed(&input), input.len(), "a whole flight is taken");
    let c = next(client_no_ticket(c).unwrap().recv().unwrap());
    let (mut client, mut server) = (c.into_connection(), s.into_connection());

    // The session works both ways.
    client.send(b"ping").unwrap();
    let input: &[u8] = &client.take_output();
    assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
    let mut buf = [0u8; 8];
    assert_eq!(
        server.read(&mut buf),
        Ok(tlstate::connection::ReadOutcome::Data(4))
    );
    assert_eq!(&buf[..4], b"ping");
}

/// Ignored, but still checked: a HelloRequest with a body is decode_error
/// during the handshake too.
#[test]
fn a_hello_request_with_a_body_during_the_handshake_is_a_decode_error() {
    let client_config = fixture().pki.client_config_tls12();
    let mut c = Handshake::client(client_config, localhost())
        .send()
        .unwrap();
    let _client_hello = c.take_output();
    let input: &[u8] = &[0x16, 0x03, 0x03, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00];
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let fatal = match c.recv() {
        Err(fatal) => fatal,
        Ok(Step::NeedMore(_)) => panic!("the HelloRequest with a body was ignored"),
        Ok(Step::Next(_)) => unreachable!("no ServerHello was sent"),
    };
    assert_eq!(
        fatal.error(),
        &Error::InvalidMessage(InvalidMessage::TrailingData("HelloRequest"))
    );
    // Plaintext fatal decode_error.
    assert_eq!(fatal.output(), &[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32]);
}

/// The server never ignores a HelloRequest: it is the server's own
/// message, so one from the client is unexpected_message.
#[test]
fn server_refuses_a_hello_request_during_the_handshake() {
    let server_config = fixture().pki.server_config_tls12(&fixture().leaf);
    let mut s = Handshake::server(server_config);
    let input: &[u8] = &HELLO_REQUEST;
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let fatal = server_full(s).expect_err("a HelloRequest to a server");
    assert!(
        matches!(
            fatal.error(),
            Error::UnexpectedMessage {
                got: tlstate::error::Received::Handshake(HandshakeType::HelloRequest),
                ..
            }
        ),
        "{:?}",
        fatal.error()
    );
}
