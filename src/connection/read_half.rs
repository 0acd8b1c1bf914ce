//! The reading half: records in, application data out.

use std::io;
use std::marker::PhantomData;
use std::sync::Arc;

use super::ReadOutcome;
use super::key_update::TrafficSecret;
use super::post_handshake_auth::{
    CertificateRequested, MAX_UNANSWERED_REQUESTS, Pha13, PostHandshakeAuth, Step,
};
use super::shared::{Shared, lock};
use crate::enums::{AlertDescription, ContentType, HandshakeType};
use crate::error::{Error, PeerMisbehaved, Received};
use crate::handshake::Role;
use crate::message::HandshakePayload;
use crate::message::tls13::{KeyUpdateRequest, PayloadTls13};
use crate::record::{Inbound, RecordReader};

/// A handshake message's header: type(1) length(3).
const HANDSHAKE_HEADER_LEN: usize = 4;

/// The half of a connection that reads. It can be moved to another thread
/// than its [`WriteHalf`](super::WriteHalf); the two share atomics
/// (and, for post-handshake authentication, two rarely locked slots).
pub struct ReadHalf<R: Role> {
    /// Application data received and not consumed yet stays in here, in
    /// the record it came in (`RecordReader::peek_message`).
    reader: RecordReader,
    /// Why reading ended, once it has.
    ended: Option<Result<(), Error>>,
    /// A renegotiation request has been refused: the next one is fatal.
    refused_renegotiation: bool,
    /// TLS 1.3 rules after the handshake: no renegotiation; a KeyUpdate
    /// moves the reading key on; a client keeps a NewSessionTicket (in
    /// `tickets`, or drops it without a store), a server refuses one; the
    /// messages of post-handshake authentication are read as its exchange
    /// allows; any other handshake message is refused.
    tls13: bool,
    /// A TLS 1.3 client's: where the server's tickets go.
    tickets: Option<Box<TicketSink>>,
    /// TLS 1.3: the peer's current application traffic secret.
    secret: Option<TrafficSecret>,
    /// TLS 1.3: what post-handshake authentication needs.
    pha: Option<Pha13>,
    /// TLS 1.3 server: the outcome of the last post-handshake
    /// authentication that ended.
    client_auth: Option<PostHandshakeAuth>,
    shared: Arc<Shared>,
    _role: PhantomData<fn() -> R>,
}

impl<R: Role> core::fmt::Debug for ReadHalf<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReadHalf")
            .field("role", &R::NAME)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl<R: Role> ReadHalf<R> {
    pub(crate) fn new(
        reader: RecordReader,
        shared: Arc<Shared>,
        tls13: bool,
        secret: Option<TrafficSecret>,
        pha: Option<Pha13>,
    ) -> Self {
        Self {
            reader,
            ended: None,
            refused_renegotiation: false,
            tls13,
            tickets: None,
            secret,
            pha,
            client_auth: None,
            shared,
            _role: PhantomData,
        }
    }

    /// Where the server's TLS 1.3 tickets go (a client's connection).
    pub(crate) fn set_ticket_sink(&mut self, tickets: Option<Box<TicketSink>>) {
        self.tickets = tickets;
    }

    /// Hands the record layer bytes from the peer, in any slicing, as far
    /// as they fit, and returns how many were taken: at most
    /// [`MAX_BUFFERED_LEN`](crate::record::MAX_BUFFERED_LEN) unread wire
    /// bytes are buffered (besides the record whose data
    /// [`fill_buf`](Self::fill_buf) holds). Feed the rest after reading;
    /// `0` means read first. Once reading has ended (close_notify or an
    /// error), bytes are dropped and all count as taken: nothing more will
    /// be read, so a caller feeding until all is taken does not spin.
    #[must_use = "bytes past the count were not taken: feed them again after reading"]
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        if self.ended.is_some() {
            return bytes.len();
        }
        self.reader.feed(bytes)
    }

    /// Hands over bytes from the peer in their own vector: when nothing is
    /// buffered (and they fit) the vector itself becomes the buffer, and the
    /// records in it are opened in place without a copy. Returns the bytes
    /// not taken (empty when all were), to be fed again after reading (see
    /// [`RecordReader::feed_owned`]).
    #[must_use = "bytes not taken are handed back: feed them again after reading"]
    pub fn feed_owned(&mut self, bytes: Vec<u8>) -> Vec<u8> {
        if self.ended.is_some() {
            return Vec::new();
        }
        self.reader.feed_owned(bytes)
    }

    /// Reads once from `transport`; `Ok(0)` is EOF.
    pub fn fill_from(&mut self, transport: &mut impl io::Read) -> io::Result<usize> {
        self.reader.read_from(transport)
    }

    /// Frees the record buffer if nothing is in it (see
    /// [`RecordReader::release_buffer`]): a stream of large records keeps
    /// it between records, and this is for a caller that knows the stream
    /// has paused.
    pub fn release_buffer(&mut self) {
        self.reader.release_buffer();
    }

    /// Whether the peer's close_notify has arrived.
    pub fn peer_closed(&self) -> bool {
        matches!(self.ended, Some(Ok(())))
    }

    /// Whether the connection ended in an error (in either half).
    pub fn failed(&self) -> bool {
        self.shared.failed.is_closed()
    }

    /// Records that the transport reached EOF: without close_notify first,
    /// this is truncation, never a clean end.
    pub fn transport_eof(&mut self) -> Error {
        if self.peer_closed() {
            return Error::Closed;
        }
        self.fail(Error::Truncated)
    }

    /// Copies received application data into `buf`; data that does not
    /// fit stays for the next call.
    ///
    /// `Closed` is the peer's close_notify, which also closes writing: the
    /// [`WriteHalf`](super::WriteHalf) answers with our own close_notify
    /// on its next `send`, `flush_to`, `take_output` or `shutdown_send`,
    /// and refuses to send more (RFC 5246 7.2.1). Every other alert ends the
    /// connection with [`Error::AlertReceived`]. The first renegotiation
    /// request (HelloRequest to a client, ClientHello to a server) is
    /// refused: the writer owes a no_renegotiation warning, and reading
    /// goes on. A second one is [`Error::UnexpectedMessage`]; a
    /// HelloRequest with a body is [`Error::InvalidMessage`].
    ///
    /// `Data(0)` comes from an empty application data record (which a peer
    /// may send), or from an empty `buf` while data waits.
    ///
    /// This is [`fill_buf`](Self::fill_buf), a copy, and
    /// [`consume`](Self::consume) of what was copied: the two ways of
    /// reading see the same outcomes and errors.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<ReadOutcome, Error> {
        let outcome = self.fill_buf()?.copy_into(buf);
        if let ReadOutcome::Data(n) = outcome {
            self.consume(n);
        }
        Ok(outcome)
    }

    /// Received application data, in place: the plaintext of the current
    /// record where it was decrypted, without a copy.
    ///
    /// `Data(bytes)` is the unread rest of one record (at most 2^14
    /// bytes); every call hands out the same bytes again until
    /// [`consume`](Self::consume) marks some or all of them read, and only
    /// then does reading move on to the next record. An empty application
    /// data record is handed out once, as `Data(&[])`. `NeedMore`,
    /// `Closed` and the errors are exactly those of [`read`](Self::read),
    /// which is this plus a copy; so is the handling of alerts and
    /// renegotiation requests. Nothing is read from a transport here:
    /// `NeedMore` asks for [`feed`](Self::feed) or
    /// [`fill_from`](Self::fill_from).
    ///
    /// While data is held, [`fill_from`](Self::fill_from) and
    /// [`feed`](Self::feed) go on buffering the records behind it.
    #[inline]
    pub fn fill_buf(&mut self) -> Result<ReadOutcome<&[u8]>, Error> {
        Ok(match self.poll()? {
            Polled::Held => ReadOutcome::Data(self.reader.held_data()),
            Polled::Empty => ReadOutcome::Data(&[]),
            Polled::NeedMore => ReadOutcome::NeedMore,
            Polled::Closed => ReadOutcome::Closed,
        })
    }

    /// Marks the first `n` bytes handed out by [`fill_buf`](Self::fill_buf)
    /// as read (all of them if `n` is larger). The record's buffer is
    /// reused or released once all of it is read.
    #[inline]
    pub fn consume(&mut self, n: usize) {
        self.reader.consume_data(n);
    }

    /// Reads records until application data is held, the stream ends, or
    /// more bytes are needed. Returns what it found without borrowing it,
    /// so that `fill_buf` can hand out the bytes.
    fn poll(&mut self) -> Result<Polled, Error> {
        loop {
            match &self.ended {
                Some(Ok(())) => return Ok(Polled::Closed),
                Some(Err(error)) => return Err(error.clone()),
                None => {}
            }
            // Data already handed out and not all consumed comes first,
            // even after the writer half failed (it was received before).
            if !self.reader.held_data().is_empty() {
                return Ok(Polled::Held);
            }
            // The writer half failed: that closes reading too.
            if self.shared.failed.is_closed() {
                return Err(self.end(Error::Closed));
            }
            let inbound = match self.reader.peek_message() {
                Ok(None) => return Ok(Polled::NeedMore),
                Ok(Some(inbound)) => inbound,
                Err(error) => return Err(self.fail(error)),
            };
            match inbound {
                Inbound::ApplicationData([]) => return Ok(Polled::Empty),
                Inbound::ApplicationData(_) => return Ok(Polled::Held),
                Inbound::Alert(alert) if alert.description == AlertDescription::CloseNotify => {
                    self.ended = Some(Ok(()));
                    self.shared.peer_close_notify();
                }
                Inbound::Alert(alert) => {
                    let error = Error::AlertReceived {
                        level: alert.level,
                        description: alert.description,
                    };
                    return Err(self.fail(error));
                }
                // A client keeps each ticket in its store, which bounds
                // how many it holds; without a store it is checked and
                // dropped. Only servers send tickets (RFC 8446 4.6.1).
                Inbound::Handshake { typ, encoded }
                    if self.tls13
                        && typ == HandshakeType::NewSessionTicket
                        && R::PEER_RENEGOTIATION == HandshakeType::HelloRequest =>
                {
                    let body = encoded.get(HANDSHAKE_HEADER_LEN..).unwrap_or(&[]);
                    let ticket = match PayloadTls13::read_body(typ, body) {
                        Ok(PayloadTls13::NewSessionTicket(ticket)) => ticket,
                        Ok(_) => {
                            return Err(self.fail(Error::Internal(
                                "NewSessionTicket decoded as another message",
                            )));
                        }
                        Err(error) => return Err(self.fail(error.into())),
                    };
                    if let Some(sink) = &self.tickets
                        && let Err(error) = sink.keep(ticket)
                    {
                        return Err(self.fail(error));
                    }
                }
                Inbound::Handshake { typ, encoded }
                    if self.tls13 && typ == HandshakeType::KeyUpdate =>
                {
                    let body = encoded.get(HANDSHAKE_HEADER_LEN..).unwrap_or(&[]);
                    let request = match PayloadTls13::read_body(typ, body) {
                        Ok(PayloadTls13::KeyUpdate(request)) => request,
                        Ok(_) => {
                            return Err(
                                self.fail(Error::Internal("KeyUpdate decoded as another message"))
                            );
                        }
                        Err(error) => return Err(self.fail(error.into())),
                    };
                    if let Err(error) = self.key_update(request) {
                        return Err(self.fail(error));
                    }
                }
                Inbound::Handshake { typ, encoded }
                    if self.tls13 && is_client_auth_message(typ) =>
                {
                    // A rare message: copied, so that the reader can
                    // move on while the exchange is checked.
                    let encoded = encoded.to_vec();
                    if let Err(error) = self.read_client_auth_message(typ, &encoded) {
                        return Err(self.fail(error));
                    }
                }
                Inbound::Handshake { typ, .. } if self.tls13 => {
                    return Err(self.fail(Error::UnexpectedMessage {
                        expected: expected_after_handshake13::<R>(),
                        got: Received::Handshake(typ),
                    }));
                }
                Inbound::Handshake { typ, encoded } if typ == R::PEER_RENEGOTIATION => {
                    if let Err(error) =
                        check_renegotiation(typ, encoded, self.refused_renegotiation)
                    {
                        return Err(self.fail(error));
                    }
                    self.refused_renegotiation = true;
                    self.shared.owe_refusal();
                }
                Inbound::Handshake { typ, .. } => {
                    let got = Received::Handshake(typ);
                    return Err(self.fail(Error::UnexpectedMessage {
                        expected: "application data",
                        got,
                    }));
                }
                Inbound::ChangeCipherSpec => {
                    let got = Received::Record(ContentType::ChangeCipherSpec);
                    return Err(self.fail(Error::UnexpectedMessage {
                        expected: "application data",
                        got,
                    }));
                }
            }
        }
    }

    /// The peer's KeyUpdate (RFC 8446 4.6.3): the next record is read
    /// under its next traffic secret. The KeyUpdate must end its record
    /// (RFC 8446 5.1: a key change on a record boundary; `install_opener`
    /// refuses it otherwise with unexpected_message). update_requested
    /// leaves our writer owing an update of its own.
    fn key_update(&mut self, request: KeyUpdateRequest) -> Result<(), Error> {
        let requested = match request {
            KeyUpdateRequest::UpdateRequested => true,
            KeyUpdateRequest::UpdateNotRequested => false,
            KeyUpdateRequest::Unknown(_) => {
                return Err(PeerMisbehaved::IllegalParameter(
                    "a KeyUpdate request other than 0 or 1",
                )
                .into());
            }
        };
        let secret = self
            .secret
            .as_mut()
            .ok_or(Error::Internal("no traffic secret to update"))?;
        let opener = secret.next_opener()?;
        self.reader.install_opener(Box::new(opener))?;
        if requested {
            self.shared.owe_key_update();
        }
        Ok(())
    }

    /// A message of post-handshake client authentication (RFC 8446
    /// 4.6.2). A client accepts a CertificateRequest only if it offered
    /// post_handshake_auth, and hands it to its writer, which answers it;
    /// a server accepts the client's Certificate, CertificateVerify and
    /// Finished only in the order its exchange under way expects. Anything
    /// else is unexpected_message.
    fn read_client_auth_message(
        &mut self,
        typ: HandshakeType,
        encoded: &[u8],
    ) -> Result<(), Error> {
        let unexpected = Error::UnexpectedMessage {
            expected: expected_after_handshake13::<R>(),
            got: Received::Handshake(typ),
        };
        let Some(pha) = &self.pha else {
            return Err(unexpected);
        };
        if pha.client {
            if typ != HandshakeType::CertificateRequest || !pha.allowed {
                return Err(unexpected);
            }
            let request = CertificateRequested::read(encoded)?;
            let mut queue = lock(&self.shared.certificate_requests);
            if queue.len() >= MAX_UNANSWERED_REQUESTS {
                return Err(Error::UnexpectedMessage {
                    expected: "application data (too many unanswered CertificateRequests)",
                    got: Received::Handshake(typ),
                });
            }
            queue.push_back(request);
            self.shared.owe_answer();
            return Ok(());
        }
        if typ == HandshakeType::CertificateRequest {
            return Err(unexpected);
        }
        let mut slot = lock(&self.shared.client_auth);
        let Some(exchange) = slot.take() else {
            return Err(unexpected);
        };
        match exchange.step(typ, encoded, self.secret.as_ref())? {
            Step::Next(next) => *slot = Some(Box::new(next)),
            Step::Done(outcome) => self.client_auth = Some(outcome),
        }
        Ok(())
    }

    /// Ends reading with `error`, recording the alert it owes the peer.
    fn fail(&mut self, error: Error) -> Error {
        self.shared.fail(&self.shared.reader_alert, error.alert());
        self.end(error)
    }

    /// Ends reading with `error`: nothing more is handed out, not even
    /// data received before, and the buffers are freed.
    fn end(&mut self, error: Error) -> Error {
        self.reader.discard();
        self.ended = Some(Err(error.clone()));
        error
    }
}

/// What a TLS 1.3 connection of role `R` takes after the handshake, in
/// words, for the error that refuses anything else: only a client takes
/// NewSessionTickets.
fn expected_after_handshake13<R: Role>() -> &'static str {
    match R::NAME {
        "client" => "application data, KeyUpdate or NewSessionTicket",
        _ => "application data or KeyUpdate",
    }
}

/// What a TLS 1.3 client needs to keep the server's tickets: the store,
/// the server name they are kept under, and what each ticket resumes.
pub(crate) struct TicketSink {
    pub(crate) store: Arc<dyn crate::session::ClientSessionStore>,
    pub(crate) server_name: String,
    pub(crate) suite: crate::enums::CipherSuite,
    /// resumption_master_secret, wiped when dropped.
    pub(crate) resumption: crate::crypto::tls13::Secret,
    pub(crate) server_certificates: Arc<[rustls_pki_types::CertificateDer<'static>]>,
    /// The application protocol of the handshake, for 0-RTT's check.
    pub(crate) alpn_protocol: Option<Vec<u8>>,
}

impl TicketSink {
    /// Keeps `ticket` with the PSK it stands for (RFC 8446 4.6.1: from the
    /// resumption master secret and its nonce). A lifetime of 0 means
    /// "do not use"; one over seven days is capped there.
    fn keep(&self, ticket: crate::message::tls13::NewSessionTicketTls13) -> Result<(), Error> {
        if ticket.lifetime == 0 {
            return Ok(());
        }
        let psk = crate::crypto::tls13::resumption_psk(&self.resumption, &ticket.nonce)?;
        // RFC 8446 4.6.1: early_data carries a u32; anything else in it is
        // a decode_error.
        let max_early_data_size = ticket.max_early_data_size()?.unwrap_or(0);
        self.store.put_tls13(
            &self.server_name,
            crate::session::Tls13Ticket {
                ticket: ticket.ticket,
                suite: self.suite,
                psk: Box::new(psk),
                age_add: ticket.age_add,
                lifetime_secs: ticket
                    .lifetime
                    .min(crate::session::MAX_TICKET_LIFETIME_SECS),
                received_ms: crate::session::now_millis(),
                server_certificates: self.server_certificates.clone(),
                max_early_data_size,
                alpn_protocol: self.alpn_protocol.clone(),
            },
        );
        Ok(())
    }
}

/// Whether the peer's renegotiation request `typ` (its whole encoding
/// `encoded`) may be refused with a warning: the first may, as rustls
/// allows one; a second (`already_refused`) is unexpected_message, so that
/// a flood of requests costs at most one warning and one fatal alert. A
/// HelloRequest must be empty (RFC 5246 7.4.1.1); a ClientHello is refused
/// by its type, unparsed.
fn check_renegotiation(
    typ: HandshakeType,
    encoded: &[u8],
    already_refused: bool,
) -> Result<(), Error> {
    if typ == HandshakeType::HelloRequest {
        HandshakePayload::read_body(typ, encoded.get(HANDSHAKE_HEADER_LEN..).unwrap_or(&[]))?;
    }
    if already_refused {
        return Err(Error::UnexpectedMessage {
            expected: "application data (a renegotiation request was already refused)",
            got: Received::Handshake(typ),
        });
    }
    Ok(())
}

/// The messages of post-handshake client authentication.
fn is_client_auth_message(typ: HandshakeType) -> bool {
    matches!(
        typ,
        HandshakeType::CertificateRequest
            | HandshakeType::Certificate
            | HandshakeType::CertificateVerify
            | HandshakeType::Finished
    )
}

impl ReadHalf<crate::handshake::Server> {
    /// TLS 1.3: the outcome of the last post-handshake client
    /// authentication that ended (see
    /// [`WriteHalf::request_client_certificate`](super::WriteHalf::request_client_certificate)):
    /// `None` until the client's Finished of the first one has verified.
    /// The exchange's messages are read by [`fill_buf`](Self::fill_buf) and
    /// [`read`](Self::read) like any other record; a failed one ends the
    /// connection with the read's error instead.
    pub fn post_handshake_auth(&self) -> Option<&PostHandshakeAuth> {
        self.client_auth.as_ref()
    }
}

/// What [`ReadHalf::poll`] found.
enum Polled {
    /// Application data is held in the reader (`RecordReader::held_data`).
    Held,
    /// An empty application data record.
    Empty,
    NeedMore,
    Closed,
}
