//! Every fault shape of the scenario format runs on the simulation backend and changes the
//! outcome the way it says: forced service answers `close` and `silence` (HTTP and CoAP),
//! handshake faults counted with `nth`/`times`, and power cuts `after_fetch`,
//! `after_command`, `nvm_write` and `before_report` with `nth`. Each scenario states what the
//! fault does; without the fault its expectations would not hold.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::backend_support;

use backend_support::*;

/// A claimed device whose configuration writes two certificates (two AT records, two NVM
/// writes) and finishes. `TRANSPORT`, `CLIENT`, `FAULTS` and `STEPS` are filled in.
const BASE: &str = r#"
name = "fault-shape"
seed = SEED
[service]
members = [{ name = "olivia", role = "owner" }]
[[device]]
name = "dk1"
transport = "TRANSPORT"
claimed_by = "olivia"
[device.client]
rx_buf_size = 4096
tx_buf_size = 4096
CLIENT
[[device.config]]
request = { clientCertificate = { secTag = 16842753, content = "@lab-client-cert" } }
[[device.config]]
request = { serverCertificate = { secTag = 16842753, content = "@lab-root-ca" } }
[[device.config]]
request = { finished = {} }
FAULTS
[[step]]
trigger = "dk1"
STEPS
"#;

/// The base scenario with its blanks filled in.
fn scenario(seed: u64, transport: &str, client: &str, faults: &str, steps: &str) -> String {
    BASE.replace("SEED", &seed.to_string())
        .replace("TRANSPORT", transport)
        .replace("CLIENT", client)
        .replace("FAULTS", faults)
        .replace("STEPS", steps)
}

/// Runs `text` and returns the transcript text, panicking (with it) unless it passed.
fn passes(text: &str) -> String {
    let result = run(&inline(text, "fault-shape.toml"), None);
    assert_passed(&result);
    result.transcript.to_text()
}

fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

// --- service answers -------------------------------------------------------------------

/// A first attempt that fails, a second (triggered) one that provisions.
const FAIL_THEN_RETRY: &str = r#"
[[step]]
wait_until = { events_in_order = ["START", "FAILED", "STOP"], within = "5m" }
[[step]]
expect = { status = "READY", records = { reports = 0 } }
[[step]]
trigger = "dk1"
[[step]]
wait_until = { status = "PROVISIONED", events_in_order = ["FAILED", "STOP", "START", "DONE", "STOP"], within = "3m" }
"#;

#[test]
fn http_fetch_closed_fails_the_attempt() {
    let text = scenario(
        3,
        "http",
        "",
        r#"[[fault]]
service = { request = "fetch", nth = 1, answer = "close" }"#,
        &format!(
            "{FAIL_THEN_RETRY}\n[[expect]]\nrecords = {{ fetches = 2, reports = 1, delivered = [{{ command = 1, times = 1 }}] }}"
        ),
    );
    let t = passes(&text);
    assert_eq!(
        count(&t, "fault: service closes the connection (injected)"),
        1,
        "{t}"
    );
    assert!(
        t.contains("connection closed, no response (injected)"),
        "{t}"
    );
}

#[test]
fn http_fetch_silence_times_out_after_the_tcp_retransmissions() {
    let text = scenario(
        4,
        "http",
        "",
        r#"[[fault]]
service = { request = "fetch", nth = 1, answer = "silence" }"#,
        FAIL_THEN_RETRY,
    );
    let t = passes(&text);
    // Counted once: the retransmissions of the same exchange stay silent without firing
    // the fault again, so the next fetch is answered.
    assert_eq!(
        count(&t, "fault: service stays silent (injected)"),
        1,
        "{t}"
    );
    assert_eq!(
        count(&t, "no answer reaches the device (injected)"),
        5,
        "five silent duplicates (TCP: 5 retransmissions)\n{t}"
    );
    assert!(
        t.contains("gave up: GET /v1/provisioning/commands unanswered after 6 transmissions"),
        "{t}"
    );
    assert!(!t.contains("no answer (injected)"), "nothing is sent: {t}");
}

#[test]
fn http_report_closed_is_swallowed_and_the_batch_redelivered() {
    let text = scenario(
        5,
        "http",
        "",
        r#"[[fault]]
service = { request = "report", nth = 1, answer = "close" }"#,
        r#"
[[step]]
wait_until = { status = "PROVISIONED", events_in_order = ["DONE", "STOP"], within = "3m" }
[[expect]]
events = ["START", "NEED_LTE_DEACTIVATED", "NEED_LTE_ACTIVATED", "NEED_LTE_DEACTIVATED", "NEED_LTE_ACTIVATED", "DONE", "STOP"]
commands = ["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]
records = { fetches = 2, reports = 2, delivered = [{ command = 1, times = 2 }, { command = 3, times = 2 }] }
"#,
    );
    let t = passes(&text);
    assert!(
        t.contains("fault: service closes the connection (injected)"),
        "{t}"
    );
}

#[test]
fn coap_fetch_closed_ends_the_dtls_session() {
    let text = scenario(
        6,
        "coap",
        "",
        r#"[[fault]]
service = { request = "fetch", nth = 1, answer = "close" }"#,
        FAIL_THEN_RETRY,
    );
    let t = passes(&text);
    assert!(
        t.contains("DTLS session closed, no response (injected)"),
        "{t}"
    );
    // The retry needs a new DTLS session.
    assert_eq!(count(&t, "DTLS session established"), 3, "{t}");
}

#[test]
fn coap_fetch_silence_is_retried_by_the_client_within_the_attempt() {
    let text = scenario(
        7,
        "coap",
        "",
        r#"[[fault]]
service = { request = "fetch", nth = 1, answer = "silence" }"#,
        r#"
[[step]]
wait_until = { status = "PROVISIONED", events_in_order = ["DONE", "STOP"], within = "5m" }
[[expect]]
events = ["START", "NEED_LTE_DEACTIVATED", "NEED_LTE_ACTIVATED", "DONE", "STOP"]
# the silent fetch reached the service (logged without an answer), then the retry
records = { fetches = 2, reports = 1 }
"#,
    );
    let t = passes(&text);
    assert_eq!(
        count(&t, "fault: service stays silent (injected)"),
        1,
        "{t}"
    );
    assert!(t.contains("gave up: p/cmd"), "{t}");
}

#[test]
fn coap_report_silence_fails_the_attempt_after_every_retry() {
    // Without `nth`, every report stays silent: the client's retries (new message ids)
    // all go unanswered and the attempt fails; nothing is recorded.
    let text = scenario(
        8,
        "coap",
        "",
        r#"[[fault]]
service = { request = "report", answer = "silence" }"#,
        r#"
[[step]]
wait_until = { events_in_order = ["START", "FAILED", "STOP"], within = "1h" }
[[expect]]
commands = ["IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS"]
records = { fetches = 1 }
"#,
    );
    let t = passes(&text);
    assert!(
        count(&t, "fault: service stays silent (injected)") > 1,
        "{t}"
    );
}

// --- handshakes -------------------------------------------------------------------------

#[test]
fn the_nth_handshake_fails_once() {
    // HTTP: one handshake per request. The 2nd is the report's: it fails, the report is
    // swallowed, the client fetches again and the batch runs a second time.
    let text = scenario(
        9,
        "http",
        "",
        r#"[[fault]]
handshake = { nth = 2 }"#,
        r#"
[[step]]
wait_until = { status = "PROVISIONED", events_in_order = ["DONE", "STOP"], within = "3m" }
[[expect]]
events = ["START", "NEED_LTE_DEACTIVATED", "NEED_LTE_ACTIVATED", "NEED_LTE_DEACTIVATED", "NEED_LTE_ACTIVATED", "DONE", "STOP"]
records = { fetches = 2, reports = 1, delivered = [{ command = 1, times = 2 }] }
"#,
    );
    let t = passes(&text);
    assert_eq!(count(&t, "TLS handshake failed (injected)"), 1, "{t}");
}

#[test]
fn handshakes_fail_times_times_from_the_nth() {
    let text = scenario(
        10,
        "http",
        "",
        r#"[[fault]]
handshake = { nth = 1, times = 2 }"#,
        r#"
[[step]]
wait_until = { events_in_order = ["FAILED_WRONG_ROOT_CA", "STOP"], within = "1m" }
[[step]]
trigger = "dk1"
[[step]]
wait_until = { events_in_order = ["FAILED_WRONG_ROOT_CA", "STOP", "FAILED_WRONG_ROOT_CA", "STOP"], within = "1m" }
[[step]]
trigger = "dk1"
[[step]]
wait_until = { status = "PROVISIONED", events_in_order = ["DONE", "STOP"], within = "3m" }
[[expect]]
records = { fetches = 1, reports = 1 }
"#,
    );
    let t = passes(&text);
    assert_eq!(count(&t, "TLS handshake failed (injected)"), 2, "{t}");
}

#[test]
fn a_dtls_handshake_fault_counts_handshakes_not_flights() {
    // Every handshake fails while the fault is on: retransmitted flights of one handshake
    // are one handshake (the fault fires once per attempt).
    let text = scenario(
        11,
        "coap",
        "",
        r#"[[fault]]
name = "no-dtls"
handshake = {}"#,
        r#"
[[step]]
wait_until = { events_in_order = ["START", "FAILED_WRONG_ROOT_CA", "STOP"], within = "1m" }
[[step]]
fault_off = "no-dtls"
[[step]]
trigger = "dk1"
[[step]]
wait_until = { status = "PROVISIONED", events_in_order = ["DONE", "STOP"], within = "3m" }
"#,
    );
    let t = passes(&text);
    assert_eq!(count(&t, "DTLS handshake failed (injected)"), 1, "{t}");
}

// --- power cuts ---------------------------------------------------------------------------

/// After the cut: a scheduled client (it retries by itself after the reboot), power off
/// for 10 s.
const SCHEDULED: &str = "scheduled = true";

#[test]
fn power_cut_after_fetch_executes_nothing() {
    let text = scenario(
        12,
        "http",
        SCHEDULED,
        r#"[[fault]]
power_cut = { at = "after_fetch", off_for = "10s" }"#,
        r#"
[[step]]
wait_until = { records = { fetches = 1 }, within = "1m" }
[[step]]
advance = "2s"
# delivered, nothing executed: no LTE deactivation, no certificate
[[step]]
expect = { events = ["START"], commands = ["IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS"], nvm = { lacks = [[16842753, "client_cert"], [16842753, "root_ca"]] } }
[[step]]
wait_until = { status = "PROVISIONED", events_in_order = ["DONE", "STOP"], within = "3m" }
[[expect]]
events = ["START", "START", "NEED_LTE_DEACTIVATED", "NEED_LTE_ACTIVATED", "DONE", "STOP"]
records = { fetches = 2, reports = 1, delivered = [{ command = 1, times = 2 }] }
"#,
    );
    let t = passes(&text);
    assert_eq!(
        count(&t, "power cut after the fetch answer reached the device"),
        1,
        "{t}"
    );
}

#[test]
fn power_cut_after_fetch_over_coap_waits_for_the_last_block() {
    let text = scenario(
        13,
        "coap",
        SCHEDULED,
        r#"[[fault]]
power_cut = { at = "after_fetch", off_for = "10s" }"#,
        r#"
[[step]]
wait_until = { records = { fetches = 1 }, within = "1m" }
[[step]]
advance = "5s"
[[step]]
expect = { events = ["START"], nvm = { lacks = [[16842753, "client_cert"]] } }
[[step]]
wait_until = { status = "PROVISIONED", events_in_order = ["DONE", "STOP"], within = "3m" }
"#,
    );
    let t = passes(&text);
    assert_eq!(
        count(&t, "power cut after the fetch answer reached the device"),
        1,
        "{t}"
    );
    // The cut came with the last block: every block of the first fetch was asked for.
    let before_cut = t
        .split("power cut after the fetch answer")
        .next()
        .unwrap_or_default();
    assert!(count(before_cut, "block2=") > 1, "{before_cut}");
}

/// The cut `after_command` with `nth`, then the state between cut and reboot.
fn after_command(nth: u32, seed: u64, nvm: &str) -> String {
    scenario(
        seed,
        "http",
        SCHEDULED,
        &format!(
            r#"[[fault]]
power_cut = {{ at = "after_command", nth = {nth}, off_for = "10s" }}"#
        ),
        &format!(
            r#"
[[step]]
wait_until = {{ events = ["START", "NEED_LTE_DEACTIVATED"], within = "1m" }}
[[step]]
advance = "3s"
[[step]]
expect = {{ events = ["START", "NEED_LTE_DEACTIVATED"], commands = ["IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS"], nvm = {nvm} }}
[[step]]
wait_until = {{ status = "PROVISIONED", events_in_order = ["DONE", "STOP"], within = "3m" }}
[[expect]]
commands = ["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]
records = {{ fetches = 2, reports = 1, delivered = [{{ command = 2, times = 2 }}] }}
"#
        ),
    )
}

#[test]
fn power_cut_after_the_first_command() {
    let t = passes(&after_command(
        1,
        14,
        r#"{ has = [[16842753, "client_cert"]], lacks = [[16842753, "root_ca"]] }"#,
    ));
    assert_eq!(count(&t, "power cut after command "), 1, "{t}");
}

#[test]
fn power_cut_after_the_second_command() {
    let t = passes(&after_command(
        2,
        14,
        r#"{ has = [[16842753, "client_cert"], [16842753, "root_ca"]] }"#,
    ));
    assert_eq!(count(&t, "power cut after command "), 1, "{t}");
}

/// The cut during the 2nd NVM write (the server certificate), with `seed`.
fn nvm_write(seed: u64, nvm: &str) -> String {
    scenario(
        seed,
        "http",
        SCHEDULED,
        r#"[[fault]]
power_cut = { at = "nvm_write", nth = 2, off_for = "10s" }"#,
        &format!(
            r#"
[[step]]
wait_until = {{ events = ["START", "NEED_LTE_DEACTIVATED"], within = "1m" }}
[[step]]
advance = "3s"
[[step]]
expect = {{ events = ["START", "NEED_LTE_DEACTIVATED"], commands = ["IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS"], nvm = {nvm} }}
[[step]]
wait_until = {{ status = "PROVISIONED", events_in_order = ["DONE", "STOP"], within = "3m" }}
[[expect]]
nvm = {{ has = [[16842753, "client_cert"], [16842753, "root_ca"]] }}
"#
        ),
    )
}

/// Which image the transcript says survived the cut: `true` for the new one.
fn new_image_kept(transcript: &str) -> bool {
    let kept_new = transcript.contains("the NVM holds the new image");
    let kept_old = transcript.contains("the NVM holds the image from before the write");
    assert!(kept_new != kept_old, "{transcript}");
    kept_new
}

#[test]
fn power_cut_during_an_nvm_write_keeps_the_image_from_before() {
    let t = passes(&nvm_write(
        15,
        r#"{ has = [[16842753, "client_cert"]], lacks = [[16842753, "root_ca"]] }"#,
    ));
    assert!(!new_image_kept(&t), "{t}");
    assert_eq!(
        count(&t, "power cut during the modem NVM write, while "),
        1,
        "{t}"
    );
    assert!(!t.contains("NVM reload failed"), "{t}");
}

#[test]
fn power_cut_during_an_nvm_write_can_keep_the_new_image() {
    let t = passes(&nvm_write(
        NEW_IMAGE_SEED,
        r#"{ has = [[16842753, "client_cert"], [16842753, "root_ca"]] }"#,
    ));
    assert!(new_image_kept(&t), "{t}");
    assert!(!t.contains("NVM reload failed"), "{t}");
}

/// A seed whose cut strikes while syncing the directory with the unsynced rename kept.
const NEW_IMAGE_SEED: u64 = 20;

#[test]
fn power_cut_during_an_nvm_write_replays_byte_identically() {
    let text = nvm_write(15, r#"{ has = [[16842753, "client_cert"]] }"#);
    let scenario = inline(&text, "fault-shape.toml");
    let a = run(&scenario, None).transcript.to_text();
    let b = run(&scenario, None).transcript.to_text();
    assert_eq!(a, b);
}

#[test]
fn power_cut_before_the_second_report() {
    // Two batches (two records per fetch): the first report goes through, the power goes
    // before the second.
    let text = scenario(
        16,
        "http",
        "scheduled = true\nrecords_limit = 2",
        r#"[[fault]]
power_cut = { at = "before_report", nth = 2, off_for = "10s" }"#,
        r#"
[[step]]
wait_until = { records = { fetches = 2 }, within = "1m" }
[[step]]
advance = "3s"
[[step]]
expect = { commands = ["SUCCEEDED", "SUCCEEDED", "IN_PROGRESS"], records = { reports = 1 } }
[[step]]
wait_until = { status = "PROVISIONED", events_in_order = ["DONE", "STOP"], within = "3m" }
[[expect]]
commands = ["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]
records = { reports = 2, delivered = [{ command = 3, times = 2 }] }
"#,
    );
    let t = passes(&text);
    assert_eq!(count(&t, "power cut before the report"), 1, "{t}");
}

#[test]
fn a_power_cut_switched_off_before_its_point_never_fires() {
    let text = scenario(
        17,
        "http",
        "",
        r#"[[fault]]
name = "cut"
power_cut = { at = "after_fetch" }"#,
        r#"
[[step]]
fault_off = "cut"
[[step]]
wait_until = { status = "PROVISIONED", events_in_order = ["DONE", "STOP"], within = "3m" }
[[expect]]
events = ["START", "NEED_LTE_DEACTIVATED", "NEED_LTE_ACTIVATED", "DONE", "STOP"]
"#,
    );
    let t = passes(&text);
    assert!(!t.contains("power cut"), "{t}");
}

#[test]
fn a_lost_answer_is_recorded_and_the_repeated_report_is_ignored() {
    // CoAP: the service records the report, its 2.04 is lost (and so are the answers to
    // the retransmissions); the client posts the same results again in a new request, the
    // service acknowledges and ignores them.
    let text = r#"
name = "lost-answer"
seed = 2
[service]
members = [{ name = "olivia", role = "owner" }]
[[device]]
name = "dk1"
transport = "coap"
claimed_by = "olivia"
[[device.config]]
request = { finished = {} }
[[fault]]
service = { request = "report", nth = 1, answer = "lost" }
[[step]]
trigger = "dk1"
[[step]]
wait_until = { status = "PROVISIONED", events_in_order = ["DONE", "STOP"], within = "5m" }
[[expect]]
commands = ["SUCCEEDED"]
records = { fetches = 1, reports = 2, delivered = [{ command = 1, times = 1 }] }
"#;
    let t = passes(text);
    assert_eq!(
        count(&t, "fault: service answers, but the answer is lost"),
        1,
        "{t}"
    );
    assert!(
        t.contains("the answer is lost (injected): 2.04 Changed, 1 recorded"),
        "{t}"
    );
    assert!(
        t.contains("2.04 Changed, 0 recorded"),
        "the repeat is ignored\n{t}"
    );
}

/// Two claimed HTTP devices with only `finished` to do; `fault` is on dk2. dk1 must
/// provision, and dk2's first attempt must fail within `dk2_within`.
fn two_devices_fault_on_dk2(seed: u64, fault: &str, dk2_within: &str, tail: &str) -> String {
    format!(
        r#"
name = "per-device"
seed = {seed}
[service]
members = [{{ name = "olivia", role = "owner" }}]
[[device]]
name = "dk1"
claimed_by = "olivia"
[[device.config]]
request = {{ finished = {{}} }}
[[device]]
name = "dk2"
claimed_by = "olivia"
[[device.config]]
request = {{ finished = {{}} }}
[[fault]]
device = "dk2"
{fault}
[[step]]
wait_until = {{ device = "dk1", status = "PROVISIONED", within = "2m" }}
[[step]]
wait_until = {{ device = "dk2", events = ["START", "FAILED", "STOP"], within = "{dk2_within}" }}
{tail}
"#
    )
}

#[test]
fn a_service_fault_counts_only_its_own_device_requests() {
    let text = two_devices_fault_on_dk2(
        3,
        r#"service = { request = "fetch", nth = 1, answer = { http = 500 } }"#,
        "2m",
        "",
    );
    let t = passes(&text);
    assert!(
        t.contains("to dk2's command fetches (request 1 only)"),
        "{t}"
    );
    assert_eq!(count(&t, "500 (injected)"), 1, "{t}");
}

#[test]
fn a_link_fault_cuts_only_its_own_device_off() {
    // dk2's radio link is partitioned for an hour; dk1, on the same service, is not.
    let text = two_devices_fault_on_dk2(
        4,
        r#"link = { partition = { lasting = "1h" } }"#,
        "5m",
        "[[expect]]\ndevice = \"dk2\"\nstatus = \"READY\"",
    );
    let t = passes(&text);
    assert!(t.contains("fault: link: dk2: partition"), "{t}");
    assert!(t.contains("dropped (partition): request GET"), "{t}");
}
