//! TLS 1.3 KeyUpdate (RFC 8446 4.6.3): both sides send and receive it, an
//! update_requested is answered before our next record (once, however many
//! requests came), each direction's key moves on at exactly the record
//! boundary, the writer updates on its own before a key wears out, and
//! rustls and openssl interoperate, both roles.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::fixture;
use common::memory::{deliver, full_handshake, tls13_pair};
use common::wire::records;
use tlstate::connection::{Connection, ReadOutcome};
use tlstate::enums::ProtocolVersion;
use tlstate::error::Error;
use tlstate::handshake::Role;

const APPLICATION_DATA: u8 = 23;
/// A sealed KeyUpdate record's body: the 5-byte message, the inner content
/// type, the 16-byte tag.
const SEALED_KEY_UPDATE: usize = 5 + 1 + 16;

fn read_all<R: Role>(conn: &mut Connection<R>) -> Vec<u8> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match conn.read(&mut buf) {
            Ok(ReadOutcome::Data(n)) => data.extend_from_slice(&buf[..n]),
            Ok(ReadOutcome::NeedMore) => return data,
            other => panic!("unexpected read: {other:?}"),
        }
    }
}

fn body_lengths(wire: &[u8]) -> Vec<usize> {
    records(wire)
        .into_iter()
        .map(|(typ, len)| {
            assert_eq!(typ, APPLICATION_DATA);
            len
        })
        .collect()
}

#[test]
fn a_requested_update_is_answered_before_the_peers_next_record() {
    let (mut client, mut server) = tls13_pair();
    client.update_keys(true).unwrap();
    client.send(b"after our update").unwrap();
    let wire = deliver(&mut client, &mut server);
    assert_eq!(body_lengths(&wire), [SEALED_KEY_UPDATE, 16 + 17]);
    assert_eq!(read_all(&mut server), b"after our update");
    // The server owes an update: it comes before its data.
    server.send(b"and ours").unwrap();
    let wire = deliver(&mut server, &mut client);
    assert_eq!(body_lengths(&wire), [SEALED_KEY_UPDATE, 8 + 17]);
    assert_eq!(read_all(&mut client), b"and ours");
    // The answer did not ask again: the client owes nothing.
    client.send(b"x").unwrap();
    assert_eq!(body_lengths(&client.take_output()), [1 + 17]);
}

#[test]
fn an_update_not_requested_is_not_answered() {
    let (mut client, mut server) = tls13_pair();
    client.update_keys(false).unwrap();
    client.send(b"data").unwrap();
    deliver(&mut client, &mut server);
    assert_eq!(read_all(&mut server), b"data");
    server.send(b"back").unwrap();
    assert_eq!(body_lengths(&server.take_output()), [4 + 17]);
}

/// However many requests arrive while the server writes nothing, it owes
/// and sends one update: the peer cannot make it write more than it does.
#[test]
fn many_requests_are_answered_by_one_update() {
    let (mut client, mut server) = tls13_pair();
    for _ in 0..50 {
        client.update_keys(true).unwrap();
    }
    client.send(b"go").unwrap();
    deliver(&mut client, &mut server);
    assert_eq!(read_all(&mut server), b"go");
    server.send(b"ok").unwrap();
    let wire = deliver(&mut server, &mut client);
    assert_eq!(body_lengths(&wire), [SEALED_KEY_UPDATE, 2 + 17]);
    assert_eq!(read_all(&mut client), b"ok");
}

/// After the peer's KeyUpdate, a record sealed under the old key no longer
/// opens: the key really moved, at that record boundary.
#[test]
fn a_record_under_the_old_key_after_an_update_is_bad_record_mac() {
    let (mut client, mut server) = tls13_pair();
    client.send(b"old key").unwrap();
    let old = client.take_output();
    client.update_keys(false).unwrap();
    let update = client.take_output();
    let mut wire = old.clone();
    wire.extend_from_slice(&update);
    // The old record again, where a record under the new key should be.
    wire.extend_from_slice(&old);
    assert_eq!(server.feed(&wire), wire.len());
    let mut buf = [0u8; 64];
    assert_eq!(server.read(&mut buf), Ok(ReadOutcome::Data(7)));
    assert_eq!(server.read(&mut buf), Err(Error::DecryptFailed));
}

/// The writer updates its key on its own before a key has sealed the
/// configured number of records (here 3; by default 2^24, far below the
/// AEAD limits of RFC 8446 5.5); the peer reads every record.
#[test]
fn the_writer_updates_its_key_before_it_wears_out() {
    let (client, mut server) = tls13_pair();
    let (mut reader, mut writer) = client.split();
    writer.set_records_per_key(3);
    for i in 0..10u8 {
        writer.send(&[i]).unwrap();
    }
    let wire = writer.take_output();
    let lengths = body_lengths(&wire);
    let updates = lengths.iter().filter(|&&l| l == SEALED_KEY_UPDATE).count();
    // Records 0..=2 under key 0; before each third record after that, an
    // update (which itself takes a sequence number under the old key).
    assert_eq!(lengths.len(), 10 + updates);
    assert!(updates >= 3, "{lengths:?}");
    assert_eq!(server.feed(&wire), wire.len());
    assert_eq!(read_all(&mut server), (0..10u8).collect::<Vec<_>>());
    drop(reader.transport_eof());
}

#[test]
fn update_keys_on_a_tls12_connection_is_refused_and_changes_nothing() {
    let fx = fixture();
    let (mut client, mut server, _) =
        full_handshake(fx.pki.client_config(), fx.pki.server_config(&fx.leaf)).unwrap();
    assert!(matches!(client.update_keys(true), Err(Error::Config(_))));
    assert!(client.pending_output().is_empty());
    client.send(b"still fine").unwrap();
    deliver(&mut client, &mut server);
    assert_eq!(read_all(&mut server), b"still fine");
}

#[test]
fn update_keys_after_close_is_closed() {
    let (mut client, _server) = tls13_pair();
    client.send_close_notify().unwrap();
    assert_eq!(client.update_keys(false), Err(Error::Closed));
}

// --- rustls, both roles, in memory, through our sans-IO drivers -----------

fn rustls_roots() -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(fixture().pki.ca.clone()).unwrap();
    roots
}

fn rustls_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// One of our drivers, seen by the pump.
trait Ours {
    fn output(&mut self) -> Option<Vec<u8>>;
    fn input(&mut self, bytes: &[u8]);
    fn read(&mut self) -> Vec<u8>;
    fn send(&mut self, data: &[u8]);
    fn update_keys(&mut self, request_peer: bool);
    fn summary(&self) -> Option<&tlstate::connection::SessionSummary>;
}

macro_rules! ours {
    ($driver:ty) => {
        impl Ours for $driver {
            fn output(&mut self) -> Option<Vec<u8>> {
                self.poll_output()
            }
            fn input(&mut self, bytes: &[u8]) {
                assert_eq!(self.handle_input(bytes), bytes.len());
                while let Some(event) = self.poll_event() {
                    assert!(
                        !matches!(event, tlstate::driver::Event::Failed(_)),
                        "{event:?}"
                    );
                }
            }
            fn read(&mut self) -> Vec<u8> {
                let mut out = Vec::new();
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = <$driver>::read(self, &mut buf) {
                    out.extend_from_slice(&buf[..n]);
                }
                out
            }
            fn send(&mut self, data: &[u8]) {
                <$driver>::send(self, data).unwrap();
            }
            fn update_keys(&mut self, request_peer: bool) {
                <$driver>::update_keys(self, request_peer).unwrap();
            }
            fn summary(&self) -> Option<&tlstate::connection::SessionSummary> {
                <$driver>::summary(self)
            }
        }
    };
}
ours!(tlstate::driver::ClientDriver);
ours!(tlstate::driver::ServerDriver);

/// A rustls connection, seen by the pump.
trait Theirs {
    fn output(&mut self) -> Vec<u8>;
    fn input(&mut self, bytes: &[u8]);
    fn read(&mut self) -> Vec<u8>;
    fn send(&mut self, data: &[u8]);
    fn refresh(&mut self);
}

macro_rules! theirs {
    ($conn:ty) => {
        impl Theirs for $conn {
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
            fn read(&mut self) -> Vec<u8> {
                let mut out = Vec::new();
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = self.reader().read(&mut buf) {
                    out.extend_from_slice(&buf[..n]);
                }
                out
            }
            fn send(&mut self, data: &[u8]) {
                self.writer().write_all(data).unwrap();
            }
            fn refresh(&mut self) {
                self.refresh_traffic_keys().unwrap();
            }
        }
    };
}
theirs!(rustls::ClientConnection);
theirs!(rustls::ServerConnection);

/// Moves bytes both ways until neither side has more; returns what our
/// side read.
fn pump(ours: &mut impl Ours, theirs: &mut impl Theirs) -> Vec<u8> {
    let mut got = Vec::new();
    for _ in 0..8 {
        let to_us = theirs.output();
        if !to_us.is_empty() {
            ours.input(&to_us);
        }
        got.extend(ours.read());
        while let Some(to_them) = ours.output() {
            theirs.input(&to_them);
        }
    }
    got
}

/// Rounds of: rustls asks for an update and sends, we answer and send;
/// we ask and send, rustls answers and sends. Data flows after each.
fn updates_both_ways(ours: &mut impl Ours, theirs: &mut impl Theirs) {
    pump(ours, theirs);
    let summary = ours.summary().expect("the handshake is done");
    assert_eq!(summary.protocol_version, ProtocolVersion::Tls13);
    for round in 0..4u8 {
        theirs.refresh();
        theirs.send(&[b'r', round]);
        assert_eq!(pump(ours, theirs), [b'r', round], "round {round}");
        ours.send(&[b'o', round]);
        pump(ours, theirs);
        assert_eq!(theirs.read(), [b'o', round], "round {round}");
        ours.update_keys(true);
        ours.send(&[b'u', round]);
        pump(ours, theirs);
        assert_eq!(theirs.read(), [b'u', round], "round {round}");
        theirs.send(&[b'a', round]);
        assert_eq!(pump(ours, theirs), [b'a', round], "round {round}");
    }
}

#[test]
fn key_updates_both_ways_with_a_rustls_server() {
    let fx = fixture();
    let config = rustls::ServerConfig::builder_with_provider(rustls_provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(fx.leaf.chain.clone(), fx.leaf.key.clone_key())
        .unwrap();
    let mut theirs = rustls::ServerConnection::new(Arc::new(config)).unwrap();
    let mut ours =
        tlstate::driver::ClientDriver::new(fx.pki.client_config(), common::memory::localhost());
    updates_both_ways(&mut ours, &mut theirs);
}

#[test]
fn key_updates_both_ways_with_a_rustls_client() {
    let fx = fixture();
    let config = rustls::ClientConfig::builder_with_provider(rustls_provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(rustls_roots())
        .with_no_client_auth();
    let mut theirs = rustls::ClientConnection::new(
        Arc::new(config),
        rustls_pki_types::ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    let mut ours = tlstate::driver::ServerDriver::new(fx.pki.server_config(&fx.leaf));
    // rustls speaks first.
    let hello = theirs.output();
    ours.input(&hello);
    updates_both_ways(&mut ours, &mut theirs);
}

// --- openssl s_client's K and k commands against our echo server ----------

#[test]
fn openssl_s_client_key_updates_in_an_echo_session() {
    let fx = fixture();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = fx.pki.server_config(&fx.leaf);
    let server = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut stream = tlstate::stream::accept(config, tcp).unwrap();
        let mut buf = [0u8; 4096];
        let mut echoed = Vec::new();
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    echoed.extend_from_slice(&buf[..n]);
                    if stream.write_all(&buf[..n]).is_err() || stream.flush().is_err() {
                        break;
                    }
                    if echoed.ends_with(b"last\n") {
                        break;
                    }
                }
            }
        }
        echoed
    });
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-tls1_3",
            "-msg",
            "-connect",
            &format!("127.0.0.1:{port}"),
        ])
        .args([
            "-CAfile",
            fx.pki.ca_path.to_str().unwrap(),
            "-servername",
            "localhost",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl s_client");
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    // s_client reads commands at the start of a line: K asks for an
    // update both ways, k updates its own key only.
    for line in [&b"before\n"[..], b"K\n", b"between\n", b"k\n", b"last\n"] {
        stdin.write_all(line).unwrap();
        stdin.flush().unwrap();
        thread::sleep(Duration::from_millis(300));
    }
    let echoed = server.join().unwrap();
    drop(stdin);
    let _ = child.wait();
    let out = lines.join().unwrap();
    assert_eq!(echoed, b"before\nbetween\nlast\n", "{out:?}");
    for line in ["before", "between", "last"] {
        assert!(out.iter().any(|l| l == line), "{line} not echoed: {out:?}");
    }
    // -msg shows each handshake message: s_client sent two KeyUpdates (K,
    // then k), and received exactly one, our answer to K's request.
    let key_updates = |direction: &str| {
        out.iter()
            .filter(|l| l.starts_with(direction) && l.ends_with("KeyUpdate"))
            .count()
    };
    assert_eq!(key_updates(">>>"), 2, "{out:?}");
    assert_eq!(key_updates("<<<"), 1, "{out:?}");
}
