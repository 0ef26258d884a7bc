//! `/v1/claimed-devices/{deviceId}/provisioning`: a device's command configuration and the
//! owner's actions on failed commands.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::{command_id, device_id, AppState};
use crate::app::ErrorBody;
use crate::domain::service::NewCommand;
use crate::rest::dto::commands::{CommandBody, Created, UpdateCommandBody};
use crate::rest::error::ApiError;
use crate::rest::extract::{ApiKey, JsonBody, PathParams, QueryParams};
use crate::rest::pagination::{paginate, Page, PageParams};

/// Appends a command to the device's configuration (at most 20): 201 with its id.
#[utoipa::path(
    post,
    path = "/v1/claimed-devices/{deviceId}/provisioning",
    tag = "provisioning commands",
    params(("deviceId" = String, Path, description = "The device UUID")),
    request_body = NewCommand,
    responses(
        (status = 201, description = "Added", body = Created),
        (status = 400, description = "Bad request object or unknown command type", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Not the caller's to edit", body = ErrorBody),
        (status = 404, description = "Not claimed", body = ErrorBody),
        (status = 409, description = "The configuration holds 20 commands", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn add(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams(id): PathParams<String>,
    JsonBody(command): JsonBody<NewCommand>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let device = device_id(&id)?;
    let id = app.mutate(|svc, now| svc.add_command(now, key.as_deref(), device, &command))?;
    Ok((StatusCode::CREATED, Json(Created { id: id.to_string() })))
}

/// Lists the device's commands in configuration order.
#[utoipa::path(
    get,
    path = "/v1/claimed-devices/{deviceId}/provisioning",
    tag = "provisioning commands",
    params(("deviceId" = String, Path, description = "The device UUID"), PageParams),
    responses(
        (status = 200, description = "A page of commands", body = Page<CommandBody>),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Not visible to the caller", body = ErrorBody),
        (status = 404, description = "Not claimed", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn list(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams(id): PathParams<String>,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Json<Page<CommandBody>>, ApiError> {
    let device = device_id(&id)?;
    let page = app.try_read(|svc, _| -> Result<_, ApiError> {
        let commands = svc.list_commands(key.as_deref(), device)?;
        paginate(commands.iter(), &page, CommandBody::from_domain)
    })??;
    Ok(Json(page))
}

/// Reads one command: its `status` and the device's `response`.
#[utoipa::path(
    get,
    path = "/v1/claimed-devices/{deviceId}/provisioning/{commandId}",
    tag = "provisioning commands",
    params(
        ("deviceId" = String, Path, description = "The device UUID"),
        ("commandId" = String, Path, description = "The command id"),
    ),
    responses(
        (status = 200, description = "The command", body = CommandBody),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Not visible to the caller", body = ErrorBody),
        (status = 404, description = "No such device or command", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn get(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams((device, command)): PathParams<(String, String)>,
) -> Result<Json<CommandBody>, ApiError> {
    let device = device_id(&device)?;
    let command = command_id(&command)?;
    let body = app.try_read(|svc, _| {
        svc.get_command(key.as_deref(), device, command)
            .map(CommandBody::from_domain)
    })??;
    Ok(Json(body))
}

/// Replaces the request of a `PENDING` or `FAILED` command (ours); it becomes `PENDING`.
#[utoipa::path(
    put,
    path = "/v1/claimed-devices/{deviceId}/provisioning/{commandId}",
    tag = "provisioning commands",
    params(
        ("deviceId" = String, Path, description = "The device UUID"),
        ("commandId" = String, Path, description = "The command id"),
    ),
    request_body = UpdateCommandBody,
    responses(
        (status = 204, description = "Updated"),
        (status = 400, description = "Bad request object", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Not the caller's to edit", body = ErrorBody),
        (status = 404, description = "No such device or command", body = ErrorBody),
        (status = 409, description = "The command is in progress or final", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn update(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams((device, command)): PathParams<(String, String)>,
    JsonBody(body): JsonBody<UpdateCommandBody>,
) -> Result<StatusCode, ApiError> {
    let device = device_id(&device)?;
    let command = command_id(&command)?;
    let request = body.request;
    app.mutate(|svc, now| {
        svc.update_command(
            now,
            key.as_deref(),
            device,
            command,
            &request,
            body.description.as_deref(),
        )
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// Retries a `FAILED` command (ours): `PENDING` again, the device `READY`.
#[utoipa::path(
    post,
    path = "/v1/claimed-devices/{deviceId}/provisioning/{commandId}/retry",
    tag = "provisioning commands",
    params(
        ("deviceId" = String, Path, description = "The device UUID"),
        ("commandId" = String, Path, description = "The command id"),
    ),
    responses(
        (status = 204, description = "Retried"),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Not the caller's to edit", body = ErrorBody),
        (status = 404, description = "No such device or command", body = ErrorBody),
        (status = 409, description = "The command has not failed", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn retry(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams((device, command)): PathParams<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let device = device_id(&device)?;
    let command = command_id(&command)?;
    app.mutate(|svc, now| svc.retry_command(now, key.as_deref(), device, command))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Skips a `FAILED` command (ours): `SKIPPED`, the device `READY`.
#[utoipa::path(
    post,
    path = "/v1/claimed-devices/{deviceId}/provisioning/{commandId}/skip",
    tag = "provisioning commands",
    params(
        ("deviceId" = String, Path, description = "The device UUID"),
        ("commandId" = String, Path, description = "The command id"),
    ),
    responses(
        (status = 204, description = "Skipped"),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Not the caller's to edit", body = ErrorBody),
        (status = 404, description = "No such device or command", body = ErrorBody),
        (status = 409, description = "The command has not failed", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn skip(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams((device, command)): PathParams<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let device = device_id(&device)?;
    let command = command_id(&command)?;
    app.mutate(|svc, now| svc.skip_command(now, key.as_deref(), device, command))?;
    Ok(StatusCode::NO_CONTENT)
}
