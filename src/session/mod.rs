//! Session resumption: what a session keeps, the server's session-ID cache,
//! session tickets (RFC 5077) with rotating keys, the client's store, and
//! the 0-RTT strike register.
//!
//! Everything here is bounded: the cache and the store evict the least
//! recently used entry when full, the strike register refuses 0-RTT when
//! full (evicting would admit a replay), and every entry expires.

mod anti_replay;
mod cache;
mod lru;
mod state;
mod store;
mod ticketer;
mod tls13;

pub use crate::crypto::MasterSecret;
pub use anti_replay::{Admit, StrikeRegister, ticket_age_fresh};
pub use cache::{MAX_CACHED_CLIENT_CHAIN_LEN, SessionCache};
pub use state::SessionState;
pub use store::{
    ClientSession, ClientSessionStore, InMemorySessionStore, MAX_TLS13_TICKETS_PER_SERVER,
};
pub use ticketer::Ticketer;
pub use tls13::{MAX_TICKET_LIFETIME_SECS, Tls13Ticket};
pub(crate) use tls13::{TicketState13, now_millis};

/// Seconds since the Unix epoch, the clock of every lifetime here.
pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// How a handshake resumed an earlier session, in
/// [`SessionSummary::resumed_by`](crate::connection::SessionSummary::resumed_by).
///
/// The server knows where the session came from. A TLS 1.2 client knows
/// what it offered: `Ticket` when it sent the session's ticket (a server
/// that also cached the session's ID could have resumed by that instead;
/// RFC 5077 3.4 gives the client no way to tell the two apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResumedBy {
    /// TLS 1.2, a session ID the server had cached (RFC 5246 7.4.1.2).
    SessionId,
    /// TLS 1.2, a session ticket (RFC 5077).
    Ticket,
    /// TLS 1.3, a pre-shared key from a NewSessionTicket (RFC 8446 2.2).
    Tls13Psk,
}
