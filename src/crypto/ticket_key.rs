//! One AEAD key for sealing session tickets (RFC 5077 4 recommends an
//! authenticated encryption of the session state; this is AES-256-GCM).
//!
//! A sealed ticket is `key_name(16) || nonce(12) || ciphertext || tag(16)`;
//! the key name lets the server pick the key (current or previous) that
//! sealed it.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use super::rand::fill_random;
use super::wipe::{ZeroizeOnDrop, Zeroizing};
use crate::error::Error;

/// Bytes of key name at the front of every ticket.
pub const TICKET_KEY_NAME_LEN: usize = 16;
const TAG_LEN: usize = 16;
const KEY_LEN: usize = 32;

/// A ticket-sealing key and its name.
///
/// The key is kept as its 32 bytes, zeroed when the `TicketKey` is
/// dropped (after a rotation retires it, or with its `Ticketer`), and
/// ring's AES key is made from them for each seal or open and dropped
/// right after: ring's key types do not zero themselves, so none of them
/// is kept for the key's whole life. (The cost is one AES-256 key
/// expansion per ticket, next to a handshake's public-key operations.)
pub struct TicketKey {
    name: [u8; TICKET_KEY_NAME_LEN],
    secret: Zeroizing<[u8; KEY_LEN]>,
}

impl ZeroizeOnDrop for TicketKey {}

impl core::fmt::Debug for TicketKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TicketKey")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl TicketKey {
    /// A fresh random key with a fresh random name.
    pub fn generate() -> Result<Self, Error> {
        let mut name = [0u8; TICKET_KEY_NAME_LEN];
        fill_random(&mut name)?;
        let mut secret = Zeroizing::new([0u8; KEY_LEN]);
        fill_random(&mut secret[..])?;
        // Checked once here, so `key` below cannot fail for a good key.
        UnboundKey::new(&AES_256_GCM, &secret[..]).map_err(|_| Error::Internal("ticket key"))?;
        Ok(Self { name, secret })
    }

    /// ring's key, for one operation.
    fn key(&self) -> Option<LessSafeKey> {
        UnboundKey::new(&AES_256_GCM, &self.secret[..])
            .ok()
            .map(LessSafeKey::new)
    }

    /// The key's name, as it appears at the front of its tickets.
    pub fn name(&self) -> &[u8; TICKET_KEY_NAME_LEN] {
        &self.name
    }

    /// Seals `plaintext` into a ticket. The key name is authenticated as
    /// additional data. The ticket is made in one buffer of its final
    /// size, so no copy of the plaintext is left in a freed block.
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let key = self.key().ok_or(Error::Internal("ticket key"))?;
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        let mut ticket =
            Vec::with_capacity(TICKET_KEY_NAME_LEN + NONCE_LEN + plaintext.len() + TAG_LEN);
        ticket.extend_from_slice(&self.name);
        ticket.extend_from_slice(&nonce);
        let start = ticket.len();
        ticket.extend_from_slice(plaintext);
        let sealed = key.seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&self.name),
            &mut ticket[start..],
        );
        match sealed {
            Ok(tag) => {
                ticket.extend_from_slice(tag.as_ref());
                Ok(ticket)
            }
            Err(_) => {
                // The buffer may still hold the plaintext.
                drop(Zeroizing::new(ticket));
                Err(Error::Internal("ticket seal"))
            }
        }
    }

    /// Opens a ticket sealed by this key; `None` if it was not (wrong
    /// name, truncated, or tampered with). The plaintext (a session's
    /// secrets) comes in a buffer zeroed when dropped.
    pub fn open(&self, ticket: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let rest = ticket.strip_prefix(&self.name[..])?;
        if rest.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let key = self.key()?;
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut sealed = Zeroizing::new(sealed.to_vec());
        let len = key
            .open_in_place(nonce, Aad::from(&self.name), &mut sealed)
            .ok()?
            .len();
        sealed.truncate(len);
        Some(sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_tampering() {
        let key = TicketKey::generate().unwrap();
        let ticket = key.seal(b"session state").unwrap();
        assert_eq!(
            key.open(&ticket).as_deref().map(Vec::as_slice),
            Some(&b"session state"[..])
        );
        for i in 0..ticket.len() {
            let mut bad = ticket.clone();
            bad[i] ^= 1;
            assert!(key.open(&bad).is_none(), "flipped byte {i}");
        }
        assert!(key.open(&ticket[..ticket.len() - 1]).is_none());
        let other = TicketKey::generate().unwrap();
        assert!(other.open(&ticket).is_none());
    }
}
