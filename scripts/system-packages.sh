#!/usr/bin/env bash
# Debian packages Tongpin needs beside Python: Pango and the Noto CJK fonts for WeasyPrint (the printed journal and
# reports in Chinese), espeak-ng for spoken warnings; with --browser also Chromium for the browser tests (Playwright
# drives the system browser) and PostgreSQL's client tools (pg_dump/pg_restore, for the backup tests). Installs only
# what is missing; exits non-zero if apt fails.
# Usage: bash scripts/system-packages.sh [--browser]
set -euo pipefail
packages=(fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 espeak-ng)
missing=0
fc-list 2>/dev/null | grep -qi "noto.*cjk" || missing=1
ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0" || missing=1
command -v espeak-ng >/dev/null || missing=1
if [ "${1:-}" = "--browser" ]; then
  packages+=(chromium postgresql-client)
  [ -x /usr/bin/chromium ] || missing=1
  command -v pg_dump >/dev/null || missing=1
fi
[ "$missing" = 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${packages[@]}" >/dev/null
