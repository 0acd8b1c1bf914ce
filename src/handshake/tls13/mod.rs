//! TLS 1.3 (RFC 8446): its state table, what each state knows, and the
//! client's and server's transitions (1-RTT and HelloRetryRequest; client
//! authentication as a typed branch on both sides; tickets and KeyUpdate
//! are not built yet); the
//! cryptography they use is in `crypto::tls13`, the messages in
//! `message::tls13`.

pub(crate) mod client;
pub(crate) mod keys;
pub mod known;
pub(crate) mod server;

pub use client::AfterEncryptedExtensions;
pub use server::AfterClientCert13;
pub mod table;
