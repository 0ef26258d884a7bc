#!/usr/bin/env bash
# Prints the toolchain and makes sure the components CI needs are present.
set -euo pipefail
cargo --version
rustc --version
for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^${component}"; then
        rustup component add "$component"
    fi
done
