//! What every state carries: the record layer, the transcript, the queued
//! output, and the role's own secrets.

use std::sync::Arc;

use super::role::Role;
use super::table::Row;
use crate::codec::Codec;
use crate::crypto::MasterSecret;
use crate::crypto::Transcript;
use crate::enums::{AlertLevel, ContentType, HandshakeType};
use crate::error::{Error, Received};
use crate::message::tls13::PayloadTls13;
use crate::message::{ChangeCipherSpecPayload, HandshakeMessage, HandshakePayload};
use crate::record::{Inbound, RecordOpener, RecordReader, RecordSealer, RecordWriter};

/// A message that arrived and matched the current state's row.
#[derive(Debug)]
#[doc(hidden)]
#[allow(clippy::large_enum_variant)] // see `HandshakePayload`
pub enum Incoming {
    /// A handshake message, decoded. Its encoding is in `Core::msg`.
    Handshake(HandshakePayload),
    /// A ChangeCipherSpec.
    ChangeCipherSpec,
    /// A TLS 1.3 handshake message, decoded (once `Core::tls13` is set).
    /// Its encoding is in `Core::msg`.
    Tls13(PayloadTls13),
}

/// A handshake message's header: type(1) length(3).
const HANDSHAKE_HEADER_LEN: usize = 4;

/// What `Core::msg` and `Core::out` reserve when first used: a typical
/// server flight (ServerHello, a one- or two-certificate chain,
/// ServerKeyExchange, ServerHelloDone) and its largest message fit, so a
/// handshake grows neither buffer message by message. Both are dropped
/// with the `Core` when the handshake ends.
const FLIGHT_RESERVE: usize = 2048;

/// Role-independent handshake state, boxed so transitions move a pointer.
pub(crate) struct Core<R: Role> {
    pub(crate) config: Arc<R::Config>,
    pub(crate) reader: RecordReader,
    pub(crate) writer: RecordWriter,
    /// Records queued for the peer; the caller takes them.
    pub(crate) out: Vec<u8>,
    pub(crate) transcript: Transcript,
    /// The whole encoding of the handshake message just read, kept so
    /// the transition can add it to the transcript at the right moment
    /// (a Finished is checked before it is hashed).
    pub(crate) msg: Vec<u8>,
    pub(crate) client_random: [u8; 32],
    pub(crate) server_random: [u8; 32],
    /// Zeroed when the `Core` is dropped (at `into_connection` at the
    /// latest), so no copy stays behind in freed heap.
    pub(crate) master_secret: Option<MasterSecret>,
    /// Keys made at the key exchange, installed at ChangeCipherSpec.
    pub(crate) pending_sealer: Option<Box<dyn RecordSealer>>,
    pub(crate) pending_opener: Option<Box<dyn RecordOpener>>,
    /// The role's own state (offers, ephemeral keys).
    pub(crate) side: R::Side,
    /// TLS 1.3 was negotiated: messages read are decoded as TLS 1.3's
    /// ([`Incoming::Tls13`]) and a HelloRequest is not special.
    pub(crate) tls13: bool,
    /// TLS 1.3: the application traffic secrets the keys in use came
    /// from, the peer's (read) and ours (write), handed to the connection
    /// for KeyUpdate. Wiped when dropped.
    pub(crate) read_traffic13: Option<crate::crypto::tls13::Secret>,
    pub(crate) write_traffic13: Option<crate::crypto::tls13::Secret>,
    /// A TLS 1.3 server that accepted 0-RTT: the early data read so far,
    /// and whether more may come (until the EndOfEarlyData).
    pub(crate) early_data: Option<EarlyDataReceived>,
}

/// The 0-RTT data a server accepted (RFC 8446 4.2.10).
#[derive(Debug, Default)]
pub(crate) struct EarlyDataReceived {
    /// The bytes not taken yet, in order.
    pub(crate) data: Vec<u8>,
    /// How many bytes came in all (taken or not).
    pub(crate) received: usize,
    /// The most that may be read (max_early_data_size).
    pub(crate) max: usize,
    /// The EndOfEarlyData came: application data is no longer early.
    pub(crate) ended: bool,
}

impl<R: Role> Core<R> {
    pub(crate) fn new(config: Arc<R::Config>, side: R::Side) -> Self {
        Self {
            config,
            reader: RecordReader::new(),
            writer: RecordWriter::new(),
            out: Vec::new(),
            transcript: Transcript::new(),
            msg: Vec::new(),
            client_random: [0; 32],
            server_random: [0; 32],
            master_secret: None,
            pending_sealer: None,
            pending_opener: None,
            side,
            tls13: false,
            read_traffic13: None,
            write_traffic13: None,
            early_data: None,
        }
    }

    /// Sets the master secret of a resumed session, copied straight into
    /// its wiped slot here.
    pub(crate) fn set_master_secret(&mut self, secret: &MasterSecret) {
        self.master_secret
            .insert(MasterSecret::zeroed())
            .as_mut()
            .copy_from_slice(secret.as_bytes());
    }

    /// The record layer and the queued output, for the connection; the
    /// rest of the handshake state is dropped here.
    ///
    /// The three are taken out of the box and the box is dropped in
    /// place: moving the whole `Core` out (`*boxed`) would free the box's
    /// block with the bytes of every field still in it, the master secret
    /// and the sessions in `side` among them, and run their wiping drops
    /// on the moved copies instead.
    // The box is the point: taking `self` by value would move it out.
    #[allow(clippy::boxed_local)]
    pub(crate) fn into_record_layer(mut self: Box<Self>) -> (RecordReader, RecordWriter, Vec<u8>) {
        let reader = core::mem::take(&mut self.reader);
        let writer = core::mem::take(&mut self.writer);
        let out = core::mem::take(&mut self.out);
        (reader, writer, out)
    }

    /// Reads the next message if it is whole, checking it against `row`:
    /// anything the row does not accept is `unexpected_message`, except a
    /// HelloRequest to a client, which is skipped (RFC 5246 7.4.1.1).
    pub(crate) fn read_message(&mut self, row: &'static Row) -> Result<Option<Incoming>, Error> {
        let unexpected = |got| Error::UnexpectedMessage {
            expected: row.expected(),
            got,
        };
        loop {
            let Some(inbound) = self.reader.next_message()? else {
                return Ok(None);
            };
            return match inbound {
                Inbound::Alert(alert) => Err(Error::AlertReceived {
                    level: alert.level,
                    description: alert.description,
                }),
                Inbound::ChangeCipherSpec => match row.accepts(ContentType::ChangeCipherSpec, None)
                {
                    true => Ok(Some(Incoming::ChangeCipherSpec)),
                    false => Err(unexpected(Received::Record(ContentType::ChangeCipherSpec))),
                },
                // Accepted 0-RTT data before the EndOfEarlyData: kept apart,
                // up to max_early_data_size (RFC 8446 4.2.10: more is
                // unexpected_message).
                Inbound::ApplicationData(data)
                    if self.early_data.as_ref().is_some_and(|early| !early.ended) =>
                {
                    let early = self
                        .early_data
                        .as_mut()
                        .ok_or(Error::Internal("early data state"))?;
                    if data.len() > early.max.saturating_sub(early.received) {
                        return Err(Error::UnexpectedMessage {
                            expected: "no more early data than max_early_data_size",
                            got: Received::Record(ContentType::ApplicationData),
                        });
                    }
                    early.received += data.len();
                    early.data.extend_from_slice(data);
                    continue;
                }
                Inbound::ApplicationData(_) => {
                    Err(unexpected(Received::Record(ContentType::ApplicationData)))
                }
                // RFC 5246 7.4.1.1: a client that is negotiating ignores a
                // HelloRequest, which "MUST NOT be included in the message
                // hashes". Its body must still be empty.
                Inbound::Handshake { typ, encoded }
                    if typ == HandshakeType::HelloRequest
                        && R::PEER_RENEGOTIATION == typ
                        && !self.tls13 =>
                {
                    let body = encoded.get(HANDSHAKE_HEADER_LEN..).unwrap_or_default();
                    HandshakePayload::read_body(typ, body)?;
                    continue;
                }
                Inbound::Handshake { typ, encoded } => {
                    if !row.accepts(ContentType::Handshake, Some(typ)) {
                        return Err(unexpected(Received::Handshake(typ)));
                    }
                    self.msg.clear();
                    self.msg.reserve(FLIGHT_RESERVE.max(encoded.len()));
                    self.msg.extend_from_slice(encoded);
                    if self.tls13 {
                        let message = PayloadTls13::read_message(&self.msg)?;
                        return Ok(Some(Incoming::Tls13(message)));
                    }
                    let message = HandshakeMessage::read_bytes(&self.msg)?;
                    Ok(Some(Incoming::Handshake(message.payload)))
                }
            };
        }
    }

    /// Adds the handshake message just read to the transcript.
    pub(crate) fn hash_received(&mut self) {
        self.transcript.add(&self.msg);
    }

    /// Encodes, hashes and queues a handshake message of ours.
    pub(crate) fn send_handshake(&mut self, payload: HandshakePayload) -> Result<(), Error> {
        self.send_handshake_kept(payload).map(drop)
    }

    /// [`send_handshake`](Self::send_handshake), handing the payload back:
    /// the client keeps its first ClientHello for a HelloRetryRequest
    /// without copying it.
    pub(crate) fn send_handshake_kept(
        &mut self,
        payload: HandshakePayload,
    ) -> Result<HandshakePayload, Error> {
        let message = HandshakeMessage { payload };
        self.send_encoded(|out| message.encode(out))?;
        Ok(message.payload)
    }

    /// Encodes, hashes and queues a TLS 1.3 handshake message of ours.
    pub(crate) fn send_handshake13(&mut self, payload: PayloadTls13) -> Result<(), Error> {
        self.send_encoded(|out| payload.encode(out))
    }

    /// Hashes and queues the handshake message `encode` appends (header
    /// and body): for a message written straight from what we hold, such
    /// as our TLS 1.3 Certificate from the configured chain.
    pub(crate) fn send_encoded(&mut self, encode: impl FnOnce(&mut Vec<u8>)) -> Result<(), Error> {
        self.msg.clear();
        self.msg.reserve(FLIGHT_RESERVE);
        encode(&mut self.msg);
        self.transcript.add(&self.msg);
        self.reserve_flight();
        self.writer
            .write(ContentType::Handshake, &self.msg, &mut self.out)
    }

    /// Hashes and queues a handshake message of ours already encoded (a
    /// ClientHello whose PSK binders were patched in after encoding).
    pub(crate) fn send_encoded_handshake(&mut self, encoded: &[u8]) -> Result<(), Error> {
        self.msg.clear();
        self.msg.extend_from_slice(encoded);
        self.transcript.add(&self.msg);
        self.reserve_flight();
        self.writer
            .write(ContentType::Handshake, &self.msg, &mut self.out)
    }

    /// Encodes and queues a TLS 1.3 message that follows the handshake (a
    /// NewSessionTicket), outside the transcript, which has ended.
    pub(crate) fn send_post_handshake13(&mut self, payload: PayloadTls13) -> Result<(), Error> {
        self.msg.clear();
        payload.encode(&mut self.msg);
        self.writer
            .write(ContentType::Handshake, &self.msg, &mut self.out)
    }

    /// Queues an unprotected compatibility ChangeCipherSpec (RFC 8446
    /// D.4), which changes no keys.
    pub(crate) fn send_compat_change_cipher_spec(&mut self) -> Result<(), Error> {
        self.reserve_flight();
        self.writer.write_compat_change_cipher_spec(&mut self.out);
        Ok(())
    }

    /// Gives a new flight's output room for the whole flight at once.
    fn reserve_flight(&mut self) {
        if self.out.capacity() == 0 {
            self.out.reserve(FLIGHT_RESERVE);
        }
    }

    /// Queues a ChangeCipherSpec and switches our writing to the new keys.
    pub(crate) fn send_change_cipher_spec(&mut self) -> Result<(), Error> {
        let sealer = self
            .pending_sealer
            .take()
            .ok_or(Error::Internal("no keys at ChangeCipherSpec"))?;
        self.reserve_flight();
        self.writer.write(
            ContentType::ChangeCipherSpec,
            &ChangeCipherSpecPayload::ENCODING,
            &mut self.out,
        )?;
        self.writer.set_sealer(sealer);
        Ok(())
    }

    /// Switches our reading to the new keys after the peer's ChangeCipherSpec.
    pub(crate) fn recv_change_cipher_spec(&mut self) -> Result<(), Error> {
        let opener = self
            .pending_opener
            .take()
            .ok_or(Error::Internal("no keys at ChangeCipherSpec"))?;
        self.reader.set_opener(opener);
        Ok(())
    }

    /// Queues the fatal alert `error` calls for, if any, and hands back the
    /// output so the caller can still flush it.
    pub(crate) fn fail(&mut self, error: &Error) -> Vec<u8> {
        if let Some(description) = error.alert() {
            // If even the alert cannot be written, the error at hand is
            // still the one to report.
            let _ = self
                .writer
                .write_alert(AlertLevel::Fatal, description, &mut self.out);
        }
        core::mem::take(&mut self.out)
    }
}

/// The payload of the message just read, which the table check has
/// already matched to the state; any other variant is our own bug.
macro_rules! expect_payload {
    ($message:expr, $variant:ident) => {
        match $message {
            $crate::handshake::core::Incoming::Handshake(
                $crate::message::HandshakePayload::$variant(inner),
            ) => Ok(inner),
            _ => Err($crate::error::Error::Internal(concat!(
                "table check let through a non-",
                stringify!($variant)
            ))),
        }
    };
}
pub(crate) use expect_payload;

/// The TLS 1.3 payload of the message just read, as `expect_payload!`.
macro_rules! expect_payload13 {
    ($message:expr, $variant:ident) => {
        match $message {
            $crate::handshake::core::Incoming::Tls13(
                $crate::message::tls13::PayloadTls13::$variant(inner),
            ) => Ok(inner),
            _ => Err($crate::error::Error::Internal(concat!(
                "table check let through a non-",
                stringify!($variant)
            ))),
        }
    };
}
pub(crate) use expect_payload13;
