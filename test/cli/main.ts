/**
 * The CLI in-process: every kind of bad input gives exit code 2, one located message with a hint, no stack
 * trace, and leaves the previous output folder exactly as it was.
 */
import t from 'tap'
import { readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { main } from '../../src/cli/main.js'

const goodConfig = `network:
  provider: custom
  pod_network_cidr: 10.32.0.0/12
  service_cidr: 10.96.0.0/12
  custom:
    manifest_path: ./net
    options:
      mtu: 1400
`
const goodManifest = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: kube-system
data:
  mtu: "{{ options.mtu }}"
`

async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {}
  for (const name of (await readdir(dir)).sort()) files[name] = await readFile(join(dir, name), 'utf8')
  return files
}

interface BadCase {
  /** Files to write (path relative to the case folder) over the good set; null deletes. */
  files: Record<string, string | null>
  /** Extra arguments; the config is ./cluster.yml unless given. */
  args?: string[]
  /** What stderr must say: the located first line. */
  error: RegExp
}

const cases: Record<string, BadCase> = {
  'invalid CIDR': {
    files: { 'cluster.yml': goodConfig.replace('10.32.0.0/12', '10.32.0.300/12') },
    error: /^cluster\.yml:3:21: error: .*10\.32\.0\.300/,
  },
  'overlapping CIDRs': {
    files: { 'cluster.yml': goodConfig.replace('10.96.0.0/12', '10.33.0.0/16') },
    error: /^cluster\.yml:4:17: error: .*overlap/,
  },
  'provider custom without custom': {
    files: { 'cluster.yml': 'network:\n  provider: custom\n' },
    error: /^cluster\.yml:\d+:\d+: error: .*manifest_path/,
  },
  'missing manifest path': {
    files: { 'cluster.yml': goodConfig.replace('./net', './nowhere') },
    error: /^cluster\.yml:6:20: error: .*nowhere/,
  },
  'empty manifest folder': {
    files: { 'net/01-cfg.yml.liquid': null, 'net/notes.txt': 'hello\n' },
    error: /^cluster\.yml:6:20: error: .*no manifests/,
  },
  'YAML error in cluster.yml': {
    files: { 'cluster.yml': goodConfig.replace('  service_cidr:', ' service_cidr:') },
    error: /^cluster\.yml:4:\d+: error: /,
  },
  'YAML error in a plain manifest': {
    files: { 'net/02-plain.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  key: value: other\n' },
    error: /^net\/02-plain\.yml:6:8: error: invalid YAML/,
  },
  'undefined Liquid variable': {
    files: { 'net/01-cfg.yml.liquid': goodManifest.replace('options.mtu', 'options.mut') },
    error: /^net\/01-cfg\.yml\.liquid:7:\d+: error: .*options\.mut/,
  },
  'unknown Liquid filter': {
    files: { 'net/01-cfg.yml.liquid': goodManifest.replace('options.mtu', 'options.mtu | shout') },
    error: /^net\/01-cfg\.yml\.liquid:7:\d+: error: .*shout/,
  },
  'unsupported ERB construct': {
    files: { 'net/02-x.yml.erb': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: <%= `hostname` %>\n' },
    error: /^net\/02-x\.yml\.erb:4:13: error: .*not supported/,
  },
  'unclosed ERB tag': {
    files: { 'net/02-x.yml.erb': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: <%= name\n' },
    error: /^net\/02-x\.yml\.erb:4:9: error: .*unclosed/,
  },
  'template output that is not YAML': {
    files: { 'net/02-x.yml.erb': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: <%= "b: c" %>\n' },
    error: /^net\/02-x\.yml\.erb: error: invalid YAML.*\(line 6 of the rendered output\)/,
  },
  'document without kind': {
    files: { 'net/02-x.yml': 'apiVersion: v1\nmetadata:\n  name: x\n' },
    error: /^net\/02-x\.yml:1:1: error: document has no kind/,
  },
  'duplicate object': {
    files: { 'net/02-x.yml': goodManifest.replace('"{{ options.mtu }}"', '"1"') },
    error: /^net\/02-x\.yml:1:1: error: ConfigMap kube-system\/cfg is defined twice: here and in 01-cfg\.yml\.liquid:1/,
  },
  'include that escapes the folder': {
    files: { 'secret.yml': 'password: x\n', 'net/02-x.yml.liquid': "{% include '../secret.yml' %}\n" },
    error: /^net\/02-x\.yml\.liquid:1:1: error: /,
  },
  'missing config file': {
    files: {},
    args: ['-c', 'nope.yml'],
    error: /^(nope\.yml: )?error: .*not found.*nope\.yml/,
  },
}

for (const [name, bad] of Object.entries(cases)) {
  t.test(name, async (t) => {
    const dir = t.testdir({ 'cluster.yml': goodConfig, net: { '01-cfg.yml.liquid': goodManifest } })
    const first = await runCli(['render', '-o', 'out'], { cwd: dir })
    t.equal(first.code, 0, first.stderr)
    const before = await snapshot(join(dir, 'out'))

    for (const [path, text] of Object.entries(bad.files)) {
      const target = join(dir, path)
      if (text === null) await rm(target)
      else {
        await mkdir(dirname(target), { recursive: true })
        await writeFile(target, text)
      }
    }
    const run = await runCli(['render', ...(bad.args ?? []), '-o', 'out'], { cwd: dir })
    t.equal(run.code, 2, 'exit code 2')
    t.match(run.stderr, bad.error)
    if (process.env.SHOW_ERRORS) console.error(run.stderr)
    t.match(run.stderr, /\n {2}hint: /, 'a hint')
    t.notMatch(run.stderr, /\n\s+at .*\.(js|ts):\d+/, 'no stack trace')
    t.same(await snapshot(join(dir, 'out')), before, 'previous output untouched')
    t.same((await readdir(dir)).filter((n) => n.startsWith('.out')), [], 'no staging folder left')
  })
}

t.test('--debug adds the stack trace', async (t) => {
  const dir = t.testdir({ 'cluster.yml': 'network: [\n' })
  const run = await runCli(['render', '--debug'], { cwd: dir })
  t.equal(run.code, 2)
  t.match(run.stderr, /\n\s+at .*:\d+:\d+/)
})

t.test('usage errors exit 2', async (t) => {
  const dir = t.testdir({})
  t.equal((await runCli(['render', '--bogus'], { cwd: dir })).code, 2)
  t.equal((await runCli(['render', '-o', 'x', '--stdout'], { cwd: dir })).code, 2)
  t.equal((await runCli([], { cwd: dir })).code, 2)
  const help = await runCli(['--help'], { cwd: dir })
  t.equal(help.code, 0)
  t.match(help.stdout, /render/)
})

t.test('a built-in provider is explained', async (t) => {
  const dir = t.testdir({ 'cluster.yml': 'network:\n  provider: calico\n' })
  const run = await runCli(['render'], { cwd: dir })
  t.equal(run.code, 2)
  t.match(run.stderr, /calico.*built into Pharos/)
  t.match(run.stderr, /init --provider/)
})

t.test('an unexpected error is exit 3 and says it is a bug; its stack only with --debug', async (t) => {
  const dir = t.testdir({ 'cluster.yml': goodConfig, net: { '01-cfg.yml.liquid': goodManifest } })
  const run = async (argv: string[]) => {
    let stderr = ''
    const code = await main(argv, {
      stdout: { write: () => { throw new Error('the terminal fell over') } },
      stderr: { write: (s: string) => (stderr += s) },
      cwd: dir,
      env: {},
    })
    return { code, stderr }
  }
  const plain = await run(['render'])
  t.equal(plain.code, 3)
  t.equal(plain.stderr, 'error: the terminal fell over\n  hint: this is a bug in kubectl-pharos-net; rerun with --debug and report it\n')
  const debug = await run(['render', '--debug'])
  t.equal(debug.code, 3)
  t.match(debug.stderr, /^error: the terminal fell over\n.*\nError: the terminal fell over\n\s+at /s)
})

t.test('--quiet silences warnings, notes and the summary, not errors', async (t) => {
  const dir = t.testdir({
    'cluster.yml': `${goodConfig}unknown_key: 1\n`,
    net: { '01-cfg.yml.liquid': goodManifest, '02-old.yml': 'apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata:\n  name: np\nspec: {}\n' },
  })
  const loud = await runCli(['render', '-o', 'out', '--upgrade-apis'], { cwd: dir })
  t.equal(loud.code, 0, loud.stderr)
  t.match(loud.stderr, /warning: unknown key `unknown_key`/)
  t.match(loud.stderr, /note: NetworkPolicy np: extensions\/v1beta1 → networking\.k8s\.io\/v1/)
  t.match(loud.stderr, /rendered 2 objects from 2 files into out/)
  const quiet = await runCli(['render', '-o', 'out', '--upgrade-apis', '-q'], { cwd: dir })
  t.equal(quiet.code, 0)
  t.equal(quiet.stderr, '', 'nothing but errors')
  const failing = await runCli(['render', '-q', '-c', 'missing.yml'], { cwd: dir })
  t.equal(failing.code, 2)
  t.match(failing.stderr, /error: config file not found/, 'errors still print')
})

t.test("a system error the core did not expect is the machine's (exit 3), with a hint for its code", async (t) => {
  const dir = t.testdir({ 'cluster.yml': goodConfig, net: { '01-cfg.yml.liquid': goodManifest } })
  const failingWrite = async (code: string) => {
    let stderr = ''
    const exit = await main(['render'], {
      stdout: { write: () => { throw Object.assign(new Error(`${code}: it failed, write`), { code, syscall: 'write' }) } },
      stderr: { write: (s: string) => (stderr += s) },
      cwd: dir,
      env: {},
    })
    return { exit, stderr }
  }
  t.same(await failingWrite('ENOSPC'), { exit: 3, stderr: 'error: ENOSPC: it failed, write\n  hint: the disk is full: free some space\n' })
  t.same(await failingWrite('EWHATEVER'), { exit: 3, stderr: 'error: EWHATEVER: it failed, write\n  hint: check the path and its permissions\n' })
  const hints: Record<string, string> = {
    EACCES: 'permission denied: check the permissions of the path, or run where you may write',
    EPERM: 'the operation is not permitted: check the permissions of the path',
    EROFS: 'the file system is read-only: choose a writable place',
    EDQUOT: 'the disk quota is exceeded: free some space',
    EMFILE: 'too many open files: raise `ulimit -n`',
  }
  for (const [code, hint] of Object.entries(hints)) t.equal((await failingWrite(code)).stderr, `error: ${code}: it failed, write\n  hint: ${hint}\n`, code)
  const notSystem = async (error: unknown) => {
    let stderr = ''
    const exit = await main(['render'], { stdout: { write: () => { throw error } }, stderr: { write: (s: string) => (stderr += s) }, cwd: dir, env: {} })
    return { exit, stderr }
  }
  const bug = '  hint: this is a bug in kubectl-pharos-net; rerun with --debug and report it\n'
  t.same(await notSystem(Object.assign(new Error('coded'), { code: 'EACCES' })), { exit: 3, stderr: `error: coded\n${bug}` }, 'a code without a syscall is ours')
  t.same(await notSystem(Object.assign(new Error('numbered'), { code: 13, syscall: 'write' })), { exit: 3, stderr: `error: numbered\n${bug}` })
  t.same(await notSystem({ message: 'not an Error', code: 'EACCES', syscall: 'write' }), { exit: 3, stderr: `error: [object Object]\n${bug}` })
})

t.test('several problems in cluster.yml are all reported, each at its place', async (t) => {
  const config = goodConfig.replace('10.32.0.0/12', '10.32.0.300/12').replace('10.96.0.0/12', 'banana')
  const dir = t.testdir({ 'cluster.yml': config, net: { '01-cfg.yml.liquid': goodManifest } })
  const run = await runCli(['render'], { cwd: dir })
  t.equal(run.code, 2)
  t.match(run.stderr, /^cluster\.yml:3:21: error: .*10\.32\.0\.300(?:.*\n)+cluster\.yml:4:17: error: .*banana/)
})

t.test('help fits the terminal, up to 110 columns; --limit needs a value', async (t) => {
  const help = async (columns?: number) => {
    let stdout = ''
    await main(['render', '--help'], { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, cwd: '/', env: {}, columns })
    return Math.max(...stdout.split('\n').map((line) => line.length))
  }
  t.ok(await help(200) <= 110 && await help(200) > 100, 'a wide terminal: 110')
  t.ok(await help(60) <= 60, 'a narrow one: its width')
  t.ok(await help() > 110, 'a pipe: not wrapped')
  const dir = t.testdir({ 'cluster.yml': goodConfig, net: { '01-cfg.yml.liquid': goodManifest } })
  const run = await runCli(['render', '--limit'], { cwd: dir })
  t.equal(run.code, 2)
  t.match(run.stderr, /Not enough arguments following: limit/)
})

t.test('SIGINT or SIGTERM during a command: "interrupted", and the exit code of that signal', async (t) => {
  const dir = t.testdir({ 'cluster.yml': goodConfig, net: { '01-cfg.yml.liquid': goodManifest } })
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    let stderr = ''
    const exit = await main(['diff', '--kubectl', '/nonexistent/kubectl'], {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
      cwd: dir,
      env: {},
      signal: AbortSignal.abort(signal),
    })
    t.same({ exit, stderr }, { exit: code, stderr: 'interrupted\n' }, signal)
  }
})

t.test('a flag that takes one value, given twice, is refused with both values', async (t) => {
  const dir = t.testdir({ 'cluster.yml': goodConfig, net: { '01-cfg.yml.liquid': goodManifest } })
  // render's -c is a list (a fleet); every other command's is one config.
  const run = await runCli(['validate', '-c', 'a.yml', '--config', 'b.yml'], { cwd: dir })
  t.equal(run.code, 2)
  t.match(run.stderr, '--config was given more than once (a.yml, b.yml); give it once')
  const short = await runCli(['render', '-o', 'x', '-o', 'y'], { cwd: dir })
  t.match(short.stderr, '--output-dir was given more than once (x, y); give it once', 'named by its long name')
  t.same(await readdir(dir), ['cluster.yml', 'net'], 'nothing written')
})

t.test('render notes: each upgrade with what it changed, each object left out with why', async (t) => {
  const dir = t.testdir({
    'cluster.yml': goodConfig,
    net: {
      '01-cfg.yml.liquid': goodManifest,
      '02-old.yml': 'apiVersion: extensions/v1beta1\nkind: DaemonSet\nmetadata:\n  name: agent\n  namespace: kube-system\nspec:\n  template:\n    metadata:\n      labels: {app: agent}\n    spec:\n      containers: [{name: a, image: a}]\n---\napiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: open\nspec: {}\n',
    },
  })
  const run = await runCli(['render', '-o', 'out', '--upgrade-apis', '--drop-removed'], { cwd: dir })
  t.equal(run.code, 0, run.stderr)
  t.equal(run.stderr, [
    'net/02-old.yml:1: note: DaemonSet agent: extensions/v1beta1 → apps/v1; added spec.selector.matchLabels from the pod template labels; ' +
      'spec.updateStrategy now defaults to RollingUpdate (extensions/v1beta1 defaulted to OnDelete)',
    'net/02-old.yml:13: note: left out PodSecurityPolicy open: policy/v1beta1 was removed in Kubernetes 1.25 without a replacement',
    'rendered 2 objects from 2 files into out',
    '',
  ].join('\n'))
})
