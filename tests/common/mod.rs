//! Test PKI and helpers shared by the integration tests.
//!
//! Certificates are made fresh for each test run: a test CA (ECDSA P-256)
//! issues leaves with ECDSA P-256, ECDSA P-384 or RSA-2048 keys. RSA keys
//! come from the `openssl` command line, since ring cannot generate them.
#![allow(dead_code)]

pub mod gnutls;
pub mod memory;
pub mod openssl;
pub mod wire;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The kinds of server key the interop matrix covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    EcdsaP256,
    EcdsaP384,
    Rsa2048,
}

impl KeyKind {
    pub const ALL: [KeyKind; 3] = [KeyKind::EcdsaP256, KeyKind::EcdsaP384, KeyKind::Rsa2048];

    pub fn is_rsa(self) -> bool {
        self == KeyKind::Rsa2048
    }

    fn key_pair(self, dir: &Path) -> KeyPair {
        match self {
            KeyKind::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
            KeyKind::EcdsaP384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap(),
            KeyKind::Rsa2048 => {
                let path = dir.join(format!("rsa-{}.pem", unique()));
                let status = Command::new("openssl")
                    .args([
                        "genpkey",
                        "-algorithm",
                        "RSA",
                        "-pkeyopt",
                        "rsa_keygen_bits:2048",
                        "-out",
                    ])
                    .arg(&path)
                    .stderr(std::process::Stdio::null())
                    .status()
                    .expect("openssl must be installed (.ci/run installs it)");
                assert!(status.success(), "openssl genpkey failed");
                let pem = std::fs::read_to_string(&path).unwrap();
                KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).unwrap()
            }
        }
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A certificate chain and its key, in memory and as PEM files.
pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
}

/// A test CA in a temporary directory.
pub struct TestPki {
    pub dir: tempfile::TempDir,
    pub ca: CertificateDer<'static>,
    pub ca_path: PathBuf,
    /// The CA's private key (PEM), for tools that sign as the CA
    /// (`openssl ocsp -rkey`).
    pub ca_key_path: PathBuf,
    issuer: Issuer<'static, KeyPair>,
}

/// How a leaf should be (mis)made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafFlavor {
    Good,
    Expired,
    ClientAuth,
}

impl TestPki {
    pub fn new(name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = params.self_signed(&key).unwrap();
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, ca.pem()).unwrap();
        let ca_key_path = dir.path().join("ca.key");
        std::fs::write(&ca_key_path, key.serialize_pem()).unwrap();
        Self {
            dir,
            ca: ca.der().clone(),
            ca_path,
            ca_key_path,
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf for `names` with a key of `kind`.
    pub fn leaf(&self, kind: KeyKind, names: &[&str]) -> Leaf {
        self.leaf_with(kind, names, LeafFlavor::Good)
    }

    /// A leaf for `names` with an Ed25519 key (TLS 1.3 tests; not a
    /// [`KeyKind`], whose matrix is TLS 1.2's).
    pub fn leaf_ed25519(&self, names: &[&str]) -> Leaf {
        let key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        self.leaf_from_key(key, names, LeafFlavor::Good)
    }

    pub fn leaf_with(&self, kind: KeyKind, names: &[&str], flavor: LeafFlavor) -> Leaf {
        let key = kind.key_pair(self.dir.path());
        self.leaf_from_key(key, names, flavor)
    }

    fn leaf_from_key(&self, key: KeyPair, names: &[&str], flavor: LeafFlavor) -> Leaf {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().copied().unwrap_or("client"),
        );
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = match flavor {
            LeafFlavor::ClientAuth => vec![ExtendedKeyUsagePurpose::ClientAuth],
            _ => vec![ExtendedKeyUsagePurpose::ServerAuth],
        };
        if flavor == LeafFlavor::Expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let n = unique();
        let cert_path = self.dir.path().join(format!("leaf-{n}.pem"));
        let key_path = self.dir.path().join(format!("leaf-{n}.key"));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        Leaf {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            cert_path,
            key_path,
        }
    }

    pub fn client_config(&self) -> Arc<tlstate::handshake::ClientConfig> {
        Arc::new(
            tlstate::handshake::ClientConfig::with_root_certificates(std::slice::from_ref(
                &self.ca,
            ))
            .unwrap(),
        )
    }

    pub fn server_config(&self, leaf: &Leaf) -> Arc<tlstate::handshake::ServerConfig> {
        Arc::new(tlstate::handshake::ServerConfig::new(leaf.chain.clone(), &leaf.key).unwrap())
    }
}

/// The fixture most connection tests share: a test CA and an ECDSA P-256
/// leaf for `localhost`, made once per test binary.
pub struct Fixture {
    pub pki: TestPki,
    pub leaf: Leaf,
}

pub fn fixture() -> &'static Fixture {
    static FIXTURE: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    FIXTURE.get_or_init(|| {
        let pki = TestPki::new("tlstate test CA");
        let leaf = pki.leaf(KeyKind::EcdsaP256, &["localhost"]);
        Fixture { pki, leaf }
    })
}

/// A test CA with two ECDSA P-256 leaves: a server certificate for
/// `localhost` and a client certificate (client-auth usage) for
/// `client.example`, for the tests of every handshake shape.
pub struct ClientAuthPki {
    pub pki: TestPki,
    pub server: Leaf,
    pub client: Leaf,
}

impl ClientAuthPki {
    pub fn new(ca_name: &str) -> Self {
        let pki = TestPki::new(ca_name);
        let server = pki.leaf(KeyKind::EcdsaP256, &["localhost"]);
        let client = pki.leaf_with(
            KeyKind::EcdsaP256,
            &["client.example"],
            LeafFlavor::ClientAuth,
        );
        Self {
            pki,
            server,
            client,
        }
    }
}

/// The server key kinds a TLS 1.2 ECDHE suite can be used with: RSA for
/// the `ECDHE_RSA` suites, the two ECDSA curves for the `ECDHE_ECDSA` ones.
pub fn server_key_kinds(suite: tlstate::enums::CipherSuite) -> &'static [KeyKind] {
    use tlstate::enums::CipherSuite;
    match suite {
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        | CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
        | CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => &[KeyKind::Rsa2048],
        _ => &[KeyKind::EcdsaP256, KeyKind::EcdsaP384],
    }
}

/// A free port on 127.0.0.1 (bound and released: a small race with other
/// processes is accepted in tests).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed when dropped, so a failing test leaves none.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
