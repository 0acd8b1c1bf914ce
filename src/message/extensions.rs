//! Hello extensions (RFC 5246 7.4.1.4) that TLS 1.2 with this crate's
//! features uses, plus an escape for the rest.
//!
//! Each extension's body is decoded from a reader bounded to its declared
//! length and must be consumed exactly, so a body that says more than the
//! extension means is `TrailingData` naming the extension.

use std::collections::HashSet;

use crate::codec::{
    Codec, LengthPrefix, List, Reader, encode_bytes, encode_prefixed, encode_vec, read_bytes,
    read_nonempty_vec, read_prefixed,
};
use crate::enums::ExtensionType;
use crate::error::InvalidMessage;
use crate::message::certificate_status::CertificateStatusRequest;
use crate::message::lists::{EcPointFormats, NamedGroups, SignatureSchemes};

/// The `host_name` NameType of RFC 6066 3, the only one defined.
const HOST_NAME_TYPE: u8 = 0;

/// An extension in a ClientHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientExtension {
    /// server_name (RFC 6066 3): the host name the client wants.
    ///
    /// Only the `host_name` entry is kept; entries of other name types are
    /// skipped on decode, as RFC 6066 defines none.
    ServerName(Vec<u8>),
    /// supported_groups (RFC 8422 5.1.1), in the client's preference order.
    SupportedGroups(NamedGroups),
    /// ec_point_formats (RFC 8422 5.1.2).
    EcPointFormats(EcPointFormats),
    /// signature_algorithms (RFC 5246 7.4.1.4.1), in preference order.
    SignatureAlgorithms(SignatureSchemes),
    /// application_layer_protocol_negotiation (RFC 7301 3.1): the offered
    /// protocol names, in preference order.
    Alpn(Vec<Vec<u8>>),
    /// extended_master_secret (RFC 7627 5.1); its body is empty.
    ExtendedMasterSecret,
    /// renegotiation_info (RFC 5746 3.2): empty on an initial handshake.
    RenegotiationInfo(Vec<u8>),
    /// session_ticket (RFC 5077 3.2): a ticket to resume, or empty to ask
    /// for one.
    SessionTicket(Vec<u8>),
    /// status_request (RFC 6066 8): the client asks for a stapled
    /// certificate status.
    StatusRequest(CertificateStatusRequest),
    /// Any other extension, kept as it arrived.
    Unknown {
        /// Its type.
        typ: ExtensionType,
        /// Its body, undecoded.
        data: Vec<u8>,
    },
}

impl ClientExtension {
    /// The extension's type on the wire.
    pub fn typ(&self) -> ExtensionType {
        match self {
            Self::ServerName(_) => ExtensionType::ServerName,
            Self::SupportedGroups(_) => ExtensionType::SupportedGroups,
            Self::EcPointFormats(_) => ExtensionType::EcPointFormats,
            Self::SignatureAlgorithms(_) => ExtensionType::SignatureAlgorithms,
            Self::Alpn(_) => ExtensionType::ApplicationLayerProtocolNegotiation,
            Self::ExtendedMasterSecret => ExtensionType::ExtendedMasterSecret,
            Self::RenegotiationInfo(_) => ExtensionType::RenegotiationInfo,
            Self::SessionTicket(_) => ExtensionType::SessionTicket,
            Self::StatusRequest(_) => ExtensionType::StatusRequest,
            Self::Unknown { typ, .. } => *typ,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Self::ServerName(host_name) => encode_prefixed(out, LengthPrefix::U16, |out| {
                out.push(HOST_NAME_TYPE);
                encode_bytes(out, LengthPrefix::U16, host_name);
            }),
            Self::SupportedGroups(groups) => encode_vec(out, LengthPrefix::U16, groups),
            Self::EcPointFormats(formats) => encode_vec(out, LengthPrefix::U8, formats),
            Self::SignatureAlgorithms(schemes) => encode_vec(out, LengthPrefix::U16, schemes),
            Self::Alpn(protocols) => encode_prefixed(out, LengthPrefix::U16, |out| {
                for protocol in protocols {
                    encode_bytes(out, LengthPrefix::U8, protocol);
                }
            }),
            Self::ExtendedMasterSecret => {}
            Self::RenegotiationInfo(info) => encode_bytes(out, LengthPrefix::U8, info),
            Self::SessionTicket(ticket) => out.extend_from_slice(ticket),
            Self::StatusRequest(request) => request.encode(out),
            Self::Unknown { data, .. } => out.extend_from_slice(data),
        }
    }

    fn read_body(typ: ExtensionType, body: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(match typ {
            ExtensionType::ServerName => Self::ServerName(read_host_name(body)?),
            ExtensionType::SupportedGroups => Self::SupportedGroups(read_nonempty_vec(
                body,
                LengthPrefix::U16,
                "named_group_list",
            )?),
            ExtensionType::EcPointFormats => Self::EcPointFormats(read_nonempty_vec(
                body,
                LengthPrefix::U8,
                "ec_point_format_list",
            )?),
            ExtensionType::SignatureAlgorithms => Self::SignatureAlgorithms(read_nonempty_vec(
                body,
                LengthPrefix::U16,
                "supported_signature_algorithms",
            )?),
            ExtensionType::ApplicationLayerProtocolNegotiation => {
                Self::Alpn(read_protocol_names(body)?)
            }
            ExtensionType::ExtendedMasterSecret => Self::ExtendedMasterSecret,
            ExtensionType::RenegotiationInfo => Self::RenegotiationInfo(read_bytes(
                body,
                LengthPrefix::U8,
                "renegotiated_connection",
            )?),
            ExtensionType::SessionTicket => Self::SessionTicket(take_rest(body)?),
            ExtensionType::StatusRequest => {
                Self::StatusRequest(CertificateStatusRequest::read(body)?)
            }
            _ => Self::Unknown {
                typ,
                data: take_rest(body)?,
            },
        })
    }
}

impl Codec for ClientExtension {
    fn encode(&self, out: &mut Vec<u8>) {
        self.typ().encode(out);
        encode_prefixed(out, LengthPrefix::U16, |out| self.encode_body(out));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        read_extension(r, Self::read_body)
    }
}

/// An extension in a ServerHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerExtension {
    /// server_name with an empty body: the server used the client's name
    /// (RFC 6066 3).
    ServerNameAck,
    /// ec_point_formats (RFC 8422 5.2).
    EcPointFormats(EcPointFormats),
    /// application_layer_protocol_negotiation (RFC 7301 3.1): the one
    /// protocol the server selected.
    Alpn(Vec<u8>),
    /// extended_master_secret (RFC 7627 5.2); its body is empty.
    ExtendedMasterSecret,
    /// renegotiation_info (RFC 5746 3.6): empty on an initial handshake.
    RenegotiationInfo(Vec<u8>),
    /// session_ticket with an empty body: the server will send a
    /// NewSessionTicket (RFC 5077 3.2).
    SessionTicketAck,
    /// status_request with an empty body: the server may send a
    /// CertificateStatus after its Certificate (RFC 6066 8).
    StatusRequestAck,
    /// Any other extension, kept as it arrived.
    Unknown {
        /// Its type.
        typ: ExtensionType,
        /// Its body, undecoded.
        data: Vec<u8>,
    },
}

impl ServerExtension {
    /// The extension's type on the wire.
    pub fn typ(&self) -> ExtensionType {
        match self {
            Self::ServerNameAck => ExtensionType::ServerName,
            Self::EcPointFormats(_) => ExtensionType::EcPointFormats,
            Self::Alpn(_) => ExtensionType::ApplicationLayerProtocolNegotiation,
            Self::ExtendedMasterSecret => ExtensionType::ExtendedMasterSecret,
            Self::RenegotiationInfo(_) => ExtensionType::RenegotiationInfo,
            Self::SessionTicketAck => ExtensionType::SessionTicket,
            Self::StatusRequestAck => ExtensionType::StatusRequest,
            Self::Unknown { typ, .. } => *typ,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Self::ServerNameAck
            | Self::ExtendedMasterSecret
            | Self::SessionTicketAck
            | Self::StatusRequestAck => {}
            Self::EcPointFormats(formats) => encode_vec(out, LengthPrefix::U8, formats),
            Self::Alpn(protocol) => encode_prefixed(out, LengthPrefix::U16, |out| {
                encode_bytes(out, LengthPrefix::U8, protocol);
            }),
            Self::RenegotiationInfo(info) => encode_bytes(out, LengthPrefix::U8, info),
            Self::Unknown { data, .. } => out.extend_from_slice(data),
        }
    }

    fn read_body(typ: ExtensionType, body: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(match typ {
            // Empty-bodied acknowledgements: any byte left is caught as
            // trailing data naming the extension.
            ExtensionType::ServerName => Self::ServerNameAck,
            ExtensionType::ExtendedMasterSecret => Self::ExtendedMasterSecret,
            ExtensionType::SessionTicket => Self::SessionTicketAck,
            ExtensionType::StatusRequest => Self::StatusRequestAck,
            ExtensionType::EcPointFormats => Self::EcPointFormats(read_nonempty_vec(
                body,
                LengthPrefix::U8,
                "ec_point_format_list",
            )?),
            ExtensionType::ApplicationLayerProtocolNegotiation => {
                let mut protocols = read_protocol_names(body)?;
                // RFC 7301 3.1: the server's list holds exactly one name.
                match (protocols.pop(), protocols.is_empty()) {
                    (Some(selected), true) => Self::Alpn(selected),
                    _ => {
                        return Err(InvalidMessage::InvalidValue(
                            "number of selected ALPN protocols",
                        ));
                    }
                }
            }
            ExtensionType::RenegotiationInfo => Self::RenegotiationInfo(read_bytes(
                body,
                LengthPrefix::U8,
                "renegotiated_connection",
            )?),
            _ => Self::Unknown {
                typ,
                data: take_rest(body)?,
            },
        })
    }
}

impl Codec for ServerExtension {
    fn encode(&self, out: &mut Vec<u8>) {
        self.typ().encode(out);
        encode_prefixed(out, LengthPrefix::U16, |out| self.encode_body(out));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        read_extension(r, Self::read_body)
    }
}

/// Reads one extension: its type, then its body through `read_body` from a
/// reader bounded to the declared length, which must be used up exactly.
fn read_extension<T>(
    r: &mut Reader<'_>,
    read_body: fn(ExtensionType, &mut Reader<'_>) -> Result<T, InvalidMessage>,
) -> Result<T, InvalidMessage> {
    let typ = ExtensionType::read(r)?;
    let mut body = read_prefixed(r, LengthPrefix::U16, "extension_data")?;
    let extension = read_body(typ, &mut body)?;
    body.expect_empty(typ.name().unwrap_or("extension"))?;
    Ok(extension)
}

/// Writes a hello's extension block; an empty block is left out, which
/// RFC 5246 7.4.1.2 and 7.4.1.3 allow.
pub(crate) fn encode_extensions<T: Codec>(out: &mut Vec<u8>, extensions: &[T]) {
    if extensions.is_empty() {
        return;
    }
    encode_vec(out, LengthPrefix::U16, extensions);
}

/// Reads a hello's extension block, if any bytes remain for one, rejecting
/// a type that appears twice (RFC 5246 7.4.1.4).
pub(crate) fn read_extensions<C: List>(
    r: &mut Reader<'_>,
    typ_of: fn(&C::Item) -> ExtensionType,
) -> Result<C, InvalidMessage> {
    let mut extensions = C::default();
    if !r.any_left() {
        return Ok(extensions);
    }
    let mut block = read_prefixed(r, LengthPrefix::U16, "extensions")?;
    let mut seen = SeenTypes::default();
    while block.any_left() {
        let extension = C::Item::read(&mut block)?;
        let typ = typ_of(&extension);
        if !seen.insert(typ.to_wire()) {
            return Err(InvalidMessage::DuplicateExtension(typ));
        }
        extensions.push_item(extension);
    }
    Ok(extensions)
}

/// The extension types met so far in one block.
///
/// A set, not a scan of the list: a block can hold ~16k extensions, and a
/// quadratic check would let a peer burn our CPU. The registry's assigned
/// types are below 256, plus renegotiation_info (0xff01): those are bits,
/// so an ordinary hello is checked without allocating; anything else
/// (GREASE, private use) goes to a hash set made when first needed.
#[derive(Default)]
struct SeenTypes {
    low: [u64; 4],
    renegotiation_info: bool,
    other: Option<HashSet<u16>>,
}

impl SeenTypes {
    /// Records `typ`; false if it was already there.
    fn insert(&mut self, typ: u16) -> bool {
        if let Ok(low) = u8::try_from(typ) {
            let (word, bit) = (usize::from(low / 64), 1u64 << (low % 64));
            let fresh = self.low[word] & bit == 0;
            self.low[word] |= bit;
            fresh
        } else if typ == ExtensionType::RenegotiationInfo.to_wire() {
            !core::mem::replace(&mut self.renegotiation_info, true)
        } else {
            self.other.get_or_insert_with(HashSet::new).insert(typ)
        }
    }
}

/// Reads a `ServerNameList` and returns its one host name.
fn read_host_name(body: &mut Reader<'_>) -> Result<Vec<u8>, InvalidMessage> {
    let mut list = read_prefixed(body, LengthPrefix::U16, "server_name_list")?;
    if !list.any_left() {
        return Err(InvalidMessage::EmptyList("server_name_list"));
    }
    let mut host_name = None;
    while list.any_left() {
        let name_type = u8::read(&mut list).map_err(|_| InvalidMessage::MissingData("NameType"))?;
        let name = read_bytes(&mut list, LengthPrefix::U16, "HostName")?;
        if name_type != HOST_NAME_TYPE {
            continue;
        }
        if name.is_empty() {
            return Err(InvalidMessage::EmptyList("HostName"));
        }
        // RFC 6066 3: at most one name of each type.
        if host_name.replace(name).is_some() {
            return Err(InvalidMessage::InvalidValue(
                "server_name_list (two host names)",
            ));
        }
    }
    host_name.ok_or(InvalidMessage::InvalidValue(
        "server_name_list (no host name)",
    ))
}

/// Reads a `ProtocolNameList` (RFC 7301 3.1): non-empty, of non-empty names.
fn read_protocol_names(body: &mut Reader<'_>) -> Result<Vec<Vec<u8>>, InvalidMessage> {
    let mut list = read_prefixed(body, LengthPrefix::U16, "protocol_name_list")?;
    let mut protocols = Vec::new();
    while list.any_left() {
        let name = read_bytes(&mut list, LengthPrefix::U8, "ProtocolName")?;
        if name.is_empty() {
            return Err(InvalidMessage::EmptyList("ProtocolName"));
        }
        protocols.push(name);
    }
    if protocols.is_empty() {
        return Err(InvalidMessage::EmptyList("protocol_name_list"));
    }
    Ok(protocols)
}

/// Takes everything left in an extension body.
fn take_rest(body: &mut Reader<'_>) -> Result<Vec<u8>, InvalidMessage> {
    body.take(body.left(), "extension_data").map(<[u8]>::to_vec)
}
