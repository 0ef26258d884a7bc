#!/usr/bin/env bash
# The benchmarks (all in the root package) are not run in CI, but they must keep compiling.
# They are built with the same flags and target directory as the container's static binary
# (ci/build-image.sh), which CI builds just before, so most release-profile dependencies are
# compiled once, not twice.
set -euo pipefail
cd "$(dirname "$0")/.."
RUSTFLAGS="-C target-feature=+crt-static" \
CARGO_PROFILE_RELEASE_DEBUG=0 \
CARGO_PROFILE_RELEASE_STRIP=symbols \
CARGO_PROFILE_RELEASE_LTO=false \
    cargo bench -p provlab --locked --no-run \
        --target x86_64-unknown-linux-gnu --target-dir target/static
