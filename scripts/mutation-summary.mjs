#!/usr/bin/env node
// The mutation score of one or more Stryker JSON reports taken together (scripts/mutate.sh runs one per
// group of modules), per file and overall, as Stryker counts it: detected (killed, timed out) over
// detected plus undetected (survived, no coverage). `--survivors` lists every undetected mutant.
//
//   node scripts/mutation-summary.mjs [--survivors] reports/mutation/groups/*.json
import { readFileSync } from 'node:fs'

const args = process.argv.slice(2)
const listSurvivors = args.includes('--survivors')
const reports = args.filter((arg) => arg !== '--survivors')
if (reports.length === 0) {
  process.stderr.write('usage: mutation-summary.mjs [--survivors] REPORT.json...\n')
  process.exit(2)
}

const DETECTED = new Set(['Killed', 'Timeout'])
const UNDETECTED = new Set(['Survived', 'NoCoverage'])
const files = new Map()
for (const report of reports) {
  for (const [path, file] of Object.entries(JSON.parse(readFileSync(report, 'utf8')).files)) files.set(path, file)
}

const rows = []
const total = { detected: 0, undetected: 0, invalid: 0 }
const survivors = []
for (const [path, file] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
  const row = { path, detected: 0, undetected: 0, invalid: 0 }
  const lines = file.source.split('\n')
  for (const mutant of file.mutants) {
    if (DETECTED.has(mutant.status)) row.detected++
    else if (UNDETECTED.has(mutant.status)) {
      row.undetected++
      const { line, column } = mutant.location.start
      const original = lines[line - 1]?.trim() ?? ''
      survivors.push(`${path}:${line}:${column} ${mutant.status} ${mutant.mutatorName}: ${oneLine(mutant.replacement ?? '')}\n    ${oneLine(original)}`)
    } else row.invalid++
  }
  rows.push(row)
  for (const key of Object.keys(total)) total[key] += row[key]
}

const score = ({ detected, undetected }) => (detected + undetected === 0 ? 'n/a' : `${((100 * detected) / (detected + undetected)).toFixed(1)}%`)
const width = Math.max(...rows.map((row) => row.path.length), 5)
const line = (path, row) => `${path.padEnd(width)}  ${score(row).padStart(6)}  ${String(row.detected).padStart(6)}  ${String(row.undetected).padStart(6)}  ${String(row.invalid).padStart(6)}`
process.stdout.write(`${'file'.padEnd(width)}   score  detect  undet.  invalid\n`)
for (const row of rows) process.stdout.write(line(row.path, row) + '\n')
process.stdout.write(line('total', total) + '\n')
if (listSurvivors) process.stdout.write(`\n${survivors.join('\n')}\n`)

function oneLine(text) {
  const flat = text.replace(/\s+/g, ' ')
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat
}
