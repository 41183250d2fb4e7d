#!/usr/bin/env bash
# Install chronique into .venv from the committed lock (the exact versions CI tested).
#   bash scripts/install.sh          what `chronique` needs to run
#   bash scripts/install.sh --test   also the test and lint tools, and Debian's Chromium for the browser tests
#                                    (installed with apt-get when this user is root; otherwise it says what is missing)
set -euo pipefail
cd "$(dirname "$0")/.."
lock=requirements.lock
if [ "${1:-}" = "--test" ]; then
  lock=requirements-test.lock
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
      echo "install.sh: Debian's chromium is missing and this user cannot apt-get install it;" \
        "the browser tests will fail (sudo apt-get install chromium chromium-driver)" >&2
    fi
  fi
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
# Hash-checked install of the lock, then chronique itself without resolving anything again. pip is pinned
# first: the one venv brings (23.2) lets a dependency's extra (justext's lxml[html_clean]) pick a newer lxml
# than the lock's, and then refuses it as unpinned.
.venv/bin/python -m pip install -q --require-hashes -r requirements-pip.lock
.venv/bin/python -m pip install -q --require-hashes -r "$lock"
.venv/bin/python -m pip install -q --no-deps -e .
