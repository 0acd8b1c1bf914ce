use super::*;

#[test]
fn u24_round_trips() {
    let mut out = Vec::new();
    U24(0x01_02_03).encode(&mut out);
    assert_eq!(out, [1, 2, 3]);
    assert_eq!(U24::read_bytes(&out), Ok(U24(0x01_02_03)));
}

#[test]
fn prefixed_writer_fills_in_length() {
    for (prefix, header) in [
        (LengthPrefix::U8, &[3][..]),
        (LengthPrefix::U16, &[0, 3]),
        (LengthPrefix::U24, &[0, 0, 3]),
    ] {
        let mut out = Vec::new();
        encode_bytes(&mut out, prefix, b"abc");
        assert_eq!(&out[..header.len()], header);
        assert_eq!(&out[header.len()..], b"abc");
        let mut r = Reader::new(&out);
        assert_eq!(read_bytes(&mut r, prefix, "test").unwrap(), b"abc");
        r.expect_empty("test").unwrap();
    }
}

#[test]
fn rejects_truncated_vector() {
    let mut r = Reader::new(&[0, 5, 1, 2]);
    assert_eq!(
        read_bytes(&mut r, LengthPrefix::U16, "things"),
        Err(InvalidMessage::MissingData("things"))
    );
}

#[test]
fn rejects_missing_length() {
    let mut r = Reader::new(&[0]);
    assert_eq!(
        read_bytes(&mut r, LengthPrefix::U16, "things"),
        Err(InvalidMessage::MissingData("things"))
    );
}

#[test]
fn rejects_item_straddling_vector_end() {
    // A u16 vector of length 3 cannot hold whole u16 items.
    let mut r = Reader::new(&[3, 0, 1, 0]);
    assert_eq!(
        read_vec::<Vec<u16>>(&mut r, LengthPrefix::U8, "u16s"),
        Err(InvalidMessage::MissingData("u16"))
    );
}

#[test]
fn rejects_empty_nonempty_vector() {
    let mut r = Reader::new(&[0, 0]);
    assert_eq!(
        read_nonempty_vec::<Vec<u16>>(&mut r, LengthPrefix::U16, "groups"),
        Err(InvalidMessage::EmptyList("groups"))
    );
}

#[test]
fn read_bytes_rejects_trailing_data() {
    assert_eq!(
        u16::read_bytes(&[0, 1, 2]),
        Err(InvalidMessage::TrailingData("u16"))
    );
}

#[test]
fn wire_enum_keeps_unknown_values() {
    use crate::enums::{CipherSuite, ContentType};
    assert_eq!(ContentType::from_wire(99), ContentType::Unknown(99));
    assert_eq!(ContentType::read_bytes(&[99]).unwrap().to_wire(), 99);
    assert_eq!(
        CipherSuite::read_bytes(&[0xc0, 0x2b]),
        Ok(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
    );
    assert_eq!(
        CipherSuite::from_wire(0x1301).to_string(),
        "TLS_AES_128_GCM_SHA256"
    );
    assert_eq!(
        CipherSuite::from_wire(0x1304).to_string(),
        "unknown(0x1304)"
    );
    for known in ContentType::KNOWN {
        assert_eq!(ContentType::from_wire(known.to_wire()), *known);
    }
}
