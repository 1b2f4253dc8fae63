import t from 'tap'
import { symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { discoverManifests, discoverRenderedManifests, manifestEngine } from '../src/discover.js'
import { ConfigError, ManifestError } from '../src/errors.js'

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
  await t.rejects(discoverManifests(join(fixtures, 'nope')), ConfigError)
  await t.rejects(discoverManifests(join(fixtures, 'discover-mixed', 'README.md')), ConfigError)
  await t.rejects(discoverManifests(join(fixtures, 'discover-clash')), {
    constructor: ManifestError,
    message: 'a.yml and a.yml.erb both render to a.yml',
  })
  const dir = t.testdir({ 'empty.txt': '' })
  await t.rejects(discoverManifests(dir), { constructor: ConfigError, message: /no manifests in/ })
})

t.test('a link out of the folder is refused', async (t) => {
  const dir = t.testdir({ outside: { 'secret.yml': 'a: 1\n' }, set: {} })
  await symlink(join(dir, 'outside', 'secret.yml'), join(dir, 'set', 'a.yml'))
  await t.rejects(discoverManifests(join(dir, 'set')), { constructor: ManifestError, message: /outside the manifest folder/ })
})

t.test('a source kustomize would read as a kustomization is refused, in any letter case', async (t) => {
  for (const name of ['kustomization.yml', 'Kustomization.yaml', 'KUSTOMIZATION.yml.liquid', 'kustomization.yaml.erb']) {
    const dir = t.testdir({ '01.yml': 'a: 1\n', [name]: 'b: 2\n' })
    await t.rejects(discoverManifests(dir), { message: /second kustomization/, file: join(dir, name) }, name)
  }
})

t.test("names sort by code unit, as Ruby's Array#sort sorted them for Pharos: not natural, not readdir order", async (t) => {
  // Created in an order readdir would likely keep; the expected order is neither that nor a natural sort.
  const dir = t.testdir({ 'b.yml': 'b: 1\n', '9-b.yml': 'x: 9\n', 'B.yml': 'B: 1\n', '10-a.yml': 'x: 10\n', 'a.yml': 'a: 1\n', '_z.yml': 'z: 1\n' })
  const found = await discoverManifests(dir)
  t.same(found.sources.map((s) => s.name), ['10-a.yml', '9-b.yml', 'B.yml', '_z.yml', 'a.yml', 'b.yml'])
})

t.test('lone CR line ends become LF too', async (t) => {
  const dir = t.testdir({ 'mac.yml': 'a: 1\rb: 2\r' })
  t.equal((await discoverManifests(dir)).sources[0]?.text, 'a: 1\nb: 2\n')
})

t.test("a rendered folder's kustomization, in every spelling, is not read as a manifest", async (t) => {
  for (const name of ['kustomization.yaml', 'kustomization.yml']) {
    const dir = t.testdir({ '01.yml': 'a: 1\n', [name]: 'resources: [01.yml]\n' })
    t.same((await discoverRenderedManifests(dir)).map((s) => s.name), ['01.yml'], name)
  }
})
