//! Zephyr shell argument splitting, as `z_shell_make_argv` does it.
//!
//! * Arguments are separated by whitespace.
//! * Outside quotes, a backslash is removed and the next character is taken literally.
//! * A single or double quote starts a quoted part (the quote itself is removed) that ends at
//!   the same quote character; quoted parts may sit inside an argument (`a"b c"d` is `ab cd`).
//! * Inside quotes, a backslash followed by the quote character gives that character,
//!   `\0` followed by up to three octal digits and `\x` followed by up to two hex digits give
//!   that byte; any other backslash is kept (so `'\n'` stays backslash + `n`).
//! * A quote left open is reported (the shell prints `not terminated: <quote>`).

/// The result of splitting a command line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Split {
    /// The arguments, at most the limit given to [`split`].
    pub args: Vec<Vec<u8>>,
    /// The quote character left open by the last argument, if any.
    pub unterminated: Option<u8>,
    /// Whether text remains after the last argument taken (more arguments than the limit).
    pub too_many: bool,
}

/// Splits `line` into at most `max_args` arguments (see the module docs).
pub fn split(line: &[u8], max_args: usize) -> Split {
    let mut split = Split::default();
    let mut pos = skip_spaces(line, 0);
    while pos < line.len() {
        if split.args.len() == max_args {
            split.too_many = true;
            break;
        }
        let (arg, next, quote) = one_arg(line, pos);
        split.args.push(arg);
        if quote.is_some() {
            split.unterminated = quote;
            break;
        }
        pos = skip_spaces(line, next);
    }
    split
}

fn skip_spaces(line: &[u8], mut pos: usize) -> usize {
    while line.get(pos).is_some_and(|b| is_space(*b)) {
        pos += 1;
    }
    pos
}

/// C `isspace` in the "C" locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// Parses one argument starting at `pos`; returns it, the position after it and the quote
/// left open, if any.
fn one_arg(line: &[u8], mut pos: usize) -> (Vec<u8>, usize, Option<u8>) {
    let mut arg = Vec::new();
    let mut quote: Option<u8> = None;
    while let Some(&c) = line.get(pos) {
        match quote {
            None => match c {
                b'\\' => {
                    if let Some(&next) = line.get(pos + 1) {
                        arg.push(next);
                    }
                    pos += 2;
                }
                b'\'' | b'"' => {
                    quote = Some(c);
                    pos += 1;
                }
                _ if is_space(c) => break,
                _ => {
                    arg.push(c);
                    pos += 1;
                }
            },
            Some(q) if c == q => {
                quote = None;
                pos += 1;
            }
            Some(q) if c == b'\\' => {
                let (byte, used) = quoted_escape(line, pos, q);
                arg.push(byte);
                pos += used;
            }
            Some(_) => {
                arg.push(c);
                pos += 1;
            }
        }
    }
    (arg, pos, quote)
}

/// A backslash at `pos` inside quotes `q`: the byte it stands for and how many input bytes
/// it takes (1 when the backslash is literal).
fn quoted_escape(line: &[u8], pos: usize, q: u8) -> (u8, usize) {
    let after = |i: usize| line.get(pos + i).copied();
    match after(1) {
        Some(t) if t == q => (q, 2),
        Some(b'0') => {
            let digits: Vec<u8> = (2..5)
                .map_while(|i| after(i).filter(|d| (b'0'..=b'7').contains(d)))
                .collect();
            if digits.is_empty() {
                return (b'\\', 1);
            }
            let value = digits
                .iter()
                .fold(0u8, |v, d| v.wrapping_shl(3) | (d - b'0'));
            (value, 2 + digits.len())
        }
        Some(b'x') => {
            let digits: Vec<u8> = (2..4).map_while(|i| after(i).and_then(hex_value)).collect();
            if digits.is_empty() {
                return (b'\\', 1);
            }
            let value = digits.iter().fold(0u8, |v, d| v.wrapping_shl(4) | d);
            (value, 2 + digits.len())
        }
        _ => (b'\\', 1),
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        split(line.as_bytes(), 20)
            .args
            .into_iter()
            .map(|a| String::from_utf8_lossy(&a).into_owned())
            .collect()
    }

    #[test]
    fn splits_on_spaces_and_removes_quotes() {
        assert_eq!(args("  at  AT+CGSN "), ["at", "AT+CGSN"]);
        assert_eq!(
            args("at AT+CGDCONT=0,\"IP\",\"x\""),
            ["at", "AT+CGDCONT=0,IP,x"]
        );
        assert_eq!(
            args("at 'AT%CMNG=0,1,0,\"a b\"'"),
            ["at", "AT%CMNG=0,1,0,\"a b\""]
        );
        assert_eq!(args("a\"b c\"d"), ["ab cd"]);
    }

    #[test]
    fn backslashes() {
        assert_eq!(args(r"at 'a\nb'"), ["at", r"a\nb"]);
        assert_eq!(args(r"x\ y"), ["x y"]);
        assert_eq!(args(r"'it\'s'"), ["it's"]);
        assert_eq!(args(r"'\x41\0101\0'"), ["AA\\0"]);
    }

    #[test]
    fn open_quote_and_limit() {
        let s = split(b"at 'AT+CGSN", 20);
        assert_eq!(s.unterminated, Some(b'\''));
        assert_eq!(s.args.len(), 2);
        let s = split(b"a b c", 2);
        assert!(s.too_many);
        assert_eq!(s.args.len(), 2);
        assert_eq!(split(b"   ", 20), Split::default());
    }
}
