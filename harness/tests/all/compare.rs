//! The timeline comparison: each drift kind found and named, identical runs without drift,
//! categories only one side shows left out, and the renderings.

use provlab_harness::compare::{compare, render, Category, CompareOptions, DriftKind, Verdict};
use provlab_harness::transcript::{Entry, EntryKind, Lane, Transcript};

fn client() -> Lane {
    Lane::Client("dk1".to_owned())
}

fn modem() -> Lane {
    Lane::Modem("dk1".to_owned())
}

fn event(t: &mut Transcript, at_ms: u64, name: &str) {
    t.push(Entry::on(at_ms, client(), EntryKind::Event, name));
}

fn fetch(t: &mut Transcript, at_ms: u64, status: &str, records: &[&str]) {
    t.push(Entry::message(
        at_ms,
        client(),
        Lane::Service,
        EntryKind::Request,
        "GET /v1/provisioning/commands?after=&limit=20",
    ));
    t.push(Entry::message(
        at_ms + 200,
        Lane::Service,
        client(),
        EntryKind::Response,
        format!("{status} application/cbor, {} records", records.len()),
    ));
    for r in records {
        t.push(Entry::message(
            at_ms + 200,
            Lane::Service,
            client(),
            EntryKind::Response,
            format!("  record {r}"),
        ));
    }
}

fn at(t: &mut Transcript, at_ms: u64, command: &str, answer: &str) {
    t.push(Entry::message(
        at_ms,
        client(),
        modem(),
        EntryKind::Request,
        command,
    ));
    t.push(Entry::message(
        at_ms + 5,
        modem(),
        client(),
        EntryKind::Response,
        answer,
    ));
}

/// A happy path: START, a fetch of two records, two AT commands, DONE, STOP.
fn happy(done_at: u64, stop_first: bool, keygen_answer: &str) -> Transcript {
    let mut t = Transcript::new();
    t.push(Entry::on(
        0,
        Lane::Runner,
        EntryKind::Note,
        "setup · seed 1",
    ));
    t.push(Entry::message(
        0,
        Lane::Owner("olivia".into()),
        Lane::Service,
        EntryKind::Request,
        "POST /v1/claimed-devices (dk1, tags [\"lab\"])",
    ));
    t.push(Entry::message(
        0,
        Lane::Service,
        Lane::Owner("olivia".into()),
        EntryKind::Response,
        "ok",
    ));
    event(&mut t, 2000, "SCHEDULED_PROVISIONING(5s)");
    event(&mut t, 2000, "START");
    fetch(
        &mut t,
        2015,
        "200",
        &[
            "aaaa-1111.1 AT \"AT%KEYGEN=16842753,2,1\"",
            "bbbb-2222.2 FINISHED",
        ],
    );
    at(&mut t, 2300, "AT%KEYGEN=16842753,2,1", keygen_answer);
    at(&mut t, 2400, "AT+CFUN?", "+CFUN: 4\\r\\nOK\\r\\n");
    if stop_first {
        event(&mut t, done_at, "STOP");
        event(&mut t, done_at, "DONE");
    } else {
        event(&mut t, done_at, "DONE");
        event(&mut t, done_at, "STOP");
    }
    t
}

fn options() -> CompareOptions {
    CompareOptions {
        a_label: "sim".into(),
        b_label: "hil".into(),
        scenario: Some("happy".into()),
        ..CompareOptions::default()
    }
}

const KEYGEN: &str = "%KEYGEN: \"MFkw\"\\r\\nOK\\r\\n";

#[test]
fn identical_runs_show_no_drift() {
    let a = happy(6600, false, KEYGEN);
    let report = compare(&a, &a.clone(), &options());
    assert_eq!(
        report.verdict,
        Verdict::NoDrift,
        "{}",
        render::text(&report)
    );
    assert!(report.drifts.is_empty());
    assert!(report.summary().starts_with("no drift"));
    assert!(report.not_compared.is_empty());
}

#[test]
fn ids_and_certificate_contents_do_not_count_as_drift() {
    let a = happy(6600, false, KEYGEN);
    let mut b = happy(6600, false, "%KEYGEN: \"OTHERKEY\"\\r\\nOK\\r\\n");
    for entry in &mut b.entries {
        entry.text = entry.text.replace("aaaa-1111", "ffff-9999");
    }
    let report = compare(&a, &b, &options());
    assert_eq!(
        report.verdict,
        Verdict::NoDrift,
        "{}",
        render::text(&report)
    );
}

#[test]
fn an_event_missing_in_b_is_named() {
    let a = happy(6600, false, KEYGEN);
    let mut b = a.clone();
    b.entries.retain(|e| e.text != "STOP");
    let report = compare(&a, &b, &options());
    assert_eq!(
        report.count(DriftKind::Missing),
        1,
        "{}",
        render::text(&report)
    );
    let drift = &report.drifts[0];
    assert_eq!(
        (drift.category, drift.key.as_str()),
        (Category::Event, "STOP")
    );
    assert!(
        drift.message.contains("missing in hil"),
        "{}",
        drift.message
    );
}

#[test]
fn an_extra_event_in_b_is_named() {
    let a = happy(6600, false, KEYGEN);
    let mut b = a.clone();
    event(&mut b, 7000, "FAILED_TOO_MANY_COMMANDS");
    let report = compare(&a, &b, &options());
    assert_eq!(
        report.count(DriftKind::Extra),
        1,
        "{}",
        render::text(&report)
    );
    assert_eq!(report.drifts[0].key, "FAILED_TOO_MANY_COMMANDS");
    assert_eq!(report.drifts.len(), 1);
}

#[test]
fn swapped_events_are_one_order_change() {
    let a = happy(6600, false, KEYGEN);
    let b = happy(6600, true, KEYGEN);
    let report = compare(&a, &b, &options());
    assert_eq!(report.drifts.len(), 1, "{}", render::text(&report));
    assert_eq!(report.drifts[0].kind, DriftKind::OrderChange);
    assert_eq!(report.drifts[0].key, "DONE");
    assert!(report.summary().contains("1 order change"));
}

#[test]
fn a_different_at_answer_is_named() {
    let a = happy(6600, false, KEYGEN);
    let b = happy(6600, false, "+CME ERROR: 514\\r\\n");
    let report = compare(&a, &b, &options());
    assert_eq!(report.drifts.len(), 1, "{}", render::text(&report));
    let drift = &report.drifts[0];
    assert_eq!(drift.kind, DriftKind::DifferentAnswer);
    assert_eq!(drift.category, Category::At);
    assert!(
        drift.message.contains("+CME ERROR: 514"),
        "{}",
        drift.message
    );
}

#[test]
fn a_different_fetch_answer_is_named_with_its_records() {
    let a = happy(6600, false, KEYGEN);
    let mut b = a.clone();
    for entry in &mut b.entries {
        entry.text = entry
            .text
            .replace("bbbb-2222.2 FINISHED", "bbbb-2222.2 CONFIG");
    }
    let report = compare(&a, &b, &options());
    let answers: Vec<_> = report
        .drifts
        .iter()
        .filter(|d| d.kind == DriftKind::DifferentAnswer)
        .collect();
    assert_eq!(answers.len(), 1, "{}", render::text(&report));
    assert_eq!(answers[0].key, "fetch");
    assert!(answers[0].message.contains("2 CONFIG"));
}

#[test]
fn timing_beyond_the_tolerance_is_named_and_within_it_not() {
    let a = happy(6600, false, KEYGEN);
    // DONE 4.6 s after START in A; 9 s in B (ratio 1.96): within 2.0.
    let b = happy(11000, false, KEYGEN);
    assert_eq!(compare(&a, &b, &options()).verdict, Verdict::NoDrift);
    // 14 s: ratio above 2.
    let c = happy(16000, false, KEYGEN);
    let report = compare(&a, &c, &options());
    assert_eq!(
        report.count(DriftKind::Timing),
        1,
        "{}",
        render::text(&report)
    );
    assert_eq!(report.drifts[0].key, "DONE");
    // A looser tolerance accepts it.
    let loose = CompareOptions {
        time_tolerance: 4.0,
        ..options()
    };
    assert_eq!(compare(&a, &c, &loose).verdict, Verdict::NoDrift);
}

#[test]
fn categories_one_side_cannot_see_are_not_compared() {
    let a = happy(6600, false, KEYGEN);
    let mut b = a.clone();
    b.entries
        .retain(|e| !matches!(e.to, Lane::Modem(_)) && !matches!(e.from, Lane::Modem(_)));
    let report = compare(&a, &b, &options());
    assert_eq!(
        report.verdict,
        Verdict::NoDrift,
        "{}",
        render::text(&report)
    );
    assert_eq!(report.not_compared.len(), 1);
    assert_eq!(report.not_compared[0].category, Category::At);
    assert_eq!(report.not_compared[0].only_in, "A");
}

#[test]
fn service_notes_line_up_with_the_exchanges_that_imply_them() {
    let a = happy(6600, false, KEYGEN);
    let mut b = Transcript::new();
    event(&mut b, 2000, "SCHEDULED_PROVISIONING 5");
    event(&mut b, 2000, "START");
    b.push(Entry::on(
        2300,
        Lane::Service,
        EntryKind::Note,
        "delivered 2 record(s) to dk1 (after ``)",
    ));
    event(&mut b, 6600, "DONE");
    event(&mut b, 6600, "STOP");
    let report = compare(&a, &b, &options());
    assert_eq!(
        report.verdict,
        Verdict::NoDrift,
        "{}",
        render::text(&report)
    );
    assert!(report.compared.contains(&Category::Service));
}

#[test]
fn renderings_are_deterministic_and_name_the_drift() {
    let a = happy(6600, false, KEYGEN);
    let b = happy(6600, true, KEYGEN);
    let one = compare(&a, &b, &options());
    let two = compare(&a, &b, &options());
    assert_eq!(render::text(&one), render::text(&two));
    let text = render::text(&one);
    assert!(text.contains("order change"), "{text}");
    assert!(text.contains("verdict: drift: 1 order change"), "{text}");
    let json = render::json(&one).unwrap_or_default();
    assert!(json.contains("\"order_change\""), "{json}");
    assert!(json.contains("\"verdict\": \"drift\""), "{json}");
    let html = render::html(&one);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("class=\"d\""));
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
}

#[test]
fn what_comes_after_the_timeline_is_not_compared() {
    // A simulation stops when the last step's condition holds; a board goes on printing
    // while the expectations are checked.
    let mut a = happy(6600, false, KEYGEN);
    a.entries.retain(|e| e.text != "DONE" && e.text != "STOP");
    a.push(Entry::on(
        6500,
        Lane::Runner,
        EntryKind::Note,
        "[[expect]] #1 · checking",
    ));
    let mut b = a.clone();
    event(&mut b, 6600, "DONE");
    event(&mut b, 6600, "STOP");
    let report = compare(&a, &b, &options());
    assert_eq!(
        report.verdict,
        Verdict::NoDrift,
        "{}",
        render::text(&report)
    );
    assert_eq!((report.a.after_timeline, report.b.after_timeline), (1, 3));
    assert!(
        render::text(&report).contains("after the timeline, not compared: 1 entries in A, 3 in B")
    );
}

#[test]
fn events_after_the_other_run_stopped_at_a_met_condition_are_not_drift() {
    // A stops the instant its last wait_until holds (after the report); B's last poll read
    // DONE and STOP too.
    let mut a = happy(6600, false, KEYGEN);
    a.entries.retain(|e| e.text != "DONE" && e.text != "STOP");
    a.push(Entry::on(
        6500,
        Lane::Runner,
        EntryKind::Note,
        "step 2 (wait_until) met at t=6.500s",
    ));
    let b = happy(6600, false, KEYGEN);
    let report = compare(&a, &b, &options());
    let text = render::text(&report);
    assert_eq!(report.verdict, Verdict::NoDrift, "{text}");
    assert_eq!(report.b.beyond_other_end, 2);
    assert!(
        text.contains(
            "beyond the other run's end, not compared: dk1 event `DONE` (B), dk1 event `STOP` (B)"
        ),
        "{text}"
    );
    // Without the met condition, the same difference is drift.
    a.entries.pop();
    assert_eq!(compare(&a, &b, &options()).count(DriftKind::Missing), 0);
    assert_eq!(compare(&a, &b, &options()).count(DriftKind::Extra), 2);
}
