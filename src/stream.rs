//! A blocking driver over any `Read + Write` transport.
//!
//! [`connect`] and [`accept`] walk the same typed transitions the `walk`
//! example walks by hand, reading from the transport whenever a state needs
//! more bytes; the [`Stream`] they return is `std::io::Read + Write` for
//! application data, and `std::io::BufRead`, which hands the data out in
//! place where it was decrypted.

use std::io;
use std::sync::Arc;

use rustls_pki_types::ServerName;

use crate::connection::{
    Connection, ReadHalf, ReadOutcome, SessionSummary, WriteHalf, copy_prefix,
};
use crate::error::Error;
use crate::handshake::tls13::table::state as tls13_state;
use crate::handshake::tls13::{
    AfterClientCert13, AfterEncryptedExtensions, AfterSecondClientHello, AfterServerHello13,
};
use crate::handshake::{
    AfterClientCert, AfterClientHello, AfterEarlyEncryptedExtensions, AfterEarlyServerHello,
    AfterServerCert, AfterServerHello, AfterServerKey, AfterTicket, Client, ClientAuth,
    ClientCertPolicy, ClientConfig, EarlyData, EarlyDataOffer, Fatal, Full, FullShape, Handshake,
    RecvMessage, RejectedEarlyData, Resumed, Role, SendMessage, Server, ServerConfig, Shape, Step,
    state,
};

/// An established connection over a blocking transport.
#[derive(Debug)]
pub struct Stream<R: Role, T> {
    conn: Connection<R>,
    transport: T,
}

pub use crate::handshake::EarlyDataOutcome;

/// Connects as a client as [`connect`] does, sending `early_data` as TLS
/// 1.3 0-RTT data (RFC 8446 2.3) if [`ClientConfig::enable_early_data`] is
/// set and the session store holds a ticket for this server that allows
/// it. The outcome says whether the server accepted it and hands back what
/// it did not take; nothing is resent by itself. Early data can be
/// replayed by an attacker (RFC 8446 8): send only what is safe to act on
/// twice.
pub fn connect_with_early_data<T: io::Read + io::Write>(
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    mut transport: T,
    early_data: &[u8],
) -> Result<(Stream<Client, T>, EarlyDataOutcome), Fatal> {
    let (conn, outcome) = deliver_alert(
        client_handshake_early(config, server_name, &mut transport, early_data),
        &mut transport,
    )?;
    Ok((Stream { conn, transport }, outcome))
}

/// The client's walk with 0-RTT: as [`client_handshake`], with the early
/// data after the ClientHello and the branches its answer makes.
fn client_handshake_early<T: io::Read + io::Write>(
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    t: &mut T,
    data: &[u8],
) -> Result<(Connection<Client>, EarlyDataOutcome), Fatal> {
    let not_accepted = |unsent: Vec<u8>| EarlyDataOutcome {
        offered: true,
        accepted: false,
        unsent,
    };
    let hs = match Handshake::client(config, server_name).send_with_early_data()? {
        EarlyDataOffer::Offered(hs) => hs,
        EarlyDataOffer::NotOffered(hs) => {
            let after = hs.recv_from(t)?;
            let outcome = EarlyDataOutcome {
                offered: false,
                accepted: false,
                unsent: data.to_vec(),
            };
            return Ok((client_after_server_hello(after, t)?, outcome));
        }
    };
    let (hs, written) = hs.write_early_data(data)?;
    let rest = data.get(written..).unwrap_or_default();
    let with_rest = |rejected: RejectedEarlyData| {
        let mut unsent = rejected.into_data();
        unsent.extend_from_slice(rest);
        not_accepted(unsent)
    };
    match hs.recv_from(t)? {
        AfterEarlyServerHello::Resumed(hs) => match hs.recv_from(t)? {
            AfterEarlyEncryptedExtensions::Accepted(hs) => {
                // Finished; EndOfEarlyData, Finished
                let mut hs = hs.recv_from(t)?.send()?.send()?;
                flushed(hs.flush_to(t))?;
                let outcome = EarlyDataOutcome {
                    offered: true,
                    accepted: true,
                    unsent: rest.to_vec(),
                };
                Ok((hs.into_connection(), outcome))
            }
            AfterEarlyEncryptedExtensions::Rejected(rejected, hs) => {
                // Finished; [ChangeCipherSpec], Finished
                let mut hs = hs.recv_from(t)?.send()?.send()?;
                flushed(hs.flush_to(t))?;
                Ok((hs.into_connection(), with_rest(rejected)))
            }
        },
        AfterEarlyServerHello::Rejected(rejected, after) => {
            let conn = client_after_server_hello(after, t)?;
            Ok((conn, with_rest(rejected)))
        }
    }
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

/// Accepts as a server over `transport`: a full handshake without client
/// authentication, or the resumption of a session. On failure the fatal
/// alert has already been written to the transport (best effort).
pub fn accept<T: io::Read + io::Write>(
    config: Arc<ServerConfig>,
    mut transport: T,
) -> Result<Stream<Server, T>, Fatal> {
    let hs = Handshake::server(config);
    let conn = deliver_alert(server_handshake(hs, &mut transport, None), &mut transport)?;
    Ok(Stream { conn, transport })
}

/// What [`accept_answering_early_data`] asks of the application: given
/// what the handshake has agreed so far and the 0-RTT data received so
/// far, the answer to send now as 0.5-RTT data, or `None` to wait for
/// more (or not to answer early at all).
pub type EarlyAnswer<'a> = &'a mut dyn FnMut(&SessionSummary, &[u8]) -> Option<Vec<u8>>;

/// Accepts as [`accept`] does; when the handshake accepts 0-RTT early
/// data (`ServerConfig::max_early_data_size`), `answer` is asked after
/// each arrival of it, until it answers: its answer goes out at once as
/// 0.5-RTT data (RFC 8446 2.3), before the client's Finished, so the
/// client has it a round trip sooner. The early data is still handed out
/// whole by [`Stream::take_early_data`]. It may be a replay (RFC 8446 8):
/// answer early only what is safe to do twice, and remember that the
/// client is not yet proven live when the answer goes.
pub fn accept_answering_early_data<T: io::Read + io::Write>(
    config: Arc<ServerConfig>,
    mut transport: T,
    answer: EarlyAnswer<'_>,
) -> Result<Stream<Server, T>, Fatal> {
    let hs = Handshake::server(config);
    let conn = deliver_alert(
        server_handshake(hs, &mut transport, Some(answer)),
        &mut transport,
    )?;
    Ok(Stream { conn, transport })
}

/// Accepts as a server that asks for a client certificate (CertificateRequest)
/// in full handshakes, by `policy`.
pub fn accept_with_client_auth<T: io::Read + io::Write>(
    config: Arc<ServerConfig>,
    policy: ClientCertPolicy,
    mut transport: T,
) -> Result<Stream<Server, T>, Fatal> {
    let hs = Handshake::server_requesting_client_cert(config, policy);
    let conn = deliver_alert(
        server_client_auth_handshake(hs, &mut transport),
        &mut transport,
    )?;
    Ok(Stream { conn, transport })
}

fn deliver_alert<C>(result: Result<C, Fatal>, transport: &mut impl io::Write) -> Result<C, Fatal> {
    result.map_err(|mut fatal| {
        let _ = fatal.flush_to(transport);
        fatal
    })
}

/// The client's walk through the handshake: the same transitions the
/// `walk` example makes by hand, with a branch wherever the server chooses.
fn client_handshake<T: io::Read + io::Write>(
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    t: &mut T,
) -> Result<Connection<Client>, Fatal> {
    let hs = Handshake::client(config, server_name).send()?; // ClientHello
    let after = hs.recv_from(t)?;
    client_after_server_hello(after, t)
}

/// The client's walk from what the ServerHello decided.
fn client_after_server_hello<T: io::Read + io::Write>(
    after: AfterServerHello,
    t: &mut T,
) -> Result<Connection<Client>, Fatal> {
    let hs = match after {
        AfterServerHello::Full(hs) => hs,
        AfterServerHello::Resumed(hs) => {
            let hs = match hs.recv_from(t)? {
                AfterTicket::Ticket(hs) => hs.recv_from(t)?, // ChangeCipherSpec
                AfterTicket::NoTicket(hs) => hs,
            };
            let hs = hs.recv_from(t)?; // Finished
            let hs = hs.send()?.send()?; // ChangeCipherSpec, Finished
            return connection(hs, t);
        }
        AfterServerHello::Tls13(hs) => return client_tls13(hs, t),
        AfterServerHello::Tls13Resumed(hs) => return client_tls13_resumed(hs, t),
        // Our second ClientHello, the ServerHello
        AfterServerHello::HelloRetryRequest(hs) => {
            return match hs.send()?.recv_from(t)? {
                AfterServerHello13::Full(hs) => client_tls13(hs, t),
                AfterServerHello13::Resumed(hs) => client_tls13_resumed(hs, t),
            };
        }
    };
    let hs = match hs.recv_from(t)?.recv_from(t)? {
        // Certificate, CertificateStatus, ServerKeyExchange
        AfterServerCert::CertificateStatus(hs) => hs.recv_from(t)?,
        // Certificate, ServerKeyExchange
        AfterServerCert::NoCertificateStatus(hs) => hs,
    };
    match hs.recv_from(t)? {
        AfterServerKey::NoCertificateRequest(hs) => client_finish(hs.send()?, t), // ClientKeyExchange
        AfterServerKey::CertificateRequested(hs) => {
            let hs = hs.recv_from(t)?; // ServerHelloDone
            if hs.can_send_certificate() {
                // Certificate, ClientKeyExchange, CertificateVerify
                client_finish(hs.send_certificate()?.send()?.send()?, t)
            } else {
                client_finish(hs.send_no_certificate()?.send()?, t)
            }
        }
    }
}

/// The TLS 1.3 handshake after the ServerHello.
fn client_tls13<T: io::Read + io::Write>(
    hs: Handshake<Client, crate::handshake::tls13::table::state::EncryptedExtensions>,
    t: &mut T,
) -> Result<Connection<Client>, Fatal> {
    // EncryptedExtensions, [CertificateRequest], Certificate
    let mut hs = match hs.recv_from(t)?.recv_from(t)? {
        // CertificateVerify, Finished; [ChangeCipherSpec], Finished
        AfterEncryptedExtensions::NoCertificateRequest(hs) => {
            hs.recv_from(t)?.recv_from(t)?.send()?.send()?
        }
        AfterEncryptedExtensions::CertificateRequested(hs) => {
            // Certificate, CertificateVerify, Finished; [ChangeCipherSpec]
            let hs = hs.recv_from(t)?.recv_from(t)?.recv_from(t)?.send()?;
            let mut hs = if hs.can_send_certificate() {
                // Certificate, CertificateVerify, Finished
                hs.send_certificate()?.send()?.send()?
            } else {
                // an empty Certificate, Finished
                let mut hs = hs.send_no_certificate()?.send()?;
                flushed(hs.flush_to(t))?;
                return Ok(hs.into_connection());
            };
            flushed(hs.flush_to(t))?;
            return Ok(hs.into_connection());
        }
    };
    flushed(hs.flush_to(t))?;
    Ok(hs.into_connection())
}

/// A resumed TLS 1.3 handshake after the ServerHello.
fn client_tls13_resumed<T: io::Read + io::Write>(
    hs: Handshake<Client, tls13_state::EncryptedExtensions, Resumed>,
    t: &mut T,
) -> Result<Connection<Client>, Fatal> {
    // EncryptedExtensions, Finished; [ChangeCipherSpec], Finished
    let mut hs = hs.recv_from(t)?.recv_from(t)?.send()?.send()?;
    flushed(hs.flush_to(t))?;
    Ok(hs.into_connection())
}

/// The end of a full handshake, the same for every full shape.
fn client_finish<T: io::Read + io::Write, P: FullShape>(
    hs: Handshake<Client, state::ClientChangeCipherSpec, P>,
    t: &mut T,
) -> Result<Connection<Client>, Fatal> {
    let hs = hs.send()?.send()?; // ChangeCipherSpec, Finished
    let hs = match hs.recv_from(t)? {
        AfterTicket::Ticket(hs) => hs.recv_from(t)?, // ChangeCipherSpec
        AfterTicket::NoTicket(hs) => hs,
    };
    let hs = hs.recv_from(t)?; // Finished
    connection(hs, t)
}

fn connection<R: Role, P: crate::handshake::Shape, T: io::Write>(
    mut hs: Handshake<R, state::HandshakeOver, P>,
    t: &mut T,
) -> Result<Connection<R>, Fatal> {
    flushed(hs.flush_to(t))?;
    Ok(hs.into_connection())
}

/// The server's walk: a full handshake or a resumption.
fn server_handshake<T: io::Read + io::Write>(
    hs: Handshake<Server, state::ClientHello, Full>,
    t: &mut T,
    answer: Option<EarlyAnswer<'_>>,
) -> Result<Connection<Server>, Fatal> {
    match hs.recv_from(t)? {
        AfterClientHello::Resumed(hs) => server_resumed(hs, t),
        AfterClientHello::Full(hs) => {
            // ServerHello, Certificate, [CertificateStatus], ServerKeyExchange,
            // ServerHelloDone
            let hs = hs.send()?.send()?.send()?.send()?.send()?;
            server_finish(hs.recv_from(t)?, t) // ClientKeyExchange
        }
        AfterClientHello::Tls13(hs) => server_tls13(hs, t),
        AfterClientHello::Tls13Resumed(hs) => server_tls13_resumed(hs, t),
        AfterClientHello::Tls13Early(hs) => server_tls13_early(hs, t, answer),
        AfterClientHello::Tls13Retry(hs) => {
            // HelloRetryRequest, [ChangeCipherSpec]; the second ClientHello
            match hs.send()?.recv_from(t)? {
                AfterSecondClientHello::Full(hs) => server_tls13(hs, t),
                AfterSecondClientHello::Resumed(hs) => server_tls13_resumed(hs, t),
            }
        }
    }
}

/// The server's resumed TLS 1.3 walk from its ServerHello.
fn server_tls13_resumed<T: io::Read + io::Write>(
    hs: Handshake<Server, tls13_state::ServerHello, Resumed>,
    t: &mut T,
) -> Result<Connection<Server>, Fatal> {
    // ServerHello, [ChangeCipherSpec], EncryptedExtensions, Finished
    let hs = hs.send()?.send()?.send()?.send()?;
    let mut hs = hs.recv_from(t)?; // the client's Finished
    flushed(hs.flush_to(t))?;
    Ok(hs.into_connection())
}

/// The server's TLS 1.3 walk from its ServerHello when it accepted 0-RTT
/// data: the early data is read up to the client's EndOfEarlyData, kept
/// apart for [`Stream::take_early_data`].
fn server_tls13_early<T: io::Read + io::Write>(
    hs: Handshake<Server, tls13_state::ServerHello, EarlyData>,
    t: &mut T,
    answer: Option<EarlyAnswer<'_>>,
) -> Result<Connection<Server>, Fatal> {
    // ServerHello, [ChangeCipherSpec], EncryptedExtensions, Finished
    let mut hs = hs.send()?.send()?.send()?.send()?;
    let Some(answer) = answer else {
        // the early data and EndOfEarlyData; the client's Finished
        let mut hs = hs.recv_from(t)?.recv_from(t)?;
        flushed(hs.flush_to(t))?;
        return Ok(hs.into_connection());
    };
    // Read by hand, asking for an answer after each arrival of early data.
    let mut early = Vec::new();
    let mut answered = false;
    let hs = loop {
        if let Err(e) = hs.flush_to(t) {
            return Err(hs.fatal(Error::Transport(e.kind())));
        }
        hs = match hs.recv()? {
            Step::Next(next) => break next,
            Step::NeedMore(mut same) => {
                let arrived = same.take_early_data();
                if !arrived.is_empty() && !answered {
                    early.extend_from_slice(&arrived);
                    if let Some(reply) = answer(&same.summary(), &early) {
                        same = same.send_half_rtt_data(&reply)?;
                        answered = true;
                    }
                } else {
                    early.extend_from_slice(&arrived);
                }
                same
            }
        };
        match hs.fill_from(t) {
            Ok(0) => return Err(hs.fatal(Error::Truncated)),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(hs.fatal(Error::Transport(e.kind()))),
        }
    };
    // The client's Finished.
    let mut hs = hs.recv_from(t)?;
    flushed(hs.flush_to(t))?;
    let mut conn = hs.into_connection();
    conn.prepend_early_data(early);
    Ok(conn)
}

/// The server's TLS 1.3 walk from its ServerHello.
fn server_tls13<T: io::Read + io::Write>(
    hs: Handshake<Server, tls13_state::ServerHello, Full>,
    t: &mut T,
) -> Result<Connection<Server>, Fatal> {
    // ServerHello, [ChangeCipherSpec], EncryptedExtensions, Certificate,
    // CertificateVerify, Finished
    let hs = hs.send()?.send()?.send()?.send()?.send()?.send()?;
    let mut hs = hs.recv_from(t)?; // the client's Finished
    flushed(hs.flush_to(t))?;
    Ok(hs.into_connection())
}

/// The server's TLS 1.3 walk from its ServerHello when it asks for a
/// client certificate.
fn server_tls13_client_auth<T: io::Read + io::Write>(
    hs: Handshake<Server, tls13_state::ServerHello, ClientAuth>,
    t: &mut T,
) -> Result<Connection<Server>, Fatal> {
    // ServerHello, [ChangeCipherSpec], EncryptedExtensions,
    // CertificateRequest, Certificate, CertificateVerify, Finished
    let hs = hs.send()?.send()?.send()?.send()?.send()?.send()?.send()?;
    let mut hs = match hs.recv_from(t)? {
        // CertificateVerify, Finished
        AfterClientCert13::Certificate(hs) => hs.recv_from(t)?.recv_from(t)?,
        AfterClientCert13::NoCertificate(hs) => {
            let mut hs = hs.recv_from(t)?; // Finished
            flushed(hs.flush_to(t))?;
            return Ok(hs.into_connection());
        }
    };
    flushed(hs.flush_to(t))?;
    Ok(hs.into_connection())
}

/// The server's walk when it asks for a client certificate.
fn server_client_auth_handshake<T: io::Read + io::Write>(
    hs: Handshake<Server, state::ClientHello, ClientAuth>,
    t: &mut T,
) -> Result<Connection<Server>, Fatal> {
    match hs.recv_from(t)? {
        AfterClientHello::Resumed(hs) => server_resumed(hs, t),
        AfterClientHello::ResumedWithClientCert(hs) => server_resumed(hs, t),
        AfterClientHello::Tls13(hs) => server_tls13_client_auth(hs, t),
        AfterClientHello::Tls13Resumed(hs) => server_tls13_resumed(hs, t),
        AfterClientHello::Tls13Early(hs) => server_tls13_early(hs, t, None),
        AfterClientHello::Tls13Retry(hs) => {
            // HelloRetryRequest, [ChangeCipherSpec]; the second ClientHello
            match hs.send()?.recv_from(t)? {
                AfterSecondClientHello::Full(hs) => server_tls13_client_auth(hs, t),
                AfterSecondClientHello::Resumed(hs) => server_tls13_resumed(hs, t),
            }
        }
        AfterClientHello::Full(hs) => {
            // ServerHello, Certificate, [CertificateStatus], ServerKeyExchange,
            // CertificateRequest, ServerHelloDone
            let hs = hs.send()?.send()?.send()?.send()?.send()?.send()?;
            match hs.recv_from(t)? {
                // ClientKeyExchange, CertificateVerify
                AfterClientCert::Certificate(hs) => {
                    server_finish(hs.recv_from(t)?.recv_from(t)?, t)
                }
                AfterClientCert::NoCertificate(hs) => server_finish(hs.recv_from(t)?, t),
            }
        }
    }
}

/// The end of a full handshake, the same for every full shape.
fn server_finish<T: io::Read + io::Write, P: FullShape>(
    hs: Handshake<Server, state::ClientChangeCipherSpec, P>,
    t: &mut T,
) -> Result<Connection<Server>, Fatal> {
    let hs = hs.recv_from(t)?.recv_from(t)?; // ChangeCipherSpec, Finished
    let hs = hs.send()?.send()?.send()?; // [NewSessionTicket], ChangeCipherSpec, Finished
    connection(hs, t)
}

/// An abbreviated handshake, with the client authenticated or not.
fn server_resumed<T: io::Read + io::Write, P: Shape>(
    hs: Handshake<Server, state::ServerHello, P>,
    t: &mut T,
) -> Result<Connection<Server>, Fatal>
where
    state::ServerHello: SendMessage<Server, P, Next = state::ServerNewSessionTicket>,
    state::ServerFinished: SendMessage<Server, P, Next = state::ClientChangeCipherSpec>,
    state::ClientFinished:
        RecvMessage<Server, P, Next = Handshake<Server, state::HandshakeOver, P>>,
{
    let hs = hs.send()?.send()?.send()?.send()?; // ServerHello, [NewSessionTicket], ChangeCipherSpec, Finished
    let hs = hs.recv_from(t)?.recv_from(t)?; // ChangeCipherSpec, Finished
    connection(hs, t)
}

fn flushed(result: io::Result<()>) -> Result<(), Fatal> {
    result.map_err(|e| Fatal::new(Error::Transport(e.kind()), Vec::new()))
}

impl<R: Role, T: io::Read + io::Write> Stream<R, T> {
    /// What was agreed in the handshake.
    pub fn summary(&self) -> &SessionSummary {
        self.conn.summary()
    }

    /// The server's accepted 0-RTT data, once (see
    /// [`Connection::take_early_data`]).
    pub fn take_early_data(&mut self) -> Option<Vec<u8>> {
        self.conn.take_early_data()
    }

    /// The connection underneath.
    pub fn connection(&mut self) -> &mut Connection<R> {
        &mut self.conn
    }

    /// The transport underneath.
    pub fn transport(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Sends exactly one alert — the pending fatal alert if an error
    /// occurred, else close_notify — and nothing after it.
    pub fn shutdown_send(&mut self) -> io::Result<()> {
        self.conn.shutdown_send().map_err(to_io)?;
        self.conn.flush_to(&mut self.transport)
    }

    /// TLS 1.3: updates our sending key and writes the KeyUpdate now (see
    /// [`Connection::update_keys`]).
    pub fn update_keys(&mut self, request_peer: bool) -> io::Result<()> {
        self.conn.update_keys(request_peer).map_err(to_io)?;
        self.conn.flush_to(&mut self.transport)
    }

    /// Sends close_notify (an alias of [`shutdown_send`](Self::shutdown_send)).
    pub fn close(&mut self) -> io::Result<()> {
        self.shutdown_send()
    }

    /// [`shutdown_send`](Self::shutdown_send), then, unless the connection
    /// failed, reads until the peer's close_notify, discarding application
    /// data. A transport EOF before it is truncation.
    pub fn shutdown(&mut self) -> io::Result<()> {
        self.shutdown_send()?;
        let mut discard = [0u8; 4096];
        while !self.conn.failed() && !self.conn.peer_closed() {
            io::Read::read(self, &mut discard)?;
        }
        Ok(())
    }
}

impl<T: io::Read + io::Write> Stream<crate::handshake::Server, T> {
    /// TLS 1.3: asks the client for a certificate and writes the request
    /// now (see [`Connection::request_client_certificate`]); the answer is
    /// read with the application data that follows, and its outcome is
    /// `self.connection().post_handshake_auth()`.
    pub fn request_client_certificate(
        &mut self,
        policy: crate::handshake::ClientCertPolicy,
    ) -> io::Result<()> {
        self.conn
            .request_client_certificate(policy)
            .map_err(to_io)?;
        self.conn.flush_to(&mut self.transport)
    }
}

impl<R: Role> Stream<R, std::net::TcpStream> {
    /// Splits into a reading and a writing stream for two threads, over
    /// two handles of the same socket.
    pub fn split(self) -> io::Result<(ReadStream<R>, WriteStream<R>)> {
        let tcp = self.transport.try_clone()?;
        let (read, write) = self.conn.split();
        Ok((
            ReadStream {
                half: read,
                transport: self.transport,
            },
            WriteStream {
                half: write,
                transport: tcp,
            },
        ))
    }
}

fn to_io(error: Error) -> io::Error {
    let kind = match error {
        Error::Truncated => io::ErrorKind::UnexpectedEof,
        Error::Transport(kind) => kind,
        Error::Closed => io::ErrorKind::NotConnected,
        _ => io::ErrorKind::InvalidData,
    };
    io::Error::new(kind, error)
}

/// One side that reads application data from a blocking transport.
trait AppDataSource {
    /// One look at what is buffered: `Data(n)` when `n` bytes of
    /// application data are held (0: an empty record, now passed).
    fn poll_buffered(&mut self) -> Result<ReadOutcome, Error>;
    /// The application data held, after `poll_buffered` found some.
    fn held(&mut self) -> &[u8];
    /// Marks `n` bytes of it read.
    fn consume_held(&mut self, n: usize);
    /// One read from the transport; `Ok(0)` is EOF.
    fn fill(&mut self) -> io::Result<usize>;
    /// The transport ended.
    fn eof(&mut self) -> Error;
}

/// Reads from the transport until application data is held (`Ok(true)`)
/// or the peer's close_notify has arrived (`Ok(false)`); a transport EOF
/// without close_notify is an `UnexpectedEof` error (truncation). Empty
/// application data records, which a peer may send, are passed over: they
/// must not look like the end of the stream.
fn wait_for_data(source: &mut impl AppDataSource) -> io::Result<bool> {
    loop {
        match source.poll_buffered().map_err(to_io)? {
            ReadOutcome::Data(0) => continue,
            ReadOutcome::Data(_) => return Ok(true),
            ReadOutcome::Closed => return Ok(false),
            ReadOutcome::NeedMore => {}
        }
        match source.fill() {
            Ok(0) => return Err(to_io(source.eof())),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads application data: `Ok(0)` is the peer's close_notify; a transport
/// EOF without it is an `UnexpectedEof` error (truncation), never `Ok(0)`.
fn read_app_data(source: &mut impl AppDataSource, buf: &mut [u8]) -> io::Result<usize> {
    if buf.is_empty() || !wait_for_data(source)? {
        return Ok(0);
    }
    let n = copy_prefix(source.held(), buf);
    source.consume_held(n);
    Ok(n)
}

/// The data [`BufRead::fill_buf`](io::BufRead::fill_buf) hands out: empty
/// only at the peer's close_notify.
fn fill_app_data(source: &mut impl AppDataSource) -> io::Result<&[u8]> {
    if !wait_for_data(source)? {
        return Ok(&[]);
    }
    Ok(source.held())
}

impl<R: Role, T: io::Read + io::Write> AppDataSource for Stream<R, T> {
    fn poll_buffered(&mut self) -> Result<ReadOutcome, Error> {
        let outcome = self.conn.fill_buf().map(|o| o.map(<[u8]>::len));
        // Deliver a queued alert or no_renegotiation warning now.
        let _ = self.conn.flush_to(&mut self.transport);
        outcome
    }

    fn held(&mut self) -> &[u8] {
        match self.conn.fill_buf() {
            Ok(ReadOutcome::Data(data)) => data,
            _ => &[],
        }
    }

    fn consume_held(&mut self, n: usize) {
        self.conn.consume(n);
    }

    fn fill(&mut self) -> io::Result<usize> {
        self.conn.fill_from(&mut self.transport)
    }

    fn eof(&mut self) -> Error {
        self.conn.transport_eof()
    }
}

impl<R: Role, T: io::Read + io::Write> io::Read for Stream<R, T> {
    /// Reads application data. `Ok(0)` means the peer sent close_notify
    /// (our own close_notify, its answer, is written before `Ok(0)` is
    /// returned, and writing fails from then on); a transport EOF without
    /// it is an `UnexpectedEof` error (truncation). A fatal error's alert
    /// is written before the error is returned.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_app_data(self, buf)
    }
}

impl<R: Role, T: io::Read + io::Write> io::BufRead for Stream<R, T> {
    /// The unread application data of the current record, in place where
    /// it was decrypted (no copy), reading from the transport while there
    /// is none. Empty means the peer sent close_notify; a transport EOF
    /// without it is an `UnexpectedEof` error (truncation). Errors and
    /// alerts as for [`read`](io::Read::read).
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        fill_app_data(self)
    }

    fn consume(&mut self, amt: usize) {
        self.conn.consume(amt);
    }
}

impl<R: Role, T: io::Read + io::Write> io::Write for Stream<R, T> {
    /// Sends `buf`; after the peer's close_notify this fails with
    /// [`Error::Closed`] (our answer went out as it was read).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let sent = self.conn.send(buf);
        // Flushed even when the send failed, as `WriteStream` does.
        let flushed = self.conn.flush_to(&mut self.transport);
        sent.map_err(to_io)?;
        flushed?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.conn.flush_to(&mut self.transport)
    }
}

/// The reading side of a split [`Stream`].
///
/// It cannot write: a renegotiation request it reads is refused by the
/// no_renegotiation warning that the [`WriteStream`] sends on its next
/// write or flush, the peer's close_notify is answered by ours on the
/// [`WriteStream`]'s next write, flush or `shutdown_send` (the write
/// itself fails with [`Error::Closed`]), and a fatal error's alert waits
/// for [`WriteStream::shutdown_send`] (the seed's rule for two threads).
#[derive(Debug)]
pub struct ReadStream<R: Role> {
    half: ReadHalf<R>,
    transport: std::net::TcpStream,
}

/// The writing side of a split [`Stream`].
#[derive(Debug)]
pub struct WriteStream<R: Role> {
    half: WriteHalf<R>,
    transport: std::net::TcpStream,
}

impl<R: Role> AppDataSource for ReadStream<R> {
    fn poll_buffered(&mut self) -> Result<ReadOutcome, Error> {
        self.half.fill_buf().map(|o| o.map(<[u8]>::len))
    }

    fn held(&mut self) -> &[u8] {
        match self.half.fill_buf() {
            Ok(ReadOutcome::Data(data)) => data,
            _ => &[],
        }
    }

    fn consume_held(&mut self, n: usize) {
        self.half.consume(n);
    }

    fn fill(&mut self) -> io::Result<usize> {
        self.half.fill_from(&mut self.transport)
    }

    fn eof(&mut self) -> Error {
        self.half.transport_eof()
    }
}

impl<R: Role> io::Read for ReadStream<R> {
    /// As [`Stream`]'s read. A fatal error's alert waits in the reader's
    /// slot until the writing side's [`WriteStream::shutdown_send`].
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_app_data(self, buf)
    }
}

impl<R: Role> io::BufRead for ReadStream<R> {
    /// As [`Stream`]'s `fill_buf`: application data in place, empty at
    /// the peer's close_notify.
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        fill_app_data(self)
    }

    fn consume(&mut self, amt: usize) {
        self.half.consume(amt);
    }
}

impl<R: Role> WriteStream<R> {
    /// Sends exactly one alert and nothing after it: this side's pending
    /// alert, else the reading side's, else close_notify.
    pub fn shutdown_send(&mut self) -> io::Result<()> {
        self.half.shutdown_send().map_err(to_io)?;
        self.half.flush_to(&mut self.transport)
    }
}

impl<R: Role> WriteStream<R> {
    /// TLS 1.3: updates our sending key and writes the KeyUpdate now,
    /// asking the peer to update its own too if `request_peer` (see
    /// [`WriteHalf::update_keys`](crate::connection::WriteHalf::update_keys)).
    pub fn update_keys(&mut self, request_peer: bool) -> io::Result<()> {
        self.half.update_keys(request_peer).map_err(to_io)?;
        self.half.flush_to(&mut self.transport)
    }
}

impl<R: Role> io::Write for WriteStream<R> {
    /// Sends `buf`. Once the peer's close_notify has been read by the
    /// [`ReadStream`], this fails with [`Error::Closed`], and writes our
    /// own close_notify, the answer, before it returns (RFC 5246 7.2.1).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let sent = self.half.send(buf);
        // Flushed even when the send failed: what `send` queued instead
        // (the answer to the peer's close_notify) must go out now.
        let flushed = self.half.flush_to(&mut self.transport);
        sent.map_err(to_io)?;
        flushed?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.half.flush_to(&mut self.transport)
    }
}
