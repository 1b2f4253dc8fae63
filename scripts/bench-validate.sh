#!/usr/bin/env bash
# Benchmark (not a test): `kubectl pharos-net validate` against bare kubeconform on the same files and the
# same schemas, in the same run, alternating, several repetitions. Prints the medians and their ratio,
# and Node's own start-up time, which our figure includes and kubeconform's does not.
#   scripts/bench-validate.sh [REPETITIONS] [CORPUS_FILE] [COPIES]
# COPIES > 1 validates that many copies of the file, each object renamed, to see how the figures scale.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh

reps=${1:-7}
corpus=${2:-../shared/corpus/calico/calico.yaml}
copies=${3:-1}
version=$(sed -n 's/^readonly PINNED_K8S_VERSION=//p' scripts/test-cluster.sh)

bash scripts/ensure-build.sh
bash scripts/install-tools.sh
kubeconform=$PWD/.tools/bin/kubeconform
openapi=$(bash scripts/fetch-openapi.sh "$version")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A manifest path stays inside the folder holding cluster.yml: the file is copied beside it.
mkdir -p "$work/net"
cp "$corpus" "$work/net/"
printf 'network:\n  provider: custom\n  custom:\n    manifest_path: ./net/%s\n' "$(basename "$corpus")" >"$work/cluster.yml"
tool() { node bin/kubectl-pharos_net "$@"; }
bundle_floor scripts/bench-validate-floor.mjs "$work/floor.mjs"
tool render -q -c "$work/cluster.yml" --stdout >"$work/one.yaml"
for copy in $(seq "$copies"); do
  if [ "$copies" -eq 1 ]; then cat "$work/one.yaml"; else sed -E "s/^  name: (.*)$/  name: \1-copy$copy/" "$work/one.yaml"; fi
  [ "$copy" -eq "$copies" ] || echo ---
done >"$work/set.yaml"
tool schemas -q --from-openapi "$openapi" --kubernetes-version "$version" -d "$work/schemas"
# Bare kubeconform gets the set's CRD schemas ready-made; our validate derives them on every run.
tool schemas -q --crds "$work/set.yaml" --kubernetes-version "$version" -d "$work/crds"

# A set that does not validate clean would time error paths, not validation.
tool validate "$work/set.yaml" --kubeconform "$kubeconform" --schema-location "$work/schemas" -q >/dev/null ||
  { echo "bench-validate: $corpus does not validate clean; pick another file" >&2; exit 1; }

now() { date +%s%N; }
: >"$work/ours"; : >"$work/bare"; : >"$work/node"; : >"$work/floor"
bare_args=(-strict -summary -output json -kubernetes-version "$version" -schema-location "$work/schemas" -schema-location "$work/crds" "$work/set.yaml")
for i in $(seq "$reps"); do
  t0=$(now)
  "$kubeconform" "${bare_args[@]}" >/dev/null
  t1=$(now)
  tool validate "$work/set.yaml" --kubeconform "$kubeconform" --schema-location "$work/schemas" -o json >/dev/null
  t2=$(now)
  node -e ''
  t3=$(now)
  node "$work/floor.mjs" "$kubeconform" "${bare_args[@]}" >/dev/null
  t4=$(now)
  echo $(( (t1 - t0) / 1000000 )) >>"$work/bare"
  echo $(( (t2 - t1) / 1000000 )) >>"$work/ours"
  echo $(( (t3 - t2) / 1000000 )) >>"$work/node"
  echo $(( (t4 - t3) / 1000000 )) >>"$work/floor"
  printf '  run %s/%s: kubeconform %s ms, validate %s ms, floor %s ms\n' "$i" "$reps" \
    "$(tail -1 "$work/bare")" "$(tail -1 "$work/ours")" "$(tail -1 "$work/floor")" >&2
done
bare=$(median <"$work/bare"); ours=$(median <"$work/ours"); node_ms=$(median <"$work/node"); floor=$(median <"$work/floor")
documents=$(grep -c '^kind: ' "$work/set.yaml")
printf 'corpus: %s x %s (%s objects), %s repetitions, medians\n' "$corpus" "$copies" "$documents" "$reps"
printf 'bare kubeconform:                   %6s ms\n' "$bare"
printf 'kubectl pharos-net validate:        %6s ms\n' "$ours"
printf 'node start-up alone:                %6s ms\n' "$node_ms"
printf 'floor (node + execa + kubeconform): %6s ms\n' "$floor"
awk -v o="$ours" -v b="$bare" -v n="$node_ms" -v f="$floor" 'BEGIN {
  printf "ratio validate/kubeconform: %.2fx; without node start-up: %.2fx\n", o / b, (o - n) / b
  printf "ratio floor/kubeconform:    %.2fx; without node start-up: %.2fx\n", f / b, (f - n) / b
  printf "ratio validate/floor:       %.2fx\n", o / f }'
