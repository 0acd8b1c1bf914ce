//! ServerHello (RFC 5246 7.4.1.3).

use crate::codec::{Codec, Reader};
use crate::enums::{CipherSuite, Compression, EcPointFormat, ExtensionType, ProtocolVersion};
use crate::error::InvalidMessage;
use crate::message::extensions::{ServerExtension, encode_extensions, read_extensions};
use crate::message::lists::ServerExtensions;
use crate::message::random::{Random, SessionId};

/// The server's answer: what it chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// The version the server chose.
    pub server_version: ProtocolVersion,
    /// The server's random.
    pub random: Random,
    /// The session id: the client's on resumption, a new one, or empty.
    pub session_id: SessionId,
    /// The suite the server chose.
    pub cipher_suite: CipherSuite,
    /// The compression method the server chose.
    pub compression_method: Compression,
    /// Extensions, each type at most once. An empty list is encoded as an
    /// absent extension block.
    pub extensions: ServerExtensions,
}

impl ServerHello {
    /// The extension of type `typ`, if present.
    pub fn extension(&self, typ: ExtensionType) -> Option<&ServerExtension> {
        self.extensions.iter().find(|ext| ext.typ() == typ)
    }

    /// Whether the server acknowledged the client's server_name.
    pub fn acknowledges_server_name(&self) -> bool {
        self.extensions
            .iter()
            .any(|ext| matches!(ext, ServerExtension::ServerNameAck))
    }

    /// The server's point formats from ec_point_formats, if sent.
    pub fn ec_point_formats(&self) -> Option<&[EcPointFormat]> {
        self.extensions.iter().find_map(|ext| match ext {
            ServerExtension::EcPointFormats(formats) => Some(formats.as_slice()),
            _ => None,
        })
    }

    /// The protocol the server selected by ALPN, if any.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|ext| match ext {
            ServerExtension::Alpn(protocol) => Some(protocol.as_slice()),
            _ => None,
        })
    }

    /// Whether the server agreed to the extended master secret (RFC 7627).
    pub fn accepts_extended_master_secret(&self) -> bool {
        self.extensions
            .iter()
            .any(|ext| matches!(ext, ServerExtension::ExtendedMasterSecret))
    }

    /// The renegotiated_connection from renegotiation_info, if sent.
    pub fn renegotiation_info(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|ext| match ext {
            ServerExtension::RenegotiationInfo(info) => Some(info.as_slice()),
            _ => None,
        })
    }

    /// Whether the server acknowledged status_request, so that a
    /// CertificateStatus may follow its Certificate (RFC 6066 8).
    pub fn acknowledges_status_request(&self) -> bool {
        self.extensions
            .iter()
            .any(|ext| matches!(ext, ServerExtension::StatusRequestAck))
    }

    /// Whether the server promised a NewSessionTicket (RFC 5077 3.2).
    pub fn acknowledges_session_ticket(&self) -> bool {
        self.extensions
            .iter()
            .any(|ext| matches!(ext, ServerExtension::SessionTicketAck))
    }
}

impl Codec for ServerHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.server_version.encode(out);
        self.random.encode(out);
        self.session_id.encode(out);
        self.cipher_suite.encode(out);
        self.compression_method.encode(out);
        encode_extensions(out, &self.extensions);
    }

    /// Reads a ServerHello body. The extension block is optional (RFC 5246
    /// 7.4.1.2), so it is read if any bytes remain: `r` must be bounded to
    /// the body, as
    /// [`HandshakePayload::read_body`](crate::message::HandshakePayload::read_body)
    /// does.
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            server_version: ProtocolVersion::read(r)?,
            random: Random::read(r)?,
            session_id: SessionId::read(r)?,
            cipher_suite: CipherSuite::read(r)?,
            compression_method: Compression::read(r)?,
            extensions: read_extensions(r, ServerExtension::typ)?,
        })
    }
}
