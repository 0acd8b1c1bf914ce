//! Whatever bytes arrive, in whatever chunks, the record reader never
//! panics and the memory it holds stays bounded.

use proptest::prelude::*;

use tlstate::message::MAX_CLIENT_HELLO_LEN;
use tlstate::record::{
    DEFAULT_MAX_HANDSHAKE_LEN, HEADER_LEN, Inbound, MAX_IDLE_CAPACITY, MAX_RECORD_LEN, RecordReader,
};

/// The handshake joiner holds at most one message: header plus body, the
/// body at most a largest ClientHello (the default limit for that type,
/// the largest of them).
const MAX_JOINED: usize = 4 + if MAX_CLIENT_HELLO_LEN > DEFAULT_MAX_HANDSHAKE_LEN {
    MAX_CLIENT_HELLO_LEN
} else {
    DEFAULT_MAX_HANDSHAKE_LEN
};

/// Feeds `wire` cut by `chunks` (cycled), draining after every feed, and
/// checks the bounds after every step.
fn run(wire: &[u8], chunks: &[usize], max_handshake: Option<usize>) {
    let mut rd = RecordReader::new();
    if let Some(max) = max_handshake {
        rd.set_max_handshake_len(max);
    }
    let max_chunk = chunks.iter().copied().max().unwrap_or(1);
    let mut rest = wire;
    let mut sizes = chunks.iter().copied().cycle();
    let mut failed = false;
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(1).clamp(1, rest.len());
        // The reader takes what fits under MAX_BUFFERED_LEN; the rest
        // comes again after the messages are read.
        let taken = rd.feed(&rest[..n]);
        rest = &rest[taken..];
        assert!(rd.buffered_len() <= MAX_RECORD_LEN + n + MAX_JOINED);
        loop {
            match rd.next_message() {
                Ok(Some(_)) => assert!(!failed, "a message after an error"),
                Ok(None) => break,
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        if failed {
            assert_eq!(rd.capacity(), 0, "a failed reader drops its buffers");
        }
        // After draining, at most one partial record and one partial
        // handshake message remain.
        assert!(
            rd.buffered_len() < MAX_RECORD_LEN + MAX_JOINED,
            "buffered {}",
            rd.buffered_len()
        );
        assert!(
            rd.capacity() <= 2 * (MAX_RECORD_LEN + max_chunk) + MAX_JOINED,
            "capacity {}",
            rd.capacity()
        );
    }
}

fn record(typ: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let mut r = vec![typ];
    r.extend_from_slice(&version.to_be_bytes());
    r.extend_from_slice(&u16::try_from(body.len().min(0xffff)).unwrap().to_be_bytes());
    r.extend_from_slice(body);
    r
}

/// Handshake-looking bodies: a few messages with plausible (and some
/// implausible) declared lengths, truncated or padded at random.
fn handshake_body() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((any::<u8>(), 0usize..400, any::<u8>(), any::<bool>()), 0..4).prop_map(
        |msgs| {
            let mut body = Vec::new();
            for (typ, len, fill, lie) in msgs {
                let declared = if lie { len * 97 } else { len };
                let d = u32::try_from(declared).unwrap().to_be_bytes();
                body.extend_from_slice(&[typ, d[1], d[2], d[3]]);
                body.extend(std::iter::repeat_n(fill, len));
            }
            body
        },
    )
}

fn one_record() -> impl Strategy<Value = Vec<u8>> {
    let typ = prop_oneof![
        4 => 20u8..=23,
        1 => Just(24u8),
        1 => any::<u8>(),
    ];
    let version = prop_oneof![8 => Just(0x0303u16), 1 => any::<u16>()];
    let body = prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..64),
        4 => handshake_body(),
        1 => (16_380usize..16_390, any::<u8>()).prop_map(|(n, b)| vec![b; n]),
    ];
    (typ, version, body).prop_map(|(t, v, b)| record(t, v, &b))
}

fn chunks() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(
        prop_oneof![4 => 1usize..8, 4 => 1usize..600, 1 => 1usize..40_000],
        1..16,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(
        wire in prop::collection::vec(any::<u8>(), 0..4000),
        chunks in chunks(),
    ) {
        run(&wire, &chunks, None);
    }

    #[test]
    fn arbitrary_records_never_panic(
        records in prop::collection::vec(one_record(), 0..12),
        chunks in chunks(),
        max_handshake in prop::option::of(0usize..3000),
    ) {
        run(&records.concat(), &chunks, max_handshake);
    }

    #[test]
    fn valid_records_of_any_type_are_all_returned_or_refused(
        records in prop::collection::vec(
            (
                prop_oneof![Just(21u8), Just(23u8)],
                prop::collection::vec(1u8..3, 1..5).prop_map(|b| b.repeat(2)),
            ),
            0..20,
        ),
        chunks in chunks(),
    ) {
        // Application data and (level 1/2) alerts in any chunking: every
        // application data byte comes out, in order. Alert records hold
        // whole alerts: half an alert followed by data is refused (the
        // rest of an alert must be the next record).
        let wire: Vec<u8> = records.iter().flat_map(|(t, b)| record(*t, 0x0303, b)).collect();
        let want: Vec<u8> = records.iter().filter(|(t, _)| *t == 23).flat_map(|(_, b)| b.clone()).collect();
        let mut rd = RecordReader::new();
        let mut got = Vec::new();
        let mut sizes = chunks.iter().copied().cycle();
        let mut rest = &wire[..];
        while !rest.is_empty() {
            let n = sizes.next().unwrap_or(1).clamp(1, rest.len());
            // The reader takes what fits under MAX_BUFFERED_LEN; the rest
            // comes again after the messages are read.
            let taken = rd.feed(&rest[..n]);
            rest = &rest[taken..];
            while let Some(msg) = rd.next_message().unwrap() {
                if let Inbound::ApplicationData(d) = msg {
                    got.extend_from_slice(d);
                }
            }
        }
        prop_assert_eq!(got, want);
        prop_assert!(rd.buffered_len() < HEADER_LEN + 2);
    }

    #[test]
    fn peeked_data_comes_out_whole_whatever_is_consumed(
        records in prop::collection::vec(
            prop_oneof![
                1 => prop::collection::vec(1u8..3, 2..3).prop_map(|b| (21u8, b)),
                4 => prop::collection::vec(any::<u8>(), 0..3000).prop_map(|b| (23u8, b)),
            ],
            0..20,
        ),
        chunks in chunks(),
        consumes in prop::collection::vec(prop_oneof![1 => Just(0usize), 6 => 1usize..2000], 1..8),
    ) {
        // The borrowing read (`peek_message` + `consume_data` in any
        // amounts) hands out every application data byte once, in order,
        // and the reader's memory stays bounded; a drained reader holds at
        // most MAX_IDLE_CAPACITY once `release_buffer` ends any stream.
        let wire: Vec<u8> = records.iter().flat_map(|(t, b)| record(*t, 0x0303, b)).collect();
        let want: Vec<u8> = records.iter().filter(|(t, _)| *t == 23).flat_map(|(_, b)| b.clone()).collect();
        let max_chunk = chunks.iter().copied().max().unwrap_or(1);
        let mut rd = RecordReader::new();
        let mut got = Vec::new();
        let mut sizes = chunks.iter().copied().cycle();
        // A 1 among the amounts, so that the reading always moves on.
        let mut amounts = consumes.iter().copied().chain([1]).cycle();
        let mut rest = &wire[..];
        while !rest.is_empty() {
            let n = sizes.next().unwrap_or(1).clamp(1, rest.len());
            // The reader takes what fits under MAX_BUFFERED_LEN; the rest
            // comes again after the messages are read.
            let taken = rd.feed(&rest[..n]);
            rest = &rest[taken..];
            while let Some(msg) = rd.peek_message().unwrap() {
                if let Inbound::ApplicationData(d) = msg {
                    let k = amounts.next().unwrap_or(1).min(d.len());
                    got.extend_from_slice(&d[..k]);
                    rd.consume_data(k);
                }
            }
            prop_assert!(rd.capacity() <= 2 * (MAX_RECORD_LEN + max_chunk));
        }
        prop_assert_eq!(got, want);
        // Drained, the reader keeps at most the idle bound, or, after
        // large records in a row (a stream), its record buffer until
        // `release_buffer`.
        prop_assert_eq!(rd.buffered_len(), 0);
        rd.release_buffer();
        prop_assert!(rd.capacity() <= MAX_IDLE_CAPACITY);
    }
}
