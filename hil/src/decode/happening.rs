//! What the decoder reports: typed happenings, located at their console line.

use std::time::Duration;

pub use provlab_harness::scenario::vocab::{ClientEvent, Transport};

/// A value with the console line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// 1-based line number in the decoded text (or in the live stream).
    pub line_no: usize,
    /// The device uptime of the log line's timestamp, when it has one.
    pub uptime: Option<Duration>,
    /// The value.
    pub value: T,
}

/// A console line no pattern of the era matched; kept so nothing is dropped silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// 1-based line number.
    pub line_no: usize,
    /// The line's text (escape sequences removed).
    pub text: String,
}

/// Which request the client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Request {
    /// A DTLS session is set up (CoAP `DTLS setup`).
    Connect,
    /// A fetch of commands (`Requesting commands`).
    FetchCommands,
    /// A report of responses (`Sending response to server`).
    SendResponses,
}

/// The service's answer as the client logged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answer {
    /// An HTTP status (`0`: `Null response - socket closed`).
    Http(u16),
    /// A CoAP response code; `detail` is `None` when the line names only the class
    /// (`Internal error` is any 5.xx).
    Coap {
        /// The class (2, 4, 5).
        class: u8,
        /// The detail, if the line tells it.
        detail: Option<u8>,
    },
}

/// Network changes the sample or the library logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    /// The application starts bringing LTE up (`Establishing LTE link ...`, `Bringing
    /// network interface up …`).
    Connecting,
    /// `Network connectivity established`.
    Up,
    /// `IPv4 connectivity established`.
    Ipv4Up,
    /// `IPv6 connectivity established`.
    Ipv6Up,
    /// `Network connectivity lost`.
    Down,
    /// The library's LTE handler: `Disconnected from network - provisioning paused`.
    Paused,
    /// The library's LTE handler: `Connected; home network|roaming - provisioning resumed`.
    Resumed {
        /// Registered roaming rather than home.
        roaming: bool,
    },
    /// v2.9 sample: `Modem connection restored`.
    ModemRestored,
    /// v2.9 sample: `Waiting for modem to acquire network time...`.
    WaitingForTime,
    /// v2.9 sample: `Network time obtained`.
    TimeObtained,
}

/// Other lines worth naming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Milestone {
    /// `nRF Device Provisioning Sample` (`main` starts).
    SampleStarted,
    /// `Provisioning new certificate` (the root CA written at init).
    CertificateWritten,
    /// CoAP `Init CoAP client`.
    CoapInit,
    /// CoAP `Finished` (the batch held the finished command).
    BatchFinished,
    /// `The device can now connect to the provisioned cloud service` (either spelling).
    CanConnectToCloud,
    /// v2.9/3.0 library `Checking for provisioning commands in N seconds`.
    Checking {
        /// Seconds.
        in_s: u64,
    },
    /// `Unauthorized access: device is not yet claimed.` (the event line is the sample's
    /// from 3.0 on).
    Unauthorized,
    /// `Claim the device using the device's attestation token on nrfcloud.com`.
    ClaimHint,
    /// `Attestation token:` (the token follows on its own line).
    TokenFollows,
    /// `Connection refused` (3.0+; the event line is the sample's).
    ConnectionRefused,
    /// `Please check the CA certificate stored in sectag N`.
    CheckCa {
        /// The root CA sec tag.
        sec_tag: u32,
    },
    /// `Failed to get valid date time|modem time, err N`.
    NoValidTime {
        /// The negative errno.
        errno: i32,
    },
    /// `Provisioning client busy` / `Provisioning timed out` (3.0+ library warnings).
    Retry {
        /// Timed out rather than busy.
        timed_out: bool,
    },
    /// `Retrying in N seconds` (3.0+ after busy / timed out), `Busy, retrying in N seconds`
    /// and `Timeout, retrying in N seconds` (3.0 with SCHEDULED).
    RetryIn {
        /// Seconds.
        in_s: u64,
    },
    /// `Invalid exchange`.
    InvalidExchange,
    /// `Not enough memory to process the incoming list of commands` and the sample's
    /// advice lines after FAILED_TOO_MANY_COMMANDS.
    TooManyCommandsAdvice,
    /// `Fatal error! Rebooting the device.`
    FatalReboot,
    /// CoAP cloud connection after DONE (`Connecting to nRF Cloud CoAP...` and its result).
    CloudCoap,
    /// `Failed to generate JWT, error: N`.
    JwtFailed {
        /// The negative errno.
        errno: i32,
    },
}

/// How an AT command failed on the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AtFailure {
    /// The modem answered `ERROR`.
    Error,
    /// `+CME ERROR: n`.
    Cme(u32),
    /// `+CMS ERROR: n`.
    Cms(u32),
    /// The AT shell: `Sending AT command failed with error code N`.
    SendFailed(i32),
    /// The library's codec: `AT cmd failed, error: N`.
    Codec(i32),
}

/// One thing the console shows happening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Happening {
    /// A boot banner line `*** Booting <image> v<version> ***` (a reboot when it is not the
    /// first).
    Boot {
        /// `nRF Connect SDK` or `MCUboot`.
        image: String,
        /// The version after `v`.
        version: String,
    },
    /// Another banner line (`*** Using Zephyr OS v… ***`, `*** Delaying boot …`).
    Banner {
        /// The line.
        text: String,
    },
    /// A client event, by the harness's name.
    Event {
        /// The event.
        event: ClientEvent,
        /// Seconds to the next attempt, for SCHEDULED_PROVISIONING.
        next_attempt_s: Option<u64>,
    },
    /// The client sends a request.
    Request {
        /// HTTP or CoAP (from the log module).
        transport: Transport,
        /// Which request.
        request: Request,
    },
    /// The service's answer.
    Answer {
        /// HTTP or CoAP.
        transport: Transport,
        /// The status or code.
        answer: Answer,
        /// Records in the answer, when the line tells (0 for "no commands"); the eras do
        /// not log counts otherwise.
        records: Option<u32>,
    },
    /// `Connected`: HTTP after every exchange, CoAP when the socket connects.
    Connected {
        /// HTTP or CoAP.
        transport: Transport,
    },
    /// A network change.
    Network(Network),
    /// A named line of no further consequence.
    Milestone(Milestone),
    /// `Externally initiated provisioning` (`nrf_provisioning now`; INF in v2.9 and 3.0).
    Triggered,
    /// The attestation token printed after `Attestation token:`.
    AttestationToken {
        /// `<attest>.<cose>`.
        token: String,
    },
    /// The library's `Provisioning failed, error: N` where it is not itself the event.
    LibraryError {
        /// The negative errno.
        errno: i32,
    },
    /// An AT command failed.
    AtError(AtFailure),
    /// A shell error (`…: command not found`, `…: wrong parameter count`, `not terminated:
    /// …`, `Too many arguments in the command.`).
    ShellError {
        /// The line.
        text: String,
    },
    /// A run marker line the console driver typed (its echo or the shell's answer).
    RunMarker {
        /// The marker's id.
        id: String,
    },
}

impl Happening {
    /// The client event, if this is one.
    pub fn event(&self) -> Option<ClientEvent> {
        match self {
            Happening::Event { event, .. } => Some(*event),
            _ => None,
        }
    }
}
