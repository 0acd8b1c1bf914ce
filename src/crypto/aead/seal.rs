//! Sealing records in place.

use ring::aead::LessSafeKey;

use super::nonce::{NonceBase, additional_data};
use crate::crypto::suites::AEAD_TAG_LEN;
use crate::enums::ContentType;
use crate::error::Error;
use crate::record::{HEADER_LEN, RecordSealer};

/// Seals records with one direction's key: AES-GCM when
/// `explicit_nonce_len` is 8, ChaCha20-Poly1305 when it is 0.
pub(super) struct AeadSealer {
    pub(super) key: LessSafeKey,
    pub(super) base: NonceBase,
    pub(super) explicit_nonce_len: usize,
}

impl RecordSealer for AeadSealer {
    fn prefix_len(&self) -> usize {
        self.explicit_nonce_len
    }

    fn tag_len(&self) -> usize {
        AEAD_TAG_LEN
    }

    fn seal(
        &self,
        seq: u64,
        typ: ContentType,
        record: &mut Vec<u8>,
        start: usize,
    ) -> Result<(), Error> {
        let prefix = self.explicit_nonce_len;
        let plaintext_start = start + HEADER_LEN + prefix;
        let plaintext_len = record
            .len()
            .checked_sub(plaintext_start)
            .ok_or(Error::Internal("record shorter than its header and nonce"))?;
        const TOO_LONG: Error = Error::Internal("record body too long");
        let body_len =
            u16::try_from(prefix + plaintext_len + AEAD_TAG_LEN).map_err(|_| TOO_LONG)?;
        let plaintext_len = u16::try_from(plaintext_len).map_err(|_| TOO_LONG)?;

        let version = [record[start + 1], record[start + 2]];
        let aad = additional_data(seq, typ, version, plaintext_len);
        // The explicit nonce is the sequence number (RFC 5288 3 allows it,
        // and it is never reused under one key).
        let seq_bytes = seq.to_be_bytes();
        record[start + HEADER_LEN..plaintext_start].copy_from_slice(&seq_bytes[..prefix]);

        let tag = self
            .key
            .seal_in_place_separate_tag(self.base.nonce(seq), aad, &mut record[plaintext_start..])
            .map_err(|_| Error::Internal("AEAD sealing failed"))?;
        record.extend_from_slice(tag.as_ref());
        record[start + 3..start + HEADER_LEN].copy_from_slice(&body_len.to_be_bytes());
        Ok(())
    }
}
