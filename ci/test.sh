#!/usr/bin/env bash
# The README's test command.
set -euo pipefail
cargo test --workspace --locked
# The test build's footprint (ARCHITECTURE.md, "Tests"): executables and disk.
echo "test build: $(find target/debug/deps -maxdepth 1 -type f -perm -u+x ! -name '*.*' | wc -l) executables in target/debug/deps, $(du -sh target/debug | cut -f1) in target/debug"
