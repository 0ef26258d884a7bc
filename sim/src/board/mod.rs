//! The virtual board in real time: the simulated modem and the provisioning client behind
//! the sample firmware's console, as `provlab board --pty` serves it.
//!
//! * [`Firmware`] is the application: the [`provlab_client::Client`] driven in real time,
//!   its AT lines run in-process on the shell's [`crate::modem::Modem`], its network actions
//!   performed on real sockets ([`crate::net`]) by a worker thread, the sample's reactions
//!   to events, and the settings store.
//! * The console is the [`crate::serial::Shell`] with the firmware as its
//!   [`crate::serial::ShellHook`]: boot banner and prompt, echo, `at <cmd>`, `kernel reboot`,
//!   and `nrf_provisioning now|token|uuid|interval` from the firmware; the firmware's log
//!   messages are printed in Zephyr's log format ([`log`]) with the prompt redraw, as the
//!   [`Era`] prints them ([`render`]).
//! * [`board_shell`] puts it together; [`crate::serial::PtyServer`] serves it.
//!
//! Fidelity notes (`sample-console.md`): strings, colours, timestamp arithmetic and the
//! prompt redraw are byte-exact; the order of lines the spec leaves open, the 3.0 banner,
//! and which library lines appear around the LTE handling are choices documented in
//! [`render`].

mod era;
mod firmware;
mod link;
pub mod log;
pub mod render;

use std::time::Duration;

use provlab_client::ClientConfig;
pub use provlab_client::TransportKind;

pub use era::Era;
pub use firmware::Firmware;

use crate::modem::Modem;
use crate::net::CoapTiming;
use crate::serial::{Shell, ShellConfig};

/// Why a board cannot run.
#[derive(Debug, thiserror::Error)]
pub enum BoardError {
    /// The network worker could not start or stopped.
    #[error("board network worker: {0}")]
    Runtime(String),
}

/// How a virtual board is set up.
#[derive(Debug, Clone)]
pub struct BoardConfig {
    /// The firmware era (console and client generation).
    pub era: Era,
    /// HTTP or CoAP.
    pub transport: TransportKind,
    /// The service's device endpoint host (a name or an IP address; also the TLS server
    /// name).
    pub host: String,
    /// The service's device endpoint port.
    pub port: u16,
    /// The built-in root CA (PEM), written into the root CA sec tag when it is empty.
    pub root_ca: Option<String>,
    /// Scheduled provisioning with this interval (seconds); `None`: only `nrf_provisioning
    /// now` starts an attempt.
    pub interval_s: Option<u64>,
    /// Time from `AT+CFUN=1` to LTE attached.
    pub attach_delay: Duration,
    /// Seed of the client's spread and the CoAP message ids.
    pub seed: u64,
    /// Bound on one HTTPS request.
    pub http_timeout: Duration,
    /// CoAP transmission parameters.
    pub coap_timing: CoapTiming,
    /// The client's build options when they are not the era's sample `prj.conf`: a HIL
    /// rack's virtual board built as a scenario's device. Its service address is this
    /// board's.
    pub client: Option<ClientConfig>,
}

impl BoardConfig {
    /// A board of `era` talking `transport` to `host:port`, with the defaults: no built-in
    /// CA, unscheduled, 500 ms attach, 30 s HTTP bound, RFC 7252 CoAP timing.
    pub fn new(era: Era, transport: TransportKind, host: impl Into<String>, port: u16) -> Self {
        BoardConfig {
            era,
            transport,
            host: host.into(),
            port,
            root_ca: None,
            interval_s: None,
            attach_delay: Duration::from_millis(500),
            seed: 0,
            http_timeout: Duration::from_secs(30),
            coap_timing: CoapTiming::default(),
            client: None,
        }
    }

    /// The root CA sec tag of the sample for this era and transport (§9.1): 50 for HTTP;
    /// 42 (v2.9 `overlay-coap.conf`) or 42384 (current overlay) for CoAP.
    pub fn root_ca_sec_tag(&self) -> u32 {
        if let Some(client) = &self.client {
            return client.root_ca_sec_tag;
        }
        match (self.transport, self.era) {
            (TransportKind::Http, _) => 50,
            (TransportKind::Coap, Era::V2_9) => 42,
            (TransportKind::Coap, _) => 42_384,
        }
    }

    /// The client options: the era's sample `prj.conf` (§9.1), this service, this interval.
    pub fn client_config(&self) -> ClientConfig {
        if let Some(client) = &self.client {
            let mut config = client.clone();
            config.transport = self.transport;
            match self.transport {
                TransportKind::Http => {
                    config.http_host = self.host.clone();
                    config.http_port = self.port;
                }
                TransportKind::Coap => {
                    config.coap_host = self.host.clone();
                    config.coap_port = self.port;
                }
            }
            return config;
        }
        let mut config = ClientConfig::sample_firmware();
        if self.era == Era::Current {
            config.interval_s = 60;
            config.spread_s = 3;
            config.records_limit = 10;
            config.rx_buf_size = 2304;
            config.tx_buf_size = 2304;
            config.at_cmd_max_len = 2048;
        }
        config.generation = self.era.generation();
        config.transport = self.transport;
        config.root_ca_sec_tag = self.root_ca_sec_tag();
        match self.transport {
            TransportKind::Http => {
                config.http_host = self.host.clone();
                config.http_port = self.port;
            }
            TransportKind::Coap => {
                config.coap_host = self.host.clone();
                config.coap_port = self.port;
            }
        }
        config.scheduled = self.interval_s.is_some();
        config.auto_start_on_init = self.interval_s.is_some();
        if let Some(interval) = self.interval_s {
            config.interval_s = interval;
        }
        config
    }
}

/// The board's console: the Zephyr shell (era banner) around `modem`, with the firmware
/// behind it.
pub fn board_shell(modem: Modem, config: BoardConfig) -> Result<Shell, BoardError> {
    let shell_config = ShellConfig {
        banner: config
            .era
            .banner()
            .iter()
            .map(|l| (*l).to_owned())
            .collect(),
        ..ShellConfig::default()
    };
    let firmware = Firmware::new(config)?;
    Ok(Shell::with_config(modem, shell_config).with_hook(Box::new(firmware)))
}
