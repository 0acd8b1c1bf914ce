//! Watching the wire: a recording TCP proxy, and the records in what it
//! saw, to count what went each way after the handshake.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// The ChangeCipherSpec record type.
const CHANGE_CIPHER_SPEC: u8 = 20;
/// The handshake record type.
const HANDSHAKE: u8 = 22;

/// What a recording proxy saw, each way.
#[derive(Debug, Default)]
pub struct Recorded {
    pub client_to_server: Vec<u8>,
    pub server_to_client: Vec<u8>,
}

/// A TCP proxy on 127.0.0.1 that forwards one connection to `upstream` and
/// records every byte each way. Each direction is forwarded until EOF,
/// then the write side of the other socket is shut down; every socket
/// reads and writes with `timeout`, so a stuck peer ends the recording
/// instead of hanging the test.
pub struct Proxy {
    pub addr: SocketAddr,
    done: JoinHandle<Recorded>,
}

impl Proxy {
    pub fn start(upstream: SocketAddr, timeout: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let done = thread::spawn(move || {
            let (down, _) = listener.accept().unwrap();
            let up = TcpStream::connect(upstream).unwrap();
            for socket in [&down, &up] {
                socket.set_read_timeout(Some(timeout)).unwrap();
                socket.set_write_timeout(Some(timeout)).unwrap();
            }
            let c2s = pipe(down.try_clone().unwrap(), up.try_clone().unwrap());
            let s2c = pipe(up, down);
            Recorded {
                client_to_server: join(c2s),
                server_to_client: join(s2c),
            }
        });
        Proxy { addr, done }
    }

    /// What went each way, once both directions have ended.
    pub fn recorded(self) -> Recorded {
        join(self.done)
    }
}

/// Forwards `from` to `to` until EOF or an error, keeping what passed.
fn pipe(mut from: TcpStream, mut to: TcpStream) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 65536];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    seen.extend_from_slice(&buf[..n]);
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Write);
        seen
    })
}

fn join<T>(handle: JoinHandle<T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// `(content type, body length)` of each record in `wire`, which must be
/// whole records.
pub fn records(wire: &[u8]) -> Vec<(u8, usize)> {
    let mut out = Vec::new();
    let mut rest = wire;
    while !rest.is_empty() {
        assert!(rest.len() >= 5, "a partial record header: {rest:?}");
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        assert!(rest.len() >= 5 + len, "a partial record");
        out.push((rest[0], len));
        rest = &rest[5 + len..];
    }
    out
}

/// The records after the first ChangeCipherSpec and the Finished after it.
pub fn after_handshake(wire: &[u8]) -> Vec<(u8, usize)> {
    let all = records(wire);
    let ccs = all
        .iter()
        .position(|(t, _)| *t == CHANGE_CIPHER_SPEC)
        .expect("a ChangeCipherSpec");
    assert_eq!(
        all[ccs + 1].0,
        HANDSHAKE,
        "Finished follows ChangeCipherSpec"
    );
    all[ccs + 2..].to_vec()
}

/// A plaintext record holding one HelloRequest (type 0, empty body).
pub const HELLO_REQUEST: [u8; 9] = [HANDSHAKE, 3, 3, 0, 4, 0, 0, 0, 0];

/// `wire` (whole records) with `insert` before each of its records up to
/// and including the first ChangeCipherSpec; the records after it are
/// protected, where a plaintext insert could only fail to open.
pub fn before_each_plaintext_record(wire: &[u8], insert: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut protected = false;
    let mut rest = wire;
    while !rest.is_empty() {
        let len = 5 + usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        if !protected {
            out.extend_from_slice(insert);
        }
        protected |= rest[0] == CHANGE_CIPHER_SPEC;
        out.extend_from_slice(&rest[..len]);
        rest = &rest[len..];
    }
    out
}
