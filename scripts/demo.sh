#!/usr/bin/env bash
# Install Tongpin into .venv (pinned versions from constraints.txt) and run it with demo data on the embedded
# default, SQLite in ./var of this checkout (TONGPIN_HOME=var; set TONGPIN_HOME to use another folder).
# Usage: bash scripts/demo.sh [serve options, e.g. --port 8080]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# Not fatal if apt is unavailable: only the journal PDFs and spoken warnings need these.
bash scripts/system-packages.sh \
  || echo "note: could not install fonts-noto-cjk/pango/espeak-ng; journal PDFs and spoken warnings need them" >&2
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c constraints.txt -e .
export TONGPIN_HOME="${TONGPIN_HOME:-$PWD/var}"
# The command line reads the same data only when told where it is (its default is the user's data folder).
echo "命令行（tongpin check、token、backup …）使用这份演示数据：export TONGPIN_HOME=$TONGPIN_HOME" >&2
echo "For the command line (tongpin check, token, backup …) on this demo's data: export TONGPIN_HOME=$TONGPIN_HOME" >&2
exec .venv/bin/tongpin serve --demo "$@"
