//! A client and a server handshaken in memory, in one call: for tests,
//! benchmarks and tools that need an established pair (as quinn-proto's
//! test `Pair` gives one), whatever the configurations negotiate.

use super::{AnyState, ClientDriver, Driver, Event, ServerDriver};
use crate::connection::Connection;
use crate::error::Error;
use crate::handshake::{Client, Server};

/// More flights than any handshake has (a full TLS 1.2 handshake with
/// client authentication has four; a TLS 1.3 one after a
/// HelloRetryRequest, five).
const MAX_ROUNDS: usize = 16;

/// Runs `client` and `server` against each other in memory, every byte
/// handed over as it is written, until both have finished the handshake;
/// returns the two connections, established. A failure on either side is
/// its error (the side that received the other's alert reports
/// [`Error::AlertReceived`] only if it failed first); a handshake that
/// stalls is [`Error::Internal`].
///
/// The drivers decide everything: `ServerDriver::requesting_client_cert`
/// for client authentication, the configurations for versions, suites and
/// resumption.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
/// # let ca = cert.cert.der().clone();
/// # let key = rustls_pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
/// use std::sync::Arc;
/// use tlstate::driver::{handshake_pair, ClientDriver, ServerDriver};
/// use tlstate::handshake::{ClientConfig, ServerConfig};
///
/// let client = ClientConfig::with_root_certificates(&[ca.clone()])?;
/// let server = ServerConfig::new(vec![ca], &key)?;
/// let (mut c, mut s) = handshake_pair(
///     ClientDriver::new(Arc::new(client), "localhost".try_into()?),
///     ServerDriver::new(Arc::new(server)),
/// )?;
/// c.send(b"ping")?;
/// let wire = c.take_output();
/// assert_eq!(s.feed(&wire), wire.len());
/// let mut buf = [0u8; 4];
/// assert_eq!(s.read(&mut buf)?, tlstate::connection::ReadOutcome::Data(4));
/// # Ok(())
/// # }
/// ```
pub fn handshake_pair(
    mut client: ClientDriver,
    mut server: ServerDriver,
) -> Result<(Connection<Client>, Connection<Server>), Error> {
    for _ in 0..MAX_ROUNDS {
        pass(&mut client, &mut server)?;
        pass(&mut server, &mut client)?;
        if client.summary().is_some() && server.summary().is_some() {
            // The last flight may still sit in the client (its Finished,
            // which the server has read) or the server (nothing, or TLS
            // 1.2's resumed-handshake Finished, read too): both are done.
            let client = client
                .into_connection()
                .map_err(|_| Error::Internal("the client holds data after its handshake"))?;
            let server = server
                .into_connection()
                .map_err(|_| Error::Internal("the server holds data after its handshake"))?;
            return Ok((client, server));
        }
    }
    Err(Error::Internal("the in-memory handshake stalled"))
}

/// Hands everything `from` has written to `to`, then reports a failure
/// of either (the events are drained: the summaries stay available).
fn pass<A: AnyState, B: AnyState>(from: &mut Driver<A>, to: &mut Driver<B>) -> Result<(), Error> {
    while let Some(bytes) = from.poll_output() {
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let taken = to.handle_input(rest);
            if taken == 0 {
                return Err(Error::Internal("a driver took no input"));
            }
            rest = &rest[taken..];
        }
    }
    failure(from).and(failure(to))
}

fn failure<S: AnyState>(driver: &mut Driver<S>) -> Result<(), Error> {
    while let Some(event) = driver.poll_event() {
        if let Event::Failed(error) = event {
            return Err(error);
        }
    }
    Ok(())
}
