//! Provisioning commands: the REST request types (defined once, in `provlab_vocab`), their
//! validation and translation into device records, and what the device answered.
//!
//! The translation follows service.md's table exactly. Key generation types send two
//! records: a `%CMNG=3,<tag>,2` delete that ignores CME 513 (correlation id `<id>.<seq>.s`)
//! and the `%KEYGEN` itself (`<id>.<seq>`); the service tracks each record's answer, so a batch
//! boundary may fall between them.

use provlab_proto::records::{Command, Response, MAX_CONFIG_PAIRS, MAX_IGNORED_CME};
use provlab_proto::tokens::{csr, KeygenOutput};
use serde::{Deserialize, Serialize};

pub use provlab_vocab::request::COMMAND_TYPES;
pub use provlab_vocab::{
    AtCommandRequest, Certificate, CommandRequest, CommandStatus, ConfigRequest, CsrRequest,
    Finished, KeyGeneration, Properties,
};

use crate::error::{Error, Result};
use crate::ids::{correlation_id, CommandId, RuleId, Step};
use crate::time::Timestamp;

/// Most commands one device's configuration may hold.
pub const MAX_COMMANDS: usize = 20;
/// CME error the modem returns when deleting a credential that does not exist; the delete
/// sub-step of key generation ignores it.
pub const CME_NOT_FOUND: u32 = 513;
/// Longest `setCommand` of an `atCommand` request, in characters.
pub const MAX_SET_COMMAND_LEN: usize = 64;
/// Longest `description` accepted, in characters (as JSON Schema's `maxLength` counts).
pub const MAX_DESCRIPTION_LEN: usize = 1024;

/// What the service does with a [`CommandRequest`]: check it and turn it into the device
/// records of service.md's table. A trait because the request type is the vocabulary's.
pub trait CommandRequestExt {
    /// The records this command sends, in order: `[Delete, Main]` for key generation,
    /// `[Main]` otherwise.
    fn steps(&self) -> &'static [Step];

    /// Checks every field; errors name the field as `request.<type>.<field>`.
    fn validate(&self) -> Result<()>;

    /// The device record of `step` for this command issued as `(command, seq)`.
    fn record(&self, command: CommandId, seq: u32, step: Step) -> Result<Command>;

    /// All records of this command, in order.
    fn records(&self, command: CommandId, seq: u32) -> Result<Vec<Command>>;
}

impl CommandRequestExt for CommandRequest {
    fn steps(&self) -> &'static [Step] {
        match self {
            CommandRequest::ClientPrivateKeyGeneration(_)
            | CommandRequest::CertificateSigningRequest(_)
            | CommandRequest::CloudAccessKeyGeneration(_) => &[Step::Delete, Step::Main],
            _ => &[Step::Main],
        }
    }

    fn validate(&self) -> Result<()> {
        let field = |name: &str| format!("request.{}.{name}", self.type_name());
        match self {
            CommandRequest::ClientPrivateKeyGeneration(_)
            | CommandRequest::CloudAccessKeyGeneration(_)
            | CommandRequest::Finished(_) => Ok(()),
            CommandRequest::CertificateSigningRequest(r) => {
                if let Some(a) = &r.attributes {
                    quotable(a).map_err(|e| Error::invalid(field("attributes"), e))?;
                }
                if let Some(k) = &r.key_usage {
                    if k.len() != 9 || !k.bytes().all(|b| b == b'0' || b == b'1') {
                        return Err(Error::invalid(
                            field("keyUsage"),
                            "must be nine characters, each 0 or 1",
                        ));
                    }
                }
                Ok(())
            }
            CommandRequest::ClientCertificate(c) | CommandRequest::ServerCertificate(c) => {
                if c.content.trim().is_empty() {
                    return Err(Error::invalid(field("content"), "must not be empty"));
                }
                quotable(&c.content).map_err(|e| Error::invalid(field("content"), e))
            }
            CommandRequest::Config(c) => {
                let pairs = &c.properties.0;
                if pairs.is_empty() || pairs.len() > MAX_CONFIG_PAIRS {
                    return Err(Error::invalid(
                        field("properties"),
                        format!("must hold 1 to {MAX_CONFIG_PAIRS} entries"),
                    ));
                }
                for (k, v) in pairs {
                    if k.is_empty() || k.contains('\0') || v.contains('\0') {
                        return Err(Error::invalid(
                            field("properties"),
                            format!(
                                "key {k:?}: keys must be non-empty and no text may contain NUL"
                            ),
                        ));
                    }
                }
                Ok(())
            }
            CommandRequest::AtCommand(a) => {
                let bad = |c: char| c == '=' || c.is_ascii_control() || c.is_whitespace();
                if a.set_command.is_empty()
                    || a.set_command.chars().count() > MAX_SET_COMMAND_LEN
                    || a.set_command.contains(bad)
                {
                    return Err(Error::invalid(
                        field("setCommand"),
                        format!("must be 1 to {MAX_SET_COMMAND_LEN} characters without '=', spaces or control characters"),
                    ));
                }
                if a.parameters.contains('\0') {
                    return Err(Error::invalid(field("parameters"), "must not contain NUL"));
                }
                if a.ignore_cme_errors.len() > MAX_IGNORED_CME {
                    return Err(Error::invalid(
                        field("ignoreCmeErrors"),
                        format!("at most {MAX_IGNORED_CME} codes"),
                    ));
                }
                Ok(())
            }
        }
    }

    fn record(&self, command: CommandId, seq: u32, step: Step) -> Result<Command> {
        let id = correlation_id(command, seq, step)
            .map_err(|len| Error::Internal(format!("correlation id of {len} bytes")))?;
        let at = |set_command: &str, parameters: String, ignore_cme: Vec<u32>| Command::At {
            id: id.clone(),
            set_command: set_command.to_owned(),
            parameters,
            ignore_cme,
        };
        let key_tag = match self {
            CommandRequest::ClientPrivateKeyGeneration(k)
            | CommandRequest::CloudAccessKeyGeneration(k) => Some(k.sec_tag),
            CommandRequest::CertificateSigningRequest(r) => Some(r.sec_tag),
            _ => None,
        };
        if step == Step::Delete {
            return match key_tag {
                Some(tag) => Ok(at("%CMNG", format!("3,{tag},2"), vec![CME_NOT_FOUND])),
                None => Err(Error::Internal(format!(
                    "{} has no delete sub-step",
                    self.type_name()
                ))),
            };
        }
        Ok(match self {
            CommandRequest::ClientPrivateKeyGeneration(k)
            | CommandRequest::CloudAccessKeyGeneration(k) => {
                at("%KEYGEN", format!("{},2,1", k.sec_tag), vec![])
            }
            CommandRequest::CertificateSigningRequest(r) => {
                let mut parameters = format!("{},2,0", r.sec_tag);
                match (&r.attributes, &r.key_usage) {
                    (None, None) => {}
                    (Some(a), None) => parameters.push_str(&format!(",\"{a}\"")),
                    (a, Some(k)) => {
                        parameters.push_str(&format!(",\"{}\",\"{k}\"", a.as_deref().unwrap_or("")))
                    }
                }
                at("%KEYGEN", parameters, vec![])
            }
            CommandRequest::ClientCertificate(c) => at(
                "%CMNG",
                format!("0,{},1,\"{}\"", c.sec_tag, c.content),
                vec![],
            ),
            CommandRequest::ServerCertificate(c) => at(
                "%CMNG",
                format!("0,{},0,\"{}\"", c.sec_tag, c.content),
                vec![],
            ),
            CommandRequest::Config(c) => Command::Config {
                id,
                properties: c.properties.0.clone(),
            },
            CommandRequest::AtCommand(a) => at(
                &a.set_command,
                a.parameters.clone(),
                a.ignore_cme_errors.clone(),
            ),
            CommandRequest::Finished(_) => Command::Finished { id },
        })
    }

    fn records(&self, command: CommandId, seq: u32) -> Result<Vec<Command>> {
        self.steps()
            .iter()
            .map(|step| self.record(command, seq, *step))
            .collect()
    }
}

/// Text placed between double quotes in an AT command must not contain a quote or NUL.
fn quotable(text: &str) -> std::result::Result<(), &'static str> {
    if text.contains('"') || text.contains('\0') {
        Err("must not contain '\"' or NUL (it is sent inside double quotes)")
    } else {
        Ok(())
    }
}

/// Delivery progress of one record of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepProgress {
    /// Which record.
    pub step: Step,
    /// Sent to the device since the command was last (re)issued.
    pub delivered: bool,
    /// Answered with success.
    pub done: bool,
}

/// What the device answered for one record, as the service records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "result"
)]
pub enum DeviceResult {
    /// AT ok, config ack or finished ack.
    Succeeded {
        /// The modem's answer text (empty for acks).
        message: String,
        /// For key generation: what the `%KEYGEN` answer held.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        keygen: Option<KeygenResult>,
    },
    /// An error record.
    Failed {
        /// The CME error (0 = not a modem error; negative errno cast to u32 for config).
        cme_error: u32,
        /// The device's message.
        message: String,
    },
}

/// The useful parts of a `%KEYGEN` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeygenResult {
    /// The KEYGEN string `<b64url DER>.<b64url COSE>` (without `%KEYGEN: ` and quotes):
    /// what nRF Cloud's tools expect in `response.certificateSigningRequest.csr`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The new public key, base64url of its DER `SubjectPublicKeyInfo`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// Why the answer could not be read, if it could not (the command still succeeded: the
    /// device said so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Why a response record does not fit the command it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch(pub String);

/// Interprets the device's response for `step` of a command with `request`.
pub fn interpret(
    request: &CommandRequest,
    step: Step,
    response: &Response,
) -> Result<DeviceResult, Mismatch> {
    let expected = match (request, step) {
        (CommandRequest::Config(_), Step::Main) => "config ack",
        (CommandRequest::Finished(_), Step::Main) => "finished ack",
        _ => "AT ok",
    };
    match response {
        Response::Error {
            cme_error, message, ..
        } => Ok(DeviceResult::Failed {
            cme_error: *cme_error,
            message: message.clone(),
        }),
        Response::AtOk { message, .. } if expected == "AT ok" => {
            let keygen = match (request, step) {
                (CommandRequest::CertificateSigningRequest(_), Step::Main)
                | (CommandRequest::ClientPrivateKeyGeneration(_), Step::Main)
                | (CommandRequest::CloudAccessKeyGeneration(_), Step::Main) => {
                    Some(read_keygen(message))
                }
                _ => None,
            };
            Ok(DeviceResult::Succeeded {
                message: message.clone(),
                keygen,
            })
        }
        Response::ConfigAck { .. } if expected == "config ack" => Ok(DeviceResult::Succeeded {
            message: String::new(),
            keygen: None,
        }),
        Response::FinishedAck { .. } if expected == "finished ack" => Ok(DeviceResult::Succeeded {
            message: String::new(),
            keygen: None,
        }),
        other => Err(Mismatch(format!(
            "expected an {expected} or error record for a {} command, got type {}",
            request.type_name(),
            other.type_number()
        ))),
    }
}

/// Finds the KEYGEN string in the modem's answer (`%KEYGEN: "<token>"`, possibly with line
/// ends) and decodes it with proto's [`KeygenOutput`].
pub fn read_keygen(message: &str) -> KeygenResult {
    let token = extract_keygen_token(message);
    let Some(token) = token else {
        return KeygenResult {
            token: None,
            public_key: None,
            error: Some("no %KEYGEN string in the answer".into()),
        };
    };
    let decoded = KeygenOutput::decode(token).and_then(|out| {
        let key = out.public_key()?;
        Ok(csr::public_key_der(&key)?)
    });
    match decoded {
        Ok(der) => KeygenResult {
            token: Some(token.to_owned()),
            public_key: Some(provlab_proto::b64::encode(&der)),
            error: None,
        },
        Err(e) => KeygenResult {
            token: Some(token.to_owned()),
            public_key: None,
            error: Some(e.to_string()),
        },
    }
}

/// The text between the first pair of double quotes, or the trimmed answer itself when it
/// has no quotes (some hosts strip them).
fn extract_keygen_token(message: &str) -> Option<&str> {
    if let Some(start) = message.find('"') {
        let rest = message.get(start + 1..)?;
        let end = rest.find('"')?;
        return rest.get(..end).filter(|t| !t.is_empty());
    }
    let trimmed = message.trim().trim_start_matches("%KEYGEN:").trim();
    (!trimmed.is_empty() && trimmed.contains('.') && !trimmed.contains(char::is_whitespace))
        .then_some(trimmed)
}

/// A command as the REST API shows it, and its delivery bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandEntry {
    /// The command's id.
    pub id: CommandId,
    /// The sequence of its current issue (changes on retry and update), the hex part of its
    /// correlation ids.
    pub seq: u32,
    /// Free text.
    pub description: String,
    /// The request.
    pub request: CommandRequest,
    /// Status.
    pub status: CommandStatus,
    /// When it was added.
    pub created_at: Timestamp,
    /// When its status or request last changed.
    pub updated_at: Timestamp,
    /// The rule that appended it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleId>,
    /// Per-record delivery progress of the current issue.
    pub steps: Vec<StepProgress>,
    /// The device's answer to the delete sub-step, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_result: Option<DeviceResult>,
    /// The device's answer to the main record (or the service's reason for failing it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<DeviceResult>,
    /// When the last answer was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responded_at: Option<Timestamp>,
    /// How many batches carried a record of this command.
    pub deliveries: u32,
}

impl CommandEntry {
    /// A new pending command.
    pub fn new(
        id: CommandId,
        seq: u32,
        description: String,
        request: CommandRequest,
        rule: Option<RuleId>,
        at: Timestamp,
    ) -> Self {
        let steps = fresh_steps(&request);
        Self {
            id,
            seq,
            description,
            request,
            status: CommandStatus::Pending,
            created_at: at,
            updated_at: at,
            rule,
            steps,
            delete_result: None,
            result: None,
            responded_at: None,
            deliveries: 0,
        }
    }

    /// Re-issues the command with a new sequence: `PENDING`, progress and answers cleared.
    pub fn reissue(&mut self, seq: u32, at: Timestamp) {
        self.seq = seq;
        self.status = CommandStatus::Pending;
        self.steps = fresh_steps(&self.request);
        self.delete_result = None;
        self.result = None;
        self.responded_at = None;
        self.updated_at = at;
    }

    /// Progress of `step`, if the command has it.
    pub fn step(&self, step: Step) -> Option<&StepProgress> {
        self.steps.iter().find(|s| s.step == step)
    }

    /// Mutable progress of `step`.
    pub fn step_mut(&mut self, step: Step) -> Option<&mut StepProgress> {
        self.steps.iter_mut().find(|s| s.step == step)
    }

    /// The records still to send (not answered with success), in order.
    pub fn open_steps(&self) -> impl Iterator<Item = Step> + '_ {
        self.steps.iter().filter(|s| !s.done).map(|s| s.step)
    }

    /// The REST `response` object: `{"<type>": {"message", ...}}`, `null` before any answer.
    pub fn response_json(&self) -> serde_json::Value {
        let Some(result) = &self.result else {
            return serde_json::Value::Null;
        };
        let mut body = serde_json::Map::new();
        match result {
            DeviceResult::Succeeded { message, keygen } => {
                body.insert("message".into(), message.clone().into());
                if let Some(k) = keygen {
                    if let (CommandRequest::CertificateSigningRequest(_), Some(t)) =
                        (&self.request, &k.token)
                    {
                        body.insert("csr".into(), t.clone().into());
                    }
                    if let Some(p) = &k.public_key {
                        body.insert("publicKey".into(), p.clone().into());
                    }
                    if let Some(e) = &k.error {
                        body.insert("parseError".into(), e.clone().into());
                    }
                }
            }
            DeviceResult::Failed { cme_error, message } => {
                body.insert("cmeError".into(), (*cme_error).into());
                body.insert("message".into(), message.clone().into());
            }
        }
        let mut outer = serde_json::Map::new();
        outer.insert(self.request.type_name().into(), body.into());
        outer.into()
    }
}

fn fresh_steps(request: &CommandRequest) -> Vec<StepProgress> {
    request
        .steps()
        .iter()
        .map(|step| StepProgress {
            step: *step,
            delivered: false,
            done: false,
        })
        .collect()
}

/// Checks a command description.
pub fn validate_description(description: &str) -> Result<()> {
    if description.chars().count() > MAX_DESCRIPTION_LEN {
        return Err(Error::invalid(
            "description",
            format!("at most {MAX_DESCRIPTION_LEN} characters"),
        ));
    }
    Ok(())
}
