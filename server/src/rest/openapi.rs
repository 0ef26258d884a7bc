//! The OpenAPI 3 document, generated from the handlers' `#[utoipa::path]` annotations and the
//! DTOs' `ToSchema` derives, served at `GET /v1/openapi.json`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::handlers::{commands, devices, rules, tags, team};

/// The REST API's OpenAPI description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "provlab fake nRF Cloud Provisioning Service",
        description = "The REST API of `provlab serve`: nRF Cloud Provisioning Service endpoints used by Nordic's host tools, plus lab extensions (block, retry/skip/update, team). Authenticate with `Authorization: Bearer <api key>`. Errors are `{\"message\": ...}`. Limits: a team holds at most 1000 tag definitions (409 past it; tags also come into being when first used), a device or rule at most 32 tags (400), a member at most 10 API keys (409), a description at most 1024 characters (400), a configuration at most 20 commands (409); the team's last owner key cannot be revoked (409).",
    ),
    paths(
        devices::claim,
        devices::list,
        devices::get,
        devices::unclaim,
        devices::set_tags,
        devices::block,
        devices::unblock,
        commands::add,
        commands::list,
        commands::get,
        commands::update,
        commands::retry,
        commands::skip,
        tags::list,
        tags::create,
        rules::list,
        rules::create,
        rules::get,
        rules::update,
        rules::activate,
        team::me,
        team::list,
        team::add,
        team::change_role,
        team::remove,
        team::issue_key,
        team::revoke_key,
    ),
    components(schemas(crate::app::ErrorBody)),
    modifiers(&BearerAuth),
    tags(
        (name = "claimed devices", description = "Claiming devices and managing claimed devices"),
        (name = "provisioning commands", description = "A device's provisioning configuration"),
        (name = "provisioning tags", description = "Provisioning groups"),
        (name = "provisioning rules", description = "Commands applied to tagged devices at connect"),
        (name = "team", description = "Members and API keys (ours)"),
    )
)]
pub struct ApiDoc;

/// Adds the `apiKey` bearer security scheme the paths refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "apiKey",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A team member's API key"))
                    .build(),
            ),
        );
    }
}

/// The document as served: the generated one with what the service enforces added
/// ([`super::contract::apply`]). JSON, because the added constraints (type unions, `oneOf`
/// without a type) are more than utoipa's model reads back.
pub fn document() -> serde_json::Value {
    let mut json = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|e| {
        serde_json::json!({"openapi": "3.1.0", "info": {"title": format!("the document does not serialize: {e}")}})
    });
    super::contract::apply(&mut json);
    json
}
