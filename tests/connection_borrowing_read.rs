//! The borrowing read: `fill_buf` + `consume` on [`Connection`] and
//! [`ReadHalf`], and `BufRead` on [`Stream`], hand out application data in
//! place, where the record was decrypted.
//!
//! - Data arrives whole and in order across many records of every size,
//!   fed in any slicing and consumed in any amounts (0 included), and
//!   `fill_buf` hands out the same bytes until they are consumed.
//! - `read` is `fill_buf` plus a copy: on the same wire, both ways of
//!   reading see the same data and end the same way (close_notify, a
//!   received alert, a record that fails to open, truncation), with the
//!   same alert queued for the peer.
//! - Held data does not stop `fill_from` from buffering the records behind
//!   it.
//! - A rustls client's data is read in place, through `Connection::fill_buf`
//!   and through `Stream`'s `BufRead`, up to its close_notify.
//! - `Stream` passes over empty application data records (which a peer may
//!   send) instead of taking them for the end of the stream.
//!
//! Renegotiation requests, which only forged records can carry, are read
//! both ways in `connection_shutdown.rs`.

mod common;

use std::io::{self, BufRead, Read, Write};
use std::sync::Arc;

use common::fixture;
use common::memory::{full_handshake, localhost};
use tlstate::connection::{Connection, ReadHalf, ReadOutcome};
use tlstate::driver::ClientDriver;
use tlstate::enums::{AlertDescription, AlertLevel};
use tlstate::error::Error;
use tlstate::handshake::{Client, Role, Server};
use tlstate::record::MAX_PLAINTEXT_LEN;
use tlstate::stream::{self, Stream};

// ---------------------------------------------------------------------------
// Fixture.

/// Our client and our server, handshaken in memory.
fn memory_pair() -> (Connection<Client>, Connection<Server>) {
    let f = fixture();
    let (c, s, _) = full_handshake(f.pki.client_config(), f.pki.server_config(&f.leaf))
        .unwrap_or_else(|fatal| panic!("handshake failed: {fatal:?}"));
    (c, s)
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Bytes that differ at every position, so a lost, doubled or reordered
/// piece shows.
fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed | 1);
    (0..len).map(|_| rng.next() as u8).collect()
}

/// Write sizes around every boundary that matters: empty, one byte, a
/// record exactly, a record and one, several records, and random ones.
fn write_sizes(rng: &mut Rng) -> Vec<usize> {
    let mut sizes = vec![
        0,
        1,
        100,
        MAX_PLAINTEXT_LEN,
        MAX_PLAINTEXT_LEN + 1,
        40_000,
        0,
    ];
    sizes.extend((0..40).map(|_| match rng.below(3) {
        0 => rng.below(64),
        1 => rng.below(2000),
        _ => rng.below(3 * MAX_PLAINTEXT_LEN),
    }));
    sizes
}

// ---------------------------------------------------------------------------
// Reading in place: whole and in order, in any slicing and any consumes.

/// Either reading end of the server, for the tests that run on both.
trait Reads {
    fn feed(&mut self, bytes: &[u8]) -> usize;
    fn fill_buf(&mut self) -> Result<ReadOutcome<&[u8]>, Error>;
    fn consume(&mut self, n: usize);
}

impl<R: Role> Reads for Connection<R> {
    fn feed(&mut self, bytes: &[u8]) -> usize {
        Connection::feed(self, bytes)
    }
    fn fill_buf(&mut self) -> Result<ReadOutcome<&[u8]>, Error> {
        Connection::fill_buf(self)
    }
    fn consume(&mut self, n: usize) {
        Connection::consume(self, n)
    }
}

impl<R: Role> Reads for ReadHalf<R> {
    fn feed(&mut self, bytes: &[u8]) -> usize {
        ReadHalf::feed(self, bytes)
    }
    fn fill_buf(&mut self) -> Result<ReadOutcome<&[u8]>, Error> {
        ReadHalf::fill_buf(self)
    }
    fn consume(&mut self, n: usize) {
        ReadHalf::consume(self, n)
    }
}

/// Takes what `reader` holds in place, consuming pseudo-random amounts
/// (0 included), until it needs more; checks that each hand-out is at
/// most one record and that an unconsumed hand-out comes back unchanged
/// (an empty record is handed out once).
fn take_in_place(reader: &mut impl Reads, rng: &mut Rng, got: &mut Vec<u8>) {
    loop {
        let (ptr, len) = match reader.fill_buf().unwrap() {
            ReadOutcome::Data(data) => (data.as_ptr(), data.len()),
            ReadOutcome::NeedMore => return,
            ReadOutcome::Closed => panic!("no close_notify was sent"),
        };
        assert!(len <= MAX_PLAINTEXT_LEN, "more than one record: {len}");
        if len == 0 {
            continue;
        }
        let ReadOutcome::Data(again) = reader.fill_buf().unwrap() else {
            panic!("held data went away");
        };
        assert_eq!(
            (again.as_ptr(), again.len()),
            (ptr, len),
            "the same bytes, in place"
        );
        let n = match rng.below(4) {
            0 => 0,
            1 => len,
            _ => rng.below(len + 1),
        };
        got.extend_from_slice(&again[..n]);
        reader.consume(n);
    }
}

/// The client sends writes of every size; the wire reaches `reader` in
/// pseudo-random slices; `reader` takes the data in place.
fn data_arrives_intact(client: &mut Connection<Client>, reader: &mut impl Reads, seed: u64) {
    let mut rng = Rng(seed);
    let mut sent = Vec::new();
    let mut got = Vec::new();
    for (i, size) in write_sizes(&mut rng).into_iter().enumerate() {
        let data = payload(size, seed + i as u64);
        client.send(&data).unwrap();
        sent.extend_from_slice(&data);
        // Sometimes let several writes pile up before delivering them.
        if rng.below(3) == 0 {
            continue;
        }
        let wire = client.take_output();
        let mut rest = &wire[..];
        while !rest.is_empty() {
            let n = (1 + rng.below(20_000)).min(rest.len());
            // The reader takes what fits; the rest comes again next time.
            let taken = reader.feed(&rest[..n]);
            rest = &rest[taken..];
            take_in_place(reader, &mut rng, &mut got);
        }
    }
    let wire = client.take_output();
    let mut rest = &wire[..];
    loop {
        let taken = reader.feed(rest);
        rest = &rest[taken..];
        take_in_place(reader, &mut rng, &mut got);
        if rest.is_empty() {
            break;
        }
    }
    // Whatever was held is consumed by now: the last call needed more.
    assert_eq!(got.len(), sent.len());
    assert!(got == sent, "the data differs");
}

#[test]
fn data_arrives_intact_across_records_and_partial_consumes() {
    for seed in [1, 2, 3] {
        let (mut client, mut server) = memory_pair();
        data_arrives_intact(&mut client, &mut server, seed);
    }
}

#[test]
fn data_arrives_intact_through_a_split_read_half() {
    let (mut client, server) = memory_pair();
    let (mut reader, _writer) = server.split();
    data_arrives_intact(&mut client, &mut reader, 7);
}

#[test]
fn read_and_fill_buf_can_be_mixed() {
    let (mut client, mut server) = memory_pair();
    client.send(b"0123456789").unwrap();
    client.send(b"abc").unwrap();
    let input: &[u8] = &client.take_output();
    assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
    let mut buf = [0u8; 3];
    assert_eq!(server.read(&mut buf), Ok(ReadOutcome::Data(3)));
    assert_eq!(&buf, b"012");
    assert_eq!(server.fill_buf(), Ok(ReadOutcome::Data(&b"3456789"[..])));
    server.consume(2);
    assert_eq!(server.read(&mut buf), Ok(ReadOutcome::Data(3)));
    assert_eq!(&buf, b"567");
    assert_eq!(server.fill_buf(), Ok(ReadOutcome::Data(&b"89"[..])));
    // Consuming more than is held consumes the record, no more.
    server.consume(100);
    assert_eq!(server.fill_buf(), Ok(ReadOutcome::Data(&b"abc"[..])));
    assert_eq!(server.read(&mut [0u8; 0]), Ok(ReadOutcome::Data(0)));
    assert_eq!(server.read(&mut buf), Ok(ReadOutcome::Data(3)));
    assert_eq!(server.fill_buf(), Ok(ReadOutcome::NeedMore));
    // Consuming with nothing held does nothing.
    server.consume(5);
    assert_eq!(server.fill_buf(), Ok(ReadOutcome::NeedMore));
}

#[test]
fn fill_from_goes_on_while_data_is_held() {
    let (mut client, server) = memory_pair();
    let (mut reader, _writer) = server.split();
    let data = payload(4 * MAX_PLAINTEXT_LEN, 11);
    client.send(&data).unwrap();
    let wire = client.take_output();
    let mut transport: &[u8] = &wire;
    let mut got = Vec::new();
    while reader.fill_buf().unwrap() == ReadOutcome::NeedMore {
        reader.fill_from(&mut transport).unwrap();
    }
    // Hold the first record, a little of it consumed, and read on: a
    // whole largest record more is buffered behind it (then the reader
    // asks for the held data to be read first).
    let ReadOutcome::Data(first) = reader.fill_buf().unwrap() else {
        unreachable!()
    };
    got.extend_from_slice(&first[..10]);
    reader.consume(10);
    let before = transport.len();
    while let Ok(n) = reader.fill_from(&mut transport) {
        assert!(n > 0, "the transport is not at its end yet");
    }
    assert!(before - transport.len() >= 5 + 8 + MAX_PLAINTEXT_LEN + 16);
    loop {
        match reader.fill_buf().unwrap() {
            ReadOutcome::Data(held) => {
                got.extend_from_slice(held);
                let n = held.len();
                reader.consume(n);
            }
            ReadOutcome::NeedMore if !transport.is_empty() => {
                reader.fill_from(&mut transport).unwrap();
            }
            _ => break,
        }
    }
    assert!(got == data);
}

// ---------------------------------------------------------------------------
// `read` and `fill_buf`: the same outcomes on the same wire.

/// How the server reads in a scenario.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// `read` into a 7-byte buffer.
    Copy,
    /// `fill_buf`, consuming 5 bytes at a time.
    Borrow,
}

/// What the server saw: the data, then each outcome that was not data.
#[derive(Debug, PartialEq)]
struct Trace {
    data: Vec<u8>,
    ends: Vec<Result<ReadOutcome, Error>>,
    /// The server's output: record types and lengths (alerts it queued).
    output: Vec<(u8, usize)>,
    failed: bool,
    peer_closed: bool,
}

/// Reads until an outcome other than data, `times` times in a row.
fn read_all(server: &mut Connection<Server>, mode: Mode, trace: &mut Trace, times: usize) {
    for _ in 0..times {
        loop {
            let outcome = match mode {
                Mode::Copy => {
                    let mut buf = [0u8; 7];
                    let outcome = server.read(&mut buf);
                    if let Ok(ReadOutcome::Data(n)) = outcome {
                        trace.data.extend_from_slice(&buf[..n]);
                    }
                    outcome
                }
                Mode::Borrow => match server.fill_buf() {
                    Ok(ReadOutcome::Data(data)) => {
                        let n = data.len().min(5);
                        trace.data.extend_from_slice(&data[..n]);
                        server.consume(n);
                        Ok(ReadOutcome::Data(n))
                    }
                    other => other.map(|o| o.map(<[u8]>::len)),
                },
            };
            if !matches!(outcome, Ok(ReadOutcome::Data(_))) {
                trace.ends.push(outcome);
                break;
            }
        }
    }
}

fn records(wire: &[u8]) -> Vec<(u8, usize)> {
    let mut out = Vec::new();
    let mut rest = wire;
    while rest.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        out.push((rest[0], len));
        rest = &rest[(5 + len).min(rest.len())..];
    }
    out
}

/// Runs `scenario` on a fresh pair, the server reading in `mode`.
fn trace(
    mode: Mode,
    scenario: fn(&mut Connection<Client>, &mut Connection<Server>, Mode, &mut Trace),
) -> Trace {
    let (mut client, mut server) = memory_pair();
    let mut trace = Trace {
        data: Vec::new(),
        ends: Vec::new(),
        output: Vec::new(),
        failed: false,
        peer_closed: false,
    };
    scenario(&mut client, &mut server, mode, &mut trace);
    trace.output = records(&server.take_output());
    trace.failed = server.failed();
    trace.peer_closed = server.peer_closed();
    trace
}

/// An application data record from `from` whose tag no longer matches.
fn tampered(from: &mut Connection<Client>) -> Vec<u8> {
    from.send(b"tampered with").unwrap();
    let mut record = from.take_output();
    *record.last_mut().unwrap() ^= 1;
    record
}

fn assert_same(
    name: &str,
    scenario: fn(&mut Connection<Client>, &mut Connection<Server>, Mode, &mut Trace),
) -> Trace {
    let copy = trace(Mode::Copy, scenario);
    let borrow = trace(Mode::Borrow, scenario);
    assert_eq!(copy, borrow, "{name}: read and fill_buf differ");
    copy
}

#[test]
fn close_notify_ends_both_ways_of_reading_alike() {
    let t = assert_same("close_notify", |client, server, mode, t| {
        client.send(b"the data before the end").unwrap();
        client.send(b"").unwrap();
        client.shutdown_send().unwrap();
        let input: &[u8] = &client.take_output();
        assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
        read_all(server, mode, t, 3);
        t.ends.push(Err(server.transport_eof()));
    });
    assert_eq!(t.data, b"the data before the end");
    assert_eq!(
        t.ends,
        [
            Ok(ReadOutcome::Closed),
            Ok(ReadOutcome::Closed),
            Ok(ReadOutcome::Closed),
            Err(Error::Closed)
        ]
    );
    assert!(t.peer_closed && !t.failed);
    assert_eq!(
        t.output,
        [(21, 8 + 2 + 16)],
        "one close_notify answers a close_notify (RFC 5246 7.2.1)"
    );
}

#[test]
fn a_record_that_fails_to_open_ends_both_alike() {
    let t = assert_same("bad record", |client, server, mode, t| {
        client.send(b"good data").unwrap();
        let mut wire = client.take_output();
        wire.extend(tampered(client));
        client.send(b"never read").unwrap();
        wire.extend(client.take_output());
        let input: &[u8] = &wire;
        assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
        read_all(server, mode, t, 2);
        t.ends
            .push(server.send(b"x").map(|()| ReadOutcome::NeedMore));
    });
    assert_eq!(t.data, b"good data");
    assert_eq!(
        t.ends,
        [
            Err(Error::DecryptFailed),
            Err(Error::DecryptFailed),
            Err(Error::Closed)
        ]
    );
    assert!(t.failed);
    assert_eq!(t.output, [(21, 8 + 2 + 16)], "one bad_record_mac alert");
}

#[test]
fn a_received_alert_ends_both_alike() {
    let t = assert_same("alert", |client, server, mode, t| {
        // The client reads a tampered record of the server's: it sends a
        // fatal bad_record_mac, after the data it had sent.
        client.send(b"data, then an alert").unwrap();
        server.send(b"tampered with").unwrap();
        let mut record = server.take_output();
        *record.last_mut().unwrap() ^= 1;
        let input: &[u8] = &record;
        assert_eq!(client.feed(input), input.len(), "a whole flight is taken");
        assert_eq!(client.read(&mut [0u8; 64]), Err(Error::DecryptFailed));
        let input: &[u8] = &client.take_output();
        assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
        read_all(server, mode, t, 2);
    });
    assert_eq!(t.data, b"data, then an alert");
    let alert = Err(Error::AlertReceived {
        level: AlertLevel::Fatal,
        description: AlertDescription::BadRecordMac,
    });
    assert_eq!(t.ends, [alert.clone(), alert]);
    assert!(t.failed);
    assert!(t.output.is_empty(), "no alert answers an alert");
}

#[test]
fn truncation_ends_both_alike_even_with_data_held() {
    let t = assert_same("truncation", |client, server, mode, t| {
        client.send(b"some data, then the transport ends").unwrap();
        let input: &[u8] = &client.take_output();
        assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
        // Take part of the record only, then the transport ends.
        match mode {
            Mode::Copy => {
                let mut buf = [0u8; 4];
                assert_eq!(server.read(&mut buf), Ok(ReadOutcome::Data(4)));
                t.data.extend_from_slice(&buf);
            }
            Mode::Borrow => {
                let ReadOutcome::Data(data) = server.fill_buf().unwrap() else {
                    panic!("data was fed")
                };
                t.data.extend_from_slice(&data[..4]);
                server.consume(4);
            }
        }
        t.ends.push(Err(server.transport_eof()));
        read_all(server, mode, t, 2);
    });
    assert_eq!(t.data, b"some");
    assert_eq!(
        t.ends,
        [
            Err(Error::Truncated),
            Err(Error::Truncated),
            Err(Error::Truncated)
        ]
    );
    assert!(t.failed && !t.peer_closed);
}

#[test]
fn empty_records_and_partial_records_read_alike() {
    let t = assert_same("empty records", |client, server, mode, t| {
        let wire = {
            client.send(b"").unwrap();
            client.send(b"x").unwrap();
            client.send(b"").unwrap();
            client.take_output()
        };
        // Byte by byte: NeedMore in between, the same number of times.
        for byte in &wire {
            let input: &[u8] = std::slice::from_ref(byte);
            assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
            read_all(server, mode, t, 1);
        }
    });
    assert_eq!(t.data, b"x");
    assert!(
        t.ends.iter().all(|e| *e == Ok(ReadOutcome::NeedMore)),
        "{:?}",
        t.ends
    );
}

#[test]
fn the_empty_record_is_handed_out_once_as_empty_data() {
    let (mut client, mut server) = memory_pair();
    client.send(b"").unwrap();
    client.send(b"after").unwrap();
    let input: &[u8] = &client.take_output();
    assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(server.fill_buf(), Ok(ReadOutcome::Data(&[][..])));
    assert_eq!(server.fill_buf(), Ok(ReadOutcome::Data(&b"after"[..])));
}

// ---------------------------------------------------------------------------
// In memory with a peer behind a blocking transport.

/// The other end of an in-memory transport.
trait Peer {
    /// Everything the peer has to send now.
    fn output(&mut self) -> Vec<u8>;
    /// Bytes for the peer.
    fn input(&mut self, bytes: &[u8]);
}

/// A blocking transport to `peer`, in memory: a read takes what the peer
/// has to send (0 bytes, end of file, when it has nothing), a write hands
/// the bytes to the peer at once.
struct Pipe<P> {
    peer: P,
    inbound: Vec<u8>,
    pos: usize,
}

impl<P: Peer> Pipe<P> {
    fn new(peer: P) -> Self {
        Self {
            peer,
            inbound: Vec::new(),
            pos: 0,
        }
    }
}

impl<P: Peer> Read for Pipe<P> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.inbound.len() {
            self.inbound = self.peer.output();
            self.pos = 0;
        }
        let n = buf.len().min(self.inbound.len() - self.pos);
        buf[..n].copy_from_slice(&self.inbound[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl<P: Peer> Write for Pipe<P> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.peer.input(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Peer for rustls::ClientConnection {
    fn output(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while self.wants_write() {
            self.write_tls(&mut out).unwrap();
        }
        out
    }

    fn input(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            self.read_tls(&mut bytes).unwrap();
            self.process_new_packets().unwrap();
        }
    }
}

impl Peer for ClientDriver {
    fn output(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(bytes) = self.poll_output() {
            out.extend_from_slice(&bytes);
        }
        out
    }

    fn input(&mut self, bytes: &[u8]) {
        assert_eq!(self.handle_input(bytes), bytes.len(), "input not taken");
        while self.poll_event().is_some() {}
    }
}

fn rustls_client() -> rustls::ClientConnection {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(fixture().pki.ca.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS12])
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let mut client = rustls::ClientConnection::new(Arc::new(config), localhost()).unwrap();
    // The tests write more than rustls buffers by default before its
    // output is taken.
    client.set_buffer_limit(None);
    client
}

/// Our server, handshaken with a rustls client over a [`Pipe`].
fn our_server_and_rustls() -> Stream<Server, Pipe<rustls::ClientConnection>> {
    let config = fixture().pki.server_config(&fixture().leaf);
    stream::accept(config, Pipe::new(rustls_client()))
        .unwrap_or_else(|fatal| panic!("handshake with rustls failed: {fatal:?}"))
}

#[test]
fn rustls_data_read_in_place_through_the_connection() {
    let mut server = our_server_and_rustls();
    let mut rng = Rng(21);
    let mut sent = Vec::new();
    let mut got = Vec::new();
    for (i, size) in write_sizes(&mut rng).into_iter().enumerate() {
        let data = payload(size, 100 + i as u64);
        let rustls = &mut server.transport().peer;
        rustls.writer().write_all(&data).unwrap();
        sent.extend_from_slice(&data);
        let wire = rustls.output();
        let conn = server.connection();
        let mut rest = &wire[..];
        while !rest.is_empty() {
            let n = (1 + rng.below(20_000)).min(rest.len());
            let taken = conn.feed(&rest[..n]);
            rest = &rest[taken..];
            take_in_place(conn, &mut rng, &mut got);
        }
    }
    assert!(got == sent, "the data differs");
    server.transport().peer.send_close_notify();
    let wire = server.transport().peer.output();
    let conn = server.connection();
    assert_eq!(conn.feed(&wire), wire.len());
    assert_eq!(conn.fill_buf(), Ok(ReadOutcome::Closed));
    assert_eq!(conn.read(&mut [0u8; 8]), Ok(ReadOutcome::Closed));
}

#[test]
fn rustls_data_read_in_place_through_buf_read() {
    let mut server = our_server_and_rustls();
    // Lines across record boundaries, read with `BufRead::read_until`
    // (fill_buf + consume underneath).
    let lines: Vec<Vec<u8>> = (0..50)
        .map(|i| {
            let mut line = payload(i * 997 % 40_000, i as u64 + 1);
            line.retain(|b| *b != b'\n');
            line.push(b'\n');
            line
        })
        .collect();
    for line in &lines {
        server.transport().peer.writer().write_all(line).unwrap();
    }
    server.transport().peer.send_close_notify();
    for (i, line) in lines.iter().enumerate() {
        let mut got = Vec::new();
        server.read_until(b'\n', &mut got).unwrap();
        assert!(got == *line, "line {i} differs");
    }
    // The close_notify: `fill_buf` is empty, `read` is 0.
    assert_eq!(server.fill_buf().unwrap(), b"");
    assert_eq!(server.read(&mut [0u8; 8]).unwrap(), 0);
}

#[test]
fn buf_read_reports_truncation() {
    let mut server = our_server_and_rustls();
    server
        .transport()
        .peer
        .writer()
        .write_all(b"partial")
        .unwrap();
    assert_eq!(server.fill_buf().unwrap(), b"partial");
    server.consume(7);
    // The pipe is at its end (rustls has nothing more): no close_notify.
    let error = server.fill_buf().unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
}

#[test]
fn stream_passes_over_empty_records() {
    let config = fixture().pki.server_config(&fixture().leaf);
    let client = ClientDriver::new(fixture().pki.client_config(), localhost());
    let mut server = stream::accept(config, Pipe::new(client))
        .unwrap_or_else(|fatal| panic!("handshake failed: {fatal:?}"));
    // The client sends empty records around its data: they are not the
    // end of the stream.
    let peer = &mut server.transport().peer;
    peer.send(b"").unwrap();
    peer.send(b"").unwrap();
    peer.send(b"after two empty records").unwrap();
    peer.send(b"").unwrap();
    let mut buf = [0u8; 64];
    let n = server.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"after two empty records");
    server.transport().peer.send(b"").unwrap();
    server.transport().peer.send(b"more").unwrap();
    assert_eq!(server.fill_buf().unwrap(), b"more");
    server.consume(4);
    server.transport().peer.send(b"").unwrap();
    server.transport().peer.close().unwrap();
    assert_eq!(server.fill_buf().unwrap(), b"", "the close_notify");
    assert_eq!(server.read(&mut buf).unwrap(), 0);
}

#[test]
fn split_read_stream_reads_in_place_over_tcp() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let lines: Vec<Vec<u8>> = (0..20)
        .map(|i| {
            let mut line = payload(i * 3001 % 50_000, i as u64 + 7);
            line.retain(|b| *b != b'\n');
            line.push(b'\n');
            line
        })
        .collect();
    let to_send = lines.clone();
    let client = std::thread::spawn(move || {
        let tcp = std::net::TcpStream::connect(addr).unwrap();
        let mut client = stream::connect(fixture().pki.client_config(), localhost(), tcp)
            .unwrap_or_else(|fatal| panic!("client handshake failed: {fatal:?}"));
        for line in &to_send {
            client.write_all(line).unwrap();
        }
        client.shutdown().unwrap();
    });
    let (tcp, _) = listener.accept().unwrap();
    let config = fixture().pki.server_config(&fixture().leaf);
    let server = stream::accept(config, tcp)
        .unwrap_or_else(|fatal| panic!("server handshake failed: {fatal:?}"));
    let (mut reader, mut writer) = server.split().unwrap();
    for (i, line) in lines.iter().enumerate() {
        let mut got = Vec::new();
        reader.read_until(b'\n', &mut got).unwrap();
        assert!(got == *line, "line {i} differs");
    }
    assert_eq!(reader.fill_buf().unwrap(), b"", "the close_notify");
    writer.shutdown_send().unwrap();
    client.join().unwrap();
}
