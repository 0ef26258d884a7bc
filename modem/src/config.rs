//! How to build a [`super::Modem`]: identity source, model, firmware, NVM and network time.

use provlab_proto::tokens::SignatureAlgorithmForm;

use super::error::ModemError;
use super::identity::{ModemIdentity, DEFAULT_FIRMWARE, DEFAULT_MODEL};
use super::nvm::NvmStore;

/// Where the modem's identity comes from.
#[derive(Debug, Clone)]
pub enum IdentitySource {
    /// Derived from a seed ([`ModemIdentity::from_seed`]) with the configured model/firmware.
    Seed(u64),
    /// Given explicitly (the model/firmware setters still apply to it).
    Explicit(Box<ModemIdentity>),
}

/// Configuration of a simulated modem. Start from [`ModemConfig::from_seed`] or
/// [`ModemConfig::from_identity`] and chain the setters.
#[derive(Debug, Clone)]
pub struct ModemConfig {
    /// Identity source.
    pub identity: IdentitySource,
    /// Seed of the modem's random generator (key generation, nonces, JWT `jti`).
    pub seed: u64,
    /// `AT+CGMM` model string.
    pub model: String,
    /// `AT+CGMR` firmware version.
    pub firmware: String,
    /// Where the NVM image lives.
    pub nvm: NvmStore,
    /// Whether the modem has network time at start (`%CCLK?`/`%JWT` work).
    pub network_time: bool,
    /// How `%KEYGEN` CSRs encode their signature algorithm (default: as real modems do).
    pub csr_form: SignatureAlgorithmForm,
}

impl ModemConfig {
    /// A modem whose identity and randomness derive from `seed`; defaults: model
    /// `nRF9160-SICA`, firmware `mfw_nrf9160_1.3.5`, NVM in memory, network time present.
    pub fn from_seed(seed: u64) -> Self {
        Self {
            identity: IdentitySource::Seed(seed),
            seed,
            model: DEFAULT_MODEL.to_owned(),
            firmware: DEFAULT_FIRMWARE.to_owned(),
            nvm: NvmStore::Memory,
            network_time: true,
            csr_form: SignatureAlgorithmForm::default(),
        }
    }

    /// A modem with an explicit identity (its model and firmware are taken over) whose
    /// randomness derives from `seed`.
    pub fn from_identity(identity: ModemIdentity, seed: u64) -> Self {
        Self {
            model: identity.model.clone(),
            firmware: identity.firmware.clone(),
            identity: IdentitySource::Explicit(Box::new(identity)),
            ..Self::from_seed(seed)
        }
    }

    /// Sets the model string (and so the device type).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    /// Sets the modem firmware version.
    pub fn firmware(mut self, firmware: impl Into<String>) -> Self {
        self.firmware = firmware.into();
        self
    }

    /// Sets where the NVM image lives.
    pub fn nvm(mut self, nvm: NvmStore) -> Self {
        self.nvm = nvm;
        self
    }

    /// Sets whether the modem has network time at start.
    pub fn network_time(mut self, present: bool) -> Self {
        self.network_time = present;
        self
    }

    /// Sets the CSR signature algorithm encoding of `%KEYGEN`.
    pub fn csr_form(mut self, form: SignatureAlgorithmForm) -> Self {
        self.csr_form = form;
        self
    }

    /// The identity this configuration describes.
    pub fn resolve_identity(&self) -> Result<ModemIdentity, ModemError> {
        match &self.identity {
            IdentitySource::Seed(seed) => {
                ModemIdentity::from_seed(*seed, &self.model, &self.firmware)
            }
            IdentitySource::Explicit(identity) => Ok((**identity)
                .clone()
                .with_model(&self.model)?
                .with_firmware(&self.firmware)),
        }
    }
}
