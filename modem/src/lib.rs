//! The simulated nRF91 modem core: identity, AT command execution, credential store with
//! atomic NVM, and fault injection. Sans-IO: the caller (a serial front end, a virtual board)
//! hands in complete command lines and the current time and sends the [`Reply`] text back.
//!
//! * [`config`]: [`ModemConfig`] (identity source, model, firmware, NVM, network time).
//! * [`identity`]: [`ModemIdentity`], derived from a seed or given explicitly; [`imei`].
//! * [`credentials`]: the `(sec_tag, type)` → content store and the `%CMNG` SHA.
//! * [`nvm`]: the persisted image, atomic writes and a power-cut file system model.
//! * [`faults`]: [`Faults`] rules (CME/ERROR answers, delays, lost time, full storage,
//!   reboots).
//! * [`registry`]: the factory registry of simulated devices for the fake service.
//! * `commands`: one module per command family (see [`Modem::execute`] for the list).
//!
//! Determinism: everything random (new keys, nonces, JWT `jti`) comes from a ChaCha20
//! generator owned by the modem and seeded from [`ModemConfig::seed`] (stream 1; stream 0
//! derives the identity), and time only from `now_unix`, so the same configuration and the
//! same command sequence give byte-identical answers.
//!
//! CME numbers are the named ones of [`provlab_proto::at::CmeCode`] (sources listed there).
//! Decisions of ours (no public source found) are marked "ours" in the command modules.

pub mod clock;
mod commands;
pub mod config;
pub mod credentials;
pub mod error;
pub mod faults;
pub mod firing;
pub mod identity;
pub mod imei;
pub mod keys;
pub mod nvm;
pub mod registry;

use std::time::Duration;

use provlab_proto::at::{Answer, AtCommand};
use provlab_proto::tokens::SignatureAlgorithmForm;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

pub use config::{IdentitySource, ModemConfig};
pub use credentials::{content_sha, CredKey, CredentialStore};
pub use error::ModemError;
pub use faults::{FaultAction, FaultId, FaultRule, Faults, FiredFault};
pub use firing::Firing;
pub use identity::ModemIdentity;
pub use nvm::{Nvm, NvmError, NvmStore};

/// What the modem answers to one command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The answer (information lines and final result).
    pub answer: Answer,
    /// The bytes to send to the host: [`Answer::render`] with the CMEE setting in force
    /// after the command.
    pub text: String,
    /// How long the front end should wait before sending (an injected delay; zero normally).
    pub delay: Duration,
    /// A reboot fault fired: the front end calls [`Modem::reboot`] after sending.
    pub reboot: bool,
}

/// CFUN modes in which the modem is online: credential writes, deletes and key generation
/// are refused with CME 518 (`modem.md`: "CFUN 1, 2, 21").
const ONLINE_MODES: [u8; 3] = [1, 2, 21];

/// A simulated nRF91 modem.
#[derive(Debug)]
pub struct Modem {
    identity: ModemIdentity,
    cfun: u8,
    cmee: bool,
    network_time: bool,
    creds: CredentialStore,
    nvm: Nvm,
    rng: ChaCha20Rng,
    faults: Faults,
    csr_form: SignatureAlgorithmForm,
}

impl Modem {
    /// A powered-on modem (CFUN 0, CMEE 0) with the credentials found in its NVM.
    pub fn new(config: ModemConfig) -> Result<Modem, ModemError> {
        let identity = config.resolve_identity()?;
        let nvm = Nvm::open(&config.nvm);
        let creds = nvm.load()?;
        let mut rng = ChaCha20Rng::seed_from_u64(config.seed);
        rng.set_stream(1);
        Ok(Modem {
            identity,
            cfun: 0,
            cmee: false,
            network_time: config.network_time,
            creds,
            nvm,
            rng,
            faults: Faults::new(),
            csr_form: config.csr_form,
        })
    }

    /// Executes one complete command line (terminator already removed) at `now_unix`
    /// seconds since the Unix epoch.
    ///
    /// A line that does not parse as an AT command, an unknown command and an unsupported
    /// form of a known one are answered with plain `ERROR` at once. Fault rules are
    /// evaluated first (see [`faults`]).
    pub fn execute(&mut self, now_unix: u64, line: &[u8]) -> Reply {
        let Ok(cmd) = AtCommand::parse_bytes(line) else {
            return self.reply(Answer::error(), Duration::ZERO, false);
        };
        let effects = self.faults.evaluate(&cmd);
        if effects.drop_network_time {
            self.network_time = false;
        }
        let answer = match effects.replace {
            Some(FaultAction::Cme(code)) => Answer::cme(code),
            Some(_) => Answer::error(),
            None => commands::dispatch(self, now_unix, &cmd),
        };
        self.reply(answer, effects.delay, effects.reboot)
    }

    /// [`Modem::execute`] for a text line.
    pub fn execute_str(&mut self, now_unix: u64, line: &str) -> Reply {
        self.execute(now_unix, line.as_bytes())
    }

    fn reply(&self, answer: Answer, delay: Duration, reboot: bool) -> Reply {
        Reply {
            text: answer.render(self.cmee),
            answer,
            delay,
            reboot,
        }
    }

    /// The modem's factory identity.
    pub fn identity(&self) -> &ModemIdentity {
        &self.identity
    }

    /// The fault rules and fault state, to add or remove faults.
    pub fn faults(&mut self) -> &mut Faults {
        &mut self.faults
    }

    /// Reboots: reloads the credentials from NVM and returns to CFUN 0 and CMEE 0. Fault rules,
    /// network time and the random generator carry on.
    pub fn reboot(&mut self) -> Result<(), ModemError> {
        self.creds = self.nvm.load()?;
        self.cfun = 0;
        self.cmee = false;
        Ok(())
    }

    /// Whether numeric CME errors are on (`AT+CMEE=1`).
    pub fn cmee(&self) -> bool {
        self.cmee
    }

    /// The current CFUN mode.
    pub fn cfun(&self) -> u8 {
        self.cfun
    }

    /// Whether the modem is online (CFUN 1, 2 or 21), where credential changes are refused.
    pub fn is_online(&self) -> bool {
        ONLINE_MODES.contains(&self.cfun)
    }

    /// Whether the modem has network time.
    pub fn network_time(&self) -> bool {
        self.network_time
    }

    /// Gives or takes away network time (the simulated network's doing).
    pub fn set_network_time(&mut self, present: bool) {
        self.network_time = present;
    }

    /// The credentials in force (as persisted in NVM).
    pub fn credentials(&self) -> &CredentialStore {
        &self.creds
    }

    /// The modem's NVM.
    pub fn nvm(&self) -> &Nvm {
        &self.nvm
    }
}
