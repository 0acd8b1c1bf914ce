//! The inbound half of the record layer: deframing, opening, and
//! reassembly of handshake messages and alerts.

use core::fmt;
use core::ops::Range;
use std::io;

use crate::enums::{ContentType, HandshakeType};
use crate::error::{Error, InvalidMessage, Received};
use crate::message::{AlertMessage, ChangeCipherSpecPayload, MAX_CLIENT_HELLO_LEN};

use super::header::{
    MAX_CIPHERTEXT_LEN, MAX_PLAINTEXT_LEN, MAX_RECORD_LEN, RecordHeader, is_tls12_content_type,
};
use super::joiner::{AlertJoiner, HandshakeJoiner, HandshakeLimits, handshake_len};
use super::protection::{HEADER_LEN, NullProtection, RecordOpener};

/// The default largest handshake message body accepted, for every type but
/// ClientHello: 64 KiB.
pub const DEFAULT_MAX_HANDSHAKE_LEN: usize = 64 * 1024;

/// The most wire bytes a reader buffers beyond the application data it
/// holds for [`RecordReader::consume_data`]: one largest protected record
/// with its header (5 + 2^14 + 2048 bytes, RFC 5246 6.2.3), as rustls
/// buffers about one record per read. [`RecordReader::feed`] takes no more
/// than fits under it and says how much it took; what a peer sends can
/// then never grow the buffer further, and since a whole record always
/// fits, the reader always makes progress once its messages are read.
pub const MAX_BUFFERED_LEN: usize = MAX_RECORD_LEN;

/// The smallest read [`RecordReader::read_from`] asks for.
const MIN_READ: usize = 4096;

/// The most heap a drained reader keeps: its wire buffer, when no larger
/// than this, stays for the next bytes instead of being freed.
///
/// This is what lets a connection that keeps receiving small records
/// (up to 1 KiB of plaintext: 5 bytes of header and 24 of AEAD overhead
/// fit in the 64 to spare) go without an allocation per record, while an
/// idle reader still holds at most this much. A larger buffer (a 16 KiB
/// record, a handshake flight with certificates) is freed once drained:
/// keeping it would make every idle connection hold a largest record, and
/// a reader cannot tell a pause between records from the end of the
/// traffic. See docs/performance.md, "Bulk AES-GCM".
///
/// Except while large records stream: from the [`STREAMING_AFTER`]th
/// record larger than this in a row, a drained buffer is kept for the
/// next one, so a steady stream of 16 KiB records allocates (and
/// zero-fills) nothing per record. A smaller record ends the streak, and
/// its drain frees the buffer; so does
/// [`release_buffer`](RecordReader::release_buffer), for a caller that
/// knows the stream has gone quiet.
pub const MAX_IDLE_CAPACITY: usize = 1024 + 64;

/// Large records in a row after which a drained buffer is kept (see
/// [`MAX_IDLE_CAPACITY`]). Two: one 16 KiB round trip is not a stream, and
/// leaves an idle connection as small as before.
pub const STREAMING_AFTER: u8 = 2;

/// One message from the peer, as the record layer hands it up.
///
/// Borrowed items point into the reader's buffers and stay valid until the
/// reader is used again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inbound<'a> {
    /// One whole handshake message.
    Handshake {
        /// Its type, from its first byte.
        typ: HandshakeType,
        /// The whole message including its 4-byte header, exactly as it goes
        /// into the transcript hash.
        encoded: &'a [u8],
    },
    /// A ChangeCipherSpec; the caller installs the new opener with
    /// [`RecordReader::set_opener`] before asking for the next message.
    /// Never handed out in TLS 1.3 mode ([`RecordReader::set_tls13`]).
    ChangeCipherSpec,
    /// One alert.
    Alert(AlertMessage),
    /// The plaintext of one application data record (possibly empty).
    ApplicationData(&'a [u8]),
}

/// Where the next message handed out sits; computed without borrowing so
/// the borrow of the buffer starts only when it is returned.
#[derive(Clone, Debug)]
enum Ready {
    /// A handshake message inside the current record.
    HandshakeInRecord(Range<usize>),
    /// A handshake message gathered from several records.
    HandshakeJoined,
    ChangeCipherSpec,
    Alert(AlertMessage),
    ApplicationData(Range<usize>),
}

/// The opened record whose plaintext is being handed out.
#[derive(Clone, Copy, Debug)]
struct Current {
    typ: ContentType,
    /// Next plaintext byte not yet handed out (absolute in `buf`).
    pos: usize,
    /// End of the plaintext.
    end: usize,
    /// End of the whole record (after any AEAD tag).
    record_end: usize,
}

/// Turns the peer's byte stream into [`Inbound`] messages.
///
/// Sans-IO: bytes come in through [`RecordReader::feed`] or
/// [`RecordReader::read_from`], messages come out of
/// [`RecordReader::next_message`], one per call.
///
/// Records are opened lazily, only when `next_message` reaches them,
/// because the opener changes at ChangeCipherSpec and records after it in
/// the same buffer need the new key. They are opened in place; consumed
/// bytes are discarded lazily (the buffer is compacted only when new bytes
/// would not otherwise fit), and buffers are released once empty, except a
/// wire buffer of at most [`MAX_IDLE_CAPACITY`] bytes, kept for the next
/// bytes.
///
/// Application data can also be read in place and in parts:
/// [`peek_message`](Self::peek_message) hands out the unread rest of the
/// current application data record until [`consume_data`](Self::consume_data)
/// marks it read.
///
/// After any error the reader is dead: every later `next_message` returns
/// the same error.
///
/// # TLS 1.3
///
/// The handshake switches the reader to TLS 1.3 rules with
/// [`set_tls13`](Self::set_tls13) as soon as 1.3 is negotiated, and installs
/// each new key with [`install_opener`](Self::install_opener), which fails
/// unless the key change falls on a record boundary (RFC 8446 5.1). Then:
///
/// - an unprotected change_cipher_spec record holding exactly the byte 1
///   is dropped, without effect and without using a sequence number, until
///   [`end_compat_ccs`](Self::end_compat_ccs); any other one, and any one
///   after that, is `unexpected_message` (RFC 8446 5);
/// - once an opener is installed, every other record must be
///   application_data on the outside; its inner type (from the opener)
///   decides what it is, and an inner change_cipher_spec is
///   `unexpected_message`;
/// - nothing may come between the records of a split handshake message,
///   not even the alert TLS 1.2 lets through (RFC 8446 5.1);
/// - an alert record must hold exactly one alert (RFC 8446 5.1), and empty
///   handshake and alert records are refused as in TLS 1.2;
/// - a server that rejected the client's 0-RTT data skips it
///   ([`skip_rejected_early_data`](Self::skip_rejected_early_data)).
pub struct RecordReader {
    /// Initialised storage; `buf[start..filled]` is not yet discarded.
    buf: Vec<u8>,
    start: usize,
    filled: usize,
    current: Option<Current>,
    opener: Box<dyn RecordOpener>,
    /// The largest record body accepted: the plaintext limit before
    /// protection, the ciphertext limit after it (RFC 5246 6.2.3); set
    /// with the opener, not asked of it per record.
    max_body: usize,
    /// Sequence number of the next record to open.
    seq: u64,
    handshake: HandshakeJoiner,
    alert: AlertJoiner,
    handshake_limits: HandshakeLimits,
    /// TLS 1.3 record rules apply ([`RecordReader::set_tls13`]).
    tls13: bool,
    /// TLS 1.3: an unprotected `change_cipher_spec` of the byte 1 is still
    /// dropped rather than refused (until the peer's Finished; for a client
    /// that offered TLS 1.3, from its first ClientHello on).
    compat_ccs: bool,
    /// An opener has been installed, so every record is protected.
    protected: bool,
    /// The wire length of the last record opened: `read_from` asks for at
    /// least this much, so a stream of large records takes one read per
    /// record (or fewer), not a 4 KiB read and then the rest.
    last_record_len: usize,
    /// Records larger than [`MAX_IDLE_CAPACITY`] opened in a row (up to
    /// [`STREAMING_AFTER`]): a stream, whose buffer is kept when drained.
    large_in_a_row: u8,
    /// The most a drained reader keeps (see [`MAX_IDLE_CAPACITY`], the
    /// default; [`set_idle_capacity`](Self::set_idle_capacity)).
    idle_capacity: usize,
    /// TLS 1.3 server that rejected 0-RTT: how many more bytes of the
    /// client's early data may be skipped (RFC 8446 4.2.10).
    skip_early: Option<usize>,
    failed: Option<Error>,
}

impl fmt::Debug for RecordReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordReader")
            .field("buffered", &self.buffered_len())
            .field("seq", &self.seq)
            .field("partial_handshake", &self.handshake.is_partial())
            .field("partial_alert", &self.alert.is_partial())
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl Default for RecordReader {
    fn default() -> Self {
        Self::new()
    }
}

impl RecordReader {
    /// A reader with no protection (before the first ChangeCipherSpec),
    /// read sequence number 0, and the default handshake message limits:
    /// [`MAX_CLIENT_HELLO_LEN`] (the largest legal one) for a ClientHello,
    /// [`DEFAULT_MAX_HANDSHAKE_LEN`] for the rest.
    pub fn new() -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            filled: 0,
            current: None,
            opener: Box::new(NullProtection),
            max_body: MAX_PLAINTEXT_LEN,
            seq: 0,
            handshake: HandshakeJoiner::default(),
            alert: AlertJoiner::default(),
            handshake_limits: HandshakeLimits {
                client_hello: MAX_CLIENT_HELLO_LEN,
                other: DEFAULT_MAX_HANDSHAKE_LEN,
            },
            tls13: false,
            compat_ccs: false,
            protected: false,
            last_record_len: 0,
            large_in_a_row: 0,
            idle_capacity: MAX_IDLE_CAPACITY,
            skip_early: None,
            failed: None,
        }
    }

    /// Installs the opener for records after a ChangeCipherSpec and resets
    /// the read sequence number to 0 (RFC 5246 6.1).
    ///
    /// Call it right after `next_message` returns
    /// [`Inbound::ChangeCipherSpec`]; records already buffered behind the
    /// ChangeCipherSpec are opened with the new opener.
    ///
    /// Bodies longer than the opener's
    /// [`max_body_len`](RecordOpener::max_body_len) (never more than
    /// 2^14 + 2048) are `record_overflow` from then on.
    ///
    /// This does not check that the key change falls on a record boundary:
    /// under TLS 1.2 the ChangeCipherSpec record ends at it by construction.
    /// TLS 1.3 key changes use [`install_opener`](Self::install_opener).
    pub fn set_opener(&mut self, opener: Box<dyn RecordOpener>) {
        // A new key ends the skipping of rejected early data: after a
        // HelloRetryRequest the client sends none past its second hello.
        self.skip_early = None;
        self.max_body = opener.max_body_len().min(MAX_CIPHERTEXT_LEN);
        self.opener = opener;
        self.seq = 0;
        self.protected = true;
    }

    /// Installs the opener for the records after a key change, as
    /// [`set_opener`](Self::set_opener) does, if the key change falls on a
    /// record boundary (RFC 8446 5.1): otherwise, when part of a handshake
    /// message or alert is buffered or bytes of the current record (under
    /// the old key) are unread, it fails with [`Error::UnexpectedMessage`]
    /// and the reader is dead. That also refuses a record that carried the
    /// last message under the old key together with bytes after it.
    ///
    /// The TLS 1.3 handshake calls this at each key change, right after
    /// reading the message that ends the old key.
    pub fn install_opener(&mut self, opener: Box<dyn RecordOpener>) -> Result<(), Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let unread = self.current.filter(|c| c.pos < c.end).map(|c| c.typ);
        let straddling = if self.handshake.is_partial() {
            Some(ContentType::Handshake)
        } else if self.alert.is_partial() {
            Some(ContentType::Alert)
        } else {
            unread
        };
        if let Some(typ) = straddling {
            return Err(self.fail(Error::UnexpectedMessage {
                expected: "a key change on a record boundary",
                got: Received::Record(typ),
            }));
        }
        self.set_opener(opener);
        Ok(())
    }

    /// Switches to the TLS 1.3 record rules (see the type's docs), with
    /// compatibility change_cipher_spec records dropped until
    /// [`end_compat_ccs`](Self::end_compat_ccs). The handshake calls it
    /// once TLS 1.3 is negotiated, before reading the next record; there is
    /// no way back.
    pub fn set_tls13(&mut self) {
        if !self.tls13 {
            self.tls13 = true;
            self.compat_ccs = true;
        }
    }

    /// A client that offered TLS 1.3 calls this when it sends its first
    /// ClientHello: until the ServerHello decides the version, an
    /// unprotected change_cipher_spec of the byte 1 is dropped as TLS 1.3
    /// drops it (RFC 8446 5: "at any time after the first ClientHello
    /// message has been sent"), since a middlebox-compatible server may
    /// send it right after a HelloRetryRequest or before its ServerHello
    /// reaches us. A ServerHello for TLS 1.2 ends it
    /// ([`end_compat_ccs`](Self::end_compat_ccs)); one for TLS 1.3 keeps it
    /// ([`set_tls13`](Self::set_tls13)).
    pub fn drop_compat_ccs_before_server_hello(&mut self) {
        if !self.tls13 && !self.protected {
            self.compat_ccs = true;
        }
    }

    /// TLS 1.3, a server that did not accept the 0-RTT data a ClientHello
    /// announced (RFC 8446 4.2.10): from now on, records that are
    /// application_data on the outside are skipped while the reader is
    /// unprotected (after a HelloRetryRequest), and records that do not
    /// open under the installed key (the handshake key) are skipped once it
    /// is protected, until the first record that opens, which ends the
    /// skipping (as does the next key). At most `budget` bytes are skipped,
    /// counted as each record's body less the least TLS 1.3 overhead (a
    /// 16-byte tag and the content type), so that no more than
    /// `budget` bytes of early plaintext pass; one byte more is
    /// `unexpected_message`.
    pub fn skip_rejected_early_data(&mut self, budget: usize) {
        self.skip_early = Some(budget);
    }

    /// Charges a skipped early data record of body length `len` to the
    /// budget.
    fn charge_skipped(&mut self, len: usize) -> Result<(), Error> {
        const LEAST_TLS13_OVERHEAD: usize = 17;
        let budget = self.skip_early.unwrap_or(0);
        match budget.checked_sub(len.saturating_sub(LEAST_TLS13_OVERHEAD)) {
            Some(left) => {
                self.skip_early = Some(left);
                Ok(())
            }
            None => Err(Error::UnexpectedMessage {
                expected: "no more rejected early data than max_early_data_size",
                got: Received::Record(ContentType::ApplicationData),
            }),
        }
    }

    /// TLS 1.3: from now on an unprotected change_cipher_spec is
    /// `unexpected_message` too. The handshake calls it once it has received
    /// the peer's Finished (RFC 8446 5).
    pub fn end_compat_ccs(&mut self) {
        self.compat_ccs = false;
    }

    /// Sets the largest handshake message body accepted for every type but
    /// ClientHello; a message whose header declares more is refused
    /// ([`InvalidMessage::HandshakeMessageTooLarge`]) as soon as its header
    /// is seen, before any of its body is buffered.
    pub fn set_max_handshake_len(&mut self, max: usize) {
        self.handshake_limits.other = max;
    }

    /// Sets the largest ClientHello body accepted, refused in the same way
    /// as [`set_max_handshake_len`](Self::set_max_handshake_len).
    pub fn set_max_client_hello_len(&mut self, max: usize) {
        self.handshake_limits.client_hello = max;
    }

    /// Whether handshake bytes have been received that have not been
    /// handed out as a whole message: part of a message spanning records,
    /// or messages still unread in the current record.
    ///
    /// The handshake layer checks this at ChangeCipherSpec, where handshake
    /// messages must not straddle the key change.
    pub fn has_partial_handshake(&self) -> bool {
        self.handshake.is_partial()
            || self
                .current
                .is_some_and(|c| c.typ == ContentType::Handshake && c.pos < c.end)
    }

    /// Bytes received and not yet handed out or discarded: wire bytes still
    /// buffered plus any partial handshake message.
    pub fn buffered_len(&self) -> usize {
        self.filled - self.start + self.handshake.pending_len()
    }

    /// Heap currently held by the reader's buffers. At most
    /// [`MAX_IDLE_CAPACITY`] when idle (nothing buffered).
    pub fn capacity(&self) -> usize {
        self.buf.capacity() + self.handshake.capacity()
    }

    /// Appends bytes from the peer, in slices of any size down to one
    /// byte, as far as they fit under [`MAX_BUFFERED_LEN`], and returns how
    /// many were taken. The rest must be fed again once messages have been
    /// read ([`next_message`](Self::next_message)): that is the
    /// backpressure. `0` means the buffer is full. After an error the bytes
    /// are dropped (nothing more will be read) and all count as taken.
    #[must_use = "bytes past the count were not taken: feed them again after reading"]
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        if self.failed.is_some() {
            return bytes.len();
        }
        let bytes = bytes
            .get(..self.room().min(bytes.len()))
            .unwrap_or_default();
        let n = bytes.len();
        self.compact_for(n);
        match self.buf.get_mut(self.filled..self.filled + n) {
            Some(dst) => dst.copy_from_slice(bytes),
            // Append without zero-filling first: one pass over the bytes.
            None => {
                self.buf.truncate(self.filled);
                self.buf.extend_from_slice(bytes);
            }
        }
        self.filled += n;
        n
    }

    /// Like [`feed`](Self::feed), but takes over `bytes` when nothing is
    /// buffered and they fit under [`MAX_BUFFERED_LEN`], so a record handed
    /// over in its own vector is opened where it lies, without a copy.
    /// Otherwise copies what fits. Returns the bytes not taken (empty when
    /// all were), to be fed again once messages have been read: nothing is
    /// lost. After an error everything counts as taken.
    #[must_use = "bytes not taken are handed back: feed them again after reading"]
    pub fn feed_owned(&mut self, mut bytes: Vec<u8>) -> Vec<u8> {
        if self.failed.is_some() {
            return Vec::new();
        }
        if self.start == self.filled && self.current.is_none() && bytes.len() <= MAX_BUFFERED_LEN {
            self.start = 0;
            self.filled = bytes.len();
            self.buf = bytes;
            return Vec::new();
        }
        let taken = self.feed(&bytes);
        bytes.drain(..taken);
        bytes
    }

    /// How many more wire bytes fit under [`MAX_BUFFERED_LEN`].
    fn room(&self) -> usize {
        // Application data held by `peek_message` does not count: it is
        // the caller's to consume, and reading must go on meanwhile.
        MAX_BUFFERED_LEN.saturating_sub(self.filled - self.unheld_start())
    }

    /// Performs one `read` from `rd` into the reader's buffer and returns
    /// the byte count; 0 means end of stream.
    ///
    /// The read asks for what completes the next record, at least 4 KiB
    /// and at least the last record's length (so a stream of large records
    /// takes one read each), so the buffer never holds more than one
    /// largest record plus one read (plus an application data record held by
    /// [`peek_message`](Self::peek_message) and not consumed yet). If a
    /// whole largest record is already buffered, this fails
    /// with [`io::ErrorKind::Other`]: call `next_message` first. After
    /// `next_message` has failed this fails too, without reading.
    pub fn read_from(&mut self, rd: &mut dyn io::Read) -> io::Result<usize> {
        if let Some(e) = &self.failed {
            return Err(io::Error::other(e.clone()));
        }
        let room = self.room();
        if room == 0 {
            return Err(io::Error::other(
                "record buffer full: call next_message first",
            ));
        }
        let want = room.min(
            MIN_READ
                .max(self.next_record_needs())
                .max(self.last_record_len),
        );
        self.make_room(want);
        let Some(dst) = self.buf.get_mut(self.filled..self.filled + want) else {
            return Ok(0);
        };
        // A reader claiming more than it was given is broken; keep only
        // what fits.
        let got = rd.read(dst)?.min(want);
        self.filled += got;
        Ok(got)
    }

    /// The next message, or `None` when more bytes are needed.
    ///
    /// Handshake messages come one per call however they were split into
    /// records; several alerts in one record likewise. A record other than
    /// handshake or alert while a handshake message is partly received is
    /// [`Error::UnexpectedMessage`], and so is any record but an alert
    /// while an alert is partly received (its second byte must come next,
    /// before anything else and before a key change).
    #[inline]
    pub fn next_message(&mut self) -> Result<Option<Inbound<'_>>, Error> {
        if self.drained() {
            return Ok(None);
        }
        self.next(false)
    }

    /// Like [`next_message`](Self::next_message), except that application
    /// data stays in the reader until [`consume_data`](Self::consume_data):
    /// while a record's plaintext is not all consumed, every call hands out
    /// its unread rest again, in place. Other messages are handed out once,
    /// as by `next_message`; so is an empty application data record.
    #[inline]
    pub fn peek_message(&mut self) -> Result<Option<Inbound<'_>>, Error> {
        if self.drained() {
            return Ok(None);
        }
        self.next(true)
    }

    /// Whether nothing at all is buffered (and the reader has not failed),
    /// in which case `next` would find nothing: then does what `next` does
    /// on finding nothing. Checked first, inline, because every reading
    /// loop ends with such a call, once per record when records come one
    /// at a time.
    #[inline]
    fn drained(&mut self) -> bool {
        if self.failed.is_some() || self.start != self.filled || self.current.is_some() {
            return false;
        }
        self.handshake.discard_returned();
        self.release_if_idle();
        true
    }

    /// Marks the first `n` bytes of the application data handed out by
    /// [`peek_message`](Self::peek_message) as read (all of it if `n` is
    /// larger); once all is read, the next call moves on to the next
    /// record. Does nothing unless an application data record is current.
    #[inline]
    pub fn consume_data(&mut self, n: usize) {
        if let Some(current) = self.current {
            if current.typ == ContentType::ApplicationData {
                self.consume(n.min(current.end - current.pos));
            }
        }
    }

    /// The unread application data of the current record: what
    /// `peek_message` would hand out again. Empty when there is none.
    #[inline]
    pub(crate) fn held_data(&self) -> &[u8] {
        match self.current {
            Some(c) if c.typ == ContentType::ApplicationData => {
                self.buf.get(c.pos..c.end).unwrap_or_default()
            }
            _ => &[],
        }
    }

    /// Drops everything buffered (nothing more will be read), keeping no
    /// heap; bytes fed later are buffered as usual.
    pub(crate) fn discard(&mut self) {
        self.buf = Vec::new();
        self.start = 0;
        self.filled = 0;
        self.current = None;
        self.handshake.clear();
    }

    fn next(&mut self, hold_data: bool) -> Result<Option<Inbound<'_>>, Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let ready = match self.advance(hold_data) {
            Ok(Some(ready)) => ready,
            Ok(None) => {
                self.release_if_idle();
                return Ok(None);
            }
            Err(e) => return Err(self.fail(e)),
        };
        self.view(ready).map(Some)
    }

    /// Records the error, drops all buffers, and returns it.
    fn fail(&mut self, e: Error) -> Error {
        self.failed = Some(e.clone());
        self.discard();
        e
    }

    /// Turns a located message into the borrowed form.
    fn view(&self, ready: Ready) -> Result<Inbound<'_>, Error> {
        const BUG: Error = Error::Internal("record reader lost track of its buffer");
        Ok(match ready {
            Ready::HandshakeInRecord(range) => handshake_view(self.buf.get(range).ok_or(BUG)?)?,
            Ready::HandshakeJoined => handshake_view(self.handshake.message())?,
            Ready::ChangeCipherSpec => Inbound::ChangeCipherSpec,
            Ready::Alert(alert) => Inbound::Alert(alert),
            Ready::ApplicationData(range) => {
                Inbound::ApplicationData(self.buf.get(range).ok_or(BUG)?)
            }
        })
    }

    /// Finds the next message, opening records as needed. With
    /// `hold_data`, application data is located but not consumed.
    fn advance(&mut self, hold_data: bool) -> Result<Option<Ready>, Error> {
        self.handshake.discard_returned();
        loop {
            let Some(current) = self.current else {
                match self.open_next()? {
                    Opened::NeedMore => return Ok(None),
                    Opened::Record | Opened::Dropped => continue,
                    Opened::Empty(ready) => return Ok(Some(ready)),
                }
            };
            let plaintext = self
                .buf
                .get(current.pos..current.end)
                .ok_or(Error::Internal("record reader lost track of its record"))?;
            let (taken, ready) = match current.typ {
                ContentType::Handshake => {
                    if !self.handshake.is_partial() {
                        if let Some(len) = handshake_len(plaintext, self.handshake_limits)? {
                            if len <= plaintext.len() {
                                let range = current.pos..current.pos + len;
                                self.consume(len);
                                return Ok(Some(Ready::HandshakeInRecord(range)));
                            }
                        }
                    }
                    let (taken, complete) =
                        self.handshake.push(plaintext, self.handshake_limits)?;
                    (taken, complete.then_some(Ready::HandshakeJoined))
                }
                ContentType::Alert => {
                    let (taken, alert) = self.alert.push(plaintext)?;
                    (taken, alert.map(Ready::Alert))
                }
                ContentType::ChangeCipherSpec => {
                    ChangeCipherSpecPayload::read_record_body(plaintext)?;
                    (plaintext.len(), Some(Ready::ChangeCipherSpec))
                }
                ContentType::ApplicationData => (
                    if hold_data { 0 } else { plaintext.len() },
                    Some(Ready::ApplicationData(current.pos..current.end)),
                ),
                _ => return Err(Error::Internal("record of unknown type was opened")),
            };
            self.consume(taken);
            if ready.is_some() {
                return Ok(ready);
            }
        }
    }

    /// Marks `n` plaintext bytes of the current record handed out; at its
    /// end the record is discarded (lazily: only `start` moves).
    fn consume(&mut self, n: usize) {
        if let Some(current) = &mut self.current {
            current.pos += n;
            if current.pos >= current.end {
                self.start = current.record_end;
                self.current = None;
            }
        }
    }

    /// Parses, checks and opens the next record if it is all here.
    fn open_next(&mut self) -> Result<Opened, Error> {
        let Some(&[a, b, c, d, e]) = self
            .buf
            .get(self.start..self.filled)
            .and_then(|b| b.get(..HEADER_LEN))
        else {
            return Ok(Opened::NeedMore);
        };
        // Before protection a body is its plaintext: the plaintext limit
        // applies. After it, the ciphertext limit, then the plaintext limit
        // once opened (RFC 5246 6.2.3).
        let header = RecordHeader::decode([a, b, c, d, e], self.max_body)?;
        // Under TLS 1.3 keys the header says application_data whatever the
        // record holds: its inner type is checked once opened.
        let hides_type = self.tls13 && self.protected;
        if !(hides_type && header.typ == ContentType::ApplicationData) {
            self.check_continuation(header.typ)?;
        }
        // TLS 1.3 (RFC 8446 5): under keys only application_data, and a
        // change_cipher_spec only while the compatibility one is allowed;
        // refused from the header, before the body is waited for.
        if self.tls13 {
            if header.typ == ContentType::ChangeCipherSpec && !self.compat_ccs {
                return Err(Error::UnexpectedMessage {
                    expected: "no change_cipher_spec after the peer's Finished",
                    got: Received::Record(header.typ),
                });
            }
            if self.protected
                && !matches!(
                    header.typ,
                    ContentType::ApplicationData | ContentType::ChangeCipherSpec
                )
            {
                return Err(Error::UnexpectedMessage {
                    expected: "a protected (application_data) record",
                    got: Received::Record(header.typ),
                });
            }
        }
        let body_start = self.start + HEADER_LEN;
        let record_end = body_start + header.len;
        self.last_record_len = HEADER_LEN + header.len;
        if record_end > self.filled {
            return Ok(Opened::NeedMore);
        }
        self.large_in_a_row = if self.last_record_len > self.idle_capacity {
            self.large_in_a_row.saturating_add(1).min(STREAMING_AFTER)
        } else {
            0
        };
        let drops_ccs = self.tls13 || (self.compat_ccs && !self.protected);
        if drops_ccs && header.typ == ContentType::ChangeCipherSpec {
            // The compatibility change_cipher_spec: dropped, unprotected,
            // and not counted in the sequence numbers; anything but the
            // single byte 1 is unexpected_message.
            let body = self.buf.get(body_start..record_end).unwrap_or_default();
            ChangeCipherSpecPayload::read_record_body(body)?;
            self.start = record_end;
            return Ok(Opened::Dropped);
        }
        let skipping = self.skip_early.is_some() && header.typ == ContentType::ApplicationData;
        if skipping && !self.protected {
            // Rejected early data before a HelloRetryRequest's second
            // ClientHello: no key could open it.
            self.charge_skipped(header.len)?;
            self.start = record_end;
            return Ok(Opened::Dropped);
        }
        if self.seq == u64::MAX {
            return Err(Error::SequenceExhausted);
        }
        let body = self
            .buf
            .get_mut(body_start..record_end)
            .ok_or(Error::Internal("record reader lost track of its buffer"))?;
        let (typ, plain) = match self.opener.open(self.seq, header.typ, header.version, body) {
            // Rejected early data under the early key: skipped, and it
            // uses no sequence number of the key that did not open it.
            Err(Error::DecryptFailed) if skipping => {
                self.charge_skipped(header.len)?;
                self.start = record_end;
                return Ok(Opened::Dropped);
            }
            opened => opened?,
        };
        // The first record that opens is the client's second flight.
        self.skip_early = None;
        self.seq += 1;
        if hides_type {
            self.check_continuation(typ)?;
        }
        // The type that counts is the opener's: the inner one under TLS 1.3.
        // There the change_cipher_spec only ever comes unprotected (handled
        // above), so one inside a protected record is refused (RFC 8446 5).
        if !is_tls12_content_type(typ) || (self.tls13 && typ == ContentType::ChangeCipherSpec) {
            return Err(Error::UnexpectedMessage {
                expected: "a handshake, alert or application_data record",
                got: Received::Record(typ),
            });
        }
        if plain.start > plain.end || plain.end > header.len {
            return Err(Error::Internal(
                "opener returned a range outside the record",
            ));
        }
        if plain.len() > MAX_PLAINTEXT_LEN {
            return Err(Error::RecordOverflow {
                len: plain.len(),
                limit: MAX_PLAINTEXT_LEN,
            });
        }
        if plain.is_empty() {
            // RFC 5246 6.2.1: zero-length fragments of handshake, alert or
            // change_cipher_spec MUST NOT be sent; application data may be.
            // RFC 8446 5.1 says the same of handshake and alert records.
            if typ != ContentType::ApplicationData {
                return Err(InvalidMessage::EmptyFragment(typ).into());
            }
            self.start = record_end;
            return Ok(Opened::Empty(Ready::ApplicationData(
                record_end..record_end,
            )));
        }
        // RFC 8446 5.1: an alert record holds exactly one alert, neither
        // split across records nor coalesced with others.
        if self.tls13 && typ == ContentType::Alert {
            match plain.len() {
                AlertMessage::LEN => {}
                n if n < AlertMessage::LEN => {
                    return Err(InvalidMessage::MissingData("alert").into());
                }
                _ => return Err(InvalidMessage::TrailingData("alert").into()),
            }
        }
        self.current = Some(Current {
            typ,
            pos: body_start + plain.start,
            end: body_start + plain.end,
            record_end,
        });
        Ok(Opened::Record)
    }

    /// Refuses a record of type `typ` where it would interleave with a
    /// partly received handshake message or alert.
    fn check_continuation(&self, typ: ContentType) -> Result<(), Error> {
        // TLS 1.2 lets alerts come between the fragments of a handshake
        // message; TLS 1.3 lets nothing (RFC 8446 5.1).
        let continues = typ == ContentType::Handshake || (!self.tls13 && typ == ContentType::Alert);
        if self.handshake.is_partial() && !continues {
            return Err(Error::UnexpectedMessage {
                expected: "the rest of a handshake message",
                got: Received::Record(typ),
            });
        }
        // The second byte of a split alert must come in the very next
        // record: left waiting, half an alert would survive other records
        // and the change of keys, and be completed by a later, authentic
        // alert into one the peer never sent.
        if self.alert.is_partial() && typ != ContentType::Alert {
            return Err(Error::UnexpectedMessage {
                expected: "the rest of an alert",
                got: Received::Record(typ),
            });
        }
        Ok(())
    }

    /// How many more bytes complete the next record, as far as its header
    /// (if here) tells.
    fn next_record_needs(&self) -> usize {
        let start = self.unheld_start();
        let buffered = self.buf.get(start..self.filled).unwrap_or_default();
        match buffered {
            // Unless a record that is not held is being handed out, the
            // buffered bytes start with the next record's header.
            [_, _, _, hi, lo, ..] if self.current.is_none() || start != self.start => (HEADER_LEN
                + usize::from(u16::from_be_bytes([*hi, *lo])))
            .saturating_sub(buffered.len()),
            _ => HEADER_LEN.saturating_sub(buffered.len()),
        }
    }

    /// Makes `n` bytes of room after `filled`, discarding consumed bytes
    /// first (by reset, or by compaction only when the room is otherwise
    /// missing), growing the buffer last.
    fn make_room(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        self.compact_for(n);
        if self.buf.len() - self.filled < n {
            self.buf.resize(self.filled + n, 0);
        }
    }

    /// Reuses the buffer from its start when it is drained, or moves the
    /// unread bytes to the front when `n` more would not fit behind them.
    fn compact_for(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        if self.start == self.filled && self.current.is_none() {
            self.start = 0;
            self.filled = 0;
        }
        if self.buf.len() - self.filled < n && self.start > 0 {
            let shift = self.start;
            self.buf.copy_within(shift..self.filled, 0);
            self.filled -= shift;
            self.start = 0;
            if let Some(current) = &mut self.current {
                current.pos -= shift;
                current.end -= shift;
                current.record_end -= shift;
            }
        }
    }

    /// Where the bytes start that are not application data held for
    /// [`consume_data`](Self::consume_data).
    fn unheld_start(&self) -> usize {
        match self.current {
            Some(c) if c.typ == ContentType::ApplicationData => c.record_end,
            _ => self.start,
        }
    }

    /// When nothing is left in the wire buffer, reuses it from its start,
    /// or frees it if it is larger than [`MAX_IDLE_CAPACITY`] and large
    /// records are not streaming (see there).
    fn release_if_idle(&mut self) {
        if self.start == self.filled && self.current.is_none() {
            self.start = 0;
            self.filled = 0;
            if self.buf.capacity() > self.idle_capacity && self.large_in_a_row < STREAMING_AFTER {
                self.buf = Vec::new();
            }
        }
    }

    /// Sets the most heap a drained reader keeps for the next bytes
    /// (default [`MAX_IDLE_CAPACITY`]): more lets a connection that
    /// receives larger records now and then go without allocating for
    /// each, at that cost in idle memory; 0 frees every drained buffer
    /// (while large records stream, the buffer is kept either way).
    pub fn set_idle_capacity(&mut self, bytes: usize) {
        self.idle_capacity = bytes;
    }

    /// The most heap a drained reader keeps ([`set_idle_capacity`](Self::set_idle_capacity)).
    pub fn idle_capacity(&self) -> usize {
        self.idle_capacity
    }

    /// Frees the wire buffer if it is drained and larger than the idle
    /// capacity, and ends a streak of large records: for a
    /// caller that knows the traffic has paused (the reader cannot tell a
    /// pause between records from the end of a stream). Nothing buffered
    /// is lost: a buffer holding bytes is kept.
    pub fn release_buffer(&mut self) {
        self.large_in_a_row = 0;
        self.release_if_idle();
    }
}

/// What opening the next record gave.
enum Opened {
    NeedMore,
    Record,
    /// A record read and dropped without effect (the TLS 1.3
    /// compatibility change_cipher_spec).
    Dropped,
    /// An empty application data record, handed out as is.
    Empty(Ready),
}

fn handshake_view(encoded: &[u8]) -> Result<Inbound<'_>, Error> {
    let typ = encoded
        .first()
        .copied()
        .ok_or(Error::Internal("empty handshake message"))?;
    Ok(Inbound::Handshake {
        typ: HandshakeType::from_wire(typ),
        encoded,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::enums::{AlertDescription, AlertLevel};

    /// "Decrypts" by XOR with a key and drops a one-byte trailing tag that
    /// must equal the sequence number's low byte; records every seq it saw.
    struct XorOpener {
        key: u8,
        seen: Arc<Mutex<Vec<u64>>>,
    }

    impl RecordOpener for XorOpener {
        fn open(
            &self,
            seq: u64,
            typ: ContentType,
            _version: u16,
            body: &mut [u8],
        ) -> Result<(ContentType, Range<usize>), Error> {
            self.seen.lock().unwrap().push(seq);
            let Some((tag, plain)) = body.split_last_mut() else {
                return Err(Error::DecryptFailed);
            };
            if *tag != seq as u8 {
                return Err(Error::DecryptFailed);
            }
            plain.iter_mut().for_each(|b| *b ^= self.key);
            Ok((typ, 0..plain.len()))
        }

        fn overhead(&self) -> usize {
            1
        }

        fn max_body_len(&self) -> usize {
            MAX_CIPHERTEXT_LEN
        }
    }

    fn record(typ: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![typ, 3, 3];
        r.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
        r.extend_from_slice(body);
        r
    }

    fn xor_record(typ: u8, plain: &[u8], key: u8, seq: u8) -> Vec<u8> {
        let mut body: Vec<u8> = plain.iter().map(|b| b ^ key).collect();
        body.push(seq);
        record(typ, &body)
    }

    #[test]
    fn opens_lazily_so_records_after_ccs_use_the_new_opener() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut wire = record(22, &[14, 0, 0, 0]);
        wire.extend(record(20, &[1]));
        wire.extend(xor_record(22, &[20, 0, 0, 2, 0xaa, 0xbb], 0x5c, 0));
        wire.extend(xor_record(23, b"hello", 0x5c, 1));

        let mut rd = RecordReader::new();
        let input: &[u8] = &wire;
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        assert!(matches!(
            rd.next_message(),
            Ok(Some(Inbound::Handshake {
                typ: HandshakeType::ServerHelloDone,
                ..
            }))
        ));
        assert_eq!(rd.next_message(), Ok(Some(Inbound::ChangeCipherSpec)));
        assert_eq!(rd.seq, 2, "two null records were opened");
        rd.set_opener(Box::new(XorOpener {
            key: 0x5c,
            seen: seen.clone(),
        }));
        assert_eq!(
            rd.next_message(),
            Ok(Some(Inbound::Handshake {
                typ: HandshakeType::Finished,
                encoded: &[20, 0, 0, 2, 0xaa, 0xbb]
            }))
        );
        assert_eq!(
            rd.next_message(),
            Ok(Some(Inbound::ApplicationData(b"hello")))
        );
        assert_eq!(rd.next_message(), Ok(None));
        assert_eq!(*seen.lock().unwrap(), [0, 1]);
        assert!(
            rd.capacity() <= MAX_IDLE_CAPACITY,
            "an idle reader holds little heap"
        );
    }

    /// A reader that skips rejected early data: TLS 1.3 rules, an opener
    /// (key 1) installed, `budget` bytes to skip.
    fn skipping(budget: usize) -> RecordReader {
        let mut rd = RecordReader::new();
        rd.set_tls13();
        rd.install_opener(Box::new(XorOpener {
            key: 1,
            seen: Arc::default(),
        }))
        .unwrap();
        rd.skip_rejected_early_data(budget);
        rd
    }

    #[test]
    fn skips_rejected_early_data_up_to_its_budget_then_opens_at_seq_0() {
        // Records that do not open (a tag for another sequence number),
        // charged at their body less 17 bytes: 20 in all, the budget.
        let mut rd = skipping(20);
        let mut wire = xor_record(23, &[0; 16], 1, 9);
        wire.extend(xor_record(23, &[0; 36], 1, 9));
        wire.extend(xor_record(23, b"flight", 1, 0));
        assert_eq!(rd.feed(&wire), wire.len());
        // The first record that opens is at sequence number 0: the
        // skipped ones used none.
        assert_eq!(
            rd.next_message(),
            Ok(Some(Inbound::ApplicationData(b"flight")))
        );
        // Skipping has ended: a record that does not open now is fatal.
        let bad = xor_record(23, b"late", 1, 9);
        assert_eq!(rd.feed(&bad), bad.len());
        assert_eq!(rd.next_message(), Err(Error::DecryptFailed));
    }

    #[test]
    fn rejected_early_data_past_its_budget_is_unexpected_message() {
        let mut rd = skipping(20);
        let mut wire = xor_record(23, &[0; 36], 1, 9);
        wire.extend(xor_record(23, &[0; 17], 1, 9));
        assert_eq!(rd.feed(&wire), wire.len());
        assert!(matches!(
            rd.next_message(),
            Err(Error::UnexpectedMessage {
                expected: "no more rejected early data than max_early_data_size",
                ..
            })
        ));
    }

    #[test]
    fn unprotected_early_data_is_skipped_before_a_second_client_hello() {
        // After a HelloRetryRequest: no key yet, application_data records
        // are skipped whole, handshake records read; a key ends it.
        let mut rd = RecordReader::new();
        rd.set_tls13();
        rd.skip_rejected_early_data(100);
        let mut wire = record(23, &[7; 50]);
        wire.extend(record(22, &[1, 0, 0, 0]));
        assert_eq!(rd.feed(&wire), wire.len());
        assert!(matches!(
            rd.next_message(),
            Ok(Some(Inbound::Handshake {
                typ: HandshakeType::ClientHello,
                ..
            }))
        ));
        rd.install_opener(Box::new(XorOpener {
            key: 1,
            seen: Arc::default(),
        }))
        .unwrap();
        let bad = xor_record(23, b"x", 1, 9);
        assert_eq!(rd.feed(&bad), bad.len());
        assert_eq!(rd.next_message(), Err(Error::DecryptFailed));
    }

    #[test]
    fn a_failed_open_is_decrypt_failed_and_sticks() {
        let mut rd = RecordReader::new();
        rd.set_opener(Box::new(XorOpener {
            key: 1,
            seen: Arc::default(),
        }));
        let input: &[u8] = &xor_record(23, b"x", 1, 9);
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        assert_eq!(rd.next_message(), Err(Error::DecryptFailed));
        let input: &[u8] = &xor_record(23, b"x", 1, 0);
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        assert_eq!(rd.next_message(), Err(Error::DecryptFailed));
    }

    #[test]
    fn plaintext_over_2_14_after_opening_is_overflow() {
        let mut rd = RecordReader::new();
        rd.set_opener(Box::new(XorOpener {
            key: 0,
            seen: Arc::default(),
        }));
        let input: &[u8] = &xor_record(23, &vec![0; MAX_PLAINTEXT_LEN], 0, 0);
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        assert!(
            matches!(rd.next_message(), Ok(Some(Inbound::ApplicationData(d))) if d.len() == MAX_PLAINTEXT_LEN)
        );
        let input: &[u8] = &xor_record(23, &vec![0; MAX_PLAINTEXT_LEN + 1], 0, 1);
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        assert_eq!(
            rd.next_message(),
            Err(Error::RecordOverflow {
                len: MAX_PLAINTEXT_LEN + 1,
                limit: MAX_PLAINTEXT_LEN
            })
        );
    }

    #[test]
    fn protected_body_over_2_14_plus_2048_is_overflow() {
        let mut rd = RecordReader::new();
        rd.set_opener(Box::new(XorOpener {
            key: 0,
            seen: Arc::default(),
        }));
        let input: &[u8] = &[23, 3, 3, 0x48, 0x01];
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        assert_eq!(
            rd.next_message(),
            Err(Error::RecordOverflow {
                len: MAX_CIPHERTEXT_LEN + 1,
                limit: MAX_CIPHERTEXT_LEN
            })
        );
    }

    #[test]
    fn empty_plaintext_after_opening_is_checked_per_type() {
        for (typ, want) in [
            (
                22,
                Err(InvalidMessage::EmptyFragment(ContentType::Handshake).into()),
            ),
            (
                21,
                Err(InvalidMessage::EmptyFragment(ContentType::Alert).into()),
            ),
            (23, Ok(Some(Inbound::ApplicationData(&[])))),
        ] {
            let mut rd = RecordReader::new();
            rd.set_opener(Box::new(XorOpener {
                key: 0,
                seen: Arc::default(),
            }));
            let input: &[u8] = &xor_record(typ, &[], 0, 0);
            assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
            assert_eq!(rd.next_message(), want);
        }
    }

    #[test]
    fn read_sequence_number_never_wraps() {
        let mut rd = RecordReader::new();
        rd.seq = u64::MAX - 1;
        let input: &[u8] = &record(23, b"a");
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        let input: &[u8] = &record(23, b"b");
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        assert_eq!(rd.next_message(), Ok(Some(Inbound::ApplicationData(b"a"))));
        assert_eq!(rd.next_message(), Err(Error::SequenceExhausted));
    }

    #[test]
    fn set_opener_resets_the_sequence_number() {
        let mut rd = RecordReader::new();
        let input: &[u8] = &record(23, b"a");
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        let input: &[u8] = &record(23, b"b");
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        while rd.next_message().unwrap().is_some() {}
        assert_eq!(rd.seq, 2);
        rd.set_opener(Box::new(NullProtection));
        assert_eq!(rd.seq, 0);
    }

    #[test]
    fn compacts_only_when_room_is_missing() {
        let mut rd = RecordReader::new();
        let rec = record(23, &[7; 100]);
        let mut wire = rec.repeat(3);
        wire.extend_from_slice(&rec[..50]);
        let input: &[u8] = &wire;
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        for _ in 0..3 {
            assert!(matches!(
                rd.next_message(),
                Ok(Some(Inbound::ApplicationData(_)))
            ));
        }
        assert_eq!(rd.next_message(), Ok(None));
        assert_eq!(
            rd.start,
            3 * rec.len(),
            "consumed bytes are discarded lazily"
        );
        let input: &[u8] = &rec[50..];
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        assert_eq!(rd.start, 0, "compacted because the tail did not fit");
        assert_eq!(
            rd.next_message(),
            Ok(Some(Inbound::ApplicationData(&[7; 100])))
        );
    }

    #[test]
    fn read_from_reads_what_the_next_record_needs() {
        let big = record(23, &vec![1; 10_000]);
        let mut rd = RecordReader::new();
        let mut src: &[u8] = &big;
        assert_eq!(rd.read_from(&mut src).unwrap(), MIN_READ);
        assert_eq!(rd.read_from(&mut src).unwrap(), big.len() - MIN_READ);
        assert_eq!(rd.read_from(&mut src).unwrap(), 0);
        assert!(
            matches!(rd.next_message(), Ok(Some(Inbound::ApplicationData(d))) if d.len() == 10_000)
        );
    }

    #[test]
    fn peek_hands_out_the_rest_of_a_record_until_it_is_consumed() {
        let mut rd = RecordReader::new();
        let mut wire = record(23, b"first record");
        wire.extend(record(23, b""));
        wire.extend(record(23, b"second"));
        wire.extend(record(21, &[1, 0]));
        let input: &[u8] = &wire;
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        let data = |d: &'static [u8]| Ok(Some(Inbound::ApplicationData(d)));
        assert_eq!(rd.peek_message(), data(b"first record"));
        assert_eq!(rd.peek_message(), data(b"first record"), "not consumed");
        rd.consume_data(0);
        assert_eq!(rd.peek_message(), data(b"first record"));
        rd.consume_data(6);
        assert_eq!(rd.held_data(), b"record");
        assert_eq!(rd.peek_message(), data(b"record"));
        rd.consume_data(100);
        assert_eq!(rd.held_data(), b"");
        // The empty record is handed out once.
        assert_eq!(rd.peek_message(), data(b""));
        assert_eq!(rd.peek_message(), data(b"second"));
        // next_message hands out the rest and consumes it.
        rd.consume_data(1);
        assert_eq!(rd.next_message(), data(b"econd"));
        let close = Inbound::Alert(AlertMessage {
            level: AlertLevel::Warning,
            description: AlertDescription::CloseNotify,
        });
        assert_eq!(rd.peek_message(), Ok(Some(close)));
        rd.consume_data(1);
        assert_eq!(rd.peek_message(), Ok(None));
        assert_eq!(rd.buffered_len(), 0);
    }

    #[test]
    fn consume_data_leaves_other_messages_alone() {
        let mut rd = RecordReader::new();
        let input: &[u8] = &record(22, &[14, 0, 0, 0, 14, 0, 0, 0]);
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        assert!(matches!(
            rd.peek_message(),
            Ok(Some(Inbound::Handshake { .. }))
        ));
        rd.consume_data(100);
        assert!(rd.has_partial_handshake(), "the second message is unread");
        assert!(matches!(
            rd.peek_message(),
            Ok(Some(Inbound::Handshake { .. }))
        ));
        assert_eq!(rd.peek_message(), Ok(None));
    }

    /// The first read of a stream asks for 4 KiB (the header is not known
    /// yet), the next completes the record; once a record's length is
    /// known, reads ask for at least that much, so a stream of largest
    /// records takes one read per record.
    #[test]
    fn read_from_asks_for_at_least_the_last_records_length() {
        let records: Vec<u8> = [1u8, 2, 3]
            .iter()
            .flat_map(|&b| record(23, &vec![b; MAX_PLAINTEXT_LEN]))
            .collect();
        let len = records.len() / 3;
        let mut rd = RecordReader::new();
        let mut src: &[u8] = &records;
        assert_eq!(rd.read_from(&mut src).unwrap(), MIN_READ);
        assert_eq!(rd.read_from(&mut src).unwrap(), len - MIN_READ);
        for b in 1u8..=3 {
            assert_eq!(
                rd.next_message(),
                Ok(Some(Inbound::ApplicationData(&[b; MAX_PLAINTEXT_LEN][..])))
            );
            if b < 3 {
                assert_eq!(rd.read_from(&mut src).unwrap(), len, "one read, record {b}");
            }
        }
        assert!(src.is_empty());
    }

    #[test]
    fn held_data_does_not_stop_read_from() {
        let first = record(23, &vec![1; MAX_PLAINTEXT_LEN]);
        let second = record(23, &vec![2; MAX_PLAINTEXT_LEN]);
        let mut rd = RecordReader::new();
        let mut src: &[u8] = &first;
        while rd.read_from(&mut src).unwrap() > 0 {}
        assert!(
            matches!(rd.peek_message(), Ok(Some(Inbound::ApplicationData(d))) if d.len() == MAX_PLAINTEXT_LEN)
        );
        rd.consume_data(10);
        // A whole largest record more is read behind the held one: as the
        // last record was a largest one, one read asks for all of it.
        let mut src: &[u8] = &second;
        assert_eq!(rd.read_from(&mut src).unwrap(), second.len());
        assert!(src.is_empty());
        assert_eq!(rd.held_data(), &[1; MAX_PLAINTEXT_LEN - 10][..]);
        rd.consume_data(MAX_PLAINTEXT_LEN);
        assert_eq!(
            rd.next_message(),
            Ok(Some(Inbound::ApplicationData(&[2; MAX_PLAINTEXT_LEN])))
        );
    }

    #[test]
    fn a_small_drained_buffer_is_kept_a_large_one_freed() {
        let small = record(23, &[7; 1000]);
        let mut rd = RecordReader::new();
        let input: &[u8] = &small;
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        let kept = rd.capacity();
        assert!(kept >= small.len() && kept <= MAX_IDLE_CAPACITY);
        for _ in 0..3 {
            assert!(matches!(
                rd.next_message(),
                Ok(Some(Inbound::ApplicationData(_)))
            ));
            assert_eq!(rd.next_message(), Ok(None));
            assert_eq!(rd.capacity(), kept, "drained, and kept");
            let input: &[u8] = &small;
            assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
            assert_eq!(rd.capacity(), kept, "reused: no new allocation");
        }
        let input: &[u8] = &record(23, &[8; 4000]);
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        while rd.next_message().unwrap().is_some() {}
        assert_eq!(rd.capacity(), 0, "larger than MAX_IDLE_CAPACITY: freed");
    }

    #[test]
    fn feed_owned_still_adopts_the_vector_over_a_kept_buffer() {
        let mut rd = RecordReader::new();
        let input: &[u8] = &record(23, b"small");
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        while rd.next_message().unwrap().is_some() {}
        assert!(rd.capacity() > 0);
        let mut owned = Vec::with_capacity(3000);
        owned.extend(record(23, &[9; 2000]));
        assert!(rd.feed_owned(owned).is_empty());
        assert_eq!(rd.capacity(), 3000, "the vector itself is the buffer");
        assert_eq!(
            rd.next_message(),
            Ok(Some(Inbound::ApplicationData(&[9; 2000])))
        );
    }

    #[test]
    fn alerts_in_one_record_come_one_by_one() {
        let mut rd = RecordReader::new();
        let input: &[u8] = &record(21, &[1, 0, 2, 40]);
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        let alert =
            |level, description| Ok(Some(Inbound::Alert(AlertMessage { level, description })));
        assert_eq!(
            rd.next_message(),
            alert(AlertLevel::Warning, AlertDescription::CloseNotify)
        );
        assert_eq!(
            rd.next_message(),
            alert(AlertLevel::Fatal, AlertDescription::HandshakeFailure)
        );
        assert_eq!(rd.next_message(), Ok(None));
    }

    #[test]
    fn rejects_partial_alert_before_any_other_record() {
        let other = [
            (ContentType::Handshake, record(22, &[14, 0, 0, 0])),
            (ContentType::ChangeCipherSpec, record(20, &[1])),
            (ContentType::ApplicationData, record(23, b"data")),
        ];
        for (typ, next) in other {
            let mut rd = RecordReader::new();
            let input: &[u8] = &record(21, &[2]);
            assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
            assert_eq!(rd.next_message(), Ok(None), "half an alert is nothing yet");
            let input: &[u8] = &next;
            assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
            assert_eq!(
                rd.next_message(),
                Err(Error::UnexpectedMessage {
                    expected: "the rest of an alert",
                    got: Received::Record(typ),
                }),
                "{typ:?}"
            );
        }
    }

    #[test]
    fn rejects_partial_alert_left_in_a_record_before_a_key_change() {
        let mut rd = RecordReader::new();
        let mut wire = record(21, &[1, 0, 2]);
        wire.extend(record(20, &[1]));
        let input: &[u8] = &wire;
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        assert!(matches!(rd.next_message(), Ok(Some(Inbound::Alert(_)))));
        assert_eq!(
            rd.next_message(),
            Err(Error::UnexpectedMessage {
                expected: "the rest of an alert",
                got: Received::Record(ContentType::ChangeCipherSpec),
            })
        );
    }

    #[test]
    fn alert_completed_by_the_next_alert_record_is_read() {
        let mut rd = RecordReader::new();
        let input: &[u8] = &record(21, &[2]);
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        assert_eq!(rd.next_message(), Ok(None));
        let input: &[u8] = &record(21, &[40]);
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        assert_eq!(
            rd.next_message(),
            Ok(Some(Inbound::Alert(AlertMessage {
                level: AlertLevel::Fatal,
                description: AlertDescription::HandshakeFailure,
            })))
        );
    }

    /// Issue #11 item 7: `feed` is bounded. 10 MB at once is taken only up
    /// to `MAX_BUFFERED_LEN`; nothing more until messages are read; then
    /// more, and every byte comes out, in order, with the heap bounded.
    #[test]
    fn feed_takes_what_fits_and_loses_nothing() {
        let mut wire = Vec::new();
        let mut sent = Vec::new();
        let mut i = 0u32;
        while wire.len() < 10 << 20 {
            let len = 1 + (i as usize * 7919) % MAX_PLAINTEXT_LEN;
            let payload: Vec<u8> = (0..len as u32).map(|j| (i ^ j) as u8).collect();
            wire.extend(record(23, &payload));
            sent.extend(payload);
            i += 1;
        }
        let mut rd = RecordReader::new();
        assert_eq!(rd.feed(&wire), MAX_BUFFERED_LEN);
        assert_eq!(rd.feed(&wire[MAX_BUFFERED_LEN..]), 0, "full until read");
        let mut pos = MAX_BUFFERED_LEN;
        let mut got = Vec::new();
        loop {
            while let Some(message) = rd.next_message().unwrap() {
                let Inbound::ApplicationData(data) = message else {
                    panic!("{message:?}");
                };
                got.extend_from_slice(data);
            }
            if pos == wire.len() {
                break;
            }
            let n = rd.feed(&wire[pos..]);
            assert!(n > 0, "nothing taken after reading");
            pos += n;
            assert!(rd.buffered_len() <= MAX_BUFFERED_LEN);
            assert!(rd.capacity() <= 2 * MAX_BUFFERED_LEN, "{}", rd.capacity());
        }
        assert!(got == sent, "bytes lost or reordered");
    }

    /// `feed_owned` adopts a vector only if it fits, copies what fits
    /// otherwise, and hands back the rest: nothing is lost.
    #[test]
    fn feed_owned_takes_what_fits_and_hands_back_the_rest() {
        let big = record(23, &[1; 1000]).repeat(40);
        let mut rd = RecordReader::new();
        let rest = rd.feed_owned(big.clone());
        assert_eq!(rd.buffered_len(), MAX_BUFFERED_LEN);
        assert_eq!(rest, big[MAX_BUFFERED_LEN..]);
        let mut rd = RecordReader::new();
        let one = record(23, &[2; 1000]);
        assert!(rd.feed_owned(one.clone()).is_empty());
        // With a partial record buffered, a vector that does not fit is
        // copied up to the bound and the rest comes back.
        let mut rd = RecordReader::new();
        assert_eq!(rd.feed(&one[..10]), 10);
        let rest = rd.feed_owned(big.clone());
        assert_eq!(rd.buffered_len(), MAX_BUFFERED_LEN);
        assert_eq!(rest, big[MAX_BUFFERED_LEN - 10..]);
    }
}
