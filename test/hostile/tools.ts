/**
 * Untrusted input against the external tools, through the built CLI under a time and heap cap: $refs in
 * CRDs and in a schema folder must never make kubeconform fetch or read anything, a signal stops the
 * running tool and removes the work folder, and a closed stdout is a plain error.
 */
import t, { type Test } from 'tap'
import { execa } from 'execa'
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { binDir, toolsBinDir } from '../helpers/paths.js'
import { hostileSandbox, runHostile, snapshotTree } from '../helpers/hostile.js'
import { testSchemaDir } from '../helpers/schemas.js'
import { widgetCrd } from '../helpers/widgets.js'

/** An http server on loopback that records every request it gets. */
async function listen(t: Test): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = []
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '')
    res.setHeader('content-type', 'application/json')
    res.end('{"type": "object"}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const address = server.address()
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, requests }
}

/** The Widget CRD with these schema lines, and one Widget. */
const crd = (schemaLines: string) =>
  `${widgetCrd(schemaLines)}---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec: {size: 1}\n`

const CLUSTER = 'network:\n  provider: custom\n  custom:\n    manifest_path: ./net\n'

t.test('a $ref in a CRD schema: refused at its line on every route, nothing requested, nothing read', async (t) => {
  const schemas = await testSchemaDir()
  const server = await listen(t)
  const sandbox = await hostileSandbox(t.testdir({}))
  const canary = join(sandbox.outside, 'canary.json')
  await writeFile(canary, '{"canary": "outside the sandbox"}')
  // [name, openAPIV3Schema lines, the line of the $ref in net/crd.yml]
  const members: Array<[string, string, number]> = [
    ['http, under properties', `          type: object\n          properties:\n            spec:\n              $ref: ${server.url}/spec`, 18],
    ['file:// at the root', `          $ref: file://${canary}`, 15],
    ['in items', `          type: object\n          properties:\n            spec:\n              type: array\n              items:\n                $ref: ${server.url}/items`, 20],
    ['in allOf', `          type: object\n          allOf:\n            - $ref: ${server.url}/allof`, 17],
    ['relative, to a file beside the schema', `          properties:\n            spec:\n              $ref: ../../outside/canary.json`, 17],
  ]
  for (const [name, lines, line] of members) {
    await writeFile(join(sandbox.work, 'cluster.yml'), CLUSTER)
    await mkdir(join(sandbox.work, 'net'), { recursive: true })
    await writeFile(join(sandbox.work, 'net', 'crd.yml'), crd(lines))
    const before = { outside: await snapshotTree(sandbox.outside), home: await snapshotTree(sandbox.home) }
    const routes: Array<[string, string[], string | undefined, string]> = [
      ['validate -c', ['validate', '-c', 'cluster.yml', '--schema-location', schemas], undefined, 'net/crd.yml'],
      ['validate FOLDER', ['validate', 'net', '--schema-location', schemas], undefined, 'net/crd.yml'],
      ['validate -', ['validate', '-', '--schema-location', schemas], crd(lines), '<stdin>'],
      ['schemas --crds', ['schemas', '--crds', 'net', '-d', 'out'], undefined, 'net/crd.yml'],
    ]
    for (const [route, args, input, file] of routes) {
      const run = await runHostile(args, { cwd: sandbox.work, input })
      t.equal(run.exitCode, 2, `${name}, ${route}: ${run.stderr}`)
      t.match(run.stderr, `${file}:${line}: error: CustomResourceDefinition widgets.example.com: $ref is not supported in a CRD schema`, `${name}, ${route}: located`)
      t.notMatch(run.stdout + run.stderr, /outside the sandbox|no schema for Widget/, 'the canary was not read')
    }
    t.same(server.requests, [], `${name}: no request reached the server`)
    t.same({ outside: await snapshotTree(sandbox.outside), home: await snapshotTree(sandbox.home) }, before, `${name}: nothing outside work/ changed`)
  }
})

t.test('$schema, id and $id in a CRD schema are dropped: validation works, nothing is requested', async (t) => {
  const schemas = await testSchemaDir()
  const server = await listen(t)
  const sandbox = await hostileSandbox(t.testdir({}))
  await writeFile(join(sandbox.work, 'cluster.yml'), CLUSTER)
  await mkdir(join(sandbox.work, 'net'))
  await writeFile(join(sandbox.work, 'net', 'crd.yml'), crd([
    `          $schema: ${server.url}/meta-root`,
    `          id: ${server.url}/base/`,
    '          type: object',
    '          properties:',
    '            spec:',
    `              $schema: ${server.url}/meta-nested`,
    `              $id: ${server.url}/nested`,
    '              type: object',
    '              properties:',
    '                size: {type: string}',
  ].join('\n')))
  for (const args of [['validate', '-c', 'cluster.yml'], ['validate', 'net']]) {
    const run = await runHostile([...args, '--schema-location', schemas, '-o', 'json'], { cwd: sandbox.work })
    t.equal(run.exitCode, 1, run.stderr)
    const widget = JSON.parse(run.stdout).resources.find((r: { kind: string }) => r.kind === 'Widget')
    t.equal(widget.status, 'invalid', 'the CRD schema applies: size is a string')
    t.match(widget.errors[0].path, 'spec.size')
  }
  t.same(server.requests, [], 'no meta-schema was fetched')
})

t.test('a poisoned file in a --schema-location folder: refused for the kinds of the set, allowed on request', async (t) => {
  const server = await listen(t)
  const sandbox = await hostileSandbox(t.testdir({}))
  const canary = join(sandbox.outside, 'canary.json')
  await writeFile(canary, '{"type": "object"}')
  const folder = join(sandbox.work, 'schemas', 'v1.32.13-standalone-strict')
  await mkdir(folder, { recursive: true })
  await writeFile(join(sandbox.work, 'cm.yml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n')
  const base = ['validate', 'cm.yml', '--schema-location', 'schemas', '--kubernetes-version', '1.32.13']
  const poisons: Array<[string, object, string]> = [
    ['http $ref', { type: 'object', properties: { data: { $ref: `${server.url}/data` } } }, `$ref "${server.url}/data" at /properties/data/$ref`],
    ['file $ref', { allOf: [{ $ref: `file://${canary}` }] }, `$ref "file://${canary}" at /allOf/0/$ref`],
    ['unknown meta-schema', { $schema: `${server.url}/meta`, type: 'object' }, `$schema "${server.url}/meta" at /$schema`],
  ]
  for (const [name, schema, where] of poisons) {
    await writeFile(join(folder, 'configmap-v1.json'), JSON.stringify(schema))
    const before = await snapshotTree(sandbox.outside)
    const run = await runHostile(base, { cwd: sandbox.work })
    t.equal(run.exitCode, 2, `${name}: ${run.stderr}`)
    t.match(run.stderr, `schema file ${join(folder, 'configmap-v1.json')} refers outside itself: ${where}`)
    t.match(run.stderr, /hint: .*--allow-external-refs/)
    t.same(await snapshotTree(sandbox.outside), before)
  }
  t.same(server.requests, [], 'refused before kubeconform ran')

  // Only the files kubeconform would read count: a poisoned schema of another kind is not ours to judge.
  await writeFile(join(folder, 'configmap-v1.json'), JSON.stringify({ type: 'object' }))
  await writeFile(join(folder, 'secret-v1.json'), JSON.stringify({ $ref: `${server.url}/secret` }))
  const other = await runHostile(base, { cwd: sandbox.work })
  t.equal(other.exitCode, 0, other.stderr)

  // With --allow-external-refs the user vouches for the folder: kubeconform follows the reference.
  await writeFile(join(folder, 'configmap-v1.json'), JSON.stringify({ allOf: [{ $ref: `${server.url}/data` }] }))
  const allowed = await runHostile([...base, '--allow-external-refs'], { cwd: sandbox.work })
  t.equal(allowed.exitCode, 0, allowed.stderr)
  t.same(server.requests, ['/data'], 'fetched only when allowed')
})

t.test('schema locations: missing is exit 2, unreachable is exit 3, both plain', async (t) => {
  const sandbox = await hostileSandbox(t.testdir({}))
  await writeFile(join(sandbox.work, 'cm.yml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n')
  const missing = await runHostile(['validate', 'cm.yml', '--schema-location', 'nope'], { cwd: sandbox.work })
  t.equal(missing.exitCode, 2)
  t.match(missing.stderr, /^error: schema location .*\/work\/nope does not exist\n/)
  for (const url of ['http://127.0.0.1:1/', 'http://no-such-host.invalid/']) {
    const run = await runHostile(['validate', 'cm.yml', '--schema-location', url, '-o', 'json'], { cwd: sandbox.work })
    t.equal(run.exitCode, 3, run.stderr)
    t.equal(run.stdout, '')
    t.match(run.stderr, /^error: cannot reach the schema location http:\/\/[^ ]+: (connection refused|no such host)\n {2}hint: /)
  }
})

/** A stand-in for kubeconform that records its pid and never finishes (a unit-level test of signals). */
async function slowKubeconform(dir: string): Promise<string> {
  const path = join(dir, 'kubeconform')
  await writeFile(path, `#!/bin/sh\necho $$ > ${join(dir, 'pid')}\nsleep 60\necho '{}'\n`)
  await chmod(path, 0o755)
  return path
}

t.test('SIGINT and SIGTERM stop kubeconform, remove the work folder and exit 130 and 143', async (t) => {
  const sandbox = await hostileSandbox(t.testdir({}))
  const tmp = join(sandbox.work, '..', 'tmp')
  await mkdir(tmp)
  const kubeconform = await slowKubeconform(sandbox.outside)
  await writeFile(join(sandbox.work, 'cm.yml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n')
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    for (const route of [[], ['--upgrade-apis']]) {
      // `env -u NODE_OPTIONS` execs node (the signal reaches it), without tap's loader hooks.
      const child = execa('env', ['-u', 'NODE_OPTIONS', 'node', join(binDir, 'kubectl-pharos_net'), 'validate', 'cm.yml', '--kubeconform', kubeconform, ...route], {
        cwd: sandbox.work, env: { TMPDIR: tmp }, reject: false, stdin: 'ignore', timeout: 20_000,
      })
      const started = Date.now()
      while ((await readdir(tmp)).length === 0 || !(await readFile(join(sandbox.outside, 'pid'), 'utf8').catch(() => ''))) {
        if (Date.now() - started > 10_000) break
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      t.match(await readdir(tmp), [/^pharos-net-validate-/], `${signal} ${route}: kubeconform is running in its work folder`)
      child.kill(signal)
      const result = await child
      t.equal(result.exitCode, code, `${signal} ${route}: ${result.stderr}`)
      t.equal(result.stderr, 'interrupted', 'one line')
      t.same(await readdir(tmp), [], 'no work folder left')
      const pid = Number(await readFile(join(sandbox.outside, 'pid'), 'utf8'))
      await new Promise((resolve) => setTimeout(resolve, 200))
      t.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'the stand-in was stopped')
      await writeFile(join(sandbox.outside, 'pid'), '')
    }
  }
})

t.test('a reader that closes early: one line on stderr, exit 3, no stack trace', async (t) => {
  const sandbox = await hostileSandbox(t.testdir({}))
  await writeFile(join(sandbox.work, 'cluster.yml'), 'network:\n  provider: custom\n  custom:\n    manifest_path: ./big.yml\n')
  // About 400 KB of YAML, far more than a pipe holds.
  const configMaps = Array.from({ length: 2000 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  a: "${'x'.repeat(120)}"\n`)
  await writeFile(join(sandbox.work, 'big.yml'), configMaps.join('---\n'))
  for (const args of [['render', '--stdout'], ['render', '--stdout', '--upgrade-apis']]) {
    const child = spawn('env', ['-u', 'NODE_OPTIONS', 'node', join(binDir, 'kubectl-pharos_net'), ...args, '-q'], {
      cwd: sandbox.work, env: { PATH: `${toolsBinDir}:${process.env.PATH}` }, stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    // The reader takes the first chunk and goes away, as `head -c 10` does.
    child.stdout.once('data', () => child.stdout.destroy())
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    t.equal(code, 3, `${args.join(' ')}: ${stderr}`)
    t.equal(stderr, 'error: standard output was closed before all output was written\n', 'one line, no stack trace')
  }
})
