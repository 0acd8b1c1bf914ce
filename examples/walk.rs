//! A whole handshake in memory, one typed state at a time: TLS 1.3 by
//! default, TLS 1.2 with `--tls12`.
//!
//! Our client and our server each walk the states of the tables in
//! `src/handshake/tls13/table.rs` and `src/handshake/tls12/table.rs`
//! (`docs/state-machine.md`). Every line printed is one transition: the
//! role, the state it leaves, the message written (`->`) or read (`<-`),
//! and the bytes it put on the wire. Then one application-data round trip.
//!
//! Run with `cargo run --example walk` (or `-- --tls12`).

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tlstate::connection::{Connection, ReadOutcome};
use tlstate::enums::ProtocolVersion;
use tlstate::handshake::table::Row;
use tlstate::handshake::{
    AfterClientHello, AfterEncryptedExtensions, AfterServerCert, AfterServerHello, AfterServerKey,
    AfterTicket, Client, ClientConfig, Handshake, Server, ServerConfig, Step,
};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Writes the state's message, moves the bytes onto `wire`, prints a line.
macro_rules! send {
    ($role:literal, $hs:expr, $wire:expr) => {{
        let row = $hs.row();
        let mut next = $hs.send()?;
        let bytes = next.take_output();
        let detail = match bytes.len() {
            // An optional row the negotiation did not call for.
            0 => "(optional) nothing promised, nothing written".to_string(),
            n => format!("{n} bytes"),
        };
        print_line($role, row, "->", &detail);
        $wire.extend_from_slice(&bytes);
        next
    }};
}

/// Feeds what is on `wire` and reads the state's message, prints a line.
macro_rules! recv {
    ($role:literal, $hs:expr, $wire:expr) => {
        recv!($role, $hs, $wire, "")
    };
    ($role:literal, $hs:expr, $wire:expr, $note:expr) => {{
        let mut hs = $hs;
        let row = hs.row();
        // A flight of this walk fits the record layer's input bound.
        let wire = std::mem::take(&mut $wire);
        assert_eq!(hs.feed(&wire), wire.len(), "a whole flight is taken");
        match hs.recv()? {
            Step::Next(next) => {
                print_line($role, row, "<-", $note);
                next
            }
            // In memory every flight arrives whole, so this does not happen.
            Step::NeedMore(_) => {
                return Err(format!("{} needs more bytes at {}", $role, row.name).into());
            }
        }
    }};
}

fn print_line(role: &str, row: &Row, direction: &str, detail: &str) {
    let message = row
        .message
        .map_or_else(|| row.record.to_string(), |m| m.to_string());
    println!(
        "{role:<7} {:<23} {direction} {message:<20} {detail}",
        row.name
    );
}

fn main() -> Res<()> {
    let tls12 = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--tls12") => true,
        Some(other) => return Err(format!("usage: walk [--tls12] (got {other})").into()),
    };
    let (ca, chain, key) = test_pki()?;
    let mut client_config = ClientConfig::with_root_certificates(&[ca])?;
    let mut server_config = ServerConfig::new(chain, &key)?;
    // Each walk takes one version's path, so both sides enable only it
    // (the default enables both, and a TLS 1.3 peer takes TLS 1.3).
    let version = if tls12 {
        ProtocolVersion::Tls12
    } else {
        ProtocolVersion::Tls13
    };
    client_config.versions = vec![version];
    server_config.versions = vec![version];
    let client = Handshake::client(Arc::new(client_config), ServerName::try_from("localhost")?);
    let server = Handshake::server(Arc::new(server_config));
    let (client, server) = match tls12 {
        true => walk_tls12(client, server)?,
        false => walk_tls13(client, server)?,
    };
    round_trip(client, server)
}

/// The TLS 1.3 handshake: the hello states shared with TLS 1.2, then the
/// TLS 1.3 table.
fn walk_tls13(
    client: Handshake<Client, tlstate::handshake::state::ClientHello>,
    server: Handshake<Server, tlstate::handshake::state::ClientHello>,
) -> Res<(Connection<Client>, Connection<Server>)> {
    let mut to_server = Vec::new();
    let mut to_client = Vec::new();
    let client = send!("client", client, to_server); // ClientHello
    // The server's read of the ClientHello decides the version.
    let AfterClientHello::Tls13(server) = recv!("server", server, to_server) else {
        return Err("the server did not choose TLS 1.3".into());
    };
    let server = send!("server", server, to_client); // ServerHello
    println!("        TLS 1.3: from here on the server walks the TLS 1.3 table");
    let server = send!("server", server, to_client); // compatibility ChangeCipherSpec
    let server = send!("server", server, to_client); // EncryptedExtensions, encrypted
    let server = send!("server", server, to_client); // Certificate
    let server = send!("server", server, to_client); // CertificateVerify
    let server = send!("server", server, to_client); // Finished

    let AfterServerHello::Tls13(client) = recv!("client", client, to_client) else {
        return Err("the client did not get TLS 1.3".into());
    };
    println!(
        "        negotiated {} over {}; the compatibility ChangeCipherSpec is dropped",
        client.cipher_suite(),
        client.group()
    );
    let client = recv!("client", client, to_client); // EncryptedExtensions
    // CertificateRequest is optional: the Certificate arrives in its place.
    let AfterEncryptedExtensions::NoCertificateRequest(client) = recv!(
        "client",
        client,
        to_client,
        "(optional) got certificate instead"
    ) else {
        return Err("the server asked for a client certificate".into());
    };
    let client = recv!("client", client, to_client); // CertificateVerify
    println!(
        "        server chain of {} certificate(s) verified, and its signature",
        client.server_certificates().len()
    );
    let client = recv!("client", client, to_client); // Finished
    let client = send!("client", client, to_server); // compatibility ChangeCipherSpec
    let client = send!("client", client, to_server); // Finished
    let server = recv!("server", server, to_server); // Finished
    println!(
        "both    {} with {}",
        client.state_name(),
        client.cipher_suite()
    );
    Ok((client.into_connection(), server.into_connection()))
}

/// The TLS 1.2 handshake, every state of its table.
fn walk_tls12(
    client: Handshake<Client, tlstate::handshake::state::ClientHello>,
    server: Handshake<Server, tlstate::handshake::state::ClientHello>,
) -> Res<(Connection<Client>, Connection<Server>)> {
    let mut to_server = Vec::new();
    let mut to_client = Vec::new();
    let client = send!("client", client, to_server); // ClientHello
    // The server's read of the ClientHello decides full or resumed.
    let AfterClientHello::Full(server) = recv!("server", server, to_server) else {
        return Err("the server did not take a full TLS 1.2 handshake".into());
    };
    let server = send!("server", server, to_client); // ServerHello
    let server = send!("server", server, to_client); // Certificate
    // CertificateStatus is optional: no OCSP response is configured, so
    // the server writes nothing for it.
    let server = send!("server", server, to_client); // (no CertificateStatus)
    let server = send!("server", server, to_client); // ServerKeyExchange
    let server = send!("server", server, to_client); // ServerHelloDone

    let AfterServerHello::Full(client) = recv!("client", client, to_client) else {
        return Err("a fresh client cannot resume".into());
    };
    println!("        negotiated {}", client.cipher_suite());
    let client = recv!("client", client, to_client);
    println!(
        "        server chain of {} certificate(s) verified",
        client.server_certificates().len()
    );
    // CertificateStatus is optional: the ServerKeyExchange arrives in its place.
    let AfterServerCert::NoCertificateStatus(client) = recv!(
        "client",
        client,
        to_client,
        "(optional) got server_key_exchange instead"
    ) else {
        return Err("this server staples no OCSP response".into());
    };
    println!(
        "        ECDHE over {}, parameters signed with {}",
        client.group(),
        client.signature_scheme()
    );
    // CertificateRequest is optional: the ServerHelloDone arrives in its place.
    let AfterServerKey::NoCertificateRequest(client) = recv!(
        "client",
        client,
        to_client,
        "(optional) got server_hello_done instead"
    ) else {
        return Err("this server does not ask for client certificates".into());
    };
    let client = send!("client", client, to_server); // ClientKeyExchange
    let client = send!("client", client, to_server); // ChangeCipherSpec
    let client = send!("client", client, to_server); // Finished, encrypted

    let server = recv!("server", server, to_server);
    let server = recv!("server", server, to_server);
    let server = recv!("server", server, to_server);
    // NewSessionTicket is optional too: no ticket was promised, so the
    // server writes nothing for it.
    let server = send!("server", server, to_client); // (no NewSessionTicket)
    let server = send!("server", server, to_client); // ChangeCipherSpec
    let server = send!("server", server, to_client); // Finished, encrypted

    // The client was promised no ticket: the ChangeCipherSpec comes in its place.
    let AfterTicket::NoTicket(client) = recv!(
        "client",
        client,
        to_client,
        "(optional) got change_cipher_spec instead"
    ) else {
        return Err("no ticket was promised".into());
    };
    let client = recv!("client", client, to_client);
    println!(
        "both    {} with {}",
        client.state_name(),
        client.cipher_suite()
    );
    Ok((client.into_connection(), server.into_connection()))
}

/// One application-data round trip over the established connections.
fn round_trip(mut client: Connection<Client>, mut server: Connection<Server>) -> Res<()> {
    let mut buf = [0u8; 64];
    client.send(b"ping")?;
    let input: &[u8] = &client.take_output();
    assert_eq!(server.feed(input), input.len(), "a whole flight is taken");
    if let ReadOutcome::Data(n) = server.read(&mut buf)? {
        println!(
            "server  HandshakeOver           <- application_data     {:?}",
            String::from_utf8_lossy(&buf[..n])
        );
    }
    server.send(b"pong")?;
    let input: &[u8] = &server.take_output();
    assert_eq!(client.feed(input), input.len(), "a whole flight is taken");
    if let ReadOutcome::Data(n) = client.read(&mut buf)? {
        println!(
            "client  HandshakeOver           <- application_data     {:?}",
            String::from_utf8_lossy(&buf[..n])
        );
    }
    Ok(())
}

/// A test CA and a `localhost` certificate it issued, both ECDSA P-256.
fn test_pki() -> Result<
    (
        CertificateDer<'static>,
        Vec<CertificateDer<'static>>,
        PrivateKeyDer<'static>,
    ),
    rcgen::Error,
> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate()?;
    let leaf =
        CertificateParams::new(vec!["localhost".to_string()])?.signed_by(&leaf_key, &issuer)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    Ok((ca.der().clone(), vec![leaf.der().clone()], key))
}
