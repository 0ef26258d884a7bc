//! NVM: reboot persistence, file persistence, corrupt images, and a power cut at every write
//! point of a sequence of credential operations.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::{Arc, Mutex};

use provlab_modem::nvm::{CrashMode, MemFs, NvmError, NvmStore, SharedFs};
use provlab_modem::{CredentialStore, Modem, ModemConfig, ModemError};

const NOW: u64 = 1_700_000_000;

fn ok(m: &mut Modem, line: &str) {
    let reply = m.execute(NOW, line.as_bytes());
    assert!(reply.answer.result.is_ok(), "{line}: {}", reply.text);
}

#[test]
fn credentials_survive_reboot_but_cfun_and_cmee_do_not() {
    let mut m = Modem::new(ModemConfig::from_seed(1)).unwrap();
    ok(&mut m, "AT+CMEE=1");
    ok(&mut m, "AT%CMNG=0,1,0,\"ca\"");
    ok(&mut m, "AT%KEYGEN=1,2");
    ok(&mut m, "AT+CFUN=1");
    let before = m.credentials().clone();
    m.reboot().unwrap();
    assert_eq!(m.credentials(), &before);
    assert_eq!(before.len(), 2);
    assert!(!m.cmee());
    assert_eq!(m.cfun(), 0);
    assert_eq!(m.execute(NOW, b"AT+CFUN?").text, "+CFUN: 0\r\nOK\r\n");
}

#[test]
fn file_nvm_persists_across_modems() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("modem-nvm.json");
    let config = ModemConfig::from_seed(2).nvm(NvmStore::File(path.clone()));
    let mut m = Modem::new(config.clone()).unwrap();
    ok(
        &mut m,
        "AT%CMNG=0,42,0,\"-----BEGIN CERTIFICATE-----\r\nAB\r\n-----END CERTIFICATE-----\r\n\"",
    );
    ok(&mut m, "AT%KEYGEN=42,2,0");
    ok(&mut m, "AT%CMNG=0,42,4,\"id\"");
    ok(&mut m, "AT%CMNG=3,42,4");
    let list = m.execute(NOW, b"AT%CMNG=1").text;
    let stored = m.credentials().clone();
    drop(m);
    assert!(path.exists());
    assert!(!dir.path().join("modem-nvm.json.tmp").exists());

    let mut again = Modem::new(config.clone()).unwrap();
    assert_eq!(again.credentials(), &stored);
    assert_eq!(again.execute(NOW, b"AT%CMNG=1").text, list);

    // A leftover temporary file is ignored and removed.
    let tmp = dir.path().join("modem-nvm.json.tmp");
    std::fs::write(&tmp, b"{ torn").unwrap();
    let m = Modem::new(config).unwrap();
    assert_eq!(m.credentials(), &stored);
    assert!(!tmp.exists());
}

#[test]
fn missing_file_is_an_empty_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("none.json");
    let m = Modem::new(ModemConfig::from_seed(1).nvm(NvmStore::File(path.clone()))).unwrap();
    assert!(m.credentials().is_empty());
    assert!(!path.exists());
}

#[test]
fn corrupt_or_truncated_file_is_a_typed_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nvm.json");
    let config = ModemConfig::from_seed(1).nvm(NvmStore::File(path.clone()));
    let mut m = Modem::new(config.clone()).unwrap();
    ok(&mut m, "AT%CMNG=0,1,0,\"ca\"");
    drop(m);
    let good = std::fs::read(&path).unwrap();

    let cases: Vec<Vec<u8>> = vec![
        good[..good.len() / 2].to_vec(),
        Vec::new(),
        b"not json".to_vec(),
        String::from_utf8(good.clone())
            .unwrap()
            .replace("\"type\": 0", "\"type\": 1")
            .into_bytes(),
        String::from_utf8(good.clone())
            .unwrap()
            .replace("\"version\": 1", "\"version\": 2")
            .into_bytes(),
        vec![0xff, 0xfe, 0x00],
    ];
    for bytes in cases {
        std::fs::write(&path, &bytes).unwrap();
        let err = Modem::new(config.clone()).unwrap_err();
        assert!(
            matches!(&err, ModemError::Nvm(NvmError::Corrupt { path: p, .. }) if p == &path),
            "{err:?}"
        );
        assert!(err.to_string().contains("nvm.json"), "{err}");
    }
    // An unreadable image (a directory) is a read error naming it.
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    let err = Modem::new(config).unwrap_err();
    assert!(
        matches!(err, ModemError::Nvm(NvmError::Read { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("nvm.json"));
}

#[test]
fn write_failure_keeps_old_state_and_answers_memory_failure() {
    let fs = Arc::new(Mutex::new(MemFs::new()));
    let shared: SharedFs = fs.clone();
    let mut m =
        Modem::new(ModemConfig::from_seed(1).nvm(NvmStore::on_fs("nvm/modem.json", shared)))
            .unwrap();
    ok(&mut m, "AT+CMEE=1");
    ok(&mut m, "AT%CMNG=0,1,0,\"ca\"");
    let before = m.credentials().clone();
    fs.lock().unwrap().set_power_budget(Some(2));
    let reply = m.execute(NOW, b"AT%CMNG=0,1,1,\"cert\"");
    assert_eq!(reply.text, "+CME ERROR: 23\r\n");
    assert_eq!(m.credentials(), &before);
}

/// The credential operations of the power-cut test: writes, key generations, deletes.
const OPS: [&str; 7] = [
    "AT%CMNG=0,42,0,\"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n\"",
    "AT%KEYGEN=42,2,0",
    "AT%CMNG=0,42,1,\"-----BEGIN CERTIFICATE-----\r\nclient\r\n-----END CERTIFICATE-----\r\n\"",
    "AT%KEYGEN=7,8",
    "AT%CMNG=3,42,0",
    "AT%CMNG=0,42,1,\"replaced\"",
    "AT%CMNG=3,42,2",
];

const IMAGE: &str = "nvm/modem.json";

fn modem_on(fs: &Arc<Mutex<MemFs>>) -> Result<Modem, ModemError> {
    let shared: SharedFs = fs.clone();
    Modem::new(ModemConfig::from_seed(9).nvm(NvmStore::on_fs(IMAGE, shared)))
}

/// Runs OPS on a fresh file system with a power cut armed after `budget` units (`None`: no
/// cut). Returns the file system, the store after each completed operation (index 0 = before
/// the first), and the index of the operation the cut interrupted.
fn run_ops(
    budget: Option<u64>,
    unit: usize,
) -> (Arc<Mutex<MemFs>>, Vec<CredentialStore>, Option<usize>) {
    let fs = Arc::new(Mutex::new(MemFs::new()));
    fs.lock().unwrap().set_write_unit(unit);
    let mut m = modem_on(&fs).unwrap();
    fs.lock().unwrap().set_power_budget(budget);
    let mut states = vec![m.credentials().clone()];
    for (i, op) in OPS.iter().enumerate() {
        let reply = m.execute(NOW, op.as_bytes());
        if fs.lock().unwrap().was_cut() {
            assert!(
                !reply.answer.result.is_ok(),
                "{op} succeeded despite the cut"
            );
            // The modem's own view is the old state.
            assert_eq!(m.credentials(), &states[i]);
            return (fs, states, Some(i));
        }
        assert!(reply.answer.result.is_ok(), "{op}: {}", reply.text);
        states.push(m.credentials().clone());
    }
    (fs, states, None)
}

fn power_cut_at_every_write_point(unit: usize) {
    let (fs, reference, cut) = run_ops(None, unit);
    assert_eq!(cut, None);
    assert_eq!(reference.len(), OPS.len() + 1);
    let total = fs.lock().unwrap().units_used();
    assert!(total > 0);
    let mut checked = 0;
    for budget in 0..total {
        let (fs, states, cut) = run_ops(Some(budget), unit);
        let i = cut.unwrap_or_else(|| panic!("budget {budget} of {total}: no cut"));
        // Runs are deterministic: the same states as the reference up to the cut.
        assert_eq!(states[..], reference[..=i]);
        for mode in CrashMode::ALL {
            let after = fs.lock().unwrap().crash(mode);
            let after = Arc::new(Mutex::new(after));
            let m = modem_on(&after).unwrap_or_else(|e| {
                panic!("budget {budget} (op {i}), {mode:?}: reload failed: {e}")
            });
            let got = m.credentials();
            assert!(
                got == &reference[i] || got == &reference[i + 1],
                "budget {budget} (op {i} {:?}), {mode:?}: reloaded store is neither the old \
                 nor the new state: {got:?}",
                OPS[i]
            );
            // The leftover temporary file, if any, is gone after the reload.
            assert!(after
                .lock()
                .unwrap()
                .paths()
                .iter()
                .all(|p| p == Path::new(IMAGE)));
            checked += 1;
        }
    }
    assert_eq!(checked, total * 4);
}

#[test]
fn power_cut_at_every_write_point_keeps_old_or_new_state() {
    // 61-byte write units keep the run short while still tearing every image write many
    // times at odd offsets; the next test covers every single byte of one write.
    power_cut_at_every_write_point(61);
}

#[test]
fn power_cut_at_every_byte_of_one_write() {
    let fs = Arc::new(Mutex::new(MemFs::new()));
    let mut m = modem_on(&fs).unwrap();
    ok(&mut m, "AT%CMNG=0,1,0,\"old\"");
    let old = m.credentials().clone();
    drop(m);
    let start = fs.lock().unwrap().clone();
    let line = "AT%CMNG=0,1,0,\"new content\"";
    // Learn the number of units of this one operation.
    let total = {
        let probe = Arc::new(Mutex::new(start.clone()));
        let mut m = modem_on(&probe).unwrap();
        let used = probe.lock().unwrap().units_used();
        ok(&mut m, line);
        let after = probe.lock().unwrap().units_used();
        after - used
    };
    for budget in 0..total {
        let fs = Arc::new(Mutex::new(start.clone()));
        let mut m = modem_on(&fs).unwrap();
        fs.lock().unwrap().set_power_budget(Some(budget));
        let reply = m.execute(NOW, line.as_bytes());
        assert!(!reply.answer.result.is_ok());
        for mode in CrashMode::ALL {
            let after = Arc::new(Mutex::new(fs.lock().unwrap().crash(mode)));
            let got = modem_on(&after).unwrap().credentials().clone();
            let new_content =
                got.get(provlab_modem::CredKey::new(1, 0)) == Some(&b"new content"[..]);
            assert!(
                got == old || (new_content && got.len() == 1),
                "budget {budget} {mode:?}: {got:?}"
            );
        }
    }
}
