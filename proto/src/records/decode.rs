//! Decoding of command and response bodies, enforcing every limit of the wire format.
//!
//! Records are read straight from the input without an intermediate CBOR tree, so every
//! error carries the byte offset of the record it concerns, and no length claimed by the
//! input is trusted before it is checked against the limits and the bytes present.

use super::error::{RecordError, RecordsError};
use super::types::{Command, CorrelationId, Response};
use super::{
    MAX_CONFIG_PAIRS, MAX_ID_LEN, MAX_IGNORED_CME, TYPE_AT, TYPE_AT_OK, TYPE_CONFIG,
    TYPE_CONFIG_ACK, TYPE_ERROR, TYPE_FINISHED, TYPE_FINISHED_ACK,
};
use crate::cbor::{Item, Malformed, Reader};

/// A decoded body whose direction was detected from its first record's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Server → device commands.
    Commands(Vec<Command>),
    /// Device → server responses.
    Responses(Vec<Response>),
}

/// Decodes a server → device body of at most `limit` records.
pub fn decode_commands(bytes: &[u8], limit: usize) -> Result<Vec<Command>, RecordsError> {
    decode_body(bytes, limit, command)
}

/// Decodes a device → server body of at most `limit` records.
pub fn decode_responses(bytes: &[u8], limit: usize) -> Result<Vec<Response>, RecordsError> {
    decode_body(bytes, limit, response)
}

/// Decodes a body of either direction, telling them apart by the first record's type
/// (99..=102 are responses, anything else is read as commands). Used where a payload's
/// origin is unknown, such as a line pasted from a field log.
pub fn decode_any(bytes: &[u8], limit: usize) -> Result<Body, RecordsError> {
    if first_record_type(bytes).is_some_and(|t| (TYPE_ERROR..=TYPE_FINISHED_ACK).contains(&t)) {
        decode_responses(bytes, limit).map(Body::Responses)
    } else {
        decode_commands(bytes, limit).map(Body::Commands)
    }
}

/// The type number of the first record, if the body gets that far.
fn first_record_type(bytes: &[u8]) -> Option<u64> {
    let mut r = Reader::new(bytes);
    match (
        r.item().ok()?,
        r.item().ok()?,
        r.item().ok()?,
        r.item().ok()?,
    ) {
        (Item::Array(_), Item::Array(_), Item::Text(_), Item::Int(t)) => u64::try_from(t).ok(),
        _ => None,
    }
}

/// Where a record starts, to turn a [`RecordError`] into a [`RecordsError`].
#[derive(Debug, Clone, Copy)]
struct At {
    index: usize,
    offset: usize,
}

impl At {
    fn fail(self, error: RecordError) -> RecordsError {
        RecordsError::Record {
            index: self.index,
            offset: self.offset,
            error,
        }
    }
}

/// Reads the next item, reporting malformed CBOR where it is.
fn next<'a>(r: &mut Reader<'a>) -> Result<Item<'a>, RecordsError> {
    r.item()
        .map_err(|Malformed { offset, reason }| RecordsError::Cbor { offset, reason })
}

fn decode_body<T>(
    bytes: &[u8],
    limit: usize,
    record: fn(&mut Reader<'_>, At) -> Result<T, RecordsError>,
) -> Result<Vec<T>, RecordsError> {
    if bytes.is_empty() {
        return Err(RecordsError::EmptyInput);
    }
    let mut r = Reader::new(bytes);
    let count = match next(&mut r)? {
        Item::Array(0) => return Err(RecordsError::NoRecords),
        Item::Array(count) => count,
        other => {
            return Err(RecordsError::NotAnArray {
                found: other.kind(),
            })
        }
    };
    if count > limit as u64 {
        return Err(RecordsError::TooManyRecords { count, limit });
    }
    let mut records = Vec::with_capacity(count as usize);
    for index in 0..count as usize {
        let at = At {
            index,
            offset: r.position(),
        };
        let parsed = record(&mut r, at).map_err(|e| match e {
            RecordsError::Cbor { offset, reason } => RecordsError::Cbor {
                offset,
                reason: format!("in record {index}: {reason}"),
            },
            other => other,
        })?;
        records.push(parsed);
    }
    if r.remaining() > 0 {
        return Err(RecordsError::TrailingBytes {
            offset: r.position(),
            extra: r.remaining(),
        });
    }
    Ok(records)
}

/// Reads a record's array header, id and type; returns the element count too.
fn head(r: &mut Reader<'_>, at: At) -> Result<(u64, CorrelationId, i128), RecordsError> {
    let len = match next(r)? {
        Item::Array(len) => len,
        other => {
            return Err(at.fail(RecordError::NotAnArray {
                found: other.kind(),
            }))
        }
    };
    if len < 2 {
        return Err(at.fail(RecordError::TooShort {
            found: len as usize,
        }));
    }
    let id = text(r, at, 0, "correlation id")?;
    let id = CorrelationId::new(id).map_err(|len| {
        at.fail(RecordError::IdTooLong {
            len,
            max: MAX_ID_LEN,
        })
    })?;
    let type_number = match next(r)? {
        Item::Int(t) => t,
        other => {
            return Err(at.fail(RecordError::FieldType {
                position: 1,
                field: "type",
                expected: "an integer",
                found: other.kind(),
            }))
        }
    };
    Ok((len, id, type_number))
}

fn arity(at: At, len: u64, type_number: u64, expected: usize) -> Result<(), RecordsError> {
    if len == expected as u64 {
        Ok(())
    } else {
        Err(at.fail(RecordError::Arity {
            type_number,
            expected,
            found: len as usize,
        }))
    }
}

fn text<'a>(
    r: &mut Reader<'a>,
    at: At,
    position: usize,
    field: &'static str,
) -> Result<&'a str, RecordsError> {
    match next(r)? {
        Item::Text(t) => Ok(t),
        other => Err(at.fail(RecordError::FieldType {
            position,
            field,
            expected: "a text string",
            found: other.kind(),
        })),
    }
}

fn uint32(
    r: &mut Reader<'_>,
    at: At,
    position: usize,
    field: &'static str,
) -> Result<u32, RecordsError> {
    match next(r)? {
        Item::Int(value) => u32::try_from(value).map_err(|_| {
            at.fail(RecordError::OutOfRange {
                position,
                field,
                value,
                max: u64::from(u32::MAX),
            })
        }),
        other => Err(at.fail(RecordError::FieldType {
            position,
            field,
            expected: "an unsigned integer",
            found: other.kind(),
        })),
    }
}

fn command(r: &mut Reader<'_>, at: At) -> Result<Command, RecordsError> {
    let (len, id, type_number) = head(r, at)?;
    match type_number {
        t if t == i128::from(TYPE_AT) => {
            arity(at, len, TYPE_AT, 5)?;
            let set_command = text(r, at, 2, "set_command")?.to_string();
            let parameters = text(r, at, 3, "parameters")?.to_string();
            let count = match next(r)? {
                Item::Array(count) => count,
                other => {
                    return Err(at.fail(RecordError::FieldType {
                        position: 4,
                        field: "ignore_cme",
                        expected: "an array of unsigned integers",
                        found: other.kind(),
                    }))
                }
            };
            if count > MAX_IGNORED_CME as u64 {
                return Err(at.fail(RecordError::TooManyIgnoredCme {
                    count: count as usize,
                    max: MAX_IGNORED_CME,
                }));
            }
            let ignore_cme = (0..count)
                .map(|_| uint32(r, at, 4, "ignore_cme entry"))
                .collect::<Result<_, _>>()?;
            Ok(Command::At {
                id,
                set_command,
                parameters,
                ignore_cme,
            })
        }
        t if t == i128::from(TYPE_CONFIG) => {
            arity(at, len, TYPE_CONFIG, 3)?;
            let count = match next(r)? {
                Item::Map(count) => count,
                other => {
                    return Err(at.fail(RecordError::FieldType {
                        position: 2,
                        field: "properties",
                        expected: "a map of text to text",
                        found: other.kind(),
                    }))
                }
            };
            if count > MAX_CONFIG_PAIRS as u64 {
                return Err(at.fail(RecordError::TooManyConfigPairs {
                    count: count as usize,
                    max: MAX_CONFIG_PAIRS,
                }));
            }
            let properties = (0..count)
                .map(|_| {
                    let key = text(r, at, 2, "property key")?.to_string();
                    let value = text(r, at, 2, "property value")?.to_string();
                    Ok((key, value))
                })
                .collect::<Result<_, RecordsError>>()?;
            Ok(Command::Config { id, properties })
        }
        t if t == i128::from(TYPE_FINISHED) => {
            arity(at, len, TYPE_FINISHED, 2)?;
            Ok(Command::Finished { id })
        }
        other => Err(at.fail(RecordError::UnknownType {
            type_number: other,
            expected: "0 (AT), 1 (config) or 2 (finished)",
        })),
    }
}

fn response(r: &mut Reader<'_>, at: At) -> Result<Response, RecordsError> {
    let (len, id, type_number) = head(r, at)?;
    match type_number {
        t if t == i128::from(TYPE_ERROR) => {
            arity(at, len, TYPE_ERROR, 4)?;
            let cme_error = uint32(r, at, 2, "cme_error")?;
            let message = text(r, at, 3, "message")?.to_string();
            Ok(Response::Error {
                id,
                cme_error,
                message,
            })
        }
        t if t == i128::from(TYPE_AT_OK) => {
            arity(at, len, TYPE_AT_OK, 3)?;
            let message = text(r, at, 2, "message")?.to_string();
            Ok(Response::AtOk { id, message })
        }
        t if t == i128::from(TYPE_CONFIG_ACK) => {
            arity(at, len, TYPE_CONFIG_ACK, 2)?;
            Ok(Response::ConfigAck { id })
        }
        t if t == i128::from(TYPE_FINISHED_ACK) => {
            arity(at, len, TYPE_FINISHED_ACK, 2)?;
            Ok(Response::FinishedAck { id })
        }
        other => Err(at.fail(RecordError::UnknownType {
            type_number: other,
            expected: "99 (error), 100 (AT ok), 101 (config ack) or 102 (finished ack)",
        })),
    }
}
