//! The one escape style of every one-line display of wire text (transcripts, `provlab
//! decode`, reports): control characters become `\r`, `\n`, `\t` or `\xNN`, so an entry
//! stays one line and shows what was sent; printable text, including non-ASCII, is shown
//! as is. A field that can hold spaces is [`quote`]d, which also escapes `"` and `\`.

use std::fmt::Write as _;

/// `text` with its control characters escaped (`\r`, `\n`, `\t`, others as `\xNN`).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out
}

/// `text` in double quotes, escaped like [`escape`] and with `"` and `\` escaped too, so
/// the field's end is unambiguous.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => push_escaped(&mut out, c),
        }
    }
    out.push('"');
    out
}

/// A list of texts, each [`quote`]d: `["lab", "field"]`.
pub fn quote_list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| quote(i.as_ref())).collect();
    format!("[{}]", quoted.join(", "))
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_one_way() {
        assert_eq!(escape("OK\r\n\u{1b}[0m\tä"), "OK\\r\\n\\x1b[0m\\tä");
        assert_eq!(quote("a \"b\" c\\d\r\n"), "\"a \\\"b\\\" c\\\\d\\r\\n\"");
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote_list(&["lab", "a\"b"]), "[\"lab\", \"a\\\"b\"]");
        assert_eq!(quote_list::<&str>(&[]), "[]");
    }
}
