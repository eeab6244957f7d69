#!/bin/sh
# Makes sure the browser the Web UI test drives (Debian's headless `chromium`) is on this
# machine before the suite runs. `make test` calls it, so `.ci/run` does too: one place.
#
# - already on PATH: nothing to do;
# - missing, and we can install as root with apt-get: apt-get update, then install it;
# - missing, and we cannot: stop with one line saying exactly what to install and how.
set -eu

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi

as_root=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        as_root="sudo -n"
    else
        echo "make test: the Web UI test needs Debian's headless Chromium, which is not installed;" \
             "run as root: apt-get update && apt-get install -y chromium" >&2
        exit 1
    fi
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "make test: the Web UI test needs a Chromium browser on PATH as 'chromium' and this" \
         "machine has no apt-get; install Chromium with its package manager" \
         "(Debian/Ubuntu: apt-get install -y chromium)" >&2
    exit 1
fi

echo "make test: installing Debian's chromium for the Web UI test (once; about a minute)" >&2
$as_root apt-get update -q
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

if ! command -v chromium >/dev/null 2>&1; then
    echo "make test: apt-get installed chromium but it is not on PATH; look at the output above" >&2
    exit 1
fi
