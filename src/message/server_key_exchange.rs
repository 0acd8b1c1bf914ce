//! ServerKeyExchange for ECDHE suites (RFC 8422 5.4), the only key exchange
//! this crate supports.

use crate::codec::{Codec, LengthPrefix, Reader, read_bytes};
use crate::enums::{EcCurveType, NamedGroup};
use crate::error::InvalidMessage;
use crate::message::digitally_signed::DigitallySigned;

/// `ServerECDHParams`: the group and the server's ephemeral public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerEcdhParams {
    /// The group the key is on (always sent as a named curve).
    pub group: NamedGroup,
    /// The encoded public point (or X25519 key); never empty.
    pub public: Vec<u8>,
}

/// The longest `ServerECDHParams` encoding: curve type, group, the point's
/// one-byte length, and a point of at most 255 bytes.
pub const MAX_PARAMS_LEN: usize = 4 + 255;

impl ServerEcdhParams {
    /// Writes the encoding into `out` and returns its length: the one
    /// encoder of these params, used on the stack where the signature over
    /// them is made or checked (no allocation), and by [`Codec::encode`].
    ///
    /// A point longer than its one-byte length allows is a bug in our own
    /// encoder (decoded points are bounded by that length, ours are at
    /// most 97 bytes): it panics in debug builds and is cut to 255 bytes
    /// in release builds.
    pub fn encode_into(&self, out: &mut [u8; MAX_PARAMS_LEN]) -> usize {
        debug_assert!(self.public.len() <= 255, "ECPoint too long");
        let point = &self.public[..self.public.len().min(255)];
        let [group_hi, group_lo] = self.group.to_wire().to_be_bytes();
        out[..4].copy_from_slice(&[
            EcCurveType::NamedCurve.to_wire(),
            group_hi,
            group_lo,
            point.len() as u8,
        ]);
        out[4..4 + point.len()].copy_from_slice(point);
        4 + point.len()
    }
}

impl Codec for ServerEcdhParams {
    fn encode(&self, out: &mut Vec<u8>) {
        let mut buf = [0u8; MAX_PARAMS_LEN];
        let len = self.encode_into(&mut buf);
        out.extend_from_slice(&buf[..len]);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        // RFC 8422 5.4: explicit curves are deprecated; only named_curve.
        if EcCurveType::read(r)? != EcCurveType::NamedCurve {
            return Err(InvalidMessage::InvalidValue("ECCurveType"));
        }
        let group = NamedGroup::read(r)?;
        let public = read_nonempty_point(r)?;
        Ok(Self { group, public })
    }
}

/// Reads an `ECPoint` (`opaque point <1..2^8-1>`).
pub(crate) fn read_nonempty_point(r: &mut Reader<'_>) -> Result<Vec<u8>, InvalidMessage> {
    let point = read_bytes(r, LengthPrefix::U8, "ECPoint")?;
    if point.is_empty() {
        return Err(InvalidMessage::EmptyList("ECPoint"));
    }
    Ok(point)
}

/// The ECDHE ServerKeyExchange: parameters and the server's signature over
/// `client_random + server_random + params`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerKeyExchange {
    /// The ephemeral key.
    pub params: ServerEcdhParams,
    /// The signature over the randoms and the params.
    pub signed: DigitallySigned,
}

impl ServerKeyExchange {
    /// The encoded params: the part of the signed content after the two
    /// randoms.
    ///
    /// The encoding is canonical (one curve type, minimal lengths), so these
    /// are exactly the bytes the peer sent and signed.
    pub fn params_encoding(&self) -> Vec<u8> {
        self.params.get_encoding()
    }
}

impl Codec for ServerKeyExchange {
    fn encode(&self, out: &mut Vec<u8>) {
        self.params.encode(out);
        self.signed.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            params: ServerEcdhParams::read(r)?,
            signed: DigitallySigned::read(r)?,
        })
    }
}
