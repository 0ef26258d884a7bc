#!/usr/bin/env bash
# CI: the REST API against its own OpenAPI document. schemathesis 4.32.5 (PyPI, pinned)
# generates requests from `provlab serve`'s `/v1/openapi.json` and runs its default checks
# on every answer (no 5xx, documented status codes and content types, response schemas,
# schema-valid requests accepted, schema-invalid ones refused, a request without its
# required Authorization header refused, ...). The run is bounded (examples per operation
# and a time budget) and seeded, so a failure is reproducible with the printed command.
#
# Excluded are only the operations that can revoke the caller's own access, because once
# the owner key is gone or demoted every later request is a 401 or 403 and the rest of the
# run tests nothing:
#   DELETE /v1/team/members/{name}                  removes a member with their keys
#   PUT    /v1/team/members/{name}                  changes a member's role (demotes)
#   DELETE /v1/team/members/{name}/api-keys/{keyId} revokes a key
# (the service refuses these for the team's last owner key, but schemathesis may first add
# another owner). Their 401/400/404 paths are covered by server/tests/all/rest_*.rs.
#
# Data generation knows one thing the schema cannot say (ci/contract_hooks.py): how to draw a
# real claim token (format `nrf-attestation-token`). The checks are all the defaults.
#
# Environment: CONTRACT_VENV (default target/ci-venv-contract) to reuse a venv,
# CONTRACT_EXAMPLES (default 100) examples per operation, CONTRACT_SEED (default 1),
# CONTRACT_TIMEOUT (default 240) seconds before the run is stopped and fails. No
# `--max-time`: with it schemathesis repeats its fuzzing and stateful phases until the time
# is spent, so the cases would depend on the machine's speed; with a seed and an example
# count they do not.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=$(realpath -m "${CONTRACT_VENV:-target/ci-venv-contract}")
examples=${CONTRACT_EXAMPLES:-100}
seed=${CONTRACT_SEED:-1}
time_limit=${CONTRACT_TIMEOUT:-240}
work=$(mktemp -d "${TMPDIR:-/tmp}/provlab-contract.XXXXXX")
serve_pid=""

stop_serve() {
    local pid=$serve_pid
    serve_pid=""
    [[ -n "$pid" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    stop_serve
    rm -rf "$work"
}
trap cleanup EXIT

echo "--- Python venv with schemathesis 4.32.5 ($venv)"
if [[ ! -x "$venv/bin/python" ]] && ! timeout 120 python3 -m venv "$venv"; then
    # Debian ships the venv module apart from python3.
    echo "contract: python3 -m venv failed; installing Debian's python3-venv"
    sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        sudo=(sudo)
    fi
    rm -rf "$venv"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq python3-venv >/dev/null
    timeout 120 python3 -m venv "$venv"
fi
timeout 600 "$venv/bin/pip" install --disable-pip-version-check --quiet schemathesis==4.32.5
"$venv/bin/schemathesis" --version

echo "--- build provlab"
timeout 1800 cargo build --locked -q --bin provlab

echo "--- provlab serve on free ports"
owner_key="contract-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
: >"$work/serve.out"
PROVLAB_OWNER_KEY="$owner_key" target/debug/provlab serve --db "$work/lab.db" \
    --pki "$work/pki" --rest 127.0.0.1:0 --https 127.0.0.1:0 --coap 127.0.0.1:0 \
    >"$work/serve.out" 2>"$work/serve.err" &
serve_pid=$!
base=""
for _ in $(seq 100); do
    base=$(sed -n 's/^rest listening on \(http:[^ ]*\)$/\1/p' "$work/serve.out")
    [[ -n "$base" ]] && break
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ -z "$base" ]]; then
    echo "contract: provlab serve did not start:" >&2
    cat "$work/serve.err" >&2
    exit 1
fi
echo "serving $base (pid $serve_pid)"

echo "--- schemathesis: $examples examples per operation, seed $seed, at most ${time_limit}s"
started=$(date +%s)
status=0
# From the scratch directory: schemathesis keeps a cache of past crashes in its working
# directory (.schemathesis/), which would make one run depend on the ones before.
repo=$PWD
(cd "$work" && PYTHONPATH="$repo/ci" SCHEMATHESIS_HOOKS=contract_hooks \
    timeout --kill-after=10 "$time_limit" "$venv/bin/schemathesis" --no-color run "$base/v1/openapi.json" \
    -H "Authorization: Bearer $owner_key" \
    --max-examples "$examples" --seed "$seed" \
    --exclude-name 'DELETE /v1/team/members/{name}' \
    --exclude-name 'PUT /v1/team/members/{name}' \
    --exclude-name 'DELETE /v1/team/members/{name}/api-keys/{keyId}' \
    --generation-database none \
    --report junit --report-dir "$repo/target/ci-artifacts/contract") \
    || status=$?
echo "--- schemathesis took $(($(date +%s) - started))s (exit status $status)"

if ! kill -0 "$serve_pid" 2>/dev/null; then
    echo "contract: provlab serve died during the run:" >&2
    tail -n 50 "$work/serve.err" >&2
    exit 1
fi
if grep -q "panicked" "$work/serve.err"; then
    echo "contract: provlab serve panicked:" >&2
    grep -A5 "panicked" "$work/serve.err" >&2
    exit 1
fi
exit "$status"
