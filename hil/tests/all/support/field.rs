//! A field run made in simulation: a scenario run on the simulation backend, with each
//! device's console in every era (the virtual board's rendering, [`super::render`]) and the
//! service's command history for it (the JSON `GET .../provisioning` returns).

#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use std::sync::{Arc, Mutex};

use provlab_harness::scenario::Scenario;
use provlab_harness::scenario::Step;
use provlab_harness::{
    Backend, BackendError, BackendFactory, Capabilities, LoadedScenario, Observation, RunOptions,
    Runner, ScenarioResult, StepOutcome, Transcript, WaitOutcome,
};
use provlab_server::rest::dto::commands::CommandBody;
use provlab_sim::backend::{SimBackend, SimOptions};

/// Each device's history JSON, by device name (absent when the device is not claimed).
pub type Histories = Arc<Mutex<Vec<(String, String)>>>;

/// The simulation backend, keeping each device's service history at every observation.
struct Capture {
    inner: SimBackend,
    devices: Vec<String>,
    out: Histories,
}

impl Capture {
    fn keep(&self) {
        let Some(world) = self.inner.world() else {
            return;
        };
        let mut out = Vec::new();
        for name in &self.devices {
            let Some(dev) = world.device_id(name) else {
                continue;
            };
            let Ok(id) = world.service_device_id(dev) else {
                continue;
            };
            let Ok(commands) = world.service().list_commands(Some(world.owner_key()), id) else {
                continue;
            };
            let items: Vec<CommandBody> = commands.iter().map(CommandBody::from_domain).collect();
            let page = serde_json::json!({ "items": items, "total": items.len() });
            out.push((name.clone(), serde_json::to_string_pretty(&page).unwrap()));
        }
        *self.out.lock().unwrap() = out;
    }
}

impl Backend for Capture {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    fn setup(&mut self, scenario: &Scenario, seed: u64) -> Result<(), BackendError> {
        self.devices = scenario
            .devices
            .iter()
            .map(|d| d.name.get().clone())
            .collect();
        self.inner.setup(scenario, seed)
    }
    fn step(&mut self, step: &Step) -> Result<StepOutcome, BackendError> {
        self.inner.step(step)
    }
    fn wait(
        &mut self,
        within: provlab_harness::Duration,
        until: &mut dyn FnMut(&Observation) -> bool,
    ) -> Result<WaitOutcome, BackendError> {
        self.inner.wait(within, until)
    }
    fn observe(&mut self) -> Result<Observation, BackendError> {
        self.keep();
        self.inner.observe()
    }
    fn now_ms(&self) -> u64 {
        self.inner.now_ms()
    }
    fn transcript(&self) -> Transcript {
        self.keep();
        self.inner.transcript()
    }
    fn transcript_len(&self) -> usize {
        self.inner.transcript_len()
    }
}

struct CaptureFactory {
    out: Histories,
}

impl BackendFactory for CaptureFactory {
    fn name(&self) -> &str {
        "sim"
    }
    fn create(&self) -> Result<Box<dyn Backend>, BackendError> {
        Ok(Box::new(Capture {
            inner: SimBackend::new(SimOptions::default())?,
            devices: Vec::new(),
            out: self.out.clone(),
        }))
    }
}

/// Runs `scenario` in simulation; returns the result and each device's history JSON.
pub fn run(scenario: &LoadedScenario) -> (ScenarioResult, Vec<(String, String)>) {
    let out: Histories = Arc::default();
    let factory = CaptureFactory { out: out.clone() };
    let result = Runner::new(factory, RunOptions::with_seed(None)).run(scenario);
    let histories = out.lock().unwrap().clone();
    (result, histories)
}
