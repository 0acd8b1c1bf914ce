//! Bounded readers and length-prefixed writers for TLS vectors.
//!
//! Every decode in the crate goes through [`Reader`]: it never reads past the
//! end of its slice, so malformed input becomes an [`InvalidMessage`], never a
//! panic.

mod enums;
mod reader;

pub(crate) use enums::wire_enum;

pub use reader::Reader;

use crate::error::InvalidMessage;

/// A value with one TLS wire encoding.
pub trait Codec: Sized {
    /// Appends the encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Reads one value from the front of `r`, leaving the rest.
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage>;

    /// The encoding of `self` as a fresh vector.
    fn get_encoding(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Decodes a whole buffer: trailing bytes are an error naming `Self`.
    fn read_bytes(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        let value = Self::read(&mut r)?;
        r.expect_empty(
            core::any::type_name::<Self>()
                .rsplit("::")
                .next()
                .unwrap_or("value"),
        )?;
        Ok(value)
    }
}

impl Codec for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        r.take(1, "u8").map(|b| b[0])
    }
}

impl Codec for u16 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        r.take(2, "u16").map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
}

impl Codec for u32 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        r.take(4, "u32")
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// A 24-bit unsigned integer, as used by handshake and certificate lengths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct U24(pub u32);

impl U24 {
    /// The largest value a 24-bit length can hold.
    pub const MAX: usize = 0xff_ffff;
}

impl Codec for U24 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_be_bytes()[1..]);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        r.take(3, "u24")
            .map(|b| U24(u32::from_be_bytes([0, b[0], b[1], b[2]])))
    }
}

/// The width of a vector's length prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthPrefix {
    /// `<0..2^8-1>`
    U8,
    /// `<0..2^16-1>`
    U16,
    /// `<0..2^24-1>`
    U24,
}

impl LengthPrefix {
    fn width(self) -> usize {
        match self {
            Self::U8 => 1,
            Self::U16 => 2,
            Self::U24 => 3,
        }
    }

    fn max(self) -> usize {
        match self {
            Self::U8 => 0xff,
            Self::U16 => 0xffff,
            Self::U24 => U24::MAX,
        }
    }
}

/// Writes a length prefix of `prefix` width, runs `body`, then fills in the
/// length of what `body` wrote.
///
/// The placeholder-then-fill shape means no body is ever encoded twice.
/// A body longer than the prefix can express is a bug in our own encoder
/// (every caller bounds its inputs), so it panics in debug builds and is
/// truncated to the maximum in release builds; peer input never reaches here.
pub fn encode_prefixed(out: &mut Vec<u8>, prefix: LengthPrefix, body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0u8; 3][..prefix.width()]);
    body(out);
    let len = out.len() - start - prefix.width();
    debug_assert!(len <= prefix.max(), "vector too long for its length prefix");
    let len = len.min(prefix.max()) as u32;
    let bytes = len.to_be_bytes();
    out[start..start + prefix.width()].copy_from_slice(&bytes[4 - prefix.width()..]);
}

/// Writes `bytes` behind a length prefix.
pub fn encode_bytes(out: &mut Vec<u8>, prefix: LengthPrefix, bytes: &[u8]) {
    encode_prefixed(out, prefix, |out| out.extend_from_slice(bytes));
}

/// Writes `items` as a vector behind a length prefix.
pub fn encode_vec<T: Codec>(out: &mut Vec<u8>, prefix: LengthPrefix, items: &[T]) {
    encode_prefixed(out, prefix, |out| {
        for item in items {
            item.encode(out);
        }
    });
}

/// Reads a length prefix and returns a reader bounded to that many bytes.
pub fn read_prefixed<'a>(
    r: &mut Reader<'a>,
    prefix: LengthPrefix,
    what: &'static str,
) -> Result<Reader<'a>, InvalidMessage> {
    let len = match prefix {
        LengthPrefix::U8 => {
            usize::from(u8::read(r).map_err(|_| InvalidMessage::MissingData(what))?)
        }
        LengthPrefix::U16 => {
            usize::from(u16::read(r).map_err(|_| InvalidMessage::MissingData(what))?)
        }
        LengthPrefix::U24 => {
            U24::read(r)
                .map_err(|_| InvalidMessage::MissingData(what))?
                .0 as usize
        }
    };
    r.take(len, what).map(Reader::new)
}

/// Reads a length-prefixed byte string.
pub fn read_bytes(
    r: &mut Reader<'_>,
    prefix: LengthPrefix,
    what: &'static str,
) -> Result<Vec<u8>, InvalidMessage> {
    read_prefixed(r, prefix, what).map(|sub| sub.rest().to_vec())
}

/// A collection a wire vector decodes into.
pub trait List: Default {
    /// What the vector holds.
    type Item: Codec;
    /// Appends one decoded item.
    fn push_item(&mut self, item: Self::Item);
}

impl<T: Codec> List for Vec<T> {
    type Item = T;
    fn push_item(&mut self, item: T) {
        self.push(item);
    }
}

impl<A: smallvec::Array> List for smallvec::SmallVec<A>
where
    A::Item: Codec,
{
    type Item = A::Item;
    fn push_item(&mut self, item: A::Item) {
        self.push(item);
    }
}

/// Reads a length-prefixed vector; the items must fill it exactly.
///
/// The collection is the caller's: a `Vec`, or a [`SmallVec`] where a list
/// is short in practice (a hello's suites, groups and extensions), so that
/// decoding it does not allocate.
///
/// [`SmallVec`]: smallvec::SmallVec
pub fn read_vec<C: List>(
    r: &mut Reader<'_>,
    prefix: LengthPrefix,
    what: &'static str,
) -> Result<C, InvalidMessage> {
    read_vec_counted(r, prefix, what).map(|(items, _)| items)
}

/// Reads a length-prefixed vector that the RFC says must not be empty
/// (`<1..2^n-1>`).
pub fn read_nonempty_vec<C: List>(
    r: &mut Reader<'_>,
    prefix: LengthPrefix,
    what: &'static str,
) -> Result<C, InvalidMessage> {
    match read_vec_counted(r, prefix, what)? {
        (_, 0) => Err(InvalidMessage::EmptyList(what)),
        (items, _) => Ok(items),
    }
}

/// [`read_vec`], also returning how many items it read.
fn read_vec_counted<C: List>(
    r: &mut Reader<'_>,
    prefix: LengthPrefix,
    what: &'static str,
) -> Result<(C, usize), InvalidMessage> {
    let mut sub = read_prefixed(r, prefix, what)?;
    let mut items = C::default();
    let mut count = 0;
    while sub.any_left() {
        items.push_item(C::Item::read(&mut sub)?);
        count += 1;
    }
    Ok((items, count))
}

#[cfg(test)]
mod tests;
