//! Running the `openssl` command line as a peer: `s_server` in the
//! background (killed on drop, output captured to a file) and `s_client`
//! to completion.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{KillOnDrop, free_port};

/// A running `openssl s_server`.
pub struct SServer {
    pub port: u16,
    pub log: PathBuf,
    _child: KillOnDrop,
}

impl SServer {
    /// Starts `openssl s_server -tls1_2 -accept PORT` with `args`, its
    /// output going to a file in `dir`, and waits until it accepts.
    pub fn start(dir: &Path, args: &[&str]) -> Self {
        Self::start_with_env(dir, &[], args)
    }

    /// [`SServer::start`] with environment variables set for s_server
    /// (e.g. `OPENSSL_CONF`, for settings s_server has no flag for).
    pub fn start_with_env(dir: &Path, env: &[(&str, &Path)], args: &[&str]) -> Self {
        Self::start_version(dir, "-tls1_2", env, args)
    }

    /// [`SServer::start_with_env`] with another version flag than
    /// `-tls1_2` (e.g. `-tls1_3`, or `-no_ssl3` for any version).
    pub fn start_version(dir: &Path, version: &str, env: &[(&str, &Path)], args: &[&str]) -> Self {
        // A port picked free can be taken by another test before s_server
        // binds it: then s_server exits, and a connect probe could even
        // reach the other test's server. So wait for s_server's own
        // "ACCEPT" (printed once it listens), and on an early exit try
        // another port.
        let mut last_log = String::new();
        for _ in 0..5 {
            let port = free_port();
            let log = dir.join(format!("s_server-{port}.log"));
            let out = std::fs::File::create(&log).unwrap();
            let child = Command::new("openssl")
                .args(["s_server", version, "-accept", &port.to_string()])
                .args(args)
                .envs(env.iter().copied())
                .stdin(Stdio::piped())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .expect("openssl must be installed (.ci/run installs it)");
            let mut child = KillOnDrop(child);
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let output = std::fs::read_to_string(&log).unwrap_or_default();
                if output.contains("ACCEPT") {
                    return Self {
                        port,
                        log,
                        _child: child,
                    };
                }
                if child.0.try_wait().ok().flatten().is_some() {
                    last_log = output;
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "s_server did not start: {output}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("s_server exited on five ports: {last_log}")
    }

    /// Writes `bytes` to s_server's stdin (its commands, such as `c`, or
    /// data for the connection).
    pub fn write_stdin(&mut self, bytes: &[u8]) {
        let stdin = self._child.0.stdin.as_mut().expect("s_server's stdin");
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    /// Everything s_server printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits (bounded) until s_server's output contains `needle`.
    pub fn wait_for_output(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let output = self.output();
            if output.contains(needle) || Instant::now() > deadline {
                return output;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Runs `openssl s_client -tls1_2 -connect 127.0.0.1:PORT` with `args`,
/// writing `stdin` to it, and returns its stdout and stderr together once
/// it exits (bounded by a 30 s watchdog).
pub fn s_client(port: u16, args: &[&str], stdin: &[u8]) -> (bool, String) {
    s_client_with_env(port, &[], args, stdin)
}

/// [`s_client`] with environment variables set for s_client.
pub fn s_client_with_env(
    port: u16,
    env: &[(&str, &Path)],
    args: &[&str],
    stdin: &[u8],
) -> (bool, String) {
    s_client_version("-tls1_2", port, env, args, stdin)
}

/// [`s_client`] with `version` (`-tls1_3`, `-tls1_2`, or `""` for
/// OpenSSL's default range) in place of `-tls1_2`.
pub fn s_client_version(
    version: &str,
    port: u16,
    env: &[(&str, &Path)],
    args: &[&str],
    stdin: &[u8],
) -> (bool, String) {
    let mut child = Command::new("openssl")
        .arg("s_client")
        .args(Some(version).filter(|v| !v.is_empty()))
        .args(["-connect", &format!("127.0.0.1:{port}")])
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl must be installed (.ci/run installs it)");
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let read_all = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().unwrap()));
    let stderr = read_all(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = writer.join();
    let mut text = String::from_utf8_lossy(&stdout.join().unwrap()).into_owned();
    text.push_str(&String::from_utf8_lossy(&stderr.join().unwrap()));
    (status.success(), text)
}
