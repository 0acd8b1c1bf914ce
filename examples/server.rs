//! A TLS 1.2 server on the blocking driver: one thread per connection.
//!
//! ```text
//! cargo run --example server -- --listen 127.0.0.1:4433 [--cert chain.pem --key key.pem] [--echo]
//! ```
//!
//! Without `--cert` it makes a self-signed ECDSA P-256 certificate for
//! `localhost` and writes its PEM to a path it prints (give that file to a
//! client as its CA). By default each connection gets an `HTTP/1.0 200 OK`
//! response naming the protocol version, cipher suite and group, then
//! close_notify; with `--echo` application data is echoed until the peer
//! closes. A failed handshake is logged with its alert, and the server
//! keeps serving.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;

use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tlstate::crypto::{load_certificates_file, load_private_key_file};
use tlstate::handshake::ServerConfig;
use tlstate::stream::{Stream, accept};

struct Args {
    listen: String,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    echo: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        listen: "127.0.0.1:4433".into(),
        cert: None,
        key: None,
        echo: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => args.listen = value()?,
            "--cert" => args.cert = Some(value()?.into()),
            "--key" => args.key = Some(value()?.into()),
            "--echo" => args.echo = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn config(args: &Args) -> Result<ServerConfig, Box<dyn std::error::Error>> {
    match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => Ok(ServerConfig::new(
            load_certificates_file(cert)?,
            &load_private_key_file(key)?,
        )?),
        (None, None) => {
            let key = rcgen::KeyPair::generate()?;
            let cert =
                rcgen::CertificateParams::new(vec!["localhost".to_string()])?.self_signed(&key)?;
            let path =
                std::env::temp_dir().join(format!("tlstate-server-{}.pem", std::process::id()));
            std::fs::write(&path, cert.pem())?;
            println!(
                "self-signed certificate for localhost written to {}",
                path.display()
            );
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
            Ok(ServerConfig::new(vec![cert.der().clone()], &key)?)
        }
        _ => Err("--cert and --key go together".into()),
    }
}

fn serve(config: Arc<ServerConfig>, tcp: TcpStream, echo: bool) {
    let peer = tcp
        .peer_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    let mut stream = match accept(config, tcp) {
        Ok(stream) => stream,
        Err(fatal) => {
            let alert = fatal
                .alert()
                .map_or_else(|| "none".to_string(), |a| a.to_string());
            eprintln!(
                "{peer}: handshake failed: {} (alert sent: {alert})",
                fatal.error()
            );
            return;
        }
    };
    let summary = stream.summary().clone();
    println!(
        "{peer}: handshake done: TLSv1.2 {} {}",
        summary.cipher_suite, summary.group
    );
    let result = if echo {
        echo_until_closed(&mut stream)
    } else {
        answer_http(&mut stream)
    };
    match result {
        Ok(()) => println!("{peer}: closed"),
        Err(e) => eprintln!("{peer}: {e}"),
    }
}

fn answer_http(stream: &mut Stream<tlstate::handshake::Server, TcpStream>) -> std::io::Result<()> {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let summary = stream.summary();
    let body = format!(
        "protocol: TLSv1.2\ncipher suite: {}\ngroup: {}\nextended master secret: {}\n",
        summary.cipher_suite, summary.group, summary.extended_master_secret
    );
    let response = format!(
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes())?;
    stream.close()
}

fn echo_until_closed(
    stream: &mut Stream<tlstate::handshake::Server, TcpStream>,
) -> std::io::Result<()> {
    let mut buf = [0u8; 16384];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return stream.close();
        }
        stream.write_all(&buf[..n])?;
    }
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}\nusage: server --listen ADDR [--cert chain.pem --key key.pem] [--echo]");
            std::process::exit(2);
        }
    };
    let config = match config(&args) {
        Ok(config) => Arc::new(config),
        Err(e) => {
            eprintln!("configuration: {e}");
            std::process::exit(1);
        }
    };
    let listener = match TcpListener::bind(&args.listen) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("cannot listen on {}: {e}", args.listen);
            std::process::exit(1);
        }
    };
    println!("listening on {}", args.listen);
    for tcp in listener.incoming() {
        match tcp {
            Ok(tcp) => {
                let config = config.clone();
                let echo = args.echo;
                std::thread::spawn(move || serve(config, tcp, echo));
            }
            Err(e) => eprintln!("accept: {e}"),
        }
    }
}
