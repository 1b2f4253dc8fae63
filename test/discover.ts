import t from 'tap'
import { symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { discoverManifests, discoverRenderedManifests, manifestEngine } from '../src/discover.js'
import { ConfigError, ManifestError, UsageError } from '../src/errors.js'
import { fsWithReversedReaddir } from './helpers/hostile.js'

const fixtures = join(import.meta.dirname, 'fixtures')

t.test('engine by suffix; dotfiles and other files are not manifests', async (t) => {
  t.equal(manifestEngine('a.yml'), 'plain')
  t.equal(manifestEngine('a.yaml.erb'), 'erb')
  t.equal(manifestEngine('a.yml.liquid'), 'liquid')
  t.equal(manifestEngine('.a.yml'), undefined)
  t.equal(manifestEngine('a.json'), undefined)
  t.equal(manifestEngine('.yml'), undefined)
})

t.test('a folder: sorted by name, non-recursive, suffix dropped, CRLF normalised', async (t) => {
  const found = await discoverManifests(join(fixtures, 'discover-mixed'))
  t.same(
    found.sources.map((s) => [s.name, s.outputName, s.engine]),
    [
      ['01-crlf.yml', '01-crlf.yml', 'plain'],
      ['02-a.yml.erb', '02-a.yml', 'erb'],
      ['05-c.yml.liquid', '05-c.yml', 'liquid'],
      ['10-b.yaml', '10-b.yaml', 'plain'],
    ],
  )
  t.equal(found.sources[0]?.text, 'a: 1\n')
  t.same(found.ignored, ['README.md', 'sub.yml'])
})

t.test('a single file', async (t) => {
  const found = await discoverManifests(join(fixtures, 'discover-mixed', '10-b.yaml'))
  t.equal(found.root, join(fixtures, 'discover-mixed'))
  t.same(found.sources.map((s) => s.name), ['10-b.yaml'])
})

t.test('errors', async (t) => {
  const nope = join(fixtures, 'nope')
  await t.rejects(discoverManifests(nope), {
    constructor: ConfigError,
    message: `manifest path does not exist: ${nope}`,
    hint: 'set network.custom.manifest_path to a folder or file, relative to the folder holding cluster.yml',
  })
  const readme = join(fixtures, 'discover-mixed', 'README.md')
  await t.rejects(discoverManifests(readme), {
    constructor: ConfigError,
    message: `manifest path is not a manifest file: ${readme}`,
    hint: 'a single manifest must end in .yml, .yaml, .yml.erb, .yaml.erb, .yml.liquid or .yaml.liquid',
  })
  await t.rejects(discoverManifests(join(fixtures, 'discover-clash')), {
    constructor: ManifestError,
    message: 'a.yml and a.yml.erb both render to a.yml',
    file: join(fixtures, 'discover-clash', 'a.yml.erb'),
    hint: 'rename one of them: each source file becomes one output file, its template suffix dropped',
  })
  const dir = t.testdir({ 'empty.txt': '' })
  await t.rejects(discoverManifests(dir), {
    constructor: ConfigError,
    message: `no manifests in ${dir}`,
    hint: 'the folder must hold *.yml, *.yaml, *.yml.erb or *.yml.liquid files (read non-recursively)',
  })
})

t.test('a link that leads nowhere, or in a loop', async (t) => {
  const dir = t.testdir({})
  await symlink('missing.yml', join(dir, 'dangling.yml'))
  await t.rejects(discoverManifests(dir), {
    constructor: ManifestError,
    message: 'manifest dangling.yml is a link to nothing',
    file: join(dir, 'dangling.yml'),
    hint: 'fix or remove the link; manifests are regular files inside the folder',
  })
  const loop = t.testdir({})
  await symlink('loop.yml', join(loop, 'loop.yml'))
  await t.rejects(discoverManifests(loop), { constructor: ManifestError, message: 'manifest loop.yml is a symbolic link loop', file: join(loop, 'loop.yml') })
})

t.test('a rendered set holds no templates', async (t) => {
  const dir = t.testdir({ '01.yml': 'a: 1\n', '02.yml.erb': 'b: <%= 1 %>\n' })
  await t.rejects(discoverRenderedManifests(dir), {
    constructor: UsageError,
    message: '02.yml.erb is a template',
    file: join(dir, '02.yml.erb'),
    hint: 'validate the manifest set with -c cluster.yml, which renders its templates first',
  })
})

t.test('a link out of the folder is refused', async (t) => {
  const dir = t.testdir({ outside: { 'secret.yml': 'a: 1\n' }, set: {} })
  await symlink(join(dir, 'outside', 'secret.yml'), join(dir, 'set', 'a.yml'))
  await t.rejects(discoverManifests(join(dir, 'set')), {
    constructor: ManifestError,
    message: `manifest a.yml is a link to ${join(dir, 'outside', 'secret.yml')}, outside the manifest folder`,
    file: join(dir, 'set', 'a.yml'),
    hint: 'copy the file into the manifest folder instead of linking to it',
  })
})

t.test('a source kustomize would read as a kustomization is refused, in any letter case', async (t) => {
  for (const name of ['kustomization.yml', 'Kustomization.yaml', 'KUSTOMIZATION.yml.liquid', 'kustomization.yaml.erb']) {
    const dir = t.testdir({ '01.yml': 'a: 1\n', [name]: 'b: 2\n' })
    await t.rejects(discoverManifests(dir), { message: /second kustomization/, file: join(dir, name), hint: 'rename the file; the output folder gets its own kustomization.yaml' }, name)
  }
})

t.test("names sort by UTF-8 bytes, as Ruby's Array#sort sorted them for Pharos: not natural, not readdir order", async (t) => {
  const dir = t.testdir({ 'b.yml': 'b: 1\n', '9-b.yml': 'x: 9\n', 'B.yml': 'B: 1\n', '10-a.yml': 'x: 10\n', 'a.yml': 'a: 1\n', '_z.yml': 'z: 1\n', '😀.yml': 'e: 1\n', 'ｚ.yml': 'z: 2\n' })
  const sorted = ['10-a.yml', '9-b.yml', 'B.yml', '_z.yml', 'a.yml', 'b.yml', 'ｚ.yml', '😀.yml']
  t.same((await discoverManifests(dir)).sources.map((s) => s.name), sorted)
  const { discoverManifests: discoverReversed } = await t.mockImport<typeof import('../src/discover.js')>('../src/discover.js', {
    'node:fs/promises': await fsWithReversedReaddir(),
  })
  t.same((await discoverReversed(dir)).sources.map((s) => s.name), sorted, 'whatever order readdir gives')
})

t.test('lone CR line ends become LF too', async (t) => {
  const dir = t.testdir({ 'mac.yml': 'a: 1\rb: 2\r' })
  t.equal((await discoverManifests(dir)).sources[0]?.text, 'a: 1\nb: 2\n')
})

t.test("a rendered folder's kustomization, in every spelling, is not read as a manifest", async (t) => {
  for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization', 'kustomization']) {
    const dir = t.testdir({ '01.yml': 'a: 1\n', [name]: 'resources: [01.yml]\n' })
    t.same((await discoverRenderedManifests(dir)).map((s) => s.name), ['01.yml'], name)
  }
})
