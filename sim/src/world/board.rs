//! The device in virtual time: it executes the client's actions (AT lines on the modem,
//! requests on the link, settings into flash), drives the sample application
//! ([`provlab_client::app::SampleApp`]: `AT+CFUN=4` / `AT+CFUN=1` around command execution,
//! the attach delay, `nrf_provisioning_init` after the first attach, the v2.9 reboot after
//! DONE) with the application's timer on the agenda, and powers the device on and off.

use std::time::Duration;

use provlab_client::app::{AppAction, AppLog};
use provlab_client::{Action, AtReply, Client, Event, Input, Timestamp};
use provlab_proto::records::{decode_responses, Command};

use super::device::{Exchanged, PowerCutPoint};
use super::net::ExKind;
use super::transcript::{EntryKind, Lane, Record as _};
use super::{duration_ms, Due, World};
use crate::modem::Reply;

/// Most responses decoded from one report for the transcript.
const MAX_LOGGED_RESPONSES: usize = 64;

impl World {
    /// Executes every action the client has queued.
    pub(super) fn pump(&mut self, dev: usize) {
        // Bounded: a client only queues a handful of actions per input.
        for _ in 0..10_000 {
            let Some(action) = self
                .devices
                .get_mut(dev)
                .and_then(|d| d.client.as_mut())
                .and_then(Client::poll_action)
            else {
                return;
            };
            self.act(dev, action);
        }
    }

    fn act(&mut self, dev: usize, action: Action) {
        let now = self.now_ms;
        let name = self.devices[dev].name.clone();
        let client_lane = Lane::Client(name.clone());
        match action {
            Action::SendAt(line) => self.send_at(dev, line),
            Action::Http(request) => {
                let is_report = request.method == provlab_client::HttpMethod::Post;
                if is_report && self.cut_before_report(dev) {
                    return;
                }
                self.transcript.message(
                    now,
                    client_lane.clone(),
                    Lane::Service,
                    EntryKind::Request,
                    format!("{} {}", request.method.as_str(), request.path_and_query),
                );
                if is_report {
                    self.log_report(dev, &request.body);
                }
                self.start_exchange(dev, ExKind::Http(request));
            }
            Action::CoapConnect(endpoint) => {
                self.transcript.message(
                    now,
                    client_lane,
                    Lane::Service,
                    EntryKind::Request,
                    format!(
                        "DTLS handshake {}:{} (root CA sec tag {})",
                        endpoint.host, endpoint.port, endpoint.sec_tag
                    ),
                );
                self.start_exchange(dev, ExKind::Connect);
            }
            Action::Coap(request) => {
                let is_report = request.path == "p/rsp";
                if is_report && self.cut_before_report(dev) {
                    return;
                }
                let mid = self.devices[dev].take_mid();
                let block = request
                    .block2
                    .map(|b| format!(" block2={}/{}", b.num, b.size()))
                    .unwrap_or_default();
                let payload = if request.payload.is_empty() {
                    String::new()
                } else {
                    format!(" ({} bytes)", request.payload.len())
                };
                self.transcript.message(
                    now,
                    client_lane,
                    Lane::Service,
                    EntryKind::Request,
                    format!(
                        "{} {} {} mid={mid:#06x}{block}{payload}",
                        if request.confirmable { "CON" } else { "NON" },
                        match request.method {
                            provlab_client::CoapMethod::Get => "GET",
                            provlab_client::CoapMethod::Post => "POST",
                        },
                        request.path_and_query(),
                    ),
                );
                if is_report {
                    self.log_report(dev, &request.payload);
                }
                self.start_exchange(dev, ExKind::Coap { request, mid });
            }
            Action::CoapClose => {
                self.transcript.message(
                    now,
                    client_lane,
                    Lane::Service,
                    EntryKind::Request,
                    "DTLS close",
                );
                self.devices[dev].session = None;
                self.loopback_close(dev);
            }
            Action::Event(event) => self.on_event(dev, event),
            Action::StoreSetting { key, value } => {
                self.transcript.message(
                    now,
                    client_lane,
                    Lane::App(name.clone()),
                    EntryKind::Request,
                    format!("store setting {key} = {}", String::from_utf8_lossy(&value)),
                );
                if let Err(e) = self.devices[dev].store_setting(&key, &value) {
                    self.transcript
                        .note(now, Lane::App(name), EntryKind::Note, e.to_string());
                }
            }
        }
    }

    /// Logs the decoded responses of a report and keeps them in the records log.
    fn log_report(&mut self, dev: usize, body: &[u8]) {
        let now = self.now_ms;
        let lane = Lane::Client(self.devices[dev].name.clone());
        match decode_responses(body, MAX_LOGGED_RESPONSES) {
            Ok(responses) => {
                for response in responses {
                    self.transcript.message(
                        now,
                        lane.clone(),
                        Lane::Service,
                        EntryKind::Request,
                        format!("  response {response}"),
                    );
                    self.devices[dev].records.push(Exchanged::Reported {
                        at_ms: now,
                        response,
                    });
                }
            }
            Err(e) => self.transcript.note(
                now,
                lane,
                EntryKind::Note,
                format!("report does not decode: {e}"),
            ),
        }
    }

    /// Runs an AT line on the modem; the answer reaches the client after the AT latency
    /// and any injected delay.
    fn send_at(&mut self, dev: usize, line: String) {
        let now = self.now_ms;
        let name = self.devices[dev].name.clone();
        self.transcript.message(
            now,
            Lane::Client(name.clone()),
            Lane::Modem(name.clone()),
            EntryKind::Request,
            &line,
        );
        let now_unix = self.now_unix();
        self.devices[dev].last_at = Some(line.clone());
        let flash_before = if self.nvm_cut_armed(dev) {
            self.flash_snapshot(dev)
        } else {
            None
        };
        let reply = self.devices[dev].modem.execute_str(now_unix, &line);
        if let Some(before) = flash_before {
            if self.flash_written_since(dev, &before) {
                if let Some(cut) = self.reach_cut_point(dev, |p| *p == PowerCutPoint::NvmWrite) {
                    self.cut_during_nvm_write(dev, before, cut);
                    return;
                }
            }
        }
        let cut = self.reach_cut_point(
            dev,
            |p| matches!(p, PowerCutPoint::AfterAt(prefix) if line.starts_with(prefix.as_str())),
        );
        if let Some(cut) = cut {
            self.fire_cut(dev, cut, &format!("power cut after `{line}` executed"));
            return;
        }
        let at = now
            .saturating_add(duration_ms(self.config.at_latency))
            .saturating_add(duration_ms(reply.delay));
        let boot = self.devices[dev].boot;
        let reboot = reply.reboot;
        self.agenda.schedule(
            at,
            Due::AtAnswer {
                dev,
                boot,
                reply: AtReply::Raw(reply.text),
            },
        );
        if reboot {
            self.agenda.schedule(at, Due::ModemReboot { dev, boot });
        }
    }

    pub(super) fn deliver_at_answer(&mut self, dev: usize, reply: AtReply) {
        let now = self.now_ms;
        let name = self.devices[dev].name.clone();
        let text = match &reply {
            AtReply::Raw(text) => text.clone(),
            AtReply::Result { status, buffer } => format!("{status} {buffer}"),
        };
        self.transcript.message(
            now,
            Lane::Modem(name.clone()),
            Lane::Client(name),
            EntryKind::Response,
            text,
        );
        let cursor = self.devices[dev]
            .client
            .as_ref()
            .map(|c| c.cursor().to_owned());
        self.handle_input(dev, Input::AtAnswer(reply));
        if let Some(command) = self.command_done(dev, cursor.as_deref()) {
            if let Some(cut) = self.reach_cut_point(dev, |p| *p == PowerCutPoint::AfterCommand) {
                self.fire_cut(
                    dev,
                    cut,
                    &format!("power cut after command {command} executed"),
                );
                return;
            }
        }
        self.pump(dev);
    }

    /// The command record whose execution on the modem the answer just handed to the client
    /// completed, if any: the client moved its cursor (it took the answer as the record's
    /// final one, not a buffer-growth retry) and the answered AT line is the line of a
    /// delivered AT record. Gives the record's id.
    fn command_done(&self, dev: usize, cursor_before: Option<&str>) -> Option<String> {
        let d = &self.devices[dev];
        let moved = d.client.as_ref().map(|c| c.cursor()) != cursor_before;
        let line = d.last_at.as_deref()?;
        if !moved {
            return None;
        }
        d.records.iter().rev().find_map(|r| match r {
            Exchanged::Delivered {
                command:
                    Command::At {
                        id,
                        set_command,
                        parameters,
                        ..
                    },
                ..
            } if line == format!("AT{set_command}={parameters}") => Some(id.as_str().to_owned()),
            _ => None,
        })
    }

    /// Hands an input to the client and runs what follows.
    pub(super) fn feed(&mut self, dev: usize, input: Input) {
        self.handle_input(dev, input);
        self.pump(dev);
    }

    /// Hands an input to the client (its actions stay queued).
    fn handle_input(&mut self, dev: usize, input: Input) {
        let now = Timestamp(self.now_ms);
        let name = self.devices[dev].name.clone();
        let Some(client) = self.devices[dev].client.as_mut() else {
            return;
        };
        if let Err(e) = client.handle(now, input) {
            self.transcript.note(
                self.now_ms,
                Lane::Client(name),
                EntryKind::Note,
                format!("input refused: {e}"),
            );
        }
    }

    /// The application's own AT command (not the client's), answered at once.
    fn app_at(&mut self, dev: usize, line: &str) -> Reply {
        let now = self.now_ms;
        let name = self.devices[dev].name.clone();
        self.transcript.message(
            now,
            Lane::App(name.clone()),
            Lane::Modem(name.clone()),
            EntryKind::Request,
            line,
        );
        let now_unix = self.now_unix();
        let reply = self.devices[dev].modem.execute_str(now_unix, line);
        self.transcript.message(
            now,
            Lane::Modem(name.clone()),
            Lane::App(name),
            EntryKind::Response,
            &reply.text,
        );
        reply
    }

    fn on_event(&mut self, dev: usize, event: Event) {
        let now = self.now_ms;
        let name = self.devices[dev].name.clone();
        self.transcript
            .note(now, Lane::Client(name), EntryKind::Event, event.to_string());
        self.devices[dev].events.push((now, event.clone()));
        self.devices[dev].app.on_event(Timestamp(now), &event);
        if let Event::FailedDeviceNotClaimed { token } = event {
            self.devices[dev].token = token;
        }
        self.run_app(dev);
        self.pump(dev);
    }

    /// Power on: a new boot with a fresh client; the application starts (LTE up, the
    /// client initialised when attached).
    pub(super) fn power_on(&mut self, dev: usize) {
        let now = self.now_ms;
        let seed = super::derive(
            self.config.seed,
            "client",
            (dev as u64) << 32 | (self.devices[dev].boot + 1),
        );
        let d = &mut self.devices[dev];
        d.boot += 1;
        d.powered = true;
        d.app_due = None;
        let boot = d.boot;
        let name = d.name.clone();
        d.client = Some(Client::new(
            d.spec.effective_client_config(),
            d.stored_settings(),
            seed,
        ));
        self.transcript.note(
            now,
            Lane::Power(name),
            EntryKind::Note,
            format!("power on (boot {boot})"),
        );
        self.devices[dev].app.boot(Timestamp(now));
        self.run_app(dev);
        self.pump(dev);
    }

    /// The application's timer is due: an LTE attach.
    pub(super) fn app_timer(&mut self, dev: usize) {
        let now = self.now_ms;
        let d = &mut self.devices[dev];
        if d.app_due == Some(now) {
            d.app_due = None;
        }
        d.app.handle_timeout(Timestamp(now));
        self.run_app(dev);
        self.pump(dev);
    }

    /// The modem rebooted on a fault: LTE drops, the application brings it back.
    pub(super) fn modem_reboot(&mut self, dev: usize) {
        let now = self.now_ms;
        let name = self.devices[dev].name.clone();
        let note = match self.devices[dev].modem.reboot() {
            Ok(()) => "modem rebooted (fault)".to_owned(),
            Err(e) => format!("modem reboot failed: {e}"),
        };
        self.transcript
            .note(now, Lane::Modem(name), EntryKind::Note, note);
        self.devices[dev].app.modem_rebooted(Timestamp(now));
        self.run_app(dev);
        self.pump(dev);
    }

    /// Performs the application's queued actions (the client's stay queued), then puts its
    /// timer on the agenda.
    fn run_app(&mut self, dev: usize) {
        // Bounded: the application queues a handful of actions per input.
        for _ in 0..100 {
            let Some(action) = self.devices[dev].app.poll_action() else {
                break;
            };
            self.app_act(dev, action);
            if !self.devices[dev].powered {
                return;
            }
        }
        let d = &mut self.devices[dev];
        if let Some(at) = d.app.poll_timeout() {
            let at = at.as_millis();
            if d.app_due != Some(at) {
                d.app_due = Some(at);
                let boot = d.boot;
                self.agenda.schedule(at, Due::App { dev, boot });
            }
        }
    }

    fn app_act(&mut self, dev: usize, action: AppAction) {
        let now = self.now_ms;
        let name = self.devices[dev].name.clone();
        match action {
            AppAction::Log(AppLog::Attached { first }) => {
                let era = self.devices[dev].app.config().era;
                let note = if first && !era.init_before_attach() {
                    "LTE attached, nrf_provisioning_init"
                } else {
                    "LTE attached"
                };
                self.transcript
                    .note(now, Lane::App(name), EntryKind::Note, note);
            }
            // The power lane notes the boot; world devices come with their credentials.
            AppAction::Log(AppLog::Booted) | AppAction::ProvisionRootCa => {}
            AppAction::ModemAt(line) => {
                self.app_at(dev, &line);
            }
            AppAction::Client(input) => self.handle_input(dev, input),
            AppAction::ClientNetworkTime => {
                let time = self.devices[dev].modem.network_time();
                self.handle_input(dev, Input::NetworkTime(time));
            }
            AppAction::InitClient => self.init_client(dev),
            AppAction::Reboot => {
                self.devices[dev].next_off = Some(Duration::ZERO);
                self.cut_power(dev, EntryKind::Note, "warm reboot after DONE (v2.9 sample)");
            }
        }
    }

    /// `nrf_provisioning_init`, then a trigger deferred while the device was booting.
    fn init_client(&mut self, dev: usize) {
        let now = Timestamp(self.now_ms);
        let name = self.devices[dev].name.clone();
        let d = &mut self.devices[dev];
        let trigger = std::mem::take(&mut d.pending_trigger);
        let Some(client) = d.client.as_mut() else {
            return;
        };
        let mut result = client.init(now);
        if result.is_ok() && trigger {
            result = client.trigger_manually(now);
        }
        if let Err(e) = result {
            self.transcript.note(
                self.now_ms,
                Lane::App(name),
                EntryKind::Note,
                format!("client API refused: {e}"),
            );
        }
    }

    /// Counts a report about to be sent against the armed "before report" cuts; whether one
    /// fires now (it then cuts the power).
    fn cut_before_report(&mut self, dev: usize) -> bool {
        match self.reach_cut_point(dev, |p| *p == PowerCutPoint::BeforeReport) {
            Some(cut) => {
                self.fire_cut(dev, cut, "power cut before the report");
                true
            }
            None => false,
        }
    }

    /// Cuts the power: the client's RAM state is gone, the modem reloads its NVM, pending
    /// deliveries to the device are void; power returns after the configured off time.
    /// `why` goes on the power lane as a `kind` entry (a fault, or a note for the
    /// firmware's own reboot).
    pub(super) fn cut_power(&mut self, dev: usize, kind: EntryKind, why: &str) {
        let now = self.now_ms;
        let d = &mut self.devices[dev];
        if !d.powered {
            return;
        }
        d.powered = false;
        d.client = None;
        d.session = None;
        let reboot = d.modem.reboot();
        let boot = d.boot;
        let name = d.name.clone();
        self.transcript
            .note(now, Lane::Power(name.clone()), kind, why);
        if let Err(e) = reboot {
            self.transcript.note(
                now,
                Lane::Modem(name),
                EntryKind::Note,
                format!("NVM reload failed: {e}"),
            );
        }
        let off = self.devices[dev]
            .next_off
            .take()
            .unwrap_or(self.config.power_off_time);
        self.agenda.schedule(
            now.saturating_add(duration_ms(off)),
            Due::PowerOn { dev, boot },
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use provlab_client::Generation;
    use provlab_server::domain::commands::{CommandRequest, Finished};

    use super::super::{DeviceSpec, World, WorldConfig};

    fn finished_run(generation: Generation) -> (World, String) {
        let mut world = World::new(WorldConfig::new(3)).unwrap();
        let dk1 = world
            .add_device(DeviceSpec::new("dk1").generation(generation))
            .unwrap();
        world.claim(dk1, &["lab"]).unwrap();
        world
            .add_command(dk1, CommandRequest::Finished(Finished {}))
            .unwrap();
        world.trigger(dk1).unwrap();
        world.advance(Duration::from_secs(30));
        let text = world.transcript().to_text();
        (world, text)
    }

    #[test]
    fn a_v2_9_device_goes_offline_and_reboots_after_done() {
        let (world, text) = finished_run(Generation::V2_9);
        let dk1 = world.device_id("dk1").unwrap();
        assert!(world.event_names(dk1).contains(&"DONE"), "{text}");
        let done = text.find("event DONE").unwrap();
        let off = done + text[done..].find("AT+CFUN=4").unwrap();
        let reboot = off + text[off..].find("warm reboot after DONE").unwrap();
        let boot2 = reboot + text[reboot..].find("power on (boot 2)").unwrap();
        // The new boot brings LTE back up.
        assert!(text[boot2..].contains("AT+CFUN=1"), "{text}");
    }

    #[test]
    fn a_current_device_does_not_reboot_after_done() {
        let (world, text) = finished_run(Generation::Current);
        let dk1 = world.device_id("dk1").unwrap();
        assert!(world.event_names(dk1).contains(&"DONE"), "{text}");
        assert!(!text.contains("warm reboot"), "{text}");
        assert!(!text.contains("power on (boot 2)"), "{text}");
    }
}
