#!/usr/bin/env bash
# Install everything the tests need, then run the whole suite on the embedded default (SQLite).
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium and CJK fonts for the browser tests (Playwright drives the system browser); Pango for
# WeasyPrint (the printed journal's PDF); espeak-ng for spoken warnings; pg_dump/pg_restore for the backup tests.
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto.*cjk" \
   || ! ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0" || ! command -v espeak-ng >/dev/null \
   || ! command -v pg_dump >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 espeak-ng \
    postgresql-client >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"

.venv/bin/ruff check src tests bench
.venv/bin/python -m pytest "$@"
