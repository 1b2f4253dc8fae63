/**
 * render -o through the CLI in-process: a folder that holds the inputs, the current or the home folder is
 * refused (exit 2) whatever the flags, and nothing in the testdir changes; output failures are exit 3.
 */
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCli } from '../../helpers/cli.js'
import { snapshotTree } from '../../helpers/hostile.js'

const config = (manifestPath: string) => `network:
  provider: custom
  custom:
    manifest_path: ${manifestPath}
`
const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n'

function project(t: Test, manifestPath = './net') {
  const dir = t.testdir({
    'cluster.yml': config(manifestPath),
    net: { '01-cfg.yml': manifest },
    'one.yml': manifest,
    '.git': { HEAD: 'ref: refs/heads/main\n' },
    home: { '.bashrc': '# mine\n' },
    'a-file': 'x\n',
  })
  return { dir, env: { HOME: join(dir, 'home') } }
}

const refusals: Array<{ name: string; args: string[]; message: RegExp; manifestPath?: string; setup?: (dir: string) => Promise<void> }> = [
  { name: '-o . --force', args: ['-o', '.', '--force'], message: /refusing to replace the output folder \/.*: it is the current folder / },
  { name: '-o ./ --force', args: ['-o', './', '--force'], message: /: it is the current folder / },
  { name: '-o net --force (the manifest folder)', args: ['-o', 'net', '--force'], message: /: it is the manifest path \/.*\/net\n/ },
  {
    name: '-o one.yml --force (a single manifest file)',
    args: ['-o', 'one.yml', '--force'],
    manifestPath: './one.yml',
    message: /: it is the manifest path \/.*\/one\.yml\n/,
  },
  { name: '-o cluster.yml --force', args: ['-o', 'cluster.yml', '--force'], message: /: it is the config file / },
  { name: '-o .. --force', args: ['-o', '..', '--force'], message: /: it contains the config file / },
  { name: '-o net/.. --force', args: ['-o', 'net/..', '--force'], message: /: it is the current folder / },
  {
    name: '-o a symbolic link to the current folder',
    args: ['-o', 'here', '--force'],
    setup: (dir) => symlink(dir, join(dir, 'here')),
    message: /output folder \/.*\/here \(\/.*\): it is the current folder /,
  },
  {
    name: '-o a symbolic link to the parent folder',
    args: ['-o', 'up', '--force'],
    setup: (dir) => symlink('..', join(dir, 'up')),
    message: /output folder \/.*\/up \(\/.*\): it contains the config file /,
  },
  { name: '-o $HOME', args: ['-o', 'home', '--force'], message: /: it is the home folder \/.*\/home\n/ },
  { name: '-o --force (the name forgotten)', args: ['-o', '--force'], message: /Not enough arguments following: o/ },
  { name: "-o ''", args: ['-o', ''], message: /^error: -o needs a folder name\n {2}hint: write the output to a folder of its own/ },
  { name: "-o ' ' --force", args: ['-o', ' ', '--force'], message: /^error: -o needs a folder name\n/ },
  { name: '-o last on the line', args: ['-o'], message: /Not enough arguments following: o/ },
  { name: '--output-dir= --force', args: ['--output-dir=', '--force'], message: /-o needs a folder name|Not enough arguments/ },
]

for (const refusal of refusals) {
  t.test(refusal.name, async (t) => {
    const { dir, env } = project(t, refusal.manifestPath)
    await refusal.setup?.(dir)
    const before = await snapshotTree(dir)
    const run = await runCli(['render', ...refusal.args], { cwd: dir, env })
    t.equal(run.code, 2, run.stderr)
    t.match(run.stderr, refusal.message)
    if (/refusing/.test(run.stderr)) t.match(run.stderr, /\n {2}hint: write the output to a folder of its own, e\.g\. -o out .*no flag allows/)
    t.notMatch(run.stderr, /this is a bug/)
    t.same(await snapshotTree(dir), before, 'nothing changed')
  })
}

t.test('an output folder of its own is written, replaced, and a foreign one needs --force', async (t) => {
  const { dir, env } = project(t)
  const first = await runCli(['render', '-o', 'out'], { cwd: dir, env })
  t.equal(first.code, 0, first.stderr)
  t.equal(first.stderr, 'rendered 1 objects from 1 files into out\n')
  t.equal((await runCli(['render', '-o', 'out'], { cwd: dir, env })).code, 0, 'its own folder replaced')

  await writeFile(join(dir, 'out', 'notes.txt'), 'mine\n')
  const before = await snapshotTree(dir)
  const foreign = await runCli(['render', '-o', 'out'], { cwd: dir, env })
  t.equal(foreign.code, 2)
  t.match(foreign.stderr, /output folder \/.*\/out is not empty and was not written by this tool\n {2}hint: .*--force/)
  t.same(await snapshotTree(dir), before, 'nothing changed')
  const forced = await runCli(['render', '-o', 'out', '--force'], { cwd: dir, env })
  t.equal(forced.code, 0, forced.stderr)
  t.same((await readdir(join(dir, 'out'))).sort(), ['.kubectl-pharos-net', '01-cfg.yml', 'kustomization.yaml'])
})

t.test('a second render waits for the first and says so once', async (t) => {
  const { dir, env } = project(t)
  const lock = join(dir, '.out.pharos-net.lock')
  await writeFile(lock, `${process.pid}\n`)
  const run = runCli(['render', '-o', 'out'], { cwd: dir, env })
  await new Promise((done) => setTimeout(done, 400))
  await rm(lock)
  const { code, stderr } = await run
  t.equal(code, 0, stderr)
  t.equal(stderr, `waiting for another render (pid ${process.pid}) into out\nrendered 1 objects from 1 files into out\n`)
})

t.test('output failures are exit 3 with the path and the reason, never "a bug"', async (t) => {
  const { dir, env } = project(t)
  const notAFolder = await runCli(['render', '-o', 'a-file/out'], { cwd: dir, env })
  t.equal(notAFolder.code, 3)
  t.match(notAFolder.stderr, /^error: cannot create the folder \/.*\/a-file: a file of that name already exists \(EEXIST\)\n {2}hint: /)
  const below = await runCli(['render', '-o', 'a-file/sub/out'], { cwd: dir, env })
  t.equal(below.code, 3)
  t.match(below.stderr, /: a part of the path is a file, not a folder \(ENOTDIR\)\n {2}hint: /)
  t.notMatch(notAFolder.stderr + below.stderr, /this is a bug/)

  const locked = join(dir, 'locked')
  await mkdir(locked)
  // An immutable folder refuses new entries even to root, as a read-only one does to anyone else.
  if (spawnSync('chattr', ['+i', locked]).status !== 0) return t.skip('chattr +i is not available here')
  try {
    const denied = await runCli(['render', '-o', 'locked/out'], { cwd: dir, env })
    t.equal(denied.code, 3)
    t.match(denied.stderr, /^error: cannot create the lock file \/.*\/locked\/\.out\.pharos-net\.lock: operation not permitted \(EPERM\)\n {2}hint: /)
  } finally {
    spawnSync('chattr', ['-i', locked])
  }
})

t.test('--kubernetes-version: checked, then the removed APIs of that version; --debug lists what is not a manifest', async (t) => {
  const dir = t.testdir({
    'cluster.yml': config('./net'),
    net: { '01-cron.yml': 'apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: c\n', 'README.md': '# notes\n' },
  })
  const bad = await runCli(['render', '--kubernetes-version', 'banana'], { cwd: dir })
  t.equal(bad.code, 2)
  t.match(bad.stderr, /^error: .*banana/)
  t.notMatch((await runCli(['render', '--kubernetes-version', '1.24'], { cwd: dir })).stderr, /CronJob/, 'batch/v1beta1 is served by 1.24')
  t.match((await runCli(['render', '--kubernetes-version', 'v1.25.3'], { cwd: dir })).stderr, /CronJob c.*batch\/v1beta1.*1\.25/)
  const debug = await runCli(['render', '--debug'], { cwd: dir })
  t.match(debug.stderr, /note: ignored README\.md: not a manifest\n/)
  t.notMatch((await runCli(['render'], { cwd: dir })).stderr, /ignored/)
})

t.test('a fleet needs -o; a glob without a match is named; -o writes OUT/<name>/ and says so for each', async (t) => {
  const dir = t.testdir({
    fleet: { 'eu-1': { 'cluster.yml': config('./net'), net: { '01-cfg.yml': manifest } } },
    'prod.yml': config('./prod-net'),
    'prod-net': { '01-cfg.yml': manifest },
  })
  const before = await snapshotTree(dir)
  for (const args of [['-c', 'prod.yml', '-c', 'fleet/eu-1/cluster.yml'], ['-c', 'prod.yml', '-c', 'fleet/eu-1/cluster.yml', '--stdout']]) {
    const run = await runCli(['render', ...args], { cwd: dir })
    t.equal(run.code, 2)
    t.equal(run.stdout, '')
    t.match(run.stderr, `error: 2 configs render a fleet, one folder per cluster, which ${args.includes('--stdout') ? '--stdout' : 'standard output'} cannot hold\n`)
  }
  const glob = await runCli(['render', '-c', 'fleet/*/cluster.yml'], { cwd: dir })
  t.match(glob.stderr, /^error: the glob fleet\/\*\/cluster\.yml renders a fleet/, 'a glob is a fleet, even of one')
  const none = await runCli(['render', '-c', 'prod.yml', '-c', 'clusters/*.yml', '-o', 'out'], { cwd: dir })
  t.equal(none.code, 2)
  t.match(none.stderr, /^error: -c clusters\/\*\.yml matches no file\n/)
  t.same(await snapshotTree(dir), before, 'nothing written')

  const run = await runCli(['render', '-c', 'fleet/*/cluster.yml', '-c', 'prod.yml', '-o', 'out'], { cwd: dir })
  t.equal(run.code, 0, run.stderr)
  t.equal(run.stderr, 'rendered 1 objects from 1 files into out/eu-1\nrendered 1 objects from 1 files into out/prod\n')
  t.same((await readdir(join(dir, 'out'))).sort(), ['eu-1', 'prod'])
  t.equal((await runCli(['render', '-c', 'fleet/*/cluster.yml', '-c', 'prod.yml', '-o', 'out', '-q'], { cwd: dir })).stderr, '')
})

t.test('--argocd: the Application settings fill in what the command line leaves unset', async (t) => {
  const removed = 'apiVersion: extensions/v1beta1\nkind: DaemonSet\nmetadata:\n  name: d\nspec:\n  template:\n    metadata:\n      labels: {app: d}\n    spec:\n      containers: [{name: c, image: i}]\n'
  const dir = t.testdir({ 'cluster.yml': config('./net'), 'other.yml': config('./other'), net: { '01-ds.yml': removed }, other: { '01-cfg.yml': manifest } })
  const env = { ARGOCD_ENV_UPGRADE_APIS: 'true', ARGOCD_ENV_CLUSTER_CONFIG: 'other.yml' }
  t.match((await runCli(['render', '--argocd'], { cwd: dir, env })).stdout, 'kind: ConfigMap', 'CLUSTER_CONFIG')
  t.match((await runCli(['render', '--argocd', '-c', 'cluster.yml'], { cwd: dir, env })).stdout, 'apiVersion: apps/v1', '-c wins; UPGRADE_APIS read')
  t.match((await runCli(['render', '-c', 'cluster.yml'], { cwd: dir, env })).stdout, 'apiVersion: extensions/v1beta1', 'nothing read without --argocd')
  const versioned = await runCli(['render', '--argocd', '-c', 'cluster.yml', '--kubernetes-version', '1.15'], {
    cwd: dir,
    env: { ARGOCD_ENV_KUBERNETES_VERSION: '1.30' },
  })
  t.notMatch(versioned.stderr, /DaemonSet d/, 'the flag wins over KUBERNETES_VERSION')
  t.match((await runCli(['render', '--argocd', '-c', 'cluster.yml'], { cwd: dir, env: { ARGOCD_ENV_KUBERNETES_VERSION: '1.30' } })).stderr, /DaemonSet d uses extensions\/v1beta1/)
  const literal = await runCli(['render', '--argocd'], { cwd: dir, env: { ARGOCD_ENV_CLUSTER_CONFIG: 'c*.yml' } })
  t.equal(literal.code, 2)
  t.match(literal.stderr, /^error: config file not found: c\*\.yml\n/, 'CLUSTER_CONFIG is one file, never a glob')
  const quiet = await runCli(['render', '--argocd', '-q'], { cwd: dir, env: { ...env, ARGOCD_ENV_TYPO: 'x' } })
  t.equal(quiet.stderr, '', '--quiet silences the unknown-setting warning too')
})
