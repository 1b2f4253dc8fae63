#!/usr/bin/env bash
# The whole test suite, as the README's Quick start and CI run it: installs what is missing on first use
# (npm packages, external tools), builds, then runs every tap test with the real tools on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-build.sh

mkdir -p .tap
if [ -t 1 ]; then
  npx tap "$@"
else
  # Without a terminal, print plain TAP and close with a one-line count that any log reader understands.
  status=0
  npx tap --reporter=tap "$@" | tee .tap/last-run.tap || status=$?
  node scripts/tap-summary.mjs .tap/last-run.tap
  exit "$status"
fi
