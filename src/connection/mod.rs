//! After the handshake: application data both ways, alerts, shutdown.
//!
//! [`Connection`] is what `Handshake<R, HandshakeOver>` turns into: the
//! transcript, secrets and handshake buffers are dropped; what remains is
//! the record layer, split into a [`ReadHalf`] and a [`WriteHalf`] that two
//! threads can own. The halves share atomics (`shared.rs`): the
//! `read_closed`/`write_closed` flags, which only ever go from open to
//! closed, and one pending-alert slot per half — the seed's
//! `reader_alert_out` and `writer_alert_out` — and, for TLS 1.3
//! post-handshake authentication (`post_handshake_auth.rs`), two small
//! Mutex slots the data path never locks. See `docs/connection.md`.

mod key_update;
mod post_handshake_auth;
mod read_half;
mod shared;
mod write_half;

use std::io;
use std::sync::Arc;

use rustls_pki_types::CertificateDer;

pub use post_handshake_auth::PostHandshakeAuth;
pub use read_half::ReadHalf;
pub use write_half::WriteHalf;

use key_update::TrafficSecret;
use post_handshake_auth::Pha13;

use crate::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::error::Error;
use crate::handshake::known::{Certified, Keyed};
use crate::handshake::tls13::known::Certified13;
use crate::handshake::tls13::table::state as state13;
use crate::handshake::{Client, ClientCertPolicy, Handshake, Role, Server, Shape, state};

/// What was agreed in the handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSummary {
    /// The protocol version negotiated.
    pub protocol_version: ProtocolVersion,
    /// The cipher suite.
    pub cipher_suite: CipherSuite,
    /// The ECDHE group.
    pub group: NamedGroup,
    /// The scheme that signed the server's ECDHE parameters.
    pub signature_scheme: SignatureScheme,
    /// Whether the extended master secret (RFC 7627) is in use. Always
    /// false in TLS 1.3, which has no such extension: its key schedule binds
    /// every secret to the transcript by construction.
    pub extended_master_secret: bool,
    /// The server name the client asked for, if any.
    pub server_name: Option<String>,
    /// The application protocol (ALPN), if any.
    pub alpn_protocol: Option<Vec<u8>>,
    /// The server's certificate chain, end-entity first (on resumption,
    /// the chain of the original handshake, as the client remembered it).
    pub server_certificates: Arc<[CertificateDer<'static>]>,
    /// The OCSP response the server stapled (RFC 6066 8), DER, as it
    /// arrived (the client) or was sent (the server); `None` if none was,
    /// and always on resumption. Not checked by the default verifier: see
    /// [`ServerCertVerifier::verify_ocsp_response`](crate::crypto::ServerCertVerifier::verify_ocsp_response).
    pub ocsp_response: Option<Arc<[u8]>>,
    /// The client's certificate chain, when it authenticated with one.
    pub client_certificates: Arc<[CertificateDer<'static>]>,
    /// Whether this handshake resumed an earlier session.
    pub resumed: bool,
    /// How it was resumed (`None` for a full handshake).
    pub resumed_by: Option<crate::session::ResumedBy>,
    /// The session ID the server assigned (may be empty).
    pub session_id: Vec<u8>,
    /// Whether 0-RTT early data went in this handshake and the server
    /// accepted it (TLS 1.3, RFC 8446 2.3). The server hands the data out
    /// with [`Connection::take_early_data`].
    pub early_data_accepted: bool,
}

/// What a read produced: with [`read`](Connection::read), `Data` is how
/// many bytes were copied out (`ReadOutcome<usize>`); with
/// [`fill_buf`](Connection::fill_buf), the bytes themselves, in place
/// (`ReadOutcome<&[u8]>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOutcome<D = usize> {
    /// Application data: the count copied out, or the bytes.
    Data(D),
    /// Nothing whole has arrived: feed more bytes.
    NeedMore,
    /// The peer sent close_notify: the clean end of the stream.
    Closed,
}

impl<D> ReadOutcome<D> {
    /// The same outcome with `f` applied to the data, e.g.
    /// `outcome.map(<[u8]>::len)` for the count of bytes handed out.
    pub fn map<E>(self, f: impl FnOnce(D) -> E) -> ReadOutcome<E> {
        match self {
            Self::Data(data) => ReadOutcome::Data(f(data)),
            Self::NeedMore => ReadOutcome::NeedMore,
            Self::Closed => ReadOutcome::Closed,
        }
    }
}

impl ReadOutcome<&[u8]> {
    /// Copies as much of the data as fits into `buf`: the outcome
    /// [`read`](Connection::read) reports, the count being what to
    /// [`consume`](Connection::consume).
    fn copy_into(self, buf: &mut [u8]) -> ReadOutcome {
        self.map(|data| copy_prefix(data, buf))
    }
}

/// Copies as much of `data` as fits into `buf`; returns how much that was.
pub(crate) fn copy_prefix(data: &[u8], buf: &mut [u8]) -> usize {
    let n = data.len().min(buf.len());
    if let (Some(dst), Some(src)) = (buf.get_mut(..n), data.get(..n)) {
        dst.copy_from_slice(src);
    }
    n
}

/// An established connection of role `R`, both halves together.
///
/// Used whole, a fatal error found while reading puts its alert on the
/// wire at once (this value owns the writer too). [`split`](Self::split)
/// it to read and write from two threads; then, as in the seed, the
/// reader's alert waits in its slot until the writer's `shutdown_send`.
pub struct Connection<R: Role> {
    read: ReadHalf<R>,
    write: WriteHalf<R>,
    summary: SessionSummary,
    /// A server's accepted 0-RTT data, until taken.
    early_data: Option<Vec<u8>>,
}

impl<R: Role> core::fmt::Debug for Connection<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &R::NAME)
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

impl<R: Role, P: Shape> Handshake<R, state::HandshakeOver, P> {
    /// What was agreed.
    pub fn summary(&self) -> SessionSummary {
        summary_of(self.known.clone(), P::RESUMED)
    }

    /// The established connection. Application data exists only from here;
    /// everything the handshake needed and the connection does not is
    /// dropped now.
    pub fn into_connection(self) -> Connection<R> {
        // What the handshake learned moves into the summary: no copies.
        let summary = summary_of(self.known, P::RESUMED);
        // The handshake's secrets are wiped as its state drops here.
        let (reader, writer, out) = self.core.into_record_layer();
        Connection::new(reader, writer, out, summary, None, None)
    }
}

impl<P: Shape> Handshake<Client, state13::HandshakeOver, P> {
    /// What was agreed (TLS 1.3).
    pub fn summary(&self) -> SessionSummary {
        summary_of13(
            self.known.clone(),
            self.core.side.server_scheme,
            P::RESUMED,
            P::EARLY_DATA,
        )
    }

    /// The established TLS 1.3 connection (see the TLS 1.2
    /// `into_connection`): after it, each NewSessionTicket is kept in the
    /// configuration's session store under the server name (if there is
    /// a store and a DNS name), any other handshake message but KeyUpdate
    /// is `unexpected_message`.
    pub fn into_connection(self) -> Connection<Client> {
        let suite = self.known.negotiated.suite;
        let tickets = ticket_sink(&self);
        let summary = summary_of13(
            self.known,
            self.core.side.server_scheme,
            P::RESUMED,
            P::EARLY_DATA,
        );
        let secrets =
            traffic_secrets13(suite, &self.core.read_traffic13, &self.core.write_traffic13);
        // We offered post_handshake_auth if configured to (this is TLS 1.3).
        let pha = self.core.transcript.running_hash().map(|transcript| Pha13 {
            client: true,
            allowed: self.core.config.post_handshake_auth,
            transcript,
            certificate: self.core.config.client_certificate.clone(),
        });
        let (reader, writer, out) = self.core.into_record_layer();
        let mut conn = Connection::new(reader, writer, out, summary, Some(secrets), pha);
        conn.read.set_ticket_sink(tickets);
        conn
    }
}

/// Where the client's connection keeps the server's tickets, with a copy
/// of the resumption master secret (copied, not moved, as the traffic
/// secrets are: the original is wiped in place with the handshake state).
fn ticket_sink<P: Shape>(
    hs: &Handshake<Client, state13::HandshakeOver, P>,
) -> Option<Box<read_half::TicketSink>> {
    let store = hs.core.config.session_store.clone()?;
    let server_name = match &hs.core.side.server_name {
        rustls_pki_types::ServerName::DnsName(name) => name.as_ref().to_owned(),
        _ => return None,
    };
    let resumption = hs.core.side.tls13.resumption.clone()?;
    Some(Box::new(read_half::TicketSink {
        store,
        server_name,
        suite: hs.known.negotiated.suite.suite,
        resumption,
        server_certificates: hs.known.server_certificates.clone(),
        alpn_protocol: hs.known.negotiated.alpn_protocol.clone(),
    }))
}

impl Handshake<Server, state13::EndOfEarlyData, crate::handshake::EarlyData> {
    /// What is agreed so far, waiting for the client's EndOfEarlyData
    /// after accepting its 0-RTT data: what the finished handshake's
    /// summary will say (the client's Finished is not verified yet).
    pub fn summary(&self) -> SessionSummary {
        let scheme = self.core.side.tls13.as_ref().map(|choice| choice.scheme);
        summary_of13(self.known.clone(), scheme, true, true)
    }
}

impl<R: Role> Connection<R> {
    /// Puts early data taken during the handshake back in front of what
    /// the connection holds (the stream's 0.5-RTT walk takes it early).
    pub(crate) fn prepend_early_data(&mut self, mut taken: Vec<u8>) {
        if let Some(rest) = self.early_data.take() {
            taken.extend_from_slice(&rest);
        }
        self.early_data = (!taken.is_empty()).then_some(taken);
    }
}

impl<P: Shape> Handshake<Server, state13::HandshakeOver, P> {
    /// What was agreed (TLS 1.3).
    pub fn summary(&self) -> SessionSummary {
        summary_of13(
            self.known.clone(),
            self.tls13_server_scheme(),
            P::RESUMED,
            P::EARLY_DATA,
        )
    }

    /// The established TLS 1.3 connection (see the TLS 1.2
    /// `into_connection`).
    pub fn into_connection(mut self) -> Connection<Server> {
        // What was not taken at the EndOfEarlyData state, if anything.
        let early_data = (self.core.early_data.take())
            .map(|early| early.data)
            .filter(|data| !data.is_empty());
        let scheme = self.tls13_server_scheme();
        let suite = self.known.negotiated.suite;
        let summary = summary_of13(self.known, scheme, P::RESUMED, P::EARLY_DATA);
        let secrets =
            traffic_secrets13(suite, &self.core.read_traffic13, &self.core.write_traffic13);
        let allowed = self
            .core
            .side
            .tls13
            .as_ref()
            .is_some_and(|choice| choice.post_handshake_auth);
        let pha = self.core.transcript.running_hash().map(|transcript| Pha13 {
            client: false,
            allowed,
            transcript,
            certificate: None,
        });
        let (reader, writer, out) = self.core.into_record_layer();
        let mut conn = Connection::new(reader, writer, out, summary, Some(secrets), pha);
        conn.early_data = early_data;
        conn
    }
}

/// The application traffic secrets of a finished TLS 1.3 handshake, moved
/// out of its state for KeyUpdate (`None` only if the handshake lost
/// one, which would be our bug: a KeyUpdate is then an internal error).
type Secrets13 = (Option<TrafficSecret>, Option<TrafficSecret>);

/// Copies, not moves: a secret moved out of the boxed handshake state
/// would leave its bytes behind in the box's heap block, unwiped (a move
/// runs no `Drop`); the originals are wiped in place as the state drops
/// (`tests/secret_wiping.rs::no_freed_block_holds_a_tls13_traffic_secret`
/// caught the move).
fn traffic_secrets13(
    suite: &'static crate::crypto::tls13::Tls13CipherSuite,
    read: &Option<crate::crypto::tls13::Secret>,
    write: &Option<crate::crypto::tls13::Secret>,
) -> Secrets13 {
    (
        read.as_ref()
            .map(|secret| TrafficSecret::new(suite, secret.clone())),
        write
            .as_ref()
            .map(|secret| TrafficSecret::new(suite, secret.clone())),
    )
}

/// The summary of a finished TLS 1.3 handshake. There is no session ID
/// and no extended master secret in TLS 1.3; `signature_scheme` is the
/// one of the server's CertificateVerify (none on resumption: `Unknown(0)`).
fn summary_of13(
    known: Certified13,
    scheme: Option<SignatureScheme>,
    resumed: bool,
    early_data_accepted: bool,
) -> SessionSummary {
    let Certified13 {
        negotiated,
        server_certificates,
        ocsp_response,
        client_certificates,
    } = known;
    SessionSummary {
        protocol_version: ProtocolVersion::Tls13,
        cipher_suite: negotiated.suite.suite,
        group: negotiated.group,
        signature_scheme: scheme.unwrap_or(SignatureScheme::Unknown(0)),
        extended_master_secret: false,
        server_name: negotiated.server_name,
        alpn_protocol: negotiated.alpn_protocol,
        server_certificates,
        ocsp_response,
        client_certificates,
        resumed,
        resumed_by: resumed.then_some(crate::session::ResumedBy::Tls13Psk),
        session_id: Vec::new(),
        early_data_accepted,
    }
}

/// The summary of a finished handshake, from what it knows.
fn summary_of(keyed: Keyed, resumed: bool) -> SessionSummary {
    let Keyed {
        certified,
        group,
        signature_scheme,
        client_certificates,
    } = keyed;
    let Certified {
        negotiated,
        server_certificates,
        ocsp_response,
    } = certified;
    SessionSummary {
        protocol_version: ProtocolVersion::Tls12,
        cipher_suite: negotiated.suite.suite,
        group,
        signature_scheme,
        extended_master_secret: negotiated.extended_master_secret,
        server_name: negotiated.server_name,
        alpn_protocol: negotiated.alpn_protocol,
        server_certificates,
        ocsp_response,
        client_certificates,
        resumed,
        resumed_by: negotiated.resumed_by.filter(|_| resumed),
        session_id: negotiated.session_id,
        early_data_accepted: false,
    }
}

impl Connection<Server> {
    /// TLS 1.3: asks the client for a certificate now (see
    /// [`WriteHalf::request_client_certificate`]); the outcome is
    /// [`post_handshake_auth`](Self::post_handshake_auth) once the
    /// client's answer has been read and verified.
    pub fn request_client_certificate(&mut self, policy: ClientCertPolicy) -> Result<(), Error> {
        self.write.request_client_certificate(policy)
    }

    /// TLS 1.3: the outcome of the last post-handshake authentication that
    /// ended (see [`ReadHalf::post_handshake_auth`]). The
    /// [`summary`](Self::summary) stays what the handshake agreed.
    pub fn post_handshake_auth(&self) -> Option<&PostHandshakeAuth> {
        self.read.post_handshake_auth()
    }
}

impl<R: Role> Connection<R> {
    /// The connection over the handshake's record layer; `tls13` (the
    /// traffic secrets, for KeyUpdate) selects the TLS 1.3 rules for what
    /// the peer may send after the handshake.
    fn new(
        reader: crate::record::RecordReader,
        writer: crate::record::RecordWriter,
        out: Vec<u8>,
        summary: SessionSummary,
        tls13: Option<Secrets13>,
        pha: Option<Pha13>,
    ) -> Self {
        let shared = Arc::new(shared::Shared::default());
        let is_tls13 = tls13.is_some();
        let (read_secret, write_secret) = tls13.unwrap_or((None, None));
        Connection {
            read: ReadHalf::new(reader, shared.clone(), is_tls13, read_secret, pha.clone()),
            write: WriteHalf::new(writer, out, shared, is_tls13, write_secret, pha),
            summary,
            early_data: None,
        }
    }

    /// The 0-RTT early data the server accepted in the handshake (TLS
    /// 1.3, RFC 8446 2.3), once: `None` when there was none (and on the
    /// client). It is never handed out by `read`, which returns only what
    /// came after the handshake: early data can be a replay (RFC 8446 8),
    /// so the application decides what it may act on.
    pub fn take_early_data(&mut self) -> Option<Vec<u8>> {
        self.early_data.take()
    }

    /// What was agreed in the handshake.
    pub fn summary(&self) -> &SessionSummary {
        &self.summary
    }

    /// The two halves, for two threads. Both are `Send`.
    pub fn split(self) -> (ReadHalf<R>, WriteHalf<R>) {
        (self.read, self.write)
    }

    /// Queues `data` as application data records.
    pub fn send(&mut self, data: &[u8]) -> Result<(), Error> {
        self.write.send(data)
    }

    /// TLS 1.3: updates our sending key now (see
    /// [`WriteHalf::update_keys`]), asking the peer to update its own too
    /// if `request_peer`.
    pub fn update_keys(&mut self, request_peer: bool) -> Result<(), Error> {
        self.write.update_keys(request_peer)
    }

    /// Copies received application data into `buf` (see
    /// [`ReadHalf::read`]). A renegotiation request is refused with a
    /// no_renegotiation warning queued at once; the peer's close_notify is
    /// answered with ours, queued at once; a fatal error queues its
    /// alert, the only one that will be sent.
    ///
    /// This is [`fill_buf`](Self::fill_buf), a copy, and
    /// [`consume`](Self::consume) of what was copied.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<ReadOutcome, Error> {
        let outcome = self.fill_buf()?.copy_into(buf);
        if let ReadOutcome::Data(n) = outcome {
            self.consume(n);
        }
        Ok(outcome)
    }

    /// Received application data, in place, without a copy (see
    /// [`ReadHalf::fill_buf`]): the unread rest of the current record, the
    /// same bytes on every call until [`consume`](Self::consume)d. The
    /// outcomes, errors and side effects are those of
    /// [`read`](Self::read): renegotiation requests are refused at once, a
    /// fatal error queues its alert.
    #[inline]
    pub fn fill_buf(&mut self) -> Result<ReadOutcome<&[u8]>, Error> {
        let outcome = self.read.fill_buf();
        match &outcome {
            Err(error) if error.alert().is_some() => {
                let _ = self.write.shutdown_send();
            }
            _ => {
                let _ = self.write.answer_peer();
            }
        }
        outcome
    }

    /// Marks the first `n` bytes handed out by [`fill_buf`](Self::fill_buf)
    /// as read (see [`ReadHalf::consume`]).
    #[inline]
    pub fn consume(&mut self, n: usize) {
        self.read.consume(n);
    }

    /// Queues exactly one alert, then nothing: the writer's pending alert,
    /// else the reader's, else close_notify (the seed's shutdown rule).
    pub fn shutdown_send(&mut self) -> Result<(), Error> {
        self.write.shutdown_send()
    }

    /// Queues close_notify; an alias of [`shutdown_send`](Self::shutdown_send)
    /// when no error is pending.
    pub fn send_close_notify(&mut self) -> Result<(), Error> {
        self.shutdown_send()
    }

    /// Whether the peer's close_notify has arrived.
    pub fn peer_closed(&self) -> bool {
        self.read.peer_closed()
    }

    /// Whether the connection ended in an error rather than a clean close.
    pub fn failed(&self) -> bool {
        self.read.failed()
    }

    /// Records that the transport reached EOF: truncation unless the
    /// peer's close_notify came first.
    pub fn transport_eof(&mut self) -> Error {
        self.read.transport_eof()
    }

    /// Hands the record layer bytes from the peer, as far as they fit;
    /// returns how many were taken (see [`ReadHalf::feed`]).
    #[must_use = "bytes past the count were not taken: feed them again after reading"]
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        self.read.feed(bytes)
    }

    /// Hands over bytes from the peer without a copy when nothing is
    /// buffered; returns the bytes not taken (see [`ReadHalf::feed_owned`]).
    #[must_use = "bytes not taken are handed back: feed them again after reading"]
    pub fn feed_owned(&mut self, bytes: Vec<u8>) -> Vec<u8> {
        self.read.feed_owned(bytes)
    }

    /// Reads once from `transport`; `Ok(0)` is EOF.
    pub fn fill_from(&mut self, transport: &mut impl io::Read) -> io::Result<usize> {
        self.read.fill_from(transport)
    }

    /// The bytes queued for the peer.
    pub fn pending_output(&self) -> &[u8] {
        self.write.pending_output()
    }

    /// Takes the bytes queued for the peer.
    pub fn take_output(&mut self) -> Vec<u8> {
        self.write.take_output()
    }

    /// Appends the bytes queued for the peer to `out`, keeping our buffer
    /// (see [`WriteHalf::output_into`]); returns how many.
    pub fn output_into(&mut self, out: &mut Vec<u8>) -> usize {
        self.write.output_into(out)
    }

    /// Writes the queued bytes to `transport` and flushes it.
    pub fn flush_to(&mut self, transport: &mut impl io::Write) -> io::Result<()> {
        self.write.flush_to(transport)
    }

    /// Frees both record buffers where they hold nothing: while large
    /// records stream each way, the reader and the writer keep theirs
    /// between records (no allocation per record); an idle connection
    /// otherwise holds at most a small buffer each way
    /// ([`MAX_IDLE_CAPACITY`](crate::record::MAX_IDLE_CAPACITY)). Call it
    /// when the traffic pauses, to go back to that.
    pub fn release_buffers(&mut self) {
        self.read.release_buffer();
        self.write.release_buffer();
    }
}
