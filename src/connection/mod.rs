//! After the handshake: application data both ways, alerts, close.
//!
//! [`Connection`] is what `Handshake<R, HandshakeOver>` turns into: the
//! handshake's transcript, secrets and buffers are dropped, only the record
//! layer and a summary of the session remain.

use std::io;

use rustls_pki_types::CertificateDer;

use crate::enums::{AlertDescription, AlertLevel, CipherSuite, ContentType, NamedGroup, SignatureScheme};
use crate::error::{Error, Received};
use crate::handshake::known::{Keyed, Knows, Negotiated};
use crate::handshake::{Handshake, Role, Shape, state};
use crate::record::{Inbound, RecordReader, RecordWriter};

/// What was agreed in the handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSummary {
    /// The cipher suite.
    pub cipher_suite: CipherSuite,
    /// The ECDHE group.
    pub group: NamedGroup,
    /// The scheme that signed the server's ECDHE parameters.
    pub signature_scheme: SignatureScheme,
    /// Whether the extended master secret (RFC 7627) is in use.
    pub extended_master_secret: bool,
    /// The server name the client asked for, if any.
    pub server_name: Option<String>,
    /// The application protocol (ALPN), if any.
    pub alpn_protocol: Option<Vec<u8>>,
    /// The server's certificate chain, end-entity first.
    pub server_certificates: Vec<CertificateDer<'static>>,
}

/// What a read produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// This many bytes of application data were copied out.
    Data(usize),
    /// Nothing whole has arrived: feed more bytes.
    NeedMore,
    /// The peer sent close_notify: the clean end of the stream.
    Closed,
}

/// An established connection of role `R`.
pub struct Connection<R: Role> {
    reader: RecordReader,
    writer: RecordWriter,
    out: Vec<u8>,
    /// Application data received but not yet taken: bytes `[taken..]`.
    pending: Vec<u8>,
    taken: usize,
    summary: SessionSummary,
    peer_closed: bool,
    error: Option<Error>,
    _role: core::marker::PhantomData<fn() -> R>,
}

impl<R: Role> core::fmt::Debug for Connection<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection").field("role", &R::NAME).field("summary", &self.summary).finish_non_exhaustive()
    }
}

impl<R: Role, P: Shape> Handshake<R, state::HandshakeOver, P> {
    /// What was agreed.
    pub fn summary(&self) -> SessionSummary {
        let keyed: &Keyed = self.known.knows();
        let negotiated: &Negotiated = self.known.knows();
        SessionSummary {
            cipher_suite: negotiated.suite.suite,
            group: keyed.group,
            signature_scheme: keyed.signature_scheme,
            extended_master_secret: negotiated.extended_master_secret,
            server_name: negotiated.server_name.clone(),
            alpn_protocol: negotiated.alpn_protocol.clone(),
            server_certificates: keyed.certified.server_certificates.clone(),
        }
    }

    /// The established connection. Application data exists only from here.
    pub fn into_connection(self) -> Connection<R> {
        let summary = self.summary();
        let core = *self.core;
        Connection {
            reader: core.reader,
            writer: core.writer,
            out: core.out,
            pending: Vec::new(),
            taken: 0,
            summary,
            peer_closed: false,
            error: None,
            _role: core::marker::PhantomData,
        }
    }
}

impl<R: Role> Connection<R> {
    /// What was agreed in the handshake.
    pub fn summary(&self) -> &SessionSummary {
        &self.summary
    }

    /// Queues `data` as application data records.
    pub fn send(&mut self, data: &[u8]) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        self.writer.write(ContentType::ApplicationData, data, &mut self.out)
    }

    /// Queues a close_notify alert; nothing is sent after it.
    pub fn send_close_notify(&mut self) -> Result<(), Error> {
        self.writer.write_alert(AlertLevel::Warning, AlertDescription::CloseNotify, &mut self.out)?;
        self.error.get_or_insert(Error::Closed);
        Ok(())
    }

    /// Hands the record layer bytes from the peer.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.reader.feed(bytes);
    }

    /// Reads once from `transport`; `Ok(0)` is EOF.
    pub fn fill_from(&mut self, transport: &mut impl io::Read) -> io::Result<usize> {
        self.reader.read_from(transport)
    }

    /// The bytes queued for the peer.
    pub fn pending_output(&self) -> &[u8] {
        &self.out
    }

    /// Takes the bytes queued for the peer.
    pub fn take_output(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.out)
    }

    /// Writes the queued bytes to `transport` and flushes it.
    pub fn flush_to(&mut self, transport: &mut impl io::Write) -> io::Result<()> {
        if !self.out.is_empty() {
            transport.write_all(&self.out)?;
            self.out.clear();
        }
        transport.flush()
    }

    /// Copies received application data into `buf`. Data that does not fit
    /// stays for the next call. A fatal error queues its alert.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<ReadOutcome, Error> {
        loop {
            if self.taken < self.pending.len() {
                let n = buf.len().min(self.pending.len() - self.taken);
                buf[..n].copy_from_slice(&self.pending[self.taken..self.taken + n]);
                self.taken += n;
                if self.taken == self.pending.len() {
                    self.pending = Vec::new();
                    self.taken = 0;
                }
                return Ok(ReadOutcome::Data(n));
            }
            if self.peer_closed {
                return Ok(ReadOutcome::Closed);
            }
            if let Some(error) = &self.error {
                return Err(error.clone());
            }
            let inbound = match self.reader.next_message() {
                Ok(None) => return Ok(ReadOutcome::NeedMore),
                Ok(Some(inbound)) => inbound,
                Err(error) => return Err(self.fail(error)),
            };
            match inbound {
                Inbound::ApplicationData(data) if data.len() <= buf.len() => {
                    buf[..data.len()].copy_from_slice(data);
                    return Ok(ReadOutcome::Data(data.len()));
                }
                Inbound::ApplicationData(data) => self.pending.extend_from_slice(data),
                Inbound::Alert(alert) if alert.description == AlertDescription::CloseNotify => {
                    self.peer_closed = true;
                }
                Inbound::Alert(alert) => {
                    let error = Error::AlertReceived { level: alert.level, description: alert.description };
                    return Err(self.fail(error));
                }
                Inbound::Handshake { typ, .. } => {
                    let error = Error::UnexpectedMessage {
                        expected: "application data",
                        got: Received::Handshake(typ),
                    };
                    return Err(self.fail(error));
                }
                Inbound::ChangeCipherSpec => {
                    let error = Error::UnexpectedMessage {
                        expected: "application data",
                        got: Received::Record(ContentType::ChangeCipherSpec),
                    };
                    return Err(self.fail(error));
                }
            }
        }
    }

    fn fail(&mut self, error: Error) -> Error {
        if self.error.is_none() {
            if let Some(description) = error.alert() {
                let _ = self.writer.write_alert(AlertLevel::Fatal, description, &mut self.out);
            }
            self.error = Some(error.clone());
        }
        error
    }
}
