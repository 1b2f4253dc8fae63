#!/usr/bin/env bash
# Installs the external tools the project and its tests use into .tools/bin (git-ignored), with
# `go install` at pinned versions. Idempotent: a tool already there at its version is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

KUBECONFORM_VERSION=v0.7.0
TOOLS_BIN="$PWD/.tools/bin"

say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'install-tools: %s\n' "$*" >&2; exit 3; }

command -v go >/dev/null 2>&1 || fail "Go is not installed; it is needed to build kubeconform (https://go.dev/doc/install)"
mkdir -p "$TOOLS_BIN"

# go install writes the binary under its own name; a stamp file records the version it was built from.
install_go_tool() {
  local name=$1 module=$2 version=$3
  local stamp="$TOOLS_BIN/.$name.version"
  if [ -x "$TOOLS_BIN/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
    say "$name $version already installed"
    return
  fi
  say "installing $name $version (go install $module@$version)"
  if ! GOBIN="$TOOLS_BIN" GOFLAGS=-mod=mod go install "$module@$version"; then
    fail "go install $module@$version failed; check that the Go module proxy is reachable (GOPROXY=$(go env GOPROXY))"
  fi
  printf '%s\n' "$version" >"$stamp"
}

install_go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"
