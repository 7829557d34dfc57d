#!/usr/bin/env bash
# Regenerate constraints.txt: the exact versions of every runtime dependency and of the `test` extra, resolved by
# uv for CPython 3.11 on Linux (x86_64) from the ranges in pyproject.toml. scripts/demo.sh, scripts/test.sh and
# CI install with `pip install -c constraints.txt`, so every machine runs the same set (docs/configuration.md).
#
# Usage: bash scripts/lock.sh             keep the pinned versions that still satisfy pyproject.toml
#        bash scripts/lock.sh --upgrade   move everything to the newest versions pyproject.toml allows
#        bash scripts/lock.sh --upgrade-package weasyprint   only that package (and what it needs)
# Then run bash scripts/test.sh and commit constraints.txt with the pyproject.toml change.
set -euo pipefail
cd "$(dirname "$0")/.."

UV="$(command -v uv || true)"
if [ -z "$UV" ]; then
  # uv from PyPI in a throwaway venv: nothing is installed beside the project.
  tool_venv="$(mktemp -d)"
  trap 'rm -rf "$tool_venv"' EXIT
  "${PYTHON:-python3}" -m venv "$tool_venv"
  "$tool_venv/bin/python" -m pip install -q uv
  UV="$tool_venv/bin/uv"
fi

output="$(mktemp)"
[ -f constraints.txt ] && cp constraints.txt "$output"  # the current pins are uv's preferences
"$UV" pip compile pyproject.toml --extra test \
  --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
  --custom-compile-command "bash scripts/lock.sh" --quiet \
  --output-file "$output" "$@"
{
  echo "# Exact versions for CPython 3.11 on Linux: runtime dependencies and the \`test\` extra of pyproject.toml."
  echo "# Used as pip constraints (-c) by scripts/demo.sh, scripts/test.sh and .ci/run. Do not edit by hand:"
  echo "# regenerate with \`bash scripts/lock.sh\` (add --upgrade for the newest allowed versions), see"
  echo "# docs/configuration.md. scripts/test-newest.sh runs the suite without these pins."
  cat "$output"  # uv rewrites the whole file: its own header, then the pins
} > constraints.txt
rm -f "$output"
echo "wrote constraints.txt ($(grep -c '^[a-zA-Z]' constraints.txt) packages)"
