//! The handshake as types.
//!
//! Shared machinery at the bottom: [`role`] (the roles and the writer
//! column as traits), [`table`] (rows, the [`State`] and `Follows` traits,
//! the table macro), [`Handshake`] (the handshake at one state, whose
//! transitions consume it), the core every state carries, the shapes and
//! the configuration. Above it, each protocol version owns its table and
//! transitions: [`tls12`]. Nothing imports from a layer above its own.

mod config;
mod core;
mod machine;
pub mod role;
mod shape;
mod side;
pub mod table;
pub mod tls12;

pub use config::{
    CertifiedKey, ClientCertPolicy, ClientConfig, DEFAULT_CIPHER_SUITES, DEFAULT_GROUPS,
    DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN, DEFAULT_SIGNATURE_SCHEMES, ServerConfig,
};
pub use machine::{Fatal, Handshake, RecvMessage, SendMessage, Step};
pub use role::{B, C, Client, Role, S, Server, Writer, Writes};
pub use shape::{ClientAuth, Full, NoClientCert, Resumed, ResumedClientAuth, Shape};
pub use table::State;
pub use tls12::known;
pub use tls12::shape::{FullShape, WithoutCertificateVerify};
pub use tls12::table::state;
pub use tls12::{
    AfterClientCert, AfterClientHello, AfterServerCert, AfterServerHello, AfterServerKey,
    AfterTicket,
};
