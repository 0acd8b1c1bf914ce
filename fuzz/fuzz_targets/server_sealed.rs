#![no_main]
//! Fuzz target `server_sealed`: see `fuzz/harness.rs` and `docs/fuzzing.md`.

use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::server_sealed(data));
