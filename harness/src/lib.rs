//! Scenarios and the runner that plays them against a backend.
//!
//! * [`scenario`]: the scenario model (TOML, documented in `scenarios/README.md`), with a
//!   JSON Schema generated from the types ([`schema`]).
//! * [`loader`]: reading files and directories, resolving `@file:` content, checking names;
//!   errors point at file, line and column.
//! * [`backend`]: the interface the simulation (`provlab-sim`) and HIL (`provlab-hil`)
//!   backends implement, with [`observation`] and [`transcript`] types shared by both.
//! * [`owner`]: the service-side calls of a scenario (starting state and owner actions)
//!   that a backend implements once ([`owner::OwnerActions`]) and the harness dispatches.
//! * [`runner`]: plays a scenario on a backend and checks its expectations.
//! * [`report`]: JUnit XML, JSON, transcript files (text, Mermaid, JSON), and the HTML
//!   page and Markdown summary people read.
//! * [`compare`]: two runs' transcripts aligned on protocol events, reported as drift.

pub mod backend;
pub mod compare;
pub mod duration;
pub mod loader;
pub mod located;
pub mod markup;
pub mod observation;
pub mod owner;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod schema;
pub mod transcript;

pub use backend::{
    Backend, BackendError, BackendFactory, Capabilities, Capability, StepOutcome, WaitOutcome,
};
pub use duration::Duration;
pub use loader::{
    load_each_with, load_file, load_file_with, load_path, load_path_with, load_str, scenario_files,
    FileLoad, LoadError, LoadOptions, LoadedScenario, Location,
};
pub use located::Located;
pub use observation::Observation;
pub use owner::{OwnerActions, Refused};
pub use runner::{NotRun, Outcome, RunOptions, Runner, ScenarioResult};
pub use scenario::Scenario;
pub use transcript::{Entry, EntryKind, Lane, Transcript};
