//! Our signing key: ECDSA P-256/P-384, Ed25519 or RSA, for
//! ServerKeyExchange and CertificateVerify.

use core::fmt;
use std::path::Path;

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use rustls_pki_types::PrivateKeyDer;

use super::load::load_private_key_file;
use super::suites::SignatureAlgorithm;
use crate::enums::SignatureScheme;
use crate::error::Error;

/// The RSA schemes in our order of preference: PSS before PKCS#1 v1.5.
const RSA_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::RSA_PSS_SHA256,
    SignatureScheme::RSA_PSS_SHA384,
    SignatureScheme::RSA_PSS_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
];

enum Key {
    EcdsaP256(EcdsaKeyPair),
    EcdsaP384(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

/// A private key that can sign handshake messages.
pub struct SigningKey {
    key: Key,
}

impl SigningKey {
    /// Loads a PKCS#8 ECDSA (P-256, P-384), Ed25519 or RSA key, or a PKCS#1
    /// RSA key.
    /// SEC1 EC keys are refused: convert them to PKCS#8.
    pub fn new(der: &PrivateKeyDer<'_>) -> Result<Self, Error> {
        let key = match der {
            PrivateKeyDer::Pkcs8(pkcs8) => Self::from_pkcs8(pkcs8.secret_pkcs8_der())?,
            PrivateKeyDer::Pkcs1(pkcs1) => Key::Rsa(
                RsaKeyPair::from_der(pkcs1.secret_pkcs1_der())
                    .map_err(|e| Error::Config(format!("PKCS#1 RSA key rejected: {e}")))?,
            ),
            PrivateKeyDer::Sec1(_) => {
                return Err(Error::Config(
                    "SEC1 EC private keys are not supported; convert to PKCS#8 \
                     (openssl pkcs8 -topk8 -nocrypt)"
                        .to_string(),
                ));
            }
            _ => return Err(Error::Config("unknown private key format".to_string())),
        };
        Ok(Self { key })
    }

    /// Loads a key from a PEM or DER file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::new(&load_private_key_file(path)?)
    }

    fn from_pkcs8(pkcs8: &[u8]) -> Result<Key, Error> {
        let rng = SystemRandom::new();
        let p256 = &signature::ECDSA_P256_SHA256_ASN1_SIGNING;
        if let Ok(k) = EcdsaKeyPair::from_pkcs8(p256, pkcs8, &rng) {
            return Ok(Key::EcdsaP256(k));
        }
        let p384 = &signature::ECDSA_P384_SHA384_ASN1_SIGNING;
        if let Ok(k) = EcdsaKeyPair::from_pkcs8(p384, pkcs8, &rng) {
            return Ok(Key::EcdsaP384(k));
        }
        // `openssl genpkey -algorithm ed25519` writes PKCS#8 v1, without
        // the public key, which ring's strict parser refuses.
        if let Ok(k) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8) {
            return Ok(Key::Ed25519(k));
        }
        match RsaKeyPair::from_pkcs8(pkcs8) {
            Ok(k) => Ok(Key::Rsa(k)),
            Err(e) => Err(Error::Config(format!(
                "PKCS#8 key is not ECDSA P-256/P-384, Ed25519 nor usable RSA: {e}"
            ))),
        }
    }

    /// The algorithm of this key, which must match the suite's. Ed25519
    /// keys sign for the ECDHE_ECDSA suites (RFC 8422 5.1.3).
    pub fn algorithm(&self) -> SignatureAlgorithm {
        match self.key {
            Key::EcdsaP256(_) | Key::EcdsaP384(_) | Key::Ed25519(_) => SignatureAlgorithm::Ecdsa,
            Key::Rsa(_) => SignatureAlgorithm::Rsa,
        }
    }

    /// The curve of an ECDSA key (RFC 8422 5.1: a server may use an ECDSA
    /// certificate only on a curve the client supports); `None` for RSA.
    pub fn ecdsa_curve(&self) -> Option<crate::enums::NamedGroup> {
        match &self.key {
            Key::EcdsaP256(_) => Some(crate::enums::NamedGroup::secp256r1),
            Key::EcdsaP384(_) => Some(crate::enums::NamedGroup::secp384r1),
            _ => None,
        }
    }

    /// The schemes this key can sign with, in our order of preference.
    pub fn schemes(&self) -> &'static [SignatureScheme] {
        match self.key {
            Key::EcdsaP256(_) => &[SignatureScheme::ECDSA_NISTP256_SHA256],
            Key::EcdsaP384(_) => &[SignatureScheme::ECDSA_NISTP384_SHA384],
            Key::Ed25519(_) => &[SignatureScheme::ED25519],
            Key::Rsa(_) => RSA_SCHEMES,
        }
    }

    /// Our most preferred scheme among those offered for a TLS 1.3
    /// CertificateVerify: RSA PKCS#1 v1.5 is never used there (RFC 8446
    /// 4.2.3, 4.4.3).
    pub fn choose_scheme_tls13(&self, offered: &[SignatureScheme]) -> Option<SignatureScheme> {
        self.schemes()
            .iter()
            .copied()
            .filter(|s| !is_rsa_pkcs1(*s))
            .find(|s| offered.contains(s))
    }

    /// Our most preferred scheme among those the peer offered, if any.
    pub fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<SignatureScheme> {
        self.schemes().iter().copied().find(|s| offered.contains(s))
    }

    /// Signs `message` (the scheme hashes it). A scheme this key cannot
    /// sign with is a bug in the caller, reported as [`Error::Internal`].
    pub fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        if !self.schemes().contains(&scheme) {
            return Err(Error::Internal("signature scheme does not fit the key"));
        }
        let rng = SystemRandom::new();
        const FAILED: Error = Error::Internal("signing failed");
        match &self.key {
            Key::EcdsaP256(k) | Key::EcdsaP384(k) => k
                .sign(&rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| FAILED),
            Key::Ed25519(k) => Ok(k.sign(message).as_ref().to_vec()),
            Key::Rsa(k) => {
                let padding = rsa_padding(scheme).ok_or(FAILED)?;
                let mut sig = vec![0u8; k.public().modulus_len()];
                k.sign(padding, &rng, message, &mut sig)
                    .map_err(|_| FAILED)?;
                Ok(sig)
            }
        }
    }
}

/// Whether `scheme` is RSA PKCS#1 v1.5, which TLS 1.3 allows only in
/// certificates, never in CertificateVerify.
pub(crate) fn is_rsa_pkcs1(scheme: SignatureScheme) -> bool {
    matches!(
        scheme,
        SignatureScheme::RSA_PKCS1_SHA256
            | SignatureScheme::RSA_PKCS1_SHA384
            | SignatureScheme::RSA_PKCS1_SHA512
    )
}

fn rsa_padding(scheme: SignatureScheme) -> Option<&'static dyn signature::RsaEncoding> {
    Some(match scheme {
        SignatureScheme::RSA_PSS_SHA256 => &signature::RSA_PSS_SHA256,
        SignatureScheme::RSA_PSS_SHA384 => &signature::RSA_PSS_SHA384,
        SignatureScheme::RSA_PSS_SHA512 => &signature::RSA_PSS_SHA512,
        SignatureScheme::RSA_PKCS1_SHA256 => &signature::RSA_PKCS1_SHA256,
        SignatureScheme::RSA_PKCS1_SHA384 => &signature::RSA_PKCS1_SHA384,
        SignatureScheme::RSA_PKCS1_SHA512 => &signature::RSA_PKCS1_SHA512,
        _ => return None,
    })
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.key {
            Key::EcdsaP256(_) => "ECDSA P-256",
            Key::EcdsaP384(_) => "ECDSA P-384",
            Key::Ed25519(_) => "Ed25519",
            Key::Rsa(_) => "RSA",
        };
        f.debug_struct("SigningKey")
            .field("kind", &kind)
            .finish_non_exhaustive()
    }
}
