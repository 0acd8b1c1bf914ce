//! `docs/guarantees.md` names the proof of every ordering guarantee (and
//! `docs/security.md` the proof of every hardening item): a
//! compile-fail case (`compile-fail/<case>.rs`) or a test
//! (`tests/<file>.rs::<name>`). This test fails when a named case file does
//! not exist or a named test is not defined (as `fn <name>(`) in its file,
//! and when a row of the guarantee table names no proof at all.

use std::path::Path;

const DOC: &str = "docs/guarantees.md";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Every `compile-fail/<case>.rs` in `text`.
fn compile_fail_cases(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("compile-fail/") {
        let rest = &text[at + "compile-fail/".len()..];
        let name: String = rest.chars().take_while(|c| is_name_char(*c)).collect();
        if !name.is_empty() && rest[name.len()..].starts_with(".rs") {
            out.push(format!("compile-fail/{name}.rs"));
        }
    }
    out
}

/// Every `tests/<file>.rs::<name>` in `text`, as (file, name).
fn tests(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("tests/") {
        // `compile-fail/...` never matches; skip longer paths like `x/tests/`.
        if text[..at].ends_with(|c: char| is_name_char(c) || c == '/') {
            continue;
        }
        let rest = &text[at + "tests/".len()..];
        let file: String = rest.chars().take_while(|c| is_name_char(*c)).collect();
        let Some(after) = rest[file.len()..].strip_prefix(".rs::") else {
            continue;
        };
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !file.is_empty() && !name.is_empty() {
            out.push((format!("tests/{file}.rs"), name));
        }
    }
    out
}

/// The rows of the guarantee table (the one under `## Guarantees`): lines
/// starting with `|` that are neither its header nor its separator.
fn table_rows(text: &str) -> Vec<&str> {
    text.lines()
        .skip_while(|line| *line != "## Guarantees")
        .skip(1)
        .take_while(|line| !line.starts_with("## "))
        .filter(|line| line.starts_with('|'))
        .filter(|line| !line.starts_with("|---") && !line.starts_with("| #"))
        .collect()
}

#[test]
fn every_named_compile_fail_case_exists() {
    let doc = std::fs::read_to_string(root().join(DOC)).unwrap();
    let cases = compile_fail_cases(&doc);
    assert!(!cases.is_empty(), "the doc names no compile-fail case");
    let missing: Vec<_> = cases
        .iter()
        .filter(|case| !root().join(case).is_file())
        .collect();
    assert!(
        missing.is_empty(),
        "{DOC} names compile-fail cases that do not exist: {missing:?}"
    );
}

#[test]
fn every_named_test_exists() {
    let doc = std::fs::read_to_string(root().join(DOC)).unwrap();
    let named = tests(&doc);
    assert!(!named.is_empty(), "the doc names no test");
    let mut missing = Vec::new();
    for (file, name) in &named {
        match std::fs::read_to_string(root().join(file)) {
            Ok(source) if source.contains(&format!("fn {name}(")) => {}
            Ok(_) => missing.push(format!("{file}::{name} (no `fn {name}(`)")),
            Err(_) => missing.push(format!("{file}::{name} (no such file)")),
        }
    }
    assert!(
        missing.is_empty(),
        "{DOC} names tests that do not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_row_names_a_proof() {
    let doc = std::fs::read_to_string(root().join(DOC)).unwrap();
    let rows = table_rows(&doc);
    assert!(rows.len() >= 20, "only {} guarantee rows", rows.len());
    let unproven: Vec<_> = rows
        .iter()
        .filter(|row| compile_fail_cases(row).is_empty() && tests(row).is_empty())
        .collect();
    assert!(
        unproven.is_empty(),
        "rows without a compile-fail case or test:\n{unproven:#?}"
    );
}

#[test]
fn the_parsers_find_what_they_should() {
    let text = "| a | `compile-fail/server_writes_client_hello.rs` | \
                `tests/ordering.rs::client_rejects_x`, tests/b.rs::c_d |";
    assert_eq!(
        compile_fail_cases(text),
        ["compile-fail/server_writes_client_hello.rs"]
    );
    assert_eq!(
        tests(text),
        [
            (
                "tests/ordering.rs".to_string(),
                "client_rejects_x".to_string()
            ),
            ("tests/b.rs".to_string(), "c_d".to_string())
        ]
    );
    assert!(tests("see tests/ordering.rs for more").is_empty());
    assert!(compile_fail_cases("the compile-fail/ directory").is_empty());
}

const SECURITY_DOC: &str = "docs/security.md";

/// Every `tests/<path>.rs::<name>` and `src/<path>.rs::<name>` in `text`, as
/// (file, name): the security page also names unit tests inside `src/`.
fn rust_tests(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices(".rs::") {
        let start = text[..at]
            .rfind(|c: char| !(is_name_char(c) || c == '/'))
            .map_or(0, |i| i + 1);
        let path = &text[start..at];
        if !(path.starts_with("tests/") || path.starts_with("src/")) {
            continue;
        }
        let name: String = text[at + ".rs::".len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.push((format!("{path}.rs"), name));
        }
    }
    out
}

#[test]
fn every_test_named_in_the_security_page_exists() {
    let doc = std::fs::read_to_string(root().join(SECURITY_DOC)).unwrap();
    let named = rust_tests(&doc);
    assert!(named.len() >= 13, "only {} tests named", named.len());
    let mut missing = Vec::new();
    for (file, name) in &named {
        match std::fs::read_to_string(root().join(file)) {
            Ok(source) if source.contains(&format!("fn {name}(")) => {}
            Ok(_) => missing.push(format!("{file}::{name} (no `fn {name}(`)")),
            Err(_) => missing.push(format!("{file}::{name} (no such file)")),
        }
    }
    assert!(
        missing.is_empty(),
        "{SECURITY_DOC} names tests that do not exist:\n{}",
        missing.join("\n")
    );
    for case in compile_fail_cases(&doc) {
        assert!(root().join(&case).is_file(), "{case} does not exist");
    }
}

#[test]
fn every_hardening_item_names_a_proof() {
    let doc = std::fs::read_to_string(root().join(SECURITY_DOC)).unwrap();
    let rows: Vec<&str> = doc
        .lines()
        .filter(|line| line.starts_with("| ") && !line.starts_with("| #"))
        .collect();
    assert_eq!(rows.len(), 13, "one row per item of issue #11");
    for row in rows {
        assert!(!rust_tests(row).is_empty(), "no test named in: {row}");
    }
    assert_eq!(
        rust_tests("`src/record/reader.rs::feeds_x`, tests/a/b.rs::c and src/x.rs"),
        [
            ("src/record/reader.rs".to_string(), "feeds_x".to_string()),
            ("tests/a/b.rs".to_string(), "c".to_string())
        ]
    );
}
