//! Full and resumed handshakes (TLS 1.2 and 1.3), tlstate and rustls side
//! by side in each group (in memory, one suite, x25519, the client
//! verifying the chain).
//! The figures with medians of alternating runs, the ring floor and each
//! side's share are in `cargo run --release --example bench`.
//!
//! `cargo bench --bench handshake`

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

// The PKI, configurations and in-memory drivers are the example's (its
// counting allocator comes along; it costs both libraries alike).
#[allow(dead_code)]
#[path = "../examples/bench.rs"]
mod harness;

use harness::{Aead, Kind, Pki, Resumption, SideTimes, rustls_configs, rustls_handshake};
use harness::{
    rustls_check_resumed13, rustls_configs13_resumable, rustls_handshake13_with_tickets,
};
use harness::{rustls_configs13, tlstate_configs, tlstate_configs13, tlstate_handshake};
use harness::{tlstate_check_resumed13, tlstate_configs13_resumable, tlstate_handshake13};
use harness::{tlstate_deliver_tickets13, tlstate_resumed13};

fn full_handshakes(c: &mut Criterion) {
    let pki = Pki::new().expect("test PKI");
    for (kind, label) in [(Kind::EcdsaP256, "ecdsa_p256"), (Kind::Rsa2048, "rsa2048")] {
        let (tc, ts) = tlstate_configs(&pki, kind, Aead::Aes128Gcm, Resumption::Off).unwrap();
        let (rc, rs) = rustls_configs(&pki, kind, Aead::Aes128Gcm, Resumption::Off).unwrap();
        let mut group = c.benchmark_group(format!("full_handshake_{label}_x25519"));
        group.bench_function("tlstate", |b| {
            b.iter(|| tlstate_handshake(&tc, &ts, &mut SideTimes::default()).unwrap())
        });
        group.bench_function("rustls", |b| {
            b.iter(|| rustls_handshake(&rc, &rs, &mut SideTimes::default()).unwrap())
        });
        group.finish();
    }
}

/// Full TLS 1.3 handshakes (the flights through a byte buffer for both).
fn full_handshakes13(c: &mut Criterion) {
    let pki = Pki::new().expect("test PKI");
    for (kind, label) in [(Kind::EcdsaP256, "ecdsa_p256"), (Kind::Rsa2048, "rsa2048")] {
        let (tc, ts) = tlstate_configs13(&pki, kind, Aead::Aes128Gcm).unwrap();
        let (rc, rs) = rustls_configs13(&pki, kind, Aead::Aes128Gcm).unwrap();
        let mut group = c.benchmark_group(format!("tls13_full_handshake_{label}_x25519"));
        group.bench_function("tlstate", |b| {
            b.iter(|| tlstate_handshake13(&tc, &ts, &mut SideTimes::default()).unwrap())
        });
        group.bench_function("rustls", |b| {
            b.iter(|| rustls_handshake(&rc, &rs, &mut SideTimes::default()).unwrap())
        });
        group.finish();
    }
}

fn resumed_handshakes(c: &mut Criterion) {
    let pki = Pki::new().expect("test PKI");
    for (resumption, label) in [
        (Resumption::SessionId, "session_id"),
        (Resumption::Ticket, "ticket"),
    ] {
        let kind = Kind::EcdsaP256;
        let (tc, ts) = tlstate_configs(&pki, kind, Aead::Aes128Gcm, resumption).unwrap();
        let (rc, rs) = rustls_configs(&pki, kind, Aead::Aes128Gcm, resumption).unwrap();
        let mut group = c.benchmark_group(format!("resumed_handshake_{label}_ecdsa_p256"));
        // A full handshake first leaves a session to resume; a library that
        // does not resume is left out rather than measured doing full ones.
        let mut t = SideTimes::default();
        tlstate_handshake(&tc, &ts, &mut t).unwrap();
        if tlstate_handshake(&tc, &ts, &mut t).is_ok_and(|(_, _, resumed)| resumed) {
            group.bench_function("tlstate", |b| {
                b.iter(|| {
                    let (c, s, resumed) = tlstate_handshake(&tc, &ts, &mut t).unwrap();
                    assert!(resumed);
                    (c, s)
                })
            });
        }
        rustls_handshake(&rc, &rs, &mut t).unwrap();
        group.bench_function("rustls", |b| {
            b.iter(|| {
                let (c, s, resumed) = rustls_handshake(&rc, &rs, &mut t).unwrap();
                assert!(resumed);
                (c, s)
            })
        });
        group.finish();
    }
}

/// Resumed TLS 1.3 handshakes (psk_dhe_ke, x25519, AES-128-GCM; two
/// tickets per connection, each handshake using one), the flights and the
/// tickets through a byte buffer for both; every one checked to be a TLS
/// 1.3 resumption on both sides.
fn resumed_handshakes13(c: &mut Criterion) {
    let pki = Pki::new().expect("test PKI");
    let (tc, ts, _) = tlstate_configs13_resumable(&pki, Kind::EcdsaP256, Aead::Aes128Gcm).unwrap();
    let (rc, rs) = rustls_configs13_resumable(&pki, Kind::EcdsaP256, Aead::Aes128Gcm).unwrap();
    let mut t = SideTimes::default();
    // A full handshake each first, leaving tickets.
    let (mut client, mut server) = tlstate_handshake13(&tc, &ts, &mut t).unwrap();
    tlstate_deliver_tickets13(&mut client, &mut server, &mut t).unwrap();
    rustls_handshake13_with_tickets(&rc, &rs, &mut t).unwrap();
    let mut group = c.benchmark_group("tls13_resumed_handshake_ecdsa_p256");
    group.bench_function("tlstate", |b| {
        b.iter(|| {
            let (c, s) = tlstate_resumed13(&tc, &ts, &mut t).unwrap();
            tlstate_check_resumed13(&c, &s).unwrap();
            (c, s)
        })
    });
    group.bench_function("rustls", |b| {
        b.iter(|| {
            let (c, s) = rustls_handshake13_with_tickets(&rc, &rs, &mut t).unwrap();
            rustls_check_resumed13(&c, &s).unwrap();
            (c, s)
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = full_handshakes, full_handshakes13, resumed_handshakes, resumed_handshakes13
}
criterion_main!(benches);
