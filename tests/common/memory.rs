//! Our client and our server handshaken in memory, flight by flight, for
//! the tests of our own state handling (interoperability is proven against
//! real peers elsewhere): the full handshake without client certificates
//! or resumption, and its branch points taken the expected way.

use std::sync::Arc;

use rustls_pki_types::ServerName;
use tlstate::connection::{Connection, SessionSummary};
use tlstate::driver::{ClientDriver, ServerDriver};
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
        | AfterClientHello::Tls13Resumed(_)
        | AfterClientHello::Tls13Early(_) => {
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

/// A full TLS 1.3 handshake with every flight delivered whole, both
/// configurations restricted to TLS 1.3 (no client certificate asked for):
/// the two connections.
pub fn full_handshake13(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
) -> Result<(Connection<Client>, Connection<Server>), Fatal> {
    let mut client = Arc::unwrap_or_clone(client);
    client.versions = vec![tlstate::enums::ProtocolVersion::Tls13];
    let mut server = Arc::unwrap_or_clone(server);
    server.versions = vec![tlstate::enums::ProtocolVersion::Tls13];
    full_handshake_tls13_by(Arc::new(client), Arc::new(server), Transport::TakeOutput)
}

/// A full TLS 1.3 handshake (no HelloRetryRequest, no client certificate)
/// with every flight moved whole by `transport`. Both configurations must
/// enable TLS 1.3 and the client's first group must be one the server
/// takes; the compatibility ChangeCipherSpec is sent as they configure.
pub fn full_handshake_tls13_by(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    transport: Transport,
) -> Result<(Connection<Client>, Connection<Server>), Fatal> {
    let mut c = Handshake::client(client, localhost()).send()?;
    let mut s = Handshake::server(server);
    let input: &[u8] = &flight(&mut c, transport);
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let AfterClientHello::Tls13(s) = next(s.recv()?) else {
        panic!("the server did not choose a TLS 1.3 handshake without retry")
    };
    // ServerHello, [ChangeCipherSpec], EncryptedExtensions, Certificate,
    // CertificateVerify, Finished
    let mut s = s.send()?.send()?.send()?.send()?.send()?.send()?;
    let input: &[u8] = &flight(&mut s, transport);
    assert_eq!(c.feed(input), input.len(), "a whole flight is taken");
    let AfterServerHello::Tls13(c) = next(c.recv()?) else {
        panic!("the client did not get a TLS 1.3 ServerHello")
    };
    // EncryptedExtensions, then the Certificate in CertificateRequest's place
    let AfterEncryptedExtensions::NoCertificateRequest(c) = next(next(c.recv()?).recv()?) else {
        panic!("this server does not ask for certificates")
    };
    // CertificateVerify, Finished; [ChangeCipherSpec], Finished
    let mut c = next(next(c.recv()?).recv()?).send()?.send()?;
    let input: &[u8] = &flight(&mut c, transport);
    assert_eq!(s.feed(input), input.len(), "a whole flight is taken");
    let s = next(s.recv()?);
    Ok((c.into_connection(), s.into_connection()))
}

/// A client driver and a server driver run against each other in memory
/// until neither has anything left to say, for any version the configs
/// negotiate: the two summaries (`None` for a side that did not finish).
pub fn drive(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
) -> (Option<SessionSummary>, Option<SessionSummary>) {
    let mut c = ClientDriver::new(client, localhost());
    let mut s = ServerDriver::new(server);
    for _ in 0..32 {
        let mut moved = false;
        while let Some(bytes) = c.poll_output() {
            assert_eq!(
                s.handle_input(&bytes),
                bytes.len(),
                "the driver takes it all"
            );
            moved = true;
        }
        while let Some(bytes) = s.poll_output() {
            assert_eq!(
                c.handle_input(&bytes),
                bytes.len(),
                "the driver takes it all"
            );
            moved = true;
        }
        if !moved {
            break;
        }
    }
    (c.summary().cloned(), s.summary().cloned())
}

/// Our client and our server after a full TLS 1.3 handshake with the
/// common fixture's certificate (see [`full_handshake13`]).
pub fn tls13_pair() -> (Connection<Client>, Connection<Server>) {
    let fx = super::fixture();
    full_handshake13(fx.pki.client_config(), fx.pki.server_config(&fx.leaf))
        .unwrap_or_else(|fatal| panic!("handshake failed: {fatal:?}"))
}

/// Moves everything `from` has queued into `to`; returns the wire bytes.
pub fn deliver<A: Role, B: Role>(from: &mut Connection<A>, to: &mut Connection<B>) -> Vec<u8> {
    let wire = from.take_output();
    assert_eq!(to.feed(&wire), wire.len(), "a whole flight is taken");
    wire
}
