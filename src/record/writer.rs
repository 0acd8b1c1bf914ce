//! The outbound half of the record layer: fragmentation and sealing.

use core::fmt;

use crate::enums::{AlertDescription, AlertLevel, ContentType, ProtocolVersion};
use crate::error::Error;
use crate::message::AlertMessage;

use super::header::{MAX_PLAINTEXT_LEN, RecordHeader, is_tls12_content_type};
use super::protection::{HEADER_LEN, NullProtection, RecordSealer};

/// Turns messages into protected records.
///
/// Each [`RecordWriter::write`] fragments one message into records of at
/// most the maximum fragment length; messages are never coalesced, so every
/// call produces its own records (like s2n-tls).
pub struct RecordWriter {
    sealer: Box<dyn RecordSealer>,
    /// Sequence number of the next record to seal.
    seq: u64,
    version: ProtocolVersion,
    max_fragment_len: usize,
    /// The most an idle connection keeps of its output buffer (the
    /// connection's writer half reads it; default
    /// [`MAX_IDLE_CAPACITY`](super::MAX_IDLE_CAPACITY)).
    idle_capacity: usize,
}

impl fmt::Debug for RecordWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordWriter")
            .field("seq", &self.seq)
            .field("version", &self.version)
            .field("max_fragment_len", &self.max_fragment_len)
            .finish_non_exhaustive()
    }
}

impl Default for RecordWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl RecordWriter {
    /// A writer with no protection, write sequence number 0, record version
    /// TLS 1.2 and fragments of up to 2^14 bytes.
    pub fn new() -> Self {
        Self {
            sealer: Box::new(NullProtection),
            seq: 0,
            version: ProtocolVersion::Tls12,
            max_fragment_len: MAX_PLAINTEXT_LEN,
            idle_capacity: super::MAX_IDLE_CAPACITY,
        }
    }

    /// Installs the sealer for records after our ChangeCipherSpec and resets
    /// the write sequence number to 0 (RFC 5246 6.1).
    pub fn set_sealer(&mut self, sealer: Box<dyn RecordSealer>) {
        self.sealer = sealer;
        self.seq = 0;
    }

    /// Appends TLS 1.3's compatibility ChangeCipherSpec (RFC 8446 5, D.4):
    /// the unprotected record `14 03 03 00 01 01` whatever keys are
    /// installed, using no sequence number (a ChangeCipherSpec is never
    /// protected in TLS 1.3, so a sender may already be writing under its
    /// handshake keys when it sends one).
    pub fn write_compat_change_cipher_spec(&mut self, out: &mut Vec<u8>) {
        let [hi, lo] = self.version.to_wire().to_be_bytes();
        out.extend_from_slice(&[ContentType::ChangeCipherSpec.to_wire(), hi, lo, 0, 1, 1]);
    }

    /// Sets the largest plaintext per record, clamped to `1..=2^14`
    /// (a value outside it is our own configuration, so it is corrected
    /// rather than refused).
    pub fn set_max_fragment_len(&mut self, len: usize) {
        self.max_fragment_len = len.clamp(1, MAX_PLAINTEXT_LEN);
    }

    /// The largest plaintext per record.
    pub fn max_fragment_len(&self) -> usize {
        self.max_fragment_len
    }

    /// Sets the most of its output buffer an idle connection keeps
    /// (default [`MAX_IDLE_CAPACITY`](super::MAX_IDLE_CAPACITY)).
    pub fn set_idle_capacity(&mut self, bytes: usize) {
        self.idle_capacity = bytes;
    }

    /// The most of its output buffer an idle connection keeps.
    pub fn idle_capacity(&self) -> usize {
        self.idle_capacity
    }

    /// Sets the version written in record headers (TLS 1.2 by default; a
    /// client may use TLS 1.0 for its first flight, RFC 5246 appendix E.1).
    pub fn set_version(&mut self, version: ProtocolVersion) {
        self.version = version;
    }

    /// The sequence number the next record will be sealed with.
    pub fn write_seq(&self) -> u64 {
        self.seq
    }

    /// Fragments `payload`, one message of type `typ`, into records and
    /// appends them, sealed, to `out`.
    ///
    /// Each record is built in place: header, sealer prefix space, then the
    /// plaintext (the only copy of the payload), sealed where it lies. An
    /// empty payload makes one empty record for application data; for any
    /// other type it is our bug ([`Error::Internal`]), as RFC 5246 6.2.1
    /// forbids such records. If the sequence number would reach `u64::MAX`
    /// this fails with [`Error::SequenceExhausted`] before writing
    /// anything. On any error `out` is left as it was.
    pub fn write(
        &mut self,
        typ: ContentType,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        if !is_tls12_content_type(typ) {
            return Err(Error::Internal("writing a record of an unknown type"));
        }
        if payload.is_empty() && typ != ContentType::ApplicationData {
            return Err(Error::Internal(
                "writing an empty non-application-data message",
            ));
        }
        let records = payload.len().div_ceil(self.max_fragment_len).max(1);
        // Sequence numbers seq..seq+records are used; u64::MAX never is.
        let fits = u64::try_from(records)
            .ok()
            .and_then(|n| self.seq.checked_add(n))
            .is_some();
        if !fits {
            return Err(Error::SequenceExhausted);
        }

        let prefix_len = self.sealer.prefix_len();
        let overhead = HEADER_LEN + prefix_len + self.sealer.tag_len();
        let original_len = out.len();
        out.reserve(payload.len() + overhead * records);
        let header = RecordHeader {
            typ,
            version: self.version.to_wire(),
            len: 0,
        }
        .encode();

        let mut fragments = payload.chunks(self.max_fragment_len);
        // `chunks` yields nothing for an empty payload, which is one record.
        let first = fragments.next().unwrap_or_default();
        for fragment in core::iter::once(first).chain(fragments) {
            let start = out.len();
            out.extend_from_slice(&header);
            out.resize(start + HEADER_LEN + prefix_len, 0);
            out.extend_from_slice(fragment);
            if let Err(e) = self.sealer.seal(self.seq, typ, out, start) {
                out.truncate(original_len);
                return Err(e);
            }
            self.seq += 1;
        }
        Ok(())
    }

    /// Writes one alert as its own record.
    pub fn write_alert(
        &mut self,
        level: AlertLevel,
        description: AlertDescription,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let alert = AlertMessage { level, description };
        let mut bytes = Vec::with_capacity(AlertMessage::LEN);
        crate::codec::Codec::encode(&alert, &mut bytes);
        self.write(ContentType::Alert, &bytes, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes the sequence number into an 8-byte prefix and appends a
    /// 2-byte "tag" of 0xee, so tests can see what the writer passed in.
    struct SeqStamp;

    impl RecordSealer for SeqStamp {
        fn prefix_len(&self) -> usize {
            8
        }
        fn tag_len(&self) -> usize {
            2
        }
        fn seal(
            &self,
            seq: u64,
            typ: ContentType,
            record: &mut Vec<u8>,
            start: usize,
        ) -> Result<(), Error> {
            assert_eq!(record[start], typ.to_wire());
            record[start + HEADER_LEN..start + HEADER_LEN + 8].copy_from_slice(&seq.to_be_bytes());
            record.extend_from_slice(&[0xee, 0xee]);
            let len = u16::try_from(record.len() - start - HEADER_LEN).unwrap();
            record[start + 3..start + 5].copy_from_slice(&len.to_be_bytes());
            Ok(())
        }
    }

    struct Failing;

    impl RecordSealer for Failing {
        fn prefix_len(&self) -> usize {
            0
        }
        fn tag_len(&self) -> usize {
            0
        }
        fn seal(&self, _: u64, _: ContentType, _: &mut Vec<u8>, _: usize) -> Result<(), Error> {
            Err(Error::Internal("sealer failed"))
        }
    }

    /// Splits `wire` into (type, version, body) per record.
    fn records(mut wire: &[u8]) -> Vec<(u8, u16, Vec<u8>)> {
        let mut out = Vec::new();
        while !wire.is_empty() {
            let len = usize::from(u16::from_be_bytes([wire[3], wire[4]]));
            out.push((
                wire[0],
                u16::from_be_bytes([wire[1], wire[2]]),
                wire[5..5 + len].to_vec(),
            ));
            wire = &wire[5 + len..];
        }
        out
    }

    #[test]
    fn small_message_is_one_record() {
        let mut w = RecordWriter::new();
        let mut out = Vec::new();
        w.write(ContentType::Handshake, &[14, 0, 0, 0], &mut out)
            .unwrap();
        assert_eq!(out, [22, 3, 3, 0, 4, 14, 0, 0, 0]);
        assert_eq!(w.write_seq(), 1);
    }

    #[test]
    fn fragments_at_the_maximum() {
        let payload: Vec<u8> = (0..40_000u32).map(|i| i as u8).collect();
        let mut w = RecordWriter::new();
        let mut out = Vec::new();
        w.write(ContentType::ApplicationData, &payload, &mut out)
            .unwrap();
        let recs = records(&out);
        let sizes: Vec<usize> = recs.iter().map(|r| r.2.len()).collect();
        assert_eq!(sizes, [16384, 16384, 40_000 - 2 * 16384]);
        assert_eq!(recs.concat_bodies(), payload);
        assert_eq!(w.write_seq(), 3);
    }

    trait Concat {
        fn concat_bodies(&self) -> Vec<u8>;
    }
    impl Concat for Vec<(u8, u16, Vec<u8>)> {
        fn concat_bodies(&self) -> Vec<u8> {
            self.iter().flat_map(|r| r.2.iter().copied()).collect()
        }
    }

    #[test]
    fn fragments_at_a_configured_length() {
        let mut w = RecordWriter::new();
        w.set_max_fragment_len(512);
        let payload = vec![7u8; 1025];
        let mut out = Vec::new();
        w.write(ContentType::Handshake, &payload, &mut out).unwrap();
        let sizes: Vec<usize> = records(&out).iter().map(|r| r.2.len()).collect();
        assert_eq!(sizes, [512, 512, 1]);
    }

    #[test]
    fn clamps_the_fragment_length() {
        let mut w = RecordWriter::new();
        w.set_max_fragment_len(0);
        assert_eq!(w.max_fragment_len(), 1);
        w.set_max_fragment_len(1 << 20);
        assert_eq!(w.max_fragment_len(), MAX_PLAINTEXT_LEN);
        let mut out = Vec::new();
        w.set_max_fragment_len(1);
        w.write(ContentType::Alert, &[2, 40], &mut out).unwrap();
        assert_eq!(out, [21, 3, 3, 0, 1, 2, 21, 3, 3, 0, 1, 40]);
    }

    #[test]
    fn never_coalesces_messages() {
        let mut w = RecordWriter::new();
        let mut out = Vec::new();
        w.write(ContentType::Handshake, &[14, 0, 0, 0], &mut out)
            .unwrap();
        w.write(ContentType::Handshake, &[14, 0, 0, 0], &mut out)
            .unwrap();
        w.write_alert(AlertLevel::Warning, AlertDescription::CloseNotify, &mut out)
            .unwrap();
        let recs = records(&out);
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0], (22, 0x0303, vec![14, 0, 0, 0]));
        assert_eq!(recs[1], (22, 0x0303, vec![14, 0, 0, 0]));
        assert_eq!(recs[2], (21, 0x0303, vec![1, 0]));
    }

    #[test]
    fn sequence_numbers_go_through_the_sealer_and_reset() {
        let mut w = RecordWriter::new();
        let mut out = Vec::new();
        w.write(ContentType::Handshake, &[14, 0, 0, 0], &mut out)
            .unwrap();
        w.set_sealer(Box::new(SeqStamp));
        assert_eq!(w.write_seq(), 0);
        w.set_max_fragment_len(3);
        out.clear();
        w.write(ContentType::ApplicationData, b"abcdefg", &mut out)
            .unwrap();
        w.write(ContentType::ApplicationData, b"", &mut out)
            .unwrap();
        let recs = records(&out);
        let expect_body = |seq: u64, plain: &[u8]| {
            let mut b = seq.to_be_bytes().to_vec();
            b.extend_from_slice(plain);
            b.extend_from_slice(&[0xee, 0xee]);
            b
        };
        assert_eq!(
            recs,
            vec![
                (23, 0x0303, expect_body(0, b"abc")),
                (23, 0x0303, expect_body(1, b"def")),
                (23, 0x0303, expect_body(2, b"g")),
                (23, 0x0303, expect_body(3, b"")),
            ]
        );
        assert_eq!(w.write_seq(), 4);
    }

    #[test]
    fn empty_application_data_is_one_empty_record() {
        let mut w = RecordWriter::new();
        let mut out = Vec::new();
        w.write(ContentType::ApplicationData, &[], &mut out)
            .unwrap();
        assert_eq!(out, [23, 3, 3, 0, 0]);
    }

    #[test]
    fn empty_other_types_are_our_bug() {
        let mut w = RecordWriter::new();
        let mut out = Vec::new();
        for typ in [
            ContentType::Handshake,
            ContentType::Alert,
            ContentType::ChangeCipherSpec,
        ] {
            assert!(matches!(
                w.write(typ, &[], &mut out),
                Err(Error::Internal(_))
            ));
        }
        assert!(matches!(
            w.write(ContentType::Heartbeat, &[1], &mut out),
            Err(Error::Internal(_))
        ));
        assert!(out.is_empty());
        assert_eq!(w.write_seq(), 0);
    }

    #[test]
    fn sequence_number_never_wraps() {
        let mut w = RecordWriter::new();
        let mut out = Vec::new();
        w.seq = u64::MAX - 2;
        w.set_max_fragment_len(1);
        assert_eq!(
            w.write(ContentType::ApplicationData, b"abc", &mut out),
            Err(Error::SequenceExhausted)
        );
        assert!(out.is_empty(), "nothing written when it would not fit");
        w.write(ContentType::ApplicationData, b"ab", &mut out)
            .unwrap();
        assert_eq!(w.write_seq(), u64::MAX);
        assert_eq!(
            w.write(ContentType::ApplicationData, b"", &mut out),
            Err(Error::SequenceExhausted)
        );
    }

    #[test]
    fn sealer_failure_leaves_out_unchanged() {
        let mut w = RecordWriter::new();
        w.set_sealer(Box::new(Failing));
        let mut out = vec![1, 2, 3];
        assert!(
            w.write(ContentType::ApplicationData, b"x", &mut out)
                .is_err()
        );
        assert_eq!(out, [1, 2, 3]);
    }

    #[test]
    fn writes_the_configured_version() {
        let mut w = RecordWriter::new();
        w.set_version(ProtocolVersion::Tls10);
        let mut out = Vec::new();
        w.write(ContentType::Handshake, &[1, 0, 0, 0], &mut out)
            .unwrap();
        assert_eq!(&out[..5], [22, 3, 1, 0, 4]);
    }
}
