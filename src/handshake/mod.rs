//! The handshake as types.
//!
//! [`table`] holds the one state table; [`role`] the roles and the writer
//! column as traits; [`Handshake`] is the handshake at one state, and each
//! transition consumes it and returns the next.

mod client;
mod config;
mod core;
pub mod known;
mod machine;
pub mod role;
mod server;
pub mod table;

pub use config::{
    ClientConfig, DEFAULT_CIPHER_SUITES, DEFAULT_GROUPS, DEFAULT_SIGNATURE_SCHEMES, ServerConfig,
};
pub use machine::{Fatal, Full, Handshake, RecvMessage, SendMessage, Shape, Step};
pub use role::{B, C, Client, Role, S, Server, Writer, Writes};
pub use table::{State, state};
