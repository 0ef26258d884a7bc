//! The HIL backend: plays a scenario on leased boards (real or virtual) against a lab
//! service started for the run, through the harness's [`Backend`] trait, so the same
//! scenario files run in simulation and on hardware.
//!
//! Per scenario run: the lab service starts ([`crate::lab`]); the board provider leases one
//! board per scenario device and points it at the service; the service's starting state and
//! every owner action go over REST ([`crate::service`], dispatched by the harness); each
//! board's root CA sec tag gets the scenario's root CA (the lab's unless the scenario says
//! otherwise); a `trigger` is `nrf_provisioning now` on the console; waiting polls the
//! consoles (decoded into client events) and the service's REST view until the condition
//! holds or the deadline (scaled by the boards' clock speed) passes.
//!
//! Failures are classified: a board error of the rig ([`BoardError::Infrastructure`]: port
//! gone, probe error, no output before a deadline) is recorded in [`Attempts`] so the run
//! can retry the scenario once on another board; anything else is the product's.

pub mod board;
pub mod console_board;
pub mod rack_provider;
pub mod service_log;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use provlab_harness::observation::{DeviceObservation, ObservedEvent};
use provlab_harness::owner::{default_actor, owner_step, set_up_service};
use provlab_harness::scenario::{CredentialType, FaultClass, Scenario, Step};
use provlab_harness::transcript::{Entry, EntryKind, Lane};
use provlab_harness::{
    Backend, BackendError, BackendFactory, Capabilities, Capability, Duration, Observation,
    StepOutcome, Transcript, WaitOutcome,
};
use provlab_server::api_client::ApiClient;

pub use board::{BoardError, BoardLink, BoardOutput};

use crate::clock::RunClock;
use crate::lab::{LabServer, LabServiceConfig};
use crate::service::{observe, LabContent, LabService, TokenSource};

/// How long a console poll waits for output in one round of a wait, in board time: the
/// wall-clock round is this divided by the boards' speed (at least 5 ms), so events keep
/// their timing resolution on fast virtual boards.
const POLL_ROUND: StdDuration = StdDuration::from_millis(100);

/// The wall-clock length of a poll round at `speed`.
fn poll_round(speed: u32) -> StdDuration {
    (POLL_ROUND / speed.max(1)).max(StdDuration::from_millis(5))
}

/// Where the boards of a run come from: the rack (leases, flashing, consoles) or, in tests,
/// scripted boards.
pub trait BoardProvider: Send + Sync {
    /// A short name for reports (`"hil"`).
    fn name(&self) -> &str {
        "hil"
    }

    /// Where this run's lab service listens and what its certificate names.
    fn lab_config(&self) -> LabServiceConfig;

    /// How many times faster than the wall clock the boards' clocks run (1 on hardware).
    fn speed(&self) -> u32;

    /// What the boards cannot do (e.g. no power control in the rack), with reasons.
    fn capabilities(&self) -> Capabilities;

    /// The wall-clock budget of one whole scenario run (set-up included); past it the run
    /// ends as an infrastructure failure, whatever step it is in. `None`: no budget beyond
    /// the steps' own deadlines.
    fn scenario_budget(&self) -> Option<StdDuration> {
        None
    }

    /// Leases and prepares one board per scenario device (by the device's name), pointed at
    /// the lab service at `service`. Dropping a link releases its board.
    fn acquire(
        &self,
        scenario: &Scenario,
        seed: u64,
        service: &LabEndpoints,
    ) -> Result<LeasedBoards, BoardError>;
}

/// The boards of a run, by the scenario device each runs.
pub type LeasedBoards = Vec<(String, Box<dyn BoardLink>)>;

/// The lab service's device endpoints as the boards reach them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabEndpoints {
    /// The host boards connect to (the lab hostname, or 127.0.0.1 for virtual boards).
    pub host: String,
    /// The HTTPS port.
    pub https_port: u16,
    /// The CoAP/DTLS port.
    pub coap_port: u16,
    /// The lab root CA (PEM).
    pub root_ca: String,
    /// Each scenario device's root CA (the scenario's, else the lab's), for boards whose
    /// firmware can be built with it (virtual boards).
    pub root_cas: BTreeMap<String, String>,
}

/// One attempt at a scenario, as the reports list them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The scenario's name.
    pub scenario: String,
    /// The boards it ran on (rack ids).
    pub boards: Vec<String>,
    /// The infrastructure failure that ended it, if one did.
    pub infrastructure: Option<String>,
}

/// Every attempt of a run, shared between the backends and the run that retries.
#[derive(Debug, Clone, Default)]
pub struct Attempts(Arc<Mutex<Vec<Attempt>>>);

impl Attempts {
    /// Records an attempt.
    pub fn push(&self, attempt: Attempt) {
        if let Ok(mut all) = self.0.lock() {
            all.push(attempt);
        }
    }

    /// Every attempt so far.
    pub fn all(&self) -> Vec<Attempt> {
        self.0.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// The last attempt of `scenario`.
    pub fn last_of(&self, scenario: &str) -> Option<Attempt> {
        self.all()
            .into_iter()
            .rev()
            .find(|a| a.scenario == scenario)
    }
}

/// Creates [`HilBackend`]s on one board provider, sharing the attempts record.
#[derive(Clone)]
pub struct HilBackendFactory {
    provider: Arc<dyn BoardProvider>,
    attempts: Attempts,
}

impl HilBackendFactory {
    /// A factory of backends on `provider`'s boards.
    pub fn new(provider: Arc<dyn BoardProvider>) -> Self {
        Self {
            provider,
            attempts: Attempts::default(),
        }
    }

    /// Every attempt made by its backends.
    pub fn attempts(&self) -> &Attempts {
        &self.attempts
    }
}

impl BackendFactory for HilBackendFactory {
    fn name(&self) -> &str {
        "hil"
    }

    fn create(&self) -> Result<Box<dyn Backend>, BackendError> {
        Ok(Box::new(HilBackend::new(
            self.provider.clone(),
            self.attempts.clone(),
        )))
    }
}

/// One scenario run on hardware (see the module docs).
pub struct HilBackend {
    provider: Arc<dyn BoardProvider>,
    attempts: Attempts,
    run: Option<HilRun>,
    clock: RunClock,
    /// When the scenario's wall-clock budget runs out.
    deadline: Option<Instant>,
}

impl std::fmt::Debug for HilBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HilBackend")
            .field("boards", &self.run.as_ref().map(|r| r.board_ids()))
            .finish_non_exhaustive()
    }
}

/// The state of a run once set up.
struct HilRun {
    scenario: String,
    // Dropped last: the boards first (their leases), then the service.
    service: LabService,
    boards: BTreeMap<String, Box<dyn BoardLink>>,
    events: BTreeMap<String, Vec<ObservedEvent>>,
    transcript: Transcript,
    owner_entries_seen: usize,
    default_actor: String,
    /// Service events already in the transcript.
    service_events_seen: usize,
    /// By device name: how many service events there were when its board's fresh boot
    /// began; the device's earlier ones (a fetch by its power-on attempt during the set-up)
    /// belong to the set-up and stay out of the transcript.
    fresh_boot_at: BTreeMap<String, usize>,
    /// The run's lab service, kept running until the run ends (dropped last).
    lab: LabServer,
}

impl HilRun {
    fn board_ids(&self) -> Vec<String> {
        self.boards.values().map(|b| b.id().to_owned()).collect()
    }
}

/// Reads tokens over the boards' consoles for the claims of the service's set-up.
struct Consoles<'a> {
    boards: &'a mut BTreeMap<String, Box<dyn BoardLink>>,
    infrastructure: &'a mut Option<String>,
}

impl TokenSource for Consoles<'_> {
    fn attestation_token(&mut self, device: &str) -> Result<String, BackendError> {
        let board = self
            .boards
            .get_mut(device)
            .ok_or_else(|| BackendError::failed(format!("no board runs device `{device}`")))?;
        board.attestation_token().map_err(|e| {
            if e.is_infrastructure() {
                *self.infrastructure = Some(e.to_string());
            }
            BackendError::failed_by(format!("device `{device}` ({})", board.id()), e)
        })
    }
}

impl HilBackend {
    /// A backend drawing boards from `provider`, recording its attempt in `attempts`.
    pub fn new(provider: Arc<dyn BoardProvider>, attempts: Attempts) -> Self {
        let clock = RunClock::start(provider.speed());
        Self {
            provider,
            attempts,
            run: None,
            clock,
            deadline: None,
        }
    }

    fn run(&mut self) -> Result<&mut HilRun, BackendError> {
        self.run
            .as_mut()
            .ok_or_else(|| BackendError::failed("the backend was not set up".to_owned()))
    }

    /// Records the attempt with `infrastructure` as its end, and turns `error` into the
    /// backend error the runner reports.
    fn infrastructure(
        &self,
        scenario: &str,
        boards: Vec<String>,
        error: &BoardError,
    ) -> BackendError {
        self.attempts.push(Attempt {
            scenario: scenario.to_owned(),
            boards,
            infrastructure: Some(error.to_string()),
        });
        BackendError::failed_by("", error.clone())
    }

    fn set_up(&mut self, scenario: &Scenario, seed: u64) -> Result<HilRun, BackendError> {
        let name = scenario.name.get().clone();
        let lab = LabServer::start(&self.provider.lab_config()).map_err(|e| {
            self.infrastructure(
                &name,
                Vec::new(),
                &BoardError::Infrastructure(e.to_string()),
            )
        })?;
        let bound = lab.bound().clone();
        let content = LabContent::new(lab.root_ca()).map_err(|e| BackendError::setup_by("", e))?;
        // Each device's root CA: the scenario's, else the lab's.
        let mut root_cas = BTreeMap::new();
        for device in &scenario.devices {
            let wanted = device
                .credentials
                .iter()
                .find(|c| c.kind == CredentialType::RootCa)
                .and_then(|c| c.content.as_ref())
                .map(|c| content.resolve(c))
                .transpose()?
                .unwrap_or_else(|| lab.root_ca().to_owned());
            root_cas.insert(device.name.get().clone(), wanted);
        }
        let endpoints = LabEndpoints {
            host: self
                .provider
                .lab_config()
                .hostnames
                .first()
                .cloned()
                .unwrap_or_else(|| "127.0.0.1".to_owned()),
            https_port: bound.https.map_or(0, |a| a.port()),
            coap_port: bound.coap.map_or(0, |a| a.port()),
            root_ca: lab.root_ca().to_owned(),
            root_cas,
        };
        let boards = self
            .provider
            .acquire(scenario, seed, &endpoints)
            .map_err(|e| match &e {
                BoardError::Infrastructure(_) => self.infrastructure(&name, Vec::new(), &e),
                BoardError::Product(m) => BackendError::setup(m.clone()),
            })?;
        let mut boards: BTreeMap<String, Box<dyn BoardLink>> = boards.into_iter().collect();
        let ids: Vec<String> = boards.values().map(|b| b.id().to_owned()).collect();
        // Each board's root CA sec tag must hold the device's root CA.
        for device in &scenario.devices {
            let board = boards.get_mut(device.name.get()).ok_or_else(|| {
                BackendError::setup(format!("no board for device `{}`", device.name.get()))
            })?;
            let wanted = endpoints
                .root_cas
                .get(device.name.get())
                .cloned()
                .unwrap_or_else(|| lab.root_ca().to_owned());
            board.ensure_root_ca(&wanted).map_err(|e| match &e {
                BoardError::Infrastructure(_) => self.infrastructure(&name, ids.clone(), &e),
                BoardError::Product(m) => BackendError::setup(format!(
                    "device `{}`: installing the root CA: {m}",
                    device.name.get()
                )),
            })?;
        }
        let api = ApiClient::new(&lab.rest_url()).map_err(|e| BackendError::setup_by("", e))?;
        let mut service = LabService::connect(api, lab.owner_key(), content, self.clock)?;
        let mut infrastructure = None;
        let setup = {
            let mut tokens = Consoles {
                boards: &mut boards,
                infrastructure: &mut infrastructure,
            };
            set_up_service(&mut service.actions(&mut tokens), scenario)
        };
        if let Some(failure) = infrastructure {
            return Err(self.infrastructure(&name, ids, &BoardError::Infrastructure(failure)));
        }
        setup?;
        // Devices nobody claimed yet are still known by their tokens (for claim steps and
        // observations).
        for device in &scenario.devices {
            if service.device_id(device.name.get()).is_none() {
                let mut failure = None;
                let token = Consoles {
                    boards: &mut boards,
                    infrastructure: &mut failure,
                }
                .attestation_token(device.name.get());
                if let Some(failure) = failure {
                    let e = BoardError::Infrastructure(failure);
                    return Err(self.infrastructure(&name, ids, &e));
                }
                service.learn_device(device.name.get(), &token?)?;
            }
        }
        let mut rig_notes: Vec<(String, String)> = Vec::new();
        let mut after_boot: Vec<(String, Vec<BoardOutput>)> = Vec::new();
        let mut fresh_boot_at: BTreeMap<String, usize> = BTreeMap::new();
        // The scenario starts from a fresh boot, as a simulated device does at t=0: no
        // attempt the firmware scheduled at power-on runs into the set-up above.
        for (device, board) in &mut boards {
            let rebooted = board
                .power_cycle(None)
                // What the board printed before this boot belongs to the set-up; what the rig
                // did to it is kept, and so is what the fresh boot printed (its first
                // SCHEDULED_PROVISIONING), which belongs to the scenario.
                .and_then(|()| board.poll(StdDuration::ZERO))
                .map(|outputs| {
                    // The banner came before anything the fresh boot can ask the service.
                    let seen = lab.app().stored_events().map_or(0, |e| e.len());
                    fresh_boot_at.insert(device.clone(), seen);
                    let boot = outputs
                        .iter()
                        .rposition(|o| *o == BoardOutput::Booted)
                        .map_or(0, |i| i + 1);
                    let mut outputs = outputs;
                    let fresh = outputs.split_off(boot.min(outputs.len()));
                    rig_notes.extend(outputs.into_iter().filter_map(|o| match o {
                        BoardOutput::Note(text) => Some((device.clone(), text)),
                        _ => None,
                    }));
                    after_boot.push((device.clone(), fresh));
                });
            rebooted.map_err(|e| match &e {
                BoardError::Infrastructure(_) => self.infrastructure(&name, ids.clone(), &e),
                BoardError::Product(m) => {
                    BackendError::setup(format!("device `{device}`: rebooting: {m}"))
                }
            })?;
        }
        let mut transcript = Transcript::new();
        for (device, text) in rig_notes {
            transcript.push(Entry::on(
                self.clock.now_ms(),
                Lane::Modem(device),
                EntryKind::Note,
                format!("rig: {text}"),
            ));
        }
        let mut run = HilRun {
            scenario: name,
            service,
            boards,
            events: BTreeMap::new(),
            transcript,
            owner_entries_seen: 0,
            default_actor: default_actor(scenario),
            service_events_seen: 0,
            fresh_boot_at,
            lab,
        };
        let now = self.clock.now_ms();
        for (device, outputs) in after_boot {
            record_outputs(&mut run, &device, outputs, now);
        }
        Ok(run)
    }

    /// Reads every board's output once (waiting at most `wait` on the first), recording
    /// events and lines in the transcript.
    fn pump(&mut self, wait: StdDuration) -> Result<(), BackendError> {
        let clock = self.clock;
        let attempts = self.attempts.clone();
        let run = self.run()?;
        copy_owner_log(run);
        copy_service_log(run, clock.now_ms());
        let mut first = true;
        let ids = run.board_ids();
        let devices: Vec<String> = run.boards.keys().cloned().collect();
        for device in devices {
            let Some(board) = run.boards.get_mut(&device) else {
                continue;
            };
            let outputs = match board.poll(if first { wait } else { StdDuration::ZERO }) {
                Ok(o) => o,
                Err(e) => {
                    if e.is_infrastructure() {
                        attempts.push(Attempt {
                            scenario: run.scenario.clone(),
                            boards: ids,
                            infrastructure: Some(e.to_string()),
                        });
                    }
                    return Err(BackendError::failed_by(
                        format!("device `{device}` ({})", board.id()),
                        e,
                    ));
                }
            };
            first = false;
            record_outputs(run, &device, outputs, clock.now_ms());
        }
        Ok(())
    }

    /// Fails the run as an infrastructure failure once the scenario's budget is spent.
    fn within_budget(&self) -> Result<(), BackendError> {
        let Some(deadline) = self.deadline else {
            return Ok(());
        };
        if Instant::now() < deadline {
            return Ok(());
        }
        let budget = self.provider.scenario_budget().unwrap_or_default();
        let (scenario, boards) = self
            .run
            .as_ref()
            .map(|r| (r.scenario.clone(), r.board_ids()))
            .unwrap_or_default();
        Err(self.infrastructure(
            &scenario,
            boards,
            &BoardError::Infrastructure(format!(
                "the scenario's budget of {budget:?} (the rack's `scenario` timeout) is spent"
            )),
        ))
    }

    /// Every device as the service and the consoles show it now.
    fn observation(&mut self) -> Result<Observation, BackendError> {
        let now_ms = self.clock.now_ms();
        let run = self.run()?;
        let mut devices = BTreeMap::new();
        for device in run.boards.keys() {
            let mut seen: DeviceObservation = observe::device(&run.service, device)?;
            seen.events = run.events.get(device).cloned().unwrap_or_default();
            devices.insert(device.clone(), seen);
        }
        Ok(Observation { now_ms, devices })
    }
}

/// Records what a board printed: events in the transcript and the observed events, other
/// outputs as transcript entries.
fn record_outputs(run: &mut HilRun, device: &str, outputs: Vec<BoardOutput>, now: u64) {
    let lane = Lane::Client(device.to_owned());
    for output in outputs {
        match output {
            BoardOutput::Event { event, detail } => {
                let text = match &detail {
                    Some(d) => format!("{event} {d}"),
                    None => event.to_string(),
                };
                run.transcript
                    .push(Entry::on(now, lane.clone(), EntryKind::Event, text));
                run.events
                    .entry(device.to_owned())
                    .or_default()
                    .push(ObservedEvent {
                        at_ms: now,
                        event,
                        detail,
                    });
            }
            BoardOutput::Booted => run.transcript.push(Entry::on(
                now,
                Lane::Modem(device.to_owned()),
                EntryKind::Note,
                "booted",
            )),
            BoardOutput::Request(text) => run.transcript.push(Entry::message(
                now,
                lane.clone(),
                Lane::Service,
                EntryKind::Request,
                text,
            )),
            BoardOutput::Answer(text) => run.transcript.push(Entry::message(
                now,
                Lane::Service,
                lane.clone(),
                EntryKind::Response,
                text,
            )),
            BoardOutput::Line(line) => run.transcript.push(Entry::on(
                now,
                lane.clone(),
                EntryKind::Note,
                format!("console: {line}"),
            )),
            BoardOutput::Note(text) => run.transcript.push(Entry::on(
                now,
                Lane::Modem(device.to_owned()),
                EntryKind::Note,
                format!("rig: {text}"),
            )),
        }
    }
}

/// Moves what the service did for the devices since the last copy into the transcript.
fn copy_service_log(run: &mut HilRun, at_ms: u64) {
    let Ok(events) = run.lab.app().stored_events() else {
        return;
    };
    if events.len() <= run.service_events_seen {
        return;
    }
    let ids: BTreeMap<String, String> = run
        .boards
        .keys()
        .filter_map(|d| {
            run.service
                .device_id(d)
                .map(|id| (id.to_owned(), d.clone()))
        })
        .collect();
    for (index, event) in events.iter().enumerate().skip(run.service_events_seen) {
        let before_fresh_boot = service_log::device(event)
            .and_then(|id| ids.get(&id))
            .and_then(|name| run.fresh_boot_at.get(name))
            .is_some_and(|&boot| index < boot);
        if before_fresh_boot {
            continue;
        }
        if let Some(line) = service_log::describe(event, &ids) {
            run.transcript
                .push(Entry::on(at_ms, Lane::Service, EntryKind::Note, line));
        }
    }
    run.service_events_seen = events.len();
}

/// Moves the owner calls made since the last copy into the transcript.
fn copy_owner_log(run: &mut HilRun) {
    let log = run.service.log();
    for entry in log.iter().skip(run.owner_entries_seen) {
        run.transcript.push(entry.clone());
    }
    run.owner_entries_seen = log.len();
}

impl Backend for HilBackend {
    fn name(&self) -> &str {
        "hil"
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = self
            .provider
            .capabilities()
            .with_faults_only(&[], hil_fault_gap)
            .without(
                Capability::FaultWindow,
                "the lab service forces an answer for the next request only (armed once, for every device), not answers held over a window for chosen devices",
            )
            .without(
                Capability::NetworkTimeControl,
                "the network gives the modem its time",
            )
            .without(Capability::RecordCapture, "records are not on the console");
        if self.provider.speed() <= 1 {
            caps = caps.without(Capability::VirtualTime, "boards run in real time");
        }
        caps
    }

    fn setup(&mut self, scenario: &Scenario, seed: u64) -> Result<(), BackendError> {
        self.clock = RunClock::start(self.provider.speed());
        self.deadline = self
            .provider
            .scenario_budget()
            .map(|budget| Instant::now() + budget);
        let run = self.set_up(scenario, seed)?;
        self.run = Some(run);
        self.pump(StdDuration::ZERO)?;
        Ok(())
    }

    fn step(&mut self, step: &Step) -> Result<StepOutcome, BackendError> {
        self.within_budget()?;
        let clock = self.clock;
        let attempts = self.attempts.clone();
        let run = self.run()?;
        let actor = run.default_actor.clone();
        let mut infrastructure = None;
        let outcome = {
            let HilRun {
                service, boards, ..
            } = run;
            let mut tokens = Consoles {
                boards,
                infrastructure: &mut infrastructure,
            };
            owner_step(&mut service.actions(&mut tokens), step, Some(&actor))
        };
        if let Some(outcome) = outcome {
            copy_owner_log(run);
            if let Some(failure) = infrastructure {
                // A claim whose token could not be read for the lab's reasons.
                attempts.push(Attempt {
                    scenario: run.scenario.clone(),
                    boards: run.board_ids(),
                    infrastructure: Some(failure),
                });
            }
            return outcome;
        }
        let board_error = |run: &HilRun, device: &str, e: BoardError| {
            if e.is_infrastructure() {
                attempts.push(Attempt {
                    scenario: run.scenario.clone(),
                    boards: run.board_ids(),
                    infrastructure: Some(e.to_string()),
                });
            }
            BackendError::failed_by(
                format!("device `{device}` on {}", run.board_ids().join(", ")),
                e,
            )
        };
        match step {
            Step::Trigger(device) => {
                let device = device.get();
                let board = run.boards.get_mut(device).ok_or_else(|| {
                    BackendError::failed(format!("no board runs device `{device}`"))
                })?;
                // The shell command goes to the application, which triggers the client.
                run.transcript.push(Entry::on(
                    clock.now_ms(),
                    Lane::App(device.clone()),
                    EntryKind::Note,
                    "console: nrf_provisioning now",
                ));
                if let Err(e) = board.trigger() {
                    return Err(board_error(run, device, e));
                }
            }
            Step::Advance(d) => {
                let wall = clock.wall(d.to_std());
                let until = Instant::now() + wall;
                while Instant::now() < until {
                    let left = until.saturating_duration_since(Instant::now());
                    self.pump(left.min(poll_round(clock.speed())))?;
                }
            }
            Step::PowerCycle(p) => {
                let device = p.device.get();
                let board = run.boards.get_mut(device).ok_or_else(|| {
                    BackendError::failed(format!("no board runs device `{device}`"))
                })?;
                if let Err(e) = board.power_cycle(p.off_for.map(Duration::to_std)) {
                    return Err(board_error(run, device, e));
                }
            }
            Step::FaultOn(_) | Step::FaultOff(_) => {
                return Ok(StepOutcome::Skipped {
                    reason: "faults are not switched on hardware".to_owned(),
                })
            }
            Step::WaitUntil(_) | Step::Expect(_) => {
                return Err(BackendError::InvalidStep(step.keyword().to_owned()))
            }
            Step::AddCommand(_)
            | Step::Skip(_)
            | Step::Retry(_)
            | Step::UpdateCommand(_)
            | Step::Block(_)
            | Step::Unblock(_)
            | Step::Unclaim(_)
            | Step::CreateRule(_)
            | Step::ActivateRule(_)
            | Step::Claim(_) => {
                return Err(BackendError::failed(format!(
                    "owner action `{}` was not dispatched",
                    step.keyword()
                )))
            }
        }
        Ok(StepOutcome::Done)
    }

    fn wait(
        &mut self,
        within: Duration,
        until: &mut dyn FnMut(&Observation) -> bool,
    ) -> Result<WaitOutcome, BackendError> {
        let deadline = Instant::now() + self.clock.wall(within.to_std());
        let round = poll_round(self.clock.speed());
        loop {
            self.within_budget()?;
            self.pump(round)?;
            let observation = self.observation()?;
            if until(&observation) {
                return Ok(WaitOutcome::Met {
                    at_ms: observation.now_ms,
                });
            }
            if Instant::now() >= deadline {
                return Ok(WaitOutcome::TimedOut {
                    at_ms: observation.now_ms,
                });
            }
        }
    }

    fn observe(&mut self) -> Result<Observation, BackendError> {
        self.pump(StdDuration::ZERO)?;
        let mut observation = self.observation()?;
        // The credential listing costs a console command per board: only where the runner
        // checks expectations, not in every round of a wait.
        let run = self.run()?;
        for (device, seen) in &mut observation.devices {
            let Some(board) = run.boards.get_mut(device) else {
                continue;
            };
            let listed = board.credentials().map_err(|e| {
                BackendError::failed_by(format!("device `{device}` ({})", board.id()), e)
            })?;
            seen.nvm = listed.map(|entries| {
                let mut nvm: Vec<(u32, CredentialType)> = entries
                    .into_iter()
                    .filter_map(|(tag, kind)| Some((tag, CredentialType::from_number(kind)?)))
                    .collect();
                nvm.sort();
                nvm
            });
        }
        Ok(observation)
    }

    fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    fn transcript(&self) -> Transcript {
        self.run
            .as_ref()
            .map_or_else(Transcript::new, |r| r.transcript.clone())
    }
}

impl Drop for HilBackend {
    fn drop(&mut self) {
        if let Some(run) = &self.run {
            // Attempts that ended without an infrastructure failure are recorded here.
            let recorded = self
                .attempts
                .last_of(&run.scenario)
                .is_some_and(|a| a.infrastructure.is_some() && a.boards == run.board_ids());
            if !recorded {
                self.attempts.push(Attempt {
                    scenario: run.scenario.clone(),
                    boards: run.board_ids(),
                    infrastructure: None,
                });
            }
        }
    }
}

/// Why a HIL run cannot inject a fault kind (every kind, today: the board's modem, radio
/// and power are real, and the lab service is not scripted).
fn hil_fault_gap(class: FaultClass) -> String {
    let hardware = "a real modem and network are not scripted on hardware";
    // A kind added to the fault table later falls to the last arm: skipped with a reason.
    #[allow(unreachable_patterns)]
    match class {
        FaultClass::Modem => format!("modem answers cannot be replaced: {hardware}"),
        FaultClass::Link => format!("no link emulator in the rack: {hardware}"),
        FaultClass::Service => "forced service answers are not wired to the HIL run yet".to_owned(),
        FaultClass::Handshake => "the lab service presents one certificate".to_owned(),
        FaultClass::PowerCut => "power cannot be cut at a point of the client's work".to_owned(),
        FaultClass::NetworkTime => "the network gives the modem its time".to_owned(),
        FaultClass::ClockJump => "the modem's clock cannot be moved".to_owned(),
        _ => format!("{} are not injected on HIL boards", class.words()),
    }
}
