//! `provlab import`: turns a field run (the device's console log, and, when available, the
//! service's command history for the device and an AT trace) into a scenario file that
//! reproduces it. Builds on the HIL runner's console decoder ([`crate::decode`]).
//!
//! * [`console`], [`history`], [`at_trace`]: reading the inputs (errors name the line).
//! * [`timeline`]: the field run as boots and attempts.
//! * [`infer`], [`walk`], [`config`]: the device, its configuration, the faults, the steps
//!   and the expectations, each with the input line it came from.
//! * [`emit`]: the TOML text, with a `# from FILE:LINE` comment on every inferred item.

pub mod at_trace;
pub mod calibrate;
pub mod config;
pub mod console;
pub mod draft;
pub mod emit;
pub mod error;
pub mod history;
pub mod infer;
pub mod source;
pub mod timeline;
pub mod toml_text;
pub mod walk;

pub use draft::Draft;
pub use error::ImportError;
pub use source::{Src, Warning};

/// One input file: the name it is cited by, and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The name used in comments and messages (normally the path as given).
    pub name: &'a str,
    /// The file's contents.
    pub bytes: &'a [u8],
}

/// What `provlab import` reads.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The console log (UART or RTT capture).
    pub console: Input<'a>,
    /// `GET /v1/claimed-devices/{id}/provisioning` as JSON.
    pub service_history: Option<Input<'a>>,
    /// An AT trace.
    pub at_trace: Option<Input<'a>>,
    /// The scenario's name.
    pub name: &'a str,
    /// The device's name in the scenario.
    pub device: &'a str,
    /// Run the draft in simulation and calibrate what the console cannot show
    /// ([`calibrate`]).
    pub calibrate: bool,
    /// Pass over lines of the provisioning modules the decoder does not know (with a
    /// warning) instead of failing on them.
    pub allow_unknown: bool,
}

/// The result of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The scenario file's text.
    pub toml: String,
    /// What could not be inferred or was inferred with doubt (also in the file).
    pub warnings: Vec<Warning>,
    /// The draft the text was written from.
    pub draft: Draft,
    /// How the simulation ran the scenario (`None` without calibration).
    pub verdict: Option<calibrate::Verdict>,
}

/// Imports a field run (see the module docs).
pub fn import(inputs: &Inputs<'_>) -> Result<Imported, ImportError> {
    let mut warnings = Vec::new();
    let log = console::read(
        inputs.console.name,
        inputs.console.bytes,
        inputs.allow_unknown,
        &mut warnings,
    )?;
    let timeline = timeline::build(&log, &mut warnings)?;
    let history = match inputs.service_history {
        Some(input) => {
            let text = text_of(input, |line, reason| ImportError::History {
                file: input.name.to_owned(),
                line,
                column: 0,
                reason,
            })?;
            Some(history::read(input.name, text)?)
        }
        None => None,
    };
    let at = match inputs.at_trace {
        Some(input) => {
            let text = text_of(input, |line, reason| ImportError::AtTrace {
                file: input.name.to_owned(),
                line,
                reason,
            })?;
            Some(at_trace::read(input.name, text)?)
        }
        None => None,
    };
    let sources = infer::Sources {
        log: &log,
        timeline: &timeline,
        history: history.as_deref(),
        at_trace: at.as_deref(),
        name: inputs.name,
        device: inputs.device,
    };
    let mut draft = infer::infer(&sources, warnings);
    if let Some(input) = inputs.service_history {
        draft
            .inputs
            .push(format!("{} (service history)", input.name));
    }
    if let Some(input) = inputs.at_trace {
        draft.inputs.push(format!("{} (AT trace)", input.name));
    }
    let verdict = inputs.calibrate.then(|| calibrate::calibrate(&mut draft));
    Ok(Imported {
        toml: emit::write(&draft),
        warnings: draft.warnings.clone(),
        draft,
        verdict,
    })
}

/// The text of an input, or an error naming the line of the first byte that is not UTF-8.
fn text_of<'a>(
    input: Input<'a>,
    err: impl Fn(usize, String) -> ImportError,
) -> Result<&'a str, ImportError> {
    std::str::from_utf8(input.bytes).map_err(|e| {
        let line = input
            .bytes
            .get(..e.valid_up_to())
            .map_or(1, |b| b.iter().filter(|c| **c == b'\n').count() + 1);
        err(line, "bytes that are not UTF-8 text".to_owned())
    })
}
