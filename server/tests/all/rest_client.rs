//! The library REST client ([`provlab_server::api_client::ApiClient`]) against a real
//! `provlab serve` on 127.0.0.1: every route it knows, its success statuses, pagination,
//! refusals with the service's status and message, and a service that is not there.

#![allow(clippy::unwrap_used)]

use crate::rest_common;

use std::net::SocketAddr;
use std::time::Duration;

use provlab_server::api_client::{ApiClient, ApiError, BaseUrl};
use provlab_server::domain::commands::{CommandRequest, CommandStatus, Finished, KeyGeneration};
use provlab_server::domain::rules::{RuleCommand, RuleSpec};
use provlab_server::domain::service::NewCommand;
use provlab_server::domain::status::ShownStatus;
use provlab_server::domain::Role;
use provlab_server::rest::dto::commands::UpdateCommandBody;
use provlab_server::rest::dto::devices::{ClaimBody, SetTagsBody};
use provlab_server::rest::dto::rules::RuleStateBody;
use provlab_server::rest::dto::tags::NewTagBody;
use provlab_server::rest::dto::team::{ChangeRoleBody, NewMemberBody};
use provlab_server::serve::{ServeConfig, Server};
use rest_common::Dev;

const OWNER_KEY: &str = "provlab-test-owner-key-0123456789abcdef";

/// Runs a `provlab serve` (REST only, in memory) on a runtime of its own thread; returns
/// its address and the sender that stops it.
fn serve() -> (SocketAddr, std::sync::mpsc::Sender<()>) {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let config = ServeConfig {
                db: None,
                rest: SocketAddr::from(([127, 0, 0, 1], 0)),
                https: None,
                coap: None,
                owner_key: Some(OWNER_KEY.to_owned()),
                ..ServeConfig::default()
            };
            let server = Server::start(&config).await.unwrap();
            addr_tx.send(server.bound().rest).unwrap();
            let stop = async move {
                let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
            };
            server.run(stop).await.unwrap();
        });
    });
    let addr = addr_rx.recv_timeout(Duration::from_secs(20)).unwrap();
    (addr, stop_tx)
}

fn client(addr: SocketAddr) -> ApiClient {
    ApiClient::new(&format!("http://{addr}")).unwrap()
}

fn finished() -> CommandRequest {
    CommandRequest::Finished(Finished {})
}

#[test]
fn every_route_round_trips_with_typed_bodies() {
    let (addr, _stop) = serve();
    let anonymous = client(addr);
    let owner = client(addr).with_key(OWNER_KEY);

    assert_eq!(anonymous.health().unwrap().status, "ok");
    assert_eq!(owner.me().unwrap().role, Role::Owner);

    // Team: a member, a second key, a role change, a revocation, a removal.
    let eddie = owner
        .add_member(&NewMemberBody {
            name: "eddie".to_owned(),
            role: Role::Editor,
        })
        .unwrap();
    let as_eddie = client(addr).with_key(eddie.api_key.clone());
    assert_eq!(as_eddie.me().unwrap().name, "eddie");
    let second = owner.issue_key("eddie").unwrap();
    owner.revoke_key("eddie", &second.key_id).unwrap();
    owner
        .change_role("eddie", &ChangeRoleBody { role: Role::Admin })
        .unwrap();
    let names: Vec<_> = owner
        .members()
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert!(names.contains(&"eddie".to_owned()), "{names:?}");

    // Tags and a claim with the device's token.
    owner
        .create_tag(&NewTagBody {
            tag: "lab".to_owned(),
            description: String::new(),
        })
        .unwrap();
    assert_eq!(owner.tags().unwrap().len(), 1);
    let dev = Dev::new(1);
    let claim = ClaimBody {
        claim_token: dev.token(),
        tags: Some(vec!["lab".to_owned()]),
    };
    owner.claim_dry_run(&claim).unwrap();
    let device = owner.claim(&claim).unwrap();
    assert_eq!(device.id, dev.id_text());
    owner
        .set_tags(
            &device.id,
            &SetTagsBody {
                tags: vec!["lab".to_owned()],
            },
        )
        .unwrap();

    // Commands.
    let key = owner
        .add_command(
            &device.id,
            &NewCommand {
                description: "key".to_owned(),
                request: CommandRequest::ClientPrivateKeyGeneration(KeyGeneration {
                    sec_tag: 16842753,
                }),
            },
        )
        .unwrap();
    owner
        .add_command(
            &device.id,
            &NewCommand {
                description: String::new(),
                request: finished(),
            },
        )
        .unwrap();
    let commands = owner.commands(&device.id).unwrap();
    assert_eq!(commands.len(), 2);
    assert_eq!(commands[0].id, key.id);
    assert_eq!(commands[0].status, CommandStatus::Pending);
    assert_eq!(
        owner.command(&device.id, &key.id).unwrap().description,
        "key"
    );

    // A pending command can have its request replaced, but not be skipped or retried.
    owner
        .update_command(
            &device.id,
            &key.id,
            &UpdateCommandBody {
                description: Some("replaced".to_owned()),
                request: CommandRequest::ClientPrivateKeyGeneration(KeyGeneration {
                    sec_tag: 16842754,
                }),
            },
        )
        .unwrap();
    assert_eq!(
        owner.command(&device.id, &key.id).unwrap().description,
        "replaced"
    );
    for refusal in [
        owner.skip_command(&device.id, &key.id).unwrap_err(),
        owner.retry_command(&device.id, &key.id).unwrap_err(),
    ] {
        let status = refusal.status().unwrap();
        assert!((400..500).contains(&status), "{refusal}");
        assert!(!refusal.message().unwrap().is_empty(), "{refusal}");
    }

    // Block and unblock.
    owner.block(&device.id).unwrap();
    assert_eq!(
        owner.device(&device.id).unwrap().status,
        ShownStatus::Blocked
    );
    owner.unblock(&device.id).unwrap();
    assert_ne!(
        owner.device(&device.id).unwrap().status,
        ShownStatus::Blocked
    );
    assert_eq!(owner.devices().unwrap().len(), 1);

    // Rules: a draft, edited, activated.
    let spec = RuleSpec {
        name: "onboarding".to_owned(),
        description: String::new(),
        active: false,
        commands: vec![RuleCommand {
            description: String::new(),
            request: finished(),
        }],
        tags: vec!["lab".to_owned()],
    };
    let rule = owner.create_rule(&spec).unwrap();
    assert_eq!(rule.state, RuleStateBody::Draft);
    let edited = owner
        .update_rule(
            &rule.id,
            &RuleSpec {
                description: "edited".to_owned(),
                ..spec
            },
        )
        .unwrap();
    assert_eq!(edited.description, "edited");
    assert!(owner.activate_rule(&rule.id).unwrap().active);
    assert_eq!(owner.rule(&rule.id).unwrap().state, RuleStateBody::Active);
    assert_eq!(owner.rules().unwrap().len(), 1);

    // Unclaim; then the device is gone.
    owner.unclaim(&device.id).unwrap();
    assert_eq!(owner.device(&device.id).unwrap_err().status(), Some(404));
    owner.remove_member("eddie").unwrap();
}

#[test]
fn refusals_keep_the_status_and_the_message() {
    let (addr, _stop) = serve();
    let e = client(addr).me().unwrap_err();
    assert_eq!(e.status(), Some(401), "{e}");
    assert!(
        e.to_string()
            .starts_with("GET /v1/team/me: the service answered 401: "),
        "{e}"
    );
    let e = client(addr).with_key("not-a-key").devices().unwrap_err();
    assert_eq!(e.status(), Some(401), "{e}");
    let owner = client(addr).with_key(OWNER_KEY);
    let e = owner
        .claim(&ClaimBody {
            claim_token: "not.a-token".to_owned(),
            tags: None,
        })
        .unwrap_err();
    assert_eq!(e.status(), Some(400), "{e}");
    // A name that needs escaping reaches the service as one path segment (decoded, it is
    // refused for its space, not routed elsewhere for its slash).
    let e = owner.remove_member("no such/member").unwrap_err();
    assert_eq!(e.status(), Some(400), "{e}");
    assert!(e.message().unwrap().contains("contains ' '"), "{e}");
}

#[test]
fn lists_follow_every_page() {
    let (addr, _stop) = serve();
    let owner = client(addr).with_key(OWNER_KEY);
    for i in 0..130 {
        owner
            .create_tag(&NewTagBody {
                tag: format!("t{i:03}"),
                description: String::new(),
            })
            .unwrap();
    }
    let tags = owner.tags().unwrap();
    assert_eq!(tags.len(), 130);
    assert_eq!(tags[129].tag, "t129");
}

#[test]
fn a_service_that_is_not_there_is_a_transport_error_within_the_timeout() {
    // Bind and drop: nothing listens on the port afterwards.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = BaseUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let started = std::time::Instant::now();
    let e = ApiClient::with_base(base, Duration::from_secs(5))
        .health()
        .unwrap_err();
    assert!(matches!(e, ApiError::Transport { .. }), "{e}");
    assert!(e.to_string().starts_with("GET http://127.0.0.1:"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
}
