//! Hello extensions (RFC 5246 7.4.1.4) that TLS 1.2 with this crate's
//! features uses, the TLS 1.3 ones a ClientHello and a ServerHello or
//! HelloRetryRequest carry (RFC 8446 4.2), plus an escape for the rest.
//!
//! Each extension's body is decoded from a reader bounded to its declared
//! length and must be consumed exactly, so a body that says more than the
//! extension means is `TrailingData` naming the extension.

use std::collections::HashSet;

use crate::codec::{
    Codec, LengthPrefix, List, Reader, encode_bytes, encode_prefixed, encode_vec, read_bytes,
    read_nonempty_vec, read_prefixed, read_vec, wire_enum,
};
use crate::enums::{ExtensionType, NamedGroup, ProtocolVersion};
use crate::error::InvalidMessage;
use crate::message::certificate_request::DistinguishedName;
use crate::message::certificate_status::CertificateStatusRequest;
use crate::message::lists::{
    EcPointFormats, NamedGroups, ProtocolVersions, PskKeyExchangeModes, SignatureSchemes,
};
use crate::message::tls13::KeyShareEntry;

wire_enum! {
    /// A PSK key exchange mode (RFC 8446 4.2.9): whether a resumption also
    /// runs an (EC)DHE exchange.
    pub enum PskKeyExchangeMode: u8 {
        /// PSK-only key establishment.
        PskKe = 0 => "psk_ke",
        /// PSK with (EC)DHE key establishment.
        PskDheKe = 1 => "psk_dhe_ke",
    }
}

/// One offered PSK identity (RFC 8446 4.2.11).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PskIdentity {
    /// A ticket or an external PSK's label; never empty.
    pub identity: Vec<u8>,
    /// The ticket's age in milliseconds plus its `ticket_age_add`, mod 2^32
    /// (0 for an external PSK).
    pub obfuscated_ticket_age: u32,
}

impl Codec for PskIdentity {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_bytes(out, LengthPrefix::U16, &self.identity);
        self.obfuscated_ticket_age.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        // `opaque identity<1..2^16-1>`
        let identity = read_bytes(r, LengthPrefix::U16, "PskIdentity.identity")?;
        if identity.is_empty() {
            return Err(InvalidMessage::EmptyList("PskIdentity.identity"));
        }
        let obfuscated_ticket_age =
            u32::read(r).map_err(|_| InvalidMessage::MissingData("obfuscated_ticket_age"))?;
        Ok(Self {
            identity,
            obfuscated_ticket_age,
        })
    }
}

/// The client's pre_shared_key body (RFC 8446 4.2.11): the identities
/// offered and one binder for each, in the same order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfferedPsks {
    /// The offered identities; never empty.
    pub identities: Vec<PskIdentity>,
    /// One HMAC per identity (`opaque PskBinderEntry<32..255>`).
    pub binders: Vec<Vec<u8>>,
}

impl OfferedPsks {
    /// The shortest binder the RFC allows (`PskBinderEntry<32..255>`).
    pub const MIN_BINDER_LEN: usize = 32;

    /// The length of the encoded binders list, its 2-byte length included:
    /// what follows the part of the ClientHello a binder is computed over
    /// (RFC 8446 4.2.11.2).
    pub fn binders_len(&self) -> usize {
        2 + self.binders.iter().map(|b| 1 + b.len()).sum::<usize>()
    }

    fn encode_binders(&self, out: &mut Vec<u8>) {
        encode_prefixed(out, LengthPrefix::U16, |out| {
            for binder in &self.binders {
                encode_bytes(out, LengthPrefix::U8, binder);
            }
        });
    }
}

impl Codec for OfferedPsks {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_vec(out, LengthPrefix::U16, &self.identities);
        self.encode_binders(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let identities: Vec<PskIdentity> = read_nonempty_vec(r, LengthPrefix::U16, "identities")?;
        let mut list = read_prefixed(r, LengthPrefix::U16, "binders")?;
        let mut binders = Vec::new();
        while list.any_left() {
            let binder = read_bytes(&mut list, LengthPrefix::U8, "PskBinderEntry")?;
            if binder.len() < Self::MIN_BINDER_LEN {
                return Err(InvalidMessage::InvalidValue("PskBinderEntry length"));
            }
            binders.push(binder);
        }
        // "One for each value in the identities list": a binder list of
        // another length cannot be checked entry by entry.
        if binders.len() != identities.len() {
            return Err(InvalidMessage::InvalidValue(
                "binders (count differs from identities)",
            ));
        }
        Ok(Self {
            identities,
            binders,
        })
    }
}

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
    /// supported_versions (RFC 8446 4.2.1): the versions offered, in
    /// preference order; never empty.
    SupportedVersions(ProtocolVersions),
    /// key_share (RFC 8446 4.2.8): the shares offered, in preference
    /// order; may be empty, to ask for a HelloRetryRequest.
    KeyShare(Vec<KeyShareEntry>),
    /// cookie (RFC 8446 4.2.2): echoed from a HelloRetryRequest; never
    /// empty.
    Cookie(Vec<u8>),
    /// psk_key_exchange_modes (RFC 8446 4.2.9); never empty.
    PskKeyExchangeModes(PskKeyExchangeModes),
    /// signature_algorithms_cert (RFC 8446 4.2.3): schemes for
    /// certificate signatures, when they differ from signature_algorithms.
    SignatureAlgorithmsCert(SignatureSchemes),
    /// early_data (RFC 8446 4.2.10); its body in a ClientHello is empty.
    EarlyData,
    /// post_handshake_auth (RFC 8446 4.2.6); its body is empty.
    PostHandshakeAuth,
    /// certificate_authorities (RFC 8446 4.2.4): the CAs the client
    /// accepts; never empty.
    CertificateAuthorities(Vec<DistinguishedName>),
    /// pre_shared_key (RFC 8446 4.2.11): the PSKs offered. It must be the
    /// last extension of a ClientHello.
    PreSharedKey(OfferedPsks),
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
            Self::SupportedVersions(_) => ExtensionType::SupportedVersions,
            Self::KeyShare(_) => ExtensionType::KeyShare,
            Self::Cookie(_) => ExtensionType::Cookie,
            Self::PskKeyExchangeModes(_) => ExtensionType::PskKeyExchangeModes,
            Self::SignatureAlgorithmsCert(_) => ExtensionType::SignatureAlgorithmsCert,
            Self::EarlyData => ExtensionType::EarlyData,
            Self::PostHandshakeAuth => ExtensionType::PostHandshakeAuth,
            Self::CertificateAuthorities(_) => ExtensionType::CertificateAuthorities,
            Self::PreSharedKey(_) => ExtensionType::PreSharedKey,
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
            Self::SupportedVersions(versions) => encode_vec(out, LengthPrefix::U8, versions),
            Self::KeyShare(shares) => encode_vec(out, LengthPrefix::U16, shares),
            Self::Cookie(cookie) => encode_bytes(out, LengthPrefix::U16, cookie),
            Self::PskKeyExchangeModes(modes) => encode_vec(out, LengthPrefix::U8, modes),
            Self::SignatureAlgorithmsCert(schemes) => encode_vec(out, LengthPrefix::U16, schemes),
            Self::EarlyData | Self::PostHandshakeAuth => {}
            Self::CertificateAuthorities(names) => encode_vec(out, LengthPrefix::U16, names),
            Self::PreSharedKey(offered) => offered.encode(out),
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
            // `ProtocolVersion versions<2..254>`: an odd length leaves half
            // a version, which the item decoder reports.
            ExtensionType::SupportedVersions => Self::SupportedVersions(read_nonempty_vec(
                body,
                LengthPrefix::U8,
                "supported_versions",
            )?),
            // `KeyShareEntry client_shares<0..2^16-1>`: empty asks the
            // server to pick a group by HelloRetryRequest (RFC 8446 4.2.8).
            ExtensionType::KeyShare => {
                Self::KeyShare(read_vec(body, LengthPrefix::U16, "client_shares")?)
            }
            ExtensionType::Cookie => {
                let cookie = read_bytes(body, LengthPrefix::U16, "cookie")?;
                if cookie.is_empty() {
                    return Err(InvalidMessage::EmptyList("cookie"));
                }
                Self::Cookie(cookie)
            }
            ExtensionType::PskKeyExchangeModes => {
                Self::PskKeyExchangeModes(read_nonempty_vec(body, LengthPrefix::U8, "ke_modes")?)
            }
            ExtensionType::SignatureAlgorithmsCert => Self::SignatureAlgorithmsCert(
                read_nonempty_vec(body, LengthPrefix::U16, "signature_algorithms_cert")?,
            ),
            // Empty bodies: any byte left is trailing data naming the
            // extension.
            ExtensionType::EarlyData => Self::EarlyData,
            ExtensionType::PostHandshakeAuth => Self::PostHandshakeAuth,
            ExtensionType::CertificateAuthorities => Self::CertificateAuthorities(
                read_nonempty_vec(body, LengthPrefix::U16, "authorities")?,
            ),
            ExtensionType::PreSharedKey => Self::PreSharedKey(OfferedPsks::read(body)?),
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
    /// supported_versions (RFC 8446 4.2.1): the version the server
    /// selected (in a ServerHello or a HelloRetryRequest).
    SupportedVersions(ProtocolVersion),
    /// key_share in a ServerHello (RFC 8446 4.2.8): the server's share.
    KeyShare(KeyShareEntry),
    /// key_share in a HelloRetryRequest (RFC 8446 4.2.8): the group the
    /// client is to send a share for, and nothing else.
    KeyShareHrr(NamedGroup),
    /// pre_shared_key (RFC 8446 4.2.11): the index of the identity the
    /// server selected.
    PreSharedKey(u16),
    /// cookie in a HelloRetryRequest (RFC 8446 4.2.2); never empty.
    Cookie(Vec<u8>),
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
            Self::SupportedVersions(_) => ExtensionType::SupportedVersions,
            Self::KeyShare(_) | Self::KeyShareHrr(_) => ExtensionType::KeyShare,
            Self::PreSharedKey(_) => ExtensionType::PreSharedKey,
            Self::Cookie(_) => ExtensionType::Cookie,
            Self::Unknown { typ, .. } => *typ,
        }
    }

    /// Reads one extension of a HelloRetryRequest, whose key_share holds a
    /// bare group (RFC 8446 4.2.8); any other extension reads as in a
    /// ServerHello. [`Codec::read`] reads a ServerHello's.
    pub fn read_hrr(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        read_extension(r, Self::read_body_hrr)
    }

    fn read_body_hrr(typ: ExtensionType, body: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        match typ {
            ExtensionType::KeyShare => Ok(Self::KeyShareHrr(NamedGroup::read(body)?)),
            _ => Self::read_body(typ, body),
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
            Self::SupportedVersions(version) => version.encode(out),
            Self::KeyShare(share) => share.encode(out),
            Self::KeyShareHrr(group) => group.encode(out),
            Self::PreSharedKey(selected) => selected.encode(out),
            Self::Cookie(cookie) => encode_bytes(out, LengthPrefix::U16, cookie),
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
            ExtensionType::SupportedVersions => Self::SupportedVersions(
                ProtocolVersion::read(body)
                    .map_err(|_| InvalidMessage::MissingData("selected_version"))?,
            ),
            ExtensionType::KeyShare => Self::KeyShare(KeyShareEntry::read(body)?),
            ExtensionType::PreSharedKey => Self::PreSharedKey(
                u16::read(body).map_err(|_| InvalidMessage::MissingData("selected_identity"))?,
            ),
            ExtensionType::Cookie => {
                let cookie = read_bytes(body, LengthPrefix::U16, "cookie")?;
                if cookie.is_empty() {
                    return Err(InvalidMessage::EmptyList("cookie"));
                }
                Self::Cookie(cookie)
            }
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
    read_extensions_with(r, C::Item::read, typ_of)
}

/// [`read_extensions`] with each extension read by `read_item`, for a
/// message whose extensions decode by context (a HelloRetryRequest's
/// key_share).
pub(crate) fn read_extensions_with<C: List>(
    r: &mut Reader<'_>,
    read_item: fn(&mut Reader<'_>) -> Result<C::Item, InvalidMessage>,
    typ_of: fn(&C::Item) -> ExtensionType,
) -> Result<C, InvalidMessage> {
    let mut extensions = C::default();
    if !r.any_left() {
        return Ok(extensions);
    }
    let mut block = read_prefixed(r, LengthPrefix::U16, "extensions")?;
    let mut seen = SeenTypes::default();
    while block.any_left() {
        let extension = read_item(&mut block)?;
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
