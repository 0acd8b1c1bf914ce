//! # tlstate
//!
//! TLS 1.2 in which the handshake is a chain of types.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod alert;
pub mod codec;
pub mod enums;
pub mod error;

pub use error::Error;
