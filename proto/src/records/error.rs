//! Why a records body could not be decoded or encoded.

/// What is wrong with one record of a body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The record is not a CBOR array.
    #[error("record is not an array (found {found})")]
    NotAnArray {
        /// The CBOR kind found instead.
        found: &'static str,
    },
    /// The record has fewer than two elements, so it has no id and type.
    #[error("record has {found} elements; every record starts with an id and a type")]
    TooShort {
        /// Number of elements present.
        found: usize,
    },
    /// The record's element count does not match its type.
    #[error("record of type {type_number} must have {expected} elements, found {found}")]
    Arity {
        /// The record type.
        type_number: u64,
        /// Elements the type requires.
        expected: usize,
        /// Elements present.
        found: usize,
    },
    /// The correlation id is longer than the wire format allows.
    #[error("correlation id is {len} bytes long; at most {max} are allowed")]
    IdTooLong {
        /// Length of the id in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// An element has the wrong CBOR kind.
    #[error("element {position} ({field}) must be {expected}, found {found}")]
    FieldType {
        /// Zero-based position of the element in the record.
        position: usize,
        /// The element's name in the wire format.
        field: &'static str,
        /// The kind required.
        expected: &'static str,
        /// The kind found.
        found: &'static str,
    },
    /// The type number is not one this direction of the protocol knows.
    #[error("unknown record type {type_number} (expected {expected})")]
    UnknownType {
        /// The type number found (negative numbers are shown as received).
        type_number: i128,
        /// The types allowed in this direction.
        expected: &'static str,
    },
    /// An AT command lists more ignored CME codes than allowed.
    #[error("{count} ignored CME codes; at most {max} are allowed")]
    TooManyIgnoredCme {
        /// Codes listed.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A config command has more key/value pairs than allowed.
    #[error("{count} config pairs; at most {max} are allowed")]
    TooManyConfigPairs {
        /// Pairs present.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// An integer does not fit the field.
    #[error("element {position} ({field}) is {value}, outside 0..={max}")]
    OutOfRange {
        /// Zero-based position of the element in the record.
        position: usize,
        /// The element's name.
        field: &'static str,
        /// The value found.
        value: i128,
        /// The largest allowed value.
        max: u64,
    },
}

/// Why a whole body could not be decoded (or encoded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordsError {
    /// The body has no bytes at all.
    #[error("empty body: a records body is a non-empty CBOR array")]
    EmptyInput,
    /// The bytes are not well-formed CBOR.
    #[error("malformed CBOR at byte {offset}: {reason}")]
    Cbor {
        /// Byte offset where decoding failed.
        offset: usize,
        /// What the CBOR decoder reported.
        reason: String,
    },
    /// The top-level item is not a definite-length array.
    #[error("top-level item at byte 0 must be a definite-length array, found {found}")]
    NotAnArray {
        /// The CBOR kind found instead.
        found: &'static str,
    },
    /// The top-level array has no records (`0x80`).
    #[error("body is an empty array: at least one record is required")]
    NoRecords,
    /// The body holds more records than the receiver's limit.
    #[error("body announces {count} records; the limit is {limit}")]
    TooManyRecords {
        /// Records announced by the array header.
        count: u64,
        /// The receiver's limit.
        limit: usize,
    },
    /// Bytes follow the top-level array.
    #[error("{extra} trailing bytes after the records array, starting at byte {offset}")]
    TrailingBytes {
        /// Offset of the first trailing byte.
        offset: usize,
        /// How many bytes trail.
        extra: usize,
    },
    /// One record is invalid.
    #[error("record {index} (at byte {offset}): {error}")]
    Record {
        /// Zero-based index of the record in the body.
        index: usize,
        /// Byte offset where the record starts (0 when encoding).
        offset: usize,
        /// What is wrong with it.
        error: RecordError,
    },
}
