#!/usr/bin/env bash
# install-deps.sh - installs the Debian packages Kiln's build, demo and tests need.
#
# Called by `make demo` and `make test` (through the deps stamp) and by .ci/run.
# Installs only what is missing; needs root or sudo when something is missing.
set -euo pipefail

pkgs=(gcc make libc6-dev libcjson-dev libcmocka-dev gcc-arm-none-eabi libnewlib-arm-none-eabi
      binutils-arm-none-eabi binutils qemu-system-arm gdb-multiarch python3 python3-numpy
      chromium)   # chromium: tests/e2e/report_html.sh renders NET_report.html headless
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO="sudo"; else
        echo "install-deps: need root (or sudo) to apt-get install: ${missing[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
