use crate::error::InvalidMessage;

/// A cursor over a byte slice that never reads past its end.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    /// A reader over all of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, offset: 0 }
    }

    /// Takes the next `len` bytes, or fails naming `what` was truncated.
    pub fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], InvalidMessage> {
        let rest = &self.buf[self.offset..];
        if rest.len() < len {
            return Err(InvalidMessage::MissingData(what));
        }
        self.offset += len;
        Ok(&rest[..len])
    }

    /// Everything not read yet; the reader is then empty.
    pub fn rest(mut self) -> &'a [u8] {
        let rest = &self.buf[self.offset..];
        self.offset = self.buf.len();
        rest
    }

    /// Whether any bytes are left.
    pub fn any_left(&self) -> bool {
        self.offset < self.buf.len()
    }

    /// How many bytes are left.
    pub fn left(&self) -> usize {
        self.buf.len() - self.offset
    }

    /// How many bytes have been read.
    pub fn used(&self) -> usize {
        self.offset
    }

    /// Fails with `TrailingData(what)` if any bytes are left.
    pub fn expect_empty(&self, what: &'static str) -> Result<(), InvalidMessage> {
        if self.any_left() {
            return Err(InvalidMessage::TrailingData(what));
        }
        Ok(())
    }
}
