//! Block-wise transfer (RFC 7959): the Block1/Block2 option value, slicing a response body
//! into Block2 blocks, and reassembling a Block1 request body.
//!
//! Sizes: a block is `2^(SZX+4)` bytes, SZX 0..=6 (16..1024); SZX 7 is BERT, for reliable
//! transports only, and refused here. The device suggests its size with an initial Block2
//! option on `GET p/cmd` (`coap_client_option_initial_block2()`, i.e.
//! `CONFIG_COAP_CLIENT_BLOCK_SIZE`, in the SDK's `nrf_provisioning_coap.c`); the server
//! never sends blocks larger than that or than its own [`MAX_SZX`]. Without a suggestion it
//! uses [`DEFAULT_SZX`] (256 bytes, the default of Zephyr's `CONFIG_COAP_CLIENT_BLOCK_SIZE`,
//! `coap_client_default_block_size()` in `coap_client.c`), so an older client's receive
//! buffer is never overrun.

/// Largest block the server sends or accepts: 1024 bytes, which with the CoAP header and the
/// DTLS record overhead stays within one 1280-byte datagram.
pub const MAX_SZX: u8 = 6;
/// Block size used when the client suggests none: 256 bytes.
pub const DEFAULT_SZX: u8 = 4;

/// A Block1 or Block2 option value: block number, more flag, size exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockOpt {
    /// Block number (20 bits).
    pub num: u32,
    /// Whether more blocks follow.
    pub more: bool,
    /// Size exponent: the block holds `2^(szx+4)` bytes.
    pub szx: u8,
}

/// Why a block option or block request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// The option value is longer than 3 bytes.
    #[error("block option value of {0} bytes (at most 3)")]
    TooLong(usize),
    /// SZX 7 (BERT) is for reliable transports only.
    #[error("block size exponent 7 (BERT) is not allowed over DTLS")]
    Bert,
    /// The requested block starts beyond the end of the body.
    #[error("block {num} of {size} bytes starts at byte {offset}, past the {len}-byte body")]
    OutOfRange {
        /// The block number asked for.
        num: u32,
        /// The block size.
        size: usize,
        /// Where it would start.
        offset: usize,
        /// The body's length.
        len: usize,
    },
    /// A Block1 block arrived out of order.
    #[error("expected block {expected} of the request body, got block {got}")]
    OutOfOrder {
        /// The block number that would continue the body.
        expected: usize,
        /// The block number received.
        got: u32,
    },
    /// A Block1 block that is not the last one is not a full block.
    #[error("block {num} has {len} bytes but is not the last one; a block holds {size}")]
    ShortBlock {
        /// The block number.
        num: u32,
        /// Its payload length.
        len: usize,
        /// The block size.
        size: usize,
    },
    /// The reassembled request body would exceed the limit.
    #[error("the request body exceeds {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
}

impl BlockOpt {
    /// Bytes in a block of this size.
    pub fn size(&self) -> usize {
        size_of_szx(self.szx)
    }

    /// Decodes an option value (0 to 3 bytes, big-endian `NUM << 4 | M << 3 | SZX`).
    pub fn decode(value: &[u8]) -> Result<BlockOpt, BlockError> {
        if value.len() > 3 {
            return Err(BlockError::TooLong(value.len()));
        }
        let raw = value.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b));
        let szx = (raw & 0x7) as u8;
        if szx == 7 {
            return Err(BlockError::Bert);
        }
        Ok(BlockOpt {
            num: raw >> 4,
            more: raw & 0x8 != 0,
            szx,
        })
    }

    /// Encodes the option value in the fewest bytes (zero bytes for value 0).
    pub fn encode(&self) -> Vec<u8> {
        let raw = (self.num & 0xF_FFFF) << 4 | u32::from(self.more) << 3 | u32::from(self.szx & 7);
        let bytes = raw.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        bytes.get(skip..).map(<[u8]>::to_vec).unwrap_or_default()
    }
}

/// Bytes in a block of exponent `szx`.
pub fn size_of_szx(szx: u8) -> usize {
    1usize << (u32::from(szx.min(MAX_SZX)) + 4)
}

/// Cuts the Block2 block of `body` the client asked for (`requested`, `None` for a request
/// without Block2). Returns the block option to send back (`None` when the whole body fits
/// in one block and the client did not ask for a later block) and the payload.
pub fn block2_slice(
    body: &[u8],
    requested: Option<BlockOpt>,
) -> Result<(Option<BlockOpt>, &[u8]), BlockError> {
    let (num, client_szx) = match requested {
        Some(b) => (b.num, b.szx),
        None => (0, DEFAULT_SZX),
    };
    let offset = (num as usize).saturating_mul(size_of_szx(client_szx));
    // A client asking for larger blocks than ours gets ours, numbered in our size
    // (RFC 7959 §2.4: the server may choose a smaller size).
    let szx = client_szx.min(MAX_SZX);
    let size = size_of_szx(szx);
    if num == 0 && body.len() <= size {
        return Ok((None, body));
    }
    if offset >= body.len() {
        return Err(BlockError::OutOfRange {
            num,
            size,
            offset,
            len: body.len(),
        });
    }
    let end = offset.saturating_add(size).min(body.len());
    let payload = body.get(offset..end).unwrap_or_default();
    Ok((
        Some(BlockOpt {
            num: (offset / size) as u32,
            more: end < body.len(),
            szx,
        }),
        payload,
    ))
}

/// A request body arriving in Block1 blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Block1Assembly {
    body: Vec<u8>,
}

/// What one Block1 block did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block1Step {
    /// More blocks are expected (answer 2.31 Continue).
    Continue,
    /// The body is complete.
    Complete(Vec<u8>),
}

impl Block1Assembly {
    /// Adds block `block` with `payload`; block 0 starts a new body. `limit` bounds the
    /// reassembled body.
    pub fn push(
        &mut self,
        block: BlockOpt,
        payload: &[u8],
        limit: usize,
    ) -> Result<Block1Step, BlockError> {
        let size = block.size();
        if block.num == 0 {
            self.body.clear();
        }
        let offset = (block.num as usize).saturating_mul(size);
        if offset != self.body.len() {
            return Err(BlockError::OutOfOrder {
                expected: self.body.len() / size,
                got: block.num,
            });
        }
        if block.more && payload.len() != size {
            return Err(BlockError::ShortBlock {
                num: block.num,
                len: payload.len(),
                size,
            });
        }
        if self.body.len().saturating_add(payload.len()) > limit {
            self.body.clear();
            return Err(BlockError::TooLarge { limit });
        }
        self.body.extend_from_slice(payload);
        if block.more {
            Ok(Block1Step::Continue)
        } else {
            Ok(Block1Step::Complete(std::mem::take(&mut self.body)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(num: u32, more: bool, szx: u8) -> BlockOpt {
        BlockOpt { num, more, szx }
    }

    #[test]
    fn option_value_round_trips_in_the_fewest_bytes() {
        assert_eq!(opt(0, false, 0).encode(), Vec::<u8>::new());
        assert_eq!(opt(0, false, 6).encode(), vec![0x06]);
        assert_eq!(opt(1, true, 2).encode(), vec![0x1a]);
        assert_eq!(opt(16, false, 6).encode(), vec![0x01, 0x06]);
        assert_eq!(opt(4096, true, 4).encode(), vec![0x01, 0x00, 0x0c]);
        for b in [
            opt(0, false, 0),
            opt(0, true, 6),
            opt(15, true, 4),
            opt(0xF_FFFF, false, 1),
        ] {
            assert_eq!(BlockOpt::decode(&b.encode()), Ok(b));
        }
        assert_eq!(BlockOpt::decode(&[]), Ok(opt(0, false, 0)));
        assert_eq!(BlockOpt::decode(&[0x07]), Err(BlockError::Bert));
        assert_eq!(BlockOpt::decode(&[1, 2, 3, 4]), Err(BlockError::TooLong(4)));
        assert_eq!(opt(0, false, 0).size(), 16);
        assert_eq!(opt(0, false, 6).size(), 1024);
    }

    #[test]
    fn block2_honours_the_clients_size_and_caps_it_at_ours() {
        let body: Vec<u8> = (0..2500u32).map(|i| i as u8).collect();
        // The client asks for 512-byte blocks.
        let (b, p) = block2_slice(&body, Some(opt(0, false, 5))).unwrap();
        assert_eq!(b, Some(opt(0, true, 5)));
        assert_eq!(p, &body[..512]);
        let (b, p) = block2_slice(&body, Some(opt(4, false, 5))).unwrap();
        assert_eq!(b, Some(opt(4, false, 5)));
        assert_eq!(p, &body[2048..]);
        // SZX 6 is our maximum: 1024.
        let (b, p) = block2_slice(&body, Some(opt(2, false, 6))).unwrap();
        assert_eq!(b, Some(opt(2, false, 6)));
        assert_eq!(p.len(), 2500 - 2048);
        // Reassembling every block gives the body back.
        let mut out = Vec::new();
        for num in 0..100 {
            let (b, p) = block2_slice(&body, Some(opt(num, false, 4))).unwrap();
            out.extend_from_slice(p);
            if !b.unwrap().more {
                break;
            }
        }
        assert_eq!(out, body);
    }

    #[test]
    fn block2_defaults_to_256_and_omits_the_option_when_one_block_holds_it() {
        let body = vec![7u8; 600];
        let (b, p) = block2_slice(&body, None).unwrap();
        assert_eq!(b, Some(opt(0, true, DEFAULT_SZX)));
        assert_eq!(p.len(), 256);
        let small = vec![1u8; 256];
        assert_eq!(
            block2_slice(&small, None).unwrap(),
            (None, small.as_slice())
        );
        assert_eq!(
            block2_slice(&small, Some(opt(0, false, 6))).unwrap(),
            (None, small.as_slice())
        );
        assert_eq!(
            block2_slice(&body, Some(opt(3, false, 4))),
            Err(BlockError::OutOfRange {
                num: 3,
                size: 256,
                offset: 768,
                len: 600
            })
        );
    }

    #[test]
    fn block1_reassembles_in_order_and_refuses_gaps_short_blocks_and_overflow() {
        let mut a = Block1Assembly::default();
        assert_eq!(
            a.push(opt(0, true, 0), &[1; 16], 100),
            Ok(Block1Step::Continue)
        );
        assert_eq!(
            a.push(opt(2, true, 0), &[1; 16], 100),
            Err(BlockError::OutOfOrder {
                expected: 1,
                got: 2
            })
        );
        assert_eq!(
            a.push(opt(1, true, 0), &[1; 3], 100),
            Err(BlockError::ShortBlock {
                num: 1,
                len: 3,
                size: 16
            })
        );
        assert_eq!(
            a.push(opt(1, false, 0), &[2; 5], 100),
            Ok(Block1Step::Complete(
                [[1u8; 16].as_slice(), &[2; 5]].concat()
            ))
        );
        let mut a = Block1Assembly::default();
        assert_eq!(
            a.push(opt(0, true, 0), &[0; 16], 20),
            Ok(Block1Step::Continue)
        );
        assert_eq!(
            a.push(opt(1, true, 0), &[0; 16], 20),
            Err(BlockError::TooLarge { limit: 20 })
        );
        // Block 0 restarts.
        assert_eq!(
            a.push(opt(0, false, 0), &[9; 4], 20),
            Ok(Block1Step::Complete(vec![9; 4]))
        );
    }
}
