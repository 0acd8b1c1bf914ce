//! TLS 1.3 tickets (RFC 8446 4.6.1): what the server seals into one, and
//! what the client keeps of one.

use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::codec::{Codec, LengthPrefix, Reader, read_bytes};
use crate::crypto::tls13::{Secret, lookup_tls13};
use crate::crypto::wipe::Zeroizing;
use crate::enums::CipherSuite;
use crate::error::InvalidMessage;
use crate::message::CertificateChain;

/// The longest a TLS 1.3 ticket may be used: seven days (RFC 8446 4.6.1).
pub const MAX_TICKET_LIFETIME_SECS: u32 = 7 * 24 * 3600;

/// Milliseconds since the Unix epoch: the clock of ticket ages.
pub(crate) fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The state a server seals into a TLS 1.3 ticket: the resumption PSK and
/// what the PSK may be used for.
#[derive(Clone)]
pub(crate) struct TicketState13 {
    /// The suite of the handshake that issued it; its hash is the PSK's.
    pub(crate) suite: CipherSuite,
    /// The resumption PSK (wiped on drop, as every `Secret`).
    pub(crate) psk: Secret,
    pub(crate) age_add: u32,
    /// When the ticket was issued, in milliseconds since the epoch.
    pub(crate) created_ms: u64,
    pub(crate) lifetime_secs: u32,
    /// The server name of the handshake that issued it (RFC 8446 4.6.1:
    /// the ticket is bound to it).
    pub(crate) server_name: Option<String>,
    /// The application protocol that handshake agreed, if any (kept for
    /// the record; a resumption negotiates ALPN afresh).
    pub(crate) alpn_protocol: Option<Vec<u8>>,
    /// The client's chain, verified in that handshake; empty without one.
    pub(crate) client_certificates: Arc<[CertificateDer<'static>]>,
    /// The max_early_data_size the ticket was issued with (RFC 8446
    /// 4.6.1): 0 when it allows no 0-RTT.
    pub(crate) max_early_data_size: u32,
}

/// The first byte of a TLS 1.3 ticket's plaintext: not a TLS 1.2
/// `SessionState` version, so neither kind of ticket decodes as the other.
const VERSION13: u8 = 0x13;

impl TicketState13 {
    /// The encoding, in one buffer of its final size (a buffer that grew
    /// would leave a copy of the PSK in the block it left), zeroed when
    /// dropped.
    pub(crate) fn encode_secret(&self) -> Zeroizing<Vec<u8>> {
        let chain: usize = self
            .client_certificates
            .iter()
            .map(|cert| 3 + cert.as_ref().len())
            .sum();
        let name = self.server_name.as_deref().unwrap_or_default().as_bytes();
        let alpn = self.alpn_protocol.as_deref().unwrap_or_default();
        let len = 1
            + 2
            + 1
            + self.psk.as_bytes().len()
            + 4
            + 8
            + 4
            + 2
            + name.len()
            + 1
            + alpn.len()
            + 3
            + chain
            + 4;
        let mut out = Zeroizing::new(Vec::with_capacity(len));
        VERSION13.encode(&mut out);
        self.suite.encode(&mut out);
        crate::codec::encode_bytes(&mut out, LengthPrefix::U8, self.psk.as_bytes());
        self.age_add.encode(&mut out);
        out.extend_from_slice(&self.created_ms.to_be_bytes());
        self.lifetime_secs.encode(&mut out);
        crate::codec::encode_bytes(&mut out, LengthPrefix::U16, name);
        crate::codec::encode_bytes(&mut out, LengthPrefix::U8, alpn);
        CertificateChain(self.client_certificates.clone()).encode(&mut out);
        self.max_early_data_size.encode(&mut out);
        out
    }

    /// Reads the encoding back; anything malformed is `None` (the client
    /// then gets a full handshake).
    pub(crate) fn decode(plaintext: &[u8]) -> Option<Self> {
        Self::read(&mut Reader::new(plaintext)).ok()
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        if u8::read(r)? != VERSION13 {
            return Err(InvalidMessage::InvalidValue("TLS 1.3 ticket version"));
        }
        let suite = CipherSuite::read(r)?;
        let hash = lookup_tls13(suite)
            .ok_or(InvalidMessage::InvalidValue("TLS 1.3 ticket suite"))?
            .hash;
        let len = usize::from(u8::read(r)?);
        let psk = Secret::new(hash, r.take(len, "psk")?)
            .map_err(|_| InvalidMessage::InvalidValue("psk length"))?;
        let age_add = u32::read(r)?;
        let created_ms = u64::from_be_bytes(r.take(8, "created")?.try_into().unwrap_or([0; 8]));
        let lifetime_secs = u32::read(r)?;
        let name = read_bytes(r, LengthPrefix::U16, "server_name")?;
        let server_name = match name.is_empty() {
            true => None,
            false => Some(
                String::from_utf8(name).map_err(|_| InvalidMessage::InvalidValue("server_name"))?,
            ),
        };
        let alpn = read_bytes(r, LengthPrefix::U8, "alpn_protocol")?;
        let client_certificates = CertificateChain::read(r)?.0;
        let max_early_data_size = u32::read(r)?;
        if r.any_left() {
            return Err(InvalidMessage::TrailingData("TLS 1.3 ticket"));
        }
        Ok(Self {
            suite,
            psk,
            age_add,
            created_ms,
            lifetime_secs,
            server_name,
            alpn_protocol: (!alpn.is_empty()).then_some(alpn),
            client_certificates,
            max_early_data_size,
        })
    }

    /// Whether the ticket has outlived its lifetime at `now_ms` (or was
    /// issued more than a minute in the future).
    pub(crate) fn expired(&self, now_ms: u64) -> bool {
        let lifetime_ms = u64::from(self.lifetime_secs.min(MAX_TICKET_LIFETIME_SECS)) * 1000;
        now_ms.saturating_sub(self.created_ms) > lifetime_ms
            || self.created_ms > now_ms.saturating_add(60_000)
    }
}

/// A TLS 1.3 ticket as the client keeps it (RFC 8446 4.6.1), with the PSK
/// it stands for. Offered at most once: the store hands it out by
/// [`take_tls13`](super::ClientSessionStore::take_tls13), which removes it.
#[derive(Clone)]
pub struct Tls13Ticket {
    /// The opaque ticket, sent back as the PSK identity.
    pub ticket: Vec<u8>,
    /// The suite of the handshake that issued it; a resumption must use a
    /// suite with the same hash.
    pub suite: CipherSuite,
    /// The resumption PSK, wiped when dropped. Boxed so that it stays in
    /// one heap block however the ticket moves (into the store's queue,
    /// out of it, into the handshake): a move of an inline secret would
    /// leave its bytes behind, unwiped, in the block it left
    /// (`tests/secret_wiping.rs::no_freed_block_holds_a_tls13_ticket_psk`).
    pub psk: Box<Secret>,
    /// The server's `ticket_age_add`.
    pub age_add: u32,
    /// The ticket's lifetime in seconds, as the server gave it (capped at
    /// seven days).
    pub lifetime_secs: u32,
    /// When it arrived, in milliseconds since the Unix epoch.
    pub received_ms: u64,
    /// The server's chain from the handshake that issued it, reported
    /// again when the ticket resumes.
    pub server_certificates: Arc<[CertificateDer<'static>]>,
    /// How much 0-RTT data the server takes with this ticket (its
    /// NewSessionTicket's early_data extension, RFC 8446 4.2.10): 0 when
    /// none.
    pub max_early_data_size: u32,
    /// The application protocol of the handshake that issued it: 0-RTT
    /// with the ticket is accepted only under the same one (RFC 8446
    /// 4.2.10).
    pub alpn_protocol: Option<Vec<u8>>,
}

impl core::fmt::Debug for Tls13Ticket {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never the PSK.
        f.debug_struct("Tls13Ticket")
            .field("suite", &self.suite)
            .field("lifetime_secs", &self.lifetime_secs)
            .field("received_ms", &self.received_ms)
            .finish_non_exhaustive()
    }
}

impl Tls13Ticket {
    /// Whether the ticket has outlived its lifetime at `now_ms`.
    pub fn expired(&self, now_ms: u64) -> bool {
        let lifetime_ms = u64::from(self.lifetime_secs.min(MAX_TICKET_LIFETIME_SECS)) * 1000;
        now_ms.saturating_sub(self.received_ms) >= lifetime_ms
            || self.received_ms > now_ms.saturating_add(60_000)
    }

    /// `obfuscated_ticket_age` at `now_ms` (RFC 8446 4.2.11.1): the age in
    /// milliseconds plus `age_add`, modulo 2^32.
    pub fn obfuscated_age(&self, now_ms: u64) -> u32 {
        let age = now_ms.saturating_sub(self.received_ms);
        (age as u32).wrapping_add(self.age_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::HashAlgorithm;

    fn state() -> TicketState13 {
        TicketState13 {
            suite: CipherSuite::TLS13_AES_256_GCM_SHA384,
            psk: Secret::new(HashAlgorithm::Sha384, &[7; 48]).unwrap(),
            age_add: 0x0102_0304,
            created_ms: 1_700_000_000_000,
            lifetime_secs: 3600,
            server_name: Some("localhost".into()),
            alpn_protocol: Some(b"h2".to_vec()),
            client_certificates: vec![CertificateDer::from(vec![0x30, 1])].into(),
            max_early_data_size: 16384,
        }
    }

    #[test]
    fn ticket_state_round_trips_in_one_buffer() {
        let state = state();
        let encoded = state.encode_secret();
        assert_eq!(encoded.len(), encoded.capacity(), "one allocation");
        let back = TicketState13::decode(&encoded).unwrap();
        assert_eq!(back.psk.as_bytes(), state.psk.as_bytes());
        assert_eq!(back.alpn_protocol, state.alpn_protocol);
        assert_eq!(back.server_name, state.server_name);
        assert_eq!(back.client_certificates, state.client_certificates);
        assert_eq!(back.max_early_data_size, state.max_early_data_size);
        assert_eq!(
            (
                back.suite,
                back.age_add,
                back.created_ms,
                back.lifetime_secs
            ),
            (
                state.suite,
                state.age_add,
                state.created_ms,
                state.lifetime_secs
            )
        );
        for cut in 0..encoded.len() {
            assert!(
                TicketState13::decode(&encoded[..cut]).is_none(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_tls12_session_state_is_not_a_tls13_ticket() {
        let mut encoded = state().encode_secret().to_vec();
        encoded[0] = 2;
        assert!(TicketState13::decode(&encoded).is_none());
    }

    #[test]
    fn lifetime_is_capped_at_seven_days() {
        let mut state = state();
        state.lifetime_secs = u32::MAX;
        let eight_days = 8 * 24 * 3600 * 1000;
        assert!(state.expired(state.created_ms + eight_days));
        assert!(!state.expired(state.created_ms + 1000));
    }
}
