//! The runtime ordering oracle.
//!
//! For every handshake shape in [`SHAPES`], each role and two cipher
//! suites, the oracle records the legal sequence of records the role
//! *receives* in a real handshake between our client and our server,
//! generates every mutation of that sequence from a fixed list, feeds each
//! mutated sequence record by record to a fresh instance of the role, and
//! checks the outcome against a prediction computed independently of the
//! library.
//!
//! # Method: a mutating channel between two live peers
//!
//! The peer's records depend on fresh randoms and ephemeral keys, so a
//! recorded sequence cannot simply be replayed to a fresh instance: its
//! ServerKeyExchange signature and its encrypted Finished would be wrong
//! for the new randoms, and every run would fail at the first key-dependent
//! record. Instead each mutated run starts a fresh role under test *and* a
//! fresh live peer, which runs the same driver in its own thread, one
//! flight at a time. The role's output goes to the peer unchanged; the
//! peer's records go to the role through a channel that delivers the
//! *mutated* sequence, whose items name records by their index in the legal
//! sequence ("record 3", "record 3 with content type 21", "an injected
//! ChangeCipherSpec"). The channel resolves an index to the record the live
//! peer wrote in this run, so keys stay consistent and the encrypted
//! Finished really opens where it belongs. If the live peer fails (it can:
//! a client that did not see a dropped CertificateRequest answers without a
//! Certificate), its alert record takes the place of its next record.
//!
//! A mutation can ask for a record the live peer has not written yet
//! because the peer is waiting for the role, which is itself waiting: for
//! instance the client's ClientKeyExchange before the ClientHello. Only
//! then does the channel use the bytes of the recorded reference run, as
//! they are. That is sound: such a record is out of causal order, so the
//! role must reject it by its type alone, before any key could matter; the
//! prediction never lets a reference record open under the live keys.
//!
//! The drivers follow whatever branch the typed states offer (full or
//! resumed, CertificateStatus or not, CertificateRequest or not, ticket or
//! not); every shape of
//! [`SHAPES`] is set up by its configuration (`setup`), resumed shapes
//! after a first handshake that leaves a session.
//!
//! # The prediction
//!
//! [`predict`] walks the mutated sequence with a model of the receiving
//! role: the messages it wants, in order, come from the shape's path
//! through the state table (the states whose writer is the peer). A client
//! may be on any path with the same ServerHello choices (resumption,
//! ticket), since it cannot tell a dropped optional CertificateRequest from
//! none; a server chooses its own path. Which
//! record opens after the peer's ChangeCipherSpec is decided abstractly
//! (only the live peer's own encrypted record, with its own content type,
//! at its own sequence number); everything else is decided from the bytes
//! that were actually delivered. The rules, in the order they apply to
//! each record (RFC 5246 section numbers in brackets):
//!
//! - R1 (6.2.1): a content type other than change_cipher_spec, alert,
//!   handshake, application_data (heartbeat 24, unknown) is
//!   `unexpected_message`, at its header, in any state.
//! - R2 (6.2.1): any record other than handshake or alert while a handshake
//!   message is incomplete is `unexpected_message`.
//! - R3 (6.2.3.3): after the peer's ChangeCipherSpec every record must open;
//!   an injected, duplicated, retyped or reordered one does not:
//!   `bad_record_mac`.
//! - R4 (6.2.1): an empty handshake or alert fragment is `decode_error`;
//!   an empty change_cipher_spec one is `unexpected_message` (R6).
//! - R5 (7.4): application data before the handshake is over is
//!   `unexpected_message`; it is never delivered.
//! - R6 (7.1, RFC 8446 5): a change_cipher_spec record whose body is not
//!   exactly `[1]` (empty, another value, or more bytes) is
//!   `unexpected_message`.
//! - R7 (7.1, 7.4): a ChangeCipherSpec where the table does not have one
//!   next is `unexpected_message` (CCS injection, CVE-2014-0224).
//! - R8 (7.2): an alert whose level is neither warning nor fatal is
//!   `decode_error`.
//! - R9 (7.2): a well-formed alert, warning or fatal, ends the handshake
//!   with `AlertReceived`; no alert is owed back, so nothing is sent.
//! - R10: a handshake message declaring more than the default limit for
//!   its type (the largest legal ClientHello, 131,396 bytes, for a
//!   ClientHello; 64 KiB for the rest) is `decode_error` as soon as its
//!   header is seen.
//! - R11 (7.4): a handshake message other than the one the table has next
//!   is `unexpected_message` (skipped, repeated, reordered messages, a
//!   HelloRequest to the server, a second ClientHello).
//! - R14 (7.4.1.1): a client passes over a HelloRequest before the
//!   handshake is over, and does not hash it; one with a body is
//!   `decode_error`. An alert split across records must be completed by
//!   the next record: any other record after half an alert is
//!   `unexpected_message` (under R2).
//! - R12: the stream ended in the middle of the handshake (the last record
//!   was dropped, or a message is incomplete): the role still waits
//!   (`NeedMore`) and has not completed.
//! - R13: after the last legal record the handshake is over; every record
//!   after it goes to the [`Connection`], where rules R1 and R3 apply
//!   (duplicated Finished, plaintext injected after the handshake:
//!   `bad_record_mac`).
//!
//! A message of the wanted type whose bytes differ from the legal one is
//! not predicted (the model does not re-implement message checks); no
//! mutation here produces one, and if one did the oracle would fail.
//!
//! For each shape, role and suite the oracle asserts: the outcome, record index and error
//! kind are the predicted ones; the alert is the predicted one; the
//! role's output is exactly that alert record (in plaintext, byte for byte,
//! before the role's own ChangeCipherSpec) and the live peer, fed that
//! output, reports it as a fatal alert of that description; no run panics;
//! only runs whose first records are the whole legal sequence reach
//! `HandshakeOver`, and none of them delivers application data.

mod common;

use std::collections::{BTreeMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;

use common::memory::next;
use common::{KeyKind, Leaf, LeafFlavor, TestPki};
use rustls_pki_types::ServerName;
use tlstate::connection::{Connection, ReadOutcome};
use tlstate::crypto::WebPkiClientVerifier;
use tlstate::enums::{AlertDescription, AlertLevel, CipherSuite, ContentType, HandshakeType};
use tlstate::error::Error;
use tlstate::handshake::tls12::table::{self as tls12_table, SHAPES};
use tlstate::handshake::{
    AfterClientCert, AfterClientHello, AfterServerCert, AfterServerHello, AfterServerKey,
    AfterTicket, CertifiedKey, Client, ClientAuth, ClientCertPolicy, ClientConfig,
    DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN, Fatal, Full, FullShape, Handshake, RecvMessage, Role,
    SendMessage, Server, ServerConfig, Shape, Step, Writes, state,
};
use tlstate::message::MAX_CLIENT_HELLO_LEN;
use tlstate::session::{SessionCache, Ticketer};

// --- fixture ------------------------------------------------------------

struct Fixture {
    pki: TestPki,
    leaf: Leaf,
    client_leaf: Leaf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let pki = TestPki::new("tlstate ordering oracle CA");
        let leaf = pki.leaf(KeyKind::EcdsaP256, &["localhost"]);
        let client_leaf = pki.leaf_with(
            KeyKind::EcdsaP256,
            &["client.example"],
            LeafFlavor::ClientAuth,
        );
        Fixture {
            pki,
            leaf,
            client_leaf,
        }
    })
}

fn name() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

/// The suites the oracle runs under: AES-GCM (an 8-byte explicit nonce
/// leads each encrypted record) and ChaCha20-Poly1305 (no explicit nonce),
/// since an encrypted record read as plaintext differs between them.
const SUITES: [CipherSuite; 2] = [
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// The configurations that make both sides take one shape of `SHAPES`.
#[derive(Clone)]
struct Setup {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    /// `Some` when the server requests a client certificate.
    policy: Option<ClientCertPolicy>,
    /// Whether a first handshake must leave a session to resume.
    resumes: bool,
}

fn setup(shape: &str, suite: CipherSuite) -> Setup {
    let fx = fixture();
    let mut client = (*fx.pki.client_config_tls12()).clone();
    client.cipher_suites = vec![suite];
    client.session_store = None;
    let mut server = (*fx.pki.server_config_tls12(&fx.leaf)).clone();
    let mut policy = None;
    let mut resumes = false;
    let client_auth = |required| {
        let verifier = WebPkiClientVerifier::new(std::slice::from_ref(&fx.pki.ca)).unwrap();
        Some(ClientCertPolicy {
            verifier: Arc::new(verifier),
            required,
        })
    };
    match shape {
        "full" => {}
        // Any bytes do: the default verifier does not parse OCSP.
        "full+ocsp" => server.ocsp_response = Some(Arc::from(&b"an OCSP response"[..])),
        "ticket" => server.ticketer = Some(Arc::new(Ticketer::new(3600, 7200).unwrap())),
        "client-auth" => {
            policy = client_auth(true);
            let leaf = &fx.client_leaf;
            client.client_certificate =
                Some(CertifiedKey::new(leaf.chain.clone(), &leaf.key).unwrap());
        }
        "no-cert" => policy = client_auth(false),
        "resumed" => {
            server.session_cache = Some(Arc::new(SessionCache::new(16, 3600)));
            client.session_store = fx.pki.client_config_tls12().session_store.clone();
            client.enable_tickets = false;
            resumes = true;
        }
        "resumed+ticket" => {
            server.ticketer = Some(Arc::new(Ticketer::new(3600, 7200).unwrap()));
            client.session_store = fx.pki.client_config_tls12().session_store.clone();
            resumes = true;
        }
        other => panic!("the oracle has no setup for the shape {other:?}: extend `setup`"),
    }
    Setup {
        client: Arc::new(client),
        server: Arc::new(server),
        policy,
        resumes,
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

// --- the drivers: one per role, taking whatever path the table allows ----

/// Where a driver's records come from and go to.
trait Link {
    /// The next record from the peer, or `None` when there is none.
    fn next_record(&mut self) -> Option<Vec<u8>>;
    /// Bytes this side wrote.
    fn write(&mut self, bytes: Vec<u8>);
    /// This side's ChangeCipherSpec went out: its alerts are sealed now.
    fn protected(&mut self);
}

/// Why a driver stopped before `HandshakeOver`.
enum Stop {
    Fatal(&'static str, Fatal),
    Stalled(&'static str),
}

fn recv<R: Role, St, P: Shape>(
    mut hs: Handshake<R, St, P>,
    link: &mut impl Link,
) -> Result<<St as RecvMessage<R, P>>::Next, Stop>
where
    R::Peer: Writes<St::Writer>,
    St: RecvMessage<R, P>,
{
    let state = hs.state_name();
    loop {
        hs = match hs.recv() {
            Ok(Step::Next(next)) => return Ok(next),
            Ok(Step::NeedMore(same)) => same,
            Err(fatal) => return Err(Stop::Fatal(state, fatal)),
        };
        match link.next_record() {
            // One record at a time, the last read: it always fits.
            Some(record) => assert_eq!(hs.feed(&record), record.len()),
            None => return Err(Stop::Stalled(state)),
        }
    }
}

#[allow(clippy::type_complexity)]
fn send<R, St, P: Shape>(
    hs: Handshake<R, St, P>,
) -> Result<Handshake<R, <St as SendMessage<R, P>>::Next, P>, Stop>
where
    R: Writes<St::Writer>,
    St: SendMessage<R, P>,
{
    let state = hs.state_name();
    hs.send().map_err(|fatal| Stop::Fatal(state, fatal))
}

fn fatal_at(state: &'static str) -> impl FnOnce(Fatal) -> Stop {
    move |fatal| Stop::Fatal(state, fatal)
}

/// The client, following whatever branch the server's messages choose.
fn run_client(config: Arc<ClientConfig>, link: &mut impl Link) -> Result<Connection<Client>, Stop> {
    let mut c = send(Handshake::client(config, name()))?;
    link.write(c.take_output());
    match recv(c, link)? {
        AfterServerHello::Full(c) => {
            let c = recv(c, link)?; // Certificate
            let c = match recv(c, link)? {
                AfterServerCert::CertificateStatus(c) => recv(c, link)?, // ServerKeyExchange
                AfterServerCert::NoCertificateStatus(c) => c,            // ServerKeyExchange
            };
            match recv(c, link)? {
                // ServerHelloDone
                AfterServerKey::NoCertificateRequest(c) => client_full_tail(send(c)?, link),
                AfterServerKey::CertificateRequested(c) => {
                    let c = recv(c, link)?; // ServerHelloDone
                    if c.can_send_certificate() {
                        let c = c.send_certificate().map_err(fatal_at("ClientCert"))?;
                        client_full_tail(send(send(c)?)?, link)
                    } else {
                        let c = c.send_no_certificate().map_err(fatal_at("ClientCert"))?;
                        client_full_tail(send(c)?, link)
                    }
                }
            }
        }
        AfterServerHello::Resumed(c) => {
            let c = match recv(c, link)? {
                AfterTicket::Ticket(c) => recv(c, link)?, // ChangeCipherSpec
                AfterTicket::NoTicket(c) => c,
            };
            let c = recv(c, link)?; // Finished
            let mut c = send(send(c)?)?;
            link.protected();
            link.write(c.take_output());
            Ok(c.into_connection())
        }
        // Every configuration here is restricted to TLS 1.2.
        AfterServerHello::Tls13(_)
        | AfterServerHello::HelloRetryRequest(_)
        | AfterServerHello::Tls13Resumed(_) => Err(Stop::Stalled("a TLS 1.3 ServerHello")),
    }
}

fn client_full_tail<P: FullShape>(
    c: Handshake<Client, state::ClientChangeCipherSpec, P>,
    link: &mut impl Link,
) -> Result<Connection<Client>, Stop> {
    let mut c = send(send(c)?)?;
    link.protected();
    link.write(c.take_output());
    let c = match recv(c, link)? {
        AfterTicket::Ticket(c) => recv(c, link)?, // ChangeCipherSpec
        AfterTicket::NoTicket(c) => c,
    };
    Ok(recv(c, link)?.into_connection()) // Finished
}

/// The server of one full shape: what it writes depends on whether it
/// requests a client certificate, which is its own choice (a type).
trait ServerFull: FullShape + Sized {
    fn run(
        s: Handshake<Server, state::ServerHello, Self>,
        link: &mut impl Link,
    ) -> Result<Connection<Server>, Stop>;

    /// The resumption of a session whose client chain was verified again
    /// (a branch only a client-auth server has).
    fn run_resumed_client_auth(
        s: Self::ResumedWithClientCert,
        link: &mut impl Link,
    ) -> Result<Connection<Server>, Stop>;
}

impl ServerFull for Full {
    fn run(
        s: Handshake<Server, state::ServerHello, Self>,
        link: &mut impl Link,
    ) -> Result<Connection<Server>, Stop> {
        // ServerHello, Certificate, [CertificateStatus], ServerKeyExchange, ServerHelloDone
        let mut s = send(send(send(send(send(s)?)?)?)?)?;
        link.write(s.take_output());
        let s = recv(s, link)?; // ClientKeyExchange
        server_full_tail(s, link)
    }

    fn run_resumed_client_auth(
        s: Self::ResumedWithClientCert,
        _: &mut impl Link,
    ) -> Result<Connection<Server>, Stop> {
        match s {}
    }
}

impl ServerFull for ClientAuth {
    fn run_resumed_client_auth(
        s: Self::ResumedWithClientCert,
        link: &mut impl Link,
    ) -> Result<Connection<Server>, Stop> {
        server_resumed(s, link)
    }

    fn run(
        s: Handshake<Server, state::ServerHello, Self>,
        link: &mut impl Link,
    ) -> Result<Connection<Server>, Stop> {
        // ServerHello, Certificate, [CertificateStatus], ServerKeyExchange,
        // CertificateRequest, ServerHelloDone
        let mut s = send(send(send(send(send(send(s)?)?)?)?)?)?;
        link.write(s.take_output());
        match recv(s, link)? {
            AfterClientCert::Certificate(s) => {
                let s = recv(recv(s, link)?, link)?; // ClientKeyExchange, CertificateVerify
                server_full_tail(s, link)
            }
            AfterClientCert::NoCertificate(s) => {
                let s = recv(s, link)?; // ClientKeyExchange
                server_full_tail(s, link)
            }
        }
    }
}

fn server_full_tail<P: FullShape>(
    s: Handshake<Server, state::ClientChangeCipherSpec, P>,
    link: &mut impl Link,
) -> Result<Connection<Server>, Stop> {
    let s = recv(s, link)?; // ChangeCipherSpec
    let s = recv(s, link)?; // Finished
    let mut s = send(send(send(s)?)?)?; // [NewSessionTicket], ChangeCipherSpec, Finished
    link.protected();
    link.write(s.take_output());
    Ok(s.into_connection())
}

fn server_from<P: ServerFull>(
    s: Handshake<Server, state::ClientHello, P>,
    link: &mut impl Link,
) -> Result<Connection<Server>, Stop> {
    match recv(s, link)? {
        AfterClientHello::Full(s) => P::run(s, link),
        AfterClientHello::Resumed(s) => server_resumed(s, link),
        AfterClientHello::ResumedWithClientCert(s) => P::run_resumed_client_auth(s, link),
        AfterClientHello::Tls13(_)
        | AfterClientHello::Tls13Retry(_)
        | AfterClientHello::Tls13Resumed(_)
        | AfterClientHello::Tls13Early(_) => {
            panic!("these servers negotiate TLS 1.2 only")
        }
    }
}

/// The server's walk in either resumed shape.
fn server_resumed<P: Shape>(
    s: Handshake<Server, state::ServerHello, P>,
    link: &mut impl Link,
) -> Result<Connection<Server>, Stop>
where
    state::ServerHello: SendMessage<Server, P, Next = state::ServerNewSessionTicket>,
    state::ServerFinished: SendMessage<Server, P, Next = state::ClientChangeCipherSpec>,
    state::ClientFinished:
        RecvMessage<Server, P, Next = Handshake<Server, state::HandshakeOver, P>>,
{
    // ServerHello, [NewSessionTicket], ChangeCipherSpec, Finished
    let mut s = send(send(send(send(s)?)?)?)?;
    link.protected();
    link.write(s.take_output());
    let s = recv(s, link)?; // ChangeCipherSpec
    Ok(recv(s, link)?.into_connection()) // Finished
}

fn run_server(setup: &Setup, link: &mut impl Link) -> Result<Connection<Server>, Stop> {
    match &setup.policy {
        None => server_from(Handshake::server(setup.server.clone()), link),
        Some(policy) => server_from(
            Handshake::server_requesting_client_cert(setup.server.clone(), policy.clone()),
            link,
        ),
    }
}

// --- the live peer, in its own thread -----------------------------------

/// What the peer thread reports.
enum FromPeer {
    Wrote(Vec<u8>),
    /// Application data its connection read.
    Data(Vec<u8>),
    /// It needs the next record.
    Waiting,
    /// It is done: with this error, or without one.
    Ended(Option<Error>),
}

struct ThreadLink {
    input: Receiver<Vec<u8>>,
    output: Sender<FromPeer>,
    buffered: VecDeque<Vec<u8>>,
}

impl Link for ThreadLink {
    fn next_record(&mut self) -> Option<Vec<u8>> {
        while self.buffered.is_empty() {
            let _ = self.output.send(FromPeer::Waiting);
            let bytes = self.input.recv().ok()?;
            self.buffered.extend(records(&bytes));
        }
        self.buffered.pop_front()
    }

    fn write(&mut self, bytes: Vec<u8>) {
        if !bytes.is_empty() {
            let _ = self.output.send(FromPeer::Wrote(bytes));
        }
    }

    fn protected(&mut self) {}
}

/// What the peer made of bytes from the role under test.
#[derive(Debug)]
enum PeerGot {
    Error(Error),
    Data(Vec<u8>),
    Nothing,
}

/// A live peer: the same driver, in a thread, one flight at a time.
struct Peer {
    input: Option<Sender<Vec<u8>>>,
    output: Receiver<FromPeer>,
    thread: Option<JoinHandle<()>>,
    ended: Option<Option<Error>>,
}

impl Peer {
    fn spawn(setup: &Setup, is_client: bool) -> (Self, Vec<Vec<u8>>) {
        let (to_peer, input) = channel();
        let (output, from_peer) = channel();
        let setup = setup.clone();
        let thread = std::thread::spawn(move || {
            let mut link = ThreadLink {
                input,
                output: output.clone(),
                buffered: VecDeque::new(),
            };
            let result = if is_client {
                run_client(setup.client.clone(), &mut link).map(Ok)
            } else {
                run_server(&setup, &mut link).map(Err)
            };
            let end = match result {
                Err(Stop::Fatal(_, fatal)) => {
                    link.write(fatal.output().to_vec());
                    Some(fatal.into_error())
                }
                Err(Stop::Stalled(_)) => None,
                Ok(Ok(conn)) => serve(conn, &mut link),
                Ok(Err(conn)) => serve(conn, &mut link),
            };
            let _ = output.send(FromPeer::Ended(end));
        });
        let mut peer = Self {
            input: Some(to_peer),
            output: from_peer,
            thread: Some(thread),
            ended: None,
        };
        let (first, _) = peer.drain();
        (peer, first)
    }

    /// Collects what the peer reports until it waits or ends.
    fn drain(&mut self) -> (Vec<Vec<u8>>, Vec<u8>) {
        let (mut wrote, mut data) = (Vec::new(), Vec::new());
        while self.ended.is_none() {
            match self.output.recv() {
                Ok(FromPeer::Wrote(bytes)) => wrote.extend(records(&bytes)),
                Ok(FromPeer::Data(bytes)) => data.extend(bytes),
                Ok(FromPeer::Waiting) => break,
                Ok(FromPeer::Ended(end)) => self.ended = Some(end),
                Err(_) => self.ended = Some(Some(Error::Internal("the live peer panicked"))),
            }
        }
        (wrote, data)
    }

    /// Feeds the peer bytes from the role under test; returns the records
    /// it wrote in answer.
    fn pump(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        if self.ended.is_some() || bytes.is_empty() {
            return Vec::new();
        }
        if let Some(input) = &self.input {
            let _ = input.send(bytes.to_vec());
        }
        self.drain().0
    }

    /// Feeds the peer bytes and says what it made of them.
    fn receive(&mut self, bytes: &[u8]) -> PeerGot {
        let before = self.ended.is_some();
        if let (false, Some(input)) = (before, &self.input) {
            let _ = input.send(bytes.to_vec());
        }
        let (_, data) = if before {
            (Vec::new(), Vec::new())
        } else {
            self.drain()
        };
        match (&self.ended, before) {
            (Some(Some(error)), false) => PeerGot::Error(error.clone()),
            _ if !data.is_empty() => PeerGot::Data(data),
            _ => PeerGot::Nothing,
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.input = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// After its handshake the peer reads what comes and reports it.
fn serve<R: Role>(mut conn: Connection<R>, link: &mut ThreadLink) -> Option<Error> {
    let mut buf = [0u8; 512];
    loop {
        match conn.read(&mut buf) {
            Ok(ReadOutcome::Data(n)) => {
                let _ = link.output.send(FromPeer::Data(buf[..n].to_vec()));
            }
            Ok(ReadOutcome::NeedMore) => match link.next_record() {
                Some(record) => assert_eq!(conn.feed(&record), record.len()),
                None => return None,
            },
            Ok(ReadOutcome::Closed) => return None,
            Err(error) => {
                link.write(conn.take_output());
                return Some(error);
            }
        }
    }
}

// --- mutations ----------------------------------------------------------

const CCS_RECORD: [u8; 6] = [20, 3, 3, 0, 1, 1];
const APP_DATA_RECORD: [u8; 10] = [23, 3, 3, 0, 5, b'e', b'a', b'r', b'l', b'y'];
/// warning(1) user_canceled(90).
const WARNING_ALERT_RECORD: [u8; 7] = [21, 3, 3, 0, 2, 1, 90];
/// hello_request(0), empty body.
const HELLO_REQUEST_RECORD: [u8; 9] = [22, 3, 3, 0, 4, 0, 0, 0, 0];
/// Every content type a record is retyped to (except its own): the four of
/// TLS 1.2, heartbeat, and an unknown one.
const RETYPES: [u8; 6] = [20, 21, 22, 23, 24, 99];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Injected {
    ChangeCipherSpec,
    ApplicationData,
    WarningAlert,
    HelloRequest,
    /// This run's ClientHello, byte for byte.
    ClientHello,
    /// A CertificateStatus as the `full+ocsp` server writes it (it has no
    /// randoms, so every run's is the same bytes). Not in [`INJECTED`]: it
    /// is injected by its own test,
    /// `client_rejects_a_certificate_status_out_of_place`.
    CertificateStatus,
}

const INJECTED: [Injected; 5] = [
    Injected::ChangeCipherSpec,
    Injected::ApplicationData,
    Injected::WarningAlert,
    Injected::HelloRequest,
    Injected::ClientHello,
];

/// One record of a mutated sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    /// The peer's record at this index of the legal sequence.
    Orig(usize),
    /// The same with another content type.
    Retyped(usize, u8),
    Inject(Injected),
}

struct Mutation {
    class: &'static str,
    name: String,
    plan: Vec<Item>,
}

/// Every mutation of a legal sequence of `types.len()` records: drop one,
/// duplicate one, swap two adjacent, inject each of five records at each
/// position (before each record and after the last), retype each record
/// to each other content type. That is `13 n + 4` mutations for `n`
/// records.
fn mutations(types: &[u8]) -> Vec<Mutation> {
    let n = types.len();
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
    }
    for i in 0..n {
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
    for injected in INJECTED {
        for at in 0..=n {
            let mut plan = legal.clone();
            plan.insert(at, Item::Inject(injected));
            out.push(Mutation {
                class: "inject",
                name: format!("inject {injected:?} at position {at}"),
                plan,
            });
        }
    }
    for (i, &own) in types.iter().enumerate() {
        for typ in RETYPES.into_iter().filter(|t| *t != own) {
            let mut plan = legal.clone();
            plan[i] = Item::Retyped(i, typ);
            out.push(Mutation {
                class: "retype",
                name: format!("record {i} retyped {own} -> {typ}"),
                plan,
            });
        }
    }
    out
}

/// The CertificateStatus record of a `full+ocsp` server.
fn certificate_status_record() -> &'static [u8] {
    static RECORD: OnceLock<Vec<u8>> = OnceLock::new();
    RECORD.get_or_init(|| {
        let setup = setup("full+ocsp", SUITES[0]);
        let mut c = Handshake::client(setup.client.clone(), name())
            .send()
            .unwrap();
        let mut s = Handshake::server(setup.server.clone());
        let input: &[u8] = &c.take_output();
        assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
        let AfterClientHello::Full(s) = next(s.recv().unwrap()) else {
            panic!("resumed")
        };
        // ServerHello, Certificate, CertificateStatus
        let mut s = (|| s.send()?.send()?.send())().unwrap();
        let flight = records(&s.take_output());
        assert_eq!(flight[2][5], HandshakeType::CertificateStatus.to_wire());
        flight[2].clone()
    })
}

// --- the channel --------------------------------------------------------

/// A record as the channel delivered it.
#[derive(Clone, Debug)]
struct Fed {
    bytes: Vec<u8>,
    /// Written by the live peer in this run (not taken from the reference).
    live: bool,
}

/// The mutating channel: the role under test reads the mutated sequence
/// through it, and what the role writes goes to the live peer unchanged.
struct Channel<'a> {
    plan: &'a [Item],
    next: usize,
    peer: Peer,
    /// The live peer's records so far, in the order it wrote them.
    live: Vec<Vec<u8>>,
    /// The recorded legal run's records, for what the live peer cannot
    /// have written yet.
    reference: &'a [Vec<u8>],
    victim_is_client: bool,
    /// The role under test's first record (its ClientHello, if a client).
    victim_first: Option<Vec<u8>>,
    /// Whether the role under test has sent its ChangeCipherSpec.
    victim_protected: bool,
    fed: Vec<Fed>,
}

impl<'a> Channel<'a> {
    fn new(
        plan: &'a [Item],
        reference: &'a [Vec<u8>],
        victim_is_client: bool,
        setup: &Setup,
    ) -> Self {
        let (peer, live) = Peer::spawn(setup, !victim_is_client);
        Self {
            plan,
            next: 0,
            peer,
            live,
            reference,
            victim_is_client,
            victim_first: None,
            victim_protected: false,
            fed: Vec::new(),
        }
    }

    fn client_hello(&self) -> Vec<u8> {
        match self.victim_is_client {
            true => self.victim_first.clone(),
            false => self.live.first().cloned(),
        }
        .expect("the ClientHello is always written first")
    }

    fn resolve(&self, item: Item) -> Fed {
        let orig = |i: usize| match self.live.get(i) {
            Some(bytes) => Fed {
                bytes: bytes.clone(),
                live: true,
            },
            None => Fed {
                bytes: self.reference[i].clone(),
                live: false,
            },
        };
        let fixed = |bytes: &[u8]| Fed {
            bytes: bytes.to_vec(),
            live: true,
        };
        match item {
            Item::Orig(i) => orig(i),
            Item::Retyped(i, typ) => {
                let mut fed = orig(i);
                fed.bytes[0] = typ;
                fed
            }
            Item::Inject(Injected::ChangeCipherSpec) => fixed(&CCS_RECORD),
            Item::Inject(Injected::ApplicationData) => fixed(&APP_DATA_RECORD),
            Item::Inject(Injected::WarningAlert) => fixed(&WARNING_ALERT_RECORD),
            Item::Inject(Injected::HelloRequest) => fixed(&HELLO_REQUEST_RECORD),
            Item::Inject(Injected::ClientHello) => fixed(&self.client_hello()),
            Item::Inject(Injected::CertificateStatus) => fixed(certificate_status_record()),
        }
    }

    /// The whole plan resolved, for the prediction: what was delivered,
    /// then what would have been.
    fn resolved(&self) -> Vec<Fed> {
        let mut all = self.fed.clone();
        all.extend(self.plan[self.fed.len()..].iter().map(|i| self.resolve(*i)));
        all
    }
}

impl Link for Channel<'_> {
    fn next_record(&mut self) -> Option<Vec<u8>> {
        let item = *self.plan.get(self.next)?;
        let fed = self.resolve(item);
        self.next += 1;
        self.fed.push(fed.clone());
        Some(fed.bytes)
    }

    fn write(&mut self, bytes: Vec<u8>) {
        if self.victim_first.is_none() {
            self.victim_first = records(&bytes).into_iter().next();
        }
        let written = self.peer.pump(&bytes);
        self.live.extend(written);
    }

    fn protected(&mut self) {
        self.victim_protected = true;
    }
}

// --- the role under test ------------------------------------------------

/// What the role under test did with the mutated sequence.
#[derive(Debug)]
// The fields are read through `Debug`, in failure messages.
#[allow(dead_code)]
enum Actual {
    Fatal {
        fed: usize,
        state: &'static str,
        error: Error,
        alert: Option<AlertDescription>,
        output: Vec<u8>,
        protected: bool,
    },
    Stalled {
        fed: usize,
        state: &'static str,
    },
    Over {
        fed: usize,
        /// Application data handed to the user afterwards.
        delivered: Vec<u8>,
        /// The connection's error and how many records had been fed.
        error: Option<(usize, Error)>,
        closed: bool,
        output: Vec<u8>,
    },
    Panicked(String),
}

/// Feeds what is left of the plan to the established connection.
fn after_handshake<R: Role>(mut conn: Connection<R>, ch: &mut Channel<'_>) -> Actual {
    let fed = ch.fed.len();
    let mut delivered = Vec::new();
    let mut error = None;
    let mut closed = false;
    let mut buf = [0u8; 512];
    loop {
        match conn.read(&mut buf) {
            Ok(ReadOutcome::Data(n)) => delivered.extend_from_slice(&buf[..n]),
            Ok(ReadOutcome::NeedMore) => match ch.next_record() {
                Some(record) => assert_eq!(conn.feed(&record), record.len()),
                None => break,
            },
            Ok(ReadOutcome::Closed) => {
                closed = true;
                break;
            }
            Err(e) => {
                error = Some((ch.fed.len(), e));
                break;
            }
        }
    }
    if error.is_none() && !closed && ch.plan.len() == fed {
        // A run whose handshake took the whole plan: the connection works
        // both ways.
        conn.send(b"ping").unwrap();
        match ch.peer.receive(&conn.take_output()) {
            PeerGot::Data(data) => assert_eq!(data, b"ping"),
            other => panic!("the peer did not get the role's data: {other:?}"),
        }
    }
    Actual::Over {
        fed,
        delivered,
        error,
        closed,
        output: conn.take_output(),
    }
}

fn run_role(setup: &Setup, ch: &mut Channel<'_>) -> Actual {
    let stopped = |ch: &Channel<'_>, stop: Stop| match stop {
        Stop::Fatal(state, fatal) => Actual::Fatal {
            fed: ch.fed.len(),
            state,
            error: fatal.error().clone(),
            alert: fatal.alert(),
            output: fatal.output().to_vec(),
            protected: ch.victim_protected,
        },
        Stop::Stalled(state) => Actual::Stalled {
            fed: ch.fed.len(),
            state,
        },
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        if ch.victim_is_client {
            match run_client(setup.client.clone(), ch) {
                Ok(conn) => after_handshake(conn, ch),
                Err(stop) => stopped(ch, stop),
            }
        } else {
            match run_server(setup, ch) {
                Ok(conn) => after_handshake(conn, ch),
                Err(stop) => stopped(ch, stop),
            }
        }
    }));
    outcome.unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Actual::Panicked(why)
    })
}

// --- the prediction -----------------------------------------------------

/// A message the receiving role wants next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    ChangeCipherSpec,
    Handshake(HandshakeType),
}

/// How a run ends, as an error kind and the alert it owes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    UnexpectedMessage,
    /// A change_cipher_spec record that is not the byte 1: its own error,
    /// with unexpected_message's alert (R6).
    MalformedChangeCipherSpec,
    DecodeError,
    BadRecordMac,
    /// The peer's alert (as the role read it): nothing is owed back.
    Received(AlertLevel, AlertDescription),
}

impl Kind {
    fn alert(self) -> Option<AlertDescription> {
        match self {
            Self::UnexpectedMessage | Self::MalformedChangeCipherSpec => {
                Some(AlertDescription::UnexpectedMessage)
            }
            Self::DecodeError => Some(AlertDescription::DecodeError),
            Self::BadRecordMac => Some(AlertDescription::BadRecordMac),
            Self::Received(..) => None,
        }
    }

    fn matches(self, error: &Error) -> bool {
        use tlstate::error::InvalidMessage;
        match self {
            Self::UnexpectedMessage => matches!(error, Error::UnexpectedMessage { .. }),
            Self::MalformedChangeCipherSpec => matches!(
                error,
                Error::InvalidMessage(
                    InvalidMessage::InvalidChangeCipherSpec
                        | InvalidMessage::EmptyFragment(ContentType::ChangeCipherSpec)
                )
            ),
            Self::DecodeError => matches!(
                error,
                Error::InvalidMessage(e) if !matches!(
                    e,
                    InvalidMessage::InvalidRecordVersion(_)
                        | InvalidMessage::InvalidChangeCipherSpec
                        | InvalidMessage::EmptyFragment(ContentType::ChangeCipherSpec)
                )
            ),
            Self::BadRecordMac => *error == Error::DecryptFailed,
            Self::Received(level, description) => {
                *error == Error::AlertReceived { level, description }
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Expect {
    /// The handshake fails while reading plan item `at`.
    Fail {
        at: usize,
        kind: Kind,
        rule: &'static str,
    },
    /// The plan ends mid-handshake: the role waits for more.
    Stall { rule: &'static str },
    /// The handshake completes with plan item `at`; the connection then
    /// fails at plan item `then.0`, or reads everything.
    Over {
        at: usize,
        then: Option<(usize, Kind, &'static str)>,
    },
    /// The model does not decide this case.
    Unpredictable(String),
}

fn shape_path(shape: &str) -> &'static [&'static str] {
    SHAPES
        .iter()
        .find(|(name, _, _)| *name == shape)
        .map(|(_, _, path)| *path)
        .expect("a shape of SHAPES")
}

/// What `path` has the peer of the role under test write, in order.
fn wants(path: &[&str], victim_is_client: bool) -> Vec<Want> {
    let peer = if victim_is_client { "S" } else { "C" };
    path.iter()
        .map(|name| tls12_table::row(name).expect("a shape names table rows"))
        .filter(|row| row.writer.letter() == peer)
        .map(|row| match (row.record, row.message) {
            (ContentType::ChangeCipherSpec, None) => Want::ChangeCipherSpec,
            (ContentType::Handshake, Some(message)) => Want::Handshake(message),
            other => panic!("no model for {other:?}"),
        })
        .collect()
}

/// The paths the receiving role may be on. The server's hello fixes
/// resumption and the ticket, and a server chooses its own shape; but a
/// CertificateRequest is optional, so a client cannot tell a dropped one
/// from none: for a client, every shape with the same ServerHello choices.
/// The status_request acknowledgement is one of those choices, one way
/// only: without it a CertificateStatus is never allowed (RFC 6066 8),
/// with it the CertificateStatus is still optional, so a client cannot
/// tell a dropped one from none either.
fn candidates(shape: &str, victim_is_client: bool) -> Vec<Vec<Want>> {
    let choices = |path: &[&str]| {
        (
            path.contains(&"ServerCert"),
            path.contains(&"ServerNewSessionTicket"),
        )
    };
    let stapled = |path: &[&str]| path.contains(&"ServerCertStatus");
    let legal = shape_path(shape);
    SHAPES
        .iter()
        .filter(|(name, _, path)| {
            *name == shape
                || (victim_is_client
                    && choices(path) == choices(legal)
                    && (stapled(legal) || !stapled(path)))
        })
        .map(|(_, _, path)| wants(path, victim_is_client))
        .collect()
}

/// The model of the receiving role (rules R1 to R13 in the module docs).
/// `paths` are the candidate paths, `legal_wants` the legal shape's;
/// `legal` this run's live records; records from `first_encrypted` on are
/// protected by the peer.
fn predict(
    plan: &[Item],
    recs: &[Fed],
    legal: &[Vec<u8>],
    paths: &[Vec<Want>],
    legal_wants: &[Want],
    first_encrypted: usize,
    victim_is_client: bool,
) -> Expect {
    let mut steps: Vec<(&[Want], usize)> = paths.iter().map(|p| (&p[..], 0)).collect();
    // The legal plaintext handshake messages of this run.
    let legal_messages: Vec<&[u8]> = legal
        .iter()
        .take(first_encrypted)
        .filter(|r| r[0] == 22)
        .map(|r| &r[5..])
        .collect();
    // A server reads a ClientHello up to the largest legal one; a client,
    // which reads none, allows it no more than any other message.
    let reads_client_hello = paths
        .iter()
        .any(|p| p.contains(&Want::Handshake(HandshakeType::ClientHello)));
    let mut protected = false;
    let mut read_seq = 0usize;
    let mut handshake: Vec<u8> = Vec::new();
    let mut alert: Vec<u8> = Vec::new();
    let mut over_at: Option<usize> = None;
    for (j, (item, rec)) in plan.iter().zip(recs).enumerate() {
        let end = |kind, rule| match over_at {
            None => Expect::Fail { at: j, kind, rule },
            Some(at) => Expect::Over {
                at,
                then: Some((j, kind, rule)),
            },
        };
        // Takes one message on every candidate path that wants it.
        let take = |want: Want, steps: &mut Vec<(&[Want], usize)>| -> Option<bool> {
            steps.retain(|(path, step)| path.get(*step) == Some(&want));
            steps.iter_mut().for_each(|(_, step)| *step += 1);
            let done = steps.iter().any(|(path, step)| *step == path.len());
            (!steps.is_empty()).then_some(done)
        };
        let typ = rec.bytes[0];
        if !(20..=23).contains(&typ) {
            return end(Kind::UnexpectedMessage, "R1 record type outside TLS 1.2");
        }
        if !handshake.is_empty() && typ != 22 && typ != 21 {
            return end(
                Kind::UnexpectedMessage,
                "R2 record interrupts a handshake message",
            );
        }
        if !alert.is_empty() && typ != 21 {
            return end(Kind::UnexpectedMessage, "R2 record interrupts an alert");
        }
        let body = &rec.bytes[5..];
        if protected {
            let opens = matches!(*item, Item::Orig(i)
                if rec.live && i >= first_encrypted && i - first_encrypted == read_seq);
            if !opens {
                return end(Kind::BadRecordMac, "R3 record does not open");
            }
            read_seq += 1;
            let Item::Orig(i) = *item else { unreachable!() };
            if over_at.is_some() {
                return Expect::Unpredictable(format!("record {i} opened after the handshake"));
            }
            match take(legal_wants[i], &mut steps) {
                Some(true) => over_at = Some(j),
                Some(false) => {}
                None => return Expect::Unpredictable(format!("record {i} opened out of order")),
            }
            continue;
        }
        if over_at.is_some() {
            return Expect::Unpredictable("plaintext after the handshake".into());
        }
        if body.is_empty() && typ == 20 {
            return end(Kind::MalformedChangeCipherSpec, "R6 empty ChangeCipherSpec");
        }
        if body.is_empty() && typ != 23 {
            return end(Kind::DecodeError, "R4 empty fragment");
        }
        match typ {
            23 => {
                return end(
                    Kind::UnexpectedMessage,
                    "R5 application data before the handshake is over",
                );
            }
            20 => {
                if body != [1] {
                    return end(
                        Kind::MalformedChangeCipherSpec,
                        "R6 malformed ChangeCipherSpec",
                    );
                }
                match take(Want::ChangeCipherSpec, &mut steps) {
                    None => {
                        return end(Kind::UnexpectedMessage, "R7 ChangeCipherSpec out of order");
                    }
                    Some(true) => return Expect::Unpredictable("over at a CCS".into()),
                    Some(false) => {}
                }
                protected = true;
                read_seq = 0;
            }
            21 => {
                alert.extend_from_slice(body);
                if alert.len() >= 2 {
                    let level = AlertLevel::from_wire(alert[0]);
                    if !matches!(level, AlertLevel::Warning | AlertLevel::Fatal) {
                        return end(Kind::DecodeError, "R8 alert of unknown level");
                    }
                    let description = AlertDescription::from_wire(alert[1]);
                    return end(
                        Kind::Received(level, description),
                        "R9 an alert ends the handshake",
                    );
                }
            }
            _ => {
                handshake.extend_from_slice(body);
                while handshake.len() >= 4 {
                    let len = usize::from(handshake[1]) << 16
                        | usize::from(handshake[2]) << 8
                        | usize::from(handshake[3]);
                    let limit = if handshake[0] == 1 && reads_client_hello {
                        MAX_CLIENT_HELLO_LEN
                    } else {
                        DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN
                    };
                    if len > limit {
                        return end(Kind::DecodeError, "R10 handshake message too large");
                    }
                    if handshake.len() < 4 + len {
                        break;
                    }
                    let message: Vec<u8> = handshake.drain(..4 + len).collect();
                    let typ = HandshakeType::from_wire(message[0]);
                    if victim_is_client && typ == HandshakeType::HelloRequest {
                        if len != 0 {
                            return end(Kind::DecodeError, "R14 HelloRequest with a body");
                        }
                        continue;
                    }
                    match take(Want::Handshake(typ), &mut steps) {
                        None => {
                            return end(
                                Kind::UnexpectedMessage,
                                "R11 handshake message out of order",
                            );
                        }
                        Some(true) => return Expect::Unpredictable("over in plaintext".into()),
                        Some(false) => {}
                    }
                    if !legal_messages.contains(&&message[..]) {
                        return Expect::Unpredictable(format!(
                            "a {typ:?} other than the legal one"
                        ));
                    }
                }
            }
        }
    }
    match over_at {
        Some(at) => Expect::Over { at, then: None },
        None => Expect::Stall {
            rule: "R12 the sequence ends mid-handshake",
        },
    }
}

// --- checking one run ---------------------------------------------------

/// Checks the alert on the wire: `output` is exactly one alert record (in
/// plaintext, byte for byte, before the role's ChangeCipherSpec), and the
/// live peer, if it still listens, reads it as a fatal alert of that
/// description.
fn check_alert_on_wire(
    ch: &mut Channel<'_>,
    output: &[u8],
    alert: AlertDescription,
    protected: bool,
) -> Result<(), String> {
    let recs = records(output);
    if recs.len() != 1 || recs[0][0] != 21 {
        return Err(format!("output is not one alert record: {output:?}"));
    }
    if !protected && output != [21, 3, 3, 0, 2, 2, alert.to_wire()] {
        return Err(format!("plaintext alert is {output:?}"));
    }
    if ch.peer.ended.is_some() {
        return Ok(());
    }
    match ch.peer.receive(output) {
        PeerGot::Error(Error::AlertReceived {
            level: AlertLevel::Fatal,
            description,
        }) if description == alert => Ok(()),
        other => Err(format!("the peer read the alert as {other:?}")),
    }
}

fn check(expect: &Expect, actual: &Actual, ch: &mut Channel<'_>) -> Result<(), String> {
    match (expect, actual) {
        (Expect::Unpredictable(why), _) => Err(format!("the model cannot predict: {why}")),
        (
            Expect::Fail { at, kind, .. },
            Actual::Fatal {
                fed,
                error,
                alert,
                output,
                protected,
                ..
            },
        ) => {
            if *fed != at + 1 {
                return Err(format!("failed after {fed} records, expected {}", at + 1));
            }
            if !kind.matches(error) {
                return Err(format!("error {error:?}, expected {kind:?}"));
            }
            if *alert != kind.alert() {
                return Err(format!("alert {alert:?}, expected {:?}", kind.alert()));
            }
            match kind.alert() {
                Some(a) => check_alert_on_wire(ch, output, a, *protected),
                None if output.is_empty() => Ok(()),
                None => Err(format!("no alert is owed, yet the output is {output:?}")),
            }
        }
        (Expect::Stall { .. }, Actual::Stalled { fed, .. }) if *fed == ch.plan.len() => Ok(()),
        (
            Expect::Over { at, then },
            Actual::Over {
                fed,
                delivered,
                error,
                closed,
                output,
            },
        ) => {
            if *fed != at + 1 {
                return Err(format!("over after {fed} records, expected {}", at + 1));
            }
            if !delivered.is_empty() {
                return Err(format!("application data delivered: {delivered:?}"));
            }
            if *closed {
                return Err("closed by a close_notify".into());
            }
            match (then, error) {
                (None, None) => Ok(()),
                (Some((at, kind, _)), Some((fed, error))) => {
                    if *fed != at + 1 || !kind.matches(error) || error.alert() != kind.alert() {
                        return Err(format!(
                            "connection failed after {fed} records with {error:?}, expected {kind:?} after {}",
                            at + 1
                        ));
                    }
                    match kind.alert() {
                        Some(a) => check_alert_on_wire(ch, output, a, true),
                        None => Ok(()),
                    }
                }
                (then, error) => Err(format!("connection: got {error:?}, expected {then:?}")),
            }
        }
        (expect, actual) => Err(format!("expected {expect:?}, got {actual:?}")),
    }
}

// --- the oracle ---------------------------------------------------------

struct Report {
    checked: usize,
    failures: Vec<String>,
    /// (mutation class, outcome) -> count, for the printout.
    outcomes: BTreeMap<(&'static str, String), usize>,
}

fn legal_plan(n: usize) -> Vec<Item> {
    (0..n).map(Item::Orig).collect()
}

/// A handshake between two live peers, to leave a session to resume.
fn prime(setup: &Setup) {
    let (mut client, mut to_server) = Peer::spawn(setup, true);
    let (mut server, _) = Peer::spawn(setup, false);
    while !to_server.is_empty() {
        let to_client = server.pump(&to_server.concat());
        to_server = client.pump(&to_client.concat());
    }
}

/// Records the legal sequence the role receives, checking it against the
/// shape: one record per message the shape has the peer write.
fn record_reference(setup: &Setup, victim_is_client: bool, wants: &[Want]) -> Vec<Vec<u8>> {
    let plan = legal_plan(wants.len());
    let mut ch = Channel::new(&plan, &[], victim_is_client, setup);
    let actual = run_role(setup, &mut ch);
    assert!(
        matches!(actual, Actual::Over { error: None, closed: false, ref delivered, .. } if delivered.is_empty()),
        "the legal handshake must complete: {actual:?}"
    );
    assert!(ch.fed.iter().all(|f| f.live));
    let legal = ch.live.clone();
    assert_eq!(
        legal.len(),
        wants.len(),
        "one record per message: {wants:?}"
    );
    let mut protected = false;
    for (record, want) in legal.iter().zip(wants) {
        match want {
            Want::ChangeCipherSpec => {
                assert_eq!(record, &CCS_RECORD);
                protected = true;
            }
            Want::Handshake(typ) => {
                assert_eq!(record[0], 22);
                if !protected {
                    assert_eq!(HandshakeType::from_wire(record[5]), *typ);
                }
            }
        }
    }
    legal
}

fn oracle(shape: &str, suite: CipherSuite, victim_is_client: bool) -> Report {
    let setup = setup(shape, suite);
    if setup.resumes {
        prime(&setup);
    }
    let role = if victim_is_client { "client" } else { "server" };
    let legal_wants = wants(shape_path(shape), victim_is_client);
    let paths = candidates(shape, victim_is_client);
    let reference = record_reference(&setup, victim_is_client, &legal_wants);
    let n = reference.len();
    let first_encrypted = legal_wants
        .iter()
        .position(|w| *w == Want::ChangeCipherSpec)
        .map_or(n, |ccs| ccs + 1);
    let types: Vec<u8> = reference.iter().map(|r| r[0]).collect();
    let legal = Mutation {
        class: "legal",
        name: "the legal sequence".into(),
        plan: legal_plan(n),
    };
    let mut report = Report {
        checked: 0,
        failures: Vec::new(),
        outcomes: BTreeMap::new(),
    };
    for mutation in std::iter::once(legal).chain(mutations(&types)) {
        let mut ch = Channel::new(&mutation.plan, &reference, victim_is_client, &setup);
        let actual = run_role(&setup, &mut ch);
        let recs = ch.resolved();
        let expect = predict(
            &mutation.plan,
            &recs,
            &ch.live,
            &paths,
            &legal_wants,
            first_encrypted,
            victim_is_client,
        );
        let mut fail = |why: String| {
            report
                .failures
                .push(format!("{shape} {role} {suite:?} {}: {why}", mutation.name));
        };
        // Only a run whose first records are the whole legal sequence may
        // reach HandshakeOver (a client passing over HelloRequests, R14).
        let ignored =
            |item: &&Item| victim_is_client && **item == Item::Inject(Injected::HelloRequest);
        let heard: Vec<Item> = mutation
            .plan
            .iter()
            .filter(|i| !ignored(i))
            .copied()
            .collect();
        let legal_prefix = heard.get(..n) == Some(&legal_plan(n)[..]);
        if matches!(actual, Actual::Over { .. }) && !legal_prefix {
            fail(format!("reached HandshakeOver: {actual:?}"));
        }
        if mutation.class == "legal"
            && expect
                != (Expect::Over {
                    at: n - 1,
                    then: None,
                })
        {
            fail(format!("the legal sequence is predicted as {expect:?}"));
        }
        if let Err(why) = check(&expect, &actual, &mut ch) {
            fail(format!("{why}\n    actual: {actual:?}"));
        }
        let outcome = match &expect {
            Expect::Fail { kind, rule, .. } => format!("{kind:?} ({})", &rule[..3]),
            Expect::Over {
                then: Some((_, kind, rule)),
                ..
            } => format!("over, then {kind:?} ({})", &rule[..3]),
            Expect::Over { then: None, .. } => "completes".into(),
            Expect::Stall { rule } => format!("waits ({})", &rule[..3]),
            Expect::Unpredictable(_) => "unpredictable".into(),
        };
        *report
            .outcomes
            .entry((mutation.class, outcome.replace(" )", ")")))
            .or_default() += 1;
        if mutation.class != "legal" {
            report.checked += 1;
        }
    }
    let floor = 13 * n + 4;
    println!(
        "{shape}, {role} under test, {suite:?}: {n} records received, {} mutations checked (floor {floor})",
        report.checked
    );
    for ((class, outcome), count) in &report.outcomes {
        println!("    {class:9} {outcome:45} {count}");
    }
    assert!(
        report.checked >= floor,
        "{} mutations checked, fewer than {floor}",
        report.checked
    );
    report
}

/// The client of `shape` fed its legal sequence with a CertificateStatus
/// injected at each position, checked against the prediction as the
/// oracle checks its mutations; returns the failures.
fn inject_certificate_status(shape: &str, suite: CipherSuite) -> Vec<String> {
    let setup = setup(shape, suite);
    if setup.resumes {
        prime(&setup);
    }
    let legal_wants = wants(shape_path(shape), true);
    let paths = candidates(shape, true);
    let reference = record_reference(&setup, true, &legal_wants);
    let n = reference.len();
    let first_encrypted = legal_wants
        .iter()
        .position(|w| *w == Want::ChangeCipherSpec)
        .map_or(n, |ccs| ccs + 1);
    let mut failures = Vec::new();
    for at in 0..=n {
        let mut plan = legal_plan(n);
        plan.insert(at, Item::Inject(Injected::CertificateStatus));
        let mut ch = Channel::new(&plan, &reference, true, &setup);
        let actual = run_role(&setup, &mut ch);
        let recs = ch.resolved();
        let expect = predict(
            &plan,
            &recs,
            &ch.live,
            &paths,
            &legal_wants,
            first_encrypted,
            true,
        );
        // Where the table has no CertificateStatus next, it is refused; in
        // `full+ocsp` right before the genuine one, the injected copy is
        // read as the status and the genuine one is refused in its turn.
        let refused = matches!(
            expect,
            Expect::Fail {
                kind: Kind::UnexpectedMessage | Kind::BadRecordMac,
                ..
            } | Expect::Over {
                then: Some((_, Kind::BadRecordMac, _)),
                ..
            }
        );
        if !refused {
            failures.push(format!(
                "{shape} {suite:?} CertificateStatus at {at}: predicted {expect:?}"
            ));
        }
        if let Err(why) = check(&expect, &actual, &mut ch) {
            failures.push(format!(
                "{shape} {suite:?} CertificateStatus at {at}: {why}\n    actual: {actual:?}"
            ));
        }
    }
    failures
}

#[test]
fn client_rejects_a_certificate_status_out_of_place() {
    // RFC 6066 8: a CertificateStatus only right after the Certificate,
    // and only when the ServerHello acknowledged status_request. Injected
    // anywhere else in any shape (in `full+ocsp`, a second one), it is
    // `unexpected_message`, or `bad_record_mac` after the server's
    // ChangeCipherSpec.
    let mut failures = Vec::new();
    for (shape, _, _) in SHAPES {
        failures.extend(inject_certificate_status(shape, SUITES[0]));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn run_every_shape(victim_is_client: bool) {
    let mut failures = Vec::new();
    let mut total = 0;
    for (shape, _, _) in SHAPES {
        for suite in SUITES {
            let report = oracle(shape, suite, victim_is_client);
            total += report.checked;
            failures.extend(report.failures);
        }
    }
    let role = if victim_is_client { "client" } else { "server" };
    println!(
        "{role}: {total} mutations checked over {} shapes",
        SHAPES.len()
    );
    assert!(
        failures.is_empty(),
        "{} mutations broke the ordering guarantees:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn client_rejects_every_mutation_of_the_server_flights() {
    run_every_shape(true);
}

#[test]
fn server_rejects_every_mutation_of_the_client_flights() {
    run_every_shape(false);
}

#[test]
fn mutation_count_is_13n_plus_4() {
    for n in 1..8 {
        let types = vec![22u8; n];
        assert_eq!(mutations(&types).len(), 13 * n + 4);
    }
}

// --- targeted checks beside the oracle ----------------------------------

/// Runs the full handshake up to the client reading ServerKeyExchange,
/// with `rewrite` applied to that record; returns the client's fatal error.
fn client_reads_rewritten_server_key_exchange(rewrite: impl FnOnce(&mut [u8])) -> Fatal {
    let fx = fixture();
    let mut client = (*fx.pki.client_config_tls12()).clone();
    // X25519 for the key exchange, and P-256 because the server's ECDSA
    // certificate is on it (RFC 8422 5.1); the server picks X25519.
    client.groups = vec![
        tlstate::enums::NamedGroup::X25519,
        tlstate::enums::NamedGroup::secp256r1,
    ];
    let mut c = Handshake::client(Arc::new(client), name()).send().unwrap();
    let mut server = (*fx.pki.server_config_tls12(&fx.leaf)).clone();
    server.groups = vec![tlstate::enums::NamedGroup::X25519];
    let mut s = Handshake::server(Arc::new(server));
    let input: &[u8] = &c.take_output();
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let AfterClientHello::Full(s) = next(s.recv().unwrap()) else {
        panic!("resumed")
    };
    let mut s = (|| s.send()?.send()?.send()?.send()?.send())().unwrap();
    let mut flight = records(&s.take_output());
    // header(5) handshake header(4) curve_type(1) group(2) ...
    assert_eq!(flight[2][5], HandshakeType::ServerKeyExchange.to_wire());
    assert_eq!(flight[2][10..12], [0x00, 0x1d], "X25519");
    rewrite(&mut flight[2]);
    let input: &[u8] = &flight[..3].concat();
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterServerHello::Full(c) = next(c.recv().unwrap()) else {
        panic!("resumed")
    };
    next(c.recv().unwrap()).recv().unwrap_err()
}

#[test]
fn client_rejects_server_key_exchange_with_a_group_it_did_not_offer() {
    // FREAK-style parameter games: the client offered X25519 and P-256; a
    // ServerKeyExchange naming secp384r1 is refused before its signature
    // is even looked at.
    let fatal = client_reads_rewritten_server_key_exchange(|ske| {
        ske[10..12].copy_from_slice(&[0x00, 0x18])
    });
    assert!(matches!(
        fatal.error(),
        Error::PeerMisbehaved(tlstate::error::PeerMisbehaved::IllegalParameter(_))
    ));
    assert_eq!(fatal.alert(), Some(AlertDescription::IllegalParameter));
    assert_eq!(fatal.output(), &[21, 3, 3, 0, 2, 2, 47]);
}

#[test]
fn client_rejects_server_key_exchange_with_a_scheme_unfit_for_the_suite() {
    // FREAK-style: an RSA-PSS scheme (offered by the client, but not fit
    // for the negotiated ECDSA suite) in the ServerKeyExchange.
    let fatal = client_reads_rewritten_server_key_exchange(|ske| {
        // ... public key length(1) public key(32) scheme(2)
        assert_eq!(ske[12], 32);
        ske[45..47].copy_from_slice(&[0x08, 0x04]);
    });
    assert!(matches!(
        fatal.error(),
        Error::PeerMisbehaved(tlstate::error::PeerMisbehaved::IllegalParameter(_))
    ));
    assert_eq!(fatal.alert(), Some(AlertDescription::IllegalParameter));
    assert_eq!(fatal.output(), &[21, 3, 3, 0, 2, 2, 47]);
}

#[test]
fn server_rejects_a_client_certificate_without_certificate_verify() {
    // The client authenticates (shape ClientAuth), and a man in the middle
    // drops its CertificateVerify: the server, having accepted the
    // certificate, must not take the ChangeCipherSpec in its place.
    use common::LeafFlavor;
    use tlstate::crypto::WebPkiClientVerifier;
    use tlstate::handshake::{AfterClientCert, CertifiedKey, ClientCertPolicy};
    let fx = fixture();
    let verifier = WebPkiClientVerifier::new(std::slice::from_ref(&fx.pki.ca)).unwrap();
    let policy = ClientCertPolicy {
        verifier: Arc::new(verifier),
        required: true,
    };
    let leaf = fx.pki.leaf_with(
        KeyKind::EcdsaP256,
        &["client.example"],
        LeafFlavor::ClientAuth,
    );
    let mut client = (*fx.pki.client_config_tls12()).clone();
    client.client_certificate = Some(CertifiedKey::new(leaf.chain.clone(), &leaf.key).unwrap());

    let mut c = Handshake::client(Arc::new(client), name()).send().unwrap();
    let mut s =
        Handshake::server_requesting_client_cert(fx.pki.server_config_tls12(&fx.leaf), policy);
    let input: &[u8] = &c.take_output();
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let AfterClientHello::Full(s) = next(s.recv().unwrap()) else {
        panic!("resumed")
    };
    let mut s = (|| s.send()?.send()?.send()?.send()?.send()?.send())().unwrap();
    let input: &[u8] = &s.take_output();
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterServerHello::Full(c) = next(c.recv().unwrap()) else {
        panic!("resumed")
    };
    let AfterServerCert::NoCertificateStatus(c) = next(next(c.recv().unwrap()).recv().unwrap())
    else {
        panic!("no OCSP response was configured")
    };
    let AfterServerKey::CertificateRequested(c) = next(c.recv().unwrap()) else {
        panic!("no CertificateRequest")
    };
    let c = next(c.recv().unwrap());
    let mut c = (|| c.send_certificate()?.send()?.send()?.send()?.send())().unwrap();
    let flight = records(&c.take_output());
    let types: Vec<u8> = flight.iter().map(|r| r[0]).collect();
    assert_eq!(
        types,
        [22, 22, 22, 20, 22],
        "Certificate, CKE, CertificateVerify, CCS, Finished"
    );
    assert_eq!(flight[2][5], HandshakeType::CertificateVerify.to_wire());

    let input: &[u8] = &flight[0];
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let AfterClientCert::Certificate(mut s) = next(s.recv().unwrap()) else {
        panic!("the certificate was not taken")
    };
    let input: &[u8] = &flight[1];
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let mut s = next(s.recv().unwrap());
    // Skip the CertificateVerify: the ChangeCipherSpec comes instead.
    let input: &[u8] = &flight[3];
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let fatal = s.recv().unwrap_err();
    assert!(matches!(
        fatal.error(),
        Error::UnexpectedMessage {
            expected: "ClientCertVerify",
            ..
        }
    ));
    assert_eq!(fatal.alert(), Some(AlertDescription::UnexpectedMessage));
    assert_eq!(fatal.output(), &[21, 3, 3, 0, 2, 2, 10]);
}
