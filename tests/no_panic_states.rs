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

mod common;

use std::sync::Arc;

use common::fixture;
use common::memory::next;
use proptest::prelude::*;
use rustls_pki_types::ServerName;
use tlstate::connection::{Connection, ReadOutcome};
use tlstate::error::Error;
use tlstate::handshake::{
    AfterClientHello, AfterServerCert, AfterServerHello, AfterServerKey, AfterTicket, Client,
    ClientConfig, Fatal, Handshake, RecvMessage, Role, Server, ServerConfig, Shape, Step, Writes,
    state,
};

fn client_config() -> Arc<ClientConfig> {
    fixture().pki.client_config_tls12()
}

fn server_config() -> Arc<ServerConfig> {
    let fx = fixture();
    fx.pki.server_config_tls12(&fx.leaf)
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
