import t from 'tap'
import { mkdir, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { detectCustomNetwork } from '../src/detect.js'

const custom = 'network:\n  provider: custom\n  custom:\n    manifest_path: ./net\n'

t.test('a folder is claimed when its config says provider: custom, or cannot be read', async (t) => {
  const dir = t.testdir({
    custom: { 'cluster.yml': custom },
    weave: { 'cluster.yml': 'network:\n  provider: weave\n' },
    calico: { 'cluster.yml': 'network:\n  provider: calico\n  custom:\n    manifest_path: ./net\n' },
    unset: { 'cluster.yml': 'network:\n  pod_network_cidr: 10.32.0.0/12\n' },
    quoted: { 'cluster.yml': 'network: {provider: "custom"}\n' },
    empty: { 'cluster.yml': '' },
    list: { 'cluster.yml': '- network\n' },
    none: { 'kustomization.yaml': 'resources: []\n' },
    broken: { 'cluster.yml': 'network:\n  provider: custom\n   bad: [\n' },
    duplicate: { 'cluster.yml': 'network: {}\nnetwork: {}\n' },
    erb: { 'cluster.yml.erb': "network:\n  provider: <%= ENV['NET'] %>\n" },
    both: { 'cluster.yml': 'network:\n  provider: weave\n', 'cluster.yml.erb': custom },
    erbOnly: { 'cluster.yml.erb': custom },
    badErb: { 'cluster.yml.erb': 'network: <%= `id` %>\n' },
    named: { 'prod.yml': custom, 'cluster.yml': 'network:\n  provider: weave\n' },
    folder: { 'cluster.yml': {} },
  })
  const detect = (folder: string, more: Partial<Parameters<typeof detectCustomNetwork>[0]> = {}) =>
    detectCustomNetwork({ cwd: join(dir, folder), env: {}, ...more })
  t.equal(await detect('custom'), join(dir, 'custom', 'cluster.yml'))
  t.equal(await detect('quoted'), join(dir, 'quoted', 'cluster.yml'))
  for (const folder of ['weave', 'calico', 'unset', 'empty', 'list', 'none', 'both']) t.equal(await detect(folder), undefined, folder)
  for (const folder of ['broken', 'duplicate', 'badErb', 'folder']) t.ok(await detect(folder), `${folder}: claimed, so that render reports it`)
  t.equal(await detect('erbOnly'), join(dir, 'erbOnly', 'cluster.yml.erb'))
  t.equal(await detect('erb', { env: { NET: 'custom' }, allowEnv: ['NET'] }), join(dir, 'erb', 'cluster.yml.erb'))
  t.equal(await detect('erb', { env: { NET: 'weave' }, allowEnv: ['NET'] }), undefined)
  t.ok(await detect('erb', { env: { NET: 'custom' } }), 'ENV not allowed: an error render reports')
  t.equal(await detect('named', { configFile: 'prod.yml' }), join(dir, 'named', 'prod.yml'))
  t.equal(await detect('named', { configFile: 'missing.yml' }), undefined)
  t.equal(await detect('named', { configFile: '../custom/cluster.yml' }), join(dir, 'custom', 'cluster.yml'))
})

t.test('a config over the file-size limit or behind a dangling link is claimed, not a crash', async (t) => {
  const dir = t.testdir({ big: { 'cluster.yml': `${custom}# ${'x'.repeat(2000)}\n` }, link: {} })
  await symlink('nowhere.yml', join(dir, 'link', 'cluster.yml'))
  const limits = (await import('../src/limits.js')).resolveLimits(['file-size=1KiB'], undefined)
  t.equal(await detectCustomNetwork({ cwd: join(dir, 'big'), limits }), join(dir, 'big', 'cluster.yml'))
  t.equal(await detectCustomNetwork({ cwd: join(dir, 'link') }), undefined, 'a dangling link is no file')
  await mkdir(join(dir, 'empty'))
  t.equal(await detectCustomNetwork({ cwd: join(dir, 'empty') }), undefined)
})
