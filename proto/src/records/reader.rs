//! A borrowing CBOR item reader over a byte slice, built on `ciborium-ll`'s header
//! decoder, that knows the byte offset of every item it returns.
//!
//! The records format only needs integers, text, arrays and maps, so every other item is
//! reported by kind and never skipped over; text borrows from the input.

use ciborium_ll::{Decoder, Header};

use super::error::RecordsError;

/// One CBOR item as the records format sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Item<'a> {
    /// An unsigned or negative integer.
    Int(i128),
    /// A definite-length UTF-8 text string.
    Text(&'a str),
    /// A definite-length array header with its element count.
    Array(u64),
    /// A definite-length map header with its pair count.
    Map(u64),
    /// Anything else, named by kind for error messages.
    Other(&'static str),
}

impl Item<'_> {
    /// The item's kind, for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Item::Int(_) => "an integer",
            Item::Text(_) => "a text string",
            Item::Array(_) => "an array",
            Item::Map(_) => "a map",
            Item::Other(kind) => kind,
        }
    }
}

/// Reads items one after another from a byte slice.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading at the first byte.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// Offset of the next unread byte.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Reads the next item; text strings are consumed whole, containers only by header.
    pub(crate) fn item(&mut self) -> Result<Item<'a>, RecordsError> {
        let start = self.pos;
        let rest = &self.bytes[start..];
        if rest.is_empty() {
            return Err(RecordsError::Cbor {
                offset: start,
                reason: "input ends where an item was expected".into(),
            });
        }
        let mut decoder = Decoder::from(rest);
        let header = decoder.pull().map_err(|e| RecordsError::Cbor {
            offset: start,
            reason: match e {
                ciborium_ll::Error::Io(_) => "input ends inside an item header".into(),
                ciborium_ll::Error::Syntax(_) => format!("invalid initial byte 0x{:02x}", rest[0]),
            },
        })?;
        self.pos = start + decoder.offset();
        Ok(match header {
            Header::Positive(n) => Item::Int(i128::from(n)),
            Header::Negative(n) => Item::Int(-1 - i128::from(n)),
            Header::Text(Some(len)) => Item::Text(self.text(start, len)?),
            Header::Text(None) => Item::Other("an indefinite-length text string"),
            Header::Array(Some(n)) => Item::Array(n as u64),
            Header::Array(None) => Item::Other("an indefinite-length array"),
            Header::Map(Some(n)) => Item::Map(n as u64),
            Header::Map(None) => Item::Other("an indefinite-length map"),
            Header::Bytes(_) => Item::Other("a byte string"),
            Header::Tag(_) => Item::Other("a tag"),
            Header::Float(_) => Item::Other("a float"),
            Header::Simple(20 | 21) => Item::Other("a bool"),
            Header::Simple(22) => Item::Other("null"),
            Header::Simple(_) => Item::Other("a simple value"),
            Header::Break => Item::Other("a break"),
        })
    }

    /// Borrows the `len` bytes of a text string whose header started at `start`.
    fn text(&mut self, start: usize, len: usize) -> Result<&'a str, RecordsError> {
        if len > self.remaining() {
            return Err(RecordsError::Cbor {
                offset: start,
                reason: format!(
                    "text string of {len} bytes runs past the end of the input ({} bytes left)",
                    self.remaining()
                ),
            });
        }
        let raw = &self.bytes[self.pos..self.pos + len];
        let text = std::str::from_utf8(raw).map_err(|e| RecordsError::Cbor {
            offset: self.pos + e.valid_up_to(),
            reason: "invalid UTF-8 in text string".into(),
        })?;
        self.pos += len;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_items_with_offsets() {
        // [1, -2, "ab", {}]
        let bytes = [0x84, 0x01, 0x21, 0x62, b'a', b'b', 0xa0];
        let mut r = Reader::new(&bytes);
        assert_eq!(r.item().unwrap(), Item::Array(4));
        assert_eq!(r.item().unwrap(), Item::Int(1));
        assert_eq!(r.item().unwrap(), Item::Int(-2));
        assert_eq!(r.position(), 3);
        assert_eq!(r.item().unwrap(), Item::Text("ab"));
        assert_eq!(r.item().unwrap(), Item::Map(0));
        assert_eq!(r.remaining(), 0);
        assert!(r.item().is_err());
    }

    #[test]
    fn text_past_the_end_and_bad_utf8_are_errors() {
        let mut r = Reader::new(&[0x63, b'a']);
        assert!(matches!(
            r.item(),
            Err(RecordsError::Cbor { offset: 0, .. })
        ));
        let mut r = Reader::new(&[0x00, 0x62, b'a', 0xff]);
        r.item().unwrap();
        assert!(matches!(
            r.item(),
            Err(RecordsError::Cbor { offset: 3, .. })
        ));
    }

    #[test]
    fn big_integers_keep_their_sign() {
        let mut r = Reader::new(&[0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(r.item().unwrap(), Item::Int(-1 - i128::from(u64::MAX)));
    }
}
