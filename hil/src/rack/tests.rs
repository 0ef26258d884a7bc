use std::path::Path;

use super::*;

const GOOD: &str = r#"
[lab]
hostname = "prov.lab.example"
addresses = ["192.0.2.10"]
ports = { https = 443 }
timeouts = { boot = "90s" }

[[board]]
id = "dk-01"
kind = "nrf9160dk"
console = "/dev/serial/by-id/usb-SEGGER_J-Link_000960066748-if00"
probe = { vid = 0x1366, serial = "000960066748" }
firmware = { provisioning = "images/merged.hex", at_client = "/abs/at_client.elf" }
modem_fw = "mfw_nrf9160_1.3.7"
era = "v2.9"
tags = ["http", "lab-a"]
power = { on = ["uhubctl", "-a", "on", "-p", "2"], off = ["uhubctl", "-a", "off", "-p", "2"] }
nrfutil_for_uicr = true

[[board]]
id = "virt-1"
kind = "virtual"
speed = 20
"#;

fn load(text: &str) -> Result<LoadedRack, RackError> {
    load_str(text, Path::new("/lab/racks/rack.toml"))
}

fn messages(err: &RackError) -> Vec<String> {
    err.diagnostics()
        .iter()
        .map(|d| format!("{}:{}: {}", d.location.line, d.location.column, d.message))
        .collect()
}

#[test]
fn a_complete_rack_loads_with_defaults_and_resolved_paths() {
    let rack = load(GOOD).unwrap();
    let lab = &rack.rack.lab;
    assert_eq!(lab.ports.https, 443);
    assert_eq!(lab.ports.rest, 8080);
    assert_eq!(lab.ports.coap, 5684);
    assert_eq!(lab.timeouts.boot.as_millis(), 90_000);
    assert_eq!(lab.timeouts.flash, Timeouts::default().flash);
    assert_eq!(rack.lab_dir(), Path::new("/lab/racks/.provlab-lab"));

    let dk = rack.board("dk-01").unwrap();
    assert_eq!(dk.chip_name(), Some("nRF9160_xxAA"));
    assert_eq!(dk.era, Era::V2_9);
    assert_eq!(dk.root_ca_sec_tag, DEFAULT_ROOT_CA_SEC_TAG);
    assert_eq!(dk.probe.as_ref().unwrap().vid, UsbId(0x1366));
    assert_eq!(dk.probe.as_ref().unwrap().pid, None);
    assert_eq!(
        dk.firmware["provisioning"].get(),
        Path::new("/lab/racks/images/merged.hex")
    );
    assert_eq!(
        dk.firmware["at_client"].get(),
        Path::new("/abs/at_client.elf")
    );
    assert!(dk.has_tags(&["http"]) && !dk.has_tags(&["coap"]));
    assert_eq!(dk.speed_factor(), 1);

    let virt = rack.board("virt-1").unwrap();
    assert!(virt.is_virtual());
    assert_eq!(virt.speed_factor(), 20);
    assert_eq!(virt.chip_name(), None);
    assert_eq!(virt.era, Era::Current);
    // Both images are missing here: warnings, not errors.
    assert_eq!(rack.warnings.len(), 2, "{:?}", rack.warnings);
}

#[test]
fn unknown_keys_are_errors_at_their_position() {
    let text = GOOD.replace("modem_fw =", "modem_firmware =");
    let err = load(&text).unwrap_err();
    let msgs = messages(&err);
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(msgs[0].starts_with("14:1: "), "{msgs:?}");
    assert!(
        msgs[0].contains("unknown field `modem_firmware`"),
        "{msgs:?}"
    );
    let shown = err.to_string();
    assert!(shown.starts_with("/lab/racks/rack.toml:14:1: "), "{shown}");

    let err = load(&GOOD.replace("[lab]", "[lab]\nhostnam = \"x\"")).unwrap_err();
    assert!(messages(&err)[0].contains("unknown field `hostnam`"));
    let err = load(&GOOD.replace("serial = ", "sn = ")).unwrap_err();
    assert!(messages(&err)[0].contains("unknown field `sn`"));
}

#[test]
fn type_errors_name_the_value() {
    let err = load(&GOOD.replace("\"90s\"", "\"90 seconds\"")).unwrap_err();
    let msgs = messages(&err);
    assert!(msgs[0].starts_with("6:21: "), "{msgs:?}");
    assert!(msgs[0].contains("invalid duration"), "{msgs:?}");

    let err = load(&GOOD.replace("\"nrf9160dk\"", "\"nrf9999dk\"")).unwrap_err();
    let msgs = messages(&err);
    assert!(msgs[0].starts_with("10:8: "), "{msgs:?}");
    assert!(msgs[0].contains("nrf9160dk"), "{msgs:?}");

    let err = load(&GOOD.replace("\"v2.9\"", "\"2.9\"")).unwrap_err();
    assert!(messages(&err)[0].starts_with("15:7: "));

    let err = load(&GOOD.replace("\"192.0.2.10\"", "\"192.0.2\"")).unwrap_err();
    assert!(
        messages(&err)[0].starts_with("4:14: "),
        "{:?}",
        messages(&err)
    );
}

#[test]
fn chip_must_fit_the_kind() {
    let text = GOOD.replace(
        "kind = \"nrf9160dk\"",
        "kind = \"nrf9160dk\"\nchip = \"nRF9151_xxAA\"",
    );
    let err = load(&text).unwrap_err();
    let msgs = messages(&err);
    assert!(msgs[0].starts_with("11:8: "), "{msgs:?}");
    assert!(msgs[0].contains("`nRF9160_xxAA`"), "{msgs:?}");
    let text = GOOD.replace(
        "kind = \"nrf9160dk\"",
        "kind = \"nrf9151dk\"\nchip = \"nRF9151_xxAA\"",
    );
    assert_eq!(
        load(&text).unwrap().board("dk-01").unwrap().chip_name(),
        Some("nRF9151_xxAA")
    );
}

#[test]
fn real_and_virtual_boards_have_their_own_keys() {
    let text = GOOD.replace("speed = 20", "speed = 0\nconsole = \"/tmp/pty\"");
    let msgs = messages(&load(&text).unwrap_err());
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(msgs[0].contains("at least 1"), "{msgs:?}");
    assert!(msgs[1].contains("only for real boards"), "{msgs:?}");

    let text = GOOD
        .replace(
            "console = \"/dev/serial/by-id/usb-SEGGER_J-Link_000960066748-if00\"\n",
            "",
        )
        .replace(
            "probe = { vid = 0x1366, serial = \"000960066748\" }\n",
            "speed = 2\n",
        );
    let msgs = messages(&load(&text).unwrap_err());
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("no `console`")));
    assert!(msgs.iter().any(|m| m.contains("no `probe`")));
    assert!(msgs.iter().any(|m| m.contains("only for virtual boards")));
}

#[test]
fn a_tty_acm_console_is_a_warning() {
    let text = GOOD.replace(
        "/dev/serial/by-id/usb-SEGGER_J-Link_000960066748-if00",
        "/dev/ttyACM0",
    );
    let rack = load(&text).unwrap();
    let warn = rack
        .warnings
        .iter()
        .find(|w| w.message.contains("renumbered"))
        .unwrap();
    assert_eq!((warn.location.line, warn.location.column), (11, 11));
}

#[test]
fn ids_are_unique_and_safe_as_file_names() {
    let text = GOOD.replace("id = \"virt-1\"", "id = \"dk-01\"");
    let msgs = messages(&load(&text).unwrap_err());
    assert!(msgs[0].contains("used twice"), "{msgs:?}");
    let text = GOOD.replace("id = \"virt-1\"", "id = \"../x\"");
    let msgs = messages(&load(&text).unwrap_err());
    assert!(msgs[0].contains("lease file"), "{msgs:?}");
}

#[test]
fn lab_rules() {
    let text = GOOD.replace("addresses = [\"192.0.2.10\"]\n", "");
    let msgs = messages(&load(&text).unwrap_err());
    assert!(msgs[0].contains("`addresses`"), "{msgs:?}");
    let text = GOOD.replace("\"prov.lab.example\"", "\"192.0.2.10\"");
    let rack = load(&text).unwrap();
    assert!(rack
        .warnings
        .iter()
        .any(|w| w.message.contains("IP literal")));
    let text = GOOD.replace("images/merged.hex", "images/merged.bin");
    let msgs = messages(&load(&text).unwrap_err());
    assert!(msgs[0].contains("`.hex` or `.elf`"), "{msgs:?}");
}

#[test]
fn a_virtual_only_rack_needs_no_addresses() {
    let text = "[lab]\nhostname = \"localhost\"\ndir = \"/var/lab\"\n\n[[board]]\nid = \"v\"\nkind = \"virtual\"\n";
    let rack = load(text).unwrap();
    assert_eq!(rack.lab_dir(), Path::new("/var/lab"));
    assert!(rack.warnings.is_empty());
}

#[test]
fn the_example_racks_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let ci = load_file(&root.join("ci/virtual-rack.toml")).unwrap();
    assert_eq!(ci.rack.boards.len(), 3);
    assert!(ci.rack.boards.iter().all(Board::is_virtual));
    assert!(ci.warnings.is_empty(), "{:?}", ci.warnings);

    let readme = std::fs::read_to_string(root.join("hil/README.md")).unwrap();
    let example = readme
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap();
    let rack = load(example).unwrap();
    assert!(rack.rack.boards.len() >= 2);
}

#[test]
fn the_schema_covers_every_key() {
    let schema = schema();
    let text = schema.to_string();
    for key in [
        "hostname",
        "addresses",
        "timeouts",
        "console",
        "probe",
        "firmware",
        "modem_fw",
        "era",
        "root_ca_sec_tag",
        "nrfutil_for_uicr",
        "speed",
        "power",
    ] {
        assert!(text.contains(&format!("\"{key}\"")), "{key} missing");
    }
    assert_eq!(schema["additionalProperties"], serde_json::json!(false));
}
