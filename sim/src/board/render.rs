//! What the sample firmware and the library log, per era, for what happens on the board
//! (`sample-console.md` §3–§6, §10). The [`Renderer`] turns [`Happening`]s into log messages
//! (level, module, text); the firmware stamps and formats them ([`super::log`]).
//!
//! Byte-exact strings are the ones the spec quotes; where the spec leaves the order or the
//! presence of a line open, the choice is noted at the line.

use provlab_client::{Errno, Event};

use super::era::Era;
use super::log::Level;

/// `nrf_provisioning_sample`.
pub const SAMPLE: &str = "nrf_provisioning_sample";
/// `nrf_provisioning` (the library core).
pub const LIB: &str = "nrf_provisioning";
/// `nrf_provisioning_http`.
pub const HTTP: &str = "nrf_provisioning_http";
/// `nrf_provisioning_coap`.
pub const COAP: &str = "nrf_provisioning_coap";

/// One log message before formatting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Level.
    pub level: Level,
    /// Log module.
    pub module: &'static str,
    /// The formatted message.
    pub text: String,
}

impl Message {
    fn new(level: Level, module: &'static str, text: impl Into<String>) -> Self {
        Message {
            level,
            module,
            text: text.into(),
        }
    }
}

/// Something that happened on the board and may print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Happening {
    /// `main` starts (after the shell prompt).
    Boot,
    /// The root CA was written into the empty sec tag at init.
    CertWritten,
    /// LTE attached: at boot (`first`) or after NEED_LTE_ACTIVATED.
    Attached {
        /// The boot-time attach.
        first: bool,
    },
    /// `nrf_provisioning now` succeeded.
    Triggered,
    /// A client event, with the result of the attempt when it is a failure.
    Event(Event, Option<Errno>),
    /// The HTTP GET for commands is sent.
    HttpFetch,
    /// The HTTP GET came back with this status (`None`: the transport failed).
    HttpFetched(Option<u16>, bool),
    /// The HTTP POST of responses is sent.
    HttpReport,
    /// The CoAP client is initialised (once).
    CoapInit,
    /// The DTLS session is being set up.
    CoapConnecting,
    /// The DTLS session is up.
    CoapConnected,
    /// The CoAP GET of commands (block 0) is sent.
    CoapFetch,
    /// The commands were fetched (`code` packed as in CoAP); `empty`: no payload;
    /// `finished`: the batch holds a finished command.
    CoapFetched {
        /// The response code (`class << 5 | detail`).
        code: u8,
        /// No payload (no commands).
        empty: bool,
        /// The batch holds a finished command.
        finished: bool,
    },
    /// The CoAP POST of responses is sent.
    CoapReport,
}

/// Turns happenings into messages for one era, keeping the order quirks.
#[derive(Debug, Clone)]
pub struct Renderer {
    era: Era,
    root_ca_sec_tag: u32,
    held: Vec<Message>,
    coap_finished: bool,
}

impl Renderer {
    /// A renderer for `era`; `root_ca_sec_tag` appears in the wrong-CA warning.
    pub fn new(era: Era, root_ca_sec_tag: u32) -> Self {
        Renderer {
            era,
            root_ca_sec_tag,
            held: Vec::new(),
            coap_finished: false,
        }
    }

    /// The era.
    pub fn era(&self) -> Era {
        self.era
    }

    /// Forgets held lines (a reboot).
    pub fn reset(&mut self) {
        self.held.clear();
        self.coap_finished = false;
    }

    /// The messages `happening` prints, in order.
    pub fn render(&mut self, happening: &Happening) -> Vec<Message> {
        use Level::{Err, Inf, Wrn};
        let era = self.era;
        let mut out = Vec::new();
        let mut push = |level, module, text: &str| out.push(Message::new(level, module, text));
        match happening {
            Happening::Boot => match era {
                // §1.4: under LOG_MODE_IMMEDIATE the first line is lost (README starts at
                // `Establishing LTE link ...`).
                Era::V2_9 => push(Inf, SAMPLE, "Establishing LTE link ..."),
                Era::V3_0 | Era::Current => {
                    push(Inf, SAMPLE, "nRF Device Provisioning Sample");
                    push(
                        Inf,
                        SAMPLE,
                        "Bringing network interface up and connecting to the network",
                    );
                }
            },
            Happening::CertWritten => match era {
                Era::V2_9 => {
                    push(Inf, LIB, "Provisioning new certificate");
                    push(Inf, SAMPLE, "Modem connection restored");
                    push(Inf, SAMPLE, "Waiting for modem to acquire network time...");
                    push(Inf, SAMPLE, "Network time obtained");
                }
                Era::V3_0 => push(Inf, LIB, "Provisioning new certificate"),
                // \[C\]: DBG.
                Era::Current => {}
            },
            Happening::Attached { first } => match (era, first) {
                // \[A\]: main blocks in lte_lc_connect; the library's handler is not yet
                // registered at the first attach.
                (Era::V2_9, true) => {}
                (Era::V2_9, false) => {
                    push(Inf, LIB, "Connected; home network - provisioning resumed");
                    push(Inf, SAMPLE, "Modem connection restored");
                    push(Inf, SAMPLE, "Waiting for modem to acquire network time...");
                    push(Inf, SAMPLE, "Network time obtained");
                }
                (Era::V3_0, _) => {
                    push(Inf, LIB, "Connected; home network - provisioning resumed");
                    push(Inf, SAMPLE, "Network connectivity established");
                }
                (Era::Current, _) => {
                    push(Inf, SAMPLE, "Network connectivity established");
                    push(Inf, SAMPLE, "IPv4 connectivity established");
                    push(Inf, SAMPLE, "IPv6 connectivity established");
                }
            },
            Happening::Triggered => match era {
                Era::V2_9 | Era::V3_0 => push(Inf, LIB, "Externally initiated provisioning"),
                Era::Current => {}
            },
            Happening::Event(event, errno) => return self.event(event, *errno),
            Happening::HttpFetch => push(Inf, HTTP, "Requesting commands"),
            Happening::HttpFetched(status, has_body) => {
                if status.is_some() {
                    push(Inf, HTTP, "Connected");
                }
                match status {
                    Some(200) if *has_body => push(Inf, HTTP, "Processing commands"),
                    Some(204) => match era {
                        Era::V2_9 => push(Inf, HTTP, "No more commands to process on server side"),
                        Era::V3_0 => push(Inf, HTTP, "No commands to process on server side"),
                        // LOG_ERR in the \[C\] code @786696304c (its README shows <inf>).
                        Era::Current => push(Err, HTTP, "No commands to process on server side"),
                    },
                    Some(400) => push(Err, HTTP, "Bad request"),
                    Some(401) => push(Err, HTTP, "Device didn't send auth credentials"),
                    Some(403) => push(Err, HTTP, "Device provided wrong auth credentials"),
                    Some(415) if era == Era::Current => {
                        push(Err, HTTP, "Unsupported content format")
                    }
                    Some(500) => match era {
                        Era::V2_9 => push(Wrn, HTTP, "Internal server error"),
                        _ => push(Err, HTTP, "Internal server error"),
                    },
                    Some(200) => {}
                    Some(other) => {
                        let text = match era {
                            Era::Current => format!("Unsupported HTTP response code: {other}"),
                            _ => format!("Unknown HTTP response code: {other}"),
                        };
                        push(Err, HTTP, &text);
                    }
                    None => {}
                }
            }
            Happening::HttpReport => push(Inf, HTTP, "Sending response to server"),
            Happening::CoapInit => push(Inf, COAP, "Init CoAP client"),
            Happening::CoapConnecting => push(Inf, COAP, "DTLS setup"),
            Happening::CoapConnected => push(Inf, COAP, "Connected"),
            Happening::CoapFetch => push(Inf, COAP, "Requesting commands"),
            Happening::CoapFetched {
                code,
                empty,
                finished,
            } => {
                self.coap_finished = *finished;
                match (code >> 5, code & 0x1f) {
                    (2, 5) if *empty => match era {
                        Era::V2_9 => push(Inf, COAP, "No more commands to process on server side"),
                        _ => push(Inf, COAP, "No commands to process on server side"),
                    },
                    (2, _) => push(Inf, COAP, "Processing commands"),
                    (4, 1) => push(Err, COAP, "Unauthorized"),
                    (4, 3) => push(Err, COAP, "Forbidden"),
                    (4, 0) => push(Err, COAP, "Bad request"),
                    (4, 6) => push(Err, COAP, "Not acceptable"),
                    (5, _) => push(Err, COAP, "Internal error"),
                    _ => push(Err, COAP, &format!("Unknown response code {code}")),
                }
            }
            Happening::CoapReport => {
                if std::mem::take(&mut self.coap_finished) {
                    push(Inf, COAP, "Finished");
                }
                push(Inf, COAP, "Sending response to server");
            }
        }
        out
    }

    /// The messages of a client event (holding result lines until STOP where the era prints
    /// STOP first).
    fn event(&mut self, event: &Event, errno: Option<Errno>) -> Vec<Message> {
        let lines = self.event_lines(event, errno);
        let is_result = !matches!(
            event,
            Event::Start
                | Event::Stop
                | Event::NeedLteDeactivated
                | Event::NeedLteActivated
                | Event::ScheduledProvisioning { .. }
                | Event::FatalError
        );
        if self.era.stop_before_result() {
            if is_result {
                self.held.extend(lines);
                return Vec::new();
            }
            if *event == Event::Stop {
                let mut out = lines;
                out.append(&mut self.held);
                return out;
            }
        }
        lines
    }

    fn event_lines(&self, event: &Event, errno: Option<Errno>) -> Vec<Message> {
        use Level::{Err, Inf, Wrn};
        let era = self.era;
        let tag = self.root_ca_sec_tag;
        fn m(level: Level, module: &'static str, text: impl Into<String>) -> Message {
            Message::new(level, module, text)
        }
        let failed = |errno: Option<Errno>| {
            let code = errno.map_or(0, |e| -e.linux());
            m(Err, LIB, format!("Provisioning failed, error: {code}"))
        };
        match (era, event) {
            (_, Event::Start) => vec![m(Inf, SAMPLE, "Provisioning started")],
            (_, Event::Stop) => vec![m(Inf, SAMPLE, "Provisioning stopped")],
            (Era::V2_9, Event::Done) => vec![m(Inf, SAMPLE, "Provisioning done, rebooting...")],
            (Era::V3_0, Event::Done) => vec![
                m(Inf, SAMPLE, "Provisioning done"),
                m(
                    Inf,
                    SAMPLE,
                    "The device can now connect to the provisionined cloud service",
                ),
            ],
            (Era::Current, Event::Done) => vec![
                m(Inf, SAMPLE, "Provisioning done"),
                m(
                    Inf,
                    SAMPLE,
                    "The device can now connect to the provisioned cloud service",
                ),
            ],
            (Era::V2_9, Event::NoCommands) => vec![],
            (_, Event::NoCommands) => vec![m(
                Inf,
                SAMPLE,
                "Provisioning done, no commands received from the server",
            )],
            (Era::V2_9, Event::Failed) => vec![failed(errno)],
            (_, Event::Failed) => match errno {
                Some(Errno::Ebusy) => vec![
                    m(Wrn, LIB, "Provisioning client busy"),
                    m(Err, SAMPLE, "Provisioning failed, try again..."),
                ],
                Some(Errno::Etimedout) => vec![
                    m(Wrn, LIB, "Provisioning timed out"),
                    m(Err, SAMPLE, "Provisioning failed, try again..."),
                ],
                Some(Errno::Einval) => vec![
                    m(Err, LIB, "Invalid exchange"),
                    m(Err, SAMPLE, "Provisioning failed, try again..."),
                ],
                _ => vec![
                    failed(errno),
                    m(Err, SAMPLE, "Provisioning failed, try again..."),
                ],
            },
            (Era::V2_9, Event::FailedTooManyCommands) => vec![failed(Some(Errno::Enomem))],
            (_, Event::FailedTooManyCommands) => vec![
                m(
                    Err,
                    LIB,
                    "Not enough memory to process the incoming list of commands",
                ),
                m(
                    Err,
                    SAMPLE,
                    "Provisioning failed, too many commands for the device to handle",
                ),
                m(
                    Err,
                    SAMPLE,
                    "Increase CONFIG_NRF_PROVISIONING_CBOR_RECORDS to allow more commands",
                ),
                m(
                    Err,
                    SAMPLE,
                    "It also might be needed to increase the system heap size",
                ),
            ],
            (Era::V2_9, Event::FailedDeviceNotClaimed { .. }) => vec![
                m(Wrn, LIB, "Unauthorized access: device is not yet claimed."),
                failed(Some(Errno::Eacces)),
            ],
            (_, Event::FailedDeviceNotClaimed { token }) => {
                let mut lines = vec![
                    m(Wrn, LIB, "Unauthorized access: device is not yet claimed."),
                    m(Wrn, SAMPLE, "Provisioning failed, device not claimed"),
                    m(
                        Wrn,
                        SAMPLE,
                        "Claim the device using the device's attestation token on nrfcloud.com",
                    ),
                ];
                if let Some(token) = token {
                    lines.push(m(
                        Wrn,
                        SAMPLE,
                        format!("Attestation token:\r\n\n{}\r\n", token.claim_token()),
                    ));
                }
                lines
            }
            (Era::V2_9, Event::FailedWrongRootCa) => vec![
                m(Err, LIB, "Connection refused, client exits"),
                m(
                    Wrn,
                    LIB,
                    format!("Please check the CA certificate stored in sectag {tag}"),
                ),
            ],
            (_, Event::FailedWrongRootCa) => vec![
                m(Err, LIB, "Connection refused"),
                m(
                    Wrn,
                    LIB,
                    format!("Please check the CA certificate stored in sectag {tag}"),
                ),
                m(
                    Err,
                    SAMPLE,
                    "Provisioning failed, wrong root CA certificate for nRF Cloud provisioned",
                ),
            ],
            (Era::V2_9, Event::FailedNoValidDatetime) => vec![failed(Some(Errno::Etimedout))],
            (_, Event::FailedNoValidDatetime) => {
                let text = match era {
                    Era::Current => "Failed to get valid modem time, err -116",
                    _ => "Failed to get valid date time, err -116",
                };
                vec![
                    m(Err, LIB, text),
                    m(
                        Err,
                        SAMPLE,
                        "Provisioning failed, no valid datetime reference",
                    ),
                ]
            }
            (Era::V2_9, Event::NeedLteDeactivated) => {
                vec![m(
                    Inf,
                    LIB,
                    "Disconnected from network - provisioning paused",
                )]
            }
            (Era::V3_0, Event::NeedLteDeactivated) => vec![
                m(
                    Inf,
                    SAMPLE,
                    "nRF Provisioning requires device to deactivate network",
                ),
                m(Inf, LIB, "Disconnected from network - provisioning paused"),
                m(Inf, SAMPLE, "Network connectivity lost"),
            ],
            (Era::Current, Event::NeedLteDeactivated) => vec![
                m(
                    Inf,
                    SAMPLE,
                    "nRF Provisioning requires device to deactivate network",
                ),
                m(Inf, SAMPLE, "Network connectivity lost"),
            ],
            (Era::V2_9, Event::NeedLteActivated) => vec![],
            (_, Event::NeedLteActivated) => vec![m(
                Inf,
                SAMPLE,
                "nRF Provisioning requires device to activate network",
            )],
            (Era::V2_9, Event::ScheduledProvisioning { next_attempt_s }) => vec![m(
                Inf,
                LIB,
                format!("Checking for provisioning commands in {next_attempt_s}s seconds"),
            )],
            (Era::V3_0, Event::ScheduledProvisioning { next_attempt_s }) => vec![
                m(
                    Inf,
                    LIB,
                    format!("Checking for provisioning commands in {next_attempt_s} seconds"),
                ),
                m(
                    Inf,
                    SAMPLE,
                    format!("Provisioning scheduled, next attempt in {next_attempt_s} seconds"),
                ),
            ],
            (Era::Current, Event::ScheduledProvisioning { next_attempt_s }) => vec![m(
                Inf,
                SAMPLE,
                format!("Provisioning scheduled, next attempt in {next_attempt_s} seconds"),
            )],
            (Era::V2_9, Event::FatalError) => vec![],
            (_, Event::FatalError) => vec![m(Err, SAMPLE, "Provisioning error, irrecoverable")],
        }
    }
}
