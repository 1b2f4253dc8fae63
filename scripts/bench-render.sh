#!/usr/bin/env bash
# Benchmark (not a test): `kubectl pharos-net render` against `helm template` (v3.22.0) and `kubectl kustomize`
# on the same objects, interleaved in one run, with Node.js start-up as the floor for the small example.
#   scripts/bench-render.sh [REPETITIONS] [SIZES]        (SIZES also from $BENCH_SIZES)
# SIZES is a comma-separated subset of example,40,400,4000 (default: all four):
#   example  the spec's Flannel example (examples/flannel/cluster.yml: 5 objects, one ERB template)
#   N        N files of 10 ConfigMaps each, generated here twice, as Liquid and as ERB templates reading
#            network.pod_network_cidr and network.custom.options.log_level, and once as a Helm chart
#            reading the same values from its values.yaml
# Each repetition runs every peer of a size once, in an order rotated by one each time; the table shows
# the median wall time and the median peak RSS of each peer, and the median of the per-repetition ratios.
# 4000 runs max(3, REPETITIONS/2) repetitions (at most REPETITIONS): it takes seconds a run. kubectl
# kustomize is left out there: one build of the 40,000 objects took more than 3 minutes.
# Before timing, every peer's output is checked to hold the same objects (scripts/bench-render-same.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh

reps=${1:-7}
sizes=${2:-${BENCH_SIZES:-example,40,400,4000}}
fail() { printf 'bench-render: %s\n' "$*" >&2; exit 2; }
[[ $reps =~ ^[1-9][0-9]*$ ]] || fail "REPETITIONS must be a positive integer, not '$reps'"
IFS=, read -r -a size_list <<<"$sizes"
for size in "${size_list[@]}"; do
  [[ $size =~ ^(example|40|400|4000)$ ]] || fail "unknown size '$size' (example, 40, 400, 4000)"
done
[ -x /usr/bin/time ] || fail "/usr/bin/time (GNU time) is missing; it measures peak RSS: apt-get install time"
command -v kubectl >/dev/null || fail "kubectl is missing; it is a peer (kubectl kustomize)"

bash scripts/ensure-build.sh
bash scripts/install-tools.sh
tool=$PWD/bin/kubectl-pharos_net
helm=$PWD/.tools/bin/helm3
helm_version=$(cat .tools/bin/.helm3.version)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# helm template of a local chart reads no repositories; keep it off the user's Helm settings all the same.
export HELM_CACHE_HOME=$work/helm/cache HELM_CONFIG_HOME=$work/helm/config HELM_DATA_HOME=$work/helm/data

# Node's floor, started as our bin is: an executable file with the same shebang, loaded as an ES module
# (package.json "type": "module", as ours), with nothing in it.
mkdir -p "$work/floor/bin"
printf '{ "type": "module" }\n' >"$work/floor/package.json"
printf '#!/usr/bin/env node\n' >"$work/floor/bin/floor"
chmod +x "$work/floor/bin/floor"

# The YAML library's floor (scripts/bench-render-floor.mjs), bundled like the CLI: parse every document of
# our output folder and write it back out; no render can take less than that with `yaml`.
bundle_floor scripts/bench-render-floor.mjs "$work/yaml-floor.mjs"

progress() { if [ -t 2 ]; then printf '%s\n' "$*" >&2; fi; }

# Sets of FILES files x 10 ConfigMaps: the same objects as Liquid, as ERB, and as a Helm chart, which writes
# the label our render adds (pharos.kontena.io/stack) itself.
generate_set() {
  local dir=$1 files=$2
  mkdir -p "$dir/liquid" "$dir/erb" "$dir/chart/templates"
  for engine in liquid erb; do
    printf 'network:\n  provider: custom\n  pod_network_cidr: 10.244.0.0/16\n  custom:\n    manifest_path: ./%s/\n    options:\n      log_level: info\n' \
      "$engine" >"$dir/cluster-$engine.yml"
  done
  printf 'apiVersion: v2\nname: bench\nversion: 0.1.0\n' >"$dir/chart/Chart.yaml"
  printf 'podNetworkCidr: 10.244.0.0/16\noptions:\n  logLevel: info\n' >"$dir/chart/values.yaml"
  awk -v files="$files" -v dir="$dir" 'BEGIN {
    for (f = 1; f <= files; f++) {
      liquid = sprintf("%s/liquid/%04d-app.yml.liquid", dir, f)
      erb = sprintf("%s/erb/%04d-app.yml.erb", dir, f)
      helm = sprintf("%s/chart/templates/%04d-app.yaml", dir, f)
      for (i = 1; i <= 10; i++) {
        head = sprintf("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-%04d-%02d\n  namespace: bench\n" \
          "  labels:\n    app.kubernetes.io/name: app-%04d\n    app.kubernetes.io/component: part-%02d\n" \
          "    app.kubernetes.io/part-of: bench\n", f, i, f, i)
        tail = sprintf("  replica-index: \"%d\"\n  settings.json: |\n" \
          "    {\"app\": \"app-%04d\", \"part\": %d, \"retries\": 5, \"timeoutSeconds\": 30}\n", i, f, i)
        printf "%sdata:\n  pod-network-cidr: \"{{ cluster_config.network.pod_network_cidr }}\"\n" \
          "  log-level: \"{{ cluster_config.network.custom.options.log_level }}\"\n%s", head, tail >liquid
        printf "%sdata:\n  pod-network-cidr: \"<%%= cluster_config.network.pod_network_cidr %%>\"\n" \
          "  log-level: \"<%%= cluster_config.network.custom.options[\x27log_level\x27] %%>\"\n%s", head, tail >erb
        printf "%s    pharos.kontena.io/stack: custom-network\ndata:\n  pod-network-cidr: \"{{ .Values.podNetworkCidr }}\"\n" \
          "  log-level: \"{{ .Values.options.logLevel }}\"\n%s", head, tail >helm
      }
      close(liquid); close(erb); close(helm)
    }
  }'
}

# The example's chart: our render's stream, one template per object, with the pod network CIDR read from
# values.yaml, so that helm templates as well.
generate_example() {
  local dir=$1 cidr
  mkdir -p "$dir/chart/templates"
  cp examples/flannel/cluster.yml "$dir/cluster-erb.yml"
  cp -R examples/flannel/flannel "$dir/flannel"
  cidr=$(sed -n 's/^  pod_network_cidr: //p' "$dir/cluster-erb.yml")
  "$tool" render -q -c "$dir/cluster-erb.yml" --stdout >"$dir/stream.yaml"
  grep -qF '{{' "$dir/stream.yaml" && fail "the example's rendered objects hold '{{'; helm would read it as a template"
  grep -qF "\"$cidr\"" "$dir/stream.yaml" || fail "the example's rendered objects do not hold the pod network CIDR $cidr"
  awk -v dir="$dir/chart/templates" -v cidr="\"$cidr\"" '
    BEGIN { gsub(/[.]/, "[.]", cidr) }
    /^---$/ { if (out) close(out); out = sprintf("%s/%02d.yaml", dir, ++n); print > out; next }
    { gsub(cidr, "\"{{ .Values.podNetworkCidr }}\""); print > out }' \
    <(case $(head -1 "$dir/stream.yaml") in ---) ;; *) echo ---;; esac; cat "$dir/stream.yaml")
  printf 'apiVersion: v2\nname: bench\nversion: 0.1.0\n' >"$dir/chart/Chart.yaml"
  printf 'podNetworkCidr: %s\n' "$cidr" >"$dir/chart/values.yaml"
}

# peer_command SIZE_DIR PEER sets `argv` to the peer's command line. Our -o DIR renders into the same folder
# each time: the folder the previous run wrote, which render replaces (as re-rendering a GitOps folder does).
peer_command() {
  local dir=$1 peer=$2
  case $peer in
    o-liquid | o-erb) argv=("$tool" render -q -c "$dir/cluster-${peer#o-}.yml" -o "$dir/out-${peer#o-}") ;;
    stdout-liquid | stdout-erb) argv=("$tool" render -q -c "$dir/cluster-${peer#stdout-}.yml" --stdout) ;;
    helm) argv=("$helm" template bench "$dir/chart") ;;
    kustomize) argv=(kubectl kustomize "$dir/out-erb") ;;
    version) argv=("$tool" --version) ;;
    floor) argv=("$work/floor/bin/floor") ;;
    node) argv=(node -e 0) ;;
    yaml-floor) argv=(node "$work/yaml-floor.mjs" "$dir/out-erb") ;;
  esac
}

# measure SIZE_DIR PEER: one run, stdout discarded; appends microseconds and KiB to the peer's files.
# The clock is bash's $EPOCHREALTIME, read without starting a process (`date` would add its own start-up
# to every figure); /usr/bin/time's exec is in every peer's figure alike.
measure() {
  local dir=$1 peer=$2 start end
  peer_command "$dir" "$peer"
  start=${EPOCHREALTIME/./}
  if ! /usr/bin/time -f %M -o "$dir/rss" "${argv[@]}" >/dev/null 2>"$dir/stderr"; then
    cat "$dir/stderr" "$dir/rss" >&2
    fail "$peer failed: ${argv[*]}"
  fi
  end=${EPOCHREALTIME/./}
  echo $((end - start)) >>"$dir/$peer.us"
  tail -1 "$dir/rss" >>"$dir/$peer.kib"
}

# ratios TOP BOTTOM: the median of the per-repetition ratios of two peers' times.
ratios() { paste "$dir/$1.us" "$dir/$2.us" | awk '{ print $1 / $2 }' | median; }

declare -A ms mib ratio objects runs
for size in "${size_list[@]}"; do
  dir=$work/$size
  if [ "$size" = example ]; then
    generate_example "$dir"
    peers=(o-erb stdout-erb helm kustomize version floor node)
    size_reps=$reps
  else
    generate_set "$dir" "$size"
    peers=(o-liquid stdout-liquid o-erb stdout-erb helm kustomize yaml-floor)
    size_reps=$reps
    if [ "$size" = 4000 ]; then
      peers=(o-liquid stdout-liquid o-erb stdout-erb helm yaml-floor)
      size_reps=$((reps / 2 > 3 ? reps / 2 : 3))
      size_reps=$((size_reps < reps ? size_reps : reps))
    fi
  fi
  progress "==> $size: checking that every peer gives the same objects"
  outputs=()
  for engine in liquid erb; do
    [ -f "$dir/cluster-$engine.yml" ] || continue
    "$tool" render -q -c "$dir/cluster-$engine.yml" --stdout >"$dir/stream-$engine.yaml"
    "$tool" render -q -c "$dir/cluster-$engine.yml" -o "$dir/out-$engine"
    outputs+=("$dir/stream-$engine.yaml" "$dir/out-$engine")
  done
  if [[ " ${peers[*]} " = *" kustomize "* ]]; then
    kubectl kustomize "$dir/out-erb" >"$dir/kustomized.yaml"
    outputs+=("$dir/kustomized.yaml")
  fi
  "$helm" template bench "$dir/chart" >"$dir/helm.yaml"
  objects[$size]=$(node scripts/bench-render-same.mjs "$dir/helm.yaml" "${outputs[@]}") ||
    fail "$size: the peers' outputs differ; the comparison would not be fair"
  progress "    ${objects[$size]}"
  runs[$size]=$size_reps
  for i in $(seq "$size_reps"); do
    line=
    for j in "${!peers[@]}"; do
      peer=${peers[$(((i + j) % ${#peers[@]}))]}
      measure "$dir" "$peer"
      line+=" $peer $(($(tail -1 "$dir/$peer.us") / 1000))"
    done
    progress "    run $i/$size_reps (ms):$line"
  done
  for peer in "${peers[@]}"; do
    ms[$size,$peer]=$(awk '{ print $1 / 1000 }' "$dir/$peer.us" | median)
    mib[$size,$peer]=$(awk '{ print $1 / 1024 }' "$dir/$peer.kib" | median)
  done
  for peer in o-liquid stdout-liquid o-erb stdout-erb; do
    [ -f "$dir/$peer.us" ] || continue
    ratio[$size,$peer,helm]=$(ratios "$peer" helm)
    [ "$size" = example ] && ratio[$size,$peer,floor]=$(ratios "$peer" floor)
    [ -f "$dir/yaml-floor.us" ] && ratio[$size,$peer,yaml-floor]=$(ratios "$peer" yaml-floor)
  done
  [ "$size" = example ] && ratio[$size,version,floor]=$(ratios version floor)
  [ -f "$dir/yaml-floor.us" ] && ratio[$size,yaml-floor,helm]=$(ratios yaml-floor helm)
done

# The table: a column for each size, a row for each peer; "-" where a peer does not run at that size.
thousands() { sed -E ':a; s/^([0-9]+)([0-9]{3})/\1,\2/; ta' <<<"$1"; }
label() {
  case $1 in
    example) echo "the spec's example" ;;
    *) echo "$(thousands "$1") files × 10" ;;
  esac
}
peer_label() {
  case $1 in
    o-liquid) echo '`render -o DIR`, Liquid' ;;
    stdout-liquid) echo '`render --stdout`, Liquid' ;;
    o-erb) echo '`render -o DIR`, ERB' ;;
    stdout-erb) echo '`render --stdout`, ERB' ;;
    helm) echo "\`helm template\` $helm_version" ;;
    kustomize) echo '`kubectl kustomize` of our folder' ;;
    version) echo '`--version`' ;;
    floor) echo 'Node.js floor (empty file, same shebang)' ;;
    node) echo '`node -e 0`' ;;
    yaml-floor) echo '`yaml` floor: parse and write out only' ;;
  esac
}
cell() {
  if [ -n "${ms[$1,$2]:-}" ]; then printf '%s ms, %.0f MiB' "$(thousands "$(printf '%.0f' "${ms[$1,$2]}")")" "${mib[$1,$2]}"; else echo -; fi
}
ratio_cell() { if [ -n "${ratio[$1,$2,$3]:-}" ]; then printf '%.2f×' "${ratio[$1,$2,$3]}"; else echo -; fi; }

line="| median: wall, peak RSS |"
rule="|---|"
for size in "${size_list[@]}"; do
  line+=" $(label "$size") ($(thousands "$(cut -d' ' -f1 <<<"${objects[$size]}")") objects, ${runs[$size]} runs) |"
  rule+="---|"
done
printf '%s\n%s\n' "$line" "$rule"
for peer in o-liquid stdout-liquid o-erb stdout-erb helm kustomize yaml-floor version floor node; do
  line="| $(peer_label "$peer") |"
  shown=
  for size in "${size_list[@]}"; do
    line+=" $(cell "$size" "$peer") |"
    [ -n "${ms[$size,$peer]:-}" ] && shown=yes
  done
  [ -z "$shown" ] || echo "$line"
done
for peer in o-liquid stdout-liquid o-erb stdout-erb yaml-floor version; do
  for peer_of in helm floor yaml-floor; do
    [ "$peer" = version ] && [ $peer_of = helm ] && continue
    [ "$peer" = yaml-floor ] && [ $peer_of = yaml-floor ] && continue
    line="| $(peer_label "$peer") / $(peer_label "$peer_of" | sed 's/ (.*//; s/:.*//') |"
    shown=
    for size in "${size_list[@]}"; do
      line+=" $(ratio_cell "$size" "$peer" "$peer_of") |"
      [ -n "${ratio[$size,$peer,$peer_of]:-}" ] && shown=yes
    done
    [ -z "$shown" ] || echo "$line"
  done
done

# The targets of issue 13.
verdicts=0 checks=0
check() { # DESCRIPTION VALUE LIMIT UNIT
  local met=met
  checks=$((checks + 1))
  awk -v v="$2" -v l="$3" 'BEGIN { exit !(v <= l) }' || { met='not met'; verdicts=$((verdicts + 1)); }
  printf -- '- %s: %s%s (target: at most %s%s): **%s**\n' "$1" "$2" "$4" "$3" "$4" "$met"
}
echo
echo "Targets of issue 13:"
for size in 400 4000; do
  for peer in o-liquid stdout-liquid o-erb stdout-erb; do
    [ -n "${ratio[$size,$peer,helm]:-}" ] &&
      check "$(label "$size"): $(peer_label "$peer") / \`helm template\`" "$(printf '%.2f' "${ratio[$size,$peer,helm]}")" 1.0 ×
  done
done
for peer in o-erb stdout-erb version; do
  [ -n "${ratio[example,$peer,floor]:-}" ] || continue
  limit=1.5; [ "$peer" = version ] && limit=1.2
  check "$(label example): $(peer_label "$peer") / Node.js floor" "$(printf '%.2f' "${ratio[example,$peer,floor]}")" $limit ×
done
if [ -n "${ms[4000,helm]:-}" ] && [ -n "${ms[400,helm]:-}" ]; then
  for peer in o-liquid stdout-liquid o-erb stdout-erb; do
    check "40,000 objects / 4,000: $(peer_label "$peer")" \
      "$(awk -v a="${ms[4000,$peer]}" -v b="${ms[400,$peer]}" 'BEGIN { printf "%.2f", a / b }')" 11 ×
  done
fi
for size in "${size_list[@]}"; do
  for peer in o-liquid stdout-liquid o-erb stdout-erb; do
    [ -n "${mib[$size,$peer]:-}" ] &&
      check "$(label "$size"): $(peer_label "$peer") peak RSS, at most \`helm template\`'s" \
        "$(printf '%.0f' "${mib[$size,$peer]}")" "$(printf '%.0f' "${mib[$size,helm]}")" ' MiB'
  done
done
echo
echo "$verdicts of $checks targets not met."
