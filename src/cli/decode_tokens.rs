//! Rendering of modem tokens for `provlab decode`: attestation tokens, `%KEYGEN` answers
//! and JWTs, as they appear in AT logs (with or without the `%XXX: "…"` wrapper).

use anyhow::{bail, Context as _};
use provlab_proto::jwt;
use provlab_proto::tokens::{AttestationToken, KeygenContent, KeygenOutput};

/// Decodes an attestation token, a %KEYGEN answer or a JWT into readable lines.
pub fn render(text: &str) -> anyhow::Result<String> {
    let token = unwrap_answer(text);
    match token.split('.').count() {
        2 => render_two_part(token),
        3 => render_jwt(token),
        _ => bail!(
            "not hex, a modem token (`<base64url>.<base64url>`) or a JWT (three dot-separated parts)"
        ),
    }
}

/// Strips an AT answer prefix such as `%KEYGEN: ` and the surrounding quotes.
fn unwrap_answer(text: &str) -> &str {
    let mut token = text.trim();
    for prefix in ["%ATTESTTOKEN:", "%KEYGEN:", "%JWT:"] {
        if let Some(rest) = token.strip_prefix(prefix) {
            token = rest.trim();
        }
    }
    token.trim_matches('"')
}

/// An attestation token and a %KEYGEN answer share the two-part shape; the first part tells
/// them apart (CBOR attestation message versus DER).
fn render_two_part(token: &str) -> anyhow::Result<String> {
    match AttestationToken::decode(token) {
        Ok(att) => Ok(render_attestation(&att)),
        Err(att_err) => match KeygenOutput::decode(token) {
            Ok(out) => render_keygen(&out),
            Err(keygen_err) => {
                bail!("not an attestation token ({att_err}) nor a %KEYGEN answer ({keygen_err})")
            }
        },
    }
}

fn render_attestation(token: &AttestationToken) -> String {
    let a = token.attestation();
    let device_type = match a.device_type.name() {
        Some(name) => format!("{} ({name})", a.device_type.code()),
        None => format!("{} (unknown)", a.device_type.code()),
    };
    format!(
        "attestation token\n  device uuid:   {}\n  device type:   {device_type}\n  modem fw uuid: {}\n  nonce:         {}\n  signature:     COSE_Sign1, {}\n",
        a.device_uuid,
        a.modem_fw_uuid,
        hex::encode(a.nonce),
        describe_kid(token.cose()),
    )
}

fn render_keygen(out: &KeygenOutput) -> anyhow::Result<String> {
    let p = out.payload();
    let mut text = format!(
        "%KEYGEN answer\n  content:       {}\n  device uuid:   {}\n  sec tag:       {}\n  digest:        {} (matches part 1)\n  nonce:         {}\n  signature:     COSE_Sign1, {}\n",
        match p.content {
            KeygenContent::Csr => "CSR (message type 9)",
            KeygenContent::PublicKey => "public key (message type 8)",
        },
        p.device_uuid,
        p.sec_tag,
        hex::encode(p.digest),
        hex::encode(p.nonce),
        describe_kid(out.cose()),
    );
    match p.content {
        KeygenContent::Csr => {
            let csr = out.csr().context("part 1 is not a valid CSR")?;
            let verified = match csr.verify() {
                Ok(()) => "self-signature valid",
                Err(_) => "self-signature INVALID",
            };
            text.push_str(&format!(
                "  csr subject:   {}\n  csr key usage: {}\n  csr signature: {verified}, {:?} algorithm form\n",
                csr.subject(),
                csr.key_usage()
                    .map(|k| k.to_string())
                    .unwrap_or_else(|| "none".into()),
                csr.form(),
            ));
        }
        KeygenContent::PublicKey => {
            let key = out
                .public_key()
                .context("part 1 is not a P-256 public key")?;
            text.push_str(&format!(
                "  public key:    {}\n",
                hex::encode(key.to_encoded_point(false).as_bytes())
            ));
        }
    }
    Ok(text)
}

fn describe_kid(cose: &provlab_proto::tokens::CoseSign1) -> String {
    use provlab_proto::tokens::KeyId;
    match cose.kid {
        Some(KeyId::Identity) => "kid -2 (device identity key)".to_string(),
        Some(other) => format!("kid {} ({other:?})", other.code()),
        None => "no kid".to_string(),
    }
}

fn render_jwt(token: &str) -> anyhow::Result<String> {
    let jwt = jwt::decode_unverified(token).context("not a valid JWT")?;
    let h = &jwt.header;
    let c = &jwt.claims;
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let num = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
    Ok(format!(
        "JWT (signature not verified)\n  alg: {}\n  typ: {}\n  kid: {}\n  iss: {}\n  jti: {}\n  iat: {}\n  exp: {}\n  sub: {}\n  aud: {}\n",
        h.alg,
        opt(&h.typ),
        opt(&h.kid),
        opt(&c.iss),
        opt(&c.jti),
        num(c.iat),
        num(c.exp),
        opt(&c.sub),
        opt(&c.aud),
    ))
}
