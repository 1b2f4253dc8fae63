import t from 'tap'
import type { ManifestSource } from '../src/discover.js'
import { checkDocuments, checkDocumentsOf, documentKey, objectIdentity } from '../src/documents.js'
import { LimitError, resolveLimits } from '../src/limits.js'
import { ManifestError } from '../src/errors.js'
import { documentStream } from '../src/output.js'

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
  const text = 'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ServiceAccount\n    metadata: {name: x}\n  - apiVersion: v1\n    kind: ServiceAccount\n    metadata: {name: z}\n'
  const docs = checkDocuments([{ source: source('l.yml'), text }])
  t.same(docs.map((d) => [d.object.kind, d.object.metadata.name, d.line]), [
    ['ServiceAccount', 'x', 4],
    ['ServiceAccount', 'z', 7],
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

t.test('identity: group, kind, namespace and name, each its own part', async (t) => {
  const id = (apiVersion: string, kind: string, name: string, namespace?: string) =>
    objectIdentity({ apiVersion, kind, metadata: namespace === undefined ? { name } : { name, namespace } })
  t.equal(id('apps/v1', 'DaemonSet', 'x', 'n'), 'apps/DaemonSet/n/x')
  t.equal(id('v1', 'ConfigMap', 'x'), '/ConfigMap//x', 'the core group is empty, and so is a missing namespace')
  t.not(id('v1', 'ConfigMap', 'a/b'), id('v1', 'ConfigMap', 'b', 'a'), 'an empty namespace is not a namespace')
  t.equal(documentKey('a.yml', 2, 14), 'a.yml\u00002\u000014')
  t.not(documentKey('a.yml', 1, 11), documentKey('a.yml', 11, 1))
})

t.test('checkDocumentsOf reads plain sources as their own text', async (t) => {
  const docs = checkDocumentsOf([{ ...source('a.yml'), text: cm('a') }, { ...source('b.yml'), text: cm('b') }])
  t.same(docs.map((d) => [d.source.name, d.object.metadata.name]), [['a.yml', 'a'], ['b.yml', 'b']])
})

t.test('yaml-nodes counts across the whole set, not per file', async (t) => {
  const limits = resolveLimits(['yaml-nodes=20'])
  t.equal(checkDocuments([{ source: source('a.yml'), text: cm('a') }], limits).length, 1)
  t.throws(() => checkDocuments(['a', 'b', 'c', 'd', 'e'].map((n) => ({ source: source(`${n}.yml`), text: cm(n) })), limits),
    { constructor: LimitError, limit: 'yaml-nodes' })
})

t.test('what is not a mapping, at the line where it starts', async (t) => {
  const cases: Array<[string, number]> = [
    ['just text\n', 1],
    [`${cm('a')}---\n# a list, not an object\n- apiVersion: v1\n`, 8],
    [`${cm('a')}---\n42\n`, 7],
  ]
  for (const [text, line] of cases) {
    t.throws(() => checkDocuments([{ source: source('a.yml'), text }]), { message: 'a manifest document must be a mapping (an object)', line, col: 1 }, text)
  }
  t.same(checkDocuments([{ source: source('a.yml'), text: '---\n~\n---\nnull\n' }]), [], 'null documents are empty ones')
})

t.test('each missing field is named, and an empty string is missing', async (t) => {
  const missing = (text: string) => (t.throws(() => checkDocuments([{ source: source('a.yml'), text }])) as ManifestError).message
  t.equal(missing('apiVersion: ""\nkind: ConfigMap\nmetadata: {name: a}\n'), 'document has no apiVersion')
  t.equal(missing('apiVersion: 1\nkind: ConfigMap\nmetadata: {name: a}\n'), 'document has no apiVersion')
  t.equal(missing('apiVersion: v1\nkind: ""\nmetadata: {name: a}\n'), 'document has no kind')
  t.equal(missing('apiVersion: v1\nkind: [ConfigMap]\nmetadata: {name: a}\n'), 'document has no kind')
  t.equal(missing('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: 7}\n'), 'document has no metadata.name')
  t.equal(missing('apiVersion: v1\nkind: List\nitems:\n- kind: Secret\n  metadata: {name: s}\n'), 'document has no apiVersion')
  const error = t.throws(() => checkDocuments([{ source: source('a.yml'), text: 'kind: x\n' }])) as ManifestError
  t.equal(error.hint, 'every Kubernetes object needs apiVersion, kind and metadata.name; a template that renders nothing for a document should leave it empty or comment-only')
})

t.test("a List's items: each at its own line, an empty or missing list is no objects", async (t) => {
  t.same(checkDocuments([{ source: source('a.yml'), text: 'apiVersion: v1\nkind: List\nitems: []\n' }]), [])
  t.same(checkDocuments([{ source: source('a.yml'), text: 'apiVersion: v1\nkind: List\n' }]), [])
  t.same(checkDocuments([{ source: source('a.yml'), text: 'apiVersion: v1\nkind: List\nitems: {}\n' }]), [], 'items that are not a list hold no objects')
})

t.test('YAML errors: the message without its position (that goes in the location), and the hint', async (t) => {
  const error = t.throws(() => checkDocuments([{ source: source('bad.yml'), text: `${cm('a')}data:\n  key: value: other\n` }])) as ManifestError
  t.equal(error.message, 'invalid YAML: Nested mappings are not allowed in compact mappings')
  t.match(error, { line: 7, col: 8, hint: 'fix the YAML syntax' })
  const deep = t.throws(() => checkDocuments([{ source: source('deep.yml'), text: `a: ${'['.repeat(2000)}${']'.repeat(2000)}\n` }])) as ManifestError
  t.equal(deep.message, 'invalid YAML: nested too deeply to read')
  t.equal(deep.hint, 'collections nested several hundred levels deep are not a Kubernetes object; flatten the document')
  const templated = t.throws(() => checkDocuments([{ source: source('t.yml.erb', 'erb'), text: 'a: [\n' }])) as ManifestError
  t.match(templated.hint, /^fix the YAML syntax; the excerpt shows the template's output, not its source$/)
  const bare = t.throws(() => checkDocuments([{ source: source('t.yml.erb', 'erb'), text: '- 1\n' }])) as ManifestError
  t.equal(bare.hint, "the excerpt shows the template's output, not its source", 'no hint of its own: only the excerpt note')
})

t.test('manifests read as kubectl reads them, written so that every reader reads the same', async (t) => {
  const text = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: x # kept',
    'x: &a {p: "1", q: "2"}',
    'data:',
    '  a: on',
    '  b: "on"',
    '  c: 0644',
    '  d: y',
    '  e: "0o17"',
    '  f: 12:30',
    '  g: "a',
    'b"',
    '  <<: *a',
    '  q: "7"',
    '  i: 1e3',
    '  l: |',
    '    x',
    '    y',
  ].join('\n')
  const [doc] = checkDocuments([{ source: source('cm.yml'), text }])
  // What kubectl v1.32 sends for this file, by hand: `kubectl label --local -f cm.yml x=y -o json`
  // (except `l`: kubectl adds a line break at the end of the file; Pharos, through libyaml, did not).
  t.strictSame(doc?.object.data, { a: true, b: 'on', c: 420, d: true, e: '0o17', f: '12:30', g: 'a b', p: '1', q: '7', i: 1000, l: 'x\ny' })
  // kubectl (go-yaml v2) and kustomize (go-yaml v3) both read these bytes as the object above (checked by
  // hand with `kubectl label --local -f` and `kubectl kustomize`).
  t.equal(documentStream(doc ? [doc] : []), [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: x # kept',
    'x: &a { p: "1", q: "2" }',
    'data:',
    '  a: true',
    '  b: "on"',
    '  c: 420',
    '  d: true',
    '  e: "0o17"',
    '  f: "12:30"',
    '  g: "a b"',
    '  p: "1"',
    '  q: "7"',
    '  i: 1000',
    '  l: |-',
    '    x',
    '    y',
    '',
  ].join('\n'))
})

t.test('a name kubectl reads as another type is no name', async (t) => {
  t.throws(() => checkDocuments([{ source: source('n.yml'), text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: on\n' }]), {
    message: 'document has no metadata.name',
  })
})

t.test('values kubectl refuses are errors at their line, with what to do', async (t) => {
  t.throws(() => checkDocuments([{ source: source('inf.yml'), text: `${cm('a')}data:\n  a: .inf\n` }]), {
    message: '.inf is not a number JSON can carry: kubectl refuses it ("unsupported value")',
    line: 7,
    col: 6,
    hint: 'quote the value to send it as text',
  })
  t.throws(() => checkDocuments([{ source: source('merge.yml'), text: `${cm('a')}data:\n  <<: [a, b]\n` }]), {
    message: /^map merge requires map or sequence of maps as the value/,
    line: 7,
    col: 3,
  })
})
