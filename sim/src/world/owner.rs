//! Owner operations: straight to the domain [`Service`] with the owner's API key, each
//! logged on the owner → service lane with its result.

use provlab_server::domain::commands::CommandRequest;
use provlab_server::domain::service::NewCommand;
use provlab_server::domain::{
    CommandId, DeviceId as ServiceDeviceId, Error as ServiceError, Service, Timestamp,
};

use super::device::DeviceId;
use super::error::WorldError;
use super::link::{DeviceLink, HandshakeFault, LinkFaults, Partition, ServiceFault};
use super::transcript::{EntryKind, Lane, Record as _, OWNER};
use super::World;
use crate::modem::Faults;

impl World {
    /// The domain service (read-only).
    pub fn service(&self) -> &Service {
        &self.host.service
    }

    /// The domain service, for operations the helpers below do not cover (not logged; use
    /// [`World::owner`] to log them).
    pub fn service_mut(&mut self) -> &mut Service {
        &mut self.host.service
    }

    /// The owner member's API key.
    pub fn owner_key(&self) -> &str {
        &self.host.owner_key
    }

    /// The lab root CA (PEM) the service presents.
    pub fn lab_ca(&self) -> &str {
        &self.host.lab_ca
    }

    /// The service's current time (epoch + virtual time).
    pub fn service_time(&self) -> Timestamp {
        self.service_now()
    }

    /// Runs an owner operation with the owner's key at the service's current time, logging
    /// `label` and the result (`ok` or the error with its HTTP status).
    pub fn owner<T>(
        &mut self,
        label: &str,
        op: impl FnOnce(&mut Service, Timestamp, &str) -> Result<T, ServiceError>,
    ) -> Result<T, WorldError> {
        let now = self.service_now();
        let key = self.host.owner_key.clone();
        self.transcript.message(
            self.now_ms,
            Lane::Owner(OWNER.to_owned()),
            Lane::Service,
            EntryKind::Request,
            label,
        );
        let result = op(&mut self.host.service, now, &key);
        let answer = match &result {
            Ok(_) => "ok".to_owned(),
            Err(e) => format!("{} {e}", e.http_status()),
        };
        self.transcript.message(
            self.now_ms,
            Lane::Service,
            Lane::Owner(OWNER.to_owned()),
            EntryKind::Response,
            answer,
        );
        result.map_err(|e| WorldError::Service(e.to_string()))
    }

    /// The device's id at the service (its device UUID).
    pub fn service_device_id(&self, device: DeviceId) -> Result<ServiceDeviceId, WorldError> {
        let dev = self.check(device)?;
        Ok(ServiceDeviceId(
            self.devices[dev].modem.identity().device_uuid,
        ))
    }

    /// Reads the attestation token from the modem (`AT%ATTESTTOKEN`, as the sample's
    /// `nrf_provisioning token` does).
    pub fn attestation_token(&mut self, device: DeviceId) -> Result<String, WorldError> {
        let dev = self.check(device)?;
        let now = self.now_ms;
        let name = self.devices[dev].name.clone();
        self.transcript.message(
            now,
            Lane::App(name.clone()),
            Lane::Modem(name.clone()),
            EntryKind::Request,
            "AT%ATTESTTOKEN",
        );
        let now_unix = self.now_unix();
        let reply = self.devices[dev]
            .modem
            .execute_str(now_unix, "AT%ATTESTTOKEN");
        self.transcript.message(
            now,
            Lane::Modem(name.clone()),
            Lane::App(name.clone()),
            EntryKind::Response,
            &reply.text,
        );
        let token = reply
            .text
            .lines()
            .find_map(|l| l.trim().strip_prefix("%ATTESTTOKEN:"))
            .map(|t| t.trim().trim_matches('"').to_owned())
            .filter(|t| !t.is_empty());
        token.ok_or(WorldError::NoToken {
            device: name,
            answer: reply.text,
        })
    }

    /// Claims the device with its attestation token read from the modem.
    pub fn claim(
        &mut self,
        device: DeviceId,
        tags: &[&str],
    ) -> Result<ServiceDeviceId, WorldError> {
        let token = self.attestation_token(device)?;
        self.claim_with_token(&token, tags)
    }

    /// Claims the device of a token (e.g. from `FAILED_DEVICE_NOT_CLAIMED`).
    pub fn claim_with_token(
        &mut self,
        token: &str,
        tags: &[&str],
    ) -> Result<ServiceDeviceId, WorldError> {
        let tags: Vec<String> = tags.iter().map(|t| (*t).to_owned()).collect();
        let label = format!(
            "POST /v1/claimed-devices (token, tags {})",
            provlab_proto::text::quote_list(&tags)
        );
        self.owner(&label, |s, now, key| {
            s.claim(now, Some(key), token, &tags)
                .map(|o| o.value.device)
        })
    }

    /// Appends a command to the device's configuration; returns its id.
    pub fn add_command(
        &mut self,
        device: DeviceId,
        request: CommandRequest,
    ) -> Result<CommandId, WorldError> {
        let id = self.service_device_id(device)?;
        let label = format!(
            "POST /v1/claimed-devices/{id}/provisioning {}",
            request.type_name()
        );
        let command = NewCommand {
            description: String::new(),
            request,
        };
        self.owner(&label, |s, now, key| {
            s.add_command(now, Some(key), id, &command).map(|o| o.value)
        })
    }

    /// The id of the device's `n`th command (1-based).
    pub fn command_id(&self, device: DeviceId, n: usize) -> Result<CommandId, WorldError> {
        let id = self.service_device_id(device)?;
        let d = self
            .host
            .service
            .state()
            .devices
            .get(&id)
            .ok_or_else(|| WorldError::NotClaimed(id.to_string()))?;
        n.checked_sub(1)
            .and_then(|i| d.commands.get(i))
            .map(|c| c.id)
            .ok_or_else(|| WorldError::Service(format!("device {id} has no command {n}")))
    }

    /// Skips the device's `n`th command (1-based; it must have FAILED).
    pub fn skip_command(&mut self, device: DeviceId, n: usize) -> Result<(), WorldError> {
        let (id, command) = (self.service_device_id(device)?, self.command_id(device, n)?);
        self.owner(&format!("skip command {n} of {id}"), |s, now, key| {
            s.skip_command(now, Some(key), id, command).map(|_| ())
        })
    }

    /// Retries the device's `n`th command (1-based; it must have FAILED).
    pub fn retry_command(&mut self, device: DeviceId, n: usize) -> Result<(), WorldError> {
        let (id, command) = (self.service_device_id(device)?, self.command_id(device, n)?);
        self.owner(&format!("retry command {n} of {id}"), |s, now, key| {
            s.retry_command(now, Some(key), id, command).map(|_| ())
        })
    }

    /// Blocks the device.
    pub fn block(&mut self, device: DeviceId) -> Result<(), WorldError> {
        let id = self.service_device_id(device)?;
        self.owner(&format!("block {id}"), |s, now, key| {
            s.block(now, Some(key), id).map(|_| ())
        })
    }

    /// Unblocks the device.
    pub fn unblock(&mut self, device: DeviceId) -> Result<(), WorldError> {
        let id = self.service_device_id(device)?;
        self.owner(&format!("unblock {id}"), |s, now, key| {
            s.unblock(now, Some(key), id).map(|_| ())
        })
    }

    /// The link's faults, to change directly.
    pub fn link_faults_mut(&mut self) -> &mut LinkFaults {
        &mut self.faults
    }

    /// The link's faults.
    pub fn link_faults(&self) -> &LinkFaults {
        &self.faults
    }

    /// Sets the datagram/segment loss rate (0 to 1).
    pub fn set_loss_rate(&mut self, rate: f64) {
        self.transcript.note(
            self.now_ms,
            Lane::Link,
            EntryKind::Fault,
            format!("loss rate {rate}"),
        );
        self.faults.loss_rate = rate;
    }

    /// Adds latency and jitter on top of the world's.
    pub fn set_extra_latency(&mut self, latency: std::time::Duration, jitter: std::time::Duration) {
        self.transcript.note(
            self.now_ms,
            Lane::Link,
            EntryKind::Fault,
            format!("extra latency {latency:?} jitter {jitter:?}"),
        );
        self.faults.extra_latency = latency;
        self.faults.extra_jitter = jitter;
    }

    /// Adds link faults on device `device`'s link only: the higher loss rate wins, a
    /// non-zero extra delay replaces the earlier one, partition windows add up.
    pub fn add_device_link(
        &mut self,
        device: DeviceId,
        link: DeviceLink,
    ) -> Result<(), WorldError> {
        let dev = self.check(device)?;
        let name = self.devices[dev].name.clone();
        let mut parts = Vec::new();
        if link.loss_rate > 0.0 {
            parts.push(format!("loss rate {}", link.loss_rate));
        }
        if !link.extra_latency.is_zero() || !link.extra_jitter.is_zero() {
            parts.push(format!(
                "extra latency {:?} jitter {:?}",
                link.extra_latency, link.extra_jitter
            ));
        }
        for p in &link.partitions {
            parts.push(format!("partition from {:?} until {:?}", p.from, p.until));
        }
        self.transcript.note(
            self.now_ms,
            Lane::Link,
            EntryKind::Fault,
            format!("{name}: {}", parts.join(", ")),
        );
        let own = self.faults.devices.entry(dev).or_default();
        own.loss_rate = own.loss_rate.max(link.loss_rate);
        if !link.extra_latency.is_zero() || !link.extra_jitter.is_zero() {
            own.extra_latency = link.extra_latency;
            own.extra_jitter = link.extra_jitter;
        }
        own.partitions.extend(link.partitions);
        Ok(())
    }

    /// Removes every link fault of device `device`'s own link.
    pub fn clear_device_link(&mut self, device: DeviceId) -> Result<(), WorldError> {
        let dev = self.check(device)?;
        let name = self.devices[dev].name.clone();
        if self.faults.devices.remove(&dev).is_some() {
            self.transcript.note(
                self.now_ms,
                Lane::Link,
                EntryKind::Note,
                format!("fault off: {name}'s link"),
            );
        }
        Ok(())
    }

    /// Partitions the network from now for `duration`.
    pub fn partition_for(&mut self, duration: std::time::Duration) {
        let from = self.now();
        self.transcript.note(
            self.now_ms,
            Lane::Link,
            EntryKind::Fault,
            format!("partition for {duration:?}"),
        );
        self.faults.partitions.push(Partition {
            from,
            until: from + duration,
        });
    }

    /// Adds a forced service answer.
    pub fn add_service_fault(&mut self, fault: ServiceFault) {
        self.transcript.note(
            self.now_ms,
            Lane::Link,
            EntryKind::Fault,
            format!(
                "service {} to {}{} ({})",
                fault.answer,
                fault
                    .firing
                    .device
                    .and_then(|d| self.devices.get(d))
                    .map(|d| format!("{}'s ", d.name))
                    .unwrap_or_default(),
                fault.endpoint,
                fault.firing.describe("request")
            ),
        );
        self.faults.service.push(fault);
    }

    /// Removes the forced service answers that are the same rule as `fault` (see
    /// [`ServiceFault::same_rule`]).
    pub fn remove_service_fault(&mut self, fault: &ServiceFault) {
        self.transcript.note(
            self.now_ms,
            Lane::Link,
            EntryKind::Note,
            format!("fault off: service {} to {}", fault.answer, fault.endpoint),
        );
        self.faults.service.retain(|s| !s.same_rule(fault));
    }

    /// Makes every (D)TLS handshake fail (`on`), or removes every handshake fault.
    pub fn set_handshake_failure(&mut self, on: bool) {
        self.transcript.note(
            self.now_ms,
            Lane::Link,
            EntryKind::Fault,
            format!("handshake failure {}", if on { "on" } else { "off" }),
        );
        if on {
            self.faults.handshake.push(HandshakeFault::every());
        } else {
            self.faults.handshake.clear();
        }
    }

    /// Adds a handshake fault: from its `nth` handshake on, `times` handshakes fail (see
    /// [`HandshakeFault`]); handshakes are counted from now.
    pub fn add_handshake_fault(&mut self, fault: HandshakeFault) {
        self.transcript.note(
            self.now_ms,
            Lane::Link,
            EntryKind::Fault,
            format!("handshakes fail ({})", fault.firing.describe("handshake")),
        );
        self.faults.handshake.push(fault);
    }

    /// Removes the handshake faults that are the same rule as `fault` (see
    /// [`HandshakeFault::same_rule`]).
    pub fn remove_handshake_fault(&mut self, fault: &HandshakeFault) {
        self.transcript.note(
            self.now_ms,
            Lane::Link,
            EntryKind::Note,
            format!(
                "fault off: handshakes fail ({})",
                fault.firing.describe("handshake")
            ),
        );
        self.faults.handshake.retain(|h| !h.same_rule(fault));
    }

    /// Removes every link fault.
    pub fn clear_link_faults(&mut self) {
        self.transcript.note(
            self.now_ms,
            Lane::Link,
            EntryKind::Fault,
            "all link faults cleared",
        );
        self.faults = LinkFaults::default();
    }

    /// The device's modem fault rules.
    pub fn modem_faults(&mut self, device: DeviceId) -> Result<&mut Faults, WorldError> {
        let dev = self.check(device)?;
        Ok(self.devices[dev].modem.faults())
    }
}
