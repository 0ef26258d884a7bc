//! The runner: sets a backend up from a scenario, plays the timeline, checks the
//! expectations, and collects a [`ScenarioResult`].
//!
//! Semantics:
//! * A fault the backend cannot inject skips the whole scenario, unless the fault is
//!   `optional`, in which case only that fault (and its `fault_on`/`fault_off` steps) is
//!   skipped. A device without network time needs [`Capability::NetworkTimeControl`].
//! * `wait_until` that times out fails the scenario and ends the timeline: later steps and
//!   the final expectations are not run.
//! * A mid-run `expect` that does not hold is recorded and the timeline goes on.
//! * Owner actions must get a 2xx answer, or the `expect_status` they name.
//! * Expectation parts the backend cannot check are reported as skipped.

mod check;
mod describe;
mod result;

use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

pub use check::{evaluate, Evaluation, Mismatch, Unchecked};
pub use describe::describe;
pub use result::{
    replay_command, replay_command_of, Check, NotRun, Outcome, ScenarioResult, Skip, Unmet, NOT_RUN,
};

use crate::backend::{
    Backend, BackendError, BackendFactory, Capabilities, Capability, StepOutcome, WaitOutcome,
};
use crate::duration::Duration;
use crate::loader::LoadedScenario;
use crate::located::Located;
use crate::scenario::{Expectation, Step};
use crate::transcript::{format_time, Entry, EntryKind, Lane, Transcript};

/// Options of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// Overrides the scenario's seed (`--seed`).
    pub seed: Option<u64>,
    /// The most virtual time a scenario's timeline may ask for (its `advance` and `within`
    /// durations summed): more is an error before the run starts.
    pub max_virtual_time: Duration,
    /// The most wall-clock time one scenario may take: a run over it ends as an error.
    pub wall_budget: std::time::Duration,
}

impl RunOptions {
    /// The default cap on a timeline's virtual time: a year (week- and month-long scheduled
    /// scenarios are normal use).
    pub const DEFAULT_MAX_VIRTUAL_TIME: Duration = Duration::from_millis(365 * 86_400_000);
    /// The default wall-clock budget of one scenario: ten minutes, ten times what the
    /// slowest catalogue scenario takes on a loaded 2-core machine.
    pub const DEFAULT_WALL_BUDGET: std::time::Duration = std::time::Duration::from_secs(600);

    /// The defaults, with `seed` overriding the scenario's.
    pub fn with_seed(seed: Option<u64>) -> Self {
        Self {
            seed,
            ..Self::default()
        }
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            seed: None,
            max_virtual_time: Self::DEFAULT_MAX_VIRTUAL_TIME,
            wall_budget: Self::DEFAULT_WALL_BUDGET,
        }
    }
}

/// Runs scenarios on backends made by a factory. `Sync` when the factory is, so one runner
/// can serve several threads.
#[derive(Debug, Clone)]
pub struct Runner<F> {
    factory: F,
    options: RunOptions,
}

impl<F: BackendFactory> Runner<F> {
    /// A runner on `factory`'s backends.
    pub fn new(factory: F, options: RunOptions) -> Self {
        Self { factory, options }
    }

    /// Runs one scenario on a fresh backend. A backend that cannot be created, or panics,
    /// gives an [`Outcome::Error`].
    pub fn run(&self, scenario: &LoadedScenario) -> ScenarioResult {
        let seed = self
            .options
            .seed
            .unwrap_or_else(|| scenario.scenario.seed());
        let started = Instant::now();
        let errored = |message: String| ScenarioResult {
            name: scenario.name().to_owned(),
            file: scenario.path.clone(),
            backend: self.factory.name().to_owned(),
            seed,
            outcome: Outcome::Error { message },
            skipped: Vec::new(),
            wall: started.elapsed(),
            virtual_ms: 0,
            transcript: Transcript::new(),
            replay: None,
            properties: Vec::new(),
            checks: Vec::new(),
        };
        let mut backend = match self.factory.create() {
            Ok(backend) => backend,
            Err(e) => return errored(e.to_string()),
        };
        let options = &self.options;
        match catch_unwind(AssertUnwindSafe(|| {
            run_with(scenario, backend.as_mut(), options)
        })) {
            Ok(result) => result,
            Err(panic) => {
                let text = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".to_owned());
                errored(format!("the backend panicked: {text}"))
            }
        }
    }

    /// Runs scenarios one after another.
    pub fn run_all(&self, scenarios: &[LoadedScenario]) -> Vec<ScenarioResult> {
        scenarios.iter().map(|s| self.run(s)).collect()
    }
}

/// Runs one scenario on a backend the caller made.
pub fn run_with(
    loaded: &LoadedScenario,
    backend: &mut dyn Backend,
    options: &RunOptions,
) -> ScenarioResult {
    let started = Instant::now();
    let seed = options.seed.unwrap_or_else(|| loaded.scenario.seed());
    let caps = backend.capabilities();
    let mut run = Run {
        loaded,
        backend,
        caps,
        options: options.clone(),
        deadline: started.checked_add(options.wall_budget),
        over_budget: std::cell::Cell::new(false),
        skipped: Vec::new(),
        unmet: Vec::new(),
        checks: Vec::new(),
        notes: Vec::new(),
        skipped_faults: Vec::new(),
    };
    let outcome = run.play(seed);
    let transcript = run.transcript();
    ScenarioResult {
        name: loaded.name().to_owned(),
        file: loaded.path.clone(),
        backend: run.backend.name().to_owned(),
        seed,
        outcome,
        skipped: run.skipped,
        wall: started.elapsed(),
        virtual_ms: run.backend.now_ms(),
        transcript,
        replay: None,
        properties: Vec::new(),
        checks: run.checks,
    }
}

/// A runner note, anchored after the backend's first `after` transcript entries.
struct Note {
    after: usize,
    entry: Entry,
}

struct Run<'a> {
    loaded: &'a LoadedScenario,
    backend: &'a mut dyn Backend,
    caps: Capabilities,
    options: RunOptions,
    /// When the wall-clock budget runs out (`None`: a budget too large to reach).
    deadline: Option<Instant>,
    /// Set by a wait's condition when the budget ran out while the backend waited.
    over_budget: std::cell::Cell<bool>,
    skipped: Vec<Skip>,
    unmet: Vec<Unmet>,
    /// Every compared expectation part, held or not.
    checks: Vec<Check>,
    notes: Vec<Note>,
    /// Names of optional faults left out.
    skipped_faults: Vec<String>,
}

impl Run<'_> {
    /// The error of a run over its wall-clock budget.
    fn budget_message(&self) -> String {
        format!(
            "the run went over its wall-clock budget of {}s (raise it with --wall-budget)",
            self.options.wall_budget.as_secs()
        )
    }

    /// Why the timeline asks for more virtual time than the cap, if it does: its `advance`
    /// and `within` durations summed (an upper bound of what it can run).
    fn asks_too_much_virtual_time(&self) -> Option<String> {
        let scenario = &self.loaded.scenario;
        let steps = scenario.steps.iter().map(|step| match step.get() {
            Step::Advance(d) => d.as_millis(),
            Step::WaitUntil(e) | Step::Expect(e) => {
                e.get().within.as_ref().map_or(0, |w| w.get().as_millis())
            }
            _ => 0,
        });
        let expectations = scenario
            .expect
            .iter()
            .map(|e| e.get().within.as_ref().map_or(0, |w| w.get().as_millis()));
        let total = steps
            .chain(expectations)
            .fold(0u64, |sum, ms| sum.saturating_add(ms));
        let cap = self.options.max_virtual_time;
        (total > cap.as_millis()).then(|| {
            format!(
                "the timeline asks for up to {} of virtual time (its advance and within durations summed), more than the cap of {cap} (raise it with --max-virtual-time)",
                Duration::from_millis(total)
            )
        })
    }
}

/// Whether the timeline goes on after a step.
enum Flow {
    Continue,
    Stop,
}

impl Run<'_> {
    fn play(&mut self, seed: u64) -> Outcome {
        if let Some(reason) = self.requirements() {
            self.note(format!("scenario skipped: {reason}"));
            return Outcome::Skipped { reason };
        }
        if let Some(message) = self.asks_too_much_virtual_time() {
            return Outcome::Error { message };
        }
        self.note(format!("setup · seed {seed}"));
        if let Err(e) = self.backend.setup(&self.loaded.scenario, seed) {
            return Outcome::Error {
                message: e.to_string(),
            };
        }
        let steps = &self.loaded.scenario.steps;
        let mut stopped = false;
        for (index, step) in steps.iter().enumerate() {
            let context = format!("step {} ({})", index + 1, step.keyword());
            if self.deadline.is_some_and(|d| Instant::now() > d) {
                return Outcome::Error {
                    message: format!("{context}: {}", self.budget_message()),
                };
            }
            self.note(format!("step {} · {}", index + 1, describe(step.get())));
            let flow = self.step(&context, step);
            if self.over_budget.get() {
                return Outcome::Error {
                    message: format!("{context}: {}", self.budget_message()),
                };
            }
            match flow {
                Ok(Flow::Continue) => {}
                Ok(Flow::Stop) => {
                    self.note(format!(
                        "timeline stopped at step {}: later steps and the final expectations were not run",
                        index + 1
                    ));
                    stopped = true;
                    break;
                }
                Err(e) => {
                    return Outcome::Error {
                        message: format!("{context}: {e}"),
                    }
                }
            }
        }
        if !stopped {
            for (index, expectation) in self.loaded.scenario.expect.iter().enumerate() {
                let context = format!("[[expect]] #{}", index + 1);
                self.note(format!("{context} · checking"));
                if let Err(e) = self.expect(&context, expectation) {
                    return Outcome::Error {
                        message: format!("{context}: {e}"),
                    };
                }
            }
        }
        if self.unmet.is_empty() {
            self.note("passed".to_owned());
            Outcome::Passed
        } else {
            self.note(format!("failed: {} unmet", self.unmet.len()));
            Outcome::Failed {
                unmet: self.unmet.clone(),
            }
        }
    }

    /// Leaves out optional faults the backend lacks; returns why the whole scenario must be
    /// skipped, if it must.
    fn requirements(&mut self) -> Option<String> {
        let loaded = self.loaded;
        for device in &loaded.scenario.devices {
            if !device.network_time {
                if let Err(reason) = self.caps.check(Capability::NetworkTimeControl) {
                    return Some(format!(
                        "{}: device `{}` starts without network time, but {} is unavailable: {reason}",
                        loaded.locate(&device.name.span()),
                        device.name.get(),
                        Capability::NetworkTimeControl
                    ));
                }
            }
        }
        for window in &loaded.scenario.service.faults {
            for capability in Capability::for_fault_window(window) {
                if let Err(reason) = self.caps.check(capability) {
                    return Some(format!(
                        "{}: service-wide {} fault needs {capability}: {reason}",
                        loaded.locate(&window.kind.span()),
                        window.kind.key()
                    ));
                }
            }
        }
        for fault in &loaded.scenario.faults {
            let capability = Capability::for_fault(fault.kind.get());
            let Err(reason) = self.caps.check(capability) else {
                continue;
            };
            let location = loaded.locate(&fault.kind.span());
            let what = match &fault.name {
                Some(name) => format!("fault `{}` ({})", name.get(), fault.kind.key()),
                None => format!("{} fault", fault.kind.key()),
            };
            if !fault.optional {
                return Some(format!(
                    "{location}: {what} needs {capability}: {reason} (mark the fault `optional = true` to run without it)"
                ));
            }
            if let Some(name) = &fault.name {
                self.skipped_faults.push(name.get().clone());
            }
            self.skip(
                location,
                what,
                format!("{capability} unavailable: {reason}"),
            );
        }
        None
    }

    fn step(&mut self, context: &str, step: &Located<Step>) -> Result<Flow, BackendError> {
        match step.get() {
            Step::WaitUntil(expectation) => return self.wait_until(context, expectation),
            Step::Expect(expectation) => {
                self.expect(context, expectation)?;
                return Ok(Flow::Continue);
            }
            Step::FaultOn(name) | Step::FaultOff(name)
                if self.skipped_faults.contains(name.get()) =>
            {
                let location = self.loaded.locate(&name.span());
                self.skip(
                    location,
                    context.to_owned(),
                    format!("fault `{}` is not injected on this backend", name.get()),
                );
                return Ok(Flow::Continue);
            }
            _ => {}
        }
        if let Some(capability) = Capability::for_step(step.get()) {
            if let Err(reason) = self.caps.check(capability) {
                let reason = format!("{capability} unavailable: {reason}");
                self.skip(self.loaded.locate(&step.span()), context.to_owned(), reason);
                return Ok(Flow::Continue);
            }
        }
        let outcome = self.backend.step(step.get())?;
        let expect_status = step.get().actor().and_then(|a| a.expect_status);
        let at_ms = self.backend.now_ms();
        let location = self.loaded.locate(&step.span());
        match outcome {
            StepOutcome::Done => {
                if let Some(status) = expect_status.filter(|s| *s < 300) {
                    self.held(Unmet {
                        location,
                        context: context.to_owned(),
                        what: "service answer".to_owned(),
                        expected: format!("status {status}"),
                        observed: "the action was accepted (2xx)".to_owned(),
                        at_ms,
                    });
                } else if let Some(status) = expect_status.filter(|s| *s >= 300) {
                    self.fail(Unmet {
                        location,
                        context: context.to_owned(),
                        what: "service answer".to_owned(),
                        expected: format!("refusal with status {status}"),
                        observed: "the action was accepted (2xx)".to_owned(),
                        at_ms,
                    });
                }
            }
            StepOutcome::Refused { status, message } => {
                if expect_status == Some(status) {
                    self.held(Unmet {
                        location,
                        context: context.to_owned(),
                        what: "service answer".to_owned(),
                        expected: format!("refusal with status {status}"),
                        observed: format!("status {status}: {message}"),
                        at_ms,
                    });
                } else {
                    let expected = expect_status
                        .map_or_else(|| "a 2xx answer".to_owned(), |s| format!("status {s}"));
                    self.fail(Unmet {
                        location,
                        context: context.to_owned(),
                        what: "service answer".to_owned(),
                        expected,
                        observed: format!("status {status}: {message}"),
                        at_ms,
                    });
                }
            }
            StepOutcome::Skipped { reason } => self.skip(location, context.to_owned(), reason),
        }
        Ok(Flow::Continue)
    }

    fn device_of(&self, expectation: &Expectation) -> String {
        self.loaded
            .scenario
            .resolve_device(expectation.device.as_ref())
            .unwrap_or_default()
            .to_owned()
    }

    fn wait_until(
        &mut self,
        context: &str,
        expectation: &Located<Expectation>,
    ) -> Result<Flow, BackendError> {
        let within = expectation
            .within
            .as_ref()
            .map_or(Duration::ZERO, |w| *w.get());
        let device = self.device_of(expectation);
        let caps = self.caps.clone();
        let (deadline, over) = (self.deadline, &self.over_budget);
        let mut until = |obs: &crate::observation::Observation| {
            if deadline.is_some_and(|d| Instant::now() > d) {
                over.set(true);
                return true;
            }
            evaluate(expectation.get(), &device, obs, &caps).holds()
        };
        let waited = self.backend.wait(within, &mut until)?;
        if self.over_budget.get() {
            return Ok(Flow::Continue);
        }
        match waited {
            WaitOutcome::Met { at_ms } => {
                self.note(format!("{context} met at t={}", format_time(at_ms)));
                self.record_unchecked(context, expectation, &device)?;
                Ok(Flow::Continue)
            }
            WaitOutcome::TimedOut { at_ms } => {
                let label = format!("{context} timed out after {within}");
                let observation = self.backend.observe_device(&device)?;
                let evaluation = evaluate(expectation.get(), &device, &observation, &self.caps);
                if evaluation.holds() {
                    // Held exactly at the deadline.
                    self.note(format!("{context} met at t={}", format_time(at_ms)));
                    return Ok(Flow::Continue);
                }
                self.note(label.clone());
                self.report(&label, expectation.span(), evaluation, observation.now_ms);
                Ok(Flow::Stop)
            }
        }
    }

    fn record_unchecked(
        &mut self,
        context: &str,
        expectation: &Located<Expectation>,
        device: &str,
    ) -> Result<(), BackendError> {
        let observation = self.backend.observe_device(device)?;
        let evaluation = evaluate(expectation.get(), device, &observation, &self.caps);
        for part in evaluation.held {
            self.held(Unmet {
                location: self.loaded.locate(&part.span),
                context: context.to_owned(),
                what: part.what,
                expected: part.expected,
                observed: part.observed,
                at_ms: observation.now_ms,
            });
        }
        for part in evaluation.unchecked {
            let location = self.loaded.locate(&part.span);
            self.skip(location, format!("{context}: {}", part.what), part.reason);
        }
        Ok(())
    }

    fn expect(
        &mut self,
        context: &str,
        expectation: &Located<Expectation>,
    ) -> Result<(), BackendError> {
        let device = self.device_of(expectation);
        let mut label = context.to_owned();
        if let Some(within) = &expectation.within {
            let caps = self.caps.clone();
            let (deadline, over) = (self.deadline, &self.over_budget);
            let mut until = |obs: &crate::observation::Observation| {
                if deadline.is_some_and(|d| Instant::now() > d) {
                    over.set(true);
                    return true;
                }
                evaluate(expectation.get(), &device, obs, &caps).holds()
            };
            let waited = self.backend.wait(*within.get(), &mut until)?;
            if self.over_budget.get() {
                return Err(BackendError::failed(self.budget_message()));
            }
            if let WaitOutcome::TimedOut { .. } = waited {
                label = format!("{context} (not within {})", within.get());
            }
        }
        let observation = self.backend.observe_device(&device)?;
        let evaluation = evaluate(expectation.get(), &device, &observation, &self.caps);
        if evaluation.holds() {
            self.note(format!("{context} holds"));
        } else {
            self.note(format!("{label} does not hold"));
        }
        self.report(&label, expectation.span(), evaluation, observation.now_ms);
        Ok(())
    }

    /// Turns an evaluation into unmet and skipped entries.
    fn report(&mut self, context: &str, block: Range<usize>, evaluation: Evaluation, at_ms: u64) {
        // Unmet parts in the order checked; every part's check in file order.
        let first_check = self.checks.len();
        let parts = (evaluation.mismatches.into_iter().map(|m| (false, m)))
            .chain(evaluation.held.into_iter().map(|m| (true, m)));
        for (holds, part) in parts {
            let span = if part.span == (0..0) {
                block.clone()
            } else {
                part.span
            };
            let unmet = Unmet {
                location: self.loaded.locate(&span),
                context: context.to_owned(),
                what: part.what,
                expected: part.expected,
                observed: part.observed,
                at_ms,
            };
            if holds {
                self.held(unmet);
            } else {
                self.fail(unmet);
            }
        }
        if let Some(added) = self.checks.get_mut(first_check..) {
            added.sort_by_key(|c| (c.location.line, c.location.column));
        }
        for part in evaluation.unchecked {
            let location = self.loaded.locate(&part.span);
            self.skip(location, format!("{context}: {}", part.what), part.reason);
        }
    }

    fn fail(&mut self, unmet: Unmet) {
        self.checks.push(Check::of(false, &unmet));
        self.unmet.push(unmet);
    }

    /// Records a part that held (the same fields as an unmet one).
    fn held(&mut self, part: Unmet) {
        self.checks.push(Check::of(true, &part));
    }

    fn skip(&mut self, location: crate::loader::Location, what: String, reason: String) {
        self.note(format!("skipped {what}: {reason}"));
        self.skipped.push(Skip {
            location,
            what,
            reason,
        });
    }

    fn note(&mut self, text: String) {
        let after = self.backend.transcript_len();
        let entry = Entry::on(self.backend.now_ms(), Lane::Runner, EntryKind::Note, text);
        self.notes.push(Note { after, entry });
    }

    /// The backend's transcript with the runner's notes woven in.
    fn transcript(&self) -> Transcript {
        let backend = self.backend.transcript();
        let mut merged = Transcript::new();
        let mut notes = self.notes.iter().peekable();
        for (index, entry) in backend.entries.into_iter().enumerate() {
            while let Some(note) = notes.next_if(|n| n.after <= index) {
                merged.push(note.entry.clone());
            }
            merged.push(entry);
        }
        for note in notes {
            merged.push(note.entry.clone());
        }
        merged
    }
}
