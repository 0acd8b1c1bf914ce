//! The TLS 1.3 ordering oracle.
//!
//! For the shapes `1.3-full` (no compatibility ChangeCipherSpec),
//! `1.3-full+ccs` (with it) and `1.3-hrr` (a HelloRetryRequest), and for
//! each role, this records the records the role under test (the victim)
//! receives in a legal handshake between our client and our server, then
//! feeds every mutation of that sequence to a fresh victim and checks the
//! outcome against a model of RFC 8446.
//!
//! Each run has fresh randoms and keys, so recorded records cannot be
//! replayed: each mutated run starts a fresh victim *and* a fresh live peer
//! (both sans-IO drivers, in memory), passes the victim's output to the
//! peer unchanged, and delivers the peer's records to the victim in the
//! mutated order, resolving "record i" to what the live peer wrote in this
//! run. Only when the plan asks for a record the peer cannot have written
//! yet (it waits for the victim) are the reference run's bytes used; the
//! model never lets those open under this run's keys.
//!
//! The rules the model applies to each delivered record (RFC 8446 section
//! numbers in brackets):
//!
//! - T1 (5): a change_cipher_spec record that is exactly `[1]`, after the
//!   first ClientHello and before the peer's Finished, is dropped; any
//!   other change_cipher_spec (another body, before the first ClientHello,
//!   after the peer's Finished) is `unexpected_message`.
//! - T2 (5, 5.2): before the victim reads protected records, an
//!   application_data record is `unexpected_message`; after, every
//!   application_data record must open at the next sequence number, and
//!   one that does not (dropped, duplicated, swapped, injected) is
//!   `bad_record_mac`.
//! - T3 (5): once the victim reads protected records, a plaintext
//!   handshake or alert record is `unexpected_message`.
//! - T4 (6): a plaintext alert before that ends the handshake with
//!   `AlertReceived`, and nothing is owed back.
//! - T5 (4): a plaintext handshake message other than the one wanted next
//!   is `unexpected_message`; a second HelloRetryRequest is
//!   `unexpected_message` (4.1.4); a ServerHello or ClientHello of the
//!   wanted type from the reference run (other key shares, other session
//!   id) is `illegal_parameter` (4.1.3, 4.2.8), except a server's first
//!   ClientHello, which it cannot tell from any other.
//! - T6: a sequence that ends before the peer's Finished leaves the victim
//!   waiting; only runs whose handshake records all arrived in order reach
//!   `HandshakeOver`.
//!
//! The victim's alert is checked on the wire: before it writes protected
//! records (either role, until the ServerHello: from then on both write
//! under their handshake keys, RFC 8446 5) it is the plaintext alert record, byte
//! for byte, after that one protected record; the live peer reads it as
//! that fatal alert, or, a plaintext one reaching a peer that reads
//! protected records already, rejects it as `unexpected_message` (T3 on
//! its side).
//!
//! A compat ChangeCipherSpec of the byte 1 is dropped by either role from
//! the first ClientHello on (RFC 8446 5), the client's too before the
//! ServerHello: it drops it while its offer of TLS 1.3 is open.

mod common;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use common::fixture;
use rustls_pki_types::ServerName;
use tlstate::driver::{ClientDriver, Driver, Event, ServerDriver};
use tlstate::enums::{AlertDescription, AlertLevel, NamedGroup, ProtocolVersion};
use tlstate::error::{Error, InvalidMessage};
use tlstate::handshake::{ClientConfig, ServerConfig};

const SHAPES: [&str; 3] = ["1.3-full", "1.3-full+ccs", "1.3-hrr"];

/// The compatibility ChangeCipherSpec.
const CCS_RECORD: [u8; 6] = [20, 3, 3, 0, 1, 1];
/// A ChangeCipherSpec whose body is not 1.
const BAD_CCS_RECORD: [u8; 6] = [20, 3, 3, 0, 1, 2];
/// A plaintext fatal handshake_failure alert.
const ALERT_RECORD: [u8; 7] = [21, 3, 3, 0, 2, 2, 40];
/// An application_data record of garbage (too short to hold a tag).
const GARBAGE_RECORD: [u8; 10] = [23, 3, 3, 0, 5, b'e', b'a', b'r', b'l', b'y'];

fn configs(shape: &str) -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let fx = fixture();
    let mut client = (*fx.pki.client_config()).clone();
    let mut server = (*fx.pki.server_config(&fx.leaf)).clone();
    client.versions = vec![ProtocolVersion::Tls13];
    server.versions = vec![ProtocolVersion::Tls13];
    client.session_store = None;
    match shape {
        "1.3-full" => {
            client.middlebox_compat = false;
            server.middlebox_compat = false;
        }
        "1.3-full+ccs" => {
            client.middlebox_compat = true;
            server.middlebox_compat = true;
        }
        "1.3-hrr" => {
            // The client's one key share is x25519's, which the server
            // does not take; both support P-256, so the server asks again.
            client.groups = vec![NamedGroup::X25519, NamedGroup::secp256r1];
            server.groups = vec![NamedGroup::secp256r1];
        }
        other => panic!("no setup for {other:?}"),
    }
    (Arc::new(client), Arc::new(server))
}

/// Splits a byte stream into whole records.
fn records(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        assert!(bytes.len() >= 5, "a partial record header");
        let len = 5 + usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        assert!(bytes.len() >= len, "a partial record");
        out.push(bytes[..len].to_vec());
        bytes = &bytes[len..];
    }
    out
}

/// A driver of either role.
enum Side {
    Client(ClientDriver),
    Server(ServerDriver),
}

impl Side {
    fn new(is_client: bool, shape: &str) -> Self {
        let (client, server) = configs(shape);
        match is_client {
            true => Self::Client(ClientDriver::new(
                client,
                ServerName::try_from("localhost").unwrap(),
            )),
            false => Self::Server(ServerDriver::new(server)),
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        fn go<S: tlstate::driver::AnyState>(d: &mut Driver<S>, bytes: &[u8]) {
            let taken = d.handle_input(bytes);
            assert_eq!(taken, bytes.len(), "one record is always taken");
        }
        match self {
            Self::Client(d) => go(d, bytes),
            Self::Server(d) => go(d, bytes),
        }
    }

    fn output(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let next = match self {
                Self::Client(d) => d.poll_output(),
                Self::Server(d) => d.poll_output(),
            };
            match next {
                Some(bytes) => out.extend(bytes),
                None => return out,
            }
        }
    }

    fn events(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        loop {
            let next = match self {
                Self::Client(d) => d.poll_event(),
                Self::Server(d) => d.poll_event(),
            };
            match next {
                Some(event) => out.push(event),
                None => return out,
            }
        }
    }
}

// --- mutations ----------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    /// The peer's record at this index of the legal sequence.
    Orig(usize),
    Inject(&'static [u8]),
}

struct Mutation {
    class: &'static str,
    name: String,
    plan: Vec<Item>,
}

/// Every mutation of a legal sequence of `n` records: drop one, duplicate
/// one, swap two adjacent, and inject each of four records (a plaintext
/// alert, garbage application data, a compat ChangeCipherSpec, a
/// ChangeCipherSpec of body 2) at each of the `n + 1` positions: `7 n + 3`.
fn mutations(n: usize) -> Vec<Mutation> {
    let legal: Vec<Item> = (0..n).map(Item::Orig).collect();
    let mut out = Vec::new();
    for i in 0..n {
        let mut plan = legal.clone();
        plan.remove(i);
        out.push(Mutation {
            class: "drop",
            name: format!("drop record {i}"),
            plan,
        });
        let mut plan = legal.clone();
        plan.insert(i + 1, Item::Orig(i));
        out.push(Mutation {
            class: "duplicate",
            name: format!("duplicate record {i}"),
            plan,
        });
    }
    for i in 0..n - 1 {
        let mut plan = legal.clone();
        plan.swap(i, i + 1);
        out.push(Mutation {
            class: "swap",
            name: format!("swap records {i} and {}", i + 1),
            plan,
        });
    }
    let injected: [(&str, &'static [u8]); 4] = [
        ("alert", &ALERT_RECORD),
        ("garbage", &GARBAGE_RECORD),
        ("ccs", &CCS_RECORD),
        ("ccs 0x02", &BAD_CCS_RECORD),
    ];
    for (what, bytes) in injected {
        for at in 0..=n {
            let mut plan = legal.clone();
            plan.insert(at, Item::Inject(bytes));
            out.push(Mutation {
                class: "inject",
                name: format!("inject {what} at position {at}"),
                plan,
            });
        }
    }
    out
}

// --- one run ------------------------------------------------------------

/// What the victim did with a plan.
#[derive(Debug)]
// `Panicked`'s message is read through `Debug`, in failure messages.
#[allow(dead_code)]
enum Actual {
    /// It failed after `fed` records.
    Failed {
        fed: usize,
        error: Error,
        output: Vec<u8>,
        /// How the live peer read `output`, if it still listened.
        peer_read: Option<Event>,
    },
    /// It took the whole plan without failing.
    Took {
        over_at: Option<usize>,
    },
    Panicked(String),
}

/// A run: the victim's outcome, the records as delivered (with whether
/// each was the live peer's), and the live peer's records.
struct Run {
    actual: Actual,
    delivered: Vec<(Vec<u8>, bool)>,
    live: Vec<Vec<u8>>,
}

fn run(shape: &str, victim_is_client: bool, plan: &[Item], reference: &[Vec<u8>]) -> Run {
    let mut victim = Side::new(victim_is_client, shape);
    let mut peer = Side::new(!victim_is_client, shape);
    let mut live: Vec<Vec<u8>> = Vec::new();
    let mut delivered = Vec::new();
    let mut over_at = None;
    let mut peer_failed = false;
    let exchange =
        |victim: &mut Side, peer: &mut Side, live: &mut Vec<Vec<u8>>, peer_failed: &mut bool| {
            let out = victim.output();
            if !out.is_empty() {
                peer.feed(&out);
            }
            // A failed peer's alert takes the place of its next record.
            live.extend(records(&peer.output()));
            *peer_failed |= peer.events().iter().any(|e| matches!(e, Event::Failed(_)));
        };
    let actual = catch_unwind(AssertUnwindSafe(|| {
        exchange(&mut victim, &mut peer, &mut live, &mut peer_failed);
        for (j, item) in plan.iter().enumerate() {
            let (bytes, is_live) = match *item {
                Item::Orig(i) => match (live.get(i), reference.get(i)) {
                    (Some(bytes), _) => (bytes.clone(), true),
                    (None, Some(bytes)) => (bytes.clone(), false),
                    // Recording the legal run: the peer wrote no more.
                    (None, None) => break,
                },
                Item::Inject(bytes) => (bytes.to_vec(), true),
            };
            delivered.push((bytes.clone(), is_live));
            victim.feed(&bytes);
            for event in victim.events() {
                match event {
                    Event::HandshakeDone(_) => over_at = Some(j),
                    Event::Failed(error) => {
                        let output = victim.output();
                        let peer_read = match peer_failed {
                            true => None,
                            false => {
                                peer.feed(&output);
                                peer.events()
                                    .into_iter()
                                    .find(|e| matches!(e, Event::Failed(_)))
                            }
                        };
                        return Actual::Failed {
                            fed: j + 1,
                            error,
                            output,
                            peer_read,
                        };
                    }
                    other => panic!("unexpected event {other:?}"),
                }
            }
            exchange(&mut victim, &mut peer, &mut live, &mut peer_failed);
        }
        Actual::Took { over_at }
    }));
    let actual = actual.unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Actual::Panicked(why)
    });
    Run {
        actual,
        delivered,
        live,
    }
}

// --- the model ----------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    UnexpectedMessage,
    BadRecordMac,
    IllegalParameter,
    /// The peer's alert, as the victim read it: nothing is owed back.
    Received(AlertLevel, AlertDescription),
}

impl Kind {
    fn alert(self) -> Option<AlertDescription> {
        match self {
            Self::UnexpectedMessage => Some(AlertDescription::UnexpectedMessage),
            Self::BadRecordMac => Some(AlertDescription::BadRecordMac),
            Self::IllegalParameter => Some(AlertDescription::IllegalParameter),
            Self::Received(..) => None,
        }
    }

    fn matches(self, error: &Error) -> bool {
        match self {
            Self::UnexpectedMessage => matches!(
                error,
                Error::UnexpectedMessage { .. }
                    | Error::InvalidMessage(InvalidMessage::InvalidChangeCipherSpec)
            ),
            Self::BadRecordMac => *error == Error::DecryptFailed,
            Self::IllegalParameter => matches!(
                error,
                Error::PeerMisbehaved(tlstate::error::PeerMisbehaved::IllegalParameter(_))
            ),
            Self::Received(level, description) => {
                *error == Error::AlertReceived { level, description }
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Expect {
    /// The victim fails while reading plan item `at`; `sealed` says
    /// whether it writes protected records by then (its alert is
    /// encrypted).
    Fail {
        at: usize,
        kind: Kind,
        rule: &'static str,
        sealed: bool,
    },
    /// The plan ends before the peer's Finished.
    Waits,
    /// The handshake completes with plan item `at`, and nothing fails.
    Over { at: usize },
}

/// The legal sequence, as the model sees it.
struct Legal {
    /// The live records of this run.
    live: Vec<Vec<u8>>,
    /// Indices of the plaintext handshake records, in order.
    plain: Vec<usize>,
    /// Indices of the protected records, in order; the last is the
    /// peer's Finished.
    protected: Vec<usize>,
    /// The index of the HelloRetryRequest, if any.
    hrr: Option<usize>,
}

fn legal(live: &[Vec<u8>]) -> Legal {
    let plain = (0..live.len()).filter(|&i| live[i][0] == 22).collect();
    let protected = (0..live.len()).filter(|&i| live[i][0] == 23).collect();
    // A ServerHello whose random is the HelloRetryRequest one (RFC 8446
    // 4.1.3) starts with these bytes.
    const HRR_RANDOM_START: [u8; 4] = [0xcf, 0x21, 0xad, 0x74];
    let hrr = (0..live.len())
        .find(|&i| live[i][0] == 22 && live[i][5] == 2 && live[i][11..15] == HRR_RANDOM_START);
    Legal {
        live: live.to_vec(),
        plain,
        protected,
        hrr,
    }
}

fn predict(
    plan: &[Item],
    delivered: &[(Vec<u8>, bool)],
    legal: &Legal,
    victim_is_client: bool,
) -> Expect {
    // How many plaintext / protected legal records were taken.
    let mut plain_taken = 0;
    let mut protected_taken = 0;
    // The victim reads protected records.
    let mut protected = false;
    // No live record can open any more (the server took a ClientHello
    // from the reference run).
    let mut nothing_opens = false;
    let mut over_at = None;
    // A server has seen a ClientHello.
    let mut hello_seen = victim_is_client;
    for (j, (item, (bytes, live))) in plan.iter().zip(delivered).enumerate() {
        let fail = |kind, rule| Expect::Fail {
            at: j,
            kind,
            rule,
            // Both roles write under their handshake keys from the
            // ServerHello on (RFC 8446 5: the current connection state),
            // the moment they start reading protected records.
            sealed: protected,
        };
        let body = &bytes[5..];
        match bytes[0] {
            20 => {
                if body != [1] {
                    return fail(Kind::UnexpectedMessage, "T1 ChangeCipherSpec not [1]");
                }
                if !hello_seen {
                    return fail(Kind::UnexpectedMessage, "T1 CCS before the ClientHello");
                }
                if over_at.is_some() {
                    return fail(Kind::UnexpectedMessage, "T1 CCS after the Finished");
                }
            }
            23 if !protected => {
                return fail(Kind::UnexpectedMessage, "T2 protected record too early");
            }
            23 => {
                let opens = !nothing_opens
                    && *live
                    && over_at.is_none()
                    && *item == Item::Orig(legal.protected[protected_taken]);
                if !opens {
                    return fail(Kind::BadRecordMac, "T2 record does not open");
                }
                protected_taken += 1;
                if protected_taken == legal.protected.len() {
                    over_at = Some(j);
                }
            }
            21 | 22 if protected => {
                return fail(Kind::UnexpectedMessage, "T3 plaintext after the key change");
            }
            21 => {
                return fail(
                    Kind::Received(
                        AlertLevel::from_wire(body[0]),
                        AlertDescription::from_wire(body[1]),
                    ),
                    "T4 a plaintext alert ends the handshake",
                );
            }
            22 => {
                let wanted = &legal.live[legal.plain[plain_taken]];
                if bytes == wanted {
                    plain_taken += 1;
                    hello_seen = true;
                    protected = plain_taken == legal.plain.len();
                } else if Some(*item) == legal.hrr.map(Item::Orig) {
                    return fail(Kind::UnexpectedMessage, "T5 a second HelloRetryRequest");
                } else if bytes[5] != wanted[5] {
                    return fail(Kind::UnexpectedMessage, "T5 handshake message out of order");
                } else if !victim_is_client && !hello_seen {
                    // A first ClientHello the server answers on its own:
                    // the live client never sees a matching flight.
                    hello_seen = true;
                    protected = true;
                    nothing_opens = true;
                } else {
                    return fail(Kind::IllegalParameter, "T5 a hello of another run");
                }
            }
            _ => unreachable!("no mutation makes another record type"),
        }
    }
    match over_at {
        Some(at) => Expect::Over { at },
        None => Expect::Waits,
    }
}

fn check(expect: &Expect, run: &Run) -> Result<(), String> {
    match (expect, &run.actual) {
        (
            Expect::Fail {
                at, kind, sealed, ..
            },
            Actual::Failed {
                fed,
                error,
                output,
                peer_read,
            },
        ) => {
            if *fed != at + 1 {
                return Err(format!("failed after {fed} records, expected {}", at + 1));
            }
            if !kind.matches(error) {
                return Err(format!("error {error:?}, expected {kind:?}"));
            }
            if error.alert() != kind.alert() {
                return Err(format!(
                    "alert {:?}, expected {:?}",
                    error.alert(),
                    kind.alert()
                ));
            }
            let Some(alert) = kind.alert() else {
                return match output.is_empty() {
                    true => Ok(()),
                    false => Err(format!("no alert is owed, yet the output is {output:?}")),
                };
            };
            let recs = records(output);
            let plaintext = [21, 3, 3, 0, 2, 2, alert.to_wire()];
            let shaped = match sealed {
                true => recs.len() == 1 && recs[0][0] == 23,
                false => *output == plaintext,
            };
            if !shaped {
                return Err(format!(
                    "output is not one {} alert record: {output:?}",
                    if *sealed { "sealed" } else { "plaintext" }
                ));
            }
            check_peer_read(peer_read, alert, *sealed)
        }
        (Expect::Waits, Actual::Took { over_at: None }) => Ok(()),
        (Expect::Over { at }, Actual::Took { over_at: Some(got) }) if at == got => Ok(()),
        (expect, actual) => Err(format!("expected {expect:?}, got {actual:?}")),
    }
}

/// How the live peer read the victim's alert: as that fatal alert; or,
/// for a plaintext alert reaching a peer that reads protected records
/// already, as `unexpected_message` (T3 on the peer's side).
fn check_peer_read(
    peer_read: &Option<Event>,
    alert: AlertDescription,
    sealed: bool,
) -> Result<(), String> {
    match peer_read {
        // The peer had failed already.
        None => Ok(()),
        Some(Event::Failed(Error::AlertReceived {
            level: AlertLevel::Fatal,
            description,
        })) if *description == alert => Ok(()),
        Some(Event::Failed(Error::UnexpectedMessage {
            got: tlstate::error::Received::Record(tlstate::enums::ContentType::Alert),
            ..
        })) if !sealed => Ok(()),
        Some(other) => Err(format!("the peer read the alert as {other:?}")),
    }
}

// --- the oracle ---------------------------------------------------------

struct Report {
    n: usize,
    checked: usize,
    outcomes: BTreeMap<(&'static str, String), usize>,
    failures: Vec<String>,
}

fn oracle(shape: &str, victim_is_client: bool) -> Report {
    let role = if victim_is_client { "client" } else { "server" };
    let n_guess = 16;
    let legal_plan: Vec<Item> = (0..n_guess).map(Item::Orig).collect();
    // The legal run: the plan names more records than the peer writes, so
    // every live record is delivered; the reference is what it wrote.
    let first = run(shape, victim_is_client, &legal_plan, &[]);
    let reference = first.live.clone();
    let n = reference.len();
    assert!(n < n_guess);
    let mut report = Report {
        n,
        checked: 0,
        outcomes: BTreeMap::new(),
        failures: Vec::new(),
    };
    let legal_mutation = Mutation {
        class: "legal",
        name: "the legal sequence".into(),
        plan: (0..n).map(Item::Orig).collect(),
    };
    for mutation in std::iter::once(legal_mutation).chain(mutations(n)) {
        let run = run(shape, victim_is_client, &mutation.plan, &reference);
        let model = legal(&run.live);
        let expect = predict(&mutation.plan, &run.delivered, &model, victim_is_client);
        let mut fail = |why: String| {
            report
                .failures
                .push(format!("{shape} {role} {}: {why}", mutation.name));
        };
        if mutation.class == "legal" && expect != (Expect::Over { at: n - 1 }) {
            fail(format!("the legal sequence is predicted as {expect:?}"));
        }
        // Independently of the model: only a plan whose handshake records
        // all came in order, with nothing but compat CCSs among them
        // (RFC 8446 5), may reach HandshakeOver.
        if let Actual::Took { over_at: Some(at) } = run.actual {
            let heard: Vec<Item> = mutation.plan[..=at]
                .iter()
                .filter(|item| match item {
                    Item::Orig(i) => reference[*i][0] != 20,
                    Item::Inject(bytes) => *bytes != CCS_RECORD,
                })
                .copied()
                .collect();
            let wanted: Vec<Item> = (0..n)
                .filter(|&i| reference[i][0] != 20)
                .map(Item::Orig)
                .collect();
            if heard != wanted {
                fail(format!("reached HandshakeOver after {heard:?}"));
            }
        }
        if let Err(why) = check(&expect, &run) {
            fail(why);
        }
        let outcome = match &expect {
            Expect::Fail { kind, rule, .. } => format!("{kind:?} ({})", &rule[..2]),
            Expect::Over { .. } => "completes".into(),
            Expect::Waits => "waits (T6)".into(),
        };
        *report
            .outcomes
            .entry((mutation.class, outcome))
            .or_default() += 1;
        if mutation.class != "legal" {
            report.checked += 1;
        }
    }
    println!(
        "{shape}, {role} under test: {n} records received, {} mutations checked",
        report.checked
    );
    for ((class, outcome), count) in &report.outcomes {
        println!("    {class:9} {outcome:40} {count}");
    }
    report
}

fn run_every_shape(victim_is_client: bool) {
    let mut failures = Vec::new();
    for shape in SHAPES {
        let report = oracle(shape, victim_is_client);
        assert_eq!(report.checked, 7 * report.n + 3, "7 n + 3 mutations");
        failures.extend(report.failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn tls13_client_rejects_every_mutation_of_the_server_flights() {
    run_every_shape(true);
}

#[test]
fn tls13_server_rejects_every_mutation_of_the_client_flights() {
    run_every_shape(false);
}
