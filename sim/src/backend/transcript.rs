//! The world's transcript as a harness [`Transcript`], one entry per world entry, with the
//! owner actions woven in where they happened.
//!
//! Lanes: the world's app and power lanes are drawn on the device's client (`app: `,
//! `power: ` in front), the link on the service (`link: `). Kinds: `event …` messages from
//! the client are events; notes about faults, drops and power cuts are faults; other notes
//! are notes; messages from the service or a modem are responses, other messages requests.

use provlab_harness::transcript::{Entry, EntryKind, Lane};
use provlab_harness::Transcript;

use crate::world::transcript::{Entry as WorldEntry, Lane as WorldLane};
use crate::world::World;

/// The transcript of a run: the world's entries and the owner actions (each anchored
/// after that many world entries).
pub fn convert(world: &World, owner_log: &[(usize, Entry)]) -> Transcript {
    let entries = world.transcript().entries();
    let mut out = Transcript::new();
    out.entries.reserve(entries.len() + owner_log.len());
    let mut owner = owner_log.iter().peekable();
    for (i, entry) in entries.iter().enumerate() {
        while let Some((_, e)) = owner.next_if(|(anchor, _)| *anchor <= i) {
            out.push(e.clone());
        }
        out.push(convert_entry(entry));
    }
    for (_, e) in owner {
        out.push(e.clone());
    }
    out
}

/// A world lane as a harness lane, with the prefix its text gets there.
fn lane(l: &WorldLane) -> (Lane, &'static str) {
    match l {
        WorldLane::Owner => (Lane::Owner("owner".to_owned()), ""),
        WorldLane::Service => (Lane::Service, ""),
        WorldLane::Link => (Lane::Service, "link: "),
        WorldLane::Client(d) => (Lane::Client(d.clone()), ""),
        WorldLane::App(d) => (Lane::Client(d.clone()), "app: "),
        WorldLane::Modem(d) => (Lane::Modem(d.clone()), ""),
        WorldLane::Power(d) => (Lane::Client(d.clone()), "power: "),
    }
}

fn is_fault(text: &str) -> bool {
    text.starts_with("fault:")
        || text.starts_with("dropped")
        || text.starts_with("power cut")
        || text.starts_with("power cycle")
}

fn convert_entry(e: &WorldEntry) -> Entry {
    let (from, prefix) = lane(&e.from);
    let Some(to) = &e.to else {
        let (kind, text) = if is_fault(&e.text) {
            // The kind is rendered as `fault: `; do not say it twice.
            let text = e.text.strip_prefix("fault: ").unwrap_or(&e.text);
            (EntryKind::Fault, text)
        } else {
            (EntryKind::Note, e.text.as_str())
        };
        return Entry::on(e.at_ms, from, kind, format!("{prefix}{text}"));
    };
    if let (WorldLane::Client(_), WorldLane::App(_)) = (&e.from, to) {
        if let Some(event) = e.text.strip_prefix("event ") {
            return Entry::on(e.at_ms, from, EntryKind::Event, event);
        }
    }
    let (to, to_prefix) = lane(to);
    if from == to {
        let prefix = if prefix.is_empty() { to_prefix } else { prefix };
        return Entry::on(
            e.at_ms,
            from,
            EntryKind::Note,
            format!("{prefix}{}", e.text),
        );
    }
    let kind = match e.from {
        WorldLane::Service | WorldLane::Modem(_) => EntryKind::Response,
        _ => EntryKind::Request,
    };
    Entry::message(e.at_ms, from, to, kind, format!("{prefix}{}", e.text))
}
