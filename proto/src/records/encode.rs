//! Canonical encoding of command and response bodies.
//!
//! Definite lengths and the shortest integer forms throughout, so that the bytes equal
//! what the nRF Connect SDK's encoder produces. Encoding refuses bodies that the decoder
//! would reject, so nothing this crate emits fails on the other side.

use super::error::{RecordError, RecordsError};
use super::types::{Command, Response};
use super::{MAX_CONFIG_PAIRS, MAX_IGNORED_CME};
use crate::cbor::Writer;

/// Encodes server → device commands as one body.
pub fn encode_commands(commands: &[Command]) -> Result<Vec<u8>, RecordsError> {
    if commands.is_empty() {
        return Err(RecordsError::NoRecords);
    }
    let mut w = Writer::new();
    w.array(commands.len());
    for (index, command) in commands.iter().enumerate() {
        write_command(&mut w, command).map_err(|error| at(index, error))?;
    }
    Ok(w.into_bytes())
}

/// Encodes device → server responses as one body.
pub fn encode_responses(responses: &[Response]) -> Result<Vec<u8>, RecordsError> {
    if responses.is_empty() {
        return Err(RecordsError::NoRecords);
    }
    let mut w = Writer::new();
    w.array(responses.len());
    for response in responses {
        write_response(&mut w, response);
    }
    Ok(w.into_bytes())
}

/// Bytes one command adds to a body (excluding the top-level array header), so that a
/// sender can fill a batch up to a receiver's size limit.
pub fn encoded_command_len(command: &Command) -> Result<usize, RecordError> {
    let mut w = Writer::new();
    write_command(&mut w, command)?;
    Ok(w.into_bytes().len())
}

/// Bytes one response adds to a body (excluding the top-level array header).
pub fn encoded_response_len(response: &Response) -> usize {
    let mut w = Writer::new();
    write_response(&mut w, response);
    w.into_bytes().len()
}

/// Blames an encoding refusal on the record at `index`.
fn at(index: usize, error: RecordError) -> RecordsError {
    RecordsError::Record {
        index,
        offset: 0,
        error,
    }
}

/// Writes one command record, after checking the limits the decoder enforces.
fn write_command(w: &mut Writer, command: &Command) -> Result<(), RecordError> {
    let (id, type_number) = (command.id().as_str(), command.type_number());
    match command {
        Command::At {
            set_command,
            parameters,
            ignore_cme,
            ..
        } => {
            if ignore_cme.len() > MAX_IGNORED_CME {
                return Err(RecordError::TooManyIgnoredCme {
                    count: ignore_cme.len(),
                    max: MAX_IGNORED_CME,
                });
            }
            w.array(5).text(id).uint(type_number);
            w.text(set_command).text(parameters).array(ignore_cme.len());
            for code in ignore_cme {
                w.uint(u64::from(*code));
            }
        }
        Command::Config { properties, .. } => {
            if properties.len() > MAX_CONFIG_PAIRS {
                return Err(RecordError::TooManyConfigPairs {
                    count: properties.len(),
                    max: MAX_CONFIG_PAIRS,
                });
            }
            w.array(3).text(id).uint(type_number).map(properties.len());
            for (key, value) in properties {
                w.text(key).text(value);
            }
        }
        Command::Finished { .. } => {
            w.array(2).text(id).uint(type_number);
        }
    }
    Ok(())
}

/// Writes one response record.
fn write_response(w: &mut Writer, response: &Response) {
    let (id, type_number) = (response.id().as_str(), response.type_number());
    match response {
        Response::Error {
            cme_error, message, ..
        } => {
            w.array(4).text(id).uint(type_number);
            w.uint(u64::from(*cme_error)).text(message);
        }
        Response::AtOk { message, .. } => {
            w.array(3).text(id).uint(type_number).text(message);
        }
        Response::ConfigAck { .. } | Response::FinishedAck { .. } => {
            w.array(2).text(id).uint(type_number);
        }
    }
}
