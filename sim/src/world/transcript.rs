//! The world's transcript: every observable message of a run, in order, with virtual
//! timestamps, lanes and kinds, recorded as the harness's
//! [`Transcript`] (the one transcript model, with its text and
//! Mermaid renderings). Each entry's kind is given where the world makes the entry; the
//! world only adds its abbreviation of long texts ([`abbreviate`]).

use sha2::{Digest as _, Sha256};

pub use provlab_harness::transcript::{Entry, EntryKind, Lane, Transcript};

/// Longest text kept verbatim in an entry; longer texts are abbreviated
/// ([`abbreviate`]).
pub const MAX_TEXT: usize = 200;

/// The owner lane's name for the world's own owner operations ([`World::owner`]).
///
/// [`World::owner`]: super::World::owner
pub const OWNER: &str = "owner";

/// Recording into a transcript the way the world does: texts escaped and abbreviated.
pub(crate) trait Record {
    /// Records a message from one lane to another.
    fn message(&mut self, at_ms: u64, from: Lane, to: Lane, kind: EntryKind, text: impl AsRef<str>);

    /// Records something that happened on one lane (a note, a fault, an event).
    fn note(&mut self, at_ms: u64, lane: Lane, kind: EntryKind, text: impl AsRef<str>);
}

impl Record for Transcript {
    fn message(
        &mut self,
        at_ms: u64,
        from: Lane,
        to: Lane,
        kind: EntryKind,
        text: impl AsRef<str>,
    ) {
        self.push(Entry::message(
            at_ms,
            from,
            to,
            kind,
            abbreviate(text.as_ref()),
        ));
    }

    fn note(&mut self, at_ms: u64, lane: Lane, kind: EntryKind, text: impl AsRef<str>) {
        self.push(Entry::on(at_ms, lane, kind, abbreviate(text.as_ref())));
    }
}

/// Escapes control characters so an entry stays one line, in the one escape style of
/// [`provlab_proto::text`].
pub use provlab_proto::text::escape;

/// The escaped text, or for a text longer than [`MAX_TEXT`] its first 80 and last 24
/// characters around `…[N bytes sha256:xxxxxxxx]…`: stable for the same content.
pub fn abbreviate(text: &str) -> String {
    let escaped = escape(text);
    let count = escaped.chars().count();
    if count <= MAX_TEXT {
        return escaped;
    }
    let head: String = escaped.chars().take(80).collect();
    let tail: String = escaped.chars().skip(count - 24).collect();
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "{head}…[{} bytes sha256:{}]…{tail}",
        text.len(),
        hex::encode(&digest[..4])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_texts_are_escaped_and_abbreviated() {
        let mut t = Transcript::new();
        t.message(
            12_345,
            Lane::Client("dk1".into()),
            Lane::Modem("dk1".into()),
            EntryKind::Request,
            "AT%CCLK?\r\n",
        );
        t.note(12_346, Lane::Link, EntryKind::Fault, "A".repeat(500));
        assert_eq!(t.entries[0].text, "AT%CCLK?\\r\\n");
        assert_eq!(t.entries[0].kind, EntryKind::Request);
        assert_eq!(t.entries[1].kind, EntryKind::Fault);
        assert!(t.entries[1].text.contains("500 bytes sha256:"));
        assert!(t.entries[1].text.chars().count() < MAX_TEXT);
        let long = "A".repeat(500);
        assert_eq!(abbreviate(&long), abbreviate(&long));
        assert_eq!(abbreviate("short"), "short");
        assert_eq!(escape("OK\r\n\u{1}"), "OK\\r\\n\\x01");
    }

    /// A device that boots, is power-cycled, and fetches through a partition.
    fn eventful_world() -> super::super::World {
        use std::time::Duration;

        use provlab_server::domain::commands::{CommandRequest, Finished};

        use super::super::{DeviceSpec, World, WorldConfig};

        let mut world = World::new(WorldConfig::new(5)).expect("world");
        let dk1 = world.add_device(DeviceSpec::new("dk1")).expect("device");
        world.advance(Duration::from_secs(3));
        world.power_cycle(dk1).expect("power cycle");
        world.advance(Duration::from_secs(10));
        world.claim(dk1, &["lab"]).expect("claim");
        world
            .add_command(dk1, CommandRequest::Finished(Finished {}))
            .expect("command");
        world.partition_for(Duration::from_secs(5));
        world.trigger(dk1).expect("trigger");
        world.advance(Duration::from_secs(120));
        world
    }

    #[test]
    fn kinds_and_lanes_are_set_where_entries_are_made() {
        let world = eventful_world();
        let t = world.transcript();
        let dk1 = |lane: fn(String) -> Lane| lane("dk1".to_owned());
        let on = |lane: &Lane, kind: EntryKind| -> Vec<&str> {
            t.entries
                .iter()
                .filter(|e| e.from == *lane && e.kind == kind)
                .map(|e| e.text.as_str())
                .collect()
        };
        assert_eq!(
            on(&dk1(Lane::Power), EntryKind::Fault),
            ["power cycle"],
            "{}",
            t.to_text()
        );
        let power_notes = on(&dk1(Lane::Power), EntryKind::Note);
        assert_eq!(power_notes, ["power on (boot 1)", "power on (boot 2)"]);
        assert!(on(&dk1(Lane::App), EntryKind::Note).contains(&"shell: nrf_provisioning now"));
        assert!(on(&dk1(Lane::App), EntryKind::Request).contains(&"AT+CFUN=1"));
        let link_faults = on(&Lane::Link, EntryKind::Fault);
        assert!(link_faults.contains(&"partition for 5s"), "{link_faults:?}");
        assert!(
            link_faults
                .iter()
                .any(|f| f.starts_with("dropped (partition)")),
            "{link_faults:?}"
        );
        assert!(on(&dk1(Lane::Client), EntryKind::Event).contains(&"DONE"));
        // The kind says it; no text repeats it.
        assert!(t.entries.iter().all(|e| !e.text.starts_with("fault:")));
        assert!(t.entries.iter().all(|e| !e.text.starts_with("event ")));
    }

    #[test]
    fn the_world_renders_app_and_power_on_participants_of_their_own() {
        let world = eventful_world();
        let mermaid = world.transcript().to_mermaid();
        for participant in [
            "participant link as link",
            "participant dk1_app as dk1.app",
            "participant dk1_power as dk1.power",
        ] {
            assert!(mermaid.contains(participant), "{mermaid}");
        }
        assert!(mermaid.contains("Note over dk1_power: 0.000s power on (boot 1)"));
        assert!(mermaid.contains("dk1_app->>dk1_modem:"), "{mermaid}");
        assert!(mermaid.contains("fault: power cycle"), "{mermaid}");
        // The text form keeps them on the client's line.
        let text = world.transcript().to_text();
        assert!(
            text.contains("dk1.client  power: power on (boot 1)"),
            "{text}"
        );
        assert!(
            text.contains("dk1.client  fault: power: power cycle"),
            "{text}"
        );
        assert!(!text.contains("dk1.app"), "{text}");
    }
}
