import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { main } from '../../../src/cli/main.js'
import { runCli } from '../../helpers/cli.js'
import { scriptedKubeconform } from '../../helpers/fake-kubeconform.js'
import { toolsBinDir } from '../../helpers/paths.js'
import { testSchemaDir } from '../../helpers/schemas.js'

const twoObjects = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n'

t.test('a status line on a terminal while kubeconform runs, nothing otherwise', async (t) => {
  const schemas = await testSchemaDir()
  const cwd = t.testdir({ 'set.yml': twoObjects })
  const argv = ['validate', 'set.yml', '--schema-location', schemas, '--kubeconform', join(toolsBinDir, 'kubeconform')]

  const terminal = await runCli(argv, { cwd, stderrIsTTY: true })
  t.equal(terminal.code, 0, terminal.stderr)
  t.equal(terminal.stderr, 'validating 2 objects from 1 file with kubeconform…\r\x1b[K', 'shown, then erased')
  t.match(terminal.stdout, /2 resources: 2 valid/)

  const piped = await runCli(argv, { cwd })
  t.equal(piped.stderr, '', 'quiet when stderr is not a terminal')
  t.equal(piped.stdout, terminal.stdout, 'the same report')
  t.equal((await runCli([...argv, '--quiet'], { cwd, stderrIsTTY: true })).stderr, '', 'and with --quiet')

  const parsed = await runCli([...argv, '--upgrade-apis'], { cwd, stderrIsTTY: true })
  t.equal(parsed.stderr, terminal.stderr, 'the parsed route shows the same line')
})

/** main() with `stdin` as standard input. */
async function runWithStdin(argv: string[], cwd: string, stdin: string) {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: (async function* () {
      if (stdin) yield Buffer.from(stdin)
    })(),
    cwd,
    env: {},
  })
  return { code, stdout, stderr }
}


t.test('validate - with nothing on standard input is bad input; validate -- - reads it', async (t) => {
  const schemas = await testSchemaDir()
  const cwd = t.testdir({})
  const kubeconform = ['--schema-location', schemas, '--kubeconform', join(toolsBinDir, 'kubeconform')]
  for (const empty of ['', '\n\n', '# nothing\n---\n...\n']) {
    const run = await runWithStdin(['validate', '-', ...kubeconform], cwd, empty)
    t.equal(run.code, 2, JSON.stringify(empty))
    t.equal(run.stderr.split('\n')[0], 'error: no manifests on standard input')
    t.match(run.stderr, /hint: pipe manifests in/)
  }
  const dashes = await runWithStdin(['validate', ...kubeconform, '--', '-'], cwd, twoObjects)
  t.equal(dashes.code, 0, dashes.stderr)
  t.match(dashes.stdout, /2 resources: 2 valid/)
  const none = await runCli(['validate', '-', ...kubeconform], { cwd })
  t.same(none, { code: 2, stdout: '', stderr: 'error: no standard input to read\n  hint: pipe manifests in, or pass a PATH\n' }, 'no stdin at all')
  const two = await runWithStdin(['validate', '--', '-', 'more'], cwd, twoObjects)
  t.equal(two.code, 2)
  t.match(two.stderr, /validate takes one PATH, got - more/)
})

t.test('--limit tool-timeout stops a kubeconform that does not finish: exit 3, saying how to raise it', async (t) => {
  const cwd = t.testdir({ 'set.yml': twoObjects })
  const slow = await scriptedKubeconform(cwd, 'sleep 30')
  for (const route of [[], ['--upgrade-apis']]) {
    const started = Date.now()
    const run = await runCli(['validate', 'set.yml', '--kubeconform', slow, '--limit', 'tool-timeout=1s', ...route], { cwd })
    t.ok(Date.now() - started < 8000, `stopped after ${Date.now() - started} ms`)
    t.equal(run.code, 3, run.stderr)
    t.match(run.stderr, /^error: .*kubeconform did not finish within 1s \(limit tool-timeout\) and was stopped\n {2}hint: .*--limit tool-timeout=4s/)
  }
})

t.test('kubeconform printing nothing, or not its report, is exit 3 on both routes, never "a bug"', async (t) => {
  const cwd = t.testdir({ 'set.yml': twoObjects })
  for (const [what, script] of [['nothing', 'exit 0'], ['garbage', 'echo "panic: oops" >&2; echo "{ not json"; exit 2'], ['other JSON', 'echo \'{"resources": [1, 2]}\''], ['a list', 'echo []']]) {
    const fake = await scriptedKubeconform(cwd, script)
    for (const route of [[], ['--upgrade-apis']]) {
      const run = await runCli(['validate', 'set.yml', '--kubeconform', fake, ...route], { cwd })
      t.equal(run.code, 3, `${what} ${route}: ${run.stderr}`)
      t.match(run.stderr, /^error: .*kubeconform failed/)
      t.notMatch(run.stderr, /this is a bug|report it/)
    }
  }
})

t.test('an unreachable schema URL is exit 3 with a plain message, not a finding per resource', async (t) => {
  const cwd = t.testdir({ 'set.yml': twoObjects })
  const kubeconform = join(toolsBinDir, 'kubeconform')
  for (const route of [[], ['--upgrade-apis']]) {
    const run = await runCli(['validate', 'set.yml', '--kubeconform', kubeconform, '--schema-location', 'http://127.0.0.1:1/', ...route], { cwd })
    t.equal(run.code, 3, run.stdout + run.stderr)
    t.equal(run.stdout, '', 'no report')
    t.match(run.stderr, /^error: cannot reach the schema location http:\/\/127\.0\.0\.1:1: connection refused\n {2}hint: /)
  }
  const missing = await runCli(['validate', 'set.yml', '--kubeconform', kubeconform, '--schema-location', 'no-such-folder'], { cwd })
  t.equal(missing.code, 2)
  t.match(missing.stderr, `error: schema location ${join(cwd, 'no-such-folder')} does not exist`)
})

t.test('validate -c cluster.yml renders first; PATH with --upgrade-apis or --drop-removed parses first', async (t) => {
  const schemas = await testSchemaDir()
  const kubeconform = ['--schema-location', schemas, '--kubeconform', join(toolsBinDir, 'kubeconform')]
  const old = 'apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata:\n  name: np\nspec: {podSelector: {}}\n---\n' +
    'apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: p\nspec: {}\n'
  const cwd = t.testdir({
    'cluster.yml': 'network:\n  provider: custom\n  pod_network_cidr: 10.32.0.0/12\n  service_cidr: 10.96.0.0/12\n  custom:\n    manifest_path: ./net\n',
    net: { '01.yml.liquid': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ name }}\n' },
    'old.yml': old,
  })
  const rendered = await runCli(['validate', '-c', 'cluster.yml', ...kubeconform], { cwd })
  t.equal(rendered.code, 0, rendered.stderr)
  t.match(rendered.stdout, /^1 resources: 1 valid/)
  const asIs = await runCli(['validate', 'old.yml', ...kubeconform], { cwd })
  t.equal(asIs.code, 1)
  t.match(asIs.stdout, /2 resources: 0 valid, 0 invalid, 0 errors, 0 skipped, 2 removed APIs/)
  const upgraded = await runCli(['validate', 'old.yml', '--upgrade-apis', ...kubeconform], { cwd })
  t.match(upgraded.stdout, /2 resources: 1 valid, 0 invalid, 0 errors, 0 skipped, 1 removed APIs/, 'the NetworkPolicy upgraded')
  const dropped = await runCli(['validate', 'old.yml', '--drop-removed', ...kubeconform], { cwd })
  t.match(dropped.stdout, /1 resources: 0 valid, 0 invalid, 0 errors, 0 skipped, 1 removed APIs/, 'the PodSecurityPolicy left out')
  const both = await runCli(['validate', 'old.yml', '--drop-removed', '--upgrade-apis', ...kubeconform], { cwd })
  t.equal(both.code, 0, both.stdout)
})

t.test('PATH once, and not with --config; schema locations: URLs and default as given, folders from here', async (t) => {
  const cwd = t.testdir({ 'set.yml': twoObjects, schemas: {} })
  const after = await runCli(['validate', 'set.yml', '--', 'other'], { cwd })
  t.same([after.code, after.stderr], [2, 'error: validate takes one PATH, got set.yml other\n  hint: validate one folder, file or - at a time\n'])
  const withConfig = await runCli(['validate', '-c', 'cluster.yml', '--', 'set.yml'], { cwd })
  t.same([withConfig.code, withConfig.stderr], [2, 'error: PATH and --config cannot be used together\n  hint: validate a PATH, or render -c cluster.yml\n'])

  const fake = await scriptedKubeconform(cwd, `echo "$@" > ${join(cwd, 'args')}; echo '{"resources": []}'`)
  await runCli(['validate', 'set.yml', '--kubeconform', fake, '--schema-location', 'default', '--schema-location', 'https://s.example/{{.ResourceKind}}.json',
    '--schema-location', 'schemas'], { cwd })
  t.match(await readFile(join(cwd, 'args'), 'utf8'),
    `-schema-location default -schema-location https://s.example/{{.ResourceKind}}.json -schema-location ${join(cwd, 'schemas')} `)
})

t.test('what counts as nothing on standard input', async (t) => {
  const cwd = t.testdir({})
  for (const blank of ['   \n\t\n', '--- #\n', '--- # a document marker\n', '... \n', '  # indented comment\n']) {
    t.equal((await runWithStdin(['validate', '-'], cwd, blank)).stderr.split('\n')[0], 'error: no manifests on standard input', JSON.stringify(blank))
  }
  for (const content of ['abc\n', 'x: ---\n', '----\n', 'a: 1 # c\n']) {
    t.notMatch((await runWithStdin(['validate', '-', '--kubeconform', '/nonexistent'], cwd, content)).stderr, /no manifests on standard input/, JSON.stringify(content))
  }
})
