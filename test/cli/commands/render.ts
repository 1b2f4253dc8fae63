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
