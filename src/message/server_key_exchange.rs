//! ServerKeyExchange for ECDHE suites (RFC 8422 5.4), the only key exchange
//! this crate supports.

use crate::codec::{Codec, LengthPrefix, Reader, encode_bytes, read_bytes};
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

impl Codec for ServerEcdhParams {
    fn encode(&self, out: &mut Vec<u8>) {
        EcCurveType::NamedCurve.encode(out);
        self.group.encode(out);
        encode_bytes(out, LengthPrefix::U8, &self.public);
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
