//! The interface between the runner and what runs a scenario: the simulation now, HIL
//! boards next.
//!
//! A backend is created per scenario run (by a [`BackendFactory`], so runs can go on
//! different threads), set up from the scenario, then driven step by step. It says up front
//! what it cannot do ([`Capabilities`]); the runner reports what that leaves out as skipped.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::duration::Duration;
use crate::observation::Observation;
use crate::scenario::{FaultClass, FaultKind, FaultWindow, Scenario, Step};
use crate::transcript::Transcript;

/// Something a backend may be unable to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// Injecting faults of a kind (`[[fault]]` with that kind's key).
    Fault(FaultClass),
    /// Holding a fault over a window of the timeline for many devices
    /// (`[[service.fault]]`), on top of injecting its kind.
    FaultWindow,
    /// Control of the modem's network time (devices with `network_time = false`).
    NetworkTimeControl,
    /// `power_cycle` steps.
    PowerCycle,
    /// Listing the modem's credentials (`nvm` expectations).
    NvmInspection,
    /// Capturing the records exchanged (`records` expectations).
    RecordCapture,
    /// Capturing the client's events (`events…` expectations).
    EventCapture,
    /// Time that can run faster than the wall clock (long `advance`/`within`).
    VirtualTime,
}

impl Capability {
    /// The capability a fault kind needs.
    pub fn for_fault(kind: &FaultKind) -> Capability {
        Capability::Fault(kind.class())
    }

    /// The capabilities a service-wide fault needs: windows, and its kind.
    pub fn for_fault_window(window: &FaultWindow) -> [Capability; 2] {
        [
            Capability::FaultWindow,
            Capability::Fault(window.kind.get().class()),
        ]
    }

    /// The capability a step needs beyond the basics, if any.
    pub fn for_step(step: &Step) -> Option<Capability> {
        match step {
            Step::PowerCycle(_) => Some(Capability::PowerCycle),
            _ => None,
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Capability::Fault(class) => class.words(),
            Capability::FaultWindow => "service-wide fault windows",
            Capability::NetworkTimeControl => "network time control",
            Capability::PowerCycle => "power cycling",
            Capability::NvmInspection => "NVM inspection",
            Capability::RecordCapture => "record capture",
            Capability::EventCapture => "event capture",
            Capability::VirtualTime => "virtual time",
        };
        f.write_str(text)
    }
}

/// What a backend can do: everything except the capabilities listed with a reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    missing: BTreeMap<Capability, String>,
}

impl Capabilities {
    /// Every capability (the simulation).
    pub fn all() -> Self {
        Self::default()
    }

    /// The same, without `capability`, for `reason` (shown in reports).
    pub fn without(mut self, capability: Capability, reason: impl Into<String>) -> Self {
        self.missing.insert(capability, reason.into());
        self
    }

    /// The same, injecting only the fault kinds in `can`: every other kind (also one added
    /// to the fault table later) is missing, for the reason `why` gives.
    pub fn with_faults_only(
        mut self,
        can: &[FaultClass],
        why: impl Fn(FaultClass) -> String,
    ) -> Self {
        for class in FaultClass::ALL {
            if !can.contains(class) {
                self.missing.insert(Capability::Fault(*class), why(*class));
            }
        }
        self
    }

    /// `Ok` if the backend has `capability`, else the reason it has not.
    pub fn check(&self, capability: Capability) -> Result<(), &str> {
        match self.missing.get(&capability) {
            Some(reason) => Err(reason),
            None => Ok(()),
        }
    }

    /// Whether the backend has `capability`.
    pub fn has(&self, capability: Capability) -> bool {
        self.check(capability).is_ok()
    }
}

/// The result of an action step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// Done (for an owner action: the service answered 2xx).
    Done,
    /// An owner action the service refused with an HTTP status (checked against
    /// `expect_status`).
    Refused {
        /// The HTTP status.
        status: u16,
        /// The service's `message`.
        message: String,
    },
    /// The backend cannot honour this step here.
    Skipped {
        /// Why.
        reason: String,
    },
}

/// The result of waiting for a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitOutcome {
    /// The condition held at this time (milliseconds).
    Met {
        /// When.
        at_ms: u64,
    },
    /// The deadline passed first.
    TimedOut {
        /// The time at the deadline.
        at_ms: u64,
    },
}

/// A backend failed (not an expectation: the run could not go on).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The backend could not be created or set up.
    #[error("backend setup failed: {0}")]
    Setup(Problem),
    /// The runner passed a step the backend does not take (e.g. `wait_until` to `step`).
    #[error("the backend does not take `{0}` steps")]
    InvalidStep(String),
    /// Anything else: an I/O error on a serial console, a crashed world, …
    #[error("{0}")]
    Failed(Problem),
}

impl BackendError {
    /// Setup failed for a reason given in words.
    pub fn setup(what: impl Into<String>) -> Self {
        Self::Setup(Problem::new(what))
    }

    /// Setup failed because of another crate's error, doing `context` (may be empty).
    pub fn setup_by(
        context: impl Into<String>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Setup(Problem::caused_by(context, cause))
    }

    /// The run could not go on, for a reason given in words.
    pub fn failed(what: impl Into<String>) -> Self {
        Self::Failed(Problem::new(what))
    }

    /// The run could not go on because of another crate's error, doing `context` (may be
    /// empty).
    pub fn failed_by(
        context: impl Into<String>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Failed(Problem::caused_by(context, cause))
    }
}

/// What went wrong in a backend: what it was doing, and the typed error of the crate that
/// failed it when there is one. The cause stays an error value (reachable through
/// [`Problem::cause`], so a caller can downcast it), not
/// text folded into a string. Its text already includes the cause's, so it is not a
/// `source()` link too (a printed chain would say it twice).
#[derive(Debug, Clone)]
pub struct Problem {
    context: String,
    cause: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Problem {
    /// A problem told in words only.
    pub fn new(what: impl Into<String>) -> Self {
        Problem {
            context: what.into(),
            cause: None,
        }
    }

    /// A problem caused by `cause` while doing `context` (empty: the cause says it all).
    pub fn caused_by(
        context: impl Into<String>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Problem {
            context: context.into(),
            cause: Some(Arc::new(cause)),
        }
    }

    /// The error that caused it, if another crate's error did.
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.cause.as_deref()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            None => f.write_str(&self.context),
            Some(cause) if self.context.is_empty() => write!(f, "{cause}"),
            Some(cause) => write!(f, "{}: {cause}", self.context),
        }
    }
}

/// Problems are equal when they read the same (causes are compared by their text).
impl PartialEq for Problem {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Problem {}

/// What runs scenarios: the simulation (`provlab-sim`) or HIL boards (`provlab-hil`).
///
/// Call order: [`Backend::capabilities`], [`Backend::setup`], then any number of
/// [`Backend::step`], [`Backend::wait`], [`Backend::observe`], and finally
/// [`Backend::transcript`].
pub trait Backend {
    /// A short name for reports (`"sim"`, `"hil"`).
    fn name(&self) -> &str;

    /// What this backend cannot do, with reasons.
    fn capabilities(&self) -> Capabilities;

    /// Builds the starting state: the service with its members, tags, rules and claimed
    /// devices with their configurations; the devices with their modems, NVM, settings and
    /// clients; the faults it supports, `active = false` ones switched off. `seed` drives
    /// every random choice.
    fn setup(&mut self, scenario: &Scenario, seed: u64) -> Result<(), BackendError>;

    /// Runs one action step: `trigger`, `advance`, `power_cycle`, `fault_on`, `fault_off`
    /// and the owner actions. The runner handles `wait_until` and `expect` itself (through
    /// [`Backend::wait`] and [`Backend::observe`]) and never passes them here.
    fn step(&mut self, step: &Step) -> Result<StepOutcome, BackendError>;

    /// Lets time run until `until` holds on an observation or `within` has passed.
    /// A virtual-time backend should test the condition after every event; a real-time one
    /// polls.
    fn wait(
        &mut self,
        within: Duration,
        until: &mut dyn FnMut(&Observation) -> bool,
    ) -> Result<WaitOutcome, BackendError>;

    /// The current state of every device.
    fn observe(&mut self) -> Result<Observation, BackendError>;

    /// The current state with at least `device` in it: the runner calls this where it
    /// checks one device. Override when observing every device is costly (fleets).
    fn observe_device(&mut self, device: &str) -> Result<Observation, BackendError> {
        let _ = device;
        self.observe()
    }

    /// Milliseconds since setup (virtual time in simulation).
    fn now_ms(&self) -> u64;

    /// Everything that happened so far, in order.
    fn transcript(&self) -> Transcript;

    /// How many transcript entries there are so far (the runner anchors its notes there).
    /// Override when cloning the transcript is costly.
    fn transcript_len(&self) -> usize {
        self.transcript().entries.len()
    }
}

/// Creates one backend per scenario run; shared between the threads of a parallel run.
pub trait BackendFactory: Send + Sync {
    /// The name of the backends it creates.
    fn name(&self) -> &str;

    /// A fresh backend.
    fn create(&self) -> Result<Box<dyn Backend>, BackendError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("port vanished")]
    struct PortGone;

    #[test]
    fn a_cause_stays_typed_and_reads_after_its_context() {
        let e = BackendError::failed_by("device `dk1`", PortGone);
        assert_eq!(e.to_string(), "device `dk1`: port vanished");
        let BackendError::Failed(problem) = &e else {
            panic!("not Failed: {e:?}");
        };
        assert!(problem
            .cause()
            .is_some_and(|c| c.downcast_ref::<PortGone>().is_some()));
        assert_eq!(
            BackendError::setup_by("", PortGone).to_string(),
            "backend setup failed: port vanished"
        );
        assert_eq!(BackendError::failed("no world").to_string(), "no world");
        assert!(matches!(BackendError::setup("x"), BackendError::Setup(p) if p.cause().is_none()));
    }
}
