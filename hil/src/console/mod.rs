//! The console driver: the sample firmware's Zephyr shell over a byte stream (a serial port
//! opened with DTR, an in-memory pipe or a PTY in tests), with a byte-exact capture of the
//! session, run markers, per-command deadlines and typed errors.
//!
//! * [`ByteStream`]: the stream; [`SerialStream`] on a real port, [`pipe`] in memory.
//! * [`Capture`]: every byte read, stamped per line, to a capture file.
//! * [`Console`]: prompt and echo handling, `at` (quoted for the AT shell),
//!   `nrf_provisioning now|token|uuid|interval`, run markers, live decoding.

mod capture;
mod error;
mod quote;
mod serial;
mod shell;
mod stream;

pub use capture::{
    escape, format_line, parse as parse_capture, unescape, Capture, CaptureLine, CaptureParseError,
};
pub use error::{ConsoleError, StreamError};
pub use quote::{at_line, QuoteError};
pub use serial::{SerialSettings, SerialStream};
pub use shell::{AtReply, AtResult, Console, ConsoleConfig, Reply};
pub use stream::{pipe, ByteStream, PipeEnd};
