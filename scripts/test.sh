#!/usr/bin/env bash
# The whole test suite, as the README's Quick start and CI run it. Installs what is missing on first use
# and caches it (npm packages, kubeconform, the Kubernetes OpenAPI document, the test API server), starts
# the test cluster, runs every tap test with the real tools on PATH, and stops the cluster again.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-build.sh
bash scripts/install-tools.sh
export PATH="$PWD/.tools/bin:$PATH"

# The same Kubernetes release serves as the test cluster and as the source of offline schemas.
export PHAROS_TEST_K8S_VERSION="${PHAROS_TEST_K8S_VERSION:-$(sed -n 's/^readonly PINNED_K8S_VERSION=//p' scripts/test-cluster.sh)}"
PHAROS_TEST_OPENAPI=$(bash scripts/fetch-openapi.sh "$PHAROS_TEST_K8S_VERSION")
export PHAROS_TEST_OPENAPI

cluster_export=$(bash scripts/test-cluster.sh start)
trap 'bash scripts/test-cluster.sh stop' EXIT
eval "$cluster_export"

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
