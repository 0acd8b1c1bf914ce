//! Whatever arrives at whatever state, the handshake never panics.
//!
//! Each case drives a real handshake between our client and our server to
//! one of the states at which the role under test reads (every such state
//! of the full handshake, and the established connection after it), then
//! feeds it arbitrary bytes, an arbitrary record, or the record the peer
//! would have sent next with one mutation, and reads once. The read must
//! not panic, and its result must be one of:
//!
//! - the next state (a mutation can leave a record valid, e.g. a flipped
//!   bit in a random);
//! - `NeedMore`, with the same state handed back;
//! - a `Fatal` whose output is exactly the alert it names, as one alert
//!   record (byte for byte in plaintext before the role's own
//!   ChangeCipherSpec); or, when the input was itself an alert, a `Fatal`
//!   that owes nothing and outputs nothing.
//!
//! The TLS 1.3 half (`tls13_*`, module `tls13`) does the same for every
//! TLS 1.3 reading state of both roles, through the sans-IO drivers, over
//! seven handshakes that between them reach them all (`1.3-full+ccs`,
//! `1.3-hrr+client-auth`, `1.3-no-cert`, one per TLS 1.3 suite;
//! `1.3-resumed`: the resumed reads of both roles, and the server's
//! NewSessionTickets after it; `1.3-early` and `1.3-early+ccs`, 0-RTT
//! accepted: the client's reads on the EarlyData path, the server's early
//! data and EndOfEarlyData under the client's early traffic key, at
//! EndOfEarlyData; `1.3-early-rejected`: the client's reads when the server
//! declines the early data, the server skipping it), and after each the
//! established connection
//! twice: before anything else, and after the server asked for a
//! certificate (RFC 8446 4.6.2; every client offers post_handshake_auth),
//! with the peer's part of that exchange next. The input is arbitrary bytes
//! or records, or the peer's next records mutated: bytes changed as they
//! are, or their content (a handshake message's bytes, length, type, or
//! the inner content type) changed and then sealed again with the real
//! keys (both sides log their secrets; the early data and EndOfEarlyData
//! under the early key), a record split in two, two records swapped (two
//! protected ones re-sealed at each other's numbers) or joined into one, a
//! garbage record after the genuine one; or
//! a TLS 1.3 handshake message (KeyUpdate, NewSessionTicket,
//! CertificateRequest, Certificate, CertificateVerify, Finished,
//! EndOfEarlyData, or any type and body), possibly changed, sealed in the
//! next record's place. The role must not panic, must
//! write at most 16 KiB, and a failure must end its output with exactly
//! the alert `Error::alert` names: in plaintext byte for byte, or sealed,
//! opened here with the role's own logged keys.

mod common;

use std::sync::Arc;

use common::fixture;
use common::memory::next;
use proptest::prelude::*;
use rustls_pki_types::ServerName;
use tlstate::connection::{Connection, ReadOutcome};
use tlstate::enums::ProtocolVersion;
use tlstate::error::Error;
use tlstate::handshake::{
    AfterClientHello, AfterServerCert, AfterServerHello, AfterServerKey, AfterTicket, Client,
    ClientConfig, Fatal, Handshake, RecvMessage, Role, Server, ServerConfig, Shape, Step, Writes,
    state,
};

// The TLS 1.2 states: both sides enable TLS 1.2 only, whatever the
// default versions are.
fn client_config() -> Arc<ClientConfig> {
    let mut config = (*fixture().pki.client_config()).clone();
    config.versions = vec![ProtocolVersion::Tls12];
    Arc::new(config)
}

fn server_config() -> Arc<ServerConfig> {
    let fx = fixture();
    let mut config = (*fx.pki.server_config(&fx.leaf)).clone();
    config.versions = vec![ProtocolVersion::Tls12];
    Arc::new(config)
}

/// The server the client reads from: it staples an OCSP response, so the
/// client also meets a CertificateStatus (its bytes are not parsed as
/// OCSP by the default verifier).
fn stapling_server_config() -> Arc<ServerConfig> {
    let mut config = (*server_config()).clone();
    config.ocsp_response = Some(Arc::from(&b"an OCSP response"[..]));
    Arc::new(config)
}

fn name() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

fn records(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while bytes.len() >= 5 {
        let len = (5 + usize::from(u16::from_be_bytes([bytes[3], bytes[4]]))).min(bytes.len());
        out.push(bytes[..len].to_vec());
        bytes = &bytes[len..];
    }
    out
}

// --- the reachable reading states ---------------------------------------

/// The client at each state where it reads.
enum ClientAt {
    ServerHello(Handshake<Client, state::ServerHello>),
    ServerCert(Handshake<Client, state::ServerCert>),
    ServerCertStatus(Handshake<Client, state::ServerCertStatus>),
    ServerKey(Handshake<Client, state::ServerKey>),
    ServerCertReq(Handshake<Client, state::ServerCertReq>),
    ServerTicketOrCcs(Handshake<Client, state::ServerNewSessionTicket>),
    ServerFinished(Handshake<Client, state::ServerFinished>),
    Over(Box<Connection<Client>>),
}

const CLIENT_STATES: usize = 8;

/// Drives a real handshake until the client is at reading state `k`;
/// returns it and the record the server would send it next.
fn client_at(k: usize) -> (ClientAt, Vec<u8>) {
    let mut c = Handshake::client(client_config(), name()).send().unwrap();
    let mut s = Handshake::server(stapling_server_config());
    let input: &[u8] = &c.take_output();
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let AfterClientHello::Full(s) = next(s.recv().unwrap()) else {
        panic!("resumed")
    };
    // ServerHello, Certificate, CertificateStatus, ServerKeyExchange,
    // ServerHelloDone
    let mut s = s
        .send()
        .unwrap()
        .send()
        .unwrap()
        .send()
        .unwrap()
        .send()
        .unwrap()
        .send()
        .unwrap();
    let flight = records(&s.take_output());
    assert_eq!(flight.len(), 5);
    if k == 0 {
        return (ClientAt::ServerHello(c), flight[0].clone());
    }
    let input: &[u8] = &flight[0];
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterServerHello::Full(mut c) = next(c.recv().unwrap()) else {
        panic!("resumed")
    };
    if k == 1 {
        return (ClientAt::ServerCert(c), flight[1].clone());
    }
    let input: &[u8] = &flight[1];
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let mut c = next(c.recv().unwrap());
    if k == 2 {
        return (ClientAt::ServerCertStatus(c), flight[2].clone());
    }
    let input: &[u8] = &flight[2];
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterServerCert::CertificateStatus(mut c) = next(c.recv().unwrap()) else {
        panic!("no CertificateStatus")
    };
    if k == 3 {
        return (ClientAt::ServerKey(c), flight[3].clone());
    }
    let input: &[u8] = &flight[3];
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let mut c = next(c.recv().unwrap());
    if k == 4 {
        return (ClientAt::ServerCertReq(c), flight[4].clone());
    }
    let input: &[u8] = &flight[4];
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterServerKey::NoCertificateRequest(c) = next(c.recv().unwrap()) else {
        panic!("certificate requested")
    };
    let mut c = c.send().unwrap().send().unwrap().send().unwrap();
    let input: &[u8] = &c.take_output();
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let s = next(
        next(next(s.recv().unwrap()).recv().unwrap())
            .recv()
            .unwrap(),
    );
    let mut s = s.send().unwrap().send().unwrap().send().unwrap();
    let flight = records(&s.take_output());
    if k == 5 {
        return (ClientAt::ServerTicketOrCcs(c), flight[0].clone());
    }
    let input: &[u8] = &flight[0];
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterTicket::NoTicket(mut c) = next(c.recv().unwrap()) else {
        panic!("a ticket")
    };
    if k == 6 {
        return (ClientAt::ServerFinished(c), flight[1].clone());
    }
    let input: &[u8] = &flight[1];
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let c = next(c.recv().unwrap()).into_connection();
    let mut s = s.into_connection();
    s.send(b"hello").unwrap();
    (ClientAt::Over(Box::new(c)), s.take_output())
}

/// The server at each state where it reads.
enum ServerAt {
    ClientHello(Handshake<Server, state::ClientHello>),
    ClientKey(Handshake<Server, state::ClientKey>),
    ClientCcs(Handshake<Server, state::ClientChangeCipherSpec>),
    ClientFinished(Handshake<Server, state::ClientFinished>),
    Over(Box<Connection<Server>>),
}

const SERVER_STATES: usize = 5;

/// Drives a real handshake until the server is at reading state `k`;
/// returns it and the record the client would send it next.
fn server_at(k: usize) -> (ServerAt, Vec<u8>) {
    let mut c = Handshake::client(client_config(), name()).send().unwrap();
    let mut s = Handshake::server(server_config());
    let hello = c.take_output();
    if k == 0 {
        return (ServerAt::ClientHello(s), hello);
    }
    let input: &[u8] = &hello;
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let AfterClientHello::Full(s) = next(s.recv().unwrap()) else {
        panic!("resumed")
    };
    let mut s = s
        .send()
        .unwrap()
        .send()
        .unwrap()
        .send()
        .unwrap()
        .send()
        .unwrap()
        .send()
        .unwrap();
    let input: &[u8] = &s.take_output();
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterServerHello::Full(c) = next(c.recv().unwrap()) else {
        panic!("resumed")
    };
    let c = common::memory::client_through_server_key(c).unwrap();
    let AfterServerKey::NoCertificateRequest(c) = next(c.recv().unwrap()) else {
        panic!("certificate requested")
    };
    let mut c = c.send().unwrap().send().unwrap().send().unwrap();
    let flight = records(&c.take_output());
    if k == 1 {
        return (ServerAt::ClientKey(s), flight[0].clone());
    }
    let input: &[u8] = &flight[0];
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let mut s = next(s.recv().unwrap());
    if k == 2 {
        return (ServerAt::ClientCcs(s), flight[1].clone());
    }
    let input: &[u8] = &flight[1];
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let mut s = next(s.recv().unwrap());
    if k == 3 {
        return (ServerAt::ClientFinished(s), flight[2].clone());
    }
    let input: &[u8] = &flight[2];
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let mut s = next(s.recv().unwrap())
        .send()
        .unwrap()
        .send()
        .unwrap()
        .send()
        .unwrap();
    let input: &[u8] = &s.take_output();
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterTicket::NoTicket(c) = next(c.recv().unwrap()) else {
        panic!("a ticket")
    };
    let mut c = next(c.recv().unwrap()).into_connection();
    c.send(b"hello").unwrap();
    (
        ServerAt::Over(Box::new(s.into_connection())),
        c.take_output(),
    )
}

// --- one read, and what it may do ---------------------------------------

/// Checks a fatal error's output: exactly its alert, as one record.
fn check_fatal(error: &Error, output: &[u8], protected: bool) -> Result<(), String> {
    match error.alert() {
        Some(alert) => {
            let recs = records(output);
            if recs.len() != 1 || recs[0][0] != 21 || recs[0].len() != output.len() {
                return Err(format!(
                    "{error}: output is not one alert record: {output:?}"
                ));
            }
            if !protected && output != [21, 3, 3, 0, 2, 2, alert.to_wire()] {
                return Err(format!("{error}: plaintext alert is {output:?}"));
            }
            Ok(())
        }
        None if matches!(error, Error::AlertReceived { .. }) && output.is_empty() => Ok(()),
        None => Err(format!("{error}: no alert, output {output:?}")),
    }
}

/// What one read did, when it did nothing wrong (a wrong thing is an
/// `Err` naming it).
#[derive(Debug, PartialEq, Eq)]
enum Read {
    /// The state moved on (or the connection took data or close_notify).
    Advanced,
    /// The input was not a whole message: the state came back.
    NeedMore,
    /// The input was refused with exactly its alert.
    Refused,
}

fn read_state<R: Role, St, P: Shape>(
    mut hs: Handshake<R, St, P>,
    input: &[u8],
    protected: bool,
) -> Result<Read, String>
where
    R::Peer: Writes<St::Writer>,
    St: RecvMessage<R, P>,
{
    let input: &[u8] = input;
    assert_eq!(hs.feed(input), input.len(), "a whole flight is taken");
    match hs.recv() {
        Ok(Step::Next(_)) => Ok(Read::Advanced),
        Ok(Step::NeedMore(_)) => Ok(Read::NeedMore),
        Err(fatal) => {
            let fatal: Fatal = fatal;
            check_fatal(fatal.error(), fatal.output(), protected).map(|()| Read::Refused)
        }
    }
}

fn read_connection<R: Role>(mut conn: Connection<R>, input: &[u8]) -> Result<Read, String> {
    let input: &[u8] = input;
    assert_eq!(conn.feed(input), input.len(), "a whole flight is taken");
    let mut buf = [0u8; 1024];
    let mut read = Read::NeedMore;
    loop {
        match conn.read(&mut buf) {
            Ok(ReadOutcome::Data(_)) => read = Read::Advanced,
            Ok(ReadOutcome::NeedMore) => return Ok(read),
            Ok(ReadOutcome::Closed) => return Ok(Read::Advanced),
            Err(error) => {
                return check_fatal(&error, &conn.take_output(), true).map(|()| Read::Refused);
            }
        }
    }
}

fn read_client(at: ClientAt, input: &[u8]) -> Result<Read, String> {
    match at {
        ClientAt::ServerHello(c) => read_state(c, input, false),
        ClientAt::ServerCert(c) => read_state(c, input, false),
        ClientAt::ServerCertStatus(c) => read_state(c, input, false),
        ClientAt::ServerKey(c) => read_state(c, input, false),
        ClientAt::ServerCertReq(c) => read_state(c, input, false),
        // The client has sent its ChangeCipherSpec: its alerts are sealed.
        ClientAt::ServerTicketOrCcs(c) => read_state(c, input, true),
        ClientAt::ServerFinished(c) => read_state(c, input, true),
        ClientAt::Over(c) => read_connection(*c, input),
    }
}

fn read_server(at: ServerAt, input: &[u8]) -> Result<Read, String> {
    match at {
        ServerAt::ClientHello(s) => read_state(s, input, false),
        ServerAt::ClientKey(s) => read_state(s, input, false),
        ServerAt::ClientCcs(s) => read_state(s, input, false),
        ServerAt::ClientFinished(s) => read_state(s, input, false),
        ServerAt::Over(s) => read_connection(*s, input),
    }
}

// --- inputs -------------------------------------------------------------

/// What to feed the state.
#[derive(Clone, Debug)]
enum Input {
    /// Arbitrary bytes.
    Bytes(Vec<u8>),
    /// A record with an arbitrary type, version and body and a correct
    /// length.
    Record { typ: u8, minor: u8, body: Vec<u8> },
    /// The record the peer would send next, mutated.
    Mutated(Mutation),
}

#[derive(Clone, Debug)]
enum Mutation {
    /// XOR one byte (index taken modulo the length) with a non-zero mask.
    Flip { at: usize, mask: u8 },
    /// Keep only the first bytes.
    Truncate { keep: usize },
    /// Another content type.
    Retype(u8),
    /// Another length in the record header.
    Relength(u16),
    /// Bytes appended inside the record (its length adjusted).
    Extend(Vec<u8>),
    /// The handshake header's length (bytes 6..9) replaced.
    HandshakeLength([u8; 3]),
}

fn content_type() -> impl Strategy<Value = u8> {
    prop_oneof![3 => 20u8..=24, 1 => any::<u8>()]
}

fn input() -> impl Strategy<Value = Input> {
    let mutation = prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        any::<usize>().prop_map(|keep| Mutation::Truncate { keep }),
        content_type().prop_map(Mutation::Retype),
        any::<u16>().prop_map(Mutation::Relength),
        proptest::collection::vec(any::<u8>(), 1..64).prop_map(Mutation::Extend),
        any::<[u8; 3]>().prop_map(Mutation::HandshakeLength),
    ];
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..400).prop_map(Input::Bytes),
        (
            content_type(),
            any::<u8>(),
            proptest::collection::vec(any::<u8>(), 0..300)
        )
            .prop_map(|(typ, minor, body)| Input::Record { typ, minor, body }),
        mutation.prop_map(Input::Mutated),
    ]
}

fn bytes_of(input: &Input, next_record: &[u8]) -> Vec<u8> {
    match input {
        Input::Bytes(bytes) => bytes.clone(),
        Input::Record { typ, minor, body } => {
            let mut record = vec![*typ, 3, *minor];
            record.extend_from_slice(&(body.len() as u16).to_be_bytes());
            record.extend_from_slice(body);
            record
        }
        Input::Mutated(mutation) => {
            let mut record = next_record.to_vec();
            match mutation {
                Mutation::Flip { at, mask } => {
                    let at = at % record.len();
                    record[at] ^= mask;
                }
                Mutation::Truncate { keep } => record.truncate(keep % record.len()),
                Mutation::Retype(typ) => record[0] = *typ,
                Mutation::Relength(len) => record[3..5].copy_from_slice(&len.to_be_bytes()),
                Mutation::Extend(extra) => {
                    record.extend_from_slice(extra);
                    let len = (record.len() - 5) as u16;
                    record[3..5].copy_from_slice(&len.to_be_bytes());
                }
                Mutation::HandshakeLength(len) => {
                    if record.len() >= 9 {
                        record[6..9].copy_from_slice(len);
                    }
                }
            }
            record
        }
    }
}

proptest! {
    // Each case runs a real handshake up to its state: keep the count
    // modest (PROPTEST_CASES overrides it).
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn client_never_panics_at_any_reading_state(k in 0..CLIENT_STATES, input in input()) {
        let (at, next_record) = client_at(k);
        let bytes = bytes_of(&input, &next_record);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_client(at, &bytes)));
        prop_assert!(result.is_ok(), "the client panicked at state {k} on {bytes:?}");
        if let Ok(Err(why)) = result {
            prop_assert!(false, "client at state {k}: {why}");
        }
    }

    #[test]
    fn server_never_panics_at_any_reading_state(k in 0..SERVER_STATES, input in input()) {
        let (at, next_record) = server_at(k);
        let bytes = bytes_of(&input, &next_record);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_server(at, &bytes)));
        prop_assert!(result.is_ok(), "the server panicked at state {k} on {bytes:?}");
        if let Ok(Err(why)) = result {
            prop_assert!(false, "server at state {k}: {why}");
        }
    }
}

#[test]
fn every_reading_state_reads_its_legal_record_without_error() {
    // The drivers above really reach each state: the legal next record
    // moves it on there (not merely "no panic and a proper alert").
    for k in 0..CLIENT_STATES {
        let (at, next_record) = client_at(k);
        assert_eq!(
            read_client(at, &next_record),
            Ok(Read::Advanced),
            "client state {k}"
        );
    }
    for k in 0..SERVER_STATES {
        let (at, next_record) = server_at(k);
        assert_eq!(
            read_server(at, &next_record),
            Ok(Read::Advanced),
            "server state {k}"
        );
    }
}

// --- TLS 1.3 ------------------------------------------------------------
//
// The TLS 1.3 states are reached through the sans-IO drivers, which walk
// the same typed states: a real handshake between our client and our
// server runs until the role under test has read `k` of its peer's
// records; then it is fed the input. Every side logs its secrets, so the
// peer's protected records can be opened, their handshake messages
// mutated, and sealed again with the real keys at their own sequence
// numbers (a flipped ciphertext byte would only test the AEAD); and the
// role's own alert, sealed, can be opened to check it is the one
// `Error::alert` names.

mod tls13 {
    use std::collections::VecDeque;
    use std::sync::{Arc, OnceLock};

    use proptest::prelude::*;
    use rustls_pki_types::ServerName;
    use tlstate::crypto::WebPkiClientVerifier;
    use tlstate::crypto::tls13::{Secret, Tls13CipherSuite, lookup_tls13};
    use tlstate::driver::{AnyState, ClientDriver, Driver, Event, ServerDriver};
    use tlstate::enums::{CipherSuite, ContentType, NamedGroup, ProtocolVersion};
    use tlstate::error::Error;
    use tlstate::handshake::tls13::table::TABLE;
    use tlstate::handshake::{CertifiedKey, ClientCertPolicy};
    use tlstate::handshake::{ClientConfig, ServerConfig};
    use tlstate::session::{ClientSessionStore, InMemorySessionStore, Ticketer};

    use super::common::ClientAuthPki;
    use super::common::reseal::{self, Logged};

    /// The handshakes run: `(shape, suite)`, between them every TLS 1.3
    /// reading state of both roles, every suite, the compatibility
    /// ChangeCipherSpec, a HelloRetryRequest, both client-auth answers and
    /// a resumed handshake (whose client reads EncryptedExtensions and the
    /// server's Finished on the `Resumed` path, and whose server issues
    /// tickets after it: NewSessionTickets for the client to read), and
    /// 0-RTT resumptions, with and without the compatibility
    /// ChangeCipherSpec (RFC 8446 2.3, 4.2.10): the client reads on the
    /// `EarlyData` path, the server reads the early data records and the
    /// EndOfEarlyData, under the client's early traffic key, at
    /// EndOfEarlyData; and one whose server takes no 0-RTT (the ticket
    /// allowed it): the client's EncryptedExtensions read takes the
    /// `Rejected` branch, the server skips the early data at ClientFinished.
    pub const SCENARIOS: [(&str, CipherSuite); 7] = [
        ("1.3-full+ccs", CipherSuite::TLS13_AES_128_GCM_SHA256),
        ("1.3-hrr+client-auth", CipherSuite::TLS13_AES_256_GCM_SHA384),
        ("1.3-no-cert", CipherSuite::TLS13_CHACHA20_POLY1305_SHA256),
        ("1.3-resumed", CipherSuite::TLS13_AES_128_GCM_SHA256),
        ("1.3-early", CipherSuite::TLS13_AES_256_GCM_SHA384),
        ("1.3-early+ccs", CipherSuite::TLS13_CHACHA20_POLY1305_SHA256),
        ("1.3-early-rejected", CipherSuite::TLS13_AES_128_GCM_SHA256),
    ];

    /// The early data the 0-RTT scenarios' clients send (two records'
    /// worth would change nothing the reads see: one record).
    const EARLY_DATA: &[u8] = b"GET /early HTTP/1.1\r\n\r\n";

    /// The ticketer of the resumed scenario's servers.
    fn ticketer() -> Arc<Ticketer> {
        static TICKETER: OnceLock<Arc<Ticketer>> = OnceLock::new();
        TICKETER
            .get_or_init(|| Arc::new(Ticketer::new(3600, 3600).unwrap()))
            .clone()
    }

    /// A store holding one fresh ticket of `server` for `client` (a full
    /// handshake between the two, its tickets read): each resumed run
    /// spends one.
    fn ticketed_store(client: &ClientConfig, server: &ServerConfig) -> Arc<InMemorySessionStore> {
        let store = Arc::new(InMemorySessionStore::new(4));
        let mut client = client.clone();
        client.session_store = Some(store.clone());
        client.key_log = None;
        let mut server = server.clone();
        server.key_log = None;
        let mut c = ClientDriver::new(Arc::new(client), ServerName::try_from("localhost").unwrap());
        let mut s = ServerDriver::new(Arc::new(server));
        let (_, _, _) = genuine(&mut c, &mut s, usize::MAX);
        assert!(
            store.take_tls13("localhost").is_some_and(|ticket| {
                store.put_tls13("localhost", ticket);
                true
            }),
            "the client kept no ticket"
        );
        store
    }

    /// The policy of a server asking for a certificate after the handshake
    /// (the stage after the established one): required when the client has
    /// one.
    fn pha_policy(scenario: usize) -> ClientCertPolicy {
        ClientCertPolicy {
            verifier: Arc::new(
                WebPkiClientVerifier::new(std::slice::from_ref(&pki().pki.ca)).unwrap(),
            ),
            required: SCENARIOS[scenario].0.contains("client-auth"),
        }
    }

    type Records = Vec<Vec<u8>>;

    /// Where a protected record stands in its direction's stream:
    /// `(epoch, sequence number)`, the epoch an index into its
    /// [`Direction`]'s keys (early, if any, then handshake, then the first
    /// application keys); `None` for a record that is not protected.
    type Place = Option<(usize, u64)>;

    /// The most a role may write in answer to one input: its next flight
    /// (with a client certificate, well under this) or one alert.
    const MAX_OUTPUT: usize = 1 << 14;

    fn pki() -> &'static ClientAuthPki {
        static PKI: OnceLock<ClientAuthPki> = OnceLock::new();
        PKI.get_or_init(|| ClientAuthPki::new("tlstate TLS 1.3 no-panic CA"))
    }

    /// A genuine pair of endpoints for `scenario`, logging into `secrets`.
    fn endpoints(scenario: usize, secrets: &Arc<Logged>) -> (ClientDriver, ServerDriver) {
        let (shape, suite) = SCENARIOS[scenario];
        let p = pki();
        let mut client = (*p.pki.client_config()).clone();
        let mut server = (*p.pki.server_config(&p.server)).clone();
        client.versions = vec![ProtocolVersion::Tls13];
        server.versions = vec![ProtocolVersion::Tls13];
        client.cipher_suites = vec![suite];
        server.cipher_suites = vec![suite];
        client.session_store = None;
        client.middlebox_compat = shape.ends_with("+ccs");
        server.middlebox_compat = shape.ends_with("+ccs");
        client.key_log = Some(secrets.clone());
        server.key_log = Some(secrets.clone());
        if shape.contains("hrr") {
            // x25519 shared, P-256 taken: the server asks again.
            client.groups = vec![NamedGroup::X25519, NamedGroup::secp256r1];
            server.groups = vec![NamedGroup::secp256r1];
        }
        let with_certificate = shape.contains("client-auth");
        if with_certificate {
            client.client_certificate =
                Some(CertifiedKey::new(p.client.chain.clone(), &p.client.key).unwrap());
        }
        // Every client offers post_handshake_auth: the stage after the
        // established one has the server ask (with a certificate or
        // without, the answer of either kind).
        client.post_handshake_auth = true;
        let early = shape.contains("early");
        if early {
            // Tickets allowing 0-RTT, and a strike register of this run
            // alone (the ticket is fresh, but a register shared by every
            // case would fill up and fail closed).
            server.max_early_data_size = 16384;
            server.anti_replay = Arc::default();
            client.enable_early_data = true;
        }
        if shape.contains("resumed") || early {
            server.ticketer = Some(ticketer());
            client.session_store = Some(ticketed_store(&client, &server));
        }
        if shape.contains("rejected") {
            // The ticket allows 0-RTT; this server no longer takes it.
            server.max_early_data_size = 0;
        }
        let name = ServerName::try_from("localhost").unwrap();
        let client = match early {
            true => ClientDriver::with_early_data(Arc::new(client), name, EARLY_DATA),
            false => ClientDriver::new(Arc::new(client), name),
        };
        let server = match with_certificate || shape.contains("no-cert") {
            true => ServerDriver::requesting_client_cert(
                Arc::new(server),
                ClientCertPolicy {
                    verifier: Arc::new(
                        WebPkiClientVerifier::new(std::slice::from_ref(&p.pki.ca)).unwrap(),
                    ),
                    required: with_certificate,
                },
            ),
            false => ServerDriver::new(Arc::new(server)),
        };
        (client, server)
    }

    /// Splits a byte stream into records (a short tail kept whole).
    fn records(mut bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            let len = match bytes {
                [_, _, _, hi, lo, ..] => 5 + usize::from(u16::from_be_bytes([*hi, *lo])),
                _ => bytes.len(),
            };
            let (record, rest) = bytes.split_at(len.min(bytes.len()));
            out.push(record.to_vec());
            bytes = rest;
        }
        out
    }

    fn output<S: AnyState>(driver: &mut Driver<S>) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(bytes) = driver.poll_output() {
            out.extend_from_slice(&bytes);
        }
        out
    }

    /// Takes the events, reading any data; returns the failure, if any.
    fn events<S: AnyState>(driver: &mut Driver<S>) -> Option<Error> {
        let mut failed = None;
        while let Some(event) = driver.poll_event() {
            match event {
                Event::DataReadable => {
                    let mut buf = [0u8; 4096];
                    while let Ok(n) = driver.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                    }
                }
                Event::Failed(error) => failed = Some(error),
                _ => {}
            }
        }
        failed
    }

    /// One direction's protected records: opened and sealed under the
    /// client's early traffic secret (the client's direction of a 0-RTT
    /// scenario), the handshake traffic secret, then traffic secret 0,
    /// each epoch counting its own sequence numbers.
    pub struct Direction {
        suite: &'static Tls13CipherSuite,
        secrets: Arc<Logged>,
        labels: &'static [&'static str],
    }

    impl Direction {
        fn new(scenario: usize, secrets: &Arc<Logged>, client_writes: bool) -> Self {
            let early = SCENARIOS[scenario].0.contains("early");
            Self {
                suite: lookup_tls13(SCENARIOS[scenario].1).unwrap(),
                secrets: secrets.clone(),
                labels: match (client_writes, early) {
                    (true, true) => &[
                        "CLIENT_EARLY_TRAFFIC_SECRET",
                        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                        "CLIENT_TRAFFIC_SECRET_0",
                    ],
                    (true, false) => {
                        &["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"]
                    }
                    (false, _) => &["SERVER_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0"],
                },
            }
        }

        fn secret(&self, epoch: usize) -> Option<Secret> {
            self.secrets.try_secret(self.suite, self.labels[epoch])
        }

        fn try_open(&self, epoch: usize, seq: u64, record: &[u8]) -> Option<(u8, Vec<u8>)> {
            let (typ, content) = reseal::try_open(record, &self.secret(epoch)?, self.suite, seq)?;
            Some((typ.to_wire(), content))
        }

        /// Where each record of a stream stands: `(epoch, sequence
        /// number)` for each protected record that opens in order, `None`
        /// for the rest.
        fn places(&self, stream: &[Vec<u8>]) -> Vec<Option<(usize, u64)>> {
            let (mut epoch, mut seq) = (0, 0);
            stream
                .iter()
                .map(|record| {
                    if record.first() != Some(&23) {
                        return None;
                    }
                    if self.try_open(epoch, seq, record).is_some() {
                        seq += 1;
                        return Some((epoch, seq - 1));
                    }
                    // The first record under a later key (the keys are
                    // taken in order, none skipped but by a record that
                    // did not open).
                    for later in epoch + 1..self.labels.len() {
                        if self.try_open(later, 0, record).is_some() {
                            (epoch, seq) = (later, 1);
                            return Some((later, 0));
                        }
                    }
                    None
                })
                .collect()
        }

        fn seal(&self, (epoch, seq): (usize, u64), typ: u8, content: &[u8]) -> Vec<u8> {
            let secret = self.secret(epoch).unwrap();
            reseal::seal(
                content,
                ContentType::from_wire(typ),
                &secret,
                self.suite,
                seq,
            )
        }
    }

    /// The role under test at its `k`-th reading state, with what it needs
    /// to be fed and checked.
    pub struct At {
        pub victim: Victim,
        /// The peer's records not delivered yet (at least one: at the end
        /// of the handshake, its first application data).
        pub next: Vec<Vec<u8>>,
        /// Where each of `next` stands in the peer's protected stream.
        pub next_places: Vec<Option<(usize, u64)>>,
        pub peer_keys: Direction,
        /// Everything the victim wrote so far, as records.
        pub written: Vec<Vec<u8>>,
        pub own_keys: Direction,
    }

    pub enum Victim {
        Client(ClientDriver),
        Server(ServerDriver),
    }

    impl Victim {
        pub fn state_name(&self) -> &'static str {
            match self {
                Self::Client(d) => d.state_name(),
                Self::Server(d) => d.state_name(),
            }
        }
    }

    /// The genuine exchange up to `k` of the peer's records delivered to
    /// `victim`: returns the peer's records written and not delivered
    /// (its application data if it has nothing else to say), all of
    /// the peer's records, and the victim's.
    fn genuine<V: AnyState, P: AnyState>(
        victim: &mut Driver<V>,
        peer: &mut Driver<P>,
        k: usize,
    ) -> (Records, Records, Records) {
        let mut delivered = 0;
        let mut peer_all: Vec<Vec<u8>> = Vec::new();
        let mut written: Vec<Vec<u8>> = Vec::new();
        let mut queue: VecDeque<Vec<u8>> = VecDeque::new();
        loop {
            let out = output(victim);
            if !out.is_empty() {
                written.extend(records(&out));
                assert_eq!(peer.handle_input(&out), out.len());
            }
            if let Some(error) = events(peer) {
                panic!("our genuine peer failed at {}: {error}", peer.state_name());
            }
            let flight = records(&output(peer));
            peer_all.extend(flight.iter().cloned());
            queue.extend(flight);
            if delivered == k {
                break;
            }
            let Some(record) = queue.pop_front() else {
                break;
            };
            assert_eq!(victim.handle_input(&record), record.len());
            if let Some(error) = events(victim) {
                panic!(
                    "the genuine handshake failed at {}: {error}",
                    victim.state_name()
                );
            }
            delivered += 1;
        }
        if queue.is_empty() {
            assert!(peer.summary().is_some(), "both sides wait");
            peer.send(b"hello").unwrap();
            let data = records(&output(peer));
            peer_all.extend(data.iter().cloned());
            queue.extend(data);
        }
        (queue.into(), peer_all, written)
    }

    /// The number of peer records each role reads in each scenario before
    /// it is established: `(client, server)`.
    pub fn reads() -> &'static [(usize, usize); SCENARIOS.len()] {
        static READS: OnceLock<[(usize, usize); SCENARIOS.len()]> = OnceLock::new();
        READS.get_or_init(|| {
            let mut out = [(0, 0); SCENARIOS.len()];
            for (scenario, reads) in out.iter_mut().enumerate() {
                let secrets = Arc::default();
                let (mut c, mut s) = endpoints(scenario, &secrets);
                let (next, all, _) = genuine(&mut c, &mut s, usize::MAX);
                assert!(
                    c.summary().is_some(),
                    "{}: no handshake",
                    SCENARIOS[scenario].0
                );
                reads.0 = all.len() - next.len();
                let (mut c, mut s) = endpoints(scenario, &secrets);
                let (next, all, _) = genuine(&mut s, &mut c, usize::MAX);
                assert!(
                    s.summary().is_some(),
                    "{}: no handshake",
                    SCENARIOS[scenario].0
                );
                reads.1 = all.len() - next.len();
            }
            out
        })
    }

    /// The role at reading state `k` (mod its count) of `scenario`: `k`
    /// of the peer's records read (the last count the established
    /// connection), or, one past that, the established connection after
    /// the server asked for a certificate (RFC 8446 4.6.2), with the peer's
    /// part of that exchange next (the client's answer to the server under
    /// test; the server's CertificateRequest to the client under test).
    pub fn at(scenario: usize, victim_is_client: bool, k: usize) -> At {
        let reads = reads()[scenario];
        let reads = if victim_is_client { reads.0 } else { reads.1 };
        let k = k % (2 + reads);
        let secrets = Arc::default();
        let (mut c, mut s) = endpoints(scenario, &secrets);
        let (mut next, mut peer_all, mut written) = match victim_is_client {
            true => genuine(&mut c, &mut s, k.min(reads)),
            false => genuine(&mut s, &mut c, k.min(reads)),
        };
        if k == reads + 1 {
            // The peer's data after the handshake, read; then the request.
            for record in next.drain(..) {
                let out = match victim_is_client {
                    true => {
                        assert_eq!(c.handle_input(&record), record.len());
                        assert!(events(&mut c).is_none());
                        output(&mut c)
                    }
                    false => {
                        assert_eq!(s.handle_input(&record), record.len());
                        assert!(events(&mut s).is_none());
                        output(&mut s)
                    }
                };
                assert!(out.is_empty(), "the victim answers data");
            }
            s.request_client_certificate(pha_policy(scenario)).unwrap();
            let request = output(&mut s);
            next = match victim_is_client {
                true => records(&request),
                false => {
                    written.extend(records(&request));
                    assert_eq!(c.handle_input(&request), request.len());
                    assert!(events(&mut c).is_none());
                    records(&output(&mut c))
                }
            };
            assert!(!next.is_empty(), "nothing of the exchange to read");
            peer_all.extend(next.iter().cloned());
        }
        let peer_keys = Direction::new(scenario, &secrets, !victim_is_client);
        let own_keys = Direction::new(scenario, &secrets, victim_is_client);
        let places = peer_keys.places(&peer_all);
        At {
            victim: match victim_is_client {
                true => Victim::Client(c),
                false => Victim::Server(s),
            },
            next_places: places[places.len() - next.len()..].to_vec(),
            next,
            peer_keys,
            written,
            own_keys,
        }
    }

    // --- inputs ---------------------------------------------------------

    /// A change to a record's content (a plaintext record's body, or a
    /// protected record's inner plaintext, sealed again).
    #[derive(Clone, Debug)]
    pub enum Change {
        /// XOR one byte (index modulo the length) with a non-zero mask.
        Flip { at: usize, mask: u8 },
        /// Keep only the first bytes (modulo the length).
        Truncate { keep: usize },
        /// Bytes appended.
        Extend(Vec<u8>),
        /// The first handshake header's length (bytes 1..4) replaced.
        HandshakeLength([u8; 3]),
        /// The first message's handshake type replaced.
        HandshakeType(u8),
        /// Another (inner) content type.
        ContentType(u8),
    }

    /// A handshake message of TLS 1.3, for the reads after the handshake
    /// (and those of a protected message during it): well formed, or
    /// arbitrary.
    #[derive(Clone, Debug)]
    pub enum Template {
        /// request_update: 0 and 1 are legal, the rest illegal_parameter.
        KeyUpdate(u8),
        NewSessionTicket,
        /// With a fresh context and signature_algorithms.
        CertificateRequest,
        /// The client's chain, a context of 32 bytes.
        Certificate,
        CertificateVerify,
        /// verify_data of this many bytes (mod 64).
        Finished(usize),
        EndOfEarlyData,
        /// Any type, any body.
        Arbitrary(u8, Vec<u8>),
    }

    impl Template {
        fn encode(&self) -> Vec<u8> {
            use tlstate::message::tls13::{
                CertificateRequestTls13, CertificateTls13, NewSessionTicketTls13, PayloadTls13,
            };
            let payload = match self {
                Self::KeyUpdate(request) => return vec![24, 0, 0, 1, *request],
                Self::Arbitrary(typ, body) => {
                    let mut out = vec![*typ];
                    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
                    out.extend_from_slice(body);
                    return out;
                }
                Self::NewSessionTicket => PayloadTls13::NewSessionTicket(NewSessionTicketTls13 {
                    lifetime: 3600,
                    age_add: 1,
                    nonce: vec![0],
                    ticket: vec![7; 48],
                    extensions: Default::default(),
                }),
                Self::CertificateRequest => {
                    let mut request = CertificateRequestTls13 {
                        context: vec![3; 32],
                        ..Default::default()
                    };
                    request.extensions.push(
                        tlstate::enums::ExtensionType::SignatureAlgorithms,
                        vec![0, 2, 4, 3],
                    );
                    PayloadTls13::CertificateRequest(request)
                }
                Self::Certificate => PayloadTls13::Certificate(CertificateTls13::from_chain(
                    vec![3; 32],
                    &pki().client.chain,
                )),
                Self::CertificateVerify => {
                    PayloadTls13::CertificateVerify(tlstate::message::DigitallySigned {
                        scheme: tlstate::enums::SignatureScheme::ECDSA_NISTP256_SHA256,
                        signature: vec![0x30; 70],
                    })
                }
                // Written out: `FinishedTls13` holds only a hash's length.
                Self::Finished(len) => {
                    let len = len % 64;
                    return [&[20, 0, 0, len as u8][..], &vec![5; len]].concat();
                }
                Self::EndOfEarlyData => PayloadTls13::EndOfEarlyData,
            };
            reseal::encode(&[payload])
        }
    }

    #[derive(Clone, Debug)]
    pub enum Input {
        /// Arbitrary bytes.
        Bytes(Vec<u8>),
        /// A record of arbitrary type, version and body.
        Record { typ: u8, minor: u8, body: Vec<u8> },
        /// The peer's next record with its bytes changed as they are (for
        /// a protected record, the AEAD refuses it).
        Raw(Change),
        /// The peer's next record with its content changed, then sealed
        /// again with the real keys.
        Content(Change),
        /// The next record's content split over two records at this point
        /// (modulo its length; sealed again at consecutive numbers).
        Split(usize),
        /// The next two records in the other order (protected ones each
        /// sealed again at the other's number: the messages arrive
        /// reordered, and open).
        Swap,
        /// The next two records' contents in one record.
        Join,
        /// The next record, then an application_data record of garbage.
        ThenGarbage(Vec<u8>),
        /// A handshake message in the next record's place (sealed there if
        /// it is protected), changed if a change is given.
        Message(Template, Option<Change>),
    }

    fn content_type() -> impl Strategy<Value = u8> {
        prop_oneof![3 => 20u8..=24, 1 => any::<u8>()]
    }

    fn change() -> impl Strategy<Value = Change> {
        prop_oneof![
            (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Change::Flip { at, mask }),
            any::<usize>().prop_map(|keep| Change::Truncate { keep }),
            proptest::collection::vec(any::<u8>(), 1..64).prop_map(Change::Extend),
            any::<[u8; 3]>().prop_map(Change::HandshakeLength),
            prop_oneof![
                Just(1u8),
                Just(2),
                Just(4),
                Just(5),
                Just(8),
                Just(11),
                Just(13),
                Just(15),
                Just(20),
                Just(24),
                Just(254),
                any::<u8>()
            ]
            .prop_map(Change::HandshakeType),
            content_type().prop_map(Change::ContentType),
        ]
    }

    pub fn input() -> impl Strategy<Value = Input> {
        prop_oneof![
            1 => proptest::collection::vec(any::<u8>(), 0..400).prop_map(Input::Bytes),
            1 => (
                content_type(),
                any::<u8>(),
                proptest::collection::vec(any::<u8>(), 0..300)
            )
                .prop_map(|(typ, minor, body)| Input::Record { typ, minor, body }),
            1 => change().prop_map(Input::Raw),
            4 => change().prop_map(Input::Content),
            1 => any::<usize>().prop_map(Input::Split),
            1 => Just(Input::Swap),
            1 => Just(Input::Join),
            1 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Input::ThenGarbage),
            3 => (template(), proptest::option::of(change()))
                .prop_map(|(template, change)| Input::Message(template, change)),
        ]
    }

    fn template() -> impl Strategy<Value = Template> {
        prop_oneof![
            prop_oneof![Just(0u8), Just(1), any::<u8>()].prop_map(Template::KeyUpdate),
            Just(Template::NewSessionTicket),
            Just(Template::CertificateRequest),
            Just(Template::Certificate),
            Just(Template::CertificateVerify),
            prop_oneof![Just(32usize), Just(48), any::<usize>()].prop_map(Template::Finished),
            Just(Template::EndOfEarlyData),
            (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..64))
                .prop_map(|(typ, body)| Template::Arbitrary(typ, body)),
        ]
    }

    fn record(typ: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![typ, 3, 3];
        out.extend_from_slice(&(body.len() as u16).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    fn apply(change: &Change, typ: &mut u8, content: &mut Vec<u8>) {
        match change {
            Change::Flip { at, mask } if !content.is_empty() => {
                let at = at % content.len();
                content[at] ^= mask;
            }
            Change::Flip { .. } => {}
            Change::Truncate { keep } => content.truncate(keep % content.len().max(1)),
            Change::Extend(extra) => content.extend_from_slice(extra),
            Change::HandshakeLength(len) => {
                if content.len() >= 4 {
                    content[1..4].copy_from_slice(len);
                }
            }
            Change::HandshakeType(new) => {
                if let Some(first) = content.first_mut() {
                    *first = *new;
                }
            }
            Change::ContentType(new) => *typ = *new,
        }
    }

    impl At {
        /// The type and content of the peer's next record `i` (opened if
        /// protected).
        fn content(&self, i: usize) -> Option<(u8, Vec<u8>, Place)> {
            let record = self.next.get(i)?;
            match self.next_places[i] {
                Some((epoch, seq)) => {
                    let (typ, content) = self.peer_keys.try_open(epoch, seq, record)?;
                    Some((typ, content, Some((epoch, seq))))
                }
                None => Some((record[0], record.get(5..)?.to_vec(), None)),
            }
        }

        /// A record of `typ` with `content`, sealed at `place` if given.
        fn make(&self, typ: u8, content: &[u8], place: Option<(usize, u64)>) -> Vec<u8> {
            match place {
                Some(place) => self.peer_keys.seal(place, typ, content),
                None => record(typ, content),
            }
        }

        /// The bytes `input` stands for here.
        pub fn bytes(&self, input: &Input) -> Vec<u8> {
            let first = self.next[0].clone();
            match input {
                Input::Bytes(bytes) => bytes.clone(),
                Input::Record { typ, minor, body } => {
                    let mut out = record(*typ, body);
                    out[2] = *minor;
                    out
                }
                Input::Raw(change) => {
                    let (mut typ, mut body) = (first[0], first[5..].to_vec());
                    apply(change, &mut typ, &mut body);
                    record(typ, &body)
                }
                Input::Content(change) => {
                    let Some((mut typ, mut content, place)) = self.content(0) else {
                        return first;
                    };
                    apply(change, &mut typ, &mut content);
                    self.make(typ, &content, place)
                }
                Input::Split(at) => {
                    let Some((typ, content, place)) = self.content(0) else {
                        return first;
                    };
                    let at = at % (content.len() + 1);
                    let second = place.map(|(epoch, seq)| (epoch, seq + 1));
                    [
                        self.make(typ, &content[..at], place),
                        self.make(typ, &content[at..], second),
                    ]
                    .concat()
                }
                Input::Swap | Input::Join => {
                    let (Some(a), Some(b)) = (self.content(0), self.content(1)) else {
                        return first;
                    };
                    let same_epoch = match (a.2, b.2) {
                        (Some((x, _)), Some((y, _))) => x == y,
                        (None, None) => true,
                        _ => false,
                    };
                    // Two protected records of one key swap whatever their
                    // inner types (early data and the EndOfEarlyData after
                    // it: the data comes after the message); two joined
                    // must be of one type.
                    let protected = a.2.is_some();
                    let swap = matches!(input, Input::Swap);
                    if !same_epoch || (a.0 != b.0 && !(swap && protected)) {
                        // Nothing to re-seal: the raw records, swapped.
                        return [self.next[1].clone(), first].concat();
                    }
                    match input {
                        Input::Swap => {
                            [self.make(b.0, &b.1, a.2), self.make(a.0, &a.1, b.2)].concat()
                        }
                        _ => self.make(a.0, &[a.1, b.1].concat(), a.2),
                    }
                }
                Input::ThenGarbage(garbage) => [first, record(23, garbage)].concat(),
                Input::Message(template, change) => {
                    let (mut typ, mut content) = (22, template.encode());
                    if let Some(change) = change {
                        apply(change, &mut typ, &mut content);
                    }
                    self.make(typ, &content, self.next_places[0])
                }
            }
        }
    }

    // --- one read, and what it may do -----------------------------------

    /// Feeds `bytes` to the role and checks what it did: no panic (the
    /// caller catches it), at most [`MAX_OUTPUT`] written, and a failure
    /// owes exactly the alert `Error::alert` names, as the last record
    /// written: in plaintext byte for byte, or sealed under the role's
    /// current keys (opened here with its logged secrets). A received alert owes
    /// nothing. Returns whether the role failed.
    pub fn read(mut at: At, bytes: &[u8]) -> Result<bool, String> {
        fn go<S: AnyState>(d: &mut Driver<S>, bytes: &[u8]) -> (Option<Error>, Vec<u8>) {
            let mut rest = bytes;
            let mut out = Vec::new();
            loop {
                let taken = d.handle_input(rest);
                let failed = events(d);
                out.extend(output(d));
                rest = &rest[taken..];
                if failed.is_some() || rest.is_empty() || taken == 0 {
                    return (failed, out);
                }
            }
        }
        let (failed, out) = match &mut at.victim {
            Victim::Client(d) => go(d, bytes),
            Victim::Server(d) => go(d, bytes),
        };
        if out.len() > MAX_OUTPUT {
            return Err(format!("{} bytes written for one input", out.len()));
        }
        let Some(error) = failed else {
            return Ok(false);
        };
        let Some(alert) = error.alert() else {
            return match (&error, out.is_empty()) {
                (Error::AlertReceived { .. }, true) => Ok(true),
                _ => Err(format!("{error}: no alert, output {out:?}")),
            };
        };
        let recs = records(&out);
        let Some(last) = recs.last().cloned() else {
            return Err(format!("{error}: no alert written"));
        };
        // Before the alert, what the input let the role write: its next
        // flight, when part of the input was the genuine next record.
        if recs[..recs.len() - 1].iter().any(|r| r[0] == 21) {
            return Err(format!("{error}: more than one alert record: {recs:?}"));
        }
        match last[0] {
            21 if last == [21, 3, 3, 0, 2, 2, alert.to_wire()] => Ok(true),
            23 => {
                at.written.extend(recs);
                let places = at.own_keys.places(&at.written);
                let opened = places
                    .last()
                    .copied()
                    .flatten()
                    .and_then(|(epoch, seq)| at.own_keys.try_open(epoch, seq, &last));
                match opened {
                    Some((21, body)) if body == [2, alert.to_wire()] => Ok(true),
                    other => Err(format!("{error}: the sealed record holds {other:?}")),
                }
            }
            _ => Err(format!("{error}: the alert record is {last:?}")),
        }
    }

    /// The names of the states the role is at for `k` = 0, 1, ... of
    /// `scenario`.
    pub fn state_names(scenario: usize, victim_is_client: bool) -> Vec<&'static str> {
        let reads = reads()[scenario];
        let count = 2 + if victim_is_client { reads.0 } else { reads.1 };
        (0..count)
            .map(|k| at(scenario, victim_is_client, k).victim.state_name())
            .collect()
    }

    /// The TLS 1.3 table's states at which `victim_is_client`'s role reads
    /// a handshake message, and HandshakeOver. (Its HelloRetryRequest
    /// row is read at the hello state shared with TLS 1.2, ServerHello.)
    pub fn reading_states(victim_is_client: bool) -> Vec<&'static str> {
        let peer = if victim_is_client { "S" } else { "C" };
        TABLE
            .iter()
            .filter(|row| {
                (row.writer.letter() == peer && row.record == ContentType::Handshake)
                    || row.name == "HandshakeOver"
            })
            .map(|row| row.name)
            .filter(|name| *name != "HelloRetryRequest")
            .collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn tls13_client_never_panics_at_any_reading_state(
        scenario in 0..tls13::SCENARIOS.len(),
        k in 0usize..16,
        input in tls13::input(),
    ) {
        let at = tls13::at(scenario, true, k);
        let state = at.victim.state_name();
        let bytes = at.bytes(&input);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tls13::read(at, &bytes)));
        prop_assert!(result.is_ok(), "the client panicked at {state} on {bytes:?}");
        if let Ok(Err(why)) = result {
            prop_assert!(false, "client at {state}: {why}");
        }
    }

    #[test]
    fn tls13_server_never_panics_at_any_reading_state(
        scenario in 0..tls13::SCENARIOS.len(),
        k in 0usize..16,
        input in tls13::input(),
    ) {
        let at = tls13::at(scenario, false, k);
        let state = at.victim.state_name();
        let bytes = at.bytes(&input);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tls13::read(at, &bytes)));
        prop_assert!(result.is_ok(), "the server panicked at {state} on {bytes:?}");
        if let Ok(Err(why)) = result {
            prop_assert!(false, "server at {state}: {why}");
        }
    }
}

#[test]
fn tls13_every_reading_state_is_reached_and_reads_its_legal_record() {
    // The scenarios reach every TLS 1.3 reading state of both roles, and
    // each state really is one: the peer's genuine next record is taken
    // there without error.
    for victim_is_client in [true, false] {
        let role = if victim_is_client { "client" } else { "server" };
        let mut reached = Vec::new();
        for (scenario, (shape, _)) in tls13::SCENARIOS.iter().enumerate() {
            let names = tls13::state_names(scenario, victim_is_client);
            println!("{shape}, {role}: {names:?}");
            if *shape == "1.3-resumed" {
                // The PSK was taken: no certificate states; the client
                // then reads the server's two tickets and its data, and
                // both reach the stage after a post-handshake request.
                let resumed: &[&str] = match victim_is_client {
                    true => &["ServerHello", "EncryptedExtensions", "ServerFinished"],
                    false => &["ClientHello", "ClientFinished"],
                };
                let over = if victim_is_client { 4 } else { 2 };
                assert_eq!(names[..resumed.len()], *resumed, "{role}");
                assert_eq!(
                    names[resumed.len()..],
                    vec!["HandshakeOver"; over],
                    "{role}"
                );
            }
            if shape.contains("early") {
                // Accepted, the client reads on the EarlyData path
                // (EncryptedExtensions twice around the server's CCS), and
                // the server reads the early data record, under the
                // client's early key (epoch 0), at EndOfEarlyData (after
                // the client's CCS, if any), then the EndOfEarlyData under
                // that key, then the Finished under the handshake key.
                // Rejected, the server reads the early data record at
                // ClientFinished (and skips it), then the Finished.
                let ccs = shape.ends_with("+ccs");
                let rejected = shape.ends_with("-rejected");
                let expected: Vec<&str> = match (victim_is_client, rejected) {
                    (true, _) => [
                        &["ServerHello", "EncryptedExtensions"][..],
                        if ccs {
                            &["EncryptedExtensions"][..]
                        } else {
                            &[]
                        },
                        &["ServerFinished"],
                        &["HandshakeOver"; 4],
                    ]
                    .concat(),
                    (false, false) => [
                        &["ClientHello", "EndOfEarlyData"][..],
                        if ccs { &["EndOfEarlyData"][..] } else { &[] },
                        &["EndOfEarlyData", "ClientFinished"],
                        &["HandshakeOver"; 2],
                    ]
                    .concat(),
                    (false, true) => [
                        &["ClientHello", "ClientFinished", "ClientFinished"][..],
                        &["HandshakeOver"; 2],
                    ]
                    .concat(),
                };
                assert_eq!(names, expected, "{shape} {role}");
                let first_early = 1 + usize::from(ccs);
                let at = tls13::at(scenario, false, first_early);
                match rejected {
                    false => assert_eq!(
                        at.next_places[..3],
                        [Some((0, 0)), Some((0, 1)), Some((1, 0))],
                        "the early data, EndOfEarlyData, Finished"
                    ),
                    true => assert_eq!(
                        at.next_places[..2],
                        [Some((0, 0)), Some((1, 0))],
                        "the early data, Finished"
                    ),
                }
                // The handshake resumed, the early data taken or not.
                let at = tls13::at(scenario, victim_is_client, names.len() - 2);
                let summary = match &at.victim {
                    tls13::Victim::Client(d) => d.summary().cloned(),
                    tls13::Victim::Server(d) => d.summary().cloned(),
                };
                let summary = summary.expect("established");
                assert!(summary.resumed, "{shape} {role}");
                assert_eq!(summary.early_data_accepted, !rejected, "{shape} {role}");
            }
            for (k, name) in names.iter().enumerate() {
                let at = tls13::at(scenario, victim_is_client, k);
                let next = at.next[0].clone();
                assert_eq!(
                    tls13::read(at, &next),
                    Ok(false),
                    "{shape} {role} at {name}"
                );
            }
            reached.extend(names);
        }
        for state in tls13::reading_states(victim_is_client) {
            assert!(
                reached.contains(&state),
                "the {role} never reads at {state}"
            );
        }
    }
}
