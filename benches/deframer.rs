//! Deframing throughput of the record reader (null protection):
//! a realistic server flight repeated, and 16 KiB application data records.
//!
//! `cargo bench --bench deframer`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tlstate::enums::ContentType;
use tlstate::record::{Inbound, RecordReader, RecordWriter};

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

fn handshake_message(typ: u8, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).unwrap().to_be_bytes();
    let mut m = vec![typ, len[1], len[2], len[3]];
    m.extend_from_slice(body);
    m
}

/// ServerHello (~90 B), Certificate (~2.3 KB, two certificates), ECDHE
/// ServerKeyExchange (~330 B), ServerHelloDone: one record per message, as
/// most servers send them.
fn flight_records() -> Vec<u8> {
    let mut sh = vec![3, 3];
    sh.extend(noise(32, 1));
    sh.push(32);
    sh.extend(noise(32, 2));
    sh.extend_from_slice(&[
        0xc0, 0x2f, 0, 0, 15, 0xff, 1, 0, 1, 0, 0, 0x17, 0, 0, 0, 0x0b, 0, 2, 1, 0,
    ]);
    let mut certs = Vec::new();
    for (n, seed) in [(1350usize, 3u32), (950, 4)] {
        let len = u32::try_from(n).unwrap().to_be_bytes();
        certs.extend_from_slice(&len[1..]);
        certs.extend(noise(n, seed));
    }
    let len = u32::try_from(certs.len()).unwrap().to_be_bytes();
    let mut cert = len[1..].to_vec();
    cert.extend(certs);
    let mut ske = vec![3, 0, 23, 65, 4];
    ske.extend(noise(64, 5));
    ske.extend_from_slice(&[4, 1, 1, 0]);
    ske.extend(noise(256, 6));

    let mut w = RecordWriter::new();
    let mut out = Vec::new();
    for msg in [
        handshake_message(2, &sh),
        handshake_message(11, &cert),
        handshake_message(12, &ske),
        handshake_message(14, &[]),
    ] {
        w.write(ContentType::Handshake, &msg, &mut out).unwrap();
    }
    out
}

/// Feeds `wire` in `chunk`-byte pieces, draining after each; returns the
/// number of messages for `black_box`.
fn deframe(wire: &[u8], chunk: usize) -> usize {
    let mut rd = RecordReader::new();
    let mut n = 0;
    for piece in wire.chunks(chunk) {
        let input: &[u8] = piece;
        assert_eq!(rd.feed(input), input.len(), "a whole flight is taken");
        while let Some(msg) = rd.next_message().unwrap() {
            n += match msg {
                Inbound::Handshake { encoded, .. } => encoded.len(),
                Inbound::ApplicationData(d) => d.len(),
                _ => 1,
            };
        }
    }
    n
}

/// Reads `wire` through `read_from` from an in-memory reader.
fn deframe_read_from(wire: &[u8]) -> usize {
    let mut rd = RecordReader::new();
    let mut src = wire;
    let mut n = 0;
    while rd.read_from(&mut src).unwrap() != 0 {
        while let Some(msg) = rd.next_message().unwrap() {
            if let Inbound::ApplicationData(d) = msg {
                n += d.len();
            }
        }
    }
    n
}

fn benches(c: &mut Criterion) {
    let flight = flight_records();
    let handshake_stream = flight.repeat(64);
    let mut g = c.benchmark_group("deframe_handshake");
    g.throughput(Throughput::Bytes(handshake_stream.len() as u64));
    g.bench_function("flight_x64_fed_whole", |b| {
        b.iter(|| deframe(black_box(&handshake_stream), usize::MAX))
    });
    g.bench_function("flight_x64_fed_1460", |b| {
        b.iter(|| deframe(black_box(&handshake_stream), 1460))
    });
    g.finish();

    let mut w = RecordWriter::new();
    let mut app = Vec::new();
    w.write(
        ContentType::ApplicationData,
        &noise(64 * 16384, 7),
        &mut app,
    )
    .unwrap();
    let mut g = c.benchmark_group("deframe_app_data_16k");
    g.throughput(Throughput::Bytes(app.len() as u64));
    g.bench_function("64_records_fed_whole", |b| {
        b.iter(|| deframe(black_box(&app), usize::MAX))
    });
    g.bench_function("64_records_fed_16k", |b| {
        b.iter(|| deframe(black_box(&app), 16 * 1024))
    });
    g.bench_function("64_records_read_from", |b| {
        b.iter(|| deframe_read_from(black_box(&app)))
    });
    g.finish();
}

criterion_group! {
    name = deframer;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(deframer);
