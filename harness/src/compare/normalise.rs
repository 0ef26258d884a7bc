//! From transcript entries to protocol events: what two runs of one scenario can be compared
//! on, each with a key that does not depend on time, on run-specific ids (command UUIDs,
//! device ids, certificate contents) or on the wording of one backend or firmware era.
//!
//! | category | from | key | content / answer |
//! |---|---|---|---|
//! | `event` | a client event | the event name (`DONE`) | — |
//! | `request` | a device request and its answer | `connect`, `fetch`, `report` | the records sent / the status and the records received (`1.s AT`, `5 FINISHED`) |
//! | `at` | an AT command and its result | the command without quoted arguments | the result's first token (`OK`, `+CME ERROR: 513`, `%KEYGEN: "…"`) |
//! | `owner` | a REST call of a team member | the path (ids replaced) and its argument | `ok` or the refusal's status |
//! | `service` | what the service did for a device (a lab service's log, or implied by the simulation's answers) | `delivered`, `recorded` | the record count |
//! | `fault` | a fault that fired | its text | — |
//!
//! Runner notes, console lines and backend remarks are left out, and so is everything after
//! the end of the scenario's timeline (the runner's first `[[expect]] #N · checking`,
//! `timeline stopped …`, `passed` or `failed: …` note): a simulation stops at the virtual
//! instant the last step's condition holds, while a board goes on printing while the
//! expectations are checked, so what comes after says when each backend stopped looking,
//! not how the device behaved.

use serde::Serialize;

use crate::transcript::{Entry, EntryKind, Lane, Transcript};

/// The groups of protocol events; alignment happens within one category of one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Client events (`START`, `DONE`, `FAILED_*` …).
    Event,
    /// Device requests to the service and their answers.
    Request,
    /// AT commands the device ran and their results.
    At,
    /// REST calls of team members.
    Owner,
    /// What the service did for a device (records delivered, results recorded).
    Service,
    /// Faults that fired.
    Fault,
}

impl Category {
    /// Every category, in report order.
    pub const ALL: [Category; 6] = [
        Category::Event,
        Category::Request,
        Category::At,
        Category::Owner,
        Category::Service,
        Category::Fault,
    ];

    /// The lower-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Category::Event => "event",
            Category::Request => "request",
            Category::At => "at",
            Category::Owner => "owner",
            Category::Service => "service",
            Category::Fault => "fault",
        }
    }

    /// Whether its times say something about the device (events and requests happen when
    /// the device acts; owner calls and service notes are timed by the runner).
    pub fn timed(self) -> bool {
        matches!(self, Category::Event | Category::Request)
    }
}

/// One protocol event of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProtocolEvent {
    /// The index of its (first) entry in the transcript.
    pub entry: usize,
    /// When it happened, in milliseconds since setup.
    pub at_ms: u64,
    /// The device it concerns, or `owner` for team members' calls.
    pub stream: String,
    /// Its category.
    pub category: Category,
    /// The comparison key (see the module table).
    pub key: String,
    /// What was sent with it, normalised (records of a report), if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// The answer, normalised, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// The records of the answer, by position and type (`1.s AT`, `5 FINISHED`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<String>,
    /// The entry's own text, for display.
    pub text: String,
}

/// The stream name of team members' calls.
pub const OWNER_STREAM: &str = "owner";

/// The index of the first entry after the scenario's timeline (see the module notes); the
/// number of entries when the transcript has no such runner note (a console log).
pub fn timeline_end(transcript: &Transcript) -> usize {
    transcript
        .entries
        .iter()
        .position(|e| {
            e.from == Lane::Runner && e.kind == EntryKind::Note && {
                let t = e.text.as_str();
                t.starts_with("[[expect]]") && t.ends_with("checking")
                    || t.starts_with("timeline stopped")
                    || t == "passed"
                    || t.starts_with("failed: ")
            }
        })
        .unwrap_or(transcript.entries.len())
}

/// Whether the run's timeline ended the moment a `wait_until` held (its last runner note
/// before the end is `step N (wait_until) met at t=…`): such a run stops at that instant, so
/// it cannot show what the device did right after.
pub fn stopped_when_met(transcript: &Transcript) -> bool {
    let end = timeline_end(transcript);
    transcript
        .entries
        .get(..end)
        .unwrap_or(&transcript.entries)
        .iter()
        .rev()
        .find(|e| e.from == Lane::Runner && e.kind == EntryKind::Note)
        .is_some_and(|e| e.text.starts_with("step ") && e.text.contains("(wait_until) met at"))
}

/// The protocol events of a transcript's timeline, in transcript order.
pub fn normalise(transcript: &Transcript) -> Vec<ProtocolEvent> {
    let end = timeline_end(transcript);
    let entries = transcript.entries.get(..end).unwrap_or(&transcript.entries);
    let mut out: Vec<ProtocolEvent> = Vec::new();
    // The open request of each (from, to) lane pair, by its index in `out`.
    let mut open: Vec<(Lane, Lane, usize)> = Vec::new();
    // The open request is a CoAP block continuation whose answer is to be dropped.
    let mut skipping: Vec<(Lane, Lane)> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        match entry.kind {
            EntryKind::Event => {
                if let Some(device) = device_of(&entry.from) {
                    out.push(event(
                        index,
                        entry,
                        device,
                        Category::Event,
                        event_key(&entry.text),
                    ));
                }
            }
            EntryKind::Fault => {
                let stream = device_of(&entry.from).unwrap_or("service").to_owned();
                out.push(ProtocolEvent {
                    entry: index,
                    at_ms: entry.at_ms,
                    stream,
                    category: Category::Fault,
                    key: squash(&entry.text),
                    content: None,
                    answer: None,
                    records: Vec::new(),
                    text: entry.text.clone(),
                });
            }
            EntryKind::Note => {
                if entry.from == Lane::Service {
                    out.extend(service_note(index, entry));
                }
            }
            EntryKind::Request => {
                let text = entry.text.trim_start();
                if entry.text.starts_with(' ') {
                    // A record line of the open request's body.
                    if let Some(&(_, _, at)) = open
                        .iter()
                        .rev()
                        .find(|(f, t, _)| *f == entry.from && *t == entry.to)
                    {
                        if let Some(ev) = out.get_mut(at) {
                            append(&mut ev.content, &record_summary(text));
                        }
                    }
                    continue;
                }
                open.retain(|(f, t, _)| !(*f == entry.from && *t == entry.to));
                skipping.retain(|(f, t)| !(*f == entry.from && *t == entry.to));
                let classified = classify_request(entry);
                let Some((category, stream, key)) = classified else {
                    // Not compared: its answer must not be taken for an earlier request's.
                    skipping.push((entry.from.clone(), entry.to.clone()));
                    continue;
                };
                if category == Category::Request && is_block_continuation(text) {
                    skipping.push((entry.from.clone(), entry.to.clone()));
                    continue;
                }
                let mut ev = event(index, entry, &stream, category, key);
                if category == Category::Owner {
                    ev.stream = OWNER_STREAM.to_owned();
                }
                open.push((entry.from.clone(), entry.to.clone(), out.len()));
                out.push(ev);
            }
            EntryKind::Response => {
                // The answer to the request that went the other way.
                if skipping
                    .iter()
                    .any(|(f, t)| *f == entry.to && *t == entry.from)
                {
                    continue;
                }
                let Some(&(_, _, at)) = open
                    .iter()
                    .rev()
                    .find(|(f, t, _)| *f == entry.to && *t == entry.from)
                else {
                    continue;
                };
                let text = entry.text.trim_start();
                let Some(ev) = out.get_mut(at) else { continue };
                if entry.text.starts_with(' ') {
                    ev.records.push(record_summary(text));
                    continue;
                }
                ev.answer = Some(match ev.category {
                    Category::At => at_result(text),
                    Category::Owner => owner_answer(text),
                    _ => status_of(text),
                });
            }
        }
    }
    with_service_events(out)
}

impl ProtocolEvent {
    /// The answer with its records, as compared and shown: `200 [1 AT, 5 FINISHED]`.
    pub fn answer_text(&self) -> Option<String> {
        let records = (!self.records.is_empty()).then(|| format!("[{}]", self.records.join(", ")));
        match (&self.answer, records) {
            (Some(a), Some(r)) => Some(format!("{a} {r}")),
            (Some(a), None) => Some(a.clone()),
            (None, r) => r,
        }
    }
}

fn event(
    index: usize,
    entry: &Entry,
    stream: &str,
    category: Category,
    key: String,
) -> ProtocolEvent {
    ProtocolEvent {
        entry: index,
        at_ms: entry.at_ms,
        stream: stream.to_owned(),
        category,
        key,
        content: None,
        answer: None,
        records: Vec::new(),
        text: entry.text.clone(),
    }
}

fn append(slot: &mut Option<String>, item: &str) {
    match slot {
        Some(s) => {
            s.push_str(", ");
            s.push_str(item);
        }
        None => *slot = Some(item.to_owned()),
    }
}

/// The device a lane belongs to (its client, app, modem or power supply).
fn device_of(lane: &Lane) -> Option<&str> {
    lane.device()
}

/// `SCHEDULED_PROVISIONING(5s)` and `SCHEDULED_PROVISIONING 5` → `SCHEDULED_PROVISIONING`.
pub fn event_key(text: &str) -> String {
    let text = text.trim();
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    text.get(..end).unwrap_or(text).to_owned()
}

/// Which request a `Request` entry is, if it is one the comparison knows.
fn classify_request(entry: &Entry) -> Option<(Category, String, String)> {
    let text = entry.text.trim();
    if let Lane::Owner(_) = entry.from {
        return Some((Category::Owner, OWNER_STREAM.to_owned(), owner_key(text)));
    }
    let device = device_of(&entry.from)?.to_owned();
    if entry.to == Lane::Service {
        return device_request_key(text).map(|k| (Category::Request, device, k.to_owned()));
    }
    if let Lane::Modem(_) = entry.to {
        return at_key(text).map(|k| (Category::At, device, k));
    }
    None
}

/// The device request's key from its wording in the simulation (HTTP paths, CoAP
/// resources, DTLS), in console logs and in the timeline of a decoded log: `connect` (a
/// DTLS handshake), `fetch`, `report`. The CoAP JWT authentication and the DTLS close are
/// part of the session the firmware does not log, so they are not compared (`None`).
pub fn device_request_key(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    let has = |s: &str| lower.contains(s);
    if has("dtls close") || has("auth-jwt") {
        None
    } else if has("dtls handshake") || has("dtls setup") {
        Some("connect")
    } else if has("provisioning/commands") || has("p/cmd") || has("requesting commands") {
        Some("fetch")
    } else if has("provisioning/response") || has("p/rsp") || has("sending response") {
        Some("report")
    } else {
        None
    }
}

/// A CoAP block-wise continuation (`block2=N/…` with N > 0): part of the first request.
fn is_block_continuation(text: &str) -> bool {
    text.split_whitespace().any(|word| {
        word.strip_prefix("block2=")
            .and_then(|rest| rest.split('/').next())
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n > 0)
    })
}

/// An AT command's key: the command with quoted arguments left out (certificates, subjects),
/// without an `app: ` prefix.
pub fn at_key(text: &str) -> Option<String> {
    let text = text.strip_prefix("app: ").unwrap_or(text).trim();
    if !text.to_ascii_uppercase().starts_with("AT") {
        return None;
    }
    Some(strip_quoted(text))
}

/// Quoted strings become `"…"`; escapes inside them are skipped.
fn strip_quoted(text: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in text.chars() {
        if quoted {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                quoted = false;
                out.push_str("…\"");
            }
            continue;
        }
        if c == '"' {
            quoted = true;
            out.push('"');
        } else {
            out.push(c);
        }
    }
    if quoted {
        out.push_str("…\"");
    }
    out
}

/// An AT result: its first line, quoted values elided (`%KEYGEN: "…"`), `\r\n` removed.
fn at_result(text: &str) -> String {
    let first = text
        .split("\\r\\n")
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    strip_quoted(first)
}

/// An owner call's key: the path with ids replaced by `{id}` (a device's own name in the
/// simulation, its UUID on a lab service), and its command type or argument; the method and
/// parenthesised remarks left out (the backends word them differently).
pub fn owner_key(text: &str) -> String {
    let mut words = text.split_whitespace();
    let mut first = words.next().unwrap_or("");
    if first.chars().all(|c| c.is_ascii_uppercase()) {
        first = words.next().unwrap_or("");
    }
    let segments: Vec<&str> = first.split('/').collect();
    let mut path: Vec<String> = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        let previous = i.checked_sub(1).and_then(|p| segments.get(p)).copied();
        let id_position = matches!(
            previous,
            Some("claimed-devices" | "provisioning-rules" | "members")
        ) || previous == Some("provisioning") && i >= 4;
        if id_position || looks_like_id(segment) {
            path.push("{id}".to_owned());
        } else {
            path.push((*segment).to_owned());
        }
    }
    let mut key = path.join("/");
    for word in words {
        if word.starts_with('(') {
            break;
        }
        key.push(' ');
        key.push_str(if looks_like_id(word) { "{id}" } else { word });
    }
    key
}

/// A UUID or a long hexadecimal string.
fn looks_like_id(text: &str) -> bool {
    let hex = text.chars().filter(|c| c.is_ascii_hexdigit()).count();
    text.len() >= 16 && hex + text.matches('-').count() == text.len()
}

/// `ok` for a success (the simulation says `ok`, the lab service its 2xx status), else the
/// status or the first word of the refusal.
fn owner_answer(text: &str) -> String {
    let first = text.split_whitespace().next().unwrap_or("");
    if first.eq_ignore_ascii_case("ok") || first.starts_with('2') && first.len() == 3 {
        "ok".to_owned()
    } else {
        first.to_owned()
    }
}

/// A device answer's status: `200`, `204`, `2.05`, `500`, or its first word.
fn status_of(text: &str) -> String {
    let first = text.split_whitespace().next().unwrap_or("");
    let first = first.trim_end_matches([',', ':']);
    if first.eq_ignore_ascii_case("dtls") {
        return squash(text);
    }
    first.to_owned()
}

/// `record <uuid>.1.s AT "AT%CMNG=…"` → `1.s AT`; `response <uuid>.5 FINISHED_ACK` →
/// `5 FINISHED_ACK`.
fn record_summary(text: &str) -> String {
    let mut words = text.split_whitespace();
    let _label = words.next();
    let id = words.next().unwrap_or("");
    let kind = words.next().unwrap_or("");
    format!("{} {kind}", record_position(id))
}

/// The position part of a record id: `<uuid>.1.s` → `1.s` (the UUID differs between
/// services).
pub fn record_position(id: &str) -> &str {
    match id.find('.') {
        Some(dot) if dot > 0 => id.get(dot + 1..).unwrap_or(id),
        _ => id,
    }
}

/// Adds what the service did as the device's requests imply it (a fetch that delivered
/// records, a report whose results were accepted), after each request, so that a run whose
/// transcript shows the service's own log (HIL) lines up with one that shows the exchanges
/// (simulation). A transcript that has both gets the implied ones only where it has no
/// service notes of its own.
fn with_service_events(events: Vec<ProtocolEvent>) -> Vec<ProtocolEvent> {
    let has_notes = events.iter().any(|e| e.category == Category::Service);
    if has_notes {
        return events;
    }
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        let implied = implied_service(&event);
        out.push(event);
        out.extend(implied);
    }
    out
}

fn implied_service(request: &ProtocolEvent) -> Vec<ProtocolEvent> {
    if request.category != Category::Request {
        return Vec::new();
    }
    let success = request
        .answer
        .as_deref()
        .is_some_and(|a| a.starts_with('2'));
    let make = |key: &str, answer: Option<String>| ProtocolEvent {
        entry: request.entry,
        at_ms: request.at_ms,
        stream: request.stream.clone(),
        category: Category::Service,
        key: key.to_owned(),
        content: None,
        answer,
        records: Vec::new(),
        text: format!("(implied by the {} request's answer)", request.key),
    };
    match request.key.as_str() {
        "fetch" if success && !request.records.is_empty() => vec![make(
            "delivered",
            Some(format!("{} records", request.records.len())),
        )],
        "report" if success => {
            let n = request
                .content
                .as_deref()
                .map_or(0, |c| c.split(", ").count());
            (0..n).map(|_| make("recorded", None)).collect()
        }
        _ => Vec::new(),
    }
}

/// A lab service's note about a device (`delivered 7 record(s) to dk1 (after ``)`,
/// `recorded a result from dk1 for command …`).
fn service_note(index: usize, entry: &Entry) -> Option<ProtocolEvent> {
    let text = entry.text.trim();
    let words: Vec<&str> = text.split_whitespace().collect();
    let after = |word: &str| -> Option<String> {
        let at = words.iter().position(|w| *w == word)?;
        words
            .get(at + 1)
            .map(|w| w.trim_end_matches([':', ',']).to_owned())
    };
    let (key, stream, answer) = match words.first().copied() {
        Some("delivered") => (
            "delivered",
            after("to")?,
            words.get(1).map(|n| format!("{n} records")),
        ),
        Some("recorded") => ("recorded", after("from")?, None),
        // Rejections and rules applied have no counterpart in the simulation's transcript.
        _ => return None,
    };
    Some(ProtocolEvent {
        entry: index,
        at_ms: entry.at_ms,
        stream,
        category: Category::Service,
        key: key.to_owned(),
        content: None,
        answer,
        records: Vec::new(),
        text: entry.text.clone(),
    })
}

/// Runs of white space become one space.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(d: &str) -> Lane {
        Lane::Client(d.to_owned())
    }

    #[test]
    fn keys_ignore_ids_and_wording() {
        assert_eq!(
            event_key("SCHEDULED_PROVISIONING(5s)"),
            "SCHEDULED_PROVISIONING"
        );
        assert_eq!(
            event_key("SCHEDULED_PROVISIONING 5"),
            "SCHEDULED_PROVISIONING"
        );
        assert_eq!(
            owner_key("POST /v1/claimed-devices/dk1/provisioning finished"),
            owner_key(
                "POST /v1/claimed-devices/9685ef84-8cac-4257-b5cc-94bc416a1c1d/provisioning finished"
            )
        );
        assert_eq!(
            owner_key("POST /v1/claimed-devices (dk1, tags [\"lab\"])"),
            owner_key("POST /v1/claimed-devices (dk1 = 9685ef84-8cac-4257, tags [\"lab\"])")
        );
        assert_eq!(
            at_key("AT%CMNG=0,16842753,1,\"-----BEGIN\\\"x\""),
            Some("AT%CMNG=0,16842753,1,\"…\"".to_owned())
        );
        assert_eq!(at_key("app: AT+CFUN=1"), Some("AT+CFUN=1".to_owned()));
        assert_eq!(record_position("ca72bcfc-063c.1.s"), "1.s");
        assert_eq!(
            device_request_key("CON GET p/cmd?after= mid=1"),
            Some("fetch")
        );
        assert_eq!(
            device_request_key("GET /v1/provisioning/commands?after="),
            Some("fetch")
        );
    }

    #[test]
    fn requests_carry_answers_records_and_implied_service_events() {
        let mut t = Transcript::new();
        let s = Lane::Service;
        t.push(Entry::message(
            1,
            client("dk1"),
            s.clone(),
            EntryKind::Request,
            "GET /v1/provisioning/commands?after=",
        ));
        t.push(Entry::message(
            2,
            s.clone(),
            client("dk1"),
            EntryKind::Response,
            "200 application/cbor, 2 records, 99 bytes",
        ));
        t.push(Entry::message(
            2,
            s.clone(),
            client("dk1"),
            EntryKind::Response,
            "  record abc-1.1 AT \"AT%KEYGEN=1\"",
        ));
        t.push(Entry::message(
            2,
            s.clone(),
            client("dk1"),
            EntryKind::Response,
            "  record abc-2.2 FINISHED",
        ));
        t.push(Entry::message(
            3,
            client("dk1"),
            Lane::Modem("dk1".into()),
            EntryKind::Request,
            "AT%KEYGEN=1,2",
        ));
        t.push(Entry::message(
            4,
            Lane::Modem("dk1".into()),
            client("dk1"),
            EntryKind::Response,
            "%KEYGEN: \"abc\"\\r\\nOK\\r\\n",
        ));
        t.push(Entry::message(
            5,
            client("dk1"),
            s.clone(),
            EntryKind::Request,
            "POST /v1/provisioning/response",
        ));
        t.push(Entry::message(
            5,
            client("dk1"),
            s.clone(),
            EntryKind::Request,
            "  response abc-1.1 AT_OK message=\"x\"",
        ));
        t.push(Entry::message(
            6,
            s.clone(),
            client("dk1"),
            EntryKind::Response,
            "200 OK, 1 recorded",
        ));
        t.push(Entry::on(7, client("dk1"), EntryKind::Event, "DONE"));
        let events = normalise(&t);
        let keys: Vec<(Category, &str)> = events
            .iter()
            .map(|e| (e.category, e.key.as_str()))
            .collect();
        assert_eq!(
            keys,
            vec![
                (Category::Request, "fetch"),
                (Category::Service, "delivered"),
                (Category::At, "AT%KEYGEN=1,2"),
                (Category::Request, "report"),
                (Category::Service, "recorded"),
                (Category::Event, "DONE"),
            ]
        );
        assert_eq!(
            events[0].answer_text().as_deref(),
            Some("200 [1 AT, 2 FINISHED]")
        );
        assert_eq!(events[1].answer.as_deref(), Some("2 records"));
        assert_eq!(events[2].answer.as_deref(), Some("%KEYGEN: \"…\""));
        assert_eq!(events[3].content.as_deref(), Some("1 AT_OK"));
    }
}
