//! A device under test: modem, preloaded credentials, network time, client settings.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::content::ContentRef;
use super::request::ConfigCommand;
use super::vocab::{CredentialType, Generation, Transport};
use crate::duration::Duration;
use crate::located::Located;

/// One device: an nRF91 modem and the provisioning client behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceSpec {
    /// The name steps and expectations use (`"dk1"`).
    pub name: Located<String>,
    /// The modem model `AT+CGMM` reports.
    #[serde(default = "default_model")]
    pub model: String,
    /// The modem firmware `AT+CGMR` reports.
    #[serde(default = "default_modem_fw")]
    pub modem_fw: String,
    /// HTTP or CoAP.
    #[serde(default)]
    pub transport: Transport,
    /// Whether the modem has network time (`AT%CCLK?` answers).
    #[serde(default = "yes")]
    pub network_time: bool,
    /// The member that has claimed the device; absent: not claimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_by: Option<Located<String>>,
    /// Tags given at claim time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Credentials already in the modem's NVM.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<Credential>,
    /// Client build options (Kconfig); unset options keep the client's defaults.
    #[serde(default)]
    pub client: ClientSettings,
    /// The settings store's contents at boot, e.g. `"provisioning/interval-sec" = "600"`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settings: BTreeMap<String, String>,
    /// The device's provisioning configuration in the service, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<ConfigCommand>,
}

fn default_model() -> String {
    "nRF9160-SICA".to_owned()
}

fn default_modem_fw() -> String {
    "mfw_nrf9160_1.3.5".to_owned()
}

fn yes() -> bool {
    true
}

/// A credential preloaded in the modem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// The security tag.
    pub sec_tag: u32,
    /// The credential type.
    #[serde(rename = "type")]
    pub kind: CredentialType,
    /// The content; absent for a key the modem generates (private keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ContentRef>,
}

/// The client's build options. Every option is optional; unset means the client's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientSettings {
    /// SDK generation: `"current"` (default) or `"v2.9"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<Generation>,
    /// Scheduled provisioning (`true`) or only on `trigger` steps (`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled: Option<bool>,
    /// Built-in provisioning interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    /// Random spread added to every schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread: Option<Duration>,
    /// First backoff after a busy service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_backoff: Option<Duration>,
    /// Records per fetch (`limit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records_limit: Option<u32>,
    /// RX buffer size in bytes (`rxMaxSize`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rx_buf_size: Option<u32>,
    /// TX buffer size in bytes (`txMaxSize`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_buf_size: Option<u32>,
    /// Sec tag of the root CA the service is verified against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_ca_sec_tag: Option<u32>,
    /// Persist the cursor after DONE (`SAVE_CMD_ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub save_cursor: Option<bool>,
    /// Send the attestation token when not claimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provide_attestation_token: Option<bool>,
    /// CoAP keep-open (suspend the DTLS session while executing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coap_keep_open: Option<bool>,
    /// CoAP Block2 size in bytes (16..=1024, a power of two).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coap_block_size: Option<u32>,
}
