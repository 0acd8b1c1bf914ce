//! A sans-IO driver for event loops: bytes in, bytes and events out.
//!
//! [`ClientDriver`] and [`ServerDriver`] walk the same typed transitions as
//! the blocking [`stream`](crate::stream) driver, in the same order, but
//! never touch a transport: the caller moves the bytes. Between calls the
//! driver holds the handshake in an erased state ([`AnyClientState`],
//! [`AnyServerState`]) — an escape hatch that can hold "any state" — and it
//! advances only by calling the typed `send()`/`recv()` of the state it
//! holds, so every protocol decision stays in the typed layer.
//!
//! Input is `handle_*`, output is `poll_*` returning `Option`:
//!
//! | method | when to call it |
//! |---|---|
//! | [`handle_input`](Driver::handle_input) | whenever bytes arrived from the transport; it says how many it took, hand over the rest after reading |
//! | [`handle_eof`](Driver::handle_eof) | when the transport reached end of file |
//! | [`poll_event`](Driver::poll_event) | after every `handle_*`, until it returns `None` |
//! | [`poll_output`](Driver::poll_output) | after construction and after every `handle_*`, `send` or `close`, until it returns `None`; write what it returns to the transport |
//! | [`read`](Driver::read) | after [`Event::DataReadable`], until it returns `Ok(0)` |
//! | [`send`](Driver::send) | to send application data, from [`Event::HandshakeDone`] on |
//! | [`close`](Driver::close) | to end the connection (close_notify) |
//! | [`is_handshaking`](Driver::is_handshaking), [`state_name`](Driver::state_name) | any time, for logic and logs |
//!
//! An event loop, sketched over a blocking socket (a non-blocking one
//! differs only in how it waits):
//!
//! ```no_run
//! use std::io::{self, Read, Write};
//! use std::net::TcpStream;
//! use tlstate::driver::{ClientDriver, Event};
//!
//! fn run(mut tls: ClientDriver, mut socket: TcpStream) -> io::Result<()> {
//!     let mut incoming = [0u8; 16 * 1024];
//!     let mut data = [0u8; 4096];
//!     // Bytes the driver did not take yet (its buffers were full).
//!     let mut backlog = Vec::new();
//!     loop {
//!         while let Some(event) = tls.poll_event() {
//!             match event {
//!                 Event::HandshakeDone(_) => tls.send(b"hello").map_err(io::Error::other)?,
//!                 Event::DataReadable => loop {
//!                     let n = tls.read(&mut data).map_err(io::Error::other)?;
//!                     if n == 0 {
//!                         break;
//!                     }
//!                     println!("{:?}", &data[..n]);
//!                 },
//!                 Event::PeerClosed => {
//!                     tls.close().map_err(io::Error::other)?;
//!                     while let Some(bytes) = tls.poll_output() {
//!                         socket.write_all(&bytes)?;
//!                     }
//!                     return Ok(());
//!                 }
//!                 Event::Failed(error) => {
//!                     // The alert owed to the peer, best effort.
//!                     while let Some(bytes) = tls.poll_output() {
//!                         let _ = socket.write_all(&bytes);
//!                     }
//!                     return Err(io::Error::other(error));
//!                 }
//!                 _ => {}
//!             }
//!         }
//!         while let Some(bytes) = tls.poll_output() {
//!             socket.write_all(&bytes)?;
//!         }
//!         if !backlog.is_empty() {
//!             // The data read above made room: hand over the rest first.
//!             let taken = tls.handle_input(&backlog);
//!             backlog.drain(..taken);
//!             continue;
//!         }
//!         match socket.read(&mut incoming)? {
//!             0 => tls.handle_eof(),
//!             n => {
//!                 let taken = tls.handle_input(&incoming[..n]);
//!                 backlog.extend_from_slice(&incoming[taken..n]);
//!             }
//!         }
//!     }
//! }
//! ```

mod client;
mod erased;
mod pair;
mod server;

use std::collections::VecDeque;
use std::sync::Arc;

use rustls_pki_types::ServerName;

pub use client::AnyClientState;
pub use pair::handshake_pair;
pub use server::AnyServerState;

use crate::connection::{Connection, ReadOutcome, SessionSummary};
use crate::error::Error;
use crate::handshake::{
    Client, ClientCertPolicy, ClientConfig, EarlyDataOffer, EarlyDataOutcome, Handshake, Server,
    ServerConfig,
};
use erased::Advance;
use erased::sealed::Erased;

/// An erased handshake state the [`Driver`] can hold: [`AnyClientState`]
/// or [`AnyServerState`]. Sealed.
pub trait AnyState: Erased {}

static_assertions::assert_impl_all!(ClientDriver: Send, Sync);
static_assertions::assert_impl_all!(ServerDriver: Send, Sync);

/// The default cap on the application data a [`Driver`] holds for
/// [`Driver::read`]: 64 KiB (see [`Driver::set_max_inbox`]).
pub const DEFAULT_MAX_INBOX: usize = 64 * 1024;

/// A sans-IO client.
pub type ClientDriver = Driver<AnyClientState>;

/// A sans-IO server.
pub type ServerDriver = Driver<AnyServerState>;

/// Something that happened, reported by [`Driver::poll_event`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake completed; application data may flow both ways.
    HandshakeDone(SessionSummary),
    /// A client started [`with_early_data`](Driver::with_early_data): what
    /// became of its early data (reported just before `HandshakeDone`).
    EarlyData(EarlyDataOutcome),
    /// Application data arrived: call [`Driver::read`] until it returns
    /// `Ok(0)`.
    DataReadable,
    /// The peer sent close_notify: it will send no more data, and our own
    /// close_notify, its answer, is already queued for
    /// [`Driver::poll_output`] (RFC 5246 7.2.1). From here
    /// [`Driver::send`] fails with [`Error::Closed`].
    PeerClosed,
    /// The handshake or the connection failed; the driver is now in its
    /// `Failed` state. An alert from the peer is
    /// [`Error::AlertReceived`] (with its level and description; every
    /// alert but close_notify ends the connection), the alert we owe is
    /// [`Error::alert`] and waits in [`Driver::poll_output`].
    Failed(Error),
}

/// A sans-IO TLS endpoint: the handshake held in an erased state `S`
/// ([`AnyClientState`] or [`AnyServerState`]), then the established
/// connection. See the [module docs](self) for when to call what.
#[derive(Debug)]
pub struct Driver<S: AnyState> {
    state: S,
    /// Output owed to the peer by a state that is gone (a fatal's alert).
    owed: Vec<u8>,
    events: VecDeque<Event>,
    /// Application data received and not read yet, from `taken` on; at
    /// most `max_inbox` bytes.
    inbox: Vec<u8>,
    taken: usize,
    max_inbox: usize,
    /// Why the driver is in its `Failed` state.
    error: Option<Error>,
    peer_closed: bool,
    /// Inbox fills over the idle bound read out in a row: a stream, whose
    /// inbox buffer is kept.
    large_in_a_row: u8,
    /// A client's early data, until the handshake is done.
    early_data: Option<EarlyDataWritten>,
}

impl Driver<AnyClientState> {
    /// The established connection (see [`Driver::summary`]): the driver
    /// back while the handshake runs, after a failure, or while data it
    /// received still waits for [`read`](Self::read).
    pub fn into_connection(self) -> Result<Connection<Client>, Box<Self>> {
        self.into_established().map(|conn| *conn)
    }

    /// Starts a client handshake, as
    /// [`Handshake::client`](crate::handshake::Handshake::client); the
    /// ClientHello is queued at once for [`poll_output`](Self::poll_output).
    pub fn new(config: Arc<ClientConfig>, server_name: ServerName<'static>) -> Self {
        Self::from_state(AnyClientState::ClientHello(Handshake::client(
            config,
            server_name,
        )))
    }

    /// Starts a client handshake that sends `early_data` as TLS 1.3 0-RTT
    /// data when it can, as
    /// [`stream::connect_with_early_data`](crate::stream::connect_with_early_data)
    /// does: the ClientHello and the early data are queued at once. Just
    /// before [`Event::HandshakeDone`] comes [`Event::EarlyData`], saying
    /// whether the server accepted it and handing back what it did not
    /// take.
    pub fn with_early_data(
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
        early_data: &[u8],
    ) -> Self {
        let offered = Handshake::client(config, server_name)
            .send_with_early_data()
            .and_then(|offer| match offer {
                EarlyDataOffer::Offered(hs) => hs
                    .write_early_data(early_data)
                    .map(|(hs, written)| (AnyClientState::ServerHelloEarly(hs), Some(written))),
                EarlyDataOffer::NotOffered(hs) => Ok((AnyClientState::ServerHello(hs), None)),
            });
        match offered {
            Ok((state, written)) => {
                let mut driver = Self::from_state(state);
                driver.early_data = Some(EarlyDataWritten {
                    data: early_data.to_vec(),
                    written: written.unwrap_or(0),
                    offered: written.is_some(),
                });
                driver
            }
            Err(fatal) => {
                let mut driver = Self::from_state(AnyClientState::Failed);
                driver.fail(fatal.error().clone(), fatal.output().to_vec());
                driver
            }
        }
    }
}

/// What [`Driver::with_early_data`] wrote as early data, until the
/// handshake says what became of it.
#[derive(Debug)]
struct EarlyDataWritten {
    data: Vec<u8>,
    written: usize,
    offered: bool,
}

impl Driver<AnyServerState> {
    /// The established connection, as for the client's
    /// [`into_connection`](Driver::<AnyClientState>::into_connection).
    pub fn into_connection(self) -> Result<Connection<Server>, Box<Self>> {
        self.into_established().map(|conn| *conn)
    }

    /// Starts a server handshake, as
    /// [`Handshake::server`](crate::handshake::Handshake::server): it waits
    /// for a ClientHello.
    pub fn new(config: Arc<ServerConfig>) -> Self {
        Self::from_state(AnyServerState::ClientHello(Handshake::server(config)))
    }

    /// The 0-RTT early data the server accepted and not taken yet: while
    /// the handshake waits for the client's EndOfEarlyData, what has
    /// arrived so far (call it after each [`handle_input`](Self::handle_input)
    /// to act on an early request a round trip sooner); from
    /// [`Event::HandshakeDone`] on, the rest, once (see
    /// [`Connection::take_early_data`]). Never part of what
    /// [`read`](Self::read) returns: it may be a replay.
    pub fn take_early_data(&mut self) -> Option<Vec<u8>> {
        if let AnyServerState::EndOfEarlyDataTls13(hs) = &mut self.state {
            let data = hs.take_early_data();
            return (!data.is_empty()).then_some(data);
        }
        self.state.connection()?.take_early_data()
    }

    /// Sends 0.5-RTT data (RFC 8446 2.3): application data before the
    /// client's Finished, allowed only while a handshake that accepted
    /// early data waits for the client's EndOfEarlyData (see
    /// `Handshake::send_half_rtt_data` for what it does not assure);
    /// anywhere else [`Error::Config`], nothing sent. After the handshake
    /// use [`send`](Self::send).
    pub fn send_half_rtt(&mut self, data: &[u8]) -> Result<(), Error> {
        let state = core::mem::replace(&mut self.state, AnyServerState::Failed);
        match state {
            AnyServerState::EndOfEarlyDataTls13(hs) => match hs.send_half_rtt_data(data) {
                Ok(hs) => {
                    self.state = AnyServerState::EndOfEarlyDataTls13(hs);
                    Ok(())
                }
                Err(fatal) => {
                    let error = fatal.error().clone();
                    self.fail(error.clone(), fatal.output().to_vec());
                    Err(error)
                }
            },
            other => {
                self.state = other;
                Err(Error::Config(
                    "0.5-RTT data only while a handshake with accepted early data waits for its EndOfEarlyData".into(),
                ))
            }
        }
    }

    /// TLS 1.3: asks the client for a certificate on the established
    /// connection (see
    /// [`WriteHalf::request_client_certificate`](crate::connection::WriteHalf::request_client_certificate));
    /// the CertificateRequest is then in [`poll_output`](Self::poll_output),
    /// and the outcome, once the client's answer has been read and
    /// verified, is [`post_handshake_auth`](Self::post_handshake_auth). An
    /// error before the handshake is done, as for [`send`](Self::send).
    pub fn request_client_certificate(&mut self, policy: ClientCertPolicy) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        match self.state.connection() {
            Some(conn) => conn.request_client_certificate(policy),
            None => Err(Error::Internal(
                "a certificate request before the handshake is done",
            )),
        }
    }

    /// TLS 1.3: the outcome of the last post-handshake authentication that
    /// ended (see [`Connection::post_handshake_auth`]); `None` before.
    pub fn post_handshake_auth(&mut self) -> Option<crate::connection::PostHandshakeAuth> {
        self.state
            .connection()
            .and_then(|conn| conn.post_handshake_auth().cloned())
    }

    /// Starts a server handshake that asks for a client certificate, as
    /// [`Handshake::server_requesting_client_cert`](crate::handshake::Handshake::server_requesting_client_cert).
    pub fn requesting_client_cert(config: Arc<ServerConfig>, policy: ClientCertPolicy) -> Self {
        Self::from_state(AnyServerState::ClientHelloClientAuth(
            Handshake::server_requesting_client_cert(config, policy),
        ))
    }
}

impl<S: AnyState> Driver<S> {
    /// Takes over a handshake (or connection) at any state, for instance
    /// one walked by hand so far, and runs the writes that are ours at
    /// once. [`Event::HandshakeDone`] is reported when the driver itself
    /// completes the handshake, not for a state that is already
    /// `Established`.
    pub fn from_state(state: S) -> Self {
        let mut driver = Self {
            state,
            owed: Vec::new(),
            events: VecDeque::new(),
            inbox: Vec::new(),
            taken: 0,
            max_inbox: DEFAULT_MAX_INBOX,
            error: None,
            peer_closed: false,
            large_in_a_row: 0,
            early_data: None,
        };
        if driver.state.is_failed() {
            driver.error = Some(Error::Closed);
        }
        driver.advance();
        driver
    }

    /// Hands the driver bytes that arrived from the transport, in any
    /// slicing; call whenever the transport is readable. The driver
    /// advances as far as they allow, running our own writes as soon as
    /// they are due. Then call [`poll_event`](Self::poll_event) and
    /// [`poll_output`](Self::poll_output). After a failure, bytes are
    /// ignored (and count as taken).
    ///
    /// Returns how many bytes were taken. What the driver buffers is
    /// bounded: received application data up to the inbox cap
    /// ([`set_max_inbox`](Self::set_max_inbox)), and behind it at most one
    /// record being read and
    /// [`MAX_BUFFERED_LEN`](crate::record::MAX_BUFFERED_LEN) unread wire
    /// bytes. Bytes past that are not taken: [`read`](Self::read) what
    /// arrived, then hand over the rest again.
    #[must_use = "bytes past the count were not taken: read, then hand them over again"]
    pub fn handle_input(&mut self, bytes: &[u8]) -> usize {
        let mut taken = 0;
        while self.error.is_none() {
            let rest = bytes.get(taken..).unwrap_or_default();
            let n = self.state.feed(rest);
            taken += n;
            self.advance();
            if n == 0 || taken == bytes.len() {
                break;
            }
        }
        if self.error.is_some() {
            return bytes.len();
        }
        taken
    }

    /// Sets the most application data held for [`read`](Self::read)
    /// (default [`DEFAULT_MAX_INBOX`], at least 1 byte). Data beyond it
    /// waits in the record layer, and input beyond that is not taken by
    /// [`handle_input`](Self::handle_input).
    pub fn set_max_inbox(&mut self, max: usize) {
        self.max_inbox = max.max(1);
    }

    /// Tells the driver that the transport reached end of file; call when
    /// a read from it returns 0. Before the peer's close_notify this is
    /// truncation: [`Event::Failed`] with [`Error::Truncated`].
    pub fn handle_eof(&mut self) {
        if self.error.is_some() {
            return;
        }
        if let Some(conn) = self.state.connection() {
            if conn.peer_closed() {
                return;
            }
            let error = conn.transport_eof();
            let output = conn.take_output();
            self.fail(error, output);
            return;
        }
        let state = core::mem::replace(&mut self.state, S::failed());
        match state.abort(Error::Truncated) {
            Ok(state) => self.state = state,
            Err(fatal) => self.fail(fatal.error().clone(), fatal.output().to_vec()),
        }
    }

    /// The next bytes to write to the transport, or `None` when nothing is
    /// owed; call after construction and after every `handle_*`, `send`
    /// and `close`, until it returns `None`. After a failure it still
    /// yields the alert owed to the peer.
    pub fn poll_output(&mut self) -> Option<Vec<u8>> {
        let mut output = core::mem::take(&mut self.owed);
        if output.is_empty() {
            output = self.state.take_output();
        } else {
            output.extend_from_slice(&self.state.take_output());
        }
        (!output.is_empty()).then_some(output)
    }

    /// [`poll_output`](Self::poll_output) into the caller's vector: appends
    /// every byte owed to the peer to `out` and returns how many (0: none).
    /// Once traffic flows, nothing is allocated per record on this path
    /// (`tests/allocations.rs`), where `poll_output` hands out a new
    /// vector each time.
    pub fn poll_output_into(&mut self, out: &mut Vec<u8>) -> usize {
        let owed = self.owed.len();
        if owed > 0 {
            out.extend_from_slice(&self.owed);
            self.owed = Vec::new();
        }
        owed + self.state.output_into(out)
    }

    /// The next thing that happened, or `None`; call after every
    /// `handle_*` until it returns `None`.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Copies received application data into `buf`; call after
    /// [`Event::DataReadable`] until it returns `Ok(0)`. `Ok(0)` means
    /// nothing is buffered now (the end of the stream is
    /// [`Event::PeerClosed`], not `Ok(0)`). Data that arrived before a
    /// failure is still handed out; then the failure is the error.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let buffered = &self.inbox[self.taken..];
        if buffered.is_empty() || buf.is_empty() {
            return match &self.error {
                Some(error) if buffered.is_empty() => Err(error.clone()),
                _ => Ok(0),
            };
        }
        let n = buf.len().min(buffered.len());
        buf[..n].copy_from_slice(&buffered[..n]);
        self.taken += n;
        if self.taken == self.inbox.len() {
            // Release the buffer: an idle connection holds no data. Unless
            // large deliveries stream (as the record layer keeps its
            // buffers, `record::MAX_IDLE_CAPACITY`): then it stays, empty.
            self.large_in_a_row = if self.inbox.len() > crate::record::MAX_IDLE_CAPACITY {
                self.large_in_a_row
                    .saturating_add(1)
                    .min(crate::record::STREAMING_AFTER)
            } else {
                0
            };
            if self.large_in_a_row < crate::record::STREAMING_AFTER {
                self.inbox = Vec::new();
            } else {
                self.inbox.clear();
            }
            self.taken = 0;
            // Room again: what waited in the record layer comes in.
            if self.error.is_none() {
                self.receive();
            }
        }
        Ok(n)
    }

    /// Queues `data` as application data for
    /// [`poll_output`](Self::poll_output). Application data exists only
    /// once the handshake is over: before [`Event::HandshakeDone`] this is
    /// an error, as it is after a failure or [`close`](Self::close).
    pub fn send(&mut self, data: &[u8]) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        match self.state.connection() {
            Some(conn) => conn.send(data),
            None => Err(Error::Internal(
                "application data before the handshake is done",
            )),
        }
    }

    /// TLS 1.3: updates our sending key (see
    /// [`WriteHalf::update_keys`](crate::connection::WriteHalf::update_keys)),
    /// asking the peer to update its own too if `request_peer`; the
    /// KeyUpdate is then in [`poll_output`](Self::poll_output). Like
    /// [`send`](Self::send), an error before the handshake is done.
    pub fn update_keys(&mut self, request_peer: bool) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        match self.state.connection() {
            Some(conn) => conn.update_keys(request_peer),
            None => Err(Error::Internal("a key update before the handshake is done")),
        }
    }

    /// Ends the connection: queues close_notify (or the fatal alert
    /// pending, the only alert that will be sent) for
    /// [`poll_output`](Self::poll_output); nothing can be sent after it,
    /// while reading goes on until [`Event::PeerClosed`]. After
    /// [`Event::PeerClosed`] our close_notify is already queued, and this
    /// adds nothing.
    ///
    /// During the handshake there is no alert to send from the typed
    /// layer: the handshake is abandoned (the driver goes to `Failed`
    /// without an event) and the transport should simply be closed.
    pub fn close(&mut self) -> Result<(), Error> {
        if self.error.is_some() {
            return Ok(());
        }
        if let Some(conn) = self.state.connection() {
            return conn.shutdown_send();
        }
        let output = self.state.take_output();
        self.owed.extend_from_slice(&output);
        self.state = S::failed();
        self.error = Some(Error::Closed);
        Ok(())
    }

    /// Whether the handshake is still running (neither over nor failed).
    pub fn is_handshaking(&self) -> bool {
        !self.state.is_failed() && self.state.summary().is_none()
    }

    /// The name of the current state in the table (see
    /// [`table`](crate::handshake::table)), for logs: the state whose
    /// message comes next, `HandshakeOver` once established, or `Failed`.
    pub fn state_name(&self) -> &'static str {
        self.state.name()
    }

    /// What the handshake agreed, once it is over.
    pub fn summary(&self) -> Option<&SessionSummary> {
        self.state.summary()
    }

    /// The established connection, to drive directly from here: the
    /// driver back (`Err`) while the handshake runs, after a failure, or
    /// while application data it received waits for [`read`](Self::read)
    /// or output owed by a failed state waits for
    /// [`poll_output`](Self::poll_output) (nothing is dropped).
    fn into_established(mut self) -> Result<Box<Connection<S::Role>>, Box<Self>> {
        let held = self.taken < self.inbox.len() || !self.owed.is_empty();
        if self.error.is_some() || held || self.state.connection().is_none() {
            return Err(Box::new(self));
        }
        let state = core::mem::replace(&mut self.state, S::failed());
        state.into_connection().map_err(|state| {
            self.state = state;
            Box::new(self)
        })
    }

    /// Makes every transition the buffered bytes allow, then reads what
    /// the established connection received.
    fn advance(&mut self) {
        loop {
            let state = core::mem::replace(&mut self.state, S::failed());
            match state.step() {
                Ok(Advance::Moved(next)) => {
                    self.state = next;
                    if let Some(summary) = self.state.summary() {
                        let summary = summary.clone();
                        if let Some(early) = self.early_data.take() {
                            let accepted = summary.early_data_accepted;
                            let unsent = match accepted {
                                true => early.data.get(early.written..).unwrap_or_default(),
                                false => &early.data[..],
                            };
                            self.events.push_back(Event::EarlyData(EarlyDataOutcome {
                                offered: early.offered,
                                accepted,
                                unsent: unsent.to_vec(),
                            }));
                        }
                        self.events.push_back(Event::HandshakeDone(summary));
                    }
                }
                Ok(Advance::Waiting(same)) => {
                    self.state = same;
                    break;
                }
                Err(fatal) => {
                    self.fail(fatal.error().clone(), fatal.output().to_vec());
                    return;
                }
            }
        }
        self.receive();
    }

    /// Moves what the established connection received into the inbox, up
    /// to its cap, and reports data, close_notify or failure.
    fn receive(&mut self) {
        let Some(conn) = self.state.connection() else {
            return;
        };
        if self.taken > 0 {
            self.inbox.drain(..self.taken);
            self.taken = 0;
        }
        let mut arrived = false;
        let ended = loop {
            let room = self.max_inbox.saturating_sub(self.inbox.len());
            if room == 0 {
                // Full: the rest waits in the record layer for `read`.
                break Ok(false);
            }
            // Each record's plaintext goes from where it was decrypted
            // straight into the inbox.
            match conn.fill_buf() {
                Ok(ReadOutcome::Data(data)) => {
                    let data = data.get(..room.min(data.len())).unwrap_or_default();
                    self.inbox.extend_from_slice(data);
                    let n = data.len();
                    conn.consume(n);
                    arrived |= n > 0;
                }
                Ok(ReadOutcome::NeedMore) => break Ok(false),
                Ok(ReadOutcome::Closed) => break Ok(true),
                Err(error) => break Err(error),
            }
        };
        if self.inbox.is_empty() && self.large_in_a_row < crate::record::STREAMING_AFTER {
            self.inbox = Vec::new();
        }
        if arrived {
            self.events.push_back(Event::DataReadable);
        }
        match ended {
            Ok(true) if !self.peer_closed => {
                self.peer_closed = true;
                self.events.push_back(Event::PeerClosed);
            }
            Ok(_) => {}
            Err(error) => {
                let output = conn.take_output();
                self.fail(error, output);
            }
        }
    }

    /// Goes to `Failed`, keeping what is owed to the peer.
    fn fail(&mut self, error: Error, output: Vec<u8>) {
        self.owed.extend_from_slice(&output);
        self.state = S::failed();
        self.events.push_back(Event::Failed(error.clone()));
        self.error = Some(error);
    }
}
