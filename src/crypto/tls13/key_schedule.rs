//! The TLS 1.3 key schedule (RFC 8446 7.1), over `ring::hkdf`.
//!
//! The schedule is three stages, each a type that only the previous one
//! makes: [`EarlySecret`] (from a PSK, or zeros) → [`HandshakeSecret`]
//! (mixes in the (EC)DHE shared secret) → [`MasterSecret`]. Each stage
//! derives its traffic secrets from a transcript hash and is consumed by the
//! next, so a stage cannot be skipped or entered twice. Every secret is a
//! [`Secret`], wiped when dropped.

use ring::{hkdf, hmac};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::super::finished::FinishedVerified;
use super::super::suites::HashAlgorithm;
use crate::error::{Error, PeerMisbehaved};

/// The longest hash output among the suites (SHA-384).
pub const MAX_HASH_LEN: usize = 48;

/// One secret of the key schedule: a hash output, wiped on drop and never
/// printed.
#[derive(Clone)]
pub struct Secret {
    hash: HashAlgorithm,
    bytes: [u8; MAX_HASH_LEN],
}

impl Secret {
    /// A secret from its bytes (e.g. a PSK or a traffic secret read back
    /// from a session); `bytes` must be one output of `hash`.
    pub fn new(hash: HashAlgorithm, bytes: &[u8]) -> Result<Self, Error> {
        let mut secret = Self {
            hash,
            bytes: [0; MAX_HASH_LEN],
        };
        secret
            .bytes
            .get_mut(..hash.output_len())
            .filter(|_| bytes.len() == hash.output_len())
            .ok_or(Error::Internal("secret length is not the hash length"))?
            .copy_from_slice(bytes);
        Ok(secret)
    }

    /// The secret's bytes (the key log writes these).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.hash.output_len()]
    }

    /// The hash the secret belongs to.
    pub fn hash(&self) -> HashAlgorithm {
        self.hash
    }

    /// `HKDF-Expand-Label(self, label, context, out.len())` into `out`
    /// (RFC 8446 7.1). `label` is without the `"tls13 "` prefix.
    pub fn expand_label(&self, label: &[u8], context: &[u8], out: &mut [u8]) -> Result<(), Error> {
        self.expander().expand_label(label, context, out)
    }

    /// `Derive-Secret(self, label, messages)` given `Transcript-Hash(messages)`:
    /// an expansion to one hash length.
    pub fn derive(&self, label: &[u8], transcript_hash: &[u8]) -> Result<Self, Error> {
        self.expander().derive(label, transcript_hash)
    }

    /// The secret made ready for several expansions: making the HMAC key
    /// costs two hash blocks, as much as an expansion, so the schedule
    /// makes it once where one secret gives two outputs (a traffic key and
    /// its IV; the two traffic secrets of a stage).
    pub(crate) fn expander(&self) -> Expander {
        Expander {
            hash: self.hash,
            prk: hkdf::Prk::new_less_safe(hkdf_algorithm(self.hash), self.as_bytes()),
        }
    }

    /// `Derive-Secret(self, "derived", "")`: the salt of the next stage.
    fn derived(&self) -> Result<Self, Error> {
        self.derive(b"derived", empty_hash(self.hash))
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Secret")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

/// A [`Secret`] keyed for HKDF-Expand, to expand it more than once.
pub(crate) struct Expander {
    hash: HashAlgorithm,
    prk: hkdf::Prk,
}

impl Expander {
    /// [`Secret::expand_label`].
    pub(crate) fn expand_label(
        &self,
        label: &[u8],
        context: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        const BAD: Error = Error::Internal("HKDF-Expand-Label input out of range");
        let length = u16::try_from(out.len()).map_err(|_| BAD)?.to_be_bytes();
        let label_len = [u8::try_from(LABEL_PREFIX.len() + label.len()).map_err(|_| BAD)?];
        let context_len = [u8::try_from(context.len()).map_err(|_| BAD)?];
        let info = [
            &length[..],
            &label_len,
            LABEL_PREFIX,
            label,
            &context_len,
            context,
        ];
        self.prk
            .expand(&info, OutputLen(out.len()))
            .and_then(|okm| okm.fill(out))
            .map_err(|_| BAD)
    }

    /// [`Secret::derive`].
    pub(crate) fn derive(&self, label: &[u8], transcript_hash: &[u8]) -> Result<Secret, Error> {
        let mut out = Secret {
            hash: self.hash,
            bytes: [0; MAX_HASH_LEN],
        };
        let len = self.hash.output_len();
        self.expand_label(label, transcript_hash, &mut out.bytes[..len])?;
        Ok(out)
    }
}

/// Every HKDF label in TLS 1.3 starts with this (RFC 8446 7.1).
const LABEL_PREFIX: &[u8] = b"tls13 ";

struct OutputLen(usize);

impl hkdf::KeyType for OutputLen {
    fn len(&self) -> usize {
        self.0
    }
}

fn hkdf_algorithm(hash: HashAlgorithm) -> hkdf::Algorithm {
    match hash {
        HashAlgorithm::Sha256 => hkdf::HKDF_SHA256,
        HashAlgorithm::Sha384 => hkdf::HKDF_SHA384,
    }
}

/// `Hash("")`, the context of the "derived" and binder-key expansions: a
/// constant, not hashed again at each stage (checked against `ring` in
/// the tests).
fn empty_hash(hash: HashAlgorithm) -> &'static [u8] {
    const SHA256_EMPTY: [u8; 32] = [
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9,
        0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52,
        0xb8, 0x55,
    ];
    const SHA384_EMPTY: [u8; 48] = [
        0x38, 0xb0, 0x60, 0xa7, 0x51, 0xac, 0x96, 0x38, 0x4c, 0xd9, 0x32, 0x7e, 0xb1, 0xb1, 0xe3,
        0x6a, 0x21, 0xfd, 0xb7, 0x11, 0x14, 0xbe, 0x07, 0x43, 0x4c, 0x0c, 0xc7, 0xbf, 0x63, 0xf6,
        0xe1, 0xda, 0x27, 0x4e, 0xde, 0xbf, 0xe7, 0x6f, 0x65, 0xfb, 0xd5, 0x1a, 0xd2, 0xf1, 0x48,
        0x98, 0xb9, 0x5b,
    ];
    match hash {
        HashAlgorithm::Sha256 => &SHA256_EMPTY,
        HashAlgorithm::Sha384 => &SHA384_EMPTY,
    }
}

/// `HKDF-Extract(salt, ikm)`, which is `HMAC-Hash(salt, ikm)` (RFC 5869
/// 2.2). It is computed with `ring::hmac` because `ring::hkdf::Prk` never
/// reveals its bytes, and the schedule needs them: the next stage's salt
/// and the key log both read the extracted secret's successors.
fn extract(hash: HashAlgorithm, salt: &[u8], ikm: &[u8]) -> Result<Secret, Error> {
    let key = hmac::Key::new(hash.hmac(), salt);
    Secret::new(hash, hmac::sign(&key, ikm).as_ref())
}

/// The early secret: `HKDF-Extract(0, PSK)`, with a string of zeros for the
/// PSK when there is none (RFC 8446 7.1).
pub struct EarlySecret {
    secret: Secret,
    /// Whether there was no PSK: then this secret and the next stage's
    /// salt are the same in every handshake, and are constants.
    without_psk: bool,
}

/// Without a PSK: `HKDF-Extract(0, 0)` (the early secret) and
/// `Derive-Secret(early, "derived", "")` (the handshake stage's salt), per
/// hash. The same in every such handshake (RFC 8448 3 lists the SHA-256
/// pair), so not computed in each; the tests compute them.
fn without_psk(hash: HashAlgorithm) -> (&'static [u8], &'static [u8]) {
    const SHA256: ([u8; 32], [u8; 32]) = (
        [
            0x33, 0xad, 0x0a, 0x1c, 0x60, 0x7e, 0xc0, 0x3b, 0x09, 0xe6, 0xcd, 0x98, 0x93, 0x68,
            0x0c, 0xe2, 0x10, 0xad, 0xf3, 0x00, 0xaa, 0x1f, 0x26, 0x60, 0xe1, 0xb2, 0x2e, 0x10,
            0xf1, 0x70, 0xf9, 0x2a,
        ],
        [
            0x6f, 0x26, 0x15, 0xa1, 0x08, 0xc7, 0x02, 0xc5, 0x67, 0x8f, 0x54, 0xfc, 0x9d, 0xba,
            0xb6, 0x97, 0x16, 0xc0, 0x76, 0x18, 0x9c, 0x48, 0x25, 0x0c, 0xeb, 0xea, 0xc3, 0x57,
            0x6c, 0x36, 0x11, 0xba,
        ],
    );
    const SHA384: ([u8; 48], [u8; 48]) = (
        [
            0x7e, 0xe8, 0x20, 0x6f, 0x55, 0x70, 0x02, 0x3e, 0x6d, 0xc7, 0x51, 0x9e, 0xb1, 0x07,
            0x3b, 0xc4, 0xe7, 0x91, 0xad, 0x37, 0xb5, 0xc3, 0x82, 0xaa, 0x10, 0xba, 0x18, 0xe2,
            0x35, 0x7e, 0x71, 0x69, 0x71, 0xf9, 0x36, 0x2f, 0x2c, 0x2f, 0xe2, 0xa7, 0x6b, 0xfd,
            0x78, 0xdf, 0xec, 0x4e, 0xa9, 0xb5,
        ],
        [
            0x15, 0x91, 0xda, 0xc5, 0xcb, 0xbf, 0x03, 0x30, 0xa4, 0xa8, 0x4d, 0xe9, 0xc7, 0x53,
            0x33, 0x0e, 0x92, 0xd0, 0x1f, 0x0a, 0x88, 0x21, 0x4b, 0x44, 0x64, 0x97, 0x2f, 0xd6,
            0x68, 0x04, 0x9e, 0x93, 0xe5, 0x2f, 0x2b, 0x16, 0xfa, 0xd9, 0x22, 0xfd, 0xc0, 0x58,
            0x44, 0x78, 0x42, 0x8f, 0x28, 0x2b,
        ],
    );
    match hash {
        HashAlgorithm::Sha256 => (&SHA256.0, &SHA256.1),
        HashAlgorithm::Sha384 => (&SHA384.0, &SHA384.1),
    }
}

impl EarlySecret {
    /// The early secret of a handshake with `psk`, or without one.
    pub fn new(hash: HashAlgorithm, psk: Option<&[u8]>) -> Result<Self, Error> {
        let secret = match psk {
            Some(psk) => {
                let zeros = [0u8; MAX_HASH_LEN];
                extract(hash, &zeros[..hash.output_len()], psk)?
            }
            None => Secret::new(hash, without_psk(hash).0)?,
        };
        Ok(Self {
            secret,
            without_psk: psk.is_none(),
        })
    }

    /// The binder key: `Derive-Secret(early, "res binder" | "ext binder", "")`,
    /// for a resumption PSK or an external one.
    pub fn binder_key(&self, resumption: bool) -> Result<Secret, Error> {
        let label: &[u8] = match resumption {
            true => b"res binder",
            false => b"ext binder",
        };
        self.secret.derive(label, empty_hash(self.secret.hash))
    }

    /// `client_early_traffic_secret`, over `Transcript-Hash(ClientHello)`.
    pub fn client_early_traffic_secret(&self, hello_hash: &[u8]) -> Result<Secret, Error> {
        self.secret.derive(b"c e traffic", hello_hash)
    }

    /// The handshake secret: `HKDF-Extract(Derive-Secret(early, "derived", ""),
    /// shared_secret)`. Consumes the early stage.
    pub fn into_handshake(self, shared_secret: &[u8]) -> Result<HandshakeSecret, Error> {
        let hash = self.secret.hash;
        let salt = match self.without_psk {
            true => Secret::new(hash, without_psk(hash).1)?,
            false => self.secret.derived()?,
        };
        Ok(HandshakeSecret(extract(
            hash,
            salt.as_bytes(),
            shared_secret,
        )?))
    }
}

/// The two traffic secrets of one stage, one per direction.
#[derive(Debug)]
pub struct TrafficSecrets {
    /// The secret protecting what the client writes.
    pub client: Secret,
    /// The secret protecting what the server writes.
    pub server: Secret,
}

/// The handshake secret, from which the handshake traffic secrets come.
pub struct HandshakeSecret(Secret);

impl HandshakeSecret {
    /// `{client,server}_handshake_traffic_secret`, over
    /// `Transcript-Hash(ClientHello...ServerHello)`.
    pub fn traffic_secrets(&self, hello_hash: &[u8]) -> Result<TrafficSecrets, Error> {
        let expander = self.0.expander();
        Ok(TrafficSecrets {
            client: expander.derive(b"c hs traffic", hello_hash)?,
            server: expander.derive(b"s hs traffic", hello_hash)?,
        })
    }

    /// The master secret: `HKDF-Extract(Derive-Secret(handshake, "derived",
    /// ""), 0)`. Consumes the handshake stage.
    pub fn into_master(self) -> Result<MasterSecret, Error> {
        let salt = self.0.derived()?;
        let zeros = [0u8; MAX_HASH_LEN];
        Ok(MasterSecret(extract(
            self.0.hash,
            salt.as_bytes(),
            &zeros[..self.0.hash.output_len()],
        )?))
    }
}

/// The master secret, from which the application traffic secrets, the
/// exporter secret and the resumption secret come.
pub struct MasterSecret(Secret);

impl MasterSecret {
    /// `{client,server}_application_traffic_secret_0`, over
    /// `Transcript-Hash(ClientHello...server Finished)`.
    pub fn traffic_secrets(&self, server_finished_hash: &[u8]) -> Result<TrafficSecrets, Error> {
        let expander = self.0.expander();
        Ok(TrafficSecrets {
            client: expander.derive(b"c ap traffic", server_finished_hash)?,
            server: expander.derive(b"s ap traffic", server_finished_hash)?,
        })
    }

    /// `exporter_master_secret`, over the same transcript as the traffic
    /// secrets.
    pub fn exporter_master_secret(&self, server_finished_hash: &[u8]) -> Result<Secret, Error> {
        self.0.derive(b"exp master", server_finished_hash)
    }

    /// `resumption_master_secret`, over
    /// `Transcript-Hash(ClientHello...client Finished)`.
    pub fn resumption_master_secret(&self, client_finished_hash: &[u8]) -> Result<Secret, Error> {
        self.0.derive(b"res master", client_finished_hash)
    }
}

/// The PSK a NewSessionTicket stands for:
/// `HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce,
/// Hash.length)` (RFC 8446 4.6.1).
pub fn resumption_psk(
    resumption_master_secret: &Secret,
    ticket_nonce: &[u8],
) -> Result<Secret, Error> {
    resumption_master_secret.derive(b"resumption", ticket_nonce)
}

/// `application_traffic_secret_N+1` from `_N` (RFC 8446 7.2, KeyUpdate).
pub fn next_traffic_secret(secret: &Secret) -> Result<Secret, Error> {
    secret.derive(b"traffic upd", &[])
}

/// Finished's `verify_data`: `HMAC(finished_key, transcript_hash)` with
/// `finished_key = HKDF-Expand-Label(base_key, "finished", "", Hash.length)`
/// (RFC 8446 4.4.4). `base_key` is the writer's handshake traffic secret
/// (or a binder key, 4.2.11.2). Returns the tag and its length.
pub fn finished_verify_data(
    base_key: &Secret,
    transcript_hash: &[u8],
) -> Result<ring::hmac::Tag, Error> {
    let finished_key = base_key.derive(b"finished", &[])?;
    let key = hmac::Key::new(base_key.hash.hmac(), finished_key.as_bytes());
    Ok(hmac::sign(&key, transcript_hash))
}

/// Checks the peer's Finished (or a PSK binder) in constant time. A wrong
/// value or length is [`PeerMisbehaved::IncorrectFinished`] (decrypt_error).
pub fn verify_finished(
    base_key: &Secret,
    transcript_hash: &[u8],
    received: &[u8],
) -> Result<FinishedVerified, Error> {
    let expected = finished_verify_data(base_key, transcript_hash)?;
    let expected = expected.as_ref();
    if expected.len() != received.len() || !bool::from(expected.ct_eq(received)) {
        return Err(PeerMisbehaved::IncorrectFinished.into());
    }
    Ok(FinishedVerified::new())
}

/// The handshake message that stands for the first ClientHello in the
/// transcript after a HelloRetryRequest (RFC 8446 4.4.1):
/// `message_hash(254) || 00 00 Hash.length || Hash(ClientHello1)`. Returns
/// the buffer and how many of its bytes are the message.
pub fn message_hash(
    hash: HashAlgorithm,
    client_hello1_hash: &[u8],
) -> Result<([u8; 4 + MAX_HASH_LEN], usize), Error> {
    const MESSAGE_HASH: u8 = 254;
    let len = hash.output_len();
    let mut out = [0u8; 4 + MAX_HASH_LEN];
    out[0] = MESSAGE_HASH;
    out[3] = u8::try_from(len).map_err(|_| Error::Internal("hash length"))?;
    out.get_mut(4..4 + len)
        .filter(|_| client_hello1_hash.len() == len)
        .ok_or(Error::Internal("ClientHello1 hash is not one hash long"))?
        .copy_from_slice(client_hello1_hash);
    Ok((out, 4 + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_hashes_are_the_hashes_of_nothing() {
        for hash in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
            let computed = ring::digest::digest(hash.digest(), &[]);
            assert_eq!(empty_hash(hash), computed.as_ref(), "{hash:?}");
        }
    }

    #[test]
    fn the_constants_without_a_psk_are_what_the_schedule_computes() {
        for hash in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
            let zeros = [0u8; MAX_HASH_LEN];
            let zeros = &zeros[..hash.output_len()];
            let early = extract(hash, zeros, zeros).unwrap();
            let (early_constant, derived_constant) = without_psk(hash);
            assert_eq!(early.as_bytes(), early_constant, "{hash:?}");
            assert_eq!(early.derived().unwrap().as_bytes(), derived_constant);
            // A PSK of zeros takes the computing path to the same stage.
            let shared = [5u8; 32];
            let computed = EarlySecret::new(hash, Some(zeros))
                .unwrap()
                .into_handshake(&shared)
                .unwrap();
            let constant = EarlySecret::new(hash, None)
                .unwrap()
                .into_handshake(&shared)
                .unwrap();
            assert_eq!(computed.0.as_bytes(), constant.0.as_bytes());
        }
    }

    #[test]
    fn an_expander_expands_as_its_secret_does() {
        let secret = Secret::new(HashAlgorithm::Sha384, &[9; 48]).unwrap();
        let expander = secret.expander();
        let (mut once, mut kept) = ([0u8; 12], [0u8; 12]);
        for label in [&b"key"[..], b"iv"] {
            secret.expand_label(label, b"ctx", &mut once).unwrap();
            expander.expand_label(label, b"ctx", &mut kept).unwrap();
            assert_eq!(once, kept);
        }
    }
}
