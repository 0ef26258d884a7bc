//! The small, strict subset of CBOR (RFC 8949) the modem tokens use.
//!
//! Only definite lengths, integers, byte strings, text strings, arrays, maps, tags and `nil`
//! occur in the attestation and `%KEYGEN` messages. Writing always uses the shortest head
//! (the "preferred serialization" the modem emits, as the vectors show); reading accepts any
//! head width but rejects indefinite lengths, and every error names the element being read
//! and the byte offset of its head. Nothing here allocates based on a length read from input.

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

/// Major types.
const UINT: u8 = 0;
const NINT: u8 = 1;
const BYTES: u8 = 2;
const TEXT: u8 = 3;
const ARRAY: u8 = 4;
const MAP: u8 = 5;
const TAG: u8 = 6;

/// The one-byte encoding of `nil` (major 7, simple value 22).
const NIL: u8 = 0xf6;

fn major_name(major: u8) -> &'static str {
    match major {
        UINT => "unsigned integer",
        NINT => "negative integer",
        BYTES => "byte string",
        TEXT => "text string",
        ARRAY => "array",
        MAP => "map",
        TAG => "tag",
        _ => "simple value or float",
    }
}

/// A cursor over CBOR bytes.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Current byte offset.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    fn err(element: &'static str, offset: usize, reason: impl Into<String>) -> CborError {
        CborError {
            element,
            offset,
            reason: reason.into(),
        }
    }

    /// Reads one head: (major type, argument, offset of the head).
    fn head(&mut self, element: &'static str) -> Result<(u8, u64, usize), CborError> {
        let start = self.pos;
        let Some(&first) = self.buf.get(start) else {
            return Err(Self::err(element, start, "unexpected end of input"));
        };
        let major = first >> 5;
        let info = first & 0x1f;
        let width = match info {
            0..=23 => 0,
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            31 => {
                return Err(Self::err(
                    element,
                    start,
                    "indefinite length is not supported",
                ))
            }
            _ => return Err(Self::err(element, start, "reserved additional information")),
        };
        let arg_bytes = self
            .buf
            .get(start + 1..start + 1 + width)
            .ok_or_else(|| Self::err(element, start, "truncated head"))?;
        let arg = if width == 0 {
            u64::from(info)
        } else {
            arg_bytes
                .iter()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
        };
        self.pos = start + 1 + width;
        Ok((major, arg, start))
    }

    fn expect(&mut self, element: &'static str, want: u8) -> Result<(u64, usize), CborError> {
        let (major, arg, at) = self.head(element)?;
        if major != want {
            self.pos = at;
            return Err(Self::err(
                element,
                at,
                format!("expected {}, found {}", major_name(want), major_name(major)),
            ));
        }
        Ok((arg, at))
    }

    /// Reads a tag head and checks its number.
    pub(crate) fn tag(&mut self, element: &'static str, number: u64) -> Result<(), CborError> {
        let (arg, at) = self.expect(element, TAG)?;
        if arg != number {
            return Err(Self::err(
                element,
                at,
                format!("expected tag {number}, found tag {arg}"),
            ));
        }
        Ok(())
    }

    /// Reads an array head and checks its length.
    pub(crate) fn array(&mut self, element: &'static str, len: u64) -> Result<(), CborError> {
        let (arg, at) = self.expect(element, ARRAY)?;
        if arg != len {
            return Err(Self::err(
                element,
                at,
                format!("expected an array of {len} elements, found {arg}"),
            ));
        }
        Ok(())
    }

    /// Reads a map head and returns its number of pairs.
    pub(crate) fn map(&mut self, element: &'static str) -> Result<u64, CborError> {
        Ok(self.expect(element, MAP)?.0)
    }

    fn slice(&mut self, element: &'static str, len: u64, at: usize) -> Result<&'a [u8], CborError> {
        let remaining = self.buf.len() - self.pos;
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= remaining)
            .ok_or_else(|| {
                Self::err(
                    element,
                    at,
                    format!("length {len} exceeds the {remaining} remaining bytes"),
                )
            })?;
        let out = &self.buf[self.pos..self.pos + len];
        self.pos += len;
        Ok(out)
    }

    /// Reads a byte string.
    pub(crate) fn bytes(&mut self, element: &'static str) -> Result<&'a [u8], CborError> {
        let (len, at) = self.expect(element, BYTES)?;
        self.slice(element, len, at)
    }

    /// Reads a byte string of exactly `N` bytes.
    pub(crate) fn bytes_n<const N: usize>(
        &mut self,
        element: &'static str,
    ) -> Result<[u8; N], CborError> {
        let at = self.pos;
        let bytes = self.bytes(element)?;
        <[u8; N]>::try_from(bytes).map_err(|_| {
            Self::err(
                element,
                at,
                format!("expected {N} bytes, found {}", bytes.len()),
            )
        })
    }

    /// Reads a byte string, or `nil` (`None`).
    pub(crate) fn bytes_or_nil(
        &mut self,
        element: &'static str,
    ) -> Result<Option<&'a [u8]>, CborError> {
        if self.buf.get(self.pos) == Some(&NIL) {
            self.pos += 1;
            return Ok(None);
        }
        self.bytes(element).map(Some)
    }

    /// Reads an integer (major type 0 or 1) that fits in `i64`.
    pub(crate) fn int(&mut self, element: &'static str) -> Result<i64, CborError> {
        let (major, arg, at) = self.head(element)?;
        let out_of_range = || Self::err(element, at, "integer out of range");
        match major {
            UINT => i64::try_from(arg).map_err(|_| out_of_range()),
            // A negative integer encodes -1 - arg.
            NINT => i64::try_from(arg)
                .map(|v| -1 - v)
                .map_err(|_| out_of_range()),
            other => {
                self.pos = at;
                Err(Self::err(
                    element,
                    at,
                    format!("expected an integer, found {}", major_name(other)),
                ))
            }
        }
    }

    /// Fails unless every byte was consumed.
    pub(crate) fn finish(&self, element: &'static str) -> Result<(), CborError> {
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err(Self::err(
                element,
                self.pos,
                format!("{} trailing bytes", self.buf.len() - self.pos),
            ))
        }
    }
}

/// Appends CBOR items in preferred (shortest) serialization.
#[derive(Default)]
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

    fn head(&mut self, major: u8, arg: u64) -> &mut Self {
        let m = major << 5;
        // The `as` casts below are lossless: each branch bounds `arg` first.
        match arg {
            0..=23 => self.out.push(m | arg as u8),
            24..=0xff => self.out.extend_from_slice(&[m | 24, arg as u8]),
            0x100..=0xffff => {
                self.out.push(m | 25);
                self.out.extend_from_slice(&(arg as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                self.out.push(m | 26);
                self.out.extend_from_slice(&(arg as u32).to_be_bytes());
            }
            _ => {
                self.out.push(m | 27);
                self.out.extend_from_slice(&arg.to_be_bytes());
            }
        }
        self
    }

    /// A tag head.
    pub(crate) fn tag(&mut self, number: u64) -> &mut Self {
        self.head(TAG, number)
    }

    /// An array head.
    pub(crate) fn array(&mut self, len: u64) -> &mut Self {
        self.head(ARRAY, len)
    }

    /// A map head.
    pub(crate) fn map(&mut self, pairs: u64) -> &mut Self {
        self.head(MAP, pairs)
    }

    /// A byte string.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.head(BYTES, bytes.len() as u64);
        self.out.extend_from_slice(bytes);
        self
    }

    /// A text string.
    pub(crate) fn text(&mut self, text: &str) -> &mut Self {
        self.head(TEXT, text.len() as u64);
        self.out.extend_from_slice(text.as_bytes());
        self
    }

    /// An integer.
    pub(crate) fn int(&mut self, value: i64) -> &mut Self {
        if value >= 0 {
            self.head(UINT, value.unsigned_abs())
        } else {
            // -1 - value is non-negative and fits in u64.
            self.head(NINT, (-1 - value).unsigned_abs())
        }
    }

    /// `nil`.
    pub(crate) fn nil(&mut self) -> &mut Self {
        self.out.push(NIL);
        self
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
        w.bytes(&[0x21]).nil();
        assert_eq!(
            hex::encode(w.into_bytes()),
            "d9d9f785092126181838183b7fffffffffffffff4121f6"
        );
    }

    #[test]
    fn reads_back_and_reports_offsets() {
        let bytes = hex::decode("d9d9f785092126181838183b7fffffffffffffff4121f6").unwrap();
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
        let mut r = Reader::new(&[0x01, 0x02]);
        r.int("n").unwrap();
        assert_eq!(r.finish("end").unwrap_err().offset, 1);
    }
}
