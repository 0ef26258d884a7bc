//! Device and command status transitions; failure, skip, retry and update; block and
//! unblock; duplicate, stale and stray responses.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{req, Dev, World, OWNER};
use provlab_proto::records::Response;
use provlab_server::domain::commands::CommandStatus::{self, *};
use provlab_server::domain::service::{Fetch, IdleReason, RecordDisposition};
use provlab_server::domain::status::ShownStatus;
use provlab_server::domain::Error;

fn records(f: Fetch) -> Vec<provlab_proto::records::Command> {
    match f {
        Fetch::Records { records, .. } => records,
        Fetch::NoCommands(r) => panic!("expected records, got {r:?}"),
    }
}

/// Scenario 3's configuration: server cert, a delete that fails, key generation, finished.
fn failure_mid_queue() -> (
    World,
    Dev,
    provlab_server::domain::DeviceId,
    Vec<provlab_server::domain::CommandId>,
) {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &["lab"]);
    let ids = vec![
        w.add(d, req::server_cert(42, "ROOT")),
        w.add(d, req::at("%CMNG", "3,16842753,2")),
        w.add(d, req::keygen(16842753)),
        w.add(d, req::finished()),
    ];
    (w, dev, d, ids)
}

#[test]
fn happy_path_ready_provisioning_provisioned() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    assert_eq!(w.status(d), ShownStatus::Ready);
    assert_eq!(
        w.fetch(d, ""),
        Fetch::NoCommands(IdleReason::NothingPending)
    );
    assert_eq!(
        w.status(d),
        ShownStatus::Ready,
        "an empty fetch changes nothing"
    );
    w.add(d, req::keygen(1));
    w.add(d, req::finished());
    assert_eq!(w.statuses(d), vec![Pending, Pending]);
    let recs = records(w.fetch(d, ""));
    assert_eq!(w.status(d), ShownStatus::Provisioning);
    assert_eq!(w.statuses(d), vec![InProgress, InProgress]);
    w.respond(d, &dev.answer(&recs, None));
    assert_eq!(w.statuses(d), vec![Succeeded, Succeeded]);
    assert_eq!(w.status(d), ShownStatus::Provisioned);
    let last = recs.last().unwrap().id().to_string();
    assert_eq!(
        w.fetch(d, &last),
        Fetch::NoCommands(IdleReason::NothingPending)
    );
}

#[test]
fn all_answered_without_finished_is_awaiting_and_append_makes_ready() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    w.add(d, req::config(&[("a", "1")]));
    w.run_device(&dev, "");
    assert_eq!(w.status(d), ShownStatus::Awaiting);
    w.add(d, req::finished());
    assert_eq!(w.status(d), ShownStatus::Ready);
    w.run_device(&dev, "");
    assert_eq!(w.status(d), ShownStatus::Provisioned);
    // Appending to a provisioned device makes it READY again; the next connection runs it.
    w.add(d, req::config(&[("b", "2")]));
    assert_eq!(w.status(d), ShownStatus::Ready);
    w.run_device(&dev, "");
    assert_eq!(w.status(d), ShownStatus::Awaiting);
}

#[test]
fn partial_answers_keep_provisioning() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    w.add(d, req::config(&[("a", "1")]));
    w.add(d, req::finished());
    let recs = records(w.fetch(d, ""));
    let answers = dev.answer(&recs, None);
    w.respond(d, &answers[..1]);
    assert_eq!(w.statuses(d), vec![Succeeded, InProgress]);
    assert_eq!(w.status(d), ShownStatus::Provisioning);
}

#[test]
fn failure_mid_queue_then_skip() {
    let (mut w, dev, d, ids) = failure_mid_queue();
    let recs = records(w.fetch(d, ""));
    assert_eq!(recs.len(), 5, "cert, AT, delete + keygen, finished");
    w.respond(d, &dev.answer(&recs, Some((1, 514))));
    // Commands after the failed one were delivered but not executed: back to PENDING.
    assert_eq!(w.statuses(d), vec![Succeeded, Failed, Pending, Pending]);
    assert_eq!(w.status(d), ShownStatus::Error);
    // Delivery is suspended while in ERROR.
    assert_eq!(
        w.fetch(d, recs[1].id().as_str()),
        Fetch::NoCommands(IdleReason::Suspended)
    );
    let t = w.tick();
    let out = w.svc.skip_command(t, Some(OWNER), d, ids[1]).unwrap();
    w.keep(out);
    assert_eq!(w.statuses(d), vec![Succeeded, Skipped, Pending, Pending]);
    assert_eq!(w.status(d), ShownStatus::Ready);
    let recs = w.run_device(&dev, recs[1].id().as_str());
    assert_eq!(recs.len(), 3);
    assert_eq!(
        w.statuses(d),
        vec![Succeeded, Skipped, Succeeded, Succeeded]
    );
    assert_eq!(w.status(d), ShownStatus::Provisioned);
}

#[test]
fn retry_reissues_under_a_new_sequence() {
    let (mut w, dev, d, ids) = failure_mid_queue();
    let first = records(w.fetch(d, ""));
    let failure = dev.answer(&first, Some((1, 514)));
    w.respond(d, &failure);
    let t = w.tick();
    let out = w.svc.retry_command(t, Some(OWNER), d, ids[1]).unwrap();
    w.keep(out);
    assert_eq!(w.statuses(d), vec![Succeeded, Pending, Pending, Pending]);
    assert_eq!(w.status(d), ShownStatus::Ready);
    let again = records(w.fetch(d, first[1].id().as_str()));
    assert_eq!(again.len(), 4, "the retried AT, delete + keygen, finished");
    assert_ne!(
        again[0].id(),
        first[1].id(),
        "a retry gets a new correlation id"
    );
    assert!(again[0].id().as_str().starts_with(&ids[1].to_string()));
    // The old failure arriving late is stale and ignored.
    let report = w.respond(d, &failure[1..]);
    assert_eq!(report.records[0].disposition, RecordDisposition::Stale);
    assert_eq!(
        w.statuses(d),
        vec![Succeeded, InProgress, InProgress, InProgress]
    );
    w.respond(d, &dev.answer(&again, None));
    assert_eq!(w.statuses(d), vec![Succeeded; 4]);
    assert_eq!(w.status(d), ShownStatus::Provisioned);
}

#[test]
fn update_replaces_a_failed_or_pending_request() {
    let (mut w, dev, d, ids) = failure_mid_queue();
    let recs = records(w.fetch(d, ""));
    w.respond(d, &dev.answer(&recs, Some((1, 514))));
    let t = w.tick();
    let new_request = req::at("%CMNG", "3,16842753,1");
    let out = w
        .svc
        .update_command(t, Some(OWNER), d, ids[1], &new_request, Some("fixed"))
        .unwrap();
    w.keep(out);
    let entry = w.svc.get_command(Some(OWNER), d, ids[1]).unwrap();
    assert_eq!(
        (entry.status, entry.description.as_str()),
        (Pending, "fixed")
    );
    assert_eq!(entry.request, new_request);
    assert!(entry.result.is_none());
    assert_eq!(w.status(d), ShownStatus::Ready);
    // A pending command may be updated too (no status change); in-progress or done may not.
    let t = w.tick();
    let out = w
        .svc
        .update_command(t, Some(OWNER), d, ids[3], &req::finished(), None)
        .unwrap();
    w.keep(out);
    assert_eq!(w.status(d), ShownStatus::Ready);
    let recs = records(w.fetch(d, ""));
    let t = w.tick();
    let err = w
        .svc
        .update_command(t, Some(OWNER), d, ids[1], &req::finished(), None)
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err}");
    w.respond(d, &dev.answer(&recs, None));
    let err = w
        .svc
        .update_command(t, Some(OWNER), d, ids[0], &req::finished(), None)
        .unwrap_err();
    assert_eq!(err.http_status(), 409);
    assert_eq!(w.status(d), ShownStatus::Provisioned);
}

#[test]
fn skip_and_retry_need_a_failed_command() {
    let (mut w, _dev, d, ids) = failure_mid_queue();
    let t = w.tick();
    for err in [
        w.svc.skip_command(t, Some(OWNER), d, ids[0]).unwrap_err(),
        w.svc.retry_command(t, Some(OWNER), d, ids[0]).unwrap_err(),
    ] {
        assert_eq!(err.http_status(), 409, "{err}");
    }
    let missing =
        provlab_server::domain::CommandId::parse("00000000-0000-4000-8000-000000000000").unwrap();
    assert_eq!(
        w.svc
            .skip_command(t, Some(OWNER), d, missing)
            .unwrap_err()
            .http_status(),
        404
    );
}

#[test]
fn delete_step_failure_fails_the_command() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    let c = w.add(d, req::keygen(16842753));
    w.add(d, req::finished());
    let recs = records(w.fetch(d, ""));
    // rsps2_cmee514: the delete is refused with 514, the KEYGEN is not run.
    w.respond(d, &dev.answer(&recs, Some((0, 514))));
    assert_eq!(w.statuses(d), vec![Failed, Pending]);
    let entry = w.svc.get_command(Some(OWNER), d, c).unwrap();
    assert_eq!(
        entry.response_json()["clientPrivateKeyGeneration"]["cmeError"],
        514
    );
    assert_eq!(w.status(d), ShownStatus::Error);
}

#[test]
fn a_batch_may_end_between_delete_and_keygen() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    w.add(d, req::config(&[("a", "1")]));
    w.add(d, req::keygen(7));
    let first = records(w.fetch_with(d, "", 4096, 4096, Some(2)));
    assert_eq!(first.len(), 2);
    assert!(first[1].id().as_str().ends_with(".s"));
    w.respond(d, &dev.answer(&first, None));
    assert_eq!(
        w.statuses(d),
        vec![Succeeded, InProgress],
        "delete done, KEYGEN to go"
    );
    let second = records(w.fetch_with(d, first[1].id().as_str(), 4096, 4096, Some(2)));
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].at_line().unwrap(), "AT%KEYGEN=7,2,1");
    w.respond(d, &dev.answer(&second, None));
    assert_eq!(w.statuses(d), vec![Succeeded, Succeeded]);
    assert_eq!(w.status(d), ShownStatus::Awaiting);
}

#[test]
fn blocked_device_gets_nothing_and_unblock_restores() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    w.add(d, req::config(&[("a", "1")]));
    let t = w.tick();
    let out = w.svc.block(t, Some(OWNER), d).unwrap();
    w.keep(out);
    assert_eq!(w.status(d), ShownStatus::Blocked);
    assert_eq!(w.fetch(d, ""), Fetch::NoCommands(IdleReason::Blocked));
    assert_eq!(w.statuses(d), vec![Pending]);
    let t = w.tick();
    // Blocking twice is harmless and emits nothing.
    assert!(w.svc.block(t, Some(OWNER), d).unwrap().events.is_empty());
    let out = w.svc.unblock(t, Some(OWNER), d).unwrap();
    assert_eq!(out.events.len(), 1);
    w.keep(out);
    assert_eq!(
        w.status(d),
        ShownStatus::Ready,
        "the previous status is back"
    );
    w.run_device(&dev, "");
    assert_eq!(w.statuses(d), vec![Succeeded]);
}

#[test]
fn results_for_delivered_records_are_accepted_while_blocked() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    w.add(d, req::config(&[("a", "1")]));
    w.add(d, req::finished());
    let recs = records(w.fetch(d, ""));
    let t = w.tick();
    let out = w.svc.block(t, Some(OWNER), d).unwrap();
    w.keep(out);
    let report = w.respond(d, &dev.answer(&recs, None));
    assert_eq!(report.recorded(), 2);
    assert_eq!(w.statuses(d), vec![Succeeded, Succeeded]);
    assert_eq!(w.status(d), ShownStatus::Blocked);
    let t = w.tick();
    let out = w.svc.unblock(t, Some(OWNER), d).unwrap();
    w.keep(out);
    assert_eq!(
        w.status(d),
        ShownStatus::Provisioned,
        "the status moved on underneath"
    );
}

#[test]
fn block_while_provisioning_then_unblock_resumes() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    for i in 0..4 {
        w.add(d, req::config(&[("k", &i.to_string())]));
    }
    w.add(d, req::finished());
    let first = records(w.fetch_with(d, "", 4096, 4096, Some(2)));
    let t = w.tick();
    let out = w.svc.block(t, Some(OWNER), d).unwrap();
    w.keep(out);
    w.respond(d, &dev.answer(&first, None));
    assert_eq!(
        w.fetch(d, first[1].id().as_str()),
        Fetch::NoCommands(IdleReason::Blocked)
    );
    let t = w.tick();
    let out = w.svc.unblock(t, Some(OWNER), d).unwrap();
    w.keep(out);
    assert_eq!(w.status(d), ShownStatus::Provisioning);
    let rest = w.run_device(&dev, first[1].id().as_str());
    assert_eq!(rest.len(), 3);
    assert_eq!(w.status(d), ShownStatus::Provisioned);
}

#[test]
fn duplicate_results_are_acknowledged_and_ignored() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    let c = w.add(d, req::keygen(3));
    w.add(d, req::finished());
    let recs = records(w.fetch(d, ""));
    let answers = dev.answer(&recs, None);
    assert_eq!(w.respond(d, &answers).recorded(), 3);
    let before = w.svc.state().clone();
    let entry_before = w.svc.get_command(Some(OWNER), d, c).unwrap().clone();
    // The same POST again, and a contradicting error for a finished command.
    let report = w.respond(d, &answers);
    assert!(report
        .records
        .iter()
        .all(|r| r.disposition == RecordDisposition::Duplicate));
    let contradiction = [Response::Error {
        id: recs[1].id().clone(),
        cme_error: 1,
        message: "late".into(),
    }];
    assert_eq!(
        w.respond(d, &contradiction).records[0].disposition,
        RecordDisposition::Duplicate
    );
    assert_eq!(w.svc.state(), &before, "nothing changed");
    assert_eq!(w.svc.get_command(Some(OWNER), d, c).unwrap(), &entry_before);
}

#[test]
fn lost_report_redelivers_and_counts_once() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    w.add(d, req::config(&[("a", "1")]));
    w.add(d, req::finished());
    let first = records(w.fetch(d, ""));
    let _lost = dev.answer(&first, None);
    // The device's cursor advanced past everything, but the service has no answers:
    // the unanswered records go out again.
    let after = first.last().unwrap().id().to_string();
    let t = w.tick();
    let out = w
        .svc
        .fetch_commands(
            t,
            d,
            &provlab_server::domain::service::FetchRequest {
                after: after.clone(),
                rx_max_size: 4096,
                tx_max_size: 4096,
                limit: Some(10),
            },
        )
        .unwrap();
    assert!(out.value.notices.iter().any(|n| matches!(n, provlab_server::domain::service::Notice::Redelivered { records } if records.len() == 2)));
    w.keep(out.clone());
    let Fetch::Records {
        records: second, ..
    } = out.value.fetch
    else {
        panic!()
    };
    assert_eq!(second, first, "same records, same correlation ids");
    let answers = dev.answer(&second, None);
    assert_eq!(w.respond(d, &answers).recorded(), 2);
    // If the first POST turns up after all, it is a duplicate.
    assert_eq!(w.respond(d, &answers).recorded(), 0);
    let device = w.svc.get_device(Some(OWNER), d).unwrap();
    assert!(device.commands.iter().all(|c| c.deliveries == 2));
    assert_eq!(device.last_cursor, after);
    assert_eq!(w.status(d), ShownStatus::Provisioned);
}

#[test]
fn stray_responses_are_reported_not_recorded() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    let c = w.add(d, req::config(&[("a", "1")]));
    let pending_answer = Response::ConfigAck {
        id: provlab_proto::records::CorrelationId::new(format!("{c}.1")).unwrap(),
    };
    let unknown = Response::ConfigAck {
        id: provlab_proto::records::CorrelationId::new("not-a-correlation-id").unwrap(),
    };
    let other_device = Response::ConfigAck {
        id: provlab_proto::records::CorrelationId::new("00000000-0000-4000-8000-000000000000.1")
            .unwrap(),
    };
    let report = w.respond(d, &[pending_answer.clone(), unknown, other_device]);
    let dispositions: Vec<_> = report
        .records
        .iter()
        .map(|r| r.disposition.clone())
        .collect();
    assert_eq!(
        dispositions,
        vec![
            RecordDisposition::NotDelivered,
            RecordDisposition::UnknownId,
            RecordDisposition::UnknownId
        ]
    );
    let recs = records(w.fetch(d, ""));
    // An AT answer for a config record does not fit.
    let wrong = Response::AtOk {
        id: recs[0].id().clone(),
        message: String::new(),
    };
    assert!(matches!(
        w.respond(d, &[wrong]).records[0].disposition,
        RecordDisposition::Mismatch(_)
    ));
    assert_eq!(w.statuses(d), vec![CommandStatus::InProgress]);
    assert_eq!(w.respond(d, &[pending_answer]).recorded(), 1);
}

#[test]
fn malformed_bodies_and_unclaimed_devices() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let t = w.tick();
    assert_eq!(
        w.svc.record_responses(t, dev.id(), &[0x80]).unwrap_err(),
        Error::NotClaimed { device: dev.id() }
    );
    let d = w.claim(OWNER, &dev, &[]);
    for body in [&[][..], &[0x80], &[0xff, 0x00]] {
        let err = w.svc.record_responses(t, d, body).unwrap_err();
        assert!(
            matches!(&err, Error::Invalid { field, .. } if field == "body"),
            "{err}"
        );
    }
    // The SDK's rsps1 vector names no command of this device: acknowledged, ignored.
    let rsps1 = hex::decode(
        "8182782639363835656638342d386361632d343235372d623563632d3934626334313661316331642e641866",
    )
    .unwrap();
    let report = w.svc.record_responses(t, d, &rsps1).unwrap();
    assert_eq!(
        report.value.records[0].disposition,
        RecordDisposition::UnknownId
    );
    assert!(report.events.is_empty());
    let other = Dev::new(2);
    let err = w
        .svc
        .fetch_commands(
            t,
            other.id(),
            &provlab_server::domain::service::FetchRequest {
                after: String::new(),
                rx_max_size: 1024,
                tx_max_size: 1024,
                limit: None,
            },
        )
        .unwrap_err();
    assert_eq!(err.http_status(), 403);
}

#[test]
fn oversized_command_fails_service_side() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    let big = w.add(d, req::server_cert(1, &"A".repeat(3000)));
    w.add(d, req::finished());
    let t = w.tick();
    let out = w
        .svc
        .fetch_commands(
            t,
            d,
            &provlab_server::domain::service::FetchRequest {
                after: String::new(),
                rx_max_size: 2048,
                tx_max_size: 2048,
                limit: Some(10),
            },
        )
        .unwrap();
    assert_eq!(out.value.fetch, Fetch::NoCommands(IdleReason::Suspended));
    assert!(
        matches!(&out.value.notices[0], provlab_server::domain::service::Notice::CommandRejected { command, .. } if *command == big)
    );
    w.keep(out);
    assert_eq!(w.statuses(d), vec![Failed, Pending]);
    assert_eq!(w.status(d), ShownStatus::Error);
    let entry = w.svc.get_command(Some(OWNER), d, big).unwrap();
    assert!(entry.response_json()["serverCertificate"]["message"]
        .as_str()
        .unwrap()
        .contains("rxMaxSize"));
    // The owner replaces it with something that fits; the device finishes.
    let t = w.tick();
    let out = w
        .svc
        .update_command(t, Some(OWNER), d, big, &req::server_cert(1, "SMALL"), None)
        .unwrap();
    w.keep(out);
    let recs = records(w.fetch_with(d, "", 2048, 2048, Some(10)));
    w.respond(d, &dev.answer(&recs, None));
    assert_eq!(w.status(d), ShownStatus::Provisioned);
}

#[test]
fn unclaim_drops_everything_and_reclaim_starts_afresh() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    w.add(d, req::finished());
    w.run_device(&dev, "");
    let t = w.tick();
    let out = w.svc.unclaim(t, Some(OWNER), d).unwrap();
    w.keep(out);
    assert_eq!(
        w.svc.get_device(Some(OWNER), d).unwrap_err().http_status(),
        404
    );
    let d = w.claim(OWNER, &dev, &[]);
    assert_eq!(w.status(d), ShownStatus::Ready);
    assert!(w.statuses(d).is_empty());
}
