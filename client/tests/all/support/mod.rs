//! In-memory test harness: a scripted fake modem and a scripted fake provisioning server
//! answering the client's actions in virtual time. Test code only.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use provlab_client::app::{AppAction, AppConfig, Era, SampleApp};
use provlab_client::{
    Action, AtReply, AtStatus, Block2, Client, ClientConfig, CoapCode, CoapRequest, CoapResponse,
    Event, Generation, HttpRequest, HttpResponse, Input, StoredSettings, Timestamp,
    TransportFailure,
};
use serde_json::Value as Json;

/// The SDK's vectors, byte for byte.
pub fn vectors() -> Json {
    serde_json::from_str(include_str!(
        "../../../../proto/tests/data/nrf_provisioning_cbor.json"
    ))
    .unwrap()
}

/// One CBOR vector by name.
pub fn vector(name: &str) -> Vec<u8> {
    let all = vectors();
    let entry = all["cbor"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no vector {name}"));
    hex::decode(entry["hex"].as_str().unwrap()).unwrap()
}

/// The attestation token example of the vectors.
pub fn attest_token_vector() -> String {
    vectors()["modem_tokens"][0]["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub const JWT: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJuUkY5MTYwLngifQ.c2ln";
pub const ID1: &str = "9685ef84-8cac-4257-b5cc-94bc416a1c1d.d";
pub const ID2S: &str = "89ed369b-0fed-4194-a703-aabb7fe8130b.e.s";
pub const ID2: &str = "89ed369b-0fed-4194-a703-aabb7fe8130b.e";
pub const ID3: &str = "80b8095e-2714-459e-bd8b-3745d8410a18.f";
pub const ID4: &str = "e5256918-aba9-4d12-8b87-f2c07affec5d.14";

/// A scripted modem with a little state (CFUN, CMEE, time).
#[derive(Debug)]
pub struct FakeModem {
    pub cfun: i64,
    pub cmee: i64,
    pub has_time: bool,
    pub jwt: String,
    pub attest: String,
    /// One-shot answers, matched by line prefix in order of insertion.
    pub script: Vec<(String, AtReply)>,
    pub log: Vec<String>,
    /// The application's own lines, in order (kept apart from the client's `log`).
    pub app_log: Vec<String>,
}

impl Default for FakeModem {
    fn default() -> Self {
        FakeModem {
            cfun: 1,
            cmee: 0,
            has_time: true,
            jwt: JWT.to_owned(),
            attest: attest_token_vector(),
            script: Vec::new(),
            log: Vec::new(),
            app_log: Vec::new(),
        }
    }
}

impl FakeModem {
    /// Answers `line` once with `reply` (the next line starting with `prefix`).
    pub fn script(&mut self, prefix: &str, reply: AtReply) {
        self.script.push((prefix.to_owned(), reply));
    }

    /// A library-level result (status and buffer), as the SDK's tests mock it.
    pub fn script_result(&mut self, prefix: &str, status: AtStatus, buffer: &str) {
        self.script(
            prefix,
            AtReply::Result {
                status,
                buffer: buffer.to_owned(),
            },
        );
    }

    pub fn answer(&mut self, line: &str) -> AtReply {
        self.log.push(line.to_owned());
        if let Some(pos) = self
            .script
            .iter()
            .position(|(p, _)| line.starts_with(p.as_str()))
        {
            return self.script.remove(pos).1;
        }
        let text = if line == "AT+CMEE?" {
            format!("+CMEE: {}\r\nOK\r\n", self.cmee)
        } else if let Some(v) = line.strip_prefix("AT+CMEE=") {
            self.cmee = v.parse().unwrap_or(0);
            "OK\r\n".to_owned()
        } else if line == "AT+CFUN?" {
            format!("+CFUN: {}\r\nOK\r\n", self.cfun)
        } else if let Some(v) = line.strip_prefix("AT+CFUN=") {
            self.cfun = v.parse().unwrap_or(0);
            "OK\r\n".to_owned()
        } else if line == "AT%CCLK?" {
            if self.has_time {
                "%CCLK: \"24/05/01,12:00:00+00\",0\r\nOK\r\n".to_owned()
            } else {
                "ERROR\r\n".to_owned()
            }
        } else if line.starts_with("AT%JWT=") {
            format!("%JWT: \"{}\"\r\nOK\r\n", self.jwt)
        } else if line == "AT%ATTESTTOKEN" {
            format!("%ATTESTTOKEN: \"{}\"\r\nOK\r\n", self.attest)
        } else if line.starts_with("AT%KEYGEN=") {
            "%KEYGEN: \"MIIBCjCBrwIBADA.0oRDoQEmoQRBIfZYQ\"\r\nOK\r\n".to_owned()
        } else {
            "OK\r\n".to_owned()
        };
        AtReply::Raw(text)
    }

    /// The application's own AT line (`AT+CFUN=<n>`): changes the mode, is not logged and
    /// takes no scripted answer (those are for the client's lines).
    pub fn app_command(&mut self, line: &str) {
        self.app_log.push(line.to_owned());
        if let Some(v) = line.strip_prefix("AT+CFUN=") {
            self.cfun = v.parse().unwrap_or(self.cfun);
        }
    }

    pub fn sent(&self, prefix: &str) -> usize {
        self.log.iter().filter(|l| l.starts_with(prefix)).count()
    }
}

/// A scripted HTTP answer.
#[derive(Debug, Clone)]
pub enum HttpScript {
    Respond(HttpResponse),
    Fail(TransportFailure),
}

pub fn http(status: u16, body: Vec<u8>) -> HttpScript {
    HttpScript::Respond(HttpResponse {
        status: Some(status),
        body,
    })
}

/// A scripted answer for a CoAP path.
#[derive(Debug, Clone)]
pub enum CoapScript {
    /// 2.05 with this body, served block-wise as the client asks.
    Body(Vec<u8>),
    /// A bare response code.
    Code(CoapCode),
    /// A whole response, verbatim.
    Response(CoapResponse),
    Fail(TransportFailure),
}

/// The fake provisioning server.
#[derive(Debug, Default)]
pub struct FakeServer {
    /// GET answers in order; empty → 204.
    pub gets: VecDeque<HttpScript>,
    /// POST answers in order; empty → 200.
    pub posts: VecDeque<HttpScript>,
    pub http_log: Vec<HttpRequest>,
    /// CoAP answers by path; defaults: auth 2.01, cmd empty 2.05, rsp 2.04, suspend 2.04.
    pub coap: HashMap<String, VecDeque<CoapScript>>,
    pub coap_log: Vec<CoapRequest>,
    /// Connect outcomes in order; empty → connected.
    pub connects: VecDeque<Result<(), TransportFailure>>,
    pub connect_count: usize,
}

impl FakeServer {
    pub fn script_coap(&mut self, path: &str, script: CoapScript) {
        self.coap
            .entry(path.to_owned())
            .or_default()
            .push_back(script);
    }

    pub fn answer_http(&mut self, req: &HttpRequest) -> Input {
        self.http_log.push(req.clone());
        let queue = if req.path().ends_with("/commands") {
            &mut self.gets
        } else {
            &mut self.posts
        };
        let default = if req.path().ends_with("/commands") {
            http(204, vec![])
        } else {
            http(200, vec![])
        };
        match queue.pop_front().unwrap_or(default) {
            HttpScript::Respond(r) => Input::Http(r),
            HttpScript::Fail(f) => Input::TransportFailed(f),
        }
    }

    pub fn answer_coap(&mut self, req: &CoapRequest) -> Input {
        self.coap_log.push(req.clone());
        let queue = self.coap.entry(req.path.clone()).or_default();
        let script = queue.front().cloned();
        let default = match req.path.as_str() {
            "p/auth-jwt" => CoapScript::Code(CoapCode::CREATED),
            "p/cmd" => CoapScript::Body(Vec::new()),
            _ => CoapScript::Code(CoapCode::CHANGED),
        };
        let script = match script {
            Some(s) => s,
            None => default,
        };
        match script {
            CoapScript::Body(body) => {
                let block = req.block2.unwrap_or(Block2 {
                    num: 0,
                    more: false,
                    szx: 6,
                });
                let start = block.offset().min(body.len());
                let end = (start + block.size()).min(body.len());
                let more = end < body.len();
                if !more {
                    queue.pop_front();
                }
                Input::Coap(CoapResponse {
                    code: CoapCode::CONTENT,
                    payload: body[start..end].to_vec(),
                    block2: Some(Block2 {
                        num: block.num,
                        more,
                        szx: block.szx,
                    }),
                })
            }
            CoapScript::Code(code) => {
                queue.pop_front();
                Input::Coap(CoapResponse::code(code))
            }
            CoapScript::Response(r) => {
                queue.pop_front();
                Input::Coap(r)
            }
            CoapScript::Fail(f) => {
                queue.pop_front();
                Input::TransportFailed(f)
            }
        }
    }

    pub fn coap_paths(&self) -> Vec<String> {
        self.coap_log.iter().map(|r| r.path.clone()).collect()
    }
}

/// The client with its fake surroundings, in virtual time.
pub struct Harness {
    pub client: Client,
    /// The sample application (LTE off/on around command execution, the v2.9 reboot after
    /// DONE), attaching at once.
    pub app: SampleApp,
    pub modem: FakeModem,
    pub server: FakeServer,
    pub now: Timestamp,
    pub events: Vec<(Timestamp, Event)>,
    pub stored: Vec<(String, Vec<u8>)>,
    pub actions: Vec<Action>,
    /// Whether the application obeys NEED_LTE_DEACTIVATED/ACTIVATED.
    pub app_handles_lte: bool,
    /// Forget network time whenever an HTTP request goes out (to exercise no-time
    /// scheduling while the modem still answers `AT%CCLK?`).
    pub forget_time_on_http: bool,
    /// Whether LTE comes back (NetworkUp) when the application reactivates it.
    pub lte_up_on_activate: bool,
    pub closes: usize,
    /// Reboots the application asked for (v2.9 after DONE); the harness keeps its client.
    pub reboots: usize,
}

impl Harness {
    pub fn new(config: ClientConfig) -> Self {
        Self::with_settings(config, StoredSettings::new(), 1)
    }

    pub fn with_settings(config: ClientConfig, stored: StoredSettings, seed: u64) -> Self {
        let era = match config.generation {
            Generation::V2_9 => Era::V2_9,
            Generation::Current => Era::Current,
        };
        Harness {
            client: Client::new(config, stored, seed),
            app: SampleApp::new(AppConfig::new(era, Duration::ZERO)),
            modem: FakeModem::default(),
            server: FakeServer::default(),
            now: Timestamp::ZERO,
            events: Vec::new(),
            stored: Vec::new(),
            actions: Vec::new(),
            app_handles_lte: true,
            forget_time_on_http: false,
            lte_up_on_activate: true,
            closes: 0,
            reboots: 0,
        }
    }

    /// Manual mode: no scheduling, no auto start (the SDK unit tests' `trigger` style).
    pub fn manual() -> Self {
        Self::new(ClientConfig {
            scheduled: false,
            auto_start_on_init: false,
            ..ClientConfig::default()
        })
    }

    pub fn manual_with(config: ClientConfig) -> Self {
        Self::new(ClientConfig {
            scheduled: false,
            auto_start_on_init: false,
            ..config
        })
    }

    pub fn init(&mut self) {
        self.client.init(self.now).unwrap();
        self.pump();
    }

    pub fn trigger(&mut self) {
        self.client.trigger_manually(self.now).unwrap();
        self.pump();
    }

    /// Init, trigger, and run until the attempt is over.
    pub fn run_once(&mut self) {
        self.init();
        self.trigger();
        self.settle();
    }

    /// Answers every action until the client waits for time.
    pub fn pump(&mut self) {
        while let Some(action) = self.client.poll_action() {
            self.actions.push(action.clone());
            match action {
                Action::SendAt(line) => {
                    let reply = self.modem.answer(&line);
                    self.client
                        .handle(self.now, Input::AtAnswer(reply))
                        .unwrap();
                }
                Action::Http(req) => {
                    if self.forget_time_on_http {
                        self.client
                            .handle(self.now, Input::NetworkTime(false))
                            .unwrap();
                    }
                    let input = self.server.answer_http(&req);
                    self.client.handle(self.now, input).unwrap();
                }
                Action::CoapConnect(_) => {
                    self.server.connect_count += 1;
                    let input = match self.server.connects.pop_front().unwrap_or(Ok(())) {
                        Ok(()) => Input::CoapConnected,
                        Err(f) => Input::TransportFailed(f),
                    };
                    self.client.handle(self.now, input).unwrap();
                }
                Action::Coap(req) => {
                    let input = self.server.answer_coap(&req);
                    self.client.handle(self.now, input).unwrap();
                }
                Action::CoapClose => self.closes += 1,
                Action::Event(event) => {
                    self.events.push((self.now, event.clone()));
                    if self.app_handles_lte {
                        self.app.on_event(self.now, &event);
                        self.run_app();
                    }
                }
                Action::StoreSetting { key, value } => self.stored.push((key, value)),
            }
        }
    }

    /// Performs the application's actions; its attach is immediate (unless
    /// `lte_up_on_activate` is off: LTE then never comes back by itself).
    fn run_app(&mut self) {
        loop {
            while let Some(action) = self.app.poll_action() {
                match action {
                    AppAction::ModemAt(line) => self.modem.app_command(&line),
                    AppAction::Client(input) => self.client.handle(self.now, input).unwrap(),
                    AppAction::ClientNetworkTime => {
                        let time = Input::NetworkTime(self.modem.has_time);
                        self.client.handle(self.now, time).unwrap();
                    }
                    // The device boots again around the same client: LTE comes back.
                    AppAction::Reboot => {
                        self.reboots += 1;
                        self.app.boot(self.now);
                    }
                    // The harness does not boot: tests call `init` themselves.
                    AppAction::Log(_) | AppAction::ProvisionRootCa | AppAction::InitClient => {}
                }
            }
            let due = self.app.poll_timeout().is_some_and(|at| at <= self.now);
            if !(due && self.lte_up_on_activate) {
                return;
            }
            self.app.handle_timeout(self.now);
        }
    }

    /// Runs timers up to `deadline` (inclusive), answering everything.
    pub fn run_until(&mut self, deadline: Timestamp) {
        self.pump();
        while let Some(at) = self.client.poll_timeout() {
            if at > deadline {
                break;
            }
            self.now = self.now.max(at);
            self.client.handle_timeout(self.now);
            self.pump();
        }
        self.now = self.now.max(deadline);
    }

    pub fn run_for_secs(&mut self, secs: u64) {
        let deadline = self.now.plus_secs(secs);
        self.run_until(deadline);
    }

    /// Runs until no attempt is in progress (bounded).
    pub fn settle(&mut self) {
        self.pump();
        let mut guard = 0;
        while self.client.is_attempt_running() && guard < 100_000 {
            let Some(at) = self.client.poll_timeout() else {
                break;
            };
            self.now = self.now.max(at);
            self.client.handle_timeout(self.now);
            self.pump();
            guard += 1;
        }
    }

    /// Runs until the `n`-th event matching `pred` (counted over the whole run) or the
    /// deadline; true if reached.
    pub fn run_until_event(
        &mut self,
        pred: impl Fn(&Event) -> bool,
        n: usize,
        deadline: Timestamp,
    ) -> bool {
        self.pump();
        loop {
            if self.events.iter().filter(|(_, e)| pred(e)).count() >= n {
                return true;
            }
            match self.client.poll_timeout() {
                Some(at) if at <= deadline => {
                    self.now = self.now.max(at);
                    self.client.handle_timeout(self.now);
                    self.pump();
                }
                _ => return false,
            }
        }
    }

    pub fn event_names(&self) -> Vec<&'static str> {
        self.events.iter().map(|(_, e)| e.name()).collect()
    }

    /// Event names without the LTE bookkeeping events.
    pub fn main_events(&self) -> Vec<&'static str> {
        self.event_names()
            .into_iter()
            .filter(|n| !n.starts_with("NEED_LTE"))
            .collect()
    }

    pub fn gets(&self) -> Vec<&HttpRequest> {
        self.server
            .http_log
            .iter()
            .filter(|r| r.path().ends_with("/commands"))
            .collect()
    }

    pub fn posts(&self) -> Vec<&HttpRequest> {
        self.server
            .http_log
            .iter()
            .filter(|r| r.path().ends_with("/response"))
            .collect()
    }

    pub fn scheduled_delays(&self) -> Vec<u64> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::ScheduledProvisioning { next_attempt_s } => Some(*next_attempt_s),
                _ => None,
            })
            .collect()
    }

    pub fn start_times(&self) -> Vec<u64> {
        self.events
            .iter()
            .filter(|(_, e)| *e == Event::Start)
            .map(|(t, _)| t.as_secs())
            .collect()
    }

    /// Index of the first action equal to `action`.
    pub fn index_of(&self, action: &Action) -> Option<usize> {
        self.actions.iter().position(|a| a == action)
    }
}

/// A body of `n` finished-less AT commands (for the records limit).
pub fn many_at_commands(n: usize) -> Vec<u8> {
    use provlab_proto::records::{encode_commands, Command, CorrelationId};
    let commands: Vec<Command> = (0..n)
        .map(|i| Command::At {
            id: CorrelationId::new(format!("id-{i}")).unwrap(),
            set_command: "%XMODEMUUID".into(),
            parameters: String::new(),
            ignore_cme: vec![],
        })
        .collect();
    encode_commands(&commands).unwrap()
}

/// Encodes commands.
pub fn commands(list: &[provlab_proto::records::Command]) -> Vec<u8> {
    provlab_proto::records::encode_commands(list).unwrap()
}

/// An AT command record.
pub fn at_cmd(
    id: &str,
    set: &str,
    params: &str,
    ignore: &[u32],
) -> provlab_proto::records::Command {
    provlab_proto::records::Command::At {
        id: provlab_proto::records::CorrelationId::new(id).unwrap(),
        set_command: set.into(),
        parameters: params.into(),
        ignore_cme: ignore.to_vec(),
    }
}

/// A config command record.
pub fn config_cmd(id: &str, pairs: &[(&str, &str)]) -> provlab_proto::records::Command {
    provlab_proto::records::Command::Config {
        id: provlab_proto::records::CorrelationId::new(id).unwrap(),
        properties: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// A finished command record.
pub fn finished(id: &str) -> provlab_proto::records::Command {
    provlab_proto::records::Command::Finished {
        id: provlab_proto::records::CorrelationId::new(id).unwrap(),
    }
}

/// Decodes a responses body.
pub fn responses(body: &[u8]) -> Vec<provlab_proto::records::Response> {
    provlab_proto::records::decode_responses(body, 100).unwrap()
}
