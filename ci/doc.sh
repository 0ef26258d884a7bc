#!/usr/bin/env bash
# Builds the API documentation of every crate; any rustdoc warning (a broken or private
# intra-doc link, a bare URL, an unclosed HTML tag, ...) fails the build.
set -euo pipefail
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked
