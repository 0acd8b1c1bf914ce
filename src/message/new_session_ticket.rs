//! NewSessionTicket (RFC 5077 3.3).

use crate::codec::{Codec, LengthPrefix, Reader, encode_bytes, read_bytes};
use crate::error::InvalidMessage;

/// A ticket the client may present to resume the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicket {
    /// Seconds the ticket should be kept; 0 means unspecified.
    pub lifetime_hint: u32,
    /// The opaque ticket. Empty means the server will not issue one after
    /// all (RFC 5077 3.3).
    pub ticket: Vec<u8>,
}

impl Codec for NewSessionTicket {
    fn encode(&self, out: &mut Vec<u8>) {
        self.lifetime_hint.encode(out);
        encode_bytes(out, LengthPrefix::U16, &self.ticket);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            lifetime_hint: u32::read(r)
                .map_err(|_| InvalidMessage::MissingData("ticket_lifetime_hint"))?,
            ticket: read_bytes(r, LengthPrefix::U16, "ticket")?,
        })
    }
}
