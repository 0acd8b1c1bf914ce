//! The state a resumable session keeps, and its encoding inside tickets.

use crate::codec::{Codec, LengthPrefix, Reader, read_bytes};
use crate::enums::{CipherSuite, NamedGroup, SignatureScheme};
use crate::error::InvalidMessage;

/// What both sides must remember to resume a session (RFC 5246 7.4.1.2,
/// RFC 7627 5.3).
#[derive(Clone, PartialEq, Eq)]
pub struct SessionState {
    /// The session's cipher suite.
    pub cipher_suite: CipherSuite,
    /// The master secret.
    pub master_secret: [u8; 48],
    /// Whether the master secret is an extended one (RFC 7627). A resumed
    /// handshake must agree.
    pub extended_master_secret: bool,
    /// The group of the original key exchange (reported again on resumption).
    pub group: NamedGroup,
    /// The scheme that signed the original key exchange.
    pub signature_scheme: SignatureScheme,
    /// The application protocol, if one was agreed.
    pub alpn_protocol: Option<Vec<u8>>,
    /// The server name the client asked for, if any.
    pub server_name: Option<String>,
    /// When the session was made, in seconds since the Unix epoch.
    pub created: u64,
}

impl core::fmt::Debug for SessionState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The master secret is never printed.
        f.debug_struct("SessionState")
            .field("cipher_suite", &self.cipher_suite)
            .field("extended_master_secret", &self.extended_master_secret)
            .field("group", &self.group)
            .field("alpn_protocol", &self.alpn_protocol)
            .field("server_name", &self.server_name)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

impl SessionState {
    /// Whether the session is older than `lifetime_secs` at `now`.
    pub fn expired(&self, now: u64, lifetime_secs: u64) -> bool {
        now.saturating_sub(self.created) > lifetime_secs || self.created > now.saturating_add(60)
    }
}

const VERSION: u8 = 1;

impl Codec for SessionState {
    fn encode(&self, out: &mut Vec<u8>) {
        VERSION.encode(out);
        self.cipher_suite.encode(out);
        out.extend_from_slice(&self.master_secret);
        u8::from(self.extended_master_secret).encode(out);
        self.group.encode(out);
        self.signature_scheme.encode(out);
        crate::codec::encode_bytes(
            out,
            LengthPrefix::U8,
            self.alpn_protocol.as_deref().unwrap_or_default(),
        );
        crate::codec::encode_bytes(
            out,
            LengthPrefix::U16,
            self.server_name.as_deref().unwrap_or_default().as_bytes(),
        );
        out.extend_from_slice(&self.created.to_be_bytes());
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        if u8::read(r)? != VERSION {
            return Err(InvalidMessage::InvalidValue("session state version"));
        }
        let cipher_suite = CipherSuite::read(r)?;
        let mut master_secret = [0u8; 48];
        master_secret.copy_from_slice(r.take(48, "master_secret")?);
        let extended_master_secret = match u8::read(r)? {
            0 => false,
            1 => true,
            _ => return Err(InvalidMessage::InvalidValue("extended_master_secret flag")),
        };
        let group = NamedGroup::read(r)?;
        let signature_scheme = SignatureScheme::read(r)?;
        let alpn = read_bytes(r, LengthPrefix::U8, "alpn_protocol")?;
        let name = read_bytes(r, LengthPrefix::U16, "server_name")?;
        let server_name = match name.is_empty() {
            true => None,
            false => Some(
                String::from_utf8(name).map_err(|_| InvalidMessage::InvalidValue("server_name"))?,
            ),
        };
        let created = u64::from_be_bytes(r.take(8, "created")?.try_into().unwrap_or([0; 8]));
        Ok(Self {
            cipher_suite,
            master_secret,
            extended_master_secret,
            group,
            signature_scheme,
            alpn_protocol: (!alpn.is_empty()).then_some(alpn),
            server_name,
            created,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample(created: u64) -> SessionState {
        SessionState {
            cipher_suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            master_secret: [7; 48],
            extended_master_secret: true,
            group: NamedGroup::X25519,
            signature_scheme: SignatureScheme::ECDSA_NISTP256_SHA256,
            alpn_protocol: Some(b"h2".to_vec()),
            server_name: Some("localhost".into()),
            created,
        }
    }

    #[test]
    fn round_trips() {
        let state = sample(1_700_000_000);
        assert_eq!(SessionState::read_bytes(&state.get_encoding()), Ok(state));
    }

    #[test]
    fn rejects_truncated_state() {
        let bytes = sample(1).get_encoding();
        for cut in 0..bytes.len() {
            assert!(
                SessionState::read_bytes(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn expires_after_lifetime() {
        let state = sample(1000);
        assert!(!state.expired(1000 + 300, 300));
        assert!(state.expired(1000 + 301, 300));
    }
}
