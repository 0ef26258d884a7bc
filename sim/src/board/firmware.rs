//! [`Firmware`]: the sample application and the provisioning client on the board, as the
//! shell's [`ShellHook`]. It owns the [`Client`] and the sample's [`SampleApp`], runs their
//! AT lines on the modem the shell lends it, hands network actions to the [`Link`] worker,
//! performs what the application asks (`AT+CFUN=4` / `AT+CFUN=1` around command execution,
//! the attach delay, `nrf_provisioning_init`, the v2.9 reboot after DONE), keeps the
//! settings store, and logs through the era's [`Renderer`].

use std::collections::BTreeMap;
use std::time::Duration;

use provlab_client::app::{AppAction, AppConfig, AppLog, SampleApp};
use provlab_client::{
    Action, ApiError, Client, ClientConfig, CoapMethod, Event, HttpMethod, Input, StoredSettings,
    Timestamp, TransportKind,
};
use provlab_proto::records::{decode_commands, Command};

use super::era::Era;
use super::link::{Job, Link};
use super::log::{line, ticks, Level};
use super::render::{Happening, Renderer, LIB};
use super::{BoardConfig, BoardError};
use crate::modem::credentials::TYPE_ROOT_CA;
use crate::modem::{CredKey, Modem};
use crate::net::RootCa;
use crate::serial::{HookPoll, Now, ShellHook};

/// Most actions executed in one poll (a client queues a handful per input).
const MAX_ACTIONS_PER_POLL: usize = 10_000;
/// Most commands decoded from a fetched batch (for the `Finished` line only).
const MAX_DECODED: usize = 256;
/// Most application actions performed in one go (it queues a handful per input).
const MAX_APP_ACTIONS: usize = 100;

/// The firmware behind the board's shell (see the module docs).
#[derive(Debug)]
pub struct Firmware {
    config: BoardConfig,
    renderer: Renderer,
    link: Link,
    boot: u64,
    boot_at: Duration,
    client: Option<Client>,
    app: SampleApp,
    settings: BTreeMap<String, Vec<u8>>,
    cert_written: bool,
    logs: Vec<Vec<u8>>,
    reboot: bool,
    coap_body: Vec<u8>,
    last_request: Option<Sent>,
    events: Vec<Event>,
}

/// The network request in flight, for the lines its answer prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sent {
    HttpGet,
    HttpPost,
    Connect,
    CoapFetch,
    CoapOther,
}

impl Firmware {
    /// The firmware of `config`, with its network worker started.
    pub fn new(config: BoardConfig) -> Result<Firmware, BoardError> {
        let link = Link::spawn(config.http_timeout, config.coap_timing, config.seed)?;
        Ok(Firmware {
            renderer: Renderer::new(config.era, config.root_ca_sec_tag()),
            app: SampleApp::new(AppConfig::new(config.era.app_era(), config.attach_delay)),
            config,
            link,
            boot: 0,
            boot_at: Duration::ZERO,
            client: None,
            settings: BTreeMap::new(),
            cert_written: false,
            logs: Vec::new(),
            reboot: false,
            coap_body: Vec::new(),
            last_request: None,
            events: Vec::new(),
        })
    }

    /// The client events of this boot so far.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    fn uptime(&self, now: Now) -> Duration {
        now.monotonic.saturating_sub(self.boot_at)
    }

    fn stamp(&self, now: Now) -> Timestamp {
        Timestamp(u64::try_from(self.uptime(now).as_millis()).unwrap_or(u64::MAX))
    }

    /// Renders `happening` into the pending log output.
    fn log(&mut self, now: Now, happening: &Happening) {
        let at = ticks(self.uptime(now));
        for m in self.renderer.render(happening) {
            self.logs.push(line(at, m.level, m.module, &m.text));
        }
    }

    /// The client configuration for this boot (the modem's firmware string as `mver`).
    fn client_config(&self, modem: &Modem) -> ClientConfig {
        let mut config = self.config.client_config();
        config.modem_fw = modem.identity().firmware.clone();
        config
    }

    fn app_at(&mut self, modem: &mut Modem, now: Now, line: &str) -> bool {
        let reply = modem.execute_str(now.unix, line);
        if reply.reboot {
            let _ = modem.reboot();
        }
        reply.answer.result.is_ok()
    }

    /// `cert_provision`: writes the configured root CA when the sec tag is empty.
    fn provision_root_ca(&mut self, modem: &mut Modem, now: Now) {
        let tag = self.config.root_ca_sec_tag();
        let Some(pem) = self.config.root_ca.clone() else {
            return;
        };
        if modem
            .credentials()
            .contains(CredKey::new(tag, TYPE_ROOT_CA))
        {
            return;
        }
        let pem = pem.trim_end().replace("\r\n", "\n");
        let command = format!("AT%CMNG=0,{tag},0,\"{pem}\"");
        self.cert_written = self.app_at(modem, now, &command);
    }

    /// Performs what the application queued.
    fn run_app(&mut self, modem: &mut Modem, now: Now) {
        for _ in 0..MAX_APP_ACTIONS {
            let Some(action) = self.app.poll_action() else {
                return;
            };
            self.app_act(modem, now, action);
        }
    }

    fn app_act(&mut self, modem: &mut Modem, now: Now, action: AppAction) {
        let ts = self.stamp(now);
        match action {
            AppAction::Log(AppLog::Booted) => self.log(now, &Happening::Boot),
            AppAction::Log(AppLog::Attached { first }) => {
                self.log(now, &Happening::Attached { first });
            }
            AppAction::ProvisionRootCa => self.provision_root_ca(modem, now),
            AppAction::ModemAt(line) => {
                self.app_at(modem, now, &line);
            }
            AppAction::Client(input) => {
                if let Some(client) = self.client.as_mut() {
                    let _ = client.handle(ts, input);
                }
            }
            AppAction::ClientNetworkTime => {
                let time = modem.network_time();
                if let Some(client) = self.client.as_mut() {
                    let _ = client.handle(ts, Input::NetworkTime(time));
                }
            }
            AppAction::InitClient => self.init_client(now),
            // `reboot_device`: the log is flushed, then the shell reboots (see `poll`).
            AppAction::Reboot => self.reboot = true,
        }
    }

    /// `nrf_provisioning_init` (with the certificate lines of the era).
    fn init_client(&mut self, now: Now) {
        if self.cert_written {
            self.log(now, &Happening::CertWritten);
        }
        if self.config.transport == TransportKind::Coap {
            self.log(now, &Happening::CoapInit);
        }
        let ts = self.stamp(now);
        if let Some(client) = self.client.as_mut() {
            let _ = client.init(ts);
        }
    }

    /// Runs everything due: the attach, network answers, client timers and actions.
    fn run(&mut self, modem: &mut Modem, now: Now) {
        if self
            .app
            .poll_timeout()
            .is_some_and(|due| due <= self.stamp(now))
        {
            self.app.handle_timeout(self.stamp(now));
            self.run_app(modem, now);
        }
        for _ in 0..MAX_ACTIONS_PER_POLL {
            let mut progressed = false;
            while let Some(done) = self.link.try_recv() {
                if done.boot == self.boot {
                    self.answer(now, done.input);
                    progressed = true;
                }
            }
            let ts = self.stamp(now);
            if let Some(client) = self.client.as_mut() {
                if client.poll_timeout().is_some_and(|due| due <= ts) {
                    client.handle_timeout(ts);
                }
            }
            while let Some(action) = self.client.as_mut().and_then(Client::poll_action) {
                progressed = true;
                if self.reboot {
                    continue;
                }
                self.act(modem, now, action);
            }
            if !progressed {
                break;
            }
        }
    }

    /// A network answer: its log lines, then the client.
    fn answer(&mut self, now: Now, input: Input) {
        match (self.last_request.take(), &input) {
            (Some(Sent::HttpGet), Input::Http(r)) => {
                self.log(now, &Happening::HttpFetched(r.status, !r.body.is_empty()));
            }
            (Some(Sent::Connect), Input::CoapConnected) => self.log(now, &Happening::CoapConnected),
            (Some(Sent::CoapFetch), Input::Coap(r)) => {
                self.coap_body.extend_from_slice(&r.payload);
                let more = r.block2.is_some_and(|b| b.more);
                if r.code.class() == 2 && more {
                    // The client asks for the next block; keep collecting.
                    self.last_request = Some(Sent::CoapFetch);
                } else {
                    let body = std::mem::take(&mut self.coap_body);
                    let finished = decode_commands(&body, MAX_DECODED).is_ok_and(|cmds| {
                        cmds.iter().any(|c| matches!(c, Command::Finished { .. }))
                    });
                    self.log(
                        now,
                        &Happening::CoapFetched {
                            code: r.code.0,
                            empty: body.is_empty(),
                            finished,
                        },
                    );
                }
            }
            _ => {}
        }
        let ts = self.stamp(now);
        if let Some(client) = self.client.as_mut() {
            let _ = client.handle(ts, input);
        }
    }

    fn root_ca(modem: &Modem, sec_tag: u32) -> Option<RootCa> {
        modem
            .credentials()
            .get(CredKey::new(sec_tag, TYPE_ROOT_CA))
            .and_then(|pem| RootCa::from_pem(pem).ok())
    }

    fn send(&mut self, now: Now, job: Job, sent: Sent) {
        self.last_request = Some(sent);
        if let Err(e) = self.link.send(self.boot, job) {
            let text = format!("network worker: {e}");
            let at = ticks(self.uptime(now));
            self.logs.push(line(at, Level::Err, LIB, &text));
        }
    }

    fn act(&mut self, modem: &mut Modem, now: Now, action: Action) {
        let ts = self.stamp(now);
        match action {
            Action::SendAt(command) => {
                let reply = modem.execute_str(now.unix, &command);
                if let Some(client) = self.client.as_mut() {
                    let _ = client.handle(ts, Input::at_raw(reply.text));
                }
                if reply.reboot {
                    // The modem rebooted after answering: LTE is gone until the
                    // application brings it back.
                    let _ = modem.reboot();
                    self.app.modem_rebooted(ts);
                    self.run_app(modem, now);
                }
            }
            Action::Http(request) => {
                let root = Self::root_ca(modem, request.sec_tag);
                let sent = match request.method {
                    HttpMethod::Get => {
                        self.log(now, &Happening::HttpFetch);
                        Sent::HttpGet
                    }
                    HttpMethod::Post => {
                        self.log(now, &Happening::HttpReport);
                        Sent::HttpPost
                    }
                };
                self.send(now, Job::Http(request, root), sent);
            }
            Action::CoapConnect(endpoint) => {
                let root = Self::root_ca(modem, endpoint.sec_tag);
                self.log(now, &Happening::CoapConnecting);
                self.send(now, Job::Connect(endpoint, root), Sent::Connect);
            }
            Action::Coap(request) => {
                let fetch_start = request.method == CoapMethod::Get
                    && request.path.trim_start_matches('/') == "p/cmd"
                    && request.block2.is_none_or(|b| b.num == 0);
                let sent = if fetch_start {
                    self.coap_body.clear();
                    self.log(now, &Happening::CoapFetch);
                    Sent::CoapFetch
                } else if request.method == CoapMethod::Get {
                    Sent::CoapFetch
                } else {
                    if request.path.trim_start_matches('/') == "p/rsp" {
                        self.log(now, &Happening::CoapReport);
                    }
                    Sent::CoapOther
                };
                self.send(now, Job::Coap(request), sent);
            }
            Action::CoapClose => {
                self.last_request = None;
                if let Err(e) = self.link.send(self.boot, Job::Close) {
                    let at = ticks(self.uptime(now));
                    self.logs
                        .push(line(at, Level::Err, LIB, &format!("network worker: {e}")));
                }
            }
            Action::Event(event) => self.on_event(modem, now, event),
            Action::StoreSetting { key, value } => {
                self.settings.insert(key, value);
            }
        }
    }

    fn on_event(&mut self, modem: &mut Modem, now: Now, event: Event) {
        let errno = self
            .client
            .as_ref()
            .and_then(Client::last_result)
            .and_then(Result::err);
        self.events.push(event.clone());
        self.log(now, &Happening::Event(event.clone(), errno));
        self.app.on_event(self.stamp(now), &event);
        self.run_app(modem, now);
    }

    /// `nrf_provisioning token`.
    fn token(modem: &mut Modem, now: Now) -> Vec<u8> {
        let reply = modem.execute_str(now.unix, "AT%ATTESTTOKEN");
        let token = reply
            .text
            .lines()
            .find_map(|l| l.trim().strip_prefix("%ATTESTTOKEN: "))
            .map(|t| t.trim_matches('"').to_owned());
        match token {
            Some(token) if reply.answer.result.is_ok() => format!("{token}\r\n\r\n").into_bytes(),
            _ => b"Failed to get token, err -8\r\n\r\n".to_vec(),
        }
    }

    /// The help text of `nrf_provisioning` for the era.
    fn help(&self) -> Vec<u8> {
        let mut text =
            String::from("nrf_provisioning - nRF Provisioning commands\r\nSubcommands:\r\n");
        for (name, help) in self.config.era.subcommands() {
            text.push_str(&format!("  {name:<8}  : {help}\r\n"));
        }
        text.into_bytes()
    }

    /// `nrf_provisioning now`.
    fn now_command(&mut self, now: Now) -> Vec<u8> {
        let ts = self.stamp(now);
        let result = match self.client.as_mut() {
            Some(client) => client.trigger_manually(ts),
            None => Err(ApiError::NotInitialized),
        };
        let era = self.config.era;
        match result {
            Ok(()) if era.immediate_logs() => {
                let at = ticks(self.uptime(now));
                let mut printed = Vec::new();
                for m in self.renderer.render(&Happening::Triggered) {
                    printed.extend(line(at, m.level, m.module, &m.text));
                }
                printed
            }
            Ok(()) => {
                self.log(now, &Happening::Triggered);
                Vec::new()
            }
            Err(ApiError::NotInitialized) if era == Era::V2_9 => {
                line(ticks(self.uptime(now)), Level::Err, LIB, "Not initialized")
            }
            Err(ApiError::NotInitialized) => red("Provisioning library is not initialized"),
            Err(e) => red(&format!("Provisioning failed, err {}", -e.errno().linux())),
        }
    }

    /// `nrf_provisioning interval [<s>]`.
    fn interval_command(&mut self, now: Now, arg: Option<&String>) -> Vec<u8> {
        let Some(arg) = arg else {
            let mut out = red("No interval provided");
            out.extend_from_slice(b"Usage: nrf_provisioning interval <seconds>\r\n");
            return out;
        };
        let seconds = atoi(arg);
        let ts = self.stamp(now);
        if let Some(client) = self.client.as_mut() {
            // The shell ignores the result; the library logs only at DBG/ERR.
            let _ = client.set_interval(ts, seconds);
        }
        Vec::new()
    }
}

/// `shell_error`: red text, CRLF, colours off.
fn red(text: &str) -> Vec<u8> {
    format!("\x1b[1;31m{text}\r\n\x1b[m").into_bytes()
}

/// C `atoi`: optional sign and leading digits; anything else gives 0.
fn atoi(text: &str) -> i64 {
    let text = text.trim_start();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let value = digits
        .chars()
        .take_while(char::is_ascii_digit)
        .fold(0i64, |v, d| {
            v.saturating_mul(10)
                .saturating_add(i64::from(d.to_digit(10).unwrap_or(0)))
        });
    sign * value
}

impl ShellHook for Firmware {
    fn boot(&mut self, modem: &mut Modem, now: Now) {
        self.boot += 1;
        self.boot_at = now.monotonic;
        self.renderer.reset();
        self.logs.clear();
        self.reboot = false;
        self.events.clear();
        self.coap_body.clear();
        self.last_request = None;
        self.cert_written = false;
        let stored = self
            .settings
            .iter()
            .fold(StoredSettings::new(), |s, (k, v)| {
                s.with(k.clone(), v.clone())
            });
        let seed = self.config.seed ^ self.boot.rotate_left(32);
        self.client = Some(Client::new(self.client_config(modem), stored, seed));
        self.app.boot(self.stamp(now));
        self.run_app(modem, now);
        self.run(modem, now);
    }

    fn provisioning(&mut self, modem: &mut Modem, now: Now, args: &[String]) -> Option<Vec<u8>> {
        let printed = match args.first().map(String::as_str) {
            Some("now") => self.now_command(now),
            Some("token") => Self::token(modem, now),
            Some("uuid") => format!("{}\r\n\r\n", modem.identity().device_uuid).into_bytes(),
            Some("interval") => self.interval_command(now, args.get(1)),
            Some("init") if self.config.era == Era::V2_9 => {
                let ts = self.stamp(now);
                if let Some(client) = self.client.as_mut() {
                    let _ = client.init(ts);
                }
                Vec::new()
            }
            _ => self.help(),
        };
        self.run(modem, now);
        Some(printed)
    }

    fn poll(&mut self, modem: &mut Modem, now: Now) -> HookPoll {
        self.run(modem, now);
        let mut logs = std::mem::take(&mut self.logs);
        let reboot = std::mem::take(&mut self.reboot);
        if reboot {
            let at = ticks(self.uptime(now));
            logs.push(line(
                at,
                Level::Inf,
                LIB,
                "Disconnected from network - provisioning paused",
            ));
        }
        HookPoll { logs, reboot }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_is_c_like() {
        assert_eq!(atoi("60"), 60);
        assert_eq!(atoi(" -5x"), -5);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi("+7"), 7);
    }
}
