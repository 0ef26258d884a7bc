//! Helpers shared by the serial front-end tests.
#![allow(clippy::unwrap_used, dead_code)]

use std::time::Duration;

use provlab_sim::modem::{Modem, ModemConfig};
use provlab_sim::serial::{Emission, FrontEnd, Now};

/// Unix time of the tests' epoch (2023-11-14).
pub const T0: u64 = 1_700_000_000;

/// A modem with an in-memory NVM and the identity of `seed`.
pub fn modem(seed: u64) -> Modem {
    Modem::new(ModemConfig::from_seed(seed)).unwrap()
}

/// `secs` seconds after the tests' epoch.
pub fn at(secs: u64) -> Now {
    Now::new(T0 + secs, Duration::from_secs(secs))
}

/// Pushes `bytes` at `now` and returns all output as text (lossy), ignoring delays.
pub fn push(front: &mut dyn FrontEnd, now: Now, bytes: &[u8]) -> String {
    let out = front.push(now, bytes).unwrap();
    String::from_utf8_lossy(&Emission::concat(&out)).into_owned()
}

/// Upper-case hex SHA-256, as `%CMNG=1` prints it (computed here, not by the modem).
pub fn sha_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode_upper(sha2::Sha256::digest(bytes))
}

/// A deterministic byte generator (xorshift64*), so failures reproduce.
pub struct Bytes(u64);

impl Bytes {
    /// A generator from a non-zero seed.
    pub fn new(seed: u64) -> Self {
        Bytes(seed.max(1))
    }

    /// The next byte.
    pub fn next_byte(&mut self) -> u8 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
    }

    /// `n` bytes, skipping those in `except`.
    pub fn take(&mut self, n: usize, except: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let b = self.next_byte();
            if !except.contains(&b) {
                out.push(b);
            }
        }
        out
    }
}
