//! OS randomness for what must not be predictable: generated API keys, the id seed of a new
//! store, directory names. The domain draws no entropy itself (it is sans-IO); the I/O layer
//! draws here and hands the bytes in.

use crate::domain::members::KeyMaterial;

/// The operating system's random number generator failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot draw OS randomness for {0}")]
pub struct EntropyError(pub &'static str);

/// Fills `buf` from the OS's CSPRNG (through rustls' `ring` provider); `what` names the use
/// in the error.
pub fn fill(buf: &mut [u8], what: &'static str) -> Result<(), EntropyError> {
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(buf)
        .map_err(|_| EntropyError(what))
}

/// Material for one generated API key: [`KeyMaterial::LEN`] bytes of OS randomness.
pub fn key_material() -> Result<KeyMaterial, EntropyError> {
    let mut bytes = [0u8; KeyMaterial::LEN];
    fill(&mut bytes, "an API key")?;
    Ok(KeyMaterial::from_bytes(bytes))
}
