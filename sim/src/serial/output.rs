//! Output of the front-ends: bytes and the delay before them.

use std::time::Duration;

/// Bytes the device sends, after a delay counted from the end of the previous emission.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Emission {
    /// How long the device takes before it starts sending these bytes (e.g. a slow `%KEYGEN`).
    pub delay: Duration,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl Emission {
    /// Concatenates the bytes of `emissions`, ignoring delays (for tests and transcripts).
    pub fn concat(emissions: &[Emission]) -> Vec<u8> {
        emissions
            .iter()
            .flat_map(|e| e.bytes.iter().copied())
            .collect()
    }

    /// The sum of the delays of `emissions`.
    pub fn total_delay(emissions: &[Emission]) -> Duration {
        emissions.iter().map(|e| e.delay).sum()
    }
}

/// Builds a list of emissions, merging bytes that follow without delay.
#[derive(Debug, Default)]
pub(crate) struct Out {
    emissions: Vec<Emission>,
}

impl Out {
    /// Bytes sent right after the previous ones.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.after(Duration::ZERO, bytes);
    }

    /// Bytes sent `delay` after the previous ones.
    pub(crate) fn after(&mut self, delay: Duration, bytes: &[u8]) {
        if bytes.is_empty() && delay.is_zero() {
            return;
        }
        match self.emissions.last_mut() {
            Some(last) if delay.is_zero() => last.bytes.extend_from_slice(bytes),
            _ => self.emissions.push(Emission {
                delay,
                bytes: bytes.to_vec(),
            }),
        }
    }

    /// The emissions built.
    pub(crate) fn finish(self) -> Vec<Emission> {
        self.emissions
    }
}
