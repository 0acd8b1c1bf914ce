//! The machinery behind the erased states: the sealed trait the driver
//! needs from them, the one-transition result, and the macro that writes
//! each enum's plumbing (feed, output, name) so that only the walk itself
//! is written by hand.

use crate::connection::Connection;
use crate::handshake::{Fatal, Handshake, RecvMessage, Role, Shape, State, Step, Writes};

pub(crate) mod sealed {
    use super::Advance;
    use crate::connection::{Connection, SessionSummary};
    use crate::error::Error;
    use crate::handshake::{Fatal, Role};

    /// What [`Driver`](crate::driver::Driver) needs from an erased state.
    /// Public in a private module: the trait is sealed.
    pub trait Erased: Sized {
        /// The role the state belongs to.
        type Role: Role;

        /// Makes at most one step of the walk: one read transition, or
        /// the chain of our own writes that follows it.
        fn step(self) -> Result<Advance<Self>, Fatal>;

        /// Hands the current state's record layer bytes from the peer, as
        /// far as they fit; returns how many were taken.
        fn feed(&mut self, bytes: &[u8]) -> usize;

        /// Takes the bytes the current state owes the peer.
        fn take_output(&mut self) -> Vec<u8>;

        /// Appends them to `out` instead; returns how many.
        fn output_into(&mut self, out: &mut Vec<u8>) -> usize;

        /// The current state's name in the table (or `Failed`).
        fn name(&self) -> &'static str;

        /// The established connection, once the handshake is over.
        fn connection(&mut self) -> Option<&mut Connection<Self::Role>>;

        /// What the handshake agreed, once it is over.
        fn summary(&self) -> Option<&SessionSummary>;

        /// The established connection itself, or the state back.
        fn into_connection(self) -> Result<Box<Connection<Self::Role>>, Self>;

        /// Ends a handshake that is still running with `error`, the way a
        /// blocking read transition does (`recv_from`).
        fn abort(self, error: Error) -> Result<Self, Fatal>;

        /// The state that holds nothing.
        fn failed() -> Self;

        /// Whether this is that state.
        fn is_failed(&self) -> bool;
    }
}

/// The result of one step of the walk.
#[derive(Debug)]
pub enum Advance<S> {
    /// A transition was made; try the next one.
    Moved(S),
    /// The state needs more bytes from the peer (or is final).
    Waiting(S),
}

/// One read transition of `hs`: on `NeedMore`, the same state, re-wrapped
/// by `same`; otherwise `next` turns what the transition returned into the
/// next erased state (running any of our own writes that follow it).
pub(crate) fn recv<R, St, P, S>(
    hs: Handshake<R, St, P>,
    same: fn(Handshake<R, St, P>) -> S,
    next: impl FnOnce(<St as RecvMessage<R, P>>::Next) -> Result<S, Fatal>,
) -> Result<Advance<S>, Fatal>
where
    R: Role,
    P: Shape,
    St: State + RecvMessage<R, P>,
    R::Peer: Writes<St::Writer>,
{
    match hs.recv()? {
        Step::Next(after) => next(after).map(Advance::Moved),
        Step::NeedMore(hs) => Ok(Advance::Waiting(same(hs))),
    }
}

/// The name [`Erased::name`](sealed::Erased::name) gives an established
/// connection: the table's last row.
pub(crate) fn established_name<R: Role>(_conn: &Connection<R>) -> &'static str {
    <crate::handshake::state::HandshakeOver as State>::ROW.name
}

/// Writes an erased-state enum and its plumbing from a list of
/// `Variant(StateMarker, Shape)`: the variants wrap
/// `Handshake<Role, state::StateMarker, Shape>`, then come `Established`
/// and `Failed`. The walk (`step_one`) is written by hand beside it.
macro_rules! any_state {
    (
        $(#[$meta:meta])*
        pub enum $name:ident for $role:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident($st:ident, $shape:ident),
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug)]
        #[non_exhaustive]
        pub enum $name {
            $(
                $(#[$vmeta])*
                $variant(Handshake<$role, state::$st, $shape>),
            )*
            /// The handshake is over: application data flows both ways.
            /// (Boxed: the connection is the largest state by far.)
            Established(Box<Connection<$role>>),
            /// The handshake or the connection failed, or was abandoned;
            /// nothing more happens.
            Failed,
        }

        impl $crate::driver::erased::sealed::Erased for $name {
            type Role = $role;

            fn step(self) -> Result<$crate::driver::erased::Advance<Self>, Fatal> {
                self.step_one()
            }

            fn feed(&mut self, bytes: &[u8]) -> usize {
                match self {
                    $( Self::$variant(hs) => hs.feed(bytes), )*
                    Self::Established(conn) => conn.feed(bytes),
                    Self::Failed => bytes.len(),
                }
            }

            fn output_into(&mut self, out: &mut Vec<u8>) -> usize {
                match self {
                    // The connection keeps its buffer; a handshake state's
                    // flight is moved once.
                    Self::Established(conn) => conn.output_into(out),
                    other => {
                        let flight = other.take_output();
                        out.extend_from_slice(&flight);
                        flight.len()
                    }
                }
            }

            fn take_output(&mut self) -> Vec<u8> {
                match self {
                    $( Self::$variant(hs) => hs.take_output(), )*
                    Self::Established(conn) => conn.take_output(),
                    Self::Failed => Vec::new(),
                }
            }

            fn name(&self) -> &'static str {
                match self {
                    $( Self::$variant(hs) => hs.state_name(), )*
                    Self::Established(conn) => $crate::driver::erased::established_name(conn),
                    Self::Failed => "Failed",
                }
            }

            fn connection(&mut self) -> Option<&mut Connection<$role>> {
                match self {
                    Self::Established(conn) => Some(conn.as_mut()),
                    _ => None,
                }
            }

            fn into_connection(self) -> Result<Box<Connection<$role>>, Self> {
                match self {
                    Self::Established(conn) => Ok(conn),
                    other => Err(other),
                }
            }

            fn summary(&self) -> Option<&$crate::connection::SessionSummary> {
                match self {
                    Self::Established(conn) => Some(conn.summary()),
                    _ => None,
                }
            }

            fn abort(self, error: $crate::error::Error) -> Result<Self, Fatal> {
                match self {
                    $( Self::$variant(hs) => Err(hs.fatal(error)), )*
                    other => Ok(other),
                }
            }

            fn failed() -> Self {
                Self::Failed
            }

            fn is_failed(&self) -> bool {
                matches!(self, Self::Failed)
            }
        }

        impl $crate::driver::AnyState for $name {}
    };
}

pub(crate) use any_state;
