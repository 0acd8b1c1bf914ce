//! The server's session-ID cache: bounded, least-recently-used eviction,
//! entries expire after a configured lifetime.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{SessionState, now_secs};

#[derive(Debug)]
struct Entry {
    state: SessionState,
    last_used: u64,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<Vec<u8>, Entry>,
    /// A counter standing in for time of use; the smallest is evicted.
    clock: u64,
}

/// A bounded map from session ID to session state.
#[derive(Debug)]
pub struct SessionCache {
    capacity: usize,
    lifetime_secs: u64,
    inner: Mutex<Inner>,
}

impl SessionCache {
    /// A cache of at most `capacity` sessions, each kept `lifetime_secs`.
    pub fn new(capacity: usize, lifetime_secs: u64) -> Self {
        Self {
            capacity,
            lifetime_secs,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// How long sessions live, in seconds.
    pub fn lifetime_secs(&self) -> u64 {
        self.lifetime_secs
    }

    /// Stores a session, evicting the least recently used if full.
    pub fn put(&self, id: &[u8], state: SessionState) {
        if self.capacity == 0 || id.is_empty() {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        inner.clock += 1;
        let last_used = inner.clock;
        if !inner.entries.contains_key(id) && inner.entries.len() >= self.capacity {
            let oldest = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                inner.entries.remove(&oldest);
            }
        }
        inner
            .entries
            .insert(id.to_vec(), Entry { state, last_used });
    }

    /// The session stored under `id`, if present and not expired.
    pub fn get(&self, id: &[u8]) -> Option<SessionState> {
        self.get_at(id, now_secs())
    }

    /// [`get`](Self::get) at a given time (seconds since the epoch).
    pub fn get_at(&self, id: &[u8], now: u64) -> Option<SessionState> {
        let mut inner = self.inner.lock().ok()?;
        inner.clock += 1;
        let clock = inner.clock;
        let entry = inner.entries.get_mut(id)?;
        if entry.state.expired(now, self.lifetime_secs) {
            inner.entries.remove(id);
            return None;
        }
        entry.last_used = clock;
        Some(entry.state.clone())
    }

    /// Removes a session.
    pub fn remove(&self, id: &[u8]) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.entries.remove(id);
        }
    }

    /// How many sessions are stored.
    pub fn len(&self) -> usize {
        self.inner.lock().map_or(0, |inner| inner.entries.len())
    }

    /// Whether no sessions are stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::{CipherSuite, NamedGroup, SignatureScheme};

    fn state(created: u64) -> SessionState {
        SessionState {
            cipher_suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            master_secret: [1; 48],
            extended_master_secret: true,
            group: NamedGroup::X25519,
            signature_scheme: SignatureScheme::ECDSA_NISTP256_SHA256,
            alpn_protocol: None,
            server_name: None,
            created,
            client_certificates: std::sync::Arc::default(),
        }
    }

    #[test]
    fn evicts_least_recently_used() {
        let cache = SessionCache::new(2, 3600);
        let now = now_secs();
        cache.put(b"a", state(now));
        cache.put(b"b", state(now));
        assert!(cache.get(b"a").is_some()); // a is now more recent than b
        cache.put(b"c", state(now));
        assert_eq!(cache.len(), 2);
        assert!(cache.get(b"b").is_none(), "b was least recently used");
        assert!(cache.get(b"a").is_some());
        assert!(cache.get(b"c").is_some());
    }

    #[test]
    fn expires_entries() {
        let cache = SessionCache::new(4, 10);
        cache.put(b"a", state(1000));
        assert!(cache.get_at(b"a", 1005).is_some());
        assert!(cache.get_at(b"a", 1011).is_none());
        assert!(cache.is_empty(), "an expired entry is dropped");
    }

    #[test]
    fn zero_capacity_stores_nothing() {
        let cache = SessionCache::new(0, 10);
        cache.put(b"a", state(now_secs()));
        assert!(cache.is_empty());
    }
}
