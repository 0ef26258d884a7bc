//! The rack file's types: what `serde` reads and what `schemars` describes.
//!
//! Every value that a later check may complain about is [`Located`], so the complaint can
//! name its file, line and column. Unknown keys are errors everywhere.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use provlab_harness::{Duration, Located};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::usb_id::UsbId;

/// A rack file: the lab service every board talks to, and the boards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rack {
    /// The lab service and the lab's own settings.
    pub lab: Lab,
    /// The boards of the rack (`[[board]]` tables), in file order.
    #[serde(rename = "board", default)]
    pub boards: Vec<Board>,
}

/// `[lab]`: how boards reach the lab service, where leases and logs live, and timeouts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lab {
    /// The DNS name the service advertises and its TLS certificate carries; the firmware's
    /// `CONFIG_NRF_PROVISIONING_{HTTP,COAP}_HOSTNAME` must be this name.
    pub hostname: Located<String>,
    /// The IP addresses under which boards reach the service (what `hostname` resolves to
    /// from the boards' network). Required when the rack has a real board.
    #[serde(default)]
    pub addresses: Vec<Located<IpAddr>>,
    /// The service's ports.
    #[serde(default)]
    pub ports: Ports,
    /// The lab directory for leases and logs; relative paths are relative to the rack file.
    /// Default: `.provlab-lab` beside the rack file.
    #[serde(default = "default_lab_dir")]
    pub dir: Located<PathBuf>,
    /// Timeouts per level.
    #[serde(default)]
    pub timeouts: Timeouts,
}

fn default_lab_dir() -> Located<PathBuf> {
    Located::new(PathBuf::from(DEFAULT_LAB_DIR))
}

/// The lab directory's name when `[lab] dir` is not given.
pub const DEFAULT_LAB_DIR: &str = ".provlab-lab";

/// `[lab.ports]`: the lab service's listening ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ports {
    /// The REST API (owner actions, state set-up). Default 8080.
    #[serde(default = "default_rest")]
    pub rest: u16,
    /// The device HTTPS endpoint. Default 8443.
    #[serde(default = "default_https")]
    pub https: u16,
    /// The device CoAP/DTLS endpoint. Default 5684.
    #[serde(default = "default_coap")]
    pub coap: u16,
}

fn default_rest() -> u16 {
    8080
}
fn default_https() -> u16 {
    8443
}
fn default_coap() -> u16 {
    5684
}

impl Default for Ports {
    fn default() -> Self {
        Self {
            rest: default_rest(),
            https: default_https(),
            coap: default_coap(),
        }
    }
}

/// `[lab.timeouts]`: how long each level of a run may take before it counts as failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// Waiting for a free board. Default `"10m"`.
    #[serde(default = "default_lease")]
    pub lease: Duration,
    /// Flashing one image (including attach and verify). Default `"2m"`.
    #[serde(default = "default_flash")]
    pub flash: Duration,
    /// From reset to the firmware's boot banner. Default `"60s"`.
    #[serde(default = "default_boot")]
    pub boot: Duration,
    /// One scenario step. Default `"5m"`.
    #[serde(default = "default_step")]
    pub step: Duration,
    /// A whole scenario on one board; also the lifetime of a board lease. Default `"30m"`.
    #[serde(default = "default_scenario")]
    pub scenario: Duration,
}

fn default_lease() -> Duration {
    Duration::from_secs(600)
}
fn default_flash() -> Duration {
    Duration::from_secs(120)
}
fn default_boot() -> Duration {
    Duration::from_secs(60)
}
fn default_step() -> Duration {
    Duration::from_secs(300)
}
fn default_scenario() -> Duration {
    Duration::from_secs(1800)
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            lease: default_lease(),
            flash: default_flash(),
            boot: default_boot(),
            step: default_step(),
            scenario: default_scenario(),
        }
    }
}

/// `[[board]]`: one board of the rack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Board {
    /// Unique name; also the lease file's name, so letters, digits, `-`, `_` and `.` only.
    pub id: Located<String>,
    /// What the board is.
    pub kind: Located<BoardKind>,
    /// The application console's serial port; use a stable `/dev/serial/by-id/…` path.
    /// Required for real boards, not allowed for virtual ones.
    #[serde(default)]
    pub console: Option<Located<PathBuf>>,
    /// The debug probe, matched against what the probe lister reports. Required for real
    /// boards, not allowed for virtual ones.
    #[serde(default)]
    pub probe: Option<Located<ProbeMatch>>,
    /// The probe-rs target name (e.g. `nRF9160_xxAA`); must fit the kind. Default: the
    /// kind's chip.
    #[serde(default)]
    pub chip: Option<Located<String>>,
    /// Firmware images by role (e.g. `provisioning = "build/merged.hex"`); `.hex` or `.elf`,
    /// relative to the rack file.
    #[serde(default)]
    pub firmware: BTreeMap<String, Located<PathBuf>>,
    /// The modem firmware the board must run, as `AT+CGMR` prints it (e.g.
    /// `mfw_nrf9160_1.3.7`).
    #[serde(default)]
    pub modem_fw: Option<Located<String>>,
    /// Which generation of the provisioning sample the firmware is. Default `current`.
    #[serde(default)]
    pub era: Era,
    /// The modem security tag of the lab root CA (`CONFIG_NRF_PROVISIONING_ROOT_CA_SEC_TAG`).
    /// Default 50 (the sample's HTTP `prj.conf`).
    #[serde(default = "default_root_ca_sec_tag")]
    pub root_ca_sec_tag: u32,
    /// Free labels for choosing boards (`acquire_any` filters on them).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Commands that switch the board's power (e.g. a USB hub port).
    #[serde(default)]
    pub power: Option<Located<Power>>,
    /// Hand images with UICR records to `nrfutil device program` instead of refusing them.
    #[serde(default)]
    pub nrfutil_for_uicr: bool,
    /// Real boards: capture the firmware's RTT output through the probe (the firmware must
    /// log to RTT); its lines join the transcript.
    #[serde(default)]
    pub rtt: bool,
    /// Virtual boards only: how many times faster than real time the board's clock runs
    /// (at least 1). Default 1.
    #[serde(default)]
    pub speed: Option<Located<u32>>,
}

/// The root CA security tag when the rack file does not give one.
pub const DEFAULT_ROOT_CA_SEC_TAG: u32 = 50;

fn default_root_ca_sec_tag() -> u32 {
    DEFAULT_ROOT_CA_SEC_TAG
}

impl Board {
    /// Whether the board is a virtual board (no probe, no USB console).
    pub fn is_virtual(&self) -> bool {
        *self.kind.get() == BoardKind::Virtual
    }

    /// The probe-rs target name: the one written, else the kind's default (`None` for a
    /// virtual board).
    pub fn chip_name(&self) -> Option<&str> {
        self.chip
            .as_ref()
            .map(|c| c.get().as_str())
            .or_else(|| self.kind.default_chip())
    }

    /// The clock factor (1 for real boards and when not given).
    pub fn speed_factor(&self) -> u32 {
        self.speed.as_ref().map_or(1, |s| *s.get()).max(1)
    }

    /// Whether the board carries every one of `tags`.
    pub fn has_tags(&self, tags: &[&str]) -> bool {
        tags.iter().all(|t| self.tags.iter().any(|own| own == t))
    }
}

/// The kinds of board the runner knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BoardKind {
    /// nRF9160 DK (PCA10090), J-Link OB.
    Nrf9160dk,
    /// nRF9161 DK, J-Link OB.
    Nrf9161dk,
    /// nRF9151 DK, J-Link OB.
    Nrf9151dk,
    /// Thingy:91 (nRF9160 behind an nRF52840 connectivity bridge).
    Thingy91,
    /// A simulated board on a PTY (`provlab board`), for CI.
    Virtual,
}

impl BoardKind {
    /// The chips a board of this kind can carry (probe-rs target names).
    pub fn chips(self) -> &'static [&'static str] {
        match self {
            BoardKind::Nrf9160dk | BoardKind::Thingy91 => &["nRF9160_xxAA"],
            BoardKind::Nrf9161dk => &["nRF9161_xxAA"],
            BoardKind::Nrf9151dk => &["nRF9151_xxAA"],
            BoardKind::Virtual => &[],
        }
    }

    /// The chip assumed when the rack file names none.
    pub fn default_chip(self) -> Option<&'static str> {
        self.chips().first().copied()
    }

    /// The name as written in rack files.
    pub fn as_str(self) -> &'static str {
        match self {
            BoardKind::Nrf9160dk => "nrf9160dk",
            BoardKind::Nrf9161dk => "nrf9161dk",
            BoardKind::Nrf9151dk => "nrf9151dk",
            BoardKind::Thingy91 => "thingy91",
            BoardKind::Virtual => "virtual",
        }
    }
}

/// The generation of the provisioning sample (see `sample-console.md`): it decides the shell
/// commands and log lines the console driver expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub enum Era {
    /// NCS v2.9 (`nrf_provisioning init` exists; immediate logging).
    #[serde(rename = "v2.9")]
    V2_9,
    /// NCS 3.0.
    #[serde(rename = "3.0")]
    V3_0,
    /// The current sample (`nrf_device_provisioning`, deferred logging).
    #[default]
    #[serde(rename = "current")]
    Current,
}

/// `probe = { vid, pid, serial }`: which listed probe belongs to the board.
///
/// The runner matches VID and serial (and the PID only when given) against the probe
/// lister's rows and builds the probe-rs selector from the matching row, because J-Link OB
/// product ids differ between kits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeMatch {
    /// USB vendor id, e.g. `0x1366` (SEGGER) or `"1366"`.
    pub vid: UsbId,
    /// USB product id; leave it out for J-Link OBs, whose ids vary between kits.
    #[serde(default)]
    pub pid: Option<UsbId>,
    /// The USB serial string exactly as the probe reports it (J-Link OB: 12 digits with
    /// leading zeros, e.g. `"000960066748"`).
    pub serial: String,
}

/// `power = { on = [...], off = [...] }`: commands (argv, no shell) that switch power.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Power {
    /// Switches the board on.
    pub on: Vec<String>,
    /// Switches the board off.
    pub off: Vec<String>,
}
