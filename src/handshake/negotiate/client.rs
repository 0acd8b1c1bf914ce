//! The client's side of version negotiation (see the module docs): its
//! read of the ServerHello decides between the TLS 1.2 and TLS 1.3 paths.

use crate::enums::ProtocolVersion;
use crate::error::{Error, PeerMisbehaved};
use crate::handshake::core::{Core, Incoming, expect_payload};
use crate::handshake::machine::{Fatal, Handshake, RecvMessage};
use crate::handshake::role::Client;
use crate::handshake::shape::{EarlyData, Full, Resumed};
use crate::handshake::table::Follows;
use crate::handshake::tls12::table::state as state12;
use crate::handshake::tls12::{self, known::Negotiated};
use crate::handshake::tls13::early_client::{RejectedEarlyData, reject_early_data};
use crate::handshake::tls13::known::Hello13;
use crate::handshake::tls13::table::state as state13;
use crate::handshake::tls13::{self, known::Negotiated13};
use crate::message::ServerHello;
use crate::session::ClientSession;

/// What the ServerHello decided: TLS 1.2 (a full handshake, or the
/// resumption of the session we offered) or TLS 1.3. Match on it to go on.
#[derive(Debug)]
pub enum AfterServerHello {
    /// A full TLS 1.2 handshake: the server's Certificate is next.
    Full(Handshake<Client, state12::ServerCert, Full>),
    /// The server resumed our TLS 1.2 session: its optional
    /// NewSessionTicket, then its ChangeCipherSpec, are next.
    Resumed(Handshake<Client, state12::ServerNewSessionTicket, Resumed>),
    /// TLS 1.3: the server's EncryptedExtensions is next (its compatibility
    /// ChangeCipherSpec, if any, is dropped by the record layer).
    Tls13(Handshake<Client, state13::EncryptedExtensions>),
    /// TLS 1.3, after a HelloRetryRequest: our second ClientHello is next.
    HelloRetryRequest(Handshake<Client, state13::ClientHello>),
    /// TLS 1.3 resuming the ticket we offered (the ServerHello carries
    /// pre_shared_key, RFC 8446 4.2.11): EncryptedExtensions, then the
    /// server's Finished; no Certificate.
    Tls13Resumed(Handshake<Client, state13::EncryptedExtensions, Resumed>),
}

/// The edge from the shared hello states into the TLS 1.3 table: a
/// ServerHello that selects TLS 1.3 is followed by EncryptedExtensions.
impl Follows<state12::ServerHello> for state13::EncryptedExtensions {}

/// The other edge: a HelloRetryRequest, read at the shared ServerHello
/// state (it is a ServerHello on the wire), is followed by the second
/// ClientHello, as the TLS 1.3 table's HelloRetryRequest row says.
impl Follows<state12::ServerHello> for state13::ClientHello {}

/// What the checks of the ServerHello decided.
enum Decided {
    Tls12(Negotiated, Option<ClientSession>),
    Tls13(Negotiated13),
    Tls13Resumed(Negotiated13),
    Retry,
}

/// Decides the version from the ServerHello (RFC 8446 4.1.3, 4.2.1) and
/// hands it to that version's checks.
fn decide(core: &mut Core<Client>, hello: &ServerHello) -> Result<Decided, Error> {
    // A client that did not offer TLS 1.3 reads an HRR as a TLS 1.2
    // ServerHello, refused for its supported_versions as before.
    if core.side.offered_tls13 && hello.is_hello_retry_request() {
        return tls13::client::accept_hello_retry_request(core, hello).map(|()| Decided::Retry);
    }
    match hello.selected_version() {
        Some(ProtocolVersion::Tls13) if core.side.offered_tls13 => {
            tls13::client::accept_server_hello(core, hello).map(|(negotiated, resumed)| {
                match resumed {
                    true => Decided::Tls13Resumed(negotiated),
                    false => Decided::Tls13(negotiated),
                }
            })
        }
        // RFC 8446 4.2.1: a version we did not offer, or one before TLS
        // 1.3, in supported_versions.
        Some(_) => Err(PeerMisbehaved::IllegalParameter(
            "a version in supported_versions we did not offer",
        )
        .into()),
        None => {
            // RFC 8446 4.1.3: a TLS 1.3 server that negotiates an older
            // version says so in its random; seeing that after offering
            // TLS 1.3 means someone removed our offer on the way.
            if core.side.offered_tls13 && hello.random.downgrade_sentinel().is_some() {
                return Err(PeerMisbehaved::IllegalParameter(
                    "TLS 1.2 with the downgrade sentinel after we offered TLS 1.3",
                )
                .into());
            }
            // TLS 1.2 has no compatibility change_cipher_spec: from here
            // the server's one is its real one, read in order.
            core.reader.end_compat_ccs();
            let (negotiated, resumed) = tls12::client::accept_server_hello(core, hello)?;
            Ok(Decided::Tls12(negotiated, resumed))
        }
    }
}

impl RecvMessage<Client, Full> for state12::ServerHello {
    type Next = AfterServerHello;

    fn recv(hs: Handshake<Client, Self, Full>, message: Incoming) -> Result<Self::Next, Fatal> {
        let (hs, decided) = hs.try_with(|hs| {
            let hello = expect_payload!(message, ServerHello)?;
            decide(&mut hs.core, &hello)
        })?;
        Ok(branch(hs, decided))
    }
}

/// What the ServerHello decided after a ClientHello with 0-RTT early data.
#[derive(Debug)]
pub enum AfterEarlyServerHello {
    /// The server resumes our ticket: its EncryptedExtensions, next, says
    /// whether it accepts the early data.
    Resumed(Handshake<Client, state13::EncryptedExtensions, EarlyData>),
    /// Anything else (a full TLS 1.3 handshake, a HelloRetryRequest, TLS
    /// 1.2): the early data was not accepted and is handed back; the
    /// handshake goes on as after an ordinary ClientHello.
    Rejected(RejectedEarlyData, AfterServerHello),
}

impl RecvMessage<Client, EarlyData> for state12::ServerHello {
    type Next = AfterEarlyServerHello;

    fn recv(
        hs: Handshake<Client, Self, EarlyData>,
        message: Incoming,
    ) -> Result<Self::Next, Fatal> {
        let (mut hs, decided) = hs.try_with(|hs| {
            let hello = expect_payload!(message, ServerHello)?;
            decide(&mut hs.core, &hello)
        })?;
        if let Decided::Tls13Resumed(negotiated) = decided {
            return Ok(AfterEarlyServerHello::Resumed(
                hs.reshape(|_hello| negotiated),
            ));
        }
        let rejected = reject_early_data(&mut hs.core);
        Ok(AfterEarlyServerHello::Rejected(
            rejected,
            branch(hs.with_shape(), decided),
        ))
    }
}

/// The typed branch for what the ServerHello decided.
fn branch(hs: Handshake<Client, state12::ServerHello, Full>, decided: Decided) -> AfterServerHello {
    match decided {
        Decided::Tls13(negotiated) => AfterServerHello::Tls13(hs.reshape(|_hello| negotiated)),
        Decided::Tls13Resumed(negotiated) => {
            AfterServerHello::Tls13Resumed(hs.reshape(|_hello| negotiated))
        }
        Decided::Retry => {
            AfterServerHello::HelloRetryRequest(hs.reshape(|_hello| Hello13::default()))
        }
        Decided::Tls12(negotiated, None) => AfterServerHello::Full(hs.advance(|_hello| negotiated)),
        Decided::Tls12(negotiated, Some(session)) => AfterServerHello::Resumed(
            hs.reshape(|_hello| tls12::client::resumed_known(negotiated, session)),
        ),
    }
}
