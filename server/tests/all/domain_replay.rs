//! State is a fold of events: replaying an operation sequence's events (also through JSON)
//! rebuilds an identical state, and the replayed service goes on minting the same ids.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{material, req, Dev, World, ADMIN, EDITOR, OWNER};
use proptest::prelude::*;
use provlab_server::domain::rules::{RuleCommand, RuleSpec};
use provlab_server::domain::service::{Fetch, NewCommand};
use provlab_server::domain::{Event, MemberId, Role, Service, ServiceConfig};

fn replayed(w: &World) -> Service {
    Service::replay(w.svc.config().clone(), &w.events).unwrap()
}

fn through_json(events: &[Event]) -> Vec<Event> {
    let lines: Vec<String> = events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_long_sequence_replays_identically() {
    let mut w = World::with_registry(5);
    let t = w.tick();
    let out = w
        .svc
        .add_member(t, Some(ADMIN), "nina", Role::Editor, &material(1))
        .unwrap();
    let nina_key = w.keep(out);
    let out = w.svc.create_tag(t, Some(EDITOR), "lab", "the lab").unwrap();
    w.keep(out);
    let rule = RuleSpec {
        name: "onboard".into(),
        description: String::new(),
        active: true,
        commands: vec![RuleCommand {
            description: "key".into(),
            request: req::keygen(16842753),
        }],
        tags: vec!["lab".into()],
    };
    let out = w.svc.create_rule(t, Some(OWNER), &rule).unwrap();
    w.keep(out);
    let (a, b, c) = (Dev::new(1), Dev::new(2), Dev::new(3));
    let da = w.claim(OWNER, &a, &["lab"]);
    let db = w.claim(&nina_key, &b, &[]);
    let dc = w.claim(EDITOR, &c, &["lab"]);
    // a: rule, then owner finishes, with a failure, a retry and a skip on the way.
    let recs = w.run_device(&a, "");
    let failing = w.add(da, req::at("%CMNG", "3,1,2"));
    w.add(da, req::client_cert(16842753, "CERT"));
    w.add(da, req::finished());
    let Fetch::Records { records, .. } = w.fetch(da, recs[1].id().as_str()) else {
        panic!()
    };
    w.respond(da, &a.answer(&records, Some((0, 514))));
    let t = w.tick();
    let out = w.svc.retry_command(t, Some(OWNER), da, failing).unwrap();
    w.keep(out);
    let Fetch::Records { records, .. } = w.fetch(da, "") else {
        panic!()
    };
    w.respond(da, &a.answer(&records, Some((0, 514))));
    let t = w.tick();
    let out = w.svc.skip_command(t, Some(OWNER), da, failing).unwrap();
    w.keep(out);
    w.run_device(&a, "");
    // b: blocked mid-way, results while blocked, lost report, unblock.
    for i in 0..5 {
        w.add(db, req::config(&[("k", &i.to_string())]));
    }
    let Fetch::Records { records, .. } = w.fetch_with(db, "", 4096, 4096, Some(2)) else {
        panic!()
    };
    let t = w.tick();
    let out = w.svc.block(t, Some(EDITOR), db).unwrap();
    w.keep(out);
    w.respond(db, &b.answer(&records, None));
    let t = w.tick();
    let out = w.svc.unblock(t, Some(EDITOR), db).unwrap();
    w.keep(out);
    let _lost = w.fetch_with(db, "", 4096, 4096, Some(2));
    w.run_device(&b, "");
    w.run_device(&b, "");
    // c: tags changed, updated command, unclaimed and claimed again.
    let cmd = w.add(dc, req::server_cert(1, "OLD"));
    let t = w.tick();
    let out = w
        .svc
        .update_command(
            t,
            Some(EDITOR),
            dc,
            cmd,
            &req::server_cert(1, "NEW"),
            Some("new"),
        )
        .unwrap();
    w.keep(out);
    let out = w
        .svc
        .set_device_tags(t, Some(EDITOR), dc, &["x".into()])
        .unwrap();
    w.keep(out);
    w.run_device(&c, "");
    let t = w.tick();
    let out = w.svc.unclaim(t, Some(EDITOR), dc).unwrap();
    w.keep(out);
    w.claim(OWNER, &c, &["lab"]);
    w.run_device(&c, "");
    // Members and keys.
    let t = w.tick();
    let nina = MemberId::new("nina").unwrap();
    let out = w
        .svc
        .change_role(t, Some(OWNER), &nina, Role::Admin)
        .unwrap();
    w.keep(out);
    let out = w
        .svc
        .issue_api_key(t, Some(&nina_key), &nina, &material(2))
        .unwrap();
    w.keep(out);
    assert!(w.events.len() > 40, "{} events", w.events.len());

    let again = replayed(&w);
    assert_eq!(again.state(), w.svc.state());
    let from_json = Service::replay(w.svc.config().clone(), &through_json(&w.events)).unwrap();
    assert_eq!(from_json.state(), w.svc.state());

    // Both go on identically: same minted ids.
    let mut original = w.svc.clone();
    let mut copy = again;
    let t = w.tick();
    let new = NewCommand {
        description: String::new(),
        request: req::finished(),
    };
    let x = original.add_command(t, Some(OWNER), db, &new).unwrap();
    let y = copy.add_command(t, Some(OWNER), db, &new).unwrap();
    assert_eq!(x, y);
}

#[test]
fn replay_reports_a_corrupt_log() {
    let mut w = World::new();
    let dev = Dev::new(1);
    w.claim(OWNER, &dev, &[]);
    let mut events = w.events.clone();
    events.push(events.last().unwrap().clone());
    let err = Service::replay(ServiceConfig::new(42), &events).unwrap_err();
    assert_eq!(err.index, events.len() as u64 - 1);
    assert_eq!(err.kind, "deviceClaimed");
    assert!(err.reason.contains("already claimed"));
}

#[derive(Debug, Clone)]
enum Op {
    Add(u8),
    Fetch { limit: usize, rx: usize, tx: usize },
    Answer { fail_at: Option<usize> },
    Skip,
    Retry,
    Block,
    Unblock,
    Rule(bool),
    Tag(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..6).prop_map(Op::Add),
        (1usize..6, 64usize..600, 64usize..3000).prop_map(|(limit, rx, tx)| Op::Fetch {
            limit,
            rx,
            tx
        }),
        proptest::option::of(0usize..4).prop_map(|fail_at| Op::Answer { fail_at }),
        Just(Op::Skip),
        Just(Op::Retry),
        Just(Op::Block),
        Just(Op::Unblock),
        any::<bool>().prop_map(Op::Rule),
        any::<bool>().prop_map(Op::Tag),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_replay_identically(ops in proptest::collection::vec(op(), 1..40)) {
        let mut w = World::new();
        let dev = Dev::new(1);
        let d = w.claim(OWNER, &dev, &[]);
        let mut last: Vec<provlab_proto::records::Command> = Vec::new();
        for op in ops {
            let t = w.tick();
            match op {
                Op::Add(kind) => {
                    let request = match kind {
                        0 => req::keygen(16842753),
                        1 => req::csr(16842753, "CN=x"),
                        2 => req::config(&[("a", "1")]),
                        3 => req::server_cert(1, &"P".repeat(300)),
                        4 => req::at("%XICCID", ""),
                        _ => req::finished(),
                    };
                    if let Ok(out) = w.svc.add_command(t, Some(OWNER), d, &NewCommand { description: String::new(), request }) {
                        w.keep(out);
                    }
                }
                Op::Fetch { limit, rx, tx } => {
                    if let Fetch::Records { records, body, .. } = w.fetch_with(d, "", rx, tx, Some(limit)) {
                        prop_assert!(body.len() <= rx);
                        prop_assert!(records.len() <= limit);
                        last = records;
                    }
                }
                Op::Answer { fail_at } => {
                    let answers = dev.answer(&last, fail_at.map(|i| (i, 514)));
                    w.respond(d, &answers);
                }
                Op::Skip | Op::Retry => {
                    let failed = w.svc.list_commands(Some(OWNER), d).unwrap().iter()
                        .find(|c| c.status == provlab_server::domain::commands::CommandStatus::Failed)
                        .map(|c| c.id);
                    if let Some(c) = failed {
                        let out = if matches!(op, Op::Skip) {
                            w.svc.skip_command(t, Some(OWNER), d, c)
                        } else {
                            w.svc.retry_command(t, Some(OWNER), d, c)
                        };
                        w.keep(out.unwrap());
                    }
                }
                Op::Block => { let out = w.svc.block(t, Some(OWNER), d).unwrap(); w.keep(out); }
                Op::Unblock => { let out = w.svc.unblock(t, Some(OWNER), d).unwrap(); w.keep(out); }
                Op::Rule(active) => {
                    let spec = RuleSpec {
                        name: "r".into(),
                        description: String::new(),
                        active,
                        commands: vec![RuleCommand { description: String::new(), request: req::config(&[("r", "1")]) }],
                        tags: vec!["t".into()],
                    };
                    let out = w.svc.create_rule(t, Some(ADMIN), &spec).unwrap();
                    w.keep(out);
                }
                Op::Tag(on) => {
                    let tags: Vec<String> = if on { vec!["t".into()] } else { vec![] };
                    let out = w.svc.set_device_tags(t, Some(OWNER), d, &tags).unwrap();
                    w.keep(out);
                }
            }
            // Invariants: at most 20 commands; at most one failure; ERROR iff a failure.
            let device = w.svc.get_device(Some(OWNER), d).unwrap();
            prop_assert!(device.commands.len() <= 20);
            let failures = device.commands.iter().filter(|c| c.status == provlab_server::domain::commands::CommandStatus::Failed).count();
            prop_assert!(failures <= 1);
            prop_assert_eq!(failures == 1, device.status == provlab_server::domain::status::DeviceStatus::Error);
        }
        let again = Service::replay(w.svc.config().clone(), &through_json(&w.events)).unwrap();
        prop_assert_eq!(again.state(), w.svc.state());
    }
}
