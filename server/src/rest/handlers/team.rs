//! `/v1/team`: members and API keys (ours; what `provlab team` drives).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::{member_id, AppState};
use crate::app::{AppError, ErrorBody};
use crate::domain::members::KeyHash;
use crate::domain::Outcome;
use crate::rest::dto::team::{
    ApiKeyCreated, ChangeRoleBody, MemberBody, NewMemberBody, NewMemberCreated,
};
use crate::rest::error::ApiError;
use crate::rest::extract::{ApiKey, JsonBody, PathParams, QueryParams};
use crate::rest::pagination::{paginate, Page, PageParams};

/// Random bytes for a new key, drawn from the OS (503 if the OS cannot give them).
fn key_material() -> Result<crate::domain::members::KeyMaterial, ApiError> {
    crate::entropy::key_material().map_err(|e| ApiError::from(AppError::Unavailable(e.to_string())))
}

/// The calling member (any role).
#[utoipa::path(
    get,
    path = "/v1/team/me",
    tag = "team",
    responses(
        (status = 200, description = "The caller", body = MemberBody),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn me(State(app): State<AppState>, key: ApiKey) -> Result<Json<MemberBody>, ApiError> {
    let body = app.try_read(|svc, _| {
        let caller = svc.authenticate(key.as_deref())?;
        svc.state()
            .members
            .get(&caller.member)
            .map(MemberBody::from_domain)
            .ok_or_else(|| crate::domain::Error::unauthorized("unknown API key"))
    })??;
    Ok(Json(body))
}

/// Lists the team's members (admins and owners).
#[utoipa::path(
    get,
    path = "/v1/team/members",
    tag = "team",
    params(PageParams),
    responses(
        (status = 200, description = "A page of members", body = Page<MemberBody>),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Only admins and owners list members", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn list(
    State(app): State<AppState>,
    key: ApiKey,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Json<Page<MemberBody>>, ApiError> {
    let page = app.try_read(|svc, _| -> Result<_, ApiError> {
        let members = svc.list_members(key.as_deref())?;
        paginate(members.into_iter(), &page, MemberBody::from_domain)
    })??;
    Ok(Json(page))
}

/// Adds a member with a generated API key, shown once (admins; owners for owners).
#[utoipa::path(
    post,
    path = "/v1/team/members",
    tag = "team",
    request_body = NewMemberBody,
    responses(
        (status = 201, description = "Added", body = NewMemberCreated),
        (status = 400, description = "Bad name or role", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "The caller may not add this role", body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn add(
    State(app): State<AppState>,
    key: ApiKey,
    JsonBody(body): JsonBody<NewMemberBody>,
) -> Result<(StatusCode, Json<NewMemberCreated>), ApiError> {
    let role = body.role;
    let material = key_material()?;
    let api_key =
        app.mutate(|svc, now| svc.add_member(now, key.as_deref(), &body.name, role, &material))?;
    let key_id = KeyHash::of(&api_key).key_id().to_owned();
    Ok((
        StatusCode::CREATED,
        Json(NewMemberCreated {
            name: body.name,
            role: body.role,
            api_key,
            key_id,
        }),
    ))
}

/// Changes a member's role; the team keeps an owner.
#[utoipa::path(
    put,
    path = "/v1/team/members/{name}",
    tag = "team",
    params(("name" = String, Path, description = "The member's name")),
    request_body = ChangeRoleBody,
    responses(
        (status = 204, description = "Changed"),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "The caller may not manage this member", body = ErrorBody),
        (status = 404, description = "No such member", body = ErrorBody),
        (status = 409, description = "It would leave the team without an owner holding a key", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn change_role(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams(name): PathParams<String>,
    JsonBody(body): JsonBody<ChangeRoleBody>,
) -> Result<StatusCode, ApiError> {
    let member = member_id(&name)?;
    app.mutate(|svc, now| svc.change_role(now, key.as_deref(), &member, body.role))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member and their keys; the team keeps an owner.
#[utoipa::path(
    delete,
    path = "/v1/team/members/{name}",
    tag = "team",
    params(("name" = String, Path, description = "The member's name")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "The caller may not manage this member", body = ErrorBody),
        (status = 404, description = "No such member", body = ErrorBody),
        (status = 409, description = "It would leave the team without an owner holding a key", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn remove(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams(name): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    let member = member_id(&name)?;
    app.mutate(|svc, now| svc.remove_member(now, key.as_deref(), &member))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issues a new API key to a member (oneself: any role), shown once.
#[utoipa::path(
    post,
    path = "/v1/team/members/{name}/api-keys",
    tag = "team",
    params(("name" = String, Path, description = "The member's name")),
    responses(
        (status = 201, description = "Issued", body = ApiKeyCreated),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "The caller may not manage this member", body = ErrorBody),
        (status = 404, description = "No such member", body = ErrorBody),
        (status = 409, description = "The member already holds 10 keys (revoke one first)", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn issue_key(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams(name): PathParams<String>,
) -> Result<(StatusCode, Json<ApiKeyCreated>), ApiError> {
    let member = member_id(&name)?;
    let material = key_material()?;
    let api_key =
        app.mutate(|svc, now| svc.issue_api_key(now, key.as_deref(), &member, &material))?;
    Ok((StatusCode::CREATED, Json(ApiKeyCreated::new(api_key))))
}

/// Revokes one of a member's API keys by its `keyId`.
#[utoipa::path(
    delete,
    path = "/v1/team/members/{name}/api-keys/{keyId}",
    tag = "team",
    params(
        ("name" = String, Path, description = "The member's name"),
        ("keyId" = String, Path, description = "The key's handle"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "The caller may not manage this member", body = ErrorBody),
        (status = 404, description = "No such member or key", body = ErrorBody),
        (status = 409, description = "It is the team's last owner key", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn revoke_key(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams((name, key_id)): PathParams<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let member = member_id(&name)?;
    app.mutate(|svc, now| {
        let out = svc.revoke_api_key(now, key.as_deref(), &member, &key_id)?;
        Ok(Outcome {
            value: (),
            events: out.events,
        })
    })?;
    Ok(StatusCode::NO_CONTENT)
}
