//! The AT commands the library sends and how it reads their answers.
//!
//! Commands (nrfconnect/sdk-nrf `subsys/net/lib/nrf_provisioning/src/nrf_provisioning_at.c`
//! and the modem libraries it calls): `AT%CCLK?` (time), `AT+CMEE?` / `AT+CMEE=<n>`,
//! `AT+CFUN?` (`lte_lc_func_mode_get`), `AT%ATTESTTOKEN`, `AT%CMNG=3,<tag>,<type>`, and
//! `AT%JWT=...` (`modem_jwt_generate`).

use provlab_proto::at::{AnswerEvent, AnswerParser, FinalResult};

use crate::action::{AtReply, AtStatus};
use crate::errors::{Errno, InputError};
use crate::event::AttestationToken;

/// `AT%CCLK?`: the modem's clock; an error means no valid time.
pub const CCLK_QUERY: &str = "AT%CCLK?";
/// `AT+CMEE?`: read the CME error reporting mode.
pub const CMEE_QUERY: &str = "AT+CMEE?";
/// `AT+CFUN?`: read the functional mode (4 = offline).
pub const CFUN_QUERY: &str = "AT+CFUN?";
/// `AT%ATTESTTOKEN`: the attestation token for claiming.
pub const ATTESTTOKEN: &str = "AT%ATTESTTOKEN";
/// Functional mode "offline" (`LTE_LC_FUNC_MODE_OFFLINE`).
pub const CFUN_OFFLINE: i64 = 4;

/// `AT+CMEE=<0|1>`.
pub fn cmee_set(enable: bool) -> String {
    format!("AT+CMEE={}", u8::from(enable))
}

/// `AT%CMNG=3,<tag>,<type>`: delete a credential (`nrf_provisioning_at_del_credential`).
pub fn cmng_delete(tag: i64, kind: i64) -> String {
    format!("AT%CMNG=3,{tag},{kind}")
}

/// `AT%JWT=0,<exp>,"",""`, or with `,<sec_tag>,2` (client private key) when a JWT sec tag is
/// configured (device-protocol.md §5; `modem_jwt_generate` with `JWT_ALG_TYPE_ES256` = 0 and
/// `JWT_KEY_TYPE_CLIENT_PRIV` = 2).
pub fn jwt_command(exp_s: u32, sec_tag: u32) -> String {
    if sec_tag == 0 {
        format!("AT%JWT=0,{exp_s},\"\",\"\"")
    } else {
        format!("AT%JWT=0,{exp_s},\"\",\"\",{sec_tag},2")
    }
}

/// An AT answer as the library sees it: the status and the whole response buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtResult {
    /// Final status.
    pub status: AtStatus,
    /// The response buffer: for raw text, all of it, final line included.
    pub buffer: String,
}

impl AtResult {
    /// Whether the command succeeded (`OK`).
    pub fn is_ok(&self) -> bool {
        self.status == AtStatus::Ok
    }

    /// The value after `<prefix>` on the first info line that starts with it
    /// (e.g. `"+CFUN:"` in `+CFUN: 4`), trimmed.
    pub fn info_value(&self, prefix: &str) -> Option<&str> {
        self.buffer
            .split("\r\n")
            .find_map(|line| line.strip_prefix(prefix))
            .map(str::trim)
    }
}

/// Turns a reply into a status and buffer. Raw text must hold a final result line; the
/// buffer is the whole text (`nrf_modem_at_cmd` copies the full response, final line
/// included — see `modem_key_mgmt_exists`, which compares the buffer with `"OK\r\n"`).
pub fn read_reply(reply: AtReply) -> Result<AtResult, InputError> {
    match reply {
        AtReply::Result { status, buffer } => Ok(AtResult { status, buffer }),
        AtReply::Raw(text) => {
            let mut parser = AnswerParser::new();
            let first = parser.push(text.as_bytes()).into_iter().next();
            let status = match first {
                Some(AnswerEvent::Complete { answer, .. }) => match answer.result {
                    FinalResult::Ok => AtStatus::Ok,
                    FinalResult::Error => AtStatus::Error,
                    FinalResult::CmeError(n) => AtStatus::CmeError(n),
                },
                Some(AnswerEvent::Malformed(e)) => {
                    return Err(InputError::MalformedAtAnswer(e.to_string()))
                }
                None => {
                    return Err(InputError::MalformedAtAnswer(
                        "no final result line".to_owned(),
                    ))
                }
            };
            Ok(AtResult {
                status,
                buffer: text,
            })
        }
    }
}

/// The numeric value of `+CMEE: n` / `+CFUN: n` style answers.
pub fn int_value(result: &AtResult, prefix: &str) -> Option<i64> {
    if !result.is_ok() {
        return None;
    }
    result.info_value(prefix)?.parse().ok()
}

/// The token of `%JWT: "<token>"`.
pub fn jwt_token(result: &AtResult) -> Option<String> {
    quoted_value(result, "%JWT:")
}

/// The token of `%ATTESTTOKEN: "<attest>.<cose>"`, split at the first `.`
/// (`modem_attest_token_get`).
pub fn attestation_token(result: &AtResult) -> Option<AttestationToken> {
    let token = quoted_value(result, "%ATTESTTOKEN:")?;
    let (attest, cose) = token.split_once('.')?;
    Some(AttestationToken {
        attest: attest.to_owned(),
        cose: cose.to_owned(),
    })
}

fn quoted_value(result: &AtResult, prefix: &str) -> Option<String> {
    if !result.is_ok() {
        return None;
    }
    let value = result.info_value(prefix)?;
    let inner = value.strip_prefix('"')?;
    let end = inner.find('"')?;
    let token = &inner[..end];
    (!token.is_empty()).then(|| token.to_owned())
}

/// The sec tag and key type of a `AT%KEYGEN=<tag>,<type>,...` line, as the SDK's
/// `sscanf(buf, "AT%%KEYGEN=%d,%d,%*s", ...) == 2` detects them (two leading integers are
/// enough; the rest is not checked).
pub fn keygen_target(line: &str) -> Option<(i64, i64)> {
    let rest = line.strip_prefix("AT%KEYGEN=")?;
    let (tag, rest) = scan_int(rest)?;
    let rest = rest.strip_prefix(',')?;
    let (kind, _) = scan_int(rest)?;
    Some((tag, kind))
}

/// `%d`: optional whitespace, optional sign, at least one digit.
fn scan_int(s: &str) -> Option<(i64, &str)> {
    let t = s.trim_start();
    let (sign, digits_start) = match t.as_bytes().first() {
        Some(b'-') => (-1, 1),
        Some(b'+') => (1, 1),
        _ => (1, 0),
    };
    let body = &t[digits_start..];
    let end = body
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(body.len());
    if end == 0 {
        return None;
    }
    let value: i64 = body[..end].parse().ok()?;
    Some((sign * value, &body[end..]))
}

/// The status of a failed reply used where no CME code applies.
pub fn failure_errno(result: &AtResult) -> Errno {
    match result.status {
        AtStatus::Failed(e) => e,
        _ => Errno::Eio,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> AtResult {
        read_reply(AtReply::Raw(text.to_owned())).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn raw_replies_keep_the_whole_buffer() {
        let r = raw("+CFUN: 4\r\nOK\r\n");
        assert_eq!(r.status, AtStatus::Ok);
        assert_eq!(r.buffer, "+CFUN: 4\r\nOK\r\n");
        assert_eq!(int_value(&r, "+CFUN:"), Some(4));
        assert_eq!(raw("+CME ERROR: 513\r\n").status, AtStatus::CmeError(513));
        assert_eq!(raw("ERROR\r\n").status, AtStatus::Error);
        assert!(read_reply(AtReply::Raw("no final".into())).is_err());
        assert!(read_reply(AtReply::Raw("+CME ERROR: x\r\n".into())).is_err());
    }

    #[test]
    fn tokens_are_extracted() {
        let r = raw("%JWT: \"a.b.c\"\r\nOK\r\n");
        assert_eq!(jwt_token(&r).as_deref(), Some("a.b.c"));
        let t = attestation_token(&raw("%ATTESTTOKEN: \"AA.BB\"\r\nOK\r\n"));
        assert_eq!(
            t,
            Some(AttestationToken {
                attest: "AA".into(),
                cose: "BB".into()
            })
        );
        assert_eq!(
            attestation_token(&raw("%ATTESTTOKEN: \"AA\"\r\nOK\r\n")),
            None
        );
        assert_eq!(jwt_token(&raw("ERROR\r\n")), None);
    }

    #[test]
    fn keygen_detection_matches_sscanf() {
        assert_eq!(keygen_target("AT%KEYGEN=16842753,2,1"), Some((16842753, 2)));
        assert_eq!(keygen_target("AT%KEYGEN=17,2"), Some((17, 2)));
        assert_eq!(keygen_target("AT%KEYGEN= -1,+8,0"), Some((-1, 8)));
        assert_eq!(keygen_target("AT%keygen=1,2,0"), None);
        assert_eq!(keygen_target("AT%KEYGEN=x,2,0"), None);
        assert_eq!(keygen_target("AT%CMNG=3,1,2"), None);
    }

    #[test]
    fn command_lines() {
        assert_eq!(jwt_command(300, 0), "AT%JWT=0,300,\"\",\"\"");
        assert_eq!(jwt_command(300, 7), "AT%JWT=0,300,\"\",\"\",7,2");
        assert_eq!(cmee_set(true), "AT+CMEE=1");
        assert_eq!(cmng_delete(16842753, 2), "AT%CMNG=3,16842753,2");
    }
}
