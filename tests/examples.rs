//! The `server` and `client` examples, run as the programs test tools and
//! people run: their flags (each knob a test needs, `--help`, the README's
//! list), the server answering like `openssl s_server -www` (LF-only
//! requests too) and never sending application data after the peer's
//! close_notify, and EMS, suites and groups as the flags set them, against
//! `openssl s_server`/`s_client` and our own library.
//!
//! `cargo test` builds the examples into `target/debug/examples/`; run
//! alone (`cargo test --test examples`) it does not, so build them first
//! (`cargo build --examples`). A missing binary fails the test loudly.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::openssl::{SServer, s_client, s_client_version, s_client_with_env};
use common::wire::{Proxy, after_handshake};
use common::{KillOnDrop, fixture};

/// A guard against a hung peer; no assertion depends on timing.
const TIMEOUT: Duration = Duration::from_secs(20);

/// An example binary, found next to this test binary
/// (`target/debug/deps/examples-…` → `target/debug/examples/NAME`).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(Path::parent).unwrap();
    let path = debug.join("examples").join(name);
    if !path.exists() {
        eprintln!(
            "\n*** the `{name}` example is not built: {} is missing. `cargo test` builds it; \
             after `cargo test --test examples` alone, run `cargo build --examples` first. ***\n",
            path.display()
        );
        panic!("example binary {} missing", path.display());
    }
    path
}

/// The server example, running on a free port with the fixture's
/// certificate (killed on drop); its output is kept.
struct ExampleServer {
    port: u16,
    output: Arc<Mutex<String>>,
    _child: KillOnDrop,
}

impl ExampleServer {
    fn start(args: &[&str]) -> Self {
        let fx = fixture();
        let mut child = Command::new(example("server"))
            .args(["--listen", "127.0.0.1:0", "--cert"])
            .arg(&fx.leaf.cert_path)
            .arg("--key")
            .arg(&fx.leaf.key_path)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let output = output.clone();
            let port_tx = port_tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if let Some(addr) = line.strip_prefix("listening on ") {
                        let _ = port_tx.send(addr.rsplit(':').next().unwrap().parse::<u16>());
                    }
                    let mut output = output.lock().unwrap();
                    output.push_str(&line);
                    output.push('\n');
                }
            });
        }
        let child = KillOnDrop(child);
        let port = port_rx
            .recv_timeout(TIMEOUT)
            .unwrap_or_else(|_| panic!("the server did not start: {}", output.lock().unwrap()))
            .unwrap();
        Self {
            port,
            output,
            _child: child,
        }
    }

    /// Waits (bounded) until the server's output contains `needle`.
    fn wait_for_output(&self, needle: &str) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let output = self.output.lock().unwrap().clone();
            if output.contains(needle) || Instant::now() > deadline {
                return output;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Runs the client example to completion (bounded), returning whether it
/// exited 0, its stdout and its stderr.
fn run_client(port: u16, ca: &Path, args: &[&str]) -> (bool, String, String) {
    let mut child = Command::new(example("client"))
        .args(["--connect", &format!("127.0.0.1:{port}")])
        .args(["--server-name", "localhost", "--ca"])
        .arg(ca)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + TIMEOUT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Our library client over TCP to `port`, its socket guarded by timeouts.
fn our_client(port: u16) -> tlstate::stream::Stream<tlstate::handshake::Client, TcpStream> {
    our_client_with(fixture().pki.client_config(), port)
}

fn our_client_with(
    config: Arc<tlstate::handshake::ClientConfig>,
    port: u16,
) -> tlstate::stream::Stream<tlstate::handshake::Client, TcpStream> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(TIMEOUT)).unwrap();
    tcp.set_write_timeout(Some(TIMEOUT)).unwrap();
    tlstate::stream::connect(config, common::memory::localhost(), tcp)
        .unwrap_or_else(|f| panic!("handshake with the server example: {f}"))
}

/// Reads application data until the peer's close_notify.
fn read_to_close(stream: &mut impl Read) -> Vec<u8> {
    let mut data = Vec::new();
    stream
        .read_to_end(&mut data)
        .expect("the server ends with close_notify");
    data
}

/// An OpenSSL configuration that turns the extended master secret off:
/// `openssl` 3.0 has no command-line flag for it.
fn no_ems_openssl_conf() -> PathBuf {
    let path = fixture().pki.dir.path().join("no-ems.cnf");
    std::fs::write(
        &path,
        "openssl_conf = default_conf\n[default_conf]\nssl_conf = ssl_sect\n\
         [ssl_sect]\nsystem_default = system_default_sect\n\
         [system_default_sect]\nOptions = -ExtendedMasterSecret\n",
    )
    .unwrap();
    path
}

// --- flags ----------------------------------------------------------------

const SERVER_FLAGS: &[&str] = &[
    "--listen",
    "--cert",
    "--key",
    "--echo",
    "--require-client-cert",
    "--client-ca",
    "--post-handshake-auth",
    "--alpn",
    "--tickets",
    "--tls13-tickets",
    "--early-data",
    "--session-cache",
    "--suites",
    "--groups",
    "--no-require-ems",
    "--max-fragment-len",
    "--idle-buffer-capacity",
    "--max-client-hello-len",
    "--max-handshake-len",
    "--keylog",
    "--ocsp",
    "--tls13",
    "--tls12",
    "--help",
];

const CLIENT_FLAGS: &[&str] = &[
    "--connect",
    "--server-name",
    "--ca",
    "--suites",
    "--groups",
    "--sigalgs",
    "--cert",
    "--key",
    "--alpn",
    "--resume",
    "--keylog",
    "--no-require-ems",
    "--no-tickets",
    "--post-handshake-auth",
    "--early-data",
    "--max-fragment-len",
    "--idle-buffer-capacity",
    "--max-handshake-len",
    "--tls13",
    "--tls12",
    "--help",
];

/// The flags a `--help` text lists: the words starting with `--` in the
/// flag column (up to the first run of two spaces) of its lines that
/// start with a flag.
fn listed_flags(help: &str) -> Vec<String> {
    help.lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with("--"))
        .flat_map(|line| {
            let column = line.split("  ").next().unwrap_or_default();
            column
                .split_whitespace()
                .filter(|word| word.starts_with("--"))
                .collect::<Vec<_>>()
        })
        .map(str::to_string)
        .collect()
}

fn help(name: &str) -> String {
    let out = Command::new(example(name)).arg("--help").output().unwrap();
    assert!(out.status.success(), "{name} --help exits 0");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn server_help_lists_every_flag() {
    assert_eq!(listed_flags(&help("server")), SERVER_FLAGS);
}

#[test]
fn client_help_lists_every_flag() {
    assert_eq!(listed_flags(&help("client")), CLIENT_FLAGS);
}

#[test]
fn readme_lists_every_example_flag() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for flag in SERVER_FLAGS.iter().chain(CLIENT_FLAGS) {
        assert!(
            readme.contains(&format!("`{flag}")),
            "README.md does not list {flag}"
        );
    }
}

#[test]
fn unknown_flag_is_refused_with_the_usage() {
    for name in ["server", "client"] {
        let out = Command::new(example(name))
            .arg("--no-such-flag")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("unknown argument --no-such-flag"),
            "{stderr}"
        );
        assert!(stderr.contains("--help"), "{stderr}");
    }
}

// --- answering like s_server -www -------------------------------------------

#[test]
fn server_answers_a_request_whose_lines_end_in_lf_only() {
    let server = ExampleServer::start(&[]);
    let mut stream = our_client(server.port);
    stream.write_all(b"GET / HTTP/1.0\n\n").unwrap();
    let page = String::from_utf8(read_to_close(&mut stream)).unwrap();
    assert!(page.starts_with("HTTP/1.0 200 OK\r\n"), "{page}");
    // Both ends enable both versions by default: TLS 1.3.
    assert!(page.contains("protocol: TLSv1.3\n"), "{page}");
}

#[test]
fn server_answers_openssl_s_client_sending_lf_only() {
    let server = ExampleServer::start(&[]);
    let ca = fixture().pki.ca_path.to_str().unwrap();
    // -quiet implies -ign_eof: s_client waits for the server to close.
    let (ok, output) = s_client(
        server.port,
        &["-quiet", "-servername", "localhost", "-CAfile", ca],
        b"GET / HTTP/1.0\n\n",
    );
    assert!(ok, "{output}");
    assert!(output.contains("HTTP/1.0 200 OK"), "{output}");
}

#[test]
fn server_answers_a_request_with_crlf_line_ends() {
    let server = ExampleServer::start(&[]);
    let mut stream = our_client(server.port);
    stream
        .write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let page = String::from_utf8(read_to_close(&mut stream)).unwrap();
    assert!(page.starts_with("HTTP/1.0 200 OK\r\n"), "{page}");
}

/// Through a recording proxy: `sent` (records our client seals, then its
/// close_notify, in one write), then what the server example sends back
/// after the handshake. Over TLS 1.2, whose record types show on the wire
/// (the example's rule "nothing after close_notify but close_notify" is
/// the same code for both versions).
fn server_reply_after_close_notify(
    server_args: &[&str],
    sent: &[u8],
) -> (Vec<u8>, Vec<(u8, usize)>) {
    let server = ExampleServer::start(server_args);
    let proxy = Proxy::start(
        format!("127.0.0.1:{}", server.port).parse().unwrap(),
        TIMEOUT,
    );
    let mut stream = our_client_with(fixture().pki.client_config_tls12(), proxy.addr.port());
    {
        let conn = stream.connection();
        if !sent.is_empty() {
            conn.send(sent).unwrap();
        }
        conn.send_close_notify().unwrap();
    }
    // The request and the close_notify leave in one write, so they arrive
    // together: the server reads the close_notify with the request.
    let wire = stream.connection().take_output();
    stream.transport().write_all(&wire).unwrap();
    let data = read_to_close(&mut stream);
    drop(stream);
    let recorded = proxy.recorded();
    (data, after_handshake(&recorded.server_to_client))
}

#[test]
fn server_sends_no_page_after_close_notify_that_came_with_the_request() {
    let (data, records) = server_reply_after_close_notify(&[], b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(String::from_utf8_lossy(&data), "", "no page");
    assert_eq!(records.len(), 1, "one record: {records:?}");
    assert_eq!(
        records[0].0, 21,
        "an alert (our client read it as close_notify)"
    );
}

#[test]
fn server_sends_no_page_after_close_notify_before_a_whole_request() {
    let (data, records) = server_reply_after_close_notify(&[], b"GET / HTTP/1.0\r\n");
    assert_eq!(String::from_utf8_lossy(&data), "", "no page");
    assert_eq!(records.len(), 1, "one record: {records:?}");
    assert_eq!(
        records[0].0, 21,
        "an alert (our client read it as close_notify)"
    );
}

#[test]
fn echo_server_echoes_nothing_that_came_with_close_notify() {
    let (data, records) = server_reply_after_close_notify(&["--echo"], b"hello");
    assert_eq!(data, b"", "nothing echoed");
    assert_eq!(records.len(), 1, "one record: {records:?}");
    assert_eq!(records[0].0, 21);
}

#[test]
fn echo_server_echoes_until_the_peer_closes() {
    let server = ExampleServer::start(&["--echo"]);
    let mut stream = our_client(server.port);
    stream.write_all(b"ping").unwrap();
    let mut buf = [0u8; 4];
    stream.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
    stream.close().unwrap();
    assert_eq!(read_to_close(&mut stream), b"");
}

// --- extended master secret -------------------------------------------------

#[test]
fn server_no_require_ems_lets_in_a_client_without_ems() {
    let conf = no_ems_openssl_conf();
    let ca = fixture().pki.ca_path.to_str().unwrap();
    let args = ["-quiet", "-servername", "localhost", "-CAfile", ca];

    let server = ExampleServer::start(&["--no-require-ems"]);
    let (ok, output) = s_client_with_env(
        server.port,
        &[("OPENSSL_CONF", &conf)],
        &args,
        b"GET / HTTP/1.0\r\n\r\n",
    );
    assert!(ok, "{output}");
    assert!(output.contains("extended master secret: false"), "{output}");

    // Without the flag the same client is refused.
    let server = ExampleServer::start(&[]);
    let (ok, output) = s_client_with_env(
        server.port,
        &[("OPENSSL_CONF", &conf)],
        &args,
        b"GET / HTTP/1.0\r\n\r\n",
    );
    assert!(!ok, "{output}");
    assert!(output.contains("handshake failure"), "{output}");
    let log = server.wait_for_output("handshake failed");
    assert!(
        log.contains("does not support the extended master secret")
            && log.contains("alert sent: handshake_failure"),
        "{log}"
    );
}

#[test]
fn client_no_require_ems_reaches_a_server_without_ems() {
    let fx = fixture();
    let conf = no_ems_openssl_conf();
    let server = SServer::start_with_env(
        fx.pki.dir.path(),
        &[("OPENSSL_CONF", &conf)],
        &[
            "-cert",
            fx.leaf.cert_path.to_str().unwrap(),
            "-key",
            fx.leaf.key_path.to_str().unwrap(),
            "-www",
        ],
    );
    let (ok, stdout, stderr) = run_client(server.port, &fx.pki.ca_path, &["--no-require-ems"]);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stderr.contains("connected: TLSv1.2 ") && stderr.contains(" ems=false"),
        "{stderr}"
    );
    assert!(stdout.contains("HTTP/1.0 200 ok"), "{stdout}");

    // Without the flag our client refuses the same server.
    let (ok, stdout, stderr) = run_client(server.port, &fx.pki.ca_path, &[]);
    assert!(!ok, "{stdout}{stderr}");
    assert!(
        stderr.contains("does not support the extended master secret"),
        "{stderr}"
    );
}

// --- suites and groups --------------------------------------------------------

#[test]
fn server_suites_and_groups_flags_restrict_what_is_negotiated() {
    let ca = &fixture().pki.ca_path;
    // TLS 1.2 suites: TLS 1.3 would take its own (all three, as none is
    // listed), so this server enables TLS 1.2 only.
    let server = ExampleServer::start(&[
        "--tls12",
        "--suites",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "--groups",
        "secp384r1,secp256r1",
    ]);
    let (ok, stdout, stderr) = run_client(server.port, ca, &[]);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("cipher suite: TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\n")
            && stdout.contains("group: secp384r1\n"),
        "{stdout}"
    );
    assert!(
        stderr.contains(
            "connected: TLSv1.2 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 secp384r1 "
        ),
        "{stderr}"
    );

    // A client offering only what the server left out is refused.
    let (ok, _, stderr) = run_client(
        server.port,
        ca,
        &["--suites", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],
    );
    assert!(!ok);
    assert!(stderr.contains("handshake_failure"), "{stderr}");
}

#[test]
fn client_suites_and_groups_flags_restrict_what_is_offered() {
    let fx = fixture();
    let server = SServer::start(
        fx.pki.dir.path(),
        &[
            "-cert",
            fx.leaf.cert_path.to_str().unwrap(),
            "-key",
            fx.leaf.key_path.to_str().unwrap(),
            "-www",
        ],
    );
    let (ok, stdout, stderr) = run_client(
        server.port,
        &fx.pki.ca_path,
        &[
            "--suites",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "--groups",
            "x25519:secp256r1",
        ],
    );
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stderr.contains("connected: TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 x25519 "),
        "{stderr}"
    );
    assert!(stdout.contains("ECDHE-ECDSA-AES256-GCM-SHA384"), "{stdout}");
}

#[test]
fn server_tls13_suites_and_groups_flags_restrict_what_is_negotiated() {
    let ca = &fixture().pki.ca_path;
    let server = ExampleServer::start(&[
        "--suites",
        "TLS_CHACHA20_POLY1305_SHA256,TLS_AES_128_GCM_SHA256",
        "--groups",
        "secp384r1,secp256r1",
    ]);
    let (ok, stdout, stderr) = run_client(server.port, ca, &[]);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("protocol: TLSv1.3\n")
            && stdout.contains("cipher suite: TLS_CHACHA20_POLY1305_SHA256\n")
            && stdout.contains("group: secp384r1\n"),
        "{stdout}"
    );
    assert!(
        stderr.contains("connected: TLSv1.3 TLS_CHACHA20_POLY1305_SHA256 secp384r1 "),
        "{stderr}"
    );
    // A TLS 1.3-only client offering only the suite the server left out is
    // refused.
    let (ok, _, stderr) = run_client(
        server.port,
        ca,
        &["--tls13", "--suites", "TLS_AES_256_GCM_SHA384"],
    );
    assert!(!ok);
    assert!(stderr.contains("handshake_failure"), "{stderr}");
}

#[test]
fn suite_and_group_flags_still_work() {
    let ca = &fixture().pki.ca_path;
    let server = ExampleServer::start(&[
        "--tls12",
        "--suite",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "--group",
        "secp256r1",
    ]);
    let (ok, stdout, stderr) = run_client(
        server.port,
        ca,
        &[
            "--suite",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "--group",
            "secp256r1",
        ],
    );
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stderr.contains("connected: TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 secp256r1 "),
        "{stderr}"
    );
}

#[test]
fn client_sigalgs_flag_restricts_the_schemes_accepted() {
    let ca = &fixture().pki.ca_path;
    let server = ExampleServer::start(&[]);
    let (ok, stdout, stderr) =
        run_client(server.port, ca, &["--sigalgs", "ecdsa_secp256r1_sha256"]);
    assert!(ok, "{stdout}{stderr}");
    // The server's key is P-256: it can sign with no scheme offered.
    let (ok, _, stderr) = run_client(
        server.port,
        ca,
        &["--sigalgs", "ecdsa_secp384r1_sha384,rsa_pss_rsae_sha256"],
    );
    assert!(!ok);
    assert!(stderr.contains("handshake_failure"), "{stderr}");
    let log = server.wait_for_output("no signature scheme in common");
    assert!(log.contains("no signature scheme in common"), "{log}");
}

#[test]
fn unknown_suite_or_group_name_is_refused() {
    for (name, flag, value) in [
        ("server", "--suites", "TLS_NOT_A_SUITE"),
        ("server", "--groups", "x448"),
        ("client", "--suites", "TLS_NOT_A_SUITE"),
        ("client", "--groups", "x448"),
    ] {
        let out = Command::new(example(name))
            .args([flag, value])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name} {flag} {value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("unknown {} {value}", &flag[2..flag.len() - 1])),
            "{stderr}"
        );
    }
}

#[test]
fn client_tls13_and_tls12_flags_choose_the_versions_offered() {
    let fx = fixture();
    let args = [
        "-cert",
        fx.leaf.cert_path.to_str().unwrap(),
        "-key",
        fx.leaf.key_path.to_str().unwrap(),
        "-www",
    ];
    let tls13 = SServer::start_version(fx.pki.dir.path(), "-tls1_3", &[], &args);
    let tls12 = SServer::start_version(fx.pki.dir.path(), "-tls1_2", &[], &args);
    // Without a flag the client offers both, TLS 1.3 preferred.
    for (server, flags, version) in [
        (&tls13, &[][..], "TLSv1.3 TLS_AES_"),
        (&tls12, &[][..], "TLSv1.2 "),
        (&tls13, &["--tls13"][..], "TLSv1.3 TLS_AES_"),
        (&tls12, &["--tls13", "--tls12"][..], "TLSv1.2 "),
        (&tls12, &["--tls12"][..], "TLSv1.2 "),
    ] {
        let (ok, stdout, stderr) = run_client(server.port, &fx.pki.ca_path, flags);
        assert!(ok, "{flags:?}: {stdout}{stderr}");
        assert!(
            stderr.contains(&format!("connected: {version}")),
            "{flags:?}: {stderr}"
        );
    }
    // Each flag alone restricts: s_server -tls1_3 refuses a TLS 1.2-only
    // client, s_server -tls1_2 a TLS 1.3-only one.
    let (ok, _, stderr) = run_client(tls13.port, &fx.pki.ca_path, &["--tls12"]);
    assert!(!ok, "{stderr}");
    let (ok, _, stderr) = run_client(tls12.port, &fx.pki.ca_path, &["--tls13"]);
    assert!(!ok, "{stderr}");
}

/// The server enables both versions by default (a TLS 1.3 client gets TLS
/// 1.3 and the page says so, a TLS 1.2 client TLS 1.2); `--tls13` and
/// `--tls12` each restrict it to that version.
#[test]
fn server_tls13_and_tls12_flags_choose_the_versions_enabled() {
    let ca = fixture().pki.ca_path.to_str().unwrap();
    let get = b"GET / HTTP/1.0\r\n\r\n";
    let args = ["-CAfile", ca, "-servername", "localhost", "-ign_eof"];
    for flags in [&[][..], &["--tls13", "--tls12"][..]] {
        let server = ExampleServer::start(flags);
        let (ok, out) = s_client_version("-tls1_3", server.port, &[], &args, get);
        assert!(
            ok && out.contains("protocol: TLSv1.3\n"),
            "{flags:?}: {out}"
        );
        let (ok, out) = s_client_version("-tls1_2", server.port, &[], &args, get);
        assert!(
            ok && out.contains("protocol: TLSv1.2\n"),
            "{flags:?}: {out}"
        );
    }
    let server = ExampleServer::start(&["--tls13"]);
    let (ok, out) = s_client_version("-tls1_2", server.port, &[], &args, get);
    assert!(!ok && !out.contains("protocol: TLSv1.2"), "{out}");
    let server = ExampleServer::start(&["--tls12"]);
    let (ok, out) = s_client_version("-tls1_3", server.port, &[], &args, get);
    assert!(!ok && !out.contains("protocol: TLSv1.3"), "{out}");
}

/// `walk` walks a TLS 1.3 handshake by default and the TLS 1.2 one with
/// `--tls12`, each state a line, then a ping-pong.
#[test]
fn walk_walks_tls13_by_default_and_tls12_on_request() {
    for (args, last_state, suite) in [
        (&[][..], "ClientFinished", "TLS_AES_"),
        (&["--tls12"][..], "ServerNewSessionTicket", "TLS_ECDHE_"),
    ] {
        let out = Command::new(example("walk")).args(args).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{args:?}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(last_state), "{args:?}: {stdout}");
        assert!(
            stdout.contains(&format!("both    HandshakeOver with {suite}")),
            "{args:?}: {stdout}"
        );
        assert!(stdout.contains("\"pong\""), "{args:?}: {stdout}");
    }
    let out = Command::new(example("walk"))
        .arg("--nonsense")
        .output()
        .unwrap();
    assert!(!out.status.success());
}

/// The examples with an Ed25519 certificate (RFC 8446 4.2.3, RFC 8422
/// 5.1.3) over both versions, and `--groups`: the client's one key share
/// goes to the first group it lists, so a server that prefers x25519 but
/// finds only a secp384r1 share takes secp384r1 without a retry.
#[test]
fn ed25519_certificates_and_the_first_groups_key_share() {
    let fx = fixture();
    let leaf = fx.pki.leaf_ed25519(&["localhost"]);
    let server = ExampleServer::start(&[
        "--cert",
        leaf.cert_path.to_str().unwrap(),
        "--key",
        leaf.key_path.to_str().unwrap(),
    ]);
    // `--sigalgs ed25519`: only an Ed25519 key can sign what the client
    // accepts, so the handshake proves the server used that certificate.
    for (flags, connected) in [
        (
            &["--sigalgs", "ed25519", "--groups", "secp384r1,x25519"][..],
            "connected: TLSv1.3 TLS_AES_256_GCM_SHA384 secp384r1 ",
        ),
        (
            &["--sigalgs", "ed25519", "--tls12"][..],
            "connected: TLSv1.2 TLS_ECDHE_ECDSA_WITH_",
        ),
    ] {
        let (ok, stdout, stderr) = run_client(server.port, &fx.pki.ca_path, flags);
        assert!(ok, "{flags:?}: {stdout}{stderr}");
        assert!(stderr.contains(connected), "{flags:?}: {stderr}");
    }
}

/// `client --resume` resumes on TLS 1.3 (a ticket's PSK) as on TLS 1.2:
/// against `server --tickets`, which issues tickets in both versions, the
/// second connection prints `resumed=true`; without `--tickets`, neither
/// version resumes.
#[test]
fn client_resume_resumes_both_versions_against_server_tickets() {
    let ca = &fixture().pki.ca_path;
    let server = ExampleServer::start(&["--tickets"]);
    for (version, name) in [("--tls13", "TLSv1.3"), ("--tls12", "TLSv1.2")] {
        let (ok, stdout, stderr) = run_client(server.port, ca, &[version, "--resume"]);
        assert!(ok, "{version}: {stderr}");
        let connected: Vec<&str> = stderr
            .lines()
            .filter(|line| line.starts_with("connected:"))
            .collect();
        assert_eq!(connected.len(), 2, "{version}: {stderr}");
        assert!(connected[0].contains(name), "{version}: {stderr}");
        assert!(
            connected[0].contains("resumed=false"),
            "{version}: {stderr}"
        );
        assert!(connected[1].contains("resumed=true"), "{version}: {stderr}");
        assert!(
            stdout.contains("second handshake resumed: true"),
            "{version}: {stdout}"
        );
    }
    let server = ExampleServer::start(&[]);
    for version in ["--tls13", "--tls12"] {
        let (ok, stdout, stderr) = run_client(server.port, ca, &[version, "--resume"]);
        assert!(ok, "{version}: {stderr}");
        assert!(
            stdout.contains("second handshake resumed: false"),
            "{version}: {stdout}"
        );
    }
    // `--tls13-tickets 0`: a ticketer, but no TLS 1.3 ticket is sent, so
    // TLS 1.3 does not resume (TLS 1.2's ticket still comes).
    let server = ExampleServer::start(&["--tickets", "--tls13-tickets", "0"]);
    for (version, resumed) in [("--tls13", false), ("--tls12", true)] {
        let (ok, stdout, stderr) = run_client(server.port, ca, &[version, "--resume"]);
        assert!(ok, "{version}: {stderr}");
        assert!(
            stdout.contains(&format!("second handshake resumed: {resumed}")),
            "{version}: {stdout}"
        );
    }
}

/// `client --resume --early-data FILE` against `server --tickets
/// --early-data N`: the second connection sends FILE as TLS 1.3 0-RTT
/// early data, the client prints `early data: accepted`, and the server's
/// page (answering the request the early data carried) says how much came
/// early. Against a server without `--early-data` the client prints
/// `early data: not sent` (its ticket allows none) and the request still
/// gets its answer.
#[test]
fn client_early_data_is_accepted_by_server_early_data() {
    let fx = fixture();
    let request = fx.pki.dir.path().join("early-request.txt");
    std::fs::write(&request, b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let args = [
        "--tls13",
        "--resume",
        "--early-data",
        request.to_str().unwrap(),
    ];
    let server = ExampleServer::start(&["--tickets", "--early-data", "16384"]);
    let (ok, stdout, stderr) = run_client(server.port, &fx.pki.ca_path, &args);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("early data: accepted"), "{stderr}");
    assert!(
        stdout.contains("second handshake resumed: true"),
        "{stdout}"
    );
    assert!(stdout.contains("early data: 18 bytes"), "{stdout}");
    // The early data was a whole request: answered before the handshake
    // ended.
    assert!(
        stdout.contains("answered: 0.5-RTT, before the client's Finished"),
        "{stdout}"
    );
    server.wait_for_output("answered the early request as 0.5-RTT data");
    // openssl s_client's early data, answered the same way.
    let session = fx.pki.dir.path().join("example-early.sess");
    let base = [
        "-servername",
        "localhost",
        "-CAfile",
        fx.pki.ca_path.to_str().unwrap(),
        "-ign_eof",
    ];
    let (_, first) = s_client_version(
        "-tls1_3",
        server.port,
        &[],
        &[&base[..], &["-sess_out", session.to_str().unwrap()]].concat(),
        b"GET / HTTP/1.0\r\n\r\n",
    );
    assert!(first.contains("New, TLSv1.3"), "{first}");
    let (_, second) = s_client_version(
        "-tls1_3",
        server.port,
        &[],
        &[
            &base[..],
            &[
                "-sess_in",
                session.to_str().unwrap(),
                "-early_data",
                request.to_str().unwrap(),
            ],
        ]
        .concat(),
        b"",
    );
    assert!(second.contains("Early data was accepted"), "{second}");
    assert!(second.contains("answered: 0.5-RTT"), "{second}");
    let server = ExampleServer::start(&["--tickets"]);
    let (ok, stdout, stderr) = run_client(server.port, &fx.pki.ca_path, &args);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("early data: not sent"), "{stderr}");
    assert!(stdout.contains("early data: 0 bytes"), "{stdout}");
}

/// `server --client-ca CA --post-handshake-auth` asks for the client's
/// certificate after the handshake (TLS 1.3, RFC 8446 4.6.2): the example
/// client with `--cert --key --post-handshake-auth` and `openssl s_client
/// -enable_pha` answer, and the page names the verified subject; a client
/// that did not offer post_handshake_auth gets the page saying so.
#[test]
fn server_post_handshake_auth_asks_after_the_handshake() {
    let fx = fixture();
    let pki = common::ClientAuthPki::new("tlstate examples PHA CA");
    let ca = pki.pki.ca_path.to_str().unwrap();
    let server = ExampleServer::start(&["--tls13", "--client-ca", ca, "--post-handshake-auth"]);
    let cert = pki.client.cert_path.to_str().unwrap();
    let key = pki.client.key_path.to_str().unwrap();
    let args = ["--cert", cert, "--key", key, "--post-handshake-auth"];
    let (ok, stdout, stderr) = run_client(server.port, &fx.pki.ca_path, &args);
    assert!(ok, "{stderr} / server: {}", server.wait_for_output("\n"));
    assert!(
        stdout.contains("post-handshake auth: certified") && stdout.contains("client.example"),
        "{stdout}"
    );
    assert!(
        stdout.contains("client certificate: none"),
        "not in the handshake: {stdout}"
    );
    let (ok, stdout, stderr) = run_client(server.port, &fx.pki.ca_path, &[]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("post-handshake auth: not requested"),
        "{stdout}"
    );
    let (_, out) = common::openssl::s_client_version(
        "-tls1_3",
        server.port,
        &[],
        &[
            "-servername",
            "localhost",
            "-CAfile",
            fx.pki.ca_path.to_str().unwrap(),
            "-enable_pha",
            "-cert",
            cert,
            "-key",
            key,
            "-ign_eof",
        ],
        b"GET / HTTP/1.0\r\n\r\n",
    );
    assert!(out.contains("post-handshake auth: certified"), "{out}");
}
