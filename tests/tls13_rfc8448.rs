//! Known-answer tests of the TLS 1.3 key schedule, record protection and
//! message codecs
//! against the trace of RFC 8448 section 3 (Simple 1-RTT Handshake,
//! TLS_AES_128_GCM_SHA256, x25519), kept in `tests/data/`.
//!
//! The trace's messages are hashed here, so a mistyped byte in the data
//! file fails the transcript hashes the trace logs, not just our output.

use std::collections::HashMap;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey};
use ring::digest::{SHA256, digest};
use tlstate::crypto::tls13::{
    EarlySecret, Secret, Tls13Opener, Tls13Sealer, TrafficKey, finished_verify_data, message_hash,
    next_traffic_secret, resumption_psk, verify_finished,
};
use tlstate::crypto::{AeadAlgorithm, HashAlgorithm};
use tlstate::enums::{AlertDescription, ContentType};
use tlstate::error::{Error, PeerMisbehaved, Received};
use tlstate::record::{Inbound, RecordOpener, RecordReader, RecordSealer};

fn trace() -> HashMap<String, Vec<u8>> {
    let text = include_str!("data/rfc8448_simple_1rtt.txt");
    let mut entries: HashMap<String, Vec<u8>> = HashMap::new();
    let mut current = None;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        if let Some(name) = line.strip_suffix(':') {
            current = Some(name.to_string());
            entries.insert(name.to_string(), Vec::new());
            continue;
        }
        let name = current.as_ref().expect("hex before a name");
        let bytes = entries.get_mut(name).expect("entry");
        for byte in line.split_whitespace() {
            bytes.push(u8::from_str_radix(byte, 16).expect("hex byte"));
        }
    }
    entries
}

fn hash_of(t: &HashMap<String, Vec<u8>>, messages: &[&str]) -> Vec<u8> {
    let mut all = Vec::new();
    for m in messages {
        all.extend_from_slice(&t[*m]);
    }
    digest(&SHA256, &all).as_ref().to_vec()
}

const HELLOS: &[&str] = &["client_hello", "server_hello"];
const TO_SERVER_CV: &[&str] = &[
    "client_hello",
    "server_hello",
    "encrypted_extensions",
    "certificate",
    "certificate_verify",
];
const TO_SERVER_FINISHED: &[&str] = &[
    "client_hello",
    "server_hello",
    "encrypted_extensions",
    "certificate",
    "certificate_verify",
    "server_finished",
];

/// Walks the schedule: handshake and application traffic secrets.
fn secrets(t: &HashMap<String, Vec<u8>>) -> (Secret, Secret, Secret, Secret) {
    let early = EarlySecret::new(HashAlgorithm::Sha256, None).unwrap();
    let handshake = early.into_handshake(&t["shared_secret"]).unwrap();
    let hs = handshake.traffic_secrets(&hash_of(t, HELLOS)).unwrap();
    let master = handshake.into_master().unwrap();
    let ap = master
        .traffic_secrets(&hash_of(t, TO_SERVER_FINISHED))
        .unwrap();
    (hs.client, hs.server, ap.client, ap.server)
}

#[test]
fn transcript_hashes_match_the_trace() {
    let t = trace();
    assert_eq!(hash_of(&t, HELLOS), t["hello_hash"]);
    assert_eq!(hash_of(&t, TO_SERVER_FINISHED), t["server_finished_hash"]);
}

#[test]
fn handshake_traffic_secrets_and_keys_match_the_trace() {
    let t = trace();
    let (client_hs, server_hs, _, _) = secrets(&t);
    assert_eq!(
        client_hs.as_bytes(),
        &t["client_handshake_traffic_secret"][..]
    );
    assert_eq!(
        server_hs.as_bytes(),
        &t["server_handshake_traffic_secret"][..]
    );
    let key = TrafficKey::derive(AeadAlgorithm::Aes128Gcm, &server_hs).unwrap();
    assert_eq!(key.key(), &t["server_handshake_key"][..]);
    assert_eq!(&key.iv()[..], &t["server_handshake_iv"][..]);
}

#[test]
fn application_traffic_secrets_match_the_trace() {
    let t = trace();
    let (_, _, client_ap, server_ap) = secrets(&t);
    assert_eq!(
        client_ap.as_bytes(),
        &t["client_application_traffic_secret"][..]
    );
    assert_eq!(
        server_ap.as_bytes(),
        &t["server_application_traffic_secret"][..]
    );
}

#[test]
fn finished_verify_data_matches_the_trace_and_is_checked() {
    let t = trace();
    let (client_hs, server_hs, _, _) = secrets(&t);
    let server = finished_verify_data(&server_hs, &hash_of(&t, TO_SERVER_CV)).unwrap();
    assert_eq!(server.as_ref(), &t["server_finished"][4..]);
    let to_finished = hash_of(&t, TO_SERVER_FINISHED);
    let client = finished_verify_data(&client_hs, &to_finished).unwrap();
    assert_eq!(client.as_ref(), &t["client_finished_verify_data"][..]);

    let _verified = verify_finished(&client_hs, &to_finished, client.as_ref()).unwrap();
    let mut wrong = client.as_ref().to_vec();
    wrong[31] ^= 1;
    for received in [&wrong[..], &client.as_ref()[..31], &[][..]] {
        assert!(matches!(
            verify_finished(&client_hs, &to_finished, received),
            Err(Error::PeerMisbehaved(PeerMisbehaved::IncorrectFinished))
        ));
    }
    // The server's secret does not make the client's Finished.
    assert!(verify_finished(&server_hs, &to_finished, client.as_ref()).is_err());
}

fn payload() -> Vec<u8> {
    (0u8..50).collect()
}

#[test]
fn opens_the_traces_application_records() {
    let t = trace();
    let (_, _, client_ap, server_ap) = secrets(&t);
    // The client's first application record is its sequence 0; the server
    // sent a NewSessionTicket first, so its record is sequence 1.
    for (secret, name, seq) in [
        (&client_ap, "client_application_record", 0),
        (&server_ap, "server_application_record", 1),
    ] {
        let key = TrafficKey::derive(AeadAlgorithm::Aes128Gcm, secret).unwrap();
        let opener = Tls13Opener::new(AeadAlgorithm::Aes128Gcm, &key).unwrap();
        let mut record = t[name].clone();
        let (typ, range) = opener
            .open(seq, ContentType::ApplicationData, 0x0303, &mut record[5..])
            .unwrap();
        assert_eq!(typ, ContentType::ApplicationData, "{name}");
        assert_eq!(&record[5..][range], &payload()[..], "{name}");

        // The wrong sequence number is a different nonce.
        let mut record = t[name].clone();
        assert!(matches!(
            opener.open(
                seq + 1,
                ContentType::ApplicationData,
                0x0303,
                &mut record[5..]
            ),
            Err(Error::DecryptFailed)
        ));
    }
}

#[test]
fn seals_the_traces_client_application_record() {
    let t = trace();
    let (_, _, client_ap, _) = secrets(&t);
    let key = TrafficKey::derive(AeadAlgorithm::Aes128Gcm, &client_ap).unwrap();
    let sealer = Tls13Sealer::new(AeadAlgorithm::Aes128Gcm, &key).unwrap();
    let mut record = vec![0u8; 5];
    record.extend_from_slice(&payload());
    sealer
        .seal(0, ContentType::ApplicationData, &mut record, 0)
        .unwrap();
    assert_eq!(record, t["client_application_record"]);
}

/// Seals `inner` as it stands (content, type, padding) with ring directly,
/// to make records our sealer never makes.
fn seal_raw(key: &TrafficKey, seq: u64, inner: &[u8]) -> Vec<u8> {
    let ring_key = LessSafeKey::new(UnboundKey::new(&ring::aead::AES_128_GCM, key.key()).unwrap());
    let mut nonce = *key.iv();
    for (b, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *b ^= s;
    }
    let len = u16::try_from(inner.len() + 16).unwrap().to_be_bytes();
    let header = [0x17, 0x03, 0x03, len[0], len[1]];
    let mut body = inner.to_vec();
    ring_key
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(header),
            &mut body,
        )
        .unwrap();
    body
}

fn opener_and_key() -> (Tls13Opener, TrafficKey) {
    let t = trace();
    let (_, _, client_ap, _) = secrets(&t);
    let key = TrafficKey::derive(AeadAlgorithm::Aes128Gcm, &client_ap).unwrap();
    let opener = Tls13Opener::new(AeadAlgorithm::Aes128Gcm, &key).unwrap();
    (opener, key)
}

#[test]
fn padding_is_removed_and_the_inner_type_read() {
    let (opener, key) = opener_and_key();
    let mut inner = b"alert".to_vec();
    inner.push(ContentType::Alert.to_wire());
    inner.extend_from_slice(&[0; 100]);
    let mut body = seal_raw(&key, 7, &inner);
    let (typ, range) = opener
        .open(7, ContentType::ApplicationData, 0x0303, &mut body)
        .unwrap();
    assert_eq!(typ, ContentType::Alert);
    assert_eq!(&body[range], b"alert");
}

#[test]
fn rejects_an_all_zero_inner_plaintext() {
    let (opener, key) = opener_and_key();
    for inner in [&[0u8; 0][..], &[0u8; 1][..], &[0u8; 300][..]] {
        let mut body = seal_raw(&key, 0, inner);
        let err = opener
            .open(0, ContentType::ApplicationData, 0x0303, &mut body)
            .unwrap_err();
        assert!(matches!(err, Error::UnexpectedMessage { .. }), "{err:?}");
        assert_eq!(
            err.alert(),
            Some(tlstate::enums::AlertDescription::UnexpectedMessage)
        );
    }
}

#[test]
fn rejects_an_inner_plaintext_over_two_to_the_fourteen_plus_one() {
    let (opener, key) = opener_and_key();
    let mut inner = vec![b'x'; (1 << 14) + 1];
    inner.push(ContentType::ApplicationData.to_wire());
    let mut body = seal_raw(&key, 0, &inner);
    let err = opener
        .open(0, ContentType::ApplicationData, 0x0303, &mut body)
        .unwrap_err();
    assert!(matches!(err, Error::RecordOverflow { .. }), "{err:?}");
    assert_eq!(
        err.alert(),
        Some(tlstate::enums::AlertDescription::RecordOverflow)
    );
    // 2^14 of content and its type byte is the most allowed.
    inner.remove(0);
    let mut body = seal_raw(&key, 0, &inner);
    let (_, range) = opener
        .open(0, ContentType::ApplicationData, 0x0303, &mut body)
        .unwrap();
    assert_eq!(range.len(), 1 << 14);
}

#[test]
fn rejects_a_protected_record_with_another_outer_type() {
    let (opener, key) = opener_and_key();
    let mut body = seal_raw(&key, 0, b"x\x17");
    let err = opener
        .open(0, ContentType::Handshake, 0x0303, &mut body)
        .unwrap_err();
    assert!(matches!(err, Error::UnexpectedMessage { .. }), "{err:?}");
}

#[test]
fn the_header_is_authenticated() {
    let (opener, key) = opener_and_key();
    let mut body = seal_raw(&key, 0, b"x\x17");
    // Another legacy_record_version in the header is other additional data.
    assert!(matches!(
        opener.open(0, ContentType::ApplicationData, 0x0301, &mut body),
        Err(Error::DecryptFailed)
    ));
}

/// A reader in TLS 1.3 mode under the client's application key.
fn client_app_reader() -> (RecordReader, TrafficKey) {
    let (opener, key) = opener_and_key();
    let mut rd = RecordReader::new();
    rd.set_tls13();
    rd.install_opener(Box::new(opener)).unwrap();
    (rd, key)
}

fn with_header(body: &[u8]) -> Vec<u8> {
    let mut record = vec![0x17, 0x03, 0x03];
    record.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    record.extend_from_slice(body);
    record
}

#[test]
fn record_reader_reads_the_traces_client_application_record() {
    let t = trace();
    let (mut rd, _) = client_app_reader();
    let record = &t["client_application_record"];
    assert_eq!(rd.feed(record), record.len());
    assert_eq!(
        rd.next_message(),
        Ok(Some(Inbound::ApplicationData(&payload())))
    );
    assert_eq!(rd.next_message(), Ok(None));
}

#[test]
fn record_reader_strips_padding_and_refuses_an_all_zero_inner_plaintext() {
    let (mut rd, key) = client_app_reader();
    let mut wire = with_header(&seal_raw(&key, 0, b"padded\x17\0\0\0\0"));
    wire.extend(with_header(&seal_raw(&key, 1, &[0; 20])));
    assert_eq!(rd.feed(&wire), wire.len());
    assert_eq!(
        rd.next_message(),
        Ok(Some(Inbound::ApplicationData(b"padded")))
    );
    let err = rd.next_message().unwrap_err();
    assert_eq!(
        err,
        Error::UnexpectedMessage {
            expected: "a TLSInnerPlaintext with a content type",
            got: Received::Record(ContentType::ApplicationData),
        }
    );
    assert_eq!(err.alert(), Some(AlertDescription::UnexpectedMessage));
}

#[test]
fn record_reader_refuses_an_unknown_inner_type() {
    for typ in [24u8, 0x99] {
        let (mut rd, key) = client_app_reader();
        let wire = with_header(&seal_raw(&key, 0, &[b'x', typ]));
        assert_eq!(rd.feed(&wire), wire.len());
        let err = rd.next_message().unwrap_err();
        assert_eq!(
            err,
            Error::UnexpectedMessage {
                expected: "a handshake, alert or application_data record",
                got: Received::Record(ContentType::from_wire(typ)),
            }
        );
        assert_eq!(err.alert(), Some(AlertDescription::UnexpectedMessage));
    }
}

/// `HKDF-Expand-Label` as `openssl kdf TLS13-KDF` computes it (OpenSSL
/// 3.0's own TLS 1.3 key derivation), for labels the trace does not show.
fn openssl_expand_label(
    hash: HashAlgorithm,
    secret: &[u8],
    label: &str,
    context: &[u8],
    len: usize,
) -> Vec<u8> {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let digest = match hash {
        HashAlgorithm::Sha256 => "SHA256",
        HashAlgorithm::Sha384 => "SHA384",
    };
    let out = std::process::Command::new("openssl")
        .args(["kdf", "-keylen", &len.to_string()])
        .args(["-kdfopt", &format!("digest:{digest}")])
        .args(["-kdfopt", "mode:EXPAND_ONLY"])
        .args(["-kdfopt", &format!("hexkey:{}", hex(secret))])
        .args(["-kdfopt", "prefix:tls13 "])
        .args(["-kdfopt", &format!("label:{label}")])
        .args(["-kdfopt", &format!("hexdata:{}", hex(context))])
        .arg("TLS13-KDF")
        .output()
        .expect("the openssl command line is needed (.ci/run installs it)");
    assert!(
        out.status.success(),
        "openssl kdf failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let digits: String = String::from_utf8(out.stdout)
        .unwrap()
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect();
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn key_update_and_resumption_labels_match_openssl() {
    let t = trace();
    let (_, _, client_ap, _) = secrets(&t);
    let next = next_traffic_secret(&client_ap).unwrap();
    let expected = openssl_expand_label(
        HashAlgorithm::Sha256,
        client_ap.as_bytes(),
        "traffic upd",
        &[],
        32,
    );
    assert_eq!(next.as_bytes(), &expected[..]);
    let psk = resumption_psk(&client_ap, &[0, 1]).unwrap();
    let expected = openssl_expand_label(
        HashAlgorithm::Sha256,
        client_ap.as_bytes(),
        "resumption",
        &[0, 1],
        32,
    );
    assert_eq!(psk.as_bytes(), &expected[..]);
}

#[test]
fn sha384_traffic_keys_match_openssl() {
    let secret: Vec<u8> = (0u8..48).collect();
    let secret = Secret::new(HashAlgorithm::Sha384, &secret).unwrap();
    let key = TrafficKey::derive(AeadAlgorithm::Aes256Gcm, &secret).unwrap();
    let hash = HashAlgorithm::Sha384;
    assert_eq!(
        key.key(),
        &openssl_expand_label(hash, secret.as_bytes(), "key", &[], 32)[..]
    );
    assert_eq!(
        &key.iv()[..],
        &openssl_expand_label(hash, secret.as_bytes(), "iv", &[], 12)[..]
    );
    let next = next_traffic_secret(&secret).unwrap();
    assert_eq!(
        next.as_bytes(),
        &openssl_expand_label(hash, secret.as_bytes(), "traffic upd", &[], 48)[..]
    );
    // A secret of the wrong length for its hash is refused.
    assert!(Secret::new(HashAlgorithm::Sha384, &[0; 32]).is_err());
}

#[test]
fn message_hash_stands_for_the_first_client_hello() {
    let t = trace();
    let ch_hash = hash_of(&t, &["client_hello"]);
    let (buf, len) = message_hash(HashAlgorithm::Sha256, &ch_hash).unwrap();
    assert_eq!(len, 36);
    assert_eq!(&buf[..4], &[254, 0, 0, 32]);
    assert_eq!(&buf[4..36], &ch_hash[..]);
    assert!(message_hash(HashAlgorithm::Sha384, &ch_hash).is_err());
}

mod messages {
    //! The trace's handshake messages decode through the TLS 1.3 decoder
    //! and encode back to the same bytes.

    use super::trace;
    use tlstate::codec::Codec;
    use tlstate::enums::{ExtensionType, HandshakeType, SignatureScheme};
    use tlstate::error::InvalidMessage;
    use tlstate::message::tls13::{
        EncryptedExtensions, KeyUpdateRequest, NewSessionTicketTls13, PayloadTls13,
    };

    fn round_trip(name: &str) -> PayloadTls13 {
        let t = trace();
        let bytes = &t[name];
        let payload = PayloadTls13::read_message(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut again = Vec::new();
        payload.encode(&mut again);
        assert_eq!(&again, bytes, "{name} re-encodes differently");
        payload
    }

    #[test]
    fn every_trace_message_round_trips() {
        for name in [
            "client_hello",
            "server_hello",
            "encrypted_extensions",
            "certificate",
            "certificate_verify",
            "server_finished",
        ] {
            round_trip(name);
        }
    }

    #[test]
    fn encrypted_extensions_of_the_trace() {
        let PayloadTls13::EncryptedExtensions(ee) = round_trip("encrypted_extensions") else {
            panic!("not EncryptedExtensions");
        };
        let types: Vec<ExtensionType> = ee.extensions.types().collect();
        assert_eq!(
            types,
            [
                ExtensionType::SupportedGroups,
                ExtensionType::Unknown(28), // record_size_limit
                ExtensionType::ServerName,
            ]
        );
        assert!(ee.server_name_acknowledged());
        assert!(!ee.early_data_accepted());
        assert_eq!(ee.alpn_protocol().unwrap(), None);
    }

    #[test]
    fn certificate_and_certificate_verify_of_the_trace() {
        let PayloadTls13::Certificate(cert) = round_trip("certificate") else {
            panic!("not Certificate");
        };
        assert!(cert.context.is_empty());
        assert_eq!(cert.entries.len(), 1);
        assert_eq!(cert.entries[0].cert.as_ref().len(), 0x1b0);
        assert!(cert.entries[0].extensions.0.is_empty());
        let PayloadTls13::CertificateVerify(cv) = round_trip("certificate_verify") else {
            panic!("not CertificateVerify");
        };
        assert_eq!(cv.scheme, SignatureScheme::RSA_PSS_SHA256);
        assert_eq!(cv.signature.len(), 128);
        let PayloadTls13::Finished(fin) = round_trip("server_finished") else {
            panic!("not Finished");
        };
        assert_eq!(fin.verify_data().len(), 32);
    }

    #[test]
    fn alpn_answer_round_trips() {
        let mut ee = EncryptedExtensions::default();
        ee.set_alpn_protocol(b"h2");
        let again = EncryptedExtensions::read_bytes(&ee.get_encoding()).unwrap();
        assert_eq!(again.alpn_protocol().unwrap(), Some(b"h2".to_vec()));
    }

    #[test]
    fn rejects_a_duplicate_extension() {
        // EncryptedExtensions with server_name twice.
        let body = [0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        assert_eq!(
            PayloadTls13::read_body(HandshakeType::EncryptedExtensions, &body),
            Err(InvalidMessage::DuplicateExtension(
                ExtensionType::ServerName
            ))
        );
    }

    #[test]
    fn rejects_an_alpn_answer_of_two_names() {
        let mut ee = EncryptedExtensions::default();
        // protocol_name_list with "a" and "b".
        ee.extensions.push(
            ExtensionType::ApplicationLayerProtocolNegotiation,
            vec![0, 4, 1, b'a', 1, b'b'],
        );
        assert_eq!(
            ee.alpn_protocol(),
            Err(InvalidMessage::TrailingData("protocol_name_list"))
        );
    }

    #[test]
    fn rejects_an_empty_ticket_and_reads_max_early_data() {
        let mut ticket = NewSessionTicketTls13 {
            lifetime: 7200,
            age_add: 1,
            nonce: vec![0],
            ticket: vec![1, 2, 3],
            extensions: Default::default(),
        };
        ticket
            .extensions
            .push(ExtensionType::EarlyData, 16384u32.to_be_bytes().to_vec());
        let again = NewSessionTicketTls13::read_bytes(&ticket.get_encoding()).unwrap();
        assert_eq!(again.max_early_data_size().unwrap(), Some(16384));
        ticket.ticket.clear();
        assert_eq!(
            NewSessionTicketTls13::read_bytes(&ticket.get_encoding()),
            Err(InvalidMessage::EmptyList("ticket"))
        );
    }

    #[test]
    fn key_update_values() {
        assert_eq!(
            PayloadTls13::read_body(HandshakeType::KeyUpdate, &[1]),
            Ok(PayloadTls13::KeyUpdate(KeyUpdateRequest::UpdateRequested))
        );
        // Another value decodes; the handshake answers illegal_parameter.
        assert_eq!(
            PayloadTls13::read_body(HandshakeType::KeyUpdate, &[2]),
            Ok(PayloadTls13::KeyUpdate(KeyUpdateRequest::Unknown(2)))
        );
        assert!(PayloadTls13::read_body(HandshakeType::KeyUpdate, &[1, 0]).is_err());
    }

    #[test]
    fn rejects_tls12_only_messages_and_overlong_finished() {
        for typ in [
            HandshakeType::ServerKeyExchange,
            HandshakeType::ServerHelloDone,
            HandshakeType::HelloRequest,
            HandshakeType::ClientKeyExchange,
        ] {
            assert_eq!(
                PayloadTls13::read_body(typ, &[]),
                Err(InvalidMessage::InvalidValue("HandshakeType")),
                "{typ}"
            );
        }
        assert_eq!(
            PayloadTls13::read_body(HandshakeType::Finished, &[0; 49]),
            Err(InvalidMessage::TrailingData("Finished"))
        );
    }
}
