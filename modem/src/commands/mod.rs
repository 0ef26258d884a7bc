//! Command dispatch: one module per command family.
//!
//! | command | module |
//! |---|---|
//! | `AT`, `+CMEE`, `+CFUN`, `+CGSN`, `+CGMM`, `+CGMR`, `%XMODEMUUID`, `+CCLK`, `%CCLK` | [`general`] |
//! | `%CMNG` | [`cmng`] |
//! | `%KEYGEN` | [`keygen`] |
//! | `%ATTESTTOKEN`, `%JWT` | [`tokens`] |
//!
//! Error policy. Nordic's AT reference lists, per command, the CME codes a command returns;
//! a parameter that does not fit the syntax is answered with plain `ERROR` (ours: the
//! reference lists no "incorrect parameters" CME for `+CFUN`, `+CMEE`, `+CGSN`, `%CMNG` or
//! `%KEYGEN`), except for `%JWT`, whose reference page lists CME 50 "incorrect parameters",
//! so its parameter errors are CME 50. Unknown commands and unsupported forms (e.g.
//! `AT+CGMM?`) are plain `ERROR`.

mod cmng;
mod general;
mod keygen;
mod tokens;

use provlab_proto::at::{Answer, AtCommand, CmeCode};

use super::credentials::CredentialStore;
use super::Modem;

/// Runs a parsed command.
pub(super) fn dispatch(modem: &mut Modem, now: u64, cmd: &AtCommand) -> Answer {
    match cmd.name() {
        "" => general::at(cmd),
        "+CMEE" => general::cmee(modem, cmd),
        "+CFUN" => general::cfun(modem, cmd),
        "+CGSN" => general::cgsn(modem, cmd),
        "+CGMM" => general::cgmm(modem, cmd),
        "+CGMR" => general::cgmr(modem, cmd),
        "%XMODEMUUID" => general::xmodemuuid(modem, cmd),
        "+CCLK" => general::plus_cclk(modem, now, cmd),
        "%CCLK" => general::percent_cclk(modem, now, cmd),
        "%CMNG" => cmng::cmng(modem, cmd),
        "%KEYGEN" => keygen::keygen(modem, cmd),
        "%ATTESTTOKEN" => tokens::attesttoken(modem, cmd),
        "%JWT" => tokens::jwt(modem, now, cmd),
        _ => Answer::error(),
    }
}

/// Persists `new` and makes it the modem's store; on an NVM failure the store is unchanged
/// and the answer is CME 23 "memory failure" (3GPP TS 27.007 §9.2; ours: what a real modem
/// answers when its flash fails is not documented).
fn commit(modem: &mut Modem, new: CredentialStore) -> Result<(), Answer> {
    modem
        .nvm
        .save(&new)
        .map_err(|_| Answer::cme(CmeCode::MemoryFailure))?;
    modem.creds = new;
    Ok(())
}

/// CME 518 when the modem is online (credential writes, deletes, key generation).
fn require_offline(modem: &Modem) -> Result<(), Answer> {
    if modem.is_online() {
        Err(Answer::cme(CmeCode::NotAllowedInActiveState))
    } else {
        Ok(())
    }
}

/// Collapses `Result<Answer, Answer>`.
fn either(result: Result<Answer, Answer>) -> Answer {
    result.unwrap_or_else(|answer| answer)
}
