//! Shared fixtures of the domain tests: a team, devices with seeded identity keys, tokens,
//! JWTs, and a tiny device that answers records.

#![allow(dead_code, clippy::unwrap_used)]

use p256::ecdsa::{SigningKey, VerifyingKey};
use provlab_proto::jwt::{self, Claims};
use provlab_proto::records::{Command, Response};
use provlab_proto::tokens::{
    Attestation, AttestationToken, DeviceType, KeygenOutput, KeygenRequest, Uuid,
};
use provlab_server::domain::commands::{CommandRequest, CommandStatus};
use provlab_server::domain::registry::FactoryRegistry;
use provlab_server::domain::service::{Fetch, FetchRequest, NewCommand};
use provlab_server::domain::status::ShownStatus;
use provlab_server::domain::{CommandId, DeviceId, Event, Role, Service, ServiceConfig, Timestamp};
use sha2::{Digest as _, Sha256};

/// API keys of the fixture team.
pub const OWNER: &str = "owner-key-0000000000";
pub const ADMIN: &str = "admin-key-0000000000";
pub const EDITOR: &str = "editor-key-000000000";
pub const EDITOR2: &str = "editor2-key-00000000";
pub const VIEWER: &str = "viewer-key-000000000";

/// The start of every test's clock: 2024-05-01T12:00:00Z.
pub const T0: u64 = 1_714_564_800_000;

/// A simulated device identity derived from `n`.
#[derive(Clone)]
pub struct Dev {
    pub key: SigningKey,
    pub uuid: Uuid,
    pub fw: Uuid,
}

impl Dev {
    pub fn new(n: u8) -> Self {
        let seed = Sha256::digest(format!("provlab test device {n}").as_bytes());
        let key = SigningKey::from_slice(&seed).unwrap();
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(&Sha256::digest(seed)[..16]);
        Self {
            key,
            uuid: Uuid::from_bytes(uuid),
            fw: Uuid::from_bytes([0xf0; 16]),
        }
    }

    pub fn id(&self) -> DeviceId {
        DeviceId(self.uuid)
    }

    pub fn public(&self) -> VerifyingKey {
        *self.key.verifying_key()
    }

    /// The `%ATTESTTOKEN` claim token.
    pub fn token(&self) -> String {
        self.token_signed_by(&self.key)
    }

    /// A claim token for this device signed by another key.
    pub fn token_signed_by(&self, key: &SigningKey) -> String {
        AttestationToken::sign(
            Attestation {
                device_uuid: self.uuid,
                device_type: DeviceType::Nrf9160Sica,
                modem_fw_uuid: self.fw,
                nonce: [7; 16],
            },
            key,
        )
        .encode()
    }

    /// A JWT issued at `now_s` living 300 s.
    pub fn jwt(&self, now_s: u64) -> String {
        self.jwt_signed_by(now_s, &self.key)
    }

    pub fn jwt_signed_by(&self, now_s: u64, key: &SigningKey) -> String {
        let claims =
            Claims::modem("nRF9160", &self.uuid, &self.fw, &[1; 16]).with_lifetime(now_s, 300);
        jwt::sign(&claims, key)
    }

    /// Answers `records` like the device: one response per executed record, stopping at the
    /// record `fail_at` (answered with CME `cme`).
    pub fn answer(&self, records: &[Command], fail_at: Option<(usize, u32)>) -> Vec<Response> {
        let mut out = Vec::new();
        for (i, record) in records.iter().enumerate() {
            let id = record.id().clone();
            if let Some((at, cme)) = fail_at {
                if at == i {
                    out.push(Response::Error {
                        id,
                        cme_error: cme,
                        message: String::new(),
                    });
                    break;
                }
            }
            out.push(match record {
                Command::At {
                    set_command,
                    parameters,
                    ..
                } if set_command == "%KEYGEN" => Response::AtOk {
                    id,
                    message: self.keygen_answer(parameters),
                },
                Command::At { .. } => Response::AtOk {
                    id,
                    message: String::new(),
                },
                Command::Config { .. } => Response::ConfigAck { id },
                Command::Finished { .. } => Response::FinishedAck { id },
            });
        }
        out
    }

    /// `%KEYGEN: "<token>"` for `<tag>,2,<content>`.
    pub fn keygen_answer(&self, parameters: &str) -> String {
        let mut fields = parameters.split(',');
        let tag: u32 = fields.next().unwrap().parse().unwrap();
        let content = fields.nth(1).unwrap();
        let request = if content == "0" {
            KeygenRequest::csr(tag)
        } else {
            KeygenRequest::public_key(tag)
        };
        let new_key = SigningKey::from_slice(&Sha256::digest(parameters.as_bytes())).unwrap();
        let out = KeygenOutput::for_key(&new_key, &request, self.uuid, [3; 16], &self.key).unwrap();
        format!("%KEYGEN: \"{}\"", out.encode())
    }
}

/// A service with owner, admin, two editors and a viewer, and a clock.
pub struct World {
    pub svc: Service,
    pub now: u64,
    pub events: Vec<Event>,
}

impl World {
    pub fn new() -> Self {
        Self::with_config(ServiceConfig::new(42))
    }

    /// A world whose registry knows devices `0..n`.
    pub fn with_registry(n: u8) -> Self {
        let mut config = ServiceConfig::new(42);
        config.verifier.registry = Some(FactoryRegistry::from_entries(
            (0..n).map(|i| (Dev::new(i).uuid, Dev::new(i).public())),
        ));
        Self::with_config(config)
    }

    pub fn with_config(config: ServiceConfig) -> Self {
        let mut w = Self {
            svc: Service::new(config),
            now: T0,
            events: Vec::new(),
        };
        for (name, role, key) in [
            ("olivia", Role::Owner, OWNER),
            ("adam", Role::Admin, ADMIN),
            ("eddie", Role::Editor, EDITOR),
            ("erin", Role::Editor, EDITOR2),
            ("vera", Role::Viewer, VIEWER),
        ] {
            let t = w.tick();
            let out = w.svc.setup_member(t, name, role, Some(key)).unwrap();
            w.events.extend(out.events);
        }
        w
    }

    /// Advances the clock by one second and returns it.
    pub fn tick(&mut self) -> Timestamp {
        self.now += 1000;
        Timestamp::from_millis(self.now)
    }

    /// Claims `dev` as the member holding `key`, with tags.
    pub fn claim(&mut self, key: &str, dev: &Dev, tags: &[&str]) -> DeviceId {
        let t = self.tick();
        let tags: Vec<String> = tags.iter().map(|s| s.to_string()).collect();
        let out = self.svc.claim(t, Some(key), &dev.token(), &tags).unwrap();
        self.events.extend(out.events);
        out.value.device
    }

    /// Appends a command as the owner.
    pub fn add(&mut self, device: DeviceId, request: CommandRequest) -> CommandId {
        let t = self.tick();
        let out = self
            .svc
            .add_command(
                t,
                Some(OWNER),
                device,
                &NewCommand {
                    description: format!("cmd {}", request.type_name()),
                    request,
                },
            )
            .unwrap();
        self.events.extend(out.events);
        out.value
    }

    /// Fetches with generous limits and `after`.
    pub fn fetch(&mut self, device: DeviceId, after: &str) -> Fetch {
        self.fetch_with(device, after, 4096, 4096, Some(20))
    }

    pub fn fetch_with(
        &mut self,
        device: DeviceId,
        after: &str,
        rx: usize,
        tx: usize,
        limit: Option<usize>,
    ) -> Fetch {
        let t = self.tick();
        let out = self
            .svc
            .fetch_commands(
                t,
                device,
                &FetchRequest {
                    after: after.into(),
                    rx_max_size: rx,
                    tx_max_size: tx,
                    limit,
                },
            )
            .unwrap();
        self.events.extend(out.events);
        out.value.fetch
    }

    /// Posts responses; returns the report's dispositions.
    pub fn respond(
        &mut self,
        device: DeviceId,
        responses: &[Response],
    ) -> provlab_server::domain::service::ResponsesReport {
        let t = self.tick();
        let out = self
            .svc
            .record_response_records(t, device, responses)
            .unwrap();
        self.events.extend(out.events);
        out.value
    }

    /// Fetch, answer everything with success, post: one connection of a healthy device.
    /// Returns the records delivered (empty when none).
    pub fn run_device(&mut self, dev: &Dev, after: &str) -> Vec<Command> {
        match self.fetch(dev.id(), after) {
            Fetch::Records { records, .. } => {
                let responses = dev.answer(&records, None);
                self.respond(dev.id(), &responses);
                records
            }
            Fetch::NoCommands(_) => Vec::new(),
        }
    }

    pub fn status(&self, device: DeviceId) -> ShownStatus {
        self.svc
            .get_device(Some(OWNER), device)
            .unwrap()
            .shown_status()
    }

    pub fn statuses(&self, device: DeviceId) -> Vec<CommandStatus> {
        self.svc
            .list_commands(Some(OWNER), device)
            .unwrap()
            .iter()
            .map(|c| c.status)
            .collect()
    }

    /// Runs an owner operation, keeping its events.
    pub fn keep<T>(&mut self, out: provlab_server::domain::Outcome<T>) -> T {
        self.events.extend(out.events);
        out.value
    }
}

/// Request builders.
pub mod req {
    use provlab_server::domain::commands::*;

    pub fn keygen(tag: u32) -> CommandRequest {
        CommandRequest::ClientPrivateKeyGeneration(KeyGeneration { sec_tag: tag })
    }
    pub fn csr(tag: u32, attributes: &str) -> CommandRequest {
        CommandRequest::CertificateSigningRequest(CsrRequest {
            sec_tag: tag,
            attributes: Some(attributes.into()),
            key_usage: Some("101010000".into()),
        })
    }
    pub fn cloud_key(tag: u32) -> CommandRequest {
        CommandRequest::CloudAccessKeyGeneration(KeyGeneration { sec_tag: tag })
    }
    pub fn client_cert(tag: u32, pem: &str) -> CommandRequest {
        CommandRequest::ClientCertificate(Certificate {
            sec_tag: tag,
            content: pem.into(),
        })
    }
    pub fn server_cert(tag: u32, pem: &str) -> CommandRequest {
        CommandRequest::ServerCertificate(Certificate {
            sec_tag: tag,
            content: pem.into(),
        })
    }
    pub fn config(pairs: &[(&str, &str)]) -> CommandRequest {
        CommandRequest::Config(ConfigRequest {
            properties: Properties(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
        })
    }
    pub fn at(set: &str, params: &str) -> CommandRequest {
        CommandRequest::AtCommand(AtCommandRequest {
            set_command: set.into(),
            parameters: params.into(),
            ignore_cme_errors: vec![],
        })
    }
    pub fn finished() -> CommandRequest {
        CommandRequest::Finished(Finished {})
    }
}

/// Key material for a generated key in a test: `n` repeated (the REST layer draws it from
/// the OS).
#[allow(dead_code)]
pub fn material(n: u8) -> provlab_server::domain::members::KeyMaterial {
    provlab_server::domain::members::KeyMaterial::from_bytes([n; 32])
}
