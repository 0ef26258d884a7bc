//! `%ATTESTTOKEN` and `%JWT`: the tokens signed with the device identity key.

use provlab_proto::at::{Answer, AtCommand, CmeCode, CommandKind};
use provlab_proto::jwt::{self, Claims};
use provlab_proto::tokens::{Attestation, AttestationToken};
use rand_core::RngCore as _;

use super::either;
use crate::credentials::{CredKey, TYPE_CLIENT_KEY, TYPE_ENDORSEMENT_KEY};
use crate::{keys, Modem};

/// `AT%ATTESTTOKEN` → `%ATTESTTOKEN: "<b64url attestation>.<b64url COSE>"` with a fresh
/// 16-byte nonce from the modem's generator; `AT%ATTESTTOKEN="<32 hex digits>"` uses that
/// challenge as the nonce (the proto crate's reading of the nRF91 AT reference). A challenge
/// that is not 32 hex digits → `ERROR` (ours).
pub(super) fn attesttoken(modem: &mut Modem, cmd: &AtCommand) -> Answer {
    let nonce = match cmd.kind() {
        CommandKind::Exec => {
            let mut nonce = [0u8; 16];
            modem.rng.fill_bytes(&mut nonce);
            nonce
        }
        CommandKind::Set => {
            let challenge = match cmd.params() {
                [_] => cmd.str_param(0).ok(),
                _ => None,
            };
            match challenge
                .and_then(|c| hex::decode(c).ok())
                .and_then(|b| <[u8; 16]>::try_from(b).ok())
            {
                Some(nonce) => nonce,
                None => return Answer::error(),
            }
        }
        _ => return Answer::error(),
    };
    let attestation = Attestation {
        device_uuid: modem.identity.device_uuid,
        device_type: modem.identity.device_type,
        modem_fw_uuid: modem.identity.firmware_uuid,
        nonce,
    };
    let token = AttestationToken::sign(attestation, modem.identity.signing_key());
    Answer::ok().with_info(format!("%ATTESTTOKEN: \"{}\"", token.encode()))
}

/// `AT%JWT=[<alg>],[<exp_delta>],[<subject>],[<audience>][,<sec_tag>,<key_type>]` (Nordic
/// "nRF91 AT Commands" reference, `%JWT` set command) → `%JWT: "<jwt>"`.
///
/// * `<alg>` 0 (ES256, the default) only; `<exp_delta>` absent or 0 → no `iat`/`exp` claims
///   (reference: "If <exp_delta> is not given, or the value is 0, the exp and iat claims are
///   not included"); `<subject>`/`<audience>` empty or absent → no claim.
/// * Signed with the identity key, or with the key at `(<sec_tag>, <key_type>)`, key type 2 or
///   8; missing key → CME 513, unreadable key → CME 514 (reference).
/// * Bad parameters → CME 50 "incorrect parameters" (reference).
/// * A timed JWT (`<exp_delta>` > 0) without network time → CME 525 "error in JWT creation"
///   (ours: the reference only says the device "must have a valid date and time").
/// * `jti` carries 16 random bytes from the modem's generator, drawn for every JWT.
pub(super) fn jwt(modem: &mut Modem, now: u64, cmd: &AtCommand) -> Answer {
    if cmd.kind() != CommandKind::Set {
        return Answer::error();
    }
    either(run_jwt(modem, now, cmd))
}

fn run_jwt(modem: &mut Modem, now: u64, cmd: &AtCommand) -> Result<Answer, Answer> {
    let bad = |_| Answer::cme(CmeCode::IncorrectParameters);
    let count = cmd.params().len();
    if !(1..=6).contains(&count) || count == 5 {
        return Err(Answer::cme(CmeCode::IncorrectParameters));
    }
    if cmd.opt_u32_param(0).map_err(bad)?.unwrap_or(0) != 0 {
        return Err(Answer::cme(CmeCode::IncorrectParameters));
    }
    let exp_delta = cmd.opt_u32_param(1).map_err(bad)?.unwrap_or(0);
    let subject = cmd.opt_str_param(2).map_err(bad)?.unwrap_or("");
    let audience = cmd.opt_str_param(3).map_err(bad)?.unwrap_or("");
    let signer = if count == 6 {
        let tag = cmd.u32_param(4).map_err(bad)?;
        let cred_type = match cmd.u32_param(5).map_err(bad)? {
            2 => TYPE_CLIENT_KEY,
            8 => TYPE_ENDORSEMENT_KEY,
            _ => return Err(Answer::cme(CmeCode::IncorrectParameters)),
        };
        let pem = modem
            .creds
            .get(CredKey::new(tag, cred_type))
            .ok_or_else(|| Answer::cme(CmeCode::NotFound))?;
        Some(keys::from_pem(pem).map_err(|_| Answer::cme(CmeCode::NotAllowed))?)
    } else {
        None
    };
    if exp_delta > 0 && !modem.network_time {
        return Err(Answer::cme(CmeCode::JwtCreationFailed));
    }
    let mut jti = [0u8; 16];
    modem.rng.fill_bytes(&mut jti);
    let identity = &modem.identity;
    let claims = Claims::modem(
        identity.chip(),
        &identity.device_uuid,
        &identity.firmware_uuid,
        &jti,
    )
    .with_lifetime(now, u64::from(exp_delta))
    .with_subject(subject)
    .with_audience(audience);
    let key = signer.as_ref().unwrap_or(identity.signing_key());
    Ok(Answer::ok().with_info(format!("%JWT: \"{}\"", jwt::sign(&claims, key))))
}
