//! NewSessionTicket in TLS 1.3 (RFC 8446 4.6.1).

use crate::codec::{Codec, LengthPrefix, Reader, encode_bytes, read_bytes};
use crate::enums::ExtensionType;
use crate::error::InvalidMessage;

use super::extensions::Extensions;

/// A ticket the server issues after the handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicketTls13 {
    /// Seconds the ticket may be used; at most 7 days (604800).
    pub lifetime: u32,
    /// Added to the ticket's age in the client's obfuscated_ticket_age.
    pub age_add: u32,
    /// Distinguishes the tickets of one connection (the PSK's context).
    pub nonce: Vec<u8>,
    /// The opaque ticket (`<1..2^16-1>`).
    pub ticket: Vec<u8>,
    /// Extensions (early_data carries max_early_data_size).
    pub extensions: Extensions,
}

impl NewSessionTicketTls13 {
    /// The most 0-RTT data the ticket allows, if it allows any.
    pub fn max_early_data_size(&self) -> Result<Option<u32>, InvalidMessage> {
        self.extensions
            .get(ExtensionType::EarlyData)
            .map(u32::read_bytes)
            .transpose()
    }
}

impl Codec for NewSessionTicketTls13 {
    fn encode(&self, out: &mut Vec<u8>) {
        self.lifetime.encode(out);
        self.age_add.encode(out);
        encode_bytes(out, LengthPrefix::U8, &self.nonce);
        encode_bytes(out, LengthPrefix::U16, &self.ticket);
        self.extensions.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let lifetime = u32::read(r).map_err(|_| InvalidMessage::MissingData("ticket_lifetime"))?;
        let age_add = u32::read(r).map_err(|_| InvalidMessage::MissingData("ticket_age_add"))?;
        let nonce = read_bytes(r, LengthPrefix::U8, "ticket_nonce")?;
        let ticket = read_bytes(r, LengthPrefix::U16, "ticket")?;
        if ticket.is_empty() {
            return Err(InvalidMessage::EmptyList("ticket"));
        }
        Ok(Self {
            lifetime,
            age_add,
            nonce,
            ticket,
            extensions: Extensions::read(r)?,
        })
    }
}
