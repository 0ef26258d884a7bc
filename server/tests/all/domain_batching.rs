//! Batches respect the device's `limit`, `rxMaxSize`, `txMaxSize` and `after`.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{req, Dev, World, OWNER};
use provlab_proto::records::{decode_commands, encode_responses, Command};
use provlab_server::domain::batching::{array_header_len, response_bound};
use provlab_server::domain::commands::CommandStatus::*;
use provlab_server::domain::service::{Fetch, FetchRequest};
use provlab_server::domain::status::ShownStatus;
use provlab_server::domain::{DeviceId, Error};

fn setup(n: usize) -> (World, Dev, DeviceId) {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    for i in 0..n {
        w.add(d, req::config(&[("provisioning/item", &format!("{i:04}"))]));
    }
    (w, dev, d)
}

fn take(f: Fetch) -> (Vec<u8>, Vec<Command>, usize) {
    match f {
        Fetch::Records {
            body,
            records,
            response_bound,
        } => (body, records, response_bound),
        Fetch::NoCommands(r) => panic!("no commands: {r:?}"),
    }
}

#[test]
fn split_by_limit_with_sdk_default() {
    let (mut w, dev, d) = setup(15);
    let (body, first, _) = take(w.fetch_with(d, "", 8192, 8192, None));
    assert_eq!(first.len(), 10, "the SDK's default records limit");
    assert_eq!(
        decode_commands(&body, 10).unwrap(),
        first,
        "the body is the records"
    );
    w.respond(d, &dev.answer(&first, None));
    let (_, second, _) = take(w.fetch_with(d, first[9].id().as_str(), 8192, 8192, Some(3)));
    assert_eq!(second.len(), 3);
    w.respond(d, &dev.answer(&second, None));
    let (_, third, _) = take(w.fetch_with(d, second[2].id().as_str(), 8192, 8192, Some(20)));
    assert_eq!(third.len(), 2);
    w.respond(d, &dev.answer(&third, None));
    assert_eq!(w.statuses(d), vec![Succeeded; 15]);
    assert_eq!(w.status(d), ShownStatus::Awaiting);
}

#[test]
fn split_by_rx_max_size_never_exceeds_it() {
    let (mut w, dev, d) = setup(12);
    let mut after = String::new();
    let mut batches = 0;
    while let Fetch::Records { body, records, .. } = w.fetch_with(d, &after, 200, 8192, Some(20)) {
        assert!(body.len() <= 200, "{} > 200", body.len());
        assert!(records.len() < 12);
        w.respond(d, &dev.answer(&records, None));
        after = records.last().unwrap().id().to_string();
        batches += 1;
    }
    assert!(batches >= 3, "{batches} batches");
    assert_eq!(w.statuses(d), vec![Succeeded; 12]);
}

#[test]
fn split_by_tx_max_size_with_conservative_estimate() {
    let (mut w, dev, d) = setup(6);
    let (_, probe, _) = take(w.fetch_with(d, "", 8192, 8192, Some(1)));
    let per = response_bound(&probe[0]);
    // Room for exactly three responses by the estimate.
    let tx = array_header_len(3) + 3 * per;
    let (_, batch, bound) = take(w.fetch_with(d, "", 8192, tx, Some(20)));
    assert_eq!(batch.len(), 3);
    assert!(bound <= tx);
    let answers = dev.answer(&batch, None);
    assert!(
        encode_responses(&answers).unwrap().len() <= bound,
        "the estimate bounds the real body"
    );
    // A failure answer with a long message is still within the estimate.
    let failing = dev.answer(&batch, Some((2, u32::MAX)));
    assert!(encode_responses(&failing).unwrap().len() <= bound);
    w.respond(d, &answers);
    let (_, rest, _) = take(w.fetch_with(d, batch[2].id().as_str(), 8192, tx, Some(20)));
    assert_eq!(rest.len(), 3);
}

#[test]
fn keygen_and_generic_at_estimates() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    w.add(d, req::csr(16842753, "CN=device"));
    w.add(d, req::at("%XMODEMUUID", ""));
    w.add(d, req::finished());
    // With 2 KiB for responses, the CSR fits (its answer is bounded by about 1 KiB) but a
    // generic AT command (bounded by the device's 4 KiB answer buffer) goes alone.
    let (_, first, bound) = take(w.fetch_with(d, "", 4096, 2048, Some(20)));
    assert_eq!(first.len(), 2, "delete and CSR");
    let answers = dev.answer(&first, None);
    assert!(encode_responses(&answers).unwrap().len() <= bound);
    w.respond(d, &answers);
    let (_, second, _) = take(w.fetch_with(d, first[1].id().as_str(), 4096, 2048, Some(20)));
    assert_eq!(
        second.len(),
        1,
        "a lone record is sent even above the estimate"
    );
    w.respond(d, &dev.answer(&second, None));
    let (_, third, _) = take(w.fetch_with(d, second[0].id().as_str(), 4096, 2048, Some(20)));
    assert_eq!(third.len(), 1);
    w.respond(d, &dev.answer(&third, None));
    assert_eq!(w.status(d), ShownStatus::Provisioned);
}

#[test]
fn after_cursor_normal_ahead_and_behind() {
    let (mut w, dev, d) = setup(6);
    // Normal: the batch starts right after the cursor.
    let (_, first, _) = take(w.fetch_with(d, "", 8192, 8192, Some(2)));
    w.respond(d, &dev.answer(&first, None));
    let (_, second, _) = take(w.fetch_with(d, first[1].id().as_str(), 8192, 8192, Some(2)));
    let ids = |r: &[Command]| r.iter().map(|c| c.id().to_string()).collect::<Vec<_>>();
    let all: Vec<String> = w
        .svc
        .list_commands(Some(OWNER), d)
        .unwrap()
        .iter()
        .map(|c| format!("{}.{:x}", c.id, c.seq))
        .collect();
    assert_eq!(ids(&second), all[2..4].to_vec());
    // Ahead: the report of `second` was lost; the cursor says both ran. They are re-sent.
    let (_, again, _) = take(w.fetch_with(d, second[1].id().as_str(), 8192, 8192, Some(2)));
    assert_eq!(again, second);
    w.respond(d, &dev.answer(&again, None));
    // Behind: a rebooted device with an old cursor does not get answered records again.
    let (_, third, _) = take(w.fetch_with(d, "", 8192, 8192, Some(2)));
    assert_eq!(ids(&third), all[4..6].to_vec());
    // An unknown cursor is harmless.
    w.respond(d, &dev.answer(&third, None));
    assert_eq!(
        w.fetch_with(d, "garbage", 8192, 8192, Some(2)),
        Fetch::NoCommands(provlab_server::domain::service::IdleReason::NothingPending)
    );
    assert_eq!(w.statuses(d), vec![Succeeded; 6]);
}

#[test]
fn bad_limits_are_rejected_without_side_effects() {
    let (mut w, _dev, d) = setup(1);
    let before = w.svc.state().clone();
    let t = w.tick();
    for (rx, tx, limit, field) in [
        (4096, 4096, Some(0), "limit"),
        (10, 4096, None, "rxMaxSize"),
        (4096, 0, None, "txMaxSize"),
    ] {
        let err = w
            .svc
            .fetch_commands(
                t,
                d,
                &FetchRequest {
                    after: String::new(),
                    rx_max_size: rx,
                    tx_max_size: tx,
                    limit,
                },
            )
            .unwrap_err();
        assert!(
            matches!(&err, Error::Invalid { field: f, .. } if f == field),
            "{err}"
        );
    }
    assert_eq!(w.svc.state(), &before);
}
