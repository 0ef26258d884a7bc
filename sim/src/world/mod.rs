//! The simulation world: devices (a simulated [`crate::modem::Modem`], the real
//! [`provlab_client::Client`] state machine and the sample firmware's board glue), the fake
//! provisioning service's domain core, and an in-memory link with fault injection, all in
//! virtual time. A [`WorldConfig::seed`] and the same calls give a byte-identical
//! [`Transcript`].
//!
//! # Driving it
//!
//! ```no_run
//! use std::time::Duration;
//! use provlab_sim::world::{DeviceSpec, World, WorldConfig};
//! use provlab_server::domain::commands::{CommandRequest, Finished};
//! use provlab_server::domain::status::ShownStatus;
//!
//! let mut world = World::new(WorldConfig::new(7)).unwrap();
//! let dk1 = world.add_device(DeviceSpec::new("dk1")).unwrap();
//! world.advance(Duration::from_secs(3)); // boot and LTE attach
//! world.claim(dk1, &[]).unwrap();
//! world.add_command(dk1, CommandRequest::Finished(Finished {})).unwrap();
//! world.trigger(dk1).unwrap(); // `nrf_provisioning now`
//! world
//!     .run_until(|w| w.device_status(dk1) == Some(ShownStatus::Provisioned), Duration::from_secs(120))
//!     .unwrap();
//! println!("{}", world.transcript().to_text());
//! ```
//!
//! # Modules
//!
//! * [`config`]: [`WorldConfig`], [`DeviceSpec`].
//! * [`agenda`]: the time-ordered queue with a stable tie-break.
//! * [`seeds`]: seed derivation from the world seed.
//! * [`device`]: one device's modem, flash (NVM + settings) and observations.
//! * `board`: the board application: executes the client's actions.
//! * `net`: the link's exchanges: loss, latency, partitions, retransmissions.
//! * `loopback`: [`WorldNet::Loopback`]: the same exchanges over real sockets to the real
//!   device endpoints, still in virtual time.
//! * [`endpoint`]: the service's HTTP and CoAP device endpoints over the domain.
//! * [`link`]: the fault model and retransmission policies.
//! * [`host`]: the hosted service, owner key, lab CA, factory registry.
//! * `owner`, `observe`: owner operations and observation APIs on [`World`].
//! * `power`: power cuts armed at points of the client's work, and cuts in the middle of
//!   a modem NVM write (which step, what survives: drawn from the seed).
//! * [`transcript`]: the world's recording of the harness transcript (kinds given where
//!   entries are made, long texts abbreviated).
//! * `window`: service-wide fault windows opened and closed on the agenda
//!   ([`World::plan_fault_windows`]).
//!
//! # Time
//!
//! Virtual time starts at 0 ms. The modems' clock and the service's `now` are
//! [`WorldConfig::epoch_unix`] plus virtual time; the clients get virtual milliseconds.
//! Nothing reads the wall clock; nothing spawns threads.

pub mod agenda;
mod board;
pub mod config;
pub mod device;
pub mod endpoint;
pub mod error;
pub mod host;
pub mod link;
mod loopback;
mod net;
mod observe;
mod owner;
mod power;
pub mod seeds;
pub mod transcript;
mod window;

use std::collections::BTreeMap;
use std::time::Duration;

use provlab_client::{AtReply, Input};

pub use config::{DeviceSpec, ModemSource, RootCa, WorldConfig, WorldNet};
pub use device::{DeviceId, ExchangeEndpoint, ExchangeLog, Exchanged, PowerCutPoint};
pub use error::{TimedOut, WorldError};
pub use host::ServiceHost;
pub use link::{
    DeviceLink, Endpoint, Firing, ForcedAnswer, HandshakeFault, LinkFaults, OpenWindow, Partition,
    RetransmitPolicy, ServiceFault, WindowFault,
};
pub use observe::credential_type_name;
use transcript::Record as _;
pub use transcript::{Entry, EntryKind, Lane, Transcript};
pub use window::FaultWindow;

use agenda::Agenda;
use device::Device;
use net::Exchange;
use seeds::{derive, WorldRng};

/// Something scheduled in virtual time. Items carry the device's boot number; after a power
/// cut, items of an earlier boot are dropped.
#[derive(Debug, Clone)]
enum Due {
    /// The modem's answer reaches the client.
    AtAnswer {
        dev: usize,
        boot: u64,
        reply: AtReply,
    },
    /// The modem rebooted on a fault after answering.
    ModemReboot { dev: usize, boot: u64 },
    /// The sample application's timer (an LTE attach, after boot or `NEED_LTE_ACTIVATED`).
    App { dev: usize, boot: u64 },
    /// A scheduled power cut.
    PowerCut { dev: usize, boot: u64 },
    /// Power returns.
    PowerOn { dev: usize, boot: u64 },
    /// A request datagram of an exchange reaches the service.
    ToService { ex: u64, attempt: u32 },
    /// A response datagram of an exchange reaches the device.
    ToDevice { ex: u64, input: Box<Input> },
    /// An exchange's retransmission timer.
    Retransmit { ex: u64, attempt: u32 },
    /// A service-wide fault window opens (`open`) or closes.
    Window { id: usize, open: bool },
}

/// The simulation world (see the module docs).
#[derive(Debug)]
pub struct World {
    config: WorldConfig,
    now_ms: u64,
    agenda: Agenda<Due>,
    link_rng: WorldRng,
    faults: LinkFaults,
    host: ServiceHost,
    devices: Vec<Device>,
    exchanges: BTreeMap<u64, Exchange>,
    next_exchange: u64,
    transcript: Transcript,
    /// Seconds added to every modem clock (clock jumps).
    clock_offset_s: i64,
    /// The real endpoints, with [`WorldNet::Loopback`].
    loopback: Option<loopback::Loopback>,
    /// Service-wide fault windows, by number ([`World::plan_fault_windows`]).
    windows: Vec<window::Planned>,
}

impl World {
    /// A world at virtual time 0 with a service whose owner member is set up.
    pub fn new(config: WorldConfig) -> Result<Self, WorldError> {
        let mut host = ServiceHost::new(
            config.seed,
            provlab_server::domain::Timestamp::from_secs(config.epoch_unix),
            &config.owner_name,
        )?;
        let loopback = match config.net {
            WorldNet::InMemory => None,
            WorldNet::Loopback => {
                let lb = loopback::Loopback::start(derive(config.seed, "loopback", 0))?;
                host.lab_ca.clone_from(&lb.root_pem);
                Some(lb)
            }
        };
        Ok(World {
            link_rng: WorldRng::new(config.seed, "link"),
            config,
            now_ms: 0,
            agenda: Agenda::new(),
            faults: LinkFaults::default(),
            host,
            devices: Vec::new(),
            exchanges: BTreeMap::new(),
            next_exchange: 0,
            transcript: Transcript::new(),
            clock_offset_s: 0,
            loopback,
            windows: Vec::new(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    /// Virtual time since the start.
    pub fn now(&self) -> Duration {
        Duration::from_millis(self.now_ms)
    }

    /// Adds a device, registers its identity in the service's factory registry and powers
    /// it on: the application brings LTE up (`AT+CFUN=1`) and initialises the client once
    /// attached ([`WorldConfig::attach_delay`] later).
    pub fn add_device(&mut self, spec: DeviceSpec) -> Result<DeviceId, WorldError> {
        if self.devices.iter().any(|d| d.name == spec.name) {
            return Err(WorldError::DuplicateName(spec.name));
        }
        let index = self.devices.len();
        let mut mid_rng = WorldRng::new(derive(self.config.seed, "coap-mid", index as u64), "mid");
        let device = Device::build(
            spec,
            index,
            self.config.seed,
            &self.host.lab_ca,
            mid_rng.u16(),
            self.config.attach_delay,
        )?;
        self.host.register(device.modem.identity());
        self.devices.push(device);
        self.power_on(index);
        Ok(DeviceId(index))
    }

    /// The id of the device named `name`.
    pub fn device_id(&self, name: &str) -> Option<DeviceId> {
        self.devices
            .iter()
            .position(|d| d.name == name)
            .map(DeviceId)
    }

    /// `nrf_provisioning now`: triggers an attempt (deferred until the client is
    /// initialised if the device is still booting or powered off).
    pub fn trigger(&mut self, device: DeviceId) -> Result<(), WorldError> {
        let dev = self.check(device)?;
        let now = self.now_ms;
        let name = self.devices[dev].name.clone();
        self.transcript.note(
            now,
            Lane::App(name.clone()),
            EntryKind::Note,
            "shell: nrf_provisioning now",
        );
        let d = &mut self.devices[dev];
        match d.client.as_mut() {
            Some(client) if client.is_initialized() => {
                client
                    .trigger_manually(provlab_client::Timestamp(now))
                    .map_err(|e| WorldError::Client {
                        device: name,
                        reason: e.to_string(),
                    })?;
                self.pump(dev);
            }
            _ => d.pending_trigger = true,
        }
        Ok(())
    }

    /// Runs everything due within `duration`, then sets the clock to its end.
    pub fn advance(&mut self, duration: Duration) {
        let limit = self.now_ms.saturating_add(duration_ms(duration));
        while self.step(limit) {}
        self.now_ms = self.now_ms.max(limit);
    }

    /// Runs until `done` holds (checked before starting and after every step) or
    /// `within` has passed; returns the virtual time it took.
    pub fn run_until(
        &mut self,
        mut done: impl FnMut(&World) -> bool,
        within: Duration,
    ) -> Result<Duration, TimedOut> {
        let start = self.now_ms;
        let deadline = start.saturating_add(duration_ms(within));
        loop {
            if done(self) {
                return Ok(Duration::from_millis(self.now_ms - start));
            }
            if !self.step(deadline) {
                self.now_ms = self.now_ms.max(deadline);
                return Err(TimedOut {
                    waited: within,
                    now: self.now(),
                });
            }
        }
    }

    /// Power cycle: the device loses power now and comes back after
    /// [`WorldConfig::power_off_time`]; the modem reloads its NVM and the client restarts
    /// from the stored settings.
    pub fn power_cycle(&mut self, device: DeviceId) -> Result<(), WorldError> {
        let dev = self.check(device)?;
        self.cut_power(dev, EntryKind::Fault, "power cycle");
        Ok(())
    }

    /// Like [`World::power_cycle`], with power off for `off_for` instead of
    /// [`WorldConfig::power_off_time`].
    pub fn power_cycle_for(
        &mut self,
        device: DeviceId,
        off_for: Duration,
    ) -> Result<(), WorldError> {
        let dev = self.check(device)?;
        self.devices[dev].next_off = Some(off_for);
        self.cut_power(dev, EntryKind::Fault, "power cycle");
        Ok(())
    }

    /// Like [`World::power_cut`], with power off for `off_for` after that cut.
    pub fn power_cut_for(
        &mut self,
        device: DeviceId,
        when: PowerCutPoint,
        off_for: Duration,
    ) -> Result<(), WorldError> {
        self.power_cut_at(device, when, 1, Some(off_for))
    }

    /// Moves every modem clock forward (`forward`) or back by `by` from now on.
    pub fn jump_clock(&mut self, forward: bool, by: Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        let delta = if forward { secs } else { -secs };
        self.clock_offset_s = self.clock_offset_s.saturating_add(delta);
        let direction = if forward { "forward" } else { "back" };
        self.transcript.note(
            self.now_ms,
            Lane::Link,
            EntryKind::Fault,
            format!("device clocks jump {direction} {by:?}"),
        );
    }

    /// Gives or takes away the device's network time (the modem answers `AT%CCLK?` or not).
    pub fn set_network_time(&mut self, device: DeviceId, present: bool) -> Result<(), WorldError> {
        let dev = self.check(device)?;
        let name = self.devices[dev].name.clone();
        self.devices[dev].modem.set_network_time(present);
        let text = if present {
            "network time back"
        } else {
            "network time absent"
        };
        self.transcript
            .note(self.now_ms, Lane::Modem(name), EntryKind::Fault, text);
        Ok(())
    }

    /// Arms a power cut at `when` (see [`PowerCutPoint`]); power returns after
    /// [`WorldConfig::power_off_time`].
    pub fn power_cut(&mut self, device: DeviceId, when: PowerCutPoint) -> Result<(), WorldError> {
        self.power_cut_at(device, when, 1, None)
    }

    /// Arms a power cut at the `nth` time (1-based; 0 counts as 1) the point `when` of the
    /// client's work is reached from now on, counting across reboots; it fires once. Power
    /// stays off for `off_for` (default [`WorldConfig::power_off_time`]). `Now` and `After`
    /// strike once at their time; `nth` does not apply to them.
    pub fn power_cut_at(
        &mut self,
        device: DeviceId,
        when: PowerCutPoint,
        nth: u32,
        off_for: Option<Duration>,
    ) -> Result<(), WorldError> {
        let dev = self.check(device)?;
        match when {
            PowerCutPoint::Now => {
                if off_for.is_some() {
                    self.devices[dev].next_off = off_for;
                }
                self.cut_power(dev, EntryKind::Fault, "power cut");
            }
            PowerCutPoint::After(delay) => {
                if off_for.is_some() {
                    self.devices[dev].next_off = off_for;
                }
                let boot = self.devices[dev].boot;
                self.agenda.schedule(
                    self.now_ms.saturating_add(duration_ms(delay)),
                    Due::PowerCut { dev, boot },
                );
            }
            point => self.devices[dev].cut_points.push(device::ArmedCut {
                point,
                firing: crate::modem::Firing::every().only_nth(nth),
                due: false,
                off_for,
            }),
        }
        Ok(())
    }

    /// Disarms the cuts armed at the point `when` that have not fired (a fault switched
    /// off); `Now` and `After` cuts are not armed at a point and are left alone.
    pub fn disarm_power_cut(
        &mut self,
        device: DeviceId,
        when: &PowerCutPoint,
    ) -> Result<(), WorldError> {
        let dev = self.check(device)?;
        self.devices[dev].cut_points.retain(|c| c.point != *when);
        Ok(())
    }

    /// The addresses of the real HTTPS and CoAP endpoints with [`WorldNet::Loopback`].
    pub fn loopback_addresses(&self) -> Option<(std::net::SocketAddr, std::net::SocketAddr)> {
        self.loopback.as_ref().map(loopback::Loopback::addresses)
    }

    /// With [`WorldNet::Loopback`], a real CA certificate (PEM) that did not sign the
    /// endpoints' certificates: what a device with the wrong root CA holds.
    pub fn untrusted_ca(&self) -> Option<&str> {
        self.loopback.as_ref().map(|lb| lb.decoy_pem.as_str())
    }

    /// The transcript so far.
    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    /// Appends an entry made outside the world, as it is (the simulation backend's owner
    /// actions, which call the service directly), so that it sits among the world's own.
    pub fn record(&mut self, entry: Entry) {
        self.transcript.push(entry);
    }

    /// The device index, if it exists.
    fn check(&self, device: DeviceId) -> Result<usize, WorldError> {
        if device.0 < self.devices.len() {
            Ok(device.0)
        } else {
            Err(WorldError::NoDevice(device.0))
        }
    }

    /// The next instant something is due: the agenda or a client timer.
    fn next_due(&self) -> Option<(u64, Option<usize>)> {
        let mut best = self.agenda.next_due().map(|t| (t, None));
        for (i, d) in self.devices.iter().enumerate() {
            if let Some(t) = d.client.as_ref().and_then(|c| c.poll_timeout()) {
                let t = t.as_millis();
                if best.is_none_or(|(b, _)| t < b) {
                    best = Some((t, Some(i)));
                }
            }
        }
        best
    }

    /// Runs the earliest happening due at or before `limit`; false if there is none.
    fn step(&mut self, limit: u64) -> bool {
        let Some((at, who)) = self.next_due() else {
            return false;
        };
        if at > limit {
            return false;
        }
        self.now_ms = self.now_ms.max(at);
        match who {
            None => {
                if let Some((_, due)) = self.agenda.pop_due(at) {
                    self.run_due(due);
                }
            }
            Some(dev) => {
                let now = provlab_client::Timestamp(self.now_ms);
                if let Some(client) = self.devices[dev].client.as_mut() {
                    client.handle_timeout(now);
                }
                self.pump(dev);
            }
        }
        true
    }

    fn run_due(&mut self, due: Due) {
        match due {
            Due::AtAnswer { dev, boot, reply } => {
                if self.live(dev, boot) {
                    self.deliver_at_answer(dev, reply);
                }
            }
            Due::ModemReboot { dev, boot } => {
                if self.live(dev, boot) {
                    self.modem_reboot(dev);
                }
            }
            Due::App { dev, boot } => {
                if self.live(dev, boot) {
                    self.app_timer(dev);
                }
            }
            Due::PowerCut { dev, boot } => {
                if self.live(dev, boot) {
                    self.cut_power(dev, EntryKind::Fault, "power cut");
                }
            }
            Due::PowerOn { dev, boot } => {
                if self
                    .devices
                    .get(dev)
                    .is_some_and(|d| d.boot == boot && !d.powered)
                {
                    self.power_on(dev);
                }
            }
            Due::ToService { ex, attempt } => self.at_service(ex, attempt),
            Due::ToDevice { ex, input } => self.at_device(ex, *input),
            Due::Retransmit { ex, attempt } => self.retransmit(ex, attempt),
            Due::Window { id, open } => self.window(id, open),
        }
    }

    /// Whether `dev` is powered and still in boot `boot`.
    fn live(&self, dev: usize, boot: u64) -> bool {
        self.devices
            .get(dev)
            .is_some_and(|d| d.powered && d.boot == boot)
    }

    /// The modem's clock: epoch plus virtual seconds.
    fn now_unix(&self) -> u64 {
        (self.config.epoch_unix + self.now_ms / 1000).saturating_add_signed(self.clock_offset_s)
    }

    /// The service's clock.
    fn service_now(&self) -> provlab_server::domain::Timestamp {
        provlab_server::domain::Timestamp::from_millis(
            self.config
                .epoch_unix
                .saturating_mul(1000)
                .saturating_add(self.now_ms),
        )
    }
}

/// A duration in whole milliseconds (saturating).
fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
