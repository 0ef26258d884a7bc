//! The console driver's errors.

use std::time::Duration;

/// Why a byte stream failed.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The port is gone (USB unplugged, board powered off, peer closed).
    #[error("the serial port vanished: {0}")]
    Vanished(String),
    /// The port could not be opened or set up (DTR/RTS, baud rate).
    #[error("cannot set up the serial port {port}: {reason}")]
    Setup {
        /// The port's path.
        port: String,
        /// What failed.
        reason: String,
    },
}

/// Why a console operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The port vanished while reading or writing.
    #[error("console port vanished during {during}: {source}")]
    PortVanished {
        /// What the driver was doing.
        during: String,
        /// The stream's error.
        #[source]
        source: StreamError,
    },
    /// A command (or a wait) did not finish in time.
    #[error("`{command}` timed out after {waited:?}; received: {received:?}")]
    Timeout {
        /// The command typed, or what was waited for.
        command: String,
        /// How long the driver waited.
        waited: Duration,
        /// The text received meanwhile (escape sequences removed).
        received: String,
    },
    /// The device answered something the command does not allow.
    #[error("`{command}`: unexpected answer ({why}): {received:?}")]
    UnexpectedAnswer {
        /// The command typed.
        command: String,
        /// What is wrong with it.
        why: String,
        /// The answer's lines.
        received: String,
    },
    /// The command cannot be typed into the shell.
    #[error("cannot type `{command}`: {why}")]
    InvalidCommand {
        /// The command.
        command: String,
        /// Why not.
        why: String,
    },
    /// The capture file could not be written.
    #[error("capture file: {0}")]
    Capture(#[from] std::io::Error),
}
