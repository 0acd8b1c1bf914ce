//! ClientHello (RFC 5246 7.4.1.2), with the TLS 1.3 extensions read
//! typed (RFC 8446 4.1.2) and the PSK binder helpers (RFC 8446 4.2.11.2).

use crate::codec::{Codec, LengthPrefix, Reader, encode_vec, read_nonempty_vec};
use crate::enums::{
    CipherSuite, Compression, EcPointFormat, ExtensionType, NamedGroup, ProtocolVersion,
    SignatureScheme,
};
use crate::error::{Error, InvalidMessage};
use crate::message::HandshakeMessage;
use crate::message::certificate_status::CertificateStatusRequest;
use crate::message::extensions::{
    ClientExtension, OfferedPsks, PskKeyExchangeMode, encode_extensions, read_extensions,
};
use crate::message::lists::{CipherSuites, ClientExtensions, CompressionMethods};
use crate::message::random::{Random, SessionId};
use crate::message::tls13::KeyShareEntry;

/// The longest ClientHello body its own length fields allow (RFC 5246
/// 7.4.1.2): client_version(2), random(32), session_id<0..32>,
/// cipher_suites<2..2^16-2>, compression_methods<1..2^8-1>,
/// extensions<0..2^16-1>; 131,396 bytes. A server must read any hello up
/// to this long, so it is the default limit for ClientHello
/// (`ServerConfig::max_client_hello_len`).
pub const MAX_CLIENT_HELLO_LEN: usize =
    2 + 32 + (1 + 32) + (2 + 0xfffe) + (1 + 0xff) + (2 + 0xffff);

/// The client's first message: what it offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// The highest version the client supports.
    pub client_version: ProtocolVersion,
    /// The client's random.
    pub random: Random,
    /// A session to resume, or empty.
    pub session_id: SessionId,
    /// Offered suites in preference order; never empty.
    pub cipher_suites: CipherSuites,
    /// Offered compression methods; never empty and always holds null.
    pub compression_methods: CompressionMethods,
    /// Extensions, each type at most once. An empty list is encoded as an
    /// absent extension block.
    pub extensions: ClientExtensions,
}

impl ClientHello {
    /// The extension of type `typ`, if offered.
    pub fn extension(&self, typ: ExtensionType) -> Option<&ClientExtension> {
        self.extensions.iter().find(|ext| ext.typ() == typ)
    }

    /// The host name from server_name, if offered.
    pub fn server_name(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|ext| match ext {
            ClientExtension::ServerName(host_name) => Some(host_name.as_slice()),
            _ => None,
        })
    }

    /// The offered groups from supported_groups, if offered.
    pub fn supported_groups(&self) -> Option<&[NamedGroup]> {
        self.extensions.iter().find_map(|ext| match ext {
            ClientExtension::SupportedGroups(groups) => Some(groups.as_slice()),
            _ => None,
        })
    }

    /// The offered point formats from ec_point_formats, if offered.
    pub fn ec_point_formats(&self) -> Option<&[EcPointFormat]> {
        self.extensions.iter().find_map(|ext| match ext {
            ClientExtension::EcPointFormats(formats) => Some(formats.as_slice()),
            _ => None,
        })
    }

    /// The offered schemes from signature_algorithms, if offered.
    pub fn signature_algorithms(&self) -> Option<&[SignatureScheme]> {
        self.extensions.iter().find_map(|ext| match ext {
            ClientExtension::SignatureAlgorithms(schemes) => Some(schemes.as_slice()),
            _ => None,
        })
    }

    /// The offered protocol names from ALPN, if offered.
    pub fn alpn_protocols(&self) -> Option<&[Vec<u8>]> {
        self.extensions.iter().find_map(|ext| match ext {
            ClientExtension::Alpn(protocols) => Some(protocols.as_slice()),
            _ => None,
        })
    }

    /// Whether the client offers the extended master secret (RFC 7627).
    pub fn offers_extended_master_secret(&self) -> bool {
        self.extensions
            .iter()
            .any(|ext| matches!(ext, ClientExtension::ExtendedMasterSecret))
    }

    /// The renegotiated_connection from renegotiation_info, if sent.
    pub fn renegotiation_info(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|ext| match ext {
            ClientExtension::RenegotiationInfo(info) => Some(info.as_slice()),
            _ => None,
        })
    }

    /// Whether the client signals secure renegotiation by the SCSV suite
    /// (RFC 5746 3.3).
    pub fn offers_renegotiation_scsv(&self) -> bool {
        self.cipher_suites
            .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
    }

    /// The status_request body (RFC 6066 8), if sent.
    pub fn status_request(&self) -> Option<&CertificateStatusRequest> {
        self.extensions.iter().find_map(|ext| match ext {
            ClientExtension::StatusRequest(request) => Some(request),
            _ => None,
        })
    }

    /// The session_ticket body (a ticket, or empty to ask for one), if sent.
    pub fn session_ticket(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|ext| match ext {
            ClientExtension::SessionTicket(ticket) => Some(ticket.as_slice()),
            _ => None,
        })
    }

    /// The offered versions from supported_versions (RFC 8446 4.2.1), if
    /// sent.
    pub fn supported_versions(&self) -> Option<&[ProtocolVersion]> {
        self.extensions.iter().find_map(|ext| match ext {
            ClientExtension::SupportedVersions(versions) => Some(versions.as_slice()),
            _ => None,
        })
    }

    /// Whether supported_versions offers TLS 1.3. Without the extension a
    /// client offers at most TLS 1.2, whatever `client_version` says
    /// (RFC 8446 4.2.1).
    pub fn offers_tls13(&self) -> bool {
        self.supported_versions()
            .is_some_and(|versions| versions.contains(&ProtocolVersion::Tls13))
    }

    /// The offered shares from key_share (RFC 8446 4.2.8), if sent; an
    /// empty list is sent to ask for a HelloRetryRequest.
    pub fn key_shares(&self) -> Option<&[KeyShareEntry]> {
        self.extensions.iter().find_map(|ext| match ext {
            ClientExtension::KeyShare(shares) => Some(shares.as_slice()),
            _ => None,
        })
    }

    /// The cookie echoed from a HelloRetryRequest (RFC 8446 4.2.2), if sent.
    pub fn cookie(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|ext| match ext {
            ClientExtension::Cookie(cookie) => Some(cookie.as_slice()),
            _ => None,
        })
    }

    /// The modes from psk_key_exchange_modes (RFC 8446 4.2.9), if sent.
    pub fn psk_key_exchange_modes(&self) -> Option<&[PskKeyExchangeMode]> {
        self.extensions.iter().find_map(|ext| match ext {
            ClientExtension::PskKeyExchangeModes(modes) => Some(modes.as_slice()),
            _ => None,
        })
    }

    /// The schemes from signature_algorithms_cert (RFC 8446 4.2.3), if
    /// sent.
    pub fn signature_algorithms_cert(&self) -> Option<&[SignatureScheme]> {
        self.extensions.iter().find_map(|ext| match ext {
            ClientExtension::SignatureAlgorithmsCert(schemes) => Some(schemes.as_slice()),
            _ => None,
        })
    }

    /// The offered PSKs from pre_shared_key (RFC 8446 4.2.11), if sent.
    pub fn pre_shared_key(&self) -> Option<&OfferedPsks> {
        self.extensions.iter().find_map(|ext| match ext {
            ClientExtension::PreSharedKey(offered) => Some(offered),
            _ => None,
        })
    }

    /// Whether the client sends early data (RFC 8446 4.2.10).
    pub fn offers_early_data(&self) -> bool {
        self.extensions
            .iter()
            .any(|ext| matches!(ext, ClientExtension::EarlyData))
    }

    /// Whether the client accepts post-handshake authentication (RFC 8446
    /// 4.2.6).
    pub fn offers_post_handshake_auth(&self) -> bool {
        self.extensions
            .iter()
            .any(|ext| matches!(ext, ClientExtension::PostHandshakeAuth))
    }

    /// How many bytes of this hello, encoded as a handshake message (its
    /// 4-byte header included), come before the binders list: the
    /// truncated ClientHello each PSK binder is computed over (RFC 8446
    /// 4.2.11.2). `None` unless pre_shared_key is the last extension.
    pub fn binders_offset(&self) -> Option<usize> {
        let ClientExtension::PreSharedKey(offered) = self.extensions.last()? else {
            return None;
        };
        let message_len = HandshakeMessage::HEADER_LEN + self.get_encoding().len();
        Some(message_len - offered.binders_len())
    }

    /// Writes `binders` over the binders of `message`, this hello's
    /// encoding as a handshake message, in place.
    ///
    /// The client encodes the hello with placeholder binders of the right
    /// lengths (a binder is one hash long), hashes the first
    /// [`binders_offset`](Self::binders_offset) bytes, computes the real
    /// binders, and patches them in without encoding again. Each binder
    /// must be as long as the placeholder it replaces, and `message` must
    /// be this hello's encoding; otherwise nothing is written and this is
    /// an internal error (our own misuse, not the peer's).
    pub fn patch_binders(&self, message: &mut [u8], binders: &[&[u8]]) -> Result<(), Error> {
        let offered = self
            .pre_shared_key()
            .ok_or(Error::Internal("no pre_shared_key to patch"))?;
        let offset = self
            .binders_offset()
            .ok_or(Error::Internal("pre_shared_key is not the last extension"))?;
        let same_shape = message.len() == offset + offered.binders_len()
            && binders.len() == offered.binders.len()
            && binders
                .iter()
                .zip(&offered.binders)
                .all(|(new, old)| new.len() == old.len());
        if !same_shape {
            return Err(Error::Internal(
                "binders do not match the placeholders of this ClientHello",
            ));
        }
        // Skip the list's 2-byte length; each entry is a length byte and
        // the binder, and the lengths are unchanged.
        let mut at = offset + 2;
        for binder in binders {
            at += 1;
            let slot = message
                .get_mut(at..at + binder.len())
                .ok_or(Error::Internal("binder beyond the message"))?;
            slot.copy_from_slice(binder);
            at += binder.len();
        }
        Ok(())
    }
}

impl Codec for ClientHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.client_version.encode(out);
        self.random.encode(out);
        self.session_id.encode(out);
        encode_vec(out, LengthPrefix::U16, &self.cipher_suites);
        encode_vec(out, LengthPrefix::U8, &self.compression_methods);
        encode_extensions(out, &self.extensions);
    }

    /// Reads a ClientHello body. The extension block is optional (RFC 5246
    /// 7.4.1.2), so it is read if any bytes remain: `r` must be bounded to
    /// the body, as
    /// [`HandshakePayload::read_body`](crate::message::HandshakePayload::read_body)
    /// does.
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let client_version = ProtocolVersion::read(r)?;
        let random = Random::read(r)?;
        let session_id = SessionId::read(r)?;
        let cipher_suites = read_nonempty_vec(r, LengthPrefix::U16, "cipher_suites")?;
        let compression_methods: CompressionMethods =
            read_nonempty_vec(r, LengthPrefix::U8, "compression_methods")?;
        if !compression_methods.contains(&Compression::Null) {
            return Err(InvalidMessage::MissingNullCompression);
        }
        let extensions: ClientExtensions = read_extensions(r, ClientExtension::typ)?;
        // RFC 8446 4.2.11: the binders cover everything before them, so
        // nothing may follow pre_shared_key.
        if let Some(position) = extensions
            .iter()
            .position(|ext| ext.typ() == ExtensionType::PreSharedKey)
            && position + 1 != extensions.len()
        {
            return Err(InvalidMessage::PreSharedKeyNotLast);
        }
        Ok(Self {
            client_version,
            random,
            session_id,
            cipher_suites,
            compression_methods,
            extensions,
        })
    }
}
