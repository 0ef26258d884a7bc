//! One-line descriptions of steps for transcripts: `skip device=dk1 command=2 by=olivia`.

use serde_json::Value;

use crate::scenario::Step;

/// Keys shown first, in this order; the rest follow alphabetically, then [`LAST`].
const FIRST: [&str; 3] = ["device", "command", "rule"];
/// Keys shown last.
const LAST: [&str; 3] = ["within", "by", "expect_status"];

/// The step as its keyword followed by its values, e.g. `wait_until device=dk1
/// status=ERROR within=2m` or `trigger dk1`.
pub fn describe(step: &Step) -> String {
    let keyword = step.keyword();
    let value = serde_json::to_value(step)
        .ok()
        .and_then(|v| match v {
            Value::Object(map) => map.into_iter().next().map(|(_, v)| v),
            _ => None,
        })
        .unwrap_or(Value::Null);
    match value {
        Value::Object(fields) => {
            let rank = |key: &str| {
                FIRST
                    .iter()
                    .position(|k| *k == key)
                    .map(|i| (0, i))
                    .or_else(|| LAST.iter().position(|k| *k == key).map(|i| (2, i)))
                    .unwrap_or((1, 0))
            };
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort_by_key(|k| (rank(k), k.as_str()));
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{k}={}", compact(&fields[k.as_str()])))
                .collect();
            format!("{keyword} {}", parts.join(" "))
        }
        Value::Null => keyword.to_owned(),
        other => format!("{keyword} {}", compact(&other)),
    }
}

/// Values without JSON quoting: `[SUCCEEDED, FAILED]`, `{secTag=42}`.
fn compact(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(compact).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(fields) => {
            let parts: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{k}={}", compact(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        other => other.to_string(),
    }
}
