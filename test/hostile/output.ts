/**
 * render -o as Argo CD or CI runs it, the built CLI under a heap and time cap: no flag makes it replace an
 * input, the current or home folder; concurrent renders into one folder all succeed; a killed render is
 * repaired by the next; a folder it may not write is exit 3. Run `npm run build` first.
 */
import t, { type Test } from 'tap'
import { execa } from 'execa'
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { chmod, cp, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { hostileSandbox, runHostile, snapshotTree } from '../helpers/hostile.js'
import { binDir, toolEnv } from '../helpers/paths.js'

const CONFIG = 'network:\n  provider: custom\n  custom:\n    manifest_path: ./net\n'
const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  key: "${'x'.repeat(4000)}"\n`

/** A sandbox whose work/ holds a project under git, with `count` manifests. */
async function project(root: string, count = 3) {
  const sandbox = await hostileSandbox(root)
  const net: Record<string, string> = {}
  for (let i = 0; i < count; i++) net[`${String(i).padStart(3, '0')}-cm.yml`] = configMap(`cm-${i}`)
  await writeFile(join(sandbox.work, 'cluster.yml'), CONFIG)
  await mkdir(join(sandbox.work, 'net'))
  for (const [name, text] of Object.entries(net)) await writeFile(join(sandbox.work, 'net', name), text)
  await mkdir(join(sandbox.work, '.git'))
  await writeFile(join(sandbox.work, '.git', 'HEAD'), 'ref: refs/heads/main\n')
  await writeFile(join(sandbox.home, '.bashrc'), '# mine\n')
  await mkdir(join(sandbox.outside, 'data'))
  await writeFile(join(sandbox.outside, 'data', 'canary'), 'canary\n')
  return sandbox
}

/** The folder is one whole render: exactly the files its marker lists, and the marker. */
async function wholeRender(t: Test, dir: string, count: number): Promise<void> {
  const marker = await readFile(join(dir, '.kubectl-pharos-net'), 'utf8')
  const listed = marker.split('\n').slice(2, -1)
  t.equal(listed.length, count + 1, `${count} manifests and the kustomization listed`)
  t.same((await readdir(dir)).sort(), [...listed, '.kubectl-pharos-net'].sort(), 'exactly the listed files')
  const kustomization = await readFile(join(dir, 'kustomization.yaml'), 'utf8')
  t.equal(kustomization.match(/^ *- \d{3}-cm\.yml$/gm)?.length, count, 'a kustomization listing every manifest')
}

const refusals: Array<[string, string[], RegExp, ((work: string) => Promise<void>)?]> = [
  ['the current folder, with --force', ['-o', '.', '--force'], /: it is the current folder /],
  ['the current folder by another name', ['-o', '../work/', '--force'], /: it is the current folder /],
  ['the manifest folder', ['-o', 'net', '--force'], /: it is the manifest path /],
  ['the config file', ['-o', 'cluster.yml', '--force'], /: it is the config file /],
  ['the folder holding them all', ['-o', '..', '--force'], /: it contains the config file /],
  ['the home folder', ['-o', '../home', '--force'], /: it is the home folder /],
  ['-o with its value forgotten', ['-o', '--force'], /Not enough arguments following: o/],
  ['-o with an empty value', ['-o', '', '--force'], /error: -o needs a folder name/],
  ['a symbolic link to the current folder', ['-o', 'here', '--force'], /here \(.*\/work\): it is the current folder /, (work) => symlink('.', join(work, 'here'))],
  ['a symbolic link to the home folder', ['-o', 'h', '--force'], /: it is the home folder /, (work) => symlink('../home', join(work, 'h'))],
]

t.test('no flag makes render replace an input, the current or the home folder', async (t) => {
  for (const [name, args, message, setup] of refusals) {
    const root = t.testdir({})
    const { work } = await project(root)
    await setup?.(work)
    const before = await snapshotTree(root)
    const run = await runHostile(['render', ...args], { cwd: work })
    t.equal(run.exitCode, 2, `${name}: exit 2\n${run.stderr}`)
    t.match(run.stderr, message, name)
    t.notMatch(run.stderr, /this is a bug/)
    t.same(await snapshotTree(root), before, `${name}: work/, home/ and outside/ unchanged`)
  }
})

t.test('a symbolic link to a folder elsewhere is replaced as a link: the folder it points at is untouched', async (t) => {
  const root = t.testdir({})
  const { work, outside } = await project(root)
  await symlink('../outside/data', join(work, 'out'))
  const before = await snapshotTree(outside)
  t.equal((await runHostile(['render', '-o', 'out'], { cwd: work })).exitCode, 2, 'foreign without --force')
  const run = await runHostile(['render', '-o', 'out', '--force'], { cwd: work })
  t.equal(run.exitCode, 0, run.stderr)
  await wholeRender(t, join(work, 'out'), 3)
  t.same(await snapshotTree(outside), before, 'outside/ unchanged')
})

t.test('renders started at once into one folder all succeed, and leave one whole render', async (t) => {
  const root = t.testdir({})
  const { work } = await project(root, 40)
  const runs = await Promise.all([1, 2, 3].map(() => runHostile(['render', '-o', 'out'], { cwd: work })))
  for (const run of runs) t.equal(run.exitCode, 0, run.stderr)
  await wholeRender(t, join(work, 'out'), 40)
  t.same((await readdir(work)).sort(), ['.git', 'cluster.yml', 'net', 'out'], 'no lock or staging folder left')
})

t.test('the leftovers of a killed render are repaired by the next', async (t) => {
  const root = t.testdir({})
  const { work } = await project(root)
  t.equal((await runHostile(['render', '-o', 'out'], { cwd: work })).exitCode, 0)
  // Killed between its two renames: out/ moved aside, the new one staged, the lock held by a dead process.
  await cp(join(work, 'out'), join(work, '.out.pharos-net-old-0123abcd'), { recursive: true })
  await cp(join(work, 'out'), join(work, '.out.pharos-net-staging-89abcdef'), { recursive: true })
  await import('node:fs/promises').then((fs) => fs.rm(join(work, 'out'), { recursive: true }))
  await writeFile(join(work, '.out.pharos-net.lock'), `${spawnSync(process.execPath, ['-e', '']).pid}\n`)
  const run = await runHostile(['render', '-o', 'out'], { cwd: work })
  t.equal(run.exitCode, 0, run.stderr)
  t.notMatch(run.stderr, /waiting/, 'a dead holder is not waited for')
  await wholeRender(t, join(work, 'out'), 3)
  t.same((await readdir(work)).sort(), ['.git', 'cluster.yml', 'net', 'out'])
})

t.test('SIGKILL while writing leaves the previous output whole, and the next render cleans up', async (t) => {
  const root = t.testdir({})
  const { work } = await project(root, 300)
  t.equal((await runHostile(['render', '-o', 'out'], { cwd: work, timeoutMs: 60_000 })).exitCode, 0)
  const before = await snapshotTree(join(work, 'out'))
  // Killed as soon as its staging folder appears, or as soon as the old folder is moved aside.
  for (const moment of ['.out.pharos-net-staging-', '.out.pharos-net-old-']) {
    const child = execa('env', ['-u', 'NODE_OPTIONS', 'node', join(binDir, 'kubectl-pharos_net'), 'render', '-o', 'out'], {
      cwd: work,
      env: toolEnv({ HOME: join(root, 'home') }),
      reject: false,
    })
    const deadline = Date.now() + 30_000
    let seen: string[] = []
    while (Date.now() < deadline && !seen.some((name) => name.startsWith(moment))) seen = readdirSync(work)
    child.kill('SIGKILL')
    t.equal((await child).signal, 'SIGKILL', `killed at ${moment}`)
    const left = readdirSync(work)
    t.ok(left.includes('.out.pharos-net.lock'), `${moment}: the lock of a dead process left behind`)
    if (moment.endsWith('staging-')) {
      t.ok(left.some((name) => name.startsWith(moment)), 'killed while writing: its staging folder left behind')
      t.same(await snapshotTree(join(work, 'out')), before, 'the previous output whole and unchanged')
    }
    await wholeRender(t, join(work, 'out'), 300)
  }
  const run = await runHostile(['render', '-o', 'out'], { cwd: work, timeoutMs: 60_000 })
  t.equal(run.exitCode, 0, run.stderr)
  t.notMatch(run.stderr, /waiting/, 'a dead holder is not waited for')
  await wholeRender(t, join(work, 'out'), 300)
  t.same((await readdir(work)).sort(), ['.git', 'cluster.yml', 'net', 'out'], 'leftovers of the killed runs gone')
})

t.test('a folder the user may not write is exit 3, "permission denied", and nothing changes', async (t) => {
  const root = t.testdir({})
  const { work } = await project(root)
  await mkdir(join(work, 'ro'))
  spawnSync('chown', ['-R', '65534:65534', root])
  await chmod(join(work, 'ro'), 0o555)
  const before = await snapshotTree(root)
  // Root writes anywhere; run as nobody for a real EACCES.
  const run = await execa('env', ['-u', 'NODE_OPTIONS', 'node', join(binDir, 'kubectl-pharos_net'), 'render', '-o', 'ro/out'], {
    cwd: work,
    env: toolEnv({ HOME: join(root, 'home') }),
    uid: 65534,
    gid: 65534,
    reject: false,
  })
  t.equal(run.exitCode, 3, String(run.stderr))
  t.match(String(run.stderr), /^error: cannot create the lock file \/.*\/work\/ro\/\.out\.pharos-net\.lock: permission denied \(EACCES\)\n {2}hint: choose a folder you can write to/)
  t.same(await snapshotTree(root), before)
})
