//! Fragmentation and coalescing of handshake messages, and record-level
//! rejections, through the public record API.
//!
//! The first five tests adapt s2n-tls's
//! `tests/unit/s2n_fragmentation_coalescing_test.c`: a ServerHello split
//! over five records; a ServerHello and Certificate coalesced into one
//! record; a ServerHello interrupted by a record that may not interrupt it;
//! and a ServerHello interrupted by a warning or a fatal alert that is
//! itself split one byte per record. (s2n's alert bytes are mislabelled:
//! `{0x02, 0x50}` is a *fatal* internal_error; here the warning is
//! `{1, 90}`, user_canceled, and the fatal `{2, 10}`, unexpected_message.)

use std::ops::Range;

use tlstate::enums::{AlertDescription, AlertLevel, ContentType, HandshakeType};
use tlstate::error::{Error, InvalidMessage, Received};
use tlstate::message::{AlertMessage, MAX_CLIENT_HELLO_LEN};
use tlstate::record::{Inbound, MAX_PLAINTEXT_LEN, RecordOpener, RecordReader};

const HANDSHAKE: u8 = 22;
const ALERT: u8 = 21;
const CCS: u8 = 20;
const APP_DATA: u8 = 23;
const HEARTBEAT: u8 = 24;

/// An owned copy of what `next_message` returned.
#[derive(Debug, PartialEq, Eq)]
enum Got {
    Handshake(HandshakeType, Vec<u8>),
    ChangeCipherSpec,
    Alert(AlertLevel, AlertDescription),
    ApplicationData(Vec<u8>),
    Error(Error),
}

fn handshake_message(typ: u8, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).unwrap().to_be_bytes();
    let mut m = vec![typ, len[1], len[2], len[3]];
    m.extend_from_slice(body);
    m
}

/// A 74-byte ServerHello: TLS 1.2, a random of 0..32, a 32-byte session
/// id, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, null compression.
fn server_hello() -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend(0..32u8);
    body.push(32);
    body.extend((0..32u8).map(|b| b ^ 0xa5));
    body.extend_from_slice(&[0xc0, 0x2f, 0]);
    assert_eq!(body.len(), 70);
    handshake_message(2, &body)
}

/// A Certificate message with one DER-shaped certificate of `n` bytes.
fn certificate(n: usize) -> Vec<u8> {
    let mut cert = vec![0x30, 0x82];
    cert.extend_from_slice(&u16::try_from(n - 4).unwrap().to_be_bytes());
    let mut x = 0x2545_f491_u32;
    cert.extend((4..n).map(|_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x as u8
    }));
    let u24 = |v: usize| u32::try_from(v).unwrap().to_be_bytes()[1..].to_vec();
    let mut body = u24(n + 3);
    body.extend(u24(n));
    body.extend(cert);
    handshake_message(11, &body)
}

fn record(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![typ, 3, 3];
    r.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    r.extend_from_slice(body);
    r
}

/// Everything the reader returns until it needs more bytes or fails.
fn drain(rd: &mut RecordReader) -> Vec<Got> {
    let mut out = Vec::new();
    loop {
        match rd.next_message() {
            Ok(None) => return out,
            Ok(Some(msg)) => out.push(match msg {
                Inbound::Handshake { typ, encoded } => Got::Handshake(typ, encoded.to_vec()),
                Inbound::ChangeCipherSpec => Got::ChangeCipherSpec,
                Inbound::Alert(AlertMessage { level, description }) => {
                    Got::Alert(level, description)
                }
                Inbound::ApplicationData(data) => Got::ApplicationData(data.to_vec()),
            }),
            Err(e) => {
                out.push(Got::Error(e));
                return out;
            }
        }
    }
}

fn feed_and_drain(wire: &[u8]) -> Vec<Got> {
    let mut rd = RecordReader::new();
    let input: &[u8] = wire;
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    drain(&mut rd)
}

fn slice(msg: &[u8], range: Range<usize>) -> &[u8] {
    &msg[range]
}

// --- s2n's five cases -----------------------------------------------------

#[test]
fn fragmented_server_hello_over_five_records() {
    let sh = server_hello();
    // As s2n: five fragments of len/5, the remainder in the first.
    let base = sh.len() / 5;
    let first = base + sh.len() % 5;
    let mut wire = record(HANDSHAKE, &sh[..first]);
    for i in 0..4 {
        let from = first + i * base;
        wire.extend(record(HANDSHAKE, slice(&sh, from..from + base)));
    }
    assert_eq!(
        feed_and_drain(&wire),
        [Got::Handshake(HandshakeType::ServerHello, sh)]
    );
}

#[test]
fn coalesced_server_hello_and_certificate_in_one_record() {
    let sh = server_hello();
    let cert = certificate(818);
    let wire = record(HANDSHAKE, &[sh.clone(), cert.clone()].concat());

    let mut rd = RecordReader::new();
    let input: &[u8] = &wire;
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    // One message per call, in order.
    assert!(matches!(
        rd.next_message(),
        Ok(Some(Inbound::Handshake { typ: HandshakeType::ServerHello, encoded })) if encoded == sh
    ));
    assert!(
        rd.has_partial_handshake(),
        "the Certificate is still unread"
    );
    assert!(matches!(
        rd.next_message(),
        Ok(Some(Inbound::Handshake { typ: HandshakeType::Certificate, encoded })) if encoded == cert
    ));
    assert!(!rd.has_partial_handshake());
    assert_eq!(rd.next_message(), Ok(None));
}

#[test]
fn server_hello_interrupted_by_a_non_handshake_record_is_unexpected() {
    let sh = server_hello();
    let half = sh.len() / 2;
    for (typ, body, ct) in [
        (APP_DATA, &b"early data"[..], ContentType::ApplicationData),
        (CCS, &[1][..], ContentType::ChangeCipherSpec),
        // s2n's original interruption; refused at its header whatever the
        // handshake state (RFC 5246 6.2.1).
        (HEARTBEAT, &[1, 0, 0, 1, 2, 3][..], ContentType::Heartbeat),
    ] {
        let mut wire = record(HANDSHAKE, &sh[..half]);
        wire.extend(record(typ, body));
        wire.extend(record(HANDSHAKE, &sh[half..]));

        let mut rd = RecordReader::new();
        let input: &[u8] = &wire;
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        let got = drain(&mut rd);
        let expected = if typ == HEARTBEAT {
            "a handshake, alert, change_cipher_spec or application_data record"
        } else {
            "the rest of a handshake message"
        };
        assert_eq!(
            got,
            [Got::Error(Error::UnexpectedMessage {
                expected,
                got: Received::Record(ct)
            })],
            "nothing was processed before the error ({ct})"
        );
        // Nothing else comes out: not the ServerHello, not the interloper.
        assert!(rd.next_message().is_err());
        let input: &[u8] = &record(HANDSHAKE, &sh);
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        assert!(rd.next_message().is_err());
    }
}

/// hs half, alert byte 1, hs quarter, alert byte 2, hs rest: s2n's layout.
/// Refused at the hs quarter since issue #11 item 4: the rest of a split
/// alert must be the very next record.
fn interleaved_with_split_alert(alert: [u8; 2]) -> Vec<u8> {
    let sh = server_hello();
    let half = sh.len() / 2;
    let quarter = sh.len() / 4;
    let mut wire = record(HANDSHAKE, &sh[..half]);
    wire.extend(record(ALERT, &alert[..1]));
    wire.extend(record(HANDSHAKE, &sh[half..half + quarter]));
    wire.extend(record(ALERT, &alert[1..]));
    wire.extend(record(HANDSHAKE, &sh[half + quarter..]));
    wire
}

#[test]
fn server_hello_interrupted_by_a_split_warning_alert() {
    let wire = interleaved_with_split_alert([1, 90]);
    assert_eq!(feed_and_drain(&wire), [Got::Error(rest_of_an_alert())]);

    // The same with the two alert records back to back, fed one byte at a
    // time.
    let sh = server_hello();
    let mut wire = record(HANDSHAKE, &sh[..10]);
    wire.extend(record(ALERT, &[1]));
    wire.extend(record(ALERT, &[90]));
    wire.extend(record(HANDSHAKE, &sh[10..]));
    let mut rd = RecordReader::new();
    let mut got = Vec::new();
    for b in &wire {
        let input: &[u8] = std::slice::from_ref(b);
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        got.extend(drain(&mut rd));
    }
    assert_eq!(
        got,
        [
            Got::Alert(AlertLevel::Warning, AlertDescription::UserCanceled),
            Got::Handshake(HandshakeType::ServerHello, sh),
        ]
    );
}

#[test]
fn server_hello_interrupted_by_a_split_fatal_alert() {
    let wire = interleaved_with_split_alert([2, 10]);
    let mut rd = RecordReader::new();
    let input: &[u8] = &wire;
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    // Neither the alert nor the ServerHello is handed out: the handshake
    // record between the alert's halves is refused.
    assert_eq!(rd.next_message(), Err(rest_of_an_alert()));
}

/// The error for a record other than an alert after half an alert.
fn rest_of_an_alert() -> Error {
    Error::UnexpectedMessage {
        expected: "the rest of an alert",
        got: Received::Record(ContentType::Handshake),
    }
}

// --- record-level rejections ----------------------------------------------

#[test]
fn rejects_unknown_content_type_at_its_header() {
    let mut rd = RecordReader::new();
    let input: &[u8] = &[0x63, 3, 3, 0x40];
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(rd.next_message(), Ok(None), "header not complete yet");
    let input: &[u8] = &[0x00];
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        rd.next_message(),
        Err(Error::UnexpectedMessage {
            expected: "a handshake, alert, change_cipher_spec or application_data record",
            got: Received::Record(ContentType::Unknown(0x63))
        })
    );
}

#[test]
fn rejects_heartbeat() {
    let got = feed_and_drain(&record(HEARTBEAT, &[1, 0, 3, b'a', b'b', b'c']));
    assert!(matches!(
        got.as_slice(),
        [Got::Error(Error::UnexpectedMessage {
            got: Received::Record(ContentType::Heartbeat),
            ..
        })]
    ));
}

#[test]
fn rejects_zero_length_handshake_alert_and_ccs_records() {
    for (typ, ct) in [
        (HANDSHAKE, ContentType::Handshake),
        (ALERT, ContentType::Alert),
        (CCS, ContentType::ChangeCipherSpec),
    ] {
        assert_eq!(
            feed_and_drain(&record(typ, &[])),
            [Got::Error(InvalidMessage::EmptyFragment(ct).into())]
        );
    }
}

#[test]
fn accepts_zero_length_application_data() {
    let mut wire = record(APP_DATA, &[]);
    wire.extend(record(APP_DATA, b"after"));
    assert_eq!(
        feed_and_drain(&wire),
        [
            Got::ApplicationData(vec![]),
            Got::ApplicationData(b"after".to_vec())
        ]
    );
}

#[test]
fn rejects_record_over_2_14_at_its_header() {
    let mut rd = RecordReader::new();
    let input: &[u8] = &record(APP_DATA, &vec![0; MAX_PLAINTEXT_LEN])[..];
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    assert!(
        matches!(rd.next_message(), Ok(Some(Inbound::ApplicationData(d))) if d.len() == MAX_PLAINTEXT_LEN)
    );
    // Only the header of the oversized record: refused without its body.
    let input: &[u8] = &[APP_DATA, 3, 3, 0x40, 0x01];
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        rd.next_message(),
        Err(Error::RecordOverflow {
            len: MAX_PLAINTEXT_LEN + 1,
            limit: MAX_PLAINTEXT_LEN
        })
    );
}

#[test]
fn rejects_non_tls_record_versions() {
    for version in [0x0000u16, 0x0200, 0x0403, 0xfefd] {
        let [a, b] = version.to_be_bytes();
        assert_eq!(
            feed_and_drain(&[HANDSHAKE, a, b, 0, 4, 14, 0, 0, 0]),
            [Got::Error(
                InvalidMessage::InvalidRecordVersion(version).into()
            )]
        );
    }
    // SSL 3.0 and TLS 1.0-1.3 record versions are all fine.
    for minor in 0..=4 {
        assert_eq!(
            feed_and_drain(&[HANDSHAKE, 3, minor, 0, 4, 14, 0, 0, 0]),
            [Got::Handshake(
                HandshakeType::ServerHelloDone,
                vec![14, 0, 0, 0]
            )]
        );
    }
}

#[test]
fn client_hello_has_its_own_limit_at_its_header() {
    // The default: the largest ClientHello its length fields allow.
    let u24 = |v: usize| u32::try_from(v).unwrap().to_be_bytes()[1..].to_vec();
    let header = |typ: u8, declared: usize| {
        let mut h = vec![typ];
        h.extend(u24(declared));
        h
    };
    let mut rd = RecordReader::new();
    let input: &[u8] = &record(HANDSHAKE, &header(1, MAX_CLIENT_HELLO_LEN));
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(rd.next_message(), Ok(None), "waits for the body");
    let mut rd = RecordReader::new();
    let input: &[u8] = &record(HANDSHAKE, &header(1, MAX_CLIENT_HELLO_LEN + 1));
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        rd.next_message(),
        Err(InvalidMessage::HandshakeMessageTooLarge {
            declared: MAX_CLIENT_HELLO_LEN + 1,
            max: MAX_CLIENT_HELLO_LEN
        }
        .into())
    );
    assert_eq!(rd.capacity(), 0, "nothing was buffered for it");

    // Configured apart from the other types' limit, both ways.
    let mut rd = RecordReader::new();
    rd.set_max_client_hello_len(500);
    rd.set_max_handshake_len(2000);
    let input: &[u8] = &record(HANDSHAKE, &header(1, 501));
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        rd.next_message(),
        Err(InvalidMessage::HandshakeMessageTooLarge {
            declared: 501,
            max: 500
        }
        .into())
    );
    let mut rd = RecordReader::new();
    rd.set_max_client_hello_len(500);
    rd.set_max_handshake_len(2000);
    let input: &[u8] = &record(HANDSHAKE, &header(11, 2000));
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(rd.next_message(), Ok(None), "a Certificate of 2000 waits");
}

#[test]
fn rejects_too_large_handshake_message_at_its_header() {
    // The default limit: 64 KiB. Only the 4-byte header arrives.
    let mut rd = RecordReader::new();
    let input: &[u8] = &record(HANDSHAKE, &[11, 0x01, 0x00, 0x01]);
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        rd.next_message(),
        Err(InvalidMessage::HandshakeMessageTooLarge {
            declared: 0x1_0001,
            max: 0x1_0000
        }
        .into())
    );

    // A configured limit, with the header itself split over two records.
    let mut rd = RecordReader::new();
    rd.set_max_handshake_len(1000);
    let input: &[u8] = &record(HANDSHAKE, &[11, 0x00]);
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(rd.next_message(), Ok(None));
    let input: &[u8] = &record(HANDSHAKE, &[0x03, 0xe9]);
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        rd.next_message(),
        Err(InvalidMessage::HandshakeMessageTooLarge {
            declared: 1001,
            max: 1000
        }
        .into())
    );
    assert!(rd.capacity() < 1000, "nothing was buffered for it");

    // Exactly at the limit is fine.
    let mut rd = RecordReader::new();
    rd.set_max_handshake_len(1000);
    let msg = handshake_message(11, &[0; 1000]);
    let input: &[u8] = &record(HANDSHAKE, &msg);
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    assert!(
        matches!(rd.next_message(), Ok(Some(Inbound::Handshake { encoded, .. })) if encoded == msg)
    );
}

#[test]
fn change_cipher_spec_must_be_exactly_one_byte_of_1() {
    assert_eq!(feed_and_drain(&record(CCS, &[1])), [Got::ChangeCipherSpec]);
    // Any other body, a second byte included, is one error, which RFC 8446
    // 5 answers with unexpected_message.
    for body in [&[2u8][..], &[0], &[1, 1], &[1, 0], &[2, 1]] {
        let error: Error = InvalidMessage::InvalidChangeCipherSpec.into();
        assert_eq!(error.alert(), Some(AlertDescription::UnexpectedMessage));
        assert_eq!(
            feed_and_drain(&record(CCS, body)),
            [Got::Error(error)],
            "{body:?}"
        );
    }
}

#[test]
fn alert_with_unknown_level_is_a_decode_error() {
    let got = feed_and_drain(&record(ALERT, &[3, 0]));
    assert!(matches!(
        got.as_slice(),
        [Got::Error(Error::InvalidMessage(_))]
    ));
}

#[test]
fn several_alerts_and_a_trailing_half_alert() {
    let mut rd = RecordReader::new();
    let input: &[u8] = &record(ALERT, &[1, 0, 1, 90, 2]);
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        drain(&mut rd),
        [
            Got::Alert(AlertLevel::Warning, AlertDescription::CloseNotify),
            Got::Alert(AlertLevel::Warning, AlertDescription::UserCanceled),
        ]
    );
    let input: &[u8] = &record(ALERT, &[40]);
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        drain(&mut rd),
        [Got::Alert(
            AlertLevel::Fatal,
            AlertDescription::HandshakeFailure
        )]
    );
}

/// An opener whose every record fails authentication.
struct AlwaysFails;

impl RecordOpener for AlwaysFails {
    fn open(
        &self,
        _seq: u64,
        _typ: ContentType,
        _version: u16,
        _body: &mut [u8],
    ) -> Result<(ContentType, Range<usize>), Error> {
        Err(Error::DecryptFailed)
    }

    fn overhead(&self) -> usize {
        16
    }

    fn max_body_len(&self) -> usize {
        MAX_PLAINTEXT_LEN + 2048
    }
}

#[test]
fn a_failing_opener_is_decrypt_failed() {
    let mut rd = RecordReader::new();
    let mut wire = record(CCS, &[1]);
    wire.extend(record(HANDSHAKE, &[0x55; 40]));
    let input: &[u8] = &wire;
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(rd.next_message(), Ok(Some(Inbound::ChangeCipherSpec)));
    rd.set_opener(Box::new(AlwaysFails));
    assert_eq!(rd.next_message(), Err(Error::DecryptFailed));
    assert_eq!(
        rd.next_message(),
        Err(Error::DecryptFailed),
        "the reader stays failed"
    );
}

#[test]
fn idle_reader_holds_no_heap() {
    let mut rd = RecordReader::new();
    let cert = certificate(3000);
    let (a, b) = cert.split_at(1000);
    let input: &[u8] = &record(HANDSHAKE, a);
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(drain(&mut rd), []);
    assert!(rd.has_partial_handshake());
    assert_eq!(rd.buffered_len(), 1000);
    let input: &[u8] = &record(HANDSHAKE, b);
    assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        drain(&mut rd),
        [Got::Handshake(HandshakeType::Certificate, cert)]
    );
    assert_eq!(rd.next_message(), Ok(None));
    assert_eq!(rd.buffered_len(), 0);
    assert_eq!(rd.capacity(), 0);
}

#[test]
fn feed_owned_takes_over_or_appends_without_losing_bytes() {
    let hello = server_hello();
    let cert = certificate(3000);
    let mut wire = record(22, &hello);
    wire.extend_from_slice(&record(22, &cert));
    // Whole records in their own vector: taken over as the buffer.
    let mut rd = RecordReader::new();
    assert!(rd.feed_owned(wire.clone()).is_empty());
    let whole = drain(&mut rd);
    // Split at every 997 bytes: after the first piece the reader holds a
    // partial record, so later pieces are appended.
    let mut rd = RecordReader::new();
    for piece in wire.chunks(997) {
        assert!(rd.feed_owned(piece.to_vec()).is_empty());
    }
    assert_eq!(drain(&mut rd), whole);
    assert_eq!(whole, feed_and_drain(&wire));
    assert_eq!(whole.len(), 2);
}
