//! The AT line discipline between a host and the nRF91 modem, sans-IO.
//!
//! * [`line`](mod@line): host → modem byte stream to command lines ([`LineAssembler`]);
//!   CR, LF or NUL outside quotes end a command, quoted CR/LF are data, lines are bounded.
//! * [`command`]: one line to an [`AtCommand`] (`AT`, `AT<name>`, `AT<name>?`,
//!   `AT<name>=?`, `AT<name>=<params>`) with split, typed parameters, and back to text.
//! * [`answer`]: modem → host framing: an [`Answer`] (info lines + one [`FinalResult`]) is
//!   rendered as the modem sends it, and assembled back from bytes by the [`AnswerParser`].
//! * [`cme`]: the `+CME ERROR` codes, named in one place ([`CmeCode`]).
//!
//! Typical modem-side loop: push the bytes read into a [`LineAssembler`], parse each
//! [`LineEvent::Line`] with [`AtCommand::parse_bytes`], answer `ERROR` to anything that does
//! not parse, and write [`Answer::render`] with the current CMEE setting.

pub mod answer;
pub mod cme;
pub mod command;
pub mod line;

pub use answer::{
    Answer, AnswerError, AnswerEvent, AnswerParser, FinalResult, FramingError,
    DEFAULT_MAX_ANSWER_LEN,
};
pub use cme::CmeCode;
pub use command::{split_params, AtCommand, AtParam, AtParseError, CommandKind, ParamError};
pub use line::{LineAssembler, LineError, LineEvent, DEFAULT_MAX_LINE_LEN};
