#!/usr/bin/env bash
# Run the suite against the newest versions pyproject.toml allows (not the pins of constraints.txt), in a venv of
# its own (.venv-newest), to find out early when a new release of a library breaks Tongpin. Not part of CI (it
# downloads and installs everything afresh); run it before `bash scripts/lock.sh --upgrade`. docs/configuration.md.
# Usage: bash scripts/test-newest.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-packages.sh --browser

PYTHON="${PYTHON:-python3}"
[ -x .venv-newest/bin/python ] || "$PYTHON" -m venv .venv-newest
.venv-newest/bin/python -m pip install -q --upgrade pip
.venv-newest/bin/python -m pip install -q --upgrade --upgrade-strategy eager -e ".[test]"
echo "== newest allowed versions, where they differ from constraints.txt =="
normalise() { tr 'A-Z_' 'a-z-' | sort; }
.venv-newest/bin/python -m pip freeze --exclude-editable | normalise > .venv-newest/installed.txt
grep -E '^[A-Za-z0-9]' constraints.txt | normalise | diff - .venv-newest/installed.txt | grep '^>' || echo "(none)"
.venv-newest/bin/python -m pytest -p no:cacheprovider "$@"
