//! A whole TLS 1.2 handshake in memory, one typed state at a time.
//!
//! Our client and our server each walk the states of the table in
//! `src/handshake/table.rs`. Every line printed is one transition: the
//! role, the state it leaves, the message written (`->`) or read (`<-`),
//! and the bytes it put on the wire. Then one application-data round trip.
//!
//! Run with `cargo run --example walk`.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tlstate::connection::ReadOutcome;
use tlstate::handshake::table::Row;
use tlstate::handshake::{
    AfterClientHello, AfterServerCert, AfterServerHello, AfterServerKey, AfterTicket, ClientConfig,
    Handshake, ServerConfig, Step,
};

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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (ca, chain, key) = test_pki()?;
    let client_config = Arc::new(ClientConfig::with_root_certificates(&[ca])?);
    let server_config = Arc::new(ServerConfig::new(chain, &key)?);
    let mut to_server = Vec::new();
    let mut to_client = Vec::new();

    let client = Handshake::client(client_config, ServerName::try_from("localhost")?);
    let server = Handshake::server(server_config);

    let client = send!("client", client, to_server); // ClientHello
    // The server's read of the ClientHello decides full or resumed.
    let AfterClientHello::Full(server) = recv!("server", server, to_server) else {
        return Err("the server resumed a session nobody offered".into());
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

    let mut client = client.into_connection();
    let mut server = server.into_connection();
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
