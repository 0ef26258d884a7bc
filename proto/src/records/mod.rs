//! The CBOR provisioning records exchanged between the device client and the service.
//!
//! A body is a definite-length CBOR array of records; each record is a flat array whose
//! first element is the correlation id and whose second is the record type. The service
//! sends [`Command`]s; the device answers with [`Response`]s, one per executed command.
//! Decoding enforces every limit of the wire format and reports the offending record;
//! encoding is canonical (definite lengths, shortest integer forms), so encoding a
//! decoded body reproduces the bytes the nRF Connect SDK produces.

mod decode;
mod encode;
mod error;
mod types;

pub use decode::{decode_any, decode_commands, decode_responses, Body};
pub use encode::{encode_commands, encode_responses, encoded_command_len, encoded_response_len};
pub use error::{RecordError, RecordsError};
pub use types::{Command, CorrelationId, Response};

/// Records limit the nRF Connect SDK uses when the application does not set one.
pub const DEFAULT_RECORDS_LIMIT: usize = 10;
/// Records limit of Nordic's `nrf_provisioning` sample firmware.
pub const SAMPLE_RECORDS_LIMIT: usize = 20;
/// Longest correlation id, in bytes, that a record may carry.
pub const MAX_ID_LEN: usize = 45;
/// Most CME error codes an AT command may ask the device to ignore.
pub const MAX_IGNORED_CME: usize = 6;
/// Most key/value pairs one config command may carry.
pub const MAX_CONFIG_PAIRS: usize = 100;

/// Record type number of an AT command.
pub const TYPE_AT: u64 = 0;
/// Record type number of a config command.
pub const TYPE_CONFIG: u64 = 1;
/// Record type number of the finished command.
pub const TYPE_FINISHED: u64 = 2;
/// Record type number of an error response.
pub const TYPE_ERROR: u64 = 99;
/// Record type number of an AT success response.
pub const TYPE_AT_OK: u64 = 100;
/// Record type number of a config acknowledgement.
pub const TYPE_CONFIG_ACK: u64 = 101;
/// Record type number of the finished acknowledgement.
pub const TYPE_FINISHED_ACK: u64 = 102;
