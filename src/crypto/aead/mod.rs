//! Record protection with AES-GCM (RFC 5288) and ChaCha20-Poly1305
//! (RFC 7905), sealing and opening in place.

pub(in crate::crypto) mod nonce;
mod open;
mod seal;

use ring::aead::{self, LessSafeKey, UnboundKey};

use self::nonce::NonceBase;
use self::open::AeadOpener;
use self::seal::AeadSealer;
use super::key_block::KeyBlock;
use super::suites::{AeadAlgorithm, SupportedCipherSuite};
use crate::error::Error;
use crate::record::{RecordOpener, RecordSealer};

pub(in crate::crypto) fn ring_algorithm(aead: AeadAlgorithm) -> &'static aead::Algorithm {
    match aead {
        AeadAlgorithm::Aes128Gcm => &aead::AES_128_GCM,
        AeadAlgorithm::Aes256Gcm => &aead::AES_256_GCM,
        AeadAlgorithm::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
    }
}

fn key_and_base(
    aead: AeadAlgorithm,
    key: &[u8],
    fixed_iv: &[u8],
) -> Result<(LessSafeKey, NonceBase), Error> {
    const WRONG: Error = Error::Internal("key block does not fit the suite");
    if key.len() != aead.key_len() || fixed_iv.len() != aead.fixed_iv_len() {
        return Err(WRONG);
    }
    let key = UnboundKey::new(ring_algorithm(aead), key).map_err(|_| WRONG)?;
    let base = NonceBase::new(fixed_iv).ok_or(WRONG)?;
    Ok((LessSafeKey::new(key), base))
}

/// A sealer for our writes and an opener for the peer's.
pub type RecordProtection = (Box<dyn RecordSealer>, Box<dyn RecordOpener>);

/// The sealer for our writes and the opener for the peer's, from the key
/// block: a client writes with the client write key and reads with the
/// server's, a server the other way round. A key block derived for another
/// suite is [`Error::Internal`].
pub fn new_record_protection(
    suite: &SupportedCipherSuite,
    key_block: &KeyBlock,
    we_are_client: bool,
) -> Result<RecordProtection, Error> {
    let client = (key_block.client_write_key(), key_block.client_write_iv());
    let server = (key_block.server_write_key(), key_block.server_write_iv());
    let (ours, theirs) = match we_are_client {
        true => (client, server),
        false => (server, client),
    };
    let explicit_nonce_len = suite.aead.explicit_nonce_len();
    let (key, base) = key_and_base(suite.aead, ours.0, ours.1)?;
    let sealer = AeadSealer {
        key,
        base,
        explicit_nonce_len,
    };
    let (key, base) = key_and_base(suite.aead, theirs.0, theirs.1)?;
    let opener = AeadOpener {
        key,
        base,
        explicit_nonce_len,
    };
    Ok((Box::new(sealer), Box::new(opener)))
}
