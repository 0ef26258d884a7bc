//! Build-time configuration of the client (the SDK's Kconfig options), as data.
//!
//! Defaults are the library's Kconfig defaults (nrfconnect/sdk-nrf
//! `subsys/net/lib/nrf_provisioning/Kconfig*`); [`ClientConfig::sample_firmware`] is the
//! `nrf_provisioning` sample's `prj.conf`.

/// Which SDK generation of the library to reproduce where they differ.
///
/// Differences covered (device-protocol.md, and the v2.9.0 sources,
/// `subsys/net/lib/nrf_provisioning/src/*.c` in NCS v2.9.0):
/// * HTTP GET query: v2.9 sends no `limit`, `mver` as the numeric part (`1.3.2`) and `cver=1`.
/// * CoAP auth query: the same `mver`/`cver` difference; the GET has no `limit`.
/// * Config values are stored with a trailing NUL in v2.9 (`strlen(value) + 1`).
/// * CoAP 4.03 maps to `EACCES` (not claimed) in v2.9 and to `EPERM` now; v2.9's CoAP code
///   tables are narrower (5.03 only on auth/response, 4.04 unknown).
/// * v2.9 reports every command decode failure as `EINVAL` (no `ENOMEM` distinction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Generation {
    /// The current event-callback generation (NCS 3.x).
    #[default]
    Current,
    /// NCS v2.9.
    V2_9,
}

impl Generation {
    /// Parses the scenario spelling: `"current"` or `"v2.9"`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "current" => Some(Generation::Current),
            "v2.9" => Some(Generation::V2_9),
            _ => None,
        }
    }
}

/// The transport to the Provisioning Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TransportKind {
    /// HTTPS REST (`CONFIG_NRF_PROVISIONING_HTTP`).
    #[default]
    Http,
    /// CoAP over DTLS (`CONFIG_NRF_PROVISIONING_COAP`).
    Coap,
}

/// Every option of the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// SDK generation to reproduce.
    pub generation: Generation,
    /// HTTP or CoAP.
    pub transport: TransportKind,
    /// HTTP host (`CONFIG_NRF_PROVISIONING_HTTP_HOSTNAME`).
    pub http_host: String,
    /// HTTP port (`CONFIG_NRF_PROVISIONING_HTTP_PORT`).
    pub http_port: u16,
    /// CoAP host (`CONFIG_NRF_PROVISIONING_COAP_HOSTNAME`).
    pub coap_host: String,
    /// CoAP port (`CONFIG_NRF_PROVISIONING_COAP_PORT`).
    pub coap_port: u16,
    /// Sec tag of the root CA the server is verified against
    /// (`CONFIG_NRF_PROVISIONING_ROOT_CA_SEC_TAG`).
    pub root_ca_sec_tag: u32,
    /// Built-in provisioning interval, seconds (`CONFIG_NRF_PROVISIONING_INTERVAL_S`).
    pub interval_s: u64,
    /// Random spread added to every schedule, seconds (`CONFIG_NRF_PROVISIONING_SPREAD_S`).
    pub spread_s: u64,
    /// First backoff after `EBUSY`/`ETIMEDOUT` or without network, seconds
    /// (`CONFIG_NRF_PROVISIONING_INITIAL_BACKOFF`).
    pub initial_backoff_s: u64,
    /// Longest backoff, seconds (`SRV_TIMEOUT_BACKOFF_MAX_S` in `nrf_provisioning.c`).
    pub max_backoff_s: u64,
    /// Scheduled provisioning (`CONFIG_NRF_PROVISIONING_SCHEDULED`); without it the client
    /// only runs on `trigger_manually`.
    pub scheduled: bool,
    /// Start scheduling on `init` (`CONFIG_NRF_PROVISIONING_AUTO_START_ON_INIT`).
    pub auto_start_on_init: bool,
    /// Seconds to wait for a valid date-time before an attempt
    /// (`CONFIG_NRF_PROVISIONING_VALID_DATE_TIME_TIMEOUT_SECONDS`).
    pub valid_datetime_timeout_s: u32,
    /// Records limit (`CONFIG_NRF_PROVISIONING_CBOR_RECORDS`), sent as `limit`.
    pub records_limit: usize,
    /// RX buffer size (`CONFIG_NRF_PROVISIONING_RX_BUF_SZ`), sent as `rxMaxSize`.
    pub rx_buf_size: usize,
    /// TX buffer size (`CONFIG_NRF_PROVISIONING_TX_BUF_SZ`), sent as `txMaxSize`.
    pub tx_buf_size: usize,
    /// Longest AT command (`CONFIG_NRF_PROVISIONING_CODEC_AT_CMD_LEN`); it shares a union
    /// with the TX buffer, so the encoded responses may use `max(tx, at_cmd_len)` bytes.
    pub at_cmd_max_len: usize,
    /// First modem response buffer size (`CONFIG_NRF_PROVISIONING_CODEC_RX_SZ_START`).
    pub at_resp_start_size: usize,
    /// The modem firmware string as `modem_info` reports it, e.g. `mfw_nrf9160_1.3.5`.
    pub modem_fw: String,
    /// Client version sent as `cver` (`NCS_VERSION_STRING`) in the current generation.
    pub client_version: String,
    /// The whole `User-Agent` header value:
    /// `Zephyr/<maj>.<min> (<build version> <board>)`.
    pub user_agent: String,
    /// JWT signing sec tag (`CONFIG_NRF_PROVISIONING_JWT_SEC_TAG`); 0 = identity key.
    pub jwt_sec_tag: u32,
    /// JWT lifetime in seconds (`CONFIG_NRF_PROVISIONING_JWT_MAX_VALID_TIME_S`, ≤ 360).
    pub jwt_lifetime_s: u32,
    /// Persist the cursor after a DONE (`CONFIG_NRF_PROVISIONING_SAVE_CMD_ID`).
    pub save_cursor: bool,
    /// Ask the modem for the attestation token when not claimed
    /// (`CONFIG_NRF_PROVISIONING_PROVIDE_ATTESTATION_TOKEN`).
    pub provide_attestation_token: bool,
    /// CoAP keep-open (`SO_KEEPOPEN`, set by the SDK on nRF9120-based SoCs): suspend the DTLS
    /// session while executing commands instead of reconnecting.
    pub coap_keep_open: bool,
    /// CoAP Block2 block size in bytes (`CONFIG_COAP_CLIENT_BLOCK_SIZE`): 16..=1024, power
    /// of two.
    pub coap_block_size: usize,
    /// Retries of a CoAP request that got no answer (`RETRY_AMOUNT`).
    pub coap_retries: u32,
    /// Wait before a CoAP retry, milliseconds (the CoAP ACK timeout).
    pub coap_retry_wait_ms: u64,
    /// Settings prefix (`CONFIG_NRF_PROVISIONING_SETTINGS_STORAGE_PATH`).
    pub settings_path: String,
    /// Longest config key the device stores; longer → `key [i](0-indexed) too big`.
    pub max_config_key_len: usize,
    /// Longest config value the device stores; longer → `value [i](0-indexed) too big`.
    pub max_config_value_len: usize,
}

impl Default for ClientConfig {
    /// The library's Kconfig defaults, HTTP transport.
    fn default() -> Self {
        ClientConfig {
            generation: Generation::Current,
            transport: TransportKind::Http,
            http_host: "provisioning-http.nrfcloud.com".to_owned(),
            http_port: 443,
            coap_host: "coap.nrfcloud.com".to_owned(),
            coap_port: 5684,
            root_ca_sec_tag: 50,
            interval_s: 86_400,
            spread_s: 0,
            initial_backoff_s: 60,
            max_backoff_s: 86_400,
            scheduled: true,
            auto_start_on_init: true,
            valid_datetime_timeout_s: 60,
            records_limit: provlab_proto::records::DEFAULT_RECORDS_LIMIT,
            rx_buf_size: 1024,
            tx_buf_size: 2048,
            at_cmd_max_len: 1792,
            at_resp_start_size: 1024,
            modem_fw: "mfw_nrf9160_1.3.5".to_owned(),
            client_version: "3.0.99".to_owned(),
            user_agent: "Zephyr/4.1 (v4.1.99-7f1481559760 nrf9160dk/nrf9160/ns)".to_owned(),
            jwt_sec_tag: 0,
            jwt_lifetime_s: 300,
            save_cursor: false,
            provide_attestation_token: true,
            coap_keep_open: false,
            coap_block_size: 256,
            coap_retries: 10,
            coap_retry_wait_ms: 2000,
            settings_path: "provisioning".to_owned(),
            max_config_key_len: 255,
            max_config_value_len: 4096,
        }
    }
}

impl ClientConfig {
    /// The values of Nordic's `nrf_provisioning` sample firmware: records limit 20,
    /// interval 86400 s, spread 5 s, RX buffer 2048, root CA sec tag 50
    /// (sdk-nrf `samples/cellular/nrf_provisioning/prj.conf`), scheduled with auto start
    /// (`CONFIG_NRF_PROVISIONING_SCHEDULED=y`, `..._AUTO_START_ON_INIT=y` in the
    /// event-callback sample's `prj.conf`), and CoAP block size 512 (`overlay-coap.conf`).
    pub fn sample_firmware() -> Self {
        ClientConfig {
            records_limit: provlab_proto::records::SAMPLE_RECORDS_LIMIT,
            interval_s: 86_400,
            spread_s: 5,
            rx_buf_size: 2048,
            tx_buf_size: 2048,
            root_ca_sec_tag: 50,
            scheduled: true,
            auto_start_on_init: true,
            coap_block_size: 512,
            ..ClientConfig::default()
        }
    }

    /// `mver` as this generation sends it: the whole firmware string now, the third
    /// `_`/`-` separated token in v2.9 (`mfw_nrf9160_1.3.2-FOTA` → `1.3.2`, the SDK's
    /// `strtok(mver, "_-")` three times).
    pub fn mver(&self) -> String {
        match self.generation {
            Generation::Current => self.modem_fw.clone(),
            Generation::V2_9 => self
                .modem_fw
                .split(['_', '-'])
                .filter(|t| !t.is_empty())
                .nth(2)
                .unwrap_or("")
                .to_owned(),
        }
    }

    /// `cver` as this generation sends it: the NCS version now, `1` in v2.9.
    pub fn cver(&self) -> String {
        match self.generation {
            Generation::Current => self.client_version.clone(),
            Generation::V2_9 => "1".to_owned(),
        }
    }

    /// The JWT lifetime the library asks for: 0 or more than 360 s become 300/360 as
    /// `nrf_provisioning_jwt_generate` does (0 → maximum; above maximum → maximum).
    pub fn jwt_exp_s(&self) -> u32 {
        let max = self.jwt_lifetime_s.min(360);
        if max == 0 {
            300
        } else {
            max
        }
    }

    /// The settings key of the server-provided interval: `<path>/interval-sec`.
    pub fn interval_key(&self) -> String {
        format!("{}/interval-sec", self.settings_path)
    }

    /// The settings key of the cursor: `<path>/after-correlation-id`.
    pub fn cursor_key(&self) -> String {
        format!("{}/after-correlation-id", self.settings_path)
    }

    /// The size limit of the encoded responses: the TX buffer shares a union with the AT
    /// command buffer (`nrf_provisioning_http_req`), so `max(tx, at_cmd_len)`.
    pub fn tx_limit(&self) -> usize {
        self.tx_buf_size.max(self.at_cmd_max_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mver_and_cver_per_generation() {
        let mut c = ClientConfig {
            modem_fw: "mfw_nrf9160_1.3.2-FOTA-TEST".into(),
            ..ClientConfig::default()
        };
        assert_eq!(c.mver(), "mfw_nrf9160_1.3.2-FOTA-TEST");
        assert_eq!(c.cver(), "3.0.99");
        c.generation = Generation::V2_9;
        assert_eq!(c.mver(), "1.3.2");
        assert_eq!(c.cver(), "1");
    }

    #[test]
    fn sample_preset_and_parsing() {
        let s = ClientConfig::sample_firmware();
        assert_eq!(s.records_limit, 20);
        assert_eq!(s.spread_s, 5);
        assert_eq!(Generation::parse("v2.9"), Some(Generation::V2_9));
        assert_eq!(Generation::parse("x"), None);
        assert_eq!(s.cursor_key(), "provisioning/after-correlation-id");
        assert_eq!(s.tx_limit(), 2048);
    }
}
