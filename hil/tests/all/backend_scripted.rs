//! The HIL backend through the harness runner, on scripted boards and a real lab service:
//! set-up over REST with each board's own token, the root CA installed, a trigger on the
//! console, events decoded from it in a wait, and an infrastructure failure recorded as such.

#![allow(clippy::unwrap_used)]

use crate::support;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use provlab_harness::scenario::{ClientEvent, Scenario};
use provlab_harness::{load_str, Capabilities, Outcome, RunOptions, Runner};
use provlab_hil::backend::{
    BoardError, BoardLink, BoardOutput, BoardProvider, HilBackendFactory, LabEndpoints,
    LeasedBoards,
};
use provlab_hil::lab::LabServiceConfig;
use support::token_for;

/// What the scripted boards were asked to do, in order.
type Journal = Arc<Mutex<Vec<String>>>;

/// A board that answers like the sample: a trigger gives START, DONE, STOP; or, when
/// `vanish` is set, its port disappears at the trigger.
struct ScriptedBoard {
    id: String,
    device: String,
    vanish: bool,
    /// Token reads that work before the console goes (shared by the run's boards).
    tokens_left: Arc<Mutex<usize>>,
    pending: VecDeque<BoardOutput>,
    journal: Journal,
}

impl BoardLink for ScriptedBoard {
    fn id(&self) -> &str {
        &self.id
    }
    fn attestation_token(&mut self) -> Result<String, BoardError> {
        self.journal
            .lock()
            .unwrap()
            .push(format!("{} token", self.id));
        let mut left = self.tokens_left.lock().unwrap();
        if *left == 0 {
            return Err(BoardError::Infrastructure(format!(
                "{}: `nrf_provisioning token` timed out",
                self.id
            )));
        }
        *left -= 1;
        Ok(token_for(&self.device))
    }
    fn root_ca_sec_tag(&self) -> u32 {
        if self.device == "dk2" {
            42_384
        } else {
            50
        }
    }
    fn ensure_root_ca(&mut self, pem: &str) -> Result<bool, BoardError> {
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let tag = self.root_ca_sec_tag();
        self.journal
            .lock()
            .unwrap()
            .push(format!("{} root CA at {tag}", self.id));
        Ok(true)
    }
    fn trigger(&mut self) -> Result<(), BoardError> {
        self.journal
            .lock()
            .unwrap()
            .push(format!("{} now", self.id));
        if self.vanish {
            return Err(BoardError::Infrastructure(format!(
                "{}: the console port vanished",
                self.id
            )));
        }
        for event in [ClientEvent::Start, ClientEvent::Done, ClientEvent::Stop] {
            self.pending.push_back(BoardOutput::Event {
                event,
                detail: None,
            });
        }
        self.pending.push_back(BoardOutput::Line(
            "<inf> main: something unknown".to_owned(),
        ));
        Ok(())
    }
    fn power_cycle(&mut self, _off_for: Option<Duration>) -> Result<(), BoardError> {
        self.pending.push_back(BoardOutput::Booted);
        Ok(())
    }
    fn poll(&mut self, _wait: Duration) -> Result<Vec<BoardOutput>, BoardError> {
        Ok(self.pending.drain(..).collect())
    }
    fn capture(&self) -> Vec<u8> {
        Vec::new()
    }
}

struct Scripted {
    vanish: bool,
    tokens: usize,
    journal: Journal,
    pki: tempfile::TempDir,
    budget: Option<Duration>,
}

impl BoardProvider for Scripted {
    fn lab_config(&self) -> LabServiceConfig {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        LabServiceConfig {
            rest: any,
            https: any,
            coap: any,
            hostnames: vec!["127.0.0.1".to_owned()],
            pki: self.pki.path().join("pki"),
            clock_speed: 1,
        }
    }
    fn speed(&self) -> u32 {
        1
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::all()
    }
    fn scenario_budget(&self) -> Option<Duration> {
        self.budget
    }
    fn acquire(
        &self,
        scenario: &Scenario,
        _seed: u64,
        service: &LabEndpoints,
    ) -> Result<LeasedBoards, BoardError> {
        assert!(service.https_port > 0 && service.coap_port > 0);
        let tokens_left = Arc::new(Mutex::new(self.tokens));
        Ok(scenario
            .devices
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let board: Box<dyn BoardLink> = Box::new(ScriptedBoard {
                    id: format!("bench-{}", i + 1),
                    device: d.name.get().clone(),
                    vanish: self.vanish,
                    tokens_left: tokens_left.clone(),
                    pending: VecDeque::new(),
                    journal: self.journal.clone(),
                });
                (d.name.get().clone(), board)
            })
            .collect())
    }
}

const SCENARIO: &str = r#"
name = "scripted"
seed = 3
[service]
members = [{ name = "olivia", role = "owner" }]
[[device]]
name = "dk1"
transport = "http"
claimed_by = "olivia"
[[device.config]]
request = { finished = {} }
[[device]]
name = "dk2"
transport = "coap"
[[step]]
trigger = "dk1"
[[step]]
wait_until = { device = "dk1", events_in_order = ["START", "DONE", "STOP"], within = "20s" }
[[step]]
claim = { device = "dk2", by = "olivia" }
[[expect]]
device = "dk2"
claimed = true
status = "READY"
[[expect]]
device = "dk1"
claimed = true
commands = ["PENDING"]
"#;

#[test]
fn a_scenario_runs_through_the_runner_on_scripted_boards() {
    let journal = Journal::default();
    let provider = Arc::new(Scripted {
        vanish: false,
        tokens: usize::MAX,
        journal: journal.clone(),
        pki: tempfile::tempdir().unwrap(),
        budget: None,
    });
    let factory = HilBackendFactory::new(provider);
    let loaded = load_str(SCENARIO, Path::new("scripted.toml")).unwrap();
    let result = Runner::new(factory.clone(), RunOptions::default()).run(&loaded);
    assert_eq!(
        result.outcome,
        Outcome::Passed,
        "{}",
        result.transcript.to_text()
    );
    assert_eq!(result.backend, "hil");
    let journal = journal.lock().unwrap().clone();
    assert_eq!(
        journal,
        [
            "bench-1 root CA at 50",
            "bench-2 root CA at 42384",
            "bench-1 token",
            "bench-2 token",
            "bench-1 now",
            "bench-2 token",
        ]
    );
    let text = result.transcript.to_text();
    assert!(text.contains("START"), "{text}");
    assert!(
        text.contains("console: <inf> main: something unknown"),
        "{text}"
    );
    assert!(text.contains("POST /v1/claimed-devices ("), "{text}");
    let attempts = factory.attempts().all();
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0].infrastructure, None);
    assert_eq!(attempts[0].boards, ["bench-1", "bench-2"]);
}

#[test]
fn a_vanished_port_is_an_infrastructure_failure_of_that_attempt() {
    let provider = Arc::new(Scripted {
        vanish: true,
        tokens: usize::MAX,
        journal: Journal::default(),
        pki: tempfile::tempdir().unwrap(),
        budget: None,
    });
    let factory = HilBackendFactory::new(provider);
    let loaded = load_str(SCENARIO, Path::new("scripted.toml")).unwrap();
    let result = Runner::new(factory.clone(), RunOptions::default()).run(&loaded);
    let Outcome::Error { message } = &result.outcome else {
        panic!("{:?}", result.outcome);
    };
    assert!(message.contains("vanished"), "{message}");
    let attempts = factory.attempts().all();
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert!(attempts[0]
        .infrastructure
        .as_deref()
        .is_some_and(|i| i.contains("vanished")));
}

#[test]
fn a_run_past_its_budget_ends_as_an_infrastructure_failure() {
    let provider = Arc::new(Scripted {
        vanish: false,
        tokens: usize::MAX,
        journal: Journal::default(),
        pki: tempfile::tempdir().unwrap(),
        budget: Some(Duration::from_millis(800)),
    });
    let factory = HilBackendFactory::new(provider);
    // A wait for an event the scripted board never prints, far longer than the budget.
    let text = SCENARIO.replace(
        r#"events_in_order = ["START", "DONE", "STOP"], within = "20s""#,
        r#"events_in_order = ["FAILED"], within = "10m""#,
    );
    let loaded = load_str(&text, Path::new("scripted.toml")).unwrap();
    let started = std::time::Instant::now();
    let result = Runner::new(factory.clone(), RunOptions::default()).run(&loaded);
    let Outcome::Error { message } = &result.outcome else {
        panic!("{:?}", result.outcome);
    };
    assert!(message.contains("budget"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let attempt = factory.attempts().last_of("scripted").unwrap();
    assert!(attempt.infrastructure.is_some_and(|i| i.contains("budget")));
}

#[test]
fn a_token_read_that_fails_in_a_claim_step_is_an_infrastructure_failure() {
    // Set-up reads two tokens (dk1's claim, dk2's id); the claim step's read fails.
    let provider = Arc::new(Scripted {
        vanish: false,
        tokens: 2,
        journal: Journal::default(),
        pki: tempfile::tempdir().unwrap(),
        budget: None,
    });
    let factory = HilBackendFactory::new(provider);
    let loaded = load_str(SCENARIO, Path::new("scripted.toml")).unwrap();
    let result = Runner::new(factory.clone(), RunOptions::default()).run(&loaded);
    let Outcome::Error { message } = &result.outcome else {
        panic!("{:?}", result.outcome);
    };
    assert!(message.contains("timed out"), "{message}");
    let attempt = factory.attempts().last_of("scripted").unwrap();
    assert!(
        attempt
            .infrastructure
            .is_some_and(|i| i.contains("timed out")),
        "{:?}",
        factory.attempts().all()
    );
}

#[test]
fn a_service_wide_fault_is_skipped_on_hil_with_the_reason() {
    // The lab service forces an answer for the next request only; it cannot hold one over
    // a window for chosen devices, so the scenario is skipped before any board is leased.
    let journal = Journal::default();
    let provider = Arc::new(Scripted {
        vanish: false,
        tokens: usize::MAX,
        journal: journal.clone(),
        pki: tempfile::tempdir().unwrap(),
        budget: None,
    });
    let factory = HilBackendFactory::new(provider);
    let source = SCENARIO.replace(
        "[[device]]\nname = \"dk1\"",
        "[[service.fault]]\nservice = { request = \"any\", answer = { http = 503 } }\nlasting = \"10m\"\n\n[[device]]\nname = \"dk1\"",
    );
    assert_ne!(source, SCENARIO);
    let loaded = load_str(&source, Path::new("scripted.toml")).unwrap();
    let result = Runner::new(factory.clone(), RunOptions::default()).run(&loaded);
    let Outcome::Skipped { reason } = &result.outcome else {
        panic!("{:?}", result.outcome);
    };
    assert!(
        reason.contains("service-wide service fault needs service-wide fault windows: the lab service forces an answer for the next request only"),
        "{reason}"
    );
    assert!(journal.lock().unwrap().is_empty(), "no board was touched");
    assert!(factory.attempts().all().is_empty());
}
