//! Writes a [`Draft`] as scenario TOML: every item with a `# from FILE:LINE` comment, the
//! warnings as `# WARNING:` lines at the top. Same draft, same bytes.

use std::fmt::Write as _;

use super::draft::{Draft, Item};
use super::toml_text::quote;

/// The comment naming where an item came from.
fn provenance(item: &Item) -> String {
    let lines: Vec<String> = item.from.iter().map(ToString::to_string).collect();
    match (lines.is_empty(), item.note.is_empty()) {
        (true, true) => String::new(),
        (true, false) => format!("# {}", item.note),
        (false, true) => format!("# from {}", lines.join(", ")),
        (false, false) => format!("# from {}: {}", lines.join(", "), item.note),
    }
}

/// `key = value` lines, each followed by its provenance (a multi-line item gets it above).
fn keys(out: &mut String, items: &[Item]) {
    for item in items {
        let comment = provenance(item);
        if item.toml.contains('\n') {
            if !comment.is_empty() {
                let _ = writeln!(out, "{comment}");
            }
            let _ = writeln!(out, "{}", item.toml);
        } else if comment.is_empty() {
            let _ = writeln!(out, "{}", item.toml);
        } else {
            let _ = writeln!(out, "{}  {comment}", item.toml);
        }
    }
}

/// Tables of one header each (`[[fault]]`, `[[step]]`, ...), the provenance above.
fn tables(out: &mut String, header: &str, items: &[Item]) {
    for item in items {
        out.push('\n');
        let comment = provenance(item);
        if !comment.is_empty() {
            let _ = writeln!(out, "{comment}");
        }
        let _ = writeln!(out, "{header}");
        let _ = writeln!(out, "{}", item.toml);
    }
}

/// The scenario file's text.
pub fn write(d: &Draft) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Imported by `provlab import` from {}.",
        d.inputs.join(", ")
    );
    out.push_str(
        "# Every inferred item names the input line it came from (`# from FILE:LINE`).\n\
         # Certificate and key contents are lab placeholders (@lab-root-ca, @lab-client-cert),\n\
         # never the field's credentials.\n",
    );
    if d.warnings.is_empty() {
        out.push_str("# No warnings: everything below was read from the inputs.\n");
    }
    for w in &d.warnings {
        let _ = writeln!(out, "# WARNING: {w}");
    }
    out.push('\n');
    let _ = writeln!(out, "name = {}", quote(&d.name));
    out.push_str("description = \"\"\"\n");
    for line in &d.description {
        let _ = writeln!(
            out,
            "{}",
            line.replace('\\', "\\\\").replace("\"\"\"", "\"\"\\\"")
        );
    }
    out.push_str("\"\"\"\nseed = 1\n\n[[device]]\n");
    let _ = writeln!(out, "name = {}", quote(&d.device));
    keys(&mut out, &d.device_keys);
    if !d.client_keys.is_empty() {
        out.push_str("\n[device.client]\n");
        keys(&mut out, &d.client_keys);
    }
    tables(&mut out, "[[device.config]]", &d.config);
    tables(&mut out, "[[fault]]", &d.faults);
    tables(&mut out, "[[step]]", &d.steps);
    if !d.expect.is_empty() {
        out.push_str("\n[[expect]]\n");
        keys(&mut out, &d.expect);
    }
    out
}
