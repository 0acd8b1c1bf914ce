//! TLS 1.3 0-RTT early data (RFC 8446 2.3, 4.2.10, 8), ours against ours:
//! accepted early data reaches the server apart from the data after the
//! handshake; a second 0-RTT attempt with the same ticket is refused by the
//! anti-replay register while the resumption still succeeds; a server that
//! does not take early data skips it (after a HelloRetryRequest too) and
//! hands nothing of it to the application, the client getting it all back;
//! more early data than allowed is unexpected_message, accepted or not;
//! and 0-RTT messages out of place, sealed under the logged keys, are
//! refused with their alerts (early data after EndOfEarlyData, a second
//! EndOfEarlyData, one after a rejection, a Finished in its place).

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::thread;

use common::memory::localhost;
use tlstate::connection::SessionSummary;
use tlstate::enums::{AlertDescription, NamedGroup, ProtocolVersion};
use tlstate::error::Error;
use tlstate::handshake::{ClientConfig, ServerConfig};
use tlstate::session::{ClientSession, ClientSessionStore, Ticketer, Tls13Ticket};
use tlstate::stream::{self, EarlyDataOutcome};

/// A TLS 1.3-only server issuing tickets from `ticketer` that allow
/// `max_early_data` bytes of 0-RTT.
fn server(ticketer: &Arc<Ticketer>, max_early_data: u32) -> ServerConfig {
    let fixture = common::fixture();
    let mut config = (*fixture.pki.server_config(&fixture.leaf)).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    config.ticketer = Some(ticketer.clone());
    config.max_early_data_size = max_early_data;
    config
}

fn ticketer() -> Arc<Ticketer> {
    Arc::new(Ticketer::new(3600, 3600).unwrap())
}

/// A session store that hands out the last TLS 1.3 ticket it was given
/// every time it is asked (a real store hands each out once), with its
/// max_early_data_size replaced by `max_early_data` if set: it lets a test
/// offer one ticket twice, or more early data than the server allows.
#[derive(Debug, Default)]
struct ReusingStore {
    ticket: Mutex<Option<Tls13Ticket>>,
    max_early_data: Option<u32>,
}

impl ClientSessionStore for ReusingStore {
    fn put(&self, _: &str, _: ClientSession) {}
    fn get(&self, _: &str) -> Option<ClientSession> {
        None
    }
    fn remove(&self, _: &str) {}
    fn put_tls13(&self, _: &str, mut ticket: Tls13Ticket) {
        if let Some(max) = self.max_early_data {
            ticket.max_early_data_size = max;
        }
        *self.ticket.lock().unwrap() = Some(ticket);
    }
    fn take_tls13(&self, _: &str) -> Option<Tls13Ticket> {
        self.ticket.lock().unwrap().clone()
    }
}

/// A TLS 1.3-only client with early data on, keeping its tickets in `store`.
fn client(store: Arc<dyn ClientSessionStore>) -> ClientConfig {
    let mut config = (*common::fixture().pki.client_config()).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    config.session_store = Some(store);
    config.enable_early_data = true;
    config
}

/// What the server saw of one connection.
struct Served {
    summary: SessionSummary,
    early_data: Option<Vec<u8>>,
    /// The data read after the handshake, up to the client's close.
    data: Vec<u8>,
}

/// One connection over a socket pair: the client sends `early` as early
/// data, then whatever of it was not taken plus `after`; the server reads to
/// the end and answers "done" (after which the client has read any
/// tickets). The server's view, the client's summary and the early-data
/// outcome; or the server's handshake error.
fn connect(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    early: &[u8],
    after: &[u8],
) -> Result<(Served, SessionSummary, EarlyDataOutcome), Error> {
    let (c, s) = UnixStream::pair().unwrap();
    let server = thread::spawn(move || -> Result<Served, Error> {
        let mut stream = stream::accept(server, s).map_err(|f| f.into_error())?;
        let early_data = stream.take_early_data();
        let mut data = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => data.extend_from_slice(&buf[..n]),
                Err(_) => break,
            }
            if data.ends_with(b"END") {
                break;
            }
        }
        stream.write_all(b"done").unwrap();
        stream.flush().unwrap();
        let summary = stream.summary().clone();
        let _ = stream.shutdown();
        Ok(Served {
            summary,
            early_data,
            data,
        })
    });
    let result = stream::connect_with_early_data(client, localhost(), c, early);
    let (mut stream, outcome) = match result {
        Ok(ok) => ok,
        Err(fatal) => {
            let served = server.join().unwrap();
            return Err(served.err().unwrap_or_else(|| fatal.into_error()));
        }
    };
    // The server may fail after its flight, once it reads the early data:
    // the client's handshake is done by then, and its writes may then meet
    // a closed socket. Whether they went through is the server's to say.
    let written = (|| {
        stream.write_all(&outcome.unsent)?;
        stream.write_all(after)?;
        stream.write_all(b"END")?;
        stream.flush()
    })();
    let mut done = Vec::new();
    let _ = stream.read_to_end(&mut done);
    let summary = stream.summary().clone();
    let served = server.join().unwrap()?;
    written.unwrap();
    assert_eq!(done, b"done");
    Ok((served, summary, outcome))
}

/// A first connection, so that `store` holds a ticket of `server`'s.
fn first(store: &Arc<ReusingStore>, server: &Arc<ServerConfig>) {
    let (served, summary, outcome) = connect(
        Arc::new(client(store.clone())),
        server.clone(),
        b"hello",
        b"",
    )
    .unwrap();
    assert!(!summary.resumed && !summary.early_data_accepted);
    assert!(!outcome.offered, "no ticket yet: nothing to send it with");
    assert!(!outcome.accepted);
    assert_eq!(served.early_data, None);
    assert_eq!(served.data, b"helloEND");
    assert!(store.ticket.lock().unwrap().is_some(), "a ticket came");
}

#[test]
fn accepted_early_data_reaches_the_server_apart_from_the_rest() {
    let ticketer = ticketer();
    let server = Arc::new(server(&ticketer, 16384));
    let store = Arc::new(ReusingStore::default());
    first(&store, &server);
    assert_eq!(
        store
            .ticket
            .lock()
            .unwrap()
            .as_ref()
            .unwrap()
            .max_early_data_size,
        16384,
        "the ticket carries the server's max_early_data_size"
    );
    let client = Arc::new(client(store.clone()));
    let (served, summary, outcome) = connect(client, server, b"GET /early", b" and after").unwrap();
    assert_eq!(
        outcome,
        EarlyDataOutcome {
            offered: true,
            accepted: true,
            unsent: Vec::new()
        }
    );
    assert!(summary.resumed && summary.early_data_accepted);
    assert!(served.summary.resumed && served.summary.early_data_accepted);
    assert_eq!(served.early_data.as_deref(), Some(&b"GET /early"[..]));
    assert_eq!(
        served.data, b" and afterEND",
        "early data is not read again"
    );
}

#[test]
fn early_data_beyond_the_tickets_room_is_handed_back_unsent() {
    let ticketer = ticketer();
    let server = Arc::new(server(&ticketer, 8));
    let store = Arc::new(ReusingStore::default());
    first(&store, &server);
    let client = Arc::new(client(store.clone()));
    let (served, _, outcome) = connect(client, server, b"0123456789", b"").unwrap();
    assert!(outcome.accepted);
    assert_eq!(outcome.unsent, b"89");
    assert_eq!(served.early_data.as_deref(), Some(&b"01234567"[..]));
    assert_eq!(served.data, b"89END");
}

#[test]
fn a_second_zero_rtt_with_the_same_ticket_is_refused_but_resumes() {
    let ticketer = ticketer();
    let server = Arc::new(server(&ticketer, 16384));
    let store = Arc::new(ReusingStore::default());
    first(&store, &server);
    let offered = store.ticket.lock().unwrap().clone();
    let config = Arc::new(client(store.clone()));
    let (served, _, outcome) = connect(config.clone(), server.clone(), b"once", b"").unwrap();
    assert!(outcome.accepted);
    assert_eq!(served.early_data.as_deref(), Some(&b"once"[..]));
    // The store hands the same ticket out again (a new one came with the
    // last connection, so put the first one back).
    *store.ticket.lock().unwrap() = offered;
    let (served, summary, outcome) = connect(config, server, b"twice", b"").unwrap();
    assert!(outcome.offered);
    assert!(!outcome.accepted, "the register saw this ticket's 0-RTT");
    assert_eq!(outcome.unsent, b"twice", "handed back whole");
    assert!(summary.resumed && !summary.early_data_accepted);
    assert!(
        served.summary.resumed,
        "the resumption itself still succeeds"
    );
    assert_eq!(
        served.early_data, None,
        "the replayed early data is skipped"
    );
    assert_eq!(served.data, b"twiceEND", "only what the client sent again");
}

#[test]
fn a_server_without_zero_rtt_skips_the_early_data_and_resumes() {
    let ticketer = ticketer();
    let store = Arc::new(ReusingStore::default());
    first(&store, &Arc::new(server(&ticketer, 16384)));
    // The same ticket key, no 0-RTT any more.
    let server = Arc::new(server(&ticketer, 0));
    let early = vec![b'e'; 10_000];
    let (served, summary, outcome) = connect(Arc::new(client(store)), server, &early, b"").unwrap();
    assert!(!outcome.accepted);
    assert_eq!(outcome.unsent, early);
    assert!(summary.resumed && served.summary.resumed);
    assert_eq!(served.early_data, None);
    assert_eq!(served.data.len(), early.len() + 3);
}

#[test]
fn early_data_before_a_hello_retry_request_is_skipped() {
    let ticketer = ticketer();
    let store = Arc::new(ReusingStore::default());
    first(&store, &Arc::new(server(&ticketer, 16384)));
    // The client's key share is for x25519; this server takes only P-384,
    // so it answers with a HelloRetryRequest and the early data is skipped
    // unprotected, before the second ClientHello.
    let mut config = server(&ticketer, 16384);
    config.groups = vec![NamedGroup::secp384r1];
    let (served, summary, outcome) =
        connect(Arc::new(client(store)), Arc::new(config), b"early", b"").unwrap();
    assert!(!outcome.accepted);
    assert_eq!(outcome.unsent, b"early");
    assert!(summary.resumed, "resumed after the retry");
    assert_eq!(served.early_data, None);
    assert_eq!(served.data, b"earlyEND");
}

/// Sends `sent` bytes of early data under a ticket issued by a server
/// allowing `issued` (the client's store claiming `claimed`) to a server of
/// the same ticketer now allowing `serving`, and checks that it is refused
/// with unexpected_message for being too much.
fn refused_as_too_much_early_data(issued: u32, claimed: u32, serving: u32, sent: usize) {
    let ticketer = ticketer();
    let store = Arc::new(ReusingStore {
        max_early_data: Some(claimed),
        ..ReusingStore::default()
    });
    first(&store, &Arc::new(server(&ticketer, issued)));
    let server = Arc::new(server(&ticketer, serving));
    let error = connect(Arc::new(client(store)), server, &vec![b'x'; sent], b"")
        .err()
        .expect("refused");
    assert!(
        matches!(error, Error::UnexpectedMessage { expected, .. } if expected.contains("max_early_data_size")),
        "{error:?}"
    );
    assert_eq!(error.alert(), Some(AlertDescription::UnexpectedMessage));
}

#[test]
fn more_accepted_early_data_than_allowed_is_unexpected_message() {
    // The ticket claims more room than the server gives.
    refused_as_too_much_early_data(100, 1000, 100, 500);
}

#[test]
fn more_rejected_early_data_than_the_skip_budget_is_unexpected_message() {
    // No 0-RTT at the second server: it skips up to MIN_EARLY_DATA_SKIP
    // (16 KiB).
    refused_as_too_much_early_data(16384, 1 << 20, 0, 40_000);
}

#[test]
fn the_drivers_carry_early_data_and_report_its_outcome() {
    use tlstate::driver::{ClientDriver, Event, ServerDriver};
    let ticketer = ticketer();
    let server = Arc::new(server(&ticketer, 16384));
    let store = Arc::new(ReusingStore::default());
    first(&store, &server);
    let mut c = ClientDriver::with_early_data(Arc::new(client(store)), localhost(), b"early!");
    let mut s = ServerDriver::new(server);
    for _ in 0..8 {
        while let Some(bytes) = c.poll_output() {
            assert_eq!(s.handle_input(&bytes), bytes.len());
        }
        while let Some(bytes) = s.poll_output() {
            assert_eq!(c.handle_input(&bytes), bytes.len());
        }
    }
    let events: Vec<Event> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(
        matches!(
            &events[..],
            [Event::EarlyData(outcome), Event::HandshakeDone(summary), ..]
                if outcome.accepted && outcome.unsent.is_empty() && summary.early_data_accepted
        ),
        "{events:?}"
    );
    assert_eq!(s.take_early_data().as_deref(), Some(&b"early!"[..]));
    assert_eq!(s.take_early_data(), None, "handed out once");
}

// --- 0-RTT messages out of place, sealed under the real keys -------------

mod out_of_place {
    use std::collections::HashMap;

    use super::*;
    use tlstate::crypto::tls13::{Secret, lookup_tls13};
    use tlstate::driver::{ClientDriver, Event, ServerDriver};
    use tlstate::enums::{CipherSuite, ContentType};
    use tlstate::keylog::KeyLog;
    use tlstate::record::RecordSealer;

    /// The secrets one side logs, by label.
    #[derive(Debug, Default)]
    struct Secrets(Mutex<HashMap<String, Vec<u8>>>);

    impl KeyLog for Secrets {
        fn log(&self, label: &str, _client_random: &[u8; 32], secret: &[u8]) {
            self.0.lock().unwrap().insert(label.into(), secret.to_vec());
        }
    }

    const SUITE: CipherSuite = CipherSuite::TLS13_AES_128_GCM_SHA256;

    /// `content` of inner type `typ` sealed as record `seq` under the
    /// client's secret `label`.
    fn sealed(
        secrets: &Secrets,
        label: &str,
        seq: u64,
        typ: ContentType,
        content: &[u8],
    ) -> Vec<u8> {
        let suite = lookup_tls13(SUITE).unwrap();
        let secret = Secret::new(suite.hash, &secrets.0.lock().unwrap()[label]).unwrap();
        let mut record = vec![0; 5];
        record.extend_from_slice(content);
        suite
            .sealer(&secret)
            .unwrap()
            .seal(seq, typ, &mut record, 0)
            .unwrap();
        record
    }

    fn records(mut bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while bytes.len() >= 5 {
            let len = 5 + usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
            out.push(bytes[..len].to_vec());
            bytes = &bytes[len..];
        }
        out
    }

    /// A 0-RTT resumption in memory (early data `b"early"` offered to a
    /// server taking `max_early_data` bytes), run until the client's second
    /// flight: the server, the client's logged secrets and that flight's
    /// records, undelivered.
    fn until_the_clients_second_flight(
        max_early_data: u32,
    ) -> (ServerDriver, Arc<Secrets>, Vec<Vec<u8>>) {
        let ticketer = ticketer();
        let mut config = server(&ticketer, 16384);
        config.cipher_suites = vec![SUITE];
        let store = Arc::new(ReusingStore::default());
        first(&store, &Arc::new(config.clone()));
        config.max_early_data_size = max_early_data;
        let secrets = Arc::new(Secrets::default());
        let mut client = client(store);
        client.cipher_suites = vec![SUITE];
        client.key_log = Some(secrets.clone());
        let mut c = ClientDriver::with_early_data(Arc::new(client), localhost(), b"early");
        let mut s = ServerDriver::new(Arc::new(config));
        // The ClientHello and the early data.
        let hello = c.poll_output().unwrap();
        assert_eq!(s.handle_input(&hello), hello.len());
        // The server's flight.
        while let Some(bytes) = s.poll_output() {
            assert_eq!(c.handle_input(&bytes), bytes.len());
        }
        let mut flight = Vec::new();
        while let Some(bytes) = c.poll_output() {
            flight.extend(bytes);
        }
        (s, secrets, records(&flight))
    }

    /// Feeds `records` to the server; its failure.
    fn refusal(s: &mut ServerDriver, records: &[Vec<u8>]) -> Error {
        for record in records {
            let _ = s.handle_input(record);
        }
        let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
        match events.last() {
            Some(Event::Failed(error)) => error.clone(),
            other => panic!("the server did not fail: {other:?} ({events:?})"),
        }
    }

    #[test]
    fn the_accepted_flight_is_end_of_early_data_then_finished() {
        let (mut s, _, flight) = until_the_clients_second_flight(16384);
        assert_eq!(flight.len(), 2, "EndOfEarlyData, Finished");
        for record in &flight {
            assert_eq!(s.handle_input(record), record.len());
        }
        let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
        assert!(
            matches!(&events[..], [Event::HandshakeDone(summary)] if summary.early_data_accepted)
        );
        assert_eq!(s.take_early_data().as_deref(), Some(&b"early"[..]));
    }

    #[test]
    fn early_data_after_end_of_early_data_is_refused() {
        // Under the early key after EndOfEarlyData: the reader has the
        // handshake key by then, so it does not open (bad_record_mac).
        let (mut s, secrets, flight) = until_the_clients_second_flight(16384);
        let late = sealed(
            &secrets,
            "CLIENT_EARLY_TRAFFIC_SECRET",
            2,
            ContentType::ApplicationData,
            b"late",
        );
        let error = refusal(&mut s, &[flight[0].clone(), late]);
        assert_eq!(error, Error::DecryptFailed);
        assert_eq!(error.alert(), Some(AlertDescription::BadRecordMac));
        // Under the handshake key, application data before the client's
        // Finished: unexpected_message.
        let (mut s, secrets, flight) = until_the_clients_second_flight(16384);
        let late = sealed(
            &secrets,
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            0,
            ContentType::ApplicationData,
            b"late",
        );
        let error = refusal(&mut s, &[flight[0].clone(), late]);
        assert!(
            matches!(error, Error::UnexpectedMessage { .. }),
            "{error:?}"
        );
        assert_eq!(error.alert(), Some(AlertDescription::UnexpectedMessage));
    }

    #[test]
    fn a_second_end_of_early_data_is_unexpected_message() {
        let (mut s, secrets, flight) = until_the_clients_second_flight(16384);
        let again = sealed(
            &secrets,
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            0,
            ContentType::Handshake,
            &[5, 0, 0, 0],
        );
        let error = refusal(&mut s, &[flight[0].clone(), again]);
        assert!(
            matches!(error, Error::UnexpectedMessage { .. }),
            "{error:?}"
        );
        assert_eq!(error.alert(), Some(AlertDescription::UnexpectedMessage));
    }

    #[test]
    fn end_of_early_data_when_early_data_was_rejected_is_unexpected_message() {
        // This server takes no 0-RTT: the client's flight is its Finished
        // alone, under the handshake key; an EndOfEarlyData there instead
        // is unexpected_message.
        let (mut s, secrets, flight) = until_the_clients_second_flight(0);
        assert_eq!(flight.len(), 1, "Finished alone");
        let eoed = sealed(
            &secrets,
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            0,
            ContentType::Handshake,
            &[5, 0, 0, 0],
        );
        let error = refusal(&mut s, &[eoed]);
        assert!(
            matches!(&error, Error::UnexpectedMessage { expected, .. } if *expected == "ClientFinished"),
            "{error:?}"
        );
        assert_eq!(error.alert(), Some(AlertDescription::UnexpectedMessage));
    }

    #[test]
    fn a_finished_in_place_of_end_of_early_data_is_refused() {
        // Accepted: the client's Finished (under the handshake key) where
        // EndOfEarlyData (under the early key) must come does not open
        // under the early key.
        let (mut s, _, flight) = until_the_clients_second_flight(16384);
        let error = refusal(&mut s, &[flight[1].clone()]);
        assert_eq!(error, Error::DecryptFailed);
        assert_eq!(error.alert(), Some(AlertDescription::BadRecordMac));
        // A Finished sealed under the early key: the EndOfEarlyData state
        // takes EndOfEarlyData only.
        let (mut s, secrets, _) = until_the_clients_second_flight(16384);
        let finished = sealed(
            &secrets,
            "CLIENT_EARLY_TRAFFIC_SECRET",
            1,
            ContentType::Handshake,
            &[
                20, 0, 0, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0, 0,
            ],
        );
        let error = refusal(&mut s, &[finished]);
        assert!(
            matches!(&error, Error::UnexpectedMessage { expected, .. } if *expected == "EndOfEarlyData"),
            "{error:?}"
        );
        assert_eq!(error.alert(), Some(AlertDescription::UnexpectedMessage));
    }
}

/// The point of 0-RTT (RFC 8446 2.3): the server has the early request
/// with the client's first flight and answers it with 0.5-RTT data, so the
/// client has the answer after one round trip, while a 1-RTT resumption
/// needs two. Counted in flights over the drivers.
#[test]
fn the_server_answers_early_data_a_round_trip_sooner() {
    use tlstate::driver::{ClientDriver, Event, ServerDriver};
    let ticketer = ticketer();
    let server = Arc::new(server(&ticketer, 16384));
    let store = Arc::new(ReusingStore::default());
    first(&store, &server);
    let mut c = ClientDriver::with_early_data(Arc::new(client(store)), localhost(), b"GET /");
    let mut s = ServerDriver::new(server);
    // Out: the ClientHello and the early request.
    while let Some(bytes) = c.poll_output() {
        assert_eq!(s.handle_input(&bytes), bytes.len());
    }
    assert!(s.is_handshaking());
    assert_eq!(s.take_early_data().as_deref(), Some(&b"GET /"[..]));
    s.send_half_rtt(b"200 OK").unwrap();
    // Back: the server's flight and the answer. One round trip.
    while let Some(bytes) = s.poll_output() {
        assert_eq!(c.handle_input(&bytes), bytes.len());
    }
    let events: Vec<Event> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::HandshakeDone(summary) if summary.early_data_accepted)),
        "{events:?}"
    );
    let mut answer = [0u8; 16];
    let n = c.read(&mut answer).unwrap();
    assert_eq!(&answer[..n], b"200 OK", "the answer after one round trip");
    // The client's EndOfEarlyData and Finished complete the server's side.
    while let Some(bytes) = c.poll_output() {
        assert_eq!(s.handle_input(&bytes), bytes.len());
    }
    assert!(!s.is_handshaking());
    assert_eq!(s.take_early_data(), None, "all of it was taken early");
}

#[test]
fn half_rtt_data_is_refused_outside_an_accepted_zero_rtt() {
    use tlstate::driver::ServerDriver;
    let ticketer = ticketer();
    let mut s = ServerDriver::new(Arc::new(server(&ticketer, 16384)));
    assert!(matches!(s.send_half_rtt(b"x"), Err(Error::Config(_))));
    assert_eq!(s.poll_output(), None, "nothing sent");
}

#[test]
fn early_data_past_the_tickets_allowance_is_refused_under_a_raised_limit() {
    // The ticket was issued allowing 100 bytes; the server now takes up to
    // 16 KiB, but a ticket's early data is held to what it was issued
    // with (a client claiming more, as this store makes ours do, is
    // refused).
    refused_as_too_much_early_data(100, 1000, 16384, 500);
}

#[test]
fn a_stream_server_answers_early_data_before_the_clients_finished() {
    let ticketer = ticketer();
    let server = Arc::new(server(&ticketer, 16384));
    let store = Arc::new(ReusingStore::default());
    first(&store, &server);
    let (c, s) = UnixStream::pair().unwrap();
    let server = thread::spawn(move || {
        let mut asked = Vec::new();
        let mut answer = |summary: &SessionSummary, early: &[u8]| {
            asked.push((summary.early_data_accepted, early.to_vec()));
            (early == b"GET /").then(|| b"200 OK".to_vec())
        };
        let mut stream = stream::accept_answering_early_data(server, s, &mut answer).unwrap();
        let early = stream.take_early_data();
        let _ = stream.shutdown();
        (asked, early)
    });
    let (mut stream, outcome) =
        stream::connect_with_early_data(Arc::new(client(store)), localhost(), c, b"GET /").unwrap();
    assert!(outcome.accepted);
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    assert_eq!(answer, b"200 OK");
    let (asked, early) = server.join().unwrap();
    assert_eq!(
        asked,
        [(true, b"GET /".to_vec())],
        "asked once, with the summary so far"
    );
    assert_eq!(
        early.as_deref(),
        Some(&b"GET /"[..]),
        "still handed out whole"
    );
}
