//! Closing a connection and the alerts that cross the wire after the
//! handshake: the second half of the seed (`reader_alert_out` /
//! `writer_alert_out`, `read_closed` / `write_closed`, "only one alert is
//! sent, writer alerts take priority, else close_notify"), the alerts we
//! receive, renegotiation refused, and truncation.
//!
//! Most cases use the sans-IO halves in memory, so every byte either side
//! puts on the wire can be checked: records are counted by content type
//! (after the handshake alerts are encrypted, so an alert is "a record of
//! type 21 with a 2+8+16-byte body" for AES-GCM) and their content is read
//! back through the peer's own [`Connection`]. Where the peer must send
//! something our own peer cannot (an alert split across two records, a
//! HelloRequest, a ClientHello after the handshake, a warning alert), the
//! test forges it with the session's real keys: the client's key log gives
//! the master secret, the ServerHello on the wire the server random, and
//! the crate's own key expansion and AEAD seal the forged records.
//!
//! The blocking cases (a reader blocked in `read`, truncation) run over real
//! TCP loopback sockets, some through a recording proxy that keeps every
//! byte each way.
//!
//! Every case here runs TLS 1.2 (configurations restricted to it): counting
//! alerts by their record type needs TLS 1.2's visible content types, and
//! the forged records use TLS 1.2's key expansion. TLS 1.3's close_notify
//! and alerts are tested in `tests/tls13_connection.rs`.

mod common;

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use common::fixture;
use common::memory::{full_handshake, localhost};
use common::wire::{Proxy, after_handshake, records};
use tlstate::connection::{Connection, ReadHalf, ReadOutcome, WriteHalf};
use tlstate::crypto::{KeyBlock, MASTER_SECRET_LEN, SupportedCipherSuite, new_record_protection};
use tlstate::enums::{AlertDescription, AlertLevel, ContentType, HandshakeType};
use tlstate::error::{Error, InvalidMessage, Received};
use tlstate::handshake::{Client, ClientConfig, Fatal, Role, Server};
use tlstate::keylog::KeyLog;
use tlstate::message::AlertMessage;
use tlstate::record::{Inbound, RecordOpener, RecordReader, RecordSealer, RecordWriter};
use tlstate::stream::{self, Stream};

/// A guard against a hung peer or a deadlock; no assertion depends on
/// timing.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// Record type of alerts.
const ALERT: u8 = 21;
/// Record type of application data.
const APPLICATION_DATA: u8 = 23;
/// Record type of handshake messages.
const HANDSHAKE: u8 = 22;
/// An encrypted alert's body with AES-GCM: explicit nonce, the 2-byte
/// alert, tag (RFC 5288 3).
const GCM_ALERT_BODY: usize = 8 + 2 + 16;

// ---------------------------------------------------------------------------
// Fixture.

/// Keeps the master secret the client logs.
#[derive(Debug, Default)]
struct CaptureKeys(Mutex<Option<([u8; 32], Vec<u8>)>>);

impl KeyLog for CaptureKeys {
    fn log(&self, label: &str, client_random: &[u8; 32], secret: &[u8]) {
        assert_eq!(label, "CLIENT_RANDOM");
        *self.0.lock().unwrap() = Some((*client_random, secret.to_vec()));
    }
}

/// The session's secrets, recovered from outside the connection.
struct Keys {
    suite: &'static SupportedCipherSuite,
    master: [u8; MASTER_SECRET_LEN],
    client_random: [u8; 32],
    server_random: [u8; 32],
}

/// Adds one to the sequence number: the Finished message took 0, so a
/// forged record that follows the handshake is sealed/opened with 1, 2, ...
struct AfterFinished<T>(T);

impl RecordSealer for AfterFinished<Box<dyn RecordSealer>> {
    fn prefix_len(&self) -> usize {
        self.0.prefix_len()
    }
    fn tag_len(&self) -> usize {
        self.0.tag_len()
    }
    fn seal(
        &self,
        seq: u64,
        typ: ContentType,
        record: &mut Vec<u8>,
        start: usize,
    ) -> Result<(), Error> {
        self.0.seal(seq + 1, typ, record, start)
    }
}

impl RecordOpener for AfterFinished<Box<dyn RecordOpener>> {
    fn open(
        &self,
        seq: u64,
        typ: ContentType,
        version: u16,
        body: &mut [u8],
    ) -> Result<(ContentType, core::ops::Range<usize>), Error> {
        self.0.open(seq + 1, typ, version, body)
    }
    fn overhead(&self) -> usize {
        self.0.overhead()
    }
    fn max_body_len(&self) -> usize {
        self.0.max_body_len()
    }
}

impl Keys {
    fn key_block(&self) -> KeyBlock {
        KeyBlock::derive(
            self.suite,
            &self.master,
            &self.client_random,
            &self.server_random,
        )
    }

    /// A record writer that seals as `client` (or the server) does, from the
    /// first record after its Finished.
    fn forge_as(&self, client: bool) -> RecordWriter {
        let (sealer, _) = new_record_protection(self.suite, &self.key_block(), client).unwrap();
        let mut writer = RecordWriter::new();
        writer.set_sealer(Box::new(AfterFinished(sealer)));
        writer
    }

    /// A record reader that opens what the client (or the server) writes,
    /// from the first record after its Finished.
    fn read_from(&self, client: bool) -> RecordReader {
        let (_, opener) = new_record_protection(self.suite, &self.key_block(), !client).unwrap();
        let mut reader = RecordReader::new();
        reader.set_opener(Box::new(AfterFinished(opener)));
        reader
    }
}

/// Our client and our server, handshaken in memory, and the session keys.
fn memory_pair() -> (Connection<Client>, Connection<Server>, Keys) {
    try_memory_pair().unwrap_or_else(|fatal| panic!("handshake failed: {fatal:?}"))
}

fn try_memory_pair() -> Result<(Connection<Client>, Connection<Server>, Keys), Fatal> {
    let capture = Arc::new(CaptureKeys::default());
    let mut client_config: ClientConfig = (*fixture().pki.client_config_tls12()).clone();
    client_config.key_log = Some(capture.clone());
    let server_config = fixture().pki.server_config_tls12(&fixture().leaf);

    let (client, server, server_flight) = full_handshake(Arc::new(client_config), server_config)?;
    // The ServerHello is the first record: header(5), handshake type and
    // length (4), version (2), then the 32-byte random.
    assert_eq!(server_flight[0], HANDSHAKE);
    assert_eq!(server_flight[5], 2, "first server message is ServerHello");
    let server_random: [u8; 32] = server_flight[11..43].try_into().unwrap();

    let (client_random, master) = capture.0.lock().unwrap().clone().expect("key logged");
    let keys = Keys {
        suite: tlstate::crypto::lookup(client.summary().cipher_suite).unwrap(),
        master: master.try_into().unwrap(),
        client_random,
        server_random,
    };
    Ok((client, server, keys))
}

// ---------------------------------------------------------------------------
// Records on the wire.

fn count_alerts(wire: &[u8]) -> usize {
    records(wire).iter().filter(|(t, _)| *t == ALERT).count()
}

/// Asserts `wire` ends in exactly one alert record and holds no other.
fn assert_one_final_alert(wire: &[u8], who: &str) {
    let records = records(wire);
    assert_eq!(
        records.iter().filter(|(t, _)| *t == ALERT).count(),
        1,
        "{who}: alert records on the wire: {records:?}"
    );
    assert_eq!(
        records.last(),
        Some(&(ALERT, GCM_ALERT_BODY)),
        "{who}: the alert is not the last record: {records:?}"
    );
}

/// Reads everything `conn` can read from what was fed: data, then how it
/// ended (`Ok(Closed)`, `Ok(NeedMore)` or the error).
fn drain(
    mut read: impl FnMut(&mut [u8]) -> Result<ReadOutcome, Error>,
) -> (Vec<u8>, Result<ReadOutcome, Error>) {
    let mut data = Vec::new();
    let mut buf = vec![0u8; 4096];
    loop {
        match read(&mut buf) {
            Ok(ReadOutcome::Data(n)) => data.extend_from_slice(&buf[..n]),
            end => return (data, end),
        }
    }
}

/// Feeds all of `wire` to `conn`, reading whenever its buffer is full
/// (it takes at most `MAX_BUFFERED_LEN` unread bytes at a time), and
/// returns the data read and how reading ended.
fn feed_and_drain<R: Role>(
    conn: &mut Connection<R>,
    wire: &[u8],
) -> (Vec<u8>, Result<ReadOutcome, Error>) {
    let mut data = Vec::new();
    let mut rest = wire;
    loop {
        let taken = conn.feed(rest);
        rest = &rest[taken..];
        let (got, end) = drain(|buf| conn.read(buf));
        data.extend_from_slice(&got);
        if rest.is_empty() || end != Ok(ReadOutcome::NeedMore) {
            return (data, end);
        }
    }
}

/// An application data record from `from` to `to` whose tag no longer
/// matches: opening it fails with `DecryptFailed`.
fn tampered_record<R: Role>(from: &mut Connection<R>) -> Vec<u8> {
    from.send(b"this record is tampered with").unwrap();
    let mut record = from.take_output();
    assert_eq!(records(&record), vec![(APPLICATION_DATA, 8 + 28 + 16)]);
    *record.last_mut().unwrap() ^= 0x01;
    record
}

// ---------------------------------------------------------------------------
// Threads and sockets.

/// Runs `f` on a thread; `wait` returns its result, or fails the test after
/// `HANG_GUARD` (a deadlock) — a bound, not a timing assertion.
struct Bounded<T> {
    handle: JoinHandle<()>,
    result: mpsc::Receiver<T>,
}

fn spawn<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Bounded<T> {
    let (tx, result) = mpsc::channel();
    let handle = thread::spawn(move || {
        let _ = tx.send(f());
    });
    Bounded { handle, result }
}

impl<T> Bounded<T> {
    fn wait(self, what: &str) -> T {
        match self.result.recv_timeout(HANG_GUARD) {
            Ok(value) => {
                self.handle.join().unwrap();
                value
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // The thread panicked: re-raise its message.
                match self.handle.join() {
                    Err(panic) => std::panic::resume_unwind(panic),
                    Ok(()) => unreachable!(),
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("deadlock: {what} did not finish"),
        }
    }
}

fn guard(tcp: &TcpStream) {
    tcp.set_read_timeout(Some(HANG_GUARD)).unwrap();
    tcp.set_write_timeout(Some(HANG_GUARD)).unwrap();
}

/// Our client and our server over TCP loopback, through a recording proxy.
fn tcp_pair_via_proxy() -> (Stream<Client, TcpStream>, Stream<Server, TcpStream>, Proxy) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = Proxy::start(listener.local_addr().unwrap(), HANG_GUARD);
    let config = fixture().pki.server_config_tls12(&fixture().leaf);
    let server = spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        guard(&tcp);
        stream::accept(config, tcp).expect("server handshake")
    });
    let tcp = TcpStream::connect(proxy.addr).unwrap();
    guard(&tcp);
    let client = stream::connect(fixture().pki.client_config_tls12(), localhost(), tcp)
        .expect("client handshake");
    (client, server.wait("server handshake"), proxy)
}

// ---------------------------------------------------------------------------
// Seed: "Only one alert is sent" — both halves closing at once.

const RACES: usize = 100;

/// The client's reader thread reads the server's close_notify while its
/// writer thread calls `shutdown_send`, released together by a barrier.
/// Neither blocks the other, and exactly one alert record — our
/// close_notify — is on the wire, last.
#[test]
fn reader_sees_close_notify_while_writer_shuts_down() {
    for round in 0..RACES {
        let (client, mut server, _) = memory_pair();
        server.shutdown_send().unwrap();
        let close_notify = server.take_output();
        assert_one_final_alert(&close_notify, "server");

        let (mut reader, mut writer): (ReadHalf<Client>, WriteHalf<Client>) = client.split();
        let barrier = Arc::new(Barrier::new(2));
        let b = barrier.clone();
        let read = spawn(move || {
            b.wait();
            let input: &[u8] = &close_notify;
            assert_eq!(reader.feed(input), input.len(), "a whole flight is taken");
            let mut buf = [0u8; 64];
            reader.read(&mut buf)
        });
        let write = spawn(move || {
            barrier.wait();
            writer.shutdown_send().unwrap();
            writer
        });
        assert_eq!(
            read.wait("the reader thread"),
            Ok(ReadOutcome::Closed),
            "round {round}"
        );
        let mut writer = write.wait("the writer thread");
        let wire = writer.take_output();
        assert_one_final_alert(&wire, "client");
        // A second shutdown adds nothing.
        writer.shutdown_send().unwrap();
        assert!(writer.pending_output().is_empty());
        // What the server reads is our close_notify: the clean end.
        let input: &[u8] = &wire;
        assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
        let mut buf = [0u8; 64];
        assert_eq!(
            server.read(&mut buf),
            Ok(ReadOutcome::Closed),
            "round {round}"
        );
    }
}

/// The client's reader thread fails on a tampered record (bad_record_mac
/// into the reader's slot) while its writer thread calls `shutdown_send`.
/// Whichever wins, exactly one alert record is on the wire: bad_record_mac
/// if the reader's slot was set first, close_notify if the writer was
/// first — never both, never a second one later.
#[test]
fn reader_fails_while_writer_shuts_down() {
    let mut outcomes = [0usize; 2];
    for round in 0..RACES {
        let (client, mut server, _) = memory_pair();
        let tampered = tampered_record(&mut server);
        let (mut reader, mut writer) = client.split();
        let barrier = Arc::new(Barrier::new(2));
        let b = barrier.clone();
        let read = spawn(move || {
            b.wait();
            let input: &[u8] = &tampered;
            assert_eq!(reader.feed(input), input.len(), "a whole flight is taken");
            let mut buf = [0u8; 64];
            (reader.read(&mut buf), reader)
        });
        let write = spawn(move || {
            barrier.wait();
            writer.shutdown_send().unwrap();
            writer
        });
        let (outcome, reader) = read.wait("the reader thread");
        assert_eq!(outcome, Err(Error::DecryptFailed), "round {round}");
        assert!(reader.failed());
        let mut writer = write.wait("the writer thread");
        let wire = writer.take_output();
        assert_one_final_alert(&wire, "client");
        // The reader's late alert does not make the writer send again.
        writer.shutdown_send().unwrap();
        assert!(writer.pending_output().is_empty(), "round {round}");
        assert_eq!(writer.send(b"more"), Err(Error::Closed));

        let input: &[u8] = &wire;
        assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
        let mut buf = [0u8; 64];
        match server.read(&mut buf) {
            Ok(ReadOutcome::Closed) => outcomes[0] += 1,
            Err(Error::AlertReceived {
                level: AlertLevel::Fatal,
                description: AlertDescription::BadRecordMac,
            }) => outcomes[1] += 1,
            other => panic!("round {round}: the server read {other:?}"),
        }
    }
    eprintln!(
        "writer first (close_notify): {}, reader first (bad_record_mac): {}",
        outcomes[0], outcomes[1]
    );
}

/// The same race through the blocking split streams over TCP: the client's
/// `ReadStream` fails on a tampered record sent by a raw peer while its
/// `WriteStream` shuts down. No deadlock, one alert record on the wire.
#[test]
fn split_stream_reader_error_and_writer_shutdown_over_tcp() {
    let (client, server, proxy) = tcp_pair_via_proxy();
    // The server is driven by hand from here: its socket sends the
    // tampered record, then reads what the client sends.
    let mut server = server;
    server
        .connection()
        .send(b"this record is tampered with")
        .unwrap();
    let mut record = server.connection().take_output();
    *record.last_mut().unwrap() ^= 0x01;

    let (mut reader, mut writer) = client.split().unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let b = barrier.clone();
    let read = spawn(move || {
        b.wait();
        let mut buf = [0u8; 64];
        reader.read(&mut buf)
    });
    let write = spawn(move || {
        barrier.wait();
        writer.shutdown_send().unwrap();
        writer
    });
    server.transport().write_all(&record).unwrap();
    let error = read.wait("the reader").unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    assert_eq!(
        error.get_ref().and_then(|e| e.downcast_ref::<Error>()),
        Some(&Error::DecryptFailed)
    );
    let writer = write.wait("the writer");
    drop(writer);

    let mut buf = [0u8; 64];
    match server.read(&mut buf) {
        Ok(0) => {}
        Err(e)
            if e.get_ref().and_then(|e| e.downcast_ref::<Error>())
                == Some(&Error::AlertReceived {
                    level: AlertLevel::Fatal,
                    description: AlertDescription::BadRecordMac,
                }) => {}
        other => panic!("the server read {other:?}"),
    }
    drop(server);
    let recorded = proxy.recorded();
    let from_client = after_handshake(&recorded.client_to_server);
    assert_eq!(
        from_client,
        vec![(ALERT, GCM_ALERT_BODY)],
        "the client sent exactly one alert and nothing else"
    );
}

// ---------------------------------------------------------------------------
// A reader blocked in `read` while the writer shuts down.

/// The client's `ReadStream` blocks in `read` on its thread (nothing has
/// been sent to it); its `WriteStream` sends close_notify; the server reads
/// `Ok(0)` and answers with its own close_notify; the blocked read returns
/// `Ok(0)`. On the wire, through the proxy: exactly one alert each way,
/// each the last record.
#[test]
fn blocked_reader_returns_ok0_when_the_peer_answers_our_close_notify() {
    let (client, mut server, proxy) = tcp_pair_via_proxy();
    let (mut reader, mut writer) = client.split().unwrap();
    let (started, reading) = mpsc::channel();
    let read = spawn(move || {
        started.send(()).unwrap();
        let mut buf = [0u8; 64];
        reader.read(&mut buf)
    });
    reading.recv().unwrap();
    // The reader has nothing to read until the server's close_notify,
    // which only our close_notify triggers: it is blocked or about to be.
    writer.shutdown_send().unwrap();
    let mut buf = [0u8; 64];
    assert_eq!(
        server.read(&mut buf).unwrap(),
        0,
        "server sees close_notify"
    );
    server.close().unwrap();
    assert_eq!(read.wait("the blocked reader").unwrap(), 0);

    drop((writer, server));
    let recorded = proxy.recorded();
    assert_eq!(
        after_handshake(&recorded.client_to_server),
        vec![(ALERT, GCM_ALERT_BODY)]
    );
    assert_eq!(
        after_handshake(&recorded.server_to_client),
        vec![(ALERT, GCM_ALERT_BODY)]
    );
}

/// Our close_notify closes only our sending side: data the peer sent
/// before it read ours still arrives after ours, and is read before its
/// close_notify. The peer (our own server) answers our close_notify as
/// it reads it (RFC 5246 7.2.1), and can send no more after that.
#[test]
fn data_still_arrives_after_our_close_notify() {
    let (mut client, mut server, proxy) = tcp_pair_via_proxy();
    client.shutdown_send().unwrap();
    server.write_all(b"last words").unwrap();
    let mut buf = [0u8; 64];
    assert_eq!(server.read(&mut buf).unwrap(), 0);
    let error = server.write(b"later words").unwrap_err();
    assert_eq!(
        error.get_ref().and_then(|e| e.downcast_ref::<Error>()),
        Some(&Error::Closed)
    );
    server.close().unwrap();
    let mut got = Vec::new();
    client.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"last words");
    // Sending after our close_notify fails.
    let error = client.write(b"too late").unwrap_err();
    assert_eq!(
        error.get_ref().and_then(|e| e.downcast_ref::<Error>()),
        Some(&Error::Closed)
    );
    drop((client, server));
    let recorded = proxy.recorded();
    assert_eq!(
        after_handshake(&recorded.client_to_server),
        vec![(ALERT, GCM_ALERT_BODY)]
    );
    let from_server = after_handshake(&recorded.server_to_client);
    assert_eq!(from_server.len(), 2);
    assert_eq!(from_server[0].0, APPLICATION_DATA);
    assert_eq!(from_server[1], (ALERT, GCM_ALERT_BODY));
}

/// `Stream::shutdown` sends close_notify, discards what the peer still
/// sends, and returns once the peer's close_notify arrives.
#[test]
fn stream_shutdown_waits_for_the_peers_close_notify() {
    let (mut client, mut server, proxy) = tcp_pair_via_proxy();
    let peer = spawn(move || {
        server.write_all(&[7u8; 20_000]).unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(server.read(&mut buf).unwrap(), 0);
        server.close().unwrap();
        server
    });
    client.shutdown().unwrap();
    assert!(client.connection().peer_closed());
    assert!(!client.connection().failed());
    drop((client, peer.wait("the peer")));
    let recorded = proxy.recorded();
    assert_eq!(count_alerts(&recorded.client_to_server), 1);
    assert_eq!(count_alerts(&recorded.server_to_client), 1);
}

// ---------------------------------------------------------------------------
// Shutdown during a partial write.

/// 100 KB are queued (seven records), a part of them "written" with
/// `consume_output`, then `shutdown_send`: the rest of the data precedes
/// exactly one alert, and nothing follows it. A second `shutdown_send`
/// adds nothing; `send` afterwards fails with `Error::Closed`. The server
/// reads every byte, then the clean end.
#[test]
fn shutdown_during_a_partial_write_keeps_the_data_before_one_alert() {
    let (client, mut server, _) = memory_pair();
    let (_reader, mut writer) = client.split();
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 + 3) as u8).collect();
    writer.send(&data).unwrap();
    let queued = writer.pending_output().to_vec();
    assert_eq!(records(&queued).len(), 7);
    // Part of the output goes out, ending mid-record.
    let written = 20_000;
    let mut wire = queued[..written].to_vec();
    writer.consume_output(written);
    assert_eq!(writer.pending_output(), &queued[written..]);

    writer.shutdown_send().unwrap();
    assert!(writer.is_shut_down());
    wire.extend_from_slice(&writer.take_output());
    // Everything queued before, then the alert, then nothing.
    assert_eq!(&wire[..queued.len()], &queued[..]);
    let all = records(&wire);
    assert_eq!(all.len(), 8);
    assert!(all[..7].iter().all(|(t, _)| *t == APPLICATION_DATA));
    assert_one_final_alert(&wire, "client");

    writer.shutdown_send().unwrap();
    assert!(writer.pending_output().is_empty(), "a second alert");
    assert_eq!(writer.send(b"more"), Err(Error::Closed));
    assert!(writer.pending_output().is_empty());
    writer.flush_to(&mut io::sink()).unwrap();

    let (got, end) = feed_and_drain(&mut server, &wire);
    assert!(got == data, "data lost or changed");
    assert_eq!(end, Ok(ReadOutcome::Closed));
}

// ---------------------------------------------------------------------------
// Seed: "writer alerts take priority if both are present. If no alerts are
// present, then a generic close_notify will be sent instead."

/// The reader gets a tampered record: `DecryptFailed`, bad_record_mac in the
/// reader's slot. Nothing goes out until the writer's `shutdown_send`,
/// which sends that alert (fatal), not close_notify; the peer receives
/// `AlertReceived { Fatal, BadRecordMac }`.
#[test]
fn reader_alert_takes_priority_over_close_notify() {
    let (client, mut server, _) = memory_pair();
    let tampered = tampered_record(&mut server);
    let (mut reader, mut writer) = client.split();
    let input: &[u8] = &tampered;
    assert_eq!(reader.feed(input), input.len(), "a whole flight is taken");
    let mut buf = [0u8; 64];
    assert_eq!(reader.read(&mut buf), Err(Error::DecryptFailed));
    // The error is sticky, and closes both halves.
    assert_eq!(reader.read(&mut buf), Err(Error::DecryptFailed));
    assert!(reader.failed());
    assert!(writer.pending_output().is_empty(), "the alert waits");
    assert_eq!(writer.send(b"data"), Err(Error::Closed));

    writer.shutdown_send().unwrap();
    let wire = writer.take_output();
    assert_one_final_alert(&wire, "client");
    let input: &[u8] = &wire;
    assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        server.read(&mut buf),
        Err(Error::AlertReceived {
            level: AlertLevel::Fatal,
            description: AlertDescription::BadRecordMac,
        })
    );
    assert!(server.failed());
}

/// The first error the reader meets is the alert it owes: an unexpected
/// ChangeCipherSpec after a tampered record does not replace
/// bad_record_mac (the reader is dead after its first error).
#[test]
fn the_first_reader_error_is_the_alert_sent() {
    let (client, mut server, keys) = memory_pair();
    let (mut reader, mut writer) = client.split();
    let mut forged = keys.forge_as(false);
    let mut wire = Vec::new();
    forged
        .write(ContentType::ChangeCipherSpec, &[1], &mut wire)
        .unwrap();
    let input: &[u8] = &wire;
    assert_eq!(reader.feed(input), input.len(), "a whole flight is taken");
    let mut buf = [0u8; 64];
    assert_eq!(
        reader.read(&mut buf),
        Err(Error::UnexpectedMessage {
            expected: "application data",
            got: Received::Record(ContentType::ChangeCipherSpec),
        })
    );
    let input: &[u8] = &tampered_record(&mut server);
    assert_eq!(reader.feed(input), input.len(), "a whole flight is taken");
    assert!(matches!(
        reader.read(&mut buf),
        Err(Error::UnexpectedMessage { .. })
    ));
    writer.shutdown_send().unwrap();
    let input: &[u8] = &writer.take_output();
    assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        server.read(&mut buf),
        Err(Error::AlertReceived {
            level: AlertLevel::Fatal,
            description: AlertDescription::UnexpectedMessage,
        })
    );
}

/// With no error on either side, `shutdown_send` sends close_notify, a
/// warning (RFC 5246 7.2.1).
#[test]
fn no_pending_alert_sends_close_notify() {
    let (client, mut server, keys) = memory_pair();
    let (_reader, mut writer) = client.split();
    writer.shutdown_send().unwrap();
    let wire = writer.take_output();
    assert_one_final_alert(&wire, "client");
    // Opened with the session keys: exactly warning close_notify.
    let mut opened = keys.read_from(true);
    let input: &[u8] = &wire;
    assert_eq!(opened.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        opened.next_message().unwrap(),
        Some(Inbound::Alert(AlertMessage {
            level: AlertLevel::Warning,
            description: AlertDescription::CloseNotify,
        }))
    );
    let input: &[u8] = &wire;
    assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
    let mut buf = [0u8; 8];
    assert_eq!(server.read(&mut buf), Ok(ReadOutcome::Closed));
}

/// The unsplit `Connection` owns its writer: a fatal error found while
/// reading queues its alert at once, and a later `shutdown_send` adds no
/// second one.
#[test]
fn unsplit_connection_queues_the_readers_alert_at_once() {
    let (mut client, mut server, _) = memory_pair();
    let input: &[u8] = &tampered_record(&mut server);
    assert_eq!(client.feed(input), input.len(), "a whole flight is taken");
    let mut buf = [0u8; 64];
    assert_eq!(client.read(&mut buf), Err(Error::DecryptFailed));
    let wire = client.pending_output().to_vec();
    assert_one_final_alert(&wire, "client");
    client.shutdown_send().unwrap();
    assert_eq!(client.pending_output(), &wire[..]);
    assert_eq!(client.send(b"data"), Err(Error::Closed));
    let input: &[u8] = &client.take_output();
    assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        server.read(&mut buf),
        Err(Error::AlertReceived {
            level: AlertLevel::Fatal,
            description: AlertDescription::BadRecordMac,
        })
    );
}

// ---------------------------------------------------------------------------
// Alerts received.

/// close_notify is the clean end: `Closed`, repeatedly; data sent before it
/// is read first; the transport's EOF after it is no truncation.
#[test]
fn received_close_notify_is_the_clean_end() {
    let (mut client, mut server, _) = memory_pair();
    server.send(b"before the end").unwrap();
    server.shutdown_send().unwrap();
    let input: &[u8] = &server.take_output();
    assert_eq!(client.feed(input), input.len(), "a whole flight is taken");
    let (got, end) = drain(|buf| client.read(buf));
    assert_eq!(got, b"before the end");
    assert_eq!(end, Ok(ReadOutcome::Closed));
    let mut buf = [0u8; 8];
    assert_eq!(client.read(&mut buf), Ok(ReadOutcome::Closed));
    assert!(client.peer_closed());
    assert!(!client.failed());
    assert_eq!(client.transport_eof(), Error::Closed);
    // RFC 5246 7.2.1: our own close_notify answers it at once.
    assert_one_final_alert(client.pending_output(), "client");
}

const CLOSE_NOTIFY: AlertMessage = AlertMessage {
    level: AlertLevel::Warning,
    description: AlertDescription::CloseNotify,
};

/// RFC 5246 7.2.1: on the peer's close_notify we answer with exactly one
/// close_notify of our own, and `send` fails with `Error::Closed` and
/// queues nothing; `shutdown_send` adds nothing either. Unsplit, the
/// answer is queued as the read returns.
#[test]
fn peer_close_notify_is_answered_once_and_send_is_closed() {
    let (mut client, mut server, keys) = memory_pair();
    server.shutdown_send().unwrap();
    let input: &[u8] = &server.take_output();
    assert_eq!(client.feed(input), input.len(), "a whole flight is taken");
    let mut buf = [0u8; 8];
    assert_eq!(client.read(&mut buf), Ok(ReadOutcome::Closed));
    assert_eq!(client.send(b"after the end"), Err(Error::Closed));
    client.shutdown_send().unwrap();
    assert_eq!(client.read(&mut buf), Ok(ReadOutcome::Closed));
    let out = client.take_output();
    assert_one_final_alert(&out, "client");
    assert_eq!(alerts_in(&keys, true, &out), [CLOSE_NOTIFY]);
    assert_eq!(client.send(b"still"), Err(Error::Closed));
    assert!(client.pending_output().is_empty());
}

/// Split halves: the reader reads the peer's close_notify while the
/// writer has 100 KB queued (seven sealed records), part of it written.
/// The writer's next `send` fails with `Error::Closed` and queues our
/// close_notify behind what was queued: those records are sealed under
/// sequence numbers already spent, so they go out (dropping them would
/// break the peer's record sequence, see `WriteHalf::answer_peer`); the
/// write that came too late is what is discarded. The peer reads all the
/// data, then the clean end.
#[test]
fn peer_close_notify_refuses_later_writes_and_answers_behind_sealed_ones() {
    let (client, mut server, _) = memory_pair();
    let (mut reader, mut writer) = client.split();
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 + 3) as u8).collect();
    writer.send(&data).unwrap();
    let queued = writer.pending_output().to_vec();
    assert_eq!(records(&queued).len(), 7);
    let written = 20_000;
    let mut wire = queued[..written].to_vec();
    writer.consume_output(written);

    server.shutdown_send().unwrap();
    let input: &[u8] = &server.take_output();
    assert_eq!(reader.feed(input), input.len(), "a whole flight is taken");
    let mut buf = [0u8; 8];
    assert_eq!(reader.read(&mut buf), Ok(ReadOutcome::Closed));
    assert_eq!(writer.send(b"too late"), Err(Error::Closed));
    wire.extend_from_slice(&writer.take_output());
    assert_eq!(&wire[..queued.len()], &queued[..]);
    assert_eq!(
        records(&wire[queued.len()..]),
        vec![(ALERT, GCM_ALERT_BODY)]
    );
    writer.shutdown_send().unwrap();
    assert_eq!(writer.send(b"later still"), Err(Error::Closed));
    assert!(writer.pending_output().is_empty());

    let (got, end) = feed_and_drain(&mut server, &wire);
    assert!(got == data, "data lost or changed");
    assert_eq!(end, Ok(ReadOutcome::Closed));
}

/// Split halves, nothing queued: `flush_to` alone puts our answer on the
/// wire; it is the one alert, and `send` then fails.
#[test]
fn peer_close_notify_is_answered_by_the_writers_next_flush() {
    let (client, mut server, keys) = memory_pair();
    let (mut reader, mut writer) = client.split();
    server.shutdown_send().unwrap();
    let input: &[u8] = &server.take_output();
    assert_eq!(reader.feed(input), input.len(), "a whole flight is taken");
    let mut buf = [0u8; 8];
    assert_eq!(reader.read(&mut buf), Ok(ReadOutcome::Closed));
    let mut wire = Vec::new();
    writer.flush_to(&mut wire).unwrap();
    assert_eq!(alerts_in(&keys, true, &wire), [CLOSE_NOTIFY]);
    assert_eq!(writer.send(b"x"), Err(Error::Closed));
    writer.flush_to(&mut wire).unwrap();
    assert_one_final_alert(&wire, "client");
}

/// A fatal alert ends the connection with `AlertReceived` naming its level
/// and description; we owe no alert in return.
#[test]
fn received_fatal_alert_names_level_and_description() {
    let (mut client, mut server, _) = memory_pair();
    // Make the server send a fatal alert: it reads a tampered record.
    let input: &[u8] = &tampered_record(&mut client);
    assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
    let mut buf = [0u8; 64];
    assert_eq!(server.read(&mut buf), Err(Error::DecryptFailed));
    let wire = server.take_output();
    assert_one_final_alert(&wire, "server");
    let input: &[u8] = &wire;
    assert_eq!(client.feed(input), input.len(), "a whole flight is taken");
    let expected = Error::AlertReceived {
        level: AlertLevel::Fatal,
        description: AlertDescription::BadRecordMac,
    };
    assert_eq!(client.read(&mut buf), Err(expected.clone()));
    assert_eq!(client.read(&mut buf), Err(expected));
    assert!(client.failed());
    assert!(!client.peer_closed());
    assert!(
        client.pending_output().is_empty(),
        "no alert answers an alert"
    );
    assert_eq!(client.send(b"data"), Err(Error::Closed));
}

/// Any alert other than close_notify ends the connection, warnings too
/// (as in the seed: "s2n-tls treats all alerts as fatal").
#[test]
fn received_warning_alert_is_reported_with_its_level() {
    let (mut client, _server, keys) = memory_pair();
    let mut forged = keys.forge_as(false);
    let mut wire = Vec::new();
    forged
        .write_alert(
            AlertLevel::Warning,
            AlertDescription::UserCanceled,
            &mut wire,
        )
        .unwrap();
    let input: &[u8] = &wire;
    assert_eq!(client.feed(input), input.len(), "a whole flight is taken");
    let mut buf = [0u8; 8];
    assert_eq!(
        client.read(&mut buf),
        Err(Error::AlertReceived {
            level: AlertLevel::Warning,
            description: AlertDescription::UserCanceled,
        })
    );
}

/// Writes `alert` as two one-byte alert records with `forged`.
fn split_alert(
    forged: &mut RecordWriter,
    level: AlertLevel,
    description: AlertDescription,
) -> (Vec<u8>, Vec<u8>) {
    let (mut first, mut second) = (Vec::new(), Vec::new());
    forged
        .write(ContentType::Alert, &[level.to_wire()], &mut first)
        .unwrap();
    forged
        .write(ContentType::Alert, &[description.to_wire()], &mut second)
        .unwrap();
    assert_eq!(records(&first), vec![(ALERT, 8 + 1 + 16)]);
    assert_eq!(records(&second), vec![(ALERT, 8 + 1 + 16)]);
    (first, second)
}

/// A fatal alert split across two records: after the first, the reader
/// needs more (half an alert is nothing yet); after the second, it reports
/// the whole alert.
#[test]
fn fatal_alert_split_across_two_records_is_reassembled() {
    let (mut client, _server, keys) = memory_pair();
    let mut forged = keys.forge_as(false);
    let (first, second) = split_alert(
        &mut forged,
        AlertLevel::Fatal,
        AlertDescription::HandshakeFailure,
    );
    let input: &[u8] = &first;
    assert_eq!(client.feed(input), input.len(), "a whole flight is taken");
    let mut buf = [0u8; 8];
    assert_eq!(client.read(&mut buf), Ok(ReadOutcome::NeedMore));
    assert!(!client.failed());
    let input: &[u8] = &second;
    assert_eq!(client.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        client.read(&mut buf),
        Err(Error::AlertReceived {
            level: AlertLevel::Fatal,
            description: AlertDescription::HandshakeFailure,
        })
    );
}

/// close_notify split across two records is still the clean end.
#[test]
fn close_notify_split_across_two_records_is_the_clean_end() {
    let (client, _server, keys) = memory_pair();
    let (mut reader, _writer) = client.split();
    let mut forged = keys.forge_as(false);
    let mut wire = Vec::new();
    forged
        .write(ContentType::ApplicationData, b"data first", &mut wire)
        .unwrap();
    let (first, second) = split_alert(
        &mut forged,
        AlertLevel::Warning,
        AlertDescription::CloseNotify,
    );
    wire.extend_from_slice(&first);
    wire.extend_from_slice(&second);
    // Byte by byte, for good measure.
    let mut got = Vec::new();
    let mut end = None;
    let mut buf = [0u8; 64];
    for byte in &wire {
        let input: &[u8] = std::slice::from_ref(byte);
        assert_eq!(reader.feed(input), input.len(), "a whole flight is taken");
        loop {
            match reader.read(&mut buf) {
                Ok(ReadOutcome::Data(n)) => got.extend_from_slice(&buf[..n]),
                Ok(ReadOutcome::NeedMore) => break,
                other => {
                    end = Some(other);
                    break;
                }
            }
        }
    }
    assert_eq!(got, b"data first");
    assert_eq!(end, Some(Ok(ReadOutcome::Closed)));
    assert!(reader.peer_closed());
}

/// Half an alert must be completed by the very next record: an
/// application data record after it is unexpected_message, sent at once
/// (unsplit), and the peer reads that alert.
#[test]
fn partial_alert_then_application_data_is_unexpected() {
    let (mut client, mut server, keys) = memory_pair();
    let mut forged = keys.forge_as(false);
    let mut wire = Vec::new();
    forged
        .write(
            ContentType::Alert,
            &[AlertLevel::Fatal.to_wire()],
            &mut wire,
        )
        .unwrap();
    forged
        .write(ContentType::ApplicationData, b"not the rest", &mut wire)
        .unwrap();
    let input: &[u8] = &wire;
    assert_eq!(client.feed(input), input.len(), "a whole flight is taken");
    let mut buf = [0u8; 64];
    assert_eq!(
        client.read(&mut buf),
        Err(Error::UnexpectedMessage {
            expected: "the rest of an alert",
            got: Received::Record(ContentType::ApplicationData),
        })
    );
    let out = client.take_output();
    assert_one_final_alert(&out, "client");
    let input: &[u8] = &out;
    assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        server.read(&mut buf),
        Err(Error::AlertReceived {
            level: AlertLevel::Fatal,
            description: AlertDescription::UnexpectedMessage,
        })
    );
}

// ---------------------------------------------------------------------------
// Renegotiation refused (RFC 5246 7.4.1.1 / 7.4.1.2, RFC 5746 4.2 / 4.4).

/// A HelloRequest after the handshake: our client answers with a
/// no_renegotiation warning and the connection goes on, both ways.
/// rustls never starts a renegotiation, so the HelloRequest is forged with
/// the session's keys (see the file's doc).
#[test]
fn our_client_refuses_a_hello_request_and_goes_on() {
    let (mut client, _server, keys) = memory_pair();
    let mut from_server = keys.forge_as(false);
    let mut wire = Vec::new();
    from_server
        .write(ContentType::Handshake, &[0, 0, 0, 0], &mut wire)
        .unwrap();
    from_server
        .write(
            ContentType::ApplicationData,
            b"after the request",
            &mut wire,
        )
        .unwrap();
    let input: &[u8] = &wire;
    assert_eq!(client.feed(input), input.len(), "a whole flight is taken");
    let (got, end) = drain(|buf| client.read(buf));
    assert_eq!(got, b"after the request");
    assert_eq!(end, Ok(ReadOutcome::NeedMore));
    client.send(b"reply").unwrap();
    let out = client.take_output();
    let all = records(&out);
    assert_eq!(
        all,
        vec![(ALERT, GCM_ALERT_BODY), (APPLICATION_DATA, 8 + 5 + 16)]
    );
    // Open our output as the server would.
    let mut opened = keys.read_from(true);
    let input: &[u8] = &out;
    assert_eq!(opened.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        opened.next_message().unwrap(),
        Some(Inbound::Alert(AlertMessage {
            level: AlertLevel::Warning,
            description: AlertDescription::NoRenegotiation,
        }))
    );
    assert_eq!(
        opened.next_message().unwrap(),
        Some(Inbound::ApplicationData(b"reply"))
    );
    // Still open: more data from the server.
    wire.clear();
    from_server
        .write(ContentType::ApplicationData, b"still here", &mut wire)
        .unwrap();
    let input: &[u8] = &wire;
    assert_eq!(client.feed(input), input.len(), "a whole flight is taken");
    let (got, end) = drain(|buf| client.read(buf));
    assert_eq!(got, b"still here");
    assert_eq!(end, Ok(ReadOutcome::NeedMore));
    assert!(!client.failed());
}

/// A ClientHello after the handshake: our server answers with a
/// no_renegotiation warning, sent as soon as the read returns (unsplit) or
/// with the writer's next output (split), and the connection goes on; the
/// same whether the data is read by `read` or in place by `fill_buf`.
#[test]
fn our_server_refuses_a_client_hello_and_goes_on() {
    for (split, in_place) in [(false, false), (true, false), (false, true), (true, true)] {
        let (_client, server, keys) = memory_pair();
        let mut from_client = keys.forge_as(true);
        let mut wire = Vec::new();
        // The body does not matter: the request is refused by its type.
        from_client
            .write(ContentType::Handshake, &[1, 0, 0, 2, 3, 3], &mut wire)
            .unwrap();
        from_client
            .write(ContentType::ApplicationData, b"ping", &mut wire)
            .unwrap();
        let mut buf = [0u8; 64];
        let out = if split {
            let (mut reader, mut writer) = server.split();
            let input: &[u8] = &wire;
            assert_eq!(reader.feed(input), input.len(), "a whole flight is taken");
            if in_place {
                assert_eq!(reader.fill_buf(), Ok(ReadOutcome::Data(&b"ping"[..])));
                buf[..4].copy_from_slice(b"ping");
                reader.consume(4);
                assert_eq!(reader.fill_buf(), Ok(ReadOutcome::NeedMore));
            } else {
                assert_eq!(reader.read(&mut buf), Ok(ReadOutcome::Data(4)));
            }
            assert!(writer.pending_output().is_empty(), "waits for the writer");
            writer.send(b"pong").unwrap();
            writer.take_output()
        } else {
            let mut server = server;
            let input: &[u8] = &wire;
            assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
            if in_place {
                assert_eq!(server.fill_buf(), Ok(ReadOutcome::Data(&b"ping"[..])));
                buf[..4].copy_from_slice(b"ping");
                server.consume(4);
            } else {
                assert_eq!(server.read(&mut buf), Ok(ReadOutcome::Data(4)));
            }
            assert_eq!(
                records(server.pending_output()),
                vec![(ALERT, GCM_ALERT_BODY)]
            );
            server.send(b"pong").unwrap();
            server.take_output()
        };
        assert_eq!(&buf[..4], b"ping");
        let mut opened = keys.read_from(false);
        let input: &[u8] = &out;
        assert_eq!(opened.feed(input), input.len(), "a whole flight is taken");
        assert_eq!(
            opened.next_message().unwrap(),
            Some(Inbound::Alert(AlertMessage {
                level: AlertLevel::Warning,
                description: AlertDescription::NoRenegotiation,
            })),
            "split: {split}"
        );
        assert_eq!(
            opened.next_message().unwrap(),
            Some(Inbound::ApplicationData(b"pong"))
        );
        assert_eq!(opened.next_message().unwrap(), None);
    }
}

/// Opens everything in `out` as the peer would (`client`: the writer of
/// `out`) and returns the alerts in it, failing on anything else.
fn alerts_in(keys: &Keys, client: bool, out: &[u8]) -> Vec<AlertMessage> {
    let mut opened = keys.read_from(client);
    let input: &[u8] = out;
    assert_eq!(opened.feed(input), input.len(), "a whole flight is taken");
    let mut alerts = Vec::new();
    while let Some(inbound) = opened.next_message().unwrap() {
        match inbound {
            Inbound::Alert(alert) => alerts.push(alert),
            other => panic!("not an alert: {other:?}"),
        }
    }
    alerts
}

const NO_RENEGOTIATION: AlertMessage = AlertMessage {
    level: AlertLevel::Warning,
    description: AlertDescription::NoRenegotiation,
};

const FATAL_UNEXPECTED_MESSAGE: AlertMessage = AlertMessage {
    level: AlertLevel::Fatal,
    description: AlertDescription::UnexpectedMessage,
};

/// The error a second renegotiation request ends the connection with.
fn second_request(typ: HandshakeType) -> Error {
    Error::UnexpectedMessage {
        expected: "application data (a renegotiation request was already refused)",
        got: Received::Handshake(typ),
    }
}

/// One renegotiation request is refused with a warning (as rustls allows
/// one); a second one ends the connection with unexpected_message. Our
/// client gets two HelloRequests, our server two ClientHellos, with data
/// between them that is still read.
#[test]
fn a_second_renegotiation_request_ends_the_connection() {
    // Our client.
    let (mut client, _server, keys) = memory_pair();
    let mut from_server = keys.forge_as(false);
    let mut wire = Vec::new();
    from_server
        .write(ContentType::Handshake, &[0, 0, 0, 0], &mut wire)
        .unwrap();
    from_server
        .write(ContentType::ApplicationData, b"between", &mut wire)
        .unwrap();
    from_server
        .write(ContentType::Handshake, &[0, 0, 0, 0], &mut wire)
        .unwrap();
    let input: &[u8] = &wire;
    assert_eq!(client.feed(input), input.len(), "a whole flight is taken");
    let (got, end) = drain(|buf| client.read(buf));
    assert_eq!(got, b"between");
    assert_eq!(end, Err(second_request(HandshakeType::HelloRequest)));
    let out = client.take_output();
    assert_eq!(
        alerts_in(&keys, true, &out),
        [NO_RENEGOTIATION, FATAL_UNEXPECTED_MESSAGE]
    );
    assert_eq!(client.send(b"late"), Err(Error::Closed));

    // Our server.
    let (_client, mut server, keys) = memory_pair();
    let mut from_client = keys.forge_as(true);
    let mut wire = Vec::new();
    from_client
        .write(ContentType::Handshake, &[1, 0, 0, 2, 3, 3], &mut wire)
        .unwrap();
    let input: &[u8] = &wire;
    assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
    let mut buf = [0u8; 64];
    assert_eq!(server.read(&mut buf), Ok(ReadOutcome::NeedMore));
    wire.clear();
    from_client
        .write(ContentType::Handshake, &[1, 0, 0, 2, 3, 3], &mut wire)
        .unwrap();
    let input: &[u8] = &wire;
    assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        server.read(&mut buf),
        Err(second_request(HandshakeType::ClientHello))
    );
    let out = server.take_output();
    assert_eq!(
        alerts_in(&keys, false, &out),
        [NO_RENEGOTIATION, FATAL_UNEXPECTED_MESSAGE]
    );
}

/// 256 KiB of 4-byte renegotiation requests (16 records of 4096 each), as
/// in the issue: our output stays at most one warning and one fatal
/// alert, not one warning per request.
#[test]
fn a_flood_of_renegotiation_requests_is_answered_by_at_most_two_alerts() {
    let (mut client, _server, keys) = memory_pair();
    let mut from_server = keys.forge_as(false);
    let mut wire = Vec::new();
    let record = [0u8; 4].repeat(4096);
    for _ in 0..16 {
        from_server
            .write(ContentType::Handshake, &record, &mut wire)
            .unwrap();
    }
    assert!(wire.len() > 256 * 1024);
    // All of it goes in, read as it fits: the connection ends at the
    // second request and takes (and drops) the rest unread.
    let mut rest: &[u8] = &wire;
    let mut first_end = None;
    while !rest.is_empty() {
        let taken = client.feed(rest);
        assert!(taken > 0, "the reader takes input while it reads");
        rest = &rest[taken..];
        let (got, end) = drain(|buf| client.read(buf));
        assert!(got.is_empty());
        first_end.get_or_insert(end);
    }
    assert_eq!(
        first_end,
        Some(Err(second_request(HandshakeType::HelloRequest)))
    );
    let out = client.take_output();
    assert!(
        out.len() <= 2 * (5 + GCM_ALERT_BODY),
        "{} bytes of output",
        out.len()
    );
    let alerts = alerts_in(&keys, true, &out);
    assert_eq!(alerts.last(), Some(&FATAL_UNEXPECTED_MESSAGE));
}

/// The same flood with split halves: the reader ends the connection, the
/// writer's one 1-byte `send` then fails with `Error::Closed` and queues
/// nothing, and its `shutdown_send` queues the one fatal alert.
#[test]
fn a_flood_of_renegotiation_requests_with_split_halves_is_bounded() {
    let (_client, server, keys) = memory_pair();
    let (mut reader, mut writer) = server.split();
    let mut from_client = keys.forge_as(true);
    let mut wire = Vec::new();
    let record = [1u8, 0, 0, 0].repeat(4096);
    for _ in 0..16 {
        from_client
            .write(ContentType::Handshake, &record, &mut wire)
            .unwrap();
    }
    assert!(wire.len() > 256 * 1024);
    let mut rest: &[u8] = &wire;
    let mut first_end = None;
    let mut buf = [0u8; 64];
    while !rest.is_empty() {
        let taken = reader.feed(rest);
        assert!(taken > 0, "the reader takes input while it reads");
        rest = &rest[taken..];
        first_end.get_or_insert(reader.read(&mut buf));
    }
    assert_eq!(
        first_end,
        Some(Err(second_request(HandshakeType::ClientHello)))
    );
    assert_eq!(writer.send(b"x"), Err(Error::Closed));
    assert!(writer.pending_output().is_empty());
    writer.shutdown_send().unwrap();
    let out = writer.take_output();
    assert_one_final_alert(&out, "server");
    assert_eq!(alerts_in(&keys, false, &out), [FATAL_UNEXPECTED_MESSAGE]);
}

/// A HelloRequest has an empty body (RFC 5246 7.4.1.1): one with a body is
/// decode_error, not a renegotiation request to refuse.
#[test]
fn a_hello_request_with_a_body_is_a_decode_error() {
    let (mut client, mut server, keys) = memory_pair();
    let mut from_server = keys.forge_as(false);
    let mut wire = Vec::new();
    from_server
        .write(ContentType::Handshake, &[0, 0, 0, 1, 0], &mut wire)
        .unwrap();
    let input: &[u8] = &wire;
    assert_eq!(client.feed(input), input.len(), "a whole flight is taken");
    let mut buf = [0u8; 8];
    assert_eq!(
        client.read(&mut buf),
        Err(Error::InvalidMessage(InvalidMessage::TrailingData(
            "HelloRequest"
        )))
    );
    let out = client.take_output();
    assert_one_final_alert(&out, "client");
    let input: &[u8] = &out;
    assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        server.read(&mut buf),
        Err(Error::AlertReceived {
            level: AlertLevel::Fatal,
            description: AlertDescription::DecodeError,
        })
    );
}

/// A client may not send a HelloRequest, nor a server a ClientHello: any
/// handshake message but the peer's renegotiation request is
/// unexpected_message.
#[test]
fn other_handshake_messages_after_the_handshake_are_unexpected() {
    let (mut client, mut server, keys) = memory_pair();
    let mut from_client = keys.forge_as(true);
    let mut wire = Vec::new();
    from_client
        .write(ContentType::Handshake, &[0, 0, 0, 0], &mut wire)
        .unwrap();
    let input: &[u8] = &wire;
    assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
    let mut buf = [0u8; 8];
    assert_eq!(
        server.read(&mut buf),
        Err(Error::UnexpectedMessage {
            expected: "application data",
            got: Received::Handshake(HandshakeType::HelloRequest),
        })
    );
    let input: &[u8] = &server.take_output();
    assert_eq!(client.feed(input), input.len(), "a whole flight is taken");
    assert_eq!(
        client.read(&mut buf),
        Err(Error::AlertReceived {
            level: AlertLevel::Fatal,
            description: AlertDescription::UnexpectedMessage,
        })
    );
}

// ---------------------------------------------------------------------------
// Truncation: EOF without close_notify is never a clean end.

fn assert_truncated(result: io::Result<usize>, who: &str) {
    let error = match result {
        Ok(n) => panic!("{who}: truncation read as Ok({n})"),
        Err(e) => e,
    };
    assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "{who}: {error}");
    assert_eq!(
        error.get_ref().and_then(|e| e.downcast_ref::<Error>()),
        Some(&Error::Truncated),
        "{who}"
    );
}

/// The client sends data, then closes its TCP socket without close_notify:
/// the server reads the data, then an `UnexpectedEof` error wrapping
/// `Error::Truncated` — never `Ok(0)`, however often it asks.
#[test]
fn tcp_close_without_close_notify_is_truncation() {
    let (mut client, mut server, proxy) = tcp_pair_via_proxy();
    client.write_all(b"cut short").unwrap();
    client.transport().shutdown(Shutdown::Both).unwrap();
    drop(client);
    let mut buf = [0u8; 64];
    let n = server.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"cut short");
    assert_truncated(server.read(&mut buf), "server");
    assert_truncated(server.read(&mut buf), "server, again");
    assert!(server.connection().failed());
    // Truncation owes no alert.
    drop(server);
    let recorded = proxy.recorded();
    assert_eq!(count_alerts(&recorded.client_to_server), 0);
    assert_eq!(count_alerts(&recorded.server_to_client), 0);
}

/// The same through a split `ReadStream`.
#[test]
fn tcp_close_without_close_notify_is_truncation_for_a_split_reader() {
    let (client, server, _proxy) = tcp_pair_via_proxy();
    let (mut reader, _writer) = server.split().unwrap();
    drop(client);
    let mut buf = [0u8; 64];
    assert_truncated(reader.read(&mut buf), "split server reader");
    assert_truncated(reader.read(&mut buf), "split server reader, again");
}

/// In memory: the transport's EOF before close_notify is `Truncated` and
/// fails the connection; reading afterwards keeps failing.
#[test]
fn transport_eof_before_close_notify_is_truncated() {
    let (client, _server, _) = memory_pair();
    let (mut reader, mut writer) = client.split();
    assert_eq!(reader.transport_eof(), Error::Truncated);
    assert!(reader.failed());
    let mut buf = [0u8; 8];
    assert_eq!(reader.read(&mut buf), Err(Error::Truncated));
    // Truncation sets no alert: shutdown_send falls back to close_notify.
    writer.shutdown_send().unwrap();
    assert_one_final_alert(&writer.take_output(), "client");
}

// ---------------------------------------------------------------------------
// docs/connection.md names the tests that prove each rule; they must exist.

#[test]
fn docs_name_existing_tests() {
    let root = env!("CARGO_MANIFEST_DIR");
    let doc = std::fs::read_to_string(format!("{root}/docs/connection.md")).unwrap();
    let mut named = 0;
    for file in [
        "connection_duplex",
        "connection_shutdown",
        "connection_interop",
        "driver",
        "record_partial_alert",
        "record_tls13",
        "tls13_rfc8448",
        "tls13_client",
        "tls13_server",
        "tls13_key_update",
    ] {
        let source = std::fs::read_to_string(format!("{root}/tests/{file}.rs")).unwrap();
        let prefix = format!("`{file}::");
        for (at, _) in doc.match_indices(&prefix) {
            let rest = &doc[at + prefix.len()..];
            let name = &rest[..rest.find('`').expect("closing backquote")];
            assert!(
                source.contains(&format!("fn {name}(")),
                "docs/connection.md names {file}::{name}, which does not exist"
            );
            named += 1;
        }
    }
    assert!(named >= 30, "only {named} test names found");
}

/// Once reading has ended (here at the peer's close_notify), bytes fed
/// are dropped and all count as taken, so a caller that feeds until all
/// is taken does not spin on a reader nobody reads any more.
#[test]
fn feed_after_the_end_of_reading_takes_and_drops_everything() {
    let (mut client, mut server, _) = memory_pair();
    server.shutdown_send().unwrap();
    assert_eq!(client.feed(&server.take_output()), 5 + GCM_ALERT_BODY);
    let mut buf = [0u8; 8];
    assert_eq!(client.read(&mut buf), Ok(ReadOutcome::Closed));
    let junk = vec![23u8; 100_000];
    assert_eq!(client.feed(&junk), junk.len());
    assert_eq!(client.feed(&junk), junk.len());
    assert_eq!(client.read(&mut buf), Ok(ReadOutcome::Closed));
}

/// Split streams over TCP: the client's `ReadStream` reads the server's
/// close_notify; the `WriteStream`'s next `write` fails with
/// `Error::Closed` and puts our close_notify, queued as the answer, on the
/// wire at once, so the server (which only reads) sees the clean end.
/// The proxy sees exactly one record from the client after the
/// handshake: that alert.
#[test]
fn split_write_stream_sends_the_answer_to_the_peers_close_notify() {
    let (client, mut server, proxy) = tcp_pair_via_proxy();
    let (mut reader, mut writer) = client.split().unwrap();
    server.close().unwrap();
    let mut buf = [0u8; 64];
    assert_eq!(reader.read(&mut buf).unwrap(), 0);
    let error = writer.write(b"too late").unwrap_err();
    assert_eq!(
        error.get_ref().and_then(|e| e.downcast_ref::<Error>()),
        Some(&Error::Closed)
    );
    assert_eq!(server.read(&mut buf).unwrap(), 0, "our answer arrived");
    drop((reader, writer, server));
    let recorded = proxy.recorded();
    assert_eq!(
        after_handshake(&recorded.client_to_server),
        vec![(ALERT, GCM_ALERT_BODY)]
    );
}
