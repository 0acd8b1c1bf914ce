//! A partial alert must be completed by the very next record (issue #11,
//! item 4): the exact bytes, a 1-byte plaintext alert record
//! `15 03 03 00 01 02` slipped in before the client's ChangeCipherSpec,
//! must not survive the key change and turn the later, authenticated
//! close_notify into `Fatal, Unknown(1)`. The server ends the handshake
//! with unexpected_message instead. (The record-reader cases are unit
//! tests in `src/record/reader.rs`; after the handshake, in
//! `connection_shutdown.rs`.)

mod common;

use common::fixture;
use common::memory::{
    client_through_hello_done, localhost, next, server_full, server_through_hello_done,
};
use tlstate::enums::{ContentType, HandshakeType};
use tlstate::error::{Error, Received};
use tlstate::handshake::{Handshake, Step};

/// The record: a plaintext alert record holding one byte, the
/// level `fatal` (2).
const HALF_ALERT: [u8; 6] = [0x15, 0x03, 0x03, 0x00, 0x01, 0x02];

/// The plaintext fatal unexpected_message alert (RFC 5246 7.2).
const UNEXPECTED_MESSAGE_ALERT: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a];

/// Where each record of `wire` starts, with its content type.
fn record_starts(wire: &[u8]) -> Vec<(usize, u8)> {
    let mut starts = Vec::new();
    let mut at = 0;
    while at < wire.len() {
        let len = usize::from(u16::from_be_bytes([wire[at + 3], wire[at + 4]]));
        starts.push((at, wire[at]));
        at += 5 + len;
    }
    starts
}

#[test]
fn rejects_partial_alert_before_ccs() {
    let client_config = fixture().pki.client_config_tls12();
    let server_config = fixture().pki.server_config_tls12(&fixture().leaf);
    let mut c = Handshake::client(client_config, localhost())
        .send()
        .unwrap();
    let mut s = Handshake::server(server_config);
    let input: &[u8] = &c.take_output();
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let mut s = server_through_hello_done(s).unwrap();
    let input: &[u8] = &s.take_output();
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let mut c = client_through_hello_done(c)
        .unwrap()
        .send()
        .unwrap()
        .send()
        .unwrap()
        .send()
        .unwrap();
    // ClientKeyExchange, ChangeCipherSpec, Finished: the half alert goes
    // right before the ChangeCipherSpec.
    let flight = c.take_output();
    let (ccs, _) = *record_starts(&flight)
        .iter()
        .find(|(_, typ)| *typ == 20)
        .expect("a ChangeCipherSpec record");
    let mut wire = flight[..ccs].to_vec();
    wire.extend_from_slice(&HALF_ALERT);
    wire.extend_from_slice(&flight[ccs..]);
    let input: &[u8] = &wire;
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");

    // The ClientKeyExchange is read; the half alert is nothing yet.
    let s = next(s.recv().unwrap());
    let fatal = match s.recv() {
        Err(fatal) => fatal,
        Ok(Step::Next(_)) => panic!("the ChangeCipherSpec was accepted after half an alert"),
        Ok(Step::NeedMore(_)) => panic!("the server waits for more"),
    };
    assert_eq!(
        fatal.error(),
        &Error::UnexpectedMessage {
            expected: "the rest of an alert",
            got: Received::Record(ContentType::ChangeCipherSpec),
        }
    );
    // Keys have not changed yet on the server's side: its alert is plain.
    assert_eq!(fatal.output(), &UNEXPECTED_MESSAGE_ALERT);
}

/// The same half alert before a handshake record is refused alike: the
/// rest of an alert must be the next record, whatever follows.
#[test]
fn rejects_partial_alert_before_a_handshake_record() {
    let client_config = fixture().pki.client_config_tls12();
    let server_config = fixture().pki.server_config_tls12(&fixture().leaf);
    let mut c = Handshake::client(client_config, localhost())
        .send()
        .unwrap();
    let mut s = Handshake::server(server_config);
    let mut wire = HALF_ALERT.to_vec();
    let hello = c.take_output();
    assert_eq!(
        HandshakeType::from_wire(hello[5]),
        HandshakeType::ClientHello
    );
    wire.extend_from_slice(&hello);
    let input: &[u8] = &wire;
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let fatal = server_full(s).expect_err("a ClientHello after half an alert");
    assert_eq!(
        fatal.error(),
        &Error::UnexpectedMessage {
            expected: "the rest of an alert",
            got: Received::Record(ContentType::Handshake),
        }
    );
    assert_eq!(fatal.output(), &UNEXPECTED_MESSAGE_ALERT);
}
