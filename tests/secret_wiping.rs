//! Secrets do not outlive their holders in freed heap (issue #11 item 6).
//!
//! A global allocator looks into every block this thread frees (and every
//! block `realloc` moves away from) for the session's 48-byte master
//! secret, learned through the key log the moment it is made. A full
//! handshake with a session cache and tickets, a resumption by ticket and
//! a resumption by session ID put the secret in the handshake `Core`s, in
//! `SessionState` copies (cache entry, client store, ticket plaintext),
//! and through `into_connection`; after everything is dropped, no freed
//! block may still hold it.
//!
//! The same for TLS 1.3's traffic secrets, after one full handshake.
//!
//! Only the heap is checked: ring's own key schedules and stack copies are
//! out of reach (see `docs/connection.md`, "Secrets").

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::sync::Arc;

use common::memory::localhost;
use tlstate::driver::{ClientDriver, ServerDriver};
use tlstate::enums::{CipherSuite, ProtocolVersion};
use tlstate::handshake::{ClientConfig, ServerConfig};
use tlstate::keylog::KeyLog;
use tlstate::session::{InMemorySessionStore, SessionCache, Ticketer};

const SECRET_LEN: usize = 48;

/// How many sessions' secrets the scan can watch at once.
const WATCH_SLOTS: usize = 4;

/// The master secrets to look for, as the key log sees them. They are
/// copied from the key log's slice into this thread-local and only ever
/// read by reference: a copy of the secret on the test's own stack could
/// end up in a heap block (through the uninitialised bytes of a large
/// value moved into a `Box`) and be found there.
struct Watched {
    secrets: [[u8; SECRET_LEN]; WATCH_SLOTS],
    count: usize,
}

thread_local! {
    static WATCHED: RefCell<Watched> = const {
        RefCell::new(Watched {
            secrets: [[0; SECRET_LEN]; WATCH_SLOTS],
            count: 0,
        })
    };
    /// Freed blocks that still held one.
    static FOUND: Cell<usize> = const { Cell::new(0) };
}

/// The system allocator, checking what this thread frees.
struct ScanningFrees;

fn holds(block: &[u8], secret: &[u8; SECRET_LEN]) -> bool {
    block.windows(SECRET_LEN).any(|window| window == secret)
}

/// Whether `block` holds a watched secret.
fn holds_watched(block: &[u8]) -> bool {
    WATCHED
        .try_with(|watched| match watched.try_borrow() {
            Ok(watched) => watched.secrets[..watched.count]
                .iter()
                .any(|secret| holds(block, secret)),
            Err(_) => false,
        })
        .unwrap_or(false)
}

// SAFETY: every call is passed to `System` unchanged; `dealloc` only reads
// the block it is handed before handing it on, while it is still live.
unsafe impl GlobalAlloc for ScanningFrees {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.size() >= SECRET_LEN {
            // SAFETY: `ptr` is a live block of `layout.size()` bytes until
            // `System.dealloc` below.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            if holds_watched(block) {
                // `try_with`: thread-locals may be gone while a thread exits.
                let _ = FOUND.try_with(|found| found.set(found.get() + 1));
            }
        }
        unsafe { System.dealloc(ptr, layout) }
    }
    // `realloc` is left to the default, `alloc` + copy + `dealloc`, so a
    // block that a growing buffer leaves behind is scanned too.
}

#[global_allocator]
static ALLOCATOR: ScanningFrees = ScanningFrees;

/// Records each master secret for the scan (both ends log the same one).
#[derive(Debug)]
struct Watch;

impl KeyLog for Watch {
    fn log(&self, _label: &str, _client_random: &[u8; 32], secret: &[u8]) {
        WATCHED.with(|watched| {
            let mut watched = watched.borrow_mut();
            let count = watched.count;
            let known = watched.secrets[..count]
                .iter()
                .any(|known| known[..] == *secret);
            if known || count == WATCH_SLOTS || secret.len() != SECRET_LEN {
                return;
            }
            watched.secrets[count].copy_from_slice(secret);
            watched.count += 1;
        });
    }
}

fn watched_count() -> usize {
    WATCHED.with(|watched| watched.borrow().count)
}

fn pump(client: &mut ClientDriver, server: &mut ServerDriver) {
    for _ in 0..8 {
        while let Some(bytes) = client.poll_output() {
            let input: &[u8] = &bytes;
            assert_eq!(
                server.handle_input(input),
                input.len(),
                "the driver takes it all"
            );
        }
        while let Some(bytes) = server.poll_output() {
            let input: &[u8] = &bytes;
            assert_eq!(
                client.handle_input(input),
                input.len(),
                "the driver takes it all"
            );
        }
    }
    while client.poll_event().is_some() {}
    while server.poll_event().is_some() {}
}

fn connect(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> (bool, bool) {
    // Boxed: the drivers, and the handshake state inside them, live on
    // the scanned heap rather than on this test's stack.
    let mut c = Box::new(ClientDriver::new(client.clone(), localhost()));
    let mut s = Box::new(ServerDriver::new(server.clone()));
    pump(&mut c, &mut s);
    let resumed = |summary: Option<&tlstate::connection::SessionSummary>| {
        summary.expect("the handshake finished").resumed
    };
    let out = (resumed(c.summary()), resumed(s.summary()));
    c.send(b"ping").unwrap();
    pump(&mut c, &mut s);
    out
}

#[test]
fn no_freed_block_holds_the_master_secret() {
    let pki = common::fixture();
    {
        // TLS 1.2: its master secret, and its two ways of resuming.
        let mut server = (*pki.pki.server_config_tls12(&pki.leaf)).clone();
        server.key_log = Some(Arc::new(Watch));
        server.ticketer = Some(Arc::new(Ticketer::new(3600, 7200).unwrap()));
        server.session_cache = Some(Arc::new(SessionCache::new(4, 3600)));
        let server = Arc::new(server);
        let mut client = (*pki.pki.client_config_tls12()).clone();
        client.session_store = Some(Arc::new(InMemorySessionStore::new(4)));
        let with_tickets = Arc::new(client.clone());
        client.enable_tickets = false;
        let without_tickets = Arc::new(client);

        assert_eq!(connect(&with_tickets, &server), (false, false));
        assert_eq!(watched_count(), 1, "the key log saw the secret");
        assert_eq!(connect(&with_tickets, &server), (true, true), "by ticket");
        assert_eq!(connect(&without_tickets, &server), (false, false));
        assert_eq!(
            connect(&without_tickets, &server),
            (true, true),
            "by session ID"
        );
        // Configurations, cache, store and ticketer are dropped here.
    }
    assert_eq!(watched_count(), 2, "two sessions were made");
    assert_eq!(
        FOUND.with(Cell::get),
        0,
        "freed blocks still held the master secret"
    );
}

/// TLS 1.3: the four traffic secrets the key log sees (both handshake
/// traffic secrets and both first application traffic secrets, 48 bytes
/// under a SHA-384 suite) are in no block freed during or after the
/// handshake, nor once both connections are dropped. TLS 1.3 secrets live
/// inline in `crypto::tls13::Secret` (wiped on drop) inside the handshake
/// state, so what this catches is a copy of one that reaches the heap
/// (checked: a `to_vec()` of each logged secret fails it with 4 blocks).
#[test]
fn no_freed_block_holds_a_tls13_traffic_secret() {
    let pki = common::fixture();
    {
        let mut server = (*pki.pki.server_config(&pki.leaf)).clone();
        server.versions = vec![ProtocolVersion::Tls13];
        server.cipher_suites = vec![CipherSuite::TLS13_AES_256_GCM_SHA384];
        server.key_log = Some(Arc::new(Watch));
        let server = Arc::new(server);
        let mut client = (*pki.pki.client_config()).clone();
        client.versions = vec![ProtocolVersion::Tls13];
        let client = Arc::new(client);
        assert_eq!(connect(&client, &server), (false, false));
        // Configurations and both drivers are dropped here.
    }
    assert_eq!(watched_count(), 4, "the key log saw four traffic secrets");
    assert_eq!(
        FOUND.with(Cell::get),
        0,
        "freed blocks still held a TLS 1.3 traffic secret"
    );
}

/// Watches `secret` (its bytes copied into the thread-local, no heap).
fn watch(secret: &[u8]) {
    Watch.log("PSK", &[0; 32], secret);
}

/// TLS 1.3 tickets: the PSK of a ticket (48 bytes under SHA-384), kept in
/// the client's store, offered and resumed with, is in no block freed
/// while it is kept, handed out, used by both sides, and once everything
/// is dropped: every place that holds it wipes it, and none moves it out
/// of a heap block it leaves behind (a queue that grows, a box moved out
/// of).
#[test]
fn no_freed_block_holds_a_tls13_ticket_psk() {
    let pki = common::fixture();
    {
        let mut server = (*pki.pki.server_config(&pki.leaf)).clone();
        server.versions = vec![ProtocolVersion::Tls13];
        server.cipher_suites = vec![CipherSuite::TLS13_AES_256_GCM_SHA384];
        server.ticketer = Some(Arc::new(Ticketer::new(3600, 7200).unwrap()));
        let server = Arc::new(server);
        let store = Arc::new(InMemorySessionStore::new(4));
        let mut client = (*pki.pki.client_config()).clone();
        client.versions = vec![ProtocolVersion::Tls13];
        client.session_store = Some(store.clone());
        let client = Arc::new(client);
        assert_eq!(connect(&client, &server), (false, false));
        // Both tickets' PSKs are watched from here.
        use tlstate::session::ClientSessionStore;
        let first = store.take_tls13("localhost").expect("a ticket was kept");
        let second = store
            .take_tls13("localhost")
            .expect("two tickets were kept");
        watch(first.psk.as_bytes());
        watch(second.psk.as_bytes());
        // Into a fresh queue, as they came: the queue grows with them.
        store.remove("localhost");
        store.put_tls13("localhost", second);
        store.put_tls13("localhost", first);
        assert_eq!(watched_count(), 2, "two tickets, two PSKs");
        assert_eq!(connect(&client, &server), (true, true), "resumed");
        assert_eq!(connect(&client, &server), (true, true), "resumed again");
        // Configurations, store and drivers are dropped here.
    }
    assert_eq!(
        FOUND.with(Cell::get),
        0,
        "freed blocks still held a TLS 1.3 ticket's PSK"
    );
}
