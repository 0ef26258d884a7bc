//! The `request` object of each command type (service.md's table).

use serde::{Deserialize, Deserializer, Serialize};

use crate::properties::Properties;

/// `{"secTag"}`: generate a key (the key generation types).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyGeneration {
    /// The modem sec tag the key is generated at.
    #[cfg_attr(feature = "utoipa", schema(example = 16842753))]
    pub sec_tag: u32,
}

/// `{"secTag", "attributes", "keyUsage"}`: generate a key and a CSR for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CsrRequest {
    /// The modem sec tag the key is generated at.
    #[cfg_attr(feature = "utoipa", schema(example = 16842753))]
    pub sec_tag: u32,
    /// CSR subject attributes, e.g. `O=Nordic Semiconductor,CN=dk1` (absent: the modem's
    /// default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "utoipa", schema(example = "CN=my-device"))]
    pub attributes: Option<String>,
    /// Key usage: nine `0`/`1` characters as the modem takes them, e.g. `101010000` (absent:
    /// the modem's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "utoipa", schema(example = "101010000"))]
    pub key_usage: Option<String>,
}

/// `{"secTag", "content"}`: a certificate to store, its content the PEM text (a scenario may
/// name it instead: `@lab-root-ca`, `@file:…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schemars", schemars(rename = "Certificate"))]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "utoipa", schema(as = Certificate))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Certificate<C = String> {
    /// The modem sec tag to store it at.
    #[cfg_attr(feature = "utoipa", schema(example = 16842753))]
    pub sec_tag: u32,
    /// The PEM text (a scenario may name it instead: `@lab-root-ca`, `@file:…`).
    pub content: C,
}

impl<C> Certificate<C> {
    /// The same certificate with its content mapped by `f`, or `f`'s error.
    pub fn try_map<D, E>(self, f: impl FnOnce(C) -> Result<D, E>) -> Result<Certificate<D>, E> {
        Ok(Certificate {
            sec_tag: self.sec_tag,
            content: f(self.content)?,
        })
    }
}

/// `{"properties": {key: value}}`: settings the device writes, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigRequest {
    /// Settings keys and text values, e.g. `"provisioning/interval-sec": "600"`.
    #[cfg_attr(
        feature = "schemars",
        schemars(with = "std::collections::BTreeMap<String, String>")
    )]
    #[cfg_attr(
        feature = "utoipa",
        schema(value_type = std::collections::HashMap<String, String>)
    )]
    pub properties: Properties,
}

/// `{"setCommand", "parameters", "ignoreCmeErrors"}`: an arbitrary AT command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AtCommandRequest {
    /// The command after `AT`, with its prefix character, e.g. `%CMNG` or `+CFUN`.
    #[cfg_attr(feature = "utoipa", schema(example = "%XSYSTEMMODE"))]
    pub set_command: String,
    /// Everything after `=`, verbatim, e.g. `3,16842753,2`.
    #[serde(default)]
    #[cfg_attr(feature = "utoipa", schema(example = "1,0,1,0"))]
    pub parameters: String,
    /// CME errors that count as success (at most six).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "cme_codes"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "Vec<u32>"))]
    #[cfg_attr(feature = "utoipa", schema(value_type = Vec<CmeCode>))]
    pub ignore_cme_errors: Vec<u32>,
}

/// `{}`: the end of the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Finished {}

/// A CME error code as a client may send it: a number, or numeric text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum CmeCode {
    /// `513`.
    Number(u32),
    /// `"513"`.
    Text(String),
}

/// Reads `ignoreCmeErrors` given as numbers or numeric text (`[513]` or `["513"]`).
fn cme_codes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u32>, D::Error> {
    Vec::<CmeCode>::deserialize(deserializer)?
        .into_iter()
        .map(|code| match code {
            CmeCode::Number(n) => Ok(n),
            CmeCode::Text(t) => t
                .trim()
                .parse()
                .map_err(|_| serde::de::Error::custom(format!("{t:?} is not a CME error number"))),
        })
        .collect()
}
