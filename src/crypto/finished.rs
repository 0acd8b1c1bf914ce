//! Finished verify_data (RFC 5246 7.4.9), compared in constant time.

use subtle::ConstantTimeEq;

use super::prf::{MASTER_SECRET_LEN, prf};
use super::suites::HashAlgorithm;
use crate::error::{Error, PeerMisbehaved};

/// Length of verify_data in every TLS 1.2 suite here.
pub const VERIFY_DATA_LEN: usize = 12;

/// The label of the client's Finished.
pub const CLIENT_FINISHED: &str = "client finished";

/// The label of the server's Finished.
pub const SERVER_FINISHED: &str = "server finished";

/// `PRF(master_secret, label, handshake_hash)[0..12]`, where `label` is
/// [`CLIENT_FINISHED`] or [`SERVER_FINISHED`].
pub fn verify_data(
    hash: HashAlgorithm,
    master_secret: &[u8; MASTER_SECRET_LEN],
    label: &str,
    handshake_hash: &[u8],
) -> [u8; VERIFY_DATA_LEN] {
    let mut out = [0u8; VERIFY_DATA_LEN];
    prf(hash, master_secret, label, handshake_hash, &mut out);
    out
}

/// Proof that the peer's Finished was correct. Only [`verify_finished`]
/// and its TLS 1.3 counterpart make one.
#[must_use]
#[derive(Debug)]
pub struct FinishedVerified(());

impl FinishedVerified {
    /// Made only by the crypto module's Finished checks.
    pub(in crate::crypto) fn new() -> Self {
        Self(())
    }
}

/// Compares the peer's verify_data with the expected one in constant time.
/// A wrong value or length is [`PeerMisbehaved::IncorrectFinished`].
pub fn verify_finished(
    expected: &[u8; VERIFY_DATA_LEN],
    received: &[u8],
) -> Result<FinishedVerified, Error> {
    if received.len() != VERIFY_DATA_LEN {
        return Err(PeerMisbehaved::IncorrectFinished.into());
    }
    if !bool::from(expected[..].ct_eq(received)) {
        return Err(PeerMisbehaved::IncorrectFinished.into());
    }
    Ok(FinishedVerified(()))
}
