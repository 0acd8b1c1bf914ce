//! Our client and our server handshaken in memory, flight by flight, for
//! the tests of our own state handling (interoperability is proven against
//! real peers elsewhere): the full handshake without client certificates
//! or resumption, and its branch points taken the expected way.

use std::sync::Arc;

use rustls_pki_types::ServerName;
use tlstate::connection::Connection;
use tlstate::handshake::{
    AfterClientHello, AfterEncryptedExtensions, AfterServerCert, AfterServerHello, AfterServerKey,
    AfterTicket, Client, ClientConfig, Fatal, Handshake, Role, Server, ServerConfig, Shape, State,
    Step, state,
};

/// The name every test certificate is issued for.
pub fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

/// Takes the next state, failing the test on `NeedMore`.
pub fn next<N, S>(step: Step<N, S>) -> N {
    match step {
        Step::Next(next) => next,
        Step::NeedMore(_) => panic!("a whole flight was fed, yet the state needs more"),
    }
}

/// The server's full-handshake branch after reading the ClientHello.
pub fn server_full(
    s: Handshake<Server, state::ClientHello>,
) -> Result<Handshake<Server, state::ServerHello>, Fatal> {
    match next(s.recv()?) {
        AfterClientHello::Full(s) => Ok(s),
        AfterClientHello::Resumed(_) => panic!("nothing was offered for resumption"),
        AfterClientHello::Tls13(_)
        | AfterClientHello::Tls13Retry(_)
        | AfterClientHello::Tls13Resumed(_) => {
            panic!("the server negotiates TLS 1.2 only")
        }
    }
}

/// The server's first flight of a full handshake without client
/// authentication: ServerHello, Certificate, (no) CertificateStatus,
/// ServerKeyExchange, ServerHelloDone; it then waits for the client's key
/// exchange.
pub fn server_through_hello_done(
    s: Handshake<Server, state::ClientHello>,
) -> Result<Handshake<Server, state::ClientKey>, Fatal> {
    server_full(s)?.send()?.send()?.send()?.send()?.send()
}

/// The client's read of the server's Certificate, its CertificateStatus if
/// one was stapled, and its ServerKeyExchange.
pub fn client_through_server_key(
    c: Handshake<Client, state::ServerCert>,
) -> Result<Handshake<Client, state::ServerCertReq>, Fatal> {
    match next(next(c.recv()?).recv()?) {
        AfterServerCert::CertificateStatus(c) => Ok(next(c.recv()?)),
        AfterServerCert::NoCertificateStatus(c) => Ok(c),
    }
}

/// The client's full-handshake branch through ServerHello, Certificate,
/// [CertificateStatus], ServerKeyExchange and ServerHelloDone (no
/// CertificateRequest).
pub fn client_through_hello_done(
    c: Handshake<Client, state::ServerHello>,
) -> Result<Handshake<Client, state::ClientKey>, Fatal> {
    let AfterServerHello::Full(c) = next(c.recv()?) else {
        panic!("nothing was offered for resumption")
    };
    let c = client_through_server_key(c)?;
    match next(c.recv()?) {
        AfterServerKey::NoCertificateRequest(c) => Ok(c),
        AfterServerKey::CertificateRequested(_) => {
            panic!("this server does not ask for certificates")
        }
    }
}

/// The client's read of the server's ChangeCipherSpec when no ticket was
/// promised.
pub fn client_no_ticket(
    c: Handshake<Client, state::ServerNewSessionTicket>,
) -> Result<Handshake<Client, state::ServerFinished>, Fatal> {
    match next(c.recv()?) {
        AfterTicket::NoTicket(c) => Ok(c),
        AfterTicket::Ticket(_) => panic!("no ticket was promised"),
    }
}

/// The two ends of a finished handshake, and the server's first flight
/// (ServerHello to ServerHelloDone) as it went on the wire.
pub type Handshaken = (Connection<Client>, Connection<Server>, Vec<u8>);

/// How the flights move from one side to the other.
#[derive(Clone, Copy, Debug)]
pub enum Transport {
    /// `take_output`, then `feed`.
    TakeOutput,
    /// `flush_to` into a byte sink, then `feed`: the path `Stream` takes.
    FlushTo,
}

/// The flight `hs` has queued, moved out by `transport`.
pub fn flight<R: Role, St: State, P: Shape>(
    hs: &mut Handshake<R, St, P>,
    transport: Transport,
) -> Vec<u8> {
    match transport {
        Transport::TakeOutput => hs.take_output(),
        Transport::FlushTo => {
            let mut wire = Vec::new();
            hs.flush_to(&mut wire).unwrap();
            wire
        }
    }
}

/// A full TLS 1.2 handshake with every flight delivered whole (both
/// configurations are restricted to TLS 1.2: the walk below is TLS 1.2's).
pub fn full_handshake(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
) -> Result<Handshaken, Fatal> {
    full_handshake_by(client, server, Transport::TakeOutput)
}

/// [`full_handshake`], the flights moved by `transport`.
pub fn full_handshake_by(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    transport: Transport,
) -> Result<Handshaken, Fatal> {
    let mut c = Handshake::client(super::tls12_client(client), localhost()).send()?;
    let mut s = Handshake::server(super::tls12_server(server));
    let input: &[u8] = &flight(&mut c, transport);
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let mut s = server_through_hello_done(s)?;
    let server_first_flight = flight(&mut s, transport);
    let input: &[u8] = &server_first_flight;
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let mut c = client_through_hello_done(c)?.send()?.send()?.send()?;
    let input: &[u8] = &flight(&mut c, transport);
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let mut s = next(next(next(s.recv()?).recv()?).recv()?)
        .send()?
        .send()?
        .send()?;
    let input: &[u8] = &flight(&mut s, transport);
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let c = next(client_no_ticket(c)?.recv()?);
    Ok((
        c.into_connection(),
        s.into_connection(),
        server_first_flight,
    ))
}

/// A full TLS 1.3 handshake with every flight delivered whole (both
/// configurations restricted to TLS 1.3; no client certificate asked for):
/// the two connections.
pub fn full_handshake13(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
) -> Result<(Connection<Client>, Connection<Server>), Fatal> {
    let mut client = Arc::unwrap_or_clone(client);
    client.versions = vec![tlstate::enums::ProtocolVersion::Tls13];
    let mut server = Arc::unwrap_or_clone(server);
    server.versions = vec![tlstate::enums::ProtocolVersion::Tls13];
    let mut c = Handshake::client(Arc::new(client), localhost()).send()?;
    let mut s = Handshake::server(Arc::new(server));
    let input = c.take_output();
    assert_eq!(s.feed(&input), input.len(), "a whole flight is taken");
    let AfterClientHello::Tls13(s) = next(s.recv()?) else {
        panic!("the server took TLS 1.3 with the share offered")
    };
    // ServerHello, [compatibility ChangeCipherSpec], EncryptedExtensions,
    // Certificate, CertificateVerify, Finished.
    let mut s = s.send()?.send()?.send()?.send()?.send()?.send()?;
    let input = s.take_output();
    assert_eq!(c.feed(&input), input.len(), "a whole flight is taken");
    let AfterServerHello::Tls13(c) = next(c.recv()?) else {
        panic!("the client got TLS 1.3")
    };
    let AfterEncryptedExtensions::NoCertificateRequest(c) = next(next(c.recv()?).recv()?) else {
        panic!("this server does not ask for certificates")
    };
    // CertificateVerify and Finished read; then our [compatibility
    // ChangeCipherSpec] and Finished.
    let mut c = next(next(c.recv()?).recv()?).send()?.send()?;
    let input = c.take_output();
    assert_eq!(s.feed(&input), input.len(), "a whole flight is taken");
    let s = next(s.recv()?);
    Ok((c.into_connection(), s.into_connection()))
}
