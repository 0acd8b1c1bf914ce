//! The 0-RTT strike register and the ticket-age freshness check
//! (`tlstate::session::{StrikeRegister, ticket_age_fresh}`, RFC 8446 8),
//! on their own: what they decide, that they stay bounded, and that no
//! clock or age makes them panic. The register inside a handshake is the
//! early-data tests' business.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use tlstate::session::{Admit, StrikeRegister, ticket_age_fresh};

const WINDOW: Duration = Duration::from_secs(10);
const WINDOW_MS: u64 = 10_000;
/// Twice the window: how long an entry lives.
const RETENTION_MS: u64 = 2 * WINDOW_MS;
/// A realistic wall-clock time, milliseconds since the epoch.
const T0: u64 = 1_796_000_000_000;

fn ticket(n: u32) -> Vec<u8> {
    // Identities of a realistic size (a sealed ticket is ~200 bytes).
    let mut id = vec![0x5a; 200];
    id[..4].copy_from_slice(&n.to_be_bytes());
    id
}

#[test]
fn the_first_offer_of_a_ticket_is_admitted_and_every_later_one_refused() {
    let register = StrikeRegister::new(16, WINDOW);
    assert_eq!(register.check_and_insert(&ticket(1), T0), Admit::Fresh);
    assert!(Admit::Fresh.accepts_early_data());
    for later in [T0, T0 + 1, T0 + WINDOW_MS, T0 + RETENTION_MS] {
        let admit = register.check_and_insert(&ticket(1), later);
        assert_eq!(admit, Admit::Replayed, "at +{} ms", later - T0);
        assert!(!admit.accepts_early_data());
    }
    assert_eq!(register.len(), 1);
}

#[test]
fn different_tickets_are_independent() {
    let register = StrikeRegister::new(16, WINDOW);
    assert_eq!(register.check_and_insert(&ticket(1), T0), Admit::Fresh);
    assert_eq!(register.check_and_insert(&ticket(2), T0), Admit::Fresh);
    // Differing in one byte at the end, and a prefix of another.
    let mut last_byte = ticket(1);
    *last_byte.last_mut().unwrap() ^= 1;
    assert_eq!(register.check_and_insert(&last_byte, T0), Admit::Fresh);
    assert_eq!(
        register.check_and_insert(&ticket(1)[..199], T0),
        Admit::Fresh
    );
    assert_eq!(register.check_and_insert(&ticket(2), T0), Admit::Replayed);
    assert_eq!(register.check_and_insert(&ticket(1), T0), Admit::Replayed);
    assert_eq!(register.len(), 4);
}

#[test]
fn a_ticket_is_admitted_again_once_its_entry_has_expired() {
    let register = StrikeRegister::new(16, WINDOW);
    assert_eq!(register.retention(), 2 * WINDOW);
    assert_eq!(register.check_and_insert(&ticket(1), T0), Admit::Fresh);
    // Alive up to and including the retention's edge.
    assert_eq!(
        register.check_and_insert(&ticket(1), T0 + RETENTION_MS),
        Admit::Replayed
    );
    assert_eq!(
        register.check_and_insert(&ticket(1), T0 + RETENTION_MS + 1),
        Admit::Fresh
    );
    // The expired entry was reclaimed, the new one recorded.
    assert_eq!(register.len(), 1);
}

/// Why an entry lives twice the window: the original arrives as early as
/// the age check allows (its expected arrival a whole window ahead), and
/// the copy as late as it allows. Both are fresh; the copy, more than one
/// window after the original, must still be refused.
#[test]
fn a_copy_the_age_check_still_admits_two_windows_later_is_refused() {
    let register = StrikeRegister::new(16, WINDOW);
    let created = T0 - 60_000;
    // The client says the ticket is a minute and a window old.
    let client_age = 60_000 + WINDOW_MS;
    let first = T0;
    let copy = T0 + 2 * WINDOW_MS;
    assert!(register.fresh(created, client_age, first));
    assert!(register.fresh(created, client_age, copy));
    assert_eq!(
        register.admit_early_data(&ticket(1), created, client_age, first),
        Admit::Fresh
    );
    assert_eq!(
        register.admit_early_data(&ticket(1), created, client_age, copy),
        Admit::Replayed
    );
    // One millisecond later the age check refuses it by itself.
    assert_eq!(
        register.admit_early_data(&ticket(1), created, client_age, copy + 1),
        Admit::Stale
    );
}

#[test]
fn a_full_register_refuses_new_tickets_and_does_not_grow() {
    let capacity = 64;
    let register = StrikeRegister::new(capacity, WINDOW);
    for n in 0..64 {
        assert_eq!(register.check_and_insert(&ticket(n), T0), Admit::Fresh);
    }
    assert_eq!(register.len(), capacity);
    for n in 64..10_000 {
        let now = T0 + u64::from(n % 1000);
        assert_eq!(register.check_and_insert(&ticket(n), now), Admit::Full);
        assert!(register.len() <= capacity);
    }
    assert!(!Admit::Full.accepts_early_data());
    // No live entry was evicted to make room: every one is still a replay.
    for n in 0..64 {
        assert_eq!(
            register.check_and_insert(&ticket(n), T0 + RETENTION_MS),
            Admit::Replayed
        );
    }
    assert_eq!(register.len(), capacity);
}

#[test]
fn a_full_register_admits_again_once_its_entries_have_expired() {
    let register = StrikeRegister::new(8, WINDOW);
    for n in 0..4 {
        assert_eq!(register.check_and_insert(&ticket(n), T0), Admit::Fresh);
    }
    for n in 4..8 {
        assert_eq!(
            register.check_and_insert(&ticket(n), T0 + 5_000),
            Admit::Fresh
        );
    }
    assert_eq!(
        register.check_and_insert(&ticket(100), T0 + 5_000),
        Admit::Full
    );
    // The first four expire; the later four are still live.
    let later = T0 + RETENTION_MS + 1;
    for n in 100..104 {
        assert_eq!(register.check_and_insert(&ticket(n), later), Admit::Fresh);
    }
    assert_eq!(register.check_and_insert(&ticket(104), later), Admit::Full);
    assert_eq!(register.len(), 8);
    for n in 4..8 {
        assert_eq!(
            register.check_and_insert(&ticket(n), later),
            Admit::Replayed
        );
    }
}

#[test]
fn a_register_of_capacity_zero_refuses_all_early_data() {
    let register = StrikeRegister::new(0, WINDOW);
    assert_eq!(register.check_and_insert(&ticket(1), T0), Admit::Full);
    assert_eq!(
        register.admit_early_data(&ticket(1), T0, 0, T0),
        Admit::Full
    );
    assert!(register.is_empty());
}

#[test]
fn a_zero_window_still_refuses_a_copy_in_the_same_millisecond() {
    let register = StrikeRegister::new(8, Duration::ZERO);
    assert_eq!(register.check_and_insert(&ticket(1), T0), Admit::Fresh);
    assert_eq!(register.check_and_insert(&ticket(1), T0), Admit::Replayed);
    assert_eq!(register.check_and_insert(&ticket(1), T0 + 1), Admit::Fresh);
}

#[test]
fn the_freshness_window_edge_counts_as_inside() {
    let created = T0 - 3_600_000;
    let age = 3_600_000;
    for now in [T0 - WINDOW_MS, T0, T0 + WINDOW_MS] {
        assert!(ticket_age_fresh(created, age, now, WINDOW), "at {now}");
    }
    assert!(!ticket_age_fresh(created, age, T0 - WINDOW_MS - 1, WINDOW));
    assert!(!ticket_age_fresh(created, age, T0 + WINDOW_MS + 1, WINDOW));
    // The same with the age off by the window: the client's clock is
    // ahead or behind ours.
    assert!(ticket_age_fresh(created, age + WINDOW_MS, T0, WINDOW));
    assert!(ticket_age_fresh(created, age - WINDOW_MS, T0, WINDOW));
    assert!(!ticket_age_fresh(created, age + WINDOW_MS + 1, T0, WINDOW));
    assert!(!ticket_age_fresh(created, age - WINDOW_MS - 1, T0, WINDOW));
}

#[test]
fn hostile_ages_and_times_do_not_panic_and_are_refused() {
    let created = T0 - 1_000;
    for age in [u64::from(u32::MAX), u64::from(u32::MAX) - 1, u64::MAX] {
        assert!(!ticket_age_fresh(created, age, T0, WINDOW), "age {age}");
        assert!(!ticket_age_fresh(u64::MAX, age, T0, WINDOW), "age {age}");
        assert!(!ticket_age_fresh(0, age, T0, WINDOW), "age {age}");
    }
    assert!(!ticket_age_fresh(u64::MAX, 0, 0, WINDOW));
    assert!(!ticket_age_fresh(0, 0, u64::MAX, WINDOW));
    // Values at the extremes that do match are fresh, without overflow.
    assert!(ticket_age_fresh(u64::MAX, u64::MAX, u64::MAX, WINDOW));
    assert!(ticket_age_fresh(0, 0, 0, Duration::ZERO));
    // The largest window takes everything, the longest retention saturates.
    assert!(ticket_age_fresh(0, 0, u64::MAX, Duration::MAX));
    let forever = StrikeRegister::new(4, Duration::MAX);
    assert_eq!(forever.check_and_insert(&ticket(1), 0), Admit::Fresh);
    assert_eq!(
        forever.check_and_insert(&ticket(1), u64::MAX),
        Admit::Replayed
    );
    // The register at the end of time.
    let register = StrikeRegister::new(4, WINDOW);
    assert_eq!(
        register.check_and_insert(&ticket(1), u64::MAX),
        Admit::Fresh
    );
    assert_eq!(
        register.check_and_insert(&ticket(1), u64::MAX),
        Admit::Replayed
    );
    assert_eq!(
        register.admit_early_data(&ticket(2), created, u64::MAX, T0),
        Admit::Stale
    );
}

#[test]
fn a_clock_gone_back_before_the_ticket_was_made_is_not_read_as_age_zero() {
    // The ticket was made a minute "after" now: our clock went back.
    let created = T0 + 60_000;
    // A client that says the ticket is one second old expected it at
    // created + 1 s, a minute and a second from now: refused, where
    // rounding our age up to zero would have let it pass.
    assert!(!ticket_age_fresh(created, 1_000, T0, WINDOW));
    // The edge of the window still holds with the clock behind.
    assert!(ticket_age_fresh(created, 0, created - WINDOW_MS, WINDOW));
    assert!(!ticket_age_fresh(
        created,
        0,
        created - WINDOW_MS - 1,
        WINDOW
    ));
}

#[test]
fn a_clock_going_back_does_not_reclaim_entries_early() {
    let register = StrikeRegister::new(8, WINDOW);
    assert_eq!(register.check_and_insert(&ticket(1), T0), Admit::Fresh);
    // The clock steps back an hour, then far back: the entry is still
    // there. The one recorded at time 0 waits behind it, reclaimed with it.
    assert_eq!(
        register.check_and_insert(&ticket(1), T0 - 3_600_000),
        Admit::Replayed
    );
    assert_eq!(register.check_and_insert(&ticket(1), 0), Admit::Replayed);
    assert_eq!(register.check_and_insert(&ticket(2), 0), Admit::Fresh);
    assert_eq!(
        register.check_and_insert(&ticket(2), T0 + RETENTION_MS),
        Admit::Replayed
    );
    assert_eq!(
        register.check_and_insert(&ticket(1), T0 + RETENTION_MS + 1),
        Admit::Fresh
    );
    assert_eq!(
        register.check_and_insert(&ticket(2), T0 + RETENTION_MS + 1),
        Admit::Fresh
    );
}

#[test]
fn stale_offers_are_refused_and_not_recorded() {
    let register = StrikeRegister::new(1, WINDOW);
    let created = T0 - 60_000;
    for age in [0, 60_000 - WINDOW_MS - 1, 60_000 + WINDOW_MS + 1] {
        let admit = register.admit_early_data(&ticket(1), created, age, T0);
        assert_eq!(admit, Admit::Stale, "age {age}");
        assert!(!admit.accepts_early_data());
    }
    // Nothing recorded: the one slot is still free for a fresh offer.
    assert!(register.is_empty());
    assert_eq!(
        register.admit_early_data(&ticket(1), created, 60_000, T0),
        Admit::Fresh
    );
    assert_eq!(
        register.admit_early_data(&ticket(1), created, 60_000, T0),
        Admit::Replayed
    );
    assert_eq!(
        register.admit_early_data(&ticket(2), created, 60_000, T0),
        Admit::Full
    );
}

#[test]
fn concurrent_offers_of_one_ticket_admit_exactly_one() {
    const THREADS: usize = 16;
    const ROUNDS: u32 = 50;
    let register = Arc::new(StrikeRegister::default());
    for round in 0..ROUNDS {
        let barrier = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let register = Arc::clone(&register);
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    register.check_and_insert(&ticket(round), T0)
                })
            })
            .collect();
        let answers: Vec<Admit> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let fresh = answers.iter().filter(|a| **a == Admit::Fresh).count();
        let replayed = answers.iter().filter(|a| **a == Admit::Replayed).count();
        assert_eq!((fresh, replayed), (1, THREADS - 1), "round {round}");
    }
    assert_eq!(register.len(), ROUNDS as usize);
}

#[test]
fn the_default_register_is_shareable_and_sized_as_documented() {
    fn shared_by_every_connection<T: Send + Sync + 'static>(_: &Arc<T>) {}
    let register = Arc::new(StrikeRegister::default());
    shared_by_every_connection(&register);
    assert_eq!(register.capacity(), 65_536);
    assert_eq!(register.capacity(), StrikeRegister::DEFAULT_CAPACITY);
    assert_eq!(register.window(), Duration::from_secs(10));
    assert_eq!(register.window(), StrikeRegister::DEFAULT_WINDOW);
    assert_eq!(register.retention(), Duration::from_secs(20));
    assert!(register.is_empty());
    assert!(format!("{register:?}").contains("capacity: 65536"));
}
