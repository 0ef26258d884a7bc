#!/usr/bin/env bash
# Fuzz smoke: builds every target of fuzz/ once and runs each for a bounded time, so that a
# target that no longer builds, or a parser that now panics on its seeds or on what a short
# run finds, fails CI. Long runs are for people (fuzz/README.md says how).
#
# FUZZ_SECONDS: seconds per target (default 15). Needs cargo-fuzz (installed here when
# missing, at the pinned version) and Python 3 for the seeds; on a stable toolchain,
# RUSTC_BOOTSTRAP=1 stands in for nightly. Builds without a sanitizer: the code is safe Rust
# (`unsafe_code = "deny"` in the workspace), so panics and failed assertions are what we look
# for, and the coverage instrumentation alone keeps the build and the runs fast.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO_FUZZ_VERSION=0.13.2
seconds=${FUZZ_SECONDS:-15}
export RUSTC_BOOTSTRAP=1
export CARGO_INCREMENTAL=0

if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi

python3 fuzz/seed.py
cd fuzz
began=$(date +%s)
cargo fuzz build -s none
echo "fuzz targets built in $(( $(date +%s) - began ))s"

mkdir -p target/smoke
failed=0
for target in $(cargo fuzz list); do
    log=target/smoke/$target.log
    # -timeout: one input running this long is a hang, reported like a crash.
    if cargo fuzz run -s none "$target" -- \
        -max_total_time="$seconds" -timeout=30 -print_final_stats=1 >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        echo "fuzz $target: ${runs:-?} executions in ${seconds}s, no crash"
    else
        failed=1
        echo "fuzz $target: FAILED"
        tail -n 40 "$log"
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        if [ -n "$artifact" ]; then
            echo "artifact: $artifact"
            echo "reproduce: cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -s none $target $artifact"
        fi
    fi
done
exit "$failed"
