//! ServerHello (RFC 5246 7.4.1.3), and TLS 1.3's ServerHello and
//! HelloRetryRequest, which share its layout (RFC 8446 4.1.3, 4.1.4).

use crate::codec::{Codec, Reader};
use crate::enums::{
    CipherSuite, Compression, EcPointFormat, ExtensionType, NamedGroup, ProtocolVersion,
};
use crate::error::InvalidMessage;
use crate::message::extensions::{
    ServerExtension, encode_extensions, read_extensions, read_extensions_with,
};
use crate::message::lists::ServerExtensions;
use crate::message::random::{Random, SessionId};
use crate::message::tls13::KeyShareEntry;

/// The server's answer: what it chose. In TLS 1.3 also a
/// HelloRetryRequest, told apart only by its random
/// ([`Random::HELLO_RETRY_REQUEST`]).
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

    /// Whether this is a HelloRetryRequest (RFC 8446 4.1.3): its random is
    /// [`Random::HELLO_RETRY_REQUEST`].
    pub fn is_hello_retry_request(&self) -> bool {
        self.random == Random::HELLO_RETRY_REQUEST
    }

    /// The version from supported_versions (RFC 8446 4.2.1), if sent: the
    /// negotiated one, which `server_version` (0x0303 in TLS 1.3) is not.
    pub fn selected_version(&self) -> Option<ProtocolVersion> {
        self.extensions.iter().find_map(|ext| match ext {
            ServerExtension::SupportedVersions(version) => Some(*version),
            _ => None,
        })
    }

    /// The server's share from key_share (RFC 8446 4.2.8), if sent in a
    /// ServerHello.
    pub fn key_share(&self) -> Option<&KeyShareEntry> {
        self.extensions.iter().find_map(|ext| match ext {
            ServerExtension::KeyShare(share) => Some(share),
            _ => None,
        })
    }

    /// The group a HelloRetryRequest's key_share asks a share for (RFC
    /// 8446 4.2.8), if sent.
    pub fn selected_group(&self) -> Option<NamedGroup> {
        self.extensions.iter().find_map(|ext| match ext {
            ServerExtension::KeyShareHrr(group) => Some(*group),
            _ => None,
        })
    }

    /// A HelloRetryRequest's cookie (RFC 8446 4.2.2), if sent.
    pub fn cookie(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|ext| match ext {
            ServerExtension::Cookie(cookie) => Some(cookie.as_slice()),
            _ => None,
        })
    }

    /// The index of the PSK identity the server selected from
    /// pre_shared_key (RFC 8446 4.2.11), if sent.
    pub fn pre_shared_key(&self) -> Option<u16> {
        self.extensions.iter().find_map(|ext| match ext {
            ServerExtension::PreSharedKey(selected) => Some(*selected),
            _ => None,
        })
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
    ///
    /// Only the random says whether this is a HelloRetryRequest, whose
    /// key_share is a bare group rather than a share (RFC 8446 4.2.8), so
    /// the extensions are read by what the random says.
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let server_version = ProtocolVersion::read(r)?;
        let random = Random::read(r)?;
        let session_id = SessionId::read(r)?;
        let cipher_suite = CipherSuite::read(r)?;
        let compression_method = Compression::read(r)?;
        let extensions = match random == Random::HELLO_RETRY_REQUEST {
            true => read_extensions_with(r, ServerExtension::read_hrr, ServerExtension::typ)?,
            false => read_extensions(r, ServerExtension::typ)?,
        };
        Ok(Self {
            server_version,
            random,
            session_id,
            cipher_suite,
            compression_method,
            extensions,
        })
    }
}
