//! Reassembly of handshake messages and alerts that span records.
//!
//! Both joiners take plaintext slices and report how much they consumed,
//! so the deframer can return whole messages that sit inside one record
//! without copying them, and copy only what really spans records.

use crate::codec::Codec;
use crate::error::{Error, InvalidMessage};
use crate::message::AlertMessage;

/// Length of a handshake message header: type(1) length(3).
pub(crate) const HANDSHAKE_HEADER_LEN: usize = 4;

/// The type byte of a ClientHello (RFC 5246 7.4).
const CLIENT_HELLO: u8 = 1;

/// The largest handshake message body accepted, by type: a ClientHello
/// may legally be about twice as long as anything else a peer sends
/// (its suites and its extensions each take up to 2^16 bytes), so it has
/// its own limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HandshakeLimits {
    /// For a ClientHello.
    pub(crate) client_hello: usize,
    /// For every other type.
    pub(crate) other: usize,
}

impl HandshakeLimits {
    /// The limit for a message whose type byte is `typ`.
    fn for_type(self, typ: u8) -> usize {
        if typ == CLIENT_HELLO {
            self.client_hello
        } else {
            self.other
        }
    }
}

/// The whole length (header included) of the handshake message whose
/// header starts `bytes`, or `None` if fewer than 4 bytes are there.
///
/// A declared length above the limit for its type is refused here, before
/// any of the message is buffered.
pub(crate) fn handshake_len(bytes: &[u8], limits: HandshakeLimits) -> Result<Option<usize>, Error> {
    let Some(&[typ, a, b, c]) = bytes.get(..HANDSHAKE_HEADER_LEN) else {
        return Ok(None);
    };
    let declared = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
    let max = limits.for_type(typ);
    if declared > max {
        return Err(InvalidMessage::HandshakeMessageTooLarge { declared, max }.into());
    }
    Ok(Some(HANDSHAKE_HEADER_LEN + declared))
}

/// Gathers one handshake message whose bytes span records.
#[derive(Debug, Default)]
pub(crate) struct HandshakeJoiner {
    /// The bytes of the message so far; exactly one message when complete.
    buf: Vec<u8>,
    /// `buf` holds a complete message that was handed out and is dropped on
    /// the next [`HandshakeJoiner::discard_returned`].
    returned: bool,
}

impl HandshakeJoiner {
    /// Whether part of a message is buffered and not yet returned.
    pub(crate) fn is_partial(&self) -> bool {
        !self.returned && !self.buf.is_empty()
    }

    /// Bytes held that have not been returned.
    pub(crate) fn pending_len(&self) -> usize {
        if self.returned { 0 } else { self.buf.len() }
    }

    /// Heap held.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Drops the message handed out last time and releases its memory:
    /// messages that span records are rare (certificates), so an idle
    /// joiner holds no heap.
    pub(crate) fn discard_returned(&mut self) {
        if self.returned {
            self.buf = Vec::new();
            self.returned = false;
        }
    }

    /// Drops everything.
    pub(crate) fn clear(&mut self) {
        self.buf = Vec::new();
        self.returned = false;
    }

    /// Appends from `input` at most what the current message still needs.
    /// Returns how many bytes were taken and whether the message is now
    /// complete (then [`HandshakeJoiner::message`] holds it).
    pub(crate) fn push(
        &mut self,
        input: &[u8],
        limits: HandshakeLimits,
    ) -> Result<(usize, bool), Error> {
        debug_assert!(!self.returned);
        let mut taken = 0;
        if self.buf.len() < HANDSHAKE_HEADER_LEN {
            let want = (HANDSHAKE_HEADER_LEN - self.buf.len()).min(input.len());
            let (head, _) = input.split_at(want);
            self.buf.extend_from_slice(head);
            taken = want;
        }
        let Some(total) = handshake_len(&self.buf, limits)? else {
            return Ok((taken, false));
        };
        // Reserve exactly once, when the header has just arrived; `total`
        // is bounded by the limit, so this is the most this joiner ever
        // holds.
        self.buf.reserve_exact(total.saturating_sub(self.buf.len()));
        let rest = input.get(taken..).unwrap_or_default();
        let want = total.saturating_sub(self.buf.len()).min(rest.len());
        let (body, _) = rest.split_at(want);
        self.buf.extend_from_slice(body);
        taken += want;
        let complete = self.buf.len() == total;
        self.returned = complete;
        Ok((taken, complete))
    }

    /// The complete message, header included.
    pub(crate) fn message(&self) -> &[u8] {
        &self.buf
    }
}

/// Gathers alerts, which are two bytes and may arrive one byte per record.
#[derive(Debug, Default)]
pub(crate) struct AlertJoiner {
    bytes: [u8; AlertMessage::LEN],
    len: usize,
}

impl AlertJoiner {
    /// Takes bytes from `input` until one alert is complete. Returns how many
    /// bytes were taken and the alert, if one completed.
    pub(crate) fn push(&mut self, input: &[u8]) -> Result<(usize, Option<AlertMessage>), Error> {
        let mut taken = 0;
        for (slot, byte) in self.bytes.iter_mut().skip(self.len).zip(input) {
            *slot = *byte;
            taken += 1;
        }
        self.len += taken;
        if self.len < AlertMessage::LEN {
            return Ok((taken, None));
        }
        self.len = 0;
        let alert = AlertMessage::read_bytes(&self.bytes)?;
        Ok((taken, Some(alert)))
    }

    /// Whether one byte of an alert is buffered.
    pub(crate) fn is_partial(&self) -> bool {
        self.len != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::{AlertDescription, AlertLevel};

    /// The same limit for every type.
    fn all(max: usize) -> HandshakeLimits {
        HandshakeLimits {
            client_hello: max,
            other: max,
        }
    }

    #[test]
    fn handshake_len_needs_four_bytes() {
        assert_eq!(handshake_len(&[2, 0, 0], all(100)), Ok(None));
        assert_eq!(handshake_len(&[2, 0, 0, 3, 9], all(100)), Ok(Some(7)));
        assert_eq!(handshake_len(&[14, 0, 0, 0], all(100)), Ok(Some(4)));
    }

    #[test]
    fn client_hello_has_its_own_limit() {
        let limits = HandshakeLimits {
            client_hello: 0x2_0000,
            other: 0x1_0000,
        };
        assert_eq!(
            handshake_len(&[1, 0x01, 0x80, 0x00], limits),
            Ok(Some(4 + 0x1_8000))
        );
        assert_eq!(
            handshake_len(&[11, 0x01, 0x80, 0x00], limits),
            Err(InvalidMessage::HandshakeMessageTooLarge {
                declared: 0x1_8000,
                max: 0x1_0000
            }
            .into())
        );
        assert_eq!(
            handshake_len(&[1, 0x02, 0x00, 0x01], limits),
            Err(InvalidMessage::HandshakeMessageTooLarge {
                declared: 0x2_0001,
                max: 0x2_0000
            }
            .into())
        );
    }

    #[test]
    fn rejects_too_large_handshake_at_header() {
        assert_eq!(
            handshake_len(&[11, 0x01, 0x00, 0x01], all(0x1_0000)),
            Err(InvalidMessage::HandshakeMessageTooLarge {
                declared: 0x1_0001,
                max: 0x1_0000
            }
            .into())
        );
        let mut j = HandshakeJoiner::default();
        assert!(j.push(&[11, 0x01], all(0x1_0000)).is_ok());
        assert!(j.push(&[0x00, 0x01, 0xaa], all(0x1_0000)).is_err());
        assert!(j.capacity() < 64, "nothing was reserved for the body");
    }

    #[test]
    fn joins_byte_by_byte_and_stops_at_the_message_end() {
        let msg = [2, 0, 0, 3, 0xa, 0xb, 0xc];
        let mut j = HandshakeJoiner::default();
        for (i, b) in msg.iter().enumerate() {
            let (taken, done) = j.push(core::slice::from_ref(b), all(100)).unwrap();
            assert_eq!(taken, 1);
            assert_eq!(done, i == msg.len() - 1);
        }
        assert_eq!(j.message(), &msg);
        assert!(!j.is_partial());
        j.discard_returned();
        assert_eq!(j.capacity(), 0);

        let (taken, done) = j.push(&[14, 0, 0, 0, 99, 99], all(100)).unwrap();
        assert_eq!((taken, done), (4, true));
    }

    #[test]
    fn joins_split_alerts() {
        let mut a = AlertJoiner::default();
        assert_eq!(a.push(&[1]), Ok((1, None)));
        assert!(a.is_partial());
        let want = AlertMessage {
            level: AlertLevel::Warning,
            description: AlertDescription::UserCanceled,
        };
        assert_eq!(a.push(&[90, 2]), Ok((1, Some(want))));
        assert!(!a.is_partial());
        assert!(a.push(&[7, 0]).is_err(), "unknown level");
    }
}
