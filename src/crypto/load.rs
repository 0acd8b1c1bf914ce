//! Loading keys and certificate chains from PEM or DER, in memory or in
//! files, with messages that say what went wrong.

use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::Error;

fn is_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, Error> {
    std::fs::read(path)
        .map_err(|e| Error::Config(format!("cannot read {what} {}: {e}", path.display())))
}

/// A private key from PEM (`PRIVATE KEY`, `RSA PRIVATE KEY`,
/// `EC PRIVATE KEY`; the first one found) or DER (PKCS#8, PKCS#1 or SEC1,
/// told apart by structure).
pub fn load_private_key(bytes: &[u8]) -> Result<PrivateKeyDer<'static>, Error> {
    if is_pem(bytes) {
        return PrivateKeyDer::from_pem_slice(bytes)
            .map_err(|e| Error::Config(format!("no usable private key in PEM: {e}")));
    }
    PrivateKeyDer::try_from(bytes)
        .map(|k| k.clone_key())
        .map_err(|e| Error::Config(format!("private key DER not recognised: {e}")))
}

/// A private key from a PEM or DER file; see [`load_private_key`].
pub fn load_private_key_file(path: impl AsRef<Path>) -> Result<PrivateKeyDer<'static>, Error> {
    let path = path.as_ref();
    let bytes = read(path, "private key file")?;
    load_private_key(&bytes).map_err(|e| match e {
        Error::Config(why) => Error::Config(format!("{}: {why}", path.display())),
        other => other,
    })
}

/// Certificates from PEM (every `CERTIFICATE` section, in order) or one
/// DER certificate. No certificate at all is an error.
pub fn load_certificates(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    if !is_pem(bytes) {
        if bytes.first() != Some(&0x30) {
            return Err(Error::Config(
                "certificate is neither PEM nor DER".to_string(),
            ));
        }
        return Ok(vec![CertificateDer::from(bytes.to_vec())]);
    }
    let certs = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Config(format!("bad certificate PEM: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Config("no CERTIFICATE section in PEM".to_string()));
    }
    Ok(certs)
}

/// Certificates from a PEM or DER file; see [`load_certificates`].
pub fn load_certificates_file(
    path: impl AsRef<Path>,
) -> Result<Vec<CertificateDer<'static>>, Error> {
    let path = path.as_ref();
    let bytes = read(path, "certificate file")?;
    load_certificates(&bytes).map_err(|e| match e {
        Error::Config(why) => Error::Config(format!("{}: {why}", path.display())),
        other => other,
    })
}
