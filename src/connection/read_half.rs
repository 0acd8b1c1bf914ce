//! The reading half: records in, application data out.

use std::io;
use std::marker::PhantomData;
use std::sync::Arc;

use super::ReadOutcome;
use super::shared::Shared;
use crate::enums::{AlertDescription, ContentType};
use crate::error::{Error, Received};
use crate::handshake::Role;
use crate::record::{Inbound, RecordReader};

/// The half of a connection that reads. It can be moved to another thread
/// than its [`WriteHalf`](super::WriteHalf); the two share only atomics.
pub struct ReadHalf<R: Role> {
    reader: RecordReader,
    /// Application data received but not taken yet: `pending[taken..]`.
    pending: Vec<u8>,
    taken: usize,
    /// Why reading ended, once it has.
    ended: Option<Result<(), Error>>,
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
    pub(crate) fn new(reader: RecordReader, shared: Arc<Shared>) -> Self {
        Self {
            reader,
            pending: Vec::new(),
            taken: 0,
            ended: None,
            shared,
            _role: PhantomData,
        }
    }

    /// Hands the record layer bytes from the peer, in any slicing.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.reader.feed(bytes);
    }

    /// Hands over bytes from the peer in their own vector: when nothing is
    /// buffered the vector itself becomes the buffer, and the records in it
    /// are opened in place without a copy.
    pub fn feed_owned(&mut self, bytes: Vec<u8>) {
        self.reader.feed_owned(bytes);
    }

    /// Reads once from `transport`; `Ok(0)` is EOF.
    pub fn fill_from(&mut self, transport: &mut impl io::Read) -> io::Result<usize> {
        self.reader.read_from(transport)
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
    /// `Closed` is the peer's close_notify. Every other alert ends the
    /// connection with [`Error::AlertReceived`]. A renegotiation request
    /// (HelloRequest to a client, ClientHello to a server) is refused: the
    /// writer owes a no_renegotiation warning, and reading goes on.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<ReadOutcome, Error> {
        loop {
            if self.taken < self.pending.len() {
                let n = buf.len().min(self.pending.len() - self.taken);
                buf[..n].copy_from_slice(&self.pending[self.taken..self.taken + n]);
                self.taken += n;
                if self.taken == self.pending.len() {
                    // Release the buffer: an idle connection holds no data.
                    self.pending = Vec::new();
                    self.taken = 0;
                }
                return Ok(ReadOutcome::Data(n));
            }
            match &self.ended {
                Some(Ok(())) => return Ok(ReadOutcome::Closed),
                Some(Err(error)) => return Err(error.clone()),
                None => {}
            }
            // The writer half failed: that closes reading too.
            if self.shared.failed.is_closed() {
                return Err(self.end(Error::Closed));
            }
            let inbound = match self.reader.next_message() {
                Ok(None) => return Ok(ReadOutcome::NeedMore),
                Ok(Some(inbound)) => inbound,
                Err(error) => return Err(self.fail(error)),
            };
            match inbound {
                Inbound::ApplicationData(data) if data.len() <= buf.len() => {
                    buf[..data.len()].copy_from_slice(data);
                    return Ok(ReadOutcome::Data(data.len()));
                }
                Inbound::ApplicationData(data) => self.pending.extend_from_slice(data),
                Inbound::Alert(alert) if alert.description == AlertDescription::CloseNotify => {
                    self.ended = Some(Ok(()));
                    self.shared.read_closed.close();
                }
                Inbound::Alert(alert) => {
                    let error = Error::AlertReceived {
                        level: alert.level,
                        description: alert.description,
                    };
                    return Err(self.fail(error));
                }
                Inbound::Handshake { typ, .. } if typ == R::PEER_RENEGOTIATION => {
                    self.shared.owe_refusal()
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

    /// Ends reading with `error`, recording the alert it owes the peer.
    fn fail(&mut self, error: Error) -> Error {
        self.shared.fail(&self.shared.reader_alert, error.alert());
        self.end(error)
    }

    fn end(&mut self, error: Error) -> Error {
        self.pending = Vec::new();
        self.taken = 0;
        self.ended = Some(Err(error.clone()));
        error
    }
}
