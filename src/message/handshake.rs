//! The handshake message framing (RFC 5246 7.4): a one-byte type, a 24-bit
//! length, and a body decoded according to the type.

use crate::codec::{Codec, LengthPrefix, Reader, encode_prefixed, read_prefixed};
use crate::enums::HandshakeType;
use crate::error::InvalidMessage;
use crate::message::certificate::CertificateChain;
use crate::message::certificate_request::CertificateRequest;
use crate::message::certificate_status::CertificateStatus;
use crate::message::client_hello::ClientHello;
use crate::message::client_key_exchange::ClientKeyExchange;
use crate::message::digitally_signed::DigitallySigned;
use crate::message::finished::Finished;
use crate::message::new_session_ticket::NewSessionTicket;
use crate::message::server_hello::ServerHello;
use crate::message::server_key_exchange::ServerKeyExchange;

/// The body of a handshake message, one variant per TLS 1.2 message.
///
/// A ClientHello keeps its lists inline
/// ([`CipherSuites`](crate::message::CipherSuites) and the rest), which
/// makes it a few kilobytes: it is boxed, one allocation per hello, so
/// that every other message is not moved around at that size too. The
/// ServerHello's lists are short and stay inline.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // the ServerHello: 344 bytes, moved, not allocated
pub enum HandshakePayload {
    /// hello_request: an empty body.
    HelloRequest,
    /// client_hello.
    ClientHello(Box<ClientHello>),
    /// server_hello.
    ServerHello(ServerHello),
    /// certificate, from either side.
    Certificate(CertificateChain),
    /// server_key_exchange (ECDHE).
    ServerKeyExchange(ServerKeyExchange),
    /// certificate_status (RFC 6066 8).
    CertificateStatus(CertificateStatus),
    /// certificate_request.
    CertificateRequest(CertificateRequest),
    /// server_hello_done: an empty body.
    ServerHelloDone,
    /// certificate_verify: a signature over the handshake so far.
    CertificateVerify(DigitallySigned),
    /// client_key_exchange (ECDHE).
    ClientKeyExchange(ClientKeyExchange),
    /// finished, from either side.
    Finished(Finished),
    /// new_session_ticket (RFC 5077).
    NewSessionTicket(NewSessionTicket),
}

impl HandshakePayload {
    /// The handshake type that frames this payload.
    pub fn typ(&self) -> HandshakeType {
        match self {
            Self::HelloRequest => HandshakeType::HelloRequest,
            Self::ClientHello(_) => HandshakeType::ClientHello,
            Self::ServerHello(_) => HandshakeType::ServerHello,
            Self::Certificate(_) => HandshakeType::Certificate,
            Self::ServerKeyExchange(_) => HandshakeType::ServerKeyExchange,
            Self::CertificateStatus(_) => HandshakeType::CertificateStatus,
            Self::CertificateRequest(_) => HandshakeType::CertificateRequest,
            Self::ServerHelloDone => HandshakeType::ServerHelloDone,
            Self::CertificateVerify(_) => HandshakeType::CertificateVerify,
            Self::ClientKeyExchange(_) => HandshakeType::ClientKeyExchange,
            Self::Finished(_) => HandshakeType::Finished,
            Self::NewSessionTicket(_) => HandshakeType::NewSessionTicket,
        }
    }

    /// Appends the body (without the four-byte header).
    pub fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Self::HelloRequest | Self::ServerHelloDone => {}
            Self::ClientHello(m) => m.encode(out),
            Self::ServerHello(m) => m.encode(out),
            Self::Certificate(m) => m.encode(out),
            Self::ServerKeyExchange(m) => m.encode(out),
            Self::CertificateStatus(m) => m.encode(out),
            Self::CertificateRequest(m) => m.encode(out),
            Self::CertificateVerify(m) => m.encode(out),
            Self::ClientKeyExchange(m) => m.encode(out),
            Self::Finished(m) => m.encode(out),
            Self::NewSessionTicket(m) => m.encode(out),
        }
    }

    /// Decodes the body of a message of type `typ`; the body must be used
    /// up exactly, else `TrailingData` names the message.
    ///
    /// An unknown `typ` is `InvalidValue("HandshakeType")`; the handshake
    /// layer is expected to have rejected unexpected types before this.
    pub fn read_body(typ: HandshakeType, body: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let payload = match typ {
            HandshakeType::HelloRequest => Self::HelloRequest,
            HandshakeType::ClientHello => Self::ClientHello(Box::new(ClientHello::read(&mut r)?)),
            HandshakeType::ServerHello => Self::ServerHello(ServerHello::read(&mut r)?),
            HandshakeType::Certificate => Self::Certificate(CertificateChain::read(&mut r)?),
            HandshakeType::ServerKeyExchange => {
                Self::ServerKeyExchange(ServerKeyExchange::read(&mut r)?)
            }
            HandshakeType::CertificateStatus => {
                Self::CertificateStatus(CertificateStatus::read(&mut r)?)
            }
            HandshakeType::CertificateRequest => {
                Self::CertificateRequest(CertificateRequest::read(&mut r)?)
            }
            HandshakeType::ServerHelloDone => Self::ServerHelloDone,
            HandshakeType::CertificateVerify => {
                Self::CertificateVerify(DigitallySigned::read(&mut r)?)
            }
            HandshakeType::ClientKeyExchange => {
                Self::ClientKeyExchange(ClientKeyExchange::read(&mut r)?)
            }
            HandshakeType::Finished => Self::Finished(Finished::read(&mut r)?),
            HandshakeType::NewSessionTicket => {
                Self::NewSessionTicket(NewSessionTicket::read(&mut r)?)
            }
            // Types TLS 1.2 does not have (the TLS 1.3 ones among them).
            _ => return Err(InvalidMessage::InvalidValue("HandshakeType")),
        };
        r.expect_empty(message_name(typ))?;
        Ok(payload)
    }
}

/// The message's name as the RFC's struct calls it, for error messages.
fn message_name(typ: HandshakeType) -> &'static str {
    match typ {
        HandshakeType::HelloRequest => "HelloRequest",
        HandshakeType::ClientHello => "ClientHello",
        HandshakeType::ServerHello => "ServerHello",
        HandshakeType::Certificate => "Certificate",
        HandshakeType::ServerKeyExchange => "ServerKeyExchange",
        HandshakeType::CertificateStatus => "CertificateStatus",
        HandshakeType::CertificateRequest => "CertificateRequest",
        HandshakeType::ServerHelloDone => "ServerHelloDone",
        HandshakeType::CertificateVerify => "CertificateVerify",
        HandshakeType::ClientKeyExchange => "ClientKeyExchange",
        HandshakeType::Finished => "Finished",
        HandshakeType::NewSessionTicket => "NewSessionTicket",
        _ => "handshake message",
    }
}

/// A whole handshake message: header and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeMessage {
    /// The decoded body; its variant determines the header's type.
    pub payload: HandshakePayload,
}

impl HandshakeMessage {
    /// The length of the header: type (1) and body length (3).
    pub const HEADER_LEN: usize = 4;

    /// The handshake type in the header.
    pub fn typ(&self) -> HandshakeType {
        self.payload.typ()
    }
}

impl From<HandshakePayload> for HandshakeMessage {
    fn from(payload: HandshakePayload) -> Self {
        Self { payload }
    }
}

impl Codec for HandshakeMessage {
    fn encode(&self, out: &mut Vec<u8>) {
        self.typ().encode(out);
        encode_prefixed(out, LengthPrefix::U24, |out| self.payload.encode_body(out));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let typ = HandshakeType::read(r)?;
        let body = read_prefixed(r, LengthPrefix::U24, "handshake message body")?;
        let payload = HandshakePayload::read_body(typ, body.rest())?;
        Ok(Self { payload })
    }
}
