//! Finished (RFC 5246 7.4.9).

use crate::codec::{Codec, Reader};
use crate::error::InvalidMessage;

/// The verify_data that proves both sides saw the same handshake.
///
/// Compare it in constant time (`subtle`), never `==`, when
/// checking a peer's Finished; `PartialEq` here is for tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finished {
    /// `PRF(master_secret, finished_label, Hash(handshake_messages))[0..11]`.
    pub verify_data: [u8; Finished::VERIFY_DATA_LEN],
}

impl Finished {
    /// The verify_data length of every TLS 1.2 suite this crate supports
    /// (RFC 5246 7.4.9; no suite of ours overrides it).
    pub const VERIFY_DATA_LEN: usize = 12;
}

impl Codec for Finished {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.verify_data);
    }

    /// Reads exactly twelve bytes; a longer body is then trailing data.
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let mut verify_data = [0u8; Self::VERIFY_DATA_LEN];
        verify_data.copy_from_slice(r.take(Self::VERIFY_DATA_LEN, "Finished")?);
        Ok(Self { verify_data })
    }
}
