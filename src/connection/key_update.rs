//! TLS 1.3 KeyUpdate (RFC 8446 4.6.3, 7.2): each direction keeps its
//! current application traffic secret, so that the next one,
//! `HKDF-Expand-Label(secret, "traffic upd", "", Hash.length)`, can be
//! derived when either side updates. The reader moves its secret on when
//! it reads the peer's KeyUpdate, the writer when it sends its own.

use crate::crypto::tls13::{
    Secret, Tls13CipherSuite, Tls13Opener, Tls13Sealer, next_traffic_secret,
};
use crate::enums::HandshakeType;
use crate::error::Error;
use crate::message::tls13::KeyUpdateRequest;

/// After this many records under one key the writer updates it on its
/// own, well before the AEAD limits of RFC 8446 5.5 (2^24.5 full-size
/// records for AES-GCM, the tightest of the three suites) and before the
/// 64-bit sequence number could wrap.
pub(crate) const DEFAULT_RECORDS_PER_KEY: u64 = 1 << 24;

/// One direction's current application traffic secret (wiped on drop,
/// as every [`Secret`] is).
pub(crate) struct TrafficSecret {
    suite: &'static Tls13CipherSuite,
    secret: Secret,
}

impl core::fmt::Debug for TrafficSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TrafficSecret")
            .field("suite", &self.suite.suite)
            .finish_non_exhaustive()
    }
}

impl TrafficSecret {
    pub(crate) fn new(suite: &'static Tls13CipherSuite, secret: Secret) -> Self {
        Self { suite, secret }
    }

    /// The current secret: the base key of a post-handshake Finished
    /// (RFC 8446 4.4.4).
    pub(crate) fn secret(&self) -> &Secret {
        &self.secret
    }

    /// Moves to the next secret; the old one is wiped as it drops.
    fn advance(&mut self) -> Result<(), Error> {
        self.secret = next_traffic_secret(&self.secret)?;
        Ok(())
    }

    /// The next secret's opener (the reader's side of an update).
    pub(crate) fn next_opener(&mut self) -> Result<Tls13Opener, Error> {
        self.advance()?;
        self.suite.opener(&self.secret)
    }

    /// The next secret's sealer (the writer's side of an update).
    pub(crate) fn next_sealer(&mut self) -> Result<Tls13Sealer, Error> {
        self.advance()?;
        self.suite.sealer(&self.secret)
    }
}

/// A whole KeyUpdate message: type, 24-bit length 1, the request byte.
pub(crate) fn key_update_message(request: KeyUpdateRequest) -> [u8; 5] {
    [
        HandshakeType::KeyUpdate.to_wire(),
        0,
        0,
        1,
        request.to_wire(),
    ]
}
