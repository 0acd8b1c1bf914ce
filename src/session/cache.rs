//! The server's session-ID cache: bounded, least-recently-used eviction,
//! entries expire after a configured lifetime.

use std::sync::Mutex;

use super::lru::Lru;
use super::{SessionState, now_secs};

/// The most DER bytes of client certificate chain a cached session keeps.
/// A session whose client chain is longer is not cached (the client gets a
/// full handshake next time): a client may pad its Certificate with
/// unrelated certificates up to the handshake message limit, and the cache
/// must not hold `capacity` times that.
pub const MAX_CACHED_CLIENT_CHAIN_LEN: usize = 16 * 1024;

/// A bounded map from session ID to session state.
///
/// Insert, lookup and eviction are O(1) (see `lru.rs`), so the mutex is
/// held briefly however large the cache: a full cache's insert no longer
/// scans every entry for the oldest. An entry costs the session state
/// (about 150 bytes) plus its client chain, at most
/// [`MAX_CACHED_CLIENT_CHAIN_LEN`].
#[derive(Debug)]
pub struct SessionCache {
    lifetime_secs: u64,
    entries: Mutex<Lru<Vec<u8>, SessionState>>,
}

impl SessionCache {
    /// A cache of at most `capacity` sessions, each kept `lifetime_secs`.
    pub fn new(capacity: usize, lifetime_secs: u64) -> Self {
        Self {
            lifetime_secs,
            entries: Mutex::new(Lru::new(capacity)),
        }
    }

    /// How long sessions live, in seconds.
    pub fn lifetime_secs(&self) -> u64 {
        self.lifetime_secs
    }

    /// Stores a session, evicting the least recently used if full. A
    /// session with a client chain over [`MAX_CACHED_CLIENT_CHAIN_LEN`] is
    /// not stored.
    pub fn put(&self, id: &[u8], state: SessionState) {
        let chain_len: usize = state.client_certificates.iter().map(|c| c.len()).sum();
        if id.is_empty() || chain_len > MAX_CACHED_CLIENT_CHAIN_LEN {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        // The evicted session, if any, is dropped (and its secret wiped)
        // here, under the lock, like any other.
        let _evicted = entries.insert(id.to_vec(), state);
    }

    /// The session stored under `id`, if present and not expired.
    pub fn get(&self, id: &[u8]) -> Option<SessionState> {
        self.get_at(id, now_secs())
    }

    /// [`get`](Self::get) at a given time (seconds since the epoch).
    pub fn get_at(&self, id: &[u8], now: u64) -> Option<SessionState> {
        let mut entries = self.entries.lock().ok()?;
        let state = entries.get(id)?;
        if state.expired(now, self.lifetime_secs) {
            entries.remove(id);
            return None;
        }
        Some(state.clone())
    }

    /// Removes a session.
    pub fn remove(&self, id: &[u8]) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(id);
        }
    }

    /// How many sessions are stored.
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |entries| entries.len())
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
            master_secret: [1; 48].into(),
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
    fn a_full_cache_keeps_the_most_recent_capacity_sessions() {
        let cache = SessionCache::new(3, 3600);
        let now = now_secs();
        for id in 0u8..10 {
            cache.put(&[id], state(now));
            assert!(cache.len() <= 3);
        }
        let kept: Vec<u8> = (0u8..10).filter(|id| cache.get(&[*id]).is_some()).collect();
        assert_eq!(kept, [7, 8, 9]);
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
    fn a_session_with_an_oversized_client_chain_is_not_cached() {
        use rustls_pki_types::CertificateDer;
        let cache = SessionCache::new(4, 3600);
        let now = now_secs();
        let mut padded = state(now);
        padded.client_certificates = vec![
            CertificateDer::from(vec![0x30; 9000]),
            CertificateDer::from(vec![0x30; 9000]),
        ]
        .into();
        cache.put(b"padded", padded);
        assert!(cache.get(b"padded").is_none());
        let mut fits = state(now);
        fits.client_certificates = vec![CertificateDer::from(vec![0x30; 9000])].into();
        cache.put(b"fits", fits);
        assert!(cache.get(b"fits").is_some());
    }

    #[test]
    fn zero_capacity_stores_nothing() {
        let cache = SessionCache::new(0, 10);
        cache.put(b"a", state(now_secs()));
        assert!(cache.is_empty());
    }
}
