//! The server's side of 0-RTT between its Finished and the client's
//! EndOfEarlyData (RFC 8446 2.3, 4.2.10): the early data as it arrives,
//! and the 0.5-RTT data a server may send before the client's Finished.
//!
//! Both exist only at `Handshake<Server, EndOfEarlyData, EarlyData>`, the
//! state a server reaches only after accepting early data
//! (`AfterClientHello::Tls13Early`); every other server state keeps the
//! rule that no application data flows before the client's Finished
//! verified.

use super::table::state;
use crate::enums::ContentType;
use crate::handshake::machine::{Fatal, Handshake};
use crate::handshake::role::Server;
use crate::handshake::shape::EarlyData;

impl Handshake<Server, state::EndOfEarlyData, EarlyData> {
    /// The early data read so far and not taken yet: `recv` at this state
    /// reads every early data record that has arrived before it answers
    /// `NeedMore`, so a server can act on an early request as soon as it
    /// is here, one round trip before the client's Finished. What is not
    /// taken here goes on to the connection
    /// ([`Connection::take_early_data`](crate::connection::Connection::take_early_data)).
    ///
    /// Early data may be a replay (RFC 8446 8): act only on what is safe
    /// to do twice.
    pub fn take_early_data(&mut self) -> Vec<u8> {
        self.core
            .early_data
            .as_mut()
            .map(|early| core::mem::take(&mut early.data))
            .unwrap_or_default()
    }

    /// Sends application data before the client's Finished (0.5-RTT data,
    /// RFC 8446 2.3 and 4.4.4), under our application traffic key: the
    /// answer to an early request, a round trip sooner. The handshake is
    /// not over: the client is not yet proven to be there, or to be who
    /// its ticket says (a replayed ClientHello gets this far too, though
    /// it cannot read the answer without the client's key share).
    pub fn send_half_rtt_data(self, data: &[u8]) -> Result<Self, Fatal> {
        let (hs, ()) = self.try_with(|hs| {
            let core = &mut *hs.core;
            core.writer
                .write(ContentType::ApplicationData, data, &mut core.out)
        })?;
        Ok(hs)
    }
}
