//! Provisioning rules: drafts, activation, tag matching, creation order, once per rule id,
//! AWAITING and the owner finishing the job.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{req, Dev, World, ADMIN, OWNER};
use provlab_server::domain::commands::CommandStatus::*;
use provlab_server::domain::rules::{RuleCommand, RuleSpec, RuleState};
use provlab_server::domain::service::{Fetch, FetchRequest, Notice};
use provlab_server::domain::status::ShownStatus;
use provlab_server::domain::{RuleId, Timestamp};

fn spec(
    name: &str,
    active: bool,
    tags: &[&str],
    commands: Vec<provlab_server::domain::commands::CommandRequest>,
) -> RuleSpec {
    RuleSpec {
        name: name.into(),
        description: format!("rule {name}"),
        active,
        commands: commands
            .into_iter()
            .map(|request| RuleCommand {
                description: format!("from {name}"),
                request,
            })
            .collect(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
    }
}

fn create(w: &mut World, s: &RuleSpec) -> RuleId {
    let t = w.tick();
    let out = w.svc.create_rule(t, Some(ADMIN), s).unwrap();
    w.keep(out)
}

#[test]
fn rule_without_finished_leaves_awaiting_then_owner_finishes() {
    let mut w = World::new();
    // nRF Cloud's onboarding rule: key, cloud access key, server cert; no finished.
    let rule = create(
        &mut w,
        &spec(
            "onboarding",
            true,
            &["nrf-cloud-onboarding"],
            vec![
                req::keygen(16842753),
                req::cloud_key(16842753),
                req::server_cert(16842753, "ROOT"),
            ],
        ),
    );
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &["nrf-cloud-onboarding"]);
    assert!(
        w.statuses(d).is_empty(),
        "rules apply at connect time, not at claim"
    );
    let recs = w.run_device(&dev, "");
    assert_eq!(recs.len(), 5);
    assert_eq!(w.statuses(d), vec![Succeeded; 3]);
    assert_eq!(w.status(d), ShownStatus::Awaiting);
    let device = w.svc.get_device(Some(OWNER), d).unwrap();
    assert!(device.applied_rules.contains(&rule));
    assert!(device.commands.iter().all(|c| c.rule == Some(rule)));
    assert!(device.cloud_access_key.is_some());
    // The next connection does not apply the rule again.
    assert_eq!(
        w.fetch(d, recs[4].id().as_str()),
        Fetch::NoCommands(provlab_server::domain::service::IdleReason::NothingPending)
    );
    assert_eq!(w.statuses(d).len(), 3);
    // The owner appends a client certificate and finished.
    w.add(d, req::client_cert(16842753, "CERT"));
    w.add(d, req::finished());
    assert_eq!(w.status(d), ShownStatus::Ready);
    let recs = w.run_device(&dev, recs[4].id().as_str());
    assert_eq!(recs.len(), 2);
    assert_eq!(w.status(d), ShownStatus::Provisioned);
    assert_eq!(w.statuses(d), vec![Succeeded; 5]);
    // Still never again.
    assert!(w.run_device(&dev, "").is_empty());
    assert_eq!(w.statuses(d).len(), 5);
}

#[test]
fn drafts_are_not_applied_and_two_rules_apply_in_creation_order() {
    let mut w = World::new();
    let draft = create(
        &mut w,
        &spec("draft", false, &["lab"], vec![req::at("+CFUN", "0")]),
    );
    let first = create(
        &mut w,
        &spec(
            "first",
            true,
            &["lab"],
            vec![req::config(&[("first", "1")])],
        ),
    );
    let second = create(
        &mut w,
        &spec(
            "second",
            true,
            &["lab", "other"],
            vec![req::config(&[("second", "2")]), req::finished()],
        ),
    );
    let unrelated = create(
        &mut w,
        &spec("unrelated", true, &["elsewhere"], vec![req::finished()]),
    );
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &["lab"]);
    let t = w.tick();
    let out = w
        .svc
        .fetch_commands(
            t,
            d,
            &FetchRequest {
                after: String::new(),
                rx_max_size: 4096,
                tx_max_size: 4096,
                limit: None,
            },
        )
        .unwrap();
    assert_eq!(
        out.value.notices[..2],
        [
            Notice::RuleApplied {
                rule: first,
                commands: 1
            },
            Notice::RuleApplied {
                rule: second,
                commands: 2
            }
        ]
    );
    w.keep(out.clone());
    let Fetch::Records { records, .. } = out.value.fetch else {
        panic!()
    };
    let kinds: Vec<String> = records.iter().map(|r| r.to_string()).collect();
    assert!(kinds[0].contains("\"first\"=\"1\""), "{kinds:?}");
    assert!(kinds[1].contains("\"second\"=\"2\""), "{kinds:?}");
    assert!(kinds[2].ends_with("FINISHED"), "{kinds:?}");
    let device = w.svc.get_device(Some(OWNER), d).unwrap();
    assert!(!device.applied_rules.contains(&draft));
    assert!(!device.applied_rules.contains(&unrelated));
    w.respond(d, &dev.answer(&records, None));
    assert_eq!(w.status(d), ShownStatus::Provisioned);
}

#[test]
fn creation_order_breaks_timestamp_ties_by_sequence() {
    let mut w = World::new();
    let t = Timestamp::from_millis(w.now + 500);
    let a = w
        .svc
        .create_rule(
            t,
            Some(ADMIN),
            &spec("a", true, &["x"], vec![req::config(&[("a", "1")])]),
        )
        .unwrap();
    let b = w
        .svc
        .create_rule(
            t,
            Some(ADMIN),
            &spec("b", true, &["x"], vec![req::config(&[("b", "1")])]),
        )
        .unwrap();
    let (a, b) = (w.keep(a), w.keep(b));
    let order: Vec<RuleId> = w
        .svc
        .list_rules(Some(ADMIN))
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(order, vec![a, b]);
}

#[test]
fn activation_later_applies_at_the_next_connection() {
    let mut w = World::new();
    let rule = create(
        &mut w,
        &spec("later", false, &["lab"], vec![req::finished()]),
    );
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &["lab"]);
    assert!(w.run_device(&dev, "").is_empty());
    // Drafts can be edited; active rules cannot.
    let t = w.tick();
    let out = w
        .svc
        .update_rule(
            t,
            Some(ADMIN),
            rule,
            &spec(
                "later",
                false,
                &["lab"],
                vec![req::config(&[("k", "v")]), req::finished()],
            ),
        )
        .unwrap();
    w.keep(out);
    let out = w.svc.activate_rule(t, Some(ADMIN), rule).unwrap();
    assert_eq!(out.events.len(), 1);
    w.keep(out);
    assert!(w
        .svc
        .activate_rule(t, Some(ADMIN), rule)
        .unwrap()
        .events
        .is_empty());
    assert_eq!(
        w.svc.get_rule(Some(ADMIN), rule).unwrap().state,
        RuleState::Active
    );
    let err = w
        .svc
        .update_rule(
            t,
            Some(ADMIN),
            rule,
            &spec("x", false, &["lab"], vec![req::finished()]),
        )
        .unwrap_err();
    assert_eq!(err.http_status(), 409);
    assert_eq!(w.run_device(&dev, "").len(), 2);
    assert_eq!(w.status(d), ShownStatus::Provisioned);
}

#[test]
fn tags_set_after_claim_match_and_blocked_devices_get_no_rules() {
    let mut w = World::new();
    create(&mut w, &spec("r", true, &["late"], vec![req::finished()]));
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    assert!(w.run_device(&dev, "").is_empty());
    let t = w.tick();
    let out = w
        .svc
        .set_device_tags(t, Some(OWNER), d, &["late".to_string()])
        .unwrap();
    w.keep(out);
    let out = w.svc.block(t, Some(OWNER), d).unwrap();
    w.keep(out);
    w.fetch(d, "");
    assert!(
        w.statuses(d).is_empty(),
        "a blocked device's connection applies no rule"
    );
    let t = w.tick();
    let out = w.svc.unblock(t, Some(OWNER), d).unwrap();
    w.keep(out);
    assert_eq!(w.run_device(&dev, "").len(), 1);
    assert_eq!(w.status(d), ShownStatus::Provisioned);
}

#[test]
fn a_rule_that_does_not_fit_waits() {
    let mut w = World::new();
    let rule = create(
        &mut w,
        &spec("big", true, &["lab"], vec![req::config(&[("k", "v")]); 5]),
    );
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &["lab"]);
    for i in 0..17 {
        w.add(d, req::config(&[("n", &i.to_string())]));
    }
    let t = w.tick();
    let out = w
        .svc
        .fetch_commands(
            t,
            d,
            &FetchRequest {
                after: String::new(),
                rx_max_size: 4096,
                tx_max_size: 4096,
                limit: Some(20),
            },
        )
        .unwrap();
    assert!(matches!(&out.value.notices[0], Notice::RuleNotApplied { rule: r, .. } if *r == rule));
    w.keep(out);
    assert_eq!(w.statuses(d).len(), 17);
    assert!(!w
        .svc
        .get_device(Some(OWNER), d)
        .unwrap()
        .applied_rules
        .contains(&rule));
}

#[test]
fn rule_specs_are_validated() {
    let mut w = World::new();
    let t = w.tick();
    let cases = [
        (spec("", true, &["a"], vec![req::finished()]), "name"),
        (spec("n", true, &[], vec![req::finished()]), "tags"),
        (spec("n", true, &["bad tag"], vec![req::finished()]), "tags"),
        (spec("n", true, &["a"], vec![]), "commands"),
        (
            spec("n", true, &["a"], vec![req::client_cert(1, "")]),
            "commands[0].request.clientCertificate.content",
        ),
    ];
    for (s, field) in cases {
        match w.svc.create_rule(t, Some(ADMIN), &s).unwrap_err() {
            provlab_server::domain::Error::Invalid { field: f, .. } => assert_eq!(f, field),
            other => panic!("{other}"),
        }
    }
    // JSON as nRF Cloud's tool posts it.
    let json = r#"{"name":"nRF Cloud Onboarding","description":"Onboarding rule","active":true,
        "commands":[{"request":{"clientPrivateKeyGeneration":{"secTag":16842753}}},
                    {"request":{"cloudAccessKeyGeneration":{"secTag":16842753}}}],
        "tags":["nrf-cloud-onboarding"]}"#;
    let parsed: RuleSpec = serde_json::from_str(json).unwrap();
    parsed.validate().unwrap();
    let out = w.svc.create_rule(t, Some(OWNER), &parsed).unwrap();
    w.keep(out);
    assert!(w
        .svc
        .list_tags(Some(OWNER))
        .unwrap()
        .iter()
        .any(|t| t.tag == "nrf-cloud-onboarding"));
}
