//! The response record for an executed AT command.
//!
//! Source: `exec_at_cmd` and `filter_cme_error` in nrfconnect/sdk-nrf
//! `subsys/net/lib/nrf_provisioning/src/nrf_provisioning_codec.c`. The record's message is
//! the whole response buffer of `nrf_modem_at_cmd`, final result line included (the buffer
//! is passed to `put_at_resp`/`put_err_resp` as is).

use provlab_proto::records::{CorrelationId, Response};

use crate::action::AtStatus;
use crate::modem::AtResult;

/// The response for `id` given the modem's answer and the command's ignored CME codes.
///
/// * `OK` → AT ok with the buffer.
/// * `+CME ERROR: n` with `n` ignored → AT ok with the buffer; otherwise error `(n, buffer)`.
/// * plain `ERROR` → error `(0, buffer)` (device-protocol.md §2). The SDK itself would read
///   `nrf_modem_at_err()` = 0 for a plain `ERROR` and treat it as success; the spec's
///   mapping is reproduced instead. A 0 in the ignore list still makes it a success.
/// * a failure below the AT level → error `(0, buffer)` (the SDK's `ret < 0` branch).
pub(crate) fn at_response(id: &CorrelationId, result: &AtResult, ignore_cme: &[u32]) -> Response {
    let ok = |message: &str| Response::AtOk {
        id: id.clone(),
        message: message.to_owned(),
    };
    let err = |cme_error: u32, message: &str| Response::Error {
        id: id.clone(),
        cme_error,
        message: message.to_owned(),
    };
    match result.status {
        AtStatus::Ok => ok(&result.buffer),
        AtStatus::CmeError(code) if ignore_cme.contains(&u32::from(code)) => ok(&result.buffer),
        AtStatus::CmeError(code) => err(u32::from(code), &result.buffer),
        AtStatus::Error if ignore_cme.contains(&0) => ok(&result.buffer),
        AtStatus::Error | AtStatus::Failed(_) => err(0, &result.buffer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::Errno;

    fn id() -> CorrelationId {
        CorrelationId::new("x").unwrap_or_else(|_| unreachable!())
    }

    fn res(status: AtStatus, buffer: &str) -> AtResult {
        AtResult {
            status,
            buffer: buffer.to_owned(),
        }
    }

    #[test]
    fn mapping() {
        let r = at_response(&id(), &res(AtStatus::Ok, "OK\r\n"), &[]);
        assert_eq!(
            r,
            Response::AtOk {
                id: id(),
                message: "OK\r\n".into()
            }
        );
        let r = at_response(&id(), &res(AtStatus::CmeError(513), ""), &[513]);
        assert!(!r.is_error());
        let r = at_response(
            &id(),
            &res(AtStatus::CmeError(514), "+CME ERROR: 514\r\n"),
            &[513],
        );
        assert_eq!(
            r,
            Response::Error {
                id: id(),
                cme_error: 514,
                message: "+CME ERROR: 514\r\n".into()
            }
        );
        let r = at_response(&id(), &res(AtStatus::Error, "ERROR"), &[]);
        assert_eq!(
            r,
            Response::Error {
                id: id(),
                cme_error: 0,
                message: "ERROR".into()
            }
        );
        let r = at_response(&id(), &res(AtStatus::Failed(Errno::Eio), ""), &[]);
        assert!(r.is_error());
    }
}
