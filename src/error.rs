//! Errors. Every error that ends a connection is an [`Error`]; which alert it
//! puts on the wire is decided in one place, [`Error::alert`] (see
//! `alert.rs`), never at the call site.

use core::fmt;

use crate::enums::{AlertDescription, AlertLevel, ContentType, ExtensionType, HandshakeType};

/// Why bytes from the peer could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidMessage {
    /// The input ended inside the named item.
    MissingData(&'static str),
    /// Bytes were left over after the named item.
    TrailingData(&'static str),
    /// A list the RFC requires to be non-empty was empty.
    EmptyList(&'static str),
    /// An extension type appeared twice in one hello (RFC 5246 7.4.1.4).
    DuplicateExtension(ExtensionType),
    /// A ClientHello did not offer the null compression method
    /// (RFC 5246 7.4.1.2); sent `illegal_parameter`, as RFC 8446 4.1.2
    /// words it.
    MissingNullCompression,
    /// A ClientHello's pre_shared_key was not its last extension (RFC 8446
    /// 4.2.11); sent `illegal_parameter`, as the RFC says.
    PreSharedKeyNotLast,
    /// A change_cipher_spec record's body was not the single byte 1
    /// (RFC 5246 7.1); sent `unexpected_message`, as RFC 8446 5 words it.
    /// An empty one is [`InvalidMessage::EmptyFragment`], with the same
    /// alert.
    InvalidChangeCipherSpec,
    /// A field held a value the RFC does not allow there.
    InvalidValue(&'static str),
    /// A handshake, alert or change_cipher_spec record had an empty body
    /// (RFC 5246 6.2.1); decode_error, except for change_cipher_spec,
    /// which gets unexpected_message as any other malformed one does.
    EmptyFragment(ContentType),
    /// A handshake message declared a length above the configured maximum;
    /// it is refused before any of it is buffered.
    HandshakeMessageTooLarge {
        /// The length the message header declared.
        declared: usize,
        /// The maximum this endpoint accepts.
        max: usize,
    },
    /// A record header's version did not start with 3 (not SSL3/TLS).
    InvalidRecordVersion(u16),
}

impl fmt::Display for InvalidMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingData(what) => write!(f, "truncated {what}"),
            Self::TrailingData(what) => write!(f, "trailing bytes after {what}"),
            Self::EmptyList(what) => write!(f, "empty {what}, which must not be empty"),
            Self::DuplicateExtension(ext) => write!(f, "extension {ext} appears twice"),
            Self::MissingNullCompression => {
                f.write_str("ClientHello does not offer null compression")
            }
            Self::PreSharedKeyNotLast => {
                f.write_str("pre_shared_key is not the last extension of the ClientHello")
            }
            Self::InvalidChangeCipherSpec => {
                f.write_str("ChangeCipherSpec body is not the single byte 1")
            }
            Self::InvalidValue(what) => write!(f, "invalid {what}"),
            Self::EmptyFragment(ct) => write!(f, "zero-length {ct} record"),
            Self::HandshakeMessageTooLarge { declared, max } => {
                write!(
                    f,
                    "handshake message of {declared} bytes exceeds the maximum of {max}"
                )
            }
            Self::InvalidRecordVersion(v) => write!(f, "record version {v:#06x} is not TLS"),
        }
    }
}

/// What arrived when something else was expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// A record of this content type (not a handshake message).
    Record(ContentType),
    /// A handshake message of this type.
    Handshake(HandshakeType),
}

impl fmt::Display for Received {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Record(ct) => write!(f, "a {ct} record"),
            Self::Handshake(ht) => write!(f, "a {ht} message"),
        }
    }
}

/// The peer sent something well-formed that the protocol forbids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerMisbehaved {
    /// The peer's Finished verify_data was wrong.
    IncorrectFinished,
    /// A signature (ServerKeyExchange or CertificateVerify) did not verify.
    BadSignature,
    /// A field held a value the negotiation so far forbids, such as a suite,
    /// group or scheme we did not offer.
    IllegalParameter(&'static str),
    /// The peer's renegotiation_info was wrong (RFC 5746 3.4).
    BadRenegotiationInfo,
    /// A resumed session's extended master secret status changed
    /// (RFC 7627 5.3).
    ExtendedMasterSecretMismatch,
    /// A TLS 1.3 hello left out an extension it must carry (RFC 8446
    /// 9.2), named here.
    MissingExtension(&'static str),
    /// An extension we did not ask for came back, such as a status_request
    /// in a TLS 1.3 CertificateEntry when we sent none (RFC 8446 4.2,
    /// 4.4.2: unsupported_extension).
    UnsolicitedExtension(ExtensionType),
}

impl fmt::Display for PeerMisbehaved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IncorrectFinished => f.write_str("the peer's Finished verify_data is incorrect"),
            Self::BadSignature => f.write_str("the peer's signature does not verify"),
            Self::IllegalParameter(what) => write!(f, "the peer chose {what}"),
            Self::BadRenegotiationInfo => f.write_str("the peer's renegotiation_info is wrong"),
            Self::ExtendedMasterSecretMismatch => {
                f.write_str("the resumed session's extended master secret status changed")
            }
            Self::MissingExtension(what) => write!(f, "the peer's hello lacks {what}"),
            Self::UnsolicitedExtension(typ) => {
                write!(f, "the peer sent extension {typ}, which we did not ask for")
            }
        }
    }
}

/// The peer and we share no acceptable parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerIncompatible {
    /// The peer does not speak TLS 1.2.
    ProtocolVersion,
    /// No cipher suite in common.
    NoCommonCipherSuite,
    /// No key exchange group in common.
    NoCommonGroup,
    /// No signature scheme in common for our key.
    NoCommonSignatureScheme,
    /// The peer does not support the extended master secret, which we
    /// require (RFC 7627 5.2).
    ExtendedMasterSecretRequired,
    /// The peer does not support uncompressed EC points (RFC 8422 5.1.2).
    UncompressedPointsRequired,
    /// No application protocol in common (RFC 7301 3.2).
    NoApplicationProtocol,
    /// A client certificate was required and none was sent (RFC 5246 7.4.6).
    ClientCertificateRequired,
    /// A TLS 1.3 client answered our CertificateRequest with an empty
    /// Certificate and the policy requires one (RFC 8446 4.4.2.4; its
    /// alert is certificate_required, 6.2).
    ClientCertificateRequired13,
}

impl fmt::Display for PeerIncompatible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ProtocolVersion => "the peer does not support TLS 1.2",
            Self::NoCommonCipherSuite => "no cipher suite in common",
            Self::NoCommonGroup => "no key exchange group in common",
            Self::NoCommonSignatureScheme => "no signature scheme in common",
            Self::ExtendedMasterSecretRequired => {
                "the peer does not support the extended master secret"
            }
            Self::UncompressedPointsRequired => "the peer does not accept uncompressed EC points",
            Self::NoApplicationProtocol => "no application protocol in common",
            Self::ClientCertificateRequired => "a client certificate is required and none was sent",
            Self::ClientCertificateRequired13 => {
                "a client certificate is required and the TLS 1.3 client sent none"
            }
        })
    }
}

/// Why a certificate chain was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    /// The chain does not lead to a configured trust anchor.
    UnknownIssuer,
    /// A certificate in the chain has expired.
    Expired,
    /// A certificate in the chain is not valid yet.
    NotValidYet,
    /// The end-entity certificate is not valid for the server name.
    NotValidForName,
    /// The certificate is malformed or otherwise unacceptable.
    BadEncoding,
    /// The certificate's key or algorithm is not supported.
    Unsupported,
    /// The peer sent an empty chain where one is required.
    Empty,
    /// Any other reason, as rustls-webpki reported it.
    Other(String),
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownIssuer => f.write_str("certificate issuer is unknown"),
            Self::Expired => f.write_str("certificate has expired"),
            Self::NotValidYet => f.write_str("certificate is not valid yet"),
            Self::NotValidForName => f.write_str("certificate is not valid for the server name"),
            Self::BadEncoding => f.write_str("certificate is malformed"),
            Self::Unsupported => f.write_str("certificate uses an unsupported algorithm"),
            Self::Empty => f.write_str("certificate chain is empty"),
            Self::Other(why) => write!(f, "certificate rejected: {why}"),
        }
    }
}

/// Everything that can end a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The peer's bytes did not decode.
    InvalidMessage(InvalidMessage),
    /// A record was longer than the protocol allows: `len` against `limit`.
    RecordOverflow {
        /// The record length seen.
        len: usize,
        /// The limit it broke.
        limit: usize,
    },
    /// A record or handshake message arrived that the current state does
    /// not allow.
    UnexpectedMessage {
        /// What the state expected, in words.
        expected: &'static str,
        /// What arrived.
        got: Received,
    },
    /// A record failed authentication.
    DecryptFailed,
    /// The peer broke a protocol rule.
    PeerMisbehaved(PeerMisbehaved),
    /// No acceptable parameters in common.
    PeerIncompatible(PeerIncompatible),
    /// The peer's certificate was rejected.
    Certificate(CertificateError),
    /// The peer sent us an alert; every alert ends the connection.
    AlertReceived {
        /// Its level.
        level: AlertLevel,
        /// Its description.
        description: AlertDescription,
    },
    /// The record sequence number would wrap; the connection must end
    /// first (RFC 5246 6.1).
    SequenceExhausted,
    /// Our own configuration cannot work (e.g. a key that cannot sign).
    Config(String),
    /// An operation was attempted after the connection was closed.
    Closed,
    /// Application data was offered before the handshake was over
    /// (application data exists only at `HandshakeOver`).
    HandshakeNotComplete,
    /// The transport ended without the peer's close_notify: the data may
    /// have been cut short by an attacker, so this is never a clean end.
    Truncated,
    /// The transport failed.
    Transport(std::io::ErrorKind),
    /// Something failed inside this endpoint.
    Internal(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidMessage(e) => write!(f, "invalid message: {e}"),
            Self::RecordOverflow { len, limit } => {
                write!(f, "record of {len} bytes exceeds the limit of {limit}")
            }
            Self::UnexpectedMessage { expected, got } => {
                write!(f, "expected {expected}, got {got}")
            }
            Self::DecryptFailed => f.write_str("a record failed authentication"),
            Self::PeerMisbehaved(e) => e.fmt(f),
            Self::PeerIncompatible(e) => e.fmt(f),
            Self::Certificate(e) => e.fmt(f),
            Self::AlertReceived { level, description } => {
                write!(f, "received {level} alert {description}")
            }
            Self::SequenceExhausted => f.write_str("record sequence number exhausted"),
            Self::Config(why) => write!(f, "configuration error: {why}"),
            Self::Closed => f.write_str("the connection is closed"),
            Self::HandshakeNotComplete => f.write_str("the handshake is not complete yet"),
            Self::Truncated => {
                f.write_str("the transport closed without a close_notify alert (truncation)")
            }
            Self::Transport(kind) => write!(f, "transport error: {kind}"),
            Self::Internal(why) => write!(f, "internal error: {why}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<InvalidMessage> for Error {
    fn from(e: InvalidMessage) -> Self {
        Self::InvalidMessage(e)
    }
}

impl From<PeerMisbehaved> for Error {
    fn from(e: PeerMisbehaved) -> Self {
        Self::PeerMisbehaved(e)
    }
}

impl From<PeerIncompatible> for Error {
    fn from(e: PeerIncompatible) -> Self {
        Self::PeerIncompatible(e)
    }
}

impl From<CertificateError> for Error {
    fn from(e: CertificateError) -> Self {
        Self::Certificate(e)
    }
}
