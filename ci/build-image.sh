#!/usr/bin/env bash
# Builds the `provlab serve` container image (Containerfile, FROM scratch) with podman, or
# docker when podman is absent (CONTAINER_ENGINE=docker|podman forces one).
#
# No base image can be pulled here, so the binary is compiled outside the image: statically
# linked against glibc (crt-static on the gnu target; no musl toolchain), into its own target
# directory (target/static) so the normal build cache stays valid. The build context is a
# directory holding only that binary.
#
# Environment: PROVLAB_IMAGE (default localhost/provlab:dev). Prints the image's size.
set -euo pipefail
cd "$(dirname "$0")/.."

image=${PROVLAB_IMAGE:-localhost/provlab:dev}
target=x86_64-unknown-linux-gnu
target_dir=target/static
context=$target_dir/image-context

engine=${CONTAINER_ENGINE:-}
if [ -z "$engine" ]; then
    if command -v podman >/dev/null 2>&1; then
        engine=podman
    elif command -v docker >/dev/null 2>&1; then
        engine=docker
    else
        echo "build-image: neither podman nor docker is installed" >&2
        exit 1
    fi
fi

t0=$(date +%s)
# Release build without debug info, symbols stripped (the image's size), default codegen
# units and no LTO (build time on 2 cores).
RUSTFLAGS="-C target-feature=+crt-static" \
CARGO_PROFILE_RELEASE_DEBUG=0 \
CARGO_PROFILE_RELEASE_STRIP=symbols \
CARGO_PROFILE_RELEASE_LTO=false \
    cargo build --release --locked --target "$target" --target-dir "$target_dir" \
        -p provlab --bin provlab
bin=$target_dir/$target/release/provlab
t1=$(date +%s)
echo "build-image: static build took $((t1 - t0))s"

# A FROM scratch image has no dynamic loader: refuse a binary that asks for one.
if command -v readelf >/dev/null 2>&1; then
    if readelf -lW "$bin" | grep -q 'INTERP' || readelf -dW "$bin" | grep -q '(NEEDED)'; then
        echo "build-image: $bin is dynamically linked; it cannot run FROM scratch" >&2
        exit 1
    fi
fi
if command -v ldd >/dev/null 2>&1; then
    echo "build-image: ldd $bin: $(ldd "$bin" 2>&1 | head -n 1 | sed 's/^[[:space:]]*//')"
fi

rm -rf "$context"
mkdir -p "$context"
cp "$bin" "$context/provlab"

format_args=()
if [ "$engine" = podman ]; then
    # The OCI format drops HEALTHCHECK; the docker format keeps it.
    format_args=(--format docker)
fi
"$engine" build "${format_args[@]}" -t "$image" -f Containerfile "$context"
t2=$(date +%s)
echo "build-image: image build took $((t2 - t1))s"
size=$("$engine" image inspect --format '{{.Size}}' "$image")
echo "build-image: $image is $((size / 1024)) KiB ($size bytes); binary $(stat -c %s "$bin") bytes"
