//! Overwriting secrets before their memory is freed, with the `zeroize`
//! crate: its writes are volatile, so the compiler cannot drop them as
//! dead stores (a plain `fill(0)` before a free may be removed).

use core::fmt;

use subtle::ConstantTimeEq;
pub(crate) use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::MASTER_SECRET_LEN;

/// Sets every byte of `secret` to zero.
pub(crate) fn wipe(secret: &mut [u8]) {
    secret.zeroize();
}

/// A master secret (RFC 5246 8.1), zeroed when dropped.
///
/// The 48 bytes live in a heap block of their own: moving a
/// `MasterSecret` (or a `SessionState`, a `ClientSession`, a handshake
/// that holds one) moves a pointer, so no stray copy of the secret is left
/// in an old stack slot or a freed block for the zeroing to miss. Each
/// clone is its own block, zeroed with it. Equality is constant-time; the
/// secret is never printed.
#[derive(Clone)]
pub struct MasterSecret(Box<Zeroizing<[u8; MASTER_SECRET_LEN]>>);

impl MasterSecret {
    /// A master secret with these bytes.
    pub fn new(bytes: [u8; MASTER_SECRET_LEN]) -> Self {
        let mut secret = Self::zeroed();
        secret.as_mut().copy_from_slice(&bytes);
        secret
    }

    /// All zeroes, to be filled in place (`as_mut`).
    pub(crate) fn zeroed() -> Self {
        Self(Box::new(Zeroizing::new([0; MASTER_SECRET_LEN])))
    }

    /// The bytes of `slice`, copied straight into the secret's own block;
    /// `None` unless it is 48 bytes long.
    pub fn from_slice(slice: &[u8]) -> Option<Self> {
        if slice.len() != MASTER_SECRET_LEN {
            return None;
        }
        let mut secret = Self::zeroed();
        secret.as_mut().copy_from_slice(slice);
        Some(secret)
    }

    /// The secret's bytes.
    pub fn as_bytes(&self) -> &[u8; MASTER_SECRET_LEN] {
        &self.0
    }

    pub(crate) fn as_mut(&mut self) -> &mut [u8; MASTER_SECRET_LEN] {
        &mut self.0
    }
}

impl From<[u8; MASTER_SECRET_LEN]> for MasterSecret {
    fn from(bytes: [u8; MASTER_SECRET_LEN]) -> Self {
        Self::new(bytes)
    }
}

impl PartialEq for MasterSecret {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes().ct_eq(other.as_bytes()).into()
    }
}

impl Eq for MasterSecret {}

impl ZeroizeOnDrop for MasterSecret {}

impl fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterSecret(..)")
    }
}
