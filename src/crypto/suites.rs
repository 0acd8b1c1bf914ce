//! The cipher suites, groups and signature schemes this crate supports, and
//! what each is made of.

use crate::enums::{CipherSuite, NamedGroup, SignatureScheme};

/// The signature algorithm that authenticates the server's key exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// ECDSA over P-256 or P-384.
    Ecdsa,
    /// RSA, with PKCS#1 v1.5 or PSS padding.
    Rsa,
}

/// The AEAD that protects records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AeadAlgorithm {
    /// AES-128-GCM (RFC 5288).
    Aes128Gcm,
    /// AES-256-GCM (RFC 5288).
    Aes256Gcm,
    /// ChaCha20-Poly1305 (RFC 7905).
    ChaCha20Poly1305,
}

/// Length of every AEAD tag used here.
pub const AEAD_TAG_LEN: usize = 16;

impl AeadAlgorithm {
    /// Length of the write key.
    pub const fn key_len(self) -> usize {
        match self {
            Self::Aes128Gcm => 16,
            Self::Aes256Gcm | Self::ChaCha20Poly1305 => 32,
        }
    }

    /// Length of the write IV from the key block: the 4-byte implicit salt
    /// for GCM (RFC 5288 3), the 12-byte IV for ChaCha20-Poly1305
    /// (RFC 7905 2).
    pub const fn fixed_iv_len(self) -> usize {
        match self {
            Self::Aes128Gcm | Self::Aes256Gcm => 4,
            Self::ChaCha20Poly1305 => 12,
        }
    }

    /// Length of the explicit nonce sent in each record: 8 for GCM, 0 for
    /// ChaCha20-Poly1305.
    pub const fn explicit_nonce_len(self) -> usize {
        match self {
            Self::Aes128Gcm | Self::Aes256Gcm => 8,
            Self::ChaCha20Poly1305 => 0,
        }
    }

    /// Length of the tag appended to each record.
    pub const fn tag_len(self) -> usize {
        AEAD_TAG_LEN
    }
}

/// The hash of the PRF and of the handshake transcript.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
}

impl HashAlgorithm {
    /// Length of this hash's output.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
        }
    }

    pub(crate) fn digest(self) -> &'static ring::digest::Algorithm {
        match self {
            Self::Sha256 => &ring::digest::SHA256,
            Self::Sha384 => &ring::digest::SHA384,
        }
    }

    pub(crate) fn hmac(self) -> ring::hmac::Algorithm {
        match self {
            Self::Sha256 => ring::hmac::HMAC_SHA256,
            Self::Sha384 => ring::hmac::HMAC_SHA384,
        }
    }
}

/// A cipher suite this crate implements: ECDHE key exchange, authenticated
/// by `signature`, records protected by `aead`, PRF over `hash`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SupportedCipherSuite {
    /// The wire identity.
    pub suite: CipherSuite,
    /// What signs the server's ECDHE parameters.
    pub signature: SignatureAlgorithm,
    /// What protects records.
    pub aead: AeadAlgorithm,
    /// The PRF and transcript hash.
    pub hash: HashAlgorithm,
}

impl SupportedCipherSuite {
    /// Bytes of key block this suite needs (RFC 5246 6.3): two keys and
    /// two fixed IVs, no MAC keys.
    pub const fn key_block_len(&self) -> usize {
        2 * (self.aead.key_len() + self.aead.fixed_iv_len())
    }
}

const fn suite(
    suite: CipherSuite,
    signature: SignatureAlgorithm,
    aead: AeadAlgorithm,
    hash: HashAlgorithm,
) -> SupportedCipherSuite {
    SupportedCipherSuite {
        suite,
        signature,
        aead,
        hash,
    }
}

/// Every supported suite, in our order of preference.
pub static ALL_CIPHER_SUITES: &[SupportedCipherSuite] = {
    use AeadAlgorithm::*;
    use CipherSuite::*;
    use HashAlgorithm::*;
    use SignatureAlgorithm::*;
    &[
        suite(
            TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            Ecdsa,
            Aes256Gcm,
            Sha384,
        ),
        suite(
            TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            Ecdsa,
            Aes128Gcm,
            Sha256,
        ),
        suite(
            TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            Ecdsa,
            ChaCha20Poly1305,
            Sha256,
        ),
        suite(
            TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            Rsa,
            Aes256Gcm,
            Sha384,
        ),
        suite(
            TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            Rsa,
            Aes128Gcm,
            Sha256,
        ),
        suite(
            TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            Rsa,
            ChaCha20Poly1305,
            Sha256,
        ),
    ]
};

/// The supported suite with this wire identity, if any.
pub fn lookup(suite: CipherSuite) -> Option<&'static SupportedCipherSuite> {
    ALL_CIPHER_SUITES.iter().find(|s| s.suite == suite)
}

/// Every supported ECDHE group, in our order of preference.
pub const SUPPORTED_GROUPS: &[NamedGroup] = &[
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
];

/// Whether `group` is one we can do ECDHE over.
pub fn is_supported_group(group: NamedGroup) -> bool {
    SUPPORTED_GROUPS.contains(&group)
}

/// Every signature scheme we can verify, in the order we offer them
/// (signature_algorithms, RFC 5246 7.4.1.4.1).
pub const SUPPORTED_SIGNATURE_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_NISTP256_SHA256,
    SignatureScheme::ECDSA_NISTP384_SHA384,
    SignatureScheme::ED25519,
    SignatureScheme::RSA_PSS_SHA256,
    SignatureScheme::RSA_PSS_SHA384,
    SignatureScheme::RSA_PSS_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
];

/// The signature algorithm of a supported scheme, or `None` for a scheme
/// we do not support.
pub fn scheme_algorithm(scheme: SignatureScheme) -> Option<SignatureAlgorithm> {
    match scheme {
        // RFC 8422 5.1.3: the ECDHE_ECDSA suites also carry EdDSA.
        SignatureScheme::ECDSA_NISTP256_SHA256
        | SignatureScheme::ECDSA_NISTP384_SHA384
        | SignatureScheme::ED25519 => Some(SignatureAlgorithm::Ecdsa),
        SignatureScheme::RSA_PSS_SHA256
        | SignatureScheme::RSA_PSS_SHA384
        | SignatureScheme::RSA_PSS_SHA512
        | SignatureScheme::RSA_PKCS1_SHA256
        | SignatureScheme::RSA_PKCS1_SHA384
        | SignatureScheme::RSA_PKCS1_SHA512 => Some(SignatureAlgorithm::Rsa),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_finds_all_six_and_nothing_else() {
        assert_eq!(ALL_CIPHER_SUITES.len(), 6);
        for s in ALL_CIPHER_SUITES {
            assert_eq!(lookup(s.suite), Some(s));
        }
        assert_eq!(lookup(CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV), None);
        assert_eq!(lookup(CipherSuite::Unknown(0x002f)), None);
    }

    #[test]
    fn names_agree_with_components() {
        for s in ALL_CIPHER_SUITES {
            let name = s.suite.name().unwrap_or_default();
            assert_eq!(
                name.contains("ECDSA"),
                s.signature == SignatureAlgorithm::Ecdsa
            );
            assert_eq!(name.ends_with("SHA384"), s.hash == HashAlgorithm::Sha384);
            assert_eq!(
                name.contains("CHACHA20"),
                s.aead == AeadAlgorithm::ChaCha20Poly1305
            );
            assert_eq!(name.contains("AES_256"), s.aead == AeadAlgorithm::Aes256Gcm);
        }
    }

    #[test]
    fn key_block_lengths() {
        let gcm128 = lookup(CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
        assert_eq!(gcm128.map(|s| s.key_block_len()), Some(40));
        let gcm256 = lookup(CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384);
        assert_eq!(gcm256.map(|s| s.key_block_len()), Some(72));
        let chacha = lookup(CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256);
        assert_eq!(chacha.map(|s| s.key_block_len()), Some(88));
    }

    #[test]
    fn every_supported_scheme_has_an_algorithm() {
        for s in SUPPORTED_SIGNATURE_SCHEMES {
            assert!(scheme_algorithm(*s).is_some(), "{s}");
        }
        assert_eq!(scheme_algorithm(SignatureScheme::Unknown(0x0807)), None);
    }
}
