import t from 'tap'
import type { ManifestSource } from '../src/discover.js'
import { checkDocuments, objectIdentity } from '../src/documents.js'
import { ManifestError } from '../src/errors.js'

const source = (name: string, engine: ManifestSource['engine'] = 'plain'): ManifestSource => ({
  path: `/set/${name}`,
  name,
  outputName: name.replace(/\.(erb|liquid)$/, ''),
  engine,
  text: '',
})

const cm = (name: string, ns = 'kube-system') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n`

t.test('splits, drops empty and comment-only documents, keeps order and lines', async (t) => {
  const text = `# header\n---\n${cm('a')}---\n# nothing here\n---\n\n---\n${cm('b')}`
  const docs = checkDocuments([{ source: source('01.yml'), text }])
  t.same(docs.map((d) => [d.object.metadata.name, d.documentIndex, d.line]), [
    ['a', 0, 3],
    ['b', 3, 13],
  ])
})

t.test('expands kind: List with item lines', async (t) => {
  const text = 'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ServiceAccount\n    metadata: {name: x}\n  - apiVersion: v1\n    kind: ServiceAccount\n    metadata: {name: y}\n'
  const docs = checkDocuments([{ source: source('l.yml'), text }])
  t.same(docs.map((d) => [d.object.kind, d.object.metadata.name, d.line]), [
    ['ServiceAccount', 'x', 4],
    ['ServiceAccount', 'y', 7],
  ])
  t.equal(docs[0]?.yaml.toString(), 'apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: x }\n')
})

t.test('a YAML error in a plain file points at its line and column', async (t) => {
  const text = `${cm('a')}data:\n  a: [1, 2\n`
  const err = t.throws(() => checkDocuments([{ source: source('bad.yml'), text }])) as ManifestError
  t.type(err, ManifestError)
  t.match(err, { file: '/set/bad.yml', line: 8, message: /^invalid YAML/ })
})

t.test('a YAML error in template output names the template and the rendered line', async (t) => {
  const text = `${cm('a')}data:\n  key: value: other\n`
  const err = t.throws(() => checkDocuments([{ source: source('t.yml.erb', 'erb'), text }])) as ManifestError
  t.match(err, { file: '/set/t.yml.erb', line: undefined, message: /invalid YAML.*\(line 7 of the rendered output\)/ })
  t.match(err.frame, /> 7 \| {3}key: value: other/)
})

t.test('missing apiVersion, kind or metadata.name', async (t) => {
  t.throws(() => checkDocuments([{ source: source('a.yml'), text: 'metadata:\n  name: x\n' }]), {
    message: 'document has no apiVersion, kind',
    line: 1,
  })
  t.throws(() => checkDocuments([{ source: source('a.yml'), text: `${cm('a')}---\napiVersion: v1\nkind: Secret\n` }]), {
    message: 'document has no metadata.name',
    line: 7,
  })
  t.throws(() => checkDocuments([{ source: source('a.yml'), text: '- 1\n- 2\n' }]), { message: /must be a mapping/ })
})

t.test('the same object twice names both places', async (t) => {
  t.throws(
    () => checkDocuments([
      { source: source('01.yml'), text: cm('a') },
      { source: source('02.yml'), text: `${cm('other')}---\n${cm('a')}` },
    ]),
    { message: 'ConfigMap kube-system/a is defined twice: here and in 01.yml:1', file: '/set/02.yml', line: 7 },
  )
  // Same name in another namespace or group is another object.
  t.equal(checkDocuments([{ source: source('01.yml'), text: `${cm('a')}---\n${cm('a', 'default')}` }]).length, 2)
})

t.test('identity uses the API group, not the version', async (t) => {
  const obj = (apiVersion: string) => ({ apiVersion, kind: 'DaemonSet', metadata: { name: 'x', namespace: 'n' } })
  t.equal(objectIdentity(obj('apps/v1')), objectIdentity(obj('apps/v1beta2')))
  t.not(objectIdentity(obj('apps/v1')), objectIdentity(obj('extensions/v1beta1')))
})

t.test('List items may share an anchor: each item keeps what the alias stands for', async (t) => {
  const text = `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: a
      labels: &shared {app: net}
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: b
      labels: *shared
`
  const docs = checkDocuments([{ source: { path: '/s/l.yml', name: 'l.yml', outputName: 'l.yml', engine: 'plain', text }, text }])
  t.same(docs.map((d) => [d.object.metadata.name, d.object.metadata.labels, d.line]), [['a', { app: 'net' }, 4], ['b', { app: 'net' }, 9]])
  t.match(docs[1]?.yaml.toString(), /labels:\n\s+app: net/, 'the second item prints on its own')
})

t.test('only a v1 List is expanded: another group\'s List is an object like any other', async (t) => {
  const list = (apiVersion: string) => `apiVersion: ${apiVersion}\nkind: List\nmetadata:\n  name: l\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n`
  const source = { path: '/s/l.yml', name: 'l.yml', outputName: 'l.yml', engine: 'plain' as const, text: '' }
  t.same(checkDocuments([{ source, text: list('v1') }]).map((d) => d.object.kind), ['ConfigMap'])
  t.same(checkDocuments([{ source, text: list('example.com/v1') }]).map((d) => [d.object.kind, d.object.metadata.name]), [['List', 'l']])
})

t.test('comments before and after a document are kept for the output', async (t) => {
  const source = { path: '/s/c.yml', name: 'c.yml', outputName: 'c.yml', engine: 'plain' as const, text: '' }
  const text = '# before the object\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n# after the object\n'
  const [doc] = checkDocuments([{ source, text }])
  t.match(doc?.yaml.toString(), /^# before the object\napiVersion: v1\n[\s\S]*name: c\n\n?# after the object\n$/)
})
