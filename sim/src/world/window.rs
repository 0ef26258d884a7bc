//! Service-wide fault windows: a fault of the service or the network ([`WindowFault`])
//! held for every device or some of them, from one instant of virtual time to another.
//! The world opens and closes each window on its agenda, so it acts exactly at its
//! instants whatever the caller is doing (advancing, waiting), on the in-memory link and
//! with `--net loopback` alike (both read the open windows from [`LinkFaults`]). Opening
//! and closing are transcript entries of kind [`EntryKind::Fault`] on the link's lane,
//! with what the window holds and its devices.
//!
//! [`LinkFaults`]: super::LinkFaults

use std::collections::BTreeSet;
use std::time::Duration;

use super::link::{OpenWindow, WindowFault};
use super::transcript::Record as _;
use super::{duration_ms, DeviceId, Due, EntryKind, Lane, World, WorldError};

/// A service-wide fault window to plan.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultWindow {
    /// What it holds while open.
    pub fault: WindowFault,
    /// The devices it concerns (`None`: every device, also ones added later).
    pub devices: Option<Vec<DeviceId>>,
    /// When it opens (virtual time from the start).
    pub opens: Duration,
    /// When it closes (`None`: never); after `opens`.
    pub closes: Option<Duration>,
}

/// A planned window, kept while it may still open or close.
#[derive(Debug, Clone)]
pub(super) struct Planned {
    open: OpenWindow,
    /// Its devices in words, for the transcript.
    devices: String,
    closes_ms: Option<u64>,
}

impl World {
    /// Plans service-wide fault windows: each opens at its `opens` (at once if that is not
    /// in the future) and closes at its `closes`. At one instant, every window that closes
    /// there closes before any opens, so windows that touch never overlap.
    pub fn plan_fault_windows(&mut self, windows: Vec<FaultWindow>) -> Result<(), WorldError> {
        let mut opening = Vec::new();
        for window in windows {
            let devices = match &window.devices {
                None => None,
                Some(ids) => Some(
                    ids.iter()
                        .map(|&id| self.check(id))
                        .collect::<Result<BTreeSet<usize>, WorldError>>()?,
                ),
            };
            let words = match &devices {
                None => "all devices".to_owned(),
                Some(set) => set
                    .iter()
                    .filter_map(|&d| self.devices.get(d).map(|d| d.name.clone()))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            let opens_ms = duration_ms(window.opens);
            let closes_ms = window
                .closes
                .map(|c| duration_ms(c).max(opens_ms.saturating_add(1)));
            let id = self.windows.len();
            self.windows.push(Planned {
                open: OpenWindow {
                    fault: window.fault,
                    devices,
                },
                devices: words,
                closes_ms,
            });
            if let Some(at) = closes_ms {
                self.agenda.schedule(at, Due::Window { id, open: false });
            }
            opening.push((id, opens_ms));
        }
        for (id, at) in opening {
            if at <= self.now_ms {
                self.window(id, true);
            } else {
                self.agenda.schedule(at, Due::Window { id, open: true });
            }
        }
        Ok(())
    }

    /// Opens or closes window `id`, with its transcript entry.
    pub(super) fn window(&mut self, id: usize, open: bool) {
        let Some(planned) = self.windows.get(id) else {
            return;
        };
        let text = if open {
            let until = planned.closes_ms.map_or_else(
                || "until the end".to_owned(),
                |ms| format!("until {}", provlab_harness::Duration::from_millis(ms)),
            );
            format!(
                "service-wide fault opens ({}, {until}): {}",
                planned.devices, planned.open.fault
            )
        } else {
            format!(
                "service-wide fault closes ({}): {}",
                planned.devices, planned.open.fault
            )
        };
        let window = planned.open.clone();
        if open {
            self.faults.windows.insert(id, window);
        } else {
            self.faults.windows.remove(&id);
        }
        self.transcript
            .note(self.now_ms, Lane::Link, EntryKind::Fault, text);
    }
}
