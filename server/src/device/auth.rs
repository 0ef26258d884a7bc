//! Device JWT authentication for both transports, with the log line every unverified
//! acceptance deserves.

use crate::app::{App, AppError};
use crate::domain::registry::Verification;
use crate::domain::service::DeviceAuth;

/// Authenticates a device's JWT (`None` when the request carried none) at the app's `now`.
///
/// Missing, malformed, badly signed or expired tokens and devices unknown to the factory
/// registry are [`crate::domain::Error::Unauthorized`]; a valid token of an unclaimed
/// device is [`crate::domain::Error::NotClaimed`]. A token accepted without a signature
/// check (no registry, or the device is marked `jwt = "unverified"`) is logged at `warn`
/// with the device id, every time. `transport` names the endpoint for the log.
pub fn authenticate(
    app: &App,
    token: Option<&str>,
    transport: &'static str,
) -> Result<DeviceAuth, AppError> {
    let auth = app.try_read(|service, now| service.authenticate_jwt(now, token))??;
    log_verification(&auth, transport);
    Ok(auth)
}

/// Logs an acceptance without a signature check; silent for a verified one.
pub fn log_verification(auth: &DeviceAuth, transport: &'static str) {
    match auth.verification {
        Verification::Verified => {}
        Verification::UnverifiedNoRegistry => tracing::warn!(
            device = %auth.device,
            transport,
            "device JWT accepted UNVERIFIED: no factory registry is configured"
        ),
        Verification::UnverifiedExempt => tracing::warn!(
            device = %auth.device,
            transport,
            "device JWT accepted UNVERIFIED: the device is marked jwt = \"unverified\""
        ),
    }
}
