//! A TLS 1.2 client on the blocking driver.
//!
//! ```text
//! cargo run --example client -- --connect 127.0.0.1:4433 --server-name localhost \
//!     [--ca ca.pem] [--suite TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256] [--group x25519|secp256r1|secp384r1]
//!     [--cert c.pem --key k.pem] [--alpn h2,http/1.1] [--resume] [--keylog FILE]
//! ```
//!
//! It handshakes, sends `GET / HTTP/1.0\r\n\r\n`, prints the response and
//! exits 0. On any failure it prints one line naming the reason and the
//! alert, and exits 1. The server's chain is verified against `--ca`;
//! there is no default trust store, so `--ca` is required in practice:
//! without it the client refuses to start ("no trust anchors given").
//! `--cert`/`--key` answer a CertificateRequest; `--resume` connects twice
//! and prints whether the second handshake resumed the first session;
//! `--keylog` appends the session secrets in the `SSLKEYLOGFILE` format.
//! When the server staples an OCSP response it prints `ocsp: N bytes`
//! (the response is not checked: the default verifier does not do OCSP).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use rustls_pki_types::ServerName;
use tlstate::crypto::{load_certificates_file, load_private_key_file};
use tlstate::enums::{CipherSuite, NamedGroup};
use tlstate::handshake::{CertifiedKey, ClientConfig};
use tlstate::keylog::KeyLogFile;

#[derive(Default)]
struct Args {
    connect: String,
    server_name: String,
    ca: Option<String>,
    suite: Option<CipherSuite>,
    group: Option<NamedGroup>,
    cert: Option<String>,
    key: Option<String>,
    alpn: Vec<Vec<u8>>,
    resume: bool,
    keylog: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        connect: "127.0.0.1:4433".into(),
        server_name: "localhost".into(),
        ..Args::default()
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--connect" => args.connect = value()?,
            "--server-name" => args.server_name = value()?,
            "--ca" => args.ca = Some(value()?),
            "--suite" => {
                let name = value()?;
                let suite = CipherSuite::KNOWN
                    .iter()
                    .find(|s| s.name() == Some(name.as_str()));
                args.suite = Some(*suite.ok_or(format!("unknown suite {name}"))?);
            }
            "--group" => {
                let name = value()?;
                let group = NamedGroup::KNOWN
                    .iter()
                    .find(|g| g.name() == Some(name.as_str()));
                args.group = Some(*group.ok_or(format!("unknown group {name}"))?);
            }
            "--cert" => args.cert = Some(value()?),
            "--key" => args.key = Some(value()?),
            "--alpn" => args.alpn = value()?.split(',').map(|p| p.as_bytes().to_vec()).collect(),
            "--resume" => args.resume = true,
            "--keylog" => args.keylog = Some(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn config(args: &Args) -> Result<ClientConfig, String> {
    let roots = match &args.ca {
        Some(path) => load_certificates_file(path).map_err(|e| format!("--ca {path}: {e}"))?,
        None => Vec::new(),
    };
    let mut config = ClientConfig::with_root_certificates(&roots).map_err(|e| e.to_string())?;
    if let Some(suite) = args.suite {
        config.cipher_suites = vec![suite];
    }
    if let Some(group) = args.group {
        config.groups = vec![group];
    }
    config.alpn_protocols.clone_from(&args.alpn);
    match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => {
            let chain = load_certificates_file(cert).map_err(|e| format!("--cert {cert}: {e}"))?;
            let key = load_private_key_file(key).map_err(|e| format!("--key {key}: {e}"))?;
            config.client_certificate =
                Some(CertifiedKey::new(chain, &key).map_err(|e| e.to_string())?);
        }
        (None, None) => {}
        _ => return Err("--cert and --key go together".into()),
    }
    if let Some(path) = &args.keylog {
        let log = KeyLogFile::create(path).map_err(|e| format!("--keylog {path}: {e}"))?;
        config.key_log = Some(Arc::new(log));
    }
    Ok(config)
}

/// One connection: handshake, GET, print the response. Returns whether the
/// handshake resumed a session.
fn get(config: &Arc<ClientConfig>, args: &Args) -> Result<bool, String> {
    let server_name = ServerName::try_from(args.server_name.clone())
        .map_err(|e| format!("--server-name {}: {e}", args.server_name))?;
    let tcp =
        TcpStream::connect(&args.connect).map_err(|e| format!("connect {}: {e}", args.connect))?;
    let mut stream =
        tlstate::stream::connect(config.clone(), server_name, tcp).map_err(|fatal| {
            let alert = fatal
                .alert()
                .map_or_else(|| "none".to_string(), |a| a.to_string());
            format!("handshake failed: {} (alert: {alert})", fatal.error())
        })?;
    let summary = stream.summary().clone();
    let alpn = summary
        .alpn_protocol
        .as_deref()
        .map_or("none".into(), String::from_utf8_lossy);
    eprintln!(
        "connected: TLSv1.2 {} {} alpn={alpn} resumed={}",
        summary.cipher_suite, summary.group, summary.resumed
    );
    if let Some(response) = &summary.ocsp_response {
        eprintln!("ocsp: {} bytes", response.len());
    }
    stream
        .write_all(b"GET / HTTP/1.0\r\n\r\n")
        .map_err(|e| format!("write: {e}"))?;
    let mut response = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
            Err(e) => {
                // Some servers close the connection without close_notify
                // after an HTTP/1.0 response; say so rather than hide it.
                print!("{}", String::from_utf8_lossy(&response));
                return Err(format!("read: {e}"));
            }
        }
    }
    print!("{}", String::from_utf8_lossy(&response));
    let _ = stream.close();
    Ok(summary.resumed)
}

fn run(args: &Args) -> Result<(), String> {
    let config = Arc::new(config(args)?);
    get(&config, args)?;
    if args.resume {
        let resumed = get(&config, args)?;
        println!("second handshake resumed: {resumed}");
    }
    Ok(())
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!(
                "{e}\nusage: client --connect ADDR --server-name NAME [--ca ca.pem] [--suite IANA_NAME] \
                 [--group GROUP] [--cert c.pem --key k.pem] [--alpn h2,http/1.1] [--resume] [--keylog FILE]"
            );
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
