use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::*;
use crate::rack;

fn holder(run: &str) -> Holder {
    Holder {
        owner: "tester".to_owned(),
        run_id: run.to_owned(),
        ttl: Duration::from_secs(60),
    }
}

fn fast(timeout_ms: u64) -> Wait {
    Wait {
        deadline: Instant::now() + Duration::from_millis(timeout_ms),
        poll: Duration::from_millis(10),
    }
}

fn write_lease(lab: &Path, info: &LeaseInfo) {
    std::fs::create_dir_all(leases_dir(lab)).unwrap();
    let path = lease_path(lab, &info.board).unwrap();
    std::fs::write(path, serde_json::to_vec(info).unwrap()).unwrap();
}

fn foreign(board: &str, pid: u32, host: &str, expiry_in_ms: i64) -> LeaseInfo {
    let now = now_unix_ms();
    LeaseInfo {
        board: board.to_owned(),
        owner: "someone".to_owned(),
        run_id: "old-run".to_owned(),
        pid,
        pid_start: None,
        host: host.to_owned(),
        start_unix_ms: now - 1000,
        expiry_unix_ms: now.saturating_add_signed(expiry_in_ms),
    }
}

#[test]
fn a_held_board_times_out_then_is_free_after_release_on_drop() {
    let lab = tempfile::tempdir().unwrap();
    let first = acquire(lab.path(), "dk1", &holder("a"), Wait::no_wait()).unwrap();
    assert!(first.path().is_file());
    assert_eq!(first.recovered(), None);

    let started = Instant::now();
    let err = acquire(lab.path(), "dk1", &holder("b"), fast(150)).unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(150));
    match &err {
        LeaseError::Timeout { boards, holders } => {
            assert_eq!(boards, &["dk1"]);
            assert_eq!(holders[0].run_id, "a");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("run `a`"), "{err}");

    drop(first);
    assert!(!lease_path(lab.path(), "dk1").unwrap().exists());
    let second = acquire(lab.path(), "dk1", &holder("b"), Wait::no_wait()).unwrap();
    second.release().unwrap();
    assert!(list(lab.path()).unwrap().is_empty());
}

#[test]
fn two_threads_contend_and_the_waiter_gets_the_board_when_it_is_released() {
    let lab = tempfile::tempdir().unwrap();
    let dir = lab.path().to_path_buf();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let threads: Vec<_> = (0..2)
        .map(|i| {
            let dir = dir.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let lease = acquire(&dir, "dk1", &holder(&format!("t{i}")), fast(5000)).unwrap();
                let got = Instant::now();
                std::thread::sleep(Duration::from_millis(100));
                let left = Instant::now();
                lease.release().unwrap();
                (got, left)
            })
        })
        .collect();
    let mut spans: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    spans.sort();
    // The second holder got the board only after the first let go.
    assert!(spans[1].0 >= spans[0].1);
}

#[test]
fn a_child_process_holds_the_board_and_its_death_frees_it() {
    let lab = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "lease::tests::child_holder",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PROVLAB_LEASE_CHILD_LAB", lab.path())
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    // libtest prints `test … ... ` before the test's own output, on the same line.
    let held = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.contains(CHILD_MARKER));
    if !held {
        let _ = child.kill();
        panic!("the child did not take the lease");
    }

    let err = acquire(lab.path(), "dk1", &holder("parent"), fast(100)).unwrap_err();
    let LeaseError::Timeout { holders, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(holders[0].pid, child.id());
    let rows = list(lab.path()).unwrap();
    assert_eq!(rows[0].state, LeaseState::Held);

    // SIGKILL: the child cannot release; the lease file stays behind.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(lease_path(lab.path(), "dk1").unwrap().exists());
    assert_eq!(
        list(lab.path()).unwrap()[0].state,
        LeaseState::Stale(StaleReason::DeadProcess)
    );
    let lease = acquire(lab.path(), "dk1", &holder("parent"), Wait::no_wait()).unwrap();
    let recovered = lease.recovered().unwrap();
    assert_eq!(recovered.reason, StaleReason::DeadProcess);
    assert_eq!(recovered.previous.as_ref().unwrap().run_id, "child");
}

const CHILD_MARKER: &str = "PROVLAB-LEASE-CHILD-HELD";

/// Run only as the child of the test above: takes a lease and holds it until killed.
#[test]
#[ignore = "helper process for a_child_process_holds_the_board_and_its_death_frees_it"]
fn child_holder() {
    let Some(lab) = std::env::var_os("PROVLAB_LEASE_CHILD_LAB") else {
        return;
    };
    let lease = acquire(Path::new(&lab), "dk1", &holder("child"), Wait::no_wait()).unwrap();
    println!("{CHILD_MARKER}");
    // Hold until killed; give up after a while so that a broken parent leaves no orphan.
    std::thread::sleep(Duration::from_secs(30));
    drop(lease);
}

#[test]
fn a_lease_of_a_pid_that_does_not_exist_is_recovered_and_logged() {
    let lab = tempfile::tempdir().unwrap();
    write_lease(
        lab.path(),
        &foreign("dk1", 0x7fff_fff0, &host_name(), 60_000),
    );
    let lease = acquire(lab.path(), "dk1", &holder("new"), Wait::no_wait()).unwrap();
    let recovered = lease.recovered().unwrap();
    assert_eq!(recovered.reason, StaleReason::DeadProcess);
    assert_eq!(recovered.previous.as_ref().unwrap().pid, 0x7fff_fff0);
    let log = std::fs::read_to_string(leases_dir(lab.path()).join("recoveries.jsonl")).unwrap();
    assert!(
        log.contains("\"dead_process\"") && log.contains("\"by_run\":\"new\""),
        "{log}"
    );
    assert_eq!(lease.info().run_id, "new");
}

#[test]
fn an_expired_lease_is_recovered_even_from_another_host() {
    let lab = tempfile::tempdir().unwrap();
    write_lease(lab.path(), &foreign("dk1", 1, "elsewhere", -1));
    let lease = acquire(lab.path(), "dk1", &holder("new"), Wait::no_wait()).unwrap();
    assert_eq!(lease.recovered().unwrap().reason, StaleReason::Expired);
}

#[test]
fn a_live_lease_of_another_host_is_respected_until_it_expires() {
    let lab = tempfile::tempdir().unwrap();
    write_lease(lab.path(), &foreign("dk1", 0x7fff_fff0, "elsewhere", 200));
    let err = acquire(lab.path(), "dk1", &holder("new"), fast(50)).unwrap_err();
    assert!(matches!(err, LeaseError::Timeout { .. }), "{err:?}");
    let lease = acquire(lab.path(), "dk1", &holder("new"), fast(2000)).unwrap();
    assert_eq!(lease.recovered().unwrap().reason, StaleReason::Expired);
}

#[test]
fn an_unreadable_lease_file_is_recovered() {
    let lab = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(leases_dir(lab.path())).unwrap();
    std::fs::write(lease_path(lab.path(), "dk1").unwrap(), b"not json").unwrap();
    let lease = acquire(lab.path(), "dk1", &holder("new"), Wait::no_wait()).unwrap();
    assert_eq!(lease.recovered().unwrap().reason, StaleReason::Unreadable);
    assert_eq!(lease.recovered().unwrap().previous, None);
}

#[test]
fn renew_extends_and_a_lost_lease_is_reported_and_not_deleted() {
    let lab = tempfile::tempdir().unwrap();
    let mut lease = acquire(
        lab.path(),
        "dk1",
        &Holder {
            ttl: Duration::from_millis(1),
            ..holder("short")
        },
        Wait::no_wait(),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(5));
    lease.renew(Duration::from_secs(60)).unwrap();
    assert!(list(lab.path()).unwrap()[0].remaining_ms > 50_000);

    // Someone else's lease replaces ours (as after an expiry and recovery).
    write_lease(
        lab.path(),
        &foreign("dk1", std::process::id(), &host_name(), 60_000),
    );
    let err = lease.renew(Duration::from_secs(60)).unwrap_err();
    assert!(
        matches!(
            err,
            LeaseError::Lost {
                current: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
    let err = lease.release().unwrap_err();
    assert!(err.to_string().contains("old-run"), "{err}");
    assert_eq!(
        list(lab.path()).unwrap()[0].info.as_ref().unwrap().run_id,
        "old-run"
    );
}

#[test]
fn acquire_any_takes_the_first_free_matching_board() {
    let text = "[lab]\nhostname = \"localhost\"\n\
        [[board]]\nid = \"v1\"\nkind = \"virtual\"\ntags = [\"http\"]\n\
        [[board]]\nid = \"v2\"\nkind = \"virtual\"\n\
        [[board]]\nid = \"v3\"\nkind = \"virtual\"\ntags = [\"http\"]\n";
    let rack = rack::load_str(text, Path::new("rack.toml")).unwrap();
    let boards = &rack.rack.boards;
    let lab = tempfile::tempdir().unwrap();
    let http = |b: &rack::Board| b.has_tags(&["http"]);
    let a = acquire_any(lab.path(), boards, http, &holder("a"), Wait::no_wait()).unwrap();
    let b = acquire_any(lab.path(), boards, http, &holder("b"), Wait::no_wait()).unwrap();
    assert_eq!((a.board(), b.board()), ("v1", "v3"));
    let err = acquire_any(lab.path(), boards, http, &holder("c"), fast(30)).unwrap_err();
    let LeaseError::Timeout {
        boards: tried,
        holders,
    } = err
    else {
        panic!()
    };
    assert_eq!(tried, ["v1", "v3"]);
    assert_eq!(holders.len(), 2);
    let none = acquire_any(
        lab.path(),
        boards,
        |b| b.has_tags(&["coap"]),
        &holder("d"),
        Wait::no_wait(),
    );
    assert!(matches!(none, Err(LeaseError::NoMatchingBoard(3))));
    drop(a);
    let c = acquire_any(lab.path(), boards, http, &holder("c"), Wait::no_wait()).unwrap();
    assert_eq!(c.board(), "v1");
    let rows = list(lab.path()).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.board.as_str()).collect::<Vec<_>>(),
        ["v1", "v3"]
    );
}

#[test]
fn bad_board_ids_cannot_name_a_lease_file() {
    let lab = tempfile::tempdir().unwrap();
    for id in ["", "../x", ".hidden", "a/b"] {
        let err = acquire(lab.path(), id, &holder("a"), Wait::no_wait()).unwrap_err();
        assert!(matches!(err, LeaseError::BadBoardId(_)), "{id}: {err:?}");
    }
}
