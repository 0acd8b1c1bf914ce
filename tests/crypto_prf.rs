//! The TLS 1.2 PRF and everything built on it, checked against the
//! `openssl kdf TLS1-PRF` command line, plus Finished verification.

use std::process::Command;

use tlstate::crypto::{
    CLIENT_FINISHED, HashAlgorithm, SERVER_FINISHED, extended_master_secret, master_secret, prf,
    verify_data, verify_finished,
};
use tlstate::error::{Error, PeerMisbehaved};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Deterministic, varied test bytes.
fn bytes(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt))
        .collect()
}

/// `PRF(secret, label, seed)` from OpenSSL; in TLS1-PRF the label is the
/// start of the seed. `None` (with a note) if `openssl` is not installed.
fn openssl_prf(
    hash: HashAlgorithm,
    secret: &[u8],
    label: &str,
    seed: &[u8],
    len: usize,
) -> Option<Vec<u8>> {
    let digest = match hash {
        HashAlgorithm::Sha256 => "SHA256",
        HashAlgorithm::Sha384 => "SHA384",
    };
    let mut full_seed = label.as_bytes().to_vec();
    full_seed.extend_from_slice(seed);
    let out = match Command::new("openssl")
        .args(["kdf", "-keylen", &len.to_string()])
        .args(["-kdfopt", &format!("digest:{digest}")])
        .args(["-kdfopt", &format!("hexsecret:{}", hex(secret))])
        .args(["-kdfopt", &format!("hexseed:{}", hex(&full_seed))])
        .arg("TLS1-PRF")
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("skipping the OpenSSL comparison: cannot run openssl: {e}");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "openssl kdf failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("openssl prints ASCII");
    let digits: String = text.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    Some(
        (0..digits.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("hex"))
            .collect(),
    )
}

#[test]
fn prf_matches_openssl_for_both_hashes_and_many_lengths() {
    for hash in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
        for (len, secret_len) in [
            (1, 48),
            (12, 48),
            (32, 32),
            (47, 0),
            (48, 48),
            (100, 130),
            (257, 7),
        ] {
            let secret = bytes(secret_len, len as u8);
            let seed = bytes(64, 3);
            let mut ours = vec![0u8; len];
            prf(hash, &secret, "key expansion", &seed, &mut ours);
            let Some(theirs) = openssl_prf(hash, &secret, "key expansion", &seed, len) else {
                return;
            };
            assert_eq!(hex(&ours), hex(&theirs), "{hash:?} len {len}");
        }
    }
}

#[test]
fn master_secrets_and_verify_data_match_openssl() {
    let pms = bytes(32, 9);
    let (cr, sr) = (bytes(32, 1), bytes(32, 2));
    let cr: [u8; 32] = cr.try_into().expect("32");
    let sr: [u8; 32] = sr.try_into().expect("32");
    for hash in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
        let ms = master_secret(hash, &pms, &cr, &sr);
        let Some(want) = openssl_prf(hash, &pms, "master secret", &[cr, sr].concat(), 48) else {
            return;
        };
        assert_eq!(ms.to_vec(), want);

        let session_hash = bytes(hash.output_len(), 5);
        let ems = extended_master_secret(hash, &pms, &session_hash);
        let want = openssl_prf(hash, &pms, "extended master secret", &session_hash, 48);
        assert_eq!(Some(ems.to_vec()), want);
        assert_ne!(ems, ms);

        for label in [CLIENT_FINISHED, SERVER_FINISHED] {
            let vd = verify_data(hash, &ms, label, &session_hash);
            let want = openssl_prf(hash, &ms, label, &session_hash, 12);
            assert_eq!(Some(vd.to_vec()), want, "{label}");
        }
    }
}

#[test]
fn one_flipped_input_byte_changes_the_output() {
    let secret = bytes(48, 1);
    let seed = bytes(64, 2);
    for hash in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
        let mut base = [0u8; 40];
        prf(hash, &secret, "key expansion", &seed, &mut base);
        for i in 0..secret.len() {
            let mut s = secret.clone();
            s[i] ^= 0x01;
            let mut out = [0u8; 40];
            prf(hash, &s, "key expansion", &seed, &mut out);
            assert_ne!(out, base, "secret byte {i}");
        }
        for i in 0..seed.len() {
            let mut s = seed.clone();
            s[i] ^= 0x80;
            let mut out = [0u8; 40];
            prf(hash, &secret, "key expansion", &s, &mut out);
            assert_ne!(out, base, "seed byte {i}");
        }
        let mut out = [0u8; 40];
        prf(hash, &secret, "key expansioN", &seed, &mut out);
        assert_ne!(out, base, "label");
    }
    let mut a = [0u8; 40];
    let mut b = [0u8; 40];
    prf(HashAlgorithm::Sha256, &secret, "x", &seed, &mut a);
    prf(HashAlgorithm::Sha384, &secret, "x", &seed, &mut b);
    assert_ne!(a, b, "hash");
}

#[test]
fn verify_finished_accepts_the_right_data() {
    let ms = [7u8; 48];
    let vd = verify_data(HashAlgorithm::Sha256, &ms, CLIENT_FINISHED, &[1u8; 32]);
    assert!(verify_finished(&vd, &vd).is_ok());
}

#[test]
fn verify_finished_rejects_every_flipped_bit() {
    let ms = [7u8; 48];
    let vd = verify_data(HashAlgorithm::Sha384, &ms, SERVER_FINISHED, &[1u8; 48]);
    for i in 0..vd.len() {
        for bit in 0..8 {
            let mut bad = vd;
            bad[i] ^= 1 << bit;
            assert_eq!(
                verify_finished(&vd, &bad).map(|_| ()),
                Err(Error::PeerMisbehaved(PeerMisbehaved::IncorrectFinished))
            );
        }
    }
}

#[test]
fn verify_finished_rejects_wrong_lengths() {
    let vd = [3u8; 12];
    for len in [0, 11, 13, 24] {
        let received = vec![3u8; len];
        assert_eq!(
            verify_finished(&vd, &received).map(|_| ()),
            Err(Error::PeerMisbehaved(PeerMisbehaved::IncorrectFinished)),
            "length {len}"
        );
    }
    // The other label gives other data.
    let ms = [9u8; 48];
    let c = verify_data(HashAlgorithm::Sha256, &ms, CLIENT_FINISHED, &[0; 32]);
    let s = verify_data(HashAlgorithm::Sha256, &ms, SERVER_FINISHED, &[0; 32]);
    assert!(verify_finished(&c, &s).is_err());
}
