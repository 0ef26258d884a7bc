//! What the CLI tests share: running the built `provlab` binary from the repository root
//! (with `CI` set, so no progress bar) and reading its output; scratch directories.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `provlab args` from the repository root and waits for it.
pub fn provlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_provlab"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CI", "1")
        .output()
        .expect("provlab runs")
}

/// Its standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Its standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh scratch directory `<test>-<name>` under the target directory.
pub fn scratch_in(test: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{test}-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}
