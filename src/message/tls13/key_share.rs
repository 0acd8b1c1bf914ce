//! KeyShareEntry (RFC 8446 4.2.8): a group and a public key, the unit of
//! the key_share extension in ClientHello (a list) and ServerHello (one).

use crate::codec::{Codec, LengthPrefix, Reader, encode_bytes, read_bytes};
use crate::enums::NamedGroup;
use crate::error::InvalidMessage;

/// One offered or chosen key share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyShareEntry {
    /// The share's group.
    pub group: NamedGroup,
    /// The public value, encoded as the group defines (RFC 8446 4.2.8.2).
    pub key_exchange: Vec<u8>,
}

impl Codec for KeyShareEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        self.group.encode(out);
        encode_bytes(out, LengthPrefix::U16, &self.key_exchange);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let group = NamedGroup::read(r)?;
        // `opaque key_exchange<1..2^16-1>`
        let key_exchange = read_bytes(r, LengthPrefix::U16, "key_exchange")?;
        if key_exchange.is_empty() {
            return Err(InvalidMessage::EmptyList("key_exchange"));
        }
        Ok(Self {
            group,
            key_exchange,
        })
    }
}
