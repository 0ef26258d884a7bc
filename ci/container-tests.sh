#!/usr/bin/env bash
# CI: the `provlab serve` image under rootful podman, driven by the testcontainers tests.
#
# Idempotent on a fresh machine: installs podman and runc when missing, uses the podman
# configuration in ci/containers.conf (CONTAINERS_CONF), builds the image
# (ci/build-image.sh), serves podman's Docker-compatible API on a Unix socket of its own
# (DOCKER_HOST) for as long as the tests run, and runs server/tests/container.rs with
# PROVLAB_REQUIRE_CONTAINERS=1, so that an unreachable engine is a failure, not a skip.
# The API service is stopped by its PID on exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

socket=/run/podman-ci.sock
service_log=${TMPDIR:-/tmp}/podman-ci-service.log
export CONTAINERS_CONF="$PWD/ci/containers.conf"
export PROVLAB_IMAGE=${PROVLAB_IMAGE:-localhost/provlab:dev}
export CONTAINER_ENGINE=podman

if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
    echo "container-tests: installing podman and runc"
    sudo=()
    if [ "$(id -u)" != 0 ]; then
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq podman runc >/dev/null
fi
podman --version
runc --version | head -n 1

# The PIDs of `podman system service` processes serving our socket (the path is ours alone).
service_pids() {
    pgrep -f "podman system service .*unix://${socket}" || true
}

stop_service() {
    local pids pid i
    pids=$(service_pids)
    [ -n "$pids" ] || return 0
    for pid in $pids; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for i in $(seq 1 50); do
        [ -n "$(service_pids)" ] || break
        sleep 0.2
    done
    for pid in $(service_pids); do
        echo "container-tests: podman service $pid ignored SIGTERM; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -f "$socket"
}

# A service left behind by an interrupted earlier run would hold the socket.
stop_service

t0=$(date +%s)
bash ci/build-image.sh
t1=$(date +%s)

# Compile the tests before the API service starts, so that it only lives while they run.
cargo test --locked -p provlab-server --test container --no-run

trap stop_service EXIT
podman system service --time=0 "unix://${socket}" >"$service_log" 2>&1 &
# `$!` may not be the serving process (podman re-executes itself); find it by socket path.
export DOCKER_HOST="unix://${socket}"
for i in $(seq 1 100); do
    if [ -S "$socket" ] && podman --url "$DOCKER_HOST" version >/dev/null 2>&1; then
        break
    fi
    if [ "$i" = 100 ]; then
        echo "container-tests: podman system service did not come up; its log:" >&2
        cat "$service_log" >&2 || true
        exit 1
    fi
    sleep 0.2
done
echo "container-tests: podman API on $DOCKER_HOST (pid $(service_pids | tr '\n' ' '))"

t2=$(date +%s)
PROVLAB_REQUIRE_CONTAINERS=1 cargo test --locked -p provlab-server --test container \
    -- --test-threads=1 --nocapture
t3=$(date +%s)
echo "container-tests: image $PROVLAB_IMAGE: $(podman image inspect --format '{{.Size}}' "$PROVLAB_IMAGE") bytes"
echo "container-tests: build-image $((t1 - t0))s, container tests $((t3 - t2))s"
