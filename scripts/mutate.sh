#!/usr/bin/env bash
# npm run mutate: Stryker over all of src/, one group of modules (a pipeline stage or two) at a time.
# Stryker saves results only when a run ends, and all of src/ is about four hours on two cores; a run
# per group keeps each group's results as soon as it is done (reports/mutation/groups/NAME.incremental.json),
# so an interrupted run loses at most one group, and running again reuses everything unchanged.
# The score of all groups together is printed at the end (scripts/mutation-summary.mjs).
#
#   npm run mutate                 every group
#   npm run mutate -- liquid cli   only these groups
#   MUTATE_TYPECHECK=1 npm run mutate   with Stryker's TypeScript checker (see stryker.config.mjs)
set -euo pipefail
cd "$(dirname "$0")/.."

# Small groups: each is saved as soon as it is done (a few to twenty minutes each on two cores).
declare -A groups=(
  [validate]='src/validate.ts'
  [cluster]='src/cluster.ts,src/deploy.ts,src/stack-record.ts'
  [output]='src/output.ts,src/documents.ts,src/document-scan.ts,src/fleet.ts'
  [sources]='src/discover.ts,src/scaffold.ts,src/pipeline.ts,src/exec.ts,src/detect.ts'
  [config]='src/config.ts,src/removed-apis.ts'
  [cli]='src/cli/**/*.ts'
  [input]='src/limits.ts,src/yaml-limits.ts,src/input-file.ts,src/errors.ts,src/cidr.ts,src/fs-errors.ts,src/environment.ts,src/object-name.ts,src/version.ts,src/byte-order.ts,src/records.ts'
  [schemas]='src/schemas.ts,src/schemas/**/*.ts'
  [liquid]='src/render/index.ts,src/render/context.ts,src/render/liquid.ts,src/render/filters.ts'
  [erb]='src/render/erb.ts,src/render/erb/**/*.ts'
  [bundle]='src/bundle/**/*.ts,src/images.ts,src/post-render.ts'
)
# The test files that run for a group, where not all of them (see MUTATE_TESTS in stryker.config.mjs): the
# renderers are reached by nearly every test file, and each run of those would take a minute per mutant.
declare -A tests=(
  [erb]='test/render/erb.js,test/config.js,test/environment.js'
  [liquid]='test/render/*.js,test/pipeline.js'
  [cli]='test/cli/*.js,test/cli/commands/*.js'
  [bundle]='test/bundle/*.js,test/images.js,test/output.js,test/post-render.js'
  [validate]='test/validate.js,test/deploy.js,test/cli/commands/validate.js,test/cli/commands/apply.js'
  [sources]='test/discover.js,test/scaffold.js,test/pipeline.js,test/exec.js,test/detect.js,test/cluster.js,test/deploy.js,test/validate.js,test/cli/commands/*.js'
)
order=(validate cluster output sources config cli input schemas liquid erb bundle)
selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=("${order[@]}")

# What test/schemas.ts and test/cli/commands/validate.ts need, as scripts/test.sh provides it (no cluster).
bash scripts/install-tools.sh
PHAROS_TEST_TOOLS_BIN="$PWD/.tools/bin"
PHAROS_TEST_K8S_VERSION="${PHAROS_TEST_K8S_VERSION:-$(sed -n 's/^readonly PINNED_K8S_VERSION=//p' scripts/test-cluster.sh)}"
PHAROS_TEST_OPENAPI=$(bash scripts/fetch-openapi.sh "$PHAROS_TEST_K8S_VERSION")
export PHAROS_TEST_TOOLS_BIN PHAROS_TEST_K8S_VERSION PHAROS_TEST_OPENAPI
export PATH="$PHAROS_TEST_TOOLS_BIN:$PATH"

out=reports/mutation/groups
mkdir -p "$out"
for name in "${selected[@]}"; do
  files=${groups[$name]:-}
  if [ -z "$files" ]; then
    echo "mutate: no group named '$name' (groups: ${order[*]})" >&2
    exit 2
  fi
  echo "mutate: group $name ($files)" >&2
  MUTATE_TESTS=${tests[$name]:-} npx stryker run --mutate "$files" --incrementalFile "$out/$name.incremental.json"
  cp reports/mutation/index.html "$out/$name.html"
done

# A group not yet run has no file; the summary covers the groups that have one.
shopt -s nullglob
results=("$out"/*.incremental.json)
node scripts/mutation-summary.mjs "${results[@]}"
