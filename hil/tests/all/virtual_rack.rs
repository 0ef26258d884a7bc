//! The whole HIL path on a virtual rack: leases, virtual boards on PTYs, the console driver,
//! the log decoder, the claim with each board's own token, the lab root CA installed over
//! the AT shell, owner actions over REST, and the catalogue scenario passing.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use provlab_harness::{load_file, Outcome, RunOptions, Runner, ScenarioResult};
use provlab_hil::backend::rack_provider::{ProbeFactory, RackOptions, RackProvider};
use provlab_hil::backend::HilBackendFactory;
use provlab_hil::probe::{
    Access, FakeFailure, FakeProbe, ImageFormat, Probe, ProbeError, ProbeRow, Rtt, Selector,
};
use provlab_hil::rack::{self, UsbId};
use provlab_hil::virtual_board::{VirtualBoard, VirtualBoardSpec};
use provlab_sim::board::{Era, TransportKind};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// Run options with `probes` and nothing else set.
fn options(run_id: &str, probes: ProbeFactory) -> RackOptions {
    RackOptions {
        owner: "test".to_owned(),
        run_id: run_id.to_owned(),
        virtual_era: None,
        tags: Vec::new(),
        recover: false,
        pull_plug: None,
        probes,
    }
}

fn rack_in(dir: &Path, speed: u32) -> rack::LoadedRack {
    let text = format!(
        r#"
[lab]
hostname = "localhost"
dir = "{}"
[lab.timeouts]
lease = "20s"
boot = "10s"
step = "30s"
scenario = "2m"
[[board]]
id = "virtual-1"
kind = "virtual"
speed = {speed}
[[board]]
id = "virtual-2"
kind = "virtual"
speed = {speed}
"#,
        dir.join("lab").display()
    );
    rack::load_str(&text, &dir.join("rack.toml")).unwrap()
}

#[test]
fn catalogue_scenario_01_passes_on_a_virtual_board() {
    let dir = tempfile::tempdir().unwrap();
    let provider = RackProvider::new(
        rack_in(dir.path(), 10),
        options("t1", ProbeFactory::probe_rs()),
    );
    let log_dir = provider.log_dir();
    let factory = HilBackendFactory::new(Arc::new(provider));
    let loaded = load_file(&repo("scenarios/01-happy-path-http.toml")).unwrap();
    let result = Runner::new(factory.clone(), RunOptions::default()).run(&loaded);
    assert_eq!(
        result.outcome,
        Outcome::Passed,
        "{}",
        result.transcript.to_text()
    );
    let capture = std::fs::read(
        log_dir
            .join("happy-path-http")
            .join("virtual-1.console.log"),
    )
    .unwrap();
    // The service's side is in the timeline too: the batch it delivered, the results.
    let text = result.transcript.to_text();
    assert!(text.contains("service  delivered "), "{text}");
    assert!(
        text.contains("service  recorded a result from dk1"),
        "{text}"
    );
    assert!(!capture.is_empty());
    let attempts = factory.attempts().all();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].boards, ["virtual-1"]);
}

#[test]
fn a_pulled_plug_is_an_infrastructure_failure_and_the_scenario_moves_to_another_board() {
    let dir = tempfile::tempdir().unwrap();
    let rack = rack_in(dir.path(), 10);
    let lab_dir = rack.lab_dir().to_path_buf();
    let provider = Arc::new(RackProvider::new(
        rack,
        RackOptions {
            // Setup takes ~0.4 s wall at 10x: the plug goes out mid-scenario.
            pull_plug: Some((
                "virtual-1".to_owned(),
                std::time::Duration::from_millis(600),
            )),
            ..options("t2", ProbeFactory::probe_rs())
        },
    ));
    let factory = HilBackendFactory::new(provider.clone());
    let loaded = load_file(&repo("scenarios/01-happy-path-http.toml")).unwrap();
    let runner = Runner::new(factory.clone(), RunOptions::default());
    let started = std::time::Instant::now();
    let first = runner.run(&loaded);
    let Outcome::Error { message } = &first.outcome else {
        panic!("{:?}\n{}", first.outcome, first.transcript.to_text());
    };
    assert!(message.contains("infrastructure"), "{message}");
    assert!(message.contains("vanished"), "{message}");
    // Within the step deadline (the rack's 30 s), not the scenario's minutes.
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let failed = factory.attempts().last_of(loaded.name()).unwrap();
    assert_eq!(failed.boards, ["virtual-1"]);
    // Its lease is released.
    assert!(provlab_hil::lease::list(&lab_dir).unwrap().is_empty());
    // The retry (what `provlab hil run` does) runs on the other board and passes.
    for board in &failed.boards {
        provider.exclude(board);
    }
    let second = runner.run(&loaded);
    assert_eq!(
        second.outcome,
        Outcome::Passed,
        "{}",
        second.transcript.to_text()
    );
    let attempts = factory.attempts().all();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(attempts[1].boards, ["virtual-2"]);
    assert_eq!(attempts[1].infrastructure, None);
}

/// A virtual board standing in for a real DK: its console is a PTY, its firmware points at
/// `https_port` and holds no root CA.
fn stand_in(seed: u64, https_port: u16) -> VirtualBoard {
    VirtualBoard::start(&VirtualBoardSpec {
        era: Era::Current,
        transport: TransportKind::Http,
        host: "127.0.0.1".to_owned(),
        port: https_port,
        seed,
        root_ca: None,
        speed: 1,
        client: None,
    })
    .unwrap()
}

/// A rack of one real DK `id` whose console is `console`'s PTY and whose probe has
/// `serial`; `timeouts` and `board` are extra lines of `[lab.timeouts]` and `[[board]]`;
/// the lab service listens on `ports` (REST, HTTPS, CoAP).
fn dk_rack(
    dir: &Path,
    console: &VirtualBoard,
    ports: (u16, u16, u16),
    timeouts: &str,
    board: &str,
) -> rack::LoadedRack {
    let text = format!(
        r#"
[lab]
hostname = "localhost"
addresses = ["127.0.0.1"]
dir = "{lab}"
[lab.ports]
rest = {rest}
https = {https}
coap = {coap}
[lab.timeouts]
lease = "5s"
{timeouts}
[[board]]
kind = "nrf9160dk"
console = "{console}"
{board}
"#,
        lab = dir.join("lab").display(),
        console = console.console().display(),
        rest = ports.0,
        https = ports.1,
        coap = ports.2,
    );
    rack::load_str(&text, &dir.join("rack.toml")).unwrap()
}

/// What the probe lister reports for a J-Link OB with `serial`.
fn j_link(serial: &str) -> ProbeRow {
    ProbeRow {
        vid: UsbId(0x1366),
        pid: UsbId(0x1055),
        interface: None,
        serial: Some(serial.to_owned()),
        name: "J-Link".to_owned(),
        access: Access::Accessible,
    }
}

/// Catalogue scenario 01 on `rack`'s board with the probes `probes` makes.
fn run_01(
    rack: rack::LoadedRack,
    run_id: &str,
    probes: ProbeFactory,
) -> (ScenarioResult, HilBackendFactory) {
    let factory =
        HilBackendFactory::new(Arc::new(RackProvider::new(rack, options(run_id, probes))));
    let loaded = load_file(&repo("scenarios/01-happy-path-http.toml")).unwrap();
    let result = Runner::new(factory.clone(), RunOptions::default()).run(&loaded);
    (result, factory)
}

/// The message of an errored run (panics with the outcome otherwise).
fn error_of(result: &ScenarioResult) -> String {
    match &result.outcome {
        Outcome::Error { message } => message.clone(),
        other => panic!("{other:?}"),
    }
}

/// An image of one byte at address 0 (no UICR).
const PLAIN_HEX: &str = ":0100000000FF\n:00000001FF\n";

#[test]
fn a_flash_failure_through_the_probe_is_an_infrastructure_failure_and_frees_the_board() {
    let dir = tempfile::tempdir().unwrap();
    let console = stand_in(4, 9);
    std::fs::write(dir.path().join("app.hex"), PLAIN_HEX).unwrap();
    let rack = dk_rack(
        dir.path(),
        &console,
        (0, 0, 0),
        r#"boot = "5s""#,
        r#"id = "dk-a"
probe = { vid = 0x1366, serial = "000960066748" }
firmware = { provisioning = "app.hex" }"#,
    );
    let lab_dir = rack.lab_dir().to_path_buf();
    let calls = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = calls.clone();
    let probes = ProbeFactory(Arc::new(move || {
        let mut probe = FakeProbe::new(vec![j_link("000960066748")]);
        probe.fail(FakeFailure::FlashError(
            "verify failed at 0x00000000".to_owned(),
        ));
        seen.lock().unwrap().push("made");
        Box::new(probe)
    }));
    let (result, factory) = run_01(rack, "t3", probes);
    let message = error_of(&result);
    assert!(message.contains("infrastructure"), "{message}");
    assert!(message.contains("verify failed"), "{message}");
    assert_eq!(calls.lock().unwrap().len(), 1);
    let attempt = factory.attempts().last_of(&result.name).unwrap();
    assert!(attempt.infrastructure.is_some());
    assert!(provlab_hil::lease::list(&lab_dir).unwrap().is_empty());
}

#[test]
fn a_board_with_other_modem_firmware_than_the_rack_says_is_an_infrastructure_failure() {
    let dir = tempfile::tempdir().unwrap();
    let console = stand_in(5, 9);
    let rack = dk_rack(
        dir.path(),
        &console,
        (0, 0, 0),
        r#"boot = "5s""#,
        r#"id = "dk-b"
probe = { vid = 0x1366, serial = "000960066749" }
modem_fw = "mfw_nrf9160_9.9.9""#,
    );
    let probes = ProbeFactory(Arc::new(|| {
        Box::new(FakeProbe::new(vec![j_link("000960066749")]))
    }));
    let (result, _) = run_01(rack, "t4", probes);
    let message = error_of(&result);
    assert!(message.contains("infrastructure"), "{message}");
    assert!(
        message.contains("the rack says `mfw_nrf9160_9.9.9`"),
        "{message}"
    );
}

/// A probe that opens and resets; its flashing hangs (a wedged J-Link) unless `hang` is
/// off, and after a reset with RTT capture its firmware writes a line and a half to RTT a
/// few reads later.
struct ScriptedProbe {
    row: ProbeRow,
    hang: bool,
    rtt: Vec<u8>,
    reads: u32,
}

impl ScriptedProbe {
    fn new(row: ProbeRow, hang: bool) -> Self {
        Self {
            row,
            hang,
            rtt: Vec::new(),
            reads: 0,
        }
    }
}

impl Probe for ScriptedProbe {
    fn list_probes(&mut self) -> Result<Vec<ProbeRow>, ProbeError> {
        Ok(vec![self.row.clone()])
    }
    fn open(&mut self, _: &Selector, _: &str) -> Result<(), ProbeError> {
        Ok(())
    }
    fn flash(&mut self, _: &Path, _: ImageFormat) -> Result<(), ProbeError> {
        if self.hang {
            std::thread::sleep(std::time::Duration::from_secs(30));
        }
        Ok(())
    }
    fn reset(&mut self, rtt: Rtt) -> Result<(), ProbeError> {
        if matches!(rtt, Rtt::Capture { .. }) {
            self.rtt = b"<inf> app: hello over RTT\n<inf> app: partial".to_vec();
        }
        Ok(())
    }
    fn read_rtt(&mut self, buf: &mut [u8]) -> Result<usize, ProbeError> {
        self.reads += 1;
        if self.reads < 10 {
            return Ok(0);
        }
        let n = buf.len().min(self.rtt.len());
        buf[..n].copy_from_slice(&self.rtt[..n]);
        self.rtt.drain(..n);
        Ok(n)
    }
    fn recover(&mut self, _: &Selector, _: &str) -> Result<(), ProbeError> {
        Ok(())
    }
    fn close(&mut self) {}
}

#[test]
fn a_hanging_flash_ends_at_the_racks_flash_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let console = stand_in(6, 9);
    std::fs::write(dir.path().join("app.hex"), PLAIN_HEX).unwrap();
    let rack = dk_rack(
        dir.path(),
        &console,
        (0, 0, 0),
        "flash = \"1s\"\nboot = \"5s\"",
        r#"id = "dk-c"
probe = { vid = 0x1366, serial = "000960066750" }
firmware = { provisioning = "app.hex" }"#,
    );
    let probes = ProbeFactory(Arc::new(|| {
        Box::new(ScriptedProbe::new(j_link("000960066750"), true))
    }));
    let started = std::time::Instant::now();
    let (result, _) = run_01(rack, "t5", probes);
    let message = error_of(&result);
    assert!(message.contains("flash timeout"), "{message}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn an_image_with_uicr_goes_to_nrfutil_when_the_rack_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let console = stand_in(7, 9);
    // Four bytes at 0x00FF8000: UICR.
    std::fs::write(
        dir.path().join("uicr.hex"),
        ":0200000400FFFB\n:048000000102030472\n:00000001FF\n",
    )
    .unwrap();
    let rack = dk_rack(
        dir.path(),
        &console,
        (0, 0, 0),
        "flash = \"5s\"\nboot = \"5s\"",
        r#"id = "dk-d"
probe = { vid = 0x1366, serial = "000960066751" }
firmware = { provisioning = "uicr.hex" }
nrfutil_for_uicr = true"#,
    );
    let probes = ProbeFactory(Arc::new(|| {
        Box::new(FakeProbe::new(vec![j_link("000960066751")]))
    }));
    let (result, _) = run_01(rack, "t6", probes);
    let message = error_of(&result);
    // This machine has no nrfutil: the failure names the command the rack asked for.
    assert!(message.contains("writes UICR"), "{message}");
    assert!(
        message.contains("nrfutil device program --firmware"),
        "{message}"
    );
    assert!(message.contains("--serial-number 960066751"), "{message}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn scenario_01_passes_through_the_real_board_path_with_rtt() {
    let dir = tempfile::tempdir().unwrap();
    let (rest, https, coap) = (free_port(), free_port(), free_port());
    // The "DK": its firmware points at the lab service's fixed HTTPS port and has no root CA
    // yet (the runner installs it over the AT shell); its console is a PTY.
    let console = stand_in(8, https);
    let rack = dk_rack(
        dir.path(),
        &console,
        (rest, https, coap),
        r#"boot = "10s""#,
        r#"id = "dk-e"
probe = { vid = 0x1366, serial = "000960066752" }
rtt = true"#,
    );
    let probes = ProbeFactory(Arc::new(|| {
        Box::new(ScriptedProbe::new(j_link("000960066752"), false))
    }));
    let (result, _) = run_01(rack, "t7", probes);
    let text = result.transcript.to_text();
    assert_eq!(result.outcome, Outcome::Passed, "{text}");
    assert!(text.contains("rtt: <inf> app: hello over RTT"), "{text}");
    assert!(
        !text.contains("partial"),
        "an unfinished line waits: {text}"
    );
}
