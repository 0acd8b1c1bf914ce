//! A TLS 1.3 and TLS 1.2 client on the blocking driver.
//!
//! ```text
//! cargo run --example client -- --connect 127.0.0.1:4433 --server-name localhost \
//!     [--ca ca.pem] [--suites A,B] [--groups x25519,secp256r1,secp384r1] [--sigalgs A,B]
//!     [--cert c.pem --key k.pem] [--alpn h2,http/1.1] [--resume] [--keylog FILE]
//!     [--no-require-ems] [--no-tickets] [--max-fragment-len N] [--max-handshake-len N]
//!     [--idle-buffer-capacity N] [--early-data FILE]
//!     [--tls13] [--tls12]
//! ```
//!
//! `--help` lists the flags. It handshakes, prints a `connected:` line
//! (to stderr: version, suite, group, ALPN, resumed, extended master
//! secret), sends `GET / HTTP/1.0\r\n\r\n`, prints the response and
//! exits 0. On any failure it prints one line naming the reason and the
//! alert, and exits 1. The server's chain is verified against `--ca`;
//! there is no default trust store, so `--ca` is required in practice:
//! without it the client refuses to start ("no trust anchors given").
//! `--cert`/`--key` answer a CertificateRequest; `--resume` connects twice
//! and prints whether the second handshake resumed the first session (in
//! TLS 1.2 by session ID or ticket, in TLS 1.3 with a ticket's PSK);
//! `--resume --early-data FILE` sends FILE as the second connection's
//! request, as TLS 1.3 0-RTT early data if the first left a ticket allowing
//! it, and prints `early data: accepted`, `early data: rejected` (then FILE
//! goes again after the handshake) or `early data: not sent`;
//! `--keylog` appends the session secrets in the `SSLKEYLOGFILE` format;
//! `--no-require-ems` reaches servers without the extended master secret
//! (RFC 7627), such as Go 1.19's.
//! When the server staples an OCSP response it prints `ocsp: N bytes`
//! (the response is not checked: the default verifier does not do OCSP).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use rustls_pki_types::ServerName;
use tlstate::crypto::{load_certificates_file, load_private_key_file};
use tlstate::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use tlstate::handshake::{CertifiedKey, ClientConfig};
use tlstate::keylog::KeyLogFile;

const USAGE: &str = "\
usage: client [--connect ADDR] [--server-name NAME] --ca FILE [flags]

  --connect ADDR            server address (default 127.0.0.1:4433)
  --server-name NAME        name sent (SNI) and checked (default localhost)
  --ca FILE                 trust anchors (PEM); there is no default trust store
  --suites A,B              cipher suites (IANA names) to offer, most preferred first
                            (--suite is the same); default: all implemented
  --groups A,B              groups (x25519, secp256r1, secp384r1) to offer, most preferred
                            first (--group is the same); default: all implemented
  --sigalgs A,B             signature schemes (e.g. ecdsa_secp256r1_sha256) accepted on
                            ServerKeyExchange, most preferred first; default: all implemented
  --cert FILE --key FILE    client certificate chain and key, for a CertificateRequest
  --alpn A,B                ALPN protocols to offer
  --resume                  connect twice; say whether the second handshake resumed
  --keylog FILE             append session secrets in the SSLKEYLOGFILE format
  --no-require-ems          accept servers without the extended master secret (RFC 7627)
  --no-tickets              neither ask for nor present session tickets
  --post-handshake-auth     let a TLS 1.3 server ask for --cert after the handshake
  --early-data FILE         with --resume: FILE is the second request, sent as TLS 1.3
                            0-RTT early data when a ticket allows it
  --max-fragment-len N      largest record plaintext sent (at most 16384)
  --idle-buffer-capacity N  most heap each record buffer keeps while idle (default 1088)
  --max-handshake-len N     largest handshake message body read (default 65536)
  --tls13                   offer TLS 1.3 (preferred to TLS 1.2 when both are offered)
  --tls12                   offer TLS 1.2; without either flag both are offered
  --help                    this text";

#[derive(Default)]
struct Args {
    connect: String,
    server_name: String,
    ca: Option<String>,
    suites: Option<Vec<CipherSuite>>,
    groups: Option<Vec<NamedGroup>>,
    sigalgs: Option<Vec<SignatureScheme>>,
    cert: Option<String>,
    key: Option<String>,
    alpn: Vec<Vec<u8>>,
    resume: bool,
    keylog: Option<String>,
    no_require_ems: bool,
    no_tickets: bool,
    post_handshake_auth: bool,
    max_fragment_len: Option<usize>,
    max_handshake_len: Option<usize>,
    idle_buffer_capacity: Option<usize>,
    tls13: bool,
    tls12: bool,
    early_data: Option<String>,
}

/// What the command line asks for.
enum Command {
    Connect(Box<Args>),
    Help,
}

fn parse_args() -> Result<Command, String> {
    let mut args = Args {
        connect: "127.0.0.1:4433".into(),
        server_name: "localhost".into(),
        ..Args::default()
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--connect" => args.connect = value()?,
            "--server-name" => args.server_name = value()?,
            "--ca" => args.ca = Some(value()?),
            "--suites" | "--suite" => args.suites = Some(suites(&value()?)?),
            "--groups" | "--group" => args.groups = Some(groups(&value()?)?),
            "--sigalgs" => args.sigalgs = Some(sigalgs(&value()?)?),
            "--cert" => args.cert = Some(value()?),
            "--key" => args.key = Some(value()?),
            "--alpn" => args.alpn = value()?.split(',').map(|p| p.as_bytes().to_vec()).collect(),
            "--resume" => args.resume = true,
            "--keylog" => args.keylog = Some(value()?),
            "--no-require-ems" => args.no_require_ems = true,
            "--no-tickets" => args.no_tickets = true,
            "--post-handshake-auth" => args.post_handshake_auth = true,
            "--early-data" => args.early_data = Some(value()?),
            "--tls13" => args.tls13 = true,
            "--tls12" => args.tls12 = true,
            "--max-fragment-len" => args.max_fragment_len = Some(number(&flag, &value()?)?),
            "--idle-buffer-capacity" => {
                args.idle_buffer_capacity = Some(number(&flag, &value()?)?);
            }
            "--max-handshake-len" => args.max_handshake_len = Some(number(&flag, &value()?)?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Command::Connect(Box::new(args)))
}

fn number(flag: &str, text: &str) -> Result<usize, String> {
    text.parse()
        .map_err(|_| format!("{flag} {text}: not a number"))
}

/// A list of names, split at commas (or colons, as OpenSSL writes them).
fn names(list: &str) -> impl Iterator<Item = &str> {
    list.split([',', ':']).filter(|name| !name.is_empty())
}

fn suites(list: &str) -> Result<Vec<CipherSuite>, String> {
    names(list)
        .map(|name| {
            CipherSuite::KNOWN
                .iter()
                .find(|s| s.name() == Some(name))
                .copied()
                .ok_or(format!("unknown suite {name}"))
        })
        .collect()
}

fn sigalgs(list: &str) -> Result<Vec<SignatureScheme>, String> {
    names(list)
        .map(|name| {
            SignatureScheme::KNOWN
                .iter()
                .find(|s| s.name() == Some(name))
                .copied()
                .ok_or(format!("unknown signature scheme {name}"))
        })
        .collect()
}

fn groups(list: &str) -> Result<Vec<NamedGroup>, String> {
    names(list)
        .map(|name| {
            NamedGroup::KNOWN
                .iter()
                .find(|g| g.name() == Some(name))
                .copied()
                .ok_or(format!("unknown group {name}"))
        })
        .collect()
}

fn config(args: &Args) -> Result<ClientConfig, String> {
    let roots = match &args.ca {
        Some(path) => load_certificates_file(path).map_err(|e| format!("--ca {path}: {e}"))?,
        None => Vec::new(),
    };
    let mut config = ClientConfig::with_root_certificates(&roots).map_err(|e| e.to_string())?;
    if let Some(suites) = &args.suites {
        config.cipher_suites.clone_from(suites);
    }
    if let Some(groups) = &args.groups {
        config.groups.clone_from(groups);
    }
    if let Some(schemes) = &args.sigalgs {
        config.signature_schemes.clone_from(schemes);
    }
    if args.no_require_ems {
        config.require_extended_master_secret = false;
    }
    if args.no_tickets {
        config.enable_tickets = false;
    }
    if args.post_handshake_auth {
        config.post_handshake_auth = true;
    }
    config.enable_early_data = args.early_data.is_some();
    // The flags restrict; without either, the library's default (both).
    if args.tls13 || args.tls12 {
        config.versions = [
            (args.tls13, ProtocolVersion::Tls13),
            (args.tls12, ProtocolVersion::Tls12),
        ]
        .into_iter()
        .filter_map(|(wanted, version)| wanted.then_some(version))
        .collect();
    }
    if let Some(bytes) = args.idle_buffer_capacity {
        config.idle_buffer_capacity = bytes;
    }
    if let Some(len) = args.max_fragment_len {
        config.max_fragment_len = len;
    }
    if let Some(len) = args.max_handshake_len {
        config.max_handshake_message_len = len;
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

/// One connection: handshake, the request (a GET, or `early`, sent as
/// 0-RTT early data if a ticket allows it), print the response. Returns
/// whether the handshake resumed a session.
fn get(config: &Arc<ClientConfig>, args: &Args, early: Option<&[u8]>) -> Result<bool, String> {
    let server_name = ServerName::try_from(args.server_name.clone())
        .map_err(|e| format!("--server-name {}: {e}", args.server_name))?;
    let tcp =
        TcpStream::connect(&args.connect).map_err(|e| format!("connect {}: {e}", args.connect))?;
    let failed = |fatal: tlstate::handshake::Fatal| {
        let alert = fatal
            .alert()
            .map_or_else(|| "none".to_string(), |a| a.to_string());
        format!("handshake failed: {} (alert: {alert})", fatal.error())
    };
    let (mut stream, request) = match early {
        None => (
            tlstate::stream::connect(config.clone(), server_name, tcp).map_err(failed)?,
            b"GET / HTTP/1.0\r\n\r\n".to_vec(),
        ),
        Some(early) => {
            let (stream, outcome) =
                tlstate::stream::connect_with_early_data(config.clone(), server_name, tcp, early)
                    .map_err(failed)?;
            let said = match (outcome.offered, outcome.accepted) {
                (true, true) => "accepted",
                (true, false) => "rejected",
                (false, _) => "not sent",
            };
            eprintln!("early data: {said}");
            // What the server did not take goes now, as ordinary data.
            (stream, outcome.unsent)
        }
    };
    let summary = stream.summary().clone();
    let alpn = summary
        .alpn_protocol
        .as_deref()
        .map_or("none".into(), String::from_utf8_lossy);
    eprintln!(
        "connected: {} {} {} alpn={alpn} resumed={} ems={}",
        summary.protocol_version,
        summary.cipher_suite,
        summary.group,
        summary.resumed,
        summary.extended_master_secret
    );
    if let Some(response) = &summary.ocsp_response {
        eprintln!("ocsp: {} bytes", response.len());
    }
    stream
        .write_all(&request)
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
    let early = match &args.early_data {
        Some(path) => Some(std::fs::read(path).map_err(|e| format!("--early-data {path}: {e}"))?),
        None => None,
    };
    // With --resume, the first connection leaves the ticket that the
    // second one's early data goes with.
    let first_early = early.as_deref().filter(|_| !args.resume);
    get(&config, args, first_early)?;
    if args.resume {
        let resumed = get(&config, args, early.as_deref())?;
        println!("second handshake resumed: {resumed}");
    }
    Ok(())
}

fn main() {
    let args = match parse_args() {
        Ok(Command::Connect(args)) => args,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
