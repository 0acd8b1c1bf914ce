//! The Alert message (RFC 5246 7.2).

use crate::codec::{Codec, Reader};
use crate::enums::{AlertDescription, AlertLevel};
use crate::error::InvalidMessage;

/// One alert: a level and a description, two bytes on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertMessage {
    /// warning or fatal.
    pub level: AlertLevel,
    /// What happened.
    pub description: AlertDescription,
}

impl AlertMessage {
    /// The length of an alert on the wire.
    pub const LEN: usize = 2;
}

impl Codec for AlertMessage {
    fn encode(&self, out: &mut Vec<u8>) {
        self.level.encode(out);
        self.description.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let level = AlertLevel::read(r).map_err(|_| InvalidMessage::MissingData("Alert"))?;
        let description =
            AlertDescription::read(r).map_err(|_| InvalidMessage::MissingData("Alert"))?;
        if let AlertLevel::Unknown(_) = level {
            return Err(InvalidMessage::InvalidValue("alert level"));
        }
        Ok(Self { level, description })
    }
}
