//! Fuzzes the bulk-claim CSV (`domain::devices::parse_claim_csv`, the body of a `text/csv`
//! `POST /v1/claimed-devices`) and the whole bulk claim through the domain's `Service`.
//!
//! Invariants: nothing panics; a body parses to 1..=MAX_CSV_ROWS rows with increasing row
//! numbers within the body's lines; a row's token is non-empty and trimmed, its tags non-empty,
//! trimmed and comma-free; the rows written back as nRF Cloud's `QUOTE_ALL` CSV parse to the
//! same tokens and tags; a bulk claim accounts for every row (claimed or failed), and its
//! events replay to the same state.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provlab_domain::devices::{parse_claim_csv, CsvRow, MAX_CSV_ROWS};
use provlab_domain::{Role, Service, ServiceConfig, Timestamp};

const OWNER: &str = "owner-key-0000000000";

fn quoted(field: &str) -> String {
    format!("\"{}\"", field.replace('"', "\"\""))
}

fn check_rows(body: &str) -> Option<usize> {
    let rows = parse_claim_csv(body).ok()?;
    assert!(!rows.is_empty() && rows.len() <= MAX_CSV_ROWS);
    let lines = body.lines().count();
    let mut last = 0;
    let mut good: Vec<CsvRow> = Vec::new();
    for row in &rows {
        let n = match row {
            Ok(row) => row.row,
            Err((n, _)) => *n,
        };
        assert!(
            n > last && n <= lines,
            "row {n} after {last}, {lines} lines"
        );
        last = n;
        if let Ok(row) = row {
            assert!(!row.claim_token.is_empty());
            assert_eq!(row.claim_token.trim(), row.claim_token);
            for tag in &row.tags {
                assert!(!tag.is_empty() && tag.trim() == tag && !tag.contains(','));
            }
            good.push(row.clone());
        }
    }
    if !good.is_empty() {
        let written: String = good
            .iter()
            .map(|r| format!("{},{}\n", quoted(&r.claim_token), quoted(&r.tags.join(","))))
            .collect();
        let again = parse_claim_csv(&written).expect("rows written back parse");
        assert_eq!(again.len(), good.len());
        for (row, back) in good.iter().zip(again) {
            let back = back.expect("a row written back parses");
            assert_eq!(
                (&back.claim_token, &back.tags),
                (&row.claim_token, &row.tags),
                "written back as {written:?}"
            );
        }
    }
    Some(rows.len())
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let Some(rows) = check_rows(body) else {
        return;
    };
    let config = ServiceConfig::new(7);
    let mut svc = Service::new(config.clone());
    let now = Timestamp::from_millis(1_714_564_800_000);
    let mut events = svc
        .setup_member(now, "olivia", Role::Owner, Some(OWNER))
        .expect("the owner is set up")
        .events;
    let outcome = svc
        .claim_bulk_csv(now, Some(OWNER), body)
        .expect("a parsed body is claimed row by row");
    let report = &outcome.value;
    assert_eq!(report.claimed_ids.len() + report.failed.len(), rows);
    events.extend(outcome.events.iter().cloned());
    let replayed = Service::replay(config, &events).expect("the events replay");
    assert_eq!(replayed.state(), svc.state());
});
