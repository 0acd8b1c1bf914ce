//! TLS 1.3 (RFC 8446): its state table, what each state knows, and the
//! client's and server's transitions (1-RTT and HelloRetryRequest; client
//! authentication and PSK resumption from a ticket as typed branches on
//! both sides; the server's NewSessionTickets); the cryptography they use
//! is in `crypto::tls13`, the messages in `message::tls13`.

pub(crate) mod client;
pub(crate) mod early_client;
pub(crate) mod early_server;
pub(crate) mod keys;
pub mod known;
pub(crate) mod server;

pub use client::{AfterEncryptedExtensions, AfterServerHello13};
pub use early_client::{
    AfterEarlyEncryptedExtensions, EarlyDataOffer, EarlyDataOutcome, RejectedEarlyData,
};
pub use server::{AfterClientCert13, AfterSecondClientHello, TICKET_AGE_TOLERANCE_MS};

use crate::handshake::shape::{ClientAuth, EarlyData, Full, NoClientCert, Resumed, Shape};

/// The shapes a TLS 1.3 handshake takes: the full ones and [`Resumed`]
/// (a PSK from a ticket: no Certificate, no CertificateVerify). The
/// transitions every path shares (the hellos, the compatibility
/// ChangeCipherSpecs, the Finished messages) exist for these; those only
/// full handshakes make (Certificate, CertificateVerify) only for the
/// full shapes, so a resumed handshake has no way to send or read them.
pub trait Shape13: Shape {}

impl Shape13 for Full {}
impl Shape13 for ClientAuth {}
impl Shape13 for NoClientCert {}
impl Shape13 for Resumed {}
impl Shape13 for EarlyData {}

/// The TLS 1.3 shapes without accepted 0-RTT data: after the server's
/// Finished the client's compatibility ChangeCipherSpec (or nothing) and
/// its second flight follow, not an EndOfEarlyData.
pub trait OneRtt: Shape13 {}

impl OneRtt for Full {}
impl OneRtt for ClientAuth {}
impl OneRtt for NoClientCert {}
impl OneRtt for Resumed {}
pub mod table;
