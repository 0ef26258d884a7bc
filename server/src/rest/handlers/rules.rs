//! `/v1/provisioning-rules`: rules that append commands to tagged devices.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::{rule_id, AppState};
use crate::app::ErrorBody;
use crate::domain::rules::RuleSpec;
use crate::domain::{Outcome, RuleId, Service};
use crate::rest::dto::rules::RuleBody;
use crate::rest::error::ApiError;
use crate::rest::extract::{ApiKey, JsonBody, PathParams, QueryParams};
use crate::rest::pagination::{paginate, Page, PageParams};

/// The API view of `rule` after a mutation (an internal error if it vanished).
fn rule_body(svc: &Service, rule: RuleId) -> Result<RuleBody, crate::domain::Error> {
    svc.state()
        .rules
        .get(&rule)
        .map(RuleBody::from_domain)
        .ok_or_else(|| crate::domain::Error::Internal(format!("rule {rule} is missing")))
}

/// Lists the rules in `createdAt` order (editors, admins, owners).
#[utoipa::path(
    get,
    path = "/v1/provisioning-rules",
    tag = "provisioning rules",
    params(PageParams),
    responses(
        (status = 200, description = "A page of rules", body = Page<RuleBody>),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Viewers may not list rules", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn list(
    State(app): State<AppState>,
    key: ApiKey,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Json<Page<RuleBody>>, ApiError> {
    let page = app.try_read(|svc, _| -> Result<_, ApiError> {
        let rules = svc.list_rules(key.as_deref())?;
        paginate(rules.into_iter(), &page, RuleBody::from_domain)
    })??;
    Ok(Json(page))
}

/// Creates a rule (admins and owners): `DRAFT` unless `active` (201).
#[utoipa::path(
    post,
    path = "/v1/provisioning-rules",
    tag = "provisioning rules",
    request_body = RuleSpec,
    responses(
        (status = 201, description = "Created", body = RuleBody),
        (status = 400, description = "Bad rule (descriptions at most 1024 characters, at most 32 tags)", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Only admins and owners manage rules", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn create(
    State(app): State<AppState>,
    key: ApiKey,
    JsonBody(spec): JsonBody<RuleSpec>,
) -> Result<(StatusCode, Json<RuleBody>), ApiError> {
    let rule = app.mutate(|svc, now| {
        let out = svc.create_rule(now, key.as_deref(), &spec)?;
        Ok(Outcome {
            value: rule_body(svc, out.value)?,
            events: out.events,
        })
    })?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// Reads one rule.
#[utoipa::path(
    get,
    path = "/v1/provisioning-rules/{ruleId}",
    tag = "provisioning rules",
    params(("ruleId" = String, Path, description = "The rule id")),
    responses(
        (status = 200, description = "The rule", body = RuleBody),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Viewers may not read rules", body = ErrorBody),
        (status = 404, description = "No such rule", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn get(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams(id): PathParams<String>,
) -> Result<Json<RuleBody>, ApiError> {
    let rule = rule_id(&id)?;
    let body = app.try_read(|svc, _| {
        svc.get_rule(key.as_deref(), rule)
            .map(RuleBody::from_domain)
    })??;
    Ok(Json(body))
}

/// Replaces a draft rule's content; `active` activates it after the edit. 409 once active.
#[utoipa::path(
    put,
    path = "/v1/provisioning-rules/{ruleId}",
    tag = "provisioning rules",
    params(("ruleId" = String, Path, description = "The rule id")),
    request_body = RuleSpec,
    responses(
        (status = 200, description = "Updated", body = RuleBody),
        (status = 400, description = "Bad rule (descriptions at most 1024 characters, at most 32 tags)", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Only admins and owners manage rules", body = ErrorBody),
        (status = 404, description = "No such rule", body = ErrorBody),
        (status = 409, description = "The rule is active, or new tags would pass the team's 1000 tag definitions", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn update(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams(id): PathParams<String>,
    JsonBody(spec): JsonBody<RuleSpec>,
) -> Result<Json<RuleBody>, ApiError> {
    let rule = rule_id(&id)?;
    let body = app.mutate(|svc, now| {
        let out = svc.update_rule(now, key.as_deref(), rule, &spec)?;
        Ok(Outcome {
            value: rule_body(svc, rule)?,
            events: out.events,
        })
    })?;
    Ok(Json(body))
}

/// Activates a draft rule (idempotent).
#[utoipa::path(
    post,
    path = "/v1/provisioning-rules/{ruleId}/activate",
    tag = "provisioning rules",
    params(("ruleId" = String, Path, description = "The rule id")),
    responses(
        (status = 200, description = "Active", body = RuleBody),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Only admins and owners manage rules", body = ErrorBody),
        (status = 404, description = "No such rule", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn activate(
    State(app): State<AppState>,
    key: ApiKey,
    PathParams(id): PathParams<String>,
) -> Result<Json<RuleBody>, ApiError> {
    let rule = rule_id(&id)?;
    let body = app.mutate(|svc, now| {
        let out = svc.activate_rule(now, key.as_deref(), rule)?;
        Ok(Outcome {
            value: rule_body(svc, rule)?,
            events: out.events,
        })
    })?;
    Ok(Json(body))
}
