//! The record layer under TLS 1.3 (RFC 8446 5): `RecordWriter` with a
//! `Tls13Sealer`, `RecordReader` in TLS 1.3 mode with `Tls13Opener`s, real
//! keys (ring) derived from fixed secrets. The RFC 8448 record read through
//! the reader is in `tests/tls13_rfc8448.rs`, next to that trace's keys.

use tlstate::crypto::AeadAlgorithm;
use tlstate::crypto::HashAlgorithm;
use tlstate::crypto::tls13::{
    MAX_CIPHERTEXT_LEN as TLS13_MAX_CIPHERTEXT_LEN, Secret, Tls13Opener, Tls13Sealer, TrafficKey,
};
use tlstate::enums::{AlertDescription, AlertLevel, ContentType, HandshakeType};
use tlstate::error::{Error, InvalidMessage, Received};
use tlstate::message::AlertMessage;
use tlstate::record::{HEADER_LEN, Inbound, MAX_PLAINTEXT_LEN, RecordReader, RecordWriter};

const AEADS: [AeadAlgorithm; 3] = [
    AeadAlgorithm::Aes128Gcm,
    AeadAlgorithm::Aes256Gcm,
    AeadAlgorithm::ChaCha20Poly1305,
];

/// One direction's sealer and opener for `aead`, from the secret of `n`s.
fn keys(aead: AeadAlgorithm, n: u8) -> (Box<Tls13Sealer>, Box<Tls13Opener>) {
    let secret = Secret::new(HashAlgorithm::Sha256, &[n; 32]).unwrap();
    let key = TrafficKey::derive(aead, &secret).unwrap();
    (
        Box::new(Tls13Sealer::new(aead, &key).unwrap()),
        Box::new(Tls13Opener::new(aead, &key).unwrap()),
    )
}

/// An owned copy of what `next_message` returned.
#[derive(Debug, PartialEq, Eq)]
enum Got {
    Handshake(HandshakeType, Vec<u8>),
    ChangeCipherSpec,
    Alert(AlertMessage),
    ApplicationData(Vec<u8>),
}

/// Reads every message the reader can hand out now.
fn read_all(rd: &mut RecordReader) -> Result<Vec<Got>, Error> {
    let mut got = Vec::new();
    while let Some(m) = rd.next_message()? {
        got.push(match m {
            Inbound::Handshake { typ, encoded } => Got::Handshake(typ, encoded.to_vec()),
            Inbound::ChangeCipherSpec => Got::ChangeCipherSpec,
            Inbound::Alert(a) => Got::Alert(a),
            Inbound::ApplicationData(d) => Got::ApplicationData(d.to_vec()),
        });
    }
    Ok(got)
}

/// Feeds `wire` as far as the reader takes it, reading in between.
fn pump(rd: &mut RecordReader, mut wire: &[u8]) -> Result<Vec<Got>, Error> {
    let mut got = Vec::new();
    while !wire.is_empty() {
        let n = rd.feed(wire);
        wire = &wire[n..];
        got.extend(read_all(rd)?);
    }
    Ok(got)
}

/// Each message's kind and length.
fn summary(got: &[Got]) -> Vec<(String, usize)> {
    got.iter()
        .map(|g| match g {
            Got::Handshake(t, m) => (format!("{t:?}"), m.len()),
            Got::ChangeCipherSpec => ("ccs".into(), 1),
            Got::Alert(a) => (format!("{a:?}"), 2),
            Got::ApplicationData(d) => ("data".into(), d.len()),
        })
        .collect()
}

fn feed_all(rd: &mut RecordReader, wire: &[u8]) {
    assert_eq!(rd.feed(wire), wire.len(), "all of it fits");
}

/// A handshake message: type, 24-bit length, body.
fn handshake(typ: u8, body_len: usize) -> Vec<u8> {
    let mut m = vec![typ];
    m.extend_from_slice(&u32::try_from(body_len).unwrap().to_be_bytes()[1..]);
    m.extend((0..body_len).map(|i| (i * 31 + usize::from(typ)) as u8));
    m
}

/// An unprotected record.
fn plain_record(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![typ, 3, 3];
    r.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    r.extend_from_slice(body);
    r
}

/// Splits a stream of records into (header, body) pairs.
fn records(mut wire: &[u8]) -> Vec<([u8; HEADER_LEN], Vec<u8>)> {
    let mut out = Vec::new();
    while !wire.is_empty() {
        let header: [u8; HEADER_LEN] = wire[..HEADER_LEN].try_into().unwrap();
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        out.push((header, wire[HEADER_LEN..HEADER_LEN + len].to_vec()));
        wire = &wire[HEADER_LEN + len..];
    }
    out
}

/// A reader in TLS 1.3 mode with `opener` installed.
fn keyed_reader(opener: Box<Tls13Opener>) -> RecordReader {
    let mut rd = RecordReader::new();
    rd.set_tls13();
    rd.install_opener(opener).unwrap();
    rd
}

fn alert(level: AlertLevel, description: AlertDescription) -> AlertMessage {
    AlertMessage { level, description }
}

#[test]
fn round_trips_data_alerts_and_handshake_messages_under_each_aead() {
    for aead in AEADS {
        let (sealer, opener) = keys(aead, 7);
        let mut wr = RecordWriter::new();
        wr.set_sealer(sealer);
        let mut rd = keyed_reader(opener);

        let big_data: Vec<u8> = (0..2 * MAX_PLAINTEXT_LEN + 1).map(|i| i as u8).collect();
        let certificate = handshake(11, 20_000);
        let coalesced = [handshake(8, 10), handshake(15, 70), handshake(20, 32)].concat();
        let mut wire = Vec::new();
        wr.write(ContentType::ApplicationData, &big_data, &mut wire)
            .unwrap();
        wr.write(ContentType::ApplicationData, b"", &mut wire)
            .unwrap();
        wr.write(ContentType::Handshake, &certificate, &mut wire)
            .unwrap();
        wr.write(ContentType::Handshake, &coalesced, &mut wire)
            .unwrap();
        wr.write_alert(
            AlertLevel::Warning,
            AlertDescription::CloseNotify,
            &mut wire,
        )
        .unwrap();
        // 3 + 1 + 2 + 1 + 1 records, each its own sequence number.
        assert_eq!(wr.write_seq(), 8, "{aead:?}");

        for (header, body) in records(&wire) {
            assert_eq!(
                header[..3],
                [23, 3, 3],
                "{aead:?}: every record is application_data"
            );
            assert!(body.len() <= MAX_PLAINTEXT_LEN + 17, "{aead:?}");
        }

        let got = pump(&mut rd, &wire).unwrap();
        let mut want = vec![
            Got::ApplicationData(big_data[..MAX_PLAINTEXT_LEN].to_vec()),
            Got::ApplicationData(big_data[MAX_PLAINTEXT_LEN..2 * MAX_PLAINTEXT_LEN].to_vec()),
            Got::ApplicationData(big_data[2 * MAX_PLAINTEXT_LEN..].to_vec()),
            Got::ApplicationData(Vec::new()),
            Got::Handshake(HandshakeType::Certificate, certificate.clone()),
        ];
        want.push(Got::Handshake(
            HandshakeType::EncryptedExtensions,
            handshake(8, 10),
        ));
        want.push(Got::Handshake(
            HandshakeType::CertificateVerify,
            handshake(15, 70),
        ));
        want.push(Got::Handshake(HandshakeType::Finished, handshake(20, 32)));
        want.push(Got::Alert(alert(
            AlertLevel::Warning,
            AlertDescription::CloseNotify,
        )));
        // Compared in short form first: a mismatch in 32 KiB of data is
        // unreadable.
        assert_eq!(summary(&got), summary(&want), "{aead:?}");
        assert!(got == want, "{aead:?}: contents differ");
    }
}

#[test]
fn writer_fragments_to_2_14_bytes_of_content_plus_type_and_tag() {
    let (sealer, _) = keys(AeadAlgorithm::Aes128Gcm, 1);
    let mut wr = RecordWriter::new();
    wr.set_sealer(sealer);
    let mut wire = Vec::new();
    wr.write(
        ContentType::ApplicationData,
        &vec![0; 2 * MAX_PLAINTEXT_LEN + 1],
        &mut wire,
    )
    .unwrap();
    let lens: Vec<usize> = records(&wire).iter().map(|(_, b)| b.len()).collect();
    assert_eq!(
        lens,
        [MAX_PLAINTEXT_LEN + 17, MAX_PLAINTEXT_LEN + 17, 1 + 17],
        "content, the type byte and a 16-byte tag"
    );

    wr.set_max_fragment_len(100);
    let mut wire = Vec::new();
    wr.write(ContentType::Handshake, &handshake(11, 196), &mut wire)
        .unwrap();
    let lens: Vec<usize> = records(&wire).iter().map(|(_, b)| b.len()).collect();
    assert_eq!(lens, [117, 117]);
}

#[test]
fn alerts_are_sealed_with_their_inner_type() {
    let (sealer, opener) = keys(AeadAlgorithm::ChaCha20Poly1305, 3);
    let mut wr = RecordWriter::new();
    wr.set_sealer(sealer);
    let mut wire = Vec::new();
    wr.write_alert(
        AlertLevel::Fatal,
        AlertDescription::HandshakeFailure,
        &mut wire,
    )
    .unwrap();
    let [(header, body)] = &records(&wire)[..] else {
        panic!("one record");
    };
    assert_eq!(header[..3], [23, 3, 3], "the alert type is hidden");
    assert_eq!(body.len(), 2 + 17);
    let mut rd = keyed_reader(opener);
    feed_all(&mut rd, &wire);
    assert_eq!(
        read_all(&mut rd),
        Ok(vec![Got::Alert(alert(
            AlertLevel::Fatal,
            AlertDescription::HandshakeFailure
        ))])
    );
}

/// The plaintext phase of a TLS 1.3 handshake, as a client sees it:
/// ServerHello, the compatibility CCS, then records under the handshake
/// key (with another CCS among them, still allowed), all in one buffer.
#[test]
fn drops_the_compat_ccs_before_and_after_the_key_change() {
    let (sealer, opener) = keys(AeadAlgorithm::Aes128Gcm, 9);
    let mut wr = RecordWriter::new();
    wr.set_sealer(sealer);
    let server_hello = handshake(2, 90);
    let mut wire = plain_record(22, &server_hello);
    wire.extend(plain_record(20, &[1]));
    wr.write(ContentType::Handshake, &handshake(8, 6), &mut wire)
        .unwrap();
    wire.extend(plain_record(20, &[1]));
    // Had the dropped CCS used up a sequence number, this record (sealed
    // as sequence 1) would fail to open.
    wr.write(ContentType::Handshake, &handshake(20, 32), &mut wire)
        .unwrap();

    let mut rd = RecordReader::new();
    rd.set_tls13();
    feed_all(&mut rd, &wire);
    assert_eq!(
        rd.next_message().unwrap(),
        Some(Inbound::Handshake {
            typ: HandshakeType::ServerHello,
            encoded: &server_hello
        })
    );
    rd.install_opener(opener).unwrap();
    assert_eq!(
        read_all(&mut rd),
        Ok(vec![
            Got::Handshake(HandshakeType::EncryptedExtensions, handshake(8, 6)),
            Got::Handshake(HandshakeType::Finished, handshake(20, 32)),
        ]),
        "the CCS records are dropped, never handed out"
    );
    assert_eq!(rd.buffered_len(), 0);
}

#[test]
fn rejects_a_compat_ccs_other_than_the_single_byte_1() {
    for body in [&[2][..], &[1, 1], &[]] {
        let mut rd = RecordReader::new();
        rd.set_tls13();
        feed_all(&mut rd, &plain_record(20, body));
        let err = rd.next_message().unwrap_err();
        assert_eq!(
            err,
            InvalidMessage::InvalidChangeCipherSpec.into(),
            "{body:?}"
        );
        assert_eq!(err.alert(), Some(AlertDescription::UnexpectedMessage));
        assert_eq!(rd.next_message(), Err(err), "the reader is dead");
    }
}

#[test]
fn rejects_a_ccs_after_end_compat_ccs() {
    let (_, opener) = keys(AeadAlgorithm::Aes256Gcm, 2);
    let mut rd = keyed_reader(opener);
    rd.end_compat_ccs();
    feed_all(&mut rd, &plain_record(20, &[1]));
    let err = rd.next_message().unwrap_err();
    assert_eq!(
        err,
        Error::UnexpectedMessage {
            expected: "no change_cipher_spec after the peer's Finished",
            got: Received::Record(ContentType::ChangeCipherSpec),
        }
    );
    assert_eq!(err.alert(), Some(AlertDescription::UnexpectedMessage));
}

#[test]
fn rejects_a_protected_ccs() {
    let (sealer, opener) = keys(AeadAlgorithm::Aes128Gcm, 4);
    let mut wr = RecordWriter::new();
    wr.set_sealer(sealer);
    let mut wire = Vec::new();
    wr.write(ContentType::ChangeCipherSpec, &[1], &mut wire)
        .unwrap();
    let mut rd = keyed_reader(opener);
    feed_all(&mut rd, &wire);
    let err = rd.next_message().unwrap_err();
    assert_eq!(
        err,
        Error::UnexpectedMessage {
            expected: "a handshake, alert or application_data record",
            got: Received::Record(ContentType::ChangeCipherSpec),
        }
    );
    assert_eq!(err.alert(), Some(AlertDescription::UnexpectedMessage));
}

#[test]
fn rejects_unprotected_records_after_a_tls13_opener() {
    for (typ, body) in [
        (ContentType::Alert, &[2, 40][..]),
        (ContentType::Handshake, &handshake(20, 32)[..]),
    ] {
        let (_, opener) = keys(AeadAlgorithm::Aes128Gcm, 5);
        let mut rd = keyed_reader(opener);
        let record = plain_record(typ.to_wire(), body);
        // Refused from the header alone, before the body is waited for.
        feed_all(&mut rd, &record[..HEADER_LEN]);
        let err = rd.next_message().unwrap_err();
        assert_eq!(
            err,
            Error::UnexpectedMessage {
                expected: "a protected (application_data) record",
                got: Received::Record(typ),
            },
            "{typ:?}"
        );
        assert_eq!(err.alert(), Some(AlertDescription::UnexpectedMessage));
    }
}

#[test]
fn reads_unprotected_alerts_before_the_first_key() {
    let mut rd = RecordReader::new();
    rd.set_tls13();
    feed_all(&mut rd, &plain_record(21, &[2, 70]));
    assert_eq!(
        read_all(&mut rd),
        Ok(vec![Got::Alert(alert(
            AlertLevel::Fatal,
            AlertDescription::ProtocolVersion
        ))])
    );
}

#[test]
fn rejects_a_key_change_with_half_a_handshake_message_buffered() {
    let (_, opener) = keys(AeadAlgorithm::Aes128Gcm, 6);
    let server_hello = handshake(2, 90);
    let mut rd = RecordReader::new();
    rd.set_tls13();
    feed_all(&mut rd, &plain_record(22, &server_hello[..50]));
    assert_eq!(rd.next_message(), Ok(None));
    let want = Error::UnexpectedMessage {
        expected: "a key change on a record boundary",
        got: Received::Record(ContentType::Handshake),
    };
    assert_eq!(rd.install_opener(opener), Err(want.clone()));
    assert_eq!(want.alert(), Some(AlertDescription::UnexpectedMessage));
    assert_eq!(rd.next_message(), Err(want), "the reader is dead");
}

/// A record carrying the ServerHello and, after it, a message that belongs
/// under the handshake key (RFC 8446 5.1: no coalescing across a key
/// change).
#[test]
fn rejects_a_key_change_inside_a_record() {
    for next in [handshake(8, 6), handshake(8, 6)[..2].to_vec()] {
        let (_, opener) = keys(AeadAlgorithm::Aes128Gcm, 6);
        let server_hello = handshake(2, 90);
        let mut rd = RecordReader::new();
        rd.set_tls13();
        feed_all(
            &mut rd,
            &plain_record(22, &[&server_hello[..], &next].concat()),
        );
        assert!(matches!(
            rd.next_message(),
            Ok(Some(Inbound::Handshake {
                typ: HandshakeType::ServerHello,
                ..
            }))
        ));
        assert_eq!(
            rd.install_opener(opener),
            Err(Error::UnexpectedMessage {
                expected: "a key change on a record boundary",
                got: Received::Record(ContentType::Handshake),
            }),
            "{next:?}"
        );
    }
}

#[test]
fn empty_handshake_and_alert_records_are_refused_empty_data_is_not() {
    for (typ, want) in [
        (
            ContentType::Handshake,
            Err(InvalidMessage::EmptyFragment(ContentType::Handshake).into()),
        ),
        (
            ContentType::Alert,
            Err(InvalidMessage::EmptyFragment(ContentType::Alert).into()),
        ),
        (
            ContentType::ApplicationData,
            Ok(vec![Got::ApplicationData(Vec::new())]),
        ),
    ] {
        let (sealer, opener) = keys(AeadAlgorithm::Aes128Gcm, 8);
        // The writer refuses to make empty handshake or alert records; the
        // sealer itself does not.
        let mut wire = vec![0; HEADER_LEN];
        tlstate::record::RecordSealer::seal(&*sealer, 0, typ, &mut wire, 0).unwrap();
        let mut rd = keyed_reader(opener);
        feed_all(&mut rd, &wire);
        assert_eq!(read_all(&mut rd), want, "{typ:?}");
    }
}

/// RFC 8446 5.1: "a record with an Alert type MUST contain exactly one
/// message".
#[test]
fn rejects_two_alerts_in_one_record() {
    let (sealer, opener) = keys(AeadAlgorithm::Aes128Gcm, 8);
    let mut wr = RecordWriter::new();
    wr.set_sealer(sealer);
    let mut wire = Vec::new();
    wr.write(ContentType::Alert, &[1, 0, 2, 40], &mut wire)
        .unwrap();
    let mut rd = keyed_reader(opener);
    feed_all(&mut rd, &wire);
    let err = rd.next_message().unwrap_err();
    assert_eq!(err, InvalidMessage::TrailingData("alert").into());
    assert_eq!(err.alert(), Some(AlertDescription::DecodeError));
}

#[test]
fn refuses_a_body_over_2_14_plus_256_from_its_header() {
    let (_, opener) = keys(AeadAlgorithm::Aes128Gcm, 1);
    let mut rd = keyed_reader(opener);
    let [hi, lo] = u16::try_from(TLS13_MAX_CIPHERTEXT_LEN)
        .unwrap()
        .to_be_bytes();
    feed_all(&mut rd, &[23, 3, 3, hi, lo]);
    assert_eq!(rd.next_message(), Ok(None), "2^14 + 256 is waited for");

    let mut rd = keyed_reader(keys(AeadAlgorithm::Aes128Gcm, 1).1);
    let [hi, lo] = u16::try_from(TLS13_MAX_CIPHERTEXT_LEN + 1)
        .unwrap()
        .to_be_bytes();
    feed_all(&mut rd, &[23, 3, 3, hi, lo]);
    let err = rd.next_message().unwrap_err();
    assert_eq!(
        err,
        Error::RecordOverflow {
            len: MAX_PLAINTEXT_LEN + 257,
            limit: MAX_PLAINTEXT_LEN + 256,
        }
    );
    assert_eq!(err.alert(), Some(AlertDescription::RecordOverflow));
}

/// Three records under one key, then the next key's records, all in one
/// buffer: each key starts at sequence 0, in the writer and the reader.
#[test]
fn sequence_numbers_restart_at_each_key_change() {
    for aead in AEADS {
        let (handshake_sealer, handshake_opener) = keys(aead, 10);
        let (app_sealer, app_opener) = keys(aead, 11);
        let mut wr = RecordWriter::new();
        wr.set_sealer(handshake_sealer);
        let mut wire = Vec::new();
        for typ in [8, 11, 20] {
            wr.write(ContentType::Handshake, &handshake(typ, 40), &mut wire)
                .unwrap();
        }
        assert_eq!(wr.write_seq(), 3);
        wr.set_sealer(app_sealer);
        assert_eq!(wr.write_seq(), 0, "{aead:?}");
        wr.write(ContentType::ApplicationData, b"after", &mut wire)
            .unwrap();

        let mut rd = keyed_reader(handshake_opener);
        feed_all(&mut rd, &wire);
        for _ in 0..3 {
            assert!(matches!(
                rd.next_message(),
                Ok(Some(Inbound::Handshake { .. }))
            ));
        }
        rd.install_opener(app_opener).unwrap();
        assert_eq!(
            read_all(&mut rd),
            Ok(vec![Got::ApplicationData(b"after".to_vec())]),
            "{aead:?}"
        );
    }
}

/// Without `set_tls13` the reader keeps the TLS 1.2 rules: the CCS is
/// handed out.
#[test]
fn tls12_mode_hands_out_the_ccs() {
    let mut rd = RecordReader::new();
    feed_all(&mut rd, &plain_record(20, &[1]));
    assert_eq!(read_all(&mut rd), Ok(vec![Got::ChangeCipherSpec]));
}

/// A client that offered TLS 1.3 drops a compat CCS before the ServerHello
/// (RFC 8446 5: "at any time after the first ClientHello message has been
/// sent"), however many, and hands out the ServerHello after them; one that
/// is not the byte 1 is still refused.
#[test]
fn drops_a_compat_ccs_before_the_server_hello_once_tls13_is_offered() {
    let server_hello = handshake(2, 40);
    let mut wire = plain_record(20, &[1]);
    wire.extend(plain_record(20, &[1]));
    wire.extend(plain_record(22, &server_hello));
    let mut rd = RecordReader::new();
    rd.drop_compat_ccs_before_server_hello();
    feed_all(&mut rd, &wire);
    assert_eq!(
        read_all(&mut rd),
        Ok(vec![Got::Handshake(
            HandshakeType::ServerHello,
            server_hello
        )])
    );
    let mut rd = RecordReader::new();
    rd.drop_compat_ccs_before_server_hello();
    feed_all(&mut rd, &plain_record(20, &[2]));
    assert_eq!(
        rd.next_message().unwrap_err(),
        InvalidMessage::InvalidChangeCipherSpec.into()
    );
}

/// A ServerHello for TLS 1.2 ends the dropping (`end_compat_ccs`): TLS 1.2's
/// own ChangeCipherSpec is handed out again, in its place.
#[test]
fn hands_out_the_ccs_again_once_tls12_is_chosen() {
    let mut rd = RecordReader::new();
    rd.drop_compat_ccs_before_server_hello();
    rd.end_compat_ccs();
    feed_all(&mut rd, &plain_record(20, &[1]));
    assert_eq!(read_all(&mut rd), Ok(vec![Got::ChangeCipherSpec]));
}

/// RFC 8446 5.1: nothing may come between the records of a split handshake
/// message; TLS 1.2 lets an alert through there, TLS 1.3 does not. Under
/// keys the outer type is always application_data, so the inner type is
/// what is checked.
#[test]
fn rejects_a_record_between_the_parts_of_a_handshake_message() {
    let (sealer, opener) = keys(AeadAlgorithm::Aes128Gcm, 12);
    let mut wr = RecordWriter::new();
    wr.set_sealer(sealer);
    wr.set_max_fragment_len(50);
    let mut first_half = Vec::new();
    wr.write(ContentType::Handshake, &handshake(11, 96), &mut first_half)
        .unwrap();
    first_half.truncate(records(&first_half)[0].1.len() + HEADER_LEN);
    let mut wr_alert = RecordWriter::new();
    let (sealer, _) = keys(AeadAlgorithm::Aes128Gcm, 12);
    wr_alert.set_sealer(sealer);
    let mut wire = first_half;
    // The alert is sealed as the second record, sequence 1.
    let mut skipped = Vec::new();
    wr_alert
        .write(ContentType::ApplicationData, b"", &mut skipped)
        .unwrap();
    wr_alert
        .write_alert(
            AlertLevel::Warning,
            AlertDescription::UserCanceled,
            &mut wire,
        )
        .unwrap();
    let mut rd = keyed_reader(opener);
    feed_all(&mut rd, &wire);
    let err = rd.next_message().unwrap_err();
    assert_eq!(
        err,
        Error::UnexpectedMessage {
            expected: "the rest of a handshake message",
            got: Received::Record(ContentType::Alert),
        }
    );
    assert_eq!(err.alert(), Some(AlertDescription::UnexpectedMessage));
}
