//! Typed TLS 1.3 messages (RFC 8446 4): those whose encoding differs from
//! TLS 1.2's or that TLS 1.2 does not have, and [`PayloadTls13`], the
//! handshake message body as a TLS 1.3 endpoint decodes it.
//!
//! The hellos are shared with TLS 1.2 (a TLS 1.3 ClientHello is a 1.2 one
//! with more extensions; a HelloRetryRequest is a ServerHello with a fixed
//! random), and so is CertificateVerify's `DigitallySigned`. Certificate,
//! CertificateRequest and NewSessionTicket have new encodings; which
//! decoder applies depends on the version negotiated, so a TLS 1.3
//! handshake decodes through [`PayloadTls13::read_body`], never through
//! the TLS 1.2 `HandshakePayload`.

mod certificate;
mod certificate_request;
mod encrypted_extensions;
mod extensions;
mod finished;
mod key_share;
mod key_update;
mod new_session_ticket;

pub use certificate::{CertificateEntry, CertificateTls13, MAX_STAPLED_OCSP_RESPONSE_LEN};
pub use certificate_request::CertificateRequestTls13;
pub use encrypted_extensions::EncryptedExtensions;
pub use extensions::{Extensions, RawExtension};
pub use finished::FinishedTls13;
pub use key_share::KeyShareEntry;
pub use key_update::KeyUpdateRequest;
pub use new_session_ticket::NewSessionTicketTls13;

use crate::codec::{Codec, LengthPrefix, Reader, encode_prefixed};
use crate::enums::HandshakeType;
use crate::error::InvalidMessage;
use crate::message::{ClientHello, DigitallySigned, HandshakeMessage, ServerHello};

/// A handshake message body in a TLS 1.3 handshake, one variant per
/// message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // as HandshakePayload: the ServerHello is moved, not allocated
pub enum PayloadTls13 {
    /// client_hello (both the first and the one after HelloRetryRequest).
    ClientHello(Box<ClientHello>),
    /// server_hello, or a HelloRetryRequest (its random says which).
    ServerHello(ServerHello),
    /// encrypted_extensions.
    EncryptedExtensions(EncryptedExtensions),
    /// certificate_request.
    CertificateRequest(CertificateRequestTls13),
    /// certificate.
    Certificate(CertificateTls13),
    /// certificate_verify.
    CertificateVerify(DigitallySigned),
    /// finished.
    Finished(FinishedTls13),
    /// end_of_early_data: an empty body.
    EndOfEarlyData,
    /// new_session_ticket.
    NewSessionTicket(NewSessionTicketTls13),
    /// key_update.
    KeyUpdate(KeyUpdateRequest),
}

impl PayloadTls13 {
    /// The handshake type that frames this payload.
    pub fn typ(&self) -> HandshakeType {
        match self {
            Self::ClientHello(_) => HandshakeType::ClientHello,
            Self::ServerHello(_) => HandshakeType::ServerHello,
            Self::EncryptedExtensions(_) => HandshakeType::EncryptedExtensions,
            Self::CertificateRequest(_) => HandshakeType::CertificateRequest,
            Self::Certificate(_) => HandshakeType::Certificate,
            Self::CertificateVerify(_) => HandshakeType::CertificateVerify,
            Self::Finished(_) => HandshakeType::Finished,
            Self::EndOfEarlyData => HandshakeType::EndOfEarlyData,
            Self::NewSessionTicket(_) => HandshakeType::NewSessionTicket,
            Self::KeyUpdate(_) => HandshakeType::KeyUpdate,
        }
    }

    /// Appends the body (without the four-byte header).
    pub fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Self::ClientHello(m) => m.encode(out),
            Self::ServerHello(m) => m.encode(out),
            Self::EncryptedExtensions(m) => m.encode(out),
            Self::CertificateRequest(m) => m.encode(out),
            Self::Certificate(m) => m.encode(out),
            Self::CertificateVerify(m) => m.encode(out),
            Self::Finished(m) => m.encode(out),
            Self::EndOfEarlyData => {}
            Self::NewSessionTicket(m) => m.encode(out),
            Self::KeyUpdate(m) => m.encode(out),
        }
    }

    /// Appends the whole message: type, 24-bit length, body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.typ().encode(out);
        encode_prefixed(out, LengthPrefix::U24, |out| self.encode_body(out));
    }

    /// Decodes the body of a message of type `typ`, which must be used up
    /// exactly. A type TLS 1.3 does not have (server_key_exchange,
    /// hello_request, ...) is `InvalidValue`; the handshake rejects
    /// unexpected types before decoding.
    pub fn read_body(typ: HandshakeType, body: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let payload = match typ {
            HandshakeType::ClientHello => Self::ClientHello(Box::new(ClientHello::read(&mut r)?)),
            HandshakeType::ServerHello => Self::ServerHello(ServerHello::read(&mut r)?),
            HandshakeType::EncryptedExtensions => {
                Self::EncryptedExtensions(EncryptedExtensions::read(&mut r)?)
            }
            HandshakeType::CertificateRequest => {
                Self::CertificateRequest(CertificateRequestTls13::read(&mut r)?)
            }
            HandshakeType::Certificate => Self::Certificate(CertificateTls13::read(&mut r)?),
            HandshakeType::CertificateVerify => {
                Self::CertificateVerify(DigitallySigned::read(&mut r)?)
            }
            HandshakeType::Finished => Self::Finished(FinishedTls13::read(&mut r)?),
            HandshakeType::EndOfEarlyData => Self::EndOfEarlyData,
            HandshakeType::NewSessionTicket => {
                Self::NewSessionTicket(NewSessionTicketTls13::read(&mut r)?)
            }
            HandshakeType::KeyUpdate => Self::KeyUpdate(KeyUpdateRequest::read(&mut r)?),
            _ => return Err(InvalidMessage::InvalidValue("HandshakeType")),
        };
        r.expect_empty("TLS 1.3 handshake message")?;
        Ok(payload)
    }

    /// Decodes a whole message (header and body).
    pub fn read_message(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        let typ = HandshakeType::read(&mut r)?;
        let body =
            crate::codec::read_prefixed(&mut r, LengthPrefix::U24, "handshake message body")?;
        r.expect_empty("handshake message")?;
        Self::read_body(typ, body.rest())
    }
}

/// The header length, as for TLS 1.2.
pub const HEADER_LEN: usize = HandshakeMessage::HEADER_LEN;
