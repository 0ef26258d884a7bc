//! Provisioning command requests in the REST shapes of service.md.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::content::ContentRef;

/// One command of a device's provisioning configuration (or of a rule): what the owner
/// `POST`s to `/v1/claimed-devices/{id}/provisioning`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigCommand {
    /// The request, e.g. `{ clientPrivateKeyGeneration = { secTag = 16842753 } }`.
    pub request: CommandRequest,
    /// Free text shown in the service's listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A provisioning command request: exactly one of the REST request types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum CommandRequest {
    /// Delete, then generate a private key at `secTag` (`%KEYGEN <tag>,2,1`).
    ClientPrivateKeyGeneration(KeyGeneration),
    /// Delete, then generate a key and return a CSR (`%KEYGEN <tag>,2,0,...`).
    CertificateSigningRequest(SigningRequest),
    /// Delete, then generate a key whose public key becomes the cloud access key.
    CloudAccessKeyGeneration(KeyGeneration),
    /// Store a client certificate (`%CMNG 0,<tag>,1,"<PEM>"`).
    ClientCertificate(Certificate),
    /// Store a server (root CA) certificate (`%CMNG 0,<tag>,0,"<PEM>"`).
    ServerCertificate(Certificate),
    /// Write settings on the device (config record).
    Config(ConfigProperties),
    /// Run an AT command (AT record).
    AtCommand(AtCommandRequest),
    /// The configuration is complete.
    Finished(Finished),
}

impl CommandRequest {
    /// The REST type name (`clientPrivateKeyGeneration`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::ClientPrivateKeyGeneration(_) => "clientPrivateKeyGeneration",
            Self::CertificateSigningRequest(_) => "certificateSigningRequest",
            Self::CloudAccessKeyGeneration(_) => "cloudAccessKeyGeneration",
            Self::ClientCertificate(_) => "clientCertificate",
            Self::ServerCertificate(_) => "serverCertificate",
            Self::Config(_) => "config",
            Self::AtCommand(_) => "atCommand",
            Self::Finished(_) => "finished",
        }
    }

    /// The content reference inside the request (certificates only).
    pub fn contents(&self) -> Option<&ContentRef> {
        match self {
            Self::ClientCertificate(c) | Self::ServerCertificate(c) => Some(&c.content),
            _ => None,
        }
    }

    /// The content references inside the request, for the loader to resolve.
    pub fn contents_mut(&mut self) -> Option<&mut ContentRef> {
        match self {
            Self::ClientCertificate(c) | Self::ServerCertificate(c) => Some(&mut c.content),
            _ => None,
        }
    }
}

/// `{ secTag }` of the key generation requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyGeneration {
    /// The security tag that receives the key.
    pub sec_tag: u32,
}

/// `certificateSigningRequest { secTag, attributes, keyUsage }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SigningRequest {
    /// The security tag that receives the key.
    pub sec_tag: u32,
    /// Subject attributes, e.g. `"O=Nordic Semiconductor,CN=dk1"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<String>,
    /// Key usage bits as the modem takes them, e.g. `"101010000"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_usage: Option<String>,
}

/// `{ secTag, content }` of the certificate requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Certificate {
    /// The security tag to write.
    pub sec_tag: u32,
    /// The PEM, or a reference (`@lab-root-ca`, `@file:…`).
    pub content: ContentRef,
}

/// `config { properties }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigProperties {
    /// Settings path → value, e.g. `"provisioning/interval-sec" = "600"`.
    pub properties: BTreeMap<String, String>,
}

/// `atCommand { setCommand, parameters, ignoreCmeErrors }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AtCommandRequest {
    /// The command after `AT`, e.g. `"%CMNG"`.
    pub set_command: String,
    /// The text after `=`, e.g. `"3,16842753,2"`.
    #[serde(default)]
    pub parameters: String,
    /// CME errors that count as success (at most 6).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_cme_errors: Vec<u32>,
}

/// `finished {}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Finished {}
