//! JUnit XML: one `<testcase>` per scenario.
//!
//! Written with `quick-xml`, which escapes text and attribute values; characters XML 1.0
//! cannot carry at all (most C0 controls) are replaced by `\xNN` first.

use std::io;
use std::path::Path;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use super::{write_file, ReportError, Summary};
use crate::runner::{Outcome, ScenarioResult};
use crate::transcript::format_time;

type XmlWriter = Writer<Vec<u8>>;

/// The JUnit XML document for `results`: a `<testsuite>` per backend, a `<testcase>` per
/// scenario with `<failure>` (the unmet expectations, the seed and the replay command),
/// `<error>` or `<skipped>`, the seed and partial skips as `<property>`s, and the text
/// transcript as `<system-out>`.
pub fn junit_xml(results: &[ScenarioResult]) -> Result<String, ReportError> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    document(&mut writer, results).map_err(|e| ReportError::Xml(e.to_string()))?;
    let mut bytes = writer.into_inner();
    bytes.push(b'\n');
    String::from_utf8(bytes).map_err(|e| ReportError::Xml(e.to_string()))
}

/// Writes [`junit_xml`] to `path` (parent directories are created).
pub fn write_junit(path: &Path, results: &[ScenarioResult]) -> Result<(), ReportError> {
    write_file(path, &junit_xml(results)?)
}

fn seconds(results: &[&ScenarioResult]) -> String {
    let total: f64 = results.iter().map(|r| r.wall.as_secs_f64()).sum();
    format!("{total:.3}")
}

fn counts(results: &[&ScenarioResult]) -> [(&'static str, String); 5] {
    let mut s = Summary {
        total: results.len(),
        ..Summary::default()
    };
    for r in results {
        match r.outcome {
            Outcome::Passed => s.passed += 1,
            Outcome::Failed { .. } => s.failed += 1,
            Outcome::Skipped { .. } => s.skipped += 1,
            Outcome::Error { .. } => s.errors += 1,
        }
    }
    [
        ("tests", s.total.to_string()),
        ("failures", s.failed.to_string()),
        ("errors", s.errors.to_string()),
        ("skipped", s.skipped.to_string()),
        ("time", seconds(results)),
    ]
}

fn document(w: &mut XmlWriter, results: &[ScenarioResult]) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let all: Vec<&ScenarioResult> = results.iter().collect();
    let mut backends: Vec<&str> = Vec::new();
    for r in results {
        if !backends.contains(&r.backend.as_str()) {
            backends.push(&r.backend);
        }
    }
    let top = counts(&all);
    w.create_element("testsuites")
        .with_attribute(("name", "provlab"))
        .with_attributes(top.iter().map(|(k, v)| (*k, v.as_str())))
        .write_inner_content(|w| {
            for backend in &backends {
                let suite: Vec<&ScenarioResult> =
                    results.iter().filter(|r| r.backend == *backend).collect();
                let name = format!("provlab.{backend}");
                let attrs = counts(&suite);
                w.create_element("testsuite")
                    .with_attribute(("name", name.as_str()))
                    .with_attributes(attrs.iter().map(|(k, v)| (*k, v.as_str())))
                    .write_inner_content(|w| {
                        for result in &suite {
                            testcase(w, &name, result)?;
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    Ok(())
}

fn testcase(w: &mut XmlWriter, classname: &str, r: &ScenarioResult) -> io::Result<()> {
    let file = r.file.display().to_string();
    let time = format!("{:.3}", r.wall.as_secs_f64());
    w.create_element("testcase")
        .with_attribute(("name", attr(&r.name).as_str()))
        .with_attribute(("classname", classname))
        .with_attribute(("file", attr(&file).as_str()))
        .with_attribute(("time", time.as_str()))
        .write_inner_content(|w| {
            properties(w, r)?;
            match &r.outcome {
                Outcome::Passed => {}
                Outcome::Failed { unmet } => {
                    let message = r.failure_message().unwrap_or_default();
                    let mut body: Vec<String> = unmet.iter().map(ToString::to_string).collect();
                    body.push(format!("seed {}; replay: {}", r.seed, r.replay_command()));
                    w.create_element("failure")
                        .with_attribute(("message", attr(&message).as_str()))
                        .with_attribute(("type", "unmet expectation"))
                        .write_text_content(BytesText::new(&clean(&body.join("\n"))))?;
                }
                Outcome::Error { message: full } => {
                    let message = r.failure_message().unwrap_or_default();
                    let element = w
                        .create_element("error")
                        .with_attribute(("message", attr(&message).as_str()));
                    match r.not_run_kind() {
                        // The whole text (every load diagnostic, with its source line).
                        Some(kind) => element
                            .with_attribute(("type", kind))
                            .write_text_content(BytesText::new(&clean(full)))?,
                        None => element
                            .with_attribute(("type", "backend error"))
                            .write_empty()?,
                    };
                }
                Outcome::Skipped { reason } => {
                    w.create_element("skipped")
                        .with_attribute(("message", attr(reason).as_str()))
                        .write_empty()?;
                }
            }
            w.create_element("system-out")
                .write_text_content(BytesText::new(&clean(&r.transcript.to_text())))?;
            Ok(())
        })?;
    Ok(())
}

fn properties(w: &mut XmlWriter, r: &ScenarioResult) -> io::Result<()> {
    let mut props: Vec<(&str, String)> = vec![
        ("seed", r.seed.to_string()),
        ("replay", r.replay_command()),
        ("virtual_time", format_time(r.virtual_ms)),
    ];
    props.extend(r.skipped.iter().map(|s| ("skipped", s.to_string())));
    props.extend(r.properties.iter().map(|(k, v)| (k.as_str(), v.clone())));
    w.create_element("properties").write_inner_content(|w| {
        for (name, value) in &props {
            w.create_element("property")
                .with_attribute(("name", *name))
                .with_attribute(("value", attr(value).as_str()))
                .write_empty()?;
        }
        Ok(())
    })?;
    Ok(())
}

/// [`clean`], and line breaks as spaces (an XML parser would turn them into spaces in an
/// attribute value anyway).
fn attr(text: &str) -> String {
    clean(text).replace("\r\n", " ").replace(['\n', '\r'], " ")
}

/// Replaces characters XML 1.0 cannot contain (C0 controls but tab, LF, CR; U+FFFE/U+FFFF)
/// with a visible `\xNN` / `\u{…}` spelling.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02x}", c as u32)),
            '\u{FFFE}' | '\u{FFFF}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{attr, clean};

    #[test]
    fn clean_replaces_what_xml_cannot_carry() {
        assert_eq!(clean("a\u{1}b\tc\u{FFFF}"), "a\\x01b\tc\\u{ffff}");
        assert_eq!(attr("one\ntwo\r\nthree"), "one two three");
    }
}
