//! The client's memory of sessions, keyed by server name.

use std::collections::VecDeque;
use std::sync::Mutex;

use super::lru::Lru;
use super::tls13::{Tls13Ticket, now_millis};
use super::{SessionState, now_secs};

/// What a client keeps to resume a session with a server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSession {
    /// The session ID the server assigned (may be empty with a ticket).
    pub session_id: Vec<u8>,
    /// The server's ticket, if it sent one (RFC 5077).
    pub ticket: Option<Vec<u8>>,
    /// The ticket's lifetime hint in seconds (0: unspecified).
    pub lifetime_hint: u32,
    /// The session itself.
    pub state: SessionState,
    /// The server's certificate chain from the original handshake,
    /// reported again on resumption.
    pub server_certificates: std::sync::Arc<[rustls_pki_types::CertificateDer<'static>]>,
}

/// Where a client keeps sessions between connections.
pub trait ClientSessionStore: Send + Sync + core::fmt::Debug {
    /// Remembers `session` for `server_name`, replacing any older one.
    fn put(&self, server_name: &str, session: ClientSession);
    /// The session to offer to `server_name`, if any.
    fn get(&self, server_name: &str) -> Option<ClientSession>;
    /// Forgets the session for `server_name` (e.g. after a failure).
    fn remove(&self, server_name: &str);
    /// Keeps a TLS 1.3 ticket from `server_name`, beside the others it
    /// sent (a server sends several, RFC 8446 4.6.1). A store that keeps
    /// none (the default) never resumes TLS 1.3.
    fn put_tls13(&self, server_name: &str, ticket: Tls13Ticket) {
        let _ = (server_name, ticket);
    }
    /// Hands out one TLS 1.3 ticket for `server_name` and forgets it, so
    /// that each ticket is offered at most once (RFC 8446 C.4: a reused
    /// ticket links the connections).
    fn take_tls13(&self, server_name: &str) -> Option<Tls13Ticket> {
        let _ = server_name;
        None
    }
}

/// A bounded in-memory store: one TLS 1.2 session per server name, and
/// up to [`MAX_TLS13_TICKETS_PER_SERVER`] TLS 1.3 tickets per server name
/// (the newest kept when more come), least recently used server evicted
/// when full, sessions and tickets older than their lifetime dropped.
#[derive(Debug)]
pub struct InMemorySessionStore {
    /// The lifetime used when the server gave no hint, in seconds.
    default_lifetime_secs: u64,
    sessions: Mutex<Lru<String, ClientSession>>,
    /// Per server, its tickets, oldest first.
    tickets13: Mutex<Lru<String, VecDeque<Tls13Ticket>>>,
}

/// How many TLS 1.3 tickets the in-memory store keeps per server: a server
/// may send any number after the handshake, so they are bounded here (the
/// oldest goes first).
pub const MAX_TLS13_TICKETS_PER_SERVER: usize = 4;

/// The longest a client keeps a session, whatever the server's lifetime
/// hint says: seven days (RFC 8446 4.6.1 caps ticket lifetimes at seven
/// days; RFC 5077 leaves the hint unbounded, so we apply the same cap).
pub(crate) const MAX_LIFETIME_SECS: u64 = 7 * 24 * 3600;

impl InMemorySessionStore {
    /// A store of at most `capacity` servers' sessions.
    pub fn new(capacity: usize) -> Self {
        Self {
            default_lifetime_secs: 24 * 3600,
            sessions: Mutex::new(Lru::new(capacity)),
            tickets13: Mutex::new(Lru::new(capacity)),
        }
    }

    /// How long `session` is kept: the server's hint, or our default
    /// when it gave none, never more than [`MAX_LIFETIME_SECS`] (the hint
    /// is the peer's to choose, so it is capped).
    fn lifetime(&self, session: &ClientSession) -> u64 {
        match session.lifetime_hint {
            0 => self.default_lifetime_secs,
            hint => u64::from(hint),
        }
        .min(MAX_LIFETIME_SECS)
    }
}

impl ClientSessionStore for InMemorySessionStore {
    fn put(&self, server_name: &str, session: ClientSession) {
        if let Ok(mut sessions) = self.sessions.lock() {
            let _evicted = sessions.insert(server_name.to_owned(), session);
        }
    }

    fn get(&self, server_name: &str) -> Option<ClientSession> {
        let mut sessions = self.sessions.lock().ok()?;
        let session = sessions.get(server_name)?;
        if session.state.expired(now_secs(), self.lifetime(session)) {
            sessions.remove(server_name);
            return None;
        }
        Some(session.clone())
    }

    fn remove(&self, server_name: &str) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.remove(server_name);
        }
        if let Ok(mut tickets) = self.tickets13.lock() {
            tickets.remove(server_name);
        }
    }

    fn put_tls13(&self, server_name: &str, ticket: Tls13Ticket) {
        let Ok(mut tickets) = self.tickets13.lock() else {
            return;
        };
        if let Some(queue) = tickets.get(server_name) {
            if queue.len() >= MAX_TLS13_TICKETS_PER_SERVER {
                queue.pop_front();
            }
            queue.push_back(ticket);
            return;
        }
        // Room for all from the start: the queue never grows (and each
        // ticket's PSK is boxed, so a move of one copies a pointer).
        let mut queue = VecDeque::with_capacity(MAX_TLS13_TICKETS_PER_SERVER);
        queue.push_back(ticket);
        let _evicted = tickets.insert(server_name.to_owned(), queue);
    }

    fn take_tls13(&self, server_name: &str) -> Option<Tls13Ticket> {
        let mut tickets = self.tickets13.lock().ok()?;
        let queue = tickets.get(server_name)?;
        let now = now_millis();
        // The newest first: it has the most life left.
        while let Some(ticket) = queue.pop_back() {
            if !ticket.expired(now) {
                return Some(ticket);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::{CipherSuite, NamedGroup, SignatureScheme};

    fn session(id: u8, created: u64) -> ClientSession {
        ClientSession {
            session_id: vec![id; 32],
            ticket: None,
            lifetime_hint: 0,
            state: SessionState {
                cipher_suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                master_secret: [id; 48].into(),
                extended_master_secret: true,
                group: NamedGroup::X25519,
                signature_scheme: SignatureScheme::ECDSA_NISTP256_SHA256,
                alpn_protocol: None,
                server_name: None,
                created,
                client_certificates: std::sync::Arc::default(),
            },
            server_certificates: std::sync::Arc::default(),
        }
    }

    #[test]
    fn keyed_by_server_name_and_bounded() {
        let store = InMemorySessionStore::new(2);
        let now = now_secs();
        store.put("a.example", session(1, now));
        store.put("b.example", session(2, now));
        assert_eq!(store.get("a.example").map(|s| s.session_id[0]), Some(1));
        store.put("c.example", session(3, now));
        assert!(
            store.get("b.example").is_none(),
            "least recently used is evicted"
        );
        assert!(store.get("a.example").is_some());
        store.put("a.example", session(4, now));
        assert_eq!(store.get("a.example").map(|s| s.session_id[0]), Some(4));
        store.remove("a.example");
        assert!(store.get("a.example").is_none());
    }

    #[test]
    fn caps_lifetime_hint_at_seven_days() {
        let store = InMemorySessionStore::new(4);
        let mut forever = session(1, 0);
        forever.lifetime_hint = u32::MAX;
        assert_eq!(store.lifetime(&forever), 7 * 24 * 3600);
        // A session eight days old is gone even though its hint said
        // 136 years.
        let mut old = session(2, now_secs() - 8 * 24 * 3600);
        old.lifetime_hint = u32::MAX;
        store.put("a.example", old);
        assert!(store.get("a.example").is_none());
    }

    fn ticket13(n: u8, received_ms: u64) -> Tls13Ticket {
        Tls13Ticket {
            ticket: vec![n],
            suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
            psk: Box::new(
                crate::crypto::tls13::Secret::new(crate::crypto::HashAlgorithm::Sha256, &[n; 32])
                    .unwrap(),
            ),
            age_add: 0,
            lifetime_secs: 3600,
            received_ms,
            server_certificates: std::sync::Arc::default(),
            max_early_data_size: 0,
            alpn_protocol: None,
        }
    }

    #[test]
    fn keeps_a_bounded_number_of_tls13_tickets_each_handed_out_once() {
        let store = InMemorySessionStore::new(4);
        let now = now_millis();
        for n in 0..10 {
            store.put_tls13("a.example", ticket13(n, now));
        }
        let mut taken = Vec::new();
        while let Some(ticket) = store.take_tls13("a.example") {
            taken.push(ticket.ticket[0]);
        }
        // The newest four, newest first; none twice.
        assert_eq!(taken, [9, 8, 7, 6]);
        assert!(store.take_tls13("b.example").is_none());
    }

    #[test]
    fn drops_expired_tls13_tickets() {
        let store = InMemorySessionStore::new(4);
        let now = now_millis();
        store.put_tls13("a.example", ticket13(1, now));
        store.put_tls13("a.example", ticket13(2, now - 3_601_000));
        assert_eq!(store.take_tls13("a.example").map(|t| t.ticket[0]), Some(1));
        assert!(store.take_tls13("a.example").is_none());
    }

    #[test]
    fn drops_expired_sessions() {
        let store = InMemorySessionStore::new(4);
        let mut old = session(1, now_secs() - 100);
        old.lifetime_hint = 50;
        store.put("a.example", old);
        assert!(store.get("a.example").is_none());
    }
}
