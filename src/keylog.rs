//! Key logging in the NSS `SSLKEYLOGFILE` format, so Wireshark can decrypt
//! a capture. For TLS 1.2 one line per session:
//! `CLIENT_RANDOM <64 hex digits of client_random> <96 hex digits of master_secret>`.
//!
//! Logging secrets defeats TLS for anyone who can read the log: it is off
//! unless a [`KeyLog`] is put in the configuration.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

/// Receives the secrets of each session.
pub trait KeyLog: Send + Sync + fmt::Debug {
    /// Logs `secret` under `label` (`CLIENT_RANDOM` for TLS 1.2 master
    /// secrets) for the session with `client_random`.
    fn log(&self, label: &str, client_random: &[u8; 32], secret: &[u8]);
}

/// One line of the key log format.
pub fn key_log_line(label: &str, client_random: &[u8; 32], secret: &[u8]) -> String {
    let mut line = String::with_capacity(label.len() + 2 + 2 * (32 + secret.len()) + 1);
    line.push_str(label);
    line.push(' ');
    push_hex(&mut line, client_random);
    line.push(' ');
    push_hex(&mut line, secret);
    line.push('\n');
    line
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
}

/// Appends key log lines to a file.
#[derive(Debug)]
pub struct KeyLogFile {
    file: Mutex<File>,
}

impl KeyLogFile {
    /// Appends to `path`, creating it if needed.
    pub fn create(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }

    /// Appends to the file named by the `SSLKEYLOGFILE` environment
    /// variable, if it is set.
    pub fn from_env() -> Option<std::io::Result<Self>> {
        std::env::var_os("SSLKEYLOGFILE").map(Self::create)
    }
}

impl KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8; 32], secret: &[u8]) {
        let line = key_log_line(label, client_random, secret);
        // A poisoned lock or a full disk must not break the connection:
        // the log is a debugging aid.
        if let Ok(mut file) = self.file.lock() {
            let _ = file.write_all(line.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_nss_line() {
        let line = key_log_line("CLIENT_RANDOM", &[0xab; 32], &[0x01; 48]);
        assert_eq!(
            line,
            format!("CLIENT_RANDOM {} {}\n", "ab".repeat(32), "01".repeat(48))
        );
    }
}
