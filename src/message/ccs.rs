//! The ChangeCipherSpec message (RFC 5246 7.1): one byte, always 1.

use crate::codec::{Codec, Reader};
use crate::error::InvalidMessage;

/// The single-byte ChangeCipherSpec payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChangeCipherSpecPayload;

impl ChangeCipherSpecPayload {
    /// The payload's one encoding.
    pub const ENCODING: [u8; 1] = [1];

    /// Reads a whole change_cipher_spec record body: anything but exactly
    /// `[1]` (a second byte included) is
    /// [`InvalidMessage::InvalidChangeCipherSpec`], which RFC 8446 5 answers
    /// with unexpected_message, not decode_error.
    pub fn read_record_body(body: &[u8]) -> Result<Self, InvalidMessage> {
        match body {
            [1] => Ok(Self),
            _ => Err(InvalidMessage::InvalidChangeCipherSpec),
        }
    }
}

impl Codec for ChangeCipherSpecPayload {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(1);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        match r.take(1, "ChangeCipherSpec")? {
            [1] => Ok(Self),
            _ => Err(InvalidMessage::InvalidChangeCipherSpec),
        }
    }
}
