import t from 'tap'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { KubectlTarget } from '../src/cluster.js'
import type { ManifestSource } from '../src/discover.js'
import { checkDocuments } from '../src/documents.js'
import { applyOrder, applyPhases, diffManifests } from '../src/deploy.js'
import { fakeKubectl } from './helpers/fake-kubectl.js'

const source = (name: string): ManifestSource => ({ path: `/set/${name}`, name, outputName: name, engine: 'plain', text: '' })
/** The set's files in the order discovery gives them: what needs a CRD and a Namespace comes first. */
const documents = checkDocuments([
  { source: source('01-gadget.yml'), text: 'apiVersion: pins.example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n  namespace: pins\n' },
  { source: source('02-cm.yml'), text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: pins\n' },
  { source: source('03-crd.yml'), text: 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: gadgets.pins.example.com\n' },
  { source: source('04-sa.yml'), text: 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: s\n' },
  { source: source('05-ns.yml'), text: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: pins\n' },
])
const ORDERED = ['CustomResourceDefinition', 'Namespace', 'Gadget', 'ConfigMap', 'ServiceAccount']

t.test('Namespaces and CRDs go first, applied by a call of their own; everything else keeps its order', async (t) => {
  t.same(applyOrder(documents).map((d) => d.object.kind), ORDERED)
  t.same(applyPhases(documents).map((phase) => phase.map((d) => d.object.kind)), [ORDERED.slice(0, 2), ORDERED.slice(2)])
})

/** For diff: keeps the stream it is given, finds no difference and lists `listing` as the stack's objects. */
async function diffKubectl(dir: string, listing: object): Promise<KubectlTarget> {
  await writeFile(join(dir, 'listing.json'), JSON.stringify(listing))
  return fakeKubectl(dir, {
    version: `echo '{"clientVersion":{"gitVersion":"v1.32.4","minor":"32"},"serverVersion":{"gitVersion":"v1.32.13","minor":"32"}}'`,
    diff: `cat > ${join(dir, 'stream.yml')}`,
    config: ':',
    'api-resources': 'printf "configmaps\\nserviceaccounts\\n"',
    get: `cat ${join(dir, 'listing.json')}`,
  })
}

const labelled = (kind: string, name: string, namespace: string) =>
  ({ apiVersion: 'v1', kind, metadata: { name, namespace, labels: { 'pharos.kontena.io/stack': 'custom-network' } } })

t.test('diff: the stream in apply order; the prune scan asks for our stack only, and places a namespace-less object in default', async (t) => {
  const dir = t.testdir({})
  // What the server answers for our selector: the set's objects and one that left it.
  const target = await diffKubectl(dir, {
    items: [labelled('ServiceAccount', 's', 'default'), labelled('ConfigMap', 'c', 'pins'), labelled('ConfigMap', 'left', 'pins')],
  })
  const result = await diffManifests({ target, documents })
  t.same(result.wouldPrune, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'left', namespace: 'pins' }])
  t.equal(result.changed, true, 'a prune is a difference')

  const stream = await readFile(join(dir, 'stream.yml'), 'utf8')
  t.same([...stream.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]), ORDERED, 'kubectl diff gets the set in apply order')
  const calls = (await readFile(join(dir, 'calls'), 'utf8')).trim().split('\n')
  const get = calls.find((c) => / get /.test(` ${c} `))
  t.match(get, / -l pharos\.kontena\.io\/stack=custom-network /, 'the label with our value, not the key alone')
})
