//! What the two halves of a connection share: lock-free flags and the
//! pending-alert slots of the seed's `reader_alert_out` /
//! `writer_alert_out`, and the two Mutex slots of post-handshake
//! authentication, locked only once a flag says there is work.
//!
//! Every flag only ever goes from open to closed, and every slot is set at
//! most once (the first error wins), so a race between the halves can
//! never undo a close or overwrite the alert that explains it.

use core::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use super::post_handshake_auth::{CertificateRequested, ServerExchange};

use crate::enums::AlertDescription;

/// A pending fatal alert, set at most once.
#[derive(Debug, Default)]
pub(crate) struct AlertSlot(AtomicU16);

impl AlertSlot {
    const SET: u16 = 0x100;

    /// Records `description` unless an alert is already pending.
    pub(crate) fn set(&self, description: AlertDescription) {
        let value = Self::SET | u16::from(description.to_wire());
        let _ = self
            .0
            .compare_exchange(0, value, Ordering::AcqRel, Ordering::Acquire);
    }

    /// The pending alert, if any.
    pub(crate) fn get(&self) -> Option<AlertDescription> {
        match self.0.load(Ordering::Acquire) {
            0 => None,
            value => Some(AlertDescription::from_wire(value as u8)),
        }
    }
}

/// A flag that only ever goes from open to closed.
#[derive(Debug, Default)]
pub(crate) struct Closed(AtomicBool);

impl Closed {
    #[inline]
    pub(crate) fn close(&self) {
        self.0.store(true, Ordering::Release);
    }

    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The state both halves see.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// No more records will be read (close_notify or an error).
    pub(crate) read_closed: Closed,
    /// No more application data will be written.
    pub(crate) write_closed: Closed,
    /// The connection ended in an error (not a clean close).
    pub(crate) failed: Closed,
    /// The peer's close_notify was read: the writer owes our own and
    /// writes nothing more (RFC 5246 7.2.1).
    pub(crate) peer_closed: Closed,
    /// The alert the reader owes the peer.
    pub(crate) reader_alert: AlertSlot,
    /// The alert the writer owes the peer.
    pub(crate) writer_alert: AlertSlot,
    /// The one renegotiation request we refuse was read, and its
    /// no_renegotiation warning is not on the wire yet. One flag, not a
    /// count: a second request ends the connection, so nothing the peer
    /// sends can make us owe more than one warning.
    pub(crate) refusal_owed: AtomicBool,
    /// TLS 1.3: the reader read a KeyUpdate with update_requested, and the
    /// writer owes one of its own before its next record (RFC 8446
    /// 4.6.3). One flag, not a count: any number of requests read while
    /// the writer is silent are answered by one update, so the peer cannot
    /// make us write more than it does.
    pub(crate) key_update_owed: AtomicBool,
    /// TLS 1.3 client: the reader read CertificateRequests the writer has
    /// not answered yet (post-handshake authentication). A Mutex, not a
    /// lock-free slot: the request is a whole message with its context and
    /// schemes, rare, and the writer only takes the lock when
    /// [`answer_owed`](Self::answer_owed) says there is something to take,
    /// so the data path never locks.
    pub(crate) certificate_requests: Mutex<VecDeque<CertificateRequested>>,
    /// Set with each request queued, cleared when the writer takes them.
    pub(crate) answer_owed: AtomicBool,
    /// TLS 1.3 server: the post-handshake authentication under way, if
    /// any. The writer sets it when it sends a CertificateRequest (and
    /// refuses a second request while it is set); the reader moves it on
    /// with each message of the client's answer and clears it at the end.
    /// A Mutex for the same reasons: it is touched once per message of a
    /// rare exchange, never on the data path. Boxed, so that `Shared`
    /// stays small and wholly initialized: an inline `None` of the large
    /// exchange left its payload bytes uninitialized, and the copy into
    /// the `Arc` carried stack garbage with them, a traffic secret
    /// included (`tests/secret_wiping.rs::no_freed_block_holds_a_tls13_traffic_secret`
    /// caught it).
    pub(crate) client_auth: Mutex<Option<Box<ServerExchange>>>,
}

/// Locks `mutex`; a holder that panicked left nothing half-done that
/// matters here (each critical section is a take or a put), so its poison
/// is ignored.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    /// An error in either half closes the connection for both.
    pub(crate) fn fail(&self, slot: &AlertSlot, alert: Option<AlertDescription>) {
        if let Some(alert) = alert {
            slot.set(alert);
        }
        self.failed.close();
        self.read_closed.close();
        self.write_closed.close();
    }

    /// The peer's close_notify closes the connection both ways: reading
    /// has ended, and no more data may be written, only our answer.
    pub(crate) fn peer_close_notify(&self) {
        self.peer_closed.close();
        self.read_closed.close();
        self.write_closed.close();
    }

    pub(crate) fn owe_key_update(&self) {
        self.key_update_owed.store(true, Ordering::Release);
    }

    /// Whether a KeyUpdate was owed, now taken (as [`take_refusal`](Self::take_refusal)).
    #[inline]
    pub(crate) fn take_key_update(&self) -> bool {
        self.key_update_owed.load(Ordering::Acquire)
            && self.key_update_owed.swap(false, Ordering::AcqRel)
    }

    pub(crate) fn owe_answer(&self) {
        self.answer_owed.store(true, Ordering::Release);
    }

    /// Whether CertificateRequests wait for an answer, now taken (as
    /// [`take_refusal`](Self::take_refusal)).
    #[inline]
    pub(crate) fn take_answer(&self) -> bool {
        self.answer_owed.load(Ordering::Acquire) && self.answer_owed.swap(false, Ordering::AcqRel)
    }

    pub(crate) fn owe_refusal(&self) {
        self.refusal_owed.store(true, Ordering::Release);
    }

    /// Whether the refusal was owed, now taken. Every read asks, and
    /// almost always nothing is owed: a plain load answers that, without
    /// the locked swap.
    #[inline]
    pub(crate) fn take_refusal(&self) -> bool {
        self.refusal_owed.load(Ordering::Acquire) && self.refusal_owed.swap(false, Ordering::AcqRel)
    }
}
