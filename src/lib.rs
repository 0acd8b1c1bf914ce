//! # tlstate
//!
//! TLS 1.3 and TLS 1.2 (both on by default) in which the handshake is a chain
//! of types.
//!
//! Each handshake state of the s2n-tls state table is a type
//! ([`handshake::state`]); a [`handshake::Handshake<R, St, P>`] is the
//! handshake at state `St`, seen by role `R` ([`handshake::Client`] or
//! [`handshake::Server`]), on the path `P` ([`handshake::Full`],
//! [`handshake::ClientAuth`], [`handshake::NoClientCert`],
//! [`handshake::Resumed`], [`handshake::EarlyData`] for TLS 1.3 0-RTT).
//! Every transition consumes `self`; `send()`
//! exists only where `R` is the state's writer and `recv()` only where its
//! peer is, so a message sent or expected out of order does not compile.
//! Where the peer chooses the path, `recv()` returns an enum to match on
//! ([`handshake::AfterServerHello`], [`handshake::AfterServerKey`], ...).
//! A read that lacks bytes hands the same state back
//! ([`handshake::Step::NeedMore`]); a fatal error consumes the state and
//! returns a [`handshake::Fatal`] carrying the alert bytes still owed.
//!
//! Where to start:
//! - `examples/walk.rs` walks every state of a full handshake in memory;
//! - [`stream::connect`] / [`stream::accept`] walk them over any
//!   `Read + Write` transport and give an `io::Read + io::BufRead +
//!   io::Write` stream;
//! - [`driver`] does the same for event loops, sans I/O;
//! - `docs/state-machine.md` is both tables and their diagrams, generated
//!   from [`handshake::tls12::table`] and [`handshake::tls13::table`]; `docs/guarantees.md` lists each ordering
//!   guarantee with its proof.
//!
//! Layers, bottom to top: [`codec`] ← [`message`] ← [`record`] ←
//! [`handshake`] ← [`connection`], [`stream`], [`driver`]; [`crypto`]
//! beside them is the only module that uses `ring` and `subtle`. Which
//! alert an [`Error`] sends is decided in one place, [`Error::alert`].
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
