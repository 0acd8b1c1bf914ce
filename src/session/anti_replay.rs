//! 0-RTT anti-replay (RFC 8446 8): a bounded strike register of the
//! tickets whose early data a server accepted, and the ticket-age
//! freshness check (RFC 8446 8.3) whose window bounds how long the
//! register must remember them.
//!
//! Why both. Early data is not protected against replay by the handshake:
//! anyone who recorded a ClientHello can send it again, with its early
//! data, and the server decrypts that data before the handshake could tell
//! the copy from the original. The freshness check refuses 0-RTT to a
//! ClientHello whose expected arrival (the ticket's creation time plus the
//! client's idea of its age) is more than the window from now; the binder
//! covers that age, so a copy cannot change it and is refused once the
//! window has passed. The register refuses a ticket seen before while the
//! freshness check could still admit it: a ticket is used for 0-RTT once
//! (RFC 8446 8.1), and the handshake itself still goes ahead on 1-RTT.
//!
//! How long an entry must live. A ClientHello is fresh while its expected
//! arrival `E` is within `window` of now, so every time it can be admitted
//! lies in `[E - window, E + window]`: a copy may arrive up to two windows
//! after the original was first admitted (say the original came at
//! `E - window`, the copy at `E + window`). The register therefore keeps an
//! entry for twice the window ([`StrikeRegister::retention`]); forgetting it
//! after one window would let such a copy through.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

/// The bytes of a ticket's digest the register keeps. SHA-256 truncated to
/// 128 bits: every entry costs the same whatever the ticket's length, and a
/// collision (out of reach at this length in any case) would only refuse
/// 0-RTT to a ticket that was never seen, never admit a replay.
const DIGEST_LEN: usize = 16;

type Digest = [u8; DIGEST_LEN];

fn digest(key: &[u8]) -> Digest {
    let full = ring::digest::digest(&ring::digest::SHA256, key);
    let mut out = [0u8; DIGEST_LEN];
    // SHA-256 is 32 bytes, so the zip takes all 16 of `out`.
    for (to, from) in out.iter_mut().zip(full.as_ref()) {
        *to = *from;
    }
    out
}

/// Milliseconds in `window`, saturating (a window longer than u64
/// milliseconds is as good as forever).
fn window_millis(window: Duration) -> u64 {
    u64::try_from(window.as_millis()).unwrap_or(u64::MAX)
}

/// Whether a ticket offered at `now_ms` passes the ticket-age freshness
/// check (RFC 8446 8.3): the expected arrival, the ticket's creation time
/// (`ticket_created_ms`, the server's clock when it issued the ticket) plus
/// the client's age of it (`client_age_ms`, its obfuscated_ticket_age less
/// the ticket's age_add), is within `window` of `now_ms`, either way. The
/// edge counts as inside (`|expected - now| <= window`).
///
/// With the clock ahead of the ticket's creation this is
/// `|client_age_ms - (now_ms - ticket_created_ms)| <= window`, the check the
/// server already makes before resuming. A clock that went back before the
/// ticket's creation is not rounded up to an age of zero: the distance is
/// measured as it is, so such a ticket is refused unless the client's age
/// makes up for it. No input overflows or panics: the sum saturates (a
/// saturated sum is far from any real clock, so refused).
pub fn ticket_age_fresh(
    ticket_created_ms: u64,
    client_age_ms: u64,
    now_ms: u64,
    window: Duration,
) -> bool {
    let expected_arrival = ticket_created_ms.saturating_add(client_age_ms);
    expected_arrival.abs_diff(now_ms) <= window_millis(window)
}

/// What the register says about an offer of early data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Admit {
    /// Not seen before: now recorded. Early data may be accepted.
    Fresh,
    /// Seen within the retention: a replay, or a second use of the ticket.
    /// Refuse early data; the handshake goes on without it.
    Replayed,
    /// The register is full of live entries (or unusable: its lock was
    /// poisoned). Nothing was recorded. Refuse early data: admitting it
    /// unrecorded would let a copy through later.
    Full,
    /// Outside the ticket-age freshness window
    /// ([`StrikeRegister::admit_early_data`] only). Nothing was recorded.
    /// Refuse early data.
    Stale,
}

impl Admit {
    /// Whether early data may be accepted: only for [`Admit::Fresh`].
    pub fn accepts_early_data(self) -> bool {
        self == Self::Fresh
    }
}

/// The register's contents, under its mutex.
#[derive(Debug, Default)]
struct Entries {
    /// The digests recorded and not yet reclaimed.
    seen: HashSet<Digest>,
    /// The same digests with the time each was recorded, in the order
    /// they were: with a clock that only goes forward, the expired entries
    /// are at the front. Reclaiming stops at the first live entry, so one
    /// recorded while the clock had gone back waits behind later ones: it
    /// is reclaimed late, never early.
    order: VecDeque<(u64, Digest)>,
}

/// A bounded, single-use register of the tickets offered with early data
/// (RFC 8446 8.1): the first offer of a ticket is recorded and admitted,
/// every later one while the entry lives is a replay.
///
/// One register serves every connection of a server configuration, shared
/// as an `Arc`: it is `Send + Sync`, its state under one mutex, held for a
/// hash lookup, an insert and the removal of expired entries, each O(1)
/// amortized (an entry is removed once, from the front of a queue ordered
/// by insertion time).
///
/// Bounded: it holds at most `capacity` entries, each of a fixed size (a
/// 16-byte digest, twice, and a time: roughly 60 bytes with the tables'
/// overhead, about 4 MB at the default 65,536). When every entry is still
/// live it refuses ([`Admit::Full`]) rather than evicting one: forgetting a
/// live entry would admit its replay. Entries expire after
/// [`retention`](Self::retention), twice the freshness window (the module
/// docs say why), and are reclaimed by later calls.
///
/// It remembers what this process saw, in memory only: another process
/// with the same ticket key, or this one after a restart, does not know
/// these entries (docs/security.md, "0-RTT and replay").
pub struct StrikeRegister {
    capacity: usize,
    window: Duration,
    /// Twice the window in milliseconds, saturating.
    retention_ms: u64,
    entries: Mutex<Entries>,
}

impl core::fmt::Debug for StrikeRegister {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StrikeRegister")
            .field("capacity", &self.capacity)
            .field("window", &self.window)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl Default for StrikeRegister {
    /// [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) entries and a
    /// [`DEFAULT_WINDOW`](Self::DEFAULT_WINDOW) freshness window.
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY, Self::DEFAULT_WINDOW)
    }
}

impl StrikeRegister {
    /// The default capacity: 65,536 tickets, so 0-RTT stays available at
    /// about 3,000 0-RTT handshakes a second for the default retention of
    /// 20 seconds.
    pub const DEFAULT_CAPACITY: usize = 65_536;

    /// The default freshness window: 10 seconds, the tolerance the age
    /// check for resumption already allows for clock error and the round
    /// trip (`TICKET_AGE_TOLERANCE_MS`, RFC 8446 8.3).
    pub const DEFAULT_WINDOW: Duration = Duration::from_secs(10);

    /// A register of at most `capacity` tickets for the freshness window
    /// `window`. A capacity of 0 refuses all early data.
    pub fn new(capacity: usize, window: Duration) -> Self {
        Self {
            capacity,
            window,
            retention_ms: window_millis(window).saturating_mul(2),
            entries: Mutex::new(Entries::default()),
        }
    }

    /// The most entries it holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The freshness window (RFC 8446 8.3) it was made for.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// How long an entry lives: twice the window (the module docs say why).
    pub fn retention(&self) -> Duration {
        Duration::from_millis(self.retention_ms)
    }

    /// The entries held now, expired ones not yet reclaimed included (0 if
    /// the lock is poisoned). Never more than the capacity.
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |entries| entries.order.len())
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a ticket offered at `now_ms` is fresh for this register's
    /// window: [`ticket_age_fresh`] with [`window`](Self::window).
    pub fn fresh(&self, ticket_created_ms: u64, client_age_ms: u64, now_ms: u64) -> bool {
        ticket_age_fresh(ticket_created_ms, client_age_ms, now_ms, self.window)
    }

    /// Records the ticket `key` (its identity as the client sent it) at
    /// `now_ms`, milliseconds on the clock of the freshness check (the
    /// server's `now_millis`): [`Admit::Fresh`] the first time,
    /// [`Admit::Replayed`] while that entry lives, [`Admit::Full`] if it
    /// was not seen and every entry is live. Expired entries are reclaimed
    /// first; a `now_ms` earlier than an entry's time reclaims nothing.
    pub fn check_and_insert(&self, key: &[u8], now_ms: u64) -> Admit {
        let key = digest(key);
        let Ok(mut entries) = self.entries.lock() else {
            return Admit::Full;
        };
        let entries = &mut *entries;
        // Alive while `now <= recorded + retention`: at the edge a copy can
        // still be fresh (the freshness edge counts as inside). Each entry
        // is judged by the clock of the call that would reclaim it, the
        // clock the freshness check of a copy reads at that moment: once
        // it is more than two windows past the entry, every copy is stale
        // (the module docs). A clock behind the entry keeps it.
        while let Some(&(recorded_ms, old)) = entries.order.front() {
            if now_ms.saturating_sub(recorded_ms) <= self.retention_ms {
                break;
            }
            entries.seen.remove(&old);
            entries.order.pop_front();
        }
        if entries.seen.contains(&key) {
            return Admit::Replayed;
        }
        if entries.order.len() >= self.capacity {
            return Admit::Full;
        }
        entries.seen.insert(key);
        entries.order.push_back((now_ms, key));
        Admit::Fresh
    }

    /// The whole decision for a ticket's early data at `now_ms`: the
    /// freshness check first ([`Admit::Stale`] records nothing, so stale
    /// offers cannot fill the register), then
    /// [`check_and_insert`](Self::check_and_insert).
    pub fn admit_early_data(
        &self,
        key: &[u8],
        ticket_created_ms: u64,
        client_age_ms: u64,
        now_ms: u64,
    ) -> Admit {
        if !self.fresh(ticket_created_ms, client_age_ms, now_ms) {
            return Admit::Stale;
        }
        self.check_and_insert(key, now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_register_refuses_early_data() {
        let register = StrikeRegister::new(4, Duration::from_secs(10));
        let poisoned = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let _held = register.entries.lock();
                    panic!("poison the register's lock");
                })
                .join()
        });
        assert!(poisoned.is_err());
        assert!(register.entries.is_poisoned());
        assert_eq!(register.check_and_insert(b"ticket", 1_000), Admit::Full);
        assert_eq!(
            register.admit_early_data(b"ticket", 1_000, 0, 1_000),
            Admit::Full
        );
        assert_eq!(register.len(), 0);
    }

    #[test]
    fn keys_are_kept_as_fixed_size_digests() {
        let register = StrikeRegister::new(4, Duration::from_secs(10));
        let long = vec![0xa5; 4096];
        assert_eq!(register.check_and_insert(&long, 0), Admit::Fresh);
        assert_eq!(register.check_and_insert(b"", 0), Admit::Fresh);
        let entries = register.entries.lock().unwrap();
        assert!(entries.seen.contains(&digest(&long)));
        assert!(entries.seen.contains(&digest(b"")));
        assert_ne!(digest(&long), digest(b""));
        assert_eq!(entries.seen.len(), entries.order.len());
    }
}
