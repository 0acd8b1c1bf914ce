//! Finished in TLS 1.3 (RFC 8446 4.4.4): `verify_data` is one hash long.

use crate::codec::{Codec, Reader};
use crate::crypto::tls13::MAX_HASH_LEN;
use crate::error::InvalidMessage;

/// A TLS 1.3 Finished: an HMAC as long as the suite's hash (32 or 48
/// bytes). Compare it in constant time (`crypto::tls13::verify_finished`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FinishedTls13 {
    bytes: [u8; MAX_HASH_LEN],
    len: usize,
}

impl FinishedTls13 {
    /// A Finished carrying `verify_data`; `None` if it is longer than any
    /// hash.
    pub fn new(verify_data: &[u8]) -> Option<Self> {
        let mut bytes = [0; MAX_HASH_LEN];
        bytes
            .get_mut(..verify_data.len())?
            .copy_from_slice(verify_data);
        Some(Self {
            bytes,
            len: verify_data.len(),
        })
    }

    /// The verify_data.
    pub fn verify_data(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl Codec for FinishedTls13 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.verify_data());
    }

    /// Takes the whole body; a length other than the suite's hash fails the
    /// constant-time comparison (decrypt_error), as a wrong value does. A
    /// body longer than any hash is `TrailingData`.
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let len = r.left().min(MAX_HASH_LEN);
        let data = r.take(len, "verify_data")?;
        r.expect_empty("Finished")?;
        Self::new(data).ok_or(InvalidMessage::TrailingData("Finished"))
    }
}
