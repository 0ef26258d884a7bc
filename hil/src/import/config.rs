//! The device's configuration from the service history: each command's request in the
//! scenario's shape, with certificate and key contents replaced by lab placeholders, and the
//! AT command each one makes the modem run (for faults on a failed command).

use serde_json::{Map, Value};

use super::draft::Item;
use super::history::HistoryCommand;
use super::source::Warning;
use super::toml_text::{key, quote, value};

/// The command types the scenario format knows.
const KNOWN: [&str; 8] = provlab_harness::scenario::request::COMMAND_TYPES;

/// The lab placeholder for a command's `content`, if it has one.
fn placeholder(kind: &str) -> Option<&'static str> {
    match kind {
        "serverCertificate" => Some("@lab-root-ca"),
        "clientCertificate" => Some("@lab-client-cert"),
        _ => None,
    }
}

/// The `request = {...}` TOML of a history command (and `description`), or a warning when
/// the command type is unknown.
pub fn request_item(c: &HistoryCommand) -> Result<Item, Warning> {
    if !KNOWN.contains(&c.kind.as_str()) {
        return Err(Warning::at(
            &c.src,
            format!(
                "command {} has type `{}`, which the scenario format does not know; left out",
                c.position, c.kind
            ),
        ));
    }
    let mut fields = Map::new();
    let mut replaced = None;
    for (k, v) in &c.fields {
        let v = match (k.as_str(), placeholder(&c.kind)) {
            ("content", Some(lab)) => {
                replaced = Some(lab);
                Value::String(lab.to_owned())
            }
            ("ignoreCmeErrors", _) => Value::Array(
                v.as_array()
                    .map(|codes| {
                        codes
                            .iter()
                            .map(|code| match code {
                                Value::String(s) => s
                                    .trim()
                                    .parse::<u64>()
                                    .map_or_else(|_| code.clone(), Value::from),
                                other => other.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            _ => v.clone(),
        };
        fields.insert(k.clone(), v);
    }
    let mut toml = format!(
        "request = {{ {} = {} }}",
        key(&c.kind),
        value(&Value::Object(fields))
    );
    if !c.description.is_empty() {
        toml = format!("description = {}\n{toml}", quote(&c.description));
    }
    let mut note = format!("command {} ({})", c.position, c.status);
    if let Some(lab) = replaced {
        note.push_str(&format!(
            "; the field's content is replaced by the lab placeholder {lab}"
        ));
    }
    if let Some(rule) = &c.rule_id {
        note.push_str(&format!("; appended by rule {rule} in the field"));
    }
    Ok(Item::new(toml, &c.src, note))
}

/// The request as an inline table (for `add_command` steps).
pub fn inline_request(item: &Item) -> String {
    // `request_item` writes `description = ...` and `request = ...` on separate lines.
    let mut parts = Vec::new();
    for line in item.toml.lines() {
        parts.push(line.to_owned());
    }
    parts.join(", ")
}

/// The AT command a history command makes the modem run, as a modem fault's `command` and
/// `params` glob; `None` for commands that do not reach the modem.
pub fn at_command(c: &HistoryCommand) -> Option<(String, String)> {
    let tag = c.sec_tag();
    match c.kind.as_str() {
        "atCommand" => Some((
            c.text("setCommand")?.to_owned(),
            c.text("parameters").unwrap_or_default().to_owned(),
        )),
        "clientPrivateKeyGeneration" | "certificateSigningRequest" | "cloudAccessKeyGeneration" => {
            Some(("%KEYGEN".to_owned(), format!("{},2,*", tag?)))
        }
        "clientCertificate" => Some(("%CMNG".to_owned(), format!("0,{},1,*", tag?))),
        "serverCertificate" => Some(("%CMNG".to_owned(), format!("0,{},0,*", tag?))),
        _ => None,
    }
}
