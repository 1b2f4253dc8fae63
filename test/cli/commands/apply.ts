import t from 'tap'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseDuration } from '../../../src/cli/commands/apply.js'
import { UsageError } from '../../../src/errors.js'
import { runCli } from '../../helpers/cli.js'

t.test('durations', async (t) => {
  t.equal(parseDuration('90'), 90)
  t.equal(parseDuration('90s'), 90)
  t.equal(parseDuration('5m'), 300)
  t.equal(parseDuration('1h'), 3600)
  t.throws(() => parseDuration('5 minutes'), UsageError)
})

const project = {
  'cluster.yml': 'network:\n  provider: custom\n  custom:\n    manifest_path: ./net\n',
  net: { 'cm.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n' },
}

/** A stand-in kubectl (fakes of tools belong to unit tests only) that logs its arguments and runs `script`. */
async function fakeKubectl(dir: string, script: string): Promise<string> {
  const path = join(dir, 'kubectl')
  await writeFile(path, `#!/bin/sh\necho "$@" >> ${join(dir, 'calls')}\n${script}\n`)
  await chmod(path, 0o755)
  return path
}

t.test("--timeout bounds apply's kubectl calls; server calls carry --request-timeout", async (t) => {
  const cwd = t.testdir(project)
  const kubectl = await fakeKubectl(cwd, 'sleep 30')
  const started = Date.now()
  const run = await runCli(['apply', '--kubectl', kubectl, '--timeout', '4s'], { cwd })
  t.ok(Date.now() - started < 12_000, `stopped after ${Date.now() - started} ms`)
  t.equal(run.code, 3)
  t.match(run.stderr, /^error: .*kubectl did not finish within --timeout 4s and was stopped\n {2}hint: .*larger --timeout/)
  t.match(await readFile(join(cwd, 'calls'), 'utf8'), /^--request-timeout=[1-4]s version -o json\n$/, 'the time left')
})

t.test('the tool-timeout limit bounds them too, when it is the tighter', async (t) => {
  const cwd = t.testdir(project)
  const kubectl = await fakeKubectl(cwd, 'sleep 30')
  const run = await runCli(['apply', '--kubectl', kubectl, '--limit', 'tool-timeout=500ms'], { cwd })
  t.equal(run.code, 3)
  t.match(run.stderr, /kubectl did not finish within 500ms \(limit tool-timeout\)/)
})

t.test('a kubeconfig user without credentials: kubectl gets no stdin to prompt on, exit 3 at once', async (t) => {
  const cwd = t.testdir({
    ...project,
    kubeconfig: [
      'apiVersion: v1', 'kind: Config', 'current-context: x',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
      'users: [{name: u, user: {}}]', 'contexts: [{name: x, context: {cluster: c, user: u}}]', '',
    ].join('\n'),
  })
  const started = Date.now()
  const run = await runCli(['apply', '--kubeconfig', 'kubeconfig'], { cwd, env: { PATH: process.env.PATH ?? '' } })
  t.ok(Date.now() - started < 10_000, `returned after ${Date.now() - started} ms`)
  t.equal(run.code, 3, run.stderr)
  t.match(run.stderr, /^error: kubectl asked for a username: the kubeconfig user has no credentials\n/)
})
