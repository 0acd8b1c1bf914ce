//! Cryptography, thin over `ring`: the only module that imports `ring`
//! and `subtle`. Certificates are verified with `rustls-webpki`.

mod aead;
pub(crate) mod cert_signature;
pub mod danger;
mod finished;
mod key_block;
mod kx;
mod load;
pub(crate) mod prf;
mod rand;
mod sign;
mod suites;
mod ticket_key;
pub mod tls13;
mod transcript;
mod verify;
pub(crate) mod wipe;

pub use aead::{RecordProtection, new_record_protection};
pub use finished::{
    CLIENT_FINISHED, FinishedVerified, SERVER_FINISHED, VERIFY_DATA_LEN, verify_data,
    verify_finished,
};
pub use key_block::KeyBlock;
pub use kx::{EphemeralKeyExchange, PremasterSecret};
pub use load::{
    load_certificates, load_certificates_file, load_private_key, load_private_key_file,
};
pub use prf::{MASTER_SECRET_LEN, extended_master_secret, master_secret, prf};
pub use rand::fill_random;
pub use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
pub use sign::SigningKey;
pub use suites::{
    AEAD_TAG_LEN, ALL_CIPHER_SUITES, AeadAlgorithm, HashAlgorithm, SUPPORTED_GROUPS,
    SUPPORTED_SIGNATURE_SCHEMES, SignatureAlgorithm, SupportedCipherSuite, is_supported_group,
    lookup, scheme_algorithm,
};
pub use ticket_key::{TICKET_KEY_NAME_LEN, TicketKey};
pub use transcript::{HandshakeHash, Transcript};
pub use verify::{
    ClientCertVerifier, ServerCertVerifier, WebPkiClientVerifier, WebPkiServerVerifier,
    verify_signature,
};
pub use wipe::MasterSecret;
