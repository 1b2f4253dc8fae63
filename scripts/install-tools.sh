#!/usr/bin/env bash
# Installs the external tools the project and its tests use into .tools/bin (git-ignored), with
# `go install` at pinned versions. Idempotent: a tool already there at its version is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

KUBECONFORM_VERSION=v0.7.0
# Helm 3 and Helm 4 both load our plugin.yaml and post-renderer; krew installs the release archive.
HELM3_VERSION=v3.22.0
HELM4_VERSION=v4.3.1
KREW_VERSION=v0.4.3
TOOLS_BIN="$PWD/.tools/bin"

say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'install-tools: %s\n' "$*" >&2; exit 3; }

command -v go >/dev/null 2>&1 || fail "Go is not installed; it is needed to build kubeconform (https://go.dev/doc/install)"
mkdir -p "$TOOLS_BIN"

# go install writes the binary under the command's own name (both Helms are `helm`), so it builds into a
# folder of its own and is moved to NAME; a stamp file records the version it was built from.
install_go_tool() {
  local name=$1 module=$2 version=$3
  local stamp="$TOOLS_BIN/.$name.version"
  if [ -x "$TOOLS_BIN/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
    say "$name $version already installed"
    return
  fi
  say "installing $name $version (go install $module@$version)"
  local build_dir
  build_dir=$(mktemp -d "$TOOLS_BIN/.build.XXXXXX")
  if ! GOBIN="$build_dir" GOFLAGS=-mod=mod go install "$module@$version"; then
    rm -rf "$build_dir"
    fail "go install $module@$version failed; check that the Go module proxy is reachable (GOPROXY=$(go env GOPROXY))"
  fi
  mv "$build_dir/${module##*/}" "$TOOLS_BIN/$name"
  rm -rf "$build_dir"
  printf '%s\n' "$version" >"$stamp"
}

install_go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"
install_go_tool helm3 helm.sh/helm/v3/cmd/helm "$HELM3_VERSION"
install_go_tool helm4 helm.sh/helm/v4/cmd/helm "$HELM4_VERSION"
# kubectl finds plugins by their kubectl- prefix: `kubectl krew` runs this one.
install_go_tool kubectl-krew sigs.k8s.io/krew/cmd/krew "$KREW_VERSION"

# Ruby renders the ERB differential suite's templates as Pharos did (test/e2e/erb-ruby.ts); only the tests
# need it, never the CLI. Debian's package: apt-get as root, otherwise how to install it (that test then
# skips, or fails under CI=true).
ensure_ruby() {
  if command -v ruby >/dev/null 2>&1; then
    say "ruby $(ruby -e 'print RUBY_VERSION') already installed"
    return
  fi
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    printf 'install-tools: ruby is missing, so test/e2e/erb-ruby.ts will skip; install it with `sudo apt-get install ruby` (Debian, Ubuntu) or your system'"'"'s ruby package\n' >&2
    return
  fi
  say "installing ruby (apt-get install ruby)"
  local install=(apt-get install -y -qq --no-install-recommends ruby) output
  if ! output=$(DEBIAN_FRONTEND=noninteractive "${install[@]}" 2>&1); then
    # A fresh container has no package lists: fetch them once and try again.
    case $output in
      *'Unable to locate package'*)
        apt-get update -qq >/dev/null 2>&1 || true
        output=$(DEBIAN_FRONTEND=noninteractive "${install[@]}" 2>&1) && return ;;
    esac
    printf 'install-tools: apt-get install ruby failed, so test/e2e/erb-ruby.ts will skip:\n%s\n' "$output" >&2
  fi
}

ensure_ruby
