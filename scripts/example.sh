#!/usr/bin/env bash
# Quick start: render the bundled Flannel example (the spec's own files) through kubectl, as a user would.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-build.sh
export PATH="$PWD/bin:$PATH"
out=$(mktemp -d)/flannel-out
printf '==> kubectl pharos-net render -c examples/flannel/cluster.yml -o %s\n' "$out" >&2
kubectl pharos-net render -c examples/flannel/cluster.yml -o "$out"
printf '==> kubectl kustomize %s\n' "$out" >&2
kubectl kustomize "$out"
