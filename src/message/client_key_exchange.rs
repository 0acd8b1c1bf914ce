//! ClientKeyExchange for ECDHE suites (RFC 8422 5.7).

use crate::codec::{Codec, LengthPrefix, Reader, encode_bytes};
use crate::error::InvalidMessage;
use crate::message::server_key_exchange::read_nonempty_point;

/// The client's ephemeral public key (`ClientECDiffieHellmanPublic`, always
/// explicit: this crate has no fixed-key ECDH).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientKeyExchange {
    /// The encoded public point (or X25519 key); never empty.
    pub public: Vec<u8>,
}

impl Codec for ClientKeyExchange {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_bytes(out, LengthPrefix::U8, &self.public);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            public: read_nonempty_point(r)?,
        })
    }
}
