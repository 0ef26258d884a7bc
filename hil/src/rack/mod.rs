//! The rack file: which boards a lab has, how they are reached, and how the lab service is
//! reached from them (TOML, documented in `hil/README.md`).
//!
//! * model: the types, with `serde` for reading and `schemars` for [`schema`];
//! * check: the rules that the types cannot state (kind vs. chip, real vs. virtual keys);
//! * load: [`load_file`]/[`load_str`], errors and warnings at file:line:col.

mod check;
mod error;
mod load;
mod model;
mod usb_id;

pub use error::RackError;
pub use load::{load_file, load_str, LoadedRack};
pub use model::{
    Board, BoardKind, Era, Lab, Ports, Power, ProbeMatch, Rack, Timeouts, DEFAULT_LAB_DIR,
    DEFAULT_ROOT_CA_SEC_TAG,
};
pub use usb_id::UsbId;

/// The JSON Schema (draft 2020-12) of a rack file, for editors that validate TOML against
/// JSON Schema (Taplo / Even Better TOML).
pub fn schema() -> serde_json::Value {
    schemars::schema_for!(Rack).to_value()
}

#[cfg(test)]
mod tests;
