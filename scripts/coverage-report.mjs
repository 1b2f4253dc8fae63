// Merges the two layers of `npm run coverage` (scripts/coverage.sh) into one report on src/:
// - tap's coverage of the in-process tests (.tap/coverage/: src/*.ts run through tap's loader), converted by c8
//   as `tap report` does;
// - the V8 coverage that every spawned node process wrote to coverage/v8/ (NODE_V8_COVERAGE), of which only the
//   bundle (dist/) is kept, mapped back to src/ through dist/*.js.map by monocart-coverage-reports: c8's
//   converter drops ranges that span modules of a bundle and then counts their lines as run.
// Both become istanbul data, merged per file: a line counts as run when either layer ran it. Prints a table
// per file; HTML and lcov go to coverage/.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { transform } from 'esbuild'
import { CoverageReport } from 'monocart-coverage-reports'

const require = createRequire(import.meta.url)
const C8Report = require('c8/lib/report.js')

const root = process.cwd()
const distUrl = `${pathToFileURL(join(root, 'dist')).href}/`
const rawDir = 'coverage/v8'
const work = 'coverage/.work'
const inSrc = (path) => path.replaceAll('\\', '/').startsWith('src/')

await rm(work, { recursive: true, force: true })
await mkdir(join(work, 'cli'), { recursive: true })

// The raw files hold every script of every process (tap, tsc, npm): keep the bundle's entries only.
let cliProcesses = 0
for (const name of await readdir(rawDir).catch(() => [])) {
  const coverage = JSON.parse(await readFile(join(rawDir, name), 'utf8'))
  const result = coverage.result.filter((script) => script.url.startsWith(distUrl))
  if (result.length === 0) continue
  const sourceMaps = Object.entries(coverage['source-map-cache'] ?? {}).filter(([url]) => url.startsWith(distUrl))
  await writeFile(join(work, 'cli', name), JSON.stringify({ result, 'source-map-cache': Object.fromEntries(sourceMaps) }))
  cliProcesses++
}
const testProcesses = (await readdir('.tap/coverage').catch(() => [])).length
if (cliProcesses + testProcesses === 0) {
  process.stderr.write('coverage-report: no coverage recorded (coverage/v8/ and .tap/coverage/ are empty)\n')
  process.exit(1)
}

const layers = []
if (testProcesses) {
  await C8Report({
    include: ['src/**'], exclude: [], excludeAfterRemap: true, extension: ['.ts'],
    reporter: ['json'], reportsDirectory: join(work, 'tap'), reporterOptions: {}, tempDirectory: '.tap/coverage',
    resolve: '', omitRelative: true, all: false, src: [root], excludeNodeModules: true, skipFull: false,
  }).run()
  layers.push(join(work, 'tap', 'coverage-final.json'))
}
if (cliProcesses) {
  const cli = new CoverageReport({
    logging: 'error',
    outputDir: join(work, 'cli-report'),
    reports: [['json', { file: 'coverage-final.json' }]],
    entryFilter: (entry) => entry.url.startsWith(distUrl),
    sourceFilter: inSrc,
  })
  await cli.addFromDir(join(work, 'cli'))
  await cli.generate()
  layers.push(join(work, 'cli-report', 'coverage-final.json'))
}

process.stdout.write(`\nCoverage of src/: ${testProcesses} test processes (in-process tests), ${cliProcesses} CLI processes (the bundle)\n`)
const merged = new CoverageReport({
  logging: 'error',
  outputDir: 'coverage',
  reports: [['text', { maxCols: 120 }], ['html', { subdir: 'html' }], ['lcovonly', { file: 'lcov.info' }]],
  sourceFilter: inSrc,
})
const covered = new Set()
for (const layer of layers) {
  // c8 keys files by absolute path, monocart by relative path: both become src/..., the bundle's chunks go.
  const files = Object.values(JSON.parse(await readFile(layer, 'utf8')))
    .map((file) => ({ ...file, path: relative(root, resolve(root, file.path)).replaceAll('\\', '/') }))
    .filter((file) => inSrc(file.path))
  for (const file of files) covered.add(file.path)
  await merged.add(Object.fromEntries(files.map((file) => [file.path, file])))
}
await merged.generate()

// A module that no test loaded is missing from the table rather than shown at 0%: name it (type-only
// modules, which compile to nothing, are not code).
const neverLoaded = []
for (const entry of await readdir('src', { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.ts')) continue
  const path = join(entry.parentPath ?? entry.path, entry.name)
  if (covered.has(relative(root, path).replaceAll('\\', '/'))) continue
  const { code } = await transform(await readFile(path, 'utf8'), { loader: 'ts', format: 'esm' })
  if (code.replace(/^(import|export) .*$/gm, '').trim()) neverLoaded.push(relative(root, path))
}
if (neverLoaded.length) process.stdout.write(`Never loaded by any test: ${neverLoaded.join(', ')}\n`)
process.stdout.write('HTML report: coverage/html/index.html; lcov: coverage/lcov.info\n')

await rm(rawDir, { recursive: true, force: true })
await rm(work, { recursive: true, force: true })
