//! Full duplex after the handshake, over one real TCP loopback connection:
//! our client and our server each split their `Stream` into a reading and a
//! writing half (`Stream::split`) and pump 256 MiB in each direction at
//! once, from four threads. Each direction is a deterministic keystream
//! (xorshift) cut into writes of random size (1 byte to 64 KiB); the reader
//! regenerates the same keystream and compares every byte, keeps a running
//! SHA-256 (compared with the writer's) and counts the bytes, so nothing
//! lost, reordered or corrupted can pass. Both sides then close cleanly:
//! each reader sees `Ok(0)`, the peer's close_notify.
//!
//! Also: a read buffer smaller than a record (1 and 100 bytes, against
//! 16 KiB records) loses nothing.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::{KeyKind, TestPki};
use ring::digest::{Context, Digest, SHA256};
use rustls_pki_types::ServerName;
use tlstate::enums::ProtocolVersion;
use tlstate::handshake::{Client, Role, Server};
use tlstate::stream::{self, Stream};

/// A guard against a hung peer; no assertion depends on timing.
const HANG_GUARD: Duration = Duration::from_secs(300);

/// Bytes pumped in each direction.
const TOTAL: u64 = 256 * 1024 * 1024;

/// The largest single write.
const MAX_WRITE: usize = 64 * 1024;

const CLIENT_TO_SERVER_SEED: u64 = 0x0123_4567_89ab_cdef;
const SERVER_TO_CLIENT_SEED: u64 = 0xfedc_ba98_7654_3210;

// ---------------------------------------------------------------------------
// A tiny seeded PRNG and the keystream built on it (no new dependencies).

/// xorshift64 (Marsaglia): deterministic, never zero.
#[derive(Clone, Debug)]
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A write size in `1..=MAX_WRITE`.
    fn write_len(&mut self) -> usize {
        1 + (self.next_u64() % MAX_WRITE as u64) as usize
    }
}

/// An endless byte stream: the PRNG's words, little-endian, back to back.
/// Any slicing of it gives the same bytes.
struct Keystream {
    rng: XorShift,
    word: [u8; 8],
    /// Bytes of `word` already handed out.
    used: usize,
}

impl Keystream {
    fn new(seed: u64) -> Self {
        Self {
            rng: XorShift::new(seed),
            word: [0; 8],
            used: 8,
        }
    }

    fn fill(&mut self, mut buf: &mut [u8]) {
        // The rest of the current word.
        let n = buf.len().min(8 - self.used);
        buf[..n].copy_from_slice(&self.word[self.used..self.used + n]);
        self.used += n;
        buf = &mut buf[n..];
        // Whole words.
        let mut chunks = buf.chunks_exact_mut(8);
        for chunk in &mut chunks {
            chunk.copy_from_slice(&self.rng.next_u64().to_le_bytes());
        }
        // The start of the next word.
        let tail = chunks.into_remainder();
        if !tail.is_empty() {
            self.word = self.rng.next_u64().to_le_bytes();
            tail.copy_from_slice(&self.word[..tail.len()]);
            self.used = tail.len();
        }
    }
}

#[test]
fn keystream_is_independent_of_slicing() {
    let mut whole = vec![0u8; 1000];
    Keystream::new(7).fill(&mut whole);
    let mut sliced = vec![0u8; 1000];
    let mut ks = Keystream::new(7);
    let mut sizes = XorShift::new(3);
    let mut at = 0;
    while at < sliced.len() {
        let n = (1 + sizes.next_u64() % 13) as usize;
        let end = (at + n).min(sliced.len());
        ks.fill(&mut sliced[at..end]);
        at = end;
    }
    assert_eq!(whole, sliced);
}

// ---------------------------------------------------------------------------
// Setup.

fn guard(tcp: &TcpStream) {
    tcp.set_read_timeout(Some(HANG_GUARD)).unwrap();
    tcp.set_write_timeout(Some(HANG_GUARD)).unwrap();
}

/// Joins a thread, re-raising its panic with the original message.
fn join<T>(handle: JoinHandle<T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Our client and our server, handshaken over one TCP loopback connection.
fn tcp_pair(
    pki: &TestPki,
    version: ProtocolVersion,
) -> (Stream<Client, TcpStream>, Stream<Server, TcpStream>) {
    let leaf = pki.leaf(KeyKind::EcdsaP256, &["localhost"]);
    let mut server_config = (*pki.server_config(&leaf)).clone();
    server_config.versions = vec![version];
    let server_config = Arc::new(server_config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        guard(&tcp);
        stream::accept(server_config, tcp).expect("server handshake")
    });
    let tcp = TcpStream::connect(addr).unwrap();
    guard(&tcp);
    let client = stream::connect(
        pki.client_config(),
        ServerName::try_from("localhost").unwrap(),
        tcp,
    )
    .expect("client handshake");
    (client, join(server))
}

// ---------------------------------------------------------------------------
// The pump.

/// Writes `TOTAL` bytes of the keystream `seed` in writes of random size,
/// then, once the other writer is done too (`both_written`), sends
/// close_notify: in TLS 1.2 the peer answers a close_notify with its own
/// and writes no more (RFC 5246 7.2.1), so closing first would cut the
/// other direction short. Returns the SHA-256 of what it wrote.
fn pump_out(
    mut w: impl Write + Shutdown,
    seed: u64,
    who: &'static str,
    both_written: Arc<Barrier>,
    key_updates: bool,
) -> Digest {
    let mut data = Keystream::new(seed);
    let mut sizes = XorShift::new(seed.rotate_left(17));
    let mut sha = Context::new(&SHA256);
    let mut buf = vec![0u8; MAX_WRITE];
    let mut sent = 0u64;
    let mut next_update = KEY_UPDATE_EVERY;
    while sent < TOTAL {
        let n = sizes.write_len().min((TOTAL - sent) as usize);
        data.fill(&mut buf[..n]);
        sha.update(&buf[..n]);
        w.write_all(&buf[..n])
            .unwrap_or_else(|e| panic!("{who}: write at offset {sent}: {e}"));
        sent += n as u64;
        if key_updates && sent >= next_update {
            w.update_keys()
                .unwrap_or_else(|e| panic!("{who}: key update at offset {sent}: {e}"));
            next_update += KEY_UPDATE_EVERY;
        }
    }
    w.flush().unwrap();
    both_written.wait();
    w.shutdown_send()
        .unwrap_or_else(|e| panic!("{who}: shutdown_send: {e}"));
    sha.finish()
}

/// Reads until the peer's close_notify (`Ok(0)`), checking every byte
/// against the keystream `seed`. Returns the byte count and SHA-256 of what
/// arrived.
fn pump_in(mut r: impl Read, seed: u64, who: &'static str) -> (u64, Digest) {
    let mut expected = Keystream::new(seed);
    let mut sha = Context::new(&SHA256);
    // An odd size, so reads do not line up with records or writes.
    let mut buf = vec![0u8; 40_000];
    let mut want = vec![0u8; buf.len()];
    let mut received = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => panic!("{who}: read at offset {received}: {e:?}"),
        };
        assert!(
            received + n as u64 <= TOTAL,
            "{who}: more than {TOTAL} bytes arrived"
        );
        expected.fill(&mut want[..n]);
        if buf[..n] != want[..n] {
            let at = (0..n).find(|&i| buf[i] != want[i]).unwrap();
            panic!(
                "{who}: byte {} differs: got {:#04x}, expected {:#04x}",
                received + at as u64,
                buf[at],
                want[at]
            );
        }
        sha.update(&buf[..n]);
        received += n as u64;
    }
    (received, sha.finish())
}

/// The writing side of a split stream, for `pump_out`.
trait Shutdown {
    fn shutdown_send(&mut self) -> std::io::Result<()>;
    fn update_keys(&mut self) -> std::io::Result<()>;
}

impl<R: Role> Shutdown for stream::WriteStream<R> {
    fn shutdown_send(&mut self) -> std::io::Result<()> {
        stream::WriteStream::shutdown_send(self)
    }
    /// A KeyUpdate asking the peer to update too: its reader, on another
    /// thread, leaves the answer to its writer.
    fn update_keys(&mut self) -> std::io::Result<()> {
        stream::WriteStream::update_keys(self, true)
    }
}

/// How often each writer of the TLS 1.3 pump asks for a key update.
const KEY_UPDATE_EVERY: u64 = 4 * 1024 * 1024;

/// TLS 1.3 (the default), each writer asking for a KeyUpdate every
/// 4 MiB: the peer's reader reads it on its thread and leaves the answer to
/// its writer, which updates before its next record; keys change at
/// record boundaries both ways while data flows both ways.
#[test]
fn full_duplex_256_mib_each_way_over_split_streams_with_key_updates() {
    full_duplex(ProtocolVersion::Tls13, true);
}

#[test]
fn full_duplex_256_mib_each_way_over_split_streams_tls12() {
    full_duplex(ProtocolVersion::Tls12, false);
}

fn full_duplex(version: ProtocolVersion, key_updates: bool) {
    let pki = TestPki::new("tlstate connection_duplex CA");
    let (client, server) = tcp_pair(&pki, version);
    assert_eq!(client.summary().protocol_version, version);
    let (client_r, client_w) = client.split().unwrap();
    let (server_r, server_w) = server.split().unwrap();

    let start = Instant::now();
    let both_written = Arc::new(Barrier::new(2));
    let done = both_written.clone();
    let c_out = thread::spawn(move || {
        pump_out(
            client_w,
            CLIENT_TO_SERVER_SEED,
            "client writer",
            done,
            key_updates,
        )
    });
    let s_out = thread::spawn(move || {
        pump_out(
            server_w,
            SERVER_TO_CLIENT_SEED,
            "server writer",
            both_written,
            key_updates,
        )
    });
    let c_in = thread::spawn(move || pump_in(client_r, SERVER_TO_CLIENT_SEED, "client reader"));
    let s_in = thread::spawn(move || pump_in(server_r, CLIENT_TO_SERVER_SEED, "server reader"));

    let (s_got, s_sha) = join(s_in);
    let (c_got, c_sha) = join(c_in);
    let c_sent_sha = join(c_out);
    let s_sent_sha = join(s_out);
    let elapsed = start.elapsed();
    eprintln!(
        "full duplex: {} MiB each way in {:.1} s",
        TOTAL >> 20,
        elapsed.as_secs_f64()
    );

    // Lengths: every byte, no more.
    assert_eq!(s_got, TOTAL, "client to server: byte count");
    assert_eq!(c_got, TOTAL, "server to client: byte count");
    // Checksums: what was read is what was written.
    assert_eq!(
        s_sha.as_ref(),
        c_sent_sha.as_ref(),
        "client to server: SHA-256"
    );
    assert_eq!(
        c_sha.as_ref(),
        s_sent_sha.as_ref(),
        "server to client: SHA-256"
    );
}

// ---------------------------------------------------------------------------
// Read buffers smaller than a record.

/// The client sends three full 16 KiB records in one write, then
/// close_notify; the server reads them through a `buf_len`-byte buffer and
/// must get every byte, in order, then `Ok(0)`.
fn small_read_buffer(buf_len: usize) {
    const RECORD: usize = 16 * 1024;
    let pki = TestPki::new("tlstate connection_duplex small-buffer CA");
    let (mut client, mut server) = tcp_pair(&pki, ProtocolVersion::Tls13);
    let mut data = vec![0u8; 3 * RECORD];
    Keystream::new(buf_len as u64).fill(&mut data);

    let sent = data.clone();
    let writer = thread::spawn(move || {
        client.write_all(&sent).unwrap();
        client.shutdown_send().unwrap();
        client
    });

    let mut got = Vec::with_capacity(data.len());
    let mut buf = vec![0u8; buf_len];
    let mut reads = 0usize;
    loop {
        match server.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                assert!(n <= buf_len);
                got.extend_from_slice(&buf[..n]);
                reads += 1;
            }
            Err(e) => panic!("read after {} bytes: {e:?}", got.len()),
        }
    }
    assert_eq!(got.len(), data.len(), "byte count");
    assert!(got == data, "bytes differ");
    assert!(reads >= data.len().div_ceil(buf_len));

    // The server's own close_notify ends the client's stream cleanly too.
    server.shutdown_send().unwrap();
    let mut client = join(writer);
    let mut rest = [0u8; 16];
    assert_eq!(client.read(&mut rest).unwrap(), 0);
}

#[test]
fn one_byte_read_buffer_loses_nothing_from_16_kib_records() {
    small_read_buffer(1);
}

#[test]
fn hundred_byte_read_buffer_loses_nothing_from_16_kib_records() {
    small_read_buffer(100);
}
