#!/usr/bin/env bash
# Fails when any file is not formatted with `cargo fmt`.
set -euo pipefail
cargo fmt --all -- --check
