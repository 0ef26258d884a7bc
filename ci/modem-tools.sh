#!/usr/bin/env bash
# Acceptance test of `provlab modem`: Nordic's nrfcredstore 2.1.0, unmodified from PyPI,
# manages credentials on the simulated modem over a PTY, first behind a plain AT host, then
# behind the sample firmware's Zephyr shell (same NVM file: the shell run also checks that a
# credential written by the first run survived the restart). The checks are in
# ci/modem_tools_test.py. Needs ../shared beside the repository (the PTY shim).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

shared="$(cd "$repo/.." && pwd)/shared"
shim="$shared/tools/pty-shim"
if [[ ! -f "$shim/sitecustomize.py" ]]; then
    echo "modem-tools: $shim/sitecustomize.py not found: ../shared must sit beside the repo" >&2
    exit 1
fi

venv=target/ci-venv
work=$(mktemp -d "${TMPDIR:-/tmp}/provlab-modem-tools.XXXXXX")
modem_pid=""

stop_modem() {
    local pid=$modem_pid status=0
    modem_pid=""
    [[ -n "$pid" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "modem-tools: the modem ignored SIGTERM for 5 s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" || status=$?
    return "$status"
}

cleanup() {
    stop_modem || true
    rm -rf "$work"
}
trap cleanup EXIT

# Starts `provlab modem` in the background; sets modem_pid and pty.
start_modem() {
    local mode=$1 csr_form=$2 out="$work/modem-$1.out" err="$work/modem-$1.err"
    target/debug/provlab modem --pty --mode "$mode" --seed 7 --nvm "$work/nvm.bin" \
        --registry "$work/registry.json" --csr-form "$csr_form" >"$out" 2>"$err" &
    modem_pid=$!
    for _ in $(seq 100); do
        if [[ $(wc -l <"$out") -ge 7 ]]; then
            pty=$(head -n 1 "$out")
            echo "modem ($mode mode, pid $modem_pid) on $pty:"
            sed 's/^/    /' "$out"
            [[ -c "$pty" ]] || { echo "modem-tools: $pty is not a terminal" >&2; return 1; }
            return 0
        fi
        kill -0 "$modem_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "modem-tools: provlab modem did not start:" >&2
    cat "$err" >&2
    return 1
}

# Stops the modem with SIGTERM and checks that it shut down cleanly.
stop_and_check() {
    local mode=$1 status=0
    stop_modem || status=$?
    if [[ $status -ne 0 ]] || ! grep -q "stopped by SIGTERM" "$work/modem-$mode.err"; then
        echo "modem-tools: the modem did not stop cleanly on SIGTERM (status $status):" >&2
        cat "$work/modem-$mode.err" >&2
        return 1
    fi
    echo "modem ($mode mode) stopped cleanly on SIGTERM"
}

echo "--- Python venv with nrfcredstore 2.1.0 ($venv)"
if [[ ! -x "$venv/bin/python" ]] && ! timeout 120 python3 -m venv "$venv"; then
    echo "modem-tools: cannot create a Python venv with $(command -v python3)" >&2
    exit 1
fi
timeout 600 "$venv/bin/pip" install --disable-pip-version-check --quiet \
    nrfcredstore==2.1.0 cryptography==48.0.1 cbor2==6.3.0
"$venv/bin/pip" show nrfcredstore | grep -E "^(Name|Version):"

echo "--- build provlab"
timeout 1800 cargo build --locked --bin provlab

started=$(date +%s)
for mode in at shell; do
    echo "--- nrfcredstore against provlab modem --mode $mode"
    # The AT run leaves a certificate for the shell run to find after the restart; the CSR
    # encoding differs so that both forms are parsed.
    persist=(--leave-persisted 44)
    csr_form=modem
    if [[ $mode == shell ]]; then
        persist=(--expect-persisted 44)
        csr_form=rfc5758
    fi
    start_modem "$mode" "$csr_form"
    timeout 300 "$venv/bin/python" ci/modem_tools_test.py --mode "$mode" --pty "$pty" \
        --csr-form "$csr_form" \
        --info "$work/modem-$mode.out" --shim "$shim" --nrfcredstore "$repo/$venv/bin/nrfcredstore" \
        --workdir "$work" --registry "$work/registry.json" "${persist[@]}"
    stop_and_check "$mode"
done
echo "--- nrfcredstore runs took $(( $(date +%s) - started )) s"
