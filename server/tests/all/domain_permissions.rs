//! The permission matrix: role × operation × whose device, asserting allow / 401 / 403 for
//! every cell by calling the real [`Service`] operation.
//!
//! "Allowed" (`A`) means the call got past authentication and authorization: it succeeded
//! or failed for a non-permission reason (e.g. 409 skipping a command that has not failed).
//! `F` is 403, `U` is 401, `-` is a cell that cannot exist (a viewer owns no device).

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{material, req, Dev, World, ADMIN, EDITOR, OWNER, VIEWER};
use provlab_server::domain::members::Role;
use provlab_server::domain::permissions::{decide, DeviceOwner, Operation};
use provlab_server::domain::rules::{RuleCommand, RuleSpec};
use provlab_server::domain::service::NewCommand;
use provlab_server::domain::{CommandId, DeviceId, Error, MemberId, RuleId, Service, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    A,
    F,
    U,
    X,
}
use Cell::{A, F, U, X};

/// Keys of the members owning the devices in the columns (none of them is a caller).
const OTHER_EDITOR: &str = common::EDITOR2;
const OTHER_ADMIN: &str = "alma-admin-key-00000";
const OTHER_OWNER: &str = "otto-owner-key-00000";

/// Who calls, by row.
const CALLERS: [(Role, &str); 4] = [
    (Role::Viewer, VIEWER),
    (Role::Editor, EDITOR),
    (Role::Admin, ADMIN),
    (Role::Owner, OWNER),
];

/// One device per column: claimed by the caller itself, another editor, another admin,
/// another owner.
const COLUMNS: [&str; 4] = ["own", "editor's", "admin's", "owner's"];

type DeviceOp = fn(&mut Service, Option<&str>, DeviceId, CommandId) -> Result<(), Error>;

/// Device-scoped operations: for each, the cells per caller role (rows viewer, editor,
/// admin, owner) and device column (own, editor's, admin's, owner's).
#[rustfmt::skip]
const DEVICE_MATRIX: &[(&str, DeviceOp, [[Cell; 4]; 4])] = &[
    //                                     own editor's admin's owner's
    ("get device",      get_device,      [[X, A, F, F],    // viewer
                                          [A, A, F, F],    // editor
                                          [A, A, A, A],    // admin
                                          [A, A, A, A]]),  // owner
    ("list commands",   list_commands,   [[X, A, F, F], [A, A, F, F], [A, A, A, A], [A, A, A, A]]),
    ("get command",     get_command,     [[X, A, F, F], [A, A, F, F], [A, A, A, A], [A, A, A, A]]),
    ("add command",     add_command,     [[X, F, F, F], [A, A, F, F], [A, A, A, A], [A, A, A, A]]),
    ("update command",  update_command,  [[X, F, F, F], [A, A, F, F], [A, A, A, A], [A, A, A, A]]),
    ("skip command",    skip_command,    [[X, F, F, F], [A, A, F, F], [A, A, A, A], [A, A, A, A]]),
    ("retry command",   retry_command,   [[X, F, F, F], [A, A, F, F], [A, A, A, A], [A, A, A, A]]),
    ("set tags",        set_tags,        [[X, F, F, F], [A, A, F, F], [A, A, A, A], [A, A, A, A]]),
    ("block",           block,           [[X, F, F, F], [A, A, F, F], [A, A, A, A], [A, A, A, A]]),
    ("unblock",         unblock,         [[X, F, F, F], [A, A, F, F], [A, A, A, A], [A, A, A, A]]),
    ("unclaim",         unclaim,         [[X, F, F, F], [A, A, F, F], [A, A, A, A], [A, A, A, A]]),
];

type TeamOp = fn(&mut Service, Option<&str>, RuleId) -> Result<(), Error>;

/// Team-wide operations: cells per caller role (viewer, editor, admin, owner).
#[rustfmt::skip]
const TEAM_MATRIX: &[(&str, TeamOp, [Cell; 4])] = &[
    //                                          viewer editor admin owner
    ("claim",                 claim,             [F, A, A, A]),
    ("claim dry run",         claim_dry_run,     [F, A, A, A]),
    ("bulk claim",            bulk_claim,        [F, A, A, A]),
    ("list devices",          list_devices,      [A, A, A, A]),
    ("list tags",             list_tags,         [A, A, A, A]),
    ("create tag",            create_tag,        [F, A, A, A]),
    ("list rules",            list_rules,        [F, A, A, A]),
    ("get rule",              get_rule,          [F, A, A, A]),
    ("create rule",           create_rule,       [F, F, A, A]),
    ("update rule",           update_rule,       [F, F, A, A]),
    ("activate rule",         activate_rule,     [F, F, A, A]),
    ("list members",          list_members,      [F, F, A, A]),
    ("add a viewer",          add_viewer,        [F, F, A, A]),
    ("add an owner",          add_owner,         [F, F, F, A]),
    ("promote to admin",      promote_editor,    [F, F, A, A]),
    ("demote an owner",       demote_owner,      [F, F, F, A]),
    ("remove an editor",      remove_editor,     [F, F, A, A]),
    ("issue own key",         issue_own_key,     [A, A, A, A]),
    ("issue another's key",   issue_other_key,   [F, F, A, A]),
];

fn t() -> Timestamp {
    Timestamp::from_millis(common::T0 + 3_600_000)
}

fn get_device(s: &mut Service, k: Option<&str>, d: DeviceId, _: CommandId) -> Result<(), Error> {
    s.get_device(k, d).map(drop)
}
fn list_commands(s: &mut Service, k: Option<&str>, d: DeviceId, _: CommandId) -> Result<(), Error> {
    s.list_commands(k, d).map(drop)
}
fn get_command(s: &mut Service, k: Option<&str>, d: DeviceId, c: CommandId) -> Result<(), Error> {
    s.get_command(k, d, c).map(drop)
}
fn add_command(s: &mut Service, k: Option<&str>, d: DeviceId, _: CommandId) -> Result<(), Error> {
    s.add_command(
        t(),
        k,
        d,
        &NewCommand {
            description: String::new(),
            request: req::finished(),
        },
    )
    .map(drop)
}
fn update_command(
    s: &mut Service,
    k: Option<&str>,
    d: DeviceId,
    c: CommandId,
) -> Result<(), Error> {
    s.update_command(t(), k, d, c, &req::finished(), None)
        .map(drop)
}
fn skip_command(s: &mut Service, k: Option<&str>, d: DeviceId, c: CommandId) -> Result<(), Error> {
    s.skip_command(t(), k, d, c).map(drop)
}
fn retry_command(s: &mut Service, k: Option<&str>, d: DeviceId, c: CommandId) -> Result<(), Error> {
    s.retry_command(t(), k, d, c).map(drop)
}
fn set_tags(s: &mut Service, k: Option<&str>, d: DeviceId, _: CommandId) -> Result<(), Error> {
    s.set_device_tags(t(), k, d, &["x".to_string()]).map(drop)
}
fn block(s: &mut Service, k: Option<&str>, d: DeviceId, _: CommandId) -> Result<(), Error> {
    s.block(t(), k, d).map(drop)
}
fn unblock(s: &mut Service, k: Option<&str>, d: DeviceId, _: CommandId) -> Result<(), Error> {
    s.unblock(t(), k, d).map(drop)
}
fn unclaim(s: &mut Service, k: Option<&str>, d: DeviceId, _: CommandId) -> Result<(), Error> {
    s.unclaim(t(), k, d).map(drop)
}

fn claim(s: &mut Service, k: Option<&str>, _: RuleId) -> Result<(), Error> {
    s.claim(t(), k, &Dev::new(50).token(), &[]).map(drop)
}
fn claim_dry_run(s: &mut Service, k: Option<&str>, _: RuleId) -> Result<(), Error> {
    s.claim_dry_run(k, &Dev::new(50).token(), &[]).map(drop)
}
fn bulk_claim(s: &mut Service, k: Option<&str>, _: RuleId) -> Result<(), Error> {
    s.claim_bulk_csv(t(), k, &format!("\"{}\"\n", Dev::new(50).token()))
        .map(drop)
}
fn list_devices(s: &mut Service, k: Option<&str>, _: RuleId) -> Result<(), Error> {
    s.list_devices(k).map(drop)
}
fn list_tags(s: &mut Service, k: Option<&str>, _: RuleId) -> Result<(), Error> {
    s.list_tags(k).map(drop)
}
fn create_tag(s: &mut Service, k: Option<&str>, _: RuleId) -> Result<(), Error> {
    s.create_tag(t(), k, "fresh", "").map(drop)
}
fn list_rules(s: &mut Service, k: Option<&str>, _: RuleId) -> Result<(), Error> {
    s.list_rules(k).map(drop)
}
fn get_rule(s: &mut Service, k: Option<&str>, r: RuleId) -> Result<(), Error> {
    s.get_rule(k, r).map(drop)
}
fn rule_spec() -> RuleSpec {
    RuleSpec {
        name: "r".into(),
        description: String::new(),
        active: false,
        commands: vec![RuleCommand {
            description: String::new(),
            request: req::finished(),
        }],
        tags: vec!["t".into()],
    }
}
fn create_rule(s: &mut Service, k: Option<&str>, _: RuleId) -> Result<(), Error> {
    s.create_rule(t(), k, &rule_spec()).map(drop)
}
fn update_rule(s: &mut Service, k: Option<&str>, r: RuleId) -> Result<(), Error> {
    s.update_rule(t(), k, r, &rule_spec()).map(drop)
}
fn activate_rule(s: &mut Service, k: Option<&str>, r: RuleId) -> Result<(), Error> {
    s.activate_rule(t(), k, r).map(drop)
}
fn list_members(s: &mut Service, k: Option<&str>, _: RuleId) -> Result<(), Error> {
    s.list_members(k).map(drop)
}
fn add_viewer(s: &mut Service, k: Option<&str>, _: RuleId) -> Result<(), Error> {
    s.add_member(t(), k, "newbie", Role::Viewer, &material(1))
        .map(drop)
}
fn add_owner(s: &mut Service, k: Option<&str>, _: RuleId) -> Result<(), Error> {
    s.add_member(t(), k, "boss", Role::Owner, &material(2))
        .map(drop)
}
fn promote_editor(s: &mut Service, k: Option<&str>, _: RuleId) -> Result<(), Error> {
    s.change_role(t(), k, &MemberId::new("erin").unwrap(), Role::Admin)
        .map(drop)
}
fn demote_owner(s: &mut Service, k: Option<&str>, _: RuleId) -> Result<(), Error> {
    s.change_role(t(), k, &MemberId::new("otto").unwrap(), Role::Viewer)
        .map(drop)
}
fn remove_editor(s: &mut Service, k: Option<&str>, _: RuleId) -> Result<(), Error> {
    s.remove_member(t(), k, &MemberId::new("erin").unwrap())
        .map(drop)
}
fn issue_own_key(s: &mut Service, k: Option<&str>, _: RuleId) -> Result<(), Error> {
    let me = s.authenticate(k)?.member;
    s.issue_api_key(t(), k, &me, &material(3)).map(drop)
}
fn issue_other_key(s: &mut Service, k: Option<&str>, _: RuleId) -> Result<(), Error> {
    s.issue_api_key(t(), k, &MemberId::new("erin").unwrap(), &material(4))
        .map(drop)
}

/// The fixture: the common team plus a second admin and owner; a rule; and for the caller,
/// one device per column, each with one command.
struct Fixture {
    svc: Service,
    devices: [Option<(DeviceId, CommandId)>; 4],
    rule: RuleId,
}

fn fixture(caller: &str, caller_role: Role) -> Fixture {
    let mut w = World::new();
    let t0 = w.tick();
    w.svc
        .setup_member(t0, "alma", Role::Admin, Some(OTHER_ADMIN))
        .unwrap();
    w.svc
        .setup_member(t0, "otto", Role::Owner, Some(OTHER_OWNER))
        .unwrap();
    let rule = w
        .svc
        .create_rule(t0, Some(OWNER), &rule_spec())
        .unwrap()
        .value;
    let claimers = [caller, OTHER_EDITOR, OTHER_ADMIN, OTHER_OWNER];
    let mut devices = [None; 4];
    for (i, claimer) in claimers.iter().enumerate() {
        if i == 0 && caller_role == Role::Viewer {
            continue;
        }
        let dev = Dev::new(i as u8 + 1);
        let d = w.claim(claimer, &dev, &[]);
        let c = w.add(d, req::config(&[("k", "v")]));
        devices[i] = Some((d, c));
    }
    Fixture {
        svc: w.svc,
        devices,
        rule,
    }
}

fn cell_of(result: &Result<(), Error>) -> Cell {
    match result {
        Err(Error::Unauthorized { .. }) => U,
        Err(Error::Forbidden { .. }) => F,
        _ => A,
    }
}

#[test]
fn device_operations_matrix() {
    let mut failures = Vec::new();
    for (row, (role, key)) in CALLERS.iter().enumerate() {
        let base = fixture(key, *role);
        for (name, op, cells) in DEVICE_MATRIX {
            for (col, expected) in cells[row].iter().enumerate() {
                let Some((device, command)) = base.devices[col] else {
                    assert_eq!(*expected, X, "{name}: {role} has no own device");
                    continue;
                };
                let mut svc = base.svc.clone();
                let got = cell_of(&op(&mut svc, Some(key), device, command));
                if got != *expected {
                    failures.push(format!(
                        "{name} by {role} on {} device: expected {expected:?}, got {got:?}",
                        COLUMNS[col]
                    ));
                }
                // Without a valid key every cell is 401.
                for bad in [None, Some("no-such-key-000000000")] {
                    let mut svc = base.svc.clone();
                    let got = cell_of(&op(&mut svc, bad, device, command));
                    if got != U {
                        failures.push(format!("{name} with key {bad:?}: expected U, got {got:?}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn team_operations_matrix() {
    let mut failures = Vec::new();
    for (row, (role, key)) in CALLERS.iter().enumerate() {
        let base = fixture(key, *role);
        for (name, op, cells) in TEAM_MATRIX {
            let mut svc = base.svc.clone();
            let got = cell_of(&op(&mut svc, Some(key), base.rule));
            if got != cells[row] {
                failures.push(format!(
                    "{name} by {role}: expected {:?}, got {got:?}",
                    cells[row]
                ));
            }
            for bad in [None, Some(""), Some("no-such-key-000000000")] {
                let mut svc = base.svc.clone();
                let got = cell_of(&op(&mut svc, bad, base.rule));
                if got != U {
                    failures.push(format!("{name} with key {bad:?}: expected U, got {got:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn listing_hides_invisible_devices() {
    for (role, key) in CALLERS {
        let f = fixture(key, role);
        let listed: Vec<DeviceId> = f
            .svc
            .list_devices(Some(key))
            .unwrap()
            .iter()
            .map(|d| d.id)
            .collect();
        let expected: Vec<DeviceId> = f
            .devices
            .iter()
            .enumerate()
            .filter_map(|(col, d)| d.map(|(id, _)| (col, id)))
            .filter(|(col, _)| role >= Role::Admin || *col <= 1)
            .map(|(_, id)| id)
            .collect();
        let mut sorted = expected.clone();
        sorted.sort();
        assert_eq!(listed, sorted, "{role}");
    }
}

#[test]
fn the_decide_function_agrees_with_the_matrix() {
    let ops = [
        (Operation::ReadDevice, "get device"),
        (Operation::ReadConfiguration, "list commands"),
        (Operation::EditConfiguration, "add command"),
        (Operation::EditDeviceTags, "set tags"),
        (Operation::BlockDevice, "block"),
        (Operation::Unclaim, "unclaim"),
    ];
    let owners = [
        None,
        Some(Role::Editor),
        Some(Role::Admin),
        Some(Role::Owner),
    ];
    for (row, (role, _)) in CALLERS.iter().enumerate() {
        for (op, name) in ops {
            let cells = DEVICE_MATRIX.iter().find(|(n, _, _)| *n == name).unwrap().2[row];
            for (col, owner) in owners.iter().enumerate() {
                let device = DeviceOwner {
                    by_caller: owner.is_none(),
                    role: owner.unwrap_or(*role),
                };
                if cells[col] == X {
                    continue;
                }
                let got = if decide(*role, op, Some(device)).is_ok() {
                    A
                } else {
                    F
                };
                assert_eq!(got, cells[col], "{name} by {role} on {}", COLUMNS[col]);
            }
        }
    }
    assert!(
        decide(Role::Owner, Operation::ReadDevice, None).is_err(),
        "device ops need a device"
    );
}

#[test]
fn the_last_owner_stays() {
    let mut w = World::new();
    let t = w.tick();
    let me = MemberId::new("olivia").unwrap();
    assert_eq!(
        w.svc
            .change_role(t, Some(OWNER), &me, Role::Admin)
            .unwrap_err()
            .http_status(),
        409
    );
    assert_eq!(
        w.svc
            .remove_member(t, Some(OWNER), &me)
            .unwrap_err()
            .http_status(),
        409
    );
    // Keys: a removed member's keys stop working; a revoked key stops working.
    let key = w
        .svc
        .issue_api_key(
            t,
            Some(EDITOR),
            &MemberId::new("eddie").unwrap(),
            &material(5),
        )
        .unwrap()
        .value;
    assert_eq!(w.svc.authenticate(Some(&key)).unwrap().role, Role::Editor);
    let eddie = w
        .svc
        .list_members(Some(OWNER))
        .unwrap()
        .into_iter()
        .find(|m| m.id.as_str() == "eddie")
        .unwrap()
        .clone();
    let key_id = eddie.api_keys[1].hash.key_id().to_string();
    w.svc
        .revoke_api_key(t, Some(EDITOR), &eddie.id, &key_id)
        .unwrap();
    assert_eq!(
        w.svc.authenticate(Some(&key)).unwrap_err().http_status(),
        401
    );
    w.svc.remove_member(t, Some(ADMIN), &eddie.id).unwrap();
    assert_eq!(
        w.svc.authenticate(Some(EDITOR)).unwrap_err().http_status(),
        401
    );
    // The API key is never stored in clear.
    let state = serde_json::to_string(w.svc.state()).unwrap();
    assert!(!state.contains(OWNER) && !state.contains(&key));
}
