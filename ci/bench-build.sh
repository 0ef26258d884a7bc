#!/usr/bin/env bash
# Benchmarks are not run in CI, but they must keep compiling.
set -euo pipefail
cargo bench --workspace --locked --no-run
