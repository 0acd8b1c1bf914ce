//! The hello random and the session id (RFC 5246 7.4.1.2).

use crate::codec::{Codec, Reader};
use crate::error::InvalidMessage;

/// The 32 random bytes each hello carries; both feed the key schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Random(pub [u8; 32]);

impl Random {
    /// The length of a random on the wire.
    pub const LEN: usize = 32;
}

impl Codec for Random {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let mut bytes = [0u8; Self::LEN];
        bytes.copy_from_slice(r.take(Self::LEN, "Random")?);
        Ok(Self(bytes))
    }
}

/// A session id: `opaque SessionID<0..32>`.
///
/// Stored inline, so it is `Copy` and a too-long id cannot be built.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SessionId {
    len: u8,
    bytes: [u8; SessionId::MAX_LEN],
}

impl SessionId {
    /// The longest session id the RFC allows.
    pub const MAX_LEN: usize = 32;

    /// The empty session id: no session offered or none to resume.
    pub const EMPTY: Self = Self {
        len: 0,
        bytes: [0; Self::MAX_LEN],
    };

    /// A session id holding `bytes`, or `None` if it is longer than
    /// [`Self::MAX_LEN`].
    pub fn new(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > Self::MAX_LEN {
            return None;
        }
        let mut id = Self::EMPTY;
        id.bytes[..bytes.len()].copy_from_slice(bytes);
        id.len = bytes.len() as u8;
        Some(id)
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Whether the id is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Default for SessionId {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl core::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SessionId(")?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

impl Codec for SessionId {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.len);
        out.extend_from_slice(self.as_bytes());
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let len = u8::read(r).map_err(|_| InvalidMessage::MissingData("SessionId"))?;
        let bytes = r.take(usize::from(len), "SessionId")?;
        Self::new(bytes).ok_or(InvalidMessage::InvalidValue("session_id length"))
    }
}
