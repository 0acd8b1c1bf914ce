//! The lists inside the hellos, kept inline up to the lengths real peers
//! send.
//!
//! A hello carries a handful of short lists (suites, groups, schemes,
//! extensions). As `Vec`s they cost an allocation each, on both sides of
//! every handshake; as [`SmallVec`]s they live in the message itself and
//! spill to the heap only when a peer sends more than the inline length
//! (still decoded correctly, just not for free). The inline lengths cover
//! what `openssl s_client`, rustls and the browsers send.

use smallvec::SmallVec;

use crate::enums::{
    CipherSuite, Compression, EcPointFormat, NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::message::extensions::{ClientExtension, PskKeyExchangeMode, ServerExtension};

/// Offered cipher suites (OpenSSL 3 offers about 30 with TLS 1.3 on).
pub type CipherSuites = SmallVec<[CipherSuite; 32]>;
/// Offered compression methods (in practice only null).
pub type CompressionMethods = SmallVec<[Compression; 2]>;
/// supported_groups (OpenSSL 3 offers 10).
pub type NamedGroups = SmallVec<[NamedGroup; 16]>;
/// ec_point_formats (in practice only uncompressed).
pub type EcPointFormats = SmallVec<[EcPointFormat; 4]>;
/// signature_algorithms (OpenSSL 3 offers about 25).
pub type SignatureSchemes = SmallVec<[SignatureScheme; 32]>;
/// supported_versions in a ClientHello (OpenSSL 3 offers 4, browsers 2
/// plus GREASE).
pub type ProtocolVersions = SmallVec<[ProtocolVersion; 8]>;
/// psk_key_exchange_modes (there are two modes).
pub type PskKeyExchangeModes = SmallVec<[PskKeyExchangeMode; 2]>;
/// A ClientHello's extensions (browsers send about 16).
pub type ClientExtensions = SmallVec<[ClientExtension; 16]>;
/// A ServerHello's extensions (at most the six TLS 1.2 ones this crate
/// knows, or a TLS 1.3 ServerHello's three or four, in practice).
pub type ServerExtensions = SmallVec<[ServerExtension; 8]>;
