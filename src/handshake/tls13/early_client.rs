//! The client's 0-RTT (RFC 8446 2.3, 4.2.10): early data written after a
//! ClientHello that offered it, the server's answer in EncryptedExtensions,
//! and our EndOfEarlyData.
//!
//! Early data exists only in the [`EarlyData`] shape: the hello state
//! [`send_with_early_data`](Handshake::send_with_early_data) returns is the
//! one place it can be written, and the server's answer either keeps the
//! shape (accepted: EndOfEarlyData follows its Finished) or leaves it,
//! handing the data back as [`RejectedEarlyData`], so nothing written is
//! lost unnoticed.

use super::client::{recv_encrypted_extensions_early, recv_server_finished, resumed_known};
use super::keys::client_early_secret;
use super::table::state;
use crate::crypto::tls13::lookup_tls13;
use crate::enums::ContentType;
use crate::error::{Error, PeerMisbehaved};
use crate::handshake::core::{Core, Incoming};
use crate::handshake::machine::{Fatal, Handshake, RecvMessage, SendMessage};
use crate::handshake::role::Client;
use crate::handshake::shape::{EarlyData, Full, Resumed};
use crate::handshake::tls12::table::state as state12;
use crate::message::tls13::PayloadTls13;
use crate::record::NullProtection;

/// Early data the server did not accept, handed back whole: send it again
/// after the handshake if it is still wanted (RFC 8446 4.2.10: the
/// application decides; a library must not resend it on its own, since
/// the server may be another one now).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RejectedEarlyData(Vec<u8>);

impl RejectedEarlyData {
    /// The bytes written as early data, in order.
    pub fn data(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, owned.
    pub fn into_data(self) -> Vec<u8> {
        self.0
    }
}

/// What became of early data handed to
/// [`stream::connect_with_early_data`](crate::stream::connect_with_early_data)
/// or [`Driver::with_early_data`](crate::driver::Driver::with_early_data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlyDataOutcome {
    /// Whether it went out as 0-RTT early data: the session store held a
    /// ticket for the server allowing it (and early data is enabled).
    pub offered: bool,
    /// Whether it went out as 0-RTT early data and the server accepted it.
    pub accepted: bool,
    /// What of it the server did not take as early data (all of it when
    /// not accepted or not offered; what the ticket had no room for
    /// otherwise), for the caller to send, or not, now that the handshake
    /// is over.
    pub unsent: Vec<u8>,
}

/// What [`send_with_early_data`](Handshake::send_with_early_data) sent.
#[derive(Debug)]
pub enum EarlyDataOffer {
    /// The ClientHello offers 0-RTT with a ticket that allows it: write the
    /// early data at this state, then read the ServerHello.
    Offered(Handshake<Client, state12::ServerHello, EarlyData>),
    /// No ticket allowing 0-RTT was at hand (or the configuration does not
    /// enable it): an ordinary ClientHello went out.
    NotOffered(Handshake<Client, state12::ServerHello, Full>),
}

impl Handshake<Client, state12::ClientHello, Full> {
    /// Sends the ClientHello, offering 0-RTT early data (RFC 8446 4.2.10)
    /// if [`ClientConfig::enable_early_data`] is set and the session store
    /// holds a TLS 1.3 ticket for this server that allows it (its
    /// max_early_data_size is not 0) under a suite we offer. Early data
    /// goes under the ticket's early traffic key; with middlebox
    /// compatibility our ChangeCipherSpec goes right after the hello
    /// (RFC 8446 D.4).
    ///
    /// [`ClientConfig::enable_early_data`]: crate::handshake::ClientConfig::enable_early_data
    pub fn send_with_early_data(mut self) -> Result<EarlyDataOffer, Fatal> {
        self.core.side.early_requested = true;
        let hs = self.send()?;
        if hs.core.side.early.is_none() {
            return Ok(EarlyDataOffer::NotOffered(hs));
        }
        let (hs, ()) = hs.try_with(|hs| start_early_data(&mut hs.core))?;
        Ok(EarlyDataOffer::Offered(hs.with_shape()))
    }
}

/// After the ClientHello: the compatibility ChangeCipherSpec, then our
/// writing under the early traffic key.
fn start_early_data(core: &mut Core<Client>) -> Result<(), Error> {
    let ticket = core
        .side
        .offered_ticket13
        .as_deref()
        .ok_or(Error::Internal("early data without a ticket"))?;
    let suite =
        lookup_tls13(ticket.suite).ok_or(Error::Internal("a ticket of an unknown suite"))?;
    let secret = client_early_secret(core, suite, ticket.psk.as_bytes())?;
    if core.config.middlebox_compat {
        core.send_compat_change_cipher_spec()?;
        core.side.sent_compat_ccs = true;
    }
    core.writer.set_sealer(Box::new(suite.sealer(&secret)?));
    Ok(())
}

impl Handshake<Client, state12::ServerHello, EarlyData> {
    /// How many more bytes of early data the ticket allows.
    pub fn early_data_room(&self) -> usize {
        self.core
            .side
            .early
            .as_ref()
            .map_or(0, |early| early.max.saturating_sub(early.data.len()))
    }

    /// Writes early data, as much of `data` as the ticket allows
    /// ([`early_data_room`](Self::early_data_room)), and says how much. It
    /// is queued with the ClientHello (take or flush the output as usual)
    /// and kept until the server answers, to be handed back if it is not
    /// accepted.
    ///
    /// Early data has no protection against replay (RFC 8446 8): send
    /// only what is safe to act on twice. Call it as often as needed; the
    /// state comes back with the count.
    pub fn write_early_data(self, data: &[u8]) -> Result<(Self, usize), Fatal> {
        self.try_with(|hs| {
            let core = &mut *hs.core;
            let early = core
                .side
                .early
                .as_mut()
                .ok_or(Error::Internal("early data state without an offer"))?;
            let n = data.len().min(early.max.saturating_sub(early.data.len()));
            let Some(chunk) = data.get(..n).filter(|chunk| !chunk.is_empty()) else {
                return Ok(0);
            };
            core.writer
                .write(ContentType::ApplicationData, chunk, &mut core.out)?;
            early.data.extend_from_slice(chunk);
            Ok(n)
        })
    }
}

/// The early data back, and our writing out of the early key: under the
/// handshake key if the ServerHello gave one (kept pending), else
/// unprotected again (a HelloRetryRequest's second ClientHello, or TLS 1.2).
pub(crate) fn reject_early_data(core: &mut Core<Client>) -> RejectedEarlyData {
    let data = core.side.early.take().map(|early| early.data);
    match core.pending_sealer.take() {
        Some(sealer) => core.writer.set_sealer(sealer),
        None if !core.tls13 || core.side.tls13.client_handshake.is_none() => {
            core.writer.set_sealer(Box::new(NullProtection));
        }
        None => {}
    }
    RejectedEarlyData(data.unwrap_or_default())
}

/// What EncryptedExtensions said of our early data.
#[derive(Debug)]
pub enum AfterEarlyEncryptedExtensions {
    /// Accepted: the server's Finished is next, then our EndOfEarlyData.
    Accepted(Handshake<Client, state::ServerFinished, EarlyData>),
    /// Not accepted (the resumption goes on without it): the data is
    /// handed back; the server's Finished is next, then our Finished.
    Rejected(
        RejectedEarlyData,
        Handshake<Client, state::ServerFinished, Resumed>,
    ),
}

impl RecvMessage<Client, EarlyData> for state::EncryptedExtensions {
    type Next = AfterEarlyEncryptedExtensions;

    /// Reads EncryptedExtensions of a resumption we sent early data in. An
    /// acceptance must be under the ticket's own suite and application
    /// protocol (RFC 8446 4.2.10), else illegal_parameter.
    fn recv(
        hs: Handshake<Client, Self, EarlyData>,
        message: Incoming,
    ) -> Result<Self::Next, Fatal> {
        let (mut hs, (alpn_protocol, accepted, chain)) = hs.try_with(|hs| {
            let (alpn_protocol, accepted) = recv_encrypted_extensions_early(&mut hs.core, message)?;
            let ticket = hs
                .core
                .side
                .offered_ticket13
                .as_deref()
                .ok_or(Error::Internal("resumed without the ticket"))?;
            if accepted {
                if ticket.suite != hs.known.suite.suite {
                    return Err(PeerMisbehaved::IllegalParameter(
                        "early data accepted under another suite than the ticket's",
                    )
                    .into());
                }
                if ticket.alpn_protocol != alpn_protocol {
                    return Err(PeerMisbehaved::IllegalParameter(
                        "early data accepted under another application protocol than the ticket's",
                    )
                    .into());
                }
            }
            Ok((alpn_protocol, accepted, ticket.server_certificates.clone()))
        })?;
        if accepted {
            return Ok(AfterEarlyEncryptedExtensions::Accepted(hs.advance(
                |negotiated| resumed_known(negotiated, alpn_protocol, chain),
            )));
        }
        let rejected = reject_early_data(&mut hs.core);
        let hs: Handshake<Client, Self, Resumed> = hs.with_shape();
        Ok(AfterEarlyEncryptedExtensions::Rejected(
            rejected,
            hs.advance(|negotiated| resumed_known(negotiated, alpn_protocol, chain)),
        ))
    }
}

impl RecvMessage<Client, EarlyData> for state::ServerFinished {
    /// Our EndOfEarlyData is next.
    type Next = Handshake<Client, state::EndOfEarlyData, EarlyData>;

    fn recv(
        hs: Handshake<Client, Self, EarlyData>,
        message: Incoming,
    ) -> Result<Self::Next, Fatal> {
        let (hs, ()) = hs.try_with(|hs| recv_server_finished(hs, message))?;
        Ok(hs.advance_same())
    }
}

impl SendMessage<Client, EarlyData> for state::EndOfEarlyData {
    /// Our Finished is next, under the handshake key.
    type Next = state::ClientFinished;

    /// The last message under the early key (RFC 8446 4.5); the early data
    /// kept for a rejection is dropped.
    fn send(
        hs: Handshake<Client, Self, EarlyData>,
    ) -> Result<Handshake<Client, Self::Next, EarlyData>, Fatal> {
        let (hs, ()) = hs.try_with(|hs| {
            let core = &mut hs.core;
            core.send_handshake13(PayloadTls13::EndOfEarlyData)?;
            let sealer = core
                .pending_sealer
                .take()
                .ok_or(Error::Internal("no handshake key after early data"))?;
            core.writer.set_sealer(sealer);
            core.side.early = None;
            Ok(())
        })?;
        Ok(hs.advance_same())
    }
}
