//! The virtual board's console for a scenario run in simulation: the run's transcript
//! (client events, requests and answers, power-ons, attaches, `nrf_provisioning now`) turned
//! into the virtual board's [`Happening`]s and printed by the board's own [`Renderer`] in
//! Zephyr's log format with the prompt erase/redraw and the era's boot banner, exactly as
//! `provlab board` prints them. Shared by the decoder's and the importer's catalogue tests.

#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use provlab_client::{AttestationToken, Event};
use provlab_harness::transcript::{EntryKind, Lane};
use provlab_hil::decode::{ClientEvent, Era as DecodeEra};
use provlab_sim::board::log::{line, ticks};
use provlab_sim::board::render::{Happening, Renderer};
use provlab_sim::board::Era;

pub const PROMPT: &str = "\x1b[1;32muart:~$ \x1b[m";
pub const ERASE: &str = "\x1b[8D\x1b[J";

pub fn decode_era(era: Era) -> DecodeEra {
    match era {
        Era::V2_9 => DecodeEra::V2_9,
        Era::V3_0 => DecodeEra::V3_0,
        Era::Current => DecodeEra::Current,
    }
}

/// A client event from its transcript text (`START`, `SCHEDULED_PROVISIONING(5s)`).
pub fn event(text: &str) -> Option<Event> {
    if let Some(rest) = text.strip_prefix("SCHEDULED_PROVISIONING(") {
        let s = rest.trim_end_matches(')').trim_end_matches('s');
        return Some(Event::ScheduledProvisioning {
            next_attempt_s: s.parse().ok()?,
        });
    }
    Some(match text {
        "START" => Event::Start,
        "STOP" => Event::Stop,
        "DONE" => Event::Done,
        "FAILED" => Event::Failed,
        "NO_COMMANDS" => Event::NoCommands,
        "FAILED_TOO_MANY_COMMANDS" => Event::FailedTooManyCommands,
        // The transcript does not carry the token; a token of the modem's shape stands in.
        "FAILED_DEVICE_NOT_CLAIMED" | "FAILED_DEVICE_NOT_CLAIMED(token)" => {
            Event::FailedDeviceNotClaimed {
                token: Some(AttestationToken {
                    attest: "2dn3hQFQUA".to_owned(),
                    cose: "0oRDoQEm".to_owned(),
                }),
            }
        }
        "FAILED_WRONG_ROOT_CA" => Event::FailedWrongRootCa,
        "FAILED_NO_VALID_DATETIME" => Event::FailedNoValidDatetime,
        "NEED_LTE_DEACTIVATED" => Event::NeedLteDeactivated,
        "NEED_LTE_ACTIVATED" => Event::NeedLteActivated,
        "FATAL_ERROR" => Event::FatalError,
        _ => return None,
    })
}

pub fn vocab(e: &Event) -> (ClientEvent, Option<u64>) {
    let v = match e {
        Event::Start => ClientEvent::Start,
        Event::Stop => ClientEvent::Stop,
        Event::Done => ClientEvent::Done,
        Event::Failed => ClientEvent::Failed,
        Event::NoCommands => ClientEvent::NoCommands,
        Event::FailedTooManyCommands => ClientEvent::FailedTooManyCommands,
        Event::FailedDeviceNotClaimed { .. } => ClientEvent::FailedDeviceNotClaimed,
        Event::FailedWrongRootCa => ClientEvent::FailedWrongRootCa,
        Event::FailedNoValidDatetime => ClientEvent::FailedNoValidDatetime,
        Event::NeedLteDeactivated => ClientEvent::NeedLteDeactivated,
        Event::NeedLteActivated => ClientEvent::NeedLteActivated,
        Event::ScheduledProvisioning { .. } => ClientEvent::ScheduledProvisioning,
        Event::FatalError => ClientEvent::FatalError,
    };
    let delay = match e {
        Event::ScheduledProvisioning { next_attempt_s } => Some(*next_attempt_s),
        _ => None,
    };
    (v, delay)
}

pub fn is_result(e: &Event) -> bool {
    !matches!(
        e,
        Event::Start
            | Event::Stop
            | Event::NeedLteDeactivated
            | Event::NeedLteActivated
            | Event::ScheduledProvisioning { .. }
            | Event::FatalError
    )
}

/// What `era` shows of one event (`None`: nothing).
pub fn shown(era: Era, e: &Event) -> Option<Event> {
    match (era, e) {
        (Era::V2_9, Event::NoCommands | Event::NeedLteDeactivated | Event::NeedLteActivated) => {
            None
        }
        (_, Event::FatalError) if era == Era::V2_9 => None,
        (Era::V2_9, Event::FailedNoValidDatetime) => Some(Event::Failed),
        _ => Some(e.clone()),
    }
}

/// One device's console bytes and the events it must decode to.
pub struct Console {
    pub renderer: Renderer,
    pub era: Era,
    pub bytes: Vec<u8>,
    pub boot_ms: u64,
    pub held: Vec<Event>,
    pub expected: Vec<(ClientEvent, Option<u64>)>,
    /// Statuses of HTTP fetches whose answer prints a status line (200 with a body, or
    /// anything but 200).
    pub http_statuses: Vec<u16>,
}

impl Console {
    fn new(era: Era) -> Self {
        Console {
            renderer: Renderer::new(era, 50),
            era,
            bytes: Vec::new(),
            boot_ms: 0,
            held: Vec::new(),
            expected: Vec::new(),
            http_statuses: Vec::new(),
        }
    }

    fn print(&mut self, at_ms: u64, h: &Happening) {
        let t = ticks(std::time::Duration::from_millis(
            at_ms.saturating_sub(self.boot_ms),
        ));
        for m in self.renderer.render(h) {
            self.bytes.extend_from_slice(ERASE.as_bytes());
            self.bytes.extend(line(t, m.level, m.module, &m.text));
            self.bytes.extend_from_slice(PROMPT.as_bytes());
        }
    }

    fn boot(&mut self, at_ms: u64) {
        self.boot_ms = at_ms;
        self.renderer.reset();
        self.held.clear();
        for l in self.era.banner() {
            self.bytes.extend_from_slice(l.as_bytes());
            self.bytes.extend_from_slice(b"\r\n");
        }
        self.bytes.extend_from_slice(b"\x1b[m\r\n");
        self.bytes.extend_from_slice(PROMPT.as_bytes());
        self.print(at_ms, &Happening::Boot);
    }

    fn event(&mut self, at_ms: u64, e: Event) {
        self.print(at_ms, &Happening::Event(e.clone(), None));
        let Some(e) = shown(self.era, &e) else { return };
        if self.era.stop_before_result() && is_result(&e) {
            self.held.push(e);
            return;
        }
        self.expected.push(vocab(&e));
        if e == Event::Stop {
            let held = std::mem::take(&mut self.held);
            self.expected.extend(held.iter().map(vocab));
        }
    }
}

/// Renders `device`'s console from the transcript entries of its lanes.
pub fn render(
    era: Era,
    device: &str,
    entries: &[provlab_harness::Entry],
) -> (Console, Vec<(ClientEvent, Option<u64>)>) {
    let mut c = Console::new(era);
    let mut recorded = Vec::new();
    let me = Lane::Client(device.to_owned());
    let app = Lane::App(device.to_owned());
    let power = Lane::Power(device.to_owned());
    let mut last_fetch_http = false;
    let mut coap_fetch_open = false;
    for e in entries {
        let mine = e.from.device() == Some(device) || e.to.device() == Some(device);
        if !mine {
            continue;
        }
        let t = e.at_ms;
        match e.kind {
            EntryKind::Event => {
                let ev = event(&e.text).unwrap_or_else(|| panic!("event {:?}", e.text));
                recorded.push(vocab(&ev));
                c.event(t, ev);
            }
            EntryKind::Note if e.from == power && e.text.starts_with("power on") => c.boot(t),
            EntryKind::Note if e.from == app => match e.text.as_str() {
                "LTE attached, nrf_provisioning_init" => {
                    c.print(t, &Happening::Attached { first: true });
                }
                "LTE attached" => c.print(t, &Happening::Attached { first: false }),
                "shell: nrf_provisioning now" => c.print(t, &Happening::Triggered),
                _ => {}
            },
            EntryKind::Request if e.from == me && e.to == Lane::Service => {
                let text = e.text.as_str();
                if text.starts_with("GET /v1/provisioning/commands") {
                    last_fetch_http = true;
                    c.print(t, &Happening::HttpFetch);
                } else if text.starts_with("POST /v1/provisioning/response") {
                    last_fetch_http = false;
                    c.print(t, &Happening::HttpReport);
                } else if text.starts_with("DTLS handshake") {
                    c.print(t, &Happening::CoapConnecting);
                } else if text.starts_with("CON GET p/cmd") {
                    if !text.contains("block2=") || text.contains("block2=0/") {
                        coap_fetch_open = true;
                        c.print(t, &Happening::CoapFetch);
                    }
                } else if text.starts_with("CON POST p/rsp") {
                    c.print(t, &Happening::CoapReport);
                }
            }
            EntryKind::Response if e.from == Lane::Service && e.to == me => {
                let text = e.text.as_str();
                let head = text.split([' ', ',', ':']).next().unwrap_or_default();
                if text == "DTLS session established" {
                    c.print(t, &Happening::CoapConnected);
                } else if last_fetch_http && head.len() == 3 {
                    last_fetch_http = false;
                    if let Ok(status) = head.parse::<u16>() {
                        let body = status == 200 && !text.contains(" 0 records");
                        if status != 200 || body {
                            c.http_statuses.push(status);
                        }
                        c.print(t, &Happening::HttpFetched(Some(status), body));
                    }
                } else if coap_fetch_open && head.contains('.') {
                    let more = text.contains("+ (");
                    if !more {
                        coap_fetch_open = false;
                        let mut parts = head.split('.');
                        let class: u8 = parts.next().unwrap().parse().unwrap();
                        let detail: u8 = parts.next().unwrap().parse().unwrap();
                        let empty = !text.contains("block2") && !text.contains("bytes");
                        c.print(
                            t,
                            &Happening::CoapFetched {
                                code: class << 5 | detail,
                                empty,
                                finished: false,
                            },
                        );
                    }
                }
            }
            _ => {}
        }
    }
    (c, recorded)
}
