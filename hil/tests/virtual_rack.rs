//! The whole HIL path on a virtual rack: leases, virtual boards on PTYs, the console driver,
//! the log decoder, the claim with each board's own token, the lab root CA installed over
//! the AT shell, owner actions over REST, and the catalogue scenario passing.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use provlab_harness::{load_file, Outcome, RunOptions, Runner};
use provlab_hil::backend::rack_provider::{ProbeFactory, RackOptions, RackProvider};
use provlab_hil::backend::HilBackendFactory;
use provlab_hil::rack;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
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
        RackOptions {
            owner: "test".to_owned(),
            run_id: "t1".to_owned(),
            virtual_era: None,
            tags: Vec::new(),
            recover: false,
            pull_plug: None,
            probes: ProbeFactory::probe_rs(),
        },
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
            owner: "test".to_owned(),
            run_id: "t2".to_owned(),
            virtual_era: None,
            tags: Vec::new(),
            recover: false,
            // Setup takes ~0.4 s wall at 10x: the plug goes out mid-scenario.
            pull_plug: Some((
                "virtual-1".to_owned(),
                std::time::Duration::from_millis(600),
            )),
            probes: ProbeFactory::probe_rs(),
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

#[test]
fn a_flash_failure_through_the_probe_is_an_infrastructure_failure_and_frees_the_board() {
    use provlab_hil::probe::{Access, FakeFailure, FakeProbe, ProbeRow};
    use provlab_hil::rack::UsbId;
    use provlab_hil::virtual_board::{VirtualBoard, VirtualBoardSpec};
    use provlab_sim::board::{Era, TransportKind};

    let dir = tempfile::tempdir().unwrap();
    // A "real" DK whose console is a virtual board's PTY, and whose probe is the fake.
    let console = VirtualBoard::start(&VirtualBoardSpec {
        era: Era::Current,
        transport: TransportKind::Http,
        host: "127.0.0.1".to_owned(),
        port: 9,
        seed: 4,
        root_ca: None,
        speed: 1,
        client: None,
    })
    .unwrap();
    std::fs::write(dir.path().join("app.hex"), ":0100000000FF\n:00000001FF\n").unwrap();
    let text = format!(
        r#"
[lab]
hostname = "localhost"
addresses = ["127.0.0.1"]
dir = "{lab}"
[lab.ports]
rest = 0
https = 0
coap = 0
[lab.timeouts]
lease = "5s"
boot = "5s"
[[board]]
id = "dk-a"
kind = "nrf9160dk"
console = "{console}"
probe = {{ vid = 0x1366, serial = "000960066748" }}
firmware = {{ provisioning = "app.hex" }}
"#,
        lab = dir.path().join("lab").display(),
        console = console.console().display()
    );
    let rack = rack::load_str(&text, &dir.path().join("rack.toml")).unwrap();
    let lab_dir = rack.lab_dir().to_path_buf();
    let calls = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = calls.clone();
    let probes = ProbeFactory(Arc::new(move || {
        let mut probe = FakeProbe::new(vec![ProbeRow {
            vid: UsbId(0x1366),
            pid: UsbId(0x1055),
            interface: None,
            serial: Some("000960066748".to_owned()),
            name: "J-Link".to_owned(),
            access: Access::Accessible,
        }]);
        probe.fail(FakeFailure::FlashError(
            "verify failed at 0x00000000".to_owned(),
        ));
        seen.lock().unwrap().push("made");
        Box::new(probe)
    }));
    let provider = Arc::new(RackProvider::new(
        rack,
        RackOptions {
            owner: "test".to_owned(),
            run_id: "t3".to_owned(),
            virtual_era: None,
            tags: Vec::new(),
            recover: false,
            pull_plug: None,
            probes,
        },
    ));
    let factory = HilBackendFactory::new(provider);
    let loaded = load_file(&repo("scenarios/01-happy-path-http.toml")).unwrap();
    let result = Runner::new(factory.clone(), RunOptions::default()).run(&loaded);
    let Outcome::Error { message } = &result.outcome else {
        panic!("{:?}", result.outcome);
    };
    assert!(message.contains("infrastructure"), "{message}");
    assert!(message.contains("verify failed"), "{message}");
    assert_eq!(calls.lock().unwrap().len(), 1);
    let attempt = factory.attempts().last_of(loaded.name()).unwrap();
    assert!(attempt.infrastructure.is_some());
    assert!(provlab_hil::lease::list(&lab_dir).unwrap().is_empty());
}

#[test]
fn a_board_with_other_modem_firmware_than_the_rack_says_is_an_infrastructure_failure() {
    use provlab_hil::probe::{Access, FakeProbe, ProbeRow};
    use provlab_hil::rack::UsbId;
    use provlab_hil::virtual_board::{VirtualBoard, VirtualBoardSpec};
    use provlab_sim::board::{Era, TransportKind};

    let dir = tempfile::tempdir().unwrap();
    let console = VirtualBoard::start(&VirtualBoardSpec {
        era: Era::Current,
        transport: TransportKind::Http,
        host: "127.0.0.1".to_owned(),
        port: 9,
        seed: 5,
        root_ca: None,
        speed: 1,
        client: None,
    })
    .unwrap();
    let text = format!(
        r#"
[lab]
hostname = "localhost"
addresses = ["127.0.0.1"]
dir = "{lab}"
[lab.ports]
rest = 0
https = 0
coap = 0
[lab.timeouts]
lease = "5s"
boot = "5s"
[[board]]
id = "dk-b"
kind = "nrf9160dk"
console = "{console}"
probe = {{ vid = 0x1366, serial = "000960066749" }}
modem_fw = "mfw_nrf9160_9.9.9"
"#,
        lab = dir.path().join("lab").display(),
        console = console.console().display()
    );
    let rack = rack::load_str(&text, &dir.path().join("rack.toml")).unwrap();
    let probes = ProbeFactory(Arc::new(|| {
        Box::new(FakeProbe::new(vec![ProbeRow {
            vid: UsbId(0x1366),
            pid: UsbId(0x1055),
            interface: None,
            serial: Some("000960066749".to_owned()),
            name: "J-Link".to_owned(),
            access: Access::Accessible,
        }]))
    }));
    let provider = Arc::new(RackProvider::new(
        rack,
        RackOptions {
            owner: "test".to_owned(),
            run_id: "t4".to_owned(),
            virtual_era: None,
            tags: Vec::new(),
            recover: false,
            pull_plug: None,
            probes,
        },
    ));
    let factory = HilBackendFactory::new(provider);
    let loaded = load_file(&repo("scenarios/01-happy-path-http.toml")).unwrap();
    let result = Runner::new(factory, RunOptions::default()).run(&loaded);
    let Outcome::Error { message } = &result.outcome else {
        panic!("{:?}", result.outcome);
    };
    assert!(message.contains("infrastructure"), "{message}");
    assert!(
        message.contains("the rack says `mfw_nrf9160_9.9.9`"),
        "{message}"
    );
}

/// A probe whose flashing hangs (a wedged J-Link): only the flash timeout ends it.
struct HangingProbe(provlab_hil::probe::ProbeRow);

impl provlab_hil::probe::Probe for HangingProbe {
    fn list_probes(
        &mut self,
    ) -> Result<Vec<provlab_hil::probe::ProbeRow>, provlab_hil::probe::ProbeError> {
        Ok(vec![self.0.clone()])
    }
    fn open(
        &mut self,
        _: &provlab_hil::probe::Selector,
        _: &str,
    ) -> Result<(), provlab_hil::probe::ProbeError> {
        Ok(())
    }
    fn flash(
        &mut self,
        _: &Path,
        _: provlab_hil::probe::ImageFormat,
    ) -> Result<(), provlab_hil::probe::ProbeError> {
        std::thread::sleep(std::time::Duration::from_secs(30));
        Ok(())
    }
    fn reset(&mut self, _: provlab_hil::probe::Rtt) -> Result<(), provlab_hil::probe::ProbeError> {
        Ok(())
    }
    fn read_rtt(&mut self, _: &mut [u8]) -> Result<usize, provlab_hil::probe::ProbeError> {
        Ok(0)
    }
    fn recover(
        &mut self,
        _: &provlab_hil::probe::Selector,
        _: &str,
    ) -> Result<(), provlab_hil::probe::ProbeError> {
        Ok(())
    }
    fn close(&mut self) {}
}

#[test]
fn a_hanging_flash_ends_at_the_racks_flash_timeout() {
    use provlab_hil::probe::{Access, ProbeRow};
    use provlab_hil::rack::UsbId;
    use provlab_hil::virtual_board::{VirtualBoard, VirtualBoardSpec};
    use provlab_sim::board::{Era, TransportKind};

    let dir = tempfile::tempdir().unwrap();
    let console = VirtualBoard::start(&VirtualBoardSpec {
        era: Era::Current,
        transport: TransportKind::Http,
        host: "127.0.0.1".to_owned(),
        port: 9,
        seed: 6,
        root_ca: None,
        speed: 1,
        client: None,
    })
    .unwrap();
    std::fs::write(dir.path().join("app.hex"), ":0100000000FF\n:00000001FF\n").unwrap();
    let text = format!(
        r#"
[lab]
hostname = "localhost"
addresses = ["127.0.0.1"]
dir = "{lab}"
[lab.ports]
rest = 0
https = 0
coap = 0
[lab.timeouts]
lease = "5s"
flash = "1s"
boot = "5s"
[[board]]
id = "dk-c"
kind = "nrf9160dk"
console = "{console}"
probe = {{ vid = 0x1366, serial = "000960066750" }}
firmware = {{ provisioning = "app.hex" }}
"#,
        lab = dir.path().join("lab").display(),
        console = console.console().display()
    );
    let rack = rack::load_str(&text, &dir.path().join("rack.toml")).unwrap();
    let probes = ProbeFactory(Arc::new(|| {
        Box::new(HangingProbe(ProbeRow {
            vid: UsbId(0x1366),
            pid: UsbId(0x1055),
            interface: None,
            serial: Some("000960066750".to_owned()),
            name: "J-Link".to_owned(),
            access: Access::Accessible,
        }))
    }));
    let provider = Arc::new(RackProvider::new(
        rack,
        RackOptions {
            owner: "test".to_owned(),
            run_id: "t5".to_owned(),
            virtual_era: None,
            tags: Vec::new(),
            recover: false,
            pull_plug: None,
            probes,
        },
    ));
    let factory = HilBackendFactory::new(provider);
    let loaded = load_file(&repo("scenarios/01-happy-path-http.toml")).unwrap();
    let started = std::time::Instant::now();
    let result = Runner::new(factory, RunOptions::default()).run(&loaded);
    let Outcome::Error { message } = &result.outcome else {
        panic!("{:?}", result.outcome);
    };
    assert!(message.contains("flash timeout"), "{message}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn an_image_with_uicr_goes_to_nrfutil_when_the_rack_says_so() {
    use provlab_hil::probe::{Access, FakeProbe, ProbeRow};
    use provlab_hil::rack::UsbId;
    use provlab_hil::virtual_board::{VirtualBoard, VirtualBoardSpec};
    use provlab_sim::board::{Era, TransportKind};

    let dir = tempfile::tempdir().unwrap();
    let console = VirtualBoard::start(&VirtualBoardSpec {
        era: Era::Current,
        transport: TransportKind::Http,
        host: "127.0.0.1".to_owned(),
        port: 9,
        seed: 7,
        root_ca: None,
        speed: 1,
        client: None,
    })
    .unwrap();
    // Four bytes at 0x00FF8000: UICR.
    std::fs::write(
        dir.path().join("uicr.hex"),
        ":0200000400FFFB\n:048000000102030472\n:00000001FF\n",
    )
    .unwrap();
    let text = format!(
        r#"
[lab]
hostname = "localhost"
addresses = ["127.0.0.1"]
dir = "{lab}"
[lab.ports]
rest = 0
https = 0
coap = 0
[lab.timeouts]
lease = "5s"
flash = "5s"
boot = "5s"
[[board]]
id = "dk-d"
kind = "nrf9160dk"
console = "{console}"
probe = {{ vid = 0x1366, serial = "000960066751" }}
firmware = {{ provisioning = "uicr.hex" }}
nrfutil_for_uicr = true
"#,
        lab = dir.path().join("lab").display(),
        console = console.console().display()
    );
    let rack = rack::load_str(&text, &dir.path().join("rack.toml")).unwrap();
    let probes = ProbeFactory(Arc::new(|| {
        Box::new(FakeProbe::new(vec![ProbeRow {
            vid: UsbId(0x1366),
            pid: UsbId(0x1055),
            interface: None,
            serial: Some("000960066751".to_owned()),
            name: "J-Link".to_owned(),
            access: Access::Accessible,
        }]))
    }));
    let provider = Arc::new(RackProvider::new(
        rack,
        RackOptions {
            owner: "test".to_owned(),
            run_id: "t6".to_owned(),
            virtual_era: None,
            tags: Vec::new(),
            recover: false,
            pull_plug: None,
            probes,
        },
    ));
    let factory = HilBackendFactory::new(provider);
    let loaded = load_file(&repo("scenarios/01-happy-path-http.toml")).unwrap();
    let result = Runner::new(factory, RunOptions::default()).run(&loaded);
    let Outcome::Error { message } = &result.outcome else {
        panic!("{:?}", result.outcome);
    };
    // This machine has no nrfutil: the failure names the command the rack asked for.
    assert!(message.contains("writes UICR"), "{message}");
    assert!(
        message.contains("nrfutil device program --firmware"),
        "{message}"
    );
    assert!(message.contains("--serial-number 960066751"), "{message}");
}

/// A probe that opens, resets, and whose firmware writes a line and a half to RTT a few
/// reads after the reset.
struct RttProbe {
    row: provlab_hil::probe::ProbeRow,
    rtt: Vec<u8>,
    reads: u32,
}

impl provlab_hil::probe::Probe for RttProbe {
    fn list_probes(
        &mut self,
    ) -> Result<Vec<provlab_hil::probe::ProbeRow>, provlab_hil::probe::ProbeError> {
        Ok(vec![self.row.clone()])
    }
    fn open(
        &mut self,
        _: &provlab_hil::probe::Selector,
        _: &str,
    ) -> Result<(), provlab_hil::probe::ProbeError> {
        Ok(())
    }
    fn flash(
        &mut self,
        _: &Path,
        _: provlab_hil::probe::ImageFormat,
    ) -> Result<(), provlab_hil::probe::ProbeError> {
        Ok(())
    }
    fn reset(
        &mut self,
        rtt: provlab_hil::probe::Rtt,
    ) -> Result<(), provlab_hil::probe::ProbeError> {
        if matches!(rtt, provlab_hil::probe::Rtt::Capture { .. }) {
            self.rtt = b"<inf> app: hello over RTT\n<inf> app: partial".to_vec();
        }
        Ok(())
    }
    fn read_rtt(&mut self, buf: &mut [u8]) -> Result<usize, provlab_hil::probe::ProbeError> {
        self.reads += 1;
        if self.reads < 10 {
            return Ok(0);
        }
        let n = buf.len().min(self.rtt.len());
        buf[..n].copy_from_slice(&self.rtt[..n]);
        self.rtt.drain(..n);
        Ok(n)
    }
    fn recover(
        &mut self,
        _: &provlab_hil::probe::Selector,
        _: &str,
    ) -> Result<(), provlab_hil::probe::ProbeError> {
        Ok(())
    }
    fn close(&mut self) {}
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
    use provlab_hil::probe::{Access, ProbeRow};
    use provlab_hil::rack::UsbId;
    use provlab_hil::virtual_board::{VirtualBoard, VirtualBoardSpec};
    use provlab_sim::board::{Era, TransportKind};

    let dir = tempfile::tempdir().unwrap();
    let (rest, https, coap) = (free_port(), free_port(), free_port());
    // The "DK": its firmware points at the lab service's fixed HTTPS port and has no root CA
    // yet (the runner installs it over the AT shell); its console is a PTY.
    let console = VirtualBoard::start(&VirtualBoardSpec {
        era: Era::Current,
        transport: TransportKind::Http,
        host: "127.0.0.1".to_owned(),
        port: https,
        seed: 8,
        root_ca: None,
        speed: 1,
        client: None,
    })
    .unwrap();
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
boot = "10s"
[[board]]
id = "dk-e"
kind = "nrf9160dk"
console = "{console}"
probe = {{ vid = 0x1366, serial = "000960066752" }}
rtt = true
"#,
        lab = dir.path().join("lab").display(),
        console = console.console().display()
    );
    let rack = rack::load_str(&text, &dir.path().join("rack.toml")).unwrap();
    let probes = ProbeFactory(Arc::new(|| {
        Box::new(RttProbe {
            row: ProbeRow {
                vid: UsbId(0x1366),
                pid: UsbId(0x1055),
                interface: None,
                serial: Some("000960066752".to_owned()),
                name: "J-Link".to_owned(),
                access: Access::Accessible,
            },
            rtt: Vec::new(),
            reads: 0,
        })
    }));
    let provider = Arc::new(RackProvider::new(
        rack,
        RackOptions {
            owner: "test".to_owned(),
            run_id: "t7".to_owned(),
            virtual_era: None,
            tags: Vec::new(),
            recover: false,
            pull_plug: None,
            probes,
        },
    ));
    let factory = HilBackendFactory::new(provider);
    let loaded = load_file(&repo("scenarios/01-happy-path-http.toml")).unwrap();
    let result = Runner::new(factory, RunOptions::default()).run(&loaded);
    let text = result.transcript.to_text();
    assert_eq!(result.outcome, Outcome::Passed, "{text}");
    assert!(text.contains("rtt: <inf> app: hello over RTT"), "{text}");
    assert!(
        !text.contains("partial"),
        "an unfinished line waits: {text}"
    );
}
