//! A blocking driver over any `Read + Write` transport.
//!
//! [`connect`] and [`accept`] walk the same typed transitions the `walk`
//! example walks by hand, reading from the transport whenever a state needs
//! more bytes; the [`Stream`] they return is `std::io::Read + Write` for
//! application data.

use std::io;
use std::sync::Arc;

use rustls_pki_types::ServerName;

use crate::connection::{Connection, ReadOutcome, SessionSummary};
use crate::error::Error;
use crate::handshake::{Client, ClientConfig, Fatal, Handshake, Role, Server, ServerConfig};

/// An established connection over a blocking transport.
#[derive(Debug)]
pub struct Stream<R: Role, T> {
    conn: Connection<R>,
    transport: T,
}

/// Connects as a client: a full handshake over `transport`. On failure the
/// fatal alert has already been written to the transport (best effort).
pub fn connect<T: io::Read + io::Write>(
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    mut transport: T,
) -> Result<Stream<Client, T>, Fatal> {
    let conn = deliver_alert(
        client_handshake(config, server_name, &mut transport),
        &mut transport,
    )?;
    Ok(Stream { conn, transport })
}

/// Accepts as a server: a full handshake over `transport`. On failure the
/// fatal alert has already been written to the transport (best effort).
pub fn accept<T: io::Read + io::Write>(
    config: Arc<ServerConfig>,
    mut transport: T,
) -> Result<Stream<Server, T>, Fatal> {
    let conn = deliver_alert(server_handshake(config, &mut transport), &mut transport)?;
    Ok(Stream { conn, transport })
}

fn deliver_alert<C>(result: Result<C, Fatal>, transport: &mut impl io::Write) -> Result<C, Fatal> {
    result.map_err(|mut fatal| {
        let _ = fatal.flush_to(transport);
        fatal
    })
}

/// The client's walk through the full handshake: the same transitions the
/// `walk` example makes by hand.
fn client_handshake<T: io::Read + io::Write>(
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    t: &mut T,
) -> Result<Connection<Client>, Fatal> {
    let hs = Handshake::client(config, server_name).send()?; // ClientHello
    let hs = hs.recv_from(t)?; // ServerHello
    let hs = hs.recv_from(t)?; // Certificate
    let hs = hs.recv_from(t)?; // ServerKeyExchange
    let hs = hs.recv_from(t)?; // ServerHelloDone
    let hs = hs.send()?.send()?.send()?; // ClientKeyExchange, ChangeCipherSpec, Finished
    let hs = hs.recv_from(t)?; // ChangeCipherSpec
    let mut hs = hs.recv_from(t)?; // Finished
    flushed(hs.flush_to(t))?;
    Ok(hs.into_connection())
}

/// The server's walk through the full handshake.
fn server_handshake<T: io::Read + io::Write>(
    config: Arc<ServerConfig>,
    t: &mut T,
) -> Result<Connection<Server>, Fatal> {
    let hs = Handshake::server(config).recv_from(t)?; // ClientHello
    let hs = hs.send()?.send()?.send()?.send()?; // ServerHello, Certificate, ServerKeyExchange, ServerHelloDone
    let hs = hs.recv_from(t)?; // ClientKeyExchange
    let hs = hs.recv_from(t)?; // ChangeCipherSpec
    let hs = hs.recv_from(t)?; // Finished
    let mut hs = hs.send()?.send()?; // ChangeCipherSpec, Finished
    flushed(hs.flush_to(t))?;
    Ok(hs.into_connection())
}

fn flushed(result: io::Result<()>) -> Result<(), Fatal> {
    result.map_err(|e| Fatal::new(Error::Transport(e.kind()), Vec::new()))
}

impl<R: Role, T: io::Read + io::Write> Stream<R, T> {
    /// What was agreed in the handshake.
    pub fn summary(&self) -> &SessionSummary {
        self.conn.summary()
    }

    /// The connection underneath.
    pub fn connection(&mut self) -> &mut Connection<R> {
        &mut self.conn
    }

    /// The transport underneath.
    pub fn transport(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Sends close_notify and flushes it.
    pub fn close(&mut self) -> io::Result<()> {
        self.conn.send_close_notify().map_err(to_io)?;
        self.conn.flush_to(&mut self.transport)
    }
}

fn to_io(error: Error) -> io::Error {
    let kind = match error {
        Error::Truncated => io::ErrorKind::UnexpectedEof,
        Error::Transport(kind) => kind,
        _ => io::ErrorKind::InvalidData,
    };
    io::Error::new(kind, error)
}

impl<R: Role, T: io::Read + io::Write> io::Read for Stream<R, T> {
    /// Reads application data. `Ok(0)` means the peer sent close_notify; a
    /// transport EOF without it is an `UnexpectedEof` error (truncation).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let outcome = self.conn.read(buf);
            // A fatal error queued an alert: try to deliver it.
            let _ = self.conn.flush_to(&mut self.transport);
            match outcome.map_err(to_io)? {
                ReadOutcome::Data(n) => return Ok(n),
                ReadOutcome::Closed => return Ok(0),
                ReadOutcome::NeedMore => {}
            }
            if self.conn.fill_from(&mut self.transport)? == 0 {
                return Err(to_io(Error::Truncated));
            }
        }
    }
}

impl<R: Role, T: io::Read + io::Write> io::Write for Stream<R, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.conn.send(buf).map_err(to_io)?;
        self.conn.flush_to(&mut self.transport)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.conn.flush_to(&mut self.transport)
    }
}
