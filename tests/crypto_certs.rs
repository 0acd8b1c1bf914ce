//! Certificate chain and name verification with an rcgen test PKI.

use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, date_time_ymd,
};
use tlstate::crypto::danger::DangerousAcceptAnyServerCertificate;
use tlstate::crypto::{
    CertificateDer, ClientCertVerifier, ServerCertVerifier, ServerName, UnixTime,
    WebPkiClientVerifier, WebPkiServerVerifier,
};
use tlstate::error::{CertificateError, Error};

type Ca = CertifiedIssuer<'static, KeyPair>;

fn key() -> KeyPair {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key")
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::new()).expect("params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

fn root(name: &str) -> Ca {
    CertifiedIssuer::self_signed(ca_params(name), key()).expect("root")
}

fn intermediate(name: &str, issuer: &Ca) -> Ca {
    CertifiedIssuer::signed_by(ca_params(name), key(), issuer).expect("intermediate")
}

fn leaf(names: &[&str], eku: ExtendedKeyUsagePurpose, issuer: &Ca) -> CertificateDer<'static> {
    leaf_with(names, eku, issuer, |_| {})
}

fn leaf_with(
    names: &[&str],
    eku: ExtendedKeyUsagePurpose,
    issuer: &Ca,
    tweak: impl FnOnce(&mut CertificateParams),
) -> CertificateDer<'static> {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names).expect("params");
    params.distinguished_name.push(DnType::CommonName, "leaf");
    params.extended_key_usages = vec![eku];
    tweak(&mut params);
    params
        .signed_by(&key(), issuer)
        .expect("leaf")
        .der()
        .clone()
}

fn name(s: &str) -> ServerName<'static> {
    ServerName::try_from(s.to_string()).expect("server name")
}

fn server_verifier(root: &Ca) -> WebPkiServerVerifier {
    WebPkiServerVerifier::new(&[root.der().clone()]).expect("verifier")
}

fn now() -> UnixTime {
    UnixTime::now()
}

#[test]
fn accepts_a_leaf_signed_by_the_root() {
    let ca = root("Test CA");
    let ee = leaf(
        &["localhost", "example.com"],
        ExtendedKeyUsagePurpose::ServerAuth,
        &ca,
    );
    let v = server_verifier(&ca);
    for n in ["localhost", "example.com"] {
        assert_eq!(
            v.verify_server_cert(&ee, &[], &name(n), now()),
            Ok(()),
            "{n}"
        );
    }
}

#[test]
fn accepts_a_chain_through_an_intermediate_and_needs_it() {
    let ca = root("Test CA");
    let mid = intermediate("Test Intermediate", &ca);
    let ee = leaf(&["localhost"], ExtendedKeyUsagePurpose::ServerAuth, &mid);
    let v = server_verifier(&ca);
    let chain = [mid.der().clone()];
    assert_eq!(
        v.verify_server_cert(&ee, &chain, &name("localhost"), now()),
        Ok(())
    );
    assert_eq!(
        v.verify_server_cert(&ee, &[], &name("localhost"), now()),
        Err(CertificateError::UnknownIssuer)
    );
}

#[test]
fn accepts_an_ip_address_name() {
    let ca = root("Test CA");
    let ee = leaf(&["127.0.0.1"], ExtendedKeyUsagePurpose::ServerAuth, &ca);
    let v = server_verifier(&ca);
    assert_eq!(
        v.verify_server_cert(&ee, &[], &name("127.0.0.1"), now()),
        Ok(())
    );
    assert_eq!(
        v.verify_server_cert(&ee, &[], &name("127.0.0.2"), now()),
        Err(CertificateError::NotValidForName)
    );
}

#[test]
fn rejects_a_wrong_name() {
    let ca = root("Test CA");
    let ee = leaf(&["localhost"], ExtendedKeyUsagePurpose::ServerAuth, &ca);
    let v = server_verifier(&ca);
    for n in ["example.com", "localhost.example", "127.0.0.1"] {
        assert_eq!(
            v.verify_server_cert(&ee, &[], &name(n), now()),
            Err(CertificateError::NotValidForName),
            "{n}"
        );
    }
}

#[test]
fn rejects_an_unknown_issuer() {
    let ca = root("Test CA");
    let other = root("Other CA");
    let ee = leaf(&["localhost"], ExtendedKeyUsagePurpose::ServerAuth, &other);
    let v = server_verifier(&ca);
    assert_eq!(
        v.verify_server_cert(&ee, &[], &name("localhost"), now()),
        Err(CertificateError::UnknownIssuer)
    );
    // A self-signed leaf is no better.
    let kp = key();
    let selfsigned = CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .self_signed(&kp)
        .expect("self-signed");
    assert_eq!(
        v.verify_server_cert(selfsigned.der(), &[], &name("localhost"), now()),
        Err(CertificateError::UnknownIssuer)
    );
}

#[test]
fn rejects_an_expired_certificate() {
    let ca = root("Test CA");
    let ee = leaf_with(
        &["localhost"],
        ExtendedKeyUsagePurpose::ServerAuth,
        &ca,
        |p| {
            p.not_before = date_time_ymd(2000, 1, 1);
            p.not_after = date_time_ymd(2001, 1, 1);
        },
    );
    let v = server_verifier(&ca);
    assert_eq!(
        v.verify_server_cert(&ee, &[], &name("localhost"), now()),
        Err(CertificateError::Expired)
    );
}

#[test]
fn rejects_a_certificate_not_valid_yet() {
    let ca = root("Test CA");
    let ee = leaf(&["localhost"], ExtendedKeyUsagePurpose::ServerAuth, &ca);
    let v = server_verifier(&ca);
    // rcgen's default validity starts in 1975.
    let then = UnixTime::since_unix_epoch(Duration::from_secs(3600));
    assert_eq!(
        v.verify_server_cert(&ee, &[], &name("localhost"), then),
        Err(CertificateError::NotValidYet)
    );
}

#[test]
fn rejects_garbage_and_the_wrong_usage() {
    let ca = root("Test CA");
    let v = server_verifier(&ca);
    let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
    assert_eq!(
        v.verify_server_cert(&garbage, &[], &name("localhost"), now()),
        Err(CertificateError::BadEncoding)
    );
    let client_only = leaf(&["localhost"], ExtendedKeyUsagePurpose::ClientAuth, &ca);
    assert!(matches!(
        v.verify_server_cert(&client_only, &[], &name("localhost"), now()),
        Err(CertificateError::Other(_))
    ));
}

#[test]
fn builds_from_pem_bytes_and_files_and_refuses_nothing() {
    let ca = root("Test CA");
    let ee = leaf(&["localhost"], ExtendedKeyUsagePurpose::ServerAuth, &ca);
    let pem = ca.pem();
    let v = WebPkiServerVerifier::from_bytes(pem.as_bytes()).expect("from PEM bytes");
    assert_eq!(
        v.verify_server_cert(&ee, &[], &name("localhost"), now()),
        Ok(())
    );

    let path =
        std::env::temp_dir().join(format!("tlstate-crypto-certs-{}.pem", std::process::id()));
    std::fs::write(&path, &pem).expect("write");
    let v = WebPkiServerVerifier::from_file(&path).expect("from file");
    assert_eq!(
        v.verify_server_cert(&ee, &[], &name("localhost"), now()),
        Ok(())
    );
    let _ = std::fs::remove_file(&path);

    assert!(matches!(
        WebPkiServerVerifier::new(&[]),
        Err(Error::Config(_))
    ));
    let garbage = CertificateDer::from(vec![0x30, 0x00]);
    assert!(matches!(
        WebPkiServerVerifier::new(&[garbage]),
        Err(Error::Config(_))
    ));
}

#[test]
fn client_verifier_checks_client_auth_and_hints_its_roots() {
    let ca = root("Client CA");
    let v = WebPkiClientVerifier::new(&[ca.der().clone()]).expect("verifier");
    let client = leaf(
        &["client.example"],
        ExtendedKeyUsagePurpose::ClientAuth,
        &ca,
    );
    assert_eq!(v.verify_client_cert(&client, &[], now()), Ok(()));

    let server_only = leaf(
        &["server.example"],
        ExtendedKeyUsagePurpose::ServerAuth,
        &ca,
    );
    assert!(matches!(
        v.verify_client_cert(&server_only, &[], now()),
        Err(CertificateError::Other(_))
    ));
    let stranger = leaf(
        &["client.example"],
        ExtendedKeyUsagePurpose::ClientAuth,
        &root("Other"),
    );
    assert_eq!(
        v.verify_client_cert(&stranger, &[], now()),
        Err(CertificateError::UnknownIssuer)
    );

    let hints = v.root_hint_subjects();
    assert_eq!(hints.len(), 1);
    let dn = &hints[0];
    assert_eq!(dn[0], 0x30, "a DER SEQUENCE");
    assert_eq!(
        usize::from(dn[1]) + 2,
        dn.len(),
        "short-form length covers the rest"
    );
    assert!(dn.windows(9).any(|w| w == b"Client CA"));
    // The hint is exactly the issuer Name inside the client's certificate.
    assert!(client.as_ref().windows(dn.len()).any(|w| w == &dn[..]));
}

#[test]
fn the_dangerous_verifier_accepts_anything() {
    let v = DangerousAcceptAnyServerCertificate;
    let garbage = CertificateDer::from(vec![1, 2, 3]);
    assert_eq!(
        v.verify_server_cert(&garbage, &[], &name("anything"), now()),
        Ok(())
    );
}
