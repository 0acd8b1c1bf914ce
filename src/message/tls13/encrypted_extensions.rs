//! EncryptedExtensions (RFC 8446 4.3.1): the server's answers to the
//! extensions that do not shape the keys, sent under the handshake keys.

use crate::codec::{
    Codec, LengthPrefix, Reader, encode_bytes, encode_prefixed, read_bytes, read_prefixed,
};
use crate::enums::ExtensionType;
use crate::error::InvalidMessage;

use super::extensions::Extensions;

/// The server's EncryptedExtensions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncryptedExtensions {
    /// The extensions, in order.
    pub extensions: Extensions,
}

impl EncryptedExtensions {
    /// The protocol ALPN chose (RFC 7301 3.1: a list of exactly one name).
    pub fn alpn_protocol(&self) -> Result<Option<Vec<u8>>, InvalidMessage> {
        let Some(body) = self
            .extensions
            .get(ExtensionType::ApplicationLayerProtocolNegotiation)
        else {
            return Ok(None);
        };
        let mut r = Reader::new(body);
        let mut list = read_prefixed(&mut r, LengthPrefix::U16, "protocol_name_list")?;
        r.expect_empty("application_layer_protocol_negotiation")?;
        let name = read_bytes(&mut list, LengthPrefix::U8, "ProtocolName")?;
        list.expect_empty("protocol_name_list")?;
        if name.is_empty() {
            return Err(InvalidMessage::EmptyList("ProtocolName"));
        }
        Ok(Some(name))
    }

    /// Sets the ALPN answer to `protocol`.
    pub fn set_alpn_protocol(&mut self, protocol: &[u8]) {
        let mut body = Vec::with_capacity(protocol.len() + 3);
        encode_prefixed(&mut body, LengthPrefix::U16, |out| {
            encode_bytes(out, LengthPrefix::U8, protocol);
        });
        self.extensions
            .push(ExtensionType::ApplicationLayerProtocolNegotiation, body);
    }

    /// Whether the server acknowledged the client's server_name (an empty
    /// server_name, RFC 6066 3).
    pub fn server_name_acknowledged(&self) -> bool {
        self.extensions.get(ExtensionType::ServerName) == Some(&[][..])
    }

    /// Whether the server accepted 0-RTT (an empty early_data, RFC 8446
    /// 4.2.10).
    pub fn early_data_accepted(&self) -> bool {
        self.extensions.get(ExtensionType::EarlyData) == Some(&[][..])
    }
}

impl Codec for EncryptedExtensions {
    fn encode(&self, out: &mut Vec<u8>) {
        self.extensions.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            extensions: Extensions::read(r)?,
        })
    }
}
