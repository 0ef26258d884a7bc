#!/usr/bin/env bash
# The main job: the scenario catalogue through `provlab run` (debug build, already compiled by
# the test step), with a JUnit report and transcripts kept under target/ for inspection.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/ci-scenarios
cargo run --locked -q -- run scenarios/ \
    --junit target/ci-scenarios/junit.xml \
    --transcripts target/ci-scenarios/transcripts
# The same catalogue over real TLS/DTLS sockets on 127.0.0.1.
cargo run --locked -q -- run scenarios/ --net loopback \
    --junit target/ci-scenarios/junit-loopback.xml
