//! Unit tests for the module's private helpers; the message-by-message
//! tests are in `tests/messages.rs`.

use super::extensions::{encode_extensions, read_extensions};
use super::*;
use crate::codec::{Codec, Reader};
use crate::enums::ExtensionType;
use crate::error::InvalidMessage;

#[test]
fn absent_extension_block_reads_as_empty() {
    let mut r = Reader::new(&[]);
    assert_eq!(read_extensions(&mut r, ClientExtension::typ), Ok(vec![]));
}

#[test]
fn empty_extension_list_is_not_encoded() {
    let mut out = Vec::new();
    encode_extensions::<ServerExtension>(&mut out, &[]);
    assert!(out.is_empty());
}

#[test]
fn largest_extension_block_of_distinct_types_is_accepted() {
    // 16383 empty extensions of distinct types fill a u16 block: the
    // duplicate check must stay cheap at this size.
    let extensions: Vec<ClientExtension> = (0..0x3fff_u16)
        .map(|i| ClientExtension::Unknown {
            typ: ExtensionType::from_wire(0x4000 + i),
            data: vec![],
        })
        .collect();
    let mut block = Vec::new();
    encode_extensions(&mut block, &extensions);
    let mut r = Reader::new(&block);
    let read: Vec<ClientExtension> =
        read_extensions(&mut r, ClientExtension::typ).expect("decodes");
    assert_eq!(read.len(), extensions.len());
    assert!(!r.any_left());
}

#[test]
fn duplicate_found_at_end_of_large_block() {
    let mut extensions: Vec<ServerExtension> = (0..1000_u16)
        .map(|i| ServerExtension::Unknown {
            typ: ExtensionType::from_wire(0x4000 + i),
            data: vec![1],
        })
        .collect();
    extensions.push(ServerExtension::Unknown {
        typ: ExtensionType::from_wire(0x4000),
        data: vec![],
    });
    let mut block = Vec::new();
    encode_extensions(&mut block, &extensions);
    assert_eq!(
        read_extensions::<Vec<ServerExtension>>(&mut Reader::new(&block), ServerExtension::typ),
        Err(InvalidMessage::DuplicateExtension(
            ExtensionType::from_wire(0x4000)
        ))
    );
}

#[test]
fn session_id_debug_is_hex() {
    let id = SessionId::new(&[0xab, 0x01]).expect("fits");
    assert_eq!(format!("{id:?}"), "SessionId(ab01)");
    assert_eq!(id.get_encoding(), [2, 0xab, 0x01]);
    assert!(SessionId::default().is_empty());
}

#[test]
fn handshake_message_header_carries_type_and_length() {
    let message = HandshakeMessage::from(HandshakePayload::ClientKeyExchange(ClientKeyExchange {
        public: vec![7; 200],
    }));
    let bytes = message.get_encoding();
    assert_eq!(&bytes[..4], [16, 0, 0, 201]);
    assert_eq!(bytes.len(), 4 + 201);
}
