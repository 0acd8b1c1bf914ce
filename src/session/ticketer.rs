//! Session tickets (RFC 5077): the session state sealed under a server key
//! that rotates on a schedule; the previous key still opens tickets for one
//! more period, so a rotation does not break sessions just handed out.

use std::sync::Mutex;

use super::{SessionState, TicketState13, now_secs};
use crate::codec::Codec;
use crate::crypto::TicketKey;
use crate::error::Error;

#[derive(Debug)]
struct Keys {
    current: TicketKey,
    current_since: u64,
    previous: Option<TicketKey>,
}

/// Seals and opens session tickets.
#[derive(Debug)]
pub struct Ticketer {
    /// How long a key seals tickets before the next one takes over.
    rotation_secs: u64,
    /// How long a ticket stays valid; also the lifetime hint sent with it.
    lifetime_secs: u32,
    keys: Mutex<Keys>,
}

impl Ticketer {
    /// A ticketer whose key rotates every `rotation_secs` and whose tickets
    /// live `lifetime_secs` (RFC 5077 3.3 `ticket_lifetime_hint`).
    pub fn new(rotation_secs: u64, lifetime_secs: u32) -> Result<Self, Error> {
        Self::new_at(rotation_secs, lifetime_secs, now_secs())
    }

    /// [`new`](Self::new) at a given time (seconds since the epoch).
    pub fn new_at(rotation_secs: u64, lifetime_secs: u32, now: u64) -> Result<Self, Error> {
        let keys = Keys {
            current: TicketKey::generate()?,
            current_since: now,
            previous: None,
        };
        Ok(Self {
            rotation_secs: rotation_secs.max(1),
            lifetime_secs,
            keys: Mutex::new(keys),
        })
    }

    /// The lifetime hint sent in NewSessionTicket, in seconds.
    pub fn lifetime_hint(&self) -> u32 {
        self.lifetime_secs
    }

    fn rotate(&self, keys: &mut Keys, now: u64) -> Result<(), Error> {
        let age = now.saturating_sub(keys.current_since);
        if age < self.rotation_secs {
            return Ok(());
        }
        let fresh = TicketKey::generate()?;
        let retired = core::mem::replace(&mut keys.current, fresh);
        // A key more than two periods old opens nothing any more.
        // Saturating: a period near u64::MAX must not overflow (it then
        // just means "never retire").
        keys.previous = (age < self.rotation_secs.saturating_mul(2)).then_some(retired);
        keys.current_since = now;
        Ok(())
    }

    /// Seals `state` into a ticket.
    pub fn seal(&self, state: &SessionState) -> Result<Vec<u8>, Error> {
        self.seal_at(state, now_secs())
    }

    /// [`seal`](Self::seal) at a given time.
    ///
    /// A ticket longer than a NewSessionTicket can carry (`opaque
    /// ticket<0..2^16-1>`, RFC 5077 3.3) comes back empty: the session
    /// (with a client chain near the 64 KiB a Certificate message may
    /// hold) is then not ticketed, and the empty ticket tells the client
    /// so, as RFC 5077 3.3 allows after the ServerHello promised one.
    pub fn seal_at(&self, state: &SessionState, now: u64) -> Result<Vec<u8>, Error> {
        let mut keys = self
            .keys
            .lock()
            .map_err(|_| Error::Internal("ticket keys poisoned"))?;
        self.rotate(&mut keys, now)?;
        let mut ticket = keys.current.seal(&state.encode_secret())?;
        if ticket.len() > usize::from(u16::MAX) {
            ticket.clear();
        }
        Ok(ticket)
    }

    /// The state in `ticket`, if a current or previous key sealed it, it
    /// decodes, and it has not outlived the ticket lifetime. Anything else
    /// is `None`: the server then falls back to a full handshake.
    pub fn open(&self, ticket: &[u8]) -> Option<SessionState> {
        self.open_at(ticket, now_secs())
    }

    /// Seals a TLS 1.3 ticket's state (RFC 8446 4.6.1) under the current
    /// key, rotating it first if its period is over.
    pub(crate) fn seal13(&self, state: &TicketState13) -> Result<Vec<u8>, Error> {
        let mut keys = self
            .keys
            .lock()
            .map_err(|_| Error::Internal("ticket keys poisoned"))?;
        self.rotate(&mut keys, now_secs())?;
        let ticket = keys.current.seal(&state.encode_secret())?;
        match ticket.len() <= usize::from(u16::MAX) {
            true => Ok(ticket),
            // Too long for a NewSessionTicket: not ticketed.
            false => Ok(Vec::new()),
        }
    }

    /// The TLS 1.3 state in `ticket`, if a current or previous key sealed
    /// it, it decodes as a TLS 1.3 ticket, and it has not outlived its
    /// lifetime (nor this ticketer's) at `now_ms`. Anything else is `None`:
    /// a full handshake follows.
    pub(crate) fn open13(&self, ticket: &[u8], now_ms: u64) -> Option<TicketState13> {
        let mut keys = self.keys.lock().ok()?;
        self.rotate(&mut keys, now_ms / 1000).ok()?;
        let plaintext = keys
            .current
            .open(ticket)
            .or_else(|| keys.previous.as_ref()?.open(ticket))?;
        let state = TicketState13::decode(&plaintext)?;
        let within_ours = now_ms.saturating_sub(state.created_ms)
            <= u64::from(self.lifetime_secs).saturating_mul(1000);
        (within_ours && !state.expired(now_ms)).then_some(state)
    }

    /// [`open`](Self::open) at a given time.
    pub fn open_at(&self, ticket: &[u8], now: u64) -> Option<SessionState> {
        let mut keys = self.keys.lock().ok()?;
        self.rotate(&mut keys, now).ok()?;
        let plaintext = keys
            .current
            .open(ticket)
            .or_else(|| keys.previous.as_ref()?.open(ticket))?;
        let state = SessionState::read_bytes(&plaintext).ok()?;
        (!state.expired(now, u64::from(self.lifetime_secs))).then_some(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::{CipherSuite, NamedGroup, SignatureScheme};

    fn state(created: u64) -> SessionState {
        SessionState {
            cipher_suite: CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            master_secret: [9; 48].into(),
            extended_master_secret: true,
            group: NamedGroup::secp256r1,
            signature_scheme: SignatureScheme::RSA_PSS_SHA256,
            alpn_protocol: None,
            server_name: None,
            created,
            client_certificates: std::sync::Arc::default(),
        }
    }

    #[test]
    fn old_key_opens_for_one_period_after_rotation() {
        let t0 = 1_000_000;
        let ticketer = Ticketer::new_at(100, 10_000, t0).unwrap();
        let ticket = ticketer.seal_at(&state(t0), t0).unwrap();
        assert_eq!(ticketer.open_at(&ticket, t0 + 50), Some(state(t0)));
        // At t0+100 the key rotates; the old one is still accepted.
        let fresh = ticketer.seal_at(&state(t0 + 100), t0 + 100).unwrap();
        assert_eq!(ticketer.open_at(&ticket, t0 + 150), Some(state(t0)));
        assert_eq!(ticketer.open_at(&fresh, t0 + 150), Some(state(t0 + 100)));
        // At t0+200 it rotates again: the first key is gone.
        assert_eq!(ticketer.open_at(&ticket, t0 + 200), None);
        assert_eq!(ticketer.open_at(&fresh, t0 + 200), Some(state(t0 + 100)));
    }

    #[test]
    fn honours_ticket_lifetime() {
        let t0 = 5_000_000;
        let ticketer = Ticketer::new_at(1_000_000, 60, t0).unwrap();
        let ticket = ticketer.seal_at(&state(t0), t0).unwrap();
        assert!(ticketer.open_at(&ticket, t0 + 60).is_some());
        assert!(ticketer.open_at(&ticket, t0 + 61).is_none());
        assert_eq!(ticketer.lifetime_hint(), 60);
    }

    #[test]
    fn rotation_with_huge_period_does_not_overflow() {
        let t0 = 1_000_000;
        let ticketer = Ticketer::new_at(u64::MAX, 3600, t0).unwrap();
        let ticket = ticketer.seal_at(&state(t0), t0).unwrap();
        // Far in the future, beyond any doubled period: no overflow, the
        // key has not rotated (its period has not passed), tickets expire.
        assert_eq!(ticketer.open_at(&ticket, u64::MAX), None);
        assert_eq!(ticketer.open_at(&ticket, t0 + 10), Some(state(t0)));
        let long = Ticketer::new_at(u64::MAX / 2 + 1, 3600, 0).unwrap();
        let ticket = long.seal_at(&state(0), 0).unwrap();
        // Age reaches the period: the key rotates, and 2 * period would
        // overflow when deciding whether the retired key stays.
        assert_eq!(long.open_at(&ticket, u64::MAX / 2 + 1), None);
    }

    #[test]
    fn a_ticket_too_long_for_new_session_ticket_is_empty() {
        let t0 = 1_000_000;
        let ticketer = Ticketer::new_at(3600, 3600, t0).unwrap();
        let mut big = state(t0);
        big.client_certificates =
            vec![rustls_pki_types::CertificateDer::from(vec![0x30; 65_500])].into();
        assert_eq!(ticketer.seal_at(&big, t0).unwrap(), Vec::<u8>::new());
        let mut fits = state(t0);
        fits.client_certificates =
            vec![rustls_pki_types::CertificateDer::from(vec![0x30; 60_000])].into();
        let ticket = ticketer.seal_at(&fits, t0).unwrap();
        assert_eq!(ticketer.open_at(&ticket, t0), Some(fits));
    }

    #[test]
    fn rejects_tampered_ticket() {
        let ticketer = Ticketer::new(3600, 3600).unwrap();
        let mut ticket = ticketer.seal(&state(now_secs())).unwrap();
        let last = ticket.len() - 1;
        ticket[last] ^= 0x80;
        assert_eq!(ticketer.open(&ticket), None);
        assert_eq!(ticketer.open(b"short"), None);
    }
}
