//! OCSP stapling (RFC 6066 8): the client's status_request extension and
//! the server's CertificateStatus message.

use std::sync::Arc;

use crate::codec::{
    Codec, LengthPrefix, Reader, encode_bytes, encode_prefixed, read_bytes, read_prefixed,
};
use crate::enums::CertificateStatusType;
use crate::error::InvalidMessage;

/// The body of a ClientHello's status_request extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateStatusRequest {
    /// An OCSP request (status_type ocsp).
    Ocsp(OcspStatusRequest),
    /// A status type RFC 6066 does not define: kept undecoded, and never
    /// answered.
    Other {
        /// Its status_type.
        status_type: CertificateStatusType,
        /// The rest of the body, undecoded.
        data: Vec<u8>,
    },
}

/// `OCSPStatusRequest` (RFC 6066 8): the responders the client trusts and
/// the extensions it wants in the OCSP request. Both empty means "any
/// responder, no extensions", which is what this crate's client sends.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OcspStatusRequest {
    /// `ResponderID responder_id_list<0..2^16-1>`, each a DER ResponderID.
    pub responder_ids: Vec<Vec<u8>>,
    /// `Extensions request_extensions`: DER OCSP request extensions.
    pub request_extensions: Vec<u8>,
}

impl CertificateStatusRequest {
    /// Whether the client asks for an OCSP response.
    pub fn is_ocsp(&self) -> bool {
        matches!(self, Self::Ocsp(_))
    }
}

impl Codec for CertificateStatusRequest {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Ocsp(request) => {
                CertificateStatusType::Ocsp.encode(out);
                encode_prefixed(out, LengthPrefix::U16, |out| {
                    for id in &request.responder_ids {
                        encode_bytes(out, LengthPrefix::U16, id);
                    }
                });
                encode_bytes(out, LengthPrefix::U16, &request.request_extensions);
            }
            Self::Other { status_type, data } => {
                status_type.encode(out);
                out.extend_from_slice(data);
            }
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let status_type = CertificateStatusType::read(r)
            .map_err(|_| InvalidMessage::MissingData("CertificateStatusType"))?;
        if status_type != CertificateStatusType::Ocsp {
            let data = r.take(r.left(), "status_request")?.to_vec();
            return Ok(Self::Other { status_type, data });
        }
        let mut list = read_prefixed(r, LengthPrefix::U16, "responder_id_list")?;
        let mut responder_ids = Vec::new();
        while list.any_left() {
            let id = read_bytes(&mut list, LengthPrefix::U16, "ResponderID")?;
            // `opaque ResponderID<1..2^16-1>`
            if id.is_empty() {
                return Err(InvalidMessage::EmptyList("ResponderID"));
            }
            responder_ids.push(id);
        }
        let request_extensions = read_bytes(r, LengthPrefix::U16, "request_extensions")?;
        Ok(Self::Ocsp(OcspStatusRequest {
            responder_ids,
            request_extensions,
        }))
    }
}

/// CertificateStatus (RFC 6066 8): the server's stapled OCSP response,
/// right after its Certificate.
///
/// Only the ocsp status type is defined for this message, and the body of
/// any other cannot be parsed, so another type is a decode error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateStatus {
    /// The DER `OCSPResponse` (RFC 6960 4.2.1), never empty. Shared: the
    /// server sends its configured one and the client keeps the one it
    /// got in the session summary, without copying either.
    pub ocsp_response: Arc<[u8]>,
}

impl Codec for CertificateStatus {
    fn encode(&self, out: &mut Vec<u8>) {
        CertificateStatusType::Ocsp.encode(out);
        encode_bytes(out, LengthPrefix::U24, &self.ocsp_response);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let status_type = CertificateStatusType::read(r)
            .map_err(|_| InvalidMessage::MissingData("CertificateStatusType"))?;
        if status_type != CertificateStatusType::Ocsp {
            return Err(InvalidMessage::InvalidValue("CertificateStatusType"));
        }
        let response = read_prefixed(r, LengthPrefix::U24, "OCSPResponse")?;
        // `opaque OCSPResponse<1..2^24-1>`
        if !response.any_left() {
            return Err(InvalidMessage::EmptyList("OCSPResponse"));
        }
        Ok(Self {
            ocsp_response: response.rest().into(),
        })
    }
}
