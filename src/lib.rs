//! # tlstate
//!
//! TLS 1.2 in which the handshake is a chain of types.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod alert;
pub mod codec;
pub mod connection;
pub mod crypto;
pub mod driver;
pub mod enums;
pub mod error;
pub mod handshake;
pub mod keylog;
pub mod message;
pub mod record;
pub mod session;
pub mod stream;

pub use error::Error;
