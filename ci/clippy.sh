#!/usr/bin/env bash
# Lints every crate and target; any warning fails the build.
set -euo pipefail
cargo clippy --workspace --all-targets --locked -- -D warnings
