//! Canonical encoding of command and response bodies.
//!
//! Definite lengths and the shortest integer forms throughout, so that the bytes equal
//! what the nRF Connect SDK's encoder produces. Encoding refuses bodies that the decoder
//! would reject, so nothing this crate emits fails on the other side.

use ciborium::value::Value;

use super::error::{RecordError, RecordsError};
use super::types::{Command, Response};
use super::{MAX_CONFIG_PAIRS, MAX_IGNORED_CME};

/// Encodes server → device commands as one body.
pub fn encode_commands(commands: &[Command]) -> Result<Vec<u8>, RecordsError> {
    if commands.is_empty() {
        return Err(RecordsError::NoRecords);
    }
    let records = commands
        .iter()
        .enumerate()
        .map(|(index, command)| command_value(command).map_err(|error| at(index, error)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(to_bytes(&Value::Array(records)))
}

/// Encodes device → server responses as one body.
pub fn encode_responses(responses: &[Response]) -> Result<Vec<u8>, RecordsError> {
    if responses.is_empty() {
        return Err(RecordsError::NoRecords);
    }
    let records = responses.iter().map(response_value).collect();
    Ok(to_bytes(&Value::Array(records)))
}

/// Bytes one command adds to a body (excluding the top-level array header), so that a
/// sender can fill a batch up to a receiver's size limit.
pub fn encoded_command_len(command: &Command) -> Result<usize, RecordError> {
    Ok(to_bytes(&command_value(command)?).len())
}

/// Bytes one response adds to a body (excluding the top-level array header).
pub fn encoded_response_len(response: &Response) -> usize {
    to_bytes(&response_value(response)).len()
}

fn at(index: usize, error: RecordError) -> RecordsError {
    RecordsError::Record {
        index,
        offset: 0,
        error,
    }
}

fn to_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail, and a Value tree holds nothing unserialisable.
    if ciborium::ser::into_writer(value, &mut out).is_err() {
        out.clear();
    }
    out
}

fn id_and_type(id: &str, type_number: u64) -> [Value; 2] {
    [
        Value::Text(id.to_string()),
        Value::Integer(type_number.into()),
    ]
}

fn command_value(command: &Command) -> Result<Value, RecordError> {
    let mut items = id_and_type(command.id().as_str(), command.type_number()).to_vec();
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
            items.push(Value::Text(set_command.clone()));
            items.push(Value::Text(parameters.clone()));
            items.push(Value::Array(
                ignore_cme
                    .iter()
                    .map(|c| Value::Integer((*c).into()))
                    .collect(),
            ));
        }
        Command::Config { properties, .. } => {
            if properties.len() > MAX_CONFIG_PAIRS {
                return Err(RecordError::TooManyConfigPairs {
                    count: properties.len(),
                    max: MAX_CONFIG_PAIRS,
                });
            }
            items.push(Value::Map(
                properties
                    .iter()
                    .map(|(k, v)| (Value::Text(k.clone()), Value::Text(v.clone())))
                    .collect(),
            ));
        }
        Command::Finished { .. } => {}
    }
    Ok(Value::Array(items))
}

fn response_value(response: &Response) -> Value {
    let mut items = id_and_type(response.id().as_str(), response.type_number()).to_vec();
    match response {
        Response::Error {
            cme_error, message, ..
        } => {
            items.push(Value::Integer((*cme_error).into()));
            items.push(Value::Text(message.clone()));
        }
        Response::AtOk { message, .. } => items.push(Value::Text(message.clone())),
        Response::ConfigAck { .. } | Response::FinishedAck { .. } => {}
    }
    Value::Array(items)
}
