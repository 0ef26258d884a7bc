//! The crate's one CBOR (RFC 8949) layer: a borrowing item reader and a canonical writer, both
//! on `ciborium-ll`, shared by the provisioning records and the modem tokens.
//!
//! `ciborium-ll` does the wire work (item heads in, shortest heads out); this module adds what
//! both formats need on top: byte offsets for every item, strings borrowed from the input
//! and checked against the bytes present before anything is sliced (nothing is allocated from
//! a length the input claims), and no indefinite lengths. [`Reader::item`] reports bare
//! [`Malformed`] input for the records decoder to wrap; the `Reader` methods that expect one
//! kind of item (`tag`, `array`, `bytes`, ...) name the element they read in a [`CborError`],
//! as the token decoders report it. [`Writer`] emits definite lengths and shortest heads only,
//! the preferred serialization that both the nRF Connect SDK and the modem produce.

use ciborium_ll::{Decoder, Encoder, Header};

/// A CBOR decoding problem: which element, where, and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CBOR element `{element}` at byte {offset}: {reason}")]
pub struct CborError {
    /// Name of the element that was being read (e.g. `device_uuid`).
    pub element: &'static str,
    /// Byte offset of the element's head (or of the end of input) within the decoded part.
    pub offset: usize,
    /// What was wrong.
    pub reason: String,
}

impl CborError {
    /// An error about `element` at `offset`.
    fn new(element: &'static str, offset: usize, reason: impl Into<String>) -> Self {
        Self {
            element,
            offset,
            reason: reason.into(),
        }
    }
}

/// Input that is not well-formed definite-length CBOR, before anyone names the element: the
/// records decoder reports it as is, the token decoders through [`Malformed::named`].
#[derive(Debug, Clone)]
pub(crate) struct Malformed {
    /// Byte offset of the offending item's head (of the bad byte, for invalid UTF-8).
    pub(crate) offset: usize,
    /// What was wrong.
    pub(crate) reason: String,
}

impl Malformed {
    /// The same problem, blamed on `element`.
    pub(crate) fn named(self, element: &'static str) -> CborError {
        CborError::new(element, self.offset, self.reason)
    }
}

/// Kind names, shared by [`Item::kind`] and [`kind`] so both speak of items alike.
const INT: &str = "an integer";
const TEXT: &str = "a text string";
const ARRAY: &str = "an array";
const MAP: &str = "a map";

/// One CBOR item as the records format sees it: text whole, containers by head, and every
/// other kind by name only, so that it is reported and never read past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Item<'a> {
    /// An unsigned or negative integer.
    Int(i128),
    /// A definite-length UTF-8 text string.
    Text(&'a str),
    /// A definite-length array head with its element count.
    Array(u64),
    /// A definite-length map head with its pair count.
    Map(u64),
    /// Anything else (byte strings, tags, simple values, indefinite lengths, ...) by kind.
    Other(&'static str),
}

impl Item<'_> {
    /// The item's kind, for error messages (records put it in their public errors as is).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Item::Int(_) => INT,
            Item::Text(_) => TEXT,
            Item::Array(_) => ARRAY,
            Item::Map(_) => MAP,
            Item::Other(kind) => kind,
        }
    }
}

/// The kind of the item a head starts, for error messages.
fn kind(header: &Header) -> &'static str {
    match header {
        Header::Positive(_) | Header::Negative(_) => INT,
        Header::Bytes(Some(_)) => "a byte string",
        Header::Bytes(None) => "an indefinite-length byte string",
        Header::Text(Some(_)) => TEXT,
        Header::Text(None) => "an indefinite-length text string",
        Header::Array(Some(_)) => ARRAY,
        Header::Array(None) => "an indefinite-length array",
        Header::Map(Some(_)) => MAP,
        Header::Map(None) => "an indefinite-length map",
        Header::Tag(_) => "a tag",
        Header::Float(_) => "a float",
        Header::Simple(20 | 21) => "a bool",
        Header::Simple(22) => "null",
        Header::Simple(_) => "a simple value",
        Header::Break => "a break",
    }
}

/// Reads items one after another from a byte slice, knowing the offset of each.
///
/// Expecting readers ([`Reader::bytes`], [`Reader::int`], ...) check an item's kind from its
/// head before they look at its content, so a wrong kind is reported as such, at its head.
/// The per-item methods are `#[inline]`: the records decoder calls them once per item from
/// another module, and without the hint it runs about 7% more instructions (cachegrind).
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

    /// Pulls the next head with `ciborium-ll` and moves past it (not past any content).
    #[inline]
    fn head(&mut self) -> Result<Header, Malformed> {
        let start = self.pos;
        let rest = &self.bytes[start..];
        let Some(&initial) = rest.first() else {
            return Err(Malformed {
                offset: start,
                reason: "input ends where an item was expected".into(),
            });
        };
        let mut decoder = Decoder::from(rest);
        let header = decoder.pull().map_err(|e| Malformed {
            offset: start,
            reason: match e {
                ciborium_ll::Error::Io(_) => "input ends inside an item header".into(),
                ciborium_ll::Error::Syntax(_) => invalid_initial_byte(initial),
            },
        })?;
        self.pos = start + decoder.offset();
        Ok(header)
    }

    /// Reads the next item: text strings whole, everything else by head only.
    #[inline]
    pub(crate) fn item(&mut self) -> Result<Item<'a>, Malformed> {
        let start = self.pos;
        Ok(match self.head()? {
            Header::Positive(n) => Item::Int(i128::from(n)),
            Header::Negative(n) => Item::Int(-1 - i128::from(n)),
            Header::Text(Some(len)) => Item::Text(self.text(start, len)?),
            // `usize` to `u64` is lossless on every target Rust supports.
            Header::Array(Some(n)) => Item::Array(n as u64),
            Header::Map(Some(n)) => Item::Map(n as u64),
            other => Item::Other(kind(&other)),
        })
    }

    /// Borrows the `len` content bytes of a string whose head started at `start`, once they
    /// are known to be there.
    #[inline]
    fn take(&mut self, start: usize, len: usize, what: &str) -> Result<&'a [u8], Malformed> {
        let remaining = self.remaining();
        if len > remaining {
            return Err(Malformed {
                offset: start,
                reason: format!(
                    "{what} of {len} bytes runs past the end of the input ({remaining} bytes left)"
                ),
            });
        }
        let out = &self.bytes[self.pos..self.pos + len];
        self.pos += len;
        Ok(out)
    }

    /// Borrows a text string of `len` bytes whose head started at `start`.
    #[inline]
    fn text(&mut self, start: usize, len: usize) -> Result<&'a str, Malformed> {
        let content = self.pos;
        let raw = self.take(start, len, "text string")?;
        std::str::from_utf8(raw).map_err(|e| Malformed {
            offset: content + e.valid_up_to(),
            reason: "invalid UTF-8 in text string".into(),
        })
    }

    /// Reads the next head as `element` and keeps what `pick` takes from it, with the
    /// head's offset; any other kind is an error naming `expected`, and leaves the reader at
    /// that head.
    fn expect<T>(
        &mut self,
        element: &'static str,
        expected: &str,
        pick: impl FnOnce(&Header) -> Option<T>,
    ) -> Result<(T, usize), CborError> {
        let at = self.pos;
        let header = self.head().map_err(|e| e.named(element))?;
        match pick(&header) {
            Some(value) => Ok((value, at)),
            None => {
                self.pos = at;
                Err(CborError::new(
                    element,
                    at,
                    format!("expected {expected}, found {}", kind(&header)),
                ))
            }
        }
    }

    /// Reads a tag head and checks its number.
    pub(crate) fn tag(&mut self, element: &'static str, number: u64) -> Result<(), CborError> {
        let (found, at) = self.expect(element, "a tag", |h| match *h {
            Header::Tag(n) => Some(n),
            _ => None,
        })?;
        if found != number {
            return Err(CborError::new(
                element,
                at,
                format!("expected tag {number}, found tag {found}"),
            ));
        }
        Ok(())
    }

    /// Reads an array head and checks its length.
    pub(crate) fn array(&mut self, element: &'static str, len: usize) -> Result<(), CborError> {
        let (found, at) = self.expect(element, ARRAY, |h| match *h {
            Header::Array(Some(n)) => Some(n),
            _ => None,
        })?;
        if found != len {
            return Err(CborError::new(
                element,
                at,
                format!("expected an array of {len} elements, found {found}"),
            ));
        }
        Ok(())
    }

    /// Reads a map head and returns its number of pairs.
    pub(crate) fn map(&mut self, element: &'static str) -> Result<usize, CborError> {
        let (pairs, _) = self.expect(element, MAP, |h| match *h {
            Header::Map(Some(n)) => Some(n),
            _ => None,
        })?;
        Ok(pairs)
    }

    /// Reads a byte string.
    pub(crate) fn bytes(&mut self, element: &'static str) -> Result<&'a [u8], CborError> {
        let (len, at) = self.expect(element, "a byte string", |h| match *h {
            Header::Bytes(Some(len)) => Some(len),
            _ => None,
        })?;
        self.take(at, len, "byte string")
            .map_err(|e| e.named(element))
    }

    /// Reads a byte string of exactly `N` bytes.
    pub(crate) fn bytes_n<const N: usize>(
        &mut self,
        element: &'static str,
    ) -> Result<[u8; N], CborError> {
        let at = self.pos;
        let bytes = self.bytes(element)?;
        <[u8; N]>::try_from(bytes).map_err(|_| {
            CborError::new(
                element,
                at,
                format!("expected {N} bytes, found {}", bytes.len()),
            )
        })
    }

    /// Reads a byte string, or `nil` (`None`) in its one-byte form `0xf6`.
    pub(crate) fn bytes_or_nil(
        &mut self,
        element: &'static str,
    ) -> Result<Option<&'a [u8]>, CborError> {
        if self.bytes.get(self.pos) == Some(&NIL) {
            self.pos += 1;
            return Ok(None);
        }
        self.bytes(element).map(Some)
    }

    /// Reads an integer that fits in `i64`.
    pub(crate) fn int(&mut self, element: &'static str) -> Result<i64, CborError> {
        let (value, at) = self.expect(element, INT, |h| match *h {
            Header::Positive(n) => Some(i128::from(n)),
            Header::Negative(n) => Some(-1 - i128::from(n)),
            _ => None,
        })?;
        i64::try_from(value).map_err(|_| CborError::new(element, at, "integer out of range"))
    }

    /// Fails unless every byte was consumed.
    pub(crate) fn finish(&self, element: &'static str) -> Result<(), CborError> {
        match self.remaining() {
            0 => Ok(()),
            extra => Err(CborError::new(
                element,
                self.pos,
                format!("{extra} trailing bytes"),
            )),
        }
    }
}

/// The one-byte encoding of `nil` (major type 7, simple value 22), the only one RFC 8949
/// allows; the two-byte `0xf8 0x16` is not well-formed.
const NIL: u8 = 0xf6;

/// Why `ciborium-ll` refused the head starting with `initial`.
fn invalid_initial_byte(initial: u8) -> String {
    let detail = match initial & 0x1f {
        28..=30 => "reserved additional information",
        31 => "indefinite length is not allowed for integers and tags",
        _ => "length does not fit in memory",
    };
    format!("invalid initial byte 0x{initial:02x} ({detail})")
}

/// Appends CBOR items in preferred serialization: definite lengths, shortest heads.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    out: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The bytes written so far.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    /// Runs one `ciborium-ll` encoder call on the output. Writing to a `Vec` cannot fail, so
    /// the `Result` the encoder returns for other sinks is dropped here, once.
    fn encode<E>(&mut self, write: impl FnOnce(&mut Encoder<&mut Vec<u8>>) -> Result<(), E>) {
        let written = write(&mut Encoder::from(&mut self.out));
        debug_assert!(written.is_ok(), "writing CBOR to a Vec failed");
    }

    /// One head (`ciborium-ll` picks the shortest form).
    fn head(&mut self, header: Header) -> &mut Self {
        self.encode(|e| e.push(header));
        self
    }

    /// A tag head.
    pub(crate) fn tag(&mut self, number: u64) -> &mut Self {
        self.head(Header::Tag(number))
    }

    /// An array head.
    pub(crate) fn array(&mut self, len: usize) -> &mut Self {
        self.head(Header::Array(Some(len)))
    }

    /// A map head.
    pub(crate) fn map(&mut self, pairs: usize) -> &mut Self {
        self.head(Header::Map(Some(pairs)))
    }

    /// A byte string, in one definite-length piece.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.encode(|e| e.bytes(bytes, None));
        self
    }

    /// A text string, in one definite-length piece.
    pub(crate) fn text(&mut self, text: &str) -> &mut Self {
        self.encode(|e| e.text(text, None));
        self
    }

    /// An unsigned integer.
    pub(crate) fn uint(&mut self, value: u64) -> &mut Self {
        self.head(Header::Positive(value))
    }

    /// A signed integer.
    pub(crate) fn int(&mut self, value: i64) -> &mut Self {
        match u64::try_from(value) {
            Ok(positive) => self.uint(positive),
            // A negative integer is encoded as -1 - value, which is in 0..=i64::MAX.
            Err(_) => self.head(Header::Negative((-1 - value).unsigned_abs())),
        }
    }

    /// `null` (`nil`), one byte `0xf6`.
    pub(crate) fn nil(&mut self) -> &mut Self {
        self.head(Header::Simple(22))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_items_with_offsets() {
        // [1, -2, "ab", {}, h'01']
        let bytes = [0x85, 0x01, 0x21, 0x62, b'a', b'b', 0xa0, 0x41, 0x01];
        let mut r = Reader::new(&bytes);
        assert_eq!(r.item().unwrap(), Item::Array(5));
        assert_eq!(r.item().unwrap(), Item::Int(1));
        assert_eq!(r.item().unwrap(), Item::Int(-2));
        assert_eq!(r.position(), 3);
        assert_eq!(r.item().unwrap(), Item::Text("ab"));
        assert_eq!(r.item().unwrap(), Item::Map(0));
        // Other kinds are named by their head and not read past it.
        assert_eq!(r.item().unwrap(), Item::Other("a byte string"));
        assert_eq!(r.remaining(), 1);
        let mut r = Reader::new(&[0x00]);
        r.item().unwrap();
        assert_eq!(r.item().unwrap_err().offset, 1);
    }

    #[test]
    fn text_past_the_end_and_bad_utf8_are_errors() {
        let err = Reader::new(&[0x63, b'a']).item().unwrap_err();
        assert_eq!(err.offset, 0);
        assert!(err.reason.starts_with("text string of 3 bytes runs past"));
        let mut r = Reader::new(&[0x00, 0x62, b'a', 0xff]);
        r.item().unwrap();
        assert_eq!(r.item().unwrap_err().offset, 3);
        // A length claimed near u64::MAX is refused before anything is sliced.
        let err = Reader::new(&[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0])
            .bytes("b")
            .unwrap_err();
        assert!(err.reason.starts_with("byte string of"));
    }

    #[test]
    fn malformed_heads_are_errors_and_other_items_have_a_kind() {
        let err = Reader::new(&[0x19, 0x01]).item().unwrap_err();
        assert_eq!(err.reason, "input ends inside an item header");
        let err = Reader::new(&[0x1c]).item().unwrap_err();
        assert!(err.reason.contains("reserved"));
        let err = Reader::new(&[0x1f]).item().unwrap_err();
        assert!(err.reason.contains("indefinite"));
        for (bytes, kind) in [
            (&[0x5f][..], "an indefinite-length byte string"),
            (&[0x7f], "an indefinite-length text string"),
            (&[0x9f], "an indefinite-length array"),
            (&[0xbf], "an indefinite-length map"),
            (&[0xc0], "a tag"),
            (&[0xf5], "a bool"),
            (&[0xf6], "null"),
            (&[0xfa, 0, 0, 0, 0], "a float"),
            (&[0xff], "a break"),
        ] {
            assert_eq!(Reader::new(bytes).item().unwrap().kind(), kind);
        }
    }

    #[test]
    fn big_integers_keep_their_sign() {
        let mut r = Reader::new(&[0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(r.item().unwrap(), Item::Int(-1 - i128::from(u64::MAX)));
    }

    #[test]
    fn writes_shortest_heads() {
        let mut w = Writer::new();
        w.tag(55799)
            .array(5)
            .int(9)
            .int(-2)
            .int(-7)
            .int(24)
            .int(-25)
            .int(i64::MIN);
        w.bytes(&[0x21]).nil().map(1).text("a").uint(u64::MAX);
        assert_eq!(
            hex::encode(w.into_bytes()),
            "d9d9f785092126181838183b7fffffffffffffff4121f6a161611bffffffffffffffff"
        );
    }

    #[test]
    fn typed_reads_name_the_element_and_offset() {
        let bytes = hex::decode("d9d9f785092126181838183b7fffffffffffffff4121f6a0").unwrap();
        let mut r = Reader::new(&bytes);
        r.tag("t", 55799).unwrap();
        r.array("a", 5).unwrap();
        assert_eq!(r.int("i").unwrap(), 9);
        assert_eq!(r.int("i").unwrap(), -2);
        assert_eq!(r.int("i").unwrap(), -7);
        assert_eq!(r.int("i").unwrap(), 24);
        assert_eq!(r.int("i").unwrap(), -25);
        assert_eq!(r.int("i").unwrap(), i64::MIN);
        assert_eq!(r.bytes_or_nil("b").unwrap(), Some(&[0x21u8][..]));
        assert_eq!(r.bytes_or_nil("b").unwrap(), None);
        let err = r.bytes_or_nil("m").unwrap_err();
        assert_eq!((err.element, err.offset), ("m", 23));
        assert_eq!(err.reason, "expected a byte string, found a map");
        assert_eq!(r.map("m").unwrap(), 0);
        r.finish("end").unwrap();

        let err = Reader::new(&[0x58, 0xff, 0x00])
            .bytes("payload")
            .unwrap_err();
        assert_eq!((err.element, err.offset), ("payload", 0));
        let err = Reader::new(&[0x5f]).bytes("payload").unwrap_err();
        assert!(err.reason.contains("indefinite"));
        let err = Reader::new(&[0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
            .int("n")
            .unwrap_err();
        assert!(err.reason.contains("range"));
        let err = Reader::new(&[0xc1, 0x00]).tag("t", 0).unwrap_err();
        assert_eq!(err.reason, "expected tag 0, found tag 1");
        let err = Reader::new(&[0x41, 0x00]).bytes_n::<2>("n").unwrap_err();
        assert_eq!(err.reason, "expected 2 bytes, found 1");
        let mut r = Reader::new(&[0x01, 0x02]);
        r.int("n").unwrap();
        assert_eq!(r.finish("end").unwrap_err().offset, 1);
    }
}
