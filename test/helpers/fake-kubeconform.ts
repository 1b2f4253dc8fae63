/**
 * A stand-in kubeconform for unit tests (the e2e layer runs the real one): it reports every file of the
 * folder it is given with `status`, and `errors` as each one's validation errors; invalid files exit 1,
 * as kubeconform does. Each call's arguments go to `calls` beside it.
 */
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export async function fakeKubeconform(
  dir: string,
  status: 'statusValid' | 'statusInvalid',
  errors: Array<{ path: string; msg: string }> = [],
): Promise<string> {
  // .cjs: the script is CommonJS whatever package.json scope the fixture folder falls in.
  const path = join(dir, 'kubeconform.cjs')
  const resource = { kind: 'ConfigMap', name: 'c', version: 'v1', status, msg: status === 'statusValid' ? '' : 'invalid', validationErrors: errors }
  await writeFile(path, `#!/usr/bin/env node
const fs = require('fs'), path = require('path')
fs.appendFileSync(${JSON.stringify(join(dir, 'calls'))}, process.argv.slice(2).join(' ') + '\\n')
const dir = process.argv[process.argv.length - 1]
const resource = ${JSON.stringify(resource)}
const resources = fs.readdirSync(dir).map((f) => ({ ...resource, filename: path.join(dir, f) }))
process.stdout.write(JSON.stringify({ resources }))
process.exit(${status === 'statusValid' ? 0 : 1})
`)
  await chmod(path, 0o755)
  return path
}

/** A stand-in kubeconform that runs the shell `script` whatever it is asked (a slow one, a crashing one). */
export async function scriptedKubeconform(dir: string, script: string): Promise<string> {
  const path = join(dir, 'kubeconform')
  await writeFile(path, `#!/bin/sh\n${script}\n`)
  await chmod(path, 0o755)
  return path
}

/**
 * A stand-in kubeconform for the quick route of validateManifestFiles: its first run prints `report`
 * (each `FILE:name` in it becomes that file of the folder it is given); later runs, the parsed route's,
 * report every JSON file as valid with the apiVersion, kind and name it holds. Each run's arguments go
 * to `calls` beside it.
 */
export async function reportingKubeconform(dir: string, report: unknown): Promise<string> {
  const path = join(dir, 'kubeconform.cjs')
  await writeFile(path, `#!/usr/bin/env node
const fs = require('fs'), path = require('path')
const calls = ${JSON.stringify(join(dir, 'calls'))}
const first = !fs.existsSync(calls)
fs.appendFileSync(calls, process.argv.slice(2).join(' ') + '\\n')
const dir = process.argv[process.argv.length - 1]
if (first) {
  process.stdout.write(${JSON.stringify(JSON.stringify(report))}.replace(/FILE:([\\w.]+)/g, (_, name) => path.join(dir, name)))
} else {
  const resources = fs.readdirSync(dir).map((f) => {
    const o = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))
    return { filename: path.join(dir, f), kind: o.kind, name: o.metadata.name, version: o.apiVersion, status: 'statusValid', msg: '' }
  })
  process.stdout.write(JSON.stringify({ resources }))
}
`)
  await chmod(path, 0o755)
  return path
}
