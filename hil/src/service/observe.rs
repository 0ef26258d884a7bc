//! What the lab service shows of a device, in the harness's vocabulary: claimed or not, its
//! status and every command's status, read over REST with the operator's key.

use provlab_harness::observation::DeviceObservation;
use provlab_harness::scenario::{CommandStatus, DeviceStatus};
use provlab_harness::BackendError;
use provlab_server::api_client::ApiError;
use provlab_server::rest::dto::commands::CommandStatusBody;
use provlab_server::rest::dto::devices::DeviceStatusBody;

use super::LabService;

/// The service's view of `device` (events, NVM and exchanges are the console's and left
/// empty here).
pub fn device(service: &LabService, device: &str) -> Result<DeviceObservation, BackendError> {
    let mut seen = DeviceObservation::default();
    let Some(id) = service.device_id(device) else {
        return Ok(seen);
    };
    let api = service.operator();
    let body = match api.device(id) {
        Ok(body) => body,
        Err(ApiError::Refused { status: 404, .. }) => return Ok(seen),
        Err(e) => return Err(BackendError::failed_by(format!("reading `{device}`"), e)),
    };
    seen.claimed = true;
    seen.status = Some(device_status(body.status));
    seen.commands = api
        .commands(id)
        .map_err(|e| BackendError::failed_by(format!("reading `{device}`'s commands"), e))?
        .into_iter()
        .map(|c| command_status(c.status))
        .collect();
    Ok(seen)
}

/// A REST device status in the harness's terms.
pub fn device_status(status: DeviceStatusBody) -> DeviceStatus {
    match status {
        DeviceStatusBody::Ready => DeviceStatus::Ready,
        DeviceStatusBody::Provisioning => DeviceStatus::Provisioning,
        DeviceStatusBody::Awaiting => DeviceStatus::Awaiting,
        DeviceStatusBody::Provisioned => DeviceStatus::Provisioned,
        DeviceStatusBody::Error => DeviceStatus::Error,
        DeviceStatusBody::Blocked => DeviceStatus::Blocked,
    }
}

/// A REST command status in the harness's terms.
pub fn command_status(status: CommandStatusBody) -> CommandStatus {
    match status {
        CommandStatusBody::Pending => CommandStatus::Pending,
        CommandStatusBody::InProgress => CommandStatus::InProgress,
        CommandStatusBody::Succeeded => CommandStatus::Succeeded,
        CommandStatusBody::Failed => CommandStatus::Failed,
        CommandStatusBody::Skipped => CommandStatus::Skipped,
    }
}
