//! What the lab service shows of a device: claimed or not, its status and every command's
//! status (the REST API's and the harness's vocabulary are one), read over REST with the
//! operator's key.

use provlab_harness::observation::DeviceObservation;
use provlab_harness::BackendError;
use provlab_server::api_client::ApiError;

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
    seen.status = Some(body.status);
    seen.commands = api
        .commands(id)
        .map_err(|e| BackendError::failed_by(format!("reading `{device}`'s commands"), e))?
        .into_iter()
        .map(|c| c.status)
        .collect();
    Ok(seen)
}
