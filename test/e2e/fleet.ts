/**
 * A fleet rendered in one run through the real kubectl plugin mechanism: one folder per cluster, each the
 * bytes a render of that config alone writes; one broken config fails the run and changes no folder.
 */
import t from 'tap'
import { cp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { snapshotTree } from '../helpers/hostile.js'
import { repoRoot } from '../helpers/paths.js'
import { pharosNet } from '../helpers/tool.js'

const example = join(repoRoot, 'examples', 'flannel')

/** fleet/eu-1/, fleet/us-2/ (the example, each with its own pod network) and prod.yml beside a copy. */
async function fleet(dir: string): Promise<void> {
  for (const [name, cidr] of [['eu-1', '172.31.0.0/16'], ['us-2', '172.33.0.0/16']] as const) {
    await cp(example, join(dir, 'fleet', name), { recursive: true })
    const config = join(dir, 'fleet', name, 'cluster.yml')
    await writeFile(config, (await readFile(config, 'utf8')).replace('172.31.0.0/16', cidr))
  }
  await cp(join(example, 'flannel'), join(dir, 'prod-net'), { recursive: true })
  await writeFile(join(dir, 'prod.yml'), (await readFile(join(example, 'cluster.yml'), 'utf8')).replace('./flannel/', './prod-net/'))
}

const CONFIGS = ['-c', 'fleet/*/cluster.yml', '-c', 'prod.yml']

t.test('three configs: three folders, each byte-identical to a render of that config alone', async (t) => {
  const dir = t.testdir({})
  await fleet(dir)
  const run = await pharosNet(['render', ...CONFIGS, '-o', 'out', '--quiet'], { cwd: dir })
  t.equal(run.exitCode, 0, run.stderr)
  t.equal(run.stderr, '')
  const written = await snapshotTree(join(dir, 'out'))
  t.same(Object.keys(written).filter((path) => !path.includes('/')), ['', 'eu-1', 'prod', 'us-2'])
  for (const [name, config] of [['eu-1', 'fleet/eu-1/cluster.yml'], ['us-2', 'fleet/us-2/cluster.yml'], ['prod', 'prod.yml']]) {
    const alone = join(dir, 'alone', name)
    const single = await pharosNet(['render', '-c', config, '-o', alone, '--quiet'], { cwd: dir })
    t.equal(single.exitCode, 0, single.stderr)
    t.same(await snapshotTree(join(dir, 'out', name)), await snapshotTree(alone), `out/${name} is what a render of ${config} writes`)
  }
  t.match(await readFile(join(dir, 'out', 'us-2', '04-config-map.yml'), 'utf8'), '"Network": "172.33.0.0/16"')
})

t.test('three configs, one broken: exit 2 naming it, and no output folder changed', async (t) => {
  const dir = t.testdir({})
  await fleet(dir)
  const first = await pharosNet(['render', ...CONFIGS, '-o', 'out', '--quiet'], { cwd: dir })
  t.equal(first.exitCode, 0, first.stderr)
  // us-2 changes its pod network (its folder would change), eu-1 breaks.
  const us = join(dir, 'fleet', 'us-2', 'cluster.yml')
  await writeFile(us, (await readFile(us, 'utf8')).replace('172.33.0.0/16', '172.34.0.0/16'))
  const eu = join(dir, 'fleet', 'eu-1', 'cluster.yml')
  await writeFile(eu, (await readFile(eu, 'utf8')).replace('service_cidr: 172.32.0.0/16', 'service_cidr: 172.31.128.0/17'))
  const before = await snapshotTree(dir)

  const run = await pharosNet(['render', ...CONFIGS, '-o', 'out'], { cwd: dir })
  t.equal(run.exitCode, 2, run.stderr)
  t.equal(run.stdout, '')
  t.match(run.stderr, /^fleet\/eu-1\/cluster\.yml:4:\d+: error: network\.pod_network_cidr 172\.31\.0\.0\/16 and network\.service_cidr 172\.31\.128\.0\/17 overlap\n/)
  t.match(run.stderr, /\nerror: 1 of 3 cluster configs did not render \(fleet\/eu-1\/cluster\.yml\); no output folder was changed\n/)
  t.notMatch(run.stderr, /rendered \d+ objects/)
  t.same(await snapshotTree(dir), before, 'out/eu-1, out/prod and out/us-2 as they were; nothing beside them')

  const stdout = await pharosNet(['render', ...CONFIGS], { cwd: dir })
  t.equal(stdout.exitCode, 2)
  t.match(stdout.stderr, /^error: 2 configs render a fleet, one folder per cluster, which standard output cannot hold\n {2}hint: give -o OUT/)
  t.same(await snapshotTree(dir), before)
})
