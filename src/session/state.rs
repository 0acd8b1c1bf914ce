//! The state a resumable session keeps, and its encoding inside tickets.

use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::codec::{Codec, LengthPrefix, Reader, read_bytes};
use crate::crypto::MasterSecret;
use crate::crypto::wipe::{ZeroizeOnDrop, Zeroizing};
use crate::enums::{CipherSuite, NamedGroup, SignatureScheme};
use crate::error::InvalidMessage;
use crate::message::CertificateChain;

/// What both sides must remember to resume a session (RFC 5246 7.4.1.2,
/// RFC 7627 5.3).
#[derive(Clone, PartialEq, Eq)]
pub struct SessionState {
    /// The session's cipher suite.
    pub cipher_suite: CipherSuite,
    /// The master secret, zeroed when dropped.
    pub master_secret: MasterSecret,
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
    /// The client's certificate chain, end-entity first, as the server
    /// verified it in the full handshake; empty when the client sent none
    /// (or was not asked). A server resumes the session under a
    /// client-auth policy only after verifying this chain again with its
    /// current policy. The chain was bounded when it was received (it came
    /// in one handshake message), and it sits in the ticket as it did in
    /// that message. The client leaves it empty.
    pub client_certificates: Arc<[CertificateDer<'static>]>,
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
            .field("client_certificates", &self.client_certificates.len())
            .finish_non_exhaustive()
    }
}

/// The master secret is zeroed when a `SessionState` (or any clone of it,
/// in the cache, the client's store or a ticket being made) is dropped:
/// its [`MasterSecret`] does that itself.
impl ZeroizeOnDrop for SessionState {}

impl SessionState {
    /// The length of [`Codec::encode`]'s output, so the encoding is
    /// written into one buffer of the right size: a buffer that grew would
    /// leave a copy of the master secret in the block it moved out of.
    pub(crate) fn encoded_len(&self) -> usize {
        let chain: usize = self
            .client_certificates
            .iter()
            .map(|cert| 3 + cert.as_ref().len())
            .sum();
        1 + 2
            + self.master_secret.as_bytes().len()
            + 1
            + 2
            + 2
            + 1
            + self.alpn_protocol.as_ref().map_or(0, Vec::len)
            + 2
            + self.server_name.as_ref().map_or(0, String::len)
            + 8
            + 3
            + chain
    }

    /// The encoding, in a buffer zeroed when dropped.
    pub(crate) fn encode_secret(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(self.encoded_len()));
        self.encode(&mut out);
        out
    }

    /// Whether the session is older than `lifetime_secs` at `now`.
    pub fn expired(&self, now: u64, lifetime_secs: u64) -> bool {
        now.saturating_sub(self.created) > lifetime_secs || self.created > now.saturating_add(60)
    }
}

/// The encoding's version. 2 added the client's chain; a ticket of another
/// version does not decode, and its client gets a full handshake.
const VERSION: u8 = 2;

impl Codec for SessionState {
    fn encode(&self, out: &mut Vec<u8>) {
        VERSION.encode(out);
        self.cipher_suite.encode(out);
        out.extend_from_slice(self.master_secret.as_bytes());
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
        CertificateChain(self.client_certificates.clone()).encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        if u8::read(r)? != VERSION {
            return Err(InvalidMessage::InvalidValue("session state version"));
        }
        let cipher_suite = CipherSuite::read(r)?;
        // Straight from the (zeroed-on-drop) plaintext into the secret's
        // own block.
        let master_secret = MasterSecret::from_slice(r.take(48, "master_secret")?)
            .ok_or(InvalidMessage::MissingData("master_secret"))?;
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
        let client_certificates = CertificateChain::read(r)?.0;
        Ok(Self {
            cipher_suite,
            master_secret,
            extended_master_secret,
            group,
            signature_scheme,
            alpn_protocol: (!alpn.is_empty()).then_some(alpn),
            server_name,
            created,
            client_certificates,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample(created: u64) -> SessionState {
        SessionState {
            cipher_suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            master_secret: [7; 48].into(),
            extended_master_secret: true,
            group: NamedGroup::X25519,
            signature_scheme: SignatureScheme::ECDSA_NISTP256_SHA256,
            alpn_protocol: Some(b"h2".to_vec()),
            server_name: Some("localhost".into()),
            created,
            client_certificates: vec![
                CertificateDer::from(vec![0x30, 1, 2]),
                CertificateDer::from(vec![0x30, 3]),
            ]
            .into(),
        }
    }

    #[test]
    fn round_trips() {
        let state = sample(1_700_000_000);
        assert_eq!(SessionState::read_bytes(&state.get_encoding()), Ok(state));
    }

    #[test]
    fn round_trips_without_client_chain() {
        let mut state = sample(1_700_000_000);
        state.client_certificates = Arc::default();
        assert_eq!(SessionState::read_bytes(&state.get_encoding()), Ok(state));
    }

    #[test]
    fn encoded_len_is_exact() {
        let mut bare = sample(2);
        bare.alpn_protocol = None;
        bare.server_name = None;
        bare.client_certificates = Arc::default();
        for state in [sample(1), bare] {
            let encoded = state.encode_secret();
            assert_eq!(encoded.len(), state.encoded_len());
            assert_eq!(encoded.capacity(), state.encoded_len(), "one allocation");
        }
    }

    #[test]
    fn rejects_the_previous_version() {
        // A version-1 state (no client chain) must not be read as one
        // whose client sent no certificate.
        let mut bytes = sample(1).get_encoding();
        bytes[0] = 1;
        assert!(SessionState::read_bytes(&bytes).is_err());
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
