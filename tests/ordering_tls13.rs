//! The TLS 1.3 ordering oracle.
//!
//! For every shape of the TLS 1.3 table ([`SHAPES`] in
//! `src/handshake/tls13/table.rs`: full, after a HelloRetryRequest, client
//! authentication with a certificate and with an empty one, with and
//! without HRR, resumed with a ticket, resumed with 0-RTT early data, each
//! with and without the compatibility ChangeCipherSpec),
//! under every TLS 1.3 suite, and for each role, this records the records
//! the role under test (the victim) receives in a legal handshake between
//! our client and our server, checks that they are the shape's path (the
//! peer's records in the path's order, each protected message opened with
//! the peer's logged keys and of the path's type), then feeds every
//! mutation of that sequence to a fresh victim and checks the outcome
//! against a model of RFC 8446.
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
//! The mutations: drop one record, duplicate one, swap two adjacent,
//! inject four records at each position, and retype each handshake
//! message (its type byte set to each other type of RFC 8446 4, the body
//! kept). A retyped protected message is opened with the live peer's
//! handshake traffic secret (from its key log) and sealed again at its own
//! sequence number, so the victim's AEAD passes and its handshake layer
//! meets the change; a flipped ciphertext byte would only test the AEAD.
//!
//! 0-RTT (`1.3-early`): a client victim sends its early data with its
//! ClientHello (`ClientDriver::with_early_data`) and must see it accepted;
//! its alerts are sealed from the start (it writes under its early key).
//! A server victim receives the client's compatibility ChangeCipherSpec
//! (with `+ccs`) and one early data record right after the ClientHello,
//! then the EndOfEarlyData under the early key and the Finished under the
//! handshake key: the records are opened, and a retyped message sealed
//! again, under the key of its epoch (`PeerKeys::key_of`). The early data
//! record is protected application data: it is dropped, duplicated,
//! swapped and injected around like the rest (T2: only the next record
//! under the current key opens), and T7's accepted types count the
//! handshake messages only.
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
//!   (a retyped hello too) is `unexpected_message`; a second HelloRetryRequest is
//!   `unexpected_message` (4.1.4); a ServerHello or ClientHello of the
//!   wanted type from the reference run (other key shares, other session
//!   id) is `illegal_parameter` (4.1.3, 4.2.8), except a server's first
//!   ClientHello, which it cannot tell from any other.
//! - T6: a sequence that ends before the peer's Finished leaves the victim
//!   waiting; only runs whose handshake records all arrived in order,
//!   unchanged, reach `HandshakeOver`.
//! - T7 (4, 4.3.2, 4.4.2, 6): a protected record that opens but holds a
//!   handshake message of a type the victim does not accept there is
//!   `unexpected_message`; one of a type it does accept there, with
//!   another message's body, is `decode_error`. A server accepts its own
//!   shape's next message only (it chose whether to ask for a
//!   certificate); a client, which cannot know yet, accepts whatever the
//!   table lets follow on a path of its kind (after EncryptedExtensions a
//!   CertificateRequest or a Certificate; resumed, which the ServerHello
//!   said, the server's Finished only).
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
//!
//! After the handshake (the sections at the end): post-handshake messages
//! out of place, on an established connection and in place of the peer's
//! Finished, each with its error and alert; and post-handshake client
//! authentication (RFC 8446 4.6.2) as a path of its own, every mutation of
//! either side's part of it checked against a model of its exchange.

mod common;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock};

use common::ClientAuthPki;
use common::reseal::{self, Logged};
use rustls_pki_types::ServerName;
use tlstate::crypto::WebPkiClientVerifier;
use tlstate::crypto::tls13::{Secret, TLS13_CIPHER_SUITES, Tls13CipherSuite, lookup_tls13};
use tlstate::driver::{ClientDriver, Driver, Event, ServerDriver};
use tlstate::enums::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, NamedGroup, ProtocolVersion,
};
use tlstate::error::{Error, InvalidMessage};
use tlstate::handshake::tls13::table::{self as tls13_table, SHAPES};
use tlstate::handshake::{CertifiedKey, ClientCertPolicy, ClientConfig, ServerConfig};
use tlstate::message::tls13::{
    CertificateRequestTls13, CertificateTls13, NewSessionTicketTls13, PayloadTls13,
};
use tlstate::session::{ClientSessionStore, InMemorySessionStore, Ticketer};

/// Every TLS 1.3 suite the crate implements: each shape runs under each.
fn suites() -> impl Iterator<Item = CipherSuite> {
    TLS13_CIPHER_SUITES.iter().map(|suite| suite.suite)
}

/// The handshake types of RFC 8446 4: a retyped message gets each of
/// these but its own (`message_hash`, 254, is never sent on the wire).
const TLS13_TYPES: [u8; 11] = [1, 2, 4, 5, 8, 11, 13, 15, 20, 24, 254];

/// The compatibility ChangeCipherSpec.
const CCS_RECORD: [u8; 6] = [20, 3, 3, 0, 1, 1];
/// A ChangeCipherSpec whose body is not 1.
const BAD_CCS_RECORD: [u8; 6] = [20, 3, 3, 0, 1, 2];
/// A plaintext fatal handshake_failure alert.
const ALERT_RECORD: [u8; 7] = [21, 3, 3, 0, 2, 2, 40];
/// An application_data record of garbage (too short to hold a tag).
const GARBAGE_RECORD: [u8; 10] = [23, 3, 3, 0, 5, b'e', b'a', b'r', b'l', b'y'];

/// Whether `shape` is a 0-RTT one (`1.3-early`, `1.3-early+ccs`).
fn is_early(shape: &str) -> bool {
    shape.starts_with("1.3-early")
}

/// What a 0-RTT client sends as early data: one record.
const EARLY_DATA: &[u8] = b"0-RTT request";

/// One shape of [`SHAPES`] under one suite.
#[derive(Clone, Copy, Debug)]
struct Setup {
    shape: &'static str,
    suite: CipherSuite,
}

/// A CA with a server and a client certificate, made once per binary.
fn pki() -> &'static ClientAuthPki {
    static PKI: OnceLock<ClientAuthPki> = OnceLock::new();
    PKI.get_or_init(|| ClientAuthPki::new("tlstate TLS 1.3 ordering CA"))
}

/// The configurations that make both sides take `setup`'s shape, and the
/// server's client-certificate policy if the shape has a
/// CertificateRequest. Every shape of [`SHAPES`] must have one.
fn configs(setup: Setup) -> (ClientConfig, ServerConfig, Option<ClientCertPolicy>) {
    let p = pki();
    let mut client = (*p.pki.client_config()).clone();
    let mut server = (*p.pki.server_config(&p.server)).clone();
    client.versions = vec![ProtocolVersion::Tls13];
    server.versions = vec![ProtocolVersion::Tls13];
    client.cipher_suites = vec![setup.suite];
    server.cipher_suites = vec![setup.suite];
    client.session_store = None;
    let compat = setup.shape.ends_with("+ccs");
    client.middlebox_compat = compat;
    server.middlebox_compat = compat;
    let base = setup.shape.strip_suffix("+ccs").unwrap_or(setup.shape);
    // The resumed shapes: the server issues tickets from one ticketer, and
    // the client holds one fresh ticket of it (from a full handshake made
    // just now), offered in its ClientHello.
    let resumed = base.ends_with("resumed") || is_early(base);
    if resumed {
        server.ticketer = Some(ticketer());
    }
    // 0-RTT: tickets allowing it, a client sending it.
    if is_early(base) {
        server.max_early_data_size = 1024;
        client.enable_early_data = true;
    }
    // The runs' servers send no tickets: what the victim client receives
    // is the handshake, nothing after it.
    server.tls13_tickets = 0;
    let base = match base {
        "1.3-resumed" | "1.3-early" => "1.3-full",
        "1.3-hrr+resumed" => "1.3-hrr",
        other => other,
    };
    // (HelloRetryRequest, client authentication: with a certificate or not)
    let (hrr, auth) = match base {
        "1.3-full" => (false, None),
        "1.3-hrr" => (true, None),
        "1.3-client-auth" => (false, Some(true)),
        "1.3-no-cert" => (false, Some(false)),
        "1.3-hrr+client-auth" => (true, Some(true)),
        "1.3-hrr+no-cert" => (true, Some(false)),
        other => panic!("no setup for the shape {other:?}"),
    };
    if hrr {
        // The client's one key share is x25519's, which the server does
        // not take; both support P-256, so the server asks again.
        client.groups = vec![NamedGroup::X25519, NamedGroup::secp256r1];
        server.groups = vec![NamedGroup::secp256r1];
    }
    let policy = auth.map(|with_certificate| {
        if with_certificate {
            client.client_certificate =
                Some(CertifiedKey::new(p.client.chain.clone(), &p.client.key).unwrap());
        }
        ClientCertPolicy {
            verifier: Arc::new(WebPkiClientVerifier::new(std::slice::from_ref(&p.pki.ca)).unwrap()),
            required: with_certificate,
        }
    });
    if resumed {
        client.session_store = Some(ticketed_store(&client, &server));
    }
    (client, server, policy)
}

/// The ticketer of every resumed shape's server.
fn ticketer() -> Arc<Ticketer> {
    static TICKETER: OnceLock<Arc<Ticketer>> = OnceLock::new();
    TICKETER
        .get_or_init(|| Arc::new(Ticketer::new(3600, 3600).unwrap()))
        .clone()
}

/// A store holding one ticket from `server` for `client`: a full
/// handshake between the two in memory, then the server's tickets read.
fn ticketed_store(client: &ClientConfig, server: &ServerConfig) -> Arc<InMemorySessionStore> {
    let store = Arc::new(InMemorySessionStore::new(4));
    let mut client = client.clone();
    client.session_store = Some(store.clone());
    let mut server = server.clone();
    server.tls13_tickets = 1;
    let mut c = ClientDriver::new(Arc::new(client), ServerName::try_from("localhost").unwrap());
    let mut s = ServerDriver::new(Arc::new(server));
    for _ in 0..8 {
        while let Some(bytes) = c.poll_output() {
            assert_eq!(s.handle_input(&bytes), bytes.len());
        }
        while let Some(bytes) = s.poll_output() {
            assert_eq!(c.handle_input(&bytes), bytes.len());
        }
    }
    // Reading makes the client take the tickets that followed the
    // handshake.
    let _ = c.read(&mut [0u8; 16]);
    assert!(!c.is_handshaking() && !s.is_handshaking());
    let ticket = store
        .take_tls13("localhost")
        .expect("the client kept a ticket");
    store.put_tls13("localhost", ticket);
    store
}

/// The live peer's handshake traffic keys, from its key log: to read its
/// protected records and to seal a retyped message in place of one, so
/// that the victim's AEAD passes and its handshake layer sees the change.
struct PeerKeys {
    suite: &'static Tls13CipherSuite,
    secrets: Arc<Logged>,
    label: &'static str,
    /// The peer is a client sending 0-RTT data: its first protected
    /// records (the early data, then its EndOfEarlyData) are under its
    /// early traffic key, the rest under `label`.
    early: bool,
}

/// The key log label of a client's 0-RTT key.
const EARLY_LABEL: &str = "CLIENT_EARLY_TRAFFIC_SECRET";

impl PeerKeys {
    fn new(setup: Setup, peer_is_client: bool) -> Self {
        Self {
            suite: lookup_tls13(setup.suite).expect("a TLS 1.3 suite"),
            secrets: Arc::default(),
            label: match peer_is_client {
                true => "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                false => "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            },
            early: peer_is_client && is_early(setup.shape),
        }
    }

    fn secret(&self, label: &str) -> Secret {
        self.secrets.secret(self.suite, label)
    }

    /// The key (its label) and sequence number of the peer's protected
    /// record `index` of `live`: one key for them all, or, for a client's
    /// 0-RTT, the early key up to and including the EndOfEarlyData.
    fn key_of(&self, live: &[Vec<u8>], index: usize) -> (&'static str, u64) {
        let mut label = if self.early { EARLY_LABEL } else { self.label };
        let mut seq = 0;
        for record in live[..index].iter().filter(|r| r[0] == 23) {
            let (typ, content) = reseal::open(record, &self.secret(label), self.suite, seq);
            seq += 1;
            if label == EARLY_LABEL && typ == ContentType::Handshake && content[0] == 5 {
                (label, seq) = (self.label, 0);
            }
        }
        (label, seq)
    }

    /// The inner content type and content of the peer's protected record
    /// `index` of `live`.
    fn open(&self, live: &[Vec<u8>], index: usize) -> (ContentType, Vec<u8>) {
        let (label, seq) = self.key_of(live, index);
        reseal::open(&live[index], &self.secret(label), self.suite, seq)
    }

    /// `record` (the peer's record `index` of `live`) with its handshake
    /// message's type byte set to `typ`: in the header of a plaintext
    /// record; inside a protected one, sealed again at its own sequence
    /// number.
    fn retype(&self, live: &[Vec<u8>], index: usize, typ: u8) -> Vec<u8> {
        let record = &live[index];
        match record[0] {
            22 => {
                let mut record = record.clone();
                record[5] = typ;
                record
            }
            23 => {
                let (label, seq) = self.key_of(live, index);
                let (inner, mut content) = self.open(live, index);
                assert_eq!(inner, ContentType::Handshake, "a handshake message");
                content[0] = typ;
                reseal::seal(&content, inner, &self.secret(label), self.suite, seq)
            }
            other => panic!("record {index} of type {other} has no handshake type"),
        }
    }
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
    /// A fresh side of `setup`; `key_log` receives its secrets.
    fn new(is_client: bool, setup: Setup, key_log: Option<Arc<Logged>>) -> Self {
        let (mut client, mut server, policy) = configs(setup);
        if let Some(log) = key_log {
            client.key_log = Some(log.clone());
            server.key_log = Some(log);
        }
        let name = ServerName::try_from("localhost").unwrap();
        match (is_client, policy) {
            (true, _) if is_early(setup.shape) => Self::Client(ClientDriver::with_early_data(
                Arc::new(client),
                name,
                EARLY_DATA,
            )),
            (true, _) => Self::Client(ClientDriver::new(Arc::new(client), name)),
            (false, None) => Self::Server(ServerDriver::new(Arc::new(server))),
            (false, Some(policy)) => Self::Server(ServerDriver::requesting_client_cert(
                Arc::new(server),
                policy,
            )),
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
    /// That record with its handshake message's type byte changed to
    /// this one (sealed again under the live keys if it is protected).
    Retype(usize, u8),
    Inject(&'static [u8]),
}

struct Mutation {
    class: &'static str,
    name: String,
    plan: Vec<Item>,
}

/// Every mutation of a legal sequence of `n` records, of which
/// `handshake` lists those that carry a handshake message (plaintext or
/// protected) with that message's type: drop one, duplicate one, swap two adjacent, inject each of
/// four records (a plaintext alert, garbage application data, a compat
/// ChangeCipherSpec, a ChangeCipherSpec of body 2) at each of the `n + 1`
/// positions, and retype each handshake message to each of the other ten
/// types of [`TLS13_TYPES`]: `7 n + 3 + 10 h`.
fn mutations(n: usize, handshake: &[(usize, u8)]) -> Vec<Mutation> {
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
    for &(i, own) in handshake {
        for typ in TLS13_TYPES.into_iter().filter(|typ| *typ != own) {
            let mut plan = legal.clone();
            plan[i] = Item::Retype(i, typ);
            out.push(Mutation {
                class: "retype",
                name: format!("retype record {i} to handshake type {typ}"),
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
    /// The live peer's keys, to read its records.
    keys: PeerKeys,
}

fn run(setup: Setup, victim_is_client: bool, plan: &[Item], reference: &[Vec<u8>]) -> Run {
    let keys = PeerKeys::new(setup, !victim_is_client);
    let mut victim = Side::new(victim_is_client, setup, None);
    let mut peer = Side::new(!victim_is_client, setup, Some(keys.secrets.clone()));
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
                Item::Retype(i, typ) => match (live.get(i), reference.get(i)) {
                    (Some(_), _) => (keys.retype(&live, i, typ), true),
                    // Not written yet: the reference's bytes, retyped
                    // where that needs no key (they open under none).
                    (None, Some(bytes)) => {
                        let mut bytes = bytes.clone();
                        if bytes[0] == 22 {
                            bytes[5] = typ;
                        }
                        (bytes, false)
                    }
                    (None, None) => break,
                },
                Item::Inject(bytes) => (bytes.to_vec(), true),
            };
            delivered.push((bytes.clone(), is_live));
            victim.feed(&bytes);
            for event in victim.events() {
                match event {
                    Event::HandshakeDone(_) => over_at = Some(j),
                    // A 0-RTT client's outcome, just before HandshakeDone:
                    // only the legal sequence gets there, accepted.
                    Event::EarlyData(outcome) => assert!(outcome.accepted, "{outcome:?}"),
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
        keys,
    }
}

// --- the model ----------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    UnexpectedMessage,
    BadRecordMac,
    IllegalParameter,
    DecodeError,
    /// A PSK binder that does not verify (RFC 8446 4.2.11.2).
    DecryptError,
    /// The peer's alert, as the victim read it: nothing is owed back.
    Received(AlertLevel, AlertDescription),
}

impl Kind {
    fn alert(self) -> Option<AlertDescription> {
        match self {
            Self::UnexpectedMessage => Some(AlertDescription::UnexpectedMessage),
            Self::BadRecordMac => Some(AlertDescription::BadRecordMac),
            Self::IllegalParameter => Some(AlertDescription::IllegalParameter),
            Self::DecodeError => Some(AlertDescription::DecodeError),
            Self::DecryptError => Some(AlertDescription::DecryptError),
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
            Self::DecodeError => matches!(error, Error::InvalidMessage(_)),
            Self::DecryptError => matches!(
                error,
                Error::PeerMisbehaved(tlstate::error::PeerMisbehaved::IncorrectFinished)
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
    /// Whether the shape resumes a ticket: its second ClientHello's binder
    /// then covers the HelloRetryRequest (RFC 8446 4.2.11.2).
    resumed: bool,
    /// The live records that are 0-RTT data, not handshake messages (they
    /// open like the rest, but T7's accepted types skip them).
    early_data: Vec<usize>,
    /// The victim is a client that sent 0-RTT data: it writes under its
    /// early key from its ClientHello on, so its alert is sealed even
    /// before the ServerHello.
    sealed_from_the_start: bool,
}

/// For each of the peer's protected handshake messages on the shape's
/// path, in order, the handshake types the victim accepts in its place
/// (T7). A server chose its shape: it accepts the path's message only
/// (RFC 8446 4.4.2: a client that was asked must send a Certificate, one
/// that was not must not). A client cannot tell which shape the server
/// chose until it reads: it accepts every message the table lets follow
/// the state before (after EncryptedExtensions a CertificateRequest or a
/// Certificate, RFC 8446 4.3.2), passing over ChangeCipherSpec rows.
fn accepted_protected(path: &[&str], victim_is_client: bool) -> Vec<Vec<u8>> {
    let peer = if victim_is_client { "S" } else { "C" };
    let row = |name: &str| tls13_table::row(name).expect("a shape names table rows");
    let is_peer_message = |name: &str| {
        row(name).writer.letter() == peer && row(name).record == ContentType::Handshake
    };
    let message = |name: &str| row(name).message.expect("a handshake row").to_wire();
    let first = path
        .iter()
        .position(|name| *name == "ServerHello")
        .expect("every shape has a ServerHello")
        + 1;
    let mut out = Vec::new();
    for at in first..path.len() {
        if !is_peer_message(path[at]) {
            continue;
        }
        if !victim_is_client {
            out.push(vec![message(path[at])]);
            continue;
        }
        let mut accepted = Vec::new();
        let mut from = vec![path[at - 1]];
        while let Some(state) = from.pop() {
            for next in row(state).next {
                if row(next).record == ContentType::ChangeCipherSpec {
                    from.push(next);
                } else if is_peer_message(next)
                    && same_kind_step(path, state, next)
                    && !accepted.contains(&message(next))
                {
                    accepted.push(message(next));
                }
            }
        }
        out.push(accepted);
    }
    out
}

/// Whether a shape of `path`'s kind (resumed or full: the client knows
/// which from the ServerHello, RFC 8446 4.2.11) goes from `state` to
/// `next`: after EncryptedExtensions a resumed client accepts only the
/// server's Finished, a full one a CertificateRequest or a Certificate.
fn same_kind_step(path: &[&str], state: &str, next: &str) -> bool {
    let resumed = |path: &[&str]| !path.contains(&"ServerCert");
    SHAPES
        .iter()
        .filter(|(_, _, other)| resumed(other) == resumed(path))
        .any(|(_, _, other)| other.windows(2).any(|w| w[0] == state && w[1] == next))
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
        resumed: false,
        early_data: Vec::new(),
        sealed_from_the_start: false,
    }
}

fn predict(
    plan: &[Item],
    delivered: &[(Vec<u8>, bool)],
    legal: &Legal,
    accepted: &[Vec<u8>],
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
            // the moment they start reading protected records; a 0-RTT
            // client under its early key before that.
            sealed: protected || legal.sealed_from_the_start,
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
                // The live peer's next protected record, if one is due.
                let due = match nothing_opens || !*live || over_at.is_some() {
                    true => None,
                    false => legal.protected.get(protected_taken).copied(),
                };
                if let (Some(due), Item::Retype(i, typ)) = (due, *item)
                    && i == due
                {
                    // It opens, and holds another type than the peer sent.
                    let message = legal.protected[..protected_taken]
                        .iter()
                        .filter(|i| !legal.early_data.contains(i))
                        .count();
                    return match accepted
                        .get(message)
                        .is_some_and(|types| types.contains(&typ))
                    {
                        true => fail(Kind::DecodeError, "T7 another message's body"),
                        false => fail(Kind::UnexpectedMessage, "T7 protected message out of order"),
                    };
                }
                let opens = due.is_some_and(|due| *item == Item::Orig(due));
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
                } else if !victim_is_client
                    && !hello_seen
                    && legal.resumed
                    && matches!(item, Item::Orig(i) if *i > 0)
                {
                    // A second ClientHello (the only ClientHello a client
                    // writes after its first record) read as a first: its
                    // binder was computed over the HelloRetryRequest too,
                    // so it does not verify over the hello alone (RFC 8446
                    // 4.2.11.2).
                    return fail(
                        Kind::DecryptError,
                        "T5 a second ClientHello's binder read without the HelloRetryRequest",
                    );
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
    /// The received records that carry a handshake message.
    h: usize,
    checked: usize,
    outcomes: BTreeMap<(&'static str, String), usize>,
    failures: Vec<String>,
}

fn shape_path(shape: &str) -> &'static [&'static str] {
    SHAPES
        .iter()
        .find(|(name, _, _)| *name == shape)
        .map(|(_, _, path)| *path)
        .expect("a shape of SHAPES")
}

/// The records `path` has the victim's peer write, in order: the outer
/// content type, and the handshake type (inside the protection from the
/// ServerHello on).
fn path_records(shape: &str, path: &[&str], victim_is_client: bool) -> Vec<(u8, Option<u8>)> {
    let mut records = table_path_records(path, victim_is_client);
    // 0-RTT (the table's doc): the client's compatibility ChangeCipherSpec
    // and its early data (one record here) go right after its ClientHello.
    if is_early(shape) && !victim_is_client {
        let mut after_hello = vec![(23, None)];
        if shape.ends_with("+ccs") {
            after_hello.insert(0, (20, None));
        }
        records.splice(1..1, after_hello);
    }
    records
}

/// [`path_records`] as the table's rows give them.
fn table_path_records(path: &[&str], victim_is_client: bool) -> Vec<(u8, Option<u8>)> {
    let peer = if victim_is_client { "S" } else { "C" };
    let keys_change = path
        .iter()
        .position(|name| *name == "ServerHello")
        .expect("every shape has a ServerHello");
    path.iter()
        .enumerate()
        .map(|(at, name)| (at, tls13_table::row(name).expect("a table row")))
        .filter(|(_, row)| row.writer.letter() == peer)
        .map(|(at, row)| match (row.record, row.message) {
            (ContentType::ChangeCipherSpec, None) => (20, None),
            (ContentType::Handshake, Some(message)) => match at <= keys_change {
                true => (22, Some(message.to_wire())),
                false => (23, Some(message.to_wire())),
            },
            other => panic!("no model for {other:?}"),
        })
        .collect()
}

/// What the peer wrote in `live`, read as [`path_records`] describes it
/// (protected records opened with the peer's logged keys); each record
/// holds one whole message.
fn observed_records(live: &[Vec<u8>], keys: &PeerKeys) -> Vec<(u8, Option<u8>)> {
    let whole = |message: &[u8]| {
        message.len() >= 4
            && message.len() == 4 + usize::from(message[2]) * 256 + usize::from(message[3])
            && message[1] == 0
    };
    live.iter()
        .enumerate()
        .map(|(index, record)| match record[0] {
            22 => {
                assert!(whole(&record[5..]), "one message per plaintext record");
                (22, Some(record[5]))
            }
            23 => {
                let (typ, content) = keys.open(live, index);
                // 0-RTT data: protected application data, no message.
                if keys.early && typ == ContentType::ApplicationData {
                    return (23, None);
                }
                assert_eq!(typ, ContentType::Handshake, "a protected handshake record");
                assert!(whole(&content), "one message per protected record");
                (23, Some(content[0]))
            }
            other => (other, None),
        })
        .collect()
}

fn oracle(setup: Setup, victim_is_client: bool) -> Report {
    let role = if victim_is_client { "client" } else { "server" };
    let Setup { shape, suite } = setup;
    let n_guess = 16;
    let legal_plan: Vec<Item> = (0..n_guess).map(Item::Orig).collect();
    // The legal run: the plan names more records than the peer writes, so
    // every live record is delivered; the reference is what it wrote.
    let first = run(setup, victim_is_client, &legal_plan, &[]);
    let reference = first.live.clone();
    let n = reference.len();
    assert!(n < n_guess);
    // The run really is the shape: the peer wrote the path's records, in
    // order, each message of the path's type.
    let path = shape_path(shape);
    let observed = observed_records(&reference, &first.keys);
    assert_eq!(
        observed,
        path_records(shape, path, victim_is_client),
        "{shape} {suite:?}: the {role}'s peer did not write the shape's records"
    );
    let handshake: Vec<(usize, u8)> = observed
        .iter()
        .enumerate()
        .filter_map(|(i, (_, typ))| typ.map(|typ| (i, typ)))
        .collect();
    let accepted = accepted_protected(path, victim_is_client);
    let mut report = Report {
        n,
        h: handshake.len(),
        checked: 0,
        outcomes: BTreeMap::new(),
        failures: Vec::new(),
    };
    let legal_mutation = Mutation {
        class: "legal",
        name: "the legal sequence".into(),
        plan: (0..n).map(Item::Orig).collect(),
    };
    for mutation in std::iter::once(legal_mutation).chain(mutations(n, &handshake)) {
        let run = run(setup, victim_is_client, &mutation.plan, &reference);
        let mut model = legal(&run.live);
        model.resumed = shape.contains("resumed");
        model.early_data = (0..n).filter(|&i| observed[i] == (23, None)).collect();
        model.sealed_from_the_start = victim_is_client && is_early(shape);
        let expect = predict(
            &mutation.plan,
            &run.delivered,
            &model,
            &accepted,
            victim_is_client,
        );
        let mut fail = |why: String| {
            report
                .failures
                .push(format!("{shape} {suite:?} {role} {}: {why}", mutation.name));
        };
        if mutation.class == "legal" && expect != (Expect::Over { at: n - 1 }) {
            fail(format!("the legal sequence is predicted as {expect:?}"));
        }
        // Independently of the model: only a plan whose handshake records
        // all came in order, unchanged, with nothing but compat CCSs among
        // them (RFC 8446 5), may reach HandshakeOver.
        if let Actual::Took { over_at: Some(at) } = run.actual {
            let heard: Vec<Item> = mutation.plan[..=at]
                .iter()
                .filter(|item| match item {
                    Item::Orig(i) => reference[*i][0] != 20,
                    Item::Retype(..) => true,
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
        "{shape} {suite:?}, {role} under test: {n} records received ({} handshake), \
         {} mutations checked",
        report.h, report.checked
    );
    for ((class, outcome), count) in &report.outcomes {
        println!("    {class:9} {outcome:40} {count}");
    }
    report
}

fn run_every_shape(victim_is_client: bool) {
    let mut failures = Vec::new();
    let mut total = 0;
    let mut outcomes: BTreeMap<(&str, String), usize> = BTreeMap::new();
    for (shape, _, _) in SHAPES {
        for suite in suites() {
            let report = oracle(Setup { shape, suite }, victim_is_client);
            assert_eq!(
                report.checked,
                7 * report.n + 3 + 10 * report.h,
                "7 n + 3 + 10 h mutations"
            );
            total += report.checked;
            for (key, count) in report.outcomes {
                *outcomes.entry(key).or_default() += count;
            }
            failures.extend(report.failures);
        }
    }
    let role = if victim_is_client { "client" } else { "server" };
    println!(
        "{role} under test: {total} mutations checked over {} shapes x {} suites",
        SHAPES.len(),
        suites().count()
    );
    for ((class, outcome), count) in &outcomes {
        println!("    {class:9} {outcome:40} {count}");
    }
    assert!(
        failures.is_empty(),
        "{} runs broke the model:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn tls13_client_rejects_every_mutation_of_the_server_flights() {
    run_every_shape(true);
}

#[test]
fn tls13_server_rejects_every_mutation_of_the_client_flights() {
    run_every_shape(false);
}

#[test]
fn mutation_count_is_7n_plus_3_plus_10h() {
    for n in 1..8 {
        let handshake: Vec<(usize, u8)> = (0..n).step_by(2).map(|i| (i, 20)).collect();
        assert_eq!(
            mutations(n, &handshake).len(),
            7 * n + 3 + 10 * handshake.len()
        );
    }
}

// --- post-handshake messages out of place --------------------------------
//
// After the handshake (RFC 8446 4.6) a server may send NewSessionTicket,
// KeyUpdate and, to a client that offered post_handshake_auth, a
// CertificateRequest; a client may send KeyUpdate and, answering a
// CertificateRequest, Certificate, CertificateVerify and Finished. Each
// case below puts one such message where it does not belong (from the
// wrong side, not asked for, before the peer's Finished, or with a value
// RFC 8446 forbids), sealed under the sender's real keys (from the key
// log) at the sequence number the receiver expects next, so the AEAD
// passes and the receiver's handshake rules meet the message; and checks
// the error, the alert `Error::alert` gives it, and that alert on the
// wire: one protected record, which the live peer reads as that fatal
// alert.

/// What [`Live::pump`] does to the victim's peer's flights.
type Rewrite<'a> = dyn FnMut(&Live, Vec<Vec<u8>>) -> Vec<u8> + 'a;

/// Our client and our server drivers, in memory, both logging into one
/// key log (their labels differ).
struct Live {
    client: ClientDriver,
    server: ServerDriver,
    log: Arc<Logged>,
    suite: &'static Tls13CipherSuite,
    /// The peer's records under its current protected key (of the one
    /// whose label the run uses).
    client_seq: u64,
    server_seq: u64,
    /// How the live peer failed, if it did (in [`Live::pump`]).
    peer_failed: Option<Error>,
}

/// A fresh pair of `shape` (a TLS 1.3 shape of [`SHAPES`] without
/// resumption) under `suite`; the client offers post_handshake_auth, with
/// its certificate, if `offer_pha`.
fn live(shape: &'static str, suite: CipherSuite, offer_pha: bool) -> Live {
    live_with(shape, suite, offer_pha, offer_pha)
}

/// As [`live`]; the client has its certificate if `with_certificate`
/// (or the shape gives it one).
fn live_with(
    shape: &'static str,
    suite: CipherSuite,
    offer_pha: bool,
    with_certificate: bool,
) -> Live {
    let (mut client, mut server, policy) = configs(Setup { shape, suite });
    let log = Arc::new(Logged::default());
    client.key_log = Some(log.clone());
    server.key_log = Some(log.clone());
    client.post_handshake_auth = offer_pha;
    if with_certificate && client.client_certificate.is_none() {
        let p = pki();
        client.client_certificate =
            Some(CertifiedKey::new(p.client.chain.clone(), &p.client.key).unwrap());
    }
    let client = ClientDriver::new(Arc::new(client), ServerName::try_from("localhost").unwrap());
    let server = match policy {
        None => ServerDriver::new(Arc::new(server)),
        Some(policy) => ServerDriver::requesting_client_cert(Arc::new(server), policy),
    };
    Live {
        client,
        server,
        log,
        suite: lookup_tls13(suite).unwrap(),
        client_seq: 0,
        server_seq: 0,
        peer_failed: None,
    }
}

fn drain_output<S: tlstate::driver::AnyState>(driver: &mut Driver<S>) -> Vec<u8> {
    std::iter::from_fn(|| driver.poll_output())
        .flatten()
        .collect()
}

/// The driver's events, the data it received read out; the failure, if
/// any.
fn drain_events<S: tlstate::driver::AnyState>(driver: &mut Driver<S>) -> Option<Error> {
    let mut failed = None;
    while let Some(event) = driver.poll_event() {
        match event {
            Event::DataReadable => while matches!(driver.read(&mut [0; 4096]), Ok(1..)) {},
            Event::Failed(error) => failed = Some(error),
            Event::HandshakeDone(_) => {}
            other => panic!("unexpected event {other:?}"),
        }
    }
    failed
}

/// How the victim refused what it was fed.
#[derive(Debug)]
struct Refusal {
    error: Error,
    /// What it wrote after the failure.
    output: Vec<u8>,
    /// How the live peer read that.
    peer_read: Option<Error>,
}

/// What the RFC says the victim does with the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refuse {
    /// unexpected_message, naming the message's type (RFC 8446 4.6, 4.6.2,
    /// 4.6.3, 6).
    Unexpected(tlstate::enums::HandshakeType),
    /// illegal_parameter (a KeyUpdate's request_update, RFC 8446 4.6.3).
    IllegalParameter,
    /// decode_error: the body is not one of its type (RFC 8446 6).
    Decode,
    /// unexpected_message: a KeyUpdate with more of the record after it
    /// (RFC 8446 5.1: a key change on a record boundary), named as the
    /// handshake record it straddles.
    KeyChangeInsideRecord,
}

impl Refuse {
    fn alert(self) -> AlertDescription {
        match self {
            Self::Unexpected(_) | Self::KeyChangeInsideRecord => {
                AlertDescription::UnexpectedMessage
            }
            Self::IllegalParameter => AlertDescription::IllegalParameter,
            Self::Decode => AlertDescription::DecodeError,
        }
    }

    fn matches(self, error: &Error) -> bool {
        match self {
            Self::Unexpected(typ) => matches!(
                error,
                Error::UnexpectedMessage { got: tlstate::error::Received::Handshake(got), .. }
                    if *got == typ
            ),
            Self::IllegalParameter => matches!(
                error,
                Error::PeerMisbehaved(tlstate::error::PeerMisbehaved::IllegalParameter(_))
            ),
            Self::Decode => matches!(error, Error::InvalidMessage(_)),
            Self::KeyChangeInsideRecord => matches!(
                error,
                Error::UnexpectedMessage {
                    got: tlstate::error::Received::Record(ContentType::Handshake),
                    ..
                }
            ),
        }
    }

    /// Whether `refusal` is this one: the error, its alert, and that alert
    /// as one protected record the live peer reads as it.
    fn check(self, refusal: &Option<Refusal>) -> Result<(), String> {
        let Some(Refusal {
            error,
            output,
            peer_read,
        }) = refusal
        else {
            return Err("the victim took it".into());
        };
        if !self.matches(error) {
            return Err(format!("error {error:?}, expected {self:?}"));
        }
        if error.alert() != Some(self.alert()) {
            return Err(format!("{error:?} sends {:?}", error.alert()));
        }
        let recs = records(output);
        if recs.len() != 1 || recs[0][0] != 23 {
            return Err(format!("output is not one protected record: {output:?}"));
        }
        let fatal = Error::AlertReceived {
            level: AlertLevel::Fatal,
            description: self.alert(),
        };
        match peer_read {
            Some(read) if *read == fatal => Ok(()),
            other => Err(format!("the peer read the alert as {other:?}")),
        }
    }
}

impl Live {
    /// Moves every flight both ways until neither side writes. The
    /// victim's peer's flights pass through `rewrite` (records in, bytes
    /// out) first; the run stops at the victim's failure (returned), or
    /// the live peer's (kept in `peer_failed`).
    fn pump(&mut self, victim_is_client: bool, rewrite: &mut Rewrite<'_>) -> Option<Refusal> {
        for _ in 0..16 {
            let mut moved = false;
            for client_writes in [true, false] {
                let flight = match client_writes {
                    true => drain_output(&mut self.client),
                    false => drain_output(&mut self.server),
                };
                if flight.is_empty() {
                    continue;
                }
                moved = true;
                let to_victim = client_writes != victim_is_client;
                let flight = match to_victim {
                    true => rewrite(self, records(&flight)),
                    false => flight,
                };
                let failed = match client_writes {
                    true => {
                        assert_eq!(self.server.handle_input(&flight), flight.len());
                        drain_events(&mut self.server)
                    }
                    false => {
                        assert_eq!(self.client.handle_input(&flight), flight.len());
                        drain_events(&mut self.client)
                    }
                };
                match (failed, to_victim) {
                    (None, _) => {}
                    (Some(error), true) => return Some(self.refusal(victim_is_client, error)),
                    (Some(error), false) => {
                        self.peer_failed = Some(error);
                        return None;
                    }
                }
            }
            if !moved {
                return None;
            }
        }
        panic!("the sides go on writing")
    }

    /// The victim failed with `error`: what it wrote, and how the peer
    /// read that.
    fn refusal(&mut self, victim_is_client: bool, error: Error) -> Refusal {
        let (output, peer_read) = match victim_is_client {
            true => {
                let output = drain_output(&mut self.client);
                assert_eq!(self.server.handle_input(&output), output.len());
                (output, drain_events(&mut self.server))
            }
            false => {
                let output = drain_output(&mut self.server);
                assert_eq!(self.client.handle_input(&output), output.len());
                (output, drain_events(&mut self.client))
            }
        };
        Refusal {
            error,
            output,
            peer_read,
        }
    }

    /// The handshake, unchanged, then one application record each way.
    fn establish(&mut self) {
        assert!(self.pump(true, &mut |_, recs| recs.concat()).is_none());
        assert_eq!(self.peer_failed, None);
        assert!(!self.client.is_handshaking() && !self.server.is_handshaking());
        self.client.send(b"ping").unwrap();
        self.server.send(b"pong").unwrap();
        assert!(self.pump(true, &mut |_, recs| recs.concat()).is_none());
        self.client_seq = 1;
        self.server_seq = 1;
    }

    /// The peer's current application traffic secret (`TRAFFIC_SECRET_0`:
    /// these runs update no key).
    fn traffic_secret(&self, client_writes: bool) -> Secret {
        let label = match client_writes {
            true => "CLIENT_TRAFFIC_SECRET_0",
            false => "SERVER_TRAFFIC_SECRET_0",
        };
        self.log.secret(self.suite, label)
    }

    /// `message` sealed as the next handshake record of the victim's peer
    /// on the established connection, fed to the victim; then everything
    /// it leads to.
    fn inject(&mut self, victim_is_client: bool, message: &[u8]) -> Option<Refusal> {
        let client_writes = !victim_is_client;
        let secret = self.traffic_secret(client_writes);
        let seq = match client_writes {
            true => &mut self.client_seq,
            false => &mut self.server_seq,
        };
        let record = reseal::seal(message, ContentType::Handshake, &secret, self.suite, *seq);
        *seq += 1;
        let failed = match victim_is_client {
            true => {
                assert_eq!(self.client.handle_input(&record), record.len());
                drain_events(&mut self.client)
            }
            false => {
                assert_eq!(self.server.handle_input(&record), record.len());
                drain_events(&mut self.server)
            }
        };
        match failed {
            Some(error) => Some(self.refusal(victim_is_client, error)),
            None => self.pump(victim_is_client, &mut |_, recs| recs.concat()),
        }
    }
}

/// A handshake of `shape` in which the victim's peer's Finished is
/// replaced by `message`, sealed in its place (its handshake traffic key,
/// its sequence number).
fn in_place_of_finished(
    shape: &'static str,
    suite: CipherSuite,
    victim_is_client: bool,
    offer_pha: bool,
    message: &[u8],
) -> Option<Refusal> {
    let mut live = live(shape, suite, offer_pha);
    let label = match victim_is_client {
        true => "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        false => "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    };
    let mut seq = 0;
    let mut replaced = false;
    let refusal = live.pump(victim_is_client, &mut |live, recs| {
        let mut out = Vec::new();
        for record in recs {
            if record[0] == 23 && !replaced {
                let secret = live.log.secret(live.suite, label);
                let (typ, content) = reseal::open(&record, &secret, live.suite, seq);
                if typ == ContentType::Handshake && content[0] == 20 {
                    out.extend(reseal::seal(
                        message,
                        ContentType::Handshake,
                        &secret,
                        live.suite,
                        seq,
                    ));
                    replaced = true;
                    // Nothing after the Finished: the flight ends there.
                    break;
                }
                seq += 1;
            }
            out.extend(record);
        }
        out
    });
    assert!(replaced, "{shape}: no Finished was replaced");
    refusal
}

/// A post-handshake message, encoded.
fn message(payload: PayloadTls13) -> Vec<u8> {
    let mut out = Vec::new();
    payload.encode(&mut out);
    out
}

fn new_session_ticket() -> Vec<u8> {
    message(PayloadTls13::NewSessionTicket(NewSessionTicketTls13 {
        lifetime: 3600,
        age_add: 7,
        nonce: vec![0],
        ticket: vec![1; 32],
        extensions: Default::default(),
    }))
}

/// A post-handshake CertificateRequest (a fresh context, RFC 8446 4.3.2)
/// offering ecdsa_secp256r1_sha256.
fn certificate_request() -> Vec<u8> {
    let mut request = CertificateRequestTls13 {
        context: vec![7; 32],
        ..Default::default()
    };
    request.extensions.push(
        tlstate::enums::ExtensionType::SignatureAlgorithms,
        vec![0, 2, 4, 3],
    );
    message(PayloadTls13::CertificateRequest(request))
}

/// A KeyUpdate with `request` as its request_update byte.
fn key_update(request: u8) -> Vec<u8> {
    vec![24, 0, 0, 1, request]
}

/// A Certificate with the client's chain and a context of 32 bytes.
fn certificate() -> Vec<u8> {
    message(PayloadTls13::Certificate(CertificateTls13::from_chain(
        vec![1; 32],
        &pki().client.chain,
    )))
}

fn finished(len: usize) -> Vec<u8> {
    message(PayloadTls13::Finished(
        tlstate::message::tls13::FinishedTls13::new(&vec![9; len]).unwrap(),
    ))
}

/// One message out of place.
struct OutOfPlace {
    name: &'static str,
    victim_is_client: bool,
    /// Whether the client offered post_handshake_auth.
    offer_pha: bool,
    message: fn(&Live) -> Vec<u8>,
    refuse: Refuse,
}

fn established_cases() -> Vec<OutOfPlace> {
    use tlstate::enums::HandshakeType as H;
    vec![
        OutOfPlace {
            name: "a NewSessionTicket from a client (RFC 8446 4.6.1: servers send them)",
            victim_is_client: false,
            offer_pha: false,
            message: |_| new_session_ticket(),
            refuse: Refuse::Unexpected(H::NewSessionTicket),
        },
        OutOfPlace {
            name: "a CertificateRequest from a client (RFC 8446 4.6.2: servers send them)",
            victim_is_client: false,
            offer_pha: true,
            message: |_| certificate_request(),
            refuse: Refuse::Unexpected(H::CertificateRequest),
        },
        OutOfPlace {
            name: "a client Certificate the server did not ask for",
            victim_is_client: false,
            offer_pha: true,
            message: |_| certificate(),
            refuse: Refuse::Unexpected(H::Certificate),
        },
        OutOfPlace {
            name: "a client Finished the server did not ask for",
            victim_is_client: false,
            offer_pha: true,
            message: |live| finished(live.suite.hash.output_len()),
            refuse: Refuse::Unexpected(H::Finished),
        },
        OutOfPlace {
            name: "a client KeyUpdate whose request_update is 2 (RFC 8446 4.6.3)",
            victim_is_client: false,
            offer_pha: false,
            message: |_| key_update(2),
            refuse: Refuse::IllegalParameter,
        },
        OutOfPlace {
            name: "a client KeyUpdate with two bytes of body",
            victim_is_client: false,
            offer_pha: false,
            message: |_| vec![24, 0, 0, 2, 0, 0],
            refuse: Refuse::Decode,
        },
        OutOfPlace {
            name: "a client KeyUpdate with another message after it in its record \
                   (RFC 8446 5.1)",
            victim_is_client: false,
            offer_pha: false,
            message: |_| [key_update(0), key_update(0)].concat(),
            refuse: Refuse::KeyChangeInsideRecord,
        },
        OutOfPlace {
            name: "a server KeyUpdate with another message after it in its record \
                   (RFC 8446 5.1)",
            victim_is_client: true,
            offer_pha: false,
            message: |_| [key_update(1), new_session_ticket()].concat(),
            refuse: Refuse::KeyChangeInsideRecord,
        },
        OutOfPlace {
            name: "a CertificateRequest to a client that did not offer post_handshake_auth \
                   (RFC 8446 4.6.2)",
            victim_is_client: true,
            offer_pha: false,
            message: |_| certificate_request(),
            refuse: Refuse::Unexpected(H::CertificateRequest),
        },
        OutOfPlace {
            name: "a Certificate from the server after the handshake",
            victim_is_client: true,
            offer_pha: true,
            message: |_| certificate(),
            refuse: Refuse::Unexpected(H::Certificate),
        },
        OutOfPlace {
            name: "a Finished from the server after the handshake",
            victim_is_client: true,
            offer_pha: true,
            message: |live| finished(live.suite.hash.output_len()),
            refuse: Refuse::Unexpected(H::Finished),
        },
        OutOfPlace {
            name: "a server KeyUpdate whose request_update is 255 (RFC 8446 4.6.3)",
            victim_is_client: true,
            offer_pha: false,
            message: |_| key_update(255),
            refuse: Refuse::IllegalParameter,
        },
    ]
}

/// A message put in place of the peer's Finished: its name, its
/// encoding, the type it is refused as.
type InPlace = (&'static str, fn() -> Vec<u8>, tlstate::enums::HandshakeType);

/// Messages in place of the peer's Finished, each with the type it is
/// refused as: RFC 8446 4.6.3, a KeyUpdate before the Finished is
/// unexpected_message; so is every other post-handshake message (RFC 8446
/// 4.6: they come after the handshake), a CertificateRequest too although
/// the client offered post_handshake_auth.
fn in_place_of_finished_cases() -> [InPlace; 4] {
    use tlstate::enums::HandshakeType as H;
    [
        (
            "a KeyUpdate (update_not_requested)",
            || key_update(0),
            H::KeyUpdate,
        ),
        (
            "a KeyUpdate (update_requested)",
            || key_update(1),
            H::KeyUpdate,
        ),
        (
            "a NewSessionTicket",
            new_session_ticket,
            H::NewSessionTicket,
        ),
        (
            "a post-handshake CertificateRequest",
            certificate_request,
            H::CertificateRequest,
        ),
    ]
}

#[test]
fn tls13_post_handshake_messages_out_of_place_on_an_established_connection() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for suite in suites() {
        for case in established_cases() {
            let mut live = live("1.3-full", suite, case.offer_pha);
            live.establish();
            let message = (case.message)(&live);
            let refusal = live.inject(case.victim_is_client, &message);
            let role = if case.victim_is_client {
                "client"
            } else {
                "server"
            };
            println!(
                "{suite:?} {role}: {}: {:?}",
                case.name,
                refusal.as_ref().map(|r| &r.error)
            );
            if let Err(why) = case.refuse.check(&refusal) {
                failures.push(format!("{suite:?} {role}: {}: {why}", case.name));
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 3 * established_cases().len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn tls13_post_handshake_messages_in_place_of_the_peers_finished() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for suite in suites() {
        for shape in ["1.3-full", "1.3-client-auth"] {
            for victim_is_client in [true, false] {
                for (name, message, typ) in in_place_of_finished_cases() {
                    let refusal =
                        in_place_of_finished(shape, suite, victim_is_client, true, &message());
                    let role = if victim_is_client { "client" } else { "server" };
                    println!(
                        "{suite:?} {shape} {role}: {name}: {:?}",
                        refusal.as_ref().map(|r| &r.error)
                    );
                    if let Err(why) = Refuse::Unexpected(typ).check(&refusal) {
                        failures.push(format!("{suite:?} {shape} {role}: {name}: {why}"));
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 3 * 2 * 2 * 4);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn tls13_post_handshake_harness_alone_changes_nothing() {
    // A KeyUpdate sealed by the harness where the cases above put theirs
    // is taken (the keys and sequence numbers are the real ones), and one
    // that requests an update is answered with the victim's own.
    for victim_is_client in [true, false] {
        for request in [0, 1] {
            let mut live = live("1.3-full", CipherSuite::TLS13_AES_128_GCM_SHA256, false);
            live.establish();
            let refusal = live.inject(victim_is_client, &key_update(request));
            assert!(refusal.is_none(), "{refusal:?}");
            // The victim's answer, if any, went to the live peer, which
            // took it (the pump panics if the peer fails) and reads what
            // the victim sends next. (The peer does not know of the forged
            // update: its own next record would not open.)
            match victim_is_client {
                true => live.client.send(b"after").unwrap(),
                false => live.server.send(b"after").unwrap(),
            }
            let after = live.pump(victim_is_client, &mut |_, recs| recs.concat());
            assert!(after.is_none(), "{after:?}");
            assert_eq!(live.peer_failed, None);
            // It took the update: the peer's next record, under the key
            // before it, does not open.
            match victim_is_client {
                true => live.server.send(b"old key").unwrap(),
                false => live.client.send(b"old key").unwrap(),
            }
            let old_key = live.pump(victim_is_client, &mut |_, recs| recs.concat());
            assert_eq!(
                old_key.map(|refusal| refusal.error),
                Some(Error::DecryptFailed)
            );
        }
    }
}

// --- post-handshake client authentication, as a path ---------------------
//
// RFC 8446 4.6.2: on an established connection whose client offered
// post_handshake_auth, the server's CertificateRequest is answered by the
// client's Certificate, CertificateVerify (absent when the Certificate is
// empty) and Finished, in that order. The oracle records that exchange
// between our client and our server (after each handshake of
// [`PHA_SHAPES`], under every suite), then feeds the victim each mutation
// of what its peer wrote, sealed again under the peer's application
// traffic key from the sequence number the victim expects next:
//
// - the server under test gets the client's answer with one message
//   dropped, one duplicated, two adjacent ones swapped, or one retyped
//   (its type byte set to each other type of RFC 8446 4, the body kept),
//   each in one record (as our client writes it) and one record per
//   message. Its exchange takes the path's next message only: any other
//   handshake message is unexpected_message, but one retyped as a
//   KeyUpdate, read as a KeyUpdate, is decode_error (its body is not one
//   byte); after the Finished the exchange is over, so a message of it
//   again is unexpected_message. An answer whose messages all arrived, in
//   order, unchanged, authenticates the client; one cut short waits.
// - the client under test gets the server's CertificateRequest dropped
//   (it waits: nothing to answer), duplicated (it answers both; the server,
//   its exchange over after the first answer, refuses the second with
//   unexpected_message), or retyped: a Certificate, CertificateVerify,
//   Finished or any type not sent after the handshake is
//   unexpected_message; a NewSessionTicket or KeyUpdate, read as one, is
//   decode_error.

/// A mutation of the messages of one flight: the index in the genuine
/// flight of each message delivered, with the type byte it then has.
type Plan = Vec<(usize, u8)>;

/// Every mutation of a flight of `types`: `(class, name, plan)`, the
/// genuine flight first.
fn message_mutations(types: &[u8]) -> Vec<(&'static str, String, Plan)> {
    let genuine: Plan = types.iter().copied().enumerate().collect();
    let mut out = vec![("legal", "the genuine flight".to_string(), genuine.clone())];
    for i in 0..types.len() {
        let mut plan = genuine.clone();
        plan.remove(i);
        out.push(("drop", format!("drop message {i}"), plan));
        let mut plan = genuine.clone();
        plan.insert(i + 1, genuine[i]);
        out.push(("duplicate", format!("duplicate message {i}"), plan));
    }
    for i in 1..types.len() {
        let mut plan = genuine.clone();
        plan.swap(i - 1, i);
        out.push(("swap", format!("swap messages {} and {i}", i - 1), plan));
    }
    for i in 0..types.len() {
        for typ in TLS13_TYPES.into_iter().filter(|typ| *typ != types[i]) {
            let mut plan = genuine.clone();
            plan[i].1 = typ;
            out.push(("retype", format!("retype message {i} to {typ}"), plan));
        }
    }
    out
}

/// The messages of a flight of handshake records opened under `secret`
/// from `seq` on, each whole.
fn flight_messages(
    recs: &[Vec<u8>],
    secret: &Secret,
    suite: &Tls13CipherSuite,
    seq: u64,
) -> Vec<Vec<u8>> {
    let mut content = Vec::new();
    for (n, record) in recs.iter().enumerate() {
        let (typ, part) = reseal::open(record, secret, suite, seq + n as u64);
        assert_eq!(typ, ContentType::Handshake);
        content.extend(part);
    }
    let mut out = Vec::new();
    let mut rest = &content[..];
    while !rest.is_empty() {
        let len =
            4 + (usize::from(rest[1]) << 16 | usize::from(rest[2]) << 8 | usize::from(rest[3]));
        out.push(rest[..len].to_vec());
        rest = &rest[len..];
    }
    out
}

/// `plan` of `messages`, sealed under `secret` from `seq` on: in one
/// record, or one record per message.
fn sealed_plan(
    plan: &Plan,
    messages: &[Vec<u8>],
    one_record: bool,
    secret: &Secret,
    suite: &Tls13CipherSuite,
    seq: u64,
) -> Vec<u8> {
    let delivered: Vec<Vec<u8>> = plan
        .iter()
        .map(|&(i, typ)| {
            let mut message = messages[i].clone();
            message[0] = typ;
            message
        })
        .collect();
    if delivered.is_empty() {
        return Vec::new();
    }
    let contents = match one_record {
        true => vec![delivered.concat()],
        false => delivered,
    };
    contents
        .iter()
        .enumerate()
        .flat_map(|(n, content)| {
            reseal::seal(
                content,
                ContentType::Handshake,
                secret,
                suite,
                seq + n as u64,
            )
        })
        .collect()
}

/// What the model says of one plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PhaExpect {
    Refused(Refuse),
    /// The server authenticated the client (a chain or none).
    Authenticated,
    /// Nothing failed, nothing was authenticated.
    Waits,
    /// The client answered each of two requests, and the server refused
    /// the second answer with unexpected_message.
    AnsweredTwice,
}

/// The server's exchange (RFC 8446 4.6.2) reading `plan` of the client's
/// answer, whose genuine types are `path`.
fn predict_server_exchange(plan: &Plan, path: &[u8]) -> PhaExpect {
    let refuse = |typ: u8| match typ {
        24 => PhaExpect::Refused(Refuse::Decode),
        typ => PhaExpect::Refused(Refuse::Unexpected(
            tlstate::enums::HandshakeType::from_wire(typ),
        )),
    };
    let mut next = 0;
    for &(i, typ) in plan {
        if next < path.len() && i == next && typ == path[next] {
            next += 1;
            continue;
        }
        assert!(
            next >= path.len() || typ != path[next],
            "unmodelled: the wanted type with another message's body"
        );
        return refuse(typ);
    }
    match next == path.len() {
        true => PhaExpect::Authenticated,
        false => PhaExpect::Waits,
    }
}

/// The client reading `plan` of the server's one CertificateRequest.
fn predict_client_exchange(plan: &Plan) -> PhaExpect {
    match plan[..] {
        [] => PhaExpect::Waits,
        [(0, 13)] => PhaExpect::Authenticated,
        [(0, 13), (0, 13)] => PhaExpect::AnsweredTwice,
        [(0, 4 | 24)] => PhaExpect::Refused(Refuse::Decode),
        [(0, typ)] => PhaExpect::Refused(Refuse::Unexpected(
            tlstate::enums::HandshakeType::from_wire(typ),
        )),
        _ => panic!("unmodelled plan {plan:?}"),
    }
}

/// One run: an established pair, the server's request (a certificate
/// `required` when the client has one), and `plan` applied to the
/// victim's peer's part of the exchange (in one record or one per
/// message). Returns the outcome as the model names it, or why it is none.
fn pha_run(
    shape: &'static str,
    suite: CipherSuite,
    with_certificate: bool,
    victim_is_client: bool,
    plan: &Plan,
    one_record: bool,
) -> Result<PhaExpect, String> {
    let mut live = live_with(shape, suite, true, with_certificate);
    live.establish();
    let resumed = live.server.summary().is_some_and(|summary| summary.resumed);
    assert_eq!(resumed, shape.contains("resumed"), "{shape}");
    let p = pki();
    let policy = ClientCertPolicy {
        verifier: Arc::new(WebPkiClientVerifier::new(std::slice::from_ref(&p.pki.ca)).unwrap()),
        required: with_certificate,
    };
    live.server.request_client_certificate(policy).unwrap();
    let client_writes = !victim_is_client;
    let label = match client_writes {
        true => "CLIENT_TRAFFIC_SECRET_0",
        false => "SERVER_TRAFFIC_SECRET_0",
    };
    let seq = match client_writes {
        true => live.client_seq,
        false => live.server_seq,
    };
    let mut rewritten = false;
    let refusal = live.pump(victim_is_client, &mut |live, recs| {
        if rewritten {
            return recs.concat();
        }
        rewritten = true;
        let secret = live.log.secret(live.suite, label);
        let messages = flight_messages(&recs, &secret, live.suite, seq);
        sealed_plan(plan, &messages, one_record, &secret, live.suite, seq)
    });
    let authenticated = live.server.post_handshake_auth();
    let outcome = match (refusal, &live.peer_failed) {
        (Some(refusal), None) => {
            let error = refusal.error.clone();
            let refuse = [
                Refuse::Decode,
                Refuse::IllegalParameter,
                Refuse::Unexpected(match &error {
                    Error::UnexpectedMessage {
                        got: tlstate::error::Received::Handshake(typ),
                        ..
                    } => *typ,
                    _ => tlstate::enums::HandshakeType::from_wire(0),
                }),
            ]
            .into_iter()
            .find(|refuse| refuse.matches(&error))
            .ok_or(format!("refused with {error:?}"))?;
            refuse.check(&Some(refusal))?;
            if authenticated.is_some() && !victim_is_client {
                return Err(format!("refused ({error:?}), yet authenticated"));
            }
            PhaExpect::Refused(refuse)
        }
        (None, None) => match authenticated {
            Some(tlstate::connection::PostHandshakeAuth::Certified(_)) if with_certificate => {
                PhaExpect::Authenticated
            }
            Some(tlstate::connection::PostHandshakeAuth::NoCertificate) if !with_certificate => {
                PhaExpect::Authenticated
            }
            Some(other) => return Err(format!("authenticated as {other:?}")),
            None => PhaExpect::Waits,
        },
        (None, Some(Error::UnexpectedMessage { .. })) if victim_is_client => {
            PhaExpect::AnsweredTwice
        }
        (_, Some(error)) => return Err(format!("the live peer failed with {error:?}")),
    };
    Ok(outcome)
}

/// The handshakes after which the post-handshake authentication oracle
/// runs.
const PHA_SHAPES: [&str; 4] = ["1.3-full", "1.3-hrr", "1.3-client-auth", "1.3-resumed"];

fn pha_oracle(victim_is_client: bool) {
    let mut failures = Vec::new();
    let mut outcomes: BTreeMap<(&str, String), usize> = BTreeMap::new();
    let mut checked = 0;
    // After each kind of handshake: full, after a HelloRetryRequest, with
    // client authentication in the handshake (the certificate is asked
    // for again), resumed.
    for (shape, suite) in PHA_SHAPES
        .iter()
        .flat_map(|shape| suites().map(move |suite| (*shape, suite)))
    {
        for with_certificate in [true, false] {
            // The client's certificate does not change what the server's
            // flight is: its mutations run once.
            if victim_is_client && !with_certificate {
                continue;
            }
            // The handshake's client authentication requires one.
            if shape.contains("client-auth") && !with_certificate {
                continue;
            }
            let path: &[u8] = match (victim_is_client, with_certificate) {
                (true, _) => &[13],
                (false, true) => &[11, 15, 20],
                (false, false) => &[11, 20],
            };
            for (class, name, plan) in message_mutations(path) {
                let layouts: &[bool] = match victim_is_client {
                    true => &[true],
                    false => &[true, false],
                };
                for &one_record in layouts {
                    let expect = match victim_is_client {
                        true => predict_client_exchange(&plan),
                        false => predict_server_exchange(&plan, path),
                    };
                    let actual = pha_run(
                        shape,
                        suite,
                        with_certificate,
                        victim_is_client,
                        &plan,
                        one_record,
                    );
                    let layout = if one_record {
                        "one record"
                    } else {
                        "a record each"
                    };
                    if actual.as_ref() != Ok(&expect) {
                        failures.push(format!(
                            "{shape} {suite:?} {path:?} {name} ({layout}): expected {expect:?}, got {actual:?}"
                        ));
                    }
                    *outcomes.entry((class, format!("{expect:?}"))).or_default() += 1;
                    checked += 1;
                }
            }
        }
    }
    let role = if victim_is_client { "client" } else { "server" };
    println!("post-handshake authentication, {role} under test: {checked} runs");
    for ((class, outcome), count) in &outcomes {
        println!("    {class:9} {outcome:50} {count}");
    }
    assert!(
        failures.is_empty(),
        "{} runs broke the model:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn tls13_server_refuses_every_mutation_of_a_post_handshake_answer() {
    pha_oracle(false);
}

#[test]
fn tls13_client_refuses_every_mutation_of_a_post_handshake_request() {
    pha_oracle(true);
}

#[test]
fn tls13_a_key_update_right_behind_the_peers_finished_is_taken() {
    // RFC 8446 4.6.3 refuses a KeyUpdate *before* the Finished; one right
    // behind it, in the same flight (the first record under the peer's
    // application key), is legal: the victim takes it at the record
    // boundary where its reading key changes twice, and answers an
    // update_requested before its next record, which the live peer reads;
    // the peer's next record, under the key before the (forged) update,
    // then does not open.
    for victim_is_client in [true, false] {
        for shape in ["1.3-full", "1.3-client-auth"] {
            let mut live = live(shape, CipherSuite::TLS13_AES_256_GCM_SHA384, false);
            let (hs_label, app_label) = match victim_is_client {
                true => ("SERVER_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0"),
                false => ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"),
            };
            let mut seq = 0;
            let mut appended = false;
            let refusal = live.pump(victim_is_client, &mut |live, recs| {
                let mut out = Vec::new();
                for record in recs {
                    out.extend_from_slice(&record);
                    if record[0] != 23 || appended {
                        continue;
                    }
                    let secret = live.log.secret(live.suite, hs_label);
                    let (_, content) = reseal::open(&record, &secret, live.suite, seq);
                    seq += 1;
                    if content[0] == 20 {
                        let secret = live.log.secret(live.suite, app_label);
                        out.extend(reseal::seal(
                            &key_update(1),
                            ContentType::Handshake,
                            &secret,
                            live.suite,
                            0,
                        ));
                        appended = true;
                    }
                }
                out
            });
            assert!(appended, "{shape}: no Finished");
            assert!(refusal.is_none(), "{shape}: {refusal:?}");
            assert_eq!(live.peer_failed, None, "{shape}");
            match victim_is_client {
                true => live.client.send(b"after").unwrap(),
                false => live.server.send(b"after").unwrap(),
            }
            let after = live.pump(victim_is_client, &mut |_, recs| recs.concat());
            assert!(
                after.is_none() && live.peer_failed.is_none(),
                "{shape}: {after:?}"
            );
            // The victim took the update: the live peer, which sent none,
            // writes under the key the victim left behind.
            match victim_is_client {
                true => live.server.send(b"old key").unwrap(),
                false => live.client.send(b"old key").unwrap(),
            }
            let old_key = live.pump(victim_is_client, &mut |_, recs| recs.concat());
            assert_eq!(
                old_key.map(|refusal| refusal.error),
                Some(Error::DecryptFailed),
                "{shape}"
            );
        }
    }
}
