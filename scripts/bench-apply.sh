#!/usr/bin/env bash
# Benchmark (not a test): `kubectl pharos-net apply` against a bare `kubectl apply --server-side` of the
# same rendered stream (`render --stdout`: the same documents, byte for byte, that our apply sends after its
# record, which puts Namespaces and CRDs first), with the same field manager, on a test API server of its
# own (scripts/test-cluster.sh),
# alternating in one run. Both run in the steady state: one warm-up apply has created the objects, so every
# measured apply of either is a no-op for the server, and our schema cache is filled. Prints the medians
# and the median of the per-pair ratios.
#   [BENCH_APPLY_BASELINE=DIR] scripts/bench-apply.sh [REPETITIONS] [CORPUS_FILE]
# BENCH_APPLY_BASELINE adds a row for the default apply of another checkout, built (a commit before a change).
# Rows: our default command (live preflight, validation against the cluster's schemas, apply, prune), and
# the same with --skip-preflight, the comparable row: bare kubectl runs no preflight, and validation has no
# switch. (No --no-prune row: it writes the stack's record without kinds, and the next prune would list
# every resource again, which is not the steady state.)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh

reps=${1:-7}
corpus=${2:-../shared/corpus/calico/calico.yaml}

bash scripts/ensure-build.sh
bash scripts/install-tools.sh
export PATH=$PWD/.tools/bin:$PATH

work=$(mktemp -d)
export PHAROS_TEST_CLUSTER_DIR=$work/cluster
cleanup() {
  bash scripts/test-cluster.sh stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
eval "$(bash scripts/test-cluster.sh start)"
export XDG_CACHE_HOME=$work/cache

# The manifest as a user's repository holds it: beside cluster.yml (test/helpers/corpus.ts does the same).
mkdir -p "$work/project/net"
cp "$corpus" "$work/project/net/"
printf 'network:\n  provider: custom\n  custom:\n    manifest_path: ./net/%s\n' "$(basename "$corpus")" >"$work/project/cluster.yml"
repo=$PWD
tool() { (cd "$work/project" && node "$repo/bin/kubectl-pharos_net" "$@"); }
tool render -q -c cluster.yml --stdout >"$work/set.yaml"
bare_args=(apply --server-side --field-manager=kubectl-pharos-net --force-conflicts -f "$work/set.yaml")

# Warm-up: creates every object and fills our schema cache; kubectl's own caches fill too.
tool apply -q -c cluster.yml >/dev/null
kubectl "${bare_args[@]}" >/dev/null

now() { date +%s%N; }
# Each row: its label, then the command. Row 0 is the peer the ratios are taken against.
labels=('kubectl apply --server-side (bare)' 'kubectl pharos-net apply' 'kubectl pharos-net apply --skip-preflight')
run_row() {
  case $1 in
    0) kubectl "${bare_args[@]}" ;;
    1) tool apply -q -c cluster.yml ;;
    2) tool apply -q -c cluster.yml --skip-preflight ;;
    3) (cd "$work/project" && node "$baseline/bin/kubectl-pharos_net" apply -q -c cluster.yml) ;;
  esac
}
# BENCH_APPLY_BASELINE=DIR: also the default apply of another checkout (built), e.g. the commit before a change.
baseline=${BENCH_APPLY_BASELINE:-}
if [ -n "$baseline" ]; then
  labels+=("kubectl pharos-net apply of $(git -C "$baseline" rev-parse --short HEAD 2>/dev/null || basename "$baseline")")
  run_row 3 >/dev/null
fi
rows=${#labels[@]}
for row in $(seq 0 $((rows - 1))); do : >"$work/ms-$row"; : >"$work/ratio-$row"; done
for i in $(seq "$reps"); do
  line="  run $i/$reps:"
  for row in $(seq 0 $((rows - 1))); do
    t0=$(now)
    run_row "$row" >/dev/null
    ms=$(( ($(now) - t0) / 1000000 ))
    echo "$ms" >>"$work/ms-$row"
    line="$line $ms ms"
  done
  bare=$(tail -1 "$work/ms-0")
  for row in $(seq 0 $((rows - 1))); do awk -v o="$(tail -1 "$work/ms-$row")" -v b="$bare" 'BEGIN { print o / b }' >>"$work/ratio-$row"; done
  echo "$line" >&2
done
documents=$(grep -c '^kind: ' "$work/set.yaml")
printf 'corpus: %s (%s objects), steady state (after a warm-up apply), %s repetitions, medians\n' "$corpus" "$documents" "$reps"
for row in $(seq 0 $((rows - 1))); do
  printf '%-58s %6s ms  %5.2fx\n' "${labels[$row]}" "$(median <"$work/ms-$row")" "$(median <"$work/ratio-$row")"
done
echo '(ratios: median of the per-pair ratios against the bare kubectl apply of the same repetition)'
