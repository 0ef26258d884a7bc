//! The typed records and their one-line human-readable form.

use std::fmt;

use super::MAX_ID_LEN;

/// A correlation id: text of at most [`MAX_ID_LEN`] bytes that ties a response to its command
/// (e.g. `9685ef84-8cac-4257-b5cc-94bc416a1c1d.d`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CorrelationId(String);

impl CorrelationId {
    /// Wraps `id`, refusing ids longer than the wire format allows (the length is returned).
    pub fn new(id: impl Into<String>) -> Result<Self, usize> {
        let id = id.into();
        if id.len() > MAX_ID_LEN {
            Err(id.len())
        } else {
            Ok(Self(id))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CorrelationId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A command the service sends to the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run `"AT" + set_command + "=" + parameters` on the modem (type 0).
    At {
        /// Correlation id.
        id: CorrelationId,
        /// The command name including its prefix character, e.g. `%KEYGEN`.
        set_command: String,
        /// The parameter text after `=`, verbatim.
        parameters: String,
        /// CME error codes that count as success for this command (at most six).
        ignore_cme: Vec<u32>,
    },
    /// Write each key/value pair into the device's settings store (type 1), in order.
    Config {
        /// Correlation id.
        id: CorrelationId,
        /// Full settings paths and their values, in wire order.
        properties: Vec<(String, String)>,
    },
    /// The configuration is complete (type 2).
    Finished {
        /// Correlation id.
        id: CorrelationId,
    },
}

impl Command {
    /// The command's correlation id.
    pub fn id(&self) -> &CorrelationId {
        match self {
            Command::At { id, .. } | Command::Config { id, .. } | Command::Finished { id } => id,
        }
    }

    /// The wire type number of this command.
    pub fn type_number(&self) -> u64 {
        match self {
            Command::At { .. } => super::TYPE_AT,
            Command::Config { .. } => super::TYPE_CONFIG,
            Command::Finished { .. } => super::TYPE_FINISHED,
        }
    }

    /// The AT command line the device runs for an AT command, without line terminator.
    pub fn at_line(&self) -> Option<String> {
        match self {
            Command::At {
                set_command,
                parameters,
                ..
            } => Some(format!("AT{set_command}={parameters}")),
            _ => None,
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::At {
                id,
                set_command,
                parameters,
                ignore_cme,
            } => {
                write!(
                    f,
                    "{id} AT {}",
                    escape(&format!("AT{set_command}={parameters}"))
                )?;
                if !ignore_cme.is_empty() {
                    write!(f, " ignore_cme={ignore_cme:?}")?;
                }
                Ok(())
            }
            Command::Config { id, properties } => {
                write!(f, "{id} CONFIG")?;
                for (k, v) in properties {
                    write!(f, " {}={}", escape(k), escape(v))?;
                }
                Ok(())
            }
            Command::Finished { id } => write!(f, "{id} FINISHED"),
        }
    }
}

/// A response the device sends for one executed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// The command failed (type 99); `cme_error` 0 means not a modem CME error.
    Error {
        /// Correlation id of the failed command.
        id: CorrelationId,
        /// The CME error code, 0, or a negative errno cast to `u32` for config failures.
        cme_error: u32,
        /// What went wrong, in the device's words.
        message: String,
    },
    /// An AT command succeeded (type 100); `message` is the modem's response text.
    AtOk {
        /// Correlation id of the command.
        id: CorrelationId,
        /// The modem's answer text.
        message: String,
    },
    /// A config command was stored (type 101).
    ConfigAck {
        /// Correlation id of the command.
        id: CorrelationId,
    },
    /// The finished command was acknowledged (type 102).
    FinishedAck {
        /// Correlation id of the command.
        id: CorrelationId,
    },
}

impl Response {
    /// The response's correlation id.
    pub fn id(&self) -> &CorrelationId {
        match self {
            Response::Error { id, .. }
            | Response::AtOk { id, .. }
            | Response::ConfigAck { id }
            | Response::FinishedAck { id } => id,
        }
    }

    /// The wire type number of this response.
    pub fn type_number(&self) -> u64 {
        match self {
            Response::Error { .. } => super::TYPE_ERROR,
            Response::AtOk { .. } => super::TYPE_AT_OK,
            Response::ConfigAck { .. } => super::TYPE_CONFIG_ACK,
            Response::FinishedAck { .. } => super::TYPE_FINISHED_ACK,
        }
    }

    /// Whether this response reports a failure.
    pub fn is_error(&self) -> bool {
        matches!(self, Response::Error { .. })
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Response::Error {
                id,
                cme_error,
                message,
            } => write!(f, "{id} ERROR cme={cme_error} message={}", escape(message)),
            Response::AtOk { id, message } => write!(f, "{id} AT_OK message={}", escape(message)),
            Response::ConfigAck { id } => write!(f, "{id} CONFIG_ACK"),
            Response::FinishedAck { id } => write!(f, "{id} FINISHED_ACK"),
        }
    }
}

/// Quotes text for a one-line display in the crate's one escape style.
fn escape(text: &str) -> String {
    crate::text::quote(text)
}
