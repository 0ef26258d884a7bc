//! The modem response buffer of `exec_at_cmd` and its growth.
//!
//! Source: nrfconnect/sdk-nrf `subsys/net/lib/nrf_provisioning/src/nrf_provisioning_codec.c`
//! (`exec_at_cmd`, `AT_RESP_MAX_SIZE` 4096, `KEYGEN_BUFFER_SIZE` 1024): the buffer starts at
//! `CONFIG_NRF_PROVISIONING_CODEC_RX_SZ_START` (1024); when `nrf_modem_at_cmd` returns
//! `-E2BIG` it doubles, jumps to 4096 once past 2048, and gives up ("Key or CSR too big")
//! past 4096.

/// The largest response buffer the library allocates.
pub const AT_RESP_MAX_SIZE: usize = 4096;

/// The error message when even the largest buffer is too small.
pub const TOO_BIG_MESSAGE: &str = "Key or CSR too big";

/// A response buffer size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResponseBuffer {
    size: usize,
}

impl ResponseBuffer {
    /// A buffer of `start` bytes.
    pub const fn new(start: usize) -> Self {
        ResponseBuffer { size: start }
    }

    /// The current size.
    #[cfg(test)]
    pub const fn size(&self) -> usize {
        self.size
    }

    /// Whether an answer of `len` bytes fits together with its terminating NUL (`ours`: the
    /// modem library writes a C string, so `len + 1` bytes must fit).
    pub const fn fits(&self, len: usize) -> bool {
        len < self.size
    }

    /// Grows after `-E2BIG`; `false` when the answer cannot fit any buffer.
    pub fn grow(&mut self) -> bool {
        self.size = self.size.saturating_mul(2);
        if self.size > AT_RESP_MAX_SIZE {
            false
        } else {
            if self.size > AT_RESP_MAX_SIZE / 2 {
                self.size = AT_RESP_MAX_SIZE;
            }
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_1024_2048_4096_then_gives_up() {
        let mut b = ResponseBuffer::new(1024);
        assert!(b.fits(1023) && !b.fits(1024));
        assert!(b.grow());
        assert_eq!(b.size(), 2048);
        assert!(b.grow());
        assert_eq!(b.size(), 4096);
        assert!(!b.grow());
    }

    #[test]
    fn odd_start_jumps_to_the_maximum() {
        let mut b = ResponseBuffer::new(1500);
        assert!(b.grow());
        assert_eq!(b.size(), 4096);
    }
}
