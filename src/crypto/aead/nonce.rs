//! Per-record nonces and additional data (RFC 5246 6.2.3.3).

use ring::aead::{Aad, NONCE_LEN, Nonce};

use crate::enums::ContentType;

/// The 12-byte base from which each record's nonce is made.
///
/// For AES-GCM (RFC 5288 3) the base is the 4-byte salt followed by zeros,
/// and the record's 8-byte explicit nonce fills the zeros; for
/// ChaCha20-Poly1305 (RFC 7905 2) the base is the 12-byte IV and the
/// sequence number is XORed into its last 8 bytes. Both are
/// `base XOR (0^32 || counter)`. TLS 1.3's per-record nonce (RFC 8446
/// 5.3) is the same with the 12-byte traffic IV as the base.
#[derive(Clone)]
pub(in crate::crypto) struct NonceBase([u8; NONCE_LEN]);

impl NonceBase {
    /// The base from a fixed IV of 4 (GCM salt) or 12 (ChaCha) bytes.
    pub(in crate::crypto) fn new(fixed_iv: &[u8]) -> Option<Self> {
        let mut base = [0u8; NONCE_LEN];
        base.get_mut(..fixed_iv.len())?.copy_from_slice(fixed_iv);
        Some(Self(base))
    }

    /// The nonce for `counter` (the explicit nonce for GCM, the sequence
    /// number for ChaCha20-Poly1305).
    pub(in crate::crypto) fn nonce(&self, counter: u64) -> Nonce {
        let mut n = self.0;
        for (b, c) in n[4..].iter_mut().zip(counter.to_be_bytes()) {
            *b ^= c;
        }
        Nonce::assume_unique_for_key(n)
    }
}

/// `seq_num + type + version + length` (RFC 5246 6.2.3.3), with `length`
/// the plaintext length.
pub(super) fn additional_data(
    seq: u64,
    typ: ContentType,
    version: [u8; 2],
    plaintext_len: u16,
) -> Aad<[u8; 13]> {
    let mut aad = [0u8; 13];
    aad[..8].copy_from_slice(&seq.to_be_bytes());
    aad[8] = typ.to_wire();
    aad[9..11].copy_from_slice(&version);
    aad[11..].copy_from_slice(&plaintext_len.to_be_bytes());
    Aad::from(aad)
}
