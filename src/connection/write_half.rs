//! The writing half: application data in, records out.

use std::io;
use std::marker::PhantomData;
use std::sync::Arc;

use super::key_update::{DEFAULT_RECORDS_PER_KEY, TrafficSecret, key_update_message};
use super::post_handshake_auth::{Pha13, Requested, ServerExchange};
use super::shared::{Shared, lock};
use crate::enums::{AlertDescription, AlertLevel, ContentType};
use crate::error::Error;
use crate::handshake::Role;
use crate::message::tls13::KeyUpdateRequest;
use crate::record::RecordWriter;

/// The half of a connection that writes. It can be moved to another thread
/// than its [`ReadHalf`](super::ReadHalf); the two share atomics
/// (and, for post-handshake authentication, two rarely locked slots).
pub struct WriteHalf<R: Role> {
    writer: RecordWriter,
    out: Vec<u8>,
    /// The one final alert has been queued; nothing follows it.
    final_alert_sent: bool,
    /// TLS 1.3 (KeyUpdate exists, renegotiation does not).
    tls13: bool,
    /// TLS 1.3: our current application traffic secret.
    secret: Option<TrafficSecret>,
    /// TLS 1.3: what post-handshake authentication needs.
    pha: Option<Pha13>,
    /// TLS 1.3: after this many records under one key, the next write
    /// updates it first ([`DEFAULT_RECORDS_PER_KEY`]).
    records_per_key: u64,
    /// Flushes larger than the idle bound in a row: a stream, whose
    /// output buffer is kept.
    large_in_a_row: u8,
    shared: Arc<Shared>,
    _role: PhantomData<fn() -> R>,
}

impl WriteHalf<crate::handshake::Server> {
    /// TLS 1.3: asks the client for a certificate now (post-handshake
    /// authentication, RFC 8446 4.6.2): queues a CertificateRequest with
    /// a fresh random context and the signature schemes we verify (never
    /// PKCS#1), and hands the exchange to the reader, which checks the
    /// client's Certificate against `policy`, its CertificateVerify and
    /// its Finished as they arrive; application data flows both ways
    /// meanwhile. The outcome is
    /// [`ReadHalf::post_handshake_auth`](super::ReadHalf::post_handshake_auth)
    /// once the client's Finished has verified; a refused answer ends the
    /// connection with the reader's error and its alert (an empty
    /// Certificate under a required policy: certificate_required).
    ///
    /// [`Error::Config`], with nothing sent, on TLS 1.2, when the client
    /// did not offer post_handshake_auth, or while an earlier request is
    /// unanswered (one at a time); [`Error::Closed`] once the connection
    /// is closing.
    pub fn request_client_certificate(
        &mut self,
        policy: crate::handshake::ClientCertPolicy,
    ) -> Result<(), Error> {
        if !self.tls13 {
            return Err(Error::Config(
                "post-handshake authentication is TLS 1.3's; this connection is TLS 1.2".into(),
            ));
        }
        let Some(pha) = self.pha.as_ref().filter(|pha| pha.allowed) else {
            return Err(Error::Config(
                "the client did not offer post_handshake_auth".into(),
            ));
        };
        if self.final_alert_sent || self.shared.write_closed.is_closed() {
            return Err(Error::Closed);
        }
        let mut slot = lock(&self.shared.client_auth);
        if slot.is_some() {
            return Err(Error::Config(
                "a post-handshake certificate request is still unanswered".into(),
            ));
        }
        let (requested, message) = Requested::new(&pha.transcript, policy)?;
        // The exchange is in place before its request can reach the peer.
        *slot = Some(Box::new(ServerExchange::Requested(requested)));
        drop(slot);
        let result = self
            .writer
            .write(ContentType::Handshake, &message, &mut self.out);
        result.map_err(|error| self.fail(error))
    }
}

impl<R: Role> core::fmt::Debug for WriteHalf<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WriteHalf")
            .field("role", &R::NAME)
            .field("final_alert_sent", &self.final_alert_sent)
            .finish_non_exhaustive()
    }
}

impl<R: Role> WriteHalf<R> {
    pub(crate) fn new(
        writer: RecordWriter,
        out: Vec<u8>,
        shared: Arc<Shared>,
        tls13: bool,
        secret: Option<TrafficSecret>,
        pha: Option<Pha13>,
    ) -> Self {
        let mut half = Self {
            writer,
            out,
            final_alert_sent: false,
            tls13,
            secret,
            pha,
            records_per_key: DEFAULT_RECORDS_PER_KEY,
            large_in_a_row: 0,
            shared,
            _role: PhantomData,
        };
        // The handshake's output buffer was sized for a flight; an idle
        // connection does not keep it.
        half.release_if_idle();
        half
    }

    /// Queues `data` as application data, in records of at most the
    /// configured fragment length. Fails with [`Error::Closed`] once either
    /// half has closed the connection, or the peer's close_notify has
    /// arrived (then our own close_notify is queued instead, see
    /// [`answer_peer`](Self::answer_peer)).
    pub fn send(&mut self, data: &[u8]) -> Result<(), Error> {
        if self.shared.write_closed.is_closed() {
            self.answer_peer()?;
            return Err(Error::Closed);
        }
        self.refuse_renegotiations()?;
        self.owed_key_update()?;
        self.answer_certificate_requests()?;
        if self.tls13 && self.writer.write_seq() >= self.records_per_key {
            self.update_keys(false)?;
        }
        self.writer
            .write(ContentType::ApplicationData, data, &mut self.out)
            .map_err(|error| self.fail(error))
    }

    /// TLS 1.3 (RFC 8446 4.6.3): queues a KeyUpdate under the current key
    /// and seals everything after it under the next one. With
    /// `request_peer` the KeyUpdate asks the peer to update its sending
    /// key too (it answers before its next record). Updates also happen
    /// on their own: before a key has sealed 2^24 records, and when the
    /// peer asks. On a TLS 1.2 connection this is
    /// [`Error::Config`] and changes nothing; after the connection closed,
    /// [`Error::Closed`].
    pub fn update_keys(&mut self, request_peer: bool) -> Result<(), Error> {
        if !self.tls13 {
            return Err(Error::Config(
                "KeyUpdate is TLS 1.3's; this connection is TLS 1.2".into(),
            ));
        }
        if self.final_alert_sent || self.shared.write_closed.is_closed() {
            return Err(Error::Closed);
        }
        let request = if request_peer {
            KeyUpdateRequest::UpdateRequested
        } else {
            KeyUpdateRequest::UpdateNotRequested
        };
        let result = self.seal_key_update(request);
        result.map_err(|error| self.fail(error))
    }

    fn seal_key_update(&mut self, request: KeyUpdateRequest) -> Result<(), Error> {
        let secret = self
            .secret
            .as_mut()
            .ok_or(Error::Internal("no traffic secret to update"))?;
        let sealer = secret.next_sealer()?;
        self.writer.write(
            ContentType::Handshake,
            &key_update_message(request),
            &mut self.out,
        )?;
        // Our KeyUpdate is the last record under the old key.
        self.writer.set_sealer(Box::new(sealer));
        Ok(())
    }

    /// The update the reader owes the peer's update_requested, once, as
    /// update_not_requested (RFC 8446 4.6.3: answering with a request
    /// would make the two sides update each other forever).
    fn owed_key_update(&mut self) -> Result<(), Error> {
        if self.tls13 && self.shared.take_key_update() && !self.shared.write_closed.is_closed() {
            self.update_keys(false)?;
        }
        Ok(())
    }

    /// Sets how many records one key seals before the writer updates it
    /// (clamped to at least 1). For tests of the automatic update; the
    /// default, [`DEFAULT_RECORDS_PER_KEY`], stays far below the AEAD
    /// limits of RFC 8446 5.5.
    #[doc(hidden)]
    pub fn set_records_per_key(&mut self, records: u64) {
        self.records_per_key = records.max(1);
    }

    /// Queues what the reader owes the peer: our close_notify once the
    /// peer's has been read (RFC 5246 7.2.1: answered at once, and nothing
    /// after it), else the no_renegotiation warning of a refused
    /// renegotiation request. [`send`](Self::send),
    /// [`flush_to`](Self::flush_to) and [`take_output`](Self::take_output)
    /// call it; the unsplit `Connection` calls it as each read returns.
    ///
    /// Records already queued stay in front of the close_notify: they are
    /// sealed, their sequence numbers spent. Dropping them would leave a
    /// gap the peer reads as bad_record_mac, and sealing the close_notify
    /// under a dropped record's number would reuse an AEAD nonce if those
    /// bytes had already gone out (`pending_output` shows them before
    /// `consume_output` says so). What is discarded is every later write:
    /// `send` fails with [`Error::Closed`].
    pub fn answer_peer(&mut self) -> Result<(), Error> {
        if self.shared.peer_closed.is_closed() {
            return self.shutdown_send();
        }
        self.refuse_renegotiations()?;
        self.owed_key_update()?;
        self.answer_certificate_requests()
    }

    /// TLS 1.3 client: answers the CertificateRequests the reader read
    /// (post-handshake authentication, RFC 8446 4.6.2), each with
    /// Certificate, CertificateVerify and Finished in one go, under the
    /// current key: between our records, before the next one.
    fn answer_certificate_requests(&mut self) -> Result<(), Error> {
        if !self.tls13 || self.final_alert_sent || self.shared.write_closed.is_closed() {
            return Ok(());
        }
        if !self.shared.take_answer() {
            return Ok(());
        }
        let requests = core::mem::take(&mut *lock(&self.shared.certificate_requests));
        let result = (|| {
            let pha = self
                .pha
                .as_ref()
                .ok_or(Error::Internal("a CertificateRequest without its state"))?;
            let secret = self
                .secret
                .as_ref()
                .ok_or(Error::Internal("no traffic secret for a Finished"))?;
            for request in requests {
                let answer = request.answer(&pha.transcript, pha.certificate.as_ref(), secret)?;
                self.writer
                    .write(ContentType::Handshake, &answer, &mut self.out)?;
            }
            Ok(())
        })();
        result.map_err(|error| self.fail(error))
    }

    /// Queues the no_renegotiation warning the reader owes (RFC 5746 4.4,
    /// RFC 5246 7.4.1.1): the connection goes on. The reader refuses one
    /// request this way; a second one ends the connection.
    pub fn refuse_renegotiations(&mut self) -> Result<(), Error> {
        // Once the connection is closing, the final alert is the only one.
        if self.final_alert_sent || self.shared.write_closed.is_closed() {
            return Ok(());
        }
        if self.shared.take_refusal() {
            self.writer
                .write_alert(
                    AlertLevel::Warning,
                    AlertDescription::NoRenegotiation,
                    &mut self.out,
                )
                .map_err(|error| self.fail(error))?;
        }
        Ok(())
    }

    /// Queues exactly one alert and nothing after it, by the seed's rule:
    /// the writer's pending alert if there is one, else the reader's, else
    /// close_notify. Calling it again queues nothing.
    pub fn shutdown_send(&mut self) -> Result<(), Error> {
        if self.final_alert_sent {
            return Ok(());
        }
        self.final_alert_sent = true;
        self.shared.write_closed.close();
        // An owed warning is dropped: the connection is ending anyway, and
        // the final alert must be the only one.
        let _ = self.shared.take_refusal();
        let (level, description) = match self
            .shared
            .writer_alert
            .get()
            .or(self.shared.reader_alert.get())
        {
            Some(fatal) => (AlertLevel::Fatal, fatal),
            None => (AlertLevel::Warning, AlertDescription::CloseNotify),
        };
        self.writer.write_alert(level, description, &mut self.out)
    }

    /// Whether the final alert has been queued.
    pub fn is_shut_down(&self) -> bool {
        self.final_alert_sent
    }

    /// The bytes queued for the peer.
    pub fn pending_output(&self) -> &[u8] {
        &self.out
    }

    /// Takes the bytes queued for the peer, after queuing what the reader
    /// owes it ([`answer_peer`](Self::answer_peer)).
    pub fn take_output(&mut self) -> Vec<u8> {
        let _ = self.answer_peer();
        core::mem::take(&mut self.out)
    }

    /// Appends the bytes queued for the peer to `out`, after queuing what
    /// the reader owes it ([`answer_peer`](Self::answer_peer)), and returns
    /// how many: [`take_output`](Self::take_output) without handing over
    /// the buffer, which stays for the next records (so a stream through
    /// this allocates nothing per record).
    pub fn output_into(&mut self, out: &mut Vec<u8>) -> usize {
        let _ = self.answer_peer();
        let n = self.out.len();
        if n > 0 {
            out.extend_from_slice(&self.out);
            self.out.clear();
            self.note_flushed(n);
        }
        n
    }

    /// Marks the first `n` queued bytes as written.
    pub fn consume_output(&mut self, n: usize) {
        let n = n.min(self.out.len());
        self.out.drain(..n);
        if self.out.is_empty() {
            self.note_flushed(n);
        }
    }

    /// Writes the queued bytes to `transport` and flushes it, after
    /// queuing what the reader owes the peer
    /// ([`answer_peer`](Self::answer_peer)).
    pub fn flush_to(&mut self, transport: &mut impl io::Write) -> io::Result<()> {
        let _ = self.answer_peer();
        if !self.out.is_empty() {
            transport.write_all(&self.out)?;
            let flushed = self.out.len();
            self.out.clear();
            self.note_flushed(flushed);
        }
        transport.flush()
    }

    /// Called when the output was all written: keeps the buffer while
    /// large flushes stream (as the reader keeps its own, see
    /// [`MAX_IDLE_CAPACITY`](crate::record::MAX_IDLE_CAPACITY)), else frees
    /// one larger than the idle bound.
    fn note_flushed(&mut self, flushed: usize) {
        self.large_in_a_row = if flushed > self.writer.idle_capacity() {
            self.large_in_a_row
                .saturating_add(1)
                .min(crate::record::STREAMING_AFTER)
        } else {
            0
        };
        self.release_if_idle();
    }

    fn release_if_idle(&mut self) {
        if self.out.is_empty()
            && self.out.capacity() > self.writer.idle_capacity()
            && self.large_in_a_row < crate::record::STREAMING_AFTER
        {
            self.out = Vec::new();
        }
    }

    /// Frees the output buffer if it is empty and larger than the idle
    /// bound, ending a stream of large writes: for a caller that knows the
    /// traffic has paused.
    pub fn release_buffer(&mut self) {
        self.large_in_a_row = 0;
        self.release_if_idle();
    }

    fn fail(&mut self, error: Error) -> Error {
        self.shared.fail(&self.shared.writer_alert, error.alert());
        error
    }
}
