#!/usr/bin/env bash
# Install everything the tests need (pinned versions from constraints.txt), then run the whole suite on the
# embedded default (SQLite).
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-packages.sh --browser

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c constraints.txt -e ".[test]"

.venv/bin/ruff check src tests bench scripts
.venv/bin/python -m pytest "$@"
