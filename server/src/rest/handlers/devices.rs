//! `/v1/claimed-devices`: claiming (single, dry run, bulk CSV), listing, reading, unclaiming,
//! tags, block and unblock.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{device_id, AppState};
use crate::app::ErrorBody;
use crate::domain::registry::Verification;
use crate::domain::Outcome;
use crate::rest::dto::devices::{
    split_tags, BulkClaimBody, ClaimBody, DeviceBody, DryRunBody, SetTagsBody,
};
use crate::rest::error::ApiError;
use crate::rest::extract::{
    check_json_content_type, parse_json, ApiKey, JsonBody, PathParams, QueryParams, RawBody,
};
use crate::rest::pagination::{paginate, Page, PageParams};

/// Query of `POST /v1/claimed-devices`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClaimQuery {
    /// `true`: only check that the token could be claimed (202), change nothing.
    #[serde(default, alias = "dryRun")]
    pub dryrun: Option<String>,
}

impl ClaimQuery {
    fn dry_run(&self) -> Result<bool, ApiError> {
        match self.dryrun.as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(ApiError::bad_request(format!(
                "dryrun must be true or false, got {other:?}"
            ))),
        }
    }
}

/// Whether the body is a bulk-claim CSV: `Content-Type: text/csv`, or the `contentType:
/// text/csv` header nRF Cloud's `claim_devices` sends instead.
fn is_csv(headers: &HeaderMap) -> bool {
    let csv = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|v| v == "text/csv")
    };
    csv(header::CONTENT_TYPE.as_str()) || csv("contenttype")
}

/// Claims a device (201), checks a token (`?dryrun=true`, 202) or claims a CSV of tokens
/// (`text/csv`, 200 with `claimedIds` and `failed`; with `?dryrun=true` the same report,
/// nothing claimed).
#[utoipa::path(
    post,
    path = "/v1/claimed-devices",
    tag = "claimed devices",
    params(ClaimQuery),
    request_body(
        description = "JSON `{claimToken, tags}`, or `text/csv` rows `\"<token>\",\"<tag>,<tag>\"` for a bulk claim",
        content(
            (ClaimBody = "application/json"),
            (String = "text/csv"),
        ),
    ),
    responses(
        (status = 201, description = "Claimed", body = DeviceBody),
        (status = 202, description = "Dry run: the token could be claimed", body = DryRunBody),
        (status = 200, description = "Bulk claim report", body = BulkClaimBody),
        (status = 400, description = "Unreadable token, bad tags (at most 32) or bad body", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Viewers may not claim", body = ErrorBody),
        (status = 409, description = "Already claimed, or new tags would pass the team's 1000 tag definitions", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Neither JSON nor CSV", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn claim(
    State(app): State<AppState>,
    key: ApiKey,
    QueryParams(query): QueryParams<ClaimQuery>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let dry_run = query.dry_run()?;
    if is_csv(&headers) {
        let csv = std::str::from_utf8(&body)
            .map_err(|_| ApiError::bad_request("the CSV body is not UTF-8"))?;
        if dry_run {
            // The same report on a copy of the service: nothing is claimed or stored.
            let report = app.try_read(|svc, now| {
                svc.clone()
                    .claim_bulk_csv(now, key.as_deref(), csv)
                    .map(|out| out.value)
            })??;
            return Ok((StatusCode::OK, Json(BulkClaimBody::from(report))).into_response());
        }
        let report = app.mutate(|svc, now| svc.claim_bulk_csv(now, key.as_deref(), csv))?;
        return Ok((StatusCode::OK, Json(BulkClaimBody::from(report))).into_response());
    }
    check_json_content_type(&headers)?;
    let request: ClaimBody = parse_json(&body)?;
    let tags = split_tags(request.tags.as_deref().unwrap_or_default())?;
    if dry_run {
        let check =
            app.try_read(|svc, _| svc.claim_dry_run(key.as_deref(), &request.claim_token, &tags))??;
        if check.verification != Verification::Verified {
            tracing::warn!(
                device = %check.device,
                verification = ?check.verification,
                "dry-run claim: attestation token accepted UNVERIFIED"
            );
        }
        return Ok((StatusCode::ACCEPTED, Json(DryRunBody::from(check))).into_response());
    }
    let device = app.mutate(|svc, now| {
        let out = svc.claim(now, key.as_deref(), &request.claim_token, &tags)?;
        let body = svc
            .state()
            .devices
            .get(&out.value.device)
            .map(DeviceBody::from_domain);
        Ok(Outcome {
            value: body,
            events: out.events,
        })
    })?;
    let device = device.ok_or_else(|| {
        ApiError::from(crate::domain::Error::Internal(
            "the claimed device is missing".into(),
        ))
    })?;
    Ok((StatusCode::CREATED, Json(device)).into_response())
}

/// Lists the claimed devices the caller may see, by id.
#[utoipa::path(
    get,
    path = "/v1/claimed-devices",
    tag = "claimed devices",
    params(PageParams),
    responses(
        (status = 200, description = "A page of devices", body = Page<DeviceBody>),
        (status = 400, description = "Bad paging parameters", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn list(
    State(app): State<AppState>,
    key: ApiKey,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Json<Page<DeviceBody>>, ApiError> {
    let page = app.try_read(|svc, _| -> Result<_, ApiError> {
        let devices = svc.list_devices(key.as_deref())?;
        paginate(devices.into_iter(), &page, DeviceBody::from_domain)
    })??;
    Ok(Json(page))
}

/// Reads one claimed device.
#[utoipa::path(
    get,
    path = "/v1/claimed-devices/{deviceId}",
    tag = "claimed devices",
    params(("deviceId" = String, Path, description = "The device UUID")),
    responses(
        (status = 200, description = "The device", body = DeviceBody),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Not visible to the caller", body = ErrorBody),
        (status = 404, description = "Not claimed", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn get(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams(id): PathParams<String>,
) -> Result<Json<DeviceBody>, ApiError> {
    let device = device_id(&id)?;
    let body = app.try_read(|svc, _| {
        svc.get_device(key.as_deref(), device)
            .map(DeviceBody::from_domain)
    })??;
    Ok(Json(body))
}

/// Unclaims a device: its configuration and history are dropped (204).
#[utoipa::path(
    delete,
    path = "/v1/claimed-devices/{deviceId}",
    tag = "claimed devices",
    params(("deviceId" = String, Path, description = "The device UUID")),
    responses(
        (status = 204, description = "Unclaimed"),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Not the caller's to unclaim", body = ErrorBody),
        (status = 404, description = "Not claimed", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn unclaim(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    let device = device_id(&id)?;
    app.mutate(|svc, now| svc.unclaim(now, key.as_deref(), device))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces a device's provisioning tags (ours).
#[utoipa::path(
    put,
    path = "/v1/claimed-devices/{deviceId}/tags",
    tag = "claimed devices",
    params(("deviceId" = String, Path, description = "The device UUID")),
    request_body = SetTagsBody,
    responses(
        (status = 204, description = "Tags replaced"),
        (status = 400, description = "Bad tags (at most 32)", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Not the caller's to edit", body = ErrorBody),
        (status = 404, description = "Not claimed", body = ErrorBody),
        (status = 409, description = "New tags would pass the team's 1000 tag definitions", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn set_tags(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<SetTagsBody>,
) -> Result<StatusCode, ApiError> {
    let device = device_id(&id)?;
    let tags = split_tags(&body.tags)?;
    app.mutate(|svc, now| svc.set_device_tags(now, key.as_deref(), device, &tags))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Blocks a device: it gets no commands until unblocked (ours; idempotent).
#[utoipa::path(
    post,
    path = "/v1/claimed-devices/{deviceId}/block",
    tag = "claimed devices",
    params(("deviceId" = String, Path, description = "The device UUID")),
    responses(
        (status = 204, description = "Blocked"),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Not the caller's to block", body = ErrorBody),
        (status = 404, description = "Not claimed", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn block(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    let device = device_id(&id)?;
    app.mutate(|svc, now| svc.block(now, key.as_deref(), device))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unblocks a device (ours; idempotent).
#[utoipa::path(
    post,
    path = "/v1/claimed-devices/{deviceId}/unblock",
    tag = "claimed devices",
    params(("deviceId" = String, Path, description = "The device UUID")),
    responses(
        (status = 204, description = "Unblocked"),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Not the caller's to unblock", body = ErrorBody),
        (status = 404, description = "Not claimed", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn unblock(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    let device = device_id(&id)?;
    app.mutate(|svc, now| svc.unblock(now, key.as_deref(), device))?;
    Ok(StatusCode::NO_CONTENT)
}
