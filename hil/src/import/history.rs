//! Reading the service's command history for the device: the JSON that `GET
//! /v1/claimed-devices/{id}/provisioning` returns (a page `{"items": [...]}`, from nRF Cloud
//! or `provlab serve`), or a bare array of such commands. Read leniently: fields this import
//! does not use may be missing or extra.

use serde_json::{Map, Value};

use super::error::ImportError;
use super::source::Src;

/// One command of the device's configuration as the service showed it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryCommand {
    /// Where the command is in the history file (the line of its `id`, or of the item).
    pub src: Src,
    /// Its 1-based position in the configuration.
    pub position: usize,
    /// The command type, e.g. `serverCertificate`.
    pub kind: String,
    /// The fields of the request (`secTag`, `content`, ...).
    pub fields: Map<String, Value>,
    /// Free text given with the command.
    pub description: String,
    /// `PENDING`, `IN_PROGRESS`, `SUCCEEDED`, `FAILED` or `SKIPPED`.
    pub status: String,
    /// The CME error of a failed answer.
    pub cme_error: Option<u32>,
    /// The message of the device's answer, if any.
    pub message: Option<String>,
    /// The rule that appended it, if any.
    pub rule_id: Option<String>,
    /// When it was added (RFC 3339), if given.
    pub created_at: Option<String>,
    /// When the device answered it (RFC 3339), if given.
    pub responded_at: Option<String>,
    /// How many fetch answers carried it (`provlab serve` counts them).
    pub deliveries: Option<u64>,
}

impl HistoryCommand {
    /// The `secTag` of the request, if it has one.
    pub fn sec_tag(&self) -> Option<u64> {
        self.fields.get("secTag").and_then(Value::as_u64)
    }

    /// A string field of the request.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }
}

/// The statuses a command can have.
const STATUSES: [&str; 5] = ["PENDING", "IN_PROGRESS", "SUCCEEDED", "FAILED", "SKIPPED"];

/// Reads a history file's text (`file` names it in errors and provenance).
pub fn read(file: &str, text: &str) -> Result<Vec<HistoryCommand>, ImportError> {
    let err = |line: usize, column: usize, reason: String| ImportError::History {
        file: file.to_owned(),
        line,
        column,
        reason,
    };
    let value: Value =
        serde_json::from_str(text).map_err(|e| err(e.line(), e.column(), e.to_string()))?;
    let items = match &value {
        Value::Array(items) => items,
        Value::Object(page) => match page.get("items") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(err(
                    1,
                    1,
                    "expected a page `{\"items\": [...]}` or an array of commands".to_owned(),
                ))
            }
        },
        _ => {
            return Err(err(
                1,
                1,
                "expected a page `{\"items\": [...]}` or an array of commands".to_owned(),
            ))
        }
    };
    let mut out = Vec::new();
    let mut search_from = 0;
    for (index, item) in items.iter().enumerate() {
        let position = index + 1;
        let (line, next) = locate(text, item, search_from);
        search_from = next;
        let at = |reason: String| err(line, 0, format!("command {position}: {reason}"));
        let Value::Object(item) = item else {
            return Err(at("not an object".to_owned()));
        };
        let Some(Value::Object(request)) = item.get("request") else {
            return Err(at("no `request` object".to_owned()));
        };
        if request.len() != 1 {
            return Err(at(format!(
                "`request` must have exactly one command type, has {}",
                request.len()
            )));
        }
        let Some((kind, fields)) = request.iter().next() else {
            return Err(at("empty `request`".to_owned()));
        };
        let fields = match fields {
            Value::Object(fields) => fields.clone(),
            _ => return Err(at(format!("`{kind}` is not an object"))),
        };
        let status = item
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("PENDING")
            .to_owned();
        if !STATUSES.contains(&status.as_str()) {
            return Err(at(format!(
                "unknown status `{status}` (expected one of {})",
                STATUSES.join(", ")
            )));
        }
        let answer = item
            .get("response")
            .and_then(Value::as_object)
            .and_then(|r| r.values().next())
            .and_then(Value::as_object);
        let cme_error = answer
            .and_then(|a| a.get("cmeError"))
            .and_then(|c| match c {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .and_then(|c| u32::try_from(c).ok());
        let message = answer
            .and_then(|a| a.get("message"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let string = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_owned);
        out.push(HistoryCommand {
            src: Src::new(file, line),
            position,
            kind: kind.clone(),
            fields,
            description: string("description").unwrap_or_default(),
            status,
            cme_error,
            message,
            rule_id: string("ruleId"),
            created_at: string("createdAt"),
            responded_at: string("respondedAt"),
            deliveries: item.get("deliveries").and_then(Value::as_u64),
        });
    }
    Ok(out)
}

/// The line of `item` in `text` (found by its `id`, searching from byte `from`), and where
/// to search for the next item. Without an id, the next `"request"` key stands in.
fn locate(text: &str, item: &Value, from: usize) -> (usize, usize) {
    let needle = match item.get("id").and_then(Value::as_str) {
        Some(id) => format!("\"{id}\""),
        None => "\"request\"".to_owned(),
    };
    let found = text
        .get(from..)
        .and_then(|rest| rest.find(&needle))
        .map(|at| from + at);
    match found {
        Some(at) => (line_of(text, at), at + needle.len()),
        None => (line_of(text, from), from),
    }
}

/// The 1-based line of byte `at`.
pub fn line_of(text: &str, at: usize) -> usize {
    text.get(..at).map_or(1, |before| {
        before.bytes().filter(|b| *b == b'\n').count() + 1
    })
}
