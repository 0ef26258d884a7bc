//! The lab service's side of the timeline: what it did for the devices (batches delivered,
//! results recorded, commands rejected, rules applied), read from its event log, as lines
//! on the service lane. Owner calls are already there as the REST calls that caused them.

use std::collections::BTreeMap;

use provlab_server::domain::Event;

/// The line for `event`, naming devices as the scenario does (`ids`: service id → name);
/// `None` for events an owner call caused.
pub fn describe(event: &Event, ids: &BTreeMap<String, String>) -> Option<String> {
    let name = |device: &dyn std::fmt::Display| {
        let id = device.to_string();
        ids.get(&id).cloned().unwrap_or(id)
    };
    match event {
        Event::RecordsDelivered {
            device,
            after,
            records,
            ..
        } => Some(format!(
            "delivered {} record(s) to {} (after `{after}`)",
            records.len(),
            name(device)
        )),
        Event::ResultRecorded {
            device, command, ..
        } => Some(format!(
            "recorded a result from {} for command {command}",
            name(device)
        )),
        Event::CommandRejected {
            device,
            command,
            reason,
            ..
        } => Some(format!(
            "rejected command {command} of {}: {reason}",
            name(device)
        )),
        Event::RuleApplied {
            device,
            rule,
            commands,
            ..
        } => Some(format!(
            "applied rule {rule} to {} ({} command(s))",
            name(device),
            commands.len()
        )),
        _ => None,
    }
}

/// The id of the device an event the transcript shows concerns.
pub fn device(event: &Event) -> Option<String> {
    match event {
        Event::RecordsDelivered { device, .. }
        | Event::ResultRecorded { device, .. }
        | Event::CommandRejected { device, .. }
        | Event::RuleApplied { device, .. } => Some(device.to_string()),
        _ => None,
    }
}
