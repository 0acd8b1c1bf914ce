//! CertificateRequest in TLS 1.3 (RFC 8446 4.3.2): a context and
//! extensions, of which signature_algorithms is required.

use crate::codec::{Codec, LengthPrefix, Reader, encode_bytes, read_bytes, read_nonempty_vec};
use crate::enums::ExtensionType;
use crate::error::InvalidMessage;
use crate::message::SignatureSchemes;

use super::extensions::Extensions;

/// A TLS 1.3 CertificateRequest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateRequestTls13 {
    /// Empty during the handshake; a fresh value for post-handshake
    /// authentication (RFC 8446 4.6.2).
    pub context: Vec<u8>,
    /// The extensions.
    pub extensions: Extensions,
}

impl CertificateRequestTls13 {
    /// The schemes the server accepts in CertificateVerify. Its absence is
    /// `MissingData` here; the handshake answers missing_extension.
    pub fn signature_algorithms(&self) -> Result<Option<SignatureSchemes>, InvalidMessage> {
        self.extensions
            .get(ExtensionType::SignatureAlgorithms)
            .map(|body| {
                let mut r = Reader::new(body);
                let schemes =
                    read_nonempty_vec(&mut r, LengthPrefix::U16, "supported_signature_algorithms")?;
                r.expect_empty("signature_algorithms")?;
                Ok(schemes)
            })
            .transpose()
    }
}

impl Codec for CertificateRequestTls13 {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_bytes(out, LengthPrefix::U8, &self.context);
        self.extensions.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            context: read_bytes(r, LengthPrefix::U8, "certificate_request_context")?,
            extensions: Extensions::read(r)?,
        })
    }
}
