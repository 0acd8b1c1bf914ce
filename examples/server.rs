//! A TLS 1.2 server on the blocking driver: one thread per connection.
//!
//! ```text
//! cargo run --example server -- --listen 127.0.0.1:4433 [--cert chain.pem --key key.pem] [--echo]
//!     [--require-client-cert --client-ca ca.pem] [--alpn h2,http/1.1] [--tickets] [--session-cache N]
//!     [--ocsp resp.der]
//! ```
//!
//! Without `--cert` it makes a self-signed ECDSA P-256 certificate for
//! `localhost` and writes its PEM to a path it prints (give that file to a
//! client as its CA). By default each connection gets an `HTTP/1.0 200 OK`
//! response naming the protocol version, cipher suite, group, ALPN protocol,
//! SNI name, whether the session was resumed, and the client certificate's
//! subject when there is one, then close_notify; with `--echo` application data is echoed until the peer
//! closes. A failed handshake is logged with its alert, and the server
//! keeps serving. `--ocsp` staples the DER OCSP response in the file to
//! every handshake whose client asks for one (status_request, RFC 6066 8).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;

use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tlstate::crypto::WebPkiClientVerifier;
use tlstate::crypto::{load_certificates_file, load_private_key_file};
use tlstate::handshake::{ClientCertPolicy, ServerConfig};
use tlstate::session::{SessionCache, Ticketer};
use tlstate::stream::{Stream, accept, accept_with_client_auth};

struct Args {
    listen: String,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    echo: bool,
    require_client_cert: bool,
    client_ca: Option<PathBuf>,
    alpn: Vec<Vec<u8>>,
    tickets: bool,
    session_cache: usize,
    ocsp: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        listen: "127.0.0.1:4433".into(),
        cert: None,
        key: None,
        echo: false,
        require_client_cert: false,
        client_ca: None,
        alpn: Vec::new(),
        tickets: false,
        session_cache: 0,
        ocsp: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => args.listen = value()?,
            "--cert" => args.cert = Some(value()?.into()),
            "--key" => args.key = Some(value()?.into()),
            "--echo" => args.echo = true,
            "--require-client-cert" => args.require_client_cert = true,
            "--client-ca" => args.client_ca = Some(value()?.into()),
            "--alpn" => args.alpn = value()?.split(',').map(|p| p.as_bytes().to_vec()).collect(),
            "--tickets" => args.tickets = true,
            "--session-cache" => {
                let n = value()?;
                args.session_cache = n
                    .parse()
                    .map_err(|_| format!("--session-cache {n}: not a number"))?;
            }
            "--ocsp" => args.ocsp = Some(value()?.into()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn config(args: &Args) -> Result<ServerConfig, Box<dyn std::error::Error>> {
    let mut config = certified_config(args)?;
    config.alpn_protocols.clone_from(&args.alpn);
    if args.tickets {
        // Keys rotate every 6 hours; tickets live 12.
        config.ticketer = Some(Arc::new(Ticketer::new(6 * 3600, 12 * 3600)?));
    }
    if let Some(path) = &args.ocsp {
        let response =
            std::fs::read(path).map_err(|e| format!("--ocsp {}: {e}", path.display()))?;
        config.ocsp_response = Some(response.into());
    }
    if args.session_cache > 0 {
        config.session_cache = Some(Arc::new(SessionCache::new(args.session_cache, 12 * 3600)));
    }
    Ok(config)
}

/// The client-certificate policy, when asked for.
fn client_auth(args: &Args) -> Result<Option<ClientCertPolicy>, Box<dyn std::error::Error>> {
    match (&args.client_ca, args.require_client_cert) {
        (Some(ca), required) => {
            let verifier = WebPkiClientVerifier::from_file(ca)?;
            Ok(Some(ClientCertPolicy {
                verifier: Arc::new(verifier),
                required,
            }))
        }
        (None, true) => Err("--require-client-cert needs --client-ca".into()),
        (None, false) => Ok(None),
    }
}

fn certified_config(args: &Args) -> Result<ServerConfig, Box<dyn std::error::Error>> {
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

fn serve(config: Arc<ServerConfig>, policy: Option<ClientCertPolicy>, tcp: TcpStream, echo: bool) {
    let peer = tcp
        .peer_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    let accepted = match policy {
        Some(policy) => accept_with_client_auth(config, policy, tcp),
        None => accept(config, tcp),
    };
    let mut stream = match accepted {
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
    let alpn = summary
        .alpn_protocol
        .as_deref()
        .map_or("none".into(), String::from_utf8_lossy);
    let client = summary
        .client_certificates
        .first()
        .map_or("none".to_string(), |der| subject(der));
    let body = format!(
        "protocol: TLSv1.2\ncipher suite: {}\ngroup: {}\nextended master secret: {}\nalpn: {alpn}\n\
         sni: {}\nresumed: {}\nclient certificate: {client}\n",
        summary.cipher_suite,
        summary.group,
        summary.extended_master_secret,
        summary.server_name.as_deref().unwrap_or("none"),
        summary.resumed,
    );
    let response = format!(
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes())?;
    stream.close()
}

/// The certificate's subject, for the response body.
fn subject(der: &[u8]) -> String {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => cert.subject().to_string(),
        Err(_) => "(unparsable)".to_string(),
    }
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
            eprintln!(
                "{e}\nusage: server --listen ADDR [--cert chain.pem --key key.pem] [--echo] \
                 [--require-client-cert --client-ca ca.pem] [--alpn h2,http/1.1] [--tickets] [--session-cache N] \
                 [--ocsp resp.der]"
            );
            std::process::exit(2);
        }
    };
    let (config, policy) = match config(&args).and_then(|config| Ok((config, client_auth(&args)?)))
    {
        Ok((config, policy)) => (Arc::new(config), policy),
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
                let (config, policy) = (config.clone(), policy.clone());
                let echo = args.echo;
                std::thread::spawn(move || serve(config, policy, tcp, echo));
            }
            Err(e) => eprintln!("accept: {e}"),
        }
    }
}
