//! Ephemeral ECDH key exchange (RFC 8422 5.10, RFC 7748 6.1).
//!
//! The private key is consumed by [`EphemeralKeyExchange::complete`], so
//! one key can never be used for two agreements.

use core::fmt;

use ring::agreement;
use ring::rand::SystemRandom;

use super::wipe::wipe;
use crate::enums::NamedGroup;
use crate::error::{Error, PeerMisbehaved};

/// Our half of one ECDHE exchange: a fresh private key and its public key.
pub struct EphemeralKeyExchange {
    group: NamedGroup,
    private: agreement::EphemeralPrivateKey,
    public: agreement::PublicKey,
}

fn algorithm(group: NamedGroup) -> Option<&'static agreement::Algorithm> {
    match group {
        NamedGroup::X25519 => Some(&agreement::X25519),
        NamedGroup::secp256r1 => Some(&agreement::ECDH_P256),
        NamedGroup::secp384r1 => Some(&agreement::ECDH_P384),
        _ => None,
    }
}

impl EphemeralKeyExchange {
    /// Generates a fresh key pair over `group`. A group we do not support
    /// is an illegal parameter: we never offer one, so only a peer can
    /// choose it.
    pub fn generate(group: NamedGroup) -> Result<Self, Error> {
        let alg = algorithm(group).ok_or(PeerMisbehaved::IllegalParameter(
            "an unsupported ECDHE group",
        ))?;
        let rng = SystemRandom::new();
        let private = agreement::EphemeralPrivateKey::generate(alg, &rng)
            .map_err(|_| Error::Internal("ECDHE key generation failed"))?;
        let public = private
            .compute_public_key()
            .map_err(|_| Error::Internal("ECDHE public key computation failed"))?;
        Ok(Self {
            group,
            private,
            public,
        })
    }

    /// The group of this exchange.
    pub fn group(&self) -> NamedGroup {
        self.group
    }

    /// Our public key as sent on the wire: an uncompressed point for P-256
    /// and P-384, 32 bytes for x25519.
    pub fn public_key(&self) -> &[u8] {
        self.public.as_ref()
    }

    /// Completes the exchange with the peer's public key, consuming our
    /// private key. A malformed or invalid peer key (including an empty
    /// one, or an x25519 key giving the all-zero secret) is an illegal
    /// parameter.
    pub fn complete(self, peer_public: &[u8]) -> Result<PremasterSecret, Error> {
        let alg = self.private.algorithm();
        let peer = agreement::UnparsedPublicKey::new(alg, peer_public);
        agreement::agree_ephemeral(self.private, &peer, PremasterSecret::new)
            .map_err(|_| PeerMisbehaved::IllegalParameter("an invalid ECDHE public key").into())
    }
}

impl fmt::Debug for EphemeralKeyExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EphemeralKeyExchange")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

/// The longest shared secret of the groups we support (P-384's x
/// coordinate).
const MAX_SECRET_LEN: usize = 48;

/// The ECDHE shared secret, the premaster secret of RFC 8422 5.10.
/// Held inline (no allocation) and zeroed when dropped.
pub struct PremasterSecret {
    bytes: [u8; MAX_SECRET_LEN],
    len: usize,
}

impl PremasterSecret {
    /// Copies ring's shared secret, which is at most `MAX_SECRET_LEN`
    /// bytes for every group `algorithm` knows.
    fn new(secret: &[u8]) -> Self {
        debug_assert!(secret.len() <= MAX_SECRET_LEN, "a longer ECDH secret");
        let len = secret.len().min(MAX_SECRET_LEN);
        let mut bytes = [0u8; MAX_SECRET_LEN];
        bytes[..len].copy_from_slice(&secret[..len]);
        Self { bytes, len }
    }

    /// The secret's bytes, to feed the PRF.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl super::wipe::ZeroizeOnDrop for PremasterSecret {}

impl Drop for PremasterSecret {
    fn drop(&mut self) {
        wipe(&mut self.bytes);
    }
}

impl fmt::Debug for PremasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PremasterSecret(..)")
    }
}
