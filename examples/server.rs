//! A TLS 1.2 / TLS 1.3 server on the blocking driver: one thread per connection.
//!
//! ```text
//! cargo run --example server -- --listen 127.0.0.1:4433 [--cert chain.pem --key key.pem] [--echo]
//!     [--require-client-cert --client-ca ca.pem] [--alpn h2,http/1.1] [--tickets] [--session-cache N]
//!     [--suites A,B] [--groups A,B] [--no-require-ems] [--max-fragment-len N]
//!     [--idle-buffer-capacity N]
//!     [--max-client-hello-len N] [--max-handshake-len N] [--keylog FILE]
//!     [--ocsp resp.der] [--early-data N] [--tls13] [--tls12]
//! ```
//!
//! `--help` lists the flags. Without `--cert` it makes a self-signed ECDSA
//! P-256 certificate for `localhost` and writes its PEM to a path it
//! prints (give that file to a client as its CA). It prints
//! `listening on ADDR` with the address actually bound (so `--listen
//! 127.0.0.1:0` picks a free port).
//!
//! By default it answers like `openssl s_server -www`: once a request's
//! header ends (a blank line, with CRLF or LF line ends alike) it sends
//! an `HTTP/1.0 200 OK` page naming the protocol version, cipher suite,
//! group, extended master secret, ALPN protocol, SNI name, whether the
//! session was resumed, and the client certificate's subject when there
//! is one, then close_notify. With `--echo` application data is echoed
//! until the peer closes. Once the peer's close_notify has arrived no
//! application data is sent (RFC 5246 7.2.1: pending writes are
//! discarded), only our close_notify. A failed handshake is logged with
//! its alert, and the server keeps serving. `--ocsp` staples the DER OCSP
//! response in the file to every handshake whose client asks for one
//! (status_request, RFC 6066 8). `--post-handshake-auth` with
//! `--client-ca` asks a TLS 1.3 client for its certificate after the
//! handshake (RFC 8446 4.6.2), once its request has arrived, and the page
//! says `post-handshake auth: certified SUBJECT`, `no certificate`, or why
//! it was not requested. `--early-data N` (with `--tickets`)
//! takes up to N bytes of TLS 1.3 0-RTT early data with a ticket, each
//! ticket's once: it is logged (`early data: N bytes`) and read as the
//! start of the request (or echoed first); the page says `early data: N
//! bytes`. A whole request in the early data is answered at once, as
//! 0.5-RTT data before the client's Finished (RFC 8446 2.3; the page says
//! `answered: 0.5-RTT`): a page is safe to serve to a replay.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;

use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tlstate::connection::SessionSummary;
use tlstate::connection::{PostHandshakeAuth, ReadOutcome};
use tlstate::crypto::WebPkiClientVerifier;
use tlstate::crypto::{load_certificates_file, load_private_key_file};
use tlstate::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use tlstate::handshake::{ClientCertPolicy, Server, ServerConfig};
use tlstate::keylog::KeyLogFile;
use tlstate::session::{SessionCache, Ticketer};
use tlstate::stream::{Stream, accept, accept_answering_early_data, accept_with_client_auth};

const USAGE: &str = "\
usage: server [--listen ADDR] [flags]

  --listen ADDR              address to listen on (default 127.0.0.1:4433; port 0 picks one)
  --cert FILE --key FILE     certificate chain and key (PEM); default: a self-signed
                             P-256 certificate for localhost, its PEM path printed
  --echo                     echo application data instead of answering HTTP
  --require-client-cert      refuse clients without a certificate (needs --client-ca)
  --client-ca FILE           ask for client certificates, verified against FILE
  --post-handshake-auth      with --client-ca: ask for the certificate after the handshake
                             instead (TLS 1.3, RFC 8446 4.6.2), once a request has come
  --alpn A,B                 ALPN protocols to accept, most preferred first
  --tickets                  issue session tickets, in both versions (RFC 5077; RFC 8446 4.6.1)
  --tls13-tickets N          NewSessionTickets per TLS 1.3 handshake with --tickets (default 2)
  --early-data N             with --tickets: take up to N bytes of TLS 1.3 0-RTT early data
  --session-cache N          keep N sessions for resumption by session ID
  --suites A,B               cipher suites (IANA names), most preferred first
                             (--suite is the same); default: all implemented
  --groups A,B               groups (x25519, secp256r1, secp384r1), most preferred first
                             (--group is the same); default: all implemented
  --no-require-ems           let in clients without the extended master secret (RFC 7627)
  --max-fragment-len N       largest record plaintext sent (at most 16384)
  --idle-buffer-capacity N   most heap each record buffer keeps while idle (default 1088)
  --max-client-hello-len N   largest ClientHello body read (default 131396, the largest legal)
  --max-handshake-len N      largest other handshake message body read (default 65536)
  --keylog FILE              append session secrets in the SSLKEYLOGFILE format
  --ocsp FILE                staple this DER OCSP response when a client asks (RFC 6066 8)
  --tls13                    enable TLS 1.3 (preferred when the client offers both)
  --tls12                    enable TLS 1.2; without either flag both are enabled
  --help                     this text";

/// The longest request header read; a longer one is not answered.
const MAX_REQUEST_LEN: usize = 16 * 1024;

struct Args {
    listen: String,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    echo: bool,
    require_client_cert: bool,
    client_ca: Option<PathBuf>,
    post_handshake_auth: bool,
    alpn: Vec<Vec<u8>>,
    tickets: bool,
    tls13_tickets: Option<usize>,
    early_data: Option<u32>,
    session_cache: usize,
    suites: Option<Vec<CipherSuite>>,
    groups: Option<Vec<NamedGroup>>,
    no_require_ems: bool,
    max_fragment_len: Option<usize>,
    idle_buffer_capacity: Option<usize>,
    max_client_hello_len: Option<usize>,
    max_handshake_len: Option<usize>,
    keylog: Option<PathBuf>,
    ocsp: Option<PathBuf>,
    tls13: bool,
    tls12: bool,
}

/// What the command line asks for.
enum Command {
    Serve(Box<Args>),
    Help,
}

fn parse_args() -> Result<Command, String> {
    let mut args = Args {
        listen: "127.0.0.1:4433".into(),
        cert: None,
        key: None,
        echo: false,
        require_client_cert: false,
        client_ca: None,
        post_handshake_auth: false,
        alpn: Vec::new(),
        tickets: false,
        tls13_tickets: None,
        early_data: None,
        session_cache: 0,
        suites: None,
        groups: None,
        no_require_ems: false,
        max_fragment_len: None,
        idle_buffer_capacity: None,
        max_client_hello_len: None,
        max_handshake_len: None,
        keylog: None,
        ocsp: None,
        tls13: false,
        tls12: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--listen" => args.listen = value()?,
            "--cert" => args.cert = Some(value()?.into()),
            "--key" => args.key = Some(value()?.into()),
            "--echo" => args.echo = true,
            "--require-client-cert" => args.require_client_cert = true,
            "--client-ca" => args.client_ca = Some(value()?.into()),
            "--post-handshake-auth" => args.post_handshake_auth = true,
            "--alpn" => args.alpn = value()?.split(',').map(|p| p.as_bytes().to_vec()).collect(),
            "--tickets" => args.tickets = true,
            "--tls13-tickets" => args.tls13_tickets = Some(number(&flag, &value()?)?),
            "--early-data" => {
                let n = number(&flag, &value()?)?;
                args.early_data =
                    Some(u32::try_from(n).map_err(|_| format!("{flag}: {n} is too large"))?);
            }
            "--session-cache" => args.session_cache = number(&flag, &value()?)?,
            "--suites" | "--suite" => args.suites = Some(suites(&value()?)?),
            "--groups" | "--group" => args.groups = Some(groups(&value()?)?),
            "--no-require-ems" => args.no_require_ems = true,
            "--max-fragment-len" => args.max_fragment_len = Some(number(&flag, &value()?)?),
            "--idle-buffer-capacity" => {
                args.idle_buffer_capacity = Some(number(&flag, &value()?)?);
            }
            "--max-client-hello-len" => {
                args.max_client_hello_len = Some(number(&flag, &value()?)?);
            }
            "--max-handshake-len" => args.max_handshake_len = Some(number(&flag, &value()?)?),
            "--keylog" => args.keylog = Some(value()?.into()),
            "--ocsp" => args.ocsp = Some(value()?.into()),
            "--tls13" => args.tls13 = true,
            "--tls12" => args.tls12 = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Command::Serve(Box::new(args)))
}

fn number(flag: &str, text: &str) -> Result<usize, String> {
    text.parse()
        .map_err(|_| format!("{flag} {text}: not a number"))
}

/// A list of names, split at commas (or colons, as OpenSSL writes them).
fn names(list: &str) -> impl Iterator<Item = &str> {
    list.split([',', ':']).filter(|name| !name.is_empty())
}

/// The protocol's name as OpenSSL prints it.
fn protocol_name(version: ProtocolVersion) -> &'static str {
    match version {
        ProtocolVersion::Tls13 => "TLSv1.3",
        _ => "TLSv1.2",
    }
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

fn config(args: &Args) -> Result<ServerConfig, Box<dyn std::error::Error>> {
    let mut config = certified_config(args)?;
    config.alpn_protocols.clone_from(&args.alpn);
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
    if args.tickets {
        // Keys rotate every 6 hours; tickets live 12.
        config.ticketer = Some(Arc::new(Ticketer::new(6 * 3600, 12 * 3600)?));
    }
    if let Some(n) = args.early_data {
        config.max_early_data_size = n;
    }
    if let Some(count) = args.tls13_tickets {
        config.tls13_tickets = count;
    }
    if let Some(path) = &args.ocsp {
        let response =
            std::fs::read(path).map_err(|e| format!("--ocsp {}: {e}", path.display()))?;
        config.ocsp_response = Some(response.into());
    }
    if args.session_cache > 0 {
        config.session_cache = Some(Arc::new(SessionCache::new(args.session_cache, 12 * 3600)));
    }
    if let Some(suites) = &args.suites {
        config.cipher_suites.clone_from(suites);
    }
    if let Some(groups) = &args.groups {
        config.groups.clone_from(groups);
    }
    if args.no_require_ems {
        config.require_extended_master_secret = false;
    }
    if let Some(bytes) = args.idle_buffer_capacity {
        config.idle_buffer_capacity = bytes;
    }
    if let Some(len) = args.max_fragment_len {
        config.max_fragment_len = len;
    }
    if let Some(len) = args.max_client_hello_len {
        config.max_client_hello_len = len;
    }
    if let Some(len) = args.max_handshake_len {
        config.max_handshake_message_len = len;
    }
    if let Some(path) = &args.keylog {
        config.key_log = Some(Arc::new(KeyLogFile::create(path)?));
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

/// How a connection is served, from the flags.
#[derive(Clone, Copy)]
struct Serve {
    echo: bool,
    /// The client-certificate policy is for a post-handshake request, not
    /// for the handshake.
    post_handshake_auth: bool,
}

fn serve(config: Arc<ServerConfig>, policy: Option<ClientCertPolicy>, tcp: TcpStream, how: Serve) {
    let (policy, later) = match how.post_handshake_auth {
        true => (None, policy),
        false => (policy, None),
    };
    let peer = tcp
        .peer_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    // A second handle on the socket, to look without waiting for what the
    // peer has already sent (see `drain_available`).
    let probe = match tcp.try_clone() {
        Ok(probe) => probe,
        Err(e) => {
            eprintln!("{peer}: {e}");
            return;
        }
    };
    // A whole request in the early data is answered at once, as 0.5-RTT
    // data, a round trip before the handshake ends (this server only
    // serves a page, which is safe to do twice: early data can be a
    // replay, RFC 8446 8).
    let mut answered_early = false;
    let mut answer = |summary: &SessionSummary, early: &[u8]| {
        let answer = request_complete(early).then(|| {
            page(
                summary,
                early.len(),
                "answered: 0.5-RTT, before the client's Finished\n",
            )
        });
        answered_early = answer.is_some();
        answer.map(String::into_bytes)
    };
    let accepted = match policy {
        Some(policy) => accept_with_client_auth(config, policy, tcp),
        None if !how.echo && later.is_none() => {
            accept_answering_early_data(config, tcp, &mut answer)
        }
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
        "{peer}: handshake done: {} {} {} ems={}",
        protocol_name(summary.protocol_version),
        summary.cipher_suite,
        summary.group,
        summary.extended_master_secret
    );
    // Early data may be a replay (RFC 8446 8): this server only reads
    // pages, which is safe to do twice.
    let early = stream.take_early_data().unwrap_or_default();
    if !early.is_empty() {
        println!("{peer}: early data: {} bytes", early.len());
    }
    if answered_early {
        println!("{peer}: answered the early request as 0.5-RTT data");
        // The request was the early data: nothing more is read (RFC 5246
        // 7.2.1 as for any page: our close_notify, then done).
        let result = match drain_available(&mut stream, &probe, &mut Vec::new()) {
            Ok(_) => stream.close(),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => println!("{peer}: closed"),
            Err(e) => eprintln!("{peer}: {e}"),
        }
        return;
    }
    let result = if how.echo {
        echo_until_closed(&mut stream, &probe, early)
    } else {
        answer_http(&mut stream, &probe, early, later)
    };
    match result {
        Ok(()) => println!("{peer}: closed"),
        Err(e) => eprintln!("{peer}: {e}"),
    }
}

/// Whether a request's header is complete: it ends at the first empty
/// line, whether lines end in CRLF or, as `openssl s_server -www` also
/// accepts, in LF alone.
fn request_complete(request: &[u8]) -> bool {
    request.windows(2).any(|w| w == b"\n\n") || request.windows(3).any(|w| w == b"\n\r\n")
}

/// The most application data [`drain_available`] gathers in one go.
const MAX_DRAINED: usize = 64 * 1024;

/// Takes in, without waiting, the application data already here (in
/// records read, or in the socket right now) into `data`, up to
/// [`MAX_DRAINED`] bytes, and says whether the peer's close_notify came
/// with it (or the transport already ended: there is no one to answer).
/// Then RFC 5246 7.2.1 has us discard pending writes and answer only
/// with our own close_notify.
fn drain_available(
    stream: &mut Stream<Server, TcpStream>,
    probe: &TcpStream,
    data: &mut Vec<u8>,
) -> std::io::Result<bool> {
    let mut buf = [0u8; 4096];
    while data.len() < MAX_DRAINED {
        let conn = stream.connection();
        match conn.read(&mut buf) {
            Ok(ReadOutcome::Closed) => return Ok(true),
            Ok(ReadOutcome::Data(n)) => {
                data.extend_from_slice(&buf[..n]);
                continue;
            }
            Ok(ReadOutcome::NeedMore) => {}
            Err(e) => {
                // The alert it owes goes out with the close.
                let _ = stream.close();
                return Err(std::io::Error::other(e));
            }
        }
        probe.set_nonblocking(true)?;
        let got = conn.fill_from(&mut &*probe);
        probe.set_nonblocking(false)?;
        match got {
            Ok(0) => return Ok(true),
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Asks for a client certificate on the established connection (TLS 1.3
/// post-handshake authentication) and waits for the verified answer: the
/// page's line about it, or `None` when the peer closed meanwhile.
fn post_handshake_auth(
    stream: &mut Stream<Server, TcpStream>,
    probe: &TcpStream,
    policy: ClientCertPolicy,
) -> std::io::Result<Option<String>> {
    if let Err(e) = stream.connection().request_client_certificate(policy) {
        return Ok(Some(format!("not requested ({e})")));
    }
    stream.flush()?;
    let mut buf = [0u8; 4096];
    loop {
        let conn = stream.connection();
        match conn.read(&mut buf) {
            // HTTP/1.0: nothing more is asked on this connection.
            Ok(ReadOutcome::Data(_)) => continue,
            Ok(ReadOutcome::Closed) => return Ok(None),
            Ok(ReadOutcome::NeedMore) => {}
            Err(e) => {
                let _ = stream.close();
                return Err(std::io::Error::other(e));
            }
        }
        // All that came is read: the answer may be complete.
        if let Some(outcome) = conn.post_handshake_auth() {
            return Ok(Some(match outcome {
                PostHandshakeAuth::Certified(chain) => {
                    format!(
                        "certified {}",
                        chain.first().map_or(String::new(), |der| subject(der))
                    )
                }
                PostHandshakeAuth::NoCertificate => "no certificate".to_string(),
            }));
        }
        if conn.fill_from(&mut &*probe)? == 0 {
            return Ok(None);
        }
    }
}

fn answer_http(
    stream: &mut Stream<Server, TcpStream>,
    probe: &TcpStream,
    early: Vec<u8>,
    later: Option<ClientCertPolicy>,
) -> std::io::Result<()> {
    let early_len = early.len();
    let mut request = early;
    let mut buf = [0u8; 4096];
    while !request_complete(&request) {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            // close_notify before a whole request: nothing to answer, and
            // nothing may be sent after it but our own close_notify.
            return stream.close();
        }
        request.extend_from_slice(&buf[..n]);
        if request.len() > MAX_REQUEST_LEN {
            eprintln!("request header over {MAX_REQUEST_LEN} bytes: not answered");
            return stream.close();
        }
    }
    // Anything after the request (a pipelined one) goes unanswered: an
    // HTTP/1.0 connection carries one.
    if drain_available(stream, probe, &mut Vec::new())? {
        return stream.close();
    }
    let later = match later {
        Some(policy) => match post_handshake_auth(stream, probe, policy)? {
            Some(line) => format!("post-handshake auth: {line}\n"),
            None => return stream.close(),
        },
        None => String::new(),
    };
    let response = page(stream.summary(), early_len, &later);
    stream.write_all(response.as_bytes())?;
    stream.close()
}

/// The `-www` page: what was negotiated, how much of the request came as
/// early data, and `extra` lines.
fn page(summary: &SessionSummary, early_len: usize, extra: &str) -> String {
    let alpn = summary
        .alpn_protocol
        .as_deref()
        .map_or("none".into(), String::from_utf8_lossy);
    let client = summary
        .client_certificates
        .first()
        .map_or("none".to_string(), |der| subject(der));
    let body = format!(
        "protocol: {}\ncipher suite: {}\ngroup: {}\nextended master secret: {}\nalpn: {alpn}\n\
         sni: {}\nresumed: {}\nclient certificate: {client}\nearly data: {early_len} bytes\n{extra}",
        protocol_name(summary.protocol_version),
        summary.cipher_suite,
        summary.group,
        summary.extended_master_secret,
        summary.server_name.as_deref().unwrap_or("none"),
        summary.resumed,
    );
    format!(
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// The certificate's subject, for the response body.
fn subject(der: &[u8]) -> String {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => cert.subject().to_string(),
        Err(_) => "(unparsable)".to_string(),
    }
}

fn echo_until_closed(
    stream: &mut Stream<Server, TcpStream>,
    probe: &TcpStream,
    early: Vec<u8>,
) -> std::io::Result<()> {
    let mut buf = [0u8; 16384];
    stream.write_all(&early)?;
    let mut data = Vec::new();
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return stream.close();
        }
        data.clear();
        data.extend_from_slice(&buf[..n]);
        // Data that came with the peer's close_notify is not echoed.
        if drain_available(stream, probe, &mut data)? {
            return stream.close();
        }
        stream.write_all(&data)?;
    }
}

fn main() {
    let args = match parse_args() {
        Ok(Command::Serve(args)) => args,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
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
    match listener.local_addr() {
        Ok(addr) => println!("listening on {addr}"),
        Err(_) => println!("listening on {}", args.listen),
    }
    for tcp in listener.incoming() {
        match tcp {
            Ok(tcp) => {
                let (config, policy) = (config.clone(), policy.clone());
                let how = Serve {
                    echo: args.echo,
                    post_handshake_auth: args.post_handshake_auth,
                };
                std::thread::spawn(move || serve(config, policy, tcp, how));
            }
            Err(e) => eprintln!("accept: {e}"),
        }
    }
}
