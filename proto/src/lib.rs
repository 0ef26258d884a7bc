//! Wire formats of nRF91 device provisioning, with no I/O, no async and no clock.
//!
//! * [`records`]: the CBOR command and response records exchanged between the device
//!   client and the nRF Cloud Provisioning Service.
//! * [`at`]: the AT line discipline between a host and the modem (line assembly, command
//!   parsing, answer framing) and the modem's CME error codes.
//! * [`tokens`]: the modem's attestation token, `%KEYGEN` output (COSE_Sign1) and CSRs.
//! * [`jwt`]: the ES256 JSON Web Tokens the modem signs for device authentication.
//! * [`b64`]: base64url without padding, the text encoding of the tokens.
//!
//! Everything here is deterministic: randomness, time and keys come from the caller.

pub mod at;
pub mod b64;
mod cbor;
pub mod jwt;
pub mod records;
pub mod text;
pub mod tokens;
