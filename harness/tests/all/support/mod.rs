//! A scripted backend for runner and report tests: observations and transcript entries
//! take effect at given (virtual) times; steps only move time or record themselves.
#![allow(dead_code)]

use provlab_harness::backend::{
    Backend, BackendError, BackendFactory, Capabilities, StepOutcome, WaitOutcome,
};
use provlab_harness::observation::{
    DeviceObservation, Exchange, ExchangeKind, ObservedEvent, RecordKind, RecordSeen,
};
use provlab_harness::runner::describe;
use provlab_harness::scenario::{
    ClientEvent, CommandStatus, CredentialType, DeviceStatus, Scenario, Step,
};
use provlab_harness::{Duration, Entry, EntryKind, Lane, Observation, Transcript};

/// The scripted backend.
#[derive(Debug, Clone, Default)]
pub struct MockBackend {
    pub caps: Capabilities,
    pub now: u64,
    /// `(from time, observation)`, sorted by time.
    pub timeline: Vec<(u64, Observation)>,
    /// Entries that appear once time reaches them, sorted by time.
    pub scripted: Vec<Entry>,
    /// Owner-action keywords the service refuses: `(keyword, status, message)`.
    pub refusals: Vec<(String, u16, String)>,
    /// Step keywords the backend skips: `(keyword, reason)`.
    pub skips: Vec<(String, String)>,
    /// Panic on this step keyword.
    pub panic_on: Option<String>,
    /// What happened, for assertions.
    pub log: Vec<String>,
    shown: Vec<Entry>,
    default_actor: String,
}

impl MockBackend {
    fn advance_to(&mut self, t: u64) {
        self.now = self.now.max(t);
        let now = self.now;
        let (due, later): (Vec<Entry>, Vec<Entry>) =
            self.scripted.drain(..).partition(|e| e.at_ms <= now);
        self.shown.extend(due);
        self.scripted = later;
    }

    fn current(&self) -> Observation {
        let mut obs = self
            .timeline
            .iter()
            .take_while(|(t, _)| *t <= self.now)
            .last()
            .map(|(_, o)| o.clone())
            .unwrap_or_default();
        obs.now_ms = self.now;
        obs
    }
}

impl Backend for MockBackend {
    fn name(&self) -> &str {
        "mock"
    }

    fn capabilities(&self) -> Capabilities {
        self.caps.clone()
    }

    fn setup(&mut self, scenario: &Scenario, seed: u64) -> Result<(), BackendError> {
        self.log
            .push(format!("setup {} seed {seed}", scenario.name.get()));
        self.default_actor = scenario
            .default_actor()
            .map(|m| m.name.get().clone())
            .unwrap_or_default();
        self.advance_to(0);
        Ok(())
    }

    fn step(&mut self, step: &Step) -> Result<StepOutcome, BackendError> {
        let keyword = step.keyword();
        self.log.push(describe(step));
        if self.panic_on.as_deref() == Some(keyword) {
            panic!("scripted panic on {keyword}");
        }
        if let Some((_, reason)) = self.skips.iter().find(|(k, _)| k == keyword) {
            return Ok(StepOutcome::Skipped {
                reason: reason.clone(),
            });
        }
        match step {
            Step::Advance(by) => self.advance_to(self.now + by.as_millis()),
            Step::WaitUntil(_) | Step::Expect(_) => {
                return Err(BackendError::InvalidStep(keyword.to_owned()))
            }
            _ => {}
        }
        if let Some(actor) = step.actor() {
            let by = actor
                .by
                .map_or(self.default_actor.clone(), |b| b.get().clone());
            self.shown.push(Entry::message(
                self.now,
                Lane::Owner(by),
                Lane::Service,
                EntryKind::Request,
                describe(step),
            ));
            if let Some((_, status, message)) = self.refusals.iter().find(|(k, ..)| k == keyword) {
                return Ok(StepOutcome::Refused {
                    status: *status,
                    message: message.clone(),
                });
            }
        }
        Ok(StepOutcome::Done)
    }

    fn wait(
        &mut self,
        within: Duration,
        until: &mut dyn FnMut(&Observation) -> bool,
    ) -> Result<WaitOutcome, BackendError> {
        let deadline = self.now + within.as_millis();
        if until(&self.current()) {
            return Ok(WaitOutcome::Met { at_ms: self.now });
        }
        let times: Vec<u64> = self
            .timeline
            .iter()
            .map(|(t, _)| *t)
            .filter(|t| *t > self.now && *t <= deadline)
            .collect();
        for t in times {
            self.advance_to(t);
            if until(&self.current()) {
                return Ok(WaitOutcome::Met { at_ms: t });
            }
        }
        self.advance_to(deadline);
        Ok(WaitOutcome::TimedOut { at_ms: deadline })
    }

    fn observe(&mut self) -> Result<Observation, BackendError> {
        Ok(self.current())
    }

    fn now_ms(&self) -> u64 {
        self.now
    }

    fn transcript(&self) -> Transcript {
        Transcript {
            entries: self.shown.clone(),
        }
    }
}

/// Makes clones of a prototype.
#[derive(Debug, Clone)]
pub struct MockFactory(pub MockBackend);

impl BackendFactory for MockFactory {
    fn name(&self) -> &str {
        "mock"
    }

    fn create(&self) -> Result<Box<dyn Backend>, BackendError> {
        Ok(Box::new(self.0.clone()))
    }
}

use ClientEvent::{Done, NeedLteActivated, NeedLteDeactivated, NoCommands, Start, Stop};
use CommandStatus::{Failed, Pending, Skipped, Succeeded};

fn device(
    status: DeviceStatus,
    commands: [CommandStatus; 4],
    events: &[(u64, ClientEvent)],
    nvm: &[(u32, CredentialType)],
    exchanges: Vec<Exchange>,
) -> Observation {
    let mut obs = Observation::default();
    obs.devices.insert(
        "dk1".to_owned(),
        DeviceObservation {
            claimed: true,
            status: Some(status),
            commands: commands.to_vec(),
            events: events
                .iter()
                .map(|(at_ms, event)| ObservedEvent {
                    at_ms: *at_ms,
                    event: *event,
                    detail: None,
                })
                .collect(),
            nvm: Some(nvm.to_vec()),
            exchanges,
        },
    );
    obs
}

fn record(id: &str, kind: RecordKind, command: u32, cme: Option<u32>) -> RecordSeen {
    RecordSeen {
        id: id.to_owned(),
        kind,
        command: Some(command),
        cme,
    }
}

fn exchange(at_ms: u64, kind: ExchangeKind, answer: &str, records: Vec<RecordSeen>) -> Exchange {
    Exchange {
        at_ms,
        kind,
        answer: answer.to_owned(),
        body_len: 64 * records.len(),
        records,
    }
}

const FIRST: [(u64, ClientEvent); 5] = [
    (1_000, Start),
    (1_300, NeedLteDeactivated),
    (2_900, NeedLteActivated),
    (4_100, NoCommands),
    (4_100, Stop),
];
const SECOND: [(u64, ClientEvent); 5] = [
    (5_000, Start),
    (6_300, NeedLteDeactivated),
    (9_100, NeedLteActivated),
    (9_800, Done),
    (9_800, Stop),
];

/// The world of `failure-mid-queue.toml`, its final command statuses chosen by the test.
pub fn failure_mid_queue(final_commands: [CommandStatus; 4]) -> MockBackend {
    let first_exchanges = vec![
        exchange(
            1_200,
            ExchangeKind::Fetch,
            "200",
            vec![
                record("c1.1", RecordKind::At, 1, None),
                record("c2.1", RecordKind::At, 2, None),
            ],
        ),
        exchange(
            3_000,
            ExchangeKind::Report,
            "200",
            vec![
                record("c1.1", RecordKind::AtOk, 1, None),
                record("c2.1", RecordKind::Error, 2, Some(514)),
            ],
        ),
        exchange(4_000, ExchangeKind::Fetch, "204", Vec::new()),
    ];
    let mut all_exchanges = first_exchanges.clone();
    all_exchanges.extend([
        exchange(
            6_000,
            ExchangeKind::Fetch,
            "200",
            vec![
                record("c3.1.s", RecordKind::At, 3, None),
                record("c3.1", RecordKind::At, 3, None),
                record("c4.1", RecordKind::Finished, 4, None),
            ],
        ),
        exchange(
            9_500,
            ExchangeKind::Report,
            "200",
            vec![
                record("c3.1.s", RecordKind::AtOk, 3, None),
                record("c3.1", RecordKind::AtOk, 3, None),
                record("c4.1", RecordKind::FinishedAck, 4, None),
            ],
        ),
    ]);
    let all_events: Vec<(u64, ClientEvent)> = FIRST.iter().chain(SECOND.iter()).copied().collect();
    let timeline = vec![
        (
            0,
            device(DeviceStatus::Ready, [Pending; 4], &[], &[], Vec::new()),
        ),
        (
            4_200,
            device(
                DeviceStatus::Error,
                [Succeeded, Failed, Pending, Pending],
                &FIRST,
                &[(42, CredentialType::RootCa)],
                first_exchanges,
            ),
        ),
        (
            9_900,
            device(
                DeviceStatus::Provisioned,
                final_commands,
                &all_events,
                &[
                    (42, CredentialType::RootCa),
                    (16842753, CredentialType::PrivateKey),
                ],
                all_exchanges,
            ),
        ),
    ];
    MockBackend {
        timeline,
        scripted: scripted_entries(),
        ..MockBackend::default()
    }
}

fn scripted_entries() -> Vec<Entry> {
    let client = || Lane::Client("dk1".to_owned());
    let modem = || Lane::Modem("dk1".to_owned());
    let msg = |t, from, to, kind, text: &str| Entry::message(t, from, to, kind, text);
    let event = |t, text: &str| Entry::on(t, client(), EntryKind::Event, text);
    use EntryKind::{Fault, Request, Response};
    vec![
        msg(
            0,
            Lane::Owner("olivia".into()),
            Lane::Service,
            Request,
            "POST /v1/claimed-devices/dk1/provisioning ×4",
        ),
        event(1_000, "START"),
        msg(
            1_200,
            client(),
            Lane::Service,
            Request,
            "GET /v1/provisioning/commands?after=&rxMaxSize=4096&txMaxSize=4096&limit=10",
        ),
        msg(
            1_250,
            Lane::Service,
            client(),
            Response,
            "200 application/cbor, 2 records",
        )
        .with_detail(vec![
            "[0] c1.1 AT %CMNG 0,42,0,\"-----BEGIN CERTIFICATE-----…\"".to_owned(),
            "[1] c2.1 AT %CMNG 3,16842753,2".to_owned(),
        ]),
        event(1_300, "NEED_LTE_DEACTIVATED"),
        msg(
            1_400,
            client(),
            modem(),
            Request,
            "AT%CMNG=0,42,0,\"-----BEGIN CERTIFICATE-----…\"",
        ),
        msg(1_450, modem(), client(), Response, "OK"),
        Entry::on(
            1_500,
            modem(),
            Fault,
            "delete-refused: %CMNG=3,16842753,2 answered +CME ERROR: 514",
        ),
        msg(1_500, client(), modem(), Request, "AT%CMNG=3,16842753,2"),
        msg(1_550, modem(), client(), Response, "+CME ERROR: 514"),
        event(2_900, "NEED_LTE_ACTIVATED"),
        msg(
            3_000,
            client(),
            Lane::Service,
            Request,
            "POST /v1/provisioning/response, 2 records",
        )
        .with_detail(vec![
            "[0] c1.1 AT_OK \"\"".to_owned(),
            "[1] c2.1 ERROR cme=514 \"+CME ERROR: 514\"".to_owned(),
        ]),
        msg(3_050, Lane::Service, client(), Response, "200"),
        msg(
            4_000,
            client(),
            Lane::Service,
            Request,
            "GET /v1/provisioning/commands?after=c2.1&rxMaxSize=4096&txMaxSize=4096&limit=10",
        ),
        msg(4_050, Lane::Service, client(), Response, "204 no commands"),
        event(4_100, "NO_COMMANDS"),
        event(4_100, "STOP"),
        event(5_000, "START"),
        msg(
            6_000,
            client(),
            Lane::Service,
            Request,
            "GET /v1/provisioning/commands?after=c2.1&rxMaxSize=4096&txMaxSize=4096&limit=10",
        ),
        msg(
            6_050,
            Lane::Service,
            client(),
            Response,
            "200 application/cbor, 3 records",
        )
        .with_detail(vec![
            "[0] c3.1.s AT %CMNG 3,16842753,2 ignore=[513]".to_owned(),
            "[1] c3.1 AT %KEYGEN 16842753,2,1".to_owned(),
            "[2] c4.1 FINISHED".to_owned(),
        ]),
        event(6_300, "NEED_LTE_DEACTIVATED"),
        msg(6_400, client(), modem(), Request, "AT%CMNG=3,16842753,2"),
        msg(6_450, modem(), client(), Response, "OK"),
        msg(6_500, client(), modem(), Request, "AT%KEYGEN=16842753,2,1"),
        msg(
            8_900,
            modem(),
            client(),
            Response,
            "%KEYGEN: \"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE…\"; OK",
        ),
        event(9_100, "NEED_LTE_ACTIVATED"),
        msg(
            9_500,
            client(),
            Lane::Service,
            Request,
            "POST /v1/provisioning/response, 3 records",
        ),
        msg(9_550, Lane::Service, client(), Response, "200"),
        event(9_800, "DONE"),
        event(9_800, "STOP"),
    ]
}

/// The expected final statuses of the scenario.
pub const ALL_GOOD: [CommandStatus; 4] = [Succeeded, Skipped, Succeeded, Succeeded];
