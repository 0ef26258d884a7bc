//! Rendering of modem tokens for `provlab decode` (filled in with the tokens codec).

/// Decodes an attestation token, a %KEYGEN answer or a JWT into readable lines.
pub fn render(text: &str) -> anyhow::Result<String> {
    anyhow::bail!("not hex, a token or a JWT: {text}")
}
