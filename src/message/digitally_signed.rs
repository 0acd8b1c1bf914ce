//! The `digitally-signed` struct of RFC 5246 4.7, as TLS 1.2 sends it: the
//! scheme, then the signature.

use crate::codec::{Codec, LengthPrefix, Reader, encode_bytes, read_bytes};
use crate::enums::SignatureScheme;
use crate::error::InvalidMessage;

/// A signature and the scheme that made it; the body of CertificateVerify
/// and the tail of ServerKeyExchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigitallySigned {
    /// The signature scheme (hash and signature algorithm).
    pub scheme: SignatureScheme,
    /// The signature bytes, as the scheme defines them.
    pub signature: Vec<u8>,
}

impl Codec for DigitallySigned {
    fn encode(&self, out: &mut Vec<u8>) {
        self.scheme.encode(out);
        encode_bytes(out, LengthPrefix::U16, &self.signature);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            scheme: SignatureScheme::read(r)?,
            // `opaque signature<0..2^16-1>`: an empty one is well-formed and
            // simply fails to verify.
            signature: read_bytes(r, LengthPrefix::U16, "signature")?,
        })
    }
}
