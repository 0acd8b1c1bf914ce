//! TLS 1.3 (RFC 8446): its state table and what each state knows. The
//! transitions come next (issue #12); the cryptography they use is in
//! `crypto::tls13`, the messages in `message::tls13`.

pub mod known;
pub(crate) mod server;
pub mod table;
