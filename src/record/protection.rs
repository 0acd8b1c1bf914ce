//! The seam for record protection.
//!
//! The record layer seals and opens through these two traits and never
//! knows whether records are encrypted: before ChangeCipherSpec it holds
//! [`NullProtection`], after it the AEAD sealer/opener from `crate::crypto`.
//! Sequence numbers are kept by the record layer and passed in.

use crate::enums::ContentType;
use crate::error::Error;

/// Length of a record header: type(1) version(2) length(2).
pub const HEADER_LEN: usize = 5;

/// Seals outgoing records in place.
pub trait RecordSealer: Send + Sync {
    /// Bytes the sealer writes between the header and the plaintext
    /// (the explicit nonce for AES-GCM, RFC 5288 3; zero otherwise).
    fn prefix_len(&self) -> usize;

    /// Bytes the sealer appends after the plaintext (the AEAD tag).
    fn tag_len(&self) -> usize;

    /// Seals one record in place.
    ///
    /// On entry `record[start..]` is a 5-byte header (its length field is
    /// ignored), then `prefix_len()` bytes of any value, then the plaintext.
    /// On return the prefix is filled, the plaintext is replaced by its
    /// ciphertext, the tag is appended, and the header's length is the
    /// length of the protected body.
    fn seal(
        &self,
        seq: u64,
        typ: ContentType,
        record: &mut Vec<u8>,
        start: usize,
    ) -> Result<(), Error>;
}

/// Opens incoming records in place.
pub trait RecordOpener: Send + Sync {
    /// Opens one record body in place and returns the record's content type
    /// and the range of `body` that holds its content. `typ` and `version`
    /// are from the record header; AEADs authenticate them. A body that
    /// fails authentication is `Error::DecryptFailed` (bad_record_mac).
    ///
    /// A TLS 1.2 opener returns `typ` itself; a TLS 1.3 opener the inner
    /// content type (RFC 8446 5.2: the outer one is always
    /// application_data), with the type byte and padding outside the range.
    /// The reader dispatches on the type returned.
    fn open(
        &self,
        seq: u64,
        typ: ContentType,
        version: u16,
        body: &mut [u8],
    ) -> Result<(ContentType, core::ops::Range<usize>), Error>;

    /// The most a protected body can exceed its plaintext (prefix + tag),
    /// without padding.
    fn overhead(&self) -> usize;

    /// The longest record body this opener accepts: a longer one is
    /// `record_overflow`, checked by the reader from the header, before the
    /// body is buffered or opened. 2^14 without protection, 2^14 + 2048
    /// for TLS 1.2 (RFC 5246 6.2.3), 2^14 + 256 for TLS 1.3 (RFC 8446 5.2).
    /// The reader never accepts more than 2^14 + 2048, whatever this says.
    fn max_body_len(&self) -> usize;
}

/// The protection before the first ChangeCipherSpec: none.
#[derive(Clone, Copy, Debug, Default)]
pub struct NullProtection;

impl RecordSealer for NullProtection {
    fn prefix_len(&self) -> usize {
        0
    }

    fn tag_len(&self) -> usize {
        0
    }

    fn seal(
        &self,
        _seq: u64,
        _typ: ContentType,
        record: &mut Vec<u8>,
        start: usize,
    ) -> Result<(), Error> {
        let body_len = record.len() - start - HEADER_LEN;
        let len = u16::try_from(body_len).map_err(|_| Error::Internal("record body too long"))?;
        record[start + 3..start + 5].copy_from_slice(&len.to_be_bytes());
        Ok(())
    }
}

impl RecordOpener for NullProtection {
    fn open(
        &self,
        _seq: u64,
        typ: ContentType,
        _version: u16,
        body: &mut [u8],
    ) -> Result<(ContentType, core::ops::Range<usize>), Error> {
        Ok((typ, 0..body.len()))
    }

    fn overhead(&self) -> usize {
        0
    }

    fn max_body_len(&self) -> usize {
        super::header::MAX_PLAINTEXT_LEN
    }
}
