//! Observation APIs: statuses at the service, the client's events, the modem's NVM, the
//! records exchanged, the persisted settings.

use std::collections::BTreeMap;
use std::time::Duration;

use provlab_client::{AttestationToken, Client, Event};
use provlab_server::domain::commands::{CommandEntry, CommandStatus};
use provlab_server::domain::status::ShownStatus;

use super::device::{DeviceId, ExchangeLog, Exchanged};
use super::World;
use crate::modem::credentials::{
    TYPE_CLIENT_CERT, TYPE_CLIENT_KEY, TYPE_ENDORSEMENT_KEY, TYPE_IDENTITY_PUBLIC_KEY, TYPE_PSK,
    TYPE_PSK_IDENTITY, TYPE_PUBLIC_KEY, TYPE_ROOT_CA,
};
use crate::modem::Modem;

/// The scenario spelling of a `%CMNG` credential type.
pub fn credential_type_name(cred_type: u8) -> &'static str {
    match cred_type {
        TYPE_ROOT_CA => "root_ca",
        TYPE_CLIENT_CERT => "client_cert",
        TYPE_CLIENT_KEY => "private_key",
        TYPE_PSK => "psk",
        TYPE_PSK_IDENTITY => "psk_identity",
        TYPE_PUBLIC_KEY => "public_key",
        TYPE_IDENTITY_PUBLIC_KEY => "identity_public_key",
        TYPE_ENDORSEMENT_KEY => "endorsement_key",
        _ => "other",
    }
}

impl World {
    /// The device's status as the REST API shows it; `None` if not claimed (or no such
    /// device).
    pub fn device_status(&self, device: DeviceId) -> Option<ShownStatus> {
        let id = self.service_device_id(device).ok()?;
        self.host
            .service
            .state()
            .devices
            .get(&id)
            .map(|d| d.shown_status())
    }

    /// The device's commands at the service, in configuration order (empty if unclaimed).
    pub fn commands(&self, device: DeviceId) -> Vec<CommandEntry> {
        let Ok(id) = self.service_device_id(device) else {
            return Vec::new();
        };
        self.host
            .service
            .state()
            .devices
            .get(&id)
            .map(|d| d.commands.clone())
            .unwrap_or_default()
    }

    /// The statuses of the device's commands, in configuration order.
    pub fn command_statuses(&self, device: DeviceId) -> Vec<CommandStatus> {
        self.commands(device).iter().map(|c| c.status).collect()
    }

    /// Every event the device's clients emitted (across reboots), with virtual times.
    pub fn timed_events(&self, device: DeviceId) -> Vec<(Duration, Event)> {
        self.devices
            .get(device.0)
            .map(|d| {
                d.events
                    .iter()
                    .map(|(t, e)| (Duration::from_millis(*t), e.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every event the device's clients emitted, in order.
    pub fn events(&self, device: DeviceId) -> Vec<Event> {
        self.timed_events(device)
            .into_iter()
            .map(|(_, e)| e)
            .collect()
    }

    /// The attempt events by SDK name, without `SCHEDULED_PROVISIONING` (the sequence a
    /// scenario's `events` expectation lists).
    pub fn event_names(&self, device: DeviceId) -> Vec<&'static str> {
        self.events(device)
            .iter()
            .filter(|e| !matches!(e, Event::ScheduledProvisioning { .. }))
            .map(Event::name)
            .collect()
    }

    /// The attestation token of the latest `FAILED_DEVICE_NOT_CLAIMED` event.
    pub fn not_claimed_token(&self, device: DeviceId) -> Option<&AttestationToken> {
        self.devices.get(device.0).and_then(|d| d.token.as_ref())
    }

    /// The modem's credentials (as persisted in NVM): `(sec_tag, type name)` in
    /// `(tag, type)` order.
    pub fn credentials(&self, device: DeviceId) -> Vec<(u32, &'static str)> {
        self.devices
            .get(device.0)
            .map(|d| {
                d.modem
                    .credentials()
                    .iter()
                    .map(|(k, _)| (k.sec_tag, credential_type_name(k.cred_type)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The records that crossed the link for the device, decoded, in order.
    pub fn records(&self, device: DeviceId) -> &[Exchanged] {
        self.devices
            .get(device.0)
            .map(|d| d.records.as_slice())
            .unwrap_or_default()
    }

    /// The fetches, reports and authentications the service answered for the device, in
    /// order.
    pub fn exchange_log(&self, device: DeviceId) -> &[ExchangeLog] {
        self.devices
            .get(device.0)
            .map(|d| d.exchanges.as_slice())
            .unwrap_or_default()
    }

    /// The settings persisted on the device's flash.
    pub fn settings(&self, device: DeviceId) -> BTreeMap<String, Vec<u8>> {
        self.devices
            .get(device.0)
            .map(|d| d.load_settings())
            .unwrap_or_default()
    }

    /// The device's modem.
    pub fn modem(&self, device: DeviceId) -> Option<&Modem> {
        self.devices.get(device.0).map(|d| &d.modem)
    }

    /// The device's modem, e.g. to add fault rules.
    pub fn modem_mut(&mut self, device: DeviceId) -> Option<&mut Modem> {
        self.devices.get_mut(device.0).map(|d| &mut d.modem)
    }

    /// The device's running client (`None` while powered off).
    pub fn client(&self, device: DeviceId) -> Option<&Client> {
        self.devices.get(device.0).and_then(|d| d.client.as_ref())
    }

    /// Whether the device's client is between START and STOP.
    pub fn attempt_running(&self, device: DeviceId) -> bool {
        self.client(device).is_some_and(Client::is_attempt_running)
    }

    /// The device's name.
    pub fn device_name(&self, device: DeviceId) -> Option<&str> {
        self.devices.get(device.0).map(|d| d.name.as_str())
    }

    /// How many devices the world holds.
    pub fn device_count(&self) -> usize {
        self.devices.len()
    }
}
