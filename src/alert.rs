//! The one mapping from [`Error`] to the alert it puts on the wire.

use crate::enums::{AlertDescription, ContentType};
use crate::error::{CertificateError, Error, InvalidMessage, PeerIncompatible, PeerMisbehaved};

impl Error {
    /// The fatal alert this error sends to the peer, or `None` when no
    /// alert is owed (the peer already sent one, or we are closed).
    ///
    /// This is the only place in the crate that chooses an alert.
    pub fn alert(&self) -> Option<AlertDescription> {
        use AlertDescription as A;
        Some(match self {
            Self::InvalidMessage(InvalidMessage::InvalidRecordVersion(_)) => A::ProtocolVersion,
            // RFC 8446 5: "any other change_cipher_spec value" than the
            // single byte 1 is unexpected_message; the empty one too.
            Self::InvalidMessage(
                InvalidMessage::InvalidChangeCipherSpec
                | InvalidMessage::EmptyFragment(ContentType::ChangeCipherSpec),
            ) => A::UnexpectedMessage,
            // RFC 8446 4.1.2 (TLS 1.2 names no alert): illegal_parameter.
            Self::InvalidMessage(InvalidMessage::MissingNullCompression) => A::IllegalParameter,
            // RFC 8446 4.2.11: "MUST be the last extension ... otherwise
            // fail the handshake with an illegal_parameter alert".
            Self::InvalidMessage(InvalidMessage::PreSharedKeyNotLast) => A::IllegalParameter,
            Self::InvalidMessage(_) => A::DecodeError,
            Self::RecordOverflow { .. } => A::RecordOverflow,
            Self::UnexpectedMessage { .. } => A::UnexpectedMessage,
            Self::DecryptFailed => A::BadRecordMac,
            Self::PeerMisbehaved(
                PeerMisbehaved::IncorrectFinished | PeerMisbehaved::BadSignature,
            ) => A::DecryptError,
            Self::PeerMisbehaved(PeerMisbehaved::IllegalParameter(_)) => A::IllegalParameter,
            // RFC 8446 9.2: a ClientHello without the mandatory extensions.
            Self::PeerMisbehaved(PeerMisbehaved::MissingExtension(_)) => A::MissingExtension,
            // RFC 8446 4.2: a response to an extension we did not send.
            Self::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension(_)) => {
                A::UnsupportedExtension
            }
            Self::PeerMisbehaved(
                PeerMisbehaved::BadRenegotiationInfo | PeerMisbehaved::ExtendedMasterSecretMismatch,
            ) => A::HandshakeFailure,
            Self::PeerIncompatible(PeerIncompatible::ProtocolVersion) => A::ProtocolVersion,
            Self::PeerIncompatible(PeerIncompatible::NoApplicationProtocol) => {
                A::NoApplicationProtocol
            }
            Self::PeerIncompatible(PeerIncompatible::UncompressedPointsRequired) => {
                A::IllegalParameter
            }
            Self::PeerIncompatible(PeerIncompatible::ClientCertificateRequired13) => {
                A::CertificateRequired
            }
            Self::PeerIncompatible(_) => A::HandshakeFailure,
            Self::Certificate(CertificateError::UnknownIssuer) => A::UnknownCa,
            Self::Certificate(CertificateError::Expired | CertificateError::NotValidYet) => {
                A::CertificateExpired
            }
            Self::Certificate(CertificateError::Unsupported) => A::UnsupportedCertificate,
            Self::Certificate(CertificateError::Empty) => A::HandshakeFailure,
            Self::Certificate(
                CertificateError::NotValidForName
                | CertificateError::BadEncoding
                | CertificateError::Other(_),
            ) => A::BadCertificate,
            Self::AlertReceived { .. }
            | Self::Closed
            | Self::HandshakeNotComplete
            | Self::Truncated
            | Self::Transport(_) => {
                return None;
            }
            Self::SequenceExhausted | Self::Config(_) | Self::Internal(_) => A::InternalError,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::{AlertLevel, ExtensionType, HandshakeType};
    use crate::error::Received;

    /// The mapping as a table: one row per error kind, with the RFC section
    /// that picks the alert.
    #[test]
    fn error_to_alert_table() {
        use AlertDescription as A;
        let table: Vec<(Error, Option<AlertDescription>)> = vec![
            (
                InvalidMessage::MissingData("ServerHello").into(),
                Some(A::DecodeError),
            ),
            (
                InvalidMessage::TrailingData("Finished").into(),
                Some(A::DecodeError),
            ),
            (
                InvalidMessage::EmptyList("cipher_suites").into(),
                Some(A::DecodeError),
            ),
            (
                InvalidMessage::DuplicateExtension(ExtensionType::ServerName).into(),
                Some(A::DecodeError),
            ),
            (
                InvalidMessage::MissingNullCompression.into(),
                Some(A::IllegalParameter),
            ),
            (
                InvalidMessage::PreSharedKeyNotLast.into(),
                Some(A::IllegalParameter),
            ),
            (
                PeerMisbehaved::MissingExtension("key_share").into(),
                Some(A::MissingExtension),
            ),
            (
                PeerMisbehaved::UnsolicitedExtension(ExtensionType::StatusRequest).into(),
                Some(A::UnsupportedExtension),
            ),
            (
                InvalidMessage::InvalidChangeCipherSpec.into(),
                Some(A::UnexpectedMessage),
            ),
            (
                InvalidMessage::EmptyFragment(ContentType::Alert).into(),
                Some(A::DecodeError),
            ),
            (
                InvalidMessage::EmptyFragment(ContentType::Handshake).into(),
                Some(A::DecodeError),
            ),
            (
                InvalidMessage::EmptyFragment(ContentType::ChangeCipherSpec).into(),
                Some(A::UnexpectedMessage),
            ),
            (
                InvalidMessage::HandshakeMessageTooLarge {
                    declared: 1 << 20,
                    max: 1 << 16,
                }
                .into(),
                Some(A::DecodeError),
            ),
            (
                InvalidMessage::InvalidRecordVersion(0x0200).into(),
                Some(A::ProtocolVersion),
            ),
            (
                Error::RecordOverflow {
                    len: 20000,
                    limit: 16384,
                },
                Some(A::RecordOverflow),
            ),
            (
                Error::UnexpectedMessage {
                    expected: "ServerHello",
                    got: Received::Handshake(HandshakeType::Finished),
                },
                Some(A::UnexpectedMessage),
            ),
            (
                Error::UnexpectedMessage {
                    expected: "handshake",
                    got: Received::Record(ContentType::Heartbeat),
                },
                Some(A::UnexpectedMessage),
            ),
            (Error::DecryptFailed, Some(A::BadRecordMac)),
            (
                PeerMisbehaved::IncorrectFinished.into(),
                Some(A::DecryptError),
            ),
            (PeerMisbehaved::BadSignature.into(), Some(A::DecryptError)),
            (
                PeerMisbehaved::IllegalParameter("an unoffered suite").into(),
                Some(A::IllegalParameter),
            ),
            (
                PeerMisbehaved::BadRenegotiationInfo.into(),
                Some(A::HandshakeFailure),
            ),
            (
                PeerIncompatible::ProtocolVersion.into(),
                Some(A::ProtocolVersion),
            ),
            (
                PeerIncompatible::NoCommonCipherSuite.into(),
                Some(A::HandshakeFailure),
            ),
            (
                PeerIncompatible::NoCommonGroup.into(),
                Some(A::HandshakeFailure),
            ),
            (
                PeerIncompatible::NoCommonSignatureScheme.into(),
                Some(A::HandshakeFailure),
            ),
            (
                PeerIncompatible::ExtendedMasterSecretRequired.into(),
                Some(A::HandshakeFailure),
            ),
            (
                PeerIncompatible::UncompressedPointsRequired.into(),
                Some(A::IllegalParameter),
            ),
            (
                PeerIncompatible::NoApplicationProtocol.into(),
                Some(A::NoApplicationProtocol),
            ),
            (
                PeerIncompatible::ClientCertificateRequired.into(),
                Some(A::HandshakeFailure),
            ),
            (
                PeerIncompatible::ClientCertificateRequired13.into(),
                Some(A::CertificateRequired),
            ),
            (
                PeerMisbehaved::ExtendedMasterSecretMismatch.into(),
                Some(A::HandshakeFailure),
            ),
            (CertificateError::UnknownIssuer.into(), Some(A::UnknownCa)),
            (
                CertificateError::Expired.into(),
                Some(A::CertificateExpired),
            ),
            (
                CertificateError::NotValidYet.into(),
                Some(A::CertificateExpired),
            ),
            (
                CertificateError::NotValidForName.into(),
                Some(A::BadCertificate),
            ),
            (
                CertificateError::BadEncoding.into(),
                Some(A::BadCertificate),
            ),
            (
                CertificateError::Unsupported.into(),
                Some(A::UnsupportedCertificate),
            ),
            (CertificateError::Empty.into(), Some(A::HandshakeFailure)),
            (
                CertificateError::Other("x".into()).into(),
                Some(A::BadCertificate),
            ),
            (
                Error::AlertReceived {
                    level: AlertLevel::Fatal,
                    description: A::HandshakeFailure,
                },
                None,
            ),
            (Error::Closed, None),
            (Error::HandshakeNotComplete, None),
            (Error::Truncated, None),
            (Error::Transport(std::io::ErrorKind::ConnectionReset), None),
            (Error::SequenceExhausted, Some(A::InternalError)),
            (Error::Config("no key".into()), Some(A::InternalError)),
            (Error::Internal("rng"), Some(A::InternalError)),
        ];
        for (error, alert) in table {
            assert_eq!(error.alert(), alert, "{error:?}");
        }
    }
}
