//! The compile-fail suite: every program in `compile-fail/` must be
//! rejected by the compiler, each for the reason its first comment names.
//!
//! # How the rustc version gates the snapshots
//!
//! The `.stderr` snapshots are compiler output, and compiler output changes
//! between releases. `compile-fail/RUSTC_VERSION` holds the exact
//! `rustc --version` line the snapshots were made with. This test asks the
//! rustc that cargo uses (`$RUSTC` if set, else `rustc` run from the package
//! root, which resolves the same rustup toolchain as cargo did) for its
//! version, and then:
//!
//! - **Same rustc**: trybuild compiles every `compile-fail/*.rs` and
//!   compares its stderr with the `.stderr` beside it, text for text.
//! - **Any other rustc** (or `TLSTATE_COMPILE_FAIL=any-rustc`, to try this
//!   path on purpose): no text is compared. Each case is type-checked by
//!   rustc itself (`--emit=metadata`, edition 2024) against the `tlstate`
//!   rlib cargo built for this very test binary, found in the test binary's
//!   own `deps` directory, and must fail. Two guards keep a broken harness
//!   from passing every case: a control program using the same API must
//!   compile with the chosen rlib first (if several `libtlstate-*.rlib`
//!   exist, the newest one that passes the control is used), and a case
//!   that fails only with a resolution or crate-loading error (`E0432`,
//!   `E0433`, `E0412`, `E0425`, `E0463`, `E0460`, `E0514`, ...) counts as a
//!   broken case, not a pass. The error codes are compared with those in
//!   the snapshot for information only (printed, not asserted): a newer
//!   compiler may report the same misuse under another code.
//!
//! Regenerate the snapshots deliberately with
//! `TRYBUILD=overwrite cargo test --test compile_fail`; this always runs
//! trybuild and records the current rustc in `compile-fail/RUSTC_VERSION`.
//! Then read every changed `.stderr`.
//!
//! Two more checks keep the directory honest: lines 1-3 of every case hold
//! a `// Pins:` and a `// Rules out:` comment and the case is listed in
//! `compile-fail/README.md`, and no `.stderr` is left without its case.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CASES: &str = "compile-fail";

/// A program that uses the same paths and transitions as the cases, legally:
/// if it does not compile, the harness (not the cases) is broken.
const CONTROL: &str = r#"
use tlstate::handshake::{Client, Full, Handshake, SendMessage, Server, Step, state};

fn any<T>() -> T {
    unimplemented!()
}

fn main() {
    let client: Handshake<Client, state::ClientHello> = any();
    let _hello: Result<Handshake<Client, state::ServerHello>, _> = client.send();
    let client: Handshake<Client, state::ClientChangeCipherSpec> = any();
    let _finished = <state::ClientChangeCipherSpec as SendMessage<Client, Full>>::send(client);
    let server: Handshake<Server, state::ClientKey> = any();
    let _ccs: Handshake<Server, state::ClientChangeCipherSpec> = match server.recv() {
        Ok(Step::Next(next)) => next,
        _ => unimplemented!(),
    };
    let over: Handshake<Client, state::HandshakeOver> = any();
    let mut connection = over.into_connection();
    let _ = connection.send(b"ping");
}
"#;

/// Error codes that mean a case could not even name what it misuses: an
/// API rename or a broken harness, never the guarantee under test.
const NOT_A_GUARANTEE: &[&str] = &[
    "E0405", "E0412", "E0422", "E0423", "E0425", "E0432", "E0433", "E0460", "E0461", "E0462",
    "E0463", "E0464", "E0514", "E0519", "E0523", "E0786",
];

#[test]
fn misuse_does_not_compile() {
    let recorded = fs::read_to_string(Path::new(CASES).join("RUSTC_VERSION"))
        .expect("compile-fail/RUSTC_VERSION records the rustc that made the snapshots");
    let recorded = recorded.trim();
    let running = rustc_version();
    let overwrite = std::env::var_os("TRYBUILD").is_some_and(|v| v == "overwrite");
    let forced = std::env::var_os("TLSTATE_COMPILE_FAIL").is_some_and(|v| v == "any-rustc");

    if overwrite {
        fs::write(
            Path::new(CASES).join("RUSTC_VERSION"),
            format!("{running}\n"),
        )
        .expect("record the rustc of the new snapshots");
        trybuild::TestCases::new().compile_fail("compile-fail/*.rs");
    } else if running == recorded && !forced {
        trybuild::TestCases::new().compile_fail("compile-fail/*.rs");
    } else {
        eprintln!(
            "snapshots were made with `{recorded}`, this is `{running}`: \
             checking only that every case fails to compile"
        );
        every_case_fails_without_snapshots();
    }
}

#[test]
fn every_case_is_documented() {
    let readme = fs::read_to_string(Path::new(CASES).join("README.md"))
        .expect("compile-fail/README.md lists the cases");
    let cases = cases();
    assert!(!cases.is_empty(), "no compile-fail cases found");
    for case in &cases {
        let name = case.file_name().unwrap().to_str().unwrap();
        assert!(
            readme.contains(&format!("`{name}`")),
            "compile-fail/README.md does not list `{name}`"
        );
        let source = fs::read_to_string(case).unwrap();
        assert!(
            source
                .lines()
                .take(3)
                .any(|line| line.starts_with("// Pins:")),
            "{name}: lines 1-3 must say which guarantee it pins (`// Pins: ...`)"
        );
        assert!(
            source
                .lines()
                .take(3)
                .any(|line| line.starts_with("// Rules out:")),
            "{name}: lines 1-3 must say which attack or misuse it rules out (`// Rules out: ...`)"
        );
    }
    for entry in fs::read_dir(CASES).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "stderr") {
            assert!(
                path.with_extension("rs").exists(),
                "{} has no case beside it",
                path.display()
            );
        }
    }
}

/// The `compile-fail/*.rs` cases, sorted.
fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = fs::read_dir(CASES)
        .expect("the compile-fail directory")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .collect();
    cases.sort();
    cases
}

/// The rustc cargo uses: `$RUSTC`, else `rustc` from the package root.
fn rustc() -> OsString {
    std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into())
}

fn rustc_version() -> String {
    let output = Command::new(rustc())
        .arg("--version")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run `rustc --version`");
    assert!(output.status.success(), "`rustc --version` failed");
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// Type-checks `source` as a binary crate against `rlib`.
fn check(source: &Path, rlib: &Path, deps: &Path, out: &Path) -> Output {
    Command::new(rustc())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "bin",
            "--emit=metadata",
        ])
        .args(["--crate-name", "compile_fail_case"])
        .arg("--extern")
        .arg(format!("tlstate={}", rlib.display()))
        .arg("-L")
        .arg(format!("dependency={}", deps.display()))
        .arg("-o")
        .arg(out.join("case.rmeta"))
        .arg(source)
        .output()
        .expect("run rustc")
}

/// The distinct `E....` codes in compiler output.
fn error_codes(stderr: &str) -> BTreeSet<String> {
    stderr
        .match_indices("error[E")
        .map(|(at, _)| stderr[at + 6..at + 11].to_string())
        .collect()
}

fn every_case_fails_without_snapshots() {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap().to_path_buf();
    let scratch = tempfile::tempdir().unwrap();
    let control = scratch.path().join("control.rs");
    fs::write(&control, CONTROL).unwrap();

    // The rlib cargo built for this test binary lives beside it; stale ones
    // (another profile of the dependency graph, another compiler) may too.
    let mut rlibs: Vec<(std::time::SystemTime, PathBuf)> = fs::read_dir(&deps)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("libtlstate-") && name.ends_with(".rlib")
        })
        .map(|path| (fs::metadata(&path).unwrap().modified().unwrap(), path))
        .collect();
    rlibs.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
    let mut last_control = None;
    let rlib = rlibs.into_iter().map(|(_, path)| path).find(|rlib| {
        let output = check(&control, rlib, &deps, scratch.path());
        let ok = output.status.success();
        last_control = Some(output);
        ok
    });
    let Some(rlib) = rlib else {
        panic!(
            "no libtlstate-*.rlib in {} compiles the control program; rustc said:\n{}",
            deps.display(),
            last_control.map_or_else(
                || "(no rlib found)".to_string(),
                |o| String::from_utf8_lossy(&o.stderr).into_owned()
            )
        );
    };

    let mut failures = Vec::new();
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let output = check(&case, &rlib, &deps, scratch.path());
        let stderr = String::from_utf8_lossy(&output.stderr);
        let codes = error_codes(&stderr);
        if output.status.success() {
            failures.push(format!("{name}: compiled, but must not"));
            continue;
        }
        let wrong: Vec<_> = codes
            .iter()
            .filter(|code| NOT_A_GUARANTEE.contains(&code.as_str()))
            .collect();
        if !wrong.is_empty() || !stderr.contains("error") {
            failures.push(format!(
                "{name}: fails for the wrong reason ({wrong:?}):\n{stderr}"
            ));
            continue;
        }
        let snapshot = fs::read_to_string(case.with_extension("stderr")).unwrap_or_default();
        let expected = error_codes(&snapshot);
        if codes != expected {
            eprintln!(
                "note: {name}: error codes {codes:?} differ from the snapshot's {expected:?} \
                 (not an error on another rustc)"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
