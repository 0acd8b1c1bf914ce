//! TLS 1.3 cryptography: the key schedule (RFC 8446 7.1), record
//! protection with the inner plaintext (RFC 8446 5.2) and the content
//! CertificateVerify signs (RFC 8446 4.4.3). Checked against the
//! traces of RFC 8448 in `tests/tls13_rfc8448.rs`.

mod certificate_verify;
mod key_schedule;
mod record;
mod suites;

pub use certificate_verify::{
    CLIENT_CERTIFICATE_VERIFY, CONTEXT_LEN, SERVER_CERTIFICATE_VERIFY, SignedContent,
    sign_certificate_verify, verify_certificate_verify,
};
pub use key_schedule::{
    EarlySecret, HandshakeSecret, MAX_HASH_LEN, MasterSecret, Secret, TrafficSecrets,
    finished_verify_data, message_hash, next_traffic_secret, resumption_psk, verify_finished,
};
pub use record::{
    MAX_CIPHERTEXT_LEN, MAX_INNER_PLAINTEXT_LEN, MAX_PLAINTEXT_LEN, Tls13Opener, Tls13Sealer,
    TrafficKey,
};
pub use suites::{TLS13_CIPHER_SUITES, Tls13CipherSuite, configured_tls13_suites, lookup_tls13};
