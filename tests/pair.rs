//! `driver::handshake_pair`: a client and a server handshaken in memory in
//! one call, for any version and shape the drivers walk, and
//! `Driver::into_connection`, which hands over the connection only when
//! nothing would be lost.

mod common;

use std::sync::Arc;

use common::memory::localhost;
use common::{ClientAuthPki, fixture};
use tlstate::connection::ReadOutcome;
use tlstate::crypto::WebPkiClientVerifier;
use tlstate::driver::{ClientDriver, ServerDriver, handshake_pair};
use tlstate::enums::ProtocolVersion;
use tlstate::error::Error;
use tlstate::handshake::{CertifiedKey, ClientCertPolicy};

#[test]
fn establishes_both_versions_and_data_flows() {
    let fx = fixture();
    for version in [ProtocolVersion::Tls13, ProtocolVersion::Tls12] {
        let mut client = (*fx.pki.client_config()).clone();
        client.versions = vec![version];
        let (mut c, mut s) = handshake_pair(
            ClientDriver::new(Arc::new(client), localhost()),
            ServerDriver::new(fx.pki.server_config(&fx.leaf)),
        )
        .unwrap_or_else(|e| panic!("{version:?}: {e}"));
        assert_eq!(c.summary().protocol_version, version);
        assert_eq!(s.summary().protocol_version, version);
        c.send(b"ping").unwrap();
        let wire = c.take_output();
        assert_eq!(s.feed(&wire), wire.len());
        let mut buf = [0u8; 8];
        assert_eq!(s.read(&mut buf), Ok(ReadOutcome::Data(4)));
        assert_eq!(&buf[..4], b"ping");
    }
}

#[test]
fn walks_client_authentication() {
    let p = ClientAuthPki::new("tlstate pair CA");
    let mut client = (*p.pki.client_config()).clone();
    client.client_certificate =
        Some(CertifiedKey::new(p.client.chain.clone(), &p.client.key).unwrap());
    let policy = ClientCertPolicy {
        verifier: Arc::new(WebPkiClientVerifier::new(std::slice::from_ref(&p.pki.ca)).unwrap()),
        required: true,
    };
    let (_c, s) = handshake_pair(
        ClientDriver::new(Arc::new(client), localhost()),
        ServerDriver::requesting_client_cert(p.pki.server_config(&p.server), policy),
    )
    .unwrap();
    assert_eq!(*s.summary().client_certificates, *p.client.chain);
}

/// A client that does not trust the server's CA fails, and that failure
/// is the result.
#[test]
fn a_failed_handshake_is_its_error() {
    let fx = fixture();
    let other = common::TestPki::new("another CA");
    let error = handshake_pair(
        ClientDriver::new(other.client_config(), localhost()),
        ServerDriver::new(fx.pki.server_config(&fx.leaf)),
    )
    .unwrap_err();
    assert!(matches!(error, Error::Certificate(_)), "{error:?}");
}

#[test]
fn into_connection_gives_the_driver_back_during_the_handshake() {
    let fx = fixture();
    let client = ClientDriver::new(fx.pki.client_config(), localhost());
    let client = client.into_connection().expect_err("still handshaking");
    assert_eq!(client.state_name(), "ServerHello");
}
