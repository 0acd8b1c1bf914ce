//! Running GnuTLS's command-line peers (Debian's gnutls-bin, 3.7.9 here):
//! `gnutls-serv` in the background (killed on drop, output captured to a
//! file) and `gnutls-cli` as a child whose stdin we feed and whose output
//! we watch while it runs.
//!
//! A missing binary fails the test: `.ci/run` installs gnutls-bin.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{KillOnDrop, free_port};

/// How long we wait for GnuTLS to print something or to exit.
const WAIT: Duration = Duration::from_secs(10);

/// The priority string for TLS 1.2 with GnuTLS's default algorithms.
pub const TLS12: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.2";

/// The same for TLS 1.3, for the interop tests issue #12 asks for; GnuTLS
/// then prints `(TLS1.3-X.509)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256)-...`
/// Description lines.
pub const TLS13: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.3";

fn spawn(program: &str, command: &mut Command) -> Child {
    command.spawn().unwrap_or_else(|e| {
        panic!("{program} must be installed (.ci/run installs the gnutls-bin package): {e}")
    })
}

/// Polls `output` until it contains `needle` `count` times, or [`WAIT`]
/// passes; returns the last output either way.
fn poll(output: impl Fn() -> String, needle: &str, count: usize) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let text = output();
        if text.matches(needle).count() >= count || Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A running `gnutls-serv`.
pub struct GnutlsServ {
    pub port: u16,
    pub log: PathBuf,
    _child: KillOnDrop,
}

impl GnutlsServ {
    /// Starts `gnutls-serv --port PORT` with `args` (certificate, key,
    /// `--priority`, `--echo` or `--http`, ...), its output going to a file
    /// in `dir`, and waits until it listens on IPv4.
    pub fn start(dir: &Path, args: &[&str]) -> Self {
        let port = free_port();
        let log = dir.join(format!("gnutls-serv-{port}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = spawn(
            "gnutls-serv",
            Command::new("gnutls-serv")
                .args(["--port", &port.to_string()])
                .args(args)
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out),
        );
        let mut child = KillOnDrop(child);
        // gnutls-serv prints this once its IPv4 socket listens; waiting for
        // it rather than connecting keeps stray handshakes out of the log.
        let listening = format!("listening on IPv4 0.0.0.0 port {port}...done");
        let deadline = Instant::now() + WAIT;
        loop {
            let output = std::fs::read_to_string(&log).unwrap_or_default();
            if output.contains(&listening) {
                break;
            }
            let exited = child.0.try_wait().unwrap();
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "gnutls-serv did not start ({exited:?}): {output}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        Self {
            port,
            log,
            _child: child,
        }
    }

    /// Everything gnutls-serv printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits (bounded) until the output contains `needle` `count` times.
    pub fn wait_for_count(&self, needle: &str, count: usize) -> String {
        poll(|| self.output(), needle, count)
    }

    /// What gnutls-serv printed about its `n`th connection (from 1): the
    /// text from its n-th `* Accepted connection` line to the next, once
    /// it holds that session's `- Description:` line (waited for, bounded).
    pub fn connection_report(&self, n: usize) -> String {
        const ACCEPTED: &str = "* Accepted connection";
        let report = |output: &str| output.split(ACCEPTED).nth(n).map(str::to_string);
        let deadline = Instant::now() + WAIT;
        loop {
            let output = self.output();
            match report(&output) {
                Some(text) if text.contains("- Description:") => return text,
                _ if Instant::now() > deadline => {
                    panic!("no report of connection {n} in: {output}")
                }
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    }
}

/// A running `gnutls-cli`, its stdout and stderr collected together.
pub struct GnutlsCli {
    child: KillOnDrop,
    stdin: Option<ChildStdin>,
    output: Arc<Mutex<Vec<u8>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl GnutlsCli {
    /// Starts `gnutls-cli --port PORT 127.0.0.1` with `args`.
    pub fn start(port: u16, args: &[&str]) -> Self {
        let mut child = spawn(
            "gnutls-cli",
            Command::new("gnutls-cli")
                .args(["--port", &port.to_string(), "127.0.0.1"])
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        );
        let output = Arc::new(Mutex::new(Vec::new()));
        let collect = |mut pipe: Box<dyn Read + Send>| {
            let output = output.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut buf) {
                    output.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            })
        };
        let readers = vec![
            collect(Box::new(child.stdout.take().unwrap())),
            collect(Box::new(child.stderr.take().unwrap())),
        ];
        Self {
            stdin: child.stdin.take(),
            child: KillOnDrop(child),
            output,
            readers,
        }
    }

    /// Everything gnutls-cli printed so far.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// Writes `bytes` to gnutls-cli's stdin, which it sends as application
    /// data.
    pub fn send(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    /// Waits (bounded) until the output contains `needle`; returns it.
    pub fn wait_for(&self, needle: &str) -> String {
        poll(|| self.output(), needle, 1)
    }

    /// Closes stdin: gnutls-cli then sends close_notify and exits.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Closes stdin and waits (bounded, then killed) for gnutls-cli to
    /// exit; returns its status and everything it printed.
    pub fn finish(mut self) -> (ExitStatus, String) {
        self.close_stdin();
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(status) = self.child.0.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.0.kill();
                break self.child.0.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        // Its pipes close when it exits: the readers end with all of it.
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        (status, self.output())
    }
}

/// Runs gnutls-cli with `args`, writes `stdin` to it, closes stdin and
/// returns whether it succeeded and what it printed.
pub fn gnutls_cli(port: u16, args: &[&str], stdin: &[u8]) -> (bool, String) {
    let mut cli = GnutlsCli::start(port, args);
    if !stdin.is_empty() {
        cli.send(stdin);
    }
    let (status, output) = cli.finish();
    (status.success(), output)
}
