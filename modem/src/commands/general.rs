//! `AT`, `+CMEE`, `+CFUN`, `+CGSN`, `+CGMM`, `+CGMR`, `%XMODEMUUID`, `+CCLK`, `%CCLK`.

use provlab_proto::at::{Answer, AtCommand, CommandKind};

use crate::clock;
use crate::Modem;

/// CFUN modes the nRF91 accepts (Nordic "nRF91 AT Commands" reference, `+CFUN` set command:
/// 0 power off, 1 normal, 2 receive only / activate LTE without GNSS, 4 offline, 20/21
/// deactivate/activate LTE, 30/31 deactivate/activate GNSS, 40/41 deactivate/activate UICC,
/// 44 offline without shutting down UICC).
pub(super) const CFUN_MODES: [u8; 11] = [0, 1, 2, 4, 20, 21, 30, 31, 40, 41, 44];

/// Modes that only switch GNSS or the UICC: accepted, but they leave the LTE-related mode
/// that `AT+CFUN?` reports (and that gates credential writes) unchanged (ours).
const GNSS_UICC_MODES: [u8; 4] = [30, 31, 40, 41];

/// `AT` → `OK`.
pub(super) fn at(cmd: &AtCommand) -> Answer {
    match cmd.kind() {
        CommandKind::Exec => Answer::ok(),
        _ => Answer::error(),
    }
}

/// The single unsigned parameter of a set command, or `None`.
fn single_u32(cmd: &AtCommand) -> Option<u32> {
    match cmd.params() {
        [_] => cmd.u32_param(0).ok(),
        _ => None,
    }
}

/// `AT+CMEE=<0|1>` → `OK`; `AT+CMEE?` → `+CMEE: <n>`; `AT+CMEE=?` → `+CMEE: (0,1)`.
pub(super) fn cmee(modem: &mut Modem, cmd: &AtCommand) -> Answer {
    match cmd.kind() {
        CommandKind::Set => match single_u32(cmd) {
            Some(n @ (0 | 1)) => {
                modem.cmee = n == 1;
                Answer::ok()
            }
            _ => Answer::error(),
        },
        CommandKind::Read => Answer::ok().with_info(format!("+CMEE: {}", u8::from(modem.cmee))),
        CommandKind::Test => Answer::ok().with_info("+CMEE: (0,1)"),
        CommandKind::Exec => Answer::error(),
    }
}

/// `AT+CFUN=<n>` → store; `AT+CFUN?` → `+CFUN: <n>`; `AT+CFUN=?` → the accepted modes.
pub(super) fn cfun(modem: &mut Modem, cmd: &AtCommand) -> Answer {
    match cmd.kind() {
        CommandKind::Set => {
            let mode = single_u32(cmd).and_then(|n| u8::try_from(n).ok());
            match mode {
                Some(m) if CFUN_MODES.contains(&m) => {
                    if !GNSS_UICC_MODES.contains(&m) {
                        modem.cfun = m;
                    }
                    Answer::ok()
                }
                _ => Answer::error(),
            }
        }
        CommandKind::Read => Answer::ok().with_info(format!("+CFUN: {}", modem.cfun)),
        CommandKind::Test => {
            let list: Vec<String> = CFUN_MODES.iter().map(u8::to_string).collect();
            Answer::ok().with_info(format!("+CFUN: ({})", list.join(",")))
        }
        CommandKind::Exec => Answer::error(),
    }
}

/// `AT+CGSN` / `AT+CGSN=0` → the bare IMEI; `AT+CGSN=1` → `+CGSN: "<imei>"`;
/// `AT+CGSN=2` → `+CGSN: "<imeisv>"`; `AT+CGSN=3` → `+CGSN: "<svn>"` (Nordic reference,
/// `+CGSN` set command; its examples: `352656100367872` and `+CGSN: "352656100367872"`).
/// The software version number is `00` (ours).
pub(super) fn cgsn(modem: &mut Modem, cmd: &AtCommand) -> Answer {
    const SVN: &str = "00";
    let imei = &modem.identity.imei;
    let snt = match cmd.kind() {
        CommandKind::Exec => 0,
        CommandKind::Set => match single_u32(cmd) {
            Some(n) => n,
            None => return Answer::error(),
        },
        CommandKind::Test => return Answer::ok().with_info("+CGSN: (0-3)"),
        CommandKind::Read => return Answer::error(),
    };
    match snt {
        0 => Answer::ok().with_info(imei.clone()),
        1 => Answer::ok().with_info(format!("+CGSN: \"{imei}\"")),
        2 => Answer::ok().with_info(format!(
            "+CGSN: \"{}{SVN}\"",
            imei.get(..14).unwrap_or(imei)
        )),
        3 => Answer::ok().with_info(format!("+CGSN: \"{SVN}\"")),
        _ => Answer::error(),
    }
}

/// `AT+CGMM` → the model line.
pub(super) fn cgmm(modem: &mut Modem, cmd: &AtCommand) -> Answer {
    match cmd.kind() {
        CommandKind::Exec => Answer::ok().with_info(modem.identity.model.clone()),
        _ => Answer::error(),
    }
}

/// `AT+CGMR` → the modem firmware line.
pub(super) fn cgmr(modem: &mut Modem, cmd: &AtCommand) -> Answer {
    match cmd.kind() {
        CommandKind::Exec => Answer::ok().with_info(modem.identity.firmware.clone()),
        _ => Answer::error(),
    }
}

/// `AT%XMODEMUUID` → `%XMODEMUUID: <fw uuid>` (unquoted, as in `modem.md` and the Nordic
/// reference's `%XMODEMUUID` example).
pub(super) fn xmodemuuid(modem: &mut Modem, cmd: &AtCommand) -> Answer {
    match cmd.kind() {
        CommandKind::Exec => {
            Answer::ok().with_info(format!("%XMODEMUUID: {}", modem.identity.firmware_uuid))
        }
        _ => Answer::error(),
    }
}

/// `AT+CCLK?` → `+CCLK: "yy/MM/dd,hh:mm:ss+00"`; plain `ERROR` without network time (ours,
/// by analogy with `%CCLK`).
pub(super) fn plus_cclk(modem: &mut Modem, now: u64, cmd: &AtCommand) -> Answer {
    match cmd.kind() {
        CommandKind::Read if modem.network_time => {
            Answer::ok().with_info(clock::plus_cclk_line(now))
        }
        _ => Answer::error(),
    }
}

/// `AT%CCLK?` → `%CCLK: "yy/MM/dd,hh:mm:ss+00",0`; without network time plain `ERROR`
/// (Nordic reference, `%CCLK` read command: "If time is not received or set with the %CCLK
/// command, the response is ERROR").
pub(super) fn percent_cclk(modem: &mut Modem, now: u64, cmd: &AtCommand) -> Answer {
    match cmd.kind() {
        CommandKind::Read if modem.network_time => {
            Answer::ok().with_info(clock::percent_cclk_line(now))
        }
        _ => Answer::error(),
    }
}
