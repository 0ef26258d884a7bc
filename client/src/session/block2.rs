//! Reassembly of a block-wise (Block2) CoAP response into the bounded RX buffer.
//!
//! Source: `coap_callback` in nrfconnect/sdk-nrf
//! `subsys/net/lib/nrf_provisioning/src/nrf_provisioning_coap.c`: a block at offset 0
//! restarts the buffer, a block that would overflow `rx_buf_len` fails with `-ENOMEM`, and a
//! success without payload empties it ("Operation successful").

use crate::action::Block2;
use crate::errors::Errno;

/// The RX buffer a GET response is reassembled into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block2Buffer {
    data: Vec<u8>,
    capacity: usize,
}

impl Block2Buffer {
    /// An empty buffer of `capacity` bytes (`CONFIG_NRF_PROVISIONING_RX_BUF_SZ`).
    pub fn new(capacity: usize) -> Self {
        Block2Buffer {
            data: Vec::new(),
            capacity,
        }
    }

    /// Adds one block. A block whose offset is not where the data ends is refused with
    /// `-EINVAL` (ours: the SDK would copy it to its offset regardless).
    pub fn push(&mut self, block: Option<Block2>, payload: &[u8]) -> Result<(), Errno> {
        if payload.is_empty() {
            self.data.clear();
            return Ok(());
        }
        let offset = block.map_or(0, |b| b.offset());
        if offset == 0 {
            self.data.clear();
        }
        if offset != self.data.len() {
            return Err(Errno::Einval);
        }
        if self.data.len().saturating_add(payload.len()) > self.capacity {
            return Err(Errno::Enomem);
        }
        self.data.extend_from_slice(payload);
        Ok(())
    }

    /// The reassembled bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(num: u32, more: bool) -> Option<Block2> {
        Some(Block2 { num, more, szx: 0 })
    }

    #[test]
    fn reassembles_in_order_and_bounds() {
        let mut buf = Block2Buffer::new(40);
        assert_eq!(buf.push(b(0, true), &[1; 16]), Ok(()));
        assert_eq!(buf.push(b(1, true), &[2; 16]), Ok(()));
        assert_eq!(buf.push(b(3, true), &[3; 16]), Err(Errno::Einval));
        assert_eq!(buf.push(b(2, false), &[3; 16]), Err(Errno::Enomem));
        assert_eq!(buf.data().len(), 32);
        assert_eq!(buf.push(b(0, false), &[9; 4]), Ok(()));
        assert_eq!(buf.data(), &[9; 4]);
        assert_eq!(buf.push(None, &[]), Ok(()));
        assert!(buf.data().is_empty());
    }
}
