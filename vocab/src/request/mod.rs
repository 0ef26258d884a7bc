//! Provisioning command requests: what an owner `POST`s to
//! `/v1/claimed-devices/{id}/provisioning`, what a rule appends, and what a scenario's
//! `request = { … }` holds.
//!
//! [`CommandRequest<C>`] is generic over a certificate's content `C`: the service holds the
//! PEM text (`C = String`, the default), a scenario file a reference to it (`@lab-root-ca`,
//! `@file:…`), which a backend resolves with [`CommandRequest::try_map_content`]. Every other
//! field is the same for both, so the two shapes cannot drift apart.

mod de;
mod kinds;

use serde::Serialize;

pub use kinds::{
    AtCommandRequest, Certificate, CmeCode, ConfigRequest, CsrRequest, Finished, KeyGeneration,
};

/// The command type names, as the REST API and scenario files spell them.
pub const COMMAND_TYPES: [&str; 8] = [
    "clientPrivateKeyGeneration",
    "certificateSigningRequest",
    "cloudAccessKeyGeneration",
    "clientCertificate",
    "serverCertificate",
    "config",
    "atCommand",
    "finished",
];

/// A command's `request`: an object with exactly one key, the command type, e.g.
/// `{"clientPrivateKeyGeneration": {"secTag": 16842753}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schemars", schemars(rename = "CommandRequest"))]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum CommandRequest<C = String> {
    /// Delete, then generate a client private key (`%KEYGEN <tag>,2,1`); the answer carries
    /// its public key.
    ClientPrivateKeyGeneration(KeyGeneration),
    /// Delete, then generate a key and a CSR (`%KEYGEN <tag>,2,0,...`); the answer's `csr`
    /// is the modem's KEYGEN string.
    CertificateSigningRequest(CsrRequest),
    /// Delete, then generate a key whose public key becomes the device's cloud access key.
    CloudAccessKeyGeneration(KeyGeneration),
    /// Store a client certificate (`%CMNG 0,<tag>,1,"<PEM>"`).
    ClientCertificate(Certificate<C>),
    /// Store a server (root CA) certificate (`%CMNG 0,<tag>,0,"<PEM>"`).
    ServerCertificate(Certificate<C>),
    /// Write settings on the device (config record).
    Config(ConfigRequest),
    /// Run an AT command (AT record).
    AtCommand(AtCommandRequest),
    /// The configuration is complete (finished record).
    Finished(Finished),
}

impl<C> CommandRequest<C> {
    /// The type's name, e.g. `clientCertificate` (one of [`COMMAND_TYPES`]).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::ClientPrivateKeyGeneration(_) => "clientPrivateKeyGeneration",
            Self::CertificateSigningRequest(_) => "certificateSigningRequest",
            Self::CloudAccessKeyGeneration(_) => "cloudAccessKeyGeneration",
            Self::ClientCertificate(_) => "clientCertificate",
            Self::ServerCertificate(_) => "serverCertificate",
            Self::Config(_) => "config",
            Self::AtCommand(_) => "atCommand",
            Self::Finished(_) => "finished",
        }
    }

    /// Whether this is the `finished` command.
    pub fn is_finished(&self) -> bool {
        matches!(self, Self::Finished(_))
    }

    /// The certificate content, for the two certificate types.
    pub fn content(&self) -> Option<&C> {
        match self {
            Self::ClientCertificate(c) | Self::ServerCertificate(c) => Some(&c.content),
            _ => None,
        }
    }

    /// The certificate content to change in place (a loader reading `@file:` references).
    pub fn content_mut(&mut self) -> Option<&mut C> {
        match self {
            Self::ClientCertificate(c) | Self::ServerCertificate(c) => Some(&mut c.content),
            _ => None,
        }
    }

    /// The same request with its certificate content mapped by `f`.
    pub fn map_content<D>(self, f: impl FnOnce(C) -> D) -> CommandRequest<D> {
        match self.try_map_content(|c| Ok::<D, std::convert::Infallible>(f(c))) {
            Ok(request) => request,
            Err(never) => match never {},
        }
    }

    /// The same request with its certificate content mapped by `f`, or `f`'s error: how a
    /// backend turns a scenario's reference into the text the service takes.
    pub fn try_map_content<D, E>(
        self,
        f: impl FnOnce(C) -> Result<D, E>,
    ) -> Result<CommandRequest<D>, E> {
        Ok(match self {
            Self::ClientPrivateKeyGeneration(k) => CommandRequest::ClientPrivateKeyGeneration(k),
            Self::CertificateSigningRequest(r) => CommandRequest::CertificateSigningRequest(r),
            Self::CloudAccessKeyGeneration(k) => CommandRequest::CloudAccessKeyGeneration(k),
            Self::ClientCertificate(c) => CommandRequest::ClientCertificate(c.try_map(f)?),
            Self::ServerCertificate(c) => CommandRequest::ServerCertificate(c.try_map(f)?),
            Self::Config(c) => CommandRequest::Config(c),
            Self::AtCommand(a) => CommandRequest::AtCommand(a),
            Self::Finished(f) => CommandRequest::Finished(f),
        })
    }
}
