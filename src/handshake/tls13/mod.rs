//! TLS 1.3 (RFC 8446): its state table, what each state knows, and the
//! client's transitions (issue #12: the server's are being built); the
//! cryptography they use is in `crypto::tls13`, the messages in
//! `message::tls13`.

pub(crate) mod client;
pub(crate) mod keys;
pub mod known;
pub(crate) mod server;
pub mod table;
