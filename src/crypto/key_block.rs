//! Key expansion (RFC 5246 6.3) into the AEAD keys and IVs.

use core::fmt;

use super::prf::{MASTER_SECRET_LEN, prf};
use super::suites::SupportedCipherSuite;
use super::wipe::wipe;

/// The largest key block: two 32-byte keys and two 12-byte IVs.
const MAX_KEY_BLOCK_LEN: usize = 2 * (32 + 12);

/// The write keys and IVs of both sides. AEAD suites have no MAC keys.
/// Zeroed when dropped.
pub struct KeyBlock {
    bytes: [u8; MAX_KEY_BLOCK_LEN],
    key_len: usize,
    iv_len: usize,
}

impl KeyBlock {
    /// Derives the key block:
    /// `PRF(master, "key expansion", server_random + client_random)`,
    /// split as client key, server key, client IV, server IV.
    pub fn derive(
        suite: &SupportedCipherSuite,
        master_secret: &[u8; MASTER_SECRET_LEN],
        client_random: &[u8; 32],
        server_random: &[u8; 32],
    ) -> Self {
        let mut seed = [0u8; 64];
        seed[..32].copy_from_slice(server_random);
        seed[32..].copy_from_slice(client_random);
        let mut block = Self {
            bytes: [0u8; MAX_KEY_BLOCK_LEN],
            key_len: suite.aead.key_len(),
            iv_len: suite.aead.fixed_iv_len(),
        };
        let len = suite.key_block_len();
        prf(
            suite.hash,
            master_secret,
            "key expansion",
            &seed,
            &mut block.bytes[..len],
        );
        block
    }

    /// The client's write key.
    pub fn client_write_key(&self) -> &[u8] {
        &self.bytes[..self.key_len]
    }

    /// The server's write key.
    pub fn server_write_key(&self) -> &[u8] {
        &self.bytes[self.key_len..2 * self.key_len]
    }

    /// The client's write IV (the GCM salt, or the ChaCha20-Poly1305 IV).
    pub fn client_write_iv(&self) -> &[u8] {
        let start = 2 * self.key_len;
        &self.bytes[start..start + self.iv_len]
    }

    /// The server's write IV (the GCM salt, or the ChaCha20-Poly1305 IV).
    pub fn server_write_iv(&self) -> &[u8] {
        let start = 2 * self.key_len + self.iv_len;
        &self.bytes[start..start + self.iv_len]
    }
}

impl super::wipe::ZeroizeOnDrop for KeyBlock {}

impl Drop for KeyBlock {
    fn drop(&mut self) {
        wipe(&mut self.bytes);
    }
}

impl fmt::Debug for KeyBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyBlock")
            .field("key_len", &self.key_len)
            .field("iv_len", &self.iv_len)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::suites::ALL_CIPHER_SUITES;

    #[test]
    fn parts_tile_the_prf_output() {
        let master = [7u8; 48];
        let (c, s) = ([1u8; 32], [2u8; 32]);
        for suite in ALL_CIPHER_SUITES {
            let kb = KeyBlock::derive(suite, &master, &c, &s);
            let mut seed = Vec::from(s);
            seed.extend_from_slice(&c);
            let mut want = vec![0u8; suite.key_block_len()];
            prf(suite.hash, &master, "key expansion", &seed, &mut want);
            let got = [
                kb.client_write_key(),
                kb.server_write_key(),
                kb.client_write_iv(),
                kb.server_write_iv(),
            ]
            .concat();
            assert_eq!(got, want, "{:?}", suite.suite);
        }
    }
}
