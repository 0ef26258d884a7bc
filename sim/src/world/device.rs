//! One simulated device: its modem, its flash (modem NVM image and the settings store on
//! one power-cut-aware [`MemFs`]), the provisioning client while powered with the sample
//! application around it, and what the world observed of it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use provlab_client::app::{AppConfig, Era, SampleApp};
use provlab_client::{AttestationToken, Client, Event, Generation, StoredSettings};
use provlab_proto::records::{Command, Response};

use super::config::{DeviceSpec, ModemSource, RootCa};
use super::endpoint::CoapSession;
use super::error::WorldError;
use super::seeds::derive;
use crate::modem::credentials::TYPE_ROOT_CA;
use crate::modem::nvm::{atomic_write, MemFs, SharedFs};
use crate::modem::{CredKey, CredentialStore, Modem, ModemConfig, Nvm, NvmStore};

/// Where the modem's NVM image lives on the device flash.
pub const MODEM_NVM_PATH: &str = "modem/nvm.json";
/// Where the settings store lives on the device flash.
pub const SETTINGS_PATH: &str = "app/settings.json";

/// Identifies a device of a world (its index, in order of [`super::World::add_device`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId(pub usize);

/// A record that crossed the link, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exchanged {
    /// The service delivered this command.
    Delivered {
        /// Virtual time in milliseconds.
        at_ms: u64,
        /// The command.
        command: Command,
    },
    /// The device reported this response.
    Reported {
        /// Virtual time in milliseconds.
        at_ms: u64,
        /// The response.
        response: Response,
    },
}

/// Which device endpoint a logged exchange addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExchangeEndpoint {
    /// A fetch of commands (HTTP GET, CoAP `p/cmd` block 0).
    Fetch,
    /// A report of responses (HTTP POST, CoAP `p/rsp`).
    Report,
    /// A CoAP JWT authentication (`p/auth-jwt`).
    Auth,
}

/// One device request the service answered (retransmitted duplicates are not logged again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeLog {
    /// When the service answered, in virtual milliseconds.
    pub at_ms: u64,
    /// Which request.
    pub endpoint: ExchangeEndpoint,
    /// The answer: an HTTP status (`"200"`), a CoAP code (`"2.05"`) or `"none"`.
    pub answer: String,
    /// Size of the body carrying records: the answer of a fetch, the request of a report.
    pub body_len: usize,
    /// The commands a fetch delivered.
    pub commands: Vec<Command>,
    /// The responses a report carried.
    pub responses: Vec<Response>,
}

/// Where a power cut strikes. The points of the client's work (every variant but `Now`
/// and `After`) are counted: an armed cut fires the `nth` time its point is reached
/// ([`super::World::power_cut_at`]), across reboots, and fires once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PowerCutPoint {
    /// Right away.
    Now,
    /// After this much more virtual time.
    After(std::time::Duration),
    /// When the client is about to send its next report (HTTP POST / CoAP `p/rsp`):
    /// commands executed, results not reported.
    BeforeReport,
    /// Right after the modem executed the next AT line starting with this prefix (its
    /// answer never reaches the client).
    AfterAt(String),
    /// Right after a fetch answer carrying commands reached the device (an HTTP 200 with a
    /// body, or the last CoAP block of a non-empty `p/cmd` answer), before the client sees
    /// it: the service delivered the commands, the device executed none.
    AfterFetch,
    /// Right after a command record of a batch executed on the modem: the client took the
    /// modem's final answer to the record's AT line (its cursor moved to the record) and
    /// has not run anything else yet. Counts AT records as the device executes them (a key
    /// generation is two records: the delete of the old key and the `%KEYGEN`); config
    /// and finished records do not run on the modem and are not counted.
    AfterCommand,
    /// During a write of the modem's NVM image (a `%CMNG` write or delete, a `%KEYGEN`):
    /// the write is cut at one of its file-system steps, and after power-up the NVM holds
    /// the image from before or after the write, never a mix (see [`super::World`]'s
    /// power-cut notes). The modem's answer never reaches the client.
    NvmWrite,
}

/// A power cut armed at a point of the client's work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArmedCut {
    /// Where.
    pub point: PowerCutPoint,
    /// Which time the point is reached that the cut fires on (one firing rule with every
    /// counted fault).
    pub firing: crate::modem::Firing,
    /// Whether its time came while another cut at the point fired: it fires the next time.
    pub due: bool,
    /// How long the power stays off (`None`: the world's default).
    pub off_for: Option<std::time::Duration>,
}

/// One device's state in the world.
pub(crate) struct Device {
    pub name: String,
    pub spec: DeviceSpec,
    pub modem: Modem,
    pub flash: SharedFs,
    /// The same flash as [`MemFs`], for power cuts during NVM writes.
    pub flash_mem: Arc<Mutex<MemFs>>,
    pub client: Option<Client>,
    /// The sample application around the client (restarted at every boot).
    pub app: SampleApp,
    /// When the application's timer is on the agenda (so it is scheduled once).
    pub app_due: Option<u64>,
    pub boot: u64,
    pub powered: bool,
    pub pending_trigger: bool,
    pub events: Vec<(u64, Event)>,
    pub records: Vec<Exchanged>,
    pub token: Option<AttestationToken>,
    pub session: Option<CoapSession>,
    pub cut_points: Vec<ArmedCut>,
    /// The client's AT line the modem executed last (its answer is the next to arrive).
    pub last_at: Option<String>,
    pub next_mid: u16,
    pub exchanges: Vec<ExchangeLog>,
    /// How long the next power cut keeps the device off (else the world's default).
    pub next_off: Option<std::time::Duration>,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("name", &self.name)
            .field("boot", &self.boot)
            .field("powered", &self.powered)
            .field("modem", &self.modem)
            .finish_non_exhaustive()
    }
}

impl Device {
    /// Builds the device's modem on a fresh flash holding the preloaded credentials, and
    /// its application with LTE attaching `attach_delay` after `AT+CFUN=1`.
    pub fn build(
        spec: DeviceSpec,
        index: usize,
        world_seed: u64,
        lab_ca: &str,
        first_mid: u16,
        attach_delay: std::time::Duration,
    ) -> Result<Self, WorldError> {
        let modem_err = |reason: String| WorldError::Modem {
            device: spec.name.clone(),
            reason,
        };
        let flash_mem = Arc::new(Mutex::new(MemFs::new()));
        let flash: SharedFs = flash_mem.clone();
        let store = NvmStore::on_fs(MODEM_NVM_PATH, Arc::clone(&flash));
        let mut creds = CredentialStore::new();
        let root_tag = spec.client.root_ca_sec_tag;
        match &spec.root_ca {
            RootCa::Lab => creds.insert(
                CredKey::new(root_tag, TYPE_ROOT_CA),
                lab_ca.as_bytes().to_vec(),
            ),
            RootCa::Other(pem) => creds.insert(
                CredKey::new(root_tag, TYPE_ROOT_CA),
                pem.as_bytes().to_vec(),
            ),
            RootCa::Missing => {}
        }
        for (tag, cred_type, content) in &spec.credentials {
            creds.insert(CredKey::new(*tag, *cred_type), content.as_bytes().to_vec());
        }
        Nvm::open(&store)
            .save(&creds)
            .map_err(|e| modem_err(e.to_string()))?;
        let modem_seed = derive(world_seed, "modem", index as u64);
        let config = match &spec.modem {
            ModemSource::Derived => ModemConfig::from_seed(modem_seed),
            ModemSource::Seed(seed) => ModemConfig::from_seed(*seed),
            ModemSource::Identity(identity) => {
                ModemConfig::from_identity((**identity).clone(), modem_seed)
            }
        }
        .model(spec.model.clone())
        .firmware(spec.firmware.clone())
        .network_time(spec.network_time)
        .nvm(store);
        let modem = Modem::new(config).map_err(|e| modem_err(e.to_string()))?;
        let era = app_era(spec.effective_client_config().generation);
        let device = Device {
            name: spec.name.clone(),
            modem,
            flash,
            flash_mem,
            client: None,
            app: SampleApp::new(AppConfig::new(era, attach_delay)),
            app_due: None,
            boot: 0,
            powered: false,
            pending_trigger: false,
            events: Vec::new(),
            records: Vec::new(),
            token: None,
            session: None,
            cut_points: Vec::new(),
            last_at: None,
            next_mid: first_mid,
            exchanges: Vec::new(),
            next_off: None,
            spec,
        };
        let initial: BTreeMap<String, Vec<u8>> = device
            .spec
            .settings
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_vec()))
            .collect();
        device.save_settings(&initial)?;
        Ok(device)
    }

    /// The settings persisted on the flash (empty if none or unreadable).
    pub fn load_settings(&self) -> BTreeMap<String, Vec<u8>> {
        let Ok(mut fs) = self.flash.lock() else {
            return BTreeMap::new();
        };
        let Ok(Some(bytes)) = fs.read(Path::new(SETTINGS_PATH)) else {
            return BTreeMap::new();
        };
        let Ok(map) = serde_json::from_slice::<BTreeMap<String, String>>(&bytes) else {
            return BTreeMap::new();
        };
        map.into_iter()
            .filter_map(|(k, v)| hex::decode(v).ok().map(|v| (k, v)))
            .collect()
    }

    /// Persists the settings atomically on the flash.
    pub fn save_settings(&self, settings: &BTreeMap<String, Vec<u8>>) -> Result<(), WorldError> {
        let fail = |reason: String| WorldError::Modem {
            device: self.name.clone(),
            reason: format!("settings store: {reason}"),
        };
        let map: BTreeMap<&str, String> = settings
            .iter()
            .map(|(k, v)| (k.as_str(), hex::encode(v)))
            .collect();
        let bytes = serde_json::to_vec(&map).map_err(|e| fail(e.to_string()))?;
        let mut fs = self
            .flash
            .lock()
            .map_err(|_| fail("lock poisoned".into()))?;
        atomic_write(&mut *fs, Path::new(SETTINGS_PATH), &bytes)
            .map_err(|(step, e)| fail(format!("{step}: {e}")))
    }

    /// Writes one setting through to the flash.
    pub fn store_setting(&self, key: &str, value: &[u8]) -> Result<(), WorldError> {
        let mut settings = self.load_settings();
        settings.insert(key.to_owned(), value.to_vec());
        self.save_settings(&settings)
    }

    /// The persisted settings as the client's [`StoredSettings`].
    pub fn stored_settings(&self) -> StoredSettings {
        self.load_settings()
            .into_iter()
            .fold(StoredSettings::new(), |s, (k, v)| s.with(k, v))
    }

    /// A fresh CoAP message id.
    pub fn take_mid(&mut self) -> u16 {
        let mid = self.next_mid;
        self.next_mid = self.next_mid.wrapping_add(1);
        mid
    }
}

/// The sample era a world device's application follows: the world has no console, so a
/// current-generation device gets the \[B\] boot order (`nrf_provisioning_init` after the
/// first attach), and a v2.9 one the \[A\] sample (warm reboot after DONE).
pub(crate) fn app_era(generation: Generation) -> Era {
    match generation {
        Generation::V2_9 => Era::V2_9,
        Generation::Current => Era::V3_0,
    }
}
