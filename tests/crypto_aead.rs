//! Record protection: round trips, tampering, the GCM explicit nonce, and
//! a cross-check against Python's `cryptography` package.

use std::process::Command;

use tlstate::crypto::{
    ALL_CIPHER_SUITES, AeadAlgorithm, KeyBlock, SupportedCipherSuite, new_record_protection,
};
use tlstate::enums::ContentType;
use tlstate::error::Error;
use tlstate::record::{HEADER_LEN, RecordOpener, RecordSealer};

const SEQS: [u64; 6] = [0, 1, 255, 1 << 32, u64::MAX - 1, u64::MAX];
const TYPES: [ContentType; 3] = [
    ContentType::Handshake,
    ContentType::ApplicationData,
    ContentType::Alert,
];

fn key_block(suite: &SupportedCipherSuite) -> KeyBlock {
    let master: [u8; 48] = core::array::from_fn(|i| i as u8);
    KeyBlock::derive(suite, &master, &[0x11; 32], &[0x22; 32])
}

struct Ends {
    client: (Box<dyn RecordSealer>, Box<dyn RecordOpener>),
    server: (Box<dyn RecordSealer>, Box<dyn RecordOpener>),
}

fn ends(suite: &SupportedCipherSuite) -> Ends {
    let kb = key_block(suite);
    Ends {
        client: new_record_protection(suite, &kb, true).expect("client keys"),
        server: new_record_protection(suite, &kb, false).expect("server keys"),
    }
}

/// Seals `plaintext` after `lead` bytes already in the buffer.
fn seal_at(
    sealer: &dyn RecordSealer,
    seq: u64,
    typ: ContentType,
    plaintext: &[u8],
    lead: usize,
) -> Vec<u8> {
    let mut buf = vec![0xee; lead];
    buf.extend_from_slice(&[typ.to_wire(), 3, 3, 0xff, 0xff]);
    buf.resize(buf.len() + sealer.prefix_len(), 0xaa);
    buf.extend_from_slice(plaintext);
    sealer.seal(seq, typ, &mut buf, lead).expect("seal");
    assert!(
        buf[..lead].iter().all(|b| *b == 0xee),
        "bytes before start untouched"
    );
    buf.split_off(lead)
}

fn seal(sealer: &dyn RecordSealer, seq: u64, typ: ContentType, plaintext: &[u8]) -> Vec<u8> {
    seal_at(sealer, seq, typ, plaintext, 0)
}

/// Opens a whole record (header + body) as the record layer would.
fn open(opener: &dyn RecordOpener, seq: u64, record: &[u8]) -> Result<Vec<u8>, Error> {
    let typ = ContentType::from_wire(record[0]);
    let version = u16::from_be_bytes([record[1], record[2]]);
    let mut body = record[HEADER_LEN..].to_vec();
    let (opened_typ, range) = opener.open(seq, typ, version, &mut body)?;
    assert_eq!(opened_typ, typ, "a TLS 1.2 opener returns the outer type");
    Ok(body[range].to_vec())
}

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

#[test]
fn round_trips_for_every_suite_seq_type_and_length() {
    for suite in ALL_CIPHER_SUITES {
        let e = ends(suite);
        for seq in SEQS {
            for typ in TYPES {
                for len in [0, 1, 15, 16, 17, 100, 1 << 14] {
                    let pt = plaintext(len);
                    let rec = seal_at(e.client.0.as_ref(), seq, typ, &pt, len % 3);
                    let body_len = usize::from(u16::from_be_bytes([rec[3], rec[4]]));
                    assert_eq!(body_len, rec.len() - HEADER_LEN);
                    assert_eq!(body_len, len + e.server.1.overhead());
                    assert_eq!(open(e.server.1.as_ref(), seq, &rec), Ok(pt.clone()));

                    let rec = seal(e.server.0.as_ref(), seq, typ, &pt);
                    assert_eq!(open(e.client.1.as_ref(), seq, &rec), Ok(pt));
                }
            }
        }
    }
}

#[test]
fn lengths_match_the_rfcs() {
    for suite in ALL_CIPHER_SUITES {
        let e = ends(suite);
        let (prefix, tag) = (e.client.0.prefix_len(), e.client.0.tag_len());
        match suite.aead {
            AeadAlgorithm::ChaCha20Poly1305 => assert_eq!(prefix, 0),
            _ => assert_eq!(prefix, 8),
        }
        assert_eq!(tag, 16);
        assert_eq!(e.client.1.overhead(), prefix + tag);
    }
}

#[test]
fn gcm_explicit_nonce_on_the_wire_is_the_sequence_number() {
    for suite in ALL_CIPHER_SUITES
        .iter()
        .filter(|s| s.aead != AeadAlgorithm::ChaCha20Poly1305)
    {
        let e = ends(suite);
        for seq in SEQS {
            let rec = seal(
                e.client.0.as_ref(),
                seq,
                ContentType::ApplicationData,
                b"hello",
            );
            assert_eq!(rec[HEADER_LEN..HEADER_LEN + 8], seq.to_be_bytes());
        }
    }
}

#[test]
fn a_direction_cannot_open_its_own_records() {
    for suite in ALL_CIPHER_SUITES {
        let e = ends(suite);
        let rec = seal(e.client.0.as_ref(), 0, ContentType::Handshake, b"finished");
        assert_eq!(
            open(e.client.1.as_ref(), 0, &rec),
            Err(Error::DecryptFailed)
        );
    }
}

#[test]
fn every_tampered_byte_fails() {
    for suite in ALL_CIPHER_SUITES {
        let e = ends(suite);
        let opener = e.server.1.as_ref();
        let seq = 0x0102_0304_0506_0708;
        let rec = seal(
            e.client.0.as_ref(),
            seq,
            ContentType::ApplicationData,
            &plaintext(40),
        );
        assert!(open(opener, seq, &rec).is_ok());

        // Every byte of the body (explicit nonce, ciphertext, tag) and the
        // type and version of the header, which are in the additional data.
        for i in (0..3).chain(HEADER_LEN..rec.len()) {
            for flip in [0x01, 0x80] {
                let mut bad = rec.clone();
                bad[i] ^= flip;
                assert_eq!(
                    open(opener, seq, &bad),
                    Err(Error::DecryptFailed),
                    "{:?} byte {i}",
                    suite.suite
                );
            }
        }
        // Another sequence number (replay, reordering).
        for other in [seq - 1, seq + 1, 0, u64::MAX] {
            assert_eq!(open(opener, other, &rec), Err(Error::DecryptFailed));
        }
        // Truncated or extended bodies (the length in the header).
        for cut in 1..rec.len() - HEADER_LEN {
            assert_eq!(
                open(opener, seq, &rec[..rec.len() - cut]),
                Err(Error::DecryptFailed)
            );
        }
        let mut longer = rec.clone();
        longer.push(0);
        assert_eq!(open(opener, seq, &longer), Err(Error::DecryptFailed));
    }
}

#[test]
fn bodies_shorter_than_prefix_and_tag_fail_without_panicking() {
    for suite in ALL_CIPHER_SUITES {
        let e = ends(suite);
        for len in 0..e.server.1.overhead() {
            let mut body = vec![0u8; len];
            let got = e
                .server
                .1
                .open(0, ContentType::ApplicationData, 0x0303, &mut body);
            assert_eq!(got, Err(Error::DecryptFailed), "len {len}");
        }
        // Exactly prefix + tag: an empty plaintext, but a wrong tag.
        let mut body = vec![0u8; e.server.1.overhead()];
        let got = e
            .server
            .1
            .open(0, ContentType::ApplicationData, 0x0303, &mut body);
        assert_eq!(got, Err(Error::DecryptFailed));
    }
}

#[test]
fn a_record_too_short_for_its_prefix_is_an_internal_error() {
    let e = ends(&ALL_CIPHER_SUITES[0]);
    let mut buf = vec![23, 3, 3, 0, 0, 1, 2];
    assert!(matches!(
        e.client
            .0
            .seal(0, ContentType::ApplicationData, &mut buf, 0),
        Err(Error::Internal(_))
    ));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const PY: &str = r#"
import sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
kind, key, nonce, aad, pt = sys.argv[1], *(bytes.fromhex(a) for a in sys.argv[2:])
cls = ChaCha20Poly1305 if kind == "chacha" else AESGCM
print(cls(key).encrypt(nonce, pt, aad).hex())
"#;

/// The record body computed by Python's `cryptography`, or `None` with a
/// printed reason when Python or the package is missing.
fn python_seal(kind: &str, key: &[u8], nonce: &[u8], aad: &[u8], pt: &[u8]) -> Option<String> {
    let out = match Command::new("python3")
        .args(["-c", PY, kind, &hex(key), &hex(nonce), &hex(aad), &hex(pt)])
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("skipping the cross-check: cannot run python3: {e}");
            return None;
        }
    };
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("ModuleNotFoundError") {
            eprintln!("skipping the cross-check: python3 has no `cryptography` package");
            return None;
        }
        panic!("python3 failed: {err}");
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn aad(seq: u64, typ: ContentType, len: usize) -> Vec<u8> {
    let mut aad = seq.to_be_bytes().to_vec();
    aad.push(typ.to_wire());
    aad.extend_from_slice(&[3, 3]);
    aad.extend_from_slice(&(len as u16).to_be_bytes());
    aad
}

#[test]
fn sealed_records_match_an_independent_implementation() {
    let seq = 0x0000_0001_0000_0002;
    let typ = ContentType::ApplicationData;
    let pt = plaintext(61);
    for suite in ALL_CIPHER_SUITES
        .iter()
        .filter(|s| s.hash == tlstate::crypto::HashAlgorithm::Sha256)
    {
        let kb = key_block(suite);
        let e = ends(suite);
        // client → server with the client write key
        let rec = seal(e.client.0.as_ref(), seq, typ, &pt);
        let (kind, nonce, body) = match suite.aead {
            AeadAlgorithm::ChaCha20Poly1305 => {
                let mut nonce = kb.client_write_iv().to_vec();
                for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
                    *n ^= s;
                }
                ("chacha", nonce, &rec[HEADER_LEN..])
            }
            _ => {
                let mut nonce = kb.client_write_iv().to_vec();
                nonce.extend_from_slice(&seq.to_be_bytes());
                ("gcm", nonce, &rec[HEADER_LEN + 8..])
            }
        };
        let Some(theirs) = python_seal(
            kind,
            kb.client_write_key(),
            &nonce,
            &aad(seq, typ, pt.len()),
            &pt,
        ) else {
            return;
        };
        assert_eq!(hex(body), theirs, "{:?}", suite.suite);
    }
}

#[test]
fn gcm_opener_uses_the_explicit_nonce_as_sent() {
    // RFC 5288 3: the explicit nonce is chosen by the sender; a peer that
    // does not use the sequence number must still be understood.
    let suite = ALL_CIPHER_SUITES
        .iter()
        .find(|s| s.aead == AeadAlgorithm::Aes128Gcm)
        .expect("AES-128-GCM suite");
    let kb = key_block(suite);
    let seq = 5;
    let typ = ContentType::Handshake;
    let pt = plaintext(20);
    let explicit = [9u8, 8, 7, 6, 5, 4, 3, 2];
    let mut nonce = kb.client_write_iv().to_vec();
    nonce.extend_from_slice(&explicit);
    let Some(theirs) = python_seal(
        "gcm",
        kb.client_write_key(),
        &nonce,
        &aad(seq, typ, pt.len()),
        &pt,
    ) else {
        return;
    };
    let mut body = explicit.to_vec();
    body.extend(
        (0..theirs.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&theirs[i..i + 2], 16).expect("hex")),
    );
    let e = ends(suite);
    let (_, range) = e.server.1.open(seq, typ, 0x0303, &mut body).expect("opens");
    assert_eq!(body[range], pt[..]);
}
