#!/usr/bin/env bash
# Install Tongpin into .venv and run it with demo data on the embedded default (SQLite in ./var).
# Usage: bash scripts/demo.sh [serve options, e.g. --port 8080]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# Pango and the Noto CJK fonts let WeasyPrint print the partner journal in Chinese, espeak-ng speaks warnings;
# not fatal if apt is unavailable.
if ! fc-list 2>/dev/null | grep -qi "noto.*cjk" || ! ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0" \
   || ! command -v espeak-ng >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
      fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 espeak-ng >/dev/null; } \
    || echo "note: could not install fonts-noto-cjk/pango/espeak-ng; journal PDFs and spoken warnings need them" >&2
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
exec .venv/bin/tongpin serve --demo "$@"
