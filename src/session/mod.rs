//! Session resumption: what a session keeps, the server's session-ID cache,
//! session tickets (RFC 5077) with rotating keys, and the client's store.
//!
//! Everything here is bounded: the cache and the store evict the least
//! recently used entry when full, and every entry expires.

mod cache;
mod lru;
mod state;
mod store;
mod ticketer;
mod tls13;

pub use crate::crypto::MasterSecret;
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
