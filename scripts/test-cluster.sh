#!/usr/bin/env bash
# A throwaway Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) on 127.0.0.1 for the
# end-to-end tests. There is no Docker engine and no release download here, so the binaries are compiled
# from the Go module proxy once and cached; see design §12.
set -euo pipefail

readonly PROGRAM=${0##*/}
# Pinned: the newest v1.32 patch the module proxy serves, one minor version from the machine's kubectl at most.
readonly PINNED_K8S_VERSION=1.32.13
K8S_VERSION=${PHAROS_TEST_K8S_VERSION:-$PINNED_K8S_VERSION}
readonly K8S_VERSION=${K8S_VERSION#v}
readonly CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-pharos-net
readonly BUILD_DIR=$CACHE_ROOT/k8s-v$K8S_VERSION
readonly BIN_DIR=$BUILD_DIR/bin
readonly BINARIES=(etcd kube-apiserver kube-controller-manager)
readonly STATE_DIR=${PHAROS_TEST_CLUSTER_DIR:-${XDG_RUNTIME_DIR:-/tmp}/kubectl-pharos-net-cluster-$(id -u)}
readonly READY_TIMEOUT=${PHAROS_TEST_CLUSTER_TIMEOUT:-180}

usage() {
  cat <<EOF
Usage: $PROGRAM build|start|stop|status

A local Kubernetes control plane for the end-to-end tests: etcd, kube-apiserver and kube-controller-manager
v$K8S_VERSION on 127.0.0.1, without nodes (pods are recorded but never run).

  build   compile the binaries from the Go module proxy into $BIN_DIR
          (skipped when they are there; a cold build takes several minutes)
  start   build if needed, start the control plane and print 'export KUBECONFIG=...' on stdout;
          the kubeconfig has the contexts 'admin' (current, system:masters) and 'restricted' (view only).
          Starting a running cluster prints the same line again.
  stop    stop the processes and delete the cluster's data (the logs stay for a post-mortem)
  status  print whether the cluster runs and where; exit 0 when it runs, 1 when not

Environment:
  PHAROS_TEST_K8S_VERSION      Kubernetes release to build (default $PINNED_K8S_VERSION)
  PHAROS_TEST_CLUSTER_DIR      state directory: pids, certificates, data, logs, kubeconfig
                               (now $STATE_DIR)
  PHAROS_TEST_CLUSTER_TIMEOUT  seconds to wait for the API server to become ready (default 180)
  XDG_CACHE_HOME               the binaries go to \$XDG_CACHE_HOME/kubectl-pharos-net (default ~/.cache)

Exit codes: 0 success, 1 failure (or 'status': not running), 2 usage, 3 a required tool is missing.
EOF
}

# --- output -----------------------------------------------------------------------------------------------

# Everything but the export line goes to stderr. A terminal gets numbered steps with a live clock;
# a CI log gets one plain line per step and a heartbeat, since people read those logs too.
if [[ -t 2 ]]; then IS_TTY=1; else IS_TTY=0; fi
STEP=0
TICKER_PID=
LOCK_FDS=()

say() { printf '%s: %s\n' "$PROGRAM" "$*" >&2; }
warn() { printf '%s: warning: %s\n' "$PROGRAM" "$*" >&2; }
die() {
  local code=$1
  shift
  printf '%s: error: %s\n' "$PROGRAM" "$*" >&2
  exit "$code"
}

step() {
  STEP=$((STEP + 1))
  if ((IS_TTY)); then
    printf '\033[1m[%d]\033[0m %s\n' "$STEP" "$*" >&2
  else
    say "$*"
  fi
}

stop_ticker() {
  if [[ -n $TICKER_PID ]]; then
    kill "$TICKER_PID" 2>/dev/null || true
    wait "$TICKER_PID" 2>/dev/null || true
    TICKER_PID=
    if ((IS_TTY)); then printf '\r\033[K' >&2; fi
  fi
}
trap stop_ticker EXIT

# The ticker ticks every second, so that its last sleep outlives it by a second at most, and lets go of
# the locks, which it must not hold for that second either.
start_ticker() {
  local label=$1 started=$SECONDS
  (
    for fd in "${LOCK_FDS[@]}"; do exec {fd}>&-; done
    while sleep 1; do
      if ((IS_TTY)); then
        printf '\r    %s… %ds' "$label" $((SECONDS - started)) >&2
      elif (((SECONDS - started) % 120 == 0)); then
        say "still $label ($((SECONDS - started))s)"
      fi
    done
  ) &
  TICKER_PID=$!
}

# run_logged LABEL LOG COMMAND...: run COMMAND with its output appended to LOG, showing progress;
# on failure print the end of LOG and exit.
run_logged() {
  local label=$1 log=$2 started=$SECONDS status=0
  shift 2
  start_ticker "$label"
  "$@" >>"$log" 2>&1 || status=$?
  stop_ticker
  if ((status != 0)); then
    printf '%s: --- last lines of %s ---\n' "$PROGRAM" "$log" >&2
    tail -n 40 "$log" >&2
    die 1 "$label failed (exit $status); the whole output is in $log"
  fi
  if ((IS_TTY)); then
    printf '    done in %ds\n' $((SECONDS - started)) >&2
  else
    say "done in $((SECONDS - started))s"
  fi
}

need() {
  local tool=$1 why=$2
  command -v "$tool" >/dev/null 2>&1 || die 3 "'$tool' is not installed or not on PATH; it is needed $why"
}

# Serialise concurrent runs (parallel test files may all call 'start'); flock is optional.
lock() {
  local file=$1 fd
  command -v flock >/dev/null 2>&1 || return 0
  mkdir -p "$(dirname "$file")"
  exec {fd}>"$file"
  LOCK_FDS+=("$fd")
  if ! flock -n "$fd"; then
    say "waiting for another $PROGRAM run (lock $file)"
    flock "$fd"
  fi
}

# --- build ------------------------------------------------------------------------------------------------

binaries_present() {
  local name
  for name in "${BINARIES[@]}"; do
    [[ -x $BIN_DIR/$name ]] || return 1
  done
}

# The version actually built, which differs from K8S_VERSION when the proxy refused the pinned patch.
built_version() {
  cat "$BIN_DIR/RELEASE" 2>/dev/null || printf '%s\n' "$K8S_VERSION"
}

warn_on_kubectl_skew() {
  local json minor want=${K8S_VERSION#*.}
  want=${want%%.*}
  command -v kubectl >/dev/null 2>&1 || {
    warn "kubectl is not on PATH; the tests need one within one minor version of v$K8S_VERSION"
    return 0
  }
  json=$(kubectl version --client -o json 2>/dev/null) || true
  minor=$(sed -n 's/^ *"minor": *"\([0-9]*\).*/\1/p' <<<"$json" | head -n 1)
  if [[ -z $minor ]]; then
    warn "could not read the version of kubectl; it must be within one minor version of v$K8S_VERSION"
  elif ((minor - want > 1 || want - minor > 1)); then
    warn "kubectl is v1.$minor but the test cluster is v$K8S_VERSION; kubectl supports one minor version of skew," \
      "so set PHAROS_TEST_K8S_VERSION to a v1.$minor release"
  fi
}

# download_release VERSION: fetch k8s.io/kubernetes@vVERSION and print the path of its go.mod, or fail.
download_release() {
  local json
  # Run outside any module so that nothing but the download happens.
  json=$(cd "$BUILD_DIR" && go mod download -json "k8s.io/kubernetes@v$1" 2>/dev/null) || return 1
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"$json"
}

# resolve_release: set RELEASE and RELEASE_GOMOD, falling back to the neighbouring patch releases
# (nearest first) when the proxy refuses the pinned one.
resolve_release() {
  local major_minor=${K8S_VERSION%.*} patch=${K8S_VERSION##*.} distance candidate gomod
  for distance in 0 1 -1 2 -2 3 -3; do
    candidate=$((patch - distance))
    ((candidate >= 0)) || continue
    if gomod=$(download_release "$major_minor.$candidate") && [[ -n $gomod ]]; then
      RELEASE=$major_minor.$candidate
      RELEASE_GOMOD=$gomod
      if [[ $RELEASE != "$K8S_VERSION" ]]; then
        warn "the module proxy does not serve k8s.io/kubernetes v$K8S_VERSION; using v$RELEASE instead"
      fi
      return 0
    fi
  done
  (cd "$BUILD_DIR" && go mod download "k8s.io/kubernetes@v$K8S_VERSION") || true
  die 1 "the module proxy ($(go env GOPROXY)) serves no k8s.io/kubernetes release near v$K8S_VERSION;" \
    "check the network or set PHAROS_TEST_K8S_VERSION"
}

# unavailable_modules MODULE@VERSION...: print the modules the proxy refuses to serve (downloading the rest).
unavailable_modules() {
  (cd "$BUILD_DIR" && go mod download -json "$@" 2>/dev/null) |
    awk -F'"' '$2 == "Path" { path = $4 } $2 == "Error" { print path }' || true
}

# nearest_served_version MODULE vX.Y PATCH: the published vX.Y.* release of MODULE nearest to PATCH (lower
# first on a tie) that the proxy serves, or nothing.
nearest_served_version() {
  local module=$1 prefix=$2. patch=$3 candidate
  for candidate in $(cd "$BUILD_DIR" && go list -m -versions "$module" 2>/dev/null | tr ' ' '\n' |
    sed -n "s/^${prefix//./\\.}\([0-9][0-9]*\)$/\1/p" |
    awk -v p="$patch" '{ d = $1 - p; if (d < 0) d = -d; print d * 2 + ($1 > p), $1 }' | sort -n | cut -d' ' -f2); do
    if [[ -z $(unavailable_modules "$module@$prefix$candidate") ]]; then
      printf '%s%s\n' "$prefix" "$candidate"
      return 0
    fi
  done
}

# write_wrapper_module DIR: k8s.io/kubernetes cannot be built as a dependency as it is, because its go.mod
# points every staging module (k8s.io/api, k8s.io/client-go, …, required as v0.0.0) at ./staging. The wrapper
# requires the release and replaces each of those with its published v0.X.Y twin. A twin the proxy does not
# serve is replaced by its nearest served patch release, which is close enough for a test cluster.
write_wrapper_module() {
  local dir=$1 staging_version=v0.${RELEASE#*.} go_line godebug_line etcd_version modules module missing
  local substitute
  local -A versions=()
  go_line=$(awk '$1 == "go" { print; exit }' "$RELEASE_GOMOD")
  godebug_line=$(awk '$1 == "godebug" { print; exit }' "$RELEASE_GOMOD")
  etcd_version=$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$RELEASE_GOMOD")
  [[ -n $etcd_version ]] || die 1 "k8s.io/kubernetes v$RELEASE does not pin go.etcd.io/etcd/server/v3 in its go.mod"
  modules=$(awk '{ if ($1 == "require") { $1 = $2; $2 = $3 } }
                 $1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }' "$RELEASE_GOMOD" | sort -u)
  [[ -n $modules ]] || die 1 "found no k8s.io/* v0.0.0 staging modules in the go.mod of k8s.io/kubernetes v$RELEASE"
  ETCD_VERSION=$etcd_version

  for module in $modules; do versions[$module]=$staging_version; done
  # shellcheck disable=SC2046 # one argument per module
  missing=$(unavailable_modules $(for module in $modules; do printf '%s@%s ' "$module" "$staging_version"; done))
  for module in $missing; do
    substitute=$(nearest_served_version "$module" "${staging_version%.*}" "${staging_version##*.}")
    if [[ -n $substitute ]]; then
      warn "the module proxy does not serve $module $staging_version; using $substitute"
      versions[$module]=$substitute
    else
      warn "the module proxy serves no $module ${staging_version%.*}.x; the build fails if it is needed"
    fi
  done

  mkdir -p "$dir"
  {
    printf '// Generated by %s: builds the test control plane from k8s.io/kubernetes v%s.\n' "$PROGRAM" "$RELEASE"
    printf 'module kubectl-pharos-net/test-cluster\n\n%s\n' "$go_line"
    if [[ -n $godebug_line ]]; then printf '\n%s\n' "$godebug_line"; fi
    printf '\nrequire (\n\tk8s.io/kubernetes v%s\n\tgo.etcd.io/etcd/server/v3 %s\n)\n\nreplace (\n' \
      "$RELEASE" "$etcd_version"
    for module in $modules; do
      printf '\t%s => %s %s\n' "$module" "$module" "${versions[$module]}"
    done
    printf ')\n'
  } >"$dir/go.mod"
  rm -f "$dir/go.sum"
}

# download_dependencies MODULE_DIR PACKAGE...: fetch every module the packages import, recording go.sum, so
# that a refused download fails here with the proxy's message rather than in the middle of compiling.
download_dependencies() {
  go -C "$1" list -deps "${@:2}" >/dev/null
}

build() {
  warn_on_kubectl_skew
  lock "$BUILD_DIR.lock"
  if binaries_present; then
    say "v$(built_version) binaries are cached in $BIN_DIR"
    return 0
  fi
  need go "to build the test cluster (https://go.dev/dl/)"

  local started=$SECONDS module_dir=$BUILD_DIR/module log=$BUILD_DIR/build.log out=$BUILD_DIR/bin.partial
  local ldflags var minor build_date
  # The installed toolchain (no toolchain download) and no C compiler; only the module proxy is reached.
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"
  mkdir -p "$BUILD_DIR"
  : >"$log"
  say "building etcd, kube-apiserver and kube-controller-manager v$K8S_VERSION into $BIN_DIR" \
    "(a cold build takes several minutes; log: $log)"

  step "finding k8s.io/kubernetes v$K8S_VERSION on the module proxy"
  resolve_release
  write_wrapper_module "$module_dir"
  minor=${RELEASE#*.}
  minor=${minor%%.*}
  build_date=$(sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' "${RELEASE_GOMOD%.mod}.info" 2>/dev/null) || true
  ldflags="-s -w"
  for var in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $var.gitVersion=v$RELEASE -X $var.gitMajor=1 -X $var.gitMinor=$minor -X $var.gitTreeState=clean"
    if [[ -n $build_date ]]; then ldflags+=" -X $var.buildDate=$build_date"; fi
  done

  step "downloading the modules of k8s.io/kubernetes v$RELEASE and etcd $ETCD_VERSION"
  run_logged "downloading modules" "$log" download_dependencies "$module_dir" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager go.etcd.io/etcd/server/v3

  rm -rf "$out"
  mkdir -p "$out"
  step "compiling kube-apiserver and kube-controller-manager"
  run_logged "compiling kube-apiserver and kube-controller-manager" "$log" go -C "$module_dir" build -trimpath \
    -ldflags "$ldflags" -o "$out/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
  step "compiling etcd $ETCD_VERSION"
  run_logged "compiling etcd" "$log" go -C "$module_dir" build -trimpath -ldflags "-s -w" \
    -o "$out/etcd" go.etcd.io/etcd/server/v3

  printf '%s\n' "$RELEASE" >"$out/RELEASE"
  rm -rf "$BIN_DIR"
  mv "$out" "$BIN_DIR"
  say "built v$RELEASE in $(((SECONDS - started) / 60))m$(((SECONDS - started) % 60))s: $BIN_DIR"
}

# --- cluster ----------------------------------------------------------------------------------------------

readonly PKI_DIR=$STATE_DIR/pki
readonly LOG_DIR=$STATE_DIR/logs
readonly ETCD_DATA_DIR=$STATE_DIR/etcd-data
readonly KUBECONFIG_FILE=$STATE_DIR/kubeconfig
readonly SERVER_FILE=$STATE_DIR/server
readonly PROCESSES=(etcd kube-apiserver kube-controller-manager)
readonly SERVICE_CIDR=10.96.0.0/12
readonly RESTRICTED_BINDING=pharos-test-restricted-view

pid_file() { printf '%s/%s.pid\n' "$STATE_DIR" "$1"; }

# alive PID NAME: PID is a live process running the binary NAME (not a zombie, not a recycled pid).
alive() {
  local pid=$1 name=$2 state argv0
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ -r /proc/$pid/stat ]] || return 0
  state=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $state != Z ]] || return 1
  argv0=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n 1) || return 1
  [[ ${argv0##*/} == "$name" ]]
}

process_alive() {
  local pid
  pid=$(cat "$(pid_file "$1")" 2>/dev/null) || return 1
  alive "$pid" "$1"
}

server_url() { cat "$SERVER_FILE" 2>/dev/null; }

server_ready() {
  local url
  url=$(server_url) || return 1
  curl --silent --fail --max-time 5 --cacert "$PKI_DIR/ca.crt" "$url/readyz" >/dev/null 2>&1
}

cluster_running() {
  local name
  for name in "${PROCESSES[@]}"; do process_alive "$name" || return 1; done
  server_ready
}

anything_left() {
  local name
  for name in "${PROCESSES[@]}"; do [[ -e $(pid_file "$name") ]] && return 0; done
  [[ -e $ETCD_DATA_DIR || -e $PKI_DIR ]]
}

print_export() { printf 'export KUBECONFIG=%q\n' "$KUBECONFIG_FILE"; }

# free_port TAKEN...: a port nothing listens on at 127.0.0.1, below the usual ephemeral range.
free_port() {
  local port attempt taken=" $* "
  for attempt in $(seq 200); do
    port=$((20000 + (RANDOM + attempt) % 12000))
    [[ $taken != *" $port "* ]] || continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  die 1 "found no free port on 127.0.0.1"
}

write_pki() {
  local openssl_log=$LOG_DIR/openssl.log
  mkdir -p "$PKI_DIR"
  cat >"$PKI_DIR/openssl.cnf" <<'CONFIG'
[req]
distinguished_name = name
prompt = no
[name]
CN = kubectl-pharos-net test cluster
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[serving]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = IP:127.0.0.1, DNS:localhost, IP:10.96.0.1, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local
CONFIG
  {
    openssl req -x509 -config "$PKI_DIR/openssl.cnf" -extensions ca -newkey rsa:2048 -nodes -days 365 \
      -subj '/CN=kubectl-pharos-net test CA' -keyout "$PKI_DIR/ca.key" -out "$PKI_DIR/ca.crt" &&
      openssl req -new -config "$PKI_DIR/openssl.cnf" -newkey rsa:2048 -nodes -subj '/CN=kube-apiserver' \
        -keyout "$PKI_DIR/apiserver.key" -out "$PKI_DIR/apiserver.csr" &&
      openssl x509 -req -in "$PKI_DIR/apiserver.csr" -CA "$PKI_DIR/ca.crt" -CAkey "$PKI_DIR/ca.key" \
        -set_serial "0x$(openssl rand -hex 8)" -days 365 -extfile "$PKI_DIR/openssl.cnf" -extensions serving \
        -out "$PKI_DIR/apiserver.crt" &&
      openssl genrsa -out "$PKI_DIR/service-account.key" 2048
  } >"$openssl_log" 2>&1 || {
    tail -n 20 "$openssl_log" >&2
    die 1 "openssl could not create the certificates (log: $openssl_log)"
  }
}

# write_kubeconfig FILE URL ADMIN_TOKEN RESTRICTED_TOKEN
write_kubeconfig() {
  local ca_data
  ca_data=$(base64 <"$PKI_DIR/ca.crt" | tr -d '\n')
  cat >"$1" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: pharos-test
    cluster:
      server: $2
      certificate-authority-data: $ca_data
users:
  - name: admin
    user:
      token: $3
  - name: restricted
    user:
      token: $4
contexts:
  - name: admin
    context:
      cluster: pharos-test
      user: admin
  - name: restricted
    context:
      cluster: pharos-test
      user: restricted
current-context: admin
preferences: {}
KUBECONFIG
}

# launch NAME ARG...: start the binary NAME in its own session (so that it outlives this script and the
# terminal's signals), with its output in the logs and its pid recorded. It must not inherit the locks, or
# they would stay held as long as the cluster runs.
launch() {
  local name=$1
  shift
  (
    for fd in "${LOCK_FDS[@]}"; do exec {fd}>&-; done
    exec setsid "$BIN_DIR/$name" "$@" </dev/null >"$LOG_DIR/$name.log" 2>&1
  ) &
  printf '%s\n' "$!" >"$(pid_file "$name")"
}

# fail_start NAME MESSAGE: show the end of NAME's log, take down what was started and exit.
fail_start() {
  local name=$1 log=$LOG_DIR/$1.log
  shift
  stop_ticker
  if [[ -s $log ]]; then
    printf '%s: --- last lines of %s ---\n' "$PROGRAM" "$log" >&2
    tail -n 30 "$log" >&2
  fi
  stop_cluster >/dev/null 2>&1 || true
  die 1 "$name $* (logs: $LOG_DIR)"
}

# wait_until LABEL NAME... -- COMMAND...: poll COMMAND until it succeeds; fail when one of the processes
# NAME exits or the timeout passes.
wait_until() {
  local label=$1 deadline=$((SECONDS + READY_TIMEOUT)) name
  local -a names=()
  shift
  while [[ $1 != -- ]]; do
    names+=("$1")
    shift
  done
  shift
  start_ticker "$label"
  until "$@" >/dev/null 2>&1; do
    for name in "${names[@]}"; do
      process_alive "$name" || fail_start "$name" "exited while $label"
    done
    ((SECONDS < deadline)) || fail_start "${names[-1]}" "was not ready after ${READY_TIMEOUT}s" \
      "($label; a slow machine may need a larger PHAROS_TEST_CLUSTER_TIMEOUT)"
    sleep 0.5
  done
  stop_ticker
}

admin_kubectl() { kubectl --kubeconfig "$KUBECONFIG_FILE" --context admin "$@"; }

start() {
  need openssl "to create the test cluster's certificates"
  need curl "to check the test cluster's health"
  need setsid "to run the test cluster in the background"
  need kubectl "to set up the test cluster's users"
  umask 077
  lock "$STATE_DIR.lock"
  if cluster_running; then
    say "already running at $(server_url)"
    print_export
    return 0
  fi
  if anything_left; then
    say "cleaning up a test cluster that is not running properly"
    stop_cluster >/dev/null || true
  fi
  if ! binaries_present; then build; fi

  local started=$SECONDS etcd_port etcd_peer_port apiserver_port url admin_token restricted_token
  mkdir -p "$STATE_DIR" "$LOG_DIR"
  etcd_port=$(free_port)
  etcd_peer_port=$(free_port "$etcd_port")
  apiserver_port=$(free_port "$etcd_port" "$etcd_peer_port")
  url=https://127.0.0.1:$apiserver_port
  say "starting etcd, kube-apiserver and kube-controller-manager v$(built_version) at $url (state: $STATE_DIR)"

  write_pki
  admin_token=$(openssl rand -hex 24)
  restricted_token=$(openssl rand -hex 24)
  printf '%s,admin,admin,"system:masters"\n%s,restricted,restricted\n' "$admin_token" "$restricted_token" \
    >"$PKI_DIR/tokens.csv"
  write_kubeconfig "$KUBECONFIG_FILE" "$url" "$admin_token" "$restricted_token"
  cp "$KUBECONFIG_FILE" "$STATE_DIR/controller-manager.kubeconfig"
  printf '%s\n' "$url" >"$SERVER_FILE"

  step "starting etcd on 127.0.0.1:$etcd_port"
  launch etcd --name=pharos-test --data-dir="$ETCD_DATA_DIR" --unsafe-no-fsync --log-level=warn \
    --listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster="pharos-test=http://127.0.0.1:$etcd_peer_port"
  wait_until "waiting for etcd" etcd -- curl --silent --fail --max-time 2 "http://127.0.0.1:$etcd_port/health"

  step "starting kube-apiserver on 127.0.0.1:$apiserver_port"
  launch kube-apiserver --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 --secure-port="$apiserver_port" --advertise-address=127.0.0.1 \
    --cert-dir="$PKI_DIR" --tls-cert-file="$PKI_DIR/apiserver.crt" --tls-private-key-file="$PKI_DIR/apiserver.key" \
    --client-ca-file="$PKI_DIR/ca.crt" --token-auth-file="$PKI_DIR/tokens.csv" \
    --authorization-mode=RBAC --allow-privileged=true --service-cluster-ip-range="$SERVICE_CIDR" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI_DIR/service-account.key" \
    --service-account-signing-key-file="$PKI_DIR/service-account.key" \
    --profiling=false
  wait_until "waiting for kube-apiserver /readyz" etcd kube-apiserver -- server_ready

  step "starting kube-controller-manager"
  # --secure-port=0: no health endpoint, hence no port of its own to find. The flex volume directory would
  # otherwise be created under /usr/libexec.
  launch kube-controller-manager --kubeconfig="$STATE_DIR/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=0 --leader-elect=false --controllers='*' \
    --service-account-private-key-file="$PKI_DIR/service-account.key" --root-ca-file="$PKI_DIR/ca.crt" \
    --cluster-signing-cert-file="$PKI_DIR/ca.crt" --cluster-signing-key-file="$PKI_DIR/ca.key" \
    --use-service-account-credentials=false --profiling=false \
    --flex-volume-plugin-dir="$STATE_DIR/flexvolume"
  wait_until "waiting for namespace default" etcd kube-apiserver kube-controller-manager -- \
    admin_kubectl get namespace default
  # The service account appears once the controllers run; no pod can be created before.
  wait_until "waiting for the controllers (service account default/default)" \
    etcd kube-apiserver kube-controller-manager -- admin_kubectl get serviceaccount default --namespace default

  step "letting user 'restricted' view everything (ClusterRole view)"
  admin_kubectl create clusterrolebinding "$RESTRICTED_BINDING" --clusterrole=view --user=restricted \
    >"$LOG_DIR/kubectl.log" 2>&1 || fail_start kubectl "could not create the ClusterRoleBinding $RESTRICTED_BINDING"

  say "ready in $((SECONDS - started))s; contexts 'admin' (current) and 'restricted' in $KUBECONFIG_FILE"
  print_export
}

# stop_process NAME: TERM, then KILL after a grace period; true when it was running.
stop_process() {
  local name=$1 file pid waited=0
  file=$(pid_file "$name")
  pid=$(cat "$file" 2>/dev/null) || return 1
  rm -f "$file"
  alive "$pid" "$name" || return 1
  kill -TERM "$pid" 2>/dev/null || true
  while alive "$pid" "$name" && ((waited < 100)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if alive "$pid" "$name"; then
    warn "$name (pid $pid) did not stop within 10s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

# stop_cluster: stop the processes (the last started first) and delete the data; the logs stay. True when
# something was running.
stop_cluster() {
  local index stopped=1
  for ((index = ${#PROCESSES[@]} - 1; index >= 0; index--)); do
    if stop_process "${PROCESSES[index]}"; then stopped=0; fi
  done
  rm -rf "$ETCD_DATA_DIR" "$PKI_DIR" "$KUBECONFIG_FILE" "$STATE_DIR/controller-manager.kubeconfig" "$SERVER_FILE" \
    "$STATE_DIR/flexvolume"
  return "$stopped"
}

stop() {
  lock "$STATE_DIR.lock"
  if stop_cluster; then
    say "stopped the test cluster (logs kept in $LOG_DIR)"
  else
    say "the test cluster was not running"
  fi
}

status() {
  local name
  local -a up=() down=()
  for name in "${PROCESSES[@]}"; do
    if process_alive "$name"; then up+=("$name"); else down+=("$name"); fi
  done
  if ((${#up[@]} == 0)); then
    printf 'not running\n'
  elif ((${#down[@]} > 0)); then
    printf 'broken: %s not running, %s still up; run stop or start (logs: %s)\n' \
      "${down[*]}" "${up[*]}" "$LOG_DIR"
  elif ! server_ready; then
    printf 'not ready: %s does not answer /readyz (logs: %s)\n' "$(server_url)" "$LOG_DIR"
  else
    printf 'running: %s (v%s)\nexport KUBECONFIG=%q\n' "$(server_url)" "$(built_version)" "$KUBECONFIG_FILE"
    return 0
  fi
  return 1
}

# --- main -------------------------------------------------------------------------------------------------

main() {
  if (($# != 1)); then
    usage >&2
    exit 2
  fi
  if [[ ! $K8S_VERSION =~ ^1\.[0-9]+\.[0-9]+$ ]]; then
    die 2 "PHAROS_TEST_K8S_VERSION must be a Kubernetes release like $PINNED_K8S_VERSION, not '$K8S_VERSION'"
  fi
  case $1 in
    build) build ;;
    start) start ;;
    stop) stop ;;
    status) status ;;
    -h | --help | help) usage ;;
    *)
      printf '%s: unknown command %s\n\n' "$PROGRAM" "$1" >&2
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
