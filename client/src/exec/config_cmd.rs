//! Executing a config command: writing key/value pairs into the settings store.
//!
//! Source: `write_config` in nrfconnect/sdk-nrf
//! `subsys/net/lib/nrf_provisioning/src/nrf_provisioning_codec.c`. The failure messages are
//! the spec's (device-protocol.md §2, the same strings as NCS v2.9.0's `write_config`):
//! `key [i](0-indexed) too big`, `value [i](0-indexed) too big`,
//! `unable to store [i](0-indexed) key-value-pair`; `cme_error` is the negative errno cast
//! to `u32` (`put_err_resp(cmd, out, ret, resp)` with `ret < 0`), so `-ENOMEM` reads
//! 4294967284. (The event-callback generation at sdk-nrf 03cc4522 capitalises `Key`/`Unable`
//! and drops the value check; the spec's strings win.)
//!
//! Values are stored as received in the current generation (`settings_save_one(key, value,
//! len)`); v2.9 stores the C string including its NUL (`strlen(value) + 1`).

use provlab_proto::records::{CorrelationId, Response};

use crate::action::Action;
use crate::config::Generation;
use crate::errors::Errno;
use crate::task::Cx;

/// Writes every pair in order, stopping at the first failure; returns the record.
///
/// A key or value longer than the configured limits fails with `-ENOMEM` (in the SDK, the
/// copy into the bounded C buffer fails that way; the limits themselves are ours).
pub(crate) fn write_config(
    id: &CorrelationId,
    properties: &[(String, String)],
    cx: &mut Cx<'_>,
) -> Response {
    let error = |cme_error: u32, message: String| Response::Error {
        id: id.clone(),
        cme_error,
        message,
    };
    for (i, (key, value)) in properties.iter().enumerate() {
        if key.len() > cx.config.max_config_key_len {
            return error(
                Errno::Enomem.as_cme_quirk(),
                format!("key [{i}](0-indexed) too big"),
            );
        }
        if value.len() > cx.config.max_config_value_len {
            return error(
                Errno::Enomem.as_cme_quirk(),
                format!("value [{i}](0-indexed) too big"),
            );
        }
        let bytes = stored_bytes(value, cx.config.generation);
        if let Err(errno) = cx.settings.write(key, &bytes) {
            return error(
                errno.as_cme_quirk(),
                format!("unable to store [{i}](0-indexed) key-value-pair"),
            );
        }
        cx.push(Action::StoreSetting {
            key: key.clone(),
            value: bytes,
        });
    }
    Response::ConfigAck { id: id.clone() }
}

/// The bytes a generation stores for a config value.
pub(crate) fn stored_bytes(value: &str, generation: Generation) -> Vec<u8> {
    match generation {
        Generation::Current => value.as_bytes().to_vec(),
        Generation::V2_9 => {
            let mut bytes: Vec<u8> = value.bytes().take_while(|&b| b != 0).collect();
            bytes.push(0);
            bytes
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_store_differently() {
        assert_eq!(stored_bytes("99", Generation::Current), b"99".to_vec());
        assert_eq!(stored_bytes("99", Generation::V2_9), b"99\0".to_vec());
        assert_eq!(stored_bytes("a\0b", Generation::V2_9), b"a\0".to_vec());
    }
}
