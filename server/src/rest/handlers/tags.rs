//! `/v1/provisioning/tags`: provisioning tags (groups).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::AppState;
use crate::app::ErrorBody;
use crate::domain::Outcome;
use crate::rest::dto::tags::{NewTagBody, TagBody};
use crate::rest::error::ApiError;
use crate::rest::extract::{ApiKey, JsonBody, QueryParams};
use crate::rest::pagination::{paginate, Page, PageParams};

/// Lists the provisioning tags, by name.
#[utoipa::path(
    get,
    path = "/v1/provisioning/tags",
    tag = "provisioning tags",
    params(PageParams),
    responses(
        (status = 200, description = "A page of tags", body = Page<TagBody>),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn list(
    State(app): State<AppState>,
    key: ApiKey,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Json<Page<TagBody>>, ApiError> {
    let page = app.try_read(|svc, _| -> Result<_, ApiError> {
        let tags = svc.list_tags(key.as_deref())?;
        paginate(tags.into_iter(), &page, TagBody::from_domain)
    })??;
    Ok(Json(page))
}

/// Creates a provisioning tag (201); 409 when it exists.
#[utoipa::path(
    post,
    path = "/v1/provisioning/tags",
    tag = "provisioning tags",
    request_body = NewTagBody,
    responses(
        (status = 201, description = "Created", body = TagBody),
        (status = 400, description = "Bad tag, or a description over 1024 characters", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 403, description = "Viewers may not create tags", body = ErrorBody),
        (status = 409, description = "The tag exists, or the team holds 1000 tag definitions", body = ErrorBody),
    ),
    security(("apiKey" = []))
)]
pub async fn create(
    State(app): State<AppState>,
    key: ApiKey,
    JsonBody(body): JsonBody<NewTagBody>,
) -> Result<(StatusCode, Json<TagBody>), ApiError> {
    let tag = app.mutate(|svc, now| {
        let out = svc.create_tag(now, key.as_deref(), &body.tag, &body.description)?;
        let tag = svc.state().tags.get(&body.tag).map(TagBody::from_domain);
        Ok(Outcome {
            value: tag,
            events: out.events,
        })
    })?;
    let tag = tag.ok_or_else(|| {
        ApiError::from(crate::domain::Error::Internal(
            "the created tag is missing".into(),
        ))
    })?;
    Ok((StatusCode::CREATED, Json(tag)))
}
