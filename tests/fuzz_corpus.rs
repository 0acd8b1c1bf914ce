//! Replays the checked-in fuzz corpus (`fuzz/corpus/<target>/`) through the
//! fuzz harness on stable, so `cargo test` catches a regression on any input
//! the fuzzers once found interesting; plus one named test per bug the
//! fuzzers found. See `docs/fuzzing.md`.
//!
//! `cargo test --test fuzz_corpus -- --ignored write_seed_corpus` writes
//! seed inputs (`seed-*`) from real handshakes into the corpus, to start a
//! fresh fuzzing run; minimise before checking them in (docs/fuzzing.md).

#[path = "../fuzz/harness.rs"]
mod harness;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join("corpus")
        .join(target)
}

/// Runs every file of the target's corpus through `run`; fails naming
/// every input that panicked.
fn replay(target: &str, run: fn(&[u8])) {
    let dir = corpus_dir(target);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    let mut failed = Vec::new();
    for path in &paths {
        let data = std::fs::read(path).expect("a corpus file");
        if catch_unwind(AssertUnwindSafe(|| run(&data))).is_err() {
            failed.push(path.display().to_string());
        }
    }
    println!("replayed {} inputs from fuzz/corpus/{target}", paths.len());
    assert!(!paths.is_empty(), "no corpus in {}", dir.display());
    assert!(failed.is_empty(), "inputs that panicked: {failed:#?}");
}

#[test]
fn corpus_deframer() {
    replay("deframer", harness::deframer);
}

#[test]
fn corpus_messages() {
    replay("messages", harness::messages);
}

#[test]
fn corpus_client_states() {
    replay("client_states", harness::client_states);
}

#[test]
fn corpus_server_states() {
    replay("server_states", harness::server_states);
}

#[test]
fn corpus_client_sealed() {
    replay("client_sealed", harness::client_sealed);
}

#[test]
fn corpus_server_sealed() {
    replay("server_sealed", harness::server_sealed);
}

/// The sealed targets' checked-in corpus has an input at every stage
/// where the input is sealed (of the scenarios 4-7, resumed of 4 and 5,
/// and the 0-RTT scenario 8), and between them those stages reach every
/// TLS 1.3 reading state of the role after its peer's hello, the resumed
/// path's and the 0-RTT path's (EndOfEarlyData) included.
#[test]
fn sealed_corpus_reaches_every_sealed_stage() {
    for (target, client) in [("client_sealed", true), ("server_sealed", false)] {
        let mut hits = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(corpus_dir(target)).expect("the corpus") {
            let data = std::fs::read(entry.expect("an entry").path()).expect("a corpus file");
            if let Some(&selector) = data.first() {
                hits.insert(harness::sealed_at(selector, client));
            }
        }
        let mut reached = Vec::new();
        for (at, state, sealed) in harness::sealed_stage_list(client) {
            println!("{target}: {at:?} {state} sealed={sealed}");
            if !sealed || !harness::sealed_seeded(at) {
                continue;
            }
            assert!(
                hits.contains(&at),
                "no input of fuzz/corpus/{target} at {at:?} ({state})"
            );
            reached.push(state);
        }
        let hellos = ["ServerHello", "ClientHello"];
        for state in tls13_reading_states(client) {
            assert!(
                hellos.contains(&state) || reached.contains(&state),
                "no sealed stage of {target} at {state}"
            );
        }
    }
}

/// The sealed targets' seeds are sealed under the real keys (they open)
/// and read as RFC 8446 says: the genuine continuation of another run is
/// read up to its CertificateVerify or Finished, which do not verify over
/// this run's transcript (`decrypt_error`), or, after the handshake, its
/// tickets are taken; a KeyUpdate of request_update 2 is illegal_parameter;
/// a NewSessionTicket is a client's to take and a server's to refuse; a
/// CertificateRequest a client that offered post_handshake_auth answers;
/// a client's answer whose context is not the request's is
/// illegal_parameter.
#[test]
fn sealed_seeds_reach_the_protected_and_post_handshake_reads() {
    use tlstate::enums::AlertDescription;
    use tlstate::error::{Error, PeerMisbehaved};
    for (target, name, input) in harness::sealed_seeds() {
        let client = target == "client_sealed";
        let run = harness::sealed_run(&input, client).expect("a selector");
        let alert = run.failure.as_ref().and_then(Error::alert);
        let illegal = matches!(
            run.failure,
            Some(Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(_)))
        );
        let ok = run.sealed
            && !run.authenticated
            && match name.rsplit_once('-').map(|(_, what)| what) {
                Some("genuine") if name.contains("HandshakeOver") => run.failure.is_none(),
                Some("genuine") => alert == Some(AlertDescription::DecryptError),
                Some("2") | Some("answer") | Some("certificate") => illegal,
                Some("ticket") => match client {
                    true => run.failure.is_none(),
                    false => matches!(run.failure, Some(Error::UnexpectedMessage { .. })),
                },
                Some("request") => run.failure.is_none(),
                other => panic!("no expectation for {other:?}"),
            };
        assert!(ok, "{target} {name}: {run:?}");
    }
}

#[test]
#[ignore = "writes the sealed targets' seed corpus into fuzz/corpus"]
fn write_sealed_seed_corpus() {
    for (target, name, input) in harness::sealed_seeds() {
        let dir = corpus_dir(target);
        std::fs::create_dir_all(&dir).expect("corpus directory");
        std::fs::write(dir.join(format!("seed-{name}")), input).expect("a seed file");
    }
}

/// Every state of every scenario is reached by a genuine handshake (the
/// harness panics if our client and server cannot complete their part),
/// and each then takes an empty input and the end of the stream.
#[test]
fn every_state_is_reachable() {
    for scenario in 0..harness::SCENARIOS.len() {
        let (client, server) = harness::state_names(scenario);
        println!("{}: client {client:?}", harness::SCENARIOS[scenario]);
        println!("{}: server {server:?}", harness::SCENARIOS[scenario]);
        for k in 0..client.len() {
            harness::client_states(&[harness::selector(scenario, k)]);
        }
        for k in 0..server.len() {
            harness::server_states(&[harness::selector(scenario, k)]);
        }
    }
}

/// The TLS 1.3 table's states at which the role reads a handshake message
/// from its peer, and HandshakeOver. (The client reads a HelloRetryRequest
/// at the hello state shared with TLS 1.2, ServerHello.)
fn tls13_reading_states(client: bool) -> Vec<&'static str> {
    use tlstate::enums::ContentType;
    use tlstate::handshake::tls13::table::TABLE;
    let peer = if client { "S" } else { "C" };
    TABLE
        .iter()
        .filter(|row| {
            (row.writer.letter() == peer && row.record == ContentType::Handshake)
                || row.name == "HandshakeOver"
        })
        .map(|row| row.name)
        .filter(|name| *name != "HelloRetryRequest")
        .collect()
}

/// The checked-in corpus of each state target reaches every reading state
/// of every TLS 1.3 scenario (its selector byte picks it), so `cargo test`
/// replays input at each, and between them the TLS 1.3 scenarios reach
/// every TLS 1.3 reading state of the role.
#[test]
fn corpus_reaches_every_tls13_state() {
    for (target, client) in [("client_states", true), ("server_states", false)] {
        let names: Vec<Vec<&str>> = (0..harness::SCENARIOS.len())
            .map(|scenario| match harness::is_tls13(scenario) {
                true => {
                    let (c, s) = harness::state_names(scenario);
                    if client { c } else { s }
                }
                false => Vec::new(),
            })
            .collect();
        let mut hits = std::collections::BTreeMap::<(usize, usize), usize>::new();
        for entry in std::fs::read_dir(corpus_dir(target)).expect("the corpus") {
            let data = std::fs::read(entry.expect("an entry").path()).expect("a corpus file");
            if let Some(&selector) = data.first() {
                *hits.entry(harness::selected(selector, client)).or_default() += 1;
            }
        }
        let mut reached = Vec::new();
        for (scenario, states) in names.iter().enumerate() {
            for (k, state) in states.iter().enumerate() {
                let count = hits.get(&(scenario, k)).copied().unwrap_or(0);
                println!(
                    "{target}: {} k={k} {state}: {count} inputs",
                    harness::SCENARIOS[scenario]
                );
                assert!(
                    count > 0,
                    "no input of fuzz/corpus/{target} reaches {} state {k} ({state})",
                    harness::SCENARIOS[scenario]
                );
                reached.push(*state);
            }
        }
        for state in tls13_reading_states(client) {
            assert!(
                reached.contains(&state),
                "no TLS 1.3 scenario of {target} reaches {state}"
            );
        }
    }
}

#[test]
#[ignore = "writes the seed corpus into fuzz/corpus"]
fn write_seed_corpus() {
    let mut written = 0;
    for (target, name, input) in harness::seeds() {
        let dir = corpus_dir(target);
        std::fs::create_dir_all(&dir).expect("corpus directory");
        std::fs::write(dir.join(format!("seed-{name}")), input).expect("a seed file");
        written += 1;
    }
    println!("wrote {written} seeds");
}

/// The `messages` corpus has a seed for each TLS 1.3 decoder, and each one
/// decodes: a seed that does not decode would only exercise the error path.
#[test]
fn every_tls13_message_decoder_has_a_seed_that_decodes() {
    use tlstate::codec::Codec;
    use tlstate::message::tls13::{
        CertificateRequestTls13, CertificateTls13, EncryptedExtensions, KeyShareEntry,
        NewSessionTicketTls13, PayloadTls13,
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/messages");
    let mut decoded = [false; harness::TLS13_MESSAGE_DECODERS.len()];
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let Some((&selector, input)) = bytes.split_first() else {
            continue;
        };
        let Some(which) = selector.checked_sub(harness::TLS13_DECODERS_FROM) else {
            continue;
        };
        let ok = match which {
            0 => input.split_first().is_some_and(|(&typ, body)| {
                PayloadTls13::read_body(tlstate::enums::HandshakeType::from_wire(typ), body).is_ok()
            }),
            1 => EncryptedExtensions::read_bytes(input).is_ok(),
            2 => CertificateTls13::read_bytes(input).is_ok(),
            3 => CertificateRequestTls13::read_bytes(input).is_ok(),
            4 => NewSessionTicketTls13::read_bytes(input).is_ok(),
            5 => KeyShareEntry::read_bytes(input).is_ok(),
            _ => false,
        };
        if let Some(slot) = decoded.get_mut(usize::from(which)) {
            *slot |= ok;
        }
    }
    for (name, ok) in harness::TLS13_MESSAGE_DECODERS.iter().zip(decoded) {
        assert!(ok, "no seed decodes as {name}");
    }
}
