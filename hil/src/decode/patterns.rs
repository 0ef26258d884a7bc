//! The pattern table: every log line of the sample and the library the decoder knows, with
//! the eras that print it (`sample-console.md` §3–§6, §10, §11) and what it means. One
//! table for all three eras, so that a string that changed between eras is visible as two
//! rows next to each other.

use super::era::Era;
use super::happening::{
    Answer, ClientEvent, ClientEvent as E, Happening, Milestone, Network, Request, Transport,
};

/// v2.9.
const A: u8 = 1;
/// 3.0.
const B: u8 = 2;
/// Current.
const C: u8 = 4;
const AB: u8 = A | B;
const BC: u8 = B | C;
const ALL: u8 = A | B | C;

const SAMPLE: &str = "nrf_provisioning_sample";
const LIB: &str = "nrf_provisioning";
const HTTP: &str = "nrf_provisioning_http";
const COAP: &str = "nrf_provisioning_coap";
const CODEC: &str = "nrf_provisioning_codec";

/// How a pattern matches a log message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// The whole message.
    Exact(&'static str),
    /// `prefix`, a decimal integer (maybe negative), `suffix`.
    Number(&'static str, &'static str),
}

/// What a matching line means (a number comes from [`Text::Number`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Yield {
    /// A client event.
    Event(ClientEvent),
    /// SCHEDULED_PROVISIONING with the number as seconds.
    Scheduled,
    /// A request, transport from the module.
    Request(Request),
    /// A fixed answer, transport from the module.
    Answer(Answer, Option<u32>),
    /// An HTTP status given by the number.
    HttpStatus,
    /// A CoAP code given by the number (`class << 5 | detail`).
    CoapCode,
    /// `Connected`, transport from the module.
    Connected,
    /// A network change.
    Network(Network),
    /// A milestone without a number.
    Milestone(Milestone),
    /// [`Milestone::Checking`] with the number.
    Checking,
    /// [`Milestone::RetryIn`] with the number.
    RetryIn,
    /// [`Milestone::CheckCa`] with the number.
    CheckCa,
    /// [`Milestone::NoValidTime`] with the number.
    NoValidTime,
    /// [`Milestone::JwtFailed`] with the number.
    JwtFailed,
    /// [`Happening::Triggered`].
    Triggered,
    /// [`Happening::LibraryError`] with the number.
    LibraryError,
    /// v2.9 `Provisioning failed, error: N`: the failure event the errno stands for.
    V29Failed,
    /// [`super::happening::AtFailure::Codec`] with the number.
    AtCodec,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pattern {
    /// Era bits (v2.9 = 1, 3.0 = 2, current = 4).
    pub eras: u8,
    /// The log module.
    pub module: &'static str,
    /// The message.
    pub text: Text,
    /// What it means.
    pub yields: Yield,
}

impl Pattern {
    /// Whether `era` prints this line.
    pub fn in_era(&self, era: Era) -> bool {
        self.eras & era.bit() != 0
    }
}

const fn p(eras: u8, module: &'static str, text: &'static str, yields: Yield) -> Pattern {
    Pattern {
        eras,
        module,
        text: Text::Exact(text),
        yields,
    }
}

const fn n(
    eras: u8,
    module: &'static str,
    prefix: &'static str,
    suffix: &'static str,
    yields: Yield,
) -> Pattern {
    Pattern {
        eras,
        module,
        text: Text::Number(prefix, suffix),
        yields,
    }
}

const fn ev(e: ClientEvent) -> Yield {
    Yield::Event(e)
}
const fn ms(m: Milestone) -> Yield {
    Yield::Milestone(m)
}
const fn net(n: Network) -> Yield {
    Yield::Network(n)
}
const fn http(status: u16) -> Yield {
    Yield::Answer(Answer::Http(status), None)
}
const fn coap(class: u8, detail: Option<u8>) -> Yield {
    Yield::Answer(Answer::Coap { class, detail }, None)
}

/// The table (see the module docs).
#[rustfmt::skip]
pub const PATTERNS: &[Pattern] = &[
    // ---- the sample (nrf_provisioning_sample) ----
    p(ALL, SAMPLE, "nRF Device Provisioning Sample", ms(Milestone::SampleStarted)),
    p(A, SAMPLE, "Establishing LTE link ...", net(Network::Connecting)),
    p(BC, SAMPLE, "Bringing network interface up and connecting to the network", net(Network::Connecting)),
    p(A, SAMPLE, "Modem connection restored", net(Network::ModemRestored)),
    p(A, SAMPLE, "Waiting for modem to acquire network time...", net(Network::WaitingForTime)),
    p(A, SAMPLE, "Network time obtained", net(Network::TimeObtained)),
    p(BC, SAMPLE, "Network connectivity established", net(Network::Up)),
    p(BC, SAMPLE, "Network connectivity lost", net(Network::Down)),
    p(C, SAMPLE, "IPv4 connectivity established", net(Network::Ipv4Up)),
    p(C, SAMPLE, "IPv6 connectivity established", net(Network::Ipv6Up)),
    p(ALL, SAMPLE, "Provisioning started", ev(E::Start)),
    p(ALL, SAMPLE, "Provisioning stopped", ev(E::Stop)),
    p(A, SAMPLE, "Provisioning done, rebooting...", ev(E::Done)),
    p(BC, SAMPLE, "Provisioning done", ev(E::Done)),
    p(B, SAMPLE, "The device can now connect to the provisionined cloud service", ms(Milestone::CanConnectToCloud)),
    p(C, SAMPLE, "The device can now connect to the provisioned cloud service", ms(Milestone::CanConnectToCloud)),
    p(BC, SAMPLE, "Provisioning done, no commands received from the server", ev(E::NoCommands)),
    p(BC, SAMPLE, "nRF Provisioning requires device to deactivate network", ev(E::NeedLteDeactivated)),
    p(BC, SAMPLE, "nRF Provisioning requires device to activate network", ev(E::NeedLteActivated)),
    p(BC, SAMPLE, "Provisioning failed, try again...", ev(E::Failed)),
    p(BC, SAMPLE, "Provisioning failed, too many commands for the device to handle", ev(E::FailedTooManyCommands)),
    p(BC, SAMPLE, "Increase CONFIG_NRF_PROVISIONING_CBOR_RECORDS to allow more commands", ms(Milestone::TooManyCommandsAdvice)),
    p(BC, SAMPLE, "It also might be needed to increase the system heap size", ms(Milestone::TooManyCommandsAdvice)),
    p(BC, SAMPLE, "Provisioning failed, device not claimed", ev(E::FailedDeviceNotClaimed)),
    p(BC, SAMPLE, "Claim the device using the device's attestation token on nrfcloud.com", ms(Milestone::ClaimHint)),
    p(BC, SAMPLE, "Attestation token:", ms(Milestone::TokenFollows)),
    p(BC, SAMPLE, "Provisioning failed, wrong root CA certificate for nRF Cloud provisioned", ev(E::FailedWrongRootCa)),
    p(BC, SAMPLE, "Provisioning failed, no valid datetime reference", ev(E::FailedNoValidDatetime)),
    p(BC, SAMPLE, "Provisioning error, irrecoverable", ev(E::FatalError)),
    n(BC, SAMPLE, "Provisioning scheduled, next attempt in ", " seconds", Yield::Scheduled),
    p(BC, SAMPLE, "Fatal error! Rebooting the device.", ms(Milestone::FatalReboot)),
    p(BC, SAMPLE, "Connecting to nRF Cloud CoAP...", ms(Milestone::CloudCoap)),
    p(BC, SAMPLE, "nRF Cloud CoAP connection successful", ms(Milestone::CloudCoap)),
    // ---- the library (nrf_provisioning) ----
    p(A, LIB, "Provisioning done, rebooting...", ev(E::Done)),
    p(AB, LIB, "Externally initiated provisioning", Yield::Triggered),
    p(AB, LIB, "Provisioning new certificate", ms(Milestone::CertificateWritten)),
    p(AB, LIB, "Disconnected from network - provisioning paused", net(Network::Paused)),
    p(AB, LIB, "Connected; home network - provisioning resumed", net(Network::Resumed { roaming: false })),
    p(AB, LIB, "Connected; roaming - provisioning resumed", net(Network::Resumed { roaming: true })),
    n(A, LIB, "Checking for provisioning commands in ", "s seconds", Yield::Scheduled),
    n(B, LIB, "Checking for provisioning commands in ", " seconds", Yield::Checking),
    p(A, LIB, "Unauthorized access: device is not yet claimed.", ev(E::FailedDeviceNotClaimed)),
    p(BC, LIB, "Unauthorized access: device is not yet claimed.", ms(Milestone::Unauthorized)),
    n(A, LIB, "Provisioning failed, error: ", "", Yield::V29Failed),
    n(BC, LIB, "Provisioning failed, error: ", "", Yield::LibraryError),
    p(A, LIB, "Connection refused, client exits", ev(E::FailedWrongRootCa)),
    p(BC, LIB, "Connection refused", ms(Milestone::ConnectionRefused)),
    n(ALL, LIB, "Please check the CA certificate stored in sectag ", "", Yield::CheckCa),
    p(A, LIB, "Invalid exchange", ev(E::Failed)),
    p(BC, LIB, "Invalid exchange", ms(Milestone::InvalidExchange)),
    n(B, LIB, "Failed to get valid date time, err ", "", Yield::NoValidTime),
    n(C, LIB, "Failed to get valid modem time, err ", "", Yield::NoValidTime),
    n(C, LIB, "Failed to get valid date time, err ", "", Yield::NoValidTime),
    p(BC, LIB, "Provisioning client busy", ms(Milestone::Retry { timed_out: false })),
    p(BC, LIB, "Provisioning timed out", ms(Milestone::Retry { timed_out: true })),
    n(BC, LIB, "Retrying in ", " seconds", Yield::RetryIn),
    n(B, LIB, "Busy, retrying in ", " seconds", Yield::RetryIn),
    n(B, LIB, "Timeout, retrying in ", " seconds", Yield::RetryIn),
    p(BC, LIB, "Not enough memory to process the incoming list of commands", ms(Milestone::TooManyCommandsAdvice)),
    // ---- HTTP transport (nrf_provisioning_http) ----
    p(ALL, HTTP, "Requesting commands", Yield::Request(Request::FetchCommands)),
    p(ALL, HTTP, "Connected", Yield::Connected),
    p(ALL, HTTP, "Processing commands", http(200)),
    p(ALL, HTTP, "Sending response to server", Yield::Request(Request::SendResponses)),
    p(A, HTTP, "No more commands to process on server side", Yield::Answer(Answer::Http(204), Some(0))),
    p(BC, HTTP, "No commands to process on server side", Yield::Answer(Answer::Http(204), Some(0))),
    p(ALL, HTTP, "Bad request", http(400)),
    p(ALL, HTTP, "Device didn't send auth credentials", http(401)),
    p(ALL, HTTP, "Device provided wrong auth credentials", http(403)),
    p(A, HTTP, "Wrong content format", http(415)),
    p(C, HTTP, "Unsupported content format", http(415)),
    p(ALL, HTTP, "Internal server error", http(500)),
    p(A, HTTP, "Server busy", http(500)),
    p(ALL, HTTP, "Null response - socket closed", http(0)),
    n(AB, HTTP, "Unknown HTTP response code: ", "", Yield::HttpStatus),
    n(C, HTTP, "Unsupported HTTP response code: ", "", Yield::HttpStatus),
    n(ALL, HTTP, "Failed to generate JWT, error: ", "", Yield::JwtFailed),
    // ---- CoAP transport (nrf_provisioning_coap) ----
    p(ALL, COAP, "Init CoAP client", ms(Milestone::CoapInit)),
    p(ALL, COAP, "DTLS setup", Yield::Request(Request::Connect)),
    p(ALL, COAP, "Connected", Yield::Connected),
    p(ALL, COAP, "Requesting commands", Yield::Request(Request::FetchCommands)),
    p(ALL, COAP, "Processing commands", coap(2, Some(5))),
    p(ALL, COAP, "Finished", ms(Milestone::BatchFinished)),
    p(ALL, COAP, "Sending response to server", Yield::Request(Request::SendResponses)),
    p(A, COAP, "No more commands to process on server side", Yield::Answer(Answer::Coap { class: 2, detail: Some(5) }, Some(0))),
    p(BC, COAP, "No commands to process on server side", Yield::Answer(Answer::Coap { class: 2, detail: Some(5) }, Some(0))),
    p(ALL, COAP, "Bad request", coap(4, Some(0))),
    p(ALL, COAP, "Unauthorized", coap(4, Some(1))),
    p(ALL, COAP, "Forbidden", coap(4, Some(3))),
    p(ALL, COAP, "Not acceptable", coap(4, Some(6))),
    p(ALL, COAP, "Internal error", coap(5, None)),
    n(ALL, COAP, "Unknown response code ", "", Yield::CoapCode),
    // ---- codec ----
    n(ALL, CODEC, "AT cmd failed, error: ", "", Yield::AtCodec),
];

/// How many rows apply to `era`.
pub fn count(era: Era) -> usize {
    PATTERNS.iter().filter(|p| p.in_era(era)).count()
}

/// The first row of `era` matching `module` and `message`, with its number.
pub fn lookup(era: Era, module: &str, message: &str) -> Option<(&'static Pattern, Option<i64>)> {
    PATTERNS
        .iter()
        .filter(|p| p.in_era(era) && p.module == module)
        .find_map(|p| match p.text {
            Text::Exact(t) => (t == message).then_some((p, None)),
            Text::Number(prefix, suffix) => {
                let digits = message.strip_prefix(prefix)?.strip_suffix(suffix)?;
                let value: i64 = digits.parse().ok()?;
                Some((p, Some(value)))
            }
        })
}

/// The transport a module logs for.
fn transport(module: &str) -> Transport {
    if module == COAP {
        Transport::Coap
    } else {
        Transport::Http
    }
}

/// The happening of a matched row (`number` from a [`Text::Number`] row).
pub fn happening(pattern: &Pattern, number: Option<i64>) -> Option<Happening> {
    let t = transport(pattern.module);
    let int = |v: Option<i64>| v.and_then(|v| i32::try_from(v).ok());
    let unsigned = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok());
    Some(match pattern.yields {
        Yield::Event(event) => Happening::Event {
            event,
            next_attempt_s: None,
        },
        Yield::Scheduled => Happening::Event {
            event: E::ScheduledProvisioning,
            next_attempt_s: Some(unsigned(number)?),
        },
        Yield::Request(request) => Happening::Request {
            transport: t,
            request,
        },
        Yield::Answer(answer, records) => Happening::Answer {
            transport: t,
            answer,
            records,
        },
        Yield::HttpStatus => Happening::Answer {
            transport: t,
            answer: Answer::Http(u16::try_from(number?).ok()?),
            records: None,
        },
        Yield::CoapCode => {
            let code = u8::try_from(number?).ok()?;
            Happening::Answer {
                transport: t,
                answer: Answer::Coap {
                    class: code >> 5,
                    detail: Some(code & 0x1f),
                },
                records: None,
            }
        }
        Yield::Connected => Happening::Connected { transport: t },
        Yield::Network(n) => Happening::Network(n),
        Yield::Milestone(m) => Happening::Milestone(m),
        Yield::Checking => Happening::Milestone(Milestone::Checking {
            in_s: unsigned(number)?,
        }),
        Yield::RetryIn => Happening::Milestone(Milestone::RetryIn {
            in_s: unsigned(number)?,
        }),
        Yield::CheckCa => Happening::Milestone(Milestone::CheckCa {
            sec_tag: u32::try_from(number?).ok()?,
        }),
        Yield::NoValidTime => Happening::Milestone(Milestone::NoValidTime {
            errno: int(number)?,
        }),
        Yield::JwtFailed => Happening::Milestone(Milestone::JwtFailed {
            errno: int(number)?,
        }),
        Yield::Triggered => Happening::Triggered,
        Yield::LibraryError => Happening::LibraryError {
            errno: int(number)?,
        },
        Yield::V29Failed => match int(number)? {
            // -EACCES: the `Unauthorized access` line before it was the event.
            -13 => Happening::LibraryError { errno: -13 },
            // -ENOMEM.
            -12 => Happening::Event {
                event: E::FailedTooManyCommands,
                next_attempt_s: None,
            },
            _ => Happening::Event {
                event: E::Failed,
                next_attempt_s: None,
            },
        },
        Yield::AtCodec => Happening::AtError(super::happening::AtFailure::Codec(int(number)?)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_unique_per_era() {
        for era in Era::ALL {
            let rows: Vec<_> = PATTERNS.iter().filter(|p| p.in_era(era)).collect();
            for (i, a) in rows.iter().enumerate() {
                for b in rows.iter().skip(i + 1) {
                    assert!(
                        !(a.module == b.module && a.text == b.text),
                        "{era}: {a:?} twice"
                    );
                }
            }
        }
    }

    #[test]
    fn numbers_parse() {
        let (row, number) = lookup(
            Era::V2_9,
            LIB,
            "Checking for provisioning commands in 86402s seconds",
        )
        .unwrap();
        assert_eq!(number, Some(86402));
        assert_eq!(
            happening(row, number),
            Some(Happening::Event {
                event: E::ScheduledProvisioning,
                next_attempt_s: Some(86402)
            })
        );
        assert!(lookup(
            Era::V2_9,
            LIB,
            "Checking for provisioning commands in xs seconds"
        )
        .is_none());
    }
}
