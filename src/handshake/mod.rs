//! The handshake as types.
//!
//! [`table`] holds the one state table; [`role`] the roles and the writer
//! column as traits; [`Handshake`] is the handshake at one state, and each
//! transition consumes it and returns the next.

mod client;
mod config;
mod core;
mod keys;
pub mod known;
mod machine;
pub mod role;
mod server;
mod shape;
pub mod table;

pub use client::{AfterServerCert, AfterServerHello, AfterServerKey, AfterTicket};
pub use config::{
    CertifiedKey, ClientCertPolicy, ClientConfig, DEFAULT_CIPHER_SUITES, DEFAULT_GROUPS,
    DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN, DEFAULT_SIGNATURE_SCHEMES, ServerConfig,
};
pub use machine::{Fatal, Handshake, RecvMessage, SendMessage, Step};
pub use role::{B, C, Client, Role, S, Server, Writer, Writes};
pub use server::{AfterClientCert, AfterClientHello};
pub use shape::{
    ClientAuth, Full, FullShape, NoClientCert, Resumed, ResumedClientAuth, Shape,
    WithoutCertificateVerify,
};
pub use table::{State, state};
