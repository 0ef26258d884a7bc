#!/usr/bin/env bash
# The HTML report in a real browser: `provlab run --html` on the catalogue and on a
# 20-device fleet, each page loaded by headless Chromium (Debian's `chromium`, installed if
# missing). Checks that the browser's DOM holds every sequence diagram the page carries
# (inline SVG, one per scenario for the catalogue, one per device plus the service side
# for the fleet), that no script error was logged, and saves a screenshot of each page
# under target/ci-artifacts/ (paths printed) with the pages and the Markdown summary.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/ci-artifacts
mkdir -p "$out"

if ! command -v chromium >/dev/null 2>&1; then
    echo "installing Debian's chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
chromium --version

cargo build --locked -q --bin provlab
provlab=target/debug/provlab

# Loads `$1` (a page under $out) in headless Chromium; checks that its DOM has `$2` SVG
# diagrams and that no script error was logged; saves `$1`'s screenshot.
check_page() {
    local page=$1 expected=$2
    local name=${page%.html}
    local url="file://$PWD/$out/$page"
    local flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars
        --enable-logging=stderr --v=0 --window-size=1400,2000)
    timeout 120 chromium "${flags[@]}" --dump-dom "$url" \
        >"$out/$name.dom.html" 2>"$out/$name.chromium.log"
    local rendered
    rendered=$(grep -o '<svg ' "$out/$name.dom.html" | wc -l)
    echo "$page: $(wc -c <"$out/$page") bytes; $rendered SVG diagrams in the browser's DOM (expected $expected)"
    if [ "$rendered" -ne "$expected" ]; then
        echo "error: $page: the browser shows $rendered diagrams, the page has $expected" >&2
        exit 1
    fi
    if grep -E 'CONSOLE.*(Uncaught|Error)|Uncaught ' "$out/$name.chromium.log"; then
        echo "error: $page: script errors in the browser (above; log $out/$name.chromium.log)" >&2
        exit 1
    fi
    timeout 120 chromium "${flags[@]}" --screenshot="$PWD/$out/$name.png" "$url" \
        >>"$out/$name.chromium.log" 2>&1
    if [ ! -s "$out/$name.png" ]; then
        echo "error: no screenshot of $page" >&2
        exit 1
    fi
    echo "screenshot: $out/$name.png ($(wc -c <"$out/$name.png") bytes)"
}

# The catalogue: every scenario is small enough for one diagram.
"$provlab" run scenarios/ --html "$out/report.html" --markdown "$out/summary.md" \
    >"$out/run.txt"
scenarios=$(grep -c '<section id=' "$out/report.html")
diagrams=$(grep -o '<svg ' "$out/report.html" | wc -l)
if [ "$diagrams" -ne "$scenarios" ]; then
    echo "error: report.html has $diagrams diagrams for $scenarios scenarios" >&2
    exit 1
fi
check_page report.html "$diagrams"

# A 20-device fleet: one diagram per device and two of the service side.
"$provlab" run scenarios/01-happy-path-http.toml --devices 20 --html "$out/fleet.html" \
    >"$out/fleet.txt"
check_page fleet.html 22
echo "Markdown summary: $out/summary.md"
