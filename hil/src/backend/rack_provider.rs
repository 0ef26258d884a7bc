//! Boards from a rack file: one lease per scenario device (console and probe together),
//! then, for a `virtual` entry, a virtual board on a PTY pointed at the run's lab service;
//! for a real board, its console opened first (the DK's lines are dead until DTR), its
//! image flashed through the probe when the rack names one for the device's transport (or
//! a plain reset), and the boot banner awaited. Every console session is captured byte for
//! byte into the run's log directory with a run marker.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use provlab_harness::scenario::{DeviceSpec, Scenario, Transport};
use provlab_harness::{Capabilities, Capability};
use provlab_sim::backend::scenario_client_config;
use provlab_sim::board::{Era as BoardEra, TransportKind};

use super::board::{BoardError, BoardLink};
use super::console_board::{ConsoleBoard, Deadlines, Held};
use super::{BoardProvider, LabEndpoints, LeasedBoards};
use crate::console::{Capture, Console, ConsoleConfig, SerialSettings, SerialStream};
use crate::decode::{Era, Happening};
use crate::lab::LabServiceConfig;
use crate::lease::{acquire_any, Holder, Lease, LeaseError, Wait};
use crate::probe::{flash_image, select, FlashJob, FlashOutcome, Probe, ProbeRs, Rtt};
use crate::rack::{Board, LoadedRack};
use crate::virtual_board::{VirtualBoard, VirtualBoardSpec};

/// Makes the probe driver of a real board: probe-rs on a rack, a scripted fake in tests of
/// the runner's infrastructure handling.
#[derive(Clone)]
pub struct ProbeFactory(pub Arc<dyn Fn() -> Box<dyn Probe + Send> + Send + Sync>);

impl ProbeFactory {
    /// probe-rs.
    pub fn probe_rs() -> Self {
        Self(Arc::new(|| Box::new(ProbeRs::new())))
    }
}

impl std::fmt::Debug for ProbeFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProbeFactory")
    }
}

/// How a run uses the rack.
#[derive(Debug, Clone)]
pub struct RackOptions {
    /// Who runs (shown in `provlab hil leases`).
    pub owner: String,
    /// The run's id (lease files, run markers, the log directory).
    pub run_id: String,
    /// The console era of every virtual board (`--era`); `None`: each board's own.
    pub virtual_era: Option<Era>,
    /// Only boards with all these tags.
    pub tags: Vec<String>,
    /// Erase a locked chip (APPROTECT) to unlock it; logged. Never implied.
    pub recover: bool,
    /// Fault injection for tests of the runner itself: pull the plug of this virtual
    /// board (its console PTY closes) this long (wall clock) after it is leased, once.
    pub pull_plug: Option<(String, Duration)>,
    /// The probe driver of real boards (probe-rs unless a test says otherwise).
    pub probes: ProbeFactory,
}

/// The rack as a [`BoardProvider`] (see the module docs).
#[derive(Debug)]
pub struct RackProvider {
    rack: LoadedRack,
    options: RackOptions,
    /// Boards that failed for the lab's reasons in this run: not leased again.
    excluded: Mutex<BTreeSet<String>>,
    /// Whether the configured plug pull has happened.
    pulled: Mutex<bool>,
}

impl RackProvider {
    /// A provider of `rack`'s boards.
    pub fn new(rack: LoadedRack, options: RackOptions) -> Self {
        Self {
            rack,
            options,
            excluded: Mutex::new(BTreeSet::new()),
            pulled: Mutex::new(false),
        }
    }

    /// Arms the configured plug pull for `id`, once per run.
    fn maybe_pull_plug(&self, id: &str, board: &VirtualBoard) {
        let Some((target, after)) = &self.options.pull_plug else {
            return;
        };
        if target != id {
            return;
        }
        let Ok(mut pulled) = self.pulled.lock() else {
            return;
        };
        if *pulled {
            return;
        }
        *pulled = true;
        let plug = board.plug();
        let after = *after;
        std::thread::spawn(move || {
            std::thread::sleep(after);
            plug.stop();
        });
    }

    /// Leaves `board` out of the rest of the run (after an infrastructure failure).
    pub fn exclude(&self, board: &str) {
        if let Ok(mut excluded) = self.excluded.lock() {
            excluded.insert(board.to_owned());
        }
    }

    /// Whether every board of the rack is virtual.
    fn all_virtual(&self) -> bool {
        self.rack.rack.boards.iter().all(Board::is_virtual)
    }

    /// The directory of a scenario's console captures, under [`RackProvider::log_dir`].
    pub fn scenario_dir(&self, scenario: &str) -> String {
        file_name(scenario)
    }

    /// The run's log directory (console captures).
    pub fn log_dir(&self) -> PathBuf {
        self.rack.lab_dir().join("runs").join(&self.options.run_id)
    }

    fn deadlines(&self) -> Deadlines {
        let t = &self.rack.rack.lab.timeouts;
        Deadlines {
            command: Duration::from_secs(20).min(t.step.to_std()),
            boot: t.boot.to_std(),
        }
    }

    fn usable(&self, board: &Board) -> bool {
        let excluded = self
            .excluded
            .lock()
            .map(|e| e.contains(board.id.get()))
            .unwrap_or(false);
        let tags: Vec<&str> = self.options.tags.iter().map(String::as_str).collect();
        !excluded && board.has_tags(&tags)
    }

    /// Starts a virtual board for `board` running a device of `transport`, and its console.
    fn start_virtual(
        &self,
        scenario: &str,
        board: &Board,
        device: &DeviceSpec,
        seed: u64,
        service: &LabEndpoints,
    ) -> Result<(ConsoleBoard<SerialStream>, String), BoardError> {
        let id = board.id.get().clone();
        let era = self.options.virtual_era.unwrap_or_else(|| rack_era(board));
        let (kind, port) = match device.transport {
            Transport::Http => (TransportKind::Http, service.https_port),
            Transport::Coap => (TransportKind::Coap, service.coap_port),
        };
        let board_era = match era {
            Era::V2_9 => BoardEra::V2_9,
            Era::V3_0 => BoardEra::V3_0,
            Era::Current => BoardEra::Current,
        };
        // A virtual board is built as the scenario's device (its client options), in the
        // board's (or `--era`'s) console era.
        let mut client = scenario_client_config(&device.client);
        if self.options.virtual_era.is_some() || device.client.generation.is_none() {
            client.generation = board_era.generation();
        }
        let spec = VirtualBoardSpec {
            era: board_era,
            transport: kind,
            host: "127.0.0.1".to_owned(),
            port,
            seed: seed ^ fnv(&id),
            // Built with the scenario's root CA, as a lab firmware is built with the lab's:
            // the client's first (auto-started) attempt already trusts it.
            root_ca: service.root_cas.get(device.name.get()).cloned(),
            speed: self.speed(),
            client: Some(client),
        };
        let root_ca_sec_tag = spec.root_ca_sec_tag();
        let vboard = VirtualBoard::start(&spec)
            .map_err(|e| BoardError::Infrastructure(format!("{id}: {e}")))?;
        self.maybe_pull_plug(&id, &vboard);
        let path = vboard.console().display().to_string();
        let console = self.open_console(scenario, &id, &path, era, &SerialSettings::pty())?;
        let held = Held {
            virtual_board: Some(vboard),
            ..Held::default()
        };
        Ok((
            ConsoleBoard::new(id.clone(), console, root_ca_sec_tag, self.deadlines(), held),
            path,
        ))
    }

    /// Opens a board's console and captures it into the run's log directory.
    fn open_console(
        &self,
        scenario: &str,
        id: &str,
        path: &str,
        era: Era,
        settings: &SerialSettings,
    ) -> Result<Console<SerialStream>, BoardError> {
        let stream = SerialStream::open(path, settings)
            .map_err(|e| BoardError::Infrastructure(format!("{id}: {e}")))?;
        let dir = self.log_dir().join(file_name(scenario));
        std::fs::create_dir_all(&dir).map_err(|e| {
            BoardError::Infrastructure(format!(
                "cannot create the log directory {}: {e}",
                dir.display()
            ))
        })?;
        let file = dir.join(format!("{id}.console.log"));
        let capture = Capture::to_file(&file).map_err(|e| {
            BoardError::Infrastructure(format!("cannot write {}: {e}", file.display()))
        })?;
        Ok(Console::new(
            stream,
            capture,
            ConsoleConfig {
                era,
                ..ConsoleConfig::default()
            },
        ))
    }

    /// Prepares a real board: console first, then flash (or reset) through its probe, then
    /// the boot banner.
    fn start_real(
        &self,
        scenario: &str,
        board: &Board,
        transport: Transport,
    ) -> Result<ConsoleBoard<SerialStream>, BoardError> {
        let id = board.id.get().clone();
        let infra = |what: String| BoardError::Infrastructure(format!("{id}: {what}"));
        let port = board
            .console
            .as_ref()
            .ok_or_else(|| infra("the rack gives no console".to_owned()))?;
        let era = rack_era(board);
        let mut console = self.open_console(
            scenario,
            &id,
            &port.get().display().to_string(),
            era,
            &console_settings(port.get()),
        )?;
        let mut held = Held {
            power: board
                .power
                .as_ref()
                .map(|p| (p.get().off.clone(), p.get().on.clone())),
            ..Held::default()
        };
        let mut notes: Vec<String> = Vec::new();
        if let (Some(wanted), Some(chip)) = (&board.probe, board.chip_name()) {
            let mut probe: Box<dyn Probe + Send> = (self.options.probes.0)();
            let rows = probe.list_probes().map_err(|e| infra(e.to_string()))?;
            let selector = select(&rows, wanted.get()).map_err(|e| infra(e.to_string()))?;
            let role = match transport {
                Transport::Http => "http",
                Transport::Coap => "coap",
            };
            let image = board
                .firmware
                .get(role)
                .or_else(|| board.firmware.get("provisioning"));
            match image {
                Some(image) => {
                    let (flashed, outcome) = flash_within(
                        probe,
                        selector.clone(),
                        chip.to_owned(),
                        image.get().clone(),
                        (self.options.recover, board.nrfutil_for_uicr, board.rtt),
                        self.rack.rack.lab.timeouts.flash.to_std(),
                    )
                    .map_err(&infra)?;
                    probe = flashed;
                    let outcome = outcome
                        .map_err(|e| infra(format!("flashing {}: {e}", image.get().display())))?;
                    match outcome {
                        FlashOutcome::Flashed { events } => {
                            for event in events {
                                notes.push(format!("probe: {event}"));
                            }
                        }
                        FlashOutcome::HandToNrfutil { image, uicr } => {
                            let serial = selector.serial.clone().unwrap_or_default();
                            nrfutil_program(
                                &image,
                                &serial,
                                self.rack.rack.lab.timeouts.flash.to_std(),
                            )
                            .map_err(|e| {
                                infra(format!("{} writes UICR ({uicr}): {e}", image.display()))
                            })?;
                            notes.push(format!(
                                "programmed {} with nrfutil (it writes UICR: {uicr})",
                                image.display()
                            ));
                        }
                    }
                }
                None => {
                    probe
                        .open(&selector, chip)
                        .and_then(|()| probe.reset(rtt_mode(board.rtt)))
                        .map_err(|e| infra(format!("reset: {e}")))?;
                }
            }
            held.probe = Some(probe);
            held.rtt = board.rtt;
        }
        console
            .wait_for("the boot banner", self.deadlines().boot, |h| {
                matches!(h, Happening::Boot { .. })
            })
            .map_err(|e| infra(e.to_string()))?;
        let mut link =
            ConsoleBoard::new(id, console, board.root_ca_sec_tag, self.deadlines(), held);
        for note in notes {
            link.note(note);
        }
        if let Some(wanted) = &board.modem_fw {
            link.check_modem_firmware(wanted.get())?;
        }
        Ok(link)
    }
}

impl RackProvider {
    /// One lease per scenario device, all or none: a run never holds some boards while it
    /// waits for others (two runs doing that would wait for each other until their
    /// deadlines). Tries until the rack's lease timeout.
    fn lease_all(&self, scenario: &Scenario, holder: &Holder) -> Result<Vec<Lease>, BoardError> {
        let timeout = self.rack.rack.lab.timeouts.lease.to_std();
        let deadline = Instant::now() + timeout;
        let wanted = scenario.devices.len();
        let mut round: u64 = 0;
        loop {
            let mut leases: Vec<Lease> = Vec::new();
            let mut last = None;
            for _ in 0..wanted {
                let taken: BTreeSet<String> = leases.iter().map(|l| l.board().to_owned()).collect();
                match acquire_any(
                    self.rack.lab_dir(),
                    &self.rack.rack.boards,
                    |b| self.usable(b) && !taken.contains(b.id.get()),
                    holder,
                    Wait::no_wait(),
                ) {
                    Ok(lease) => leases.push(lease),
                    Err(e @ LeaseError::Timeout { .. }) => {
                        last = Some(e);
                        break;
                    }
                    Err(e) => {
                        return Err(BoardError::Infrastructure(format!(
                            "no {wanted} boards for `{}`: {e}",
                            scenario.name.get()
                        )))
                    }
                }
            }
            if leases.len() == wanted {
                return Ok(leases);
            }
            drop(leases);
            if Instant::now() >= deadline {
                let why = last.map_or_else(String::new, |e| format!(": {e}"));
                return Err(BoardError::Infrastructure(format!(
                    "no {wanted} free boards for `{}` within {timeout:?}{why}",
                    scenario.name.get()
                )));
            }
            // Spread the retries of runs that collide (a few hundred ms, varied by round).
            round += 1;
            std::thread::sleep(Duration::from_millis(
                200 + (fnv(&holder.run_id) ^ round) % 200,
            ));
        }
    }
}

impl BoardProvider for RackProvider {
    fn lab_config(&self) -> LabServiceConfig {
        let pki = self.rack.lab_dir().join("pki");
        let lab = &self.rack.rack.lab;
        if self.all_virtual() {
            // Virtual boards are pointed at whatever port the service gets.
            let any = SocketAddr::from(([127, 0, 0, 1], 0));
            return LabServiceConfig {
                rest: any,
                https: any,
                coap: any,
                hostnames: vec!["127.0.0.1".to_owned(), "localhost".to_owned()],
                pki,
                clock_speed: self.speed(),
            };
        }
        let ip = lab
            .addresses
            .first()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| *a.get());
        let mut hostnames = vec![lab.hostname.get().clone()];
        hostnames.extend(lab.addresses.iter().map(|a| a.get().to_string()));
        LabServiceConfig {
            rest: SocketAddr::new(ip, lab.ports.rest),
            https: SocketAddr::new(ip, lab.ports.https),
            coap: SocketAddr::new(ip, lab.ports.coap),
            hostnames,
            pki,
            clock_speed: 1,
        }
    }

    fn speed(&self) -> u32 {
        // One clock per run: the slowest board's (real boards run at 1).
        self.rack
            .rack
            .boards
            .iter()
            .map(Board::speed_factor)
            .min()
            .unwrap_or(1)
    }

    fn scenario_budget(&self) -> Option<Duration> {
        Some(self.rack.rack.lab.timeouts.scenario.to_std() / self.speed())
    }

    fn capabilities(&self) -> Capabilities {
        let unpowered = self
            .rack
            .rack
            .boards
            .iter()
            .filter(|b| !b.is_virtual() && b.power.is_none())
            .map(|b| b.id.get().as_str())
            .collect::<Vec<_>>();
        if unpowered.is_empty() {
            Capabilities::all()
        } else {
            Capabilities::all().without(
                Capability::PowerCycle,
                format!("no power control in the rack for {}", unpowered.join(", ")),
            )
        }
    }

    fn acquire(
        &self,
        scenario: &Scenario,
        seed: u64,
        service: &LabEndpoints,
    ) -> Result<LeasedBoards, BoardError> {
        let timeouts = &self.rack.rack.lab.timeouts;
        let holder = Holder {
            owner: self.options.owner.clone(),
            run_id: self.options.run_id.clone(),
            ttl: timeouts.scenario.to_std(),
        };
        let leases = self.lease_all(scenario, &holder)?;
        let mut boards: LeasedBoards = Vec::new();
        for (device, lease) in scenario.devices.iter().zip(leases) {
            let id = lease.board().to_owned();
            let board = self.rack.board(&id).ok_or_else(|| {
                BoardError::Infrastructure(format!("leased board `{id}` is not in the rack"))
            })?;
            let mut link = if board.is_virtual() {
                self.start_virtual(scenario.name.get(), board, device, seed, service)?
                    .0
            } else {
                self.start_real(scenario.name.get(), board, device.transport)?
            };
            link.hold_lease(lease);
            link.start_run(&format!("{}-{}", self.options.run_id, id))?;
            boards.push((
                device.name.get().clone(),
                Box::new(link) as Box<dyn BoardLink>,
            ));
        }
        Ok(boards)
    }
}

/// A scenario name as a directory name (anything but letters, digits, `-`, `_` and `.`
/// becomes `_`).
fn file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Hands an image that writes UICR to Nordic's `nrfutil device program` (with the probe's
/// serial number without its leading zeros, as nrfutil numbers J-Links), then resets the
/// board with `nrfutil device reset`; each bounded by `timeout`.
fn nrfutil_program(image: &std::path::Path, serial: &str, timeout: Duration) -> Result<(), String> {
    let serial = serial.trim_start_matches('0');
    let image = image.display().to_string();
    run_bounded(
        &[
            "device",
            "program",
            "--firmware",
            &image,
            "--serial-number",
            serial,
        ],
        timeout,
    )?;
    run_bounded(&["device", "reset", "--serial-number", serial], timeout)
}

/// Runs `nrfutil ARGS` and waits for it at most `timeout` (it is killed past that).
fn run_bounded(args: &[&str], timeout: Duration) -> Result<(), String> {
    let shown = format!("nrfutil {}", args.join(" "));
    let mut child = std::process::Command::new("nrfutil")
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|e| {
            format!("cannot run `{shown}`: {e} (is nrfutil with its `device` command installed?)")
        })?;
    let until = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("`{shown}` failed: {status}")),
            Ok(None) if Instant::now() < until => std::thread::sleep(Duration::from_millis(100)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("`{shown}` took longer than {timeout:?}"));
            }
            Err(e) => return Err(format!("waiting for `{shown}`: {e}")),
        }
    }
}

/// The probe back from its flashing thread, with how flashing went.
type Flashed = (
    Box<dyn Probe + Send>,
    Result<FlashOutcome, crate::probe::ProbeError>,
);

/// Flashes `image` on a thread of its own, so that a probe that hangs ends the attempt after
/// the rack's `flash` timeout (the thread and its probe are then abandoned); the probe comes
/// back with the outcome otherwise. `allow` is (recover a locked chip, hand UICR images to
/// nrfutil, capture RTT).
fn flash_within(
    mut probe: Box<dyn Probe + Send>,
    selector: crate::probe::Selector,
    chip: String,
    image: PathBuf,
    allow: (bool, bool, bool),
    timeout: Duration,
) -> Result<Flashed, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("flash".to_owned())
        .spawn(move || {
            let outcome = flash_image(
                probe.as_mut(),
                &FlashJob {
                    selector: &selector,
                    chip: &chip,
                    image: &image,
                    recover: allow.0,
                    nrfutil_for_uicr: allow.1,
                    rtt: rtt_mode(allow.2),
                },
            );
            let _ = tx.send((probe, outcome));
        })
        .map_err(|e| format!("cannot start the flashing thread: {e}"))?;
    rx.recv_timeout(timeout)
        .map_err(|_| format!("flashing took longer than the rack's flash timeout ({timeout:?})"))
}

/// The reset's RTT handling: capture (clearing a stale control block first, so nothing of
/// an earlier run is read) when the rack asks for it.
fn rtt_mode(capture: bool) -> Rtt {
    if capture {
        Rtt::Capture {
            attach_timeout: Duration::from_secs(3),
        }
    } else {
        Rtt::Off
    }
}

/// How to open a real board's console: a USB serial port with its control lines (DTR wakes
/// the DK's lines), or a pseudo-terminal (a console forwarded by `socat` or `ser2net`,
/// which has none).
fn console_settings(path: &std::path::Path) -> SerialSettings {
    if path.starts_with("/dev/pts") {
        SerialSettings::pty()
    } else {
        SerialSettings::default()
    }
}

/// A rack board's era as the decoder names it.
fn rack_era(board: &Board) -> Era {
    match board.era {
        crate::rack::Era::V2_9 => Era::V2_9,
        crate::rack::Era::V3_0 => Era::V3_0,
        crate::rack::Era::Current => Era::Current,
    }
}

/// A stable 64-bit hash of a board id (FNV-1a), so a board's virtual modem keeps its
/// identity between runs with the same seed.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
