//! Small helpers that write TOML values as text: quoted strings, durations, and JSON values
//! of the service history as inline TOML.

use serde_json::Value;

/// A TOML basic string with the characters TOML requires escaped.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A key, bare when TOML allows it, quoted otherwise.
pub fn key(text: &str) -> String {
    let bare = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        text.to_owned()
    } else {
        quote(text)
    }
}

/// A JSON value as inline TOML (`null` becomes an empty string: TOML has no null).
pub fn value(v: &Value) -> String {
    match v {
        Value::Null => "\"\"".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(value).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            if map.is_empty() {
                return "{}".to_owned();
            }
            let fields: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), value(v)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
    }
}

/// A duration in the scenario syntax (`"1h2m3s"`, `"0s"`), whole seconds.
pub fn duration_s(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    quote(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_valid_toml() {
        assert_eq!(quote("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        assert_eq!(key("secTag"), "secTag");
        assert_eq!(key("app/mqtt/host"), "\"app/mqtt/host\"");
        assert_eq!(duration_s(0), "\"0s\"");
        assert_eq!(duration_s(3_725), "\"1h2m5s\"");
        let v: Value =
            serde_json::from_str(r#"{"properties":{"a/b":"1"},"n":[1,"2"]}"#).unwrap_or_default();
        let text = format!("x = {}", value(&v));
        assert!(toml::from_str::<toml::Value>(&text).is_ok(), "{text}");
    }
}
