//! `%CMNG`: credential storage management (Nordic "nRF91 AT Commands" reference, `%CMNG` set
//! command): `%CMNG=<opcode>[,<sec_tag>[,<type>[,<content>[,<passwd>]]]]`, opcodes 0 write,
//! 1 list, 2 read, 3 delete.
//!
//! * Write / delete while online → CME 518; storage full → CME 515; reading or deleting a
//!   missing credential → CME 513; reading a private key or PSK → CME 514.
//! * `<sec_tag>` is 0–2147483647 in the reference ("values above … are reserved for the
//!   modem"); larger tags are answered with plain `ERROR` (ours).
//! * Writable types (ours): 0–5. Types 6 (device identity public key) and 8 (endorsement key,
//!   made by `%KEYGEN`) answer CME 514 "no access"; other numbers `ERROR`.
//! * The content is stored verbatim (no PEM validation; ours) and must not be empty.
//! * `<passwd>` (the `modem.md` `<psk id>` slot) is accepted and ignored.

use provlab_proto::at::{Answer, AtCommand, CmeCode};

use super::{commit, either, require_offline};
use crate::credentials::{content_sha, CredKey, TYPE_ENDORSEMENT_KEY, TYPE_IDENTITY_PUBLIC_KEY};
use crate::Modem;

/// Largest `<sec_tag>` a host may use.
const MAX_SEC_TAG: u32 = 2_147_483_647;
/// Largest credential type number a host may write.
const MAX_WRITABLE_TYPE: u8 = 5;

/// `%CMNG=<opcode>,…`.
pub(super) fn cmng(modem: &mut Modem, cmd: &AtCommand) -> Answer {
    if cmd.kind() != provlab_proto::at::CommandKind::Set {
        return Answer::error();
    }
    either(match cmd.u32_param(0) {
        Ok(0) => write(modem, cmd),
        Ok(1) => list(modem, cmd),
        Ok(2) => read(modem, cmd),
        Ok(3) => delete(modem, cmd),
        _ => Err(Answer::error()),
    })
}

/// `<sec_tag>` at index 1 and `<type>` at index 2, both required.
fn key_params(cmd: &AtCommand) -> Result<CredKey, Answer> {
    let tag = cmd
        .u32_param(1)
        .ok()
        .filter(|t| *t <= MAX_SEC_TAG)
        .ok_or_else(Answer::error)?;
    let cred_type = cmd
        .u32_param(2)
        .ok()
        .and_then(|t| u8::try_from(t).ok())
        .ok_or_else(Answer::error)?;
    Ok(CredKey::new(tag, cred_type))
}

fn write(modem: &mut Modem, cmd: &AtCommand) -> Result<Answer, Answer> {
    if cmd.params().len() > 5 {
        return Err(Answer::error());
    }
    let key = key_params(cmd)?;
    let content = cmd.str_param(3).map_err(|_| Answer::error())?;
    if content.is_empty() {
        return Err(Answer::error());
    }
    match key.cred_type {
        t if t <= MAX_WRITABLE_TYPE => {}
        TYPE_IDENTITY_PUBLIC_KEY | TYPE_ENDORSEMENT_KEY => {
            return Err(Answer::cme(CmeCode::NotAllowed))
        }
        _ => return Err(Answer::error()),
    }
    require_offline(modem)?;
    if modem.faults.storage_full() {
        return Err(Answer::cme(CmeCode::MemoryFull));
    }
    let mut new = modem.creds.clone();
    new.insert(key, content.as_bytes().to_vec());
    commit(modem, new)?;
    Ok(Answer::ok())
}

fn list(modem: &mut Modem, cmd: &AtCommand) -> Result<Answer, Answer> {
    if cmd.params().len() > 3 {
        return Err(Answer::error());
    }
    let tag = cmd.opt_u32_param(1).map_err(|_| Answer::error())?;
    let cred_type = cmd.opt_u32_param(2).map_err(|_| Answer::error())?;
    let mut answer = Answer::ok();
    for (key, content) in modem.creds.iter() {
        if tag.is_some_and(|t| t != key.sec_tag)
            || cred_type.is_some_and(|t| t != u32::from(key.cred_type))
        {
            continue;
        }
        answer = answer.with_info(format!(
            "%CMNG: {},{},\"{}\"",
            key.sec_tag,
            key.cred_type,
            content_sha(content)
        ));
    }
    Ok(answer)
}

fn read(modem: &mut Modem, cmd: &AtCommand) -> Result<Answer, Answer> {
    if cmd.params().len() != 3 {
        return Err(Answer::error());
    }
    let key = key_params(cmd)?;
    let content = modem
        .creds
        .get(key)
        .ok_or_else(|| Answer::cme(CmeCode::NotFound))?;
    if key.is_secret() {
        return Err(Answer::cme(CmeCode::NotAllowed));
    }
    // Stored contents come from quoted AT parameters or our own PEM, so they are UTF-8
    // without `"`; anything else cannot be framed and is refused rather than garbled.
    let text = std::str::from_utf8(content)
        .ok()
        .filter(|t| !t.contains('"'))
        .ok_or_else(|| Answer::cme(CmeCode::NotAllowed))?;
    Ok(Answer::ok().with_info(format!(
        "%CMNG: {},{},\"{}\",\"{}\"",
        key.sec_tag,
        key.cred_type,
        content_sha(content),
        text
    )))
}

fn delete(modem: &mut Modem, cmd: &AtCommand) -> Result<Answer, Answer> {
    if cmd.params().len() != 3 {
        return Err(Answer::error());
    }
    let key = key_params(cmd)?;
    require_offline(modem)?;
    if !modem.creds.contains(key) {
        return Err(Answer::cme(CmeCode::NotFound));
    }
    let mut new = modem.creds.clone();
    new.remove(key);
    commit(modem, new)?;
    Ok(Answer::ok())
}
