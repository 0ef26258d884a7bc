//! How a world and its devices are set up: [`WorldConfig`] and [`DeviceSpec`].

use std::time::Duration;

use provlab_client::{ClientConfig, Generation, StoredSettings, TransportKind};

use crate::modem::ModemIdentity;

/// 2024-05-01T12:00:00Z, the default virtual epoch.
pub const DEFAULT_EPOCH_UNIX: u64 = 1_714_564_800;

/// The world's set-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldConfig {
    /// The world seed: every random draw of the run derives from it.
    pub seed: u64,
    /// Unix time (seconds) at virtual time 0: the modem clocks and the service's `now`.
    pub epoch_unix: u64,
    /// How long the modem takes to answer an AT command (before any injected delay).
    pub at_latency: Duration,
    /// One-way network latency, before jitter.
    pub latency: Duration,
    /// Upper bound of the random jitter added to every one-way transmission.
    pub jitter: Duration,
    /// How long LTE takes to attach after `AT+CFUN=1`.
    pub attach_delay: Duration,
    /// How long a power-cut device stays off before power returns.
    pub power_off_time: Duration,
    /// Name of the service's owner member (`owner` in transcripts).
    pub owner_name: String,
    /// Where the devices' requests go.
    pub net: WorldNet,
}

/// Where the devices' requests go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WorldNet {
    /// The in-memory link, with modelled handshakes and loss (deterministic).
    #[default]
    InMemory,
    /// Real sockets on 127.0.0.1 to the real device endpoints, TLS and DTLS included (same
    /// outcomes, not byte-deterministic; CoAP loss in a real UDP relay).
    Loopback,
}

impl WorldConfig {
    /// A configuration with `seed` and the defaults: the 2024-05-01 epoch, 5 ms AT latency,
    /// 40 ms ± 10 ms network latency, 2 s attach, 1 s power-off time.
    pub fn new(seed: u64) -> Self {
        WorldConfig {
            seed,
            epoch_unix: DEFAULT_EPOCH_UNIX,
            at_latency: Duration::from_millis(5),
            latency: Duration::from_millis(40),
            jitter: Duration::from_millis(10),
            attach_delay: Duration::from_secs(2),
            power_off_time: Duration::from_secs(1),
            owner_name: "owner".to_owned(),
            net: WorldNet::InMemory,
        }
    }
}

impl Default for WorldConfig {
    /// [`WorldConfig::new`] with seed 1.
    fn default() -> Self {
        WorldConfig::new(1)
    }
}

/// Where a device's modem identity (and modem randomness) comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ModemSource {
    /// Derived from the world seed and the device's index (the default).
    #[default]
    Derived,
    /// Derived from this modem seed, whatever the world seed.
    Seed(u64),
    /// This explicit identity; the modem's randomness derives from the world seed.
    Identity(Box<ModemIdentity>),
}

/// What the device holds at the root CA sec tag before it starts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RootCa {
    /// The service's lab CA: the handshake succeeds (the default).
    #[default]
    Lab,
    /// Some other CA (PEM text): the handshake fails (`FAILED_WRONG_ROOT_CA`).
    Other(String),
    /// Nothing: the handshake fails.
    Missing,
}

/// One device of the world: a modem, the provisioning client and the board application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSpec {
    /// Name used in transcripts (`dk1`).
    pub name: String,
    /// Modem identity source.
    pub modem: ModemSource,
    /// Modem model (`AT+CGMM`), e.g. `nRF9160-SICA`.
    pub model: String,
    /// Modem firmware (`AT+CGMR`), also the client's `mver`.
    pub firmware: String,
    /// Client configuration (generation, records limit, interval, buffers …). Its
    /// `transport` and `modem_fw` are overridden by [`DeviceSpec::transport`] and
    /// [`DeviceSpec::firmware`].
    pub client: ClientConfig,
    /// HTTP or CoAP.
    pub transport: TransportKind,
    /// Whether the network provides time (the modem answers `AT%CCLK?`).
    pub network_time: bool,
    /// The root CA at the client's root CA sec tag.
    pub root_ca: RootCa,
    /// Further credentials preloaded in the modem NVM: `(sec_tag, type, content)`.
    pub credentials: Vec<(u32, u8, String)>,
    /// Settings already persisted on the device.
    pub settings: StoredSettings,
}

impl DeviceSpec {
    /// A device named `name` with the defaults: derived identity, `nRF9160-SICA` on
    /// `mfw_nrf9160_1.3.5`, the sample firmware's client configuration over HTTP, network
    /// time, the lab root CA.
    pub fn new(name: impl Into<String>) -> Self {
        DeviceSpec {
            name: name.into(),
            modem: ModemSource::Derived,
            model: "nRF9160-SICA".to_owned(),
            firmware: "mfw_nrf9160_1.3.5".to_owned(),
            client: ClientConfig::sample_firmware(),
            transport: TransportKind::Http,
            network_time: true,
            root_ca: RootCa::Lab,
            credentials: Vec::new(),
            settings: StoredSettings::new(),
        }
    }

    /// Uses the HTTP transport.
    pub fn http(mut self) -> Self {
        self.transport = TransportKind::Http;
        self
    }

    /// Uses the CoAP transport.
    pub fn coap(mut self) -> Self {
        self.transport = TransportKind::Coap;
        self
    }

    /// Sets the modem seed (identity and modem randomness).
    pub fn modem_seed(mut self, seed: u64) -> Self {
        self.modem = ModemSource::Seed(seed);
        self
    }

    /// Sets the modem model.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    /// Sets the modem firmware.
    pub fn firmware(mut self, firmware: impl Into<String>) -> Self {
        self.firmware = firmware.into();
        self
    }

    /// Replaces the client configuration.
    pub fn client_config(mut self, config: ClientConfig) -> Self {
        self.client = config;
        self
    }

    /// Sets the client generation.
    pub fn generation(mut self, generation: Generation) -> Self {
        self.client.generation = generation;
        self
    }

    /// Sets whether the network provides time.
    pub fn network_time(mut self, present: bool) -> Self {
        self.network_time = present;
        self
    }

    /// Sets the root CA the device holds.
    pub fn root_ca(mut self, root_ca: RootCa) -> Self {
        self.root_ca = root_ca;
        self
    }

    /// Preloads a credential `(sec_tag, type, content)` into the modem NVM.
    pub fn credential(mut self, sec_tag: u32, cred_type: u8, content: impl Into<String>) -> Self {
        self.credentials.push((sec_tag, cred_type, content.into()));
        self
    }

    /// Sets the settings already persisted on the device.
    pub fn settings(mut self, settings: StoredSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The client configuration in force: [`DeviceSpec::client`] with the transport and
    /// firmware of the spec.
    pub fn effective_client_config(&self) -> ClientConfig {
        ClientConfig {
            transport: self.transport,
            modem_fw: self.firmware.clone(),
            ..self.client.clone()
        }
    }
}
