#!/usr/bin/env bash
# Installs npm packages when missing or stale, then type-checks src/ and bundles it into dist/. Sourced by the other scripts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  printf '==> installing npm packages (npm ci)\n' >&2
  npm ci --no-audit --no-fund >&2
fi
printf '==> building (tsc, esbuild)\n' >&2
npx tsc -p tsconfig.json >&2
node scripts/bundle.mjs >&2
