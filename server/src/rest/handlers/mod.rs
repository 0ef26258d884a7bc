//! The REST handlers, one module per resource, and the id parsing they share.

pub mod commands;
pub mod devices;
pub mod rules;
pub mod tags;
pub mod team;

use std::sync::Arc;

use crate::app::App;
use crate::domain::ids::MemberId;
use crate::domain::{CommandId, DeviceId, RuleId};

use super::error::ApiError;

/// The state every handler gets.
pub type AppState = Arc<App>;

/// A device id from the path; 400 when it is not a UUID.
pub fn device_id(text: &str) -> Result<DeviceId, ApiError> {
    DeviceId::parse(text)
        .map_err(|e| ApiError::bad_request(format!("invalid device id {text:?}: {e}")))
}

/// A command id from the path; 400 when it is not a UUID.
pub fn command_id(text: &str) -> Result<CommandId, ApiError> {
    CommandId::parse(text)
        .map_err(|e| ApiError::bad_request(format!("invalid command id {text:?}: {e}")))
}

/// A rule id from the path; 400 when it is not a UUID.
pub fn rule_id(text: &str) -> Result<RuleId, ApiError> {
    RuleId::parse(text).map_err(|e| ApiError::bad_request(format!("invalid rule id {text:?}: {e}")))
}

/// A member name from the path; 400 when it is not a valid name.
pub fn member_id(text: &str) -> Result<MemberId, ApiError> {
    MemberId::new(text).map_err(|e| ApiError::bad_request(format!("invalid member name: {e}")))
}
