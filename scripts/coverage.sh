#!/usr/bin/env bash
# npm run coverage: the suite as `npm test` runs it (scripts/test.sh: tools on PATH, PHAROS_TEST_OPENAPI, the
# test cluster), with coverage of both layers merged into one report on src/ (scripts/coverage-report.mjs):
# tap's coverage of the in-process tests, and V8's coverage (NODE_V8_COVERAGE) of every node process the
# tests spawn, i.e. the built CLI in dist/, mapped back to src/ through the bundle's source maps. The
# cluster and deploy code runs only there. Arguments go to tap: `npm run coverage -- test/e2e/cluster.ts`.
set -euo pipefail
cd "$(dirname "$0")/.."

rm -rf coverage .tap/coverage
mkdir -p coverage/v8
status=0
# Every node process started from here writes its coverage (npm, tsc and tap's too; the report keeps dist/).
NODE_V8_COVERAGE="$PWD/coverage/v8" bash scripts/test.sh --no-disable-coverage --coverage-report=none --allow-incomplete-coverage "$@" || status=$?
node scripts/coverage-report.mjs
exit "$status"
