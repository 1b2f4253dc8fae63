import t from 'tap'
import { mkdir, readdir, readFile, rm, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { InputErrors, UsageError } from '../src/errors.js'
import { clusterName, expandConfigPaths, fleetMembers, isConfigGlob, renderFleet, writeFleet } from '../src/fleet.js'
import { OUTPUT_MARKER } from '../src/output.js'
import { snapshotTree } from './helpers/hostile.js'

const config = (cidr = '10.32.0.0/12', manifestPath = './net') =>
  `network:\n  provider: custom\n  pod_network_cidr: ${cidr}\n  custom:\n    manifest_path: ${manifestPath}\n`
const manifest = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`
const cluster = (name: string, cidr?: string) => ({ 'cluster.yml': config(cidr), net: { '01-cfg.yml': manifest(name) } })

t.test('a -c value is a glob when picomatch says so', async (t) => {
  for (const glob of ['*.yml', 'fleet/*/cluster.yml', '**/cluster.yml', 'c?.yml', 'c[12].yml', '{a,b}.yml']) t.ok(isConfigGlob(glob), glob)
  for (const path of ['cluster.yml', 'fleet/eu-1/cluster.yml', '/abs/prod.yml', './prod.yml']) t.notOk(isConfigGlob(path), path)
})

t.test('globs expand below the current folder, sorted by bytes, in the order of the arguments', async (t) => {
  const dir = t.testdir({
    fleet: { 'b-1': { 'cluster.yml': '' }, 'B-2': { 'cluster.yml': '' }, 'a-3': { 'cluster.yml': '', 'other.yml': '' }, '.hidden': { 'cluster.yml': '' }, empty: {} },
    'prod.yml': '',
    'stage.yml': '',
    '.dot.yml': '',
    deep: { x: { y: { 'cluster.yml': '' } } },
  })
  t.same(await expandConfigPaths(['fleet/*/cluster.yml'], dir), ['fleet/B-2/cluster.yml', 'fleet/a-3/cluster.yml', 'fleet/b-1/cluster.yml'])
  t.same(await expandConfigPaths(['stage.yml', '*.yml'], dir), ['stage.yml', 'prod.yml'], 'a file named twice counts once; dotfiles are not matched')
  t.same(await expandConfigPaths(['./*.yml'], dir), ['prod.yml', 'stage.yml'])
  t.same(await expandConfigPaths(['**/cluster.yml'], dir), [
    'deep/x/y/cluster.yml', 'fleet/B-2/cluster.yml', 'fleet/a-3/cluster.yml', 'fleet/b-1/cluster.yml',
  ], '** walks every folder but hidden ones')
  t.same(await expandConfigPaths([join(dir, 'fleet', '{a,b}-*', 'cluster.yml')], dir), [
    join(dir, 'fleet/a-3/cluster.yml'), join(dir, 'fleet/b-1/cluster.yml'),
  ], 'an absolute glob gives absolute paths')
  t.same(await expandConfigPaths(['missing.yml', 'prod.yml'], dir), ['missing.yml', 'prod.yml'], 'a plain path is kept as given')
  await t.rejects(expandConfigPaths(['prod.yml', 'fleet/*/none.yml'], dir), {
    constructor: UsageError,
    message: '-c fleet/*/none.yml matches no file',
    hint: /quote the glob/,
  })
  await t.rejects(expandConfigPaths(['nowhere/*.yml'], dir), { message: '-c nowhere/*.yml matches no file' })
})

t.test('a glob does not follow links to folders, and matches links to files', async (t) => {
  const dir = t.testdir({ fleet: { real: { 'cluster.yml': '' } }, 'prod.yml': '' })
  await symlink('..', join(dir, 'fleet', 'loop'))
  await symlink('../prod.yml', join(dir, 'fleet', 'linked.yml'))
  t.same(await expandConfigPaths(['fleet/**/*.yml'], dir), ['fleet/linked.yml', 'fleet/real/cluster.yml'])
})

t.test('a cluster is named after its config file, or after the folder of a cluster.yml', async (t) => {
  const cases: Array<[string, string]> = [
    ['prod.yml', 'prod'],
    ['prod.yaml', 'prod'],
    ['prod.yml.erb', 'prod'],
    ['clusters/eu-1.yml', 'eu-1'],
    ['fleet/eu-1/cluster.yml', 'eu-1'],
    ['fleet/eu-1/cluster.yml.erb', 'eu-1'],
    ['cluster.yml', 'work'],
    ['prod', 'prod'],
  ]
  for (const [path, name] of cases) t.equal(clusterName(path, '/srv/work'), name, path)
})

t.test('two configs with the same name, or a name that cannot be a folder, are usage errors naming them', async (t) => {
  t.same(fleetMembers(['a/cluster.yml', 'b.yml'], '/w'), [
    { configFile: '/w/a/cluster.yml', shown: 'a/cluster.yml', name: 'a' },
    { configFile: '/w/b.yml', shown: 'b.yml', name: 'b' },
  ])
  t.throws(() => fleetMembers(['prod.yml', 'eu/prod.yml.erb'], '/w'), {
    constructor: UsageError,
    message: 'prod.yml and eu/prod.yml.erb both render into the folder prod',
    hint: /rename one of them/,
  })
  t.throws(() => fleetMembers(['prod/cluster.yml', 'prod.yml'], '/w'), { message: 'prod/cluster.yml and prod.yml both render into the folder prod' })
  t.throws(() => fleetMembers(['.yml'], '/w'), { constructor: UsageError, message: 'cannot name the output folder of .yml: its name would be ""' })
  t.throws(() => fleetMembers(['.hidden/cluster.yml'], '/w'), { message: /cannot name the output folder of \.hidden\/cluster\.yml/ })
})

t.test('every bad config is reported with its file, then a summary; the good ones do not hide them', async (t) => {
  const dir = t.testdir({
    a: cluster('a'),
    b: { 'cluster.yml': config('10.32.0.0/33'), net: { '01-cfg.yml': manifest('b') } },
    c: cluster('c'),
    d: { 'cluster.yml': config(), net: { '01-cfg.yml': 'kind: ConfigMap\n' } },
  })
  const members = fleetMembers(['a/cluster.yml', 'b/cluster.yml', 'c/cluster.yml', 'd/cluster.yml', 'e.yml'], dir)
  const error = await renderFleet(members, { cwd: dir, env: {} }).catch((e: unknown) => e)
  t.type(error, InputErrors)
  const { diagnostics } = error as InputErrors
  t.match(diagnostics, [
    { file: join(dir, 'b', 'cluster.yml'), line: 3, message: /pod_network_cidr/ },
    { file: join(dir, 'd', 'net', '01-cfg.yml'), message: /apiVersion/ },
    { file: join(dir, 'e.yml'), message: 'config file not found: e.yml' },
    {
      severity: 'error',
      message: '3 of 5 cluster configs did not render (b/cluster.yml, d/cluster.yml, e.yml); no output folder was changed',
      hint: /written whole or not at all/,
    },
  ])
  t.equal(diagnostics.length, 4)
  t.equal((error as InputErrors).exitCode, 2)

  const good = await renderFleet(fleetMembers(['c/cluster.yml', 'a/cluster.yml'], dir), { cwd: dir, env: {} })
  t.same(good.map(({ member, set }) => [member.name, set.documents[0]?.object.metadata.name]), [['c', 'c'], ['a', 'a']])
})

t.test('the fleet is written into OUT/<name>/, all folders or none', async (t) => {
  const dir = t.testdir({ fleet: { 'eu-1': cluster('eu'), 'us-2': cluster('us') }, out: { 'us-2': { 'mine.txt': 'keep' } } })
  const home = join(dir, 'home')
  const protect = [{ role: 'the current folder', path: dir }, { role: 'the home folder', path: home }]
  const rendered = await renderFleet(fleetMembers(['fleet/eu-1/cluster.yml', 'fleet/us-2/cluster.yml'], dir), { cwd: dir, env: {} })

  const before = await snapshotTree(dir)
  await t.rejects(writeFleet(rendered, { outDir: join(dir, 'out'), protect }), {
    constructor: UsageError,
    message: `output folder ${join(dir, 'out', 'us-2')} is not empty and was not written by this tool; no output folder was changed`,
    hint: /--force/,
  })
  t.same(await snapshotTree(dir), before, 'out/eu-1 was not written either')

  await t.rejects(writeFleet(rendered, { outDir: join(dir, 'fleet'), protect, force: true }), {
    constructor: UsageError,
    message: `refusing to replace the output folder ${join(dir, 'fleet', 'eu-1')}: it contains the config file of eu-1 ${join(dir, 'fleet', 'eu-1', 'cluster.yml')}; no output folder was changed`,
  })
  t.same(await snapshotTree(dir), before, 'no refusal changed anything')

  await writeFleet(rendered, { outDir: join(dir, 'out'), protect, force: true })
  for (const name of ['eu-1', 'us-2']) {
    t.same((await readdir(join(dir, 'out', name))).sort(), ['.kubectl-pharos-net', '01-cfg.yml', 'kustomization.yaml'].sort(), name)
  }
  t.match(await readFile(join(dir, 'out', 'us-2', '01-cfg.yml'), 'utf8'), 'name: us')
  t.equal((await readdir(join(dir, 'out', 'eu-1'))).includes(OUTPUT_MARKER), true)
})

t.test('one cluster of a fleet into a folder another cluster reads from is refused', async (t) => {
  const dir = t.testdir({ prod: { 'net.yml': manifest('x') }, 'stage.yml': config('10.32.0.0/12', './prod/net.yml') })
  await mkdir(join(dir, 'out'))
  const rendered = await renderFleet(fleetMembers(['stage.yml'], dir), { cwd: dir, env: {} })
  await t.rejects(writeFleet(rendered.map((r) => ({ ...r, member: { ...r.member, name: 'prod' } })), { outDir: dir, protect: [] }), {
    message: new RegExp(`it contains the manifest path of prod ${join(dir, 'prod', 'net.yml')}`),
  })
})

t.test("waiting for another render's lock names the member whose folder it is", async (t) => {
  const dir = t.testdir({ fleet: { 'eu-1': cluster('eu'), 'us-2': cluster('us') }, out: { '.us-2.pharos-net.lock': `${process.pid}\n` } })
  const rendered = await renderFleet(fleetMembers(['fleet/eu-1/cluster.yml', 'fleet/us-2/cluster.yml'], dir), { cwd: dir, env: {} })
  const waits: Array<[number, string]> = []
  const writing = writeFleet(rendered, { outDir: join(dir, 'out'), protect: [], onWait: (pid, name) => waits.push([pid, name]) })
  await new Promise((done) => setTimeout(done, 300))
  const during = (await readdir(join(dir, 'out'))).sort()
  t.match(during, [/^\.eu-1\.pharos-net-staging-[0-9a-f]{8}$/, '.eu-1.pharos-net.lock', '.us-2.pharos-net.lock'], 'eu-1 staged and locked; nothing swapped in while us-2 waits')
  t.equal(during.length, 3)
  await rm(join(dir, 'out', '.us-2.pharos-net.lock'))
  await writing
  t.same(waits, [[process.pid, 'us-2']])
  t.same((await readdir(join(dir, 'out'))).sort(), ['eu-1', 'us-2'])
})
