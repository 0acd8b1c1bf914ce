//! The extension lists of TLS 1.3's own messages (EncryptedExtensions,
//! CertificateRequest, NewSessionTicket, CertificateEntry), kept as
//! type-and-body pairs with the checks every list gets: each body within its
//! declared length, no type twice (RFC 8446 4.2).
//!
//! Which extensions a message may carry is the handshake's check (RFC 8446
//! 4.2: a recognised extension in the wrong message is illegal_parameter);
//! the typed accessors of each message decode the bodies it uses.

use smallvec::SmallVec;

use crate::codec::{
    Codec, LengthPrefix, Reader, encode_bytes, encode_prefixed, read_bytes, read_prefixed,
};
use crate::enums::ExtensionType;
use crate::error::InvalidMessage;

/// One extension: its type and undecoded body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawExtension {
    /// The extension's type.
    pub typ: ExtensionType,
    /// Its body as sent.
    pub body: Vec<u8>,
}

/// An extension list, in the order sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extensions(pub SmallVec<[RawExtension; 4]>);

impl Extensions {
    /// No extensions.
    pub fn new() -> Self {
        Self::default()
    }

    /// The body of the extension of type `typ`, if present.
    pub fn get(&self, typ: ExtensionType) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|ext| ext.typ == typ)
            .map(|ext| &ext.body[..])
    }

    /// Appends an extension.
    pub fn push(&mut self, typ: ExtensionType, body: Vec<u8>) {
        self.0.push(RawExtension { typ, body });
    }

    /// The types present, in order.
    pub fn types(&self) -> impl Iterator<Item = ExtensionType> + '_ {
        self.0.iter().map(|ext| ext.typ)
    }
}

impl Codec for Extensions {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_prefixed(out, LengthPrefix::U16, |out| {
            for ext in &self.0 {
                ext.typ.encode(out);
                encode_bytes(out, LengthPrefix::U16, &ext.body);
            }
        });
    }

    /// A type that appears twice is `DuplicateExtension` (decode_error;
    /// RFC 8446 4.2 says "MUST NOT be more than one of the same type").
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let mut list = read_prefixed(r, LengthPrefix::U16, "extensions")?;
        let mut out = Self::new();
        while list.any_left() {
            let typ = ExtensionType::read(&mut list)?;
            let body = read_bytes(&mut list, LengthPrefix::U16, "extension_data")?;
            if out.get(typ).is_some() {
                return Err(InvalidMessage::DuplicateExtension(typ));
            }
            out.push(typ, body);
        }
        Ok(out)
    }
}
