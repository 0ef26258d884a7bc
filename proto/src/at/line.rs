//! Host → modem line discipline: turns a byte stream into complete AT command lines.
//!
//! Rules (from the project's modem spec, `modem.md`, "Line discipline"):
//!
//! * Outside double quotes, CR, LF or NUL ends the command; the terminator is not part of
//!   the line. Empty commands (e.g. the second half of a CRLF) are ignored.
//! * Every `"` toggles the "inside quotes" state. Inside quotes, CR, LF and NUL are data, so a
//!   multi-line PEM certificate travels inside one `AT%CMNG=0,...,"<pem>"` command.
//! * Lines are bounded by a maximum length chosen at construction. A longer line yields one
//!   [`LineError::TooLong`] event; the rest of that line is discarded up to its terminator
//!   (outside quotes, so the quote state keeps being tracked while discarding), and assembly
//!   then continues normally. The bound also covers an unterminated quote followed by a flood
//!   of newlines: those are data, so they count against the limit and are discarded.
//! * No byte is interpreted otherwise (no backspace editing, no echo): lines are bytes, and
//!   UTF-8 is checked only when a line is parsed (see [`crate::at::AtCommand::parse_bytes`]).

/// Default maximum command length in bytes: 8 KiB.
///
/// Large enough for the longest command of provisioning, a `%CMNG=0` write of a PEM
/// certificate of up to about 4 KiB plus its command prefix, with a wide margin (PEM with
/// CRLF line endings grows by about 1/64).
pub const DEFAULT_MAX_LINE_LEN: usize = 8192;

/// Why a command line was dropped by the [`LineAssembler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum LineError {
    /// The line grew past the limit; it was dropped and the rest of it, up to its terminator,
    /// is discarded.
    #[error("command line longer than {limit} bytes: dropped, and discarded up to its terminator")]
    TooLong {
        /// The maximum line length in force, in bytes.
        limit: usize,
    },
}

/// What the [`LineAssembler`] produced from the bytes pushed into it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LineEvent {
    /// A complete, non-empty command line, without its terminator.
    Line(Vec<u8>),
    /// A line was dropped (reported once per dropped line).
    Error(LineError),
}

/// Assembles bytes from the host into complete AT command lines (see the module docs).
///
/// Sans-IO: the caller pushes whatever it read and handles the returned events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineAssembler {
    buf: Vec<u8>,
    max_len: usize,
    in_quotes: bool,
    discarding: bool,
}

impl Default for LineAssembler {
    fn default() -> Self {
        Self::new()
    }
}

impl LineAssembler {
    /// An assembler with the default limit, [`DEFAULT_MAX_LINE_LEN`].
    pub fn new() -> Self {
        Self::with_max_len(DEFAULT_MAX_LINE_LEN)
    }

    /// An assembler whose lines may hold at most `max_len` bytes (terminator excluded).
    ///
    /// A limit of 0 rejects every non-empty line.
    pub fn with_max_len(max_len: usize) -> Self {
        LineAssembler {
            buf: Vec::new(),
            max_len,
            in_quotes: false,
            discarding: false,
        }
    }

    /// The maximum line length in bytes.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Whether the bytes seen so far leave the current line inside a double-quoted string
    /// (where CR, LF and NUL do not end the command).
    pub fn in_quotes(&self) -> bool {
        self.in_quotes
    }

    /// Whether the assembler is discarding the rest of an over-long line.
    pub fn is_discarding(&self) -> bool {
        self.discarding
    }

    /// The bytes of the incomplete current line (empty while discarding).
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Forgets the incomplete current line and the quote state, e.g. after a reconnect.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.in_quotes = false;
        self.discarding = false;
    }

    /// Feeds bytes as they were read and returns the events they complete, in order.
    ///
    /// Splitting the same bytes differently across calls yields the same events.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<LineEvent> {
        bytes.iter().filter_map(|&b| self.push_byte(b)).collect()
    }

    /// Feeds one byte; returns the event it completes, if any.
    pub fn push_byte(&mut self, byte: u8) -> Option<LineEvent> {
        if !self.in_quotes && is_terminator(byte) {
            if self.discarding {
                self.discarding = false;
                return None;
            }
            if self.buf.is_empty() {
                return None;
            }
            return Some(LineEvent::Line(std::mem::take(&mut self.buf)));
        }
        if byte == b'"' {
            self.in_quotes = !self.in_quotes;
        }
        if self.discarding {
            return None;
        }
        if self.buf.len() >= self.max_len {
            self.buf = Vec::new();
            self.discarding = true;
            return Some(LineEvent::Error(LineError::TooLong {
                limit: self.max_len,
            }));
        }
        self.buf.push(byte);
        None
    }
}

/// CR, LF and NUL end a command when they appear outside quotes.
pub(crate) fn is_terminator(byte: u8) -> bool {
    matches!(byte, b'\r' | b'\n' | 0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn lines(events: &[LineEvent]) -> Vec<&[u8]> {
        events
            .iter()
            .filter_map(|e| match e {
                LineEvent::Line(l) => Some(l.as_slice()),
                LineEvent::Error(_) => None,
            })
            .collect()
    }

    #[test]
    fn crlf_ends_a_command_once() {
        let mut a = LineAssembler::new();
        let ev = a.push(b"AT\r\nAT+CGSN\r\n");
        assert_eq!(lines(&ev), vec![&b"AT"[..], &b"AT+CGSN"[..]]);
        assert_eq!(ev.len(), 2);
    }

    #[test]
    fn quoted_newlines_are_data() {
        let mut a = LineAssembler::new();
        let ev = a.push(b"AT%CMNG=0,1,0,\"a\r\nb\"\r\n");
        assert_eq!(lines(&ev), vec![&b"AT%CMNG=0,1,0,\"a\r\nb\""[..]]);
        assert!(!a.in_quotes());
    }

    #[test]
    fn nul_terminates_outside_quotes_only() {
        let mut a = LineAssembler::new();
        let ev = a.push(b"AT\0AT+X=\"\0\"\0");
        assert_eq!(lines(&ev), vec![&b"AT"[..], &b"AT+X=\"\0\""[..]]);
    }

    #[test]
    fn too_long_is_reported_once_and_recovers() {
        let mut a = LineAssembler::with_max_len(4);
        let ev = a.push(b"ATABCDEFG\r\nAT\r\n");
        assert_eq!(
            ev,
            vec![
                LineEvent::Error(LineError::TooLong { limit: 4 }),
                LineEvent::Line(b"AT".to_vec()),
            ]
        );
    }

    #[test]
    fn exactly_max_len_is_accepted() {
        let mut a = LineAssembler::with_max_len(4);
        assert_eq!(a.push(b"ATAB\n"), vec![LineEvent::Line(b"ATAB".to_vec())]);
    }

    #[test]
    fn discarding_tracks_quotes() {
        let mut a = LineAssembler::with_max_len(3);
        // The CRLF inside the quotes does not end the discarded line.
        let ev = a.push(b"AT+X=\"\r\n\"\r\nAT\r\n");
        assert_eq!(
            ev,
            vec![
                LineEvent::Error(LineError::TooLong { limit: 3 }),
                LineEvent::Line(b"AT".to_vec()),
            ]
        );
    }

    #[test]
    fn reset_forgets_state() {
        let mut a = LineAssembler::new();
        a.push(b"AT+X=\"abc");
        assert!(a.in_quotes());
        assert_eq!(a.pending(), b"AT+X=\"abc");
        a.reset();
        assert!(!a.in_quotes());
        assert!(a.pending().is_empty());
        assert_eq!(a.push(b"AT\r"), vec![LineEvent::Line(b"AT".to_vec())]);
    }
}
