//! TLS 1.3 record protection (RFC 8446 5.2–5.3): the inner plaintext, the
//! per-record nonce and the record header as additional data.
//!
//! Every protected record goes on the wire as `application_data` with
//! `legacy_record_version` 0x0303; its true content type travels inside the
//! encryption, after the content and before any zero padding
//! (`TLSInnerPlaintext`). The nonce is the traffic IV XOR the record's
//! 64-bit sequence number, left-padded to the IV's length; the additional
//! data is the 5-byte header as sent.

use core::ops::Range;

use ring::aead::{Aad, LessSafeKey, NONCE_LEN, UnboundKey};
use zeroize::Zeroize;

use super::key_schedule::Secret;
use crate::crypto::aead::nonce::NonceBase;
use crate::crypto::aead::ring_algorithm;
use crate::crypto::suites::{AEAD_TAG_LEN, AeadAlgorithm};
use crate::enums::ContentType;
use crate::error::{Error, Received};
use crate::record::{HEADER_LEN, RecordOpener, RecordSealer};

/// The longest plaintext a TLS 1.3 record carries (RFC 8446 5.1).
pub const MAX_PLAINTEXT_LEN: usize = 1 << 14;

/// The longest `TLSInnerPlaintext` (content, type byte, padding) a record
/// may decrypt to: anything longer is `record_overflow` (RFC 8446 5.4).
pub const MAX_INNER_PLAINTEXT_LEN: usize = MAX_PLAINTEXT_LEN + 1;

/// The longest protected body, `2^14 + 256` (RFC 8446 5.2).
pub const MAX_CIPHERTEXT_LEN: usize = MAX_PLAINTEXT_LEN + 256;

/// One direction's key and IV, from its traffic secret (RFC 8446 7.3):
/// `HKDF-Expand-Label(secret, "key" | "iv", "", length)`.
pub struct TrafficKey {
    key: [u8; 32],
    key_len: usize,
    iv: [u8; NONCE_LEN],
}

impl TrafficKey {
    /// The key and IV `aead` needs, from `secret`.
    pub fn derive(aead: AeadAlgorithm, secret: &Secret) -> Result<Self, Error> {
        let mut out = Self {
            key: [0; 32],
            key_len: aead.key_len(),
            iv: [0; NONCE_LEN],
        };
        let key = out
            .key
            .get_mut(..aead.key_len())
            .ok_or(Error::Internal("AEAD key longer than 32 bytes"))?;
        // One HMAC key for both expansions.
        let expander = secret.expander();
        expander.expand_label(b"key", &[], key)?;
        expander.expand_label(b"iv", &[], &mut out.iv)?;
        Ok(out)
    }

    /// The key bytes.
    pub fn key(&self) -> &[u8] {
        &self.key[..self.key_len]
    }

    /// The IV bytes.
    pub fn iv(&self) -> &[u8; NONCE_LEN] {
        &self.iv
    }

    fn ring_key(&self, aead: AeadAlgorithm) -> Result<LessSafeKey, Error> {
        UnboundKey::new(ring_algorithm(aead), self.key())
            .map(LessSafeKey::new)
            .map_err(|_| Error::Internal("AEAD key does not fit the suite"))
    }
}

impl Drop for TrafficKey {
    fn drop(&mut self) {
        self.key.zeroize();
        self.iv.zeroize();
    }
}

/// The header of a protected record with a body of `body_len` bytes.
fn header(body_len: u16) -> [u8; HEADER_LEN] {
    let [hi, lo] = body_len.to_be_bytes();
    [ContentType::ApplicationData.to_wire(), 0x03, 0x03, hi, lo]
}

/// Seals TLS 1.3 records in place under one traffic key.
pub struct Tls13Sealer {
    key: LessSafeKey,
    iv: [u8; NONCE_LEN],
}

impl Tls13Sealer {
    /// A sealer for `aead` under `key`.
    pub fn new(aead: AeadAlgorithm, key: &TrafficKey) -> Result<Self, Error> {
        Ok(Self {
            key: key.ring_key(aead)?,
            iv: key.iv,
        })
    }
}

impl RecordSealer for Tls13Sealer {
    fn prefix_len(&self) -> usize {
        0
    }

    /// The content type byte and the tag. We never pad.
    fn tag_len(&self) -> usize {
        1 + AEAD_TAG_LEN
    }

    /// `typ` is the inner content type; the header becomes
    /// `application_data`, 0x0303, the protected length.
    fn seal(
        &self,
        seq: u64,
        typ: ContentType,
        record: &mut Vec<u8>,
        start: usize,
    ) -> Result<(), Error> {
        let plaintext_start = start + HEADER_LEN;
        let content_len = record
            .len()
            .checked_sub(plaintext_start)
            .filter(|len| *len <= MAX_PLAINTEXT_LEN)
            .ok_or(Error::Internal("TLS 1.3 record content out of range"))?;
        let body_len = u16::try_from(content_len + 1 + AEAD_TAG_LEN)
            .map_err(|_| Error::Internal("record body too long"))?;
        let header = header(body_len);
        record[start..plaintext_start].copy_from_slice(&header);
        record.push(typ.to_wire());
        let tag = self
            .key
            .seal_in_place_separate_tag(
                NonceBase::new(&self.iv)
                    .ok_or(Error::Internal("traffic IV length"))?
                    .nonce(seq),
                Aad::from(header),
                &mut record[plaintext_start..],
            )
            .map_err(|_| Error::Internal("AEAD sealing failed"))?;
        record.extend_from_slice(tag.as_ref());
        Ok(())
    }
}

impl Drop for Tls13Sealer {
    fn drop(&mut self) {
        self.iv.zeroize();
    }
}

/// Opens TLS 1.3 records in place under one traffic key.
pub struct Tls13Opener {
    key: LessSafeKey,
    iv: [u8; NONCE_LEN],
}

impl Tls13Opener {
    /// An opener for `aead` under `key`.
    pub fn new(aead: AeadAlgorithm, key: &TrafficKey) -> Result<Self, Error> {
        Ok(Self {
            key: key.ring_key(aead)?,
            iv: key.iv,
        })
    }
}

impl RecordOpener for Tls13Opener {
    /// Opens one record: `outer` and `version` from its header, `body` the
    /// protected body. Returns the inner content type and the range of
    /// `body` that holds the content (padding removed).
    ///
    /// - An outer type other than `application_data` is not a protected
    ///   record: [`Error::UnexpectedMessage`].
    /// - A body longer than 2^14 + 256, or an inner plaintext longer than
    ///   2^14 + 1: [`Error::RecordOverflow`] (RFC 8446 5.2, 5.4).
    /// - A body that fails authentication: [`Error::DecryptFailed`].
    /// - An inner plaintext of zeros only: [`Error::UnexpectedMessage`]
    ///   (RFC 8446 5.4).
    fn open(
        &self,
        seq: u64,
        outer: ContentType,
        version: u16,
        body: &mut [u8],
    ) -> Result<(ContentType, Range<usize>), Error> {
        if outer != ContentType::ApplicationData {
            return Err(Error::UnexpectedMessage {
                expected: "a protected (application_data) record",
                got: Received::Record(outer),
            });
        }
        if body.len() > MAX_CIPHERTEXT_LEN {
            return Err(Error::RecordOverflow {
                len: body.len(),
                limit: MAX_CIPHERTEXT_LEN,
            });
        }
        let body_len = u16::try_from(body.len()).map_err(|_| Error::DecryptFailed)?;
        let [hi, lo] = body_len.to_be_bytes();
        let [v0, v1] = version.to_be_bytes();
        let aad = [ContentType::ApplicationData.to_wire(), v0, v1, hi, lo];
        let inner_len = self
            .key
            .open_in_place(
                NonceBase::new(&self.iv)
                    .ok_or(Error::Internal("traffic IV length"))?
                    .nonce(seq),
                Aad::from(aad),
                body,
            )
            .map_err(|_| Error::DecryptFailed)?
            .len();
        if inner_len > MAX_INNER_PLAINTEXT_LEN {
            return Err(Error::RecordOverflow {
                len: inner_len,
                limit: MAX_INNER_PLAINTEXT_LEN,
            });
        }
        // The content type is the last non-zero byte; zeros after it are
        // padding.
        let type_at =
            body[..inner_len]
                .iter()
                .rposition(|b| *b != 0)
                .ok_or(Error::UnexpectedMessage {
                    expected: "a TLSInnerPlaintext with a content type",
                    got: Received::Record(ContentType::ApplicationData),
                })?;
        Ok((ContentType::from_wire(body[type_at]), 0..type_at))
    }

    /// The most a protected body exceeds its content without padding: the
    /// type byte and the tag.
    fn overhead(&self) -> usize {
        1 + AEAD_TAG_LEN
    }

    /// 2^14 + 256 (RFC 8446 5.2).
    fn max_body_len(&self) -> usize {
        MAX_CIPHERTEXT_LEN
    }
}

impl Drop for Tls13Opener {
    fn drop(&mut self) {
        self.iv.zeroize();
    }
}
