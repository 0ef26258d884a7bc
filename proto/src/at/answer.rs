//! Modem → host framing: an answer is information lines followed by exactly one final line.
//!
//! On the wire every line is its text followed by `\r\n`; there is no leading blank line and
//! no echo (nRF91 in AT mode). The final line is `OK`, `ERROR`, or `+CME ERROR: <n>`; the
//! numeric form is only sent after `AT+CMEE=1`, plain `ERROR` otherwise
//! ([`Answer::render`] takes the CMEE flag).
//!
//! The host side ([`AnswerParser`]) assembles bytes into lines and yields one event per final
//! line. An information line may carry a quoted value spanning several physical lines (a PEM
//! certificate read back with `%CMNG=2`): a line whose double quotes are unbalanced continues
//! over the next CR/LF, exactly like the host → modem line discipline.

use std::fmt;

/// Default bound on one answer on the host side: 32 KiB.
///
/// The largest answers of provisioning are a `%CMNG=2` read of a ~4 KiB certificate and a
/// `%CMNG=1` listing of every stored credential; the device library itself gives up above
/// 4 KiB.
pub const DEFAULT_MAX_ANSWER_LEN: usize = 32 * 1024;

/// Longest final line the over-long recovery needs to recognise (`+CME ERROR: 65535` plus CR).
const PROBE_LEN: usize = 32;

/// The final result line of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FinalResult {
    /// `OK`.
    Ok,
    /// `ERROR`.
    Error,
    /// `+CME ERROR: <n>` (see [`crate::at::cme`] for the numbers).
    CmeError(u16),
}

impl FinalResult {
    /// Whether the command succeeded.
    pub fn is_ok(&self) -> bool {
        matches!(self, FinalResult::Ok)
    }

    /// The CME code, for a `+CME ERROR`.
    pub fn cme_code(&self) -> Option<u16> {
        match self {
            FinalResult::CmeError(code) => Some(*code),
            _ => None,
        }
    }

    /// The final line's text without terminator; a CME error is plain `ERROR` unless `cmee`.
    pub fn line(&self, cmee: bool) -> String {
        match self {
            FinalResult::Ok => "OK".to_owned(),
            FinalResult::CmeError(code) if cmee => format!("+CME ERROR: {code}"),
            FinalResult::Error | FinalResult::CmeError(_) => "ERROR".to_owned(),
        }
    }

    /// Classifies one line (without terminator): `None` if it is not a final line,
    /// `Some(Err(_))` if it starts with `+CME ERROR:` but has no valid code.
    ///
    /// Accepts `OK`, `ERROR` and `+CME ERROR:` followed by optional spaces and a decimal
    /// code of at most 65535. Matching is exact (case-sensitive, no surrounding spaces).
    pub fn parse_line(line: &str) -> Option<Result<FinalResult, AnswerError>> {
        match line {
            "OK" => Some(Ok(FinalResult::Ok)),
            "ERROR" => Some(Ok(FinalResult::Error)),
            _ => {
                let code = line.strip_prefix("+CME ERROR:")?.trim_start_matches(' ');
                let valid = !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit());
                Some(
                    valid
                        .then(|| code.parse().ok())
                        .flatten()
                        .map(FinalResult::CmeError)
                        .ok_or_else(|| AnswerError::BadCme {
                            line: line.to_owned(),
                        }),
                )
            }
        }
    }
}

impl fmt::Display for FinalResult {
    /// The CMEE=1 form of the final line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line(true))
    }
}

/// A complete modem answer: information lines, then the final result.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Answer {
    /// Information lines, without their `\r\n` (a quoted value may contain CR/LF).
    pub info: Vec<String>,
    /// The final result line.
    pub result: FinalResult,
}

/// Why an [`Answer`] cannot be framed so that the host side parses it back the same.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
pub enum FramingError {
    /// An empty information line (the host side skips empty lines).
    #[error("info line {index} (0-based) is empty; the host side skips empty lines")]
    EmptyLine {
        /// 0-based info line index.
        index: usize,
    },
    /// An information line that reads as a final result line.
    #[error("info line {index} (0-based) {line:?} would be read as a final result line")]
    LooksFinal {
        /// 0-based info line index.
        index: usize,
        /// The line.
        line: String,
    },
    /// CR or LF outside double quotes inside an information line.
    #[error("info line {index} (0-based) has CR or LF outside quotes at byte offset {offset}")]
    Terminator {
        /// 0-based info line index.
        index: usize,
        /// Byte offset within the line.
        offset: usize,
    },
    /// An information line that leaves a double quote open.
    #[error("info line {index} (0-based) leaves a double quote open")]
    UnbalancedQuote {
        /// 0-based info line index.
        index: usize,
    },
}

impl Answer {
    /// An answer from its parts.
    pub fn new(info: Vec<String>, result: FinalResult) -> Self {
        Answer { info, result }
    }

    /// A bare `OK`.
    pub fn ok() -> Self {
        Self::new(Vec::new(), FinalResult::Ok)
    }

    /// A bare `ERROR`.
    pub fn error() -> Self {
        Self::new(Vec::new(), FinalResult::Error)
    }

    /// A bare `+CME ERROR: <code>` (accepts a [`crate::at::CmeCode`] or a number).
    pub fn cme(code: impl Into<u16>) -> Self {
        Self::new(Vec::new(), FinalResult::CmeError(code.into()))
    }

    /// The same answer with one more information line appended.
    pub fn with_info(mut self, line: impl Into<String>) -> Self {
        self.info.push(line.into());
        self
    }

    /// The bytes the modem sends: each info line plus `\r\n`, then the final line plus
    /// `\r\n`. With `cmee == false` a CME error is sent as plain `ERROR`.
    pub fn render(&self, cmee: bool) -> String {
        let mut out = self.response_text();
        out.push_str(&self.result.line(cmee));
        out.push_str("\r\n");
        out
    }

    /// The response text: exactly the bytes the modem sends before the final line, i.e. the
    /// concatenation of `<line>\r\n` for every info line (empty for a bare `OK`).
    ///
    /// Note: the device library stores the whole `nrf_modem_at_cmd` buffer, and that buffer
    /// also ends with the final line (the SDK's `modem_key_mgmt_exists` compares its length
    /// with `strlen("OK\r\n")`). A client that must match a real device byte for byte should
    /// use [`Answer::render`] (or the raw text from [`AnswerEvent::Complete`]) instead.
    pub fn response_text(&self) -> String {
        let mut out = String::new();
        for line in &self.info {
            out.push_str(line);
            out.push_str("\r\n");
        }
        out
    }

    /// Checks that [`Answer::render`] output parses back to this answer: no empty info line,
    /// none that reads as a final line, no CR/LF outside quotes and balanced quotes.
    pub fn validate(&self) -> Result<(), FramingError> {
        for (index, line) in self.info.iter().enumerate() {
            if line.is_empty() {
                return Err(FramingError::EmptyLine { index });
            }
            if FinalResult::parse_line(line).is_some() {
                return Err(FramingError::LooksFinal {
                    index,
                    line: line.clone(),
                });
            }
            let mut in_quotes = false;
            for (offset, b) in line.bytes().enumerate() {
                match b {
                    b'"' => in_quotes = !in_quotes,
                    b'\r' | b'\n' if !in_quotes => {
                        return Err(FramingError::Terminator { index, offset })
                    }
                    _ => {}
                }
            }
            if in_quotes {
                return Err(FramingError::UnbalancedQuote { index });
            }
        }
        Ok(())
    }
}

/// Why the host side could not deliver an answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
pub enum AnswerError {
    /// The answer grew past the limit; it was discarded up to the next final line.
    #[error("modem answer longer than {limit} bytes: discarded up to its final result line")]
    TooLong {
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// An information line is not UTF-8.
    #[error(
        "info line {line} (0-based) of the modem answer is not valid UTF-8: \
         invalid byte at offset {offset}"
    )]
    NotUtf8 {
        /// 0-based info line index.
        line: usize,
        /// Byte offset of the first invalid byte within that line.
        offset: usize,
    },
    /// A `+CME ERROR:` line without a valid code.
    #[error(
        "final result line {line:?} has no valid CME code; expected `+CME ERROR: <0..=65535>`"
    )]
    BadCme {
        /// The line.
        line: String,
    },
}

/// What the [`AnswerParser`] produced; exactly one event per final result line received.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AnswerEvent {
    /// A complete, well-formed answer.
    Complete {
        /// The parsed answer.
        answer: Answer,
        /// Every byte received for this answer, from the end of the previous answer through
        /// the final line's `\r\n` (so it includes skipped empty lines, and anything
        /// unsolicited the modem sent in between).
        raw: String,
    },
    /// An answer ended (its final line arrived) but could not be delivered.
    Malformed(AnswerError),
}

/// Host side: assembles the modem's bytes into lines and answers (see the module docs).
///
/// Lines end at LF outside double quotes; a CR right before that LF is part of the
/// terminator, and empty lines are skipped. Bounded: once an answer exceeds the limit, its
/// bytes are dropped, and the parser, ignoring quotes, waits for the next final line, for
/// which it reports [`AnswerError::TooLong`]. That also recovers from a stray unbalanced quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerParser {
    max_len: usize,
    raw: Vec<u8>,
    line_start: usize,
    in_quotes: bool,
    info: Vec<String>,
    poison: Option<AnswerError>,
    discarding: bool,
    probe: Vec<u8>,
    probe_len: usize,
}

impl Default for AnswerParser {
    fn default() -> Self {
        Self::new()
    }
}

/// What one complete line turned out to be.
enum LineKind {
    Skip,
    Info(String),
    BadUtf8(usize),
    Final(Result<FinalResult, AnswerError>),
}

impl AnswerParser {
    /// A parser with the default bound, [`DEFAULT_MAX_ANSWER_LEN`].
    pub fn new() -> Self {
        Self::with_max_len(DEFAULT_MAX_ANSWER_LEN)
    }

    /// A parser that holds at most `max_len` bytes of one answer.
    pub fn with_max_len(max_len: usize) -> Self {
        AnswerParser {
            max_len,
            raw: Vec::new(),
            line_start: 0,
            in_quotes: false,
            info: Vec::new(),
            poison: None,
            discarding: false,
            probe: Vec::new(),
            probe_len: 0,
        }
    }

    /// The bound on one answer, in bytes.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Whether the current line is inside a double-quoted value.
    pub fn in_quotes(&self) -> bool {
        self.in_quotes
    }

    /// Whether bytes of an unfinished answer are held (or an over-long one is being skipped).
    pub fn has_partial(&self) -> bool {
        !self.raw.is_empty() || self.discarding
    }

    /// Forgets any partial answer, e.g. after a timeout or reconnect.
    pub fn reset(&mut self) {
        *self = Self::with_max_len(self.max_len);
    }

    /// Feeds bytes as they were read and returns the events they complete, in order.
    ///
    /// Splitting the same bytes differently across calls yields the same events.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<AnswerEvent> {
        bytes.iter().filter_map(|&b| self.push_byte(b)).collect()
    }

    /// Feeds one byte; returns the event it completes, if any.
    pub fn push_byte(&mut self, byte: u8) -> Option<AnswerEvent> {
        if !self.discarding && self.raw.len() >= self.max_len {
            self.start_discarding();
        }
        if self.discarding {
            return self.push_discarding(byte);
        }
        self.raw.push(byte);
        match byte {
            b'"' => {
                self.in_quotes = !self.in_quotes;
                None
            }
            b'\n' if !self.in_quotes => self.end_line(),
            _ => None,
        }
    }

    fn end_line(&mut self) -> Option<AnswerEvent> {
        let start = self.line_start;
        let mut end = self.raw.len().saturating_sub(1);
        if end > start && self.raw.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        self.line_start = self.raw.len();
        let kind = match self.raw.get(start..end) {
            None | Some([]) => LineKind::Skip,
            Some(line) => match std::str::from_utf8(line) {
                Err(e) => LineKind::BadUtf8(e.valid_up_to()),
                Ok(text) => match FinalResult::parse_line(text) {
                    Some(result) => LineKind::Final(result),
                    None => LineKind::Info(text.to_owned()),
                },
            },
        };
        match kind {
            LineKind::Skip => None,
            LineKind::Info(text) => {
                self.info.push(text);
                None
            }
            LineKind::BadUtf8(offset) => {
                if self.poison.is_none() {
                    self.poison = Some(AnswerError::NotUtf8 {
                        line: self.info.len(),
                        offset,
                    });
                }
                None
            }
            LineKind::Final(result) => Some(self.complete(result)),
        }
    }

    fn complete(&mut self, result: Result<FinalResult, AnswerError>) -> AnswerEvent {
        let raw = std::mem::take(&mut self.raw);
        let info = std::mem::take(&mut self.info);
        let poison = self.poison.take();
        self.line_start = 0;
        self.in_quotes = false;
        let result = match (poison, result) {
            (Some(err), _) | (None, Err(err)) => return AnswerEvent::Malformed(err),
            (None, Ok(result)) => result,
        };
        match String::from_utf8(raw) {
            Ok(raw) => AnswerEvent::Complete {
                answer: Answer { info, result },
                raw,
            },
            // Unreachable in practice (every non-empty line was checked), but never panic.
            Err(e) => AnswerEvent::Malformed(AnswerError::NotUtf8 {
                line: info.len(),
                offset: e.utf8_error().valid_up_to(),
            }),
        }
    }

    fn start_discarding(&mut self) {
        let partial = self.raw.get(self.line_start..).unwrap_or_default();
        self.probe = partial.iter().copied().take(PROBE_LEN).collect();
        self.probe_len = partial.len();
        self.raw = Vec::new();
        self.info = Vec::new();
        self.poison = None;
        self.line_start = 0;
        self.in_quotes = false;
        self.discarding = true;
    }

    fn push_discarding(&mut self, byte: u8) -> Option<AnswerEvent> {
        if byte != b'\n' {
            self.probe_len = self.probe_len.saturating_add(1);
            if self.probe.len() < PROBE_LEN {
                self.probe.push(byte);
            }
            return None;
        }
        let is_final = self.probe_len <= PROBE_LEN && {
            let line = self.probe.strip_suffix(b"\r").unwrap_or(&self.probe);
            std::str::from_utf8(line).is_ok_and(|t| FinalResult::parse_line(t).is_some())
        };
        self.probe.clear();
        self.probe_len = 0;
        if !is_final {
            return None;
        }
        self.discarding = false;
        Some(AnswerEvent::Malformed(AnswerError::TooLong {
            limit: self.max_len,
        }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn complete(ev: &AnswerEvent) -> &Answer {
        match ev {
            AnswerEvent::Complete { answer, .. } => answer,
            other => panic!("expected a complete answer, got {other:?}"),
        }
    }

    #[test]
    fn render_frames_every_line() {
        let a = Answer::ok().with_info("+CGSN: \"352656100000001\"");
        assert_eq!(a.render(true), "+CGSN: \"352656100000001\"\r\nOK\r\n");
        assert_eq!(a.response_text(), "+CGSN: \"352656100000001\"\r\n");
        assert_eq!(Answer::cme(513u16).render(true), "+CME ERROR: 513\r\n");
        assert_eq!(Answer::cme(513u16).render(false), "ERROR\r\n");
        assert_eq!(Answer::error().render(true), "ERROR\r\n");
    }

    #[test]
    fn final_lines() {
        assert_eq!(FinalResult::parse_line("OK"), Some(Ok(FinalResult::Ok)));
        assert_eq!(
            FinalResult::parse_line("+CME ERROR: 518"),
            Some(Ok(FinalResult::CmeError(518)))
        );
        assert_eq!(
            FinalResult::parse_line("+CME ERROR:7"),
            Some(Ok(FinalResult::CmeError(7)))
        );
        assert!(matches!(
            FinalResult::parse_line("+CME ERROR: 70000"),
            Some(Err(AnswerError::BadCme { .. }))
        ));
        assert!(matches!(
            FinalResult::parse_line("+CME ERROR: not found"),
            Some(Err(AnswerError::BadCme { .. }))
        ));
        assert_eq!(FinalResult::parse_line("ok"), None);
        assert_eq!(FinalResult::parse_line("+CGSN: 1"), None);
    }

    #[test]
    fn parser_handles_multiline_quotes() {
        let wire = "%CMNG: 1,0,\"AB\",\"-----BEGIN\nx\n-----END\n\"\r\nOK\r\n";
        let ev = AnswerParser::new().push(wire.as_bytes());
        assert_eq!(ev.len(), 1);
        let a = complete(&ev[0]);
        assert_eq!(
            a.info,
            vec!["%CMNG: 1,0,\"AB\",\"-----BEGIN\nx\n-----END\n\""]
        );
        assert_eq!(a.result, FinalResult::Ok);
        assert!(matches!(&ev[0], AnswerEvent::Complete { raw, .. } if raw == wire));
    }

    #[test]
    fn over_long_answer_recovers() {
        let mut p = AnswerParser::with_max_len(16);
        let ev = p.push(b"0123456789abcdefghij\r\nmore\r\nOK\r\nX\r\nOK\r\n");
        assert_eq!(ev.len(), 2);
        assert_eq!(
            ev[0],
            AnswerEvent::Malformed(AnswerError::TooLong { limit: 16 })
        );
        assert_eq!(complete(&ev[1]).info, vec!["X"]);
    }

    #[test]
    fn over_long_while_final_line_is_partial() {
        // The limit is hit in the middle of the final line itself.
        let mut p = AnswerParser::with_max_len(5);
        let ev = p.push(b"abc\r\nOK\r\n");
        assert_eq!(
            ev,
            vec![AnswerEvent::Malformed(AnswerError::TooLong { limit: 5 })]
        );
        assert!(!p.has_partial());
    }

    #[test]
    fn bad_utf8_poisons_only_its_answer() {
        let mut p = AnswerParser::new();
        let ev = p.push(b"a\r\n\xff\r\nOK\r\nOK\r\n");
        assert_eq!(
            ev[0],
            AnswerEvent::Malformed(AnswerError::NotUtf8 { line: 1, offset: 0 })
        );
        assert_eq!(complete(&ev[1]), &Answer::ok());
    }

    #[test]
    fn validate_rejects_unframeable_lines() {
        assert!(Answer::ok().with_info("x").validate().is_ok());
        assert!(Answer::ok().with_info("\"a\r\nb\"").validate().is_ok());
        assert_eq!(
            Answer::ok().with_info("").validate(),
            Err(FramingError::EmptyLine { index: 0 })
        );
        assert!(matches!(
            Answer::ok().with_info("OK").validate(),
            Err(FramingError::LooksFinal { index: 0, .. })
        ));
        assert_eq!(
            Answer::ok().with_info("a\nb").validate(),
            Err(FramingError::Terminator {
                index: 0,
                offset: 1
            })
        );
        assert_eq!(
            Answer::ok().with_info("\"a").validate(),
            Err(FramingError::UnbalancedQuote { index: 0 })
        );
    }
}
