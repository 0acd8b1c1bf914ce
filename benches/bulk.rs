//! Client-to-server bulk transfer in memory (seal on the client, open on
//! the server, each write delivered at once), tlstate, rustls and ring's
//! own seal+open side by side in each group: TLS 1.2 (tlstate's records
//! handed over in-process, `take_output`/`feed_owned`) and TLS 1.3 (through
//! a byte buffer for both libraries, as through a socket). The server side of each
//! library reads the plaintext in place (`fill_buf` + `consume`), as the
//! example's figures do.
//!
//! `cargo bench --bench bulk`

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

// The PKI, configurations and drivers are the example's (its counting
// allocator comes along; it costs every contestant alike).
#[allow(dead_code)]
#[path = "../examples/bench.rs"]
mod harness;

use harness::{
    Aead, Batch, BulkFloor, Pki, rustls_bulk, rustls_pair, rustls_pair13, tlstate_bulk,
    tlstate_bulk_stream, tlstate_pair, tlstate_pair13,
};

fn bulk(c: &mut Criterion) {
    let pki = Pki::new().expect("test PKI");
    for aead in Aead::ALL {
        for (size, label) in [(16 * 1024, "16k"), (1024, "1k")] {
            let batch = Batch {
                size,
                writes: 64 * 1024 / size,
            };
            let data = vec![0x61u8; size];
            let mut buf = vec![0u8; 16 * 1024];
            let mut wire = Vec::new();
            let (mut tc, mut ts) = tlstate_pair(&pki, aead).unwrap();
            let (mut rc, mut rs) = rustls_pair(&pki, aead).unwrap();
            let mut floor = BulkFloor::new(aead, &batch).unwrap();
            let mut seq = 0;

            let mut group = c.benchmark_group(format!("bulk_{}_{label}_writes", aead.name()));
            group.throughput(Throughput::Bytes(batch.bytes() as u64));
            group.bench_function("tlstate", |b| {
                b.iter(|| tlstate_bulk(&mut tc, &mut ts, &data, &batch, &mut buf).unwrap())
            });
            group.bench_function("rustls", |b| {
                b.iter(|| {
                    rustls_bulk(&mut rc, &mut rs, &data, &batch, &mut buf, &mut wire).unwrap()
                })
            });
            group.bench_function("ring_seal_open", |b| {
                b.iter(|| floor.run(&mut seq).unwrap())
            });
            group.finish();
        }
    }
}

/// TLS 1.3, both libraries' records moved through a byte buffer as
/// through a socket (tlstate `flush_to`/`fill_from`, rustls
/// `write_tls`/`read_tls`).
fn bulk13(c: &mut Criterion) {
    let pki = Pki::new().expect("test PKI");
    for aead in Aead::ALL {
        for (size, label) in [(16 * 1024, "16k"), (1024, "1k")] {
            let batch = Batch {
                size,
                writes: 64 * 1024 / size,
            };
            let data = vec![0x61u8; size];
            let mut buf = vec![0u8; 16 * 1024];
            let mut wire = Vec::new();
            let mut tlstate_wire = Vec::new();
            let (mut tc, mut ts) = tlstate_pair13(&pki, aead).unwrap();
            let (mut rc, mut rs) = rustls_pair13(&pki, aead).unwrap();
            let mut floor = BulkFloor::new(aead, &batch).unwrap();
            let mut seq = 0;

            let mut group = c.benchmark_group(format!("tls13_bulk_{}_{label}_writes", aead.name()));
            group.throughput(Throughput::Bytes(batch.bytes() as u64));
            group.bench_function("tlstate", |b| {
                b.iter(|| {
                    tlstate_bulk_stream(&mut tc, &mut ts, &data, &batch, &mut tlstate_wire).unwrap()
                })
            });
            group.bench_function("rustls", |b| {
                b.iter(|| {
                    rustls_bulk(&mut rc, &mut rs, &data, &batch, &mut buf, &mut wire).unwrap()
                })
            });
            group.bench_function("ring_seal_open", |b| {
                b.iter(|| floor.run(&mut seq).unwrap())
            });
            group.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bulk, bulk13
}
criterion_main!(benches);
