//! TLS 1.3 cryptography: the key schedule (RFC 8446 7.1) and record
//! protection with the inner plaintext (RFC 8446 5.2). Checked against the
//! traces of RFC 8448 in `tests/tls13_rfc8448.rs`.

mod key_schedule;
mod record;

pub use key_schedule::{
    EarlySecret, HandshakeSecret, MAX_HASH_LEN, MasterSecret, Secret, TrafficSecrets,
    finished_verify_data, message_hash, next_traffic_secret, resumption_psk, verify_finished,
};
pub use record::{
    MAX_CIPHERTEXT_LEN, MAX_INNER_PLAINTEXT_LEN, MAX_PLAINTEXT_LEN, Tls13Opener, Tls13Sealer,
    TrafficKey,
};
