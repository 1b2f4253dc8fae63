#!/usr/bin/env bash
# Prints the path of api/openapi-spec/swagger.json of k8s.io/kubernetes@vVERSION in the Go module cache,
# downloading the module through the Go module proxy on first use (`go mod download`, no build).
# Exit codes: 2 bad usage, 3 Go missing or the download failed.
set -euo pipefail

if [ $# -ne 1 ] || ! [[ $1 =~ ^v?[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "usage: fetch-openapi.sh VERSION   (a Kubernetes release, e.g. 1.32.13)" >&2
  exit 2
fi
version=${1#v}
module="k8s.io/kubernetes@v$version"
fail() { printf 'fetch-openapi: %s\n' "$*" >&2; exit 3; }

# Where the module lands: Go's own answer when Go is here, else its default, so a warm cache needs no Go.
if command -v go >/dev/null 2>&1; then
  modcache=$(go env GOMODCACHE)
else
  modcache=${GOMODCACHE:-${GOPATH:-$HOME/go}/pkg/mod}
fi
swagger="$modcache/$module/api/openapi-spec/swagger.json"

if [ ! -f "$swagger" ]; then
  command -v go >/dev/null 2>&1 ||
    fail "Go is not installed (https://go.dev/dl/); it downloads $module, which holds the OpenAPI document"
  echo "fetch-openapi: downloading $module for its OpenAPI document (go mod download)..." >&2
  # -json reports a failure in its Error field on stdout, so keep stdout to quote it. Run from / so that a
  # go.mod or go.work around the caller plays no part.
  if ! json=$(cd / && GOWORK=off go mod download -json "$module"); then
    reason=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p')
    fail "go mod download $module failed: ${reason:-see above}; check the version and that the Go module proxy (GOPROXY) is reachable"
  fi
  dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  swagger="$dir/api/openapi-spec/swagger.json"
  [ -f "$swagger" ] || fail "$module has no api/openapi-spec/swagger.json (looked in '$dir')"
fi
printf '%s\n' "$swagger"
