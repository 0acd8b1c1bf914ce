//! A realistic server flight reassembles identically however it is cut:
//! into two records at every byte boundary, and as a byte stream fed (or
//! read) in every chunk size.

use std::io::Read;

use tlstate::enums::ContentType;
use tlstate::enums::HandshakeType;
use tlstate::error::Error;
use tlstate::record::{Inbound, MAX_IDLE_CAPACITY, RecordReader, RecordWriter};

fn handshake_message(typ: u8, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).unwrap().to_be_bytes();
    let mut m = vec![typ, len[1], len[2], len[3]];
    m.extend_from_slice(body);
    m
}

/// Deterministic filler bytes.
fn noise(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn u24(v: usize) -> [u8; 3] {
    let b = u32::try_from(v).unwrap().to_be_bytes();
    [b[1], b[2], b[3]]
}

/// ServerHello, Certificate (two certificates, ~2.3 KB), an ECDHE
/// ServerKeyExchange signed with RSA-2048, ServerHelloDone.
fn flight() -> Vec<(HandshakeType, Vec<u8>)> {
    let mut sh = vec![3, 3];
    sh.extend(noise(32, 1));
    sh.push(32);
    sh.extend(noise(32, 2));
    sh.extend_from_slice(&[0xc0, 0x2f, 0]);
    // extensions: renegotiation_info, extended_master_secret, ec_point_formats
    sh.extend_from_slice(&[
        0, 15, 0xff, 0x01, 0, 1, 0, 0, 0x17, 0, 0, 0, 0x0b, 0, 2, 1, 0,
    ]);

    let mut certs = Vec::new();
    for (n, seed) in [(1350usize, 3u32), (950, 4)] {
        let mut der = vec![0x30, 0x82];
        der.extend_from_slice(&u16::try_from(n - 4).unwrap().to_be_bytes());
        der.extend(noise(n - 4, seed));
        certs.extend_from_slice(&u24(der.len()));
        certs.extend(der);
    }
    let mut cert = u24(certs.len()).to_vec();
    cert.extend(certs);

    // named_curve secp256r1, 65-byte point, rsa_pkcs1_sha256, 256-byte sig
    let mut ske = vec![3, 0, 23, 65, 4];
    ske.extend(noise(64, 5));
    ske.extend_from_slice(&[4, 1, 1, 0]);
    ske.extend(noise(256, 6));

    vec![
        (HandshakeType::ServerHello, handshake_message(2, &sh)),
        (HandshakeType::Certificate, handshake_message(11, &cert)),
        (
            HandshakeType::ServerKeyExchange,
            handshake_message(12, &ske),
        ),
        (HandshakeType::ServerHelloDone, handshake_message(14, &[])),
    ]
}

fn flight_bytes() -> Vec<u8> {
    flight().into_iter().flat_map(|(_, m)| m).collect()
}

fn record(body: &[u8]) -> Vec<u8> {
    let mut r = vec![22, 3, 3];
    r.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    r.extend_from_slice(body);
    r
}

/// Collects handshake messages until the reader needs more bytes.
fn collect(rd: &mut RecordReader, out: &mut Vec<(HandshakeType, Vec<u8>)>) -> Result<(), Error> {
    while let Some(msg) = rd.next_message()? {
        match msg {
            Inbound::Handshake { typ, encoded } => out.push((typ, encoded.to_vec())),
            other => panic!("unexpected {other:?}"),
        }
    }
    Ok(())
}

#[test]
fn flight_cut_into_two_records_at_every_byte() {
    let want = flight();
    let bytes = flight_bytes();
    assert!(bytes.len() > 2500, "{}", bytes.len());
    for cut in 1..bytes.len() {
        let mut wire = record(&bytes[..cut]);
        wire.extend(record(&bytes[cut..]));
        let mut rd = RecordReader::new();
        let input: &[u8] = &wire;
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        let mut got = Vec::new();
        collect(&mut rd, &mut got).unwrap();
        assert_eq!(got, want, "cut at {cut}");
        assert!(!rd.has_partial_handshake());
        assert_eq!(rd.buffered_len(), 0);
    }
}

/// The flight as the writer would send it (one message per record), with
/// the Certificate split into small records to add boundaries, then a
/// ChangeCipherSpec and some application data.
fn stream() -> Vec<u8> {
    let mut w = RecordWriter::new();
    let mut out = Vec::new();
    for (typ, msg) in flight() {
        w.set_max_fragment_len(if typ == HandshakeType::Certificate {
            700
        } else {
            1 << 14
        });
        w.write(ContentType::Handshake, &msg, &mut out).unwrap();
    }
    w.write(ContentType::ChangeCipherSpec, &[1], &mut out)
        .unwrap();
    w.write(
        ContentType::ApplicationData,
        b"GET / HTTP/1.1\r\n\r\n",
        &mut out,
    )
    .unwrap();
    out
}

#[derive(Debug, PartialEq, Eq)]
enum Got {
    Handshake(HandshakeType, Vec<u8>),
    ChangeCipherSpec,
    ApplicationData(Vec<u8>),
}

fn drain(rd: &mut RecordReader, out: &mut Vec<Got>) {
    while let Some(msg) = rd.next_message().unwrap() {
        out.push(match msg {
            Inbound::Handshake { typ, encoded } => Got::Handshake(typ, encoded.to_vec()),
            Inbound::ChangeCipherSpec => Got::ChangeCipherSpec,
            Inbound::ApplicationData(d) => Got::ApplicationData(d.to_vec()),
            Inbound::Alert(a) => panic!("unexpected alert {a:?}"),
        });
    }
}

fn expected() -> Vec<Got> {
    let mut want: Vec<Got> = flight()
        .into_iter()
        .map(|(t, m)| Got::Handshake(t, m))
        .collect();
    want.push(Got::ChangeCipherSpec);
    want.push(Got::ApplicationData(b"GET / HTTP/1.1\r\n\r\n".to_vec()));
    want
}

#[test]
fn stream_fed_in_every_chunk_size() {
    let wire = stream();
    let want = expected();
    for chunk in 1..=wire.len() {
        let mut rd = RecordReader::new();
        let mut got = Vec::new();
        for piece in wire.chunks(chunk) {
            let input: &[u8] = piece;
            assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
            drain(&mut rd, &mut got);
        }
        assert_eq!(got, want, "chunk size {chunk}");
        assert_eq!(rd.buffered_len(), 0);
        assert!(rd.capacity() <= MAX_IDLE_CAPACITY, "released when idle");
    }
}

/// A `Read` that returns at most `chunk` bytes per call.
struct Trickle<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        buf[..n].copy_from_slice(head);
        self.data = rest;
        Ok(n)
    }
}

#[test]
fn stream_read_in_every_chunk_size() {
    let wire = stream();
    let want = expected();
    for chunk in 1..=wire.len() {
        let mut src = Trickle { data: &wire, chunk };
        let mut rd = RecordReader::new();
        let mut got = Vec::new();
        while rd.read_from(&mut src).unwrap() != 0 {
            drain(&mut rd, &mut got);
        }
        assert_eq!(got, want, "chunk size {chunk}");
    }
}
