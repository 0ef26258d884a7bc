//! Fuzzes the scenario loader (`harness::loader::load_str`, what `provlab run`, `check` and
//! `hil run` do with every scenario file) and fleet expansion (`--fleet`).
//!
//! The text is loaded as `scenarios/fuzz.toml` of this repository, so `@file:` references
//! resolve against the catalogue's `data/` directory, confined to `scenarios/`.
//!
//! Invariants: nothing panics; a refused file gives at least one diagnostic, each at a line
//! and column inside the text (line 1-based, at most one past the last line; column 1-based);
//! a loaded scenario written back as TOML loads to an equal scenario; fleet expansion returns
//! a scenario or a typed error.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use provlab_harness::loader::{load_str, render_diagnostics, LoadError};
use provlab_harness::scenario::fleet;

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/fuzz.toml")
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = path();
    match load_str(text, &path) {
        Ok(loaded) => {
            let written = match toml::to_string(&loaded.scenario) {
                Ok(written) => written,
                Err(e) => panic!("a loaded scenario does not serialise: {e}"),
            };
            match load_str(&written, &path) {
                Ok(again) => assert_eq!(again.scenario, loaded.scenario, "written as {written}"),
                Err(e) => panic!("the scenario written back does not load: {e}\n{written}"),
            }
            let _ = fleet::expand(&loaded.scenario, 3);
        }
        Err(LoadError::Invalid { diagnostics }) => {
            assert!(!diagnostics.is_empty());
            let lines = text.split('\n').count();
            for d in &diagnostics {
                assert!(
                    d.location.line >= 1 && d.location.line <= lines + 1,
                    "{d:?}"
                );
                assert!(d.location.column >= 1, "{d:?}");
            }
            let _ = render_diagnostics(&diagnostics);
        }
        Err(e) => panic!("load_str failed with {e:?}"),
    }
});
