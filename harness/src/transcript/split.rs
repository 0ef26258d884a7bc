//! Cutting a transcript into diagram-sized parts: one diagram while it is small, else one
//! per device (plus one of the service side: owners, service, link and the runner's
//! notes), and a device with too many entries is cut again between provisioning attempts.
//! Every part stays under [`MAX_ROWS`] entries, so a 20-device fleet gives readable
//! diagrams of bounded size instead of one that no viewer draws.

use super::{Entry, EntryKind, Lane, Transcript};

/// The most entries drawn in one diagram (one row each).
pub const MAX_ROWS: usize = 300;
/// The most devices drawn together in one diagram; more get one diagram each.
pub const MAX_DEVICES_TOGETHER: usize = 3;

/// One part of a transcript, with its title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Part {
    /// What the part shows: `all lanes`, `dk1`, `dk1 · part 2 of 3 · attempts 4–6`.
    pub(super) title: String,
    /// Its entries, in transcript order.
    pub(super) transcript: Transcript,
}

/// The parts `transcript` is drawn in.
pub(super) fn parts(transcript: &Transcript) -> Vec<Part> {
    let devices = devices(transcript);
    let all: Vec<&Entry> = transcript.entries.iter().collect();
    if devices.len() <= MAX_DEVICES_TOGETHER && all.len() <= MAX_ROWS {
        return vec![Part {
            title: "all lanes".to_owned(),
            transcript: transcript.clone(),
        }];
    }
    if devices.len() <= 1 {
        let title = devices.first().map_or("all lanes", |d| d.as_str());
        return by_attempt(title, &all);
    }
    let mut parts = Vec::new();
    let shared: Vec<&Entry> = all
        .iter()
        .copied()
        .filter(|e| e.from.device().is_none() && e.to.device().is_none())
        .collect();
    if !shared.is_empty() {
        parts.extend(by_attempt("service, owners and runner", &shared));
    }
    for device in &devices {
        let own: Vec<&Entry> = all
            .iter()
            .copied()
            .filter(|e| {
                e.from.device() == Some(device)
                    || e.to.device() == Some(device)
                    || (e.from == Lane::Runner && names(&e.text, device))
            })
            .collect();
        parts.extend(by_attempt(device, &own));
    }
    parts
}

/// The devices of a transcript, in order of first appearance.
fn devices(transcript: &Transcript) -> Vec<String> {
    let mut devices: Vec<String> = Vec::new();
    for entry in &transcript.entries {
        for lane in [&entry.from, &entry.to] {
            if let Some(d) = lane.device() {
                if !devices.iter().any(|x| x == d) {
                    devices.push(d.to_owned());
                }
            }
        }
    }
    devices
}

/// Whether `text` names `device` as a word of its own (`dk1` in `trigger dk1`, not in
/// `dk10`).
fn names(text: &str, device: &str) -> bool {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .any(|word| word.trim_end_matches('.') == device)
}

/// Whether `entry` starts a provisioning attempt (the client's `START` event).
fn starts_attempt(entry: &Entry) -> bool {
    entry.kind == EntryKind::Event
        && matches!(entry.from, Lane::Client(_))
        && entry.text.split_whitespace().next() == Some("START")
}

/// `entries` as one part titled `title`, or, over [`MAX_ROWS`], several: whole attempts
/// packed together while they fit, an attempt longer than that cut into pieces.
fn by_attempt(title: &str, entries: &[&Entry]) -> Vec<Part> {
    if entries.len() <= MAX_ROWS {
        return vec![part(title.to_owned(), entries)];
    }
    // Attempt segments: (number of the attempt it starts with, its entries); 0 is what
    // comes before the first attempt.
    let mut segments: Vec<(usize, Vec<&Entry>)> = vec![(0, Vec::new())];
    let mut attempt = 0;
    for entry in entries {
        if starts_attempt(entry) {
            attempt += 1;
            segments.push((attempt, Vec::new()));
        }
        if let Some((_, last)) = segments.last_mut() {
            last.push(*entry);
        }
    }
    // Pieces: (first attempt, last attempt, entries).
    let mut pieces: Vec<(usize, usize, Vec<&Entry>)> = Vec::new();
    for (number, segment) in segments.into_iter().filter(|(_, s)| !s.is_empty()) {
        match pieces.last_mut() {
            Some((_, last, current)) if current.len() + segment.len() <= MAX_ROWS => {
                *last = number;
                current.extend(segment);
            }
            _ => {
                for chunk in segment.chunks(MAX_ROWS) {
                    pieces.push((number, number, chunk.to_vec()));
                }
            }
        }
    }
    let total = pieces.len();
    let has_attempts = attempt > 0;
    pieces
        .into_iter()
        .enumerate()
        .map(|(index, (first, last, entries))| {
            let mut title = format!("{title} · part {} of {total}", index + 1);
            if has_attempts {
                let attempts = match (first, last) {
                    (0, 0) => "before the first attempt".to_owned(),
                    (a, b) if a == b => format!("attempt {a}"),
                    (0, b) => format!("up to attempt {b}"),
                    (a, b) => format!("attempts {a}–{b}"),
                };
                title = format!("{title} · {attempts}");
            }
            part(title, &entries)
        })
        .collect()
}

fn part(title: String, entries: &[&Entry]) -> Part {
    Part {
        title,
        transcript: Transcript {
            entries: entries.iter().map(|e| (*e).clone()).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(t: &mut Transcript, name: &str, attempts: usize, per_attempt: usize) {
        let client = Lane::Client(name.to_owned());
        for _ in 0..attempts {
            t.push(Entry::on(0, client.clone(), EntryKind::Event, "START"));
            for _ in 1..per_attempt {
                t.push(Entry::message(
                    0,
                    client.clone(),
                    Lane::Service,
                    EntryKind::Request,
                    "GET /v1/provisioning/commands",
                ));
            }
        }
    }

    #[test]
    fn a_small_run_is_one_diagram() {
        let mut t = Transcript::new();
        device(&mut t, "dk1", 2, 10);
        device(&mut t, "dk2", 2, 10);
        let parts = parts(&t);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].title, "all lanes");
        assert_eq!(parts[0].transcript, t);
    }

    #[test]
    fn a_fleet_is_one_diagram_per_device_plus_the_service_side() {
        let mut t = Transcript::new();
        t.push(Entry::on(
            0,
            Lane::Runner,
            EntryKind::Note,
            "step 1 · trigger dk1",
        ));
        t.push(Entry::on(
            0,
            Lane::Runner,
            EntryKind::Note,
            "step 2 · trigger dk10",
        ));
        for n in 1..=20 {
            device(&mut t, &format!("dk{n}"), 1, 5);
        }
        let parts = parts(&t);
        assert_eq!(parts.len(), 21);
        assert_eq!(parts[0].title, "service, owners and runner");
        assert_eq!(parts[0].transcript.entries.len(), 2);
        assert_eq!(parts[1].title, "dk1");
        // Its own 5 entries and the note that names it (not the one naming dk10).
        assert_eq!(parts[1].transcript.entries.len(), 6);
        assert_eq!(parts[10].title, "dk10");
        assert_eq!(parts[10].transcript.entries.len(), 6);
        assert_eq!(parts[20].transcript.entries.len(), 5);
    }

    #[test]
    fn a_long_device_run_is_cut_between_attempts() {
        let mut t = Transcript::new();
        device(&mut t, "dk1", 7, 100);
        let parts = parts(&t);
        let titles: Vec<&str> = parts.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "dk1 · part 1 of 3 · attempts 1–3",
                "dk1 · part 2 of 3 · attempts 4–6",
                "dk1 · part 3 of 3 · attempt 7"
            ]
        );
        assert!(parts.iter().all(|p| p.transcript.entries.len() <= MAX_ROWS));
        let total: usize = parts.iter().map(|p| p.transcript.entries.len()).sum();
        assert_eq!(total, 700);
    }

    #[test]
    fn an_attempt_over_the_limit_is_cut_in_pieces() {
        let mut t = Transcript::new();
        device(&mut t, "dk1", 1, 2 * MAX_ROWS + 1);
        let parts = parts(&t);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.transcript.entries.len() <= MAX_ROWS));
        assert_eq!(parts[2].title, "dk1 · part 3 of 3 · attempt 1");
        // Without attempts (the service side), parts are only numbered.
        let mut service = Transcript::new();
        for _ in 0..MAX_ROWS + 1 {
            service.push(Entry::on(0, Lane::Service, EntryKind::Note, "x"));
        }
        let titles: Vec<String> = super::parts(&service)
            .into_iter()
            .map(|p| p.title)
            .collect();
        assert_eq!(
            titles,
            ["all lanes · part 1 of 2", "all lanes · part 2 of 2"]
        );
    }

    #[test]
    fn device_names_are_matched_as_words() {
        assert!(names("step 1 · trigger dk1", "dk1"));
        assert!(names("wait_until device=dk1 events", "dk1"));
        assert!(!names("trigger dk10", "dk1"));
        assert!(names("unclaim dk1-0002.", "dk1-0002"));
    }
}
