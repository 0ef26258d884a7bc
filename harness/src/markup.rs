//! Escaping for the HTML pages and SVG diagrams the reports write (the drift report's
//! side-by-side page, the run report and its sequence diagrams): one function, so text
//! from scenario files and transcripts can never become markup.

/// The style rules every report page starts with (page font and margin, tables).
pub const BASE_STYLE: &str = "body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top;font-size:90%}th{background:#eee}";

/// Escapes `text` for HTML or XML text and attribute values: `&`, `<`, `>`, `"` and `'`
/// become entities; control characters other than tab and line feed (which XML 1.0 cannot
/// carry, and HTML shows as nothing) become a visible `\xNN`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_and_controls_are_escaped() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("a\u{1}b\r\tc\nd"), "a\\x01b\\x0d\tc\nd");
        assert_eq!(escape("dk1 → service · ok"), "dk1 → service · ok");
    }
}
