//! TLS 1.2 (RFC 5246): its state table, what each state knows, its shapes'
//! facts, and the client's and server's transitions.

pub(crate) mod client;
mod keys;
pub mod known;
pub(crate) mod server;
pub mod shape;
pub mod table;

pub use client::{AfterServerCert, AfterServerKey, AfterTicket};
pub use server::AfterClientCert;
