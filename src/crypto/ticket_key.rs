//! One AEAD key for sealing session tickets (RFC 5077 4 recommends an
//! authenticated encryption of the session state; this is AES-256-GCM).
//!
//! A sealed ticket is `key_name(16) || nonce(12) || ciphertext || tag(16)`;
//! the key name lets the server pick the key (current or previous) that
//! sealed it.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use super::rand::fill_random;
use crate::error::Error;

/// Bytes of key name at the front of every ticket.
pub const TICKET_KEY_NAME_LEN: usize = 16;
const TAG_LEN: usize = 16;

/// A ticket-sealing key and its name.
pub struct TicketKey {
    name: [u8; TICKET_KEY_NAME_LEN],
    key: LessSafeKey,
}

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
        let mut secret = [0u8; 32];
        fill_random(&mut secret)?;
        let key =
            UnboundKey::new(&AES_256_GCM, &secret).map_err(|_| Error::Internal("ticket key"))?;
        secret.fill(0);
        Ok(Self {
            name,
            key: LessSafeKey::new(key),
        })
    }

    /// The key's name, as it appears at the front of its tickets.
    pub fn name(&self) -> &[u8; TICKET_KEY_NAME_LEN] {
        &self.name
    }

    /// Seals `plaintext` into a ticket. The key name is authenticated as
    /// additional data.
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        let mut ticket =
            Vec::with_capacity(TICKET_KEY_NAME_LEN + NONCE_LEN + plaintext.len() + TAG_LEN);
        ticket.extend_from_slice(&self.name);
        ticket.extend_from_slice(&nonce);
        let start = ticket.len();
        ticket.extend_from_slice(plaintext);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&self.name),
                &mut ticket[start..],
            )
            .map_err(|_| Error::Internal("ticket seal"))?;
        ticket.extend_from_slice(tag.as_ref());
        Ok(ticket)
    }

    /// Opens a ticket sealed by this key; `None` if it was not (wrong
    /// name, truncated, or tampered with).
    pub fn open(&self, ticket: &[u8]) -> Option<Vec<u8>> {
        let rest = ticket.strip_prefix(&self.name[..])?;
        if rest.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut sealed = sealed.to_vec();
        let plaintext = self
            .key
            .open_in_place(nonce, Aad::from(&self.name), &mut sealed)
            .ok()?;
        let len = plaintext.len();
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
        assert_eq!(key.open(&ticket).as_deref(), Some(&b"session state"[..]));
        for i in 0..ticket.len() {
            let mut bad = ticket.clone();
            bad[i] ^= 1;
            assert_eq!(key.open(&bad), None, "flipped byte {i}");
        }
        assert_eq!(key.open(&ticket[..ticket.len() - 1]), None);
        let other = TicketKey::generate().unwrap();
        assert_eq!(other.open(&ticket), None);
    }
}
