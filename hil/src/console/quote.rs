//! Typing an AT command into the NCS AT shell (`sample-console.md` §1.4, §8): the Zephyr
//! shell splits the line on spaces and removes quotes, and `at` passes only `argv[1]` to
//! the modem, so `at AT+CGDCONT=0,"IP","x"` reaches the modem without its quotes. The
//! command is therefore wrapped in single quotes, with the bytes the shell would interpret
//! inside quotes escaped: `'` as `\'`, a backslash as `\x5c`, CR and LF as `\x0d` / `\x0a`
//! (a raw CR or LF would end the shell line). Commas need nothing.

/// Why a command cannot be typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    /// Bytes above 127 are dropped by the shell's ASCII filter; other control bytes are
    /// taken as keys.
    #[error("byte {0:#04x} cannot be typed into the shell")]
    Untypeable(u8),
    /// Empty command.
    #[error("empty AT command")]
    Empty,
}

/// The shell line that runs `command` through the AT shell: `at '<escaped command>'`.
pub fn at_line(command: &str) -> Result<String, QuoteError> {
    if command.trim().is_empty() {
        return Err(QuoteError::Empty);
    }
    let mut line = String::from("at '");
    for b in command.bytes() {
        match b {
            b'\'' => line.push_str("\\'"),
            b'\\' => line.push_str("\\x5c"),
            b'\r' => line.push_str("\\x0d"),
            b'\n' => line.push_str("\\x0a"),
            0x20..=0x7e => line.push(char::from(b)),
            other => return Err(QuoteError::Untypeable(other)),
        }
    }
    line.push('\'');
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_commas() {
        assert_eq!(
            at_line("AT+CGDCONT=0,\"IP\",\"x\"").unwrap(),
            "at 'AT+CGDCONT=0,\"IP\",\"x\"'"
        );
        assert_eq!(
            at_line("AT%CMNG=0,1,0,\"a\nb\"").unwrap(),
            "at 'AT%CMNG=0,1,0,\"a\\x0ab\"'"
        );
        assert_eq!(at_line("it's").unwrap(), "at 'it\\'s'");
        assert_eq!(at_line("a\\0").unwrap(), "at 'a\\x5c0'");
        assert_eq!(at_line(" "), Err(QuoteError::Empty));
        assert_eq!(at_line("\u{e9}"), Err(QuoteError::Untypeable(0xc3)));
    }
}
