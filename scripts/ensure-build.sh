#!/usr/bin/env bash
# Installs npm packages when missing or stale, then compiles src/ to dist/. Sourced by the other scripts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  printf '==> installing npm packages (npm ci)\n' >&2
  npm ci --no-audit --no-fund >&2
fi
printf '==> building (tsc)\n' >&2
npx tsc -p tsconfig.json >&2
