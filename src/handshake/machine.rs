//! `Handshake<R, St, P>`: the handshake at state `St`, seen by role `R`,
//! in handshake shape `P`; and the generic `send`/`recv` whose bounds come
//! from the writer column.

use core::fmt;
use core::marker::PhantomData;
use std::io;

use super::core::{Core, Incoming};
use super::role::{Role, Writes};
use super::table::{Final, Follows, Row, State};
use crate::crypto::FinishedVerified;
use crate::enums::AlertDescription;
use crate::error::Error;

pub use super::shape::{Full, Shape};

/// The handshake at state `St`, as role `R` sees it, in shape `P`.
///
/// Every transition takes `self` by value and returns the next state, so a
/// state cannot be used twice; the methods that exist at a state are
/// exactly those the state table allows its role.
#[must_use = "a handshake state does nothing unless a transition is called"]
pub struct Handshake<R: Role, St: State, P: Shape = Full> {
    pub(crate) core: Box<Core<R>>,
    pub(crate) known: St::Known,
    /// `fn() -> _` keeps the markers from affecting `Send`/`Sync`.
    _state: PhantomData<fn() -> (St, P)>,
}

impl<R: Role, St: State, P: Shape> fmt::Debug for Handshake<R, St, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handshake")
            .field("role", &R::NAME)
            .field("state", &St::ROW.name)
            .field("shape", &P::NAME)
            .finish_non_exhaustive()
    }
}

/// The result of a read transition: the next state, or — when the whole
/// message has not arrived — the same state back, with nothing lost.
#[must_use]
#[derive(Debug)]
pub enum Step<Next, Same> {
    /// The message was read; here is what follows.
    Next(Next),
    /// More bytes are needed: feed them and call the same method again.
    NeedMore(Same),
}

/// A fatal error: the state is gone, the error says why, and the output
/// still owed to the peer (ending in the fatal alert, if one is owed) can
/// still be flushed.
#[derive(Debug)]
pub struct Fatal {
    error: Error,
    output: Vec<u8>,
}

impl Fatal {
    pub(crate) fn new(error: Error, output: Vec<u8>) -> Self {
        Self { error, output }
    }

    /// What went wrong.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The alert sent to the peer because of it, if any.
    pub fn alert(&self) -> Option<AlertDescription> {
        self.error.alert()
    }

    /// Bytes still owed to the peer, ending with the alert.
    pub fn output(&self) -> &[u8] {
        &self.output
    }

    /// Writes the owed bytes to the transport (best effort: the
    /// connection is over either way).
    pub fn flush_to(&mut self, transport: &mut impl io::Write) -> io::Result<()> {
        transport.write_all(&self.output)?;
        self.output.clear();
        transport.flush()
    }

    /// The error, dropping any unsent output.
    pub fn into_error(self) -> Error {
        self.error
    }
}

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.alert() {
            Some(alert) => write!(f, "{} (sent alert {alert})", self.error),
            None => self.error.fmt(f),
        }
    }
}

impl std::error::Error for Fatal {}

/// A transition that role `R` makes by writing the state's message. The
/// trait exists only where the writer column says `R` writes.
#[diagnostic::on_unimplemented(
    message = "the {R} has no message to send at state `{Self}` in a `{P}` handshake",
    label = "the {R} cannot write at this state",
    note = "see docs/state-machine.md: a state's message is written only by the role in its writer column, and only on the handshake shapes whose path includes the state"
)]
pub trait SendMessage<R: Role, P: Shape>: State
where
    R: Writes<Self::Writer>,
{
    /// The state after the message is queued.
    type Next: State + Follows<Self>;

    #[doc(hidden)]
    fn send(hs: Handshake<R, Self, P>) -> Result<Handshake<R, Self::Next, P>, Fatal>;
}

/// A transition that role `R` makes by reading what its peer wrote. The
/// trait exists only where the writer column says the peer writes.
#[diagnostic::on_unimplemented(
    message = "the {R} has no message to receive at state `{Self}` in a `{P}` handshake",
    label = "the {R} cannot read at this state",
    note = "see docs/state-machine.md: a state's message is read only by the role opposite its writer column, and only on the handshake shapes whose path includes the state"
)]
pub trait RecvMessage<R: Role, P: Shape>: State
where
    R::Peer: Writes<Self::Writer>,
{
    /// The next state, or an enum of them where the peer chooses.
    type Next;

    #[doc(hidden)]
    fn recv(hs: Handshake<R, Self, P>, message: Incoming) -> Result<Self::Next, Fatal>;
}

impl<R: Role, St: State, P: Shape> Handshake<R, St, P> {
    pub(crate) fn from_parts(core: Box<Core<R>>, known: St::Known) -> Self {
        Self {
            core,
            known,
            _state: PhantomData,
        }
    }

    /// Moves to a state the table lists after this one, growing what is
    /// known.
    pub(crate) fn advance<Next: State + Follows<St>>(
        self,
        learn: impl FnOnce(St::Known) -> Next::Known,
    ) -> Handshake<R, Next, P> {
        Handshake::from_parts(self.core, learn(self.known))
    }

    /// Moves along a table edge into another shape: the peer's message (or
    /// our own choice) just decided which path the handshake takes.
    pub(crate) fn reshape<Next, Q>(
        self,
        learn: impl FnOnce(St::Known) -> Next::Known,
    ) -> Handshake<R, Next, Q>
    where
        Next: State + Follows<St>,
        Q: Shape,
    {
        Handshake::from_parts(self.core, learn(self.known))
    }

    /// Stays at this state in another shape: a choice of ours at this
    /// state (offering 0-RTT) or the peer's answer (refusing it) changed
    /// the path ahead, not the state.
    pub(crate) fn with_shape<Q: Shape>(self) -> Handshake<R, St, Q> {
        Handshake::from_parts(self.core, self.known)
    }

    /// Moves along a table edge keeping what is known.
    pub(crate) fn advance_same<Next>(self) -> Handshake<R, Next, P>
    where
        Next: State<Known = St::Known> + Follows<St>,
    {
        Handshake::from_parts(self.core, self.known)
    }

    /// The only way into `HandshakeOver`: with proof that the peer's
    /// Finished verified, so no application data can flow before it.
    pub(crate) fn finish<Over>(self, _peer_finished: FinishedVerified) -> Handshake<R, Over, P>
    where
        Over: Final + Follows<St> + State<Known = St::Known>,
    {
        self.advance_same()
    }

    /// Ends the handshake with `error`: queues its alert and hands back
    /// what is owed to the peer.
    pub(crate) fn fatal(mut self, error: Error) -> Fatal {
        let output = self.core.fail(&error);
        Fatal::new(error, output)
    }

    /// Runs `work` on the state; on error ends the handshake with it.
    pub(crate) fn try_with<T>(
        mut self,
        work: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<(Self, T), Fatal> {
        match work(&mut self) {
            Ok(value) => Ok((self, value)),
            Err(error) => Err(self.fatal(error)),
        }
    }

    /// Writes this state's message and moves on. Exists only when `R` is
    /// the state's writer.
    // The return types below are spelled out in full so the docs show
    // exactly where the next state comes from: the transition's impl.
    #[allow(clippy::type_complexity)]
    pub fn send(self) -> Result<Handshake<R, <St as SendMessage<R, P>>::Next, P>, Fatal>
    where
        R: Writes<St::Writer>,
        St: SendMessage<R, P>,
    {
        St::send(self)
    }

    /// Reads this state's message if it has arrived whole. Exists only
    /// when `R`'s peer is the state's writer.
    ///
    /// Returns `Step::NeedMore(self)` when more bytes are needed: feed
    /// them ([`feed`](Self::feed), [`fill_from`](Self::fill_from)) and call
    /// again. Anything the state table does not allow here is a fatal
    /// `unexpected_message`.
    #[allow(clippy::type_complexity)]
    pub fn recv(mut self) -> Result<Step<<St as RecvMessage<R, P>>::Next, Self>, Fatal>
    where
        R::Peer: Writes<St::Writer>,
        St: RecvMessage<R, P>,
    {
        match self.core.read_message(St::ROW) {
            Ok(None) => Ok(Step::NeedMore(self)),
            Ok(Some(message)) => St::recv(self, message).map(Step::Next),
            Err(error) => Err(self.fatal(error)),
        }
    }

    /// Reads this state's message from a blocking transport: flushes our
    /// output, then reads until the message is whole.
    pub fn recv_from<T: io::Read + io::Write>(
        mut self,
        transport: &mut T,
    ) -> Result<<St as RecvMessage<R, P>>::Next, Fatal>
    where
        R::Peer: Writes<St::Writer>,
        St: RecvMessage<R, P>,
    {
        loop {
            if let Err(e) = self.flush_to(transport) {
                return Err(self.fatal(Error::Transport(e.kind())));
            }
            self = match self.recv()? {
                Step::Next(next) => return Ok(next),
                Step::NeedMore(same) => same,
            };
            match self.fill_from(transport) {
                Ok(0) => return Err(self.fatal(Error::Truncated)),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.fatal(Error::Transport(e.kind()))),
            }
        }
    }

    /// The state's name, from the table.
    pub fn state_name(&self) -> &'static str {
        St::ROW.name
    }

    /// The state's row in the table: its message, record type and writer.
    pub fn row(&self) -> &'static Row {
        St::ROW
    }

    /// Hands the record layer bytes from the peer, in any slicing, as far
    /// as they fit (at most [`MAX_BUFFERED_LEN`](crate::record::MAX_BUFFERED_LEN)
    /// unread); returns how many were taken. Feed the rest after
    /// [`recv`](Self::recv) has read what came.
    #[must_use = "bytes past the count were not taken: feed them again after reading"]
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        self.core.reader.feed(bytes)
    }

    /// Reads once from `transport` into the record layer; `Ok(0)` is EOF.
    pub fn fill_from(&mut self, transport: &mut impl io::Read) -> io::Result<usize> {
        self.core.reader.read_from(transport)
    }

    /// The bytes queued for the peer and not taken yet.
    pub fn pending_output(&self) -> &[u8] {
        &self.core.out
    }

    /// Takes the bytes queued for the peer.
    pub fn take_output(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.core.out)
    }

    /// Writes the queued bytes to `transport` and flushes it.
    pub fn flush_to(&mut self, transport: &mut impl io::Write) -> io::Result<()> {
        if !self.core.out.is_empty() {
            transport.write_all(&self.core.out)?;
            self.core.out.clear();
        }
        transport.flush()
    }
}
