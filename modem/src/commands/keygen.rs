//! `%KEYGEN=<sec_tag>,<key_type>[,<response_content>][,<attributes>][,<key_usage>]` (Nordic
//! "nRF91 AT Commands" reference, `%KEYGEN` set command).
//!
//! * `<key_type>` 2 (client private key): a new P-256 key replaces any key at
//!   `(sec_tag, 2)` (ours: the reference lists CME 519 "already exists" without saying when;
//!   the device library deletes a half-made key before retrying, which works either way).
//!   `<response_content>` 0 (default) answers a CSR (COSE message type 9), 1 the public key
//!   (type 8).
//! * `<key_type>` 8 (endorsement key): "If the private key already exists in <sec_tag>, the
//!   response is created based on the existing key instead of creating a new key"; the answer
//!   is always the public key.
//! * Other key types, a `<response_content>` other than 0/1, or attributes / key usage text
//!   the CSR builder rejects: plain `ERROR` (ours).
//! * Online → CME 518; storage full (fault) → CME 515, unless an existing endorsement key is
//!   reused (nothing to store).
//!
//! Answer: `%KEYGEN: "<b64url DER>.<b64url COSE_Sign1>"`, signed with the identity key.
//! The key is drawn from the modem's generator, then the 16-byte nonce.

use p256::ecdsa::SigningKey;
use provlab_proto::at::{Answer, AtCommand, CmeCode, CommandKind};
use provlab_proto::tokens::{KeygenContent, KeygenOutput, KeygenRequest};
use rand_core::RngCore as _;

use super::{commit, either, require_offline};
use crate::credentials::{CredKey, TYPE_CLIENT_KEY, TYPE_ENDORSEMENT_KEY};
use crate::{keys, Modem};

/// `%KEYGEN=…`.
pub(super) fn keygen(modem: &mut Modem, cmd: &AtCommand) -> Answer {
    if cmd.kind() != CommandKind::Set {
        return Answer::error();
    }
    either(run(modem, cmd))
}

fn run(modem: &mut Modem, cmd: &AtCommand) -> Result<Answer, Answer> {
    if cmd.params().len() > 5 {
        return Err(Answer::error());
    }
    let sec_tag = cmd.u32_param(0).map_err(|_| Answer::error())?;
    let key_type = cmd.u32_param(1).map_err(|_| Answer::error())?;
    let response_content = cmd.opt_u32_param(2).map_err(|_| Answer::error())?;
    let attributes = cmd.opt_str_param(3).map_err(|_| Answer::error())?;
    let key_usage = cmd.opt_str_param(4).map_err(|_| Answer::error())?;
    let content = match (key_type, response_content.unwrap_or(0)) {
        (2, 0) => KeygenContent::Csr,
        (2, 1) | (8, 0 | 1) => KeygenContent::PublicKey,
        _ => return Err(Answer::error()),
    };
    let cred_type = if key_type == 8 {
        TYPE_ENDORSEMENT_KEY
    } else {
        TYPE_CLIENT_KEY
    };
    let slot = CredKey::new(sec_tag, cred_type);
    require_offline(modem)?;

    let existing = match modem.creds.get(slot) {
        Some(pem) if cred_type == TYPE_ENDORSEMENT_KEY => {
            Some(keys::from_pem(pem).map_err(|_| Answer::cme(CmeCode::KeyGenerationFailed))?)
        }
        _ => None,
    };
    if existing.is_none() && modem.faults.storage_full() {
        return Err(Answer::cme(CmeCode::MemoryFull));
    }
    let reused = existing.is_some();
    let key = existing.unwrap_or_else(|| SigningKey::random(&mut modem.rng));
    let mut nonce = [0u8; 16];
    modem.rng.fill_bytes(&mut nonce);

    let request = KeygenRequest {
        sec_tag,
        content,
        attributes: attributes.map(str::to_owned),
        key_usage: key_usage.map(str::to_owned),
        form: modem.csr_form,
    };
    let output = KeygenOutput::for_key(
        &key,
        &request,
        modem.identity.device_uuid,
        nonce,
        modem.identity.signing_key(),
    )
    .map_err(|_| Answer::error())?;

    if !reused {
        let pem = keys::to_pem(&key).map_err(|_| Answer::cme(CmeCode::KeyGenerationFailed))?;
        let mut new = modem.creds.clone();
        new.insert(slot, pem.into_bytes());
        commit(modem, new)?;
    }
    Ok(Answer::ok().with_info(format!("%KEYGEN: \"{}\"", output.encode())))
}
