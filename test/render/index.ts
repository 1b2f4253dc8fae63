import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { loadClusterConfig } from '../../src/config.js'
import { discoverManifests } from '../../src/discover.js'
import type { DiscoveredManifests, ManifestSource, TemplateEngine } from '../../src/discover.js'
import { LimitError, resolveLimits } from '../../src/limits.js'
import { buildTemplateContext, type TemplateContext } from '../../src/render/context.js'
import { renderTemplates } from '../../src/render/index.js'
import { fixturesDir } from '../helpers/paths.js'

const context = { name: 'custom_network', options: { mtu: 1400 } } as unknown as TemplateContext
const source = (name: string, engine: TemplateEngine, text: string): ManifestSource =>
  ({ path: `/m/${name}`, name, outputName: name.replace(/\.(erb|liquid)$/, ''), engine, text })
const discovered = (...sources: ManifestSource[]): DiscoveredManifests => ({ root: '/m', sources, ignored: [] })

t.test('plain text passes through; ERB and Liquid see the same context; order is kept', async (t) => {
  const set = discovered(
    source('01.yml', 'plain', 'a: <%= not erb %> {{ nor liquid }}\n'),
    source('02.yml.erb', 'erb', 'b: <%= name %> <%= options.mtu %>\n'),
    source('03.yml.liquid', 'liquid', 'c: {{ name }} {{ options.mtu }}\n'),
  )
  const rendered = await renderTemplates(set, context, undefined)
  t.same(rendered.map((r) => [r.source.name, r.text]), [
    ['01.yml', 'a: <%= not erb %> {{ nor liquid }}\n'],
    ['02.yml.erb', 'b: custom_network 1400\n'],
    ['03.yml.liquid', 'c: custom_network 1400\n'],
  ])
  t.equal(rendered[1]!.source, set.sources[1], 'each result keeps its source')
})

t.test('the limits reach both engines, and output-size is one budget for the whole set', async (t) => {
  const half = 'x'.repeat(600)
  const both = discovered(source('a.yml.erb', 'erb', half), source('b.yml.liquid', 'liquid', half))
  await t.resolves(renderTemplates(discovered(source('a.yml.erb', 'erb', half)), context, undefined, resolveLimits(['output-size=1000'])))
  await t.rejects(renderTemplates(both, context, undefined, resolveLimits(['output-size=1000'])), { constructor: LimitError, limit: 'output-size', file: '/m/b.yml.liquid' })
  const erbFirst = discovered(source('b.yml.liquid', 'liquid', half), source('a.yml.erb', 'erb', half))
  await t.rejects(renderTemplates(erbFirst, context, undefined, resolveLimits(['output-size=1000'])), { constructor: LimitError, limit: 'output-size', file: '/m/a.yml.erb' })
  const loop = '<% xs.each do |a| %><% xs.each do |b| %>.<% end %><% end %>'
  await t.rejects(renderTemplates(discovered(source('l.yml.erb', 'erb', loop)), { ...context, xs: [1, 2, 3, 4] } as TemplateContext, undefined, resolveLimits(['template-steps=10'])),
    { constructor: LimitError, limit: 'template-steps' })
})

t.test("ERB templates see cluster.yml as Ruby read it: Float or Integer, big integers, key order and key types (expected.yml recorded from Ruby by record.rb)", async (t) => {
  const dir = join(fixturesDir, 'erb-document')
  const config = await loadClusterConfig({ cwd: dir })
  const manifests = await discoverManifests(config.manifestPath)
  const [rendered] = await renderTemplates(manifests, buildTemplateContext(config), config.document)
  t.equal(rendered!.text, await readFile(join(dir, 'expected.yml'), 'utf8'))
  const [withoutDocument] = await renderTemplates(manifests, buildTemplateContext(config), undefined)
  t.match(withoutDocument!.text, /mtu: "1500"\n/, 'without the document, plain data is all there is: 1500.0 is an Integer')
  const context = buildTemplateContext(config)
  const copied = { ...context, options: structuredClone(context.options) }
  const [fromCopy] = await renderTemplates(manifests, copied, config.document)
  t.equal(fromCopy!.text, rendered!.text, 'options is read with its own node, whether or not it is the object inside cluster_config')
})
