//! Which algorithm signed an X.509 certificate, read from its DER: what a
//! server needs to prefer a chain the client's signature_algorithms_cert
//! (or signature_algorithms) accepts (RFC 8446 4.2.3, 4.4.2.2).
//!
//! Only the outer structure is read (RFC 5280 4.1):
//!
//! ```text
//! Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
//! TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber,
//!     signature, issuer, validity, subject, ... }
//! AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }
//! ```
//!
//! The certificates are our own configuration, not the peer's, but the
//! reader is written as if they were hostile all the same: every length is
//! checked against what is left, nothing indexes out of bounds, and
//! anything it cannot read is "unknown", never a panic. Nothing here
//! checks a signature; webpki does that on the side that verifies.

use crate::enums::SignatureScheme;

/// What a certificate says about its own signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CertSignature {
    /// The TLS scheme of its signatureAlgorithm, or `None` for one this
    /// reader does not map (or a certificate it cannot read).
    pub(crate) scheme: Option<SignatureScheme>,
    /// Whether issuer and subject are the same name: a self-issued
    /// certificate, such as a root sent along, whose signature nobody
    /// checks (RFC 8446 4.4.2.2: it "MAY be signed with any algorithm").
    pub(crate) self_issued: bool,
}

/// Reads `der`; a certificate that does not parse is unknown and not
/// self-issued.
pub(crate) fn cert_signature(der: &[u8]) -> CertSignature {
    read_certificate(der).unwrap_or(CertSignature {
        scheme: None,
        self_issued: false,
    })
}

/// Whether every certificate of `chain` whose signature counts (all but
/// self-issued ones) is signed with a scheme in `accepted`.
pub(crate) fn chain_signed_within(
    chain: &[impl AsRef<[u8]>],
    accepted: &[SignatureScheme],
) -> bool {
    chain.iter().all(|cert| {
        let signature = cert_signature(cert.as_ref());
        signature.self_issued || signature.scheme.is_some_and(|s| accepted.contains(&s))
    })
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OID: u8 = 0x06;
const BIT_STRING: u8 = 0x03;
/// `[0] EXPLICIT`, constructed: the version, and the hash in RSASSA-PSS
/// parameters.
const CONTEXT_0: u8 = 0xa0;

/// A DER reader over a slice: tag-length-value items, front to back.
struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next item's tag, without taking it.
    fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Takes the next item: its tag and its value. Only single-byte tags
    /// and definite lengths (short form, or long form of one to four
    /// bytes) are read, which is all a certificate uses.
    fn next(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.rest.split_first()?;
        // High tag numbers (0x1f) never occur at the levels we read.
        if tag & 0x1f == 0x1f {
            return None;
        }
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            // 0x80 is the indefinite length, which DER forbids.
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 {
                return None;
            }
            let bytes = rest.get(..count)?;
            let len = bytes
                .iter()
                .fold(0usize, |len, &b| (len << 8) | usize::from(b));
            (len, rest.get(count..)?)
        };
        let value = rest.get(..len)?;
        self.rest = rest.get(len..)?;
        Some((tag, value))
    }

    /// Takes the next item, which must have `tag`.
    fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.next()? {
            (got, value) if got == tag => Some(value),
            _ => None,
        }
    }
}

fn read_certificate(der: &[u8]) -> Option<CertSignature> {
    let mut outer = Der::new(der);
    let certificate = outer.expect(SEQUENCE)?;
    if !outer.is_empty() {
        return None;
    }
    let mut certificate = Der::new(certificate);
    let tbs = certificate.expect(SEQUENCE)?;
    let algorithm = certificate.expect(SEQUENCE)?;
    certificate.expect(BIT_STRING)?;
    if !certificate.is_empty() {
        return None;
    }
    let mut tbs = Der::new(tbs);
    if tbs.peek_tag() == Some(CONTEXT_0) {
        tbs.next()?;
    }
    tbs.expect(INTEGER)?; // serialNumber
    tbs.expect(SEQUENCE)?; // signature, the same AlgorithmIdentifier
    let issuer = tbs.expect(SEQUENCE)?;
    tbs.expect(SEQUENCE)?; // validity
    let subject = tbs.expect(SEQUENCE)?;
    Some(CertSignature {
        scheme: scheme_of(algorithm),
        self_issued: issuer == subject,
    })
}

// The OIDs' DER contents (RFC 5758 3.2, RFC 8017 A.2.4 and appendix C,
// RFC 8410 3, RFC 4055 2.1).
const ECDSA_WITH_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01];
const ECDSA_WITH_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const ECDSA_WITH_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
const ECDSA_WITH_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
const PKCS1: [u8; 8] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
const SHA1_WITH_RSA: u8 = 0x05;
const RSASSA_PSS: u8 = 0x0a;
const SHA256_WITH_RSA: u8 = 0x0b;
const SHA384_WITH_RSA: u8 = 0x0c;
const SHA512_WITH_RSA: u8 = 0x0d;
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const ED448: &[u8] = &[0x2b, 0x65, 0x71];
const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];

/// The TLS scheme an AlgorithmIdentifier's contents name.
///
/// ECDSA is named by its hash alone: the curve belongs to the issuer's key,
/// which the certificate does not carry, so ecdsa-with-SHA256 counts as
/// ecdsa_secp256r1_sha256 and so on, the pairing TLS 1.3 fixes. RSASSA-PSS
/// counts as rsa_pss_rsae_* with the hash of its parameters: the rsae/pss
/// distinction is again the issuer key's (RFC 8446 4.2.3).
fn scheme_of(algorithm: &[u8]) -> Option<SignatureScheme> {
    let mut algorithm = Der::new(algorithm);
    let oid = algorithm.expect(OID)?;
    let wire = match oid {
        ECDSA_WITH_SHA1 => 0x0203,
        ECDSA_WITH_SHA256 => 0x0403,
        ECDSA_WITH_SHA384 => 0x0503,
        ECDSA_WITH_SHA512 => 0x0603,
        ED25519 => 0x0807,
        ED448 => 0x0808,
        [prefix @ .., last] if *prefix == PKCS1 => match *last {
            SHA1_WITH_RSA => 0x0201,
            SHA256_WITH_RSA => 0x0401,
            SHA384_WITH_RSA => 0x0501,
            SHA512_WITH_RSA => 0x0601,
            RSASSA_PSS => match pss_hash(algorithm.expect(SEQUENCE)?)? {
                PssHash::Sha256 => 0x0804,
                PssHash::Sha384 => 0x0805,
                PssHash::Sha512 => 0x0806,
            },
            _ => return None,
        },
        _ => return None,
    };
    Some(SignatureScheme::from_wire(wire))
}

enum PssHash {
    Sha256,
    Sha384,
    Sha512,
}

/// The hash of RSASSA-PSS-params (RFC 4055 3.1): `[0] EXPLICIT
/// HashAlgorithm`, whose absence means SHA-1, which TLS has no PSS scheme
/// for.
fn pss_hash(params: &[u8]) -> Option<PssHash> {
    let mut params = Der::new(params);
    let hash = params.expect(CONTEXT_0)?;
    let mut hash = Der::new(hash);
    let mut hash = Der::new(hash.expect(SEQUENCE)?);
    match hash.expect(OID)? {
        SHA256 => Some(PssHash::Sha256),
        SHA384 => Some(PssHash::Sha384),
        SHA512 => Some(PssHash::Sha512),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate from rcgen with `alg`.
    fn self_signed(alg: &'static rcgen::SignatureAlgorithm) -> Vec<u8> {
        let key = rcgen::KeyPair::generate_for(alg).unwrap();
        let params = rcgen::CertificateParams::new(vec!["a.example".to_string()]).unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    /// A leaf for `b.example` issued by a CA with `alg`: not self-issued.
    fn issued(alg: &'static rcgen::SignatureAlgorithm) -> Vec<u8> {
        let ca_key = rcgen::KeyPair::generate_for(alg).unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "issuer");
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut leaf = rcgen::CertificateParams::new(vec!["b.example".to_string()]).unwrap();
        leaf.distinguished_name
            .push(rcgen::DnType::CommonName, "b.example");
        leaf.signed_by(&key, &issuer).unwrap().der().to_vec()
    }

    #[test]
    fn reads_the_algorithm_of_rcgen_certificates() {
        let cases = [
            (
                &rcgen::PKCS_ECDSA_P256_SHA256,
                SignatureScheme::ECDSA_NISTP256_SHA256,
            ),
            (
                &rcgen::PKCS_ECDSA_P384_SHA384,
                SignatureScheme::ECDSA_NISTP384_SHA384,
            ),
            (&rcgen::PKCS_ED25519, SignatureScheme::ED25519),
        ];
        for (alg, scheme) in cases {
            assert_eq!(
                cert_signature(&self_signed(alg)),
                CertSignature {
                    scheme: Some(scheme),
                    self_issued: true,
                },
                "{scheme:?}"
            );
            assert_eq!(
                cert_signature(&issued(alg)),
                CertSignature {
                    scheme: Some(scheme),
                    self_issued: false,
                },
                "{scheme:?}"
            );
        }
    }

    /// The reader agrees with x509-parser on the OID it maps.
    #[test]
    fn agrees_with_x509_parser() {
        use x509_parser::prelude::{FromDer, X509Certificate};
        let der = issued(&rcgen::PKCS_ECDSA_P384_SHA384);
        let (_, parsed) = X509Certificate::from_der(&der).unwrap();
        assert_eq!(
            parsed.signature_algorithm.algorithm.to_id_string(),
            "1.2.840.10045.4.3.3"
        );
        assert!(parsed.issuer() != parsed.subject());
        assert_eq!(
            cert_signature(&der).scheme,
            Some(SignatureScheme::ECDSA_NISTP384_SHA384)
        );
    }

    /// RSASSA-PSS with SHA-256 (the AlgorithmIdentifier OpenSSL writes for
    /// `-sigopt rsa_padding_mode:pss`), with SHA-1 (no hash given), and
    /// PKCS#1 SHA-384.
    #[test]
    fn maps_rsa_algorithm_identifiers() {
        #[rustfmt::skip]
        let pss_sha256 = [
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a,
            0x30, 0x34,
              0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09,
                0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
              0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09,
                0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08,
                0x30, 0x0d, 0x06, 0x09,
                  0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
              0xa2, 0x03, 0x02, 0x01, 0x20,
        ];
        assert_eq!(
            scheme_of(&pss_sha256),
            Some(SignatureScheme::RSA_PSS_SHA256)
        );
        let pss_sha1 = [
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x00,
        ];
        assert_eq!(scheme_of(&pss_sha1), None);
        let pkcs1_sha384 = [
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00,
        ];
        assert_eq!(
            scheme_of(&pkcs1_sha384),
            Some(SignatureScheme::RSA_PKCS1_SHA384)
        );
        // An OID we do not map (md5WithRSAEncryption).
        let md5 = [
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04, 0x05, 0x00,
        ];
        assert_eq!(scheme_of(&md5), None);
    }

    /// Every truncation, every single-byte change and a few forged length
    /// forms of a real certificate: never a panic, and a truncated one is
    /// unknown.
    #[test]
    fn malformed_certificates_are_unknown_never_a_panic() {
        let der = issued(&rcgen::PKCS_ECDSA_P256_SHA256);
        for len in 0..der.len() {
            assert_eq!(cert_signature(&der[..len]).scheme, None, "cut at {len}");
        }
        for at in 0..der.len() {
            for value in [0x00, 0x1f, 0x80, 0x84, 0x85, 0xff] {
                let mut bent = der.clone();
                bent[at] = value;
                let _ = cert_signature(&bent);
            }
        }
        // Indefinite length; five length bytes; a length past the end; a
        // trailing byte after the certificate.
        for bad in [
            &[0x30, 0x80, 0x00, 0x00][..],
            &[0x30, 0x85, 0, 0, 0, 0, 1, 0],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        ] {
            assert_eq!(cert_signature(bad).scheme, None);
        }
        let mut trailing = der.clone();
        trailing.push(0);
        assert_eq!(cert_signature(&trailing).scheme, None);
    }

    #[test]
    fn chain_signed_within_skips_self_issued_certificates() {
        let leaf = issued(&rcgen::PKCS_ECDSA_P256_SHA256);
        let root = self_signed(&rcgen::PKCS_ED25519);
        let chain = [leaf.clone(), root];
        assert!(chain_signed_within(
            &chain,
            &[SignatureScheme::ECDSA_NISTP256_SHA256]
        ));
        assert!(!chain_signed_within(&chain, &[SignatureScheme::ED25519]));
        // A certificate that does not parse satisfies no list.
        assert!(!chain_signed_within(
            &[leaf, vec![0x30, 0x00]],
            &[SignatureScheme::ECDSA_NISTP256_SHA256]
        ));
    }
}
