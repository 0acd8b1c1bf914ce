//! CertificateRequest (RFC 5246 7.4.4).

use crate::codec::{
    Codec, LengthPrefix, Reader, encode_bytes, encode_vec, read_bytes, read_nonempty_vec, read_vec,
};
use crate::enums::{ClientCertificateType, SignatureScheme};
use crate::error::InvalidMessage;

/// A DER-encoded X.501 distinguished name of an acceptable CA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistinguishedName(pub Vec<u8>);

impl Codec for DistinguishedName {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_bytes(out, LengthPrefix::U16, &self.0);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        // `opaque DistinguishedName<1..2^16-1>`
        let name = read_bytes(r, LengthPrefix::U16, "DistinguishedName")?;
        if name.is_empty() {
            return Err(InvalidMessage::EmptyList("DistinguishedName"));
        }
        Ok(Self(name))
    }
}

/// The server asks the client for a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequest {
    /// Acceptable certificate types; never empty.
    pub certificate_types: Vec<ClientCertificateType>,
    /// Schemes the server can verify; never empty.
    pub supported_signature_algorithms: Vec<SignatureScheme>,
    /// Acceptable CAs; empty means any.
    pub certificate_authorities: Vec<DistinguishedName>,
}

impl Codec for CertificateRequest {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_vec(out, LengthPrefix::U8, &self.certificate_types);
        encode_vec(out, LengthPrefix::U16, &self.supported_signature_algorithms);
        encode_vec(out, LengthPrefix::U16, &self.certificate_authorities);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            certificate_types: read_nonempty_vec(r, LengthPrefix::U8, "certificate_types")?,
            supported_signature_algorithms: read_nonempty_vec(
                r,
                LengthPrefix::U16,
                "supported_signature_algorithms",
            )?,
            certificate_authorities: read_vec(r, LengthPrefix::U16, "certificate_authorities")?,
        })
    }
}
