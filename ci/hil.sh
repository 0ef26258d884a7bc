#!/usr/bin/env bash
# The HIL runner on the virtual rack (two virtual boards on PTYs, clocks 20x): the whole
# path (leases, console driver, log decoding, claims with each board's token, root CA
# install, owner actions over REST, deadlines, reports) on every catalogue scenario the
# boards' capabilities allow, in the current console era; then a smoke subset in the v2.9
# and 3.0 eras.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/ci-hil
cargo build --locked -q --bin provlab
provlab=target/debug/provlab
"$provlab" hil run --rack ci/virtual-rack.toml scenarios/ --boards 2 \
    --junit target/ci-hil/junit.xml --transcripts target/ci-hil/transcripts
for era in v2.9 3.0; do
    "$provlab" hil run --rack ci/virtual-rack.toml --era "$era" --boards 2 \
        scenarios/01-happy-path-http.toml scenarios/10-wrong-root-ca.toml \
        --junit "target/ci-hil/junit-$era.xml"
done
