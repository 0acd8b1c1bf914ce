//! The TLS 1.3 cipher suites (RFC 8446 B.4): an AEAD and the hash of the
//! key schedule. Key exchange and authentication are negotiated apart
//! (key_share, signature_algorithms), so unlike TLS 1.2's suites these name
//! neither.

use super::key_schedule::Secret;
use super::record::{Tls13Opener, Tls13Sealer, TrafficKey};
use crate::crypto::suites::{AeadAlgorithm, HashAlgorithm};
use crate::enums::CipherSuite;
use crate::error::Error;

/// A TLS 1.3 suite this crate implements.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Tls13CipherSuite {
    /// The wire identity.
    pub suite: CipherSuite,
    /// What protects records.
    pub aead: AeadAlgorithm,
    /// The key schedule's and the transcript's hash.
    pub hash: HashAlgorithm,
}

impl Tls13CipherSuite {
    /// The sealer for records written under `traffic_secret`.
    pub fn sealer(&self, traffic_secret: &Secret) -> Result<Tls13Sealer, Error> {
        Tls13Sealer::new(self.aead, &TrafficKey::derive(self.aead, traffic_secret)?)
    }

    /// The opener for records read under `traffic_secret`.
    pub fn opener(&self, traffic_secret: &Secret) -> Result<Tls13Opener, Error> {
        Tls13Opener::new(self.aead, &TrafficKey::derive(self.aead, traffic_secret)?)
    }
}

/// Every TLS 1.3 suite, in our order of preference (as for TLS 1.2:
/// AES-256-GCM, AES-128-GCM, ChaCha20-Poly1305).
pub static TLS13_CIPHER_SUITES: &[Tls13CipherSuite] = &[
    Tls13CipherSuite {
        suite: CipherSuite::TLS13_AES_256_GCM_SHA384,
        aead: AeadAlgorithm::Aes256Gcm,
        hash: HashAlgorithm::Sha384,
    },
    Tls13CipherSuite {
        suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
        aead: AeadAlgorithm::Aes128Gcm,
        hash: HashAlgorithm::Sha256,
    },
    Tls13CipherSuite {
        suite: CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        aead: AeadAlgorithm::ChaCha20Poly1305,
        hash: HashAlgorithm::Sha256,
    },
];

/// The TLS 1.3 suite with this wire identity, if we implement it.
pub fn lookup_tls13(suite: CipherSuite) -> Option<&'static Tls13CipherSuite> {
    TLS13_CIPHER_SUITES.iter().find(|s| s.suite == suite)
}

/// The TLS 1.3 suites a configuration's suite list names, in its order; a
/// list that names none (the TLS 1.2 defaults) stands for all three, in
/// our order. Client and server read their configurations the same way.
///
/// An iterator, not a vector: both hellos read it once per handshake, and
/// it would be two of the handshake's allocations.
pub fn configured_tls13_suites(
    configured: &[CipherSuite],
) -> impl Iterator<Item = &'static Tls13CipherSuite> + '_ {
    let names_one = configured.iter().any(|s| lookup_tls13(*s).is_some());
    let named = configured
        .iter()
        .filter_map(|s| lookup_tls13(*s))
        .filter(move |_| names_one);
    let all = TLS13_CIPHER_SUITES.iter().filter(move |_| !names_one);
    named.chain(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_three_and_no_tls12_suite() {
        for s in TLS13_CIPHER_SUITES {
            assert_eq!(lookup_tls13(s.suite), Some(s));
        }
        assert_eq!(
            lookup_tls13(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
            None
        );
        for s in crate::crypto::ALL_CIPHER_SUITES {
            assert_eq!(lookup_tls13(s.suite), None);
        }
    }

    #[test]
    fn a_configuration_naming_no_tls13_suite_takes_all_three() {
        let tls12_only = [CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
        assert_eq!(configured_tls13_suites(&tls12_only).count(), 3);
        let one = [
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        ];
        let got: Vec<_> = configured_tls13_suites(&one).map(|s| s.suite).collect();
        assert_eq!(got, [CipherSuite::TLS13_CHACHA20_POLY1305_SHA256]);
    }
}
