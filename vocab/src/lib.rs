//! The provisioning service's public vocabulary, in the REST shapes of `service.md`: one
//! definition of each word that scenarios, the domain and the REST API share.
//!
//! * [`request`]: the command request types (`clientPrivateKeyGeneration`, …, `finished`),
//!   generic over the certificate content so a scenario can hold a reference where the
//!   service holds the PEM ([`CommandRequest::try_map_content`] resolves it).
//! * [`properties`]: the ordered settings of a `config` request.
//! * [`status`]: a command's and a device's status.
//! * [`role`]: a team member's role.
//! * [`event`]: the device client's events, by their SDK names.
//! * [`credential`]: modem credential types.
//!
//! Sans-IO and small: serde only, with `schemars::JsonSchema` (feature `schemars`) and
//! `utoipa::ToSchema` (feature `utoipa`) derived from the same definitions, so the scenario
//! JSON Schema and the OpenAPI document describe the same shapes.

mod spelling;

pub mod credential;
pub mod event;
pub mod properties;
pub mod request;
pub mod role;
pub mod status;

pub use credential::CredentialType;
pub use event::ClientEvent;
pub use properties::{DuplicateKey, Properties};
pub use request::{
    AtCommandRequest, Certificate, CmeCode, CommandRequest, ConfigRequest, CsrRequest, Finished,
    KeyGeneration,
};
pub use role::{Role, UnknownRole};
pub use status::{CommandStatus, DeviceStatus};
