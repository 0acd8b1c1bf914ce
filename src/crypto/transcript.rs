//! The running hash of the handshake messages.
//!
//! The hash is known only once ServerHello picks the suite, so messages are
//! buffered until [`Transcript::start_hash`]. Client authentication signs
//! the whole transcript with a scheme whose hash may differ from the PRF's
//! (RFC 5246 7.4.8), so the raw bytes can be kept on request.

use core::fmt;

use ring::digest;

use super::suites::HashAlgorithm;
use crate::error::Error;

/// The largest hash output here (SHA-384).
const MAX_HASH_LEN: usize = 48;

/// A handshake hash value (`Hash(handshake_messages)`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HandshakeHash {
    bytes: [u8; MAX_HASH_LEN],
    len: usize,
}

impl HandshakeHash {
    /// The hash bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl AsRef<[u8]> for HandshakeHash {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for HandshakeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HandshakeHash(")?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// The handshake transcript: a buffer until the hash is known, then a
/// running hash (and, if asked, still the buffer).
#[derive(Clone, Default)]
pub struct Transcript {
    buffer: Vec<u8>,
    keep_buffer: bool,
    hash: Option<(HashAlgorithm, digest::Context)>,
}

impl Transcript {
    /// An empty transcript that buffers until [`start_hash`](Self::start_hash).
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether to keep the raw messages after the hash starts (needed to
    /// sign or verify CertificateVerify). Turning it off frees the buffer
    /// once hashing has started.
    pub fn keep_buffer(&mut self, keep: bool) {
        self.keep_buffer = keep;
        if !keep && self.hash.is_some() {
            self.buffer = Vec::new();
        }
    }

    /// Adds one encoded handshake message (header included).
    pub fn add(&mut self, encoded: &[u8]) {
        if let Some((_, ctx)) = &mut self.hash {
            ctx.update(encoded);
            if !self.keep_buffer {
                return;
            }
        }
        self.buffer.extend_from_slice(encoded);
    }

    /// Starts hashing with `hash`, over everything added so far. Only the
    /// first call has an effect.
    pub fn start_hash(&mut self, hash: HashAlgorithm) {
        if self.hash.is_some() {
            return;
        }
        let mut ctx = digest::Context::new(hash.digest());
        ctx.update(&self.buffer);
        self.hash = Some((hash, ctx));
        if !self.keep_buffer {
            self.buffer = Vec::new();
        }
    }

    /// The hash algorithm, once started.
    pub fn hash_algorithm(&self) -> Option<HashAlgorithm> {
        self.hash.as_ref().map(|(alg, _)| *alg)
    }

    /// The hash of every message added so far. Asking before
    /// [`start_hash`](Self::start_hash) is a bug in this crate, reported as
    /// [`Error::Internal`].
    pub fn current_hash(&self) -> Result<HandshakeHash, Error> {
        let (_, ctx) = self
            .hash
            .as_ref()
            .ok_or(Error::Internal("transcript hash asked before it started"))?;
        let digest = ctx.clone().finish();
        let mut out = HandshakeHash {
            bytes: [0u8; MAX_HASH_LEN],
            len: digest.as_ref().len(),
        };
        out.bytes[..out.len].copy_from_slice(digest.as_ref());
        Ok(out)
    }

    /// The hash of every message added so far followed by `extra`, which
    /// is not added: a PSK binder's transcript, whose last part is the
    /// ClientHello truncated before its binders (RFC 8446 4.2.11.2).
    pub fn hash_with(&self, extra: &[u8]) -> Result<HandshakeHash, Error> {
        let (_, ctx) = self
            .hash
            .as_ref()
            .ok_or(Error::Internal("transcript hash asked before it started"))?;
        let mut ctx = ctx.clone();
        ctx.update(extra);
        let digest = ctx.finish();
        let mut out = HandshakeHash {
            bytes: [0u8; MAX_HASH_LEN],
            len: digest.as_ref().len(),
        };
        out.bytes[..out.len].copy_from_slice(digest.as_ref());
        Ok(out)
    }

    /// A copy of the running hash alone, without the raw messages: what
    /// the connection keeps of the handshake for post-handshake
    /// authentication (RFC 8446 4.4: its messages are hashed after the
    /// whole handshake). `None` before [`start_hash`](Self::start_hash).
    pub(crate) fn running_hash(&self) -> Option<Self> {
        self.hash.clone().map(|hash| Self {
            buffer: Vec::new(),
            keep_buffer: false,
            hash: Some(hash),
        })
    }

    /// The raw messages: always before the hash starts, afterwards only if
    /// [`keep_buffer`](Self::keep_buffer) was set.
    pub fn buffer(&self) -> Option<&[u8]> {
        if self.hash.is_none() || self.keep_buffer {
            Some(&self.buffer)
        } else {
            None
        }
    }
}

impl fmt::Debug for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transcript")
            .field("buffered", &self.buffer.len())
            .field("keep_buffer", &self.keep_buffer)
            .field("hash", &self.hash_algorithm())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(alg: HashAlgorithm, data: &[u8]) -> Vec<u8> {
        digest::digest(alg.digest(), data).as_ref().to_vec()
    }

    #[test]
    fn hash_covers_messages_before_and_after_start() {
        for alg in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
            let mut t = Transcript::new();
            t.add(b"client hello");
            t.add(b"server hello");
            assert!(t.current_hash().is_err());
            t.start_hash(alg);
            t.add(b"certificate");
            let got = t.current_hash().map(|h| h.as_bytes().to_vec());
            assert_eq!(got, Ok(sha(alg, b"client helloserver hellocertificate")));
            assert_eq!(t.buffer(), None);
        }
    }

    #[test]
    fn current_hash_does_not_consume() {
        let mut t = Transcript::new();
        t.start_hash(HashAlgorithm::Sha256);
        t.add(b"a");
        let one = t.current_hash();
        t.add(b"b");
        assert_eq!(
            one.map(|h| h.as_bytes().to_vec()),
            Ok(sha(HashAlgorithm::Sha256, b"a"))
        );
        let two = t.current_hash().map(|h| h.as_bytes().to_vec());
        assert_eq!(two, Ok(sha(HashAlgorithm::Sha256, b"ab")));
    }

    #[test]
    fn kept_buffer_holds_everything() {
        let mut t = Transcript::new();
        t.keep_buffer(true);
        t.add(b"one");
        t.start_hash(HashAlgorithm::Sha384);
        t.add(b"two");
        assert_eq!(t.buffer(), Some(&b"onetwo"[..]));
        t.keep_buffer(false);
        assert_eq!(t.buffer(), None);
        let got = t.current_hash().map(|h| h.as_bytes().to_vec());
        assert_eq!(got, Ok(sha(HashAlgorithm::Sha384, b"onetwo")));
    }
}
