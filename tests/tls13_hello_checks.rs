//! The key_share rules of RFC 8446 4.2.8 on both sides: our server refuses
//! a ClientHello with two shares for one group, or a share for a group its
//! supported_groups does not list; our client refuses a ServerHello after
//! a HelloRetryRequest whose share is not in the group the retry asked for.
//! Each refusal is asserted by its error and by the alert record on the
//! wire (illegal_parameter, in the clear: no keys exist yet).
//!
//! And the server's choice of certificate (RFC 8446 4.2.3, 4.4.2.2) among
//! several for one name: a key that can sign with a scheme of
//! signature_algorithms, preferably a chain signed within
//! signature_algorithms_cert; our client sends that extension only when
//! configured to.

mod common;

use std::sync::Arc;

use rustls_pki_types::ServerName;
use tlstate::codec::Codec;
use tlstate::crypto::EphemeralKeyExchange;
use tlstate::enums::{
    AlertDescription, CipherSuite, Compression, ContentType, HandshakeType, NamedGroup,
    ProtocolVersion, SignatureScheme,
};
use tlstate::error::{Error, PeerMisbehaved};
use tlstate::handshake::{AfterClientHello, AfterServerHello, Handshake, ServerConfig, Step};
use tlstate::message::tls13::KeyShareEntry;
use tlstate::message::{ClientExtension, ClientHello, Random, SessionId};
use tlstate::record::RecordWriter;

use common::memory::drive;
use common::{KeyKind, Leaf, TestPki};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tlstate::connection::SessionSummary;
use tlstate::handshake::{CertifiedKey, ClientConfig};
use tlstate::message::tls13::PayloadTls13;

/// illegal_parameter(47) as a plaintext fatal alert record.
const ILLEGAL_PARAMETER_ALERT: [u8; 7] = [21, 3, 3, 0, 2, 2, 47];

fn server_config() -> Arc<ServerConfig> {
    let f = common::fixture();
    let mut config = (*f.pki.server_config(&f.leaf)).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    Arc::new(config)
}

fn share(group: NamedGroup) -> KeyShareEntry {
    let kx = EphemeralKeyExchange::generate(group).unwrap();
    KeyShareEntry {
        group,
        key_exchange: kx.public_key().to_vec(),
    }
}

/// A TLS 1.3 ClientHello listing `groups` in supported_groups and sending
/// `shares` in key_share, as one plaintext handshake record.
fn client_hello_record(groups: &[NamedGroup], shares: Vec<KeyShareEntry>) -> Vec<u8> {
    let extensions = [
        ClientExtension::SupportedVersions([ProtocolVersion::Tls13].into_iter().collect()),
        ClientExtension::SupportedGroups(groups.iter().copied().collect()),
        ClientExtension::SignatureAlgorithms(
            [SignatureScheme::ECDSA_NISTP256_SHA256]
                .into_iter()
                .collect(),
        ),
        ClientExtension::KeyShare(shares),
    ];
    let hello = ClientHello {
        client_version: ProtocolVersion::Tls12,
        random: Random([0x5a; 32]),
        session_id: SessionId::new(&[1; 32]).unwrap(),
        cipher_suites: [CipherSuite::TLS13_AES_128_GCM_SHA256]
            .into_iter()
            .collect(),
        compression_methods: [Compression::Null].into_iter().collect(),
        extensions: extensions.into_iter().collect(),
    };
    let mut body = Vec::new();
    hello.encode(&mut body);
    let mut message = vec![HandshakeType::ClientHello.to_wire()];
    message.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    message.extend_from_slice(&body);
    let mut record = Vec::new();
    RecordWriter::new()
        .write(ContentType::Handshake, &message, &mut record)
        .unwrap();
    record
}

/// Our TLS 1.3 server reading `record`: the error and its output.
fn server_refuses(record: &[u8]) -> (Error, Vec<u8>) {
    let mut s = Handshake::server(server_config());
    assert_eq!(s.feed(record), record.len());
    match s.recv() {
        Err(fatal) => {
            assert_eq!(fatal.alert(), Some(AlertDescription::IllegalParameter));
            (fatal.error().clone(), fatal.output().to_vec())
        }
        Ok(_) => panic!("the ClientHello was accepted"),
    }
}

#[test]
fn two_key_shares_for_one_group_are_illegal_parameter() {
    let groups = [NamedGroup::X25519, NamedGroup::secp256r1];
    let shares = vec![
        share(NamedGroup::X25519),
        share(NamedGroup::secp256r1),
        share(NamedGroup::X25519),
    ];
    let (error, output) = server_refuses(&client_hello_record(&groups, shares));
    assert_eq!(
        error,
        Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(
            "two key shares for one group"
        ))
    );
    assert_eq!(output, ILLEGAL_PARAMETER_ALERT);
}

#[test]
fn key_share_for_a_group_not_in_supported_groups_is_illegal_parameter() {
    // The usable X25519 share comes first; the P-256 one breaks the rule
    // all the same (the server checks every entry, not only the one it
    // takes).
    let groups = [NamedGroup::X25519];
    let shares = vec![share(NamedGroup::X25519), share(NamedGroup::secp256r1)];
    let (error, output) = server_refuses(&client_hello_record(&groups, shares));
    assert_eq!(
        error,
        Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(
            "a key share for a group not in supported_groups"
        ))
    );
    assert_eq!(output, ILLEGAL_PARAMETER_ALERT);
    // An unlisted share alone, which the old code answered with a
    // HelloRetryRequest for X25519.
    let (error, _) = server_refuses(&client_hello_record(
        &groups,
        vec![share(NamedGroup::secp256r1)],
    ));
    assert_eq!(
        error,
        Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(
            "a key share for a group not in supported_groups"
        ))
    );
}

/// Shares in groups the client lists but we do not implement (GREASE
/// values, say) are no violation: they are skipped.
#[test]
fn key_share_in_a_listed_group_we_do_not_implement_is_fine() {
    let grease = NamedGroup::from_wire(0x0a0a);
    let groups = [grease, NamedGroup::X25519];
    let shares = vec![
        KeyShareEntry {
            group: grease,
            key_exchange: vec![0],
        },
        share(NamedGroup::X25519),
    ];
    let record = client_hello_record(&groups, shares);
    let mut s = Handshake::server(server_config());
    assert_eq!(s.feed(&record), record.len());
    let Ok(Step::Next(AfterClientHello::Tls13(_))) = s.recv() else {
        panic!("the hello was not answered with a TLS 1.3 ServerHello");
    };
}

// --- the client ----------------------------------------------------------

/// A plaintext record holding a HelloRetryRequest for `group` (suite
/// TLS_AES_128_GCM_SHA256, empty session ID echo).
fn hello_retry_request(group: NamedGroup) -> Vec<u8> {
    const HRR_RANDOM: [u8; 32] = [
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8,
        0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
        0x33, 0x9c,
    ];
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&HRR_RANDOM);
    body.extend_from_slice(&[0, 0x13, 0x01, 0]);
    body.extend_from_slice(&[0, 12, 0, 0x2b, 0, 2, 3, 4, 0, 0x33, 0, 2]);
    body.extend_from_slice(&group.to_wire().to_be_bytes());
    let mut record = vec![22, 3, 3, 0, body.len() as u8 + 4, 2, 0, 0, body.len() as u8];
    record.extend_from_slice(&body);
    record
}

/// A plaintext record holding a TLS 1.3 ServerHello with `entry` as its
/// key_share (suite TLS_AES_128_GCM_SHA256, empty session ID echo).
fn server_hello(entry: &KeyShareEntry) -> Vec<u8> {
    let mut share = Vec::new();
    entry.encode(&mut share);
    let mut extensions = vec![0, 0x2b, 0, 2, 3, 4, 0, 0x33];
    extensions.extend_from_slice(&(share.len() as u16).to_be_bytes());
    extensions.extend_from_slice(&share);
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[0x11; 32]);
    body.extend_from_slice(&[0, 0x13, 0x01, 0]);
    body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    body.extend_from_slice(&extensions);
    let mut message = vec![2, 0, 0, body.len() as u8];
    message.extend_from_slice(&body);
    let mut record = vec![22, 3, 3, 0, message.len() as u8];
    record.extend_from_slice(&message);
    record
}

/// After a HelloRetryRequest for P-256, a ServerHello whose share is in
/// X25519, the group of our first (now dropped) share: we sent no share
/// for it in the second ClientHello, so illegal_parameter (RFC 8446
/// 4.2.8), as for any group we sent no share for.
#[test]
fn client_refuses_a_server_hello_share_in_the_group_the_retry_replaced() {
    let mut config = (*common::fixture().pki.client_config()).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    config.groups = vec![NamedGroup::X25519, NamedGroup::secp256r1];
    config.middlebox_compat = false;
    let c = Handshake::client(Arc::new(config), ServerName::try_from("localhost").unwrap());
    let mut c = c.send().unwrap();
    let _first_hello = c.take_output();
    let retry = hello_retry_request(NamedGroup::secp256r1);
    assert_eq!(c.feed(&retry), retry.len());
    let Ok(Step::Next(AfterServerHello::HelloRetryRequest(c))) = c.recv() else {
        panic!("the HelloRetryRequest was not taken");
    };
    let mut c = c.send().unwrap();
    let _second_hello = c.take_output();
    let hello = server_hello(&share(NamedGroup::X25519));
    assert_eq!(c.feed(&hello), hello.len());
    let fatal = c.recv().unwrap_err();
    assert_eq!(
        fatal.error(),
        &Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(
            "a key share for a group we sent no share for"
        ))
    );
    assert_eq!(fatal.output(), ILLEGAL_PARAMETER_ALERT);
}

// --- which certificate the server sends -----------------------------------

/// An ECDSA test CA with an ECDSA P-256 and an RSA leaf for `localhost`,
/// and an RSA CA with an ECDSA P-256 leaf for `localhost`: chains whose
/// keys differ, and chains whose keys agree but whose signatures differ.
struct Chains {
    pki: TestPki,
    ecdsa: Leaf,
    rsa: Leaf,
    rsa_ca: CertificateDer<'static>,
    /// An ECDSA P-256 key, its certificate signed by the RSA CA
    /// (sha256WithRSAEncryption).
    ecdsa_by_rsa_ca: CertifiedKey,
}

fn chains() -> &'static Chains {
    static CHAINS: std::sync::OnceLock<Chains> = std::sync::OnceLock::new();
    CHAINS.get_or_init(|| {
        let pki = TestPki::new("tlstate ECDSA CA");
        let ecdsa = pki.leaf(KeyKind::EcdsaP256, &["localhost"]);
        let rsa = pki.leaf(KeyKind::Rsa2048, &["localhost"]);
        let path = pki.dir.path().join("rsa-ca.key");
        let status = std::process::Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ])
            .arg("-out")
            .arg(&path)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl must be installed");
        assert!(status.success());
        let pem = std::fs::read_to_string(&path).unwrap();
        let ca_key = KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "tlstate RSA CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let rsa_ca = params.self_signed(&ca_key).unwrap().der().clone();
        let issuer = Issuer::new(params, ca_key);
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, "localhost");
        leaf.use_authority_key_identifier_extension = true;
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = leaf.signed_by(&key, &issuer).unwrap().der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let ecdsa_by_rsa_ca = CertifiedKey::new(vec![cert], &key).unwrap();
        Chains {
            pki,
            ecdsa,
            rsa,
            rsa_ca,
            ecdsa_by_rsa_ca,
        }
    })
}

fn certified(leaf: &Leaf) -> CertifiedKey {
    CertifiedKey::new(leaf.chain.clone(), &leaf.key).unwrap()
}

/// A TLS 1.3 server whose default chain is the ECDSA leaf and which has
/// `by_name` for `localhost`, in that order.
fn server_with(by_name: &[&CertifiedKey]) -> Arc<ServerConfig> {
    let f = chains();
    let mut config = (*f.pki.server_config(&f.ecdsa)).clone();
    config.versions = vec![ProtocolVersion::Tls13];
    config.certificates_by_name = by_name
        .iter()
        .map(|certified| ("localhost".to_string(), (*certified).clone()))
        .collect();
    Arc::new(config)
}

/// Our TLS 1.3 client trusting both CAs, offering `schemes` in
/// signature_algorithms and `cert_schemes`, if any, in
/// signature_algorithms_cert.
fn client_offering(
    schemes: &[SignatureScheme],
    cert_schemes: Option<&[SignatureScheme]>,
) -> Arc<ClientConfig> {
    let f = chains();
    let mut config =
        ClientConfig::with_root_certificates(&[f.pki.ca.clone(), f.rsa_ca.clone()]).unwrap();
    config.versions = vec![ProtocolVersion::Tls13];
    config.signature_schemes = schemes.to_vec();
    config.signature_algorithms_cert = cert_schemes.map(<[_]>::to_vec);
    Arc::new(config)
}

/// The end-entity certificate the client got, and the scheme of the
/// server's CertificateVerify.
fn served(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
) -> (CertificateDer<'static>, SignatureScheme) {
    let (c, s) = drive(client, server);
    let c = c.expect("the client finished");
    assert_eq!(c.protocol_version, ProtocolVersion::Tls13);
    assert_eq!(
        s.expect("the server finished").server_certificates,
        c.server_certificates
    );
    (c.server_certificates[0].clone(), c.signature_scheme)
}

#[test]
fn server_picks_the_certificate_whose_key_signs_with_the_offered_schemes() {
    let f = chains();
    let (ecdsa, rsa) = (certified(&f.ecdsa), certified(&f.rsa));
    let pss = [SignatureScheme::RSA_PSS_SHA256];
    let p256 = [SignatureScheme::ECDSA_NISTP256_SHA256];
    for server in [server_with(&[&ecdsa, &rsa]), server_with(&[&rsa, &ecdsa])] {
        assert_eq!(
            served(client_offering(&pss, None), server.clone()),
            (f.rsa.chain[0].clone(), SignatureScheme::RSA_PSS_SHA256)
        );
        assert_eq!(
            served(client_offering(&p256, None), server),
            (
                f.ecdsa.chain[0].clone(),
                SignatureScheme::ECDSA_NISTP256_SHA256
            )
        );
    }
}

/// With no entry for the name whose key fits, the default chain answers.
#[test]
fn server_falls_back_to_the_default_chain_whose_key_fits() {
    let f = chains();
    let server = server_with(&[&certified(&f.rsa)]);
    let p256 = [SignatureScheme::ECDSA_NISTP256_SHA256];
    assert_eq!(
        served(client_offering(&p256, None), server).0,
        f.ecdsa.chain[0]
    );
}

#[test]
fn server_prefers_the_chain_signed_within_signature_algorithms_cert() {
    let f = chains();
    let by_ecdsa_ca = certified(&f.ecdsa);
    let by_rsa_ca = &f.ecdsa_by_rsa_ca;
    let both = [
        SignatureScheme::ECDSA_NISTP256_SHA256,
        SignatureScheme::RSA_PKCS1_SHA256,
    ];
    let rsa_pkcs1 = [SignatureScheme::RSA_PKCS1_SHA256];
    let p256 = [SignatureScheme::ECDSA_NISTP256_SHA256];
    for server in [
        server_with(&[&by_ecdsa_ca, by_rsa_ca]),
        server_with(&[by_rsa_ca, &by_ecdsa_ca]),
    ] {
        // Both keys sign with ecdsa_secp256r1_sha256; the chains' own
        // signatures decide.
        assert_eq!(
            served(client_offering(&both, Some(&rsa_pkcs1)), server.clone()).0,
            by_rsa_ca.chain[0]
        );
        assert_eq!(
            served(client_offering(&both, Some(&p256)), server.clone()).0,
            by_ecdsa_ca.chain[0]
        );
        // Without signature_algorithms_cert, signature_algorithms governs
        // the chain too.
        assert_eq!(
            served(client_offering(&p256, None), server).0,
            by_ecdsa_ca.chain[0]
        );
    }
}

/// No chain is signed within the client's list: the server continues with
/// the first whose key fits (RFC 8446 4.4.2.2 "SHOULD continue"), and the
/// handshake completes.
#[test]
fn server_continues_with_a_chain_outside_signature_algorithms_cert() {
    let f = chains();
    let by_ecdsa_ca = certified(&f.ecdsa);
    let server = server_with(&[&f.ecdsa_by_rsa_ca, &by_ecdsa_ca]);
    let p256 = [SignatureScheme::ECDSA_NISTP256_SHA256];
    let ed25519 = [SignatureScheme::ED25519];
    assert_eq!(
        served(client_offering(&p256, Some(&ed25519)), server).0,
        f.ecdsa_by_rsa_ca.chain[0]
    );
}

/// The extensions of our client's first ClientHello.
fn our_client_hello(config: Arc<ClientConfig>) -> ClientHello {
    let mut c = Handshake::client(config, ServerName::try_from("localhost").unwrap())
        .send()
        .unwrap();
    let record = c.take_output();
    match PayloadTls13::read_message(&record[5..]).unwrap() {
        PayloadTls13::ClientHello(hello) => *hello,
        other => panic!("not a ClientHello: {other:?}"),
    }
}

#[test]
fn client_sends_signature_algorithms_cert_only_when_configured() {
    let p256 = [SignatureScheme::ECDSA_NISTP256_SHA256];
    let pss = [SignatureScheme::RSA_PSS_SHA256, SignatureScheme::ED25519];
    let hello = our_client_hello(client_offering(&p256, None));
    assert_eq!(hello.signature_algorithms_cert(), None);
    assert_eq!(hello.signature_algorithms(), Some(&p256[..]));
    let hello = our_client_hello(client_offering(&p256, Some(&pss)));
    assert_eq!(hello.signature_algorithms_cert(), Some(&pss[..]));
    assert_eq!(hello.signature_algorithms(), Some(&p256[..]));
    // An empty list sends nothing (the extension may not be empty).
    let hello = our_client_hello(client_offering(&p256, Some(&[])));
    assert_eq!(hello.signature_algorithms_cert(), None);
}

/// Our server for one connection on an ephemeral port: the summary of its
/// handshake, or why it failed.
fn serve_one(
    config: Arc<ServerConfig>,
) -> (
    u16,
    std::sync::mpsc::Receiver<Result<SessionSummary, String>>,
) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = (|| {
            let (tcp, _) = listener.accept().map_err(|e| e.to_string())?;
            tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap();
            let mut stream = tlstate::stream::accept(config, tcp).map_err(|e| e.to_string())?;
            let summary = stream.summary().clone();
            // s_client closes when its stdin ends; read until then.
            let _ = std::io::Read::read(&mut stream, &mut [0u8; 64]);
            let _ = stream.close();
            Ok(summary)
        })();
        let _ = tx.send(result);
    });
    (port, rx)
}

/// `openssl s_client -tls1_3 -sigalgs` against our server holding an
/// ECDSA and an RSA chain for `localhost`: each list gets the chain whose
/// key signs with it, and s_client verifies it.
#[test]
fn openssl_s_client_sigalgs_pick_the_matching_chain() {
    let f = chains();
    let server = server_with(&[&certified(&f.ecdsa), &certified(&f.rsa)]);
    let ca = f.pki.ca_path.to_str().unwrap();
    for (sigalgs, leaf, scheme) in [
        (
            "rsa_pss_rsae_sha256",
            &f.rsa,
            SignatureScheme::RSA_PSS_SHA256,
        ),
        (
            "ecdsa_secp256r1_sha256",
            &f.ecdsa,
            SignatureScheme::ECDSA_NISTP256_SHA256,
        ),
    ] {
        let (port, served) = serve_one(server.clone());
        let (ok, output) = common::openssl::s_client_version(
            "-tls1_3",
            port,
            &[],
            &[
                "-servername",
                "localhost",
                "-CAfile",
                ca,
                "-verify_return_error",
                "-sigalgs",
                sigalgs,
            ],
            b"",
        );
        let summary = served
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("our server finished")
            .unwrap_or_else(|e| panic!("{sigalgs}: our server: {e}\n{output}"));
        assert!(ok, "{sigalgs}: {output}");
        assert!(output.contains("Verify return code: 0 (ok)"), "{output}");
        assert_eq!(summary.server_certificates[0], leaf.chain[0], "{sigalgs}");
        assert_eq!(summary.signature_scheme, scheme, "{sigalgs}");
    }
}

// --- entry extensions in the client's Certificate --------------------------

/// Keeps the TLS 1.3 secrets a handshake logs, by label.
#[derive(Debug, Default)]
struct Secrets(std::sync::Mutex<Vec<(String, Vec<u8>)>>);

impl tlstate::keylog::KeyLog for Secrets {
    fn log(&self, label: &str, _client_random: &[u8; 32], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push((label.to_string(), secret.to_vec()));
    }
}

impl Secrets {
    fn get(&self, label: &str) -> tlstate::crypto::tls13::Secret {
        let secrets = self.0.lock().unwrap();
        let (_, bytes) = secrets.iter().find(|(l, _)| l == label).unwrap();
        tlstate::crypto::tls13::Secret::new(tlstate::crypto::HashAlgorithm::Sha256, bytes).unwrap()
    }
}

/// Splits bytes into records.
fn records(mut bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while bytes.len() >= 5 {
        let len = 5 + usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        out.push(&bytes[..len]);
        bytes = &bytes[len..];
    }
    out
}

/// Our client's Certificate reaches our server with an extension in its
/// end-entity entry (re-sealed under the client's handshake key, from the
/// key log): our CertificateRequest asked for none, so the server refuses
/// it with unsupported_extension (RFC 8446 4.2, 4.4.2), under its
/// application key.
#[test]
fn server_refuses_an_extension_in_the_client_certificate_entry() {
    use tlstate::crypto::tls13::lookup_tls13;
    use tlstate::driver::{ClientDriver, Event, ServerDriver};
    use tlstate::record::{Inbound, RecordReader};

    let p = common::ClientAuthPki::new("tlstate entry-extension CA");
    let suite = lookup_tls13(CipherSuite::TLS13_AES_128_GCM_SHA256).unwrap();
    let (client_secrets, server_secrets) =
        (Arc::new(Secrets::default()), Arc::new(Secrets::default()));
    let mut server = (*p.pki.server_config(&p.server)).clone();
    server.versions = vec![ProtocolVersion::Tls13];
    server.cipher_suites = vec![suite.suite];
    server.key_log = Some(server_secrets.clone());
    let policy = tlstate::handshake::ClientCertPolicy {
        verifier: Arc::new(
            tlstate::crypto::WebPkiClientVerifier::new(std::slice::from_ref(&p.pki.ca)).unwrap(),
        ),
        required: true,
    };
    let mut client = (*p.pki.client_config()).clone();
    client.versions = vec![ProtocolVersion::Tls13];
    client.client_certificate =
        Some(CertifiedKey::new(p.client.chain.clone(), &p.client.key).unwrap());
    client.key_log = Some(client_secrets.clone());
    let mut c = ClientDriver::new(Arc::new(client), ServerName::try_from("localhost").unwrap());
    let mut s = ServerDriver::requesting_client_cert(Arc::new(server), policy);
    let pump = |from: &mut dyn FnMut() -> Option<Vec<u8>>| {
        let mut out = Vec::new();
        while let Some(bytes) = from() {
            out.extend_from_slice(&bytes);
        }
        out
    };
    let hello = pump(&mut || c.poll_output());
    assert_eq!(s.handle_input(&hello), hello.len());
    let flight = pump(&mut || s.poll_output());
    assert_eq!(c.handle_input(&flight), flight.len());
    // CCS, then Certificate, CertificateVerify, Finished under the client
    // handshake key.
    let answer = pump(&mut || c.poll_output());
    let answer = records(&answer);
    assert_eq!(answer[0][0], 20, "the compatibility ChangeCipherSpec");
    let client_handshake = client_secrets.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET");
    let mut reader = RecordReader::new();
    reader.set_tls13();
    reader
        .install_opener(Box::new(suite.opener(&client_handshake).unwrap()))
        .unwrap();
    assert_eq!(reader.feed(answer[1]), answer[1].len());
    let Some(Inbound::Handshake { encoded, .. }) = reader.next_message().unwrap() else {
        panic!("no handshake message")
    };
    let PayloadTls13::Certificate(mut certificate) = PayloadTls13::read_message(encoded).unwrap()
    else {
        panic!("not the client's Certificate")
    };
    assert!(!certificate.entries.is_empty());
    let sct = tlstate::enums::ExtensionType::from_wire(18);
    certificate.entries[0].extensions.push(sct, vec![0, 0]);
    let mut message = Vec::new();
    PayloadTls13::Certificate(certificate).encode(&mut message);
    let mut writer = RecordWriter::new();
    writer.set_sealer(Box::new(suite.sealer(&client_handshake).unwrap()));
    let mut forged = answer[0].to_vec();
    writer
        .write(ContentType::Handshake, &message, &mut forged)
        .unwrap();
    assert_eq!(s.handle_input(&forged), forged.len());
    let mut failed = None;
    while let Some(event) = s.poll_event() {
        if let Event::Failed(error) = event {
            failed = Some(error);
        }
    }
    assert_eq!(
        failed,
        Some(Error::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension(
            sct
        )))
    );
    let alert = pump(&mut || s.poll_output());
    let mut reader = RecordReader::new();
    reader.set_tls13();
    reader
        .install_opener(Box::new(
            suite
                .opener(&server_secrets.get("SERVER_TRAFFIC_SECRET_0"))
                .unwrap(),
        ))
        .unwrap();
    assert_eq!(reader.feed(&alert), alert.len());
    let Some(Inbound::Alert(alert)) = reader.next_message().unwrap() else {
        panic!("no alert")
    };
    assert_eq!(alert.description, AlertDescription::UnsupportedExtension);
}
