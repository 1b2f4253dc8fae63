import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readdir, readFile, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'yaml'
import { EnvironmentError, UsageError } from '../src/errors.js'
import { defaultTemplatesDir, listProviders, scaffoldProvider } from '../src/scaffold.js'
import { filesBelow, fsWithReversedReaddir, snapshotTree } from './helpers/hostile.js'

const templatesDir = defaultTemplatesDir()
const flannelDir = join(templatesDir, 'flannel')

const FLANNEL_FILES = [
  'README.md',
  'cluster.yml',
  'manifests/00-namespace.yml',
  'manifests/01-cluster-role.yml',
  'manifests/02-cluster-role-binding.yml',
  'manifests/03-service-account.yml',
  'manifests/04-config-map.yml.liquid',
  'manifests/05-daemon-set.yml.liquid',
]

t.test('the built-in template sets', async (t) => {
  t.equal(templatesDir, join(import.meta.dirname, '..', 'templates'))
  t.same(await listProviders(templatesDir), ['flannel'])
})

t.test('flannel into a new folder: the whole set, byte for byte, its cluster.yml pointing at manifests/', async (t) => {
  const dir = join(t.testdir({}), 'nested', 'net')
  const result = await scaffoldProvider({ provider: 'flannel', dir, templatesDir })
  t.same(result, { dir, files: FLANNEL_FILES })
  for (const file of FLANNEL_FILES) {
    t.equal(await readFile(join(dir, file), 'utf8'), await readFile(join(flannelDir, file), 'utf8'), file)
  }

  t.same(parse(await readFile(join(dir, 'cluster.yml'), 'utf8')), {
    network: {
      provider: 'custom',
      pod_network_cidr: '10.32.0.0/12',
      service_cidr: '10.96.0.0/12',
      custom: { manifest_path: './manifests', options: { backend: 'vxlan' } },
    },
  })
})

t.test('the flannel manifests: plain RBAC and namespace, Liquid where cluster.yml decides', async (t) => {
  const manifests = join(flannelDir, 'manifests')
  const kinds: string[] = []
  for (const name of (await readdir(manifests)).sort()) {
    if (name.endsWith('.yml')) kinds.push(parse(await readFile(join(manifests, name), 'utf8')).kind)
  }
  t.same(kinds, ['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ServiceAccount'])
  const configMap = await readFile(join(manifests, '04-config-map.yml.liquid'), 'utf8')
  t.match(configMap, '"Network": "{{ pod_network_cidr }}"')
  t.match(configMap, "{{ options.backend | default: 'vxlan' | to_json }}")
  const daemonSet = await readFile(join(manifests, '05-daemon-set.yml.liquid'), 'utf8')
  t.match(daemonSet, "options.image | default: 'ghcr.io/flannel-io/flannel:v0.28.9'")
  t.match(daemonSet, "options.cni_plugin_image | default: 'ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3'")
})

t.test('an unknown provider lists the available ones', async (t) => {
  const dir = t.testdir({})
  await t.rejects(scaffoldProvider({ provider: 'weave', dir: join(dir, 'net'), templatesDir }), {
    constructor: UsageError,
    message: 'unknown provider "weave"; available: flannel',
    hint: 'pass --provider with one of: flannel',
  })
  t.same(await readdir(dir), [], 'nothing written')
})

t.test('a non-empty folder is refused and left alone', async (t) => {
  const dir = t.testdir({ 'notes.txt': 'mine\n' })
  await t.rejects(scaffoldProvider({ provider: 'flannel', dir, templatesDir }), {
    constructor: UsageError,
    message: `${dir} is not empty`,
    hint: 'choose an empty or new folder, or pass --force to write into it anyway ' +
      '(files of the same name are overwritten, nothing is deleted)',
  })
  t.same(await readdir(dir), ['notes.txt'])
})

t.test('an existing empty folder is filled without --force', async (t) => {
  const dir = t.testdir({})
  t.same((await scaffoldProvider({ provider: 'flannel', dir, templatesDir })).files, FLANNEL_FILES)
  t.equal(await readFile(join(dir, 'cluster.yml'), 'utf8'), await readFile(join(flannelDir, 'cluster.yml'), 'utf8'))
})

t.test('--force overwrites the set\'s own files and keeps the others', async (t) => {
  const dir = t.testdir({
    'cluster.yml': 'old\n',
    'notes.txt': 'mine\n',
    manifests: { '00-namespace.yml': 'old\n', '99-extra.yml': 'kind: Extra\n' },
  })
  const result = await scaffoldProvider({ provider: 'flannel', dir, templatesDir, force: true })
  t.same(result.files, FLANNEL_FILES)
  t.equal(await readFile(join(dir, 'cluster.yml'), 'utf8'), await readFile(join(flannelDir, 'cluster.yml'), 'utf8'))
  t.equal(
    await readFile(join(dir, 'manifests', '00-namespace.yml'), 'utf8'),
    await readFile(join(flannelDir, 'manifests', '00-namespace.yml'), 'utf8'),
  )
  t.equal(await readFile(join(dir, 'notes.txt'), 'utf8'), 'mine\n')
  t.equal(await readFile(join(dir, 'manifests', '99-extra.yml'), 'utf8'), 'kind: Extra\n')
  t.same((await readdir(dir)).sort(), ['README.md', 'cluster.yml', 'manifests', 'notes.txt'], 'no staging folder left')
})

t.test('--force writes nothing when something is in the way of any file of the set', async (t) => {
  const inTheWay = {
    'a folder where the first file goes': { 'README.md': { 'x.txt': '' }, 'notes.txt': 'mine\n' },
    'a folder where the last file goes': {
      'cluster.yml': 'old\n',
      manifests: { '00-namespace.yml': 'old\n', '05-daemon-set.yml.liquid': { 'x.txt': '' } },
    },
    'a file where the set needs a folder': { 'cluster.yml': 'old\n', manifests: 'a file\n' },
  }
  for (const [name, tree] of Object.entries(inTheWay)) {
    const dir = t.testdir(tree)
    const before = await snapshotTree(dir)
    await t.rejects(scaffoldProvider({ provider: 'flannel', dir, templatesDir, force: true }), {
      constructor: UsageError,
      message: /^cannot write .*: a file or folder is in the way \((EISDIR|ENOTDIR)\)$/,
      hint: 'move it aside, or choose a new folder for init',
    }, name)
    t.same(await snapshotTree(dir), before, `${name}: the folder as it was`)
  }
  const dir = t.testdir({ 'cluster.yml': { 'x.txt': '' } })
  await t.rejects(scaffoldProvider({ provider: 'flannel', dir, templatesDir, force: true }), {
    message: `cannot write ${join(dir, 'cluster.yml')}: a file or folder is in the way (EISDIR)`,
  })
})

t.test('--force that fails half-way puts every file back', async (t) => {
  const dir = t.testdir({
    'cluster.yml': 'old\n',
    'notes.txt': 'mine\n',
    manifests: { '00-namespace.yml': 'old\n', '05-daemon-set.yml.liquid': 'old\n' },
  })
  // An immutable file cannot be renamed, even by root: the last file of the set fails after the others moved in.
  const last = join(dir, 'manifests', '05-daemon-set.yml.liquid')
  if (spawnSync('chattr', ['+i', last]).status !== 0) {
    t.skip('chattr +i is not available here')
    return
  }
  try {
    const before = await snapshotTree(dir)
    await t.rejects(scaffoldProvider({ provider: 'flannel', dir, templatesDir, force: true }), {
      constructor: EnvironmentError,
      message: `cannot write ${last}: operation not permitted (EPERM)`,
    })
    t.same(await snapshotTree(dir), before, 'the folder as it was: originals back, new files and folders gone')
  } finally {
    // Before tap removes the testdir, which it could not do around an immutable file.
    spawnSync('chattr', ['-i', last])
  }
})

t.test('--force that fails half-way removes the folders it created', async (t) => {
  const root = t.testdir({
    templates: { set: { 'cluster.yml': 'new\n', extra: { deep: { 'a.yml': 'kind: A\n' } }, 'zz.yml': 'new\n' } },
    out: { 'cluster.yml': 'old\n', 'zz.yml': 'old\n' },
  })
  const dir = join(root, 'out')
  const last = join(dir, 'zz.yml')
  if (spawnSync('chattr', ['+i', last]).status !== 0) {
    t.skip('chattr +i is not available here')
    return
  }
  try {
    const before = await snapshotTree(dir)
    await t.rejects(scaffoldProvider({ provider: 'set', dir, templatesDir: join(root, 'templates'), force: true }), {
      message: `cannot write ${last}: operation not permitted (EPERM)`,
    })
    t.same(await snapshotTree(dir), before, 'extra/deep/ gone with its file, cluster.yml as it was')
  } finally {
    spawnSync('chattr', ['-i', last])
  }
})

t.test('a file where the folder should be is refused', async (t) => {
  const dir = join(t.testdir({ taken: 'x' }), 'taken')
  await t.rejects(scaffoldProvider({ provider: 'flannel', dir, templatesDir }), {
    constructor: UsageError,
    message: `${dir} exists and is not a folder`,
    hint: 'choose a new or empty folder for init',
  })
  const under = join(dir, 'net')
  await t.rejects(scaffoldProvider({ provider: 'flannel', dir: under, templatesDir }), {
    constructor: UsageError,
    message: `cannot write ${under}: a file or folder is in the way (ENOTDIR)`,
  }, 'a folder below a file')
})

t.test('a set is a folder with a cluster.yml; files are sorted and written with LF endings', async (t) => {
  const root = t.testdir({
    templates: {
      zeta: { 'cluster.yml': 'a: 1\r\nb: 2\r\n', manifests: { 'b.yml': 'kind: B\n', 'a.yml.liquid': 'kind: A\r\n' }, 'manifests.md': 'notes\n' },
      alpha: { 'cluster.yml': '' },
      '.hidden': { 'cluster.yml': '' },
      'no-marker': { 'a.yml': '' },
      'stray.txt': '',
    },
  })
  const templates = join(root, 'templates')
  t.same(await listProviders(templates), ['alpha', 'zeta'])
  await t.rejects(scaffoldProvider({ provider: 'no-marker', dir: join(root, 'out'), templatesDir: templates }), {
    message: 'unknown provider "no-marker"; available: alpha, zeta',
    hint: 'pass --provider with one of: alpha, zeta',
  })
  await symlink('cluster.yml', join(templates, 'zeta', 'link.yml'))
  const dir = join(root, 'out')
  const result = await scaffoldProvider({ provider: 'zeta', dir, templatesDir: templates })
  // Byte order of the whole path: `manifests.md` ('.' is 0x2e) before `manifests/` ('/' is 0x2f). Links are not copied.
  const files = ['cluster.yml', 'manifests.md', 'manifests/a.yml.liquid', 'manifests/b.yml']
  t.same(result.files, files)
  t.same(await filesBelow(dir), files)
  const reversed = await t.mockImport<typeof import('../src/scaffold.js')>('../src/scaffold.js', {
    'node:fs/promises': await fsWithReversedReaddir(),
  })
  t.same(await reversed.listProviders(templates), ['alpha', 'zeta'], 'providers, whatever order readdir gives')
  t.same((await reversed.scaffoldProvider({ provider: 'zeta', dir: join(root, 'out2'), templatesDir: templates })).files, files, 'files too')
  t.equal(await readFile(join(dir, 'cluster.yml'), 'utf8'), 'a: 1\nb: 2\n')
  t.equal(await readFile(join(dir, 'manifests', 'a.yml.liquid'), 'utf8'), 'kind: A\n')
})

t.test('a new folder whose last step fails leaves nothing behind', async (t) => {
  const root = t.testdir({})
  const fs = await import('node:fs/promises')
  const failing = await t.mockImport<typeof import('../src/scaffold.js')>('../src/scaffold.js', {
    'node:fs/promises': { ...fs, rename: async () => { throw Object.assign(new Error('cross-device link'), { code: 'EXDEV' }) } },
  })
  const dir = join(root, 'net')
  await t.rejects(failing.scaffoldProvider({ provider: 'flannel', dir, templatesDir }), {
    message: `cannot write ${dir}: not on the same file system (EXDEV)`,
    hint: 'choose a folder that is not a mount point',
  })
  t.same(await readdir(root), [], 'neither the folder nor its staging copy')
})

t.test('a missing templates folder is an installation problem', async (t) => {
  const missing = join(t.testdir({}), 'templates')
  await t.rejects(listProviders(missing), {
    constructor: EnvironmentError,
    message: `cannot read the template sets in ${missing}: ENOENT`,
    hint: 'the installation of kubectl-pharos-net is incomplete; reinstall it',
  })
})
