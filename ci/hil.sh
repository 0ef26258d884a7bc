#!/usr/bin/env bash
# The HIL runner on the virtual rack (three virtual boards on PTYs, clocks 20x): the whole
# path (leases, console driver, log decoding, claims with each board's token, root CA
# install over the AT shell, owner actions over REST, scaled deadlines, reports, the HTML
# page and Markdown summary too) on the
# catalogue in the current console era, then a smoke scenario in every era.
#
# Scenarios whose faults only a simulator can inject are run and skip with their reason.
# `--compare-sim` runs each scenario again in simulation (same seed, in memory) and writes a
# drift report of the board's run against it (`<name>.drift.{txt,json,html}` next to the
# transcripts); drift is printed under each result and summed up in a `compare-sim:` line,
# and does not fail the step (the eras differ from the simulation on purpose). The smoke
# runs of the older eras show that drift: STOP before DONE in 3.0, no NEED_LTE_* events and
# the reboot in v2.9.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/ci-hil
cargo build --locked -q --bin provlab
provlab=target/debug/provlab
"$provlab" hil run --rack ci/virtual-rack.toml --boards 2 scenarios/ --compare-sim \
    --junit target/ci-hil/junit.xml --transcripts target/ci-hil/transcripts \
    --html target/ci-hil/report.html --markdown target/ci-hil/summary.md
# The HTML page and Markdown summary of the HIL run: a diagram per scenario that ran.
grep -q '<svg ' target/ci-hil/report.html
grep -q '^### .* provlab hil run --rack ci/virtual-rack.toml: ' target/ci-hil/summary.md
for era in v2.9 3.0 current; do
    "$provlab" hil run --rack ci/virtual-rack.toml --era "$era" ci/hil-smoke.toml --compare-sim \
        --junit "target/ci-hil/junit-smoke-$era.xml" --transcripts "target/ci-hil/smoke-$era"
done
"$provlab" hil check --rack ci/virtual-rack.toml
"$provlab" hil leases --rack ci/virtual-rack.toml
