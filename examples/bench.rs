//! tlstate against rustls, side by side, in one process.
//!
//! Run with `cargo run --release --example bench`. Every figure prints one
//! line:
//!
//! ```text
//! NAME tlstate=X rustls=Y ratio=X/Y floor_share=Z
//! ```
//!
//! Higher is better unless the line ends in `(lower is better)`.
//!
//! Figures whose names start with `tls13_` are TLS 1.3 (both libraries
//! restricted to it), the others TLS 1.2. The bulk figures of both move
//! every byte through byte buffers for both libraries, as a socket would
//! (tlstate `flush_to` / `fill_from`, rustls `write_tls` / `read_tls`).
//! `bulk_handoff_*` (TLS 1.2) hand tlstate's records over in process
//! instead (`take_output` → `feed_owned`, two copies fewer, a path only an
//! in-process pair has): extras, not headlines (issue #14).
//! `tls13_tcp_loopback_*` goes over real loopback TCP sockets, in wall
//! time (docs/performance.md).
//! `tls13_resumed_*` are TLS 1.3 PSK resumptions (psk_dhe_ke), two
//! tickets per connection in both libraries, each handshake checked to
//! have resumed on both sides.
//! `tls13_zero_rtt_*` counts the round trips from a resumed client's first
//! byte to the server's answer in its hands: 1-RTT resumption against 0-RTT
//! with the answer sent as 0.5-RTT data (tlstate only; a count, not a
//! time, so it does not vary).
//! `floor_share` compares tlstate with what raw `ring` needs for the same
//! work on this machine (for rates `tlstate / floor`, for CPU times
//! `floor time / tlstate time`; 1.0 would mean tlstate adds nothing).
//!
//! The machine is shared, so wall-clock figures are noisy: each figure runs
//! its contestants (tlstate, rustls, the ring floor) in short alternating
//! slices, rotating which goes first, and reports the median slice of each.
//!
//! Arguments (all optional):
//!
//! - `FILTER`: run only the figures whose name contains it, e.g.
//!   `full_handshake_ecdsa` or `bulk_aes128`.
//! - `--rounds N`: alternating rounds per figure (default 15).
//! - `--only tlstate|rustls|floor`: run one contestant (for callgrind).
//!
//! For instruction counts:
//!
//! ```text
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \
//!     target/release/examples/bench full_handshake_ecdsa --rounds 1 --only tlstate
//! callgrind_annotate --inclusive=yes /tmp/cg.out | head -60
//! ```
//!
//! The helpers above `main` (PKI, configurations, in-memory drivers) are
//! `pub(crate)` because `benches/handshake.rs` and `benches/bulk.rs` include
//! this file as a module and reuse them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::error::Error;
use std::io::{Read, Write};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tlstate::connection::{Connection, ReadOutcome};
use tlstate::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use tlstate::handshake::{
    AfterClientHello, AfterEncryptedExtensions, AfterServerCert, AfterServerHello, AfterServerKey,
    AfterTicket, Client, ClientConfig, Handshake, Role, Server, ServerConfig, Step,
};
use tlstate::session::{
    ClientSessionStore, InMemorySessionStore, ResumedBy, SessionCache, Ticketer,
};

pub(crate) type Res<T> = Result<T, Box<dyn Error>>;

// ---------------------------------------------------------------------------
// A counting allocator: live bytes and the number of allocations.
// ---------------------------------------------------------------------------

/// The system allocator, counting. Counting costs two relaxed atomic adds
/// per call, paid alike by both libraries.
struct Counting;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to `System`; the counters are
// only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        trace_alloc(layout.size());
        ALLOCATIONS.fetch_add(1, Relaxed);
        LIVE_BYTES.fetch_add(layout.size(), Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        trace_alloc(layout.size());
        ALLOCATIONS.fetch_add(1, Relaxed);
        LIVE_BYTES.fetch_add(layout.size(), Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A realloc is a trip to the allocator too: counted as one.
        trace_alloc(new_size);
        ALLOCATIONS.fetch_add(1, Relaxed);
        LIVE_BYTES.fetch_add(new_size, Relaxed);
        LIVE_BYTES.fetch_sub(layout.size(), Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

thread_local! { static TRACING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) }; }
static TRACE_ON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
fn trace_alloc(size: usize) {
    if !TRACE_ON.load(Relaxed) {
        return;
    }
    if TRACING.with(|t| t.replace(true)) {
        return;
    }
    let bt = std::backtrace::Backtrace::force_capture().to_string();
    let frames: Vec<&str> = bt
        .lines()
        .filter(|l| l.contains(": ") && !l.contains("at "))
        .map(|l| l.trim())
        .filter(|l| {
            !l.contains("bench::")
                && !l.contains("alloc::")
                && !l.contains("std::")
                && !l.contains("core::")
        })
        .take(4)
        .collect();
    eprintln!("ALLOC {size} | {}", frames.join(" < "));
    TRACING.with(|t| t.set(false));
}
#[global_allocator]
static GLOBAL: Counting = Counting;

fn live_bytes() -> usize {
    LIVE_BYTES.load(Relaxed)
}

fn allocations() -> u64 {
    ALLOCATIONS.load(Relaxed)
}

// ---------------------------------------------------------------------------
// Thread CPU time: the machine is shared, so rates are per second of this
// thread's CPU time (time spent descheduled is not counted).
// ---------------------------------------------------------------------------

#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

unsafe extern "C" {
    // From the C library std already links; `CLOCK_THREAD_CPUTIME_ID` is 3
    // on Linux.
    fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
}

/// The CPU time this thread has used.
pub(crate) fn thread_cpu() -> Duration {
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes it.
    let rc = unsafe { clock_gettime(3, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

// ---------------------------------------------------------------------------
// Test PKI: one ECDSA P-256 CA; a P-256 leaf and an RSA-2048 leaf.
// ---------------------------------------------------------------------------

/// The server key kinds measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    EcdsaP256,
    Rsa2048,
}

/// A leaf certificate (chain of one) and its PKCS#8 key.
pub(crate) struct Leaf {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) pkcs8: Vec<u8>,
}

impl Leaf {
    pub(crate) fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.pkcs8.clone()))
    }
}

/// The CA (the one trust anchor of both libraries' clients) and its leaves.
pub(crate) struct Pki {
    pub(crate) ca: CertificateDer<'static>,
    pub(crate) ca_pkcs8: Vec<u8>,
    pub(crate) ecdsa: Leaf,
    pub(crate) rsa: Leaf,
}

impl Pki {
    /// Makes the CA and both leaves (the RSA key with the `openssl` CLI,
    /// as ring cannot generate RSA keys).
    pub(crate) fn new() -> Res<Self> {
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let ca_pkcs8 = ca_key.serialize_der();
        let mut params = CertificateParams::new(Vec::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "tlstate bench CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = params.self_signed(&ca_key)?;
        let issuer = Issuer::new(params, ca_key);
        let leaf = |key: KeyPair| -> Res<Leaf> {
            let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
            params
                .distinguished_name
                .push(DnType::CommonName, "localhost");
            let cert = params.signed_by(&key, &issuer)?;
            Ok(Leaf {
                chain: vec![cert.der().clone()],
                pkcs8: key.serialize_der(),
            })
        };
        let ecdsa = leaf(KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?)?;
        let rsa = leaf(KeyPair::from_pem_and_sign_algo(
            &rsa_2048_pem()?,
            &rcgen::PKCS_RSA_SHA256,
        )?)?;
        Ok(Self {
            ca: ca.der().clone(),
            ca_pkcs8,
            ecdsa,
            rsa,
        })
    }

    pub(crate) fn leaf(&self, kind: Kind) -> &Leaf {
        match kind {
            Kind::EcdsaP256 => &self.ecdsa,
            Kind::Rsa2048 => &self.rsa,
        }
    }
}

/// A fresh RSA-2048 key in PKCS#8 PEM, from `openssl genpkey`.
fn rsa_2048_pem() -> Res<String> {
    let out = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("running openssl (needed for the RSA key): {e}"))?;
    if !out.status.success() {
        return Err("openssl genpkey failed".into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

pub(crate) fn server_name() -> ServerName<'static> {
    ServerName::try_from("localhost").expect("a valid DNS name")
}

// ---------------------------------------------------------------------------
// Configurations: one suite and x25519 only, for both libraries.
// ---------------------------------------------------------------------------

/// The suites measured, by bulk cipher.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Aead {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl Aead {
    pub(crate) const ALL: [Aead; 3] = [Aead::Aes128Gcm, Aead::Aes256Gcm, Aead::ChaCha20Poly1305];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Aead::Aes128Gcm => "aes128gcm",
            Aead::Aes256Gcm => "aes256gcm",
            Aead::ChaCha20Poly1305 => "chacha20poly1305",
        }
    }

    fn tlstate_suite(self, kind: Kind) -> CipherSuite {
        use CipherSuite as C;
        match (kind, self) {
            (Kind::EcdsaP256, Aead::Aes128Gcm) => C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            (Kind::EcdsaP256, Aead::Aes256Gcm) => C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            (Kind::EcdsaP256, Aead::ChaCha20Poly1305) => {
                C::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
            }
            (Kind::Rsa2048, Aead::Aes128Gcm) => C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            (Kind::Rsa2048, Aead::Aes256Gcm) => C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            (Kind::Rsa2048, Aead::ChaCha20Poly1305) => {
                C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
            }
        }
    }

    fn rustls_suite(self, kind: Kind) -> rustls::SupportedCipherSuite {
        use rustls::crypto::ring::cipher_suite as rs;
        match (kind, self) {
            (Kind::EcdsaP256, Aead::Aes128Gcm) => rs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            (Kind::EcdsaP256, Aead::Aes256Gcm) => rs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            (Kind::EcdsaP256, Aead::ChaCha20Poly1305) => {
                rs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
            }
            (Kind::Rsa2048, Aead::Aes128Gcm) => rs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            (Kind::Rsa2048, Aead::Aes256Gcm) => rs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            (Kind::Rsa2048, Aead::ChaCha20Poly1305) => {
                rs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
            }
        }
    }

    fn tlstate_suite13(self) -> CipherSuite {
        match self {
            Aead::Aes128Gcm => CipherSuite::TLS13_AES_128_GCM_SHA256,
            Aead::Aes256Gcm => CipherSuite::TLS13_AES_256_GCM_SHA384,
            Aead::ChaCha20Poly1305 => CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        }
    }

    fn rustls_suite13(self) -> rustls::SupportedCipherSuite {
        use rustls::crypto::ring::cipher_suite as rs;
        match self {
            Aead::Aes128Gcm => rs::TLS13_AES_128_GCM_SHA256,
            Aead::Aes256Gcm => rs::TLS13_AES_256_GCM_SHA384,
            Aead::ChaCha20Poly1305 => rs::TLS13_CHACHA20_POLY1305_SHA256,
        }
    }

    fn ring_algorithm(self) -> &'static ring::aead::Algorithm {
        match self {
            Aead::Aes128Gcm => &ring::aead::AES_128_GCM,
            Aead::Aes256Gcm => &ring::aead::AES_256_GCM,
            Aead::ChaCha20Poly1305 => &ring::aead::CHACHA20_POLY1305,
        }
    }
}

/// How sessions may be resumed in a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resumption {
    /// None: every handshake is a full one.
    Off,
    /// Server-side session-ID cache.
    SessionId,
    /// Session tickets (RFC 5077), no server-side cache.
    Ticket,
}

/// Both tlstate configurations, restricted to one suite and x25519.
pub(crate) fn tlstate_configs(
    pki: &Pki,
    kind: Kind,
    aead: Aead,
    resumption: Resumption,
) -> Res<(Arc<ClientConfig>, Arc<ServerConfig>)> {
    let suite = aead.tlstate_suite(kind);
    let mut client = ClientConfig::with_root_certificates(std::slice::from_ref(&pki.ca))?;
    // TLS 1.2 only, whatever the default: rustls's side is restricted too.
    client.versions = vec![ProtocolVersion::Tls12];
    client.cipher_suites = vec![suite];
    // The client offers secp256r1 after x25519: the server needs it listed
    // to use a P-256 certificate (RFC 8422 5.1); x25519 is what is chosen.
    client.groups = vec![NamedGroup::X25519, NamedGroup::secp256r1];
    let leaf = pki.leaf(kind);
    let mut server = ServerConfig::new(leaf.chain.clone(), &leaf.key())?;
    server.versions = vec![ProtocolVersion::Tls12];
    server.cipher_suites = vec![suite];
    server.groups = vec![NamedGroup::X25519];
    match resumption {
        Resumption::Off => {
            client.session_store = None;
            client.enable_tickets = false;
        }
        Resumption::SessionId => {
            client.enable_tickets = false;
            server.session_cache = Some(Arc::new(SessionCache::new(256, 3600)));
        }
        Resumption::Ticket => {
            client.enable_tickets = true;
            server.ticketer = Some(Arc::new(Ticketer::new(3600, 7200)?));
        }
    }
    Ok((Arc::new(client), Arc::new(server)))
}

/// Both rustls configurations: the ring provider with one suite and
/// x25519, TLS 1.2 only, the same CA and leaf as tlstate.
pub(crate) fn rustls_configs(
    pki: &Pki,
    kind: Kind,
    aead: Aead,
    resumption: Resumption,
) -> Res<(Arc<rustls::ClientConfig>, Arc<rustls::ServerConfig>)> {
    use rustls::client::{Resumption as R, Tls12Resumption};
    use rustls::crypto::ring::kx_group::{SECP256R1, X25519};
    // Like tlstate's: the client offers x25519 then secp256r1, the server
    // takes x25519 only.
    let provider = |kx_groups| {
        let mut provider = rustls::crypto::ring::default_provider();
        provider.cipher_suites = vec![aead.rustls_suite(kind)];
        provider.kx_groups = kx_groups;
        Arc::new(provider)
    };
    let versions = [&rustls::version::TLS12];

    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.clone())?;
    let mut client = rustls::ClientConfig::builder_with_provider(provider(vec![X25519, SECP256R1]))
        .with_protocol_versions(&versions)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let leaf = pki.leaf(kind);
    let mut server = rustls::ServerConfig::builder_with_provider(provider(vec![X25519]))
        .with_protocol_versions(&versions)?
        .with_no_client_auth()
        .with_single_cert(leaf.chain.clone(), leaf.key())?;
    match resumption {
        Resumption::Off => {
            client.resumption = R::disabled();
            server.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        }
        Resumption::SessionId => {
            client.resumption =
                R::in_memory_sessions(256).tls12_resumption(Tls12Resumption::SessionIdOnly);
            server.session_storage = rustls::server::ServerSessionMemoryCache::new(256);
        }
        Resumption::Ticket => {
            client.resumption = R::in_memory_sessions(256);
            server.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
            server.ticketer = rustls::crypto::ring::Ticketer::new()?;
        }
    }
    Ok((Arc::new(client), Arc::new(server)))
}

/// Both tlstate configurations for TLS 1.3 only: one suite, the client
/// offering x25519 then secp256r1 (its one key share is x25519's), the
/// server taking x25519, nothing to resume and no tickets (the full
/// handshake figures; [`tlstate_configs13_resumable`] turns resumption
/// on), the compatibility ChangeCipherSpec sent (the default, and what
/// rustls always does).
pub(crate) fn tlstate_configs13(
    pki: &Pki,
    kind: Kind,
    aead: Aead,
) -> Res<(Arc<ClientConfig>, Arc<ServerConfig>)> {
    let suite = aead.tlstate_suite13();
    let mut client = ClientConfig::with_root_certificates(std::slice::from_ref(&pki.ca))?;
    client.versions = vec![ProtocolVersion::Tls13];
    client.cipher_suites = vec![suite];
    client.groups = vec![NamedGroup::X25519, NamedGroup::secp256r1];
    client.session_store = None;
    client.enable_tickets = false;
    client.middlebox_compat = true;
    let leaf = pki.leaf(kind);
    let mut server = ServerConfig::new(leaf.chain.clone(), &leaf.key())?;
    server.versions = vec![ProtocolVersion::Tls13];
    server.cipher_suites = vec![suite];
    server.groups = vec![NamedGroup::X25519];
    server.middlebox_compat = true;
    Ok((Arc::new(client), Arc::new(server)))
}

/// Both rustls configurations for TLS 1.3 only, like
/// [`tlstate_configs13`]: one suite, x25519 then secp256r1 offered,
/// x25519 taken, no resumption on either side and no tickets sent.
pub(crate) fn rustls_configs13(
    pki: &Pki,
    kind: Kind,
    aead: Aead,
) -> Res<(Arc<rustls::ClientConfig>, Arc<rustls::ServerConfig>)> {
    use rustls::client::Resumption as R;
    use rustls::crypto::ring::kx_group::{SECP256R1, X25519};
    let provider = |kx_groups| {
        let mut provider = rustls::crypto::ring::default_provider();
        provider.cipher_suites = vec![aead.rustls_suite13()];
        provider.kx_groups = kx_groups;
        Arc::new(provider)
    };
    let versions = [&rustls::version::TLS13];
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.clone())?;
    let mut client = rustls::ClientConfig::builder_with_provider(provider(vec![X25519, SECP256R1]))
        .with_protocol_versions(&versions)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    client.resumption = R::disabled();
    let leaf = pki.leaf(kind);
    let mut server = rustls::ServerConfig::builder_with_provider(provider(vec![X25519]))
        .with_protocol_versions(&versions)?
        .with_no_client_auth()
        .with_single_cert(leaf.chain.clone(), leaf.key())?;
    server.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    server.send_tls13_tickets = 0;
    Ok((Arc::new(client), Arc::new(server)))
}

/// TLS 1.3 tickets each server sends per connection in the resumed
/// figures, in both libraries: two, the default of both (and OpenSSL's).
/// Each resumed handshake uses one ticket and brings two new ones.
pub(crate) const TLS13_TICKETS_PER_CONNECTION: usize = 2;

/// [`tlstate_configs13`] with TLS 1.3 resumption on: the client keeps
/// tickets in a fresh in-memory store, the server seals them with a
/// ticketer (stateless, no server cache) and sends
/// [`TLS13_TICKETS_PER_CONNECTION`] of them. Also returns the store, to
/// count the tickets once.
pub(crate) fn tlstate_configs13_resumable(
    pki: &Pki,
    kind: Kind,
    aead: Aead,
) -> Res<(
    Arc<ClientConfig>,
    Arc<ServerConfig>,
    Arc<InMemorySessionStore>,
)> {
    let (client, server) = tlstate_configs13(pki, kind, aead)?;
    let store = Arc::new(InMemorySessionStore::new(256));
    let mut client = Arc::unwrap_or_clone(client);
    client.session_store = Some(store.clone());
    client.enable_tickets = true;
    let mut server = Arc::unwrap_or_clone(server);
    server.ticketer = Some(Arc::new(Ticketer::new(3600, 7200)?));
    server.tls13_tickets = TLS13_TICKETS_PER_CONNECTION;
    Ok((Arc::new(client), Arc::new(server), store))
}

/// [`rustls_configs13`] with TLS 1.3 resumption on, like
/// [`tlstate_configs13_resumable`]: the client's in-memory session cache,
/// the server's ticketer (stateless, no server cache) sending
/// [`TLS13_TICKETS_PER_CONNECTION`] tickets.
pub(crate) fn rustls_configs13_resumable(
    pki: &Pki,
    kind: Kind,
    aead: Aead,
) -> Res<(Arc<rustls::ClientConfig>, Arc<rustls::ServerConfig>)> {
    let (client, server) = rustls_configs13(pki, kind, aead)?;
    let mut client = Arc::unwrap_or_clone(client);
    client.resumption = rustls::client::Resumption::in_memory_sessions(256);
    let mut server = Arc::unwrap_or_clone(server);
    server.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    server.ticketer = rustls::crypto::ring::Ticketer::new()?;
    server.send_tls13_tickets = TLS13_TICKETS_PER_CONNECTION;
    Ok((Arc::new(client), Arc::new(server)))
}

// ---------------------------------------------------------------------------
// In-memory handshakes, timing each side's calls.
// ---------------------------------------------------------------------------

/// CPU (wall) time spent in each side's calls.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SideTimes {
    pub(crate) client: Duration,
    pub(crate) server: Duration,
}

/// Evaluates `$e`, adding the time it took to `$acc`.
macro_rules! timed {
    ($acc:expr, $e:expr) => {{
        let start = Instant::now();
        let value = $e;
        $acc += start.elapsed();
        value
    }};
}

/// The next state; a whole flight was fed, so `NeedMore` is a failure.
fn next<N, S>(step: Step<N, S>) -> Res<N> {
    match step {
        Step::Next(next) => Ok(next),
        Step::NeedMore(_) => Err("a whole flight was fed, yet the state needs more".into()),
    }
}

/// One tlstate handshake in memory, full or resumed as the server decides;
/// returns the established pair and whether it was a resumption.
pub(crate) fn tlstate_handshake(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
    t: &mut SideTimes,
) -> Res<(Connection<Client>, Connection<Server>, bool)> {
    let mut c = timed!(
        t.client,
        Handshake::client(client.clone(), server_name()).send()?
    );
    let hello = timed!(t.client, c.take_output());
    let s = timed!(t.server, {
        let mut s = Handshake::server(server.clone());
        let input: &[u8] = &hello;
        assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
        next(s.recv()?)?
    });
    let s = match s {
        AfterClientHello::Full(s) => s,
        AfterClientHello::Resumed(s) => return tlstate_resumed(c, s, t),
        AfterClientHello::Tls13(_)
        | AfterClientHello::Tls13Retry(_)
        | AfterClientHello::Tls13Resumed(_)
        | AfterClientHello::Tls13Early(_) => {
            unreachable!("the bench server negotiates TLS 1.2 only")
        }
    };
    // ServerHello, Certificate, [CertificateStatus], ServerKeyExchange, ServerHelloDone
    let (mut s, flight) = timed!(t.server, {
        let mut s = s.send()?.send()?.send()?.send()?.send()?;
        let flight = s.take_output();
        (s, flight)
    });
    let (mut c, flight) = timed!(t.client, {
        let input: &[u8] = &flight;
        assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
        let AfterServerHello::Full(c) = next(c.recv()?)? else {
            return Err("resumed without a session offered".into());
        };
        // Certificate, then the ServerKeyExchange (no OCSP response is stapled)
        let AfterServerCert::NoCertificateStatus(c) = next(next(c.recv()?)?.recv()?)? else {
            return Err("unexpected CertificateStatus".into());
        };
        let AfterServerKey::NoCertificateRequest(c) = next(c.recv()?)? else {
            return Err("unexpected CertificateRequest".into());
        };
        // ClientKeyExchange, ChangeCipherSpec, Finished
        let mut c = c.send()?.send()?.send()?;
        let flight = c.take_output();
        (c, flight)
    });
    let (s, flight) = timed!(t.server, {
        let input: &[u8] = &flight;
        assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
        let s = next(next(next(s.recv()?)?.recv()?)?.recv()?)?;
        // [NewSessionTicket], ChangeCipherSpec, Finished
        let mut s = s.send()?.send()?.send()?;
        let flight = s.take_output();
        (s.into_connection(), flight)
    });
    let c = timed!(t.client, {
        let input: &[u8] = &flight;
        assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
        let c = match next(c.recv()?)? {
            AfterTicket::Ticket(c) => next(c.recv()?)?,
            AfterTicket::NoTicket(c) => c,
        };
        next(c.recv()?)?.into_connection()
    });
    Ok((c, s, false))
}

/// The rest of an abbreviated tlstate handshake, after the server chose
/// to resume.
fn tlstate_resumed(
    mut c: Handshake<Client, tlstate::handshake::state::ServerHello>,
    s: Handshake<Server, tlstate::handshake::state::ServerHello, tlstate::handshake::Resumed>,
    t: &mut SideTimes,
) -> Res<(Connection<Client>, Connection<Server>, bool)> {
    // ServerHello, [NewSessionTicket], ChangeCipherSpec, Finished
    let (mut s, flight) = timed!(t.server, {
        let mut s = s.send()?.send()?.send()?.send()?;
        let flight = s.take_output();
        (s, flight)
    });
    let (c, flight) = timed!(t.client, {
        let input: &[u8] = &flight;
        assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
        let AfterServerHello::Resumed(c) = next(c.recv()?)? else {
            return Err("the server resumed, the client did not".into());
        };
        let c = match next(c.recv()?)? {
            AfterTicket::Ticket(c) => next(c.recv()?)?,
            AfterTicket::NoTicket(c) => c,
        };
        let mut c = next(c.recv()?)?.send()?.send()?; // Finished; ChangeCipherSpec, Finished
        let flight = c.take_output();
        (c.into_connection(), flight)
    });
    let s = timed!(t.server, {
        let input: &[u8] = &flight;
        assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
        next(next(s.recv()?)?.recv()?)?.into_connection()
    });
    Ok((c, s, true))
}

/// Writes what a tlstate handshake state or connection queued into `wire`
/// through `flush_to`, as into a socket (`wire` is cleared first).
macro_rules! flush {
    ($from:expr, $wire:expr) => {{
        $wire.clear();
        $from.flush_to(&mut $wire)?;
    }};
}

/// Feeds all of `wire` to a tlstate handshake state: a flight always fits.
macro_rules! feed_all {
    ($to:expr, $wire:expr) => {{
        let input: &[u8] = &$wire;
        if $to.feed(input) != input.len() {
            return Err("a whole flight was not taken".into());
        }
    }};
}

/// One full TLS 1.3 tlstate handshake in memory, the flights moved as
/// through a socket (`flush_to` into a byte buffer, `feed` from it), as
/// rustls's are (`write_tls`, `read_tls`).
pub(crate) fn tlstate_handshake13(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
    t: &mut SideTimes,
) -> Res<(Connection<Client>, Connection<Server>)> {
    let mut wire = Vec::new();
    let c = timed!(t.client, {
        let mut c = Handshake::client(client.clone(), server_name()).send()?;
        flush!(c, wire);
        c
    });
    let s = timed!(t.server, {
        let mut s = Handshake::server(server.clone());
        feed_all!(s, wire);
        let AfterClientHello::Tls13(s) = next(s.recv()?)? else {
            return Err("the server did not choose TLS 1.3 without a retry".into());
        };
        // ServerHello, ChangeCipherSpec, EncryptedExtensions, Certificate,
        // CertificateVerify, Finished
        let mut s = s.send()?.send()?.send()?.send()?.send()?.send()?;
        flush!(s, wire);
        s
    });
    let c = timed!(t.client, {
        let mut c = c;
        feed_all!(c, wire);
        let AfterServerHello::Tls13(c) = next(c.recv()?)? else {
            return Err("the client did not get a TLS 1.3 ServerHello".into());
        };
        // EncryptedExtensions, then the Certificate (no CertificateRequest)
        let AfterEncryptedExtensions::NoCertificateRequest(c) = next(next(c.recv()?)?.recv()?)?
        else {
            return Err("unexpected CertificateRequest".into());
        };
        // CertificateVerify, Finished; ChangeCipherSpec, Finished
        let mut c = next(next(c.recv()?)?.recv()?)?.send()?.send()?;
        flush!(c, wire);
        c.into_connection()
    });
    let s = timed!(t.server, {
        let mut s = s;
        feed_all!(s, wire);
        next(s.recv()?)?.into_connection()
    });
    Ok((c, s))
}

/// The server's NewSessionTickets, queued at its read of the client's
/// Finished, carried to the client through the byte buffer (`flush_to`,
/// then `fill_from` and `fill_buf`, which keeps each ticket in the
/// client's store). Nothing else may come.
pub(crate) fn tlstate_deliver_tickets13(
    c: &mut Connection<Client>,
    s: &mut Connection<Server>,
    t: &mut SideTimes,
) -> Res<()> {
    let mut wire = Vec::new();
    timed!(t.server, flush!(s, wire));
    timed!(t.client, {
        let mut input = &wire[..];
        while !input.is_empty() {
            if c.fill_from(&mut input)? == 0 {
                return Err("the client took none of the tickets".into());
            }
            if !matches!(c.fill_buf()?, ReadOutcome::NeedMore) {
                return Err("application data or an end among the tickets".into());
            }
        }
    });
    Ok(())
}

/// One resumed TLS 1.3 tlstate handshake (psk_dhe_ke with a ticket from an
/// earlier connection), the flights through a byte buffer as in
/// [`tlstate_handshake13`], then the server's new tickets delivered
/// ([`tlstate_deliver_tickets13`]). Fails unless both sides took the
/// resumed branch.
pub(crate) fn tlstate_resumed13(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
    t: &mut SideTimes,
) -> Res<(Connection<Client>, Connection<Server>)> {
    let mut wire = Vec::new();
    let c = timed!(t.client, {
        let mut c = Handshake::client(client.clone(), server_name()).send()?;
        flush!(c, wire);
        c
    });
    let s = timed!(t.server, {
        let mut s = Handshake::server(server.clone());
        feed_all!(s, wire);
        let AfterClientHello::Tls13Resumed(s) = next(s.recv()?)? else {
            return Err("the server did not resume the client's ticket".into());
        };
        // ServerHello, ChangeCipherSpec, EncryptedExtensions, Finished
        let mut s = s.send()?.send()?.send()?.send()?;
        flush!(s, wire);
        s
    });
    let mut c = timed!(t.client, {
        let mut c = c;
        feed_all!(c, wire);
        let AfterServerHello::Tls13Resumed(c) = next(c.recv()?)? else {
            return Err("the server resumed, the client did not".into());
        };
        // EncryptedExtensions, Finished; ChangeCipherSpec, Finished
        let mut c = next(next(c.recv()?)?.recv()?)?.send()?.send()?;
        flush!(c, wire);
        c.into_connection()
    });
    let mut s = timed!(t.server, {
        let mut s = s;
        feed_all!(s, wire);
        next(s.recv()?)?.into_connection()
    });
    tlstate_deliver_tickets13(&mut c, &mut s, t)?;
    Ok((c, s))
}

/// Whether a tlstate pair is what the TLS 1.3 resumed figures measure:
/// both sides resumed by a TLS 1.3 PSK, with AES-128-GCM and x25519.
pub(crate) fn tlstate_check_resumed13(c: &Connection<Client>, s: &Connection<Server>) -> Res<()> {
    for (side, summary) in [("client", c.summary()), ("server", s.summary())] {
        if summary.protocol_version != ProtocolVersion::Tls13
            || summary.resumed_by != Some(ResumedBy::Tls13Psk)
            || summary.cipher_suite != CipherSuite::TLS13_AES_128_GCM_SHA256
            || summary.group != NamedGroup::X25519
        {
            return Err(format!(
                "tlstate {side}: not a TLS 1.3 PSK resumption with AES-128-GCM and x25519: \
                 {:?} {:?} {:?} {:?}",
                summary.protocol_version, summary.resumed_by, summary.cipher_suite, summary.group
            )
            .into());
        }
    }
    Ok(())
}

/// One rustls TLS 1.3 handshake (resumed or full, as rustls decides),
/// the flights through a byte buffer as in [`rustls_handshake`], then the
/// server's tickets (queued at its read of the client's Finished, as
/// tlstate's) carried to the client the same way.
pub(crate) fn rustls_handshake13_with_tickets(
    client: &Arc<rustls::ClientConfig>,
    server: &Arc<rustls::ServerConfig>,
    t: &mut SideTimes,
) -> Res<(rustls::ClientConnection, rustls::ServerConnection)> {
    let (mut c, mut s, _) = rustls_handshake(client, server, t)?;
    rustls_transfer(&mut s, &mut c, &mut Vec::new(), t, false)?;
    Ok((c, s))
}

/// Whether a rustls pair is what the TLS 1.3 resumed figures measure:
/// both sides resumed, TLS 1.3, AES-128-GCM and x25519, and the client
/// got [`TLS13_TICKETS_PER_CONNECTION`] new tickets.
pub(crate) fn rustls_check_resumed13(
    c: &rustls::ClientConnection,
    s: &rustls::ServerConnection,
) -> Res<()> {
    use rustls::{HandshakeKind, NamedGroup as G, ProtocolVersion as V};
    let sides: [(&str, &rustls::CommonState); 2] = [("client", c), ("server", s)];
    for (side, conn) in sides {
        let suite = conn.negotiated_cipher_suite().map(|s| s.suite());
        let group = conn.negotiated_key_exchange_group().map(|g| g.name());
        if conn.handshake_kind() != Some(HandshakeKind::Resumed)
            || conn.protocol_version() != Some(V::TLSv1_3)
            || suite != Some(rustls::CipherSuite::TLS13_AES_128_GCM_SHA256)
            || group != Some(G::X25519)
        {
            return Err(format!(
                "rustls {side}: not a TLS 1.3 resumption with AES-128-GCM and x25519: \
                 {:?} {:?} {suite:?} {group:?}",
                conn.handshake_kind(),
                conn.protocol_version()
            )
            .into());
        }
    }
    let tickets = c.tls13_tickets_received();
    if tickets as usize != TLS13_TICKETS_PER_CONNECTION {
        return Err(format!("rustls: the client received {tickets} tickets").into());
    }
    Ok(())
}

/// Moves everything `from` has queued into `to`; returns the bytes moved.
fn rustls_transfer(
    from: &mut impl RustlsConn,
    to: &mut impl RustlsConn,
    wire: &mut Vec<u8>,
    t: &mut SideTimes,
    from_is_client: bool,
) -> Res<usize> {
    let (t_from, t_to) = match from_is_client {
        true => (&mut t.client, &mut t.server),
        false => (&mut t.server, &mut t.client),
    };
    wire.clear();
    timed!(*t_from, from.write_all_tls(wire)?);
    if wire.is_empty() {
        return Ok(0);
    }
    timed!(*t_to, to.read_all_tls(wire)?);
    Ok(wire.len())
}

/// What the in-memory drivers need of a rustls connection.
pub(crate) trait RustlsConn {
    fn write_all_tls(&mut self, wire: &mut Vec<u8>) -> Res<()>;
    /// Feeds `wire` and processes it (draining plaintext into nothing is
    /// the caller's business).
    fn read_all_tls(&mut self, wire: &[u8]) -> Res<()>;
}

macro_rules! rustls_conn {
    ($t:ty) => {
        impl RustlsConn for $t {
            fn write_all_tls(&mut self, wire: &mut Vec<u8>) -> Res<()> {
                while self.wants_write() {
                    self.write_tls(wire)?;
                }
                Ok(())
            }

            fn read_all_tls(&mut self, mut wire: &[u8]) -> Res<()> {
                while !wire.is_empty() {
                    self.read_tls(&mut wire)?;
                    self.process_new_packets()?;
                }
                Ok(())
            }
        }
    };
}
rustls_conn!(rustls::ClientConnection);
rustls_conn!(rustls::ServerConnection);

/// One rustls handshake in memory; returns the pair and whether it was a
/// resumption.
pub(crate) fn rustls_handshake(
    client: &Arc<rustls::ClientConfig>,
    server: &Arc<rustls::ServerConfig>,
    t: &mut SideTimes,
) -> Res<(rustls::ClientConnection, rustls::ServerConnection, bool)> {
    let mut wire = Vec::new();
    let mut c = timed!(
        t.client,
        rustls::ClientConnection::new(client.clone(), server_name())?
    );
    let mut s = timed!(t.server, rustls::ServerConnection::new(server.clone())?);
    while c.is_handshaking() || s.is_handshaking() {
        let moved = rustls_transfer(&mut c, &mut s, &mut wire, t, true)?
            + rustls_transfer(&mut s, &mut c, &mut wire, t, false)?;
        if moved == 0 {
            return Err("rustls handshake stalled".into());
        }
    }
    let resumed = c.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
    Ok((c, s, resumed))
}

// ---------------------------------------------------------------------------
// Bulk transfer, client to server, in memory.
// ---------------------------------------------------------------------------

/// The plaintext of one batch: `writes` writes of `size` bytes.
pub(crate) struct Batch {
    pub(crate) size: usize,
    pub(crate) writes: usize,
}

impl Batch {
    pub(crate) fn bytes(&self) -> usize {
        self.size * self.writes
    }
}

/// Sends one batch from `c` to `s`, each write going to the "socket" at
/// once (its records taken and fed to the server, which reads them out);
/// returns the bytes read.
///
/// The server reads in place (`fill_buf` + `consume`): each record's
/// plaintext is handed to `black_box` where it was decrypted, as rustls's
/// (`BufRead`) and the floor's are. `_buf` is unused: the signature is the
/// one the other figures call.
pub(crate) fn tlstate_bulk(
    c: &mut Connection<Client>,
    s: &mut Connection<Server>,
    data: &[u8],
    batch: &Batch,
    _buf: &mut [u8],
) -> Res<usize> {
    let mut read = 0;
    for _ in 0..batch.writes {
        c.send(&data[..batch.size])?;
        // The records move to the server in their own vector: no copy. A
        // write of at most 16 KiB is one record, which always fits.
        let wire = c.take_output();
        let len = wire.len();
        assert!(
            s.feed_owned(wire).is_empty(),
            "a record of {len} bytes was not taken"
        );
        while let ReadOutcome::Data(plaintext) = s.fill_buf()? {
            let n = std::hint::black_box(plaintext).len();
            read += n;
            s.consume(n);
        }
    }
    Ok(read)
}

/// The same with rustls: each write is sealed, written to `wire` and read
/// from it by the server at once, in place through rustls's `BufRead`
/// (`fill_buf` + `consume`; rustls has already copied each record's
/// plaintext out of its receive buffer into a chunk of its own). `_buf` is
/// unused, as for [`tlstate_bulk`].
pub(crate) fn rustls_bulk(
    c: &mut rustls::ClientConnection,
    s: &mut rustls::ServerConnection,
    data: &[u8],
    batch: &Batch,
    _buf: &mut [u8],
    wire: &mut Vec<u8>,
) -> Res<usize> {
    use std::io::BufRead;
    let mut read = 0;
    for _ in 0..batch.writes {
        c.writer().write_all(&data[..batch.size])?;
        wire.clear();
        c.write_all_tls(wire)?;
        let mut input = &wire[..];
        while !input.is_empty() {
            s.read_tls(&mut input)?;
            s.process_new_packets()?;
            let mut reader = s.reader();
            loop {
                match reader.fill_buf() {
                    Ok([]) => break,
                    Ok(plaintext) => {
                        let n = std::hint::black_box(plaintext).len();
                        read += n;
                        reader.consume(n);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Ok(read)
}

/// Sends one batch from `from` to `to` through a byte stream, as through
/// a socket: each write is sealed, written into `wire` with `flush_to`,
/// and read from it by the other side with `fill_from` (one `read` at a
/// time, as from a socket), which reads the plaintext in place (`fill_buf`
/// and `consume`, each slice handed to `black_box`). Returns the bytes
/// read. rustls's [`rustls_bulk`] moves its records the same way
/// (`write_tls` into a buffer, `read_tls` from it).
pub(crate) fn tlstate_bulk_stream<A: Role, B: Role>(
    from: &mut Connection<A>,
    to: &mut Connection<B>,
    data: &[u8],
    batch: &Batch,
    wire: &mut Vec<u8>,
) -> Res<usize> {
    let mut read = 0;
    for _ in 0..batch.writes {
        from.send(&data[..batch.size])?;
        wire.clear();
        from.flush_to(wire)?;
        let mut input = &wire[..];
        while !input.is_empty() {
            if to.fill_from(&mut input)? == 0 {
                return Err("the reader took nothing".into());
            }
            while let ReadOutcome::Data(plaintext) = to.fill_buf()? {
                let n = std::hint::black_box(plaintext).len();
                read += n;
                to.consume(n);
            }
        }
    }
    Ok(read)
}

/// An established TLS 1.3 tlstate pair for bulk transfer.
pub(crate) fn tlstate_pair13(
    pki: &Pki,
    aead: Aead,
) -> Res<(Connection<Client>, Connection<Server>)> {
    let (cc, sc) = tlstate_configs13(pki, Kind::EcdsaP256, aead)?;
    tlstate_handshake13(&cc, &sc, &mut SideTimes::default())
}

/// An established TLS 1.3 rustls pair for bulk transfer.
pub(crate) fn rustls_pair13(
    pki: &Pki,
    aead: Aead,
) -> Res<(rustls::ClientConnection, rustls::ServerConnection)> {
    let (cc, sc) = rustls_configs13(pki, Kind::EcdsaP256, aead)?;
    let (c, s, _) = rustls_handshake(&cc, &sc, &mut SideTimes::default())?;
    Ok((c, s))
}

/// An established tlstate pair for bulk transfer.
pub(crate) fn tlstate_pair(pki: &Pki, aead: Aead) -> Res<(Connection<Client>, Connection<Server>)> {
    let (cc, sc) = tlstate_configs(pki, Kind::EcdsaP256, aead, Resumption::Off)?;
    let (c, s, _) = tlstate_handshake(&cc, &sc, &mut SideTimes::default())?;
    Ok((c, s))
}

/// An established rustls pair for bulk transfer.
pub(crate) fn rustls_pair(
    pki: &Pki,
    aead: Aead,
) -> Res<(rustls::ClientConnection, rustls::ServerConnection)> {
    let (cc, sc) = rustls_configs(pki, Kind::EcdsaP256, aead, Resumption::Off)?;
    let (c, s, _) = rustls_handshake(&cc, &sc, &mut SideTimes::default())?;
    Ok((c, s))
}

// ---------------------------------------------------------------------------
// The crypto floor: raw ring doing only the primitives.
// ---------------------------------------------------------------------------

/// The primitives of one full handshake, with ring alone.
pub(crate) struct HandshakeFloor {
    rng: SystemRandom,
    kind: Kind,
    /// The server's signing key, one of these.
    ecdsa: Option<EcdsaKeyPair>,
    rsa: Option<RsaKeyPair>,
    rsa_padding: &'static dyn signature::RsaEncoding,
    rsa_verify: &'static signature::RsaParameters,
    /// The CA's key and a signature of it over a message as long as the
    /// leaf, standing in for the chain check (one ECDSA P-256 verify).
    ca_public: Vec<u8>,
    ca_message: Vec<u8>,
    ca_signature: Vec<u8>,
}

impl HandshakeFloor {
    /// `scheme` is what tlstate negotiated, so the floor signs the same way.
    pub(crate) fn new(pki: &Pki, kind: Kind, scheme: SignatureScheme) -> Res<Self> {
        let rng = SystemRandom::new();
        let p256 = &signature::ECDSA_P256_SHA256_ASN1_SIGNING;
        let ca = EcdsaKeyPair::from_pkcs8(p256, &pki.ca_pkcs8, &rng).map_err(|e| e.to_string())?;
        let ca_message = pki.leaf(kind).chain[0].to_vec();
        let ca_signature = ca
            .sign(&rng, &ca_message)
            .map_err(|e| e.to_string())?
            .as_ref()
            .to_vec();
        let leaf = pki.leaf(kind);
        let (ecdsa, rsa) = match kind {
            Kind::EcdsaP256 => (
                Some(EcdsaKeyPair::from_pkcs8(p256, &leaf.pkcs8, &rng).map_err(|e| e.to_string())?),
                None,
            ),
            Kind::Rsa2048 => (
                None,
                Some(RsaKeyPair::from_pkcs8(&leaf.pkcs8).map_err(|e| e.to_string())?),
            ),
        };
        let (rsa_padding, rsa_verify): (&'static dyn signature::RsaEncoding, _) = match scheme {
            SignatureScheme::RSA_PKCS1_SHA256 => (
                &signature::RSA_PKCS1_SHA256,
                &signature::RSA_PKCS1_2048_8192_SHA256,
            ),
            _ => (
                &signature::RSA_PSS_SHA256,
                &signature::RSA_PSS_2048_8192_SHA256,
            ),
        };
        Ok(Self {
            rng,
            kind,
            ecdsa,
            rsa,
            rsa_padding,
            rsa_verify,
            ca_public: ca.public_key().as_ref().to_vec(),
            ca_message,
            ca_signature,
        })
    }

    /// Runs the primitives of one handshake, timing each side's.
    pub(crate) fn run(&self, t: &mut SideTimes) -> Res<()> {
        use ring::agreement::{EphemeralPrivateKey, UnparsedPublicKey, X25519, agree_ephemeral};
        let e = |e: ring::error::Unspecified| e.to_string();
        // Server: ephemeral key, signature over randoms + params.
        let (server_kx, server_public, params, sig) = timed!(t.server, {
            let kx = EphemeralPrivateKey::generate(&X25519, &self.rng).map_err(e)?;
            let public = kx.compute_public_key().map_err(e)?;
            let mut params = vec![0x5a; 64]; // the two randoms
            params.extend_from_slice(&[3, 0, 29, 32]);
            params.extend_from_slice(public.as_ref());
            let sig = match (&self.ecdsa, &self.rsa) {
                (Some(key), _) => key.sign(&self.rng, &params).map_err(e)?.as_ref().to_vec(),
                (_, Some(key)) => {
                    let mut sig = vec![0; key.public().modulus_len()];
                    key.sign(self.rsa_padding, &self.rng, &params, &mut sig)
                        .map_err(e)?;
                    sig
                }
                _ => return Err("no server key".into()),
            };
            (kx, public, params, sig)
        });
        // Client: chain check, ServerKeyExchange check, key exchange.
        let client_public = timed!(t.client, {
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, &self.ca_public)
                .verify(&self.ca_message, &self.ca_signature)
                .map_err(e)?;
            match self.kind {
                Kind::EcdsaP256 => {
                    let public = self.ecdsa.as_ref().ok_or("no key")?.public_key();
                    signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, public)
                        .verify(&params, &sig)
                        .map_err(e)?;
                }
                Kind::Rsa2048 => {
                    let public = self.rsa.as_ref().ok_or("no key")?.public_key();
                    signature::UnparsedPublicKey::new(self.rsa_verify, public)
                        .verify(&params, &sig)
                        .map_err(e)?;
                }
            }
            let kx = EphemeralPrivateKey::generate(&X25519, &self.rng).map_err(e)?;
            let public = kx.compute_public_key().map_err(e)?;
            let peer = UnparsedPublicKey::new(&X25519, server_public.as_ref());
            agree_ephemeral(kx, &peer, |secret| secret.len()).map_err(e)?;
            public
        });
        timed!(t.server, {
            let peer = UnparsedPublicKey::new(&X25519, client_public.as_ref());
            agree_ephemeral(server_kx, &peer, |secret| secret.len()).map_err(e)?;
        });
        Ok(())
    }
}

/// ring sealing a batch of records in place on one side and opening them
/// on the other: the least any TLS library must do for bulk data.
pub(crate) struct BulkFloor {
    seal: ring::aead::LessSafeKey,
    open: ring::aead::LessSafeKey,
    records: Vec<Vec<u8>>,
}

impl BulkFloor {
    pub(crate) fn new(aead: Aead, batch: &Batch) -> Res<Self> {
        let alg = aead.ring_algorithm();
        let key = vec![7u8; alg.key_len()];
        let make = || -> Res<ring::aead::LessSafeKey> {
            let key = ring::aead::UnboundKey::new(alg, &key).map_err(|e| e.to_string())?;
            Ok(ring::aead::LessSafeKey::new(key))
        };
        Ok(Self {
            seal: make()?,
            open: make()?,
            records: vec![vec![0x42; batch.size + 16]; batch.writes],
        })
    }

    /// Seals every record of a batch, then opens every one; returns the
    /// plaintext bytes.
    pub(crate) fn run(&mut self, seq: &mut u64) -> Res<usize> {
        use ring::aead::{Aad, Nonce};
        let nonce = |seq: u64| {
            let mut n = [0u8; 12];
            n[4..].copy_from_slice(&seq.to_be_bytes());
            Nonce::assume_unique_for_key(n)
        };
        let e = |e: ring::error::Unspecified| e.to_string();
        let first = *seq;
        for record in &mut self.records {
            let len = record.len() - 16;
            let (plain, tag) = record.split_at_mut(len);
            let t = self
                .seal
                .seal_in_place_separate_tag(nonce(*seq), Aad::from([0u8; 13]), plain)
                .map_err(e)?;
            tag.copy_from_slice(t.as_ref());
            *seq += 1;
        }
        let mut bytes = 0;
        for (i, record) in self.records.iter_mut().enumerate() {
            let plain = self
                .open
                .open_in_place(nonce(first + i as u64), Aad::from([0u8; 13]), record)
                .map_err(e)?;
            // Delivered where it lies, as the libraries' plaintext is.
            bytes += std::hint::black_box(plain).len();
        }
        Ok(bytes)
    }
}

// ---------------------------------------------------------------------------
// Measuring: alternating slices, medians.
// ---------------------------------------------------------------------------

/// Which contestants run (all but for profiling).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Only {
    All,
    Tlstate,
    Rustls,
    Floor,
}

struct Opts {
    filter: Option<String>,
    rounds: usize,
    only: Only,
}

impl Opts {
    fn parse() -> Res<Self> {
        let mut opts = Opts {
            filter: None,
            rounds: 15,
            only: Only::All,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--rounds" => opts.rounds = args.next().ok_or("--rounds N")?.parse()?,
                "--only" => {
                    opts.only = match args.next().as_deref() {
                        Some("tlstate") => Only::Tlstate,
                        Some("rustls") => Only::Rustls,
                        Some("floor") => Only::Floor,
                        _ => return Err("--only tlstate|rustls|floor".into()),
                    }
                }
                "--bench" => {} // passed by `cargo bench`; ignored
                _ if arg.starts_with("--") => return Err(format!("unknown flag {arg}").into()),
                _ => opts.filter = Some(arg),
            }
        }
        opts.rounds = opts.rounds.max(1);
        Ok(opts)
    }

    fn wants(&self, name: &str) -> bool {
        self.filter.as_deref().is_none_or(|f| name.contains(f))
    }

    fn runs(&self, who: Only) -> bool {
        self.only == Only::All || self.only == who
    }
}

/// One contestant: runs a slice of work, returns the figure for it.
type Slice<'a> = Box<dyn FnMut() -> Res<f64> + 'a>;

/// Runs the contestants in alternating slices for `rounds` rounds,
/// rotating who goes first, and returns each one's median (NaN for a
/// contestant that did not run).
fn alternate<const N: usize>(rounds: usize, mut slices: [Option<Slice<'_>>; N]) -> Res<[f64; N]> {
    let mut samples: [Vec<f64>; N] = std::array::from_fn(|_| Vec::with_capacity(rounds));
    for round in 0..rounds {
        for k in 0..N {
            let i = (round + k) % N;
            if let Some(slice) = &mut slices[i] {
                samples[i].push(slice()?);
            }
        }
    }
    Ok(samples.map(|s| median(s).unwrap_or(f64::NAN)))
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(match v.len() % 2 {
        1 => v[mid],
        _ => (v[mid - 1] + v[mid]) / 2.0,
    })
}

/// Prints a figure's line. `floor` is in the figure's unit; for
/// lower-is-better figures the share is `floor / tlstate`.
fn report(name: &str, tlstate: f64, rustls: f64, floor: Option<f64>, lower_is_better: bool) {
    let fmt = |x: f64| match x {
        x if x.is_nan() => "n/a".to_string(),
        x if x >= 100.0 => format!("{x:.0}"),
        x => format!("{x:.2}"),
    };
    let share = match floor {
        Some(f) if lower_is_better => f / tlstate,
        Some(f) => tlstate / f,
        None => f64::NAN,
    };
    let share = match share {
        s if s.is_nan() => "n/a".to_string(),
        s => format!("{s:.3}"),
    };
    let ratio = tlstate / rustls;
    let ratio = match ratio {
        r if r.is_nan() => "n/a".to_string(),
        r => format!("{r:.3}"),
    };
    let note = if lower_is_better {
        " (lower is better)"
    } else {
        ""
    };
    println!(
        "{name} tlstate={} rustls={} ratio={ratio} floor_share={share}{note}",
        fmt(tlstate),
        fmt(rustls)
    );
}

// ---------------------------------------------------------------------------
// The figures.
// ---------------------------------------------------------------------------

/// Handshakes per slice, by key kind (RSA signing is ~10x slower).
fn handshakes_per_slice(kind: Kind) -> usize {
    match kind {
        Kind::EcdsaP256 => 40,
        Kind::Rsa2048 => 12,
    }
}

/// Client and server time per handshake, in microseconds.
type SideTimesUs = (f64, f64);

/// A slice of `n` handshakes made by `run`: returns handshakes per second
/// and records each side's time per handshake in `sides`.
fn handshake_slice<'a>(
    n: usize,
    sides: &'a RefCell<Vec<SideTimesUs>>,
    mut run: impl FnMut(&mut SideTimes) -> Res<()> + 'a,
) -> Slice<'a> {
    Box::new(move || {
        let mut t = SideTimes::default();
        let start = thread_cpu();
        for _ in 0..n {
            run(&mut t)?;
        }
        let cpu = (thread_cpu() - start).as_secs_f64();
        // The sides' wall times split the slice's CPU time between them.
        let (client, server) = (t.client.as_secs_f64(), t.server.as_secs_f64());
        let per = |side: f64| cpu * 1e6 / n as f64 * side / (client + server);
        sides.borrow_mut().push((per(client), per(server)));
        Ok(n as f64 / cpu)
    })
}

/// The protocol version of a figure. TLS 1.3 figures carry `tls13_` in
/// front of their names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    Tls12,
    Tls13,
}

impl Version {
    fn prefix(self) -> &'static str {
        match self {
            Version::Tls12 => "",
            Version::Tls13 => "tls13_",
        }
    }
}

/// One full tlstate handshake of `version` (without resumption), the
/// TLS 1.2 one by `take_output`/`feed`, the TLS 1.3 one through a byte
/// buffer (`flush_to`/`feed`).
fn tlstate_full(
    version: Version,
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
    t: &mut SideTimes,
) -> Res<(Connection<Client>, Connection<Server>)> {
    match version {
        Version::Tls12 => {
            let (c, s, resumed) = tlstate_handshake(client, server, t)?;
            assert!(!resumed);
            Ok((c, s))
        }
        Version::Tls13 => tlstate_handshake13(client, server, t),
    }
}

/// Both libraries' configurations for full handshakes of `version` with a
/// `kind` certificate.
#[allow(clippy::type_complexity)]
fn full_configs(
    pki: &Pki,
    kind: Kind,
    version: Version,
) -> Res<(
    (Arc<ClientConfig>, Arc<ServerConfig>),
    (Arc<rustls::ClientConfig>, Arc<rustls::ServerConfig>),
)> {
    let aead = Aead::Aes128Gcm;
    Ok(match version {
        Version::Tls12 => (
            tlstate_configs(pki, kind, aead, Resumption::Off)?,
            rustls_configs(pki, kind, aead, Resumption::Off)?,
        ),
        Version::Tls13 => (
            tlstate_configs13(pki, kind, aead)?,
            rustls_configs13(pki, kind, aead)?,
        ),
    })
}

/// Full handshakes per second, and each side's time per handshake.
fn full_handshake(pki: &Pki, opts: &Opts, kind: Kind, label: &str, version: Version) -> Res<()> {
    let v = version.prefix();
    let names = [
        format!("{v}full_handshakes_per_sec_{label}_x25519"),
        format!("{v}client_us_per_full_handshake_{label}"),
        format!("{v}server_us_per_full_handshake_{label}"),
    ];
    if !names.iter().any(|n| opts.wants(n)) {
        return Ok(());
    }
    let ((tc, ts), (rc, rs)) = full_configs(pki, kind, version)?;
    // The floor signs with the scheme tlstate negotiated (for RSA in TLS
    // 1.3 always RSA-PSS).
    let (c, _) = tlstate_full(version, &tc, &ts, &mut SideTimes::default())?;
    let floor = HandshakeFloor::new(pki, kind, c.summary().signature_scheme)?;
    let n = handshakes_per_slice(kind);

    // Each slice also records its side times per handshake.
    let sides: [RefCell<Vec<SideTimesUs>>; 3] = Default::default();
    let rates = alternate(
        opts.rounds,
        [
            opts.runs(Only::Tlstate).then(|| {
                handshake_slice(n, &sides[0], |t| {
                    tlstate_full(version, &tc, &ts, t)?;
                    Ok(())
                })
            }),
            opts.runs(Only::Rustls).then(|| {
                handshake_slice(n, &sides[1], |t| {
                    let (_, _, resumed) = rustls_handshake(&rc, &rs, t)?;
                    assert!(!resumed);
                    Ok(())
                })
            }),
            opts.runs(Only::Floor)
                .then(|| handshake_slice(n, &sides[2], |t| floor.run(t))),
        ],
    )?;
    let side = |i: usize, client: bool| {
        let sides = sides[i].borrow();
        median(
            sides
                .iter()
                .map(|s| if client { s.0 } else { s.1 })
                .collect(),
        )
        .unwrap_or(f64::NAN)
    };
    let floor_rate = (!rates[2].is_nan()).then_some(rates[2]);
    report(&names[0], rates[0], rates[1], floor_rate, false);
    report(
        &names[1],
        side(0, true),
        side(1, true),
        floor_rate.map(|_| side(2, true)),
        true,
    );
    report(
        &names[2],
        side(0, false),
        side(1, false),
        floor_rate.map(|_| side(2, false)),
        true,
    );
    Ok(())
}

/// Resumed handshakes per second (session IDs or tickets). tlstate's
/// figure is printed only if both of its sides really took the abbreviated
/// path; otherwise it is n/a with the reason.
fn resumed_handshake(pki: &Pki, opts: &Opts, resumption: Resumption, label: &str) -> Res<()> {
    let name = format!("resumed_handshakes_per_sec_{label}_ecdsa_p256");
    if !opts.wants(&name) {
        return Ok(());
    }
    let kind = Kind::EcdsaP256;
    let (tc, ts) = tlstate_configs(pki, kind, Aead::Aes128Gcm, resumption)?;
    let (rc, rs) = rustls_configs(pki, kind, Aead::Aes128Gcm, resumption)?;
    // A full handshake each first, leaving a session to resume.
    let mut t = SideTimes::default();
    rustls_handshake(&rc, &rs, &mut t)?;
    if !rustls_handshake(&rc, &rs, &mut t)?.2 {
        return Err(format!("rustls did not resume ({label})").into());
    }
    let tlstate_note = match tlstate_handshake(&tc, &ts, &mut t)
        .and_then(|_| tlstate_handshake(&tc, &ts, &mut t))
    {
        Ok((_, _, true)) => None,
        Ok((_, _, false)) => {
            Some("tlstate does not resume yet (a full handshake was made)".to_string())
        }
        Err(e) => Some(format!("tlstate resumption failed: {e}")),
    };
    let n = 200;
    let rates = alternate(
        opts.rounds,
        [
            (opts.runs(Only::Tlstate) && tlstate_note.is_none()).then(|| -> Slice<'_> {
                Box::new(|| {
                    let start = thread_cpu();
                    for _ in 0..n {
                        let (_, _, resumed) =
                            tlstate_handshake(&tc, &ts, &mut SideTimes::default())?;
                        assert!(resumed);
                    }
                    Ok(n as f64 / (thread_cpu() - start).as_secs_f64())
                })
            }),
            opts.runs(Only::Rustls).then(|| -> Slice<'_> {
                Box::new(|| {
                    let start = thread_cpu();
                    for _ in 0..n {
                        let (_, _, resumed) =
                            rustls_handshake(&rc, &rs, &mut SideTimes::default())?;
                        assert!(resumed);
                    }
                    Ok(n as f64 / (thread_cpu() - start).as_secs_f64())
                })
            }),
        ],
    )?;
    report(&name, rates[0], rates[1], None, false);
    if let Some(note) = tlstate_note {
        println!("  note: {note}");
    }
    Ok(())
}

/// The public-key work of one resumed TLS 1.3 handshake with psk_dhe_ke,
/// with ring alone: each side makes an ephemeral x25519 key and agrees
/// with the other's. Left out, as from the full handshake's floor, is the
/// hashing: the key schedule's HKDF (with a PSK: the binder on both
/// sides, which also costs the early secret), the transcript, and the
/// tickets' sealing and opening (one AEAD open, two seals).
pub(crate) fn resumed13_floor(rng: &SystemRandom, t: &mut SideTimes) -> Res<()> {
    use ring::agreement::{EphemeralPrivateKey, UnparsedPublicKey, X25519, agree_ephemeral};
    let e = |e: ring::error::Unspecified| e.to_string();
    let (client_kx, client_public) = timed!(t.client, {
        let kx = EphemeralPrivateKey::generate(&X25519, rng).map_err(e)?;
        let public = kx.compute_public_key().map_err(e)?;
        (kx, public)
    });
    let server_public = timed!(t.server, {
        let kx = EphemeralPrivateKey::generate(&X25519, rng).map_err(e)?;
        let public = kx.compute_public_key().map_err(e)?;
        let peer = UnparsedPublicKey::new(&X25519, client_public.as_ref());
        agree_ephemeral(kx, &peer, |secret| secret.len()).map_err(e)?;
        public
    });
    timed!(t.client, {
        let peer = UnparsedPublicKey::new(&X25519, server_public.as_ref());
        agree_ephemeral(client_kx, &peer, |secret| secret.len()).map_err(e)?;
    });
    Ok(())
}

/// Resumed TLS 1.3 handshakes per second: psk_dhe_ke with a ticket of the
/// previous connection (each connection gets
/// [`TLS13_TICKETS_PER_CONNECTION`] new ones and uses one), AES-128-GCM,
/// x25519, every flight and the tickets through a byte buffer for both
/// libraries. Each handshake is checked to be a TLS 1.3 resumption on
/// both sides ([`tlstate_check_resumed13`], [`rustls_check_resumed13`]);
/// the floor is [`resumed13_floor`].
fn resumed_handshake13(pki: &Pki, opts: &Opts, kind: Kind, label: &str) -> Res<()> {
    let name = format!("tls13_resumed_handshakes_per_sec_{label}");
    if !opts.wants(&name) {
        return Ok(());
    }
    let aead = Aead::Aes128Gcm;
    let (tc, ts, store) = tlstate_configs13_resumable(pki, kind, aead)?;
    let (rc, rs) = rustls_configs13_resumable(pki, kind, aead)?;
    let mut t = SideTimes::default();
    // tlstate: a full handshake must leave exactly the configured number
    // of tickets (counted by taking them out of the store); a second one
    // leaves them again, and a resumed one must follow.
    for count in [true, false] {
        let (mut c, mut s) = tlstate_handshake13(&tc, &ts, &mut t)?;
        if c.summary().resumed || s.summary().resumed {
            return Err("tlstate resumed with an empty session store".into());
        }
        tlstate_deliver_tickets13(&mut c, &mut s, &mut t)?;
        if count {
            let mut kept = 0;
            while store.take_tls13("localhost").is_some() {
                kept += 1;
            }
            if kept != TLS13_TICKETS_PER_CONNECTION {
                return Err(format!("tlstate: the client kept {kept} tickets").into());
            }
        }
    }
    let (c, s) = tlstate_resumed13(&tc, &ts, &mut t)?;
    tlstate_check_resumed13(&c, &s)?;
    // rustls: a full handshake leaves tickets, a resumed one follows.
    let (c, _) = rustls_handshake13_with_tickets(&rc, &rs, &mut t)?;
    if c.handshake_kind() != Some(rustls::HandshakeKind::Full)
        || c.tls13_tickets_received() as usize != TLS13_TICKETS_PER_CONNECTION
    {
        return Err("rustls: the first handshake did not leave the tickets".into());
    }
    let (c, s) = rustls_handshake13_with_tickets(&rc, &rs, &mut t)?;
    rustls_check_resumed13(&c, &s)?;

    let rng = SystemRandom::new();
    let n = 100;
    let sides: [RefCell<Vec<SideTimesUs>>; 3] = Default::default();
    let rates = alternate(
        opts.rounds,
        [
            opts.runs(Only::Tlstate).then(|| {
                handshake_slice(n, &sides[0], |t| {
                    let (c, s) = tlstate_resumed13(&tc, &ts, t)?;
                    tlstate_check_resumed13(&c, &s)
                })
            }),
            opts.runs(Only::Rustls).then(|| {
                handshake_slice(n, &sides[1], |t| {
                    let (c, s) = rustls_handshake13_with_tickets(&rc, &rs, t)?;
                    rustls_check_resumed13(&c, &s)
                })
            }),
            opts.runs(Only::Floor)
                .then(|| handshake_slice(n, &sides[2], |t| resumed13_floor(&rng, t))),
        ],
    )?;
    let floor_rate = (!rates[2].is_nan()).then_some(rates[2]);
    report(&name, rates[0], rates[1], floor_rate, false);
    Ok(())
}

/// Client-to-server throughput in MB/s (10^6 bytes), seal on the client
/// and open on the server, against ring sealing and opening alone. TLS
/// 1.2: tlstate's records move by `take_output`/`feed_owned` (in-process
/// hand-off, no copy); TLS 1.3: through a byte buffer (`flush_to`,
/// `fill_from`), as a socket would carry them. rustls's go through a byte
/// buffer in both (`write_tls`, `read_tls`).
/// How tlstate's records reach its peer in a bulk figure.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Path {
    /// Through a byte buffer, as through a socket (`flush_to` /
    /// `fill_from`), like rustls's `write_tls` / `read_tls`: the
    /// headline figures.
    Stream,
    /// The client's output vector handed to the server (`take_output` →
    /// `feed_owned`): two copies fewer, and possible only when both ends
    /// live in one process. Named `bulk_handoff_…`; not a headline.
    Handoff,
}

fn bulk(
    pki: &Pki,
    opts: &Opts,
    aead: Aead,
    size: usize,
    label: &str,
    version: Version,
    path: Path,
) -> Res<()> {
    let v = version.prefix();
    let kind = match path {
        Path::Stream => "bulk",
        Path::Handoff => "bulk_handoff",
    };
    let name = format!("{v}{kind}_mb_per_sec_{}_{label}_writes", aead.name());
    if !opts.wants(&name) {
        return Ok(());
    }
    let batch = Batch {
        size,
        writes: (256 * 1024) / size,
    };
    let batches_per_slice = 8;
    let data = vec![0x61u8; size];
    let mut buf = vec![0u8; 16 * 1024];
    let ((mut tc, mut ts), (mut rc, mut rs)) = match version {
        Version::Tls12 => (tlstate_pair(pki, aead)?, rustls_pair(pki, aead)?),
        Version::Tls13 => (tlstate_pair13(pki, aead)?, rustls_pair13(pki, aead)?),
    };
    let mut tlstate_wire = Vec::new();
    let mut floor = BulkFloor::new(aead, &batch)?;
    let mut wire = Vec::new();
    let mut buf2 = vec![0u8; 16 * 1024];
    let mut seq = 0;
    let mb_per_sec =
        |bytes: usize, start: Duration| bytes as f64 / 1e6 / (thread_cpu() - start).as_secs_f64();
    let rates = alternate(
        opts.rounds,
        [
            opts.runs(Only::Tlstate).then(|| -> Slice<'_> {
                Box::new(|| {
                    let start = thread_cpu();
                    let mut bytes = 0;
                    for _ in 0..batches_per_slice {
                        bytes += match path {
                            Path::Handoff => {
                                tlstate_bulk(&mut tc, &mut ts, &data, &batch, &mut buf)?
                            }
                            Path::Stream => tlstate_bulk_stream(
                                &mut tc,
                                &mut ts,
                                &data,
                                &batch,
                                &mut tlstate_wire,
                            )?,
                        };
                    }
                    assert_eq!(bytes, batch.bytes() * batches_per_slice);
                    Ok(mb_per_sec(bytes, start))
                })
            }),
            opts.runs(Only::Rustls).then(|| -> Slice<'_> {
                Box::new(|| {
                    let start = thread_cpu();
                    let mut bytes = 0;
                    for _ in 0..batches_per_slice {
                        bytes +=
                            rustls_bulk(&mut rc, &mut rs, &data, &batch, &mut buf2, &mut wire)?;
                    }
                    assert_eq!(bytes, batch.bytes() * batches_per_slice);
                    Ok(mb_per_sec(bytes, start))
                })
            }),
            opts.runs(Only::Floor).then(|| -> Slice<'_> {
                Box::new(|| {
                    let start = thread_cpu();
                    let mut bytes = 0;
                    for _ in 0..batches_per_slice {
                        bytes += floor.run(&mut seq)?;
                    }
                    Ok(mb_per_sec(bytes, start))
                })
            }),
        ],
    )?;
    report(
        &name,
        rates[0],
        rates[1],
        (!rates[2].is_nan()).then_some(rates[2]),
        false,
    );
    Ok(())
}

/// Bytes each way of the loopback TCP figure.
const TCP_BYTES: usize = 1 << 30;

/// Bulk over a real loopback TCP connection (TLS 1.3, AES-128-GCM, 16 KiB
/// writes): the server thread sends `TCP_BYTES`, then the client thread
/// does, each read by the other side as it comes; the figure is bytes
/// moved (both ways) per second of wall time, the kernel's copies
/// included for both libraries. The median of `TCP_ROUNDS` transfers
/// each, alternating (a transfer takes seconds: not in the slices).
fn loopback_tcp(pki: &Pki, opts: &Opts) -> Res<()> {
    let name = "tls13_tcp_loopback_mb_per_sec_aes128gcm_16k_writes";
    if !opts.wants(name) {
        return Ok(());
    }
    let (tc, ts) = tlstate_configs13(pki, Kind::EcdsaP256, Aead::Aes128Gcm)?;
    let (rc, rs) = rustls_configs13(pki, Kind::EcdsaP256, Aead::Aes128Gcm)?;
    // Alternating transfers, the median of each: one transfer's wall time
    // moves by a third with the neighbours' load.
    let mut tlstate_runs = Vec::new();
    let mut rustls_runs = Vec::new();
    for _ in 0..TCP_ROUNDS {
        let (t, r) = tcp_round(opts, &tc, &ts, &rc, &rs)?;
        tlstate_runs.extend(t);
        rustls_runs.extend(r);
    }
    let figure = |runs: Vec<f64>| median(runs).unwrap_or(f64::NAN);
    report(name, figure(tlstate_runs), figure(rustls_runs), None, false);
    Ok(())
}

/// Transfers per library in the loopback TCP figure.
const TCP_ROUNDS: usize = 3;

/// One transfer for each library (as `opts` asks): their MB/s.
fn tcp_round(
    opts: &Opts,
    tc: &Arc<ClientConfig>,
    ts: &Arc<ServerConfig>,
    rc: &Arc<rustls::ClientConfig>,
    rs: &Arc<rustls::ServerConfig>,
) -> Res<(Option<f64>, Option<f64>)> {
    let (tc, ts, rc, rs) = (tc.clone(), ts.clone(), rc.clone(), rs.clone());
    let tlstate = opts.runs(Only::Tlstate).then(|| {
        tcp_exchange(
            move |tcp| Ok(Box::new(tlstate::stream::accept(ts, tcp)?) as Box<dyn ReadWrite>),
            move |tcp| {
                let name = rustls_pki_types::ServerName::try_from("localhost")?;
                Ok(Box::new(tlstate::stream::connect(tc, name, tcp)?) as Box<dyn ReadWrite>)
            },
        )
    });
    let rustls = opts.runs(Only::Rustls).then(|| {
        tcp_exchange(
            move |tcp| {
                let conn = rustls::ServerConnection::new(rs)?;
                Ok(Box::new(rustls::StreamOwned::new(conn, tcp)) as Box<dyn ReadWrite>)
            },
            move |tcp| {
                let name = rustls_pki_types::ServerName::try_from("localhost")?;
                let conn = rustls::ClientConnection::new(rc, name)?;
                Ok(Box::new(rustls::StreamOwned::new(conn, tcp)) as Box<dyn ReadWrite>)
            },
        )
    });
    Ok((tlstate.transpose()?, rustls.transpose()?))
}

/// What a TLS stream over TCP is to [`tcp_exchange`].
trait ReadWrite: std::io::Read + std::io::Write + Send {}
impl<T: std::io::Read + std::io::Write + Send> ReadWrite for T {}

type Opener = Box<dyn FnOnce(std::net::TcpStream) -> Res<Box<dyn ReadWrite>> + Send>;

/// Handshakes over loopback TCP, then moves `TCP_BYTES` from the server to
/// the client and `TCP_BYTES` back, 16 KiB per write; returns MB (10^6
/// bytes, both ways) per second of wall time for the transfer.
fn tcp_exchange(
    server: impl FnOnce(std::net::TcpStream) -> Res<Box<dyn ReadWrite>> + Send + 'static,
    client: impl FnOnce(std::net::TcpStream) -> Res<Box<dyn ReadWrite>> + Send + 'static,
) -> Res<f64> {
    let server: Opener = Box::new(server);
    let client: Opener = Box::new(client);
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let ready = Arc::new(std::sync::Barrier::new(2));
    let server_ready = ready.clone();
    let server = std::thread::spawn(move || -> Result<(), String> {
        let (tcp, _) = listener.accept().map_err(|e| e.to_string())?;
        let mut tls = server(tcp).map_err(|e| e.to_string())?;
        server_ready.wait();
        send_all(&mut *tls).map_err(|e| e.to_string())?;
        receive_all(&mut *tls).map_err(|e| e.to_string())
    });
    let mut tls = client(std::net::TcpStream::connect(addr)?)?;
    ready.wait();
    let start = std::time::Instant::now();
    receive_all(&mut *tls)?;
    send_all(&mut *tls)?;
    server.join().map_err(|_| "the server thread panicked")??;
    let elapsed = start.elapsed().as_secs_f64();
    Ok(2.0 * TCP_BYTES as f64 / 1e6 / elapsed)
}

fn send_all(tls: &mut dyn ReadWrite) -> std::io::Result<()> {
    let data = vec![0x61u8; 16 * 1024];
    for _ in 0..TCP_BYTES / data.len() {
        tls.write_all(&data)?;
    }
    tls.flush()
}

fn receive_all(tls: &mut dyn ReadWrite) -> std::io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0;
    while got < TCP_BYTES {
        match tls.read(&mut buf)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => got += std::hint::black_box(&buf[..n]).len(),
        }
    }
    Ok(())
}

/// Heap bytes held by an established pair (handshake done, every byte
/// delivered), and after one 16 KiB round trip.
fn idle_memory(pki: &Pki, opts: &Opts) -> Res<()> {
    let names = [
        "idle_pair_heap_bytes_after_handshake",
        "idle_pair_heap_bytes_after_16k_round_trip",
    ];
    if !names.iter().any(|n| opts.wants(n)) {
        return Ok(());
    }
    let kind = Kind::EcdsaP256;
    let (tc, ts) = tlstate_configs(pki, kind, Aead::Aes128Gcm, Resumption::Off)?;
    let (rc, rs) = rustls_configs(pki, kind, Aead::Aes128Gcm, Resumption::Off)?;
    let data = vec![0x61u8; 16 * 1024];
    let mut buf = vec![0u8; 16 * 1024];
    let mut wire = Vec::new();
    let batch = Batch {
        size: data.len(),
        writes: 1,
    };

    let base = live_bytes();
    let (mut c, mut s, _) = tlstate_handshake(&tc, &ts, &mut SideTimes::default())?;
    let tlstate_idle = live_bytes() - base;
    tlstate_bulk(&mut c, &mut s, &data, &batch, &mut buf)?;
    s.send(&data)?;
    // Dropped before counting: the record in flight is the transport's.
    let output = s.take_output();
    assert_eq!(c.feed(&output), output.len(), "a whole flight is taken");
    drop(output);
    while let ReadOutcome::Data(_) = c.read(&mut buf)? {}
    let tlstate_used = live_bytes() - base;
    drop((c, s));

    let base = live_bytes();
    let (mut c, mut s, _) = rustls_handshake(&rc, &rs, &mut SideTimes::default())?;
    let rustls_idle = live_bytes() - base;
    rustls_bulk(&mut c, &mut s, &data, &batch, &mut buf, &mut wire)?;
    s.writer().write_all(&data)?;
    wire.clear();
    s.write_all_tls(&mut wire)?;
    let mut input = &wire[..];
    while !input.is_empty() {
        c.read_tls(&mut input)?;
        c.process_new_packets()?;
        while let Ok(n) = c.reader().read(&mut buf) {
            if n == 0 {
                break;
            }
        }
    }
    drop(wire);
    let rustls_used = live_bytes() - base;
    drop((c, s));

    report(
        names[0],
        tlstate_idle as f64,
        rustls_idle as f64,
        None,
        true,
    );
    report(
        names[1],
        tlstate_used as f64,
        rustls_used as f64,
        None,
        true,
    );
    Ok(())
}

/// The same for TLS 1.3, everything moved through byte buffers (tlstate:
/// `flush_to`, `fill_from`; rustls: `write_tls`, `read_tls`).
fn idle_memory13(pki: &Pki, opts: &Opts) -> Res<()> {
    let names = [
        "tls13_idle_pair_heap_bytes_after_handshake",
        "tls13_idle_pair_heap_bytes_after_16k_round_trip",
    ];
    if !names.iter().any(|n| opts.wants(n)) {
        return Ok(());
    }
    let kind = Kind::EcdsaP256;
    let (tc, ts) = tlstate_configs13(pki, kind, Aead::Aes128Gcm)?;
    let (rc, rs) = rustls_configs13(pki, kind, Aead::Aes128Gcm)?;
    let data = vec![0x61u8; 16 * 1024];
    let mut buf = vec![0u8; 16 * 1024];
    let mut wire = Vec::with_capacity(2 * data.len());
    let batch = Batch {
        size: data.len(),
        writes: 1,
    };

    // `wire` exists before each base is taken: the transport's buffer is
    // not the connections'.
    let base = live_bytes();
    let (mut c, mut s) = tlstate_handshake13(&tc, &ts, &mut SideTimes::default())?;
    let tlstate_idle = live_bytes() - base;
    tlstate_bulk_stream(&mut c, &mut s, &data, &batch, &mut wire)?;
    tlstate_bulk_stream(&mut s, &mut c, &data, &batch, &mut wire)?;
    let tlstate_used = live_bytes() - base;
    drop((c, s));

    let base = live_bytes();
    let (mut c, mut s, _) = rustls_handshake(&rc, &rs, &mut SideTimes::default())?;
    let rustls_idle = live_bytes() - base;
    rustls_bulk(&mut c, &mut s, &data, &batch, &mut buf, &mut wire)?;
    s.writer().write_all(&data)?;
    wire.clear();
    s.write_all_tls(&mut wire)?;
    let mut input = &wire[..];
    while !input.is_empty() {
        c.read_tls(&mut input)?;
        c.process_new_packets()?;
        while let Ok(n) = c.reader().read(&mut buf) {
            if n == 0 {
                break;
            }
        }
    }
    let rustls_used = live_bytes() - base;
    drop((c, s));

    report(
        names[0],
        tlstate_idle as f64,
        rustls_idle as f64,
        None,
        true,
    );
    report(
        names[1],
        tlstate_used as f64,
        rustls_used as f64,
        None,
        true,
    );
    Ok(())
}

/// Heap allocations (alloc, alloc_zeroed and realloc calls) from the
/// first call of a full handshake until both sides are established.
fn allocations_per_handshake(pki: &Pki, opts: &Opts) -> Res<()> {
    let name = "allocations_per_full_handshake_ecdsa_p256";
    if !opts.wants(name) {
        return Ok(());
    }
    let kind = Kind::EcdsaP256;
    let (tc, ts) = tlstate_configs(pki, kind, Aead::Aes128Gcm, Resumption::Off)?;
    let (rc, rs) = rustls_configs(pki, kind, Aead::Aes128Gcm, Resumption::Off)?;
    let tlstate = mean_allocations(|| tlstate_handshake(&tc, &ts, &mut SideTimes::default()))?;
    let rustls = mean_allocations(|| rustls_handshake(&rc, &rs, &mut SideTimes::default()))?;
    report(name, tlstate, rustls, None, true);
    Ok(())
}

/// The same for a full TLS 1.3 handshake.
fn allocations_per_handshake13(pki: &Pki, opts: &Opts) -> Res<()> {
    let name = "tls13_allocations_per_full_handshake_ecdsa_p256";
    if !opts.wants(name) {
        return Ok(());
    }
    let kind = Kind::EcdsaP256;
    let (tc, ts) = tlstate_configs13(pki, kind, Aead::Aes128Gcm)?;
    let (rc, rs) = rustls_configs13(pki, kind, Aead::Aes128Gcm)?;
    let tlstate = mean_allocations(|| tlstate_handshake13(&tc, &ts, &mut SideTimes::default()))?;
    let rustls = mean_allocations(|| rustls_handshake(&rc, &rs, &mut SideTimes::default()))?;
    report(name, tlstate, rustls, None, true);
    Ok(())
}

/// The mean number of allocations `make` does before it returns (what it
/// returns is dropped after counting).
fn mean_allocations<T>(mut make: impl FnMut() -> Res<T>) -> Res<f64> {
    let n = 20;
    let mut total = 0;
    for _ in 0..n {
        let before = allocations();
        let made = make()?;
        total += allocations() - before;
        drop(made);
    }
    Ok(total as f64 / f64::from(n))
}

/// Round trips from a resumed TLS 1.3 client's first byte to the
/// server's answer being in its hands, counted over the drivers: with
/// 1-RTT resumption the request goes with the client's Finished, after one
/// round trip, and the answer comes a round trip later; with 0-RTT it goes
/// with the ClientHello and the server answers with 0.5-RTT data in its
/// first flight. Each exchange is checked (resumed, early data accepted or
/// not offered, the answer read).
fn zero_rtt_round_trips(pki: &Pki, opts: &Opts) -> Res<()> {
    let name = "tls13_zero_rtt_round_trips_to_answer";
    if !opts.wants(name) {
        return Ok(());
    }
    let (tc, ts, _store) = tlstate_configs13_resumable(pki, Kind::EcdsaP256, Aead::Aes128Gcm)?;
    let mut client = Arc::unwrap_or_clone(tc);
    client.enable_early_data = true;
    let mut server = Arc::unwrap_or_clone(ts);
    server.max_early_data_size = 16 * 1024;
    let (client, server) = (Arc::new(client), Arc::new(server));
    let name_of = || rustls_pki_types::ServerName::try_from("localhost");
    let request = b"GET / HTTP/1.0\r\n\r\n";
    let answer = b"HTTP/1.0 200 OK\r\n\r\n";
    // A full handshake leaves tickets, then each mode resumes once.
    let mut counts = Vec::new();
    for zero_rtt in [false, true, false] {
        let mut c = match zero_rtt {
            true => {
                tlstate::driver::ClientDriver::with_early_data(client.clone(), name_of()?, request)
            }
            false => tlstate::driver::ClientDriver::new(client.clone(), name_of()?),
        };
        let mut s = tlstate::driver::ServerDriver::new(server.clone());
        let mut got = Vec::new();
        let mut answered = false;
        let mut round_trips = 0;
        while got.len() < answer.len() {
            if round_trips > 4 {
                return Err("no answer after four round trips".into());
            }
            round_trips += 1;
            while let Some(bytes) = c.poll_output() {
                if s.handle_input(&bytes) != bytes.len() {
                    return Err("the server left bytes".into());
                }
            }
            while s.poll_event().is_some() {}
            // The server answers as soon as it has the request: early
            // (0.5-RTT) or after the handshake.
            if !answered {
                if let Some(early) = s.take_early_data() {
                    if early == request {
                        s.send_half_rtt(answer)?;
                        answered = true;
                    }
                }
                let mut buf = [0u8; 64];
                if !answered && !s.is_handshaking() {
                    if let Ok(n @ 1..) = s.read(&mut buf) {
                        if &buf[..n] == request {
                            s.send(answer)?;
                            answered = true;
                        }
                    }
                }
            }
            while let Some(bytes) = s.poll_output() {
                if c.handle_input(&bytes) != bytes.len() {
                    return Err("the client left bytes".into());
                }
            }
            while c.poll_event().is_some() {}
            if !c.is_handshaking() {
                if !zero_rtt && !answered && round_trips == 1 {
                    c.send(request)?;
                }
                let mut buf = [0u8; 64];
                while let Ok(n @ 1..) = c.read(&mut buf) {
                    got.extend_from_slice(&buf[..n]);
                }
            }
        }
        if got != answer {
            return Err("the answer came garbled".into());
        }
        let summary = c.summary().ok_or("no summary")?;
        counts.push((
            zero_rtt,
            summary.resumed,
            summary.early_data_accepted,
            round_trips,
        ));
    }
    // The first run was the full handshake that made the tickets.
    let (_, one_rtt, zero_rtt) = (counts[0], counts[2], counts[1]);
    if !(one_rtt.1 && !one_rtt.2 && zero_rtt.1 && zero_rtt.2) {
        return Err(format!("the runs did not resume as wanted: {counts:?}").into());
    }
    println!(
        "{name} one_rtt={} zero_rtt={} saved={} (lower is better; tlstate only, drivers in memory)",
        one_rtt.3,
        zero_rtt.3,
        one_rtt.3 - zero_rtt.3
    );
    Ok(())
}

fn main() -> Res<()> {
    let opts = Opts::parse()?;
    let pki = Pki::new()?;
    if std::env::var("TRACE_ALLOC").is_ok() {
        let (tc, ts) = tlstate_configs(&pki, Kind::EcdsaP256, Aead::Aes128Gcm, Resumption::Off)?;
        let _ = tlstate_handshake(&tc, &ts, &mut SideTimes::default())?;
        TRACE_ON.store(true, Relaxed);
        let _ = tlstate_handshake(&tc, &ts, &mut SideTimes::default())?;
        TRACE_ON.store(false, Relaxed);
        return Ok(());
    }
    for version in [Version::Tls12, Version::Tls13] {
        full_handshake(&pki, &opts, Kind::EcdsaP256, "ecdsa_p256", version)?;
        full_handshake(&pki, &opts, Kind::Rsa2048, "rsa2048", version)?;
    }
    resumed_handshake(&pki, &opts, Resumption::SessionId, "session_id")?;
    resumed_handshake(&pki, &opts, Resumption::Ticket, "ticket")?;
    resumed_handshake13(&pki, &opts, Kind::EcdsaP256, "ecdsa_p256")?;
    resumed_handshake13(&pki, &opts, Kind::Rsa2048, "rsa2048")?;
    for version in [Version::Tls12, Version::Tls13] {
        for aead in Aead::ALL {
            bulk(&pki, &opts, aead, 16 * 1024, "16k", version, Path::Stream)?;
            bulk(&pki, &opts, aead, 1024, "1k", version, Path::Stream)?;
        }
    }
    // The in-process hand-off, TLS 1.2's former headline (issue #14).
    for aead in Aead::ALL {
        bulk(
            &pki,
            &opts,
            aead,
            16 * 1024,
            "16k",
            Version::Tls12,
            Path::Handoff,
        )?;
        bulk(&pki, &opts, aead, 1024, "1k", Version::Tls12, Path::Handoff)?;
    }
    zero_rtt_round_trips(&pki, &opts)?;
    loopback_tcp(&pki, &opts)?;
    idle_memory(&pki, &opts)?;
    idle_memory13(&pki, &opts)?;
    allocations_per_handshake(&pki, &opts)?;
    allocations_per_handshake13(&pki, &opts)?;
    Ok(())
}
