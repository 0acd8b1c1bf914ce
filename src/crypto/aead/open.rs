//! Opening records in place.

use core::ops::Range;

use ring::aead::LessSafeKey;

use super::nonce::{NonceBase, additional_data};
use crate::crypto::suites::AEAD_TAG_LEN;
use crate::enums::ContentType;
use crate::error::Error;
use crate::record::RecordOpener;

/// Opens records with one direction's key: AES-GCM when
/// `explicit_nonce_len` is 8, ChaCha20-Poly1305 when it is 0.
pub(super) struct AeadOpener {
    pub(super) key: LessSafeKey,
    pub(super) base: NonceBase,
    pub(super) explicit_nonce_len: usize,
}

impl RecordOpener for AeadOpener {
    fn open(
        &self,
        seq: u64,
        typ: ContentType,
        version: u16,
        body: &mut [u8],
    ) -> Result<(ContentType, Range<usize>), Error> {
        let prefix = self.explicit_nonce_len;
        let plaintext_len = body
            .len()
            .checked_sub(prefix + AEAD_TAG_LEN)
            .ok_or(Error::DecryptFailed)?;
        let aad_len = u16::try_from(plaintext_len).map_err(|_| Error::DecryptFailed)?;

        // GCM takes the explicit nonce as sent; ChaCha uses the sequence.
        let counter = match body.get(..prefix).and_then(|n| <[u8; 8]>::try_from(n).ok()) {
            Some(explicit) => u64::from_be_bytes(explicit),
            None => seq,
        };
        let aad = additional_data(seq, typ, version.to_be_bytes(), aad_len);
        self.key
            .open_in_place(self.base.nonce(counter), aad, &mut body[prefix..])
            .map_err(|_| Error::DecryptFailed)?;
        Ok((typ, prefix..prefix + plaintext_len))
    }

    fn overhead(&self) -> usize {
        self.explicit_nonce_len + AEAD_TAG_LEN
    }

    /// 2^14 + 2048 (RFC 5246 6.2.3).
    fn max_body_len(&self) -> usize {
        crate::record::MAX_CIPHERTEXT_LEN
    }
}
