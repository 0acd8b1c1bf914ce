//! Signing with our keys and verifying with the peer's certificate, for
//! every scheme; key and certificate loading.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use tlstate::crypto::{
    CertificateDer, PrivateKeyDer, SignatureAlgorithm, SigningKey, load_certificates,
    load_certificates_file, load_private_key, load_private_key_file, verify_signature,
};
use tlstate::enums::SignatureScheme;
use tlstate::error::{CertificateError, Error, PeerMisbehaved};

const BAD_SIGNATURE: Error = Error::PeerMisbehaved(PeerMisbehaved::BadSignature);

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("tlstate-crypto-sign-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A key and its self-signed certificate.
struct Identity {
    name: &'static str,
    key: PrivateKeyDer<'static>,
    cert: CertificateDer<'static>,
}

fn rcgen_identity(name: &'static str, alg: &'static rcgen::SignatureAlgorithm) -> Identity {
    let kp = rcgen::KeyPair::generate_for(alg).expect("rcgen key");
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    let cert = params.self_signed(&kp).expect("self-signed");
    Identity {
        name,
        key: load_private_key(&kp.serialize_der()).expect("PKCS#8 DER"),
        cert: cert.der().clone(),
    }
}

/// RSA-2048 from `openssl req`, as files: PKCS#8 PEM, PKCS#1 PEM, PKCS#8
/// DER, PKCS#1 DER, and the certificate PEM.
struct RsaFiles {
    dir: PathBuf,
}

impl RsaFiles {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
    fn p(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

fn rsa_files() -> &'static RsaFiles {
    static FILES: OnceLock<RsaFiles> = OnceLock::new();
    FILES.get_or_init(|| {
        let f = RsaFiles {
            dir: temp_dir("rsa"),
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-days",
            "2",
            "-keyout",
            &f.p("pkcs8.pem"),
            "-out",
            &f.p("cert.pem"),
        ]);
        openssl(&[
            "rsa",
            "-in",
            &f.p("pkcs8.pem"),
            "-traditional",
            "-out",
            &f.p("pkcs1.pem"),
        ]);
        openssl(&[
            "rsa",
            "-in",
            &f.p("pkcs8.pem"),
            "-traditional",
            "-outform",
            "DER",
            "-out",
            &f.p("pkcs1.der"),
        ]);
        openssl(&[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            &f.p("pkcs8.pem"),
            "-outform",
            "DER",
            "-out",
            &f.p("pkcs8.der"),
        ]);
        openssl(&[
            "x509",
            "-in",
            &f.p("cert.pem"),
            "-outform",
            "DER",
            "-out",
            &f.p("cert.der"),
        ]);
        f
    })
}

fn rsa_identity(name: &'static str, key_file: &str) -> Identity {
    let f = rsa_files();
    let certs = load_certificates_file(f.path("cert.pem")).expect("cert");
    Identity {
        name,
        key: load_private_key_file(f.path(key_file)).expect("RSA key"),
        cert: certs[0].clone(),
    }
}

fn identities() -> Vec<Identity> {
    vec![
        rcgen_identity("P-256", &rcgen::PKCS_ECDSA_P256_SHA256),
        rcgen_identity("P-384", &rcgen::PKCS_ECDSA_P384_SHA384),
        rcgen_identity("Ed25519", &rcgen::PKCS_ED25519),
        rsa_identity("RSA PKCS#8 PEM", "pkcs8.pem"),
        rsa_identity("RSA PKCS#1 PEM", "pkcs1.pem"),
        rsa_identity("RSA PKCS#8 DER", "pkcs8.der"),
        rsa_identity("RSA PKCS#1 DER", "pkcs1.der"),
    ]
}

#[test]
fn every_scheme_signs_and_verifies_and_rejects_a_flipped_byte() {
    let message = b"client_random + server_random + ServerECDHParams";
    let mut schemes_seen = Vec::new();
    for id in identities() {
        let key = SigningKey::new(&id.key).unwrap_or_else(|e| panic!("{}: {e}", id.name));
        assert!(!key.schemes().is_empty());
        for &scheme in key.schemes() {
            schemes_seen.push(scheme);
            let sig = key.sign(scheme, message).expect("signs");
            assert_eq!(
                verify_signature(&id.cert, scheme, message, &sig),
                Ok(()),
                "{} {scheme}",
                id.name
            );

            for i in [0, sig.len() / 2, sig.len() - 1] {
                let mut bad = sig.clone();
                bad[i] ^= 0x01;
                assert_eq!(
                    verify_signature(&id.cert, scheme, message, &bad),
                    Err(BAD_SIGNATURE),
                    "{} {scheme} byte {i}",
                    id.name
                );
            }
            assert_eq!(
                verify_signature(&id.cert, scheme, b"another message", &sig),
                Err(BAD_SIGNATURE)
            );
            assert_eq!(
                verify_signature(&id.cert, scheme, message, &[]),
                Err(BAD_SIGNATURE)
            );
            assert_eq!(
                verify_signature(&id.cert, scheme, message, &sig[..sig.len() - 1]),
                Err(BAD_SIGNATURE)
            );
        }
    }
    for scheme in tlstate::crypto::SUPPORTED_SIGNATURE_SCHEMES {
        assert!(schemes_seen.contains(scheme), "{scheme} never tested");
    }
}

#[test]
fn algorithms_and_scheme_choice_follow_our_preference() {
    let ids = identities();
    let p256 = SigningKey::new(&ids[0].key).expect("P-256");
    let p384 = SigningKey::new(&ids[1].key).expect("P-384");
    let ed25519 = SigningKey::new(&ids[2].key).expect("Ed25519");
    let rsa = SigningKey::new(&ids[3].key).expect("RSA");
    // RFC 8422 5.1.3: Ed25519 signs for the ECDHE_ECDSA suites.
    assert_eq!(ed25519.algorithm(), SignatureAlgorithm::Ecdsa);
    assert_eq!(ed25519.ecdsa_curve(), None);
    assert_eq!(p256.algorithm(), SignatureAlgorithm::Ecdsa);
    assert_eq!(p384.algorithm(), SignatureAlgorithm::Ecdsa);
    assert_eq!(rsa.algorithm(), SignatureAlgorithm::Rsa);

    use SignatureScheme as S;
    let all = tlstate::crypto::SUPPORTED_SIGNATURE_SCHEMES;
    assert_eq!(p256.choose_scheme(all), Some(S::ECDSA_NISTP256_SHA256));
    assert_eq!(p384.choose_scheme(all), Some(S::ECDSA_NISTP384_SHA384));
    assert_eq!(ed25519.choose_scheme(all), Some(S::ED25519));
    assert_eq!(ed25519.choose_scheme(&[S::ECDSA_NISTP256_SHA256]), None);
    assert_eq!(
        p256.choose_scheme(&[S::ECDSA_NISTP384_SHA384, S::RSA_PSS_SHA256]),
        None
    );
    assert_eq!(rsa.choose_scheme(all), Some(S::RSA_PSS_SHA256));
    assert_eq!(
        rsa.choose_scheme(&[S::RSA_PKCS1_SHA256, S::RSA_PSS_SHA512]),
        Some(S::RSA_PSS_SHA512)
    );
    assert_eq!(
        rsa.choose_scheme(&[S::RSA_PKCS1_SHA512, S::RSA_PKCS1_SHA384]),
        Some(S::RSA_PKCS1_SHA384)
    );
    assert_eq!(
        rsa.choose_scheme(&[S::ECDSA_NISTP256_SHA256, S::ED25519]),
        None
    );
    assert_eq!(rsa.choose_scheme(&[]), None);
}

#[test]
fn signing_with_a_scheme_the_key_cannot_do_is_internal() {
    let ids = identities();
    let p256 = SigningKey::new(&ids[0].key).expect("P-256");
    assert!(matches!(
        p256.sign(SignatureScheme::RSA_PSS_SHA256, b"m"),
        Err(Error::Internal(_))
    ));
    assert!(matches!(
        p256.sign(SignatureScheme::ECDSA_NISTP384_SHA384, b"m"),
        Err(Error::Internal(_))
    ));
}

#[test]
fn verifying_with_a_scheme_for_another_key_type_fails() {
    let ids = identities();
    let p256 = SigningKey::new(&ids[0].key).expect("P-256");
    let sig = p256
        .sign(SignatureScheme::ECDSA_NISTP256_SHA256, b"m")
        .expect("signs");
    assert_eq!(
        verify_signature(&ids[0].cert, SignatureScheme::RSA_PSS_SHA256, b"m", &sig),
        Err(BAD_SIGNATURE)
    );
    // A P-256 signature under the P-384 cert's key.
    assert_eq!(
        verify_signature(
            &ids[1].cert,
            SignatureScheme::ECDSA_NISTP256_SHA256,
            b"m",
            &sig
        ),
        Err(BAD_SIGNATURE)
    );
    assert!(matches!(
        // ed448, which we do not support.
        verify_signature(&ids[0].cert, SignatureScheme::Unknown(0x0808), b"m", &sig),
        Err(Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(_)))
    ));
    let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
    assert_eq!(
        verify_signature(&garbage, SignatureScheme::ECDSA_NISTP256_SHA256, b"m", &sig),
        Err(Error::Certificate(CertificateError::BadEncoding))
    );
}

#[test]
fn signatures_made_by_openssl_verify() {
    let f = rsa_files();
    let msg = f.path("message");
    std::fs::write(&msg, b"signed by openssl").expect("write");
    let cert = &load_certificates_file(f.path("cert.der")).expect("DER cert")[0];
    let cases: &[(SignatureScheme, &str, &[&str])] = &[
        (SignatureScheme::RSA_PKCS1_SHA256, "-sha256", &[]),
        (SignatureScheme::RSA_PKCS1_SHA512, "-sha512", &[]),
        (
            SignatureScheme::RSA_PSS_SHA256,
            "-sha256",
            &[
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:digest",
            ],
        ),
        (
            SignatureScheme::RSA_PSS_SHA384,
            "-sha384",
            &[
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:digest",
            ],
        ),
    ];
    for (i, (scheme, digest, opts)) in cases.iter().enumerate() {
        let sig_path = f.p(&format!("sig{i}"));
        let key = f.p("pkcs8.pem");
        let mut args = vec!["dgst", digest, "-sign", &key];
        args.extend_from_slice(opts);
        let msg_s = msg.display().to_string();
        args.extend_from_slice(&["-out", &sig_path, &msg_s]);
        openssl(&args);
        let sig = std::fs::read(&sig_path).expect("signature");
        assert_eq!(
            verify_signature(cert, *scheme, b"signed by openssl", &sig),
            Ok(()),
            "{scheme}"
        );
    }
}

#[test]
fn loading_reports_clear_configuration_errors() {
    let dir = temp_dir("load");
    let is_config = |r: Result<(), Error>, needle: &str| match r {
        Err(Error::Config(why)) => assert!(why.contains(needle), "{why:?} lacks {needle:?}"),
        other => panic!("expected a configuration error, got {other:?}"),
    };

    let missing = dir.join("no-such-file.pem");
    is_config(
        load_private_key_file(&missing).map(|_| ()),
        "no-such-file.pem",
    );
    is_config(
        load_certificates_file(&missing).map(|_| ()),
        "no-such-file.pem",
    );
    is_config(
        SigningKey::from_file(&missing).map(|_| ()),
        "no-such-file.pem",
    );

    is_config(load_private_key(b"not a key").map(|_| ()), "private key");
    is_config(
        load_certificates(b"not a cert").map(|_| ()),
        "neither PEM nor DER",
    );
    let only_key = std::fs::read(rsa_files().path("pkcs8.pem")).expect("key");
    is_config(load_certificates(&only_key).map(|_| ()), "no CERTIFICATE");
    let only_cert = std::fs::read(rsa_files().path("cert.pem")).expect("cert");
    is_config(
        load_private_key(&only_cert).map(|_| ()),
        "no usable private key",
    );

    // SEC1 EC keys parse but are refused with advice.
    let sec1 = dir.join("sec1.pem");
    openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        &sec1.display().to_string(),
    ]);
    let key = load_private_key_file(&sec1).expect("SEC1 parses");
    assert!(matches!(key, PrivateKeyDer::Sec1(_)));
    is_config(SigningKey::new(&key).map(|_| ()), "PKCS#8");

    // An EC key on a curve we do not support.
    let p521 = dir.join("p521.pem");
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-521",
        "-out",
        &p521.display().to_string(),
    ]);
    is_config(SigningKey::from_file(&p521).map(|_| ()), "PKCS#8 key");

    // Chains keep their order.
    let mut two = only_cert.clone();
    two.extend_from_slice(&only_cert);
    assert_eq!(load_certificates(&two).expect("two certs").len(), 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_openssl_ed25519_key_loads_and_signs() {
    // `openssl genpkey -algorithm ed25519` writes PKCS#8 v1 (no public key).
    let dir = temp_dir("ed25519");
    let key = dir.join("key.pem").display().to_string();
    let cert = dir.join("cert.pem").display().to_string();
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", &key]);
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        &key,
        "-subj",
        "/CN=localhost",
        "-days",
        "2",
        "-out",
        &cert,
    ]);
    let signing = SigningKey::from_file(&key).expect("Ed25519 PKCS#8 v1 loads");
    assert_eq!(signing.schemes(), &[SignatureScheme::ED25519]);
    let sig = signing.sign(SignatureScheme::ED25519, b"m").expect("signs");
    let certs = load_certificates_file(&cert).expect("cert");
    assert_eq!(
        verify_signature(&certs[0], SignatureScheme::ED25519, b"m", &sig),
        Ok(())
    );
    // And openssl verifies ours.
    let msg = dir.join("msg");
    let sig_path = dir.join("sig");
    std::fs::write(&msg, b"m").expect("write");
    std::fs::write(&sig_path, &sig).expect("write");
    openssl(&[
        "pkeyutl",
        "-verify",
        "-rawin",
        "-inkey",
        &cert,
        "-certin",
        "-in",
        &msg.display().to_string(),
        "-sigfile",
        &sig_path.display().to_string(),
    ]);
}

mod tls13_certificate_verify {
    //! RFC 8446 4.4.3: the content signed, the schemes allowed, the role.

    use super::*;
    use tlstate::crypto::tls13::{
        CLIENT_CERTIFICATE_VERIFY, SERVER_CERTIFICATE_VERIFY, SignedContent,
        sign_certificate_verify, verify_certificate_verify,
    };

    const HASH: [u8; 32] = [0xab; 32];

    #[test]
    fn signed_content_is_spaces_context_zero_hash() {
        let content = SignedContent::new(SERVER_CERTIFICATE_VERIFY, &HASH).unwrap();
        let bytes = content.as_bytes();
        assert_eq!(bytes.len(), 64 + 33 + 1 + 32);
        assert!(bytes[..64].iter().all(|b| *b == 0x20));
        assert_eq!(&bytes[64..97], b"TLS 1.3, server CertificateVerify");
        assert_eq!(bytes[97], 0);
        assert_eq!(&bytes[98..], &HASH);
        let client = SignedContent::new(CLIENT_CERTIFICATE_VERIFY, &HASH).unwrap();
        assert_eq!(
            &client.as_bytes()[64..97],
            b"TLS 1.3, client CertificateVerify"
        );
    }

    #[test]
    fn every_key_signs_and_verifies_never_with_pkcs1() {
        for id in identities() {
            let key = SigningKey::new(&id.key).unwrap();
            let scheme = key
                .choose_scheme_tls13(tlstate::crypto::SUPPORTED_SIGNATURE_SCHEMES)
                .unwrap_or_else(|| panic!("{}: no TLS 1.3 scheme", id.name));
            assert!(
                !matches!(
                    scheme,
                    SignatureScheme::RSA_PKCS1_SHA256
                        | SignatureScheme::RSA_PKCS1_SHA384
                        | SignatureScheme::RSA_PKCS1_SHA512
                ),
                "{}",
                id.name
            );
            let sig =
                sign_certificate_verify(&key, scheme, SERVER_CERTIFICATE_VERIFY, &HASH).unwrap();
            assert_eq!(
                verify_certificate_verify(&id.cert, scheme, SERVER_CERTIFICATE_VERIFY, &HASH, &sig),
                Ok(()),
                "{}",
                id.name
            );
            // A server's signature is not a client's.
            assert_eq!(
                verify_certificate_verify(&id.cert, scheme, CLIENT_CERTIFICATE_VERIFY, &HASH, &sig),
                Err(BAD_SIGNATURE),
                "{}",
                id.name
            );
            // Nor a TLS 1.2 signature over the bare hash.
            let bare = key.sign(scheme, &HASH).unwrap();
            assert_eq!(
                verify_certificate_verify(
                    &id.cert,
                    scheme,
                    SERVER_CERTIFICATE_VERIFY,
                    &HASH,
                    &bare
                ),
                Err(BAD_SIGNATURE)
            );
        }
    }

    #[test]
    fn rejects_rsa_pkcs1_even_from_an_rsa_key() {
        let ids = identities();
        let rsa = SigningKey::new(&ids[3].key).unwrap();
        assert_eq!(
            rsa.choose_scheme_tls13(&[SignatureScheme::RSA_PKCS1_SHA256]),
            None
        );
        let content = SignedContent::new(SERVER_CERTIFICATE_VERIFY, &HASH).unwrap();
        let sig = rsa
            .sign(SignatureScheme::RSA_PKCS1_SHA256, content.as_bytes())
            .unwrap();
        let err = verify_certificate_verify(
            &ids[3].cert,
            SignatureScheme::RSA_PKCS1_SHA256,
            SERVER_CERTIFICATE_VERIFY,
            &HASH,
            &sig,
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(_))
            ),
            "{err:?}"
        );
        assert_eq!(
            err.alert(),
            Some(tlstate::enums::AlertDescription::IllegalParameter)
        );
        assert!(matches!(
            sign_certificate_verify(
                &rsa,
                SignatureScheme::RSA_PKCS1_SHA256,
                SERVER_CERTIFICATE_VERIFY,
                &HASH
            ),
            Err(Error::Internal(_))
        ));
    }

    #[test]
    fn an_ecdsa_scheme_names_its_curve() {
        // ecdsa_secp256r1_sha256 with a P-384 key verifies in TLS 1.2
        // (the scheme names only the hash there) but not in TLS 1.3.
        let ids = identities();
        let p384 = ids[1].cert.clone();
        // A P-384 key signing with SHA-256 cannot be made by SigningKey, so
        // check the refusal from the verifying side with a P-256 signature
        // under the P-384 certificate.
        let p256 = SigningKey::new(&ids[0].key).unwrap();
        let sig = sign_certificate_verify(
            &p256,
            SignatureScheme::ECDSA_NISTP256_SHA256,
            SERVER_CERTIFICATE_VERIFY,
            &HASH,
        )
        .unwrap();
        assert_eq!(
            verify_certificate_verify(
                &p384,
                SignatureScheme::ECDSA_NISTP256_SHA256,
                SERVER_CERTIFICATE_VERIFY,
                &HASH,
                &sig
            ),
            Err(BAD_SIGNATURE)
        );
    }
}
