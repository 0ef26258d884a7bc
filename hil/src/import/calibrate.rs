//! Checking a draft against the simulation, and calibrating what the console cannot show.
//!
//! The console does not print how many commands a batch carried, so the client's buffer
//! sizes and record limit (which decide how a configuration is split into batches) cannot be
//! read from it. The draft is run in simulation; when its events part from the log, a short,
//! fixed list of buffer and limit settings is tried, and the first that reproduces the log
//! is kept, with a comment and a warning saying so. When none does, the draft is kept as it
//! is and a warning names the first difference.

use std::path::Path;

use provlab_harness::{load_str, Outcome, RunOptions, Runner};
use provlab_sim::backend::SimBackendFactory;

use super::draft::{Draft, Item};
use super::emit;
use super::source::Warning;

/// Client settings tried, in order: `(rx_buf_size, tx_buf_size, records_limit)`.
const CANDIDATES: &[(Option<u32>, Option<u32>, Option<u32>)] = &[
    (Some(4096), Some(4096), None),
    (None, None, Some(1)),
    (None, None, Some(2)),
    (None, None, Some(3)),
    (Some(4096), Some(4096), Some(1)),
    (Some(4096), Some(4096), Some(2)),
    (Some(4096), Some(4096), Some(3)),
    (Some(4096), Some(4096), Some(4)),
    (Some(1024), Some(1024), None),
];

/// The keys calibration sets.
const KEYS: [&str; 3] = ["rx_buf_size", "tx_buf_size", "records_limit"];

/// How a draft's simulation run went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The simulation reproduces the log.
    Reproduces,
    /// It does not: the first unmet expectation, as the runner reports it.
    Differs(String),
    /// The draft does not load (a bug of the import) or the run could not go.
    Broken(String),
}

/// Runs the draft in simulation.
pub fn check(draft: &Draft) -> Verdict {
    let text = emit::write(draft);
    let loaded = match load_str(&text, Path::new(&format!("{}.toml", draft.name))) {
        Ok(l) => l,
        Err(e) => return Verdict::Broken(e.to_string()),
    };
    let result =
        Runner::new(SimBackendFactory::default(), RunOptions::with_seed(None)).run(&loaded);
    match result.outcome {
        Outcome::Passed => Verdict::Reproduces,
        Outcome::Failed { unmet } => Verdict::Differs(
            unmet
                .first()
                .map(|u| {
                    format!(
                        "{}: {} — expected {}, the simulation showed {}",
                        u.context, u.what, u.expected, u.observed
                    )
                })
                .unwrap_or_else(|| "the run failed".to_owned()),
        ),
        other => Verdict::Broken(format!("{other:?}")),
    }
}

/// Runs the draft and, if it parts from the log, tries the candidate client settings.
pub fn calibrate(draft: &mut Draft) -> Verdict {
    let first = check(draft);
    let Verdict::Differs(difference) = &first else {
        return first;
    };
    for (rx, tx, limit) in CANDIDATES {
        let mut trial = draft.clone();
        trial
            .client_keys
            .retain(|i| !KEYS.iter().any(|k| i.toml.starts_with(k)));
        let mut set = Vec::new();
        for (key, value) in KEYS.iter().zip([rx, tx, limit]) {
            if let Some(v) = value {
                set.push(format!("{key} = {v}"));
                trial.client_keys.push(Item::from_many(
                    format!("{key} = {v}"),
                    Vec::new(),
                    "calibrated: with it the simulation splits the configuration into the \
                     batches the log shows (the console does not print batch sizes)",
                ));
            }
        }
        if check(&trial) == Verdict::Reproduces {
            trial.warnings.push(Warning::general(format!(
                "the batches the log shows need {} (found by running the scenario in \
                 simulation; the field's buffers may differ, and certificates are lab \
                 placeholders of another size)",
                set.join(", ")
            )));
            *draft = trial;
            return Verdict::Reproduces;
        }
    }
    draft.warnings.push(Warning::general(format!(
        "the simulation parts from the log: {difference}"
    )));
    first
}
