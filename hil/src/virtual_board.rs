//! Virtual boards of a `virtual` rack entry: the same virtual board `provlab board` runs
//! (simulated modem + real client behind the sample firmware's console), served on a PTY in
//! this process and pointed at the lab service. The runner drives it exactly like a real
//! board: through its console port.
//!
//! [`VirtualBoard::pull_plug`] closes the PTY under the runner, as a USB cable pulled out of
//! a DK would: the infrastructure fault the runner must survive.

use std::path::{Path, PathBuf};

use provlab_sim::board::{board_shell, BoardConfig, BoardError, Era, TransportKind};
use provlab_sim::modem::{Modem, ModemConfig, ModemError};
use provlab_sim::serial::{PtyServer, SerialError, Stop, StopHandle};

/// What a virtual board is.
#[derive(Debug, Clone)]
pub struct VirtualBoardSpec {
    /// The sample firmware era it reproduces.
    pub era: Era,
    /// HTTP or CoAP.
    pub transport: TransportKind,
    /// The lab service's device endpoint host (also the TLS server name).
    pub host: String,
    /// The device endpoint port for `transport`.
    pub port: u16,
    /// Seed of the modem's identity and of the client.
    pub seed: u64,
    /// The firmware's built-in root CA; `None`: the root CA sec tag starts empty and the
    /// runner installs the lab CA over the AT shell, as on a real board.
    pub root_ca: Option<String>,
    /// How many times faster than the wall clock the board's clock runs (1: real time).
    pub speed: u32,
    /// The client's build options when not the era's sample `prj.conf` (a scenario's
    /// device).
    pub client: Option<provlab_client::ClientConfig>,
}

impl VirtualBoardSpec {
    /// The root CA sec tag its firmware checks the service with.
    pub fn root_ca_sec_tag(&self) -> u32 {
        self.board_config().root_ca_sec_tag()
    }

    fn board_config(&self) -> BoardConfig {
        let mut config = BoardConfig::new(self.era, self.transport, self.host.clone(), self.port);
        config.root_ca = self.root_ca.clone();
        config.seed = self.seed;
        config.client = self.client.clone();
        config
    }
}

/// Why a virtual board did not start.
#[derive(Debug, thiserror::Error)]
pub enum VirtualBoardError {
    /// The simulated modem could not start.
    #[error("virtual board modem: {0}")]
    Modem(#[from] ModemError),
    /// The firmware could not start.
    #[error("virtual board firmware: {0}")]
    Board(#[from] BoardError),
    /// No PTY.
    #[error("virtual board console: {0}")]
    Pty(#[from] SerialError),
    /// The serving thread could not start.
    #[error("virtual board thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// A running virtual board; stopped (PTY closed) when dropped.
#[derive(Debug)]
pub struct VirtualBoard {
    path: PathBuf,
    device_uuid: String,
    stop: StopHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl VirtualBoard {
    /// Starts the board; its console is on [`VirtualBoard::console`].
    pub fn start(spec: &VirtualBoardSpec) -> Result<Self, VirtualBoardError> {
        let modem = Modem::new(ModemConfig::from_seed(spec.seed))?;
        let device_uuid = modem.identity().device_uuid.to_string();
        let mut shell = board_shell(modem, spec.board_config())?;
        let mut server = PtyServer::open()?.with_speed(spec.speed);
        let path = server.path().to_path_buf();
        let stop = Stop::new();
        let handle = stop.handle();
        let thread = std::thread::Builder::new()
            .name(format!("virtual-board-{}", spec.seed))
            .spawn(move || {
                if let Err(e) = server.serve(&mut shell, &stop) {
                    tracing::warn!("virtual board stopped: {e}");
                }
            })
            .map_err(VirtualBoardError::Thread)?;
        Ok(Self {
            path,
            device_uuid,
            stop: handle,
            thread: Some(thread),
        })
    }

    /// The console's PTY path (what a rack names as `console` for a real board).
    pub fn console(&self) -> &Path {
        &self.path
    }

    /// The modem's device UUID (for checks; the runner reads it over the console).
    pub fn device_uuid(&self) -> &str {
        &self.device_uuid
    }

    /// A handle that closes the console later, from another thread (fault injection).
    pub fn plug(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Closes the console under the runner, like a USB cable pulled out mid-scenario.
    pub fn pull_plug(&mut self) {
        self.stop.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for VirtualBoard {
    fn drop(&mut self) {
        self.pull_plug();
    }
}
