//! Console bytes to text lines: VT100 sequences removed, the shell prompt recognised at the
//! start of a line (also when a log line is wrapped by its erase/redraw, `sample-console.md`
//! §1.3), CR dropped, LF ends a line. A clear-to-end-of-screen (`ESC [ J`) discards the
//! text on the current line, because the shell uses it to erase the prompt and a
//! half-typed command before it prints a log line and draws them again.

/// The default Zephyr UART shell prompt (`CONFIG_SHELL_PROMPT_UART`).
pub const DEFAULT_PROMPT: &str = "uart:~$ ";
/// The longest line kept whole; a longer run of bytes without LF is cut into lines of this
/// size, so garbage cannot grow memory without bound.
pub const MAX_LINE: usize = 64 * 1024;

/// One piece of console text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// The shell prompt was drawn at the start of line `line_no`.
    Prompt {
        /// 1-based line number (LF count before it, plus one).
        line_no: usize,
    },
    /// A finished line of text (without CR, LF and escape sequences).
    Line {
        /// 1-based line number.
        line_no: usize,
        /// The text (invalid UTF-8 replaced).
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Esc {
    None,
    Escape,
    Csi,
}

/// Turns a console byte stream into [`Token`]s, incrementally.
#[derive(Debug, Clone)]
pub struct LineAssembler {
    prompt: Vec<u8>,
    partial: Vec<u8>,
    esc: Esc,
    line_no: usize,
}

impl Default for LineAssembler {
    fn default() -> Self {
        Self::new(DEFAULT_PROMPT)
    }
}

impl LineAssembler {
    /// An assembler that recognises `prompt` (normally [`DEFAULT_PROMPT`]).
    pub fn new(prompt: &str) -> Self {
        LineAssembler {
            prompt: prompt.as_bytes().to_vec(),
            partial: Vec::new(),
            esc: Esc::None,
            line_no: 1,
        }
    }

    /// The number of the line being assembled.
    pub fn line_no(&self) -> usize {
        self.line_no
    }

    /// The text of the unfinished line so far.
    pub fn partial(&self) -> String {
        String::from_utf8_lossy(&self.partial).into_owned()
    }

    /// Feeds bytes; returns the tokens they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Token> {
        let mut out = Vec::new();
        for &b in bytes {
            self.byte(b, &mut out);
        }
        out
    }

    /// Ends the stream: the unfinished line, if any, becomes a line.
    pub fn finish(&mut self) -> Vec<Token> {
        let mut out = Vec::new();
        if !self.partial.is_empty() {
            self.emit_line(&mut out);
        }
        self.esc = Esc::None;
        out
    }

    fn byte(&mut self, b: u8, out: &mut Vec<Token>) {
        match self.esc {
            Esc::Escape => {
                self.esc = if b == b'[' { Esc::Csi } else { Esc::None };
                return;
            }
            Esc::Csi => {
                // Parameter and intermediate bytes continue; a final byte ends it.
                if (0x40..=0x7e).contains(&b) {
                    self.esc = Esc::None;
                    if b == b'J' {
                        self.partial.clear();
                    }
                } else if !(0x20..=0x3f).contains(&b) {
                    // Not a valid CSI: drop the sequence, keep the byte.
                    self.esc = Esc::None;
                    self.plain(b, out);
                }
                return;
            }
            Esc::None => {}
        }
        self.plain(b, out);
    }

    fn plain(&mut self, b: u8, out: &mut Vec<Token>) {
        match b {
            0x1b => self.esc = Esc::Escape,
            b'\n' => {
                self.emit_line(out);
                self.line_no += 1;
            }
            b'\t' => self.push(b, out),
            // CR, BS, DEL and other control bytes carry no text.
            0..=0x1f | 0x7f => {}
            _ => self.push(b, out),
        }
    }

    fn push(&mut self, b: u8, out: &mut Vec<Token>) {
        self.partial.push(b);
        if !self.prompt.is_empty() && self.partial == self.prompt {
            self.partial.clear();
            out.push(Token::Prompt {
                line_no: self.line_no,
            });
        } else if self.partial.len() >= MAX_LINE {
            self.emit_line(out);
        }
    }

    fn emit_line(&mut self, out: &mut Vec<Token>) {
        let text = String::from_utf8_lossy(&self.partial).into_owned();
        self.partial.clear();
        out.push(Token::Line {
            line_no: self.line_no,
            text,
        });
    }
}

/// Removes VT100 escape sequences (`ESC [ … final`, and two-byte `ESC x`) from `text`.
pub fn strip_vt100(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        if chars.next() == Some('[') {
            for c in chars.by_ref() {
                if ('\x40'..='\x7e').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(tokens: &[Token]) -> Vec<String> {
        tokens
            .iter()
            .map(|t| match t {
                Token::Prompt { .. } => "<prompt>".to_owned(),
                Token::Line { text, .. } => text.clone(),
            })
            .collect()
    }

    #[test]
    fn redraw_around_a_log_line() {
        let mut a = LineAssembler::default();
        let bytes = b"\x1b[1;32muart:~$ \x1b[m\x1b[8D\x1b[J[00:00:05.123,456] \x1b[0m<inf> mod: msg\x1b[0m\r\n\x1b[1;32muart:~$ \x1b[m";
        let t = a.feed(bytes);
        assert_eq!(
            lines(&t),
            ["<prompt>", "[00:00:05.123,456] <inf> mod: msg", "<prompt>"]
        );
    }

    #[test]
    fn half_typed_command_is_erased_and_redrawn() {
        let mut a = LineAssembler::default();
        let mut t = a.feed(b"\x1b[1;32muart:~$ \x1b[mnrf_pr");
        t.extend(a.feed(b"\x1b[14D\x1b[J[00:00:01.000,000] \x1b[0m<inf> m: x\x1b[0m\r\n"));
        t.extend(a.feed(b"\x1b[1;32muart:~$ \x1b[mnrf_provisioning now\r\n"));
        assert_eq!(
            lines(&t),
            [
                "<prompt>",
                "[00:00:01.000,000] <inf> m: x",
                "<prompt>",
                "nrf_provisioning now"
            ]
        );
    }

    #[test]
    fn line_numbers_count_lf() {
        let mut a = LineAssembler::default();
        let t = a.feed(b"a\r\r\nb\r\n\r\nc");
        assert_eq!(
            t,
            vec![
                Token::Line {
                    line_no: 1,
                    text: "a".into()
                },
                Token::Line {
                    line_no: 2,
                    text: "b".into()
                },
                Token::Line {
                    line_no: 3,
                    text: String::new()
                },
            ]
        );
        assert_eq!(
            a.finish(),
            vec![Token::Line {
                line_no: 4,
                text: "c".into()
            }]
        );
    }

    #[test]
    fn strips_escapes() {
        assert_eq!(strip_vt100("\x1b[1;31m<err> x\x1b[0m"), "<err> x");
    }
}
