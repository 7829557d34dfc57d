#!/usr/bin/env bash
# Install Tongpin into .venv and run it with demo data on the embedded default (SQLite in ./var).
# Usage: bash scripts/demo.sh [serve options, e.g. --port 8080]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
exec .venv/bin/tongpin serve --demo "$@"
