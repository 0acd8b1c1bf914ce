//! Typed TLS 1.2 messages: encode and decode, nothing else.

mod alert;
mod ccs;

pub use alert::AlertMessage;
pub use ccs::ChangeCipherSpecPayload;
