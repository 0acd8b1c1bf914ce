//! Peer bytes never panic a decoder: arbitrary input, and valid encodings
//! with bytes flipped, inserted or deleted, go into every message decoder.
//!
//! Whatever does decode must also survive a re-encode: decoding our own
//! encoding of it gives the same value back.

use proptest::prelude::*;
use tlstate::codec::Codec;
use tlstate::enums::HandshakeType;
use tlstate::error::InvalidMessage;
use tlstate::message::{
    AlertMessage, CertificateChain, CertificateRequest, ChangeCipherSpecPayload, ClientExtension,
    ClientHello, ClientKeyExchange, DigitallySigned, Finished, HandshakeMessage, HandshakePayload,
    NewSessionTicket, OfferedPsks, PskIdentity, Random, ServerEcdhParams, ServerExtension,
    ServerHello, ServerKeyExchange, SessionId,
};

/// Real handshake messages (header included) from OpenSSL 3.0.19; see
/// `tests/messages.rs` for how each was captured.
const SEEDS: &[&str] = &[
    // ClientHello from `openssl s_client -tls1_2 -servername example.com -alpn h2,http/1.1`
    "010000d9030369138f48c4574e662600dff68b0c9eab6c0d9f6855e3389c96b728ee9aca690f000038c02cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff0100007800000010000e00000b6578616d706c652e636f6d000b000403000102000a000c000a001d0017001e00190018002300000010000e000c02683208687474702f312e310016000000170000000d002a0028040305030603080708080809080a080b080408050806040105010601030303010302040205020602",
    // ServerHello, ServerKeyExchange, CertificateRequest, ServerHelloDone
    // from `openssl s_server -tls1_2 -verify 1`
    "0200003d0303ff4f4230d4b7b5d0d171ceb921f93ff3229ddc5d2f62c54db1aaf8b5e624a0d700c02c000015ff01000100000b0004030001020023000000170000",
    "0c00007003001d200d63f6d52901bfdd00ffeecfeab241833f03e2dff9cac965789e5ae2b5d7ad44040300483046022100a7c9d4fd706b761a166f403592b2c8377d342b06011250da9772802f10716a69022100f38bd39a6149e7836e7352e861098e798878713bef95d8e045cf44e11114add2",
    "0d000030030102400028040305030603080708080809080a080b0804080508060401050106010303030103020402050206020000",
    "0e000000",
    // Synthetic: Certificate, ClientKeyExchange, CertificateVerify,
    // Finished, NewSessionTicket, HelloRequest, a ServerHello with ALPN
    // and server_name acknowledgement.
    "0b00000b000008000005300301020a",
    "10000004030a0b0c",
    "0f00000608040002abcd",
    "1400000c000102030405060708090a0b",
    "0400000a00001c2000040a0b0c0d",
    "00000000",
    "020000390303090909090909090909090909090909090909090909090909090909090909090900c02f0000110010000500030268320017000000000000",
    // TLS 1.3 hellos: RFC 8448 section 3's ClientHello and ServerHello,
    // section 4's resumed ClientHello (pre_shared_key, early_data), and a
    // synthetic HelloRetryRequest (supported_versions, key_share with a
    // bare group, cookie).
    "010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7000006130113031302010000910000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103010400230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c00024001",
    "020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304",
    "010001fc03031bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc419d7876487d95000006130113031302010001cd0000000b0009000006736572766572ff01000100000a00140012001d00170018001901000101010201030104003300260024001d0020e4ffb68ac05f8d96c99da26698346c6be16482badddafe051a66b4f18d668f0b002a0000002b0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c0002400100150057000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000002900dd00b800b22c035d829359ee5ff7af4ec900000000262a6494dc486d2c8a34cb33fa90bf1b0070ad3c498883c9367c09a2be785abc55cd226097a3a982117283f82a03a143efd3ff5dd36d64e861be7fd61d2827db279cce145077d454a3664d4e6da4d29ee03725a6a4dafcd0fc67d2aea70529513e3da2677fa5906c5b3f7d8f92f228bda40dda721470f9fbf297b5aea617646fac5c03272e970727c621a79141ef5f7de6505e5bfbc388e93343694093934ae4d357fad6aacb0021203add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d",
    "0200003d0303cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c001301000015002b00020304003300020017002c00050003010203",
];

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Decodes `bytes` as `T`; if that works, our encoding of the result must
/// decode to the same value.
fn check<T: Codec + PartialEq + core::fmt::Debug>(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(value) = T::read_bytes(bytes) {
        let again = T::read_bytes(&value.get_encoding());
        prop_assert_eq!(again, Ok::<T, InvalidMessage>(value));
    }
    Ok(())
}

/// Every decoder in the module, fed the same bytes.
fn decode_everything(bytes: &[u8]) -> Result<(), TestCaseError> {
    check::<HandshakeMessage>(bytes)?;
    check::<ClientHello>(bytes)?;
    check::<ServerHello>(bytes)?;
    check::<ClientExtension>(bytes)?;
    check::<ServerExtension>(bytes)?;
    check::<OfferedPsks>(bytes)?;
    check::<PskIdentity>(bytes)?;
    check::<CertificateChain>(bytes)?;
    check::<ServerEcdhParams>(bytes)?;
    check::<ServerKeyExchange>(bytes)?;
    check::<CertificateRequest>(bytes)?;
    check::<ClientKeyExchange>(bytes)?;
    check::<DigitallySigned>(bytes)?;
    check::<Finished>(bytes)?;
    check::<NewSessionTicket>(bytes)?;
    check::<Random>(bytes)?;
    check::<SessionId>(bytes)?;
    check::<AlertMessage>(bytes)?;
    check::<ChangeCipherSpecPayload>(bytes)?;
    for typ in HandshakeType::KNOWN
        .iter()
        .copied()
        .chain([HandshakeType::Unknown(3), HandshakeType::Unknown(255)])
    {
        if let Ok(payload) = HandshakePayload::read_body(typ, bytes) {
            prop_assert_eq!(payload.typ(), typ);
            let mut body = Vec::new();
            payload.encode_body(&mut body);
            prop_assert_eq!(HandshakePayload::read_body(typ, &body), Ok(payload));
        }
    }
    Ok(())
}

/// One edit to a valid encoding.
#[derive(Clone, Debug)]
enum Mutation {
    Flip { at: usize, mask: u8 },
    Insert { at: usize, byte: u8 },
    Delete { at: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Delete { at }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let len = bytes.len();
    match *mutation {
        Mutation::Flip { at, mask } if len > 0 => bytes[at % len] ^= mask,
        Mutation::Insert { at, byte } => bytes.insert(at % (len + 1), byte),
        Mutation::Delete { at } if len > 0 => {
            bytes.remove(at % len);
        }
        Mutation::Truncate { at } => bytes.truncate(at % (len + 1)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        decode_everything(&bytes)?;
    }

    #[test]
    fn arbitrary_handshake_bodies_never_panic(
        typ in any::<u8>(),
        body in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        // A well-formed header around random bytes gets past the framing,
        // so the body decoders see the input.
        let mut bytes = vec![typ];
        bytes.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        bytes.extend_from_slice(&body);
        decode_everything(&bytes)?;
    }

    #[test]
    fn mutated_valid_messages_never_panic(
        seed in 0..SEEDS.len(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let mut bytes = hex(SEEDS[seed]);
        for m in &mutations {
            apply(&mut bytes, m);
        }
        decode_everything(&bytes)?;
        // Also without the header, straight into the body decoders.
        decode_everything(bytes.get(4..).unwrap_or_default())?;
    }
}

#[test]
fn seeds_decode() {
    for seed in SEEDS {
        let bytes = hex(seed);
        let message = HandshakeMessage::read_bytes(&bytes).expect(seed);
        assert_eq!(message.get_encoding(), bytes);
    }
}
