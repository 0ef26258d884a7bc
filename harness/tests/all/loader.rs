//! Loader tests: the sketch-level scenario round trip, every key, and errors that name the
//! file, line, column and what was expected.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use provlab_harness::loader::{
    load_file, load_file_with, load_path, load_str, Diagnostic, LoadError, LoadOptions,
    MAX_CONTENT_BYTES,
};
use provlab_harness::scenario::{
    CommandRequest, CommandStatus, ContentSource, CredentialType, DeviceSet, FaultKind,
    LabCredential, ModemAction, Step,
};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The 1-based line and column where `needle` first occurs in `source`.
fn position_of(source: &str, needle: &str) -> (usize, usize) {
    let offset = source.find(needle).expect("needle in source");
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.chars().rev().take_while(|c| *c != '\n').count() + 1;
    (line, column)
}

fn only_error(source: &str) -> Diagnostic {
    let path = data("broken.toml");
    match load_str(source, &path) {
        Ok(_) => panic!("expected a load error"),
        Err(e) => {
            let diags = e.diagnostics();
            assert_eq!(diags.len(), 1, "one diagnostic expected, got: {e}");
            assert_eq!(diags[0].location.file, path);
            diags[0].clone()
        }
    }
}

const MINIMAL: &str = r#"name = "minimal"

[[device]]
name = "dk1"
claimed_by = "owner"
"#;

#[test]
fn sketch_scenario_loads_with_the_expected_model() {
    let loaded = load_file(&data("failure-mid-queue.toml")).unwrap();
    let s = &loaded.scenario;
    assert_eq!(loaded.name(), "failure-mid-queue");
    assert_eq!(s.seed(), 7);
    assert_eq!(s.devices.len(), 1);
    let dk1 = &s.devices[0];
    assert_eq!(dk1.claimed_by.as_ref().unwrap().get(), "olivia");
    let types: Vec<&str> = dk1.config.iter().map(|c| c.request.type_name()).collect();
    assert_eq!(
        types,
        [
            "serverCertificate",
            "atCommand",
            "clientPrivateKeyGeneration",
            "finished"
        ]
    );
    match &dk1.config[0].request {
        CommandRequest::ServerCertificate(cert) => {
            assert_eq!(cert.sec_tag, 42);
            assert_eq!(
                cert.content.source(),
                &ContentSource::Lab(LabCredential::LabRootCa)
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    match s.faults[0].kind.get() {
        FaultKind::Modem(m) => {
            assert_eq!(m.command, "%CMNG");
            assert_eq!(m.params.as_deref(), Some("3,16842753,2"));
            assert_eq!(m.nth, Some(1));
            assert_eq!(m.action, ModemAction::Cme(514));
        }
        other => panic!("unexpected {other:?}"),
    }
    let keywords: Vec<&str> = s.steps.iter().map(|st| st.keyword()).collect();
    assert_eq!(
        keywords,
        [
            "trigger",
            "wait_until",
            "expect",
            "skip",
            "trigger",
            "wait_until"
        ]
    );
    match s.steps[1].get() {
        Step::WaitUntil(w) => assert_eq!(w.within.as_ref().unwrap().as_millis(), 120_000),
        other => panic!("unexpected {other:?}"),
    }
    let final_expect = &s.expect[0];
    assert_eq!(
        final_expect.commands.as_ref().unwrap().get(),
        &vec![
            CommandStatus::Succeeded,
            CommandStatus::Skipped,
            CommandStatus::Succeeded,
            CommandStatus::Succeeded
        ]
    );
    assert_eq!(final_expect.events.as_ref().unwrap().len(), 10);
    assert_eq!(
        final_expect.nvm.as_ref().unwrap().has,
        vec![
            (42, CredentialType::RootCa),
            (16842753, CredentialType::PrivateKey)
        ]
    );
    // Spans point back into the file.
    let at = loaded.locate(&final_expect.commands.as_ref().unwrap().span());
    assert_eq!(
        (at.line, at.column),
        position_of(loaded.source(), "[\"SUCCEEDED\", \"SKIPPED\"")
    );
}

#[test]
fn scenarios_round_trip_through_toml() {
    for file in ["failure-mid-queue.toml", "everything.toml"] {
        let loaded = load_file(&data(file)).unwrap();
        let text = toml::to_string(&loaded.scenario).unwrap();
        let again = load_str(&text, &data(file))
            .unwrap_or_else(|e| panic!("{file} re-read failed: {e}\n{text}"));
        assert_eq!(again.scenario, loaded.scenario, "{file}\n{text}");
    }
}

#[test]
fn every_key_loads_and_file_references_are_read() {
    let loaded = load_file(&data("everything.toml")).unwrap();
    let s = &loaded.scenario;
    assert_eq!(s.devices.len(), 2);
    assert_eq!(s.faults.len(), 8);
    assert_eq!(s.service.faults.len(), 2);
    assert_eq!(s.service.faults[0].closes(), Some("5m30s".parse().unwrap()));
    assert_eq!(s.service.faults[1].devices.get(), &DeviceSet::All);
    assert_eq!(s.steps.len(), 17);
    let rule_ca = match &s.service.rules[0].commands[0].request {
        CommandRequest::ServerCertificate(c) => c.content.text().unwrap().to_owned(),
        other => panic!("unexpected {other:?}"),
    };
    assert!(rule_ca.starts_with("-----BEGIN CERTIFICATE-----"));
    match s.steps[9].get() {
        Step::UpdateCommand(u) => match &u.request {
            CommandRequest::ClientCertificate(c) => assert!(c.content.text().is_some()),
            other => panic!("unexpected {other:?}"),
        },
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(s.default_actor().unwrap().name.get(), "olivia");
}

#[test]
fn unknown_key_names_file_line_column_and_the_expected_keys() {
    let source = format!("{MINIMAL}modle = \"nRF9160-SICA\"\n");
    let d = only_error(&source);
    assert_eq!((d.location.line, d.location.column), (6, 1));
    assert!(
        d.message
            .starts_with("unknown field `modle`, expected one of"),
        "{}",
        d.message
    );
    assert!(d.message.contains("`model`"), "{}", d.message);
    assert_eq!(d.source_line, "modle = \"nRF9160-SICA\"");
    // The display form is `file:line:column: message` with the line quoted.
    let shown = d.to_string();
    assert!(
        shown.contains("broken.toml:6:1: unknown field `modle`"),
        "{shown}"
    );
}

#[test]
fn unknown_top_level_and_nested_keys_are_errors() {
    let d = only_error(&format!("colour = \"red\"\n{MINIMAL}"));
    assert_eq!((d.location.line, d.location.column), (1, 1));
    assert!(
        d.message.contains("unknown field `colour`"),
        "{}",
        d.message
    );

    let source = format!("{MINIMAL}[[step]]\nskip = {{ device = \"dk1\", comand = 2 }}\n");
    let d = only_error(&source);
    assert_eq!(
        (d.location.line, d.location.column),
        position_of(&source, "comand")
    );
    assert!(
        d.message
            .contains("unknown field `comand`, expected one of `device`, `command`"),
        "{}",
        d.message
    );
}

#[test]
fn bad_duration_points_at_the_value_and_explains_the_format() {
    let source = format!(
        "{MINIMAL}[[step]]\nwait_until = {{ status = \"READY\", within = \"2 minutes\" }}\n"
    );
    let d = only_error(&source);
    assert_eq!((d.location.line, d.location.column), (7, 43));
    assert_eq!(
        (d.location.line, d.location.column),
        position_of(&source, "\"2 minutes\"")
    );
    assert!(
        d.message
            .contains("invalid duration `2 minutes`: expected a unit (d, h, m, s or ms) after `2`"),
        "{}",
        d.message
    );
}

#[test]
fn unknown_device_in_a_step_points_at_the_name() {
    let source = format!("{MINIMAL}[[step]]\ntrigger = \"dk2\"\n");
    let d = only_error(&source);
    assert_eq!((d.location.line, d.location.column), (7, 11));
    assert_eq!(
        d.message,
        "unknown device `dk2`: expected one of the [[device]] names (`dk1`)"
    );
}

#[test]
fn missing_file_reference_points_at_the_content() {
    let source = format!(
        "{MINIMAL}[[device.config]]\nrequest = {{ serverCertificate = {{ secTag = 42, content = \"@file:certs/missing.pem\" }} }}\n"
    );
    let d = only_error(&source);
    assert_eq!(
        (d.location.line, d.location.column),
        position_of(&source, "\"@file:certs/missing.pem\"")
    );
    assert!(
        d.message
            .starts_with("cannot read `certs/missing.pem` (looked for "),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("relative to the scenario file"),
        "{}",
        d.message
    );
}

#[test]
fn unknown_lab_reference_lists_the_known_ones() {
    let source = format!(
        "{MINIMAL}credentials = [{{ sec_tag = 1, type = \"root_ca\", content = \"@lab-ca\" }}]\n"
    );
    let d = only_error(&source);
    assert_eq!(
        (d.location.line, d.location.column),
        position_of(&source, "\"@lab-ca\"")
    );
    assert!(
        d.message
            .contains("unknown content reference `@lab-ca`: expected @lab-root-ca"),
        "{}",
        d.message
    );
}

#[test]
fn a_step_with_two_actions_is_explained() {
    let source = format!("{MINIMAL}[[step]]\ntrigger = \"dk1\"\nadvance = \"1s\"\n");
    let d = only_error(&source);
    assert_eq!((d.location.line, d.location.column), (6, 1));
    assert!(
        d.message
            .starts_with("expected exactly one key naming the action"),
        "{}",
        d.message
    );
}

#[test]
fn semantic_rules_each_point_at_their_key() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "[[step]]\nwait_until = { status = \"READY\" }\n",
            "{ status",
            "`wait_until` needs a deadline",
        ),
        (
            "[[step]]\nfault_on = \"nope\"\n",
            "\"nope\"",
            "unknown fault `nope`",
        ),
        (
            "[[step]]\nskip = { device = \"dk1\", command = 0 }\n",
            "0 }",
            "command positions count from 1",
        ),
        (
            "[[step]]\nblock = { device = \"dk1\", by = \"mallory\" }\n",
            "\"mallory\"",
            "unknown member `mallory`",
        ),
        (
            "[[step]]\nactivate_rule = { rule = \"later\" }\n",
            "\"later\"",
            "unknown rule `later`",
        ),
        (
            "[[step]]\nexpect = { within = \"1s\" }\n",
            "{ within",
            "an expectation checks nothing",
        ),
        (
            "[[fault]]\nmodem = { command = \"%CMNG\", action = \"error\" }\nlink = { loss_percent = 5 }\n",
            "[[fault]]",
            "a fault has exactly one kind, but this one has both",
        ),
        (
            "[[fault]]\nservice = { request = \"fetch\", answer = { coap = \"503\" } }\n",
            "{ request",
            "CoAP code `503` is malformed",
        ),
        (
            "[[expect]]\ncommand = { first = \"FAILED\" }\n",
            "{ first",
            "`command` keys are 1-based command positions",
        ),
    ];
    for (tail, needle, message) in cases {
        let source = format!("{MINIMAL}{tail}");
        let d = only_error(&source);
        assert_eq!(
            (d.location.line, d.location.column),
            position_of(&source, needle),
            "{tail}: {d}"
        );
        assert!(d.message.contains(message), "{tail}: {}", d.message);
    }
}

#[test]
fn several_devices_require_naming_one() {
    let source =
        format!("{MINIMAL}\n[[device]]\nname = \"dk2\"\n\n[[expect]]\nstatus = \"READY\"\n");
    let d = only_error(&source);
    assert_eq!(
        (d.location.line, d.location.column),
        position_of(&source, "[[expect]]")
    );
    assert_eq!(
        d.message,
        "an expectation must name its `device`: the scenario has several (`dk1`, `dk2`)"
    );
}

#[test]
fn all_problems_are_reported_in_file_order() {
    let source = format!("{MINIMAL}[[step]]\ntrigger = \"x\"\n[[step]]\ntrigger = \"y\"\n");
    let err = load_str(&source, Path::new("s.toml")).unwrap_err();
    let lines: Vec<usize> = err.diagnostics().iter().map(|d| d.location.line).collect();
    assert_eq!(lines, [7, 9]);
}

#[test]
fn directories_load_sorted_and_reject_duplicate_names() {
    let dir = std::env::temp_dir().join(format!("provlab-harness-loader-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("b.toml"), MINIMAL.replace("minimal", "bee")).unwrap();
    std::fs::write(dir.join("a.toml"), MINIMAL.replace("minimal", "ay")).unwrap();
    std::fs::write(dir.join("notes.txt"), "not a scenario").unwrap();
    let names: Vec<String> = load_path(&dir)
        .unwrap()
        .iter()
        .map(|s| s.name().to_owned())
        .collect();
    assert_eq!(names, ["ay", "bee"]);

    std::fs::write(dir.join("c.toml"), MINIMAL.replace("minimal", "ay")).unwrap();
    let err = load_path(&dir).unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.location.file, dir.join("c.toml"));
    assert_eq!((d.location.line, d.location.column), (1, 8));
    assert!(
        d.message.contains("scenario name `ay` is already used by"),
        "{}",
        d.message
    );

    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert!(matches!(
        load_path(&empty),
        Err(LoadError::NoScenarios { .. })
    ));
    assert!(matches!(
        load_path(&dir.join("absent.toml")),
        Err(LoadError::Read { .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_readme_example_is_catalogue_scenario_3() {
    let readme = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/README.md"),
    )
    .unwrap();
    let start = readme.find("```toml\n").unwrap() + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let example = load_str(&readme[start..end], &data("readme-example.toml"))
        .unwrap_or_else(|e| panic!("README example does not load: {e}"));
    // The example is the catalogue's scenario 3, which CI runs, so the README never shows a
    // scenario that does not pass.
    let file = load_file(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/03-failure-mid-queue.toml"),
    )
    .unwrap();
    assert_eq!(example.scenario, file.scenario);
}

/// A scenario in `dir` whose one configuration command stores the certificate `reference`.
fn with_certificate(dir: &Path, reference: &str) -> PathBuf {
    let path = dir.join("scenario.toml");
    let text = format!(
        "{MINIMAL}[[device.config]]\nrequest = {{ serverCertificate = {{ secTag = 42, content = \"@file:{reference}\" }} }}\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// The one problem loading `path` reports, with `options`.
fn only_problem(path: &Path, options: &LoadOptions) -> Diagnostic {
    match load_file_with(path, options) {
        Err(LoadError::Invalid { diagnostics }) if diagnostics.len() == 1 => {
            diagnostics.into_iter().next().unwrap()
        }
        other => panic!("expected one problem, got {other:?}"),
    }
}

#[test]
fn file_references_stay_in_the_scenario_directory_tree() {
    let lab = tempfile::tempdir().unwrap();
    let scenarios = lab.path().join("scenarios");
    std::fs::create_dir_all(scenarios.join("certs")).unwrap();
    std::fs::write(
        scenarios.join("certs/ca.pem"),
        "-----BEGIN CERTIFICATE-----\n",
    )
    .unwrap();
    std::fs::write(lab.path().join("outside.pem"), "secret\n").unwrap();
    let defaults = LoadOptions::default();
    // Below the scenario: read.
    load_file_with(&with_certificate(&scenarios, "certs/ca.pem"), &defaults).unwrap();
    // Up and out, or absolute: refused, pointing at the reference.
    for reference in ["../outside.pem", "/etc/passwd"] {
        let path = with_certificate(&scenarios, reference);
        let d = only_problem(&path, &defaults);
        assert!(d.message.contains("outside"), "{reference}: {}", d.message);
        assert!(d.message.contains("--content-root"), "{}", d.message);
        let source = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            (d.location.line, d.location.column),
            position_of(&source, &format!("\"@file:{reference}\""))
        );
    }
    // A wider root given by the caller lets the first one in.
    let wider = LoadOptions {
        content_root: Some(lab.path().to_path_buf()),
    };
    load_file_with(&with_certificate(&scenarios, "../outside.pem"), &wider).unwrap();
}

#[test]
fn file_references_are_regular_files_of_bounded_size() {
    let dir = tempfile::tempdir().unwrap();
    let everything = LoadOptions {
        content_root: Some(PathBuf::from("/")),
    };
    // A device that never ends is not read, even where the root allows it.
    let d = only_problem(&with_certificate(dir.path(), "/dev/zero"), &everything);
    assert!(d.message.contains("not a regular file"), "{}", d.message);
    // A FIFO would block the loader.
    let fifo = dir.path().join("pipe.pem");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let d = only_problem(&with_certificate(dir.path(), "pipe.pem"), &everything);
        assert!(d.message.contains("not a regular file"), "{}", d.message);
    }
    // More than the cap.
    let big = dir.path().join("big.pem");
    std::fs::write(&big, vec![b'A'; (MAX_CONTENT_BYTES + 1) as usize]).unwrap();
    let d = only_problem(
        &with_certificate(dir.path(), "big.pem"),
        &LoadOptions::default(),
    );
    assert!(d.message.contains("more than the"), "{}", d.message);
}

#[test]
fn every_type_and_vocabulary_error_of_a_file_comes_at_once() {
    // A misspelt status, a wrong type and a `wait_until` without `within`: one run names all
    // three, each where it stands (the whole-file read alone stops at the first).
    let source = format!(
        "{MINIMAL}[[step]]\nadvance = 5\n[[step]]\nexpect = {{ status = \"PROVISONED\" }}\n[[step]]\nwait_until = {{ status = \"PROVISIONED\" }}\n"
    );
    let err = load_str(&source, Path::new("s.toml")).unwrap_err();
    let diagnostics = err.diagnostics();
    let found = |needle: &str| diagnostics.iter().any(|d| d.message.contains(needle));
    assert_eq!(diagnostics.len(), 3, "{err}");
    assert!(found("PROVISONED"), "{err}");
    assert!(found("invalid type") || found("duration"), "{err}");
    assert!(found("needs a deadline"), "{err}");
    let lines: Vec<usize> = diagnostics.iter().map(|d| d.location.line).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
}

#[test]
fn load_each_keeps_every_file_apart_and_flags_a_repeated_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = "name = \"same\"\n[[device]]\nname = \"dk1\"\n";
    std::fs::write(dir.path().join("a.toml"), good).expect("write");
    std::fs::write(
        dir.path().join("b.toml"),
        "name = \"broken\"\n[[device]]\nname = 7\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("c.toml"), good).expect("write");
    let loads = provlab_harness::load_each_with(&[dir.path().to_path_buf()], &Default::default());
    let names: Vec<String> = loads
        .iter()
        .map(|f| {
            f.path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["a.toml", "b.toml", "c.toml"]);
    assert!(loads[0].result.is_ok());
    let b = loads[1]
        .result
        .as_ref()
        .expect_err("b does not load")
        .to_string();
    assert!(b.contains("b.toml:3:8"), "{b}");
    let c = loads[2]
        .result
        .as_ref()
        .expect_err("c repeats a name")
        .to_string();
    assert!(c.contains("is already used by"), "{c}");
    let missing =
        provlab_harness::load_each_with(&[dir.path().join("nowhere")], &Default::default());
    assert_eq!(missing.len(), 1);
    assert!(missing[0].result.is_err());
}
