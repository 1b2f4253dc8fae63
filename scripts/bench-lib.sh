# Shared by the scripts/bench-*.sh benchmarks (sourced, not run).

# The median of the numbers on stdin, one a line.
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# bundle_floor SOURCE OUTFILE: a floor program bundled as the CLI is (scripts/bundle.mjs), so that the two
# load alike; CommonJS dependencies get require() for Node's built-ins.
bundle_floor() {
  npx esbuild "$1" --bundle --platform=node --format=esm --log-level=warning \
    --banner:js="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" \
    --outfile="$2"
}
