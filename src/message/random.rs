//! The hello random and the session id (RFC 5246 7.4.1.2), and the values
//! TLS 1.3 gives a ServerHello's random (RFC 8446 4.1.3).

use crate::codec::{Codec, Reader};
use crate::error::InvalidMessage;

/// The 32 random bytes each hello carries; both feed the key schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Random(pub [u8; 32]);

impl Random {
    /// The length of a random on the wire.
    pub const LEN: usize = 32;

    /// The random of a HelloRetryRequest: SHA-256 of "HelloRetryRequest"
    /// (RFC 8446 4.1.3). A ServerHello with this random is a
    /// HelloRetryRequest.
    pub const HELLO_RETRY_REQUEST: Self = Self([
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8,
        0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
        0x33, 0x9c,
    ]);

    /// The last 8 bytes of the random of a TLS 1.3-capable server that
    /// negotiates TLS 1.2: "DOWNGRD" and 01 (RFC 8446 4.1.3).
    pub const DOWNGRADE_TLS12: [u8; 8] = *b"DOWNGRD\x01";

    /// The last 8 bytes of the random of a TLS 1.3-capable server that
    /// negotiates TLS 1.1 or below: "DOWNGRD" and 00 (RFC 8446 4.1.3).
    pub const DOWNGRADE_TLS11: [u8; 8] = *b"DOWNGRD\x00";

    /// Which downgrade sentinel ends this (server) random, if any. A TLS
    /// 1.3 client that negotiated an older version and finds one must abort
    /// (RFC 8446 4.1.3); a 1.2 client may check it too.
    pub fn downgrade_sentinel(&self) -> Option<DowngradeSentinel> {
        let tail = &self.0[Self::LEN - 8..];
        if tail == Self::DOWNGRADE_TLS12 {
            Some(DowngradeSentinel::Tls12)
        } else if tail == Self::DOWNGRADE_TLS11 {
            Some(DowngradeSentinel::Tls11OrBelow)
        } else {
            None
        }
    }
}

/// The version a downgrade sentinel in a ServerHello random says the
/// server negotiated although it supports TLS 1.3 (RFC 8446 4.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DowngradeSentinel {
    /// "DOWNGRD" 01: the server negotiated TLS 1.2.
    Tls12,
    /// "DOWNGRD" 00: the server negotiated TLS 1.1 or below.
    Tls11OrBelow,
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
