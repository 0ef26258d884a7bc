//! The JSON shapes of provisioning commands: the `request` object of each command type, the
//! add/update bodies, and a command as the API shows it.
//!
//! These are the types requests are deserialized into and responses serialized from, so the
//! OpenAPI document describes exactly what the server reads and writes. They mirror the
//! domain's [`CommandRequest`] one to one.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::commands::{
    AtCommandRequest, Certificate, CommandEntry, CommandRequest, CommandStatus, ConfigRequest,
    CsrRequest, Finished, KeyGeneration, Properties,
};
use crate::domain::error::Error;
use crate::domain::service::NewCommand;

/// `{"secTag": n}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyGenerationBody {
    /// The modem sec tag the key is generated at.
    #[schema(example = 16842753)]
    pub sec_tag: u32,
}

/// `{"secTag", "attributes", "keyUsage"}`: generate a key and a CSR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CsrBody {
    /// The modem sec tag the key is generated at.
    #[schema(example = 16842753)]
    pub sec_tag: u32,
    /// CSR subject attributes, e.g. `CN=my-device,O=Nordic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "CN=my-device")]
    pub attributes: Option<String>,
    /// Key usage: nine `0`/`1` characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "101010000")]
    pub key_usage: Option<String>,
}

/// `{"secTag", "content"}`: a PEM certificate to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CertificateBody {
    /// The modem sec tag to store it at.
    #[schema(example = 16842753)]
    pub sec_tag: u32,
    /// The PEM text.
    pub content: String,
}

/// `{"properties": {key: value}}`: settings the device writes (order kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigBody {
    /// Settings keys and text values, written in the order given.
    #[schema(value_type = std::collections::HashMap<String, String>)]
    pub properties: Properties,
}

/// A CME error code given as a number or as numeric text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum CmeCode {
    /// `513`.
    Number(u32),
    /// `"513"`.
    Text(String),
}

/// `{"setCommand", "parameters", "ignoreCmeErrors"}`: an arbitrary AT command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AtCommandBody {
    /// The command with its prefix character, e.g. `+CFUN` or `%XSYSTEMMODE`.
    #[schema(example = "%XSYSTEMMODE")]
    pub set_command: String,
    /// Everything after `=`, verbatim.
    #[serde(default)]
    #[schema(example = "1,0,1,0")]
    pub parameters: String,
    /// CME errors that count as success (at most six).
    #[serde(default)]
    pub ignore_cme_errors: Vec<CmeCode>,
}

/// `{}`: the end of the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishedBody {}

/// A command's `request`: an object with exactly one key, the command type.
///
/// Deserialized by hand (see the `Deserialize` impl) so that an empty object or one with two
/// command types gets a clear message; serialized and described as an externally tagged enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum CommandRequestBody {
    /// Generate a client private key (`%KEYGEN <tag>,2,1`).
    ClientPrivateKeyGeneration(KeyGenerationBody),
    /// Generate a key and a CSR (`%KEYGEN <tag>,2,0,...`); the answer's `csr` is the modem's
    /// KEYGEN string.
    CertificateSigningRequest(CsrBody),
    /// Generate a key whose public key becomes the device's cloud access key.
    CloudAccessKeyGeneration(KeyGenerationBody),
    /// Store a client certificate (`%CMNG 0,<tag>,1`).
    ClientCertificate(CertificateBody),
    /// Store a server (CA) certificate (`%CMNG 0,<tag>,0`).
    ServerCertificate(CertificateBody),
    /// Write device settings (config record).
    Config(ConfigBody),
    /// Run an AT command (AT record).
    AtCommand(AtCommandBody),
    /// End of configuration (finished record).
    Finished(FinishedBody),
}

/// The command type names, as the API spells them.
pub const COMMAND_TYPES: &[&str] = &[
    "clientPrivateKeyGeneration",
    "certificateSigningRequest",
    "cloudAccessKeyGeneration",
    "clientCertificate",
    "serverCertificate",
    "config",
    "atCommand",
    "finished",
];

impl<'de> Deserialize<'de> for CommandRequestBody {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneType;
        impl<'de> serde::de::Visitor<'de> for OneType {
            type Value = CommandRequestBody;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object with exactly one command type, e.g. {\"finished\": {}}")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<CommandRequestBody, A::Error> {
                use serde::de::Error as _;
                let Some(kind) = map.next_key::<String>()? else {
                    return Err(A::Error::custom(
                        "the request object is empty: it must hold one command type, e.g. {\"finished\": {}}",
                    ));
                };
                let request = match kind.as_str() {
                    "clientPrivateKeyGeneration" => {
                        CommandRequestBody::ClientPrivateKeyGeneration(map.next_value()?)
                    }
                    "certificateSigningRequest" => {
                        CommandRequestBody::CertificateSigningRequest(map.next_value()?)
                    }
                    "cloudAccessKeyGeneration" => {
                        CommandRequestBody::CloudAccessKeyGeneration(map.next_value()?)
                    }
                    "clientCertificate" => CommandRequestBody::ClientCertificate(map.next_value()?),
                    "serverCertificate" => CommandRequestBody::ServerCertificate(map.next_value()?),
                    "config" => CommandRequestBody::Config(map.next_value()?),
                    "atCommand" => CommandRequestBody::AtCommand(map.next_value()?),
                    "finished" => CommandRequestBody::Finished(map.next_value()?),
                    other => return Err(A::Error::unknown_variant(other, COMMAND_TYPES)),
                };
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(A::Error::custom(format!(
                        "the request object holds more than one command type ({kind:?} and {extra:?}); send one command per request"
                    )));
                }
                Ok(request)
            }
        }
        deserializer.deserialize_map(OneType)
    }
}

impl CommandRequestBody {
    /// The domain request; numeric-text CME codes are parsed here (400 naming the field).
    pub fn into_domain(self) -> Result<CommandRequest, Error> {
        Ok(match self {
            Self::ClientPrivateKeyGeneration(k) => {
                CommandRequest::ClientPrivateKeyGeneration(KeyGeneration { sec_tag: k.sec_tag })
            }
            Self::CertificateSigningRequest(c) => {
                CommandRequest::CertificateSigningRequest(CsrRequest {
                    sec_tag: c.sec_tag,
                    attributes: c.attributes,
                    key_usage: c.key_usage,
                })
            }
            Self::CloudAccessKeyGeneration(k) => {
                CommandRequest::CloudAccessKeyGeneration(KeyGeneration { sec_tag: k.sec_tag })
            }
            Self::ClientCertificate(c) => CommandRequest::ClientCertificate(Certificate {
                sec_tag: c.sec_tag,
                content: c.content,
            }),
            Self::ServerCertificate(c) => CommandRequest::ServerCertificate(Certificate {
                sec_tag: c.sec_tag,
                content: c.content,
            }),
            Self::Config(c) => CommandRequest::Config(ConfigRequest {
                properties: c.properties,
            }),
            Self::AtCommand(a) => {
                let mut codes = Vec::with_capacity(a.ignore_cme_errors.len());
                for code in a.ignore_cme_errors {
                    codes.push(match code {
                        CmeCode::Number(n) => n,
                        CmeCode::Text(t) => t.trim().parse().map_err(|_| {
                            Error::invalid(
                                "request.atCommand.ignoreCmeErrors",
                                format!("{t:?} is not a CME error number"),
                            )
                        })?,
                    });
                }
                CommandRequest::AtCommand(AtCommandRequest {
                    set_command: a.set_command,
                    parameters: a.parameters,
                    ignore_cme_errors: codes,
                })
            }
            Self::Finished(FinishedBody {}) => CommandRequest::Finished(Finished {}),
        })
    }

    /// The JSON shape of a domain request.
    pub fn from_domain(request: &CommandRequest) -> Self {
        match request {
            CommandRequest::ClientPrivateKeyGeneration(k) => {
                Self::ClientPrivateKeyGeneration(KeyGenerationBody { sec_tag: k.sec_tag })
            }
            CommandRequest::CertificateSigningRequest(c) => {
                Self::CertificateSigningRequest(CsrBody {
                    sec_tag: c.sec_tag,
                    attributes: c.attributes.clone(),
                    key_usage: c.key_usage.clone(),
                })
            }
            CommandRequest::CloudAccessKeyGeneration(k) => {
                Self::CloudAccessKeyGeneration(KeyGenerationBody { sec_tag: k.sec_tag })
            }
            CommandRequest::ClientCertificate(c) => Self::ClientCertificate(CertificateBody {
                sec_tag: c.sec_tag,
                content: c.content.clone(),
            }),
            CommandRequest::ServerCertificate(c) => Self::ServerCertificate(CertificateBody {
                sec_tag: c.sec_tag,
                content: c.content.clone(),
            }),
            CommandRequest::Config(c) => Self::Config(ConfigBody {
                properties: c.properties.clone(),
            }),
            CommandRequest::AtCommand(a) => Self::AtCommand(AtCommandBody {
                set_command: a.set_command.clone(),
                parameters: a.parameters.clone(),
                ignore_cme_errors: a
                    .ignore_cme_errors
                    .iter()
                    .map(|n| CmeCode::Number(*n))
                    .collect(),
            }),
            CommandRequest::Finished(_) => Self::Finished(FinishedBody {}),
        }
    }
}

/// The body of `POST /v1/claimed-devices/{id}/provisioning`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCommandBody {
    /// Free text.
    #[serde(default)]
    #[schema(example = "Generate CSR")]
    pub description: String,
    /// What to do.
    pub request: CommandRequestBody,
}

impl NewCommandBody {
    /// The domain's form.
    pub fn into_domain(self) -> Result<NewCommand, Error> {
        Ok(NewCommand {
            description: self.description,
            request: self.request.into_domain()?,
        })
    }
}

/// The body of `PUT /v1/claimed-devices/{id}/provisioning/{commandId}` (ours): a new request
/// for a `PENDING` or `FAILED` command, and optionally a new description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateCommandBody {
    /// New description; unchanged when absent.
    #[serde(default)]
    pub description: Option<String>,
    /// The new request.
    pub request: CommandRequestBody,
}

/// `201 {"id": ...}`: the id of a created resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Created {
    /// The new resource's id.
    #[schema(example = "89ed0c1a-7b0e-4f3e-9a55-0e5f5d2c8a11")]
    pub id: String,
}

/// A command's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CommandStatusBody {
    /// Waiting to be delivered.
    Pending,
    /// Delivered, not fully answered.
    InProgress,
    /// Answered with success.
    Succeeded,
    /// Failed on the device (or could not be delivered).
    Failed,
    /// Skipped by the owner after failing.
    Skipped,
}

impl From<CommandStatus> for CommandStatusBody {
    fn from(s: CommandStatus) -> Self {
        match s {
            CommandStatus::Pending => Self::Pending,
            CommandStatus::InProgress => Self::InProgress,
            CommandStatus::Succeeded => Self::Succeeded,
            CommandStatus::Failed => Self::Failed,
            CommandStatus::Skipped => Self::Skipped,
        }
    }
}

/// A command as `GET .../provisioning[/{commandId}]` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommandBody {
    /// The command's id.
    pub id: String,
    /// Free text.
    pub description: String,
    /// What was asked.
    pub request: CommandRequestBody,
    /// Where it stands.
    pub status: CommandStatusBody,
    /// The device's answer, keyed by the command type (e.g.
    /// `{"certificateSigningRequest": {"message", "csr", "publicKey"}}`; on failure
    /// `{"<type>": {"cmeError", "message"}}`); `null` before any answer.
    #[schema(value_type = Option<Object>)]
    pub response: serde_json::Value,
    /// When it was added (RFC 3339).
    pub created_at: String,
    /// When its status or request last changed (RFC 3339).
    pub updated_at: String,
    /// When the device last answered it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responded_at: Option<String>,
    /// The rule that appended it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    /// How many batches carried it.
    pub deliveries: u32,
}

impl CommandBody {
    /// The API's view of a command.
    pub fn from_domain(entry: &CommandEntry) -> Self {
        Self {
            id: entry.id.to_string(),
            description: entry.description.clone(),
            request: CommandRequestBody::from_domain(&entry.request),
            status: entry.status.into(),
            response: entry.response_json(),
            created_at: entry.created_at.to_rfc3339(),
            updated_at: entry.updated_at.to_rfc3339(),
            responded_at: entry.responded_at.map(|t| t.to_rfc3339()),
            rule_id: entry.rule.map(|r| r.to_string()),
            deliveries: entry.deliveries,
        }
    }
}
