//! The trace of RFC 8448 section 3 (Simple 1-RTT Handshake), from
//! `tests/data/rfc8448_simple_1rtt.txt`: one `name:` line, then hex.

use std::collections::HashMap;

/// Bytes from hex digits, in words of any even length separated by white
/// space.
pub fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .flat_map(|word| {
            (0..word.len())
                .step_by(2)
                .map(move |i| u8::from_str_radix(&word[i..i + 2], 16).expect("hex digit"))
        })
        .collect()
}

/// The trace's entries by name.
pub fn simple_1rtt() -> HashMap<String, Vec<u8>> {
    let text = include_str!("../data/rfc8448_simple_1rtt.txt");
    let mut entries: HashMap<String, Vec<u8>> = HashMap::new();
    let mut current = None;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        if let Some(name) = line.strip_suffix(':') {
            current = Some(name.to_string());
            entries.insert(name.to_string(), Vec::new());
            continue;
        }
        let name = current.as_ref().expect("hex before a name");
        entries
            .get_mut(name)
            .expect("entry")
            .extend_from_slice(&hex(line));
    }
    entries
}
