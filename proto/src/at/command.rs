//! AT command parsing and rendering: `AT`, `AT<name>`, `AT<name>?`, `AT<name>=?` and
//! `AT<name>=<params>`.
//!
//! Grammar (one complete line, without its terminator):
//!
//! ```text
//! line   = "AT" [ name [ "?" | "=?" | "=" params ] ]      ; "AT" is case-insensitive
//! name   = [ "+" | "%" | "#" | "&" | "$" | "*" | "^" ] 1*( ALPHA | DIGIT | "_" )
//! params = param *( "," param )
//! param  = *WSP ( quoted | unquoted ) *WSP
//! quoted = DQUOTE *( any character except DQUOTE ) DQUOTE
//! ```
//!
//! * The name is case-insensitive and normalised to upper case (`at%cmng` → `%CMNG`).
//! * Parameters are kept verbatim: [`AtCommand::raw_params`] is the exact text after `=`,
//!   and quoted parameters keep their content byte for byte (including CR, LF, commas).
//! * Quoted strings have no escape sequences: 3GPP TS 27.007 / V.250 `\hh` escapes are not
//!   interpreted (the nRF91 treats PEM backslashes literally), so a backslash is just data
//!   and a double quote can never appear inside a quoted parameter.
//! * Unquoted parameters are trimmed of spaces and tabs; one that is blank is
//!   [`AtParam::Empty`] (as in `1,,2`). A parameter list always has one more parameter than
//!   it has top-level commas, so `AT+X=` has one empty parameter.
//! * Outside quotes, CR, LF and NUL are rejected (they would have ended the line), and so is
//!   any whitespace in the name or around `?`/`=`: the parser is strict, and the modem answers
//!   `ERROR` to anything it rejects (e.g. the shell-mode probe `at AT+CGSN` sent in AT mode).
//!
//! Errors name the byte offset in the line (or the parameter index) and what was expected.

use std::fmt;
use std::str::FromStr;

use super::line::is_terminator;

/// Characters that may open a command name (`+CFUN`, `%KEYGEN`, `#XSLMVER`, `&F`, ...).
const NAME_PREFIXES: &[u8] = b"+%#&$*^";

/// Which of the four AT command forms a line uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandKind {
    /// `AT<name>` with nothing after the name (also the bare `AT`): execute.
    Exec,
    /// `AT<name>?`: read the current setting.
    Read,
    /// `AT<name>=?`: test, i.e. list the supported values.
    Test,
    /// `AT<name>=<params>`: set / run with parameters.
    Set,
}

/// One parameter of a set command, as split by [`split_params`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AtParam {
    /// Nothing between the commas (or only spaces/tabs), e.g. the middle one of `1,,2`.
    Empty,
    /// Text without quotes, trimmed of surrounding spaces and tabs (e.g. `16842753`).
    Unquoted(String),
    /// The content between a pair of double quotes, verbatim (e.g. a PEM certificate).
    Quoted(String),
}

/// Why a parameter could not be read as the type a command needs.
///
/// Indices are 0-based: in `AT%CMNG=0,16842753,0` the opcode is parameter 0.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ParamError {
    /// The command has fewer parameters than the index asks for.
    #[error("parameter {index} (0-based) is missing: the command has {count} parameter(s)")]
    Missing {
        /// 0-based parameter index.
        index: usize,
        /// How many parameters the command has.
        count: usize,
    },
    /// The parameter is empty where a value is needed.
    #[error("parameter {index} (0-based) is empty; expected {expected}")]
    Empty {
        /// 0-based parameter index.
        index: usize,
        /// What was expected.
        expected: &'static str,
    },
    /// The parameter is quoted where an unquoted value (a number) is needed.
    #[error("parameter {index} (0-based) is a quoted string; expected {expected}")]
    Quoted {
        /// 0-based parameter index.
        index: usize,
        /// What was expected.
        expected: &'static str,
    },
    /// The parameter is unquoted where a quoted string is needed.
    #[error("parameter {index} (0-based) is not quoted; expected {expected}")]
    Unquoted {
        /// 0-based parameter index.
        index: usize,
        /// What was expected.
        expected: &'static str,
    },
    /// The parameter has the right form but an invalid value.
    #[error("parameter {index} (0-based) is {found:?}; expected {expected}")]
    Invalid {
        /// 0-based parameter index.
        index: usize,
        /// The parameter text.
        found: String,
        /// What was expected.
        expected: &'static str,
    },
}

/// Why a line is not a well-formed AT command.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
pub enum AtParseError {
    /// The line bytes are not UTF-8.
    #[error("command line is not valid UTF-8: invalid byte at offset {offset}")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The line is empty.
    #[error("command line is empty; expected a command starting with `AT`")]
    Empty,
    /// A character that does not fit the grammar.
    #[error("unexpected {found:?} at byte offset {offset}; expected {expected}")]
    Unexpected {
        /// Byte offset of the character.
        offset: usize,
        /// The character found.
        found: char,
        /// What the grammar expected there.
        expected: &'static str,
    },
    /// The line ends where the grammar needs more.
    #[error("command ends at byte offset {offset}; expected {expected}")]
    UnexpectedEnd {
        /// Byte offset of the end.
        offset: usize,
        /// What the grammar expected there.
        expected: &'static str,
    },
    /// A quoted parameter is never closed.
    #[error("quoted string opened at byte offset {offset} is never closed")]
    UnterminatedQuote {
        /// Byte offset of the opening quote.
        offset: usize,
    },
    /// A parameter given to a constructor cannot be written so that it parses back the same.
    #[error("parameter {index} (0-based) cannot be rendered: {reason}")]
    Unrepresentable {
        /// 0-based parameter index.
        index: usize,
        /// Why not.
        reason: &'static str,
    },
}

/// A parsed AT command: normalised name, form, verbatim parameter text and split parameters.
///
/// Build one by parsing a line ([`AtCommand::parse`], [`AtCommand::parse_bytes`]) or with the
/// constructors ([`AtCommand::set`] etc.); render it back with [`AtCommand::to_line`] (or
/// `Display`). Parsing a rendered command yields an equal command.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AtCommand {
    name: String,
    kind: CommandKind,
    raw_params: String,
    params: Vec<AtParam>,
}

impl AtCommand {
    /// Parses one command line given as bytes (as produced by the line assembler).
    ///
    /// Non-UTF-8 input is an [`AtParseError::NotUtf8`] error, never a panic.
    pub fn parse_bytes(line: &[u8]) -> Result<Self, AtParseError> {
        let text = std::str::from_utf8(line).map_err(|e| AtParseError::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        Self::parse(text)
    }

    /// Parses one command line (without its terminator); see the module docs for the grammar.
    pub fn parse(line: &str) -> Result<Self, AtParseError> {
        let bytes = line.as_bytes();
        if bytes.is_empty() {
            return Err(AtParseError::Empty);
        }
        for (offset, want) in [b'A', b'T'].into_iter().enumerate() {
            match bytes.get(offset) {
                None => {
                    return Err(AtParseError::UnexpectedEnd {
                        offset,
                        expected: "the `AT` prefix",
                    })
                }
                Some(b) if b.to_ascii_uppercase() == want => {}
                Some(_) => return Err(unexpected(line, offset, "the `AT` prefix")),
            }
        }
        if bytes.len() == 2 {
            return Ok(Self::bare());
        }
        let end = scan_name(line, 2)?;
        let name = line[2..end].to_ascii_uppercase();
        let rest = &bytes[end..];
        let (kind, raw, params) = match rest {
            [] => (CommandKind::Exec, "", Vec::new()),
            [b'?'] => (CommandKind::Read, "", Vec::new()),
            [b'?', ..] => {
                return Err(unexpected(
                    line,
                    end + 1,
                    "the end of the command after `?`",
                ));
            }
            [b'=', b'?'] => (CommandKind::Test, "", Vec::new()),
            [b'=', ..] => {
                let raw = &line[end + 1..];
                (CommandKind::Set, raw, split_params_at(raw, end + 1)?)
            }
            _ => {
                return Err(unexpected(
                    line,
                    end,
                    "`=`, `?` or the end of the command after the name",
                ))
            }
        };
        Ok(AtCommand {
            name,
            kind,
            raw_params: raw.to_owned(),
            params,
        })
    }

    /// The bare `AT` command (the modem answers `OK`).
    pub fn bare() -> Self {
        AtCommand {
            name: String::new(),
            kind: CommandKind::Exec,
            raw_params: String::new(),
            params: Vec::new(),
        }
    }

    /// `AT<name>`, e.g. `AtCommand::exec("+CGSN")`. The name is given without `AT`.
    pub fn exec(name: &str) -> Result<Self, AtParseError> {
        Self::without_params(name, CommandKind::Exec)
    }

    /// `AT<name>?`, e.g. `AtCommand::read("+CFUN")`.
    pub fn read(name: &str) -> Result<Self, AtParseError> {
        Self::without_params(name, CommandKind::Read)
    }

    /// `AT<name>=?`, e.g. `AtCommand::test("+CFUN")`.
    pub fn test(name: &str) -> Result<Self, AtParseError> {
        Self::without_params(name, CommandKind::Test)
    }

    /// `AT<name>=<raw_params>` from a name and verbatim parameter text, the way the device
    /// client builds `"AT" + set_command + "=" + parameters` from a provisioning command,
    /// e.g. `AtCommand::set("%CMNG", "3,16842753,2")`.
    ///
    /// Fails if the name is not a command name or the parameter text does not split (e.g. an
    /// unterminated quote); offsets in the error are relative to `raw_params`. The text `?`
    /// alone is refused because `AT<name>=?` is the test form.
    pub fn set(name: &str, raw_params: &str) -> Result<Self, AtParseError> {
        let name = normalise_name(name)?;
        if raw_params == "?" {
            return Err(AtParseError::Unrepresentable {
                index: 0,
                reason: "`AT<name>=?` is the test form, not a set command",
            });
        }
        let params = split_params(raw_params)?;
        Ok(AtCommand {
            name,
            kind: CommandKind::Set,
            raw_params: raw_params.to_owned(),
            params,
        })
    }

    /// `AT<name>=<params>` from split parameters, rendered canonically (no spaces, quoted
    /// parameters in double quotes, empty parameters as nothing between commas).
    ///
    /// Fails with [`AtParseError::Unrepresentable`] for a parameter that would not parse back
    /// the same: a quoted one containing `"`, or an unquoted one that is blank, has
    /// surrounding spaces/tabs, or contains `,`, `"`, CR, LF or NUL. An empty slice renders as
    /// `AT<name>=`, which parses back with one [`AtParam::Empty`].
    pub fn with_params(name: &str, params: &[AtParam]) -> Result<Self, AtParseError> {
        for (index, param) in params.iter().enumerate() {
            check_representable(index, param)?;
        }
        if let [AtParam::Unquoted(only)] = params {
            if only == "?" {
                return Err(AtParseError::Unrepresentable {
                    index: 0,
                    reason: "`AT<name>=?` is the test form, not a set command",
                });
            }
        }
        let raw = params
            .iter()
            .map(AtParam::to_wire)
            .collect::<Vec<_>>()
            .join(",");
        Self::set(name, &raw)
    }

    fn without_params(name: &str, kind: CommandKind) -> Result<Self, AtParseError> {
        Ok(AtCommand {
            name: normalise_name(name)?,
            kind,
            raw_params: String::new(),
            params: Vec::new(),
        })
    }

    /// The command name in upper case without `AT` (e.g. `%CMNG`); empty for the bare `AT`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether this is the bare `AT` command.
    pub fn is_bare(&self) -> bool {
        self.name.is_empty()
    }

    /// The command form.
    pub fn kind(&self) -> CommandKind {
        self.kind
    }

    /// The exact text after `=` for a set command; empty for the other forms.
    pub fn raw_params(&self) -> &str {
        &self.raw_params
    }

    /// The split parameters of a set command; empty for the other forms.
    pub fn params(&self) -> &[AtParam] {
        &self.params
    }

    /// Parameter `index` (0-based), if present.
    pub fn param(&self, index: usize) -> Option<&AtParam> {
        self.params.get(index)
    }

    /// Parameter `index` as a required unsigned 32-bit integer (e.g. a sec tag).
    pub fn u32_param(&self, index: usize) -> Result<u32, ParamError> {
        self.required(index)?.as_u32(index)
    }

    /// Parameter `index` as a required signed 64-bit integer.
    pub fn i64_param(&self, index: usize) -> Result<i64, ParamError> {
        self.required(index)?.as_i64(index)
    }

    /// Parameter `index` as a required quoted string (its content, verbatim).
    pub fn str_param(&self, index: usize) -> Result<&str, ParamError> {
        self.required(index)?.as_str(index)
    }

    /// Parameter `index` as an optional unsigned integer: `None` when missing or empty.
    pub fn opt_u32_param(&self, index: usize) -> Result<Option<u32>, ParamError> {
        match self.params.get(index) {
            None | Some(AtParam::Empty) => Ok(None),
            Some(p) => p.as_u32(index).map(Some),
        }
    }

    /// Parameter `index` as an optional quoted string: `None` when missing or empty.
    pub fn opt_str_param(&self, index: usize) -> Result<Option<&str>, ParamError> {
        match self.params.get(index) {
            None | Some(AtParam::Empty) => Ok(None),
            Some(p) => p.as_str(index).map(Some),
        }
    }

    fn required(&self, index: usize) -> Result<&AtParam, ParamError> {
        self.params.get(index).ok_or(ParamError::Missing {
            index,
            count: self.params.len(),
        })
    }

    /// The command as a line without terminator: `AT` + name + `?` / `=?` / `=` + parameters.
    ///
    /// A transport appends its own terminator (`\r\n` on a serial line).
    pub fn to_line(&self) -> String {
        let suffix = match self.kind {
            CommandKind::Exec => "",
            CommandKind::Read => "?",
            CommandKind::Test => "=?",
            CommandKind::Set => "=",
        };
        format!("AT{}{}{}", self.name, suffix, self.raw_params)
    }
}

impl fmt::Display for AtCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_line())
    }
}

impl FromStr for AtCommand {
    type Err = AtParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AtParam {
    /// The parameter text: the content for quoted, the trimmed text for unquoted, `""` for
    /// empty.
    pub fn text(&self) -> &str {
        match self {
            AtParam::Empty => "",
            AtParam::Unquoted(s) | AtParam::Quoted(s) => s,
        }
    }

    /// Whether this is [`AtParam::Empty`] (a quoted `""` is not empty in this sense).
    pub fn is_empty(&self) -> bool {
        matches!(self, AtParam::Empty)
    }

    /// The parameter as it appears on the wire (quoted content wrapped in `"`).
    pub fn to_wire(&self) -> String {
        match self {
            AtParam::Empty => String::new(),
            AtParam::Unquoted(s) => s.clone(),
            AtParam::Quoted(s) => format!("\"{s}\""),
        }
    }

    /// This parameter (number `index`, for the error) as an unsigned 32-bit integer: an
    /// unquoted run of decimal digits.
    pub fn as_u32(&self, index: usize) -> Result<u32, ParamError> {
        const EXPECTED: &str = "an unquoted unsigned integer (0..=4294967295)";
        let text = self.unquoted(index, EXPECTED)?;
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(index, text, EXPECTED));
        }
        text.parse().map_err(|_| invalid(index, text, EXPECTED))
    }

    /// This parameter (number `index`, for the error) as a signed 64-bit integer: an
    /// unquoted optional `+`/`-` followed by decimal digits.
    pub fn as_i64(&self, index: usize) -> Result<i64, ParamError> {
        const EXPECTED: &str = "an unquoted signed 64-bit integer";
        let text = self.unquoted(index, EXPECTED)?;
        let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(index, text, EXPECTED));
        }
        text.parse().map_err(|_| invalid(index, text, EXPECTED))
    }

    /// This parameter (number `index`, for the error) as a quoted string's content.
    pub fn as_str(&self, index: usize) -> Result<&str, ParamError> {
        const EXPECTED: &str = "a quoted string";
        match self {
            AtParam::Quoted(s) => Ok(s),
            AtParam::Empty => Err(ParamError::Empty {
                index,
                expected: EXPECTED,
            }),
            AtParam::Unquoted(_) => Err(ParamError::Unquoted {
                index,
                expected: EXPECTED,
            }),
        }
    }

    fn unquoted(&self, index: usize, expected: &'static str) -> Result<&str, ParamError> {
        match self {
            AtParam::Unquoted(s) => Ok(s),
            AtParam::Empty => Err(ParamError::Empty { index, expected }),
            AtParam::Quoted(_) => Err(ParamError::Quoted { index, expected }),
        }
    }
}

fn invalid(index: usize, text: &str, expected: &'static str) -> ParamError {
    ParamError::Invalid {
        index,
        found: text.to_owned(),
        expected,
    }
}

/// Splits set-command parameter text (the part after `=`) into parameters.
///
/// See the module docs for the rules. Error offsets are byte offsets within `raw`.
pub fn split_params(raw: &str) -> Result<Vec<AtParam>, AtParseError> {
    split_params_at(raw, 0)
}

/// [`split_params`] with error offsets shifted by `base` (the offset of `raw` in its line).
fn split_params_at(raw: &str, base: usize) -> Result<Vec<AtParam>, AtParseError> {
    let bytes = raw.as_bytes();
    let mut params = Vec::new();
    let mut start = 0;
    loop {
        let first = skip_blanks(bytes, start);
        if bytes.get(first) == Some(&b'"') {
            let close = bytes[first + 1..]
                .iter()
                .position(|&b| b == b'"')
                .map(|p| first + 1 + p)
                .ok_or(AtParseError::UnterminatedQuote {
                    offset: base + first,
                })?;
            params.push(AtParam::Quoted(raw[first + 1..close].to_owned()));
            let after = skip_blanks(bytes, close + 1);
            match bytes.get(after) {
                None => return Ok(params),
                Some(b',') => start = after + 1,
                Some(_) => {
                    return Err(unexpected_at(
                        raw,
                        after,
                        base,
                        "`,` or the end of the parameters after a closing quote",
                    ))
                }
            }
        } else {
            let end = bytes[start..]
                .iter()
                .position(|&b| b == b',')
                .map_or(bytes.len(), |p| start + p);
            if let Some(p) = bytes[start..end]
                .iter()
                .position(|&b| b == b'"' || is_terminator(b))
            {
                let expected = if bytes[start + p] == b'"' {
                    "`,` before a quote: a quote may only open a parameter"
                } else {
                    "no CR, LF or NUL outside quotes"
                };
                return Err(unexpected_at(raw, start + p, base, expected));
            }
            let text = raw[start..end].trim_matches([' ', '\t']);
            params.push(if text.is_empty() {
                AtParam::Empty
            } else {
                AtParam::Unquoted(text.to_owned())
            });
            if end == bytes.len() {
                return Ok(params);
            }
            start = end + 1;
        }
    }
}

fn skip_blanks(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

/// Scans a command name starting at `start`; returns the offset just past it.
fn scan_name(text: &str, start: usize) -> Result<usize, AtParseError> {
    const EXPECTED: &str = "a command name (an optional `+`, `%`, `#`, `&`, `$`, `*` or `^`, \
                            then letters, digits or `_`)";
    let bytes = text.as_bytes();
    let mut i = start;
    if bytes.get(i).is_some_and(|b| NAME_PREFIXES.contains(b)) {
        i += 1;
    }
    let body = i;
    while bytes
        .get(i)
        .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
    {
        i += 1;
    }
    if i == body {
        return Err(unexpected(text, i, EXPECTED));
    }
    Ok(i)
}

/// Validates a command name given without `AT` and returns it in upper case.
fn normalise_name(name: &str) -> Result<String, AtParseError> {
    let end = scan_name(name, 0)?;
    if end != name.len() {
        return Err(unexpected(name, end, "the end of the command name"));
    }
    Ok(name.to_ascii_uppercase())
}

fn check_representable(index: usize, param: &AtParam) -> Result<(), AtParseError> {
    let reason = match param {
        AtParam::Empty => None,
        AtParam::Quoted(s) if s.contains('"') => {
            Some("a quoted parameter cannot contain `\"` (there are no escapes)")
        }
        AtParam::Quoted(_) => None,
        AtParam::Unquoted(s) if s.is_empty() => {
            Some("an unquoted parameter cannot be empty (use AtParam::Empty)")
        }
        AtParam::Unquoted(s) if s.starts_with([' ', '\t']) || s.ends_with([' ', '\t']) => {
            Some("an unquoted parameter cannot start or end with a space or tab")
        }
        AtParam::Unquoted(s)
            if s.bytes()
                .any(|b| b == b',' || b == b'"' || is_terminator(b)) =>
        {
            Some("an unquoted parameter cannot contain `,`, `\"`, CR, LF or NUL")
        }
        AtParam::Unquoted(_) => None,
    };
    match reason {
        Some(reason) => Err(AtParseError::Unrepresentable { index, reason }),
        None => Ok(()),
    }
}

/// An error for the character at `offset` of `text` (or for the end of `text`).
fn unexpected(text: &str, offset: usize, expected: &'static str) -> AtParseError {
    unexpected_at(text, offset, 0, expected)
}

/// Like [`unexpected`], reporting `offset + base` (for text that is part of a longer line).
fn unexpected_at(text: &str, offset: usize, base: usize, expected: &'static str) -> AtParseError {
    if offset >= text.len() {
        return AtParseError::UnexpectedEnd {
            offset: base + offset,
            expected,
        };
    }
    let found = text
        .get(offset..)
        .and_then(|s| s.chars().next())
        .unwrap_or(char::REPLACEMENT_CHARACTER);
    AtParseError::Unexpected {
        offset: base + offset,
        found,
        expected,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let c = AtCommand::parse("AT").unwrap();
        assert!(c.is_bare());
        assert_eq!(c.kind(), CommandKind::Exec);

        let c = AtCommand::parse("at+cgsn").unwrap();
        assert_eq!((c.name(), c.kind()), ("+CGSN", CommandKind::Exec));

        let c = AtCommand::parse("AT+CFUN?").unwrap();
        assert_eq!((c.name(), c.kind()), ("+CFUN", CommandKind::Read));

        let c = AtCommand::parse("AT+CFUN=?").unwrap();
        assert_eq!((c.name(), c.kind()), ("+CFUN", CommandKind::Test));

        let c = AtCommand::parse("At%cmng=1,16842753").unwrap();
        assert_eq!((c.name(), c.kind()), ("%CMNG", CommandKind::Set));
        assert_eq!(c.raw_params(), "1,16842753");
        assert_eq!(c.u32_param(1).unwrap(), 16842753);
    }

    #[test]
    fn params_split() {
        let p = split_params(r#"0, 300 ,"","a,b",,x"#).unwrap();
        assert_eq!(
            p,
            vec![
                AtParam::Unquoted("0".into()),
                AtParam::Unquoted("300".into()),
                AtParam::Quoted(String::new()),
                AtParam::Quoted("a,b".into()),
                AtParam::Empty,
                AtParam::Unquoted("x".into()),
            ]
        );
        assert_eq!(split_params("").unwrap(), vec![AtParam::Empty]);
        assert_eq!(
            split_params("1,").unwrap(),
            vec![AtParam::Unquoted("1".into()), AtParam::Empty]
        );
    }

    #[test]
    fn errors_name_positions() {
        assert_eq!(
            AtCommand::parse("AT+X=1,\"abc"),
            Err(AtParseError::UnterminatedQuote { offset: 7 })
        );
        assert_eq!(
            AtCommand::parse("AT+X=\"a\"b"),
            Err(AtParseError::Unexpected {
                offset: 8,
                found: 'b',
                expected: "`,` or the end of the parameters after a closing quote",
            })
        );
        assert!(matches!(
            AtCommand::parse("AT+X=a\"b\""),
            Err(AtParseError::Unexpected {
                offset: 6,
                found: '"',
                ..
            })
        ));
        assert!(matches!(
            AtCommand::parse("at AT+CGSN"),
            Err(AtParseError::Unexpected {
                offset: 2,
                found: ' ',
                ..
            })
        ));
        assert!(matches!(
            AtCommand::parse("AT+"),
            Err(AtParseError::UnexpectedEnd { offset: 3, .. })
        ));
        assert!(matches!(
            AtCommand::parse("AT+X?1"),
            Err(AtParseError::Unexpected {
                offset: 5,
                found: '1',
                ..
            })
        ));
        assert!(matches!(
            AtCommand::parse("XT"),
            Err(AtParseError::Unexpected { offset: 0, .. })
        ));
        assert!(matches!(
            AtCommand::parse("A"),
            Err(AtParseError::UnexpectedEnd { offset: 1, .. })
        ));
        assert_eq!(
            AtCommand::parse_bytes(b"AT\xff"),
            Err(AtParseError::NotUtf8 { offset: 2 })
        );
    }

    #[test]
    fn typed_params() {
        let c = AtCommand::parse(r#"AT%JWT=0,-5,"sub",,x"#).unwrap();
        assert_eq!(c.u32_param(0).unwrap(), 0);
        assert_eq!(c.i64_param(1).unwrap(), -5);
        assert_eq!(c.str_param(2).unwrap(), "sub");
        assert_eq!(c.opt_u32_param(3).unwrap(), None);
        assert_eq!(c.opt_u32_param(9).unwrap(), None);
        assert_eq!(
            c.u32_param(1),
            Err(ParamError::Invalid {
                index: 1,
                found: "-5".into(),
                expected: "an unquoted unsigned integer (0..=4294967295)",
            })
        );
        assert!(matches!(
            c.u32_param(2),
            Err(ParamError::Quoted { index: 2, .. })
        ));
        assert!(matches!(
            c.str_param(4),
            Err(ParamError::Unquoted { index: 4, .. })
        ));
        assert!(matches!(
            c.u32_param(3),
            Err(ParamError::Empty { index: 3, .. })
        ));
        assert_eq!(
            c.u32_param(5),
            Err(ParamError::Missing { index: 5, count: 5 })
        );
        assert!(AtParam::Unquoted("4294967296".into()).as_u32(0).is_err());
        assert!(AtParam::Unquoted("+1".into()).as_u32(0).is_err());
        assert_eq!(AtParam::Unquoted("+1".into()).as_i64(0), Ok(1));
        assert!(AtParam::Unquoted("-".into()).as_i64(0).is_err());
    }

    #[test]
    fn constructors_render() {
        let c = AtCommand::set("%cmng", "3,16842753,2").unwrap();
        assert_eq!(c.to_line(), "AT%CMNG=3,16842753,2");
        let c = AtCommand::with_params(
            "%KEYGEN",
            &[
                AtParam::Unquoted("16842753".into()),
                AtParam::Unquoted("2".into()),
                AtParam::Empty,
                AtParam::Quoted("O=x".into()),
            ],
        )
        .unwrap();
        assert_eq!(c.to_line(), r#"AT%KEYGEN=16842753,2,,"O=x""#);
        assert_eq!(AtCommand::parse(&c.to_line()).unwrap(), c);
        assert_eq!(AtCommand::read("+cfun").unwrap().to_line(), "AT+CFUN?");
        assert_eq!(AtCommand::test("+CFUN").unwrap().to_line(), "AT+CFUN=?");
        assert_eq!(AtCommand::exec("+CGSN").unwrap().to_line(), "AT+CGSN");
        assert_eq!(AtCommand::bare().to_string(), "AT");
        assert!(AtCommand::exec("").is_err());
        assert!(AtCommand::exec("+CG SN").is_err());
        assert!(AtCommand::set("+X", "?").is_err());
        assert!(AtCommand::with_params("+X", &[AtParam::Quoted("a\"b".into())]).is_err());
        assert!(AtCommand::with_params("+X", &[AtParam::Unquoted("a,b".into())]).is_err());
        assert!(AtCommand::with_params("+X", &[AtParam::Unquoted(" a".into())]).is_err());
        assert!(AtCommand::with_params("+X", &[AtParam::Unquoted(String::new())]).is_err());
    }
}
