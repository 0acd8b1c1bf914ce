//! Closing and renegotiation against independent peers, over real TCP
//! loopback sockets: the OpenSSL 3.0 command line (`openssl s_client`,
//! `openssl s_server`), Python's `ssl` module (also OpenSSL underneath, but
//! its own close/EOF policy), and rustls in process.
//!
//! - Our close_notify is what the peer sees as the clean end (s_client
//!   prints `closed` and exits 0; Python with `suppress_ragged_eofs=False`
//!   reads `b''` instead of raising `SSLEOFError`; rustls reads `Ok(0)`),
//!   and the peer's close_notify is our `Ok(0)`.
//! - A peer that closes TCP without close_notify is truncation for us
//!   (`UnexpectedEof` wrapping `Error::Truncated`), and — the control that
//!   shows the checks above have teeth — our own truncation is an error for
//!   Python and rustls.
//! - Renegotiation is refused with a no_renegotiation warning (RFC 5746
//!   4.2/4.4, RFC 5246 7.4.1.1/7.4.1.2). OpenSSL, on receiving that warning
//!   in answer to its own renegotiation, ends the connection with a fatal
//!   handshake_failure (OpenSSL's `ssl3_read_bytes`: "Terminate with a fatal
//!   alert because if application tried to renegotiate it presumably had a
//!   good reason"); the tests assert exactly that, after checking on the
//!   wire that our answer was one alert record and nothing fatal. That the
//!   connection goes on after a refusal is shown in memory in
//!   `connection_shutdown.rs` (`our_server_refuses_a_client_hello_and_goes_on`,
//!   `our_client_refuses_a_hello_request_and_goes_on`): rustls never starts
//!   a renegotiation (it has no API for it) and Python has none either.
//!
//! Every child process is killed when its test ends (`KillOnDrop`), and
//! every wait is bounded by `HANG_GUARD` — a bound, never a timing
//! assertion.

mod common;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::memory::localhost;
use common::wire::{Proxy, after_handshake};
use common::{KillOnDrop, fixture};
use rustls::StreamOwned;
use tlstate::enums::{AlertDescription, AlertLevel};
use tlstate::error::Error;
use tlstate::handshake::{Client, Server};
use tlstate::stream::{self, Stream};

/// A guard against a hung peer; no assertion depends on timing.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// Record types.
const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
const APPLICATION_DATA: u8 = 23;

// ---------------------------------------------------------------------------
// Fixture.

fn guard(tcp: &TcpStream) {
    tcp.set_read_timeout(Some(HANG_GUARD)).unwrap();
    tcp.set_write_timeout(Some(HANG_GUARD)).unwrap();
}

/// Joins a thread, re-raising its panic with the original message.
fn join<T>(handle: JoinHandle<T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Our server: accepts one connection on `listener` and handshakes.
fn our_server(listener: &TcpListener) -> Stream<Server, TcpStream> {
    let (tcp, _) = listener.accept().unwrap();
    guard(&tcp);
    stream::accept(fixture().pki.server_config(&fixture().leaf), tcp).expect("our server handshake")
}

/// Our client, connected to `addr`.
fn our_client(addr: SocketAddr) -> Stream<Client, TcpStream> {
    let tcp = TcpStream::connect(addr).unwrap();
    guard(&tcp);
    stream::connect(fixture().pki.client_config(), localhost(), tcp).expect("our client handshake")
}

/// Some bytes that span several records.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// The tlstate error inside an `io::Error` from a `Stream`.
fn inner(error: &io::Error) -> Option<&Error> {
    error.get_ref().and_then(|e| e.downcast_ref::<Error>())
}

fn assert_truncated(result: io::Result<usize>, who: &str) {
    let error = match result {
        Ok(n) => panic!("{who}: truncation read as Ok({n})"),
        Err(e) => e,
    };
    assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "{who}: {error}");
    assert_eq!(inner(&error), Some(&Error::Truncated), "{who}");
}

/// Reads once and expects the clean end (the peer's close_notify).
fn expect_ok0(r: &mut impl Read, who: &str) {
    let mut buf = [0u8; 256];
    match r.read(&mut buf) {
        Ok(0) => {}
        Ok(n) => panic!("{who}: expected close_notify, got {n} bytes of data"),
        Err(e) => panic!("{who}: expected close_notify, got {e:?}"),
    }
}

// ---------------------------------------------------------------------------
// Child processes.

/// A child process with its output collected line by line.
struct Child {
    process: KillOnDrop,
    stdout_lines: mpsc::Receiver<String>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

fn collect(
    pipe: impl Read + Send + 'static,
    all: Arc<Mutex<String>>,
    lines: Option<mpsc::Sender<String>>,
) {
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            all.lock().unwrap().push_str(&line);
            all.lock().unwrap().push('\n');
            if let Some(lines) = &lines {
                let _ = lines.send(line);
            }
        }
    });
}

fn spawn_child(program: &str, args: &[&str]) -> Child {
    let mut process = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} must be installed: {e}"));
    let stdout = Arc::new(Mutex::new(String::new()));
    let stderr = Arc::new(Mutex::new(String::new()));
    let (tx, stdout_lines) = mpsc::channel();
    collect(process.stdout.take().unwrap(), stdout.clone(), Some(tx));
    collect(process.stderr.take().unwrap(), stderr.clone(), None);
    Child {
        process: KillOnDrop(process),
        stdout_lines,
        stdout,
        stderr,
    }
}

impl Child {
    fn stdin(&mut self) -> &mut std::process::ChildStdin {
        self.process.0.stdin.as_mut().unwrap()
    }

    fn close_stdin(&mut self) {
        drop(self.process.0.stdin.take());
    }

    /// Waits (bounded) for a stdout line that satisfies `want`.
    fn wait_for_line(&self, want: impl Fn(&str) -> bool, what: &str) -> String {
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout_lines.recv_timeout(left) {
                Ok(line) if want(&line) => return line,
                Ok(_) => {}
                Err(_) => panic!("no {what} on stdout:\n{}\n{}", self.out(), self.err()),
            }
        }
    }

    /// Waits (bounded) for the process to exit; kills it if it does not.
    fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            if let Some(status) = self.process.0.try_wait().unwrap() {
                // Let the collecting threads reach the end of the pipes.
                let _ = self.stdout_lines.recv_timeout(Duration::from_millis(200));
                return status;
            }
            if Instant::now() > deadline {
                panic!("the child did not exit:\n{}\n{}", self.out(), self.err());
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    fn out(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn err(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

fn s_client(addr: SocketAddr, extra: &[&str]) -> Child {
    let connect = addr.to_string();
    let ca = fixture().pki.ca_path.to_str().unwrap().to_owned();
    let mut args = vec![
        "s_client",
        "-tls1_2",
        "-connect",
        &connect,
        "-servername",
        "localhost",
        "-CAfile",
        &ca,
        "-verify_return_error",
        "-verify_hostname",
        "localhost",
    ];
    args.extend_from_slice(extra);
    spawn_child("openssl", &args)
}

fn python(script: &str, args: &[&str]) -> Child {
    let mut all = vec!["-c", script];
    all.extend_from_slice(args);
    spawn_child("python3", &all)
}

// ---------------------------------------------------------------------------
// openssl s_client.

/// We send data then close_notify: s_client prints the data and `closed`
/// (its `SSL_ERROR_ZERO_RETURN` branch), answers with its own close_notify
/// (our `Ok(0)`), and exits 0 — not "unexpected eof while reading", which
/// is what OpenSSL 3.0 reports for a TCP close without close_notify.
#[test]
fn s_client_receives_our_close_notify() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = s_client(listener.local_addr().unwrap(), &["-ign_eof"]);
    let mut server = our_server(&listener);
    server.write_all(b"hello from tlstate\n").unwrap();
    server.shutdown_send().unwrap();
    expect_ok0(&mut server, "our server");
    let status = client.wait();
    let (out, err) = (client.out(), client.err());
    assert!(status.success(), "s_client: {status}\n{out}\n{err}");
    let lines: Vec<&str> = out.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "hello from tlstate")
        .unwrap_or_else(|| panic!("data missing:\n{out}"));
    assert_eq!(lines.get(at + 1), Some(&"closed"), "{out}");
    assert!(!err.contains("unexpected eof"), "{err}");
    assert!(!out.contains("unexpected eof"), "{out}");
}

/// The control for the test above: a TCP close without close_notify is
/// what s_client reports as "unexpected eof while reading" (exit 1).
#[test]
fn s_client_reports_our_truncation_as_unexpected_eof() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = s_client(listener.local_addr().unwrap(), &["-ign_eof"]);
    let mut server = our_server(&listener);
    server.write_all(b"hello from tlstate\n").unwrap();
    client.wait_for_line(|l| l == "hello from tlstate", "our data");
    server.transport().shutdown(Shutdown::Both).unwrap();
    drop(server);
    let status = client.wait();
    let (out, err) = (client.out(), client.err());
    assert!(!status.success(), "s_client: {status}\n{out}\n{err}");
    assert!(err.contains("unexpected eof while reading"), "{err}");
    assert!(!out.lines().any(|l| l == "closed"), "{out}");
}

/// s_client's `Q` command and the end of its stdin both send its
/// close_notify: we read its data, then `Ok(0)`.
#[test]
fn s_client_close_is_our_clean_end() {
    for how in ["Q command", "stdin EOF"] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = s_client(listener.local_addr().unwrap(), &[]);
        let mut server = our_server(&listener);
        client.stdin().write_all(b"hello from s_client\n").unwrap();
        client.stdin().flush().unwrap();
        let mut got = vec![0u8; 20];
        server.read_exact(&mut got).unwrap();
        assert_eq!(got, b"hello from s_client\n", "{how}");
        match how {
            "Q command" => client.stdin().write_all(b"Q\n").unwrap(),
            _ => client.close_stdin(),
        }
        expect_ok0(&mut server, how);
        // Answer with ours; s_client may already be gone.
        let _ = server.shutdown_send();
        let status = client.wait();
        assert!(status.success(), "{how}: {status}\n{}", client.err());
        assert!(client.err().contains("DONE"), "{how}: {}", client.err());
    }
}

// ---------------------------------------------------------------------------
// Python's ssl module.

/// Connects to our server, reads until `recv` returns `b''` with
/// `suppress_ragged_eofs=False` (so a missing close_notify raises
/// `SSLEOFError`), checks the data, then `unwrap()`s: its own close_notify.
const PY_READ_TO_END: &str = r#"
import socket, ssl, sys
port, ca, expect = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(ca)
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
raw = socket.create_connection(("127.0.0.1", port), timeout=60)
s = ctx.wrap_socket(raw, server_hostname="localhost", suppress_ragged_eofs=False)
got = bytearray()
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
except ssl.SSLEOFError as e:
    print("SSLEOFError after", len(got), "bytes:", e, flush=True)
    sys.exit(3)
assert got == bytes(i % 251 for i in range(expect)), "data differs"
version = s.version()
s.unwrap().close()
print("OK", len(got), version, flush=True)
"#;

/// We send 100 000 bytes and close_notify: Python reads them and `b''`
/// (no `SSLEOFError`), and its `unwrap()` close_notify is our `Ok(0)`.
#[test]
fn python_reads_our_close_notify_and_unwrap_is_our_clean_end() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let ca = fixture().pki.ca_path.to_str().unwrap().to_owned();
    let mut py = python(PY_READ_TO_END, &[&port, &ca, "100000"]);
    let mut server = our_server(&listener);
    server.write_all(&payload(100_000)).unwrap();
    server.shutdown_send().unwrap();
    expect_ok0(&mut server, "our server");
    let status = py.wait();
    assert!(
        status.success(),
        "python: {status}\n{}\n{}",
        py.out(),
        py.err()
    );
    assert_eq!(py.out().trim(), "OK 100000 TLSv1.2", "{}", py.err());
}

/// The control: our TCP close without close_notify makes the same script
/// raise `SSLEOFError` — so the test above would have caught a missing
/// close_notify.
#[test]
fn python_raises_on_our_truncation() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let ca = fixture().pki.ca_path.to_str().unwrap().to_owned();
    let mut py = python(PY_READ_TO_END, &[&port, &ca, "100000"]);
    let mut server = our_server(&listener);
    server.write_all(&payload(1000)).unwrap();
    server.transport().shutdown(Shutdown::Both).unwrap();
    drop(server);
    let status = py.wait();
    assert_eq!(status.code(), Some(3), "{}\n{}", py.out(), py.err());
    assert!(
        py.out().starts_with("SSLEOFError after 1000 bytes"),
        "{}",
        py.out()
    );
}

/// Python sends a line, then either `unwrap()`s (close_notify, then waits
/// for ours) or shuts the raw socket down without close_notify.
const PY_SEND_THEN_CLOSE: &str = r#"
import socket, ssl, sys
port, ca, how = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(ca)
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
raw = socket.create_connection(("127.0.0.1", port), timeout=60)
s = ctx.wrap_socket(raw, server_hostname="localhost", suppress_ragged_eofs=False)
s.sendall(b"hello from python\n")
if how == "unwrap":
    s.unwrap().close()
else:
    # SSLSocket.shutdown drops the TLS layer and shuts the socket down:
    # no close_notify.
    s.shutdown(socket.SHUT_RDWR)
    s.close()
print("OK", how, flush=True)
"#;

#[test]
fn python_unwrap_is_our_clean_end() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let ca = fixture().pki.ca_path.to_str().unwrap().to_owned();
    let mut py = python(PY_SEND_THEN_CLOSE, &[&port, &ca, "unwrap"]);
    let mut server = our_server(&listener);
    let mut got = Vec::new();
    server.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"hello from python\n");
    // Python's unwrap() waits for our close_notify.
    server.shutdown_send().unwrap();
    let status = py.wait();
    assert!(
        status.success(),
        "python: {status}\n{}\n{}",
        py.out(),
        py.err()
    );
    assert_eq!(py.out().trim(), "OK unwrap");
}

/// Python closes the socket without close_notify: we read its data, then
/// `UnexpectedEof` wrapping `Error::Truncated`, never `Ok(0)`.
#[test]
fn python_socket_close_without_unwrap_is_truncation() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let ca = fixture().pki.ca_path.to_str().unwrap().to_owned();
    let mut py = python(PY_SEND_THEN_CLOSE, &[&port, &ca, "raw"]);
    let mut server = our_server(&listener);
    let mut got = vec![0u8; 18];
    server.read_exact(&mut got).unwrap();
    assert_eq!(got, b"hello from python\n");
    let mut buf = [0u8; 64];
    assert_truncated(server.read(&mut buf), "our server");
    assert_truncated(server.read(&mut buf), "our server, again");
    let status = py.wait();
    assert!(status.success(), "python: {status}\n{}", py.err());
}

// ---------------------------------------------------------------------------
// rustls.

fn rustls_client(addr: SocketAddr) -> StreamOwned<rustls::ClientConnection, TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(fixture().pki.ca.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS12])
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let conn = rustls::ClientConnection::new(Arc::new(config), localhost()).unwrap();
    let tcp = TcpStream::connect(addr).unwrap();
    guard(&tcp);
    StreamOwned::new(conn, tcp)
}

/// Our close_notify is rustls's `Ok(0)`; rustls's close_notify is ours.
#[test]
fn rustls_and_we_exchange_close_notify() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = thread::spawn(move || {
        let mut tls = rustls_client(addr);
        let mut got = Vec::new();
        tls.read_to_end(&mut got)
            .expect("rustls reads to close_notify");
        assert!(got == payload(50_000), "rustls: data differs");
        tls.conn.send_close_notify();
        tls.flush().unwrap();
    });
    let mut server = our_server(&listener);
    server.write_all(&payload(50_000)).unwrap();
    server.shutdown_send().unwrap();
    expect_ok0(&mut server, "our server");
    join(peer);
}

/// rustls closes first; we read its data then `Ok(0)`.
#[test]
fn rustls_close_notify_is_our_clean_end() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = thread::spawn(move || {
        let mut tls = rustls_client(addr);
        tls.write_all(b"hello from rustls").unwrap();
        tls.conn.send_close_notify();
        tls.flush().unwrap();
        tls
    });
    let mut server = our_server(&listener);
    let mut got = Vec::new();
    server.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"hello from rustls");
    server.shutdown_send().unwrap();
    let mut tls = join(peer);
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
}

/// RFC 5246 7.2.1: our answer to rustls's close_notify goes out as we
/// read it, without a `shutdown_send` of ours: rustls reads `Ok(0)` while
/// our stream is still alive (before, it waited until its read timed out).
/// Sending afterwards fails with `Error::Closed`.
#[test]
fn rustls_close_notify_is_answered_by_ours_at_once() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (answered, got_answer) = mpsc::channel();
    let peer = thread::spawn(move || {
        let mut tls = rustls_client(addr);
        tls.get_ref()
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        tls.write_all(b"bye").unwrap();
        tls.conn.send_close_notify();
        tls.flush().unwrap();
        let mut rest = Vec::new();
        answered
            .send(tls.read_to_end(&mut rest).map(|_| rest))
            .unwrap();
    });
    let mut server = our_server(&listener);
    let mut got = Vec::new();
    server.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"bye");
    // Our stream stays alive (no drop, no TCP close) until rustls has read.
    let rest = got_answer
        .recv_timeout(HANG_GUARD)
        .expect("rustls finished reading")
        .expect("rustls reads our close_notify as its clean end");
    assert!(rest.is_empty());
    let error = server.write(b"too late").unwrap_err();
    assert_eq!(inner(&error), Some(&Error::Closed));
    join(peer);
}

/// rustls's TCP close without close_notify is our truncation; ours is
/// rustls's `UnexpectedEof`.
#[test]
fn truncation_either_way_with_rustls() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = thread::spawn(move || {
        let mut tls = rustls_client(addr);
        tls.write_all(b"cut").unwrap();
        tls.flush().unwrap();
        tls.sock.shutdown(Shutdown::Write).unwrap();
        // Our truncation, the other way.
        let mut rest = Vec::new();
        let error = tls.read_to_end(&mut rest).unwrap_err();
        assert_eq!(
            error.kind(),
            io::ErrorKind::UnexpectedEof,
            "rustls: {error}"
        );
    });
    let mut server = our_server(&listener);
    let mut got = [0u8; 3];
    server.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"cut");
    let mut buf = [0u8; 16];
    assert_truncated(server.read(&mut buf), "our server");
    server.transport().shutdown(Shutdown::Both).unwrap();
    join(peer);
}

// ---------------------------------------------------------------------------
// Renegotiation.

/// `openssl s_client -tls1_2` to our server, then its `R` command: it sends
/// a ClientHello inside the connection. Our server answers with exactly one
/// alert record, a no_renegotiation *warning* (as OpenSSL's `-msg` trace
/// reports it), and nothing fatal. OpenSSL 3.0 then ends the connection
/// itself with a fatal handshake_failure ("ssl3_read_bytes:no
/// renegotiation", exit 1), which we receive as
/// `AlertReceived { Fatal, HandshakeFailure }`: no data can flow after the
/// refusal with OpenSSL as the initiator (see the file's doc).
#[test]
fn s_client_renegotiation_is_refused_with_a_warning() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = Proxy::start(listener.local_addr().unwrap(), HANG_GUARD);
    let mut client = s_client(proxy.addr, &["-msg"]);
    let mut server = our_server(&listener);

    // Data both ways first: s_client sends a line, we echo it.
    client.stdin().write_all(b"before\n").unwrap();
    client.stdin().flush().unwrap();
    let mut line = [0u8; 7];
    server.read_exact(&mut line).unwrap();
    assert_eq!(&line, b"before\n");
    server.write_all(b"echo: before\n").unwrap();
    client.wait_for_line(|l| l == "echo: before", "our echo");

    client.stdin().write_all(b"R\n").unwrap();
    client.stdin().flush().unwrap();
    let mut buf = [0u8; 64];
    let error = server.read(&mut buf).unwrap_err();
    assert_eq!(
        inner(&error),
        Some(&Error::AlertReceived {
            level: AlertLevel::Fatal,
            description: AlertDescription::HandshakeFailure,
        }),
        "{error}"
    );
    let status = client.wait();
    let (out, err) = (client.out(), client.err());
    // RFC 5746: our ServerHello carried renegotiation_info.
    assert!(out.contains("Secure Renegotiation IS supported"), "{out}");
    assert!(err.contains("RENEGOTIATING"), "{err}");
    assert!(
        out.contains("<<< TLS 1.2, Alert [length 0002], warning no_renegotiation"),
        "{out}"
    );
    assert!(
        out.contains(">>> TLS 1.2, Alert [length 0002], fatal handshake_failure"),
        "{out}"
    );
    assert!(err.contains(":no renegotiation:"), "{err}");
    assert_eq!(status.code(), Some(1), "{out}\n{err}");

    drop(server);
    let recorded = proxy.recorded();
    // s_client: "before\n", the ClientHello, its fatal alert.
    let from_client = after_handshake(&recorded.client_to_server);
    assert_eq!(from_client.len(), 3, "{from_client:?}");
    assert_eq!(from_client[0], (APPLICATION_DATA, 8 + 7 + 16));
    assert_eq!(from_client[1].0, HANDSHAKE);
    assert_eq!(from_client[2], (ALERT, 26));
    // Us: the echo, then exactly one alert record (the warning).
    assert_eq!(
        after_handshake(&recorded.server_to_client),
        vec![(APPLICATION_DATA, 8 + 13 + 16), (ALERT, 26)]
    );
}

/// `openssl s_server -tls1_2` and our client; its `r` command sends a
/// HelloRequest. Our client answers with exactly one alert record, a
/// no_renegotiation warning, and goes on reading; OpenSSL 3.0 answers that
/// with a fatal handshake_failure, our `AlertReceived`.
#[test]
fn s_server_hello_request_is_refused_with_a_warning() {
    let port = common::free_port();
    let accept = port.to_string();
    let cert = fixture().leaf.cert_path.to_str().unwrap().to_owned();
    let key = fixture().leaf.key_path.to_str().unwrap().to_owned();
    let mut server = spawn_child(
        "openssl",
        &[
            "s_server", "-tls1_2", "-accept", &accept, "-cert", &cert, "-key", &key, "-naccept",
            "1", "-msg",
        ],
    );
    server.wait_for_line(|l| l == "ACCEPT", "ACCEPT");
    let proxy = Proxy::start(SocketAddr::from(([127, 0, 0, 1], port)), HANG_GUARD);
    let mut client = our_client(proxy.addr);

    client.write_all(b"before\n").unwrap();
    server.wait_for_line(|l| l == "before", "our data");
    server.stdin().write_all(b"r\n").unwrap();
    server.stdin().flush().unwrap();
    let mut buf = [0u8; 64];
    let error = client.read(&mut buf).unwrap_err();
    assert_eq!(
        inner(&error),
        Some(&Error::AlertReceived {
            level: AlertLevel::Fatal,
            description: AlertDescription::HandshakeFailure,
        }),
        "{error}"
    );
    let _ = server.wait();
    let (out, err) = (server.out(), server.err());
    assert!(
        out.contains(">>> TLS 1.2, Handshake [length 0004], HelloRequest"),
        "{out}"
    );
    assert!(
        out.contains("<<< TLS 1.2, Alert [length 0002], warning no_renegotiation"),
        "{out}"
    );
    assert!(
        out.contains(">>> TLS 1.2, Alert [length 0002], fatal handshake_failure"),
        "{out}"
    );
    assert!(err.contains(":no renegotiation:"), "{err}");

    drop(client);
    let recorded = proxy.recorded();
    // Us: "before\n", then exactly one alert record (the warning).
    assert_eq!(
        after_handshake(&recorded.client_to_server),
        vec![(APPLICATION_DATA, 8 + 7 + 16), (ALERT, 26)]
    );
    // s_server: the HelloRequest, then its fatal alert.
    assert_eq!(
        after_handshake(&recorded.server_to_client),
        vec![(HANDSHAKE, 8 + 4 + 16), (ALERT, 26)]
    );
}

/// RFC 5246 7.2.1 against OpenSSL: `openssl s_client`'s `Q` command sends
/// its close_notify; our server reads `Ok(0)` and, in that same read,
/// answers with exactly one close_notify of its own (no `shutdown_send`
/// of ours); writing afterwards fails with `Error::Closed`. The recording
/// proxy sees exactly one record from us after the handshake: that alert.
#[test]
fn s_client_close_notify_is_answered_by_ours_at_once() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = Proxy::start(listener.local_addr().unwrap(), HANG_GUARD);
    let mut client = s_client(proxy.addr, &[]);
    let mut server = our_server(&listener);
    client.stdin().write_all(b"hello from s_client\n").unwrap();
    client.stdin().flush().unwrap();
    let mut got = vec![0u8; 20];
    server.read_exact(&mut got).unwrap();
    client.stdin().write_all(b"Q\n").unwrap();
    client.stdin().flush().unwrap();
    expect_ok0(&mut server, "our server");
    let error = server.write(b"too late").unwrap_err();
    assert_eq!(inner(&error), Some(&Error::Closed));
    let status = client.wait();
    assert!(status.success(), "{status}\n{}", client.err());

    drop(server);
    let recorded = proxy.recorded();
    assert_eq!(
        after_handshake(&recorded.server_to_client),
        vec![(ALERT, 26)],
        "our answer, and nothing else"
    );
    assert_eq!(
        after_handshake(&recorded.client_to_server).last(),
        Some(&(ALERT, 26)),
        "s_client's close_notify"
    );
}
