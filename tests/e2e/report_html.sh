#!/usr/bin/env bash
# report_html.sh - NET_report.html, the page a person looks at: written by
# `generate` and by `analyze --html F` (the same bytes), self-contained, and
# rendered by a real browser.
#
# Headless Chromium (Debian `chromium`, installed here if missing; the test
# skips only when it cannot be installed) loads the page offline with
# logging on: no console error, no blocked load (the page's
# Content-Security-Policy forbids every fetch, so any would show), and the
# DOM it built holds the three charts and one table row per layer (13 for
# KWS).  It also takes the screenshot (docs/images/report_kws.png is one).
set -u
cd "$(dirname "$0")/../.."
KILN=${KILN:-$PWD/build/kiln}
M=../shared/models/mlperf_tiny/kws_ref_model.tflite
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; }

"$KILN" generate $M -o "$tmp/g" --name kws --board stm32h747i-disco -q >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
"$KILN" analyze $M --name kws --board stm32h747i-disco --html "$tmp/a.html" >/dev/null 2>&1
H=$tmp/g/kws_report.html
cmp -s "$H" "$tmp/a.html" && ok "analyze --html writes the page generate writes" || bad "analyze --html differs from generate's page"
if grep -qiE '<script|<link|<img|src=|url\(|https?:' "$H"; then bad "the page refers to something outside it"; else
    ok "self-contained: no script, link, image, src, url() or http"; fi
grep -q "Against board stm32h747i-disco" "$H" && grep -q "STM32H747XIH6" "$H" \
    && ok "totals against the board's limits" || bad "no board section"

# A browser.
if ! command -v chromium >/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || true
fi
if ! command -v chromium >/dev/null; then
    echo "skip chromium: not installed and cannot be installed here"
    echo "summary: $pass passed, $fail failed (chromium skipped)"
    [ $fail -eq 0 ]; exit
fi
browse() { # extra chromium args...
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$(mktemp -d -p "$tmp")" \
        --enable-logging=stderr --v=0 "$@" "file://$H"
}
browse --dump-dom >"$tmp/dom.html" 2>"$tmp/dom.err"; rc=$?
rows=$(grep -o '<tr><td>[0-9]*</td>' "$tmp/dom.html" | wc -l)
if [ $rc = 0 ] && grep -q '<svg id="cost"' "$tmp/dom.html" && grep -q '<svg id="arena"' "$tmp/dom.html" \
   && grep -q '<svg id="flash"' "$tmp/dom.html" && [ "$rows" -ge 13 ]; then
    ok "chromium built the DOM: three charts, $rows table rows"
else
    bad "chromium --dump-dom (exit $rc, $rows rows)"; tail -5 "$tmp/dom.err"
fi
if grep -E 'CONSOLE|Uncaught|Refused to|net::ERR|Content Security Policy' "$tmp/dom.err"; then
    bad "the browser reported errors loading the page (above)"
else
    ok "loaded without console errors or blocked loads"
fi
browse --window-size=1100,2000 --screenshot="$tmp/report.png" >/dev/null 2>"$tmp/shot.err"; rc=$?
if [ $rc = 0 ] && [ "$(head -c 8 "$tmp/report.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] \
   && [ "$(stat -c %s "$tmp/report.png")" -gt 50000 ]; then
    ok "screenshot: a $(stat -c %s "$tmp/report.png")-byte PNG"
    [ -n "${KILN_REPORT_PNG:-}" ] && cp "$tmp/report.png" "$KILN_REPORT_PNG"
else
    bad "screenshot (exit $rc)"; tail -3 "$tmp/shot.err"
fi
echo "summary: $pass passed, $fail failed"
[ $fail -eq 0 ]
