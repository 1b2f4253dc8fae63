// Mutation testing (`npm run mutate`: scripts/mutate.sh runs Stryker once per group of modules, with the
// environment the tests need): Stryker changes src/ one mutant at a time and runs the unit tests that
// cover it. Only test files that run in-process take part: e2e/ and hostile/ spawn the built CLI and need
// the test cluster.
// @ts-check
import { mkdirSync, symlinkSync } from 'node:fs'

// Tests read the spec and the corpus beside the checkout (../shared); from a sandbox
// (.stryker-tmp/sandbox-*/) that is .stryker-tmp/shared, so it links to the real folder.
const tempDirName = '.stryker-tmp'
mkdirSync(tempDirName, { recursive: true })
try {
  symlinkSync('../../shared', `${tempDirName}/shared`)
} catch (error) {
  if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'tap',
  tempDirName,
  // The TypeScript checker (drops mutants that do not type-check) is off by default: on two cores it holds
  // one of them for most of a run, halving throughput. A mutant that does not type-check still runs as
  // JavaScript and is a real change of behaviour. MUTATE_TYPECHECK=1 turns it on.
  checkers: process.env.MUTATE_TYPECHECK === '1' ? ['typescript'] : [],
  tsconfigFile: 'tsconfig.json',
  plugins: ['@stryker-mutator/tap-runner', '@stryker-mutator/typescript-checker'],
  tap: {
    // Every test file that runs in-process; scripts/mutate.sh puts kubeconform (PHAROS_TEST_TOOLS_BIN) and
    // the OpenAPI document (PHAROS_TEST_OPENAPI) where test/schemas.ts and test/cli/commands/validate.ts find them.
    // MUTATE_TESTS (comma-separated globs; scripts/mutate.sh sets it for some groups) narrows them to the
    // files written for that group. Fewer tests can only kill fewer mutants, so the score is then a lower
    // bound; it saves the hours a mutant in module-level code (which every file loads) spends running them all.
    testFiles: process.env.MUTATE_TESTS ? process.env.MUTATE_TESTS.split(',') : ['test/*.js', 'test/render/*.js', 'test/cli/*.js', 'test/cli/commands/*.js'],
    // tap's mock loader, for the t.mockImport tests.
    nodeArgs: ['--import=@tapjs/mock/import', '-r', '{{hookFile}}', '{{testFile}}'],
  },
  // Each test file is one node process per mutant: plain JavaScript starts in a third of the time a
  // TypeScript loader needs. esbuild writes x.js beside each (mutated) x.ts in the sandbox; imports already say .js.
  buildCommand: 'esbuild src/**/*.ts test/**/*.ts --outdir=. --outbase=. --format=esm --platform=node --target=node20 --log-level=warning',
  // cluster.ts and deploy.ts take part through their unit tests (a stand-in kubectl, test/helpers/fake-kubectl.ts).
  mutate: ['src/**/*.ts'],
  // Each test file counts as one test: a mutant runs only the files that reached it in the dry run.
  coverageAnalysis: 'perTest',
  // Shared two-core machine: one test runner per core, the type checker in between.
  concurrency: 2,
  // Reuses earlier results for code and tests that did not change.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  // A mutant may make a test loop; allowed time is 1.5 × the dry run's time of the tests plus this.
  timeoutMS: 10_000,
  ignorePatterns: ['dist', '.tools', '.cache', '.tap', 'coverage', 'reports', 'out', '*.tgz'],
  reporters: ['progress', 'clear-text', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
}
