//! The connection after a TLS 1.3 handshake, in memory: data, close_notify,
//! the alerts that end it, truncation, and the records TLS 1.3 refuses once
//! the handshake is over (RFC 8446 5, 6). `tests/connection_shutdown.rs`
//! has the same rules over TLS 1.2, whose record types show on the wire;
//! here every record after the handshake is application_data outside, so
//! what each one holds is read back through the peer's own connection, and
//! its length tells an alert (2 bytes + the inner type + the 16-byte tag)
//! from data.

mod common;

use common::fixture;
use common::memory::{deliver, full_handshake13, tls13_pair};
use common::wire::records;
use tlstate::connection::{Connection, ReadOutcome};
use tlstate::enums::{AlertDescription, AlertLevel, CipherSuite, ContentType};
use tlstate::error::{Error, Received};
use tlstate::handshake::Role;

const APPLICATION_DATA: u8 = 23;
/// A sealed TLS 1.3 alert: its two bytes, the inner content type, the tag.
const SEALED_ALERT_BODY: usize = 2 + 1 + 16;

/// Everything `conn` can read now, and how the reading stopped.
fn drain<R: Role>(conn: &mut Connection<R>) -> (Vec<u8>, Result<ReadOutcome, Error>) {
    let mut data = Vec::new();
    let mut buf = vec![0u8; 3000];
    loop {
        match conn.read(&mut buf) {
            Ok(ReadOutcome::Data(n)) => data.extend_from_slice(&buf[..n]),
            end => return (data, end),
        }
    }
}

/// `wire` is exactly one sealed alert record.
fn assert_one_sealed_alert(wire: &[u8], who: &str) {
    assert_eq!(
        records(wire),
        [(APPLICATION_DATA, SEALED_ALERT_BODY)],
        "{who}: not one sealed alert"
    );
}

#[test]
fn negotiates_tls13_and_moves_data_across_records_both_ways() {
    let (mut client, mut server) = tls13_pair();
    assert_eq!(
        client.summary().protocol_version,
        tlstate::enums::ProtocolVersion::Tls13
    );
    let data: Vec<u8> = (0..40_000u32).map(|i| (i * 7) as u8).collect();
    client.send(&data).unwrap();
    let wire = client.take_output();
    // 2^14 bytes of plaintext per record, each with its type byte and tag.
    let sizes: Vec<usize> = records(&wire).iter().map(|r| r.1).collect();
    assert_eq!(sizes, [16384 + 17, 16384 + 17, 40_000 - 32768 + 17]);
    // The reader takes what fits its buffer: feed, read, feed the rest.
    let mut got = Vec::new();
    let mut rest = &wire[..];
    while !rest.is_empty() {
        let taken = server.feed(rest);
        rest = &rest[taken..];
        let (more, end) = drain(&mut server);
        assert_eq!(end, Ok(ReadOutcome::NeedMore));
        got.extend(more);
    }
    assert!(got == data, "bytes lost or reordered");
    server.send(b"and back").unwrap();
    deliver(&mut server, &mut client);
    assert_eq!(
        drain(&mut client),
        (b"and back".to_vec(), Ok(ReadOutcome::NeedMore))
    );
}

/// Our close_notify is one sealed alert; the peer reads it as the clean
/// end, answers with its own, and neither side sends data afterwards.
#[test]
fn close_notify_is_the_clean_end_and_is_answered() {
    let (mut client, mut server) = tls13_pair();
    client.send(b"last words").unwrap();
    client.send_close_notify().unwrap();
    let wire = deliver(&mut client, &mut server);
    assert_eq!(
        records(&wire),
        [
            (APPLICATION_DATA, 10 + 17),
            (APPLICATION_DATA, SEALED_ALERT_BODY)
        ]
    );
    assert_eq!(
        drain(&mut server),
        (b"last words".to_vec(), Ok(ReadOutcome::Closed))
    );
    assert!(server.peer_closed() && !server.failed());
    let answer = deliver(&mut server, &mut client);
    assert_one_sealed_alert(&answer, "server");
    assert_eq!(drain(&mut client), (Vec::new(), Ok(ReadOutcome::Closed)));
    assert_eq!(server.send(b"too late"), Err(Error::Closed));
    assert_eq!(client.send(b"too late"), Err(Error::Closed));
}

/// A record that does not open ends the connection with one sealed
/// bad_record_mac alert, which the peer reads as that fatal alert.
#[test]
fn a_record_that_fails_to_open_is_answered_by_a_sealed_bad_record_mac() {
    let (mut client, mut server) = tls13_pair();
    client.send(b"this record is tampered with").unwrap();
    let mut wire = client.take_output();
    *wire.last_mut().unwrap() ^= 1;
    assert_eq!(server.feed(&wire), wire.len());
    assert_eq!(drain(&mut server).1, Err(Error::DecryptFailed));
    assert!(server.failed());
    let alert = deliver(&mut server, &mut client);
    assert_one_sealed_alert(&alert, "server");
    assert_eq!(
        drain(&mut client).1,
        Err(Error::AlertReceived {
            level: AlertLevel::Fatal,
            description: AlertDescription::BadRecordMac,
        })
    );
    assert!(
        client.pending_output().is_empty(),
        "no alert answers an alert"
    );
    assert_eq!(server.send(b"x"), Err(Error::Closed));
}

/// RFC 8446 5: once keys are in use, an unprotected alert is refused
/// (unexpected_message, sealed), not believed.
#[test]
fn a_plaintext_alert_after_the_handshake_is_unexpected_message() {
    let (mut client, mut server) = tls13_pair();
    let forged = [21, 3, 3, 0, 2, 2, 40];
    assert_eq!(server.feed(&forged), forged.len());
    assert_eq!(
        drain(&mut server).1,
        Err(Error::UnexpectedMessage {
            expected: "a protected (application_data) record",
            got: Received::Record(ContentType::Alert),
        })
    );
    let alert = deliver(&mut server, &mut client);
    assert_one_sealed_alert(&alert, "server");
    assert_eq!(
        drain(&mut client).1,
        Err(Error::AlertReceived {
            level: AlertLevel::Fatal,
            description: AlertDescription::UnexpectedMessage,
        })
    );
}

/// RFC 8446 5: the compatibility ChangeCipherSpec is dropped only until the
/// peer's Finished; after it, on either side, it is unexpected_message.
#[test]
fn a_change_cipher_spec_after_the_handshake_is_unexpected_message() {
    let ccs = [20, 3, 3, 0, 1, 1];
    let expected = Err(Error::UnexpectedMessage {
        expected: "no change_cipher_spec after the peer's Finished",
        got: Received::Record(ContentType::ChangeCipherSpec),
    });
    let (mut client, mut server) = tls13_pair();
    assert_eq!(server.feed(&ccs), ccs.len());
    assert_eq!(drain(&mut server).1, expected);
    assert_one_sealed_alert(&deliver(&mut server, &mut client), "server");
    let (mut client, _server) = tls13_pair();
    assert_eq!(client.feed(&ccs), ccs.len());
    assert_eq!(drain(&mut client).1, expected);
    assert_one_sealed_alert(&client.take_output(), "client");
}

/// The end of the transport before close_notify is truncation, and sets no
/// alert: shutting down still sends close_notify, sealed.
#[test]
fn transport_eof_before_close_notify_is_truncated() {
    let (client, _server) = tls13_pair();
    let (mut reader, mut writer) = client.split();
    assert_eq!(reader.transport_eof(), Error::Truncated);
    assert!(reader.failed());
    let mut buf = [0u8; 8];
    assert_eq!(reader.read(&mut buf), Err(Error::Truncated));
    writer.shutdown_send().unwrap();
    assert_one_sealed_alert(&writer.take_output(), "client");
}

/// Split into halves, a TLS 1.3 connection carries data each way under
/// each suite.
#[test]
fn split_halves_carry_data_under_every_suite() {
    let fx = fixture();
    for suite in [
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        CipherSuite::TLS13_AES_256_GCM_SHA384,
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    ] {
        let mut server = (*fx.pki.server_config(&fx.leaf)).clone();
        server.cipher_suites = vec![suite];
        let (client, server) =
            full_handshake13(fx.pki.client_config(), std::sync::Arc::new(server)).unwrap();
        assert_eq!(client.summary().cipher_suite, suite);
        let (mut client_reader, mut client_writer) = client.split();
        let (mut server_reader, mut server_writer) = server.split();
        client_writer.send(b"to the server").unwrap();
        let wire = client_writer.take_output();
        assert_eq!(server_reader.feed(&wire), wire.len());
        let mut buf = [0u8; 32];
        assert_eq!(server_reader.read(&mut buf), Ok(ReadOutcome::Data(13)));
        assert_eq!(&buf[..13], b"to the server");
        server_writer.send(b"to the client").unwrap();
        let wire = server_writer.take_output();
        assert_eq!(client_reader.feed(&wire), wire.len());
        assert_eq!(client_reader.read(&mut buf), Ok(ReadOutcome::Data(13)));
        assert_eq!(&buf[..13], b"to the client");
    }
}

/// RFC 8446 6.1: close_notify closes the sender's writing only: after
/// ours, what the peer sent before reading it still arrives.
#[test]
fn reading_goes_on_after_our_close_notify() {
    let (mut client, mut server) = tls13_pair();
    client.send_close_notify().unwrap();
    assert_eq!(client.send(b"no more"), Err(Error::Closed));
    server.send(b"late data").unwrap();
    deliver(&mut server, &mut client);
    assert_eq!(
        drain(&mut client),
        (b"late data".to_vec(), Ok(ReadOutcome::NeedMore))
    );
    deliver(&mut client, &mut server);
    assert_eq!(drain(&mut server), (Vec::new(), Ok(ReadOutcome::Closed)));
    deliver(&mut server, &mut client);
    assert_eq!(drain(&mut client), (Vec::new(), Ok(ReadOutcome::Closed)));
}
