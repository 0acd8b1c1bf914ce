//! The 5-byte record header (RFC 5246 6.2.1) and the record size limits.

use crate::enums::ContentType;
use crate::error::{Error, InvalidMessage, Received};

use super::protection::HEADER_LEN;

/// The largest plaintext fragment a record may carry: 2^14 bytes
/// (RFC 5246 6.2.1).
pub const MAX_PLAINTEXT_LEN: usize = 1 << 14;

/// The largest protected record body: 2^14 + 2048 bytes (RFC 5246 6.2.3).
pub const MAX_CIPHERTEXT_LEN: usize = MAX_PLAINTEXT_LEN + 2048;

/// The largest whole record on the wire: header plus the largest body.
pub const MAX_RECORD_LEN: usize = HEADER_LEN + MAX_CIPHERTEXT_LEN;

/// A decoded record header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    /// The content type; always one of the four that TLS 1.2 defines.
    pub typ: ContentType,
    /// The record version as it arrived (its first byte is 3).
    pub version: u16,
    /// The length of the body that follows.
    pub len: usize,
}

impl RecordHeader {
    /// Decodes and checks a header, in the order the fields arrive:
    ///
    /// - a content type other than change_cipher_spec, alert, handshake or
    ///   application_data (heartbeat included) is
    ///   [`Error::UnexpectedMessage`] (RFC 5246 6.2.1: "If a TLS
    ///   implementation receives an unexpected record type, it MUST send an
    ///   unexpected_message alert");
    /// - a version whose first byte is not 3 is
    ///   [`InvalidMessage::InvalidRecordVersion`];
    /// - a body longer than `max_body_len` is [`Error::RecordOverflow`].
    pub fn decode(bytes: [u8; HEADER_LEN], max_body_len: usize) -> Result<Self, Error> {
        let [typ, major, minor, len_hi, len_lo] = bytes;
        let typ = ContentType::from_wire(typ);
        if !is_tls12_content_type(typ) {
            return Err(Error::UnexpectedMessage {
                expected: "a handshake, alert, change_cipher_spec or application_data record",
                got: Received::Record(typ),
            });
        }
        let version = u16::from_be_bytes([major, minor]);
        if major != 3 {
            return Err(InvalidMessage::InvalidRecordVersion(version).into());
        }
        let len = usize::from(u16::from_be_bytes([len_hi, len_lo]));
        if len > max_body_len {
            return Err(Error::RecordOverflow {
                len,
                limit: max_body_len,
            });
        }
        Ok(Self { typ, version, len })
    }

    /// The header's wire encoding. A `len` above `u16::MAX` is our bug and
    /// is encoded as `u16::MAX`; the writer never builds such a header.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let [major, minor] = self.version.to_be_bytes();
        let [len_hi, len_lo] = u16::try_from(self.len).unwrap_or(u16::MAX).to_be_bytes();
        [self.typ.to_wire(), major, minor, len_hi, len_lo]
    }
}

/// Whether `typ` is one of the four content types TLS 1.2 defines.
pub(crate) fn is_tls12_content_type(typ: ContentType) -> bool {
    matches!(
        typ,
        ContentType::ChangeCipherSpec
            | ContentType::Alert
            | ContentType::Handshake
            | ContentType::ApplicationData
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(bytes: [u8; 5]) -> Result<RecordHeader, Error> {
        RecordHeader::decode(bytes, MAX_PLAINTEXT_LEN)
    }

    #[test]
    fn decodes_each_tls12_content_type() {
        for (wire, typ) in [
            (20, ContentType::ChangeCipherSpec),
            (21, ContentType::Alert),
            (22, ContentType::Handshake),
            (23, ContentType::ApplicationData),
        ] {
            let h = header([wire, 3, 3, 0x01, 0x02]).unwrap();
            assert_eq!(
                h,
                RecordHeader {
                    typ,
                    version: 0x0303,
                    len: 0x0102
                }
            );
            assert_eq!(h.encode(), [wire, 3, 3, 0x01, 0x02]);
        }
    }

    #[test]
    fn accepts_any_version_starting_with_3() {
        for minor in [0, 1, 2, 3, 4, 0xff] {
            assert_eq!(
                header([22, 3, minor, 0, 1]).unwrap().version,
                0x0300 | u16::from(minor)
            );
        }
    }

    #[test]
    fn rejects_heartbeat_and_unknown_types() {
        for wire in [0u8, 19, 24, 25, 0x47, 0x80, 0xff] {
            assert_eq!(
                header([wire, 3, 3, 0, 1]),
                Err(Error::UnexpectedMessage {
                    expected: "a handshake, alert, change_cipher_spec or application_data record",
                    got: Received::Record(ContentType::from_wire(wire)),
                }),
                "{wire}"
            );
        }
    }

    #[test]
    fn rejects_versions_not_starting_with_3() {
        for (major, minor) in [(0, 0), (2, 0), (4, 3), (0xfe, 0xfd)] {
            assert_eq!(
                header([22, major, minor, 0, 1]),
                Err(
                    InvalidMessage::InvalidRecordVersion(u16::from_be_bytes([major, minor])).into()
                )
            );
        }
    }

    #[test]
    fn checks_the_type_before_the_version() {
        assert!(matches!(
            header([24, 0, 0, 0, 1]),
            Err(Error::UnexpectedMessage { .. })
        ));
    }

    #[test]
    fn length_at_limit_is_accepted_and_above_is_overflow() {
        assert_eq!(
            header([23, 3, 3, 0x40, 0x00]).unwrap().len,
            MAX_PLAINTEXT_LEN
        );
        assert_eq!(
            header([23, 3, 3, 0x40, 0x01]),
            Err(Error::RecordOverflow {
                len: MAX_PLAINTEXT_LEN + 1,
                limit: MAX_PLAINTEXT_LEN
            })
        );
        let [hi, lo] = u16::try_from(MAX_CIPHERTEXT_LEN).unwrap().to_be_bytes();
        assert!(RecordHeader::decode([23, 3, 3, hi, lo], MAX_CIPHERTEXT_LEN).is_ok());
        let [hi, lo] = u16::try_from(MAX_CIPHERTEXT_LEN + 1).unwrap().to_be_bytes();
        assert_eq!(
            RecordHeader::decode([23, 3, 3, hi, lo], MAX_CIPHERTEXT_LEN),
            Err(Error::RecordOverflow {
                len: MAX_CIPHERTEXT_LEN + 1,
                limit: MAX_CIPHERTEXT_LEN
            })
        );
    }

    #[test]
    fn accepts_zero_length() {
        assert_eq!(header([23, 3, 3, 0, 0]).unwrap().len, 0);
    }
}
