//! Opening and sealing TLS 1.3 records under a side's real keys, for the
//! tests that change what a peer sent: the secrets come from the side's
//! key log, and a changed message is sealed again at its own sequence
//! number, so the receiver's AEAD passes and the check under test is the
//! only one that can fail (a flipped ciphertext byte would only test the
//! AEAD).

use std::collections::HashMap;
use std::sync::Mutex;

use tlstate::crypto::tls13::{Secret, Tls13CipherSuite};
use tlstate::enums::ContentType;
use tlstate::keylog::KeyLog;
use tlstate::message::tls13::PayloadTls13;
use tlstate::record::{RecordOpener, RecordSealer};

/// The secrets one or more sides logged, by label (the client's and the
/// server's labels differ, so both sides may log into one).
#[derive(Debug, Default)]
pub struct Logged(Mutex<HashMap<String, Vec<u8>>>);

impl KeyLog for Logged {
    fn log(&self, label: &str, _client_random: &[u8; 32], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .insert(label.to_owned(), secret.to_vec());
    }
}

impl Logged {
    /// The secret logged under `label`, if it was.
    pub fn try_secret(&self, suite: &Tls13CipherSuite, label: &str) -> Option<Secret> {
        let logged = self.0.lock().unwrap();
        Some(Secret::new(suite.hash, logged.get(label)?).unwrap())
    }

    /// The secret logged under `label`; the test fails if it was not.
    pub fn secret(&self, suite: &Tls13CipherSuite, label: &str) -> Secret {
        self.try_secret(suite, label)
            .unwrap_or_else(|| panic!("{label} was not logged"))
    }
}

/// The records of `wire`, each whole (the test fails on a partial one).
pub fn records(mut wire: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !wire.is_empty() {
        assert!(wire.len() >= 5, "a partial record header");
        let len = 5 + usize::from(u16::from_be_bytes([wire[3], wire[4]]));
        assert!(wire.len() >= len, "a partial record");
        out.push(wire[..len].to_vec());
        wire = &wire[len..];
    }
    out
}

/// The whole handshake messages in `bytes` (one or more), decoded.
pub fn messages(mut bytes: &[u8]) -> Vec<PayloadTls13> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let len =
            4 + (usize::from(bytes[1]) << 16 | usize::from(bytes[2]) << 8 | usize::from(bytes[3]));
        out.push(PayloadTls13::read_message(&bytes[..len]).unwrap());
        bytes = &bytes[len..];
    }
    out
}

/// The inner content type and content of the protected record `record`,
/// number `seq` under `secret`, or `None` if it does not open there.
pub fn try_open(
    record: &[u8],
    secret: &Secret,
    suite: &Tls13CipherSuite,
    seq: u64,
) -> Option<(ContentType, Vec<u8>)> {
    let mut body = record.get(5..)?.to_vec();
    let (typ, range) = suite
        .opener(secret)
        .unwrap()
        .open(seq, ContentType::ApplicationData, 0x0303, &mut body)
        .ok()?;
    Some((typ, body[range].to_vec()))
}

/// As [`try_open`]; the test fails if the record does not open.
pub fn open(
    record: &[u8],
    secret: &Secret,
    suite: &Tls13CipherSuite,
    seq: u64,
) -> (ContentType, Vec<u8>) {
    try_open(record, secret, suite, seq)
        .unwrap_or_else(|| panic!("the record does not open at {seq}"))
}

/// `content` of inner type `typ`, sealed as record number `seq` under
/// `secret`.
pub fn seal(
    content: &[u8],
    typ: ContentType,
    secret: &Secret,
    suite: &Tls13CipherSuite,
    seq: u64,
) -> Vec<u8> {
    let mut record = vec![0; 5];
    record.extend_from_slice(content);
    suite
        .sealer(secret)
        .unwrap()
        .seal(seq, typ, &mut record, 0)
        .unwrap();
    record
}

/// The encoding of `messages`, one after the other.
pub fn encode(messages: &[PayloadTls13]) -> Vec<u8> {
    let mut out = Vec::new();
    for message in messages {
        message.encode(&mut out);
    }
    out
}
