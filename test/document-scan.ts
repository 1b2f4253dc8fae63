import t, { type Test } from 'tap'
import { corpusFiles, corpusMissing, repositoryYamlFiles } from './helpers/corpus.js'
import type { ManifestSource } from '../src/discover.js'
import { identifyDocuments, sliceDocuments } from '../src/document-scan.js'
import { checkDocuments } from '../src/documents.js'

const source = (text: string, name = 'set.yml'): ManifestSource => ({
  path: `/set/${name}`,
  name,
  outputName: name,
  engine: 'plain',
  text,
})

const cm = (name: string, ns = 'kube-system') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n`

/** What both readers say of each document: where it is and what it defines. */
function scanned(sources: ManifestSource[]) {
  const slices = sliceDocuments(sources)
  const documents = slices && identifyDocuments(slices)
  return documents?.map((d) => [d.source.name, d.documentIndex, d.line, d.object.apiVersion, d.object.kind, d.object.metadata.name, d.object.metadata.namespace])
}

function parsed(sources: ManifestSource[]) {
  return checkDocuments(sources.map((s) => ({ source: s, text: s.text }))).map((d) => [
    d.source.name, d.documentIndex, d.line, d.object.apiVersion, d.object.kind, d.object.metadata.name, d.object.metadata.namespace,
  ])
}

t.test('every corpus file: the scan reads what the parser reads, or gives up (only on kind: List)', { skip: corpusMissing() }, async (t) => {
  const gaveUp: string[] = []
  for (const file of await corpusFiles()) {
    const sources = [source(file.text, file.name)]
    const quick = scanned(sources)
    if (quick === undefined) {
      gaveUp.push(file.name.split('/')[0] as string)
      continue
    }
    t.same(quick, parsed(sources), file.name)
    t.ok(quick.length > 0, `${file.name} has objects`)
  }
  t.same(gaveUp, ['weave'], 'weave is one kind: List')
})

t.test('every plain YAML file of the repository that parses: the scan agrees, and reads our own output', async (t) => {
  const files = await repositoryYamlFiles()
  let scannedGoldenFiles = 0
  const unread: string[] = []
  for (const { name: file, text } of files) {
    const sources = [source(text.replace(/\r\n?/g, '\n'), file)]
    let expected
    try {
      expected = parsed(sources)
    } catch {
      // A fixture of bad input: the parser refuses it, and the scan must not read it as objects either.
      t.notOk(scanned(sources)?.length, `${file}: bad input, not read by the scan`)
      continue
    }
    const quick = scanned(sources)
    if (quick === undefined) {
      unread.push(file)
      continue
    }
    t.same(quick, expected, file)
    if (file.includes('/expected/')) scannedGoldenFiles++
  }
  const goldenManifests = files.filter((f) => f.name.includes('/expected/') && !f.name.endsWith('kustomization.yaml'))
  t.ok(goldenManifests.length > 0)
  t.equal(scannedGoldenFiles, goldenManifests.length, 'every rendered golden manifest is read by the scan')
  t.ok(unread.length < files.length / 4, `the scan reads most files; it gave up on ${unread.join(', ') || 'none'}`)
})

t.test('document counting matches the parser: leading comments, empty and trailing documents', async (t) => {
  const texts = [
    `# header\n---\n${cm('a')}---\n# nothing here\n---\n\n---\n${cm('b')}`,
    `${cm('a')}---\n${cm('b')}---\n`,
    `---\n---\n${cm('a')}`,
    `---\n${cm('a')}--- # a comment on the marker\n\n# before b\n${cm('b')}`,
    `# only a comment\n`,
    '',
    `${cm('a')}---\n---\n---\n${cm('b')}`,
    `apiVersion: v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n- apiGroups: [""]\n  resources: [pods]\n# column-0 comment\nkind2: x\n`,
    `apiVersion: v1\nkind: ConfigMap\ndata:\n  x: |\n    ---not a marker\n    kind: Secret\nmetadata:\n  name: c\n`,
    // Empty documents between markers count as documents: b is the parser's document 4, not 1.
    `${cm('a')}---\n---\n--- # empty\n---\n${cm('b')}`,
  ]
  for (const text of texts) {
    const sources = [source(text)]
    t.same(scanned(sources), parsed(sources), JSON.stringify(text))
  }
  const indexes = scanned([source(`${cm('a')}---\n---\n---\n${cm('b')}`)])?.map((d) => d[1])
  t.same(indexes, [0, 3], 'document indexes count the empty documents between markers')
})

t.test('values read as the parser reads them: quoted, commented, nested, typed', async (t) => {
  const meta = (lines: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n${lines}data: {}\n`
  const texts = [
    meta('  name: "quoted.name"\n  namespace: \'single\'\n'),
    meta('  name: "01-starts-with-a-digit"\n'),
    meta('  name: plain # with a comment\n'),
    meta('  # a comment first\n  labels:\n    name: not-this-one\n  name: this-one\n  finalizers:\n  - x\n'),
    meta('    name: deeper-indented\n    namespace: ns\n'),
    meta('  annotations:\n    a: |\n      name: inside a block scalar\n  name: real\n'),
    meta('  name: "with \\"escapes\\""\n'),
    meta('  name: a\n  namespace: null\n'),
    'apiVersion: apps/v1 # the group\nkind: Deployment\nmetadata: {name: flow}\n',
    'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\nsecrets:\n- name: token\n',
    meta('  name: multi\n    line\n'),
    meta('  namespace: multi\n    line\n  name: a\n'),
    'apiVersion: v1\nkind: Config\n  Map\nmetadata:\n  name: a\n',
    meta('  name:\n    on-the-next-line\n'),
  ]
  for (const text of texts) {
    const sources = [source(text)]
    t.same(scanned(sources), parsed(sources), JSON.stringify(text))
  }
})

t.test('gives up on shapes it does not read, so the parser can judge them', async (t) => {
  const cases: Record<string, string> = {
    'a List': 'apiVersion: v1\nkind: List\nitems: []\n',
    'a name kubectl reads as a boolean': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yes\n',
    'a List with a name': 'apiVersion: v1\nkind: List\nmetadata:\n  name: l\nitems: []\n',
    'a flow mapping': '{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n',
    'a quoted key': `"apiVersion": v1\nkind: ConfigMap\nmetadata:\n  name: a\n`,
    'content on the marker': `--- !!map\n${cm('a')}`,
    'a document end marker': `${cm('a')}...\n`,
    'a directive': `%YAML 1.2\n---\n${cm('a')}`,
    'an indented document': `  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n`,
    'a duplicate key': `${cm('a')}kind: Secret\n`,
    'no name': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {}\n',
    'a name that is not a string': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 12\n',
    'an alias to outside the metadata': 'x: &n a\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: *n\n',
    'a merge key': `<<: {a: 1}\n${cm('a')}`,
    'the same object twice': `${cm('a')}---\n${cm('a')}`,
    'a tab at column 0': `${cm('a')}\tdata: {}\n`,
  }
  for (const [what, text] of Object.entries(cases)) {
    const slices = sliceDocuments([source(text)])
    t.equal(slices && identifyDocuments(slices), undefined, what)
  }
})

t.test('slices carry the document text without its marker, and count across files', async (t) => {
  const slices = sliceDocuments([source(`---\n${cm('a')}---\n${cm('b')}`, '1.yml'), source(cm('c'), '2.yml')])
  t.same(slices?.map((s) => [s.source.name, s.documentIndex, s.line, s.lines.join('\n')]), [
    ['1.yml', 0, 2, cm('a').trimEnd()],
    ['1.yml', 1, 8, cm('b')],
    ['2.yml', 0, 1, cm('c')],
  ])
})

/** document-scan.ts with `yaml`'s parseDocument counted: the fast path is for the shapes it never needs it. */
async function scanWithParserCount(t: Test) {
  const yaml = await import('yaml')
  const count = { parsed: 0 }
  const module = await t.mockImport<typeof import('../src/document-scan.js')>('../src/document-scan.js', {
    yaml: { ...yaml, parseDocument: (...args: Parameters<typeof yaml.parseDocument>) => (count.parsed++, yaml.parseDocument(...args)) },
  })
  return { ...module, count }
}

/** One text through the counted scan: its sources, the documents read, and the parser calls that took. */
function scanCounted(t: Test, scan: Awaited<ReturnType<typeof scanWithParserCount>>, what: string, text: string) {
  const sources = [source(text)]
  const slices = scan.sliceDocuments(sources)
  t.ok(slices, `${what}: sliced`)
  const before = scan.count.parsed
  const documents = slices && scan.identifyDocuments(slices)
  return { sources, documents, parserCalls: scan.count.parsed - before }
}

t.test('the everyday shape is read from its lines alone, without the parser', async (t) => {
  const scan = await scanWithParserCount(t)
  const texts: Record<string, string> = {
    'a ConfigMap': cm('a'),
    'comments, blank lines and a marker comment': `# header\n\n---  # first\n# about a\napiVersion: v1\n\nkind: ConfigMap\nmetadata:\n  # the name\n  name: a\n`,
    'a sequence at column 0 under another key': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n- apiGroups: [""]\n  resources: [pods]\n',
    'labels and annotations before the name': 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  labels:\n    name: not-this\n    tier: node\n  annotations:\n    a: |\n      name: nor this\n  name: kube-flannel-ds\n  namespace: kube-system\nspec:\n  template:\n    metadata:\n      name: nor-this\n',
    'metadata indented by four': 'apiVersion: v1\nkind: Secret\nmetadata:\n    name: s\n    namespace: ns\n',
    'quoted values': `apiVersion: "v1"\nkind: 'ConfigMap'\nmetadata:\n  name: "01-digits.and-dots"\n  namespace: 'kube-system'\n`,
    'a list inside metadata': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  finalizers:\n  - example.com/x\n  ownerReferences:\n    - kind: x\n',
    'values with trailing spaces': 'apiVersion: v1   \nkind: ConfigMap\t\nmetadata:\n  name: a  \n',
    'an identity key last': 'data:\n  name: x\nmetadata:\n  name: a\nkind: ConfigMap\napiVersion: v1\n',
    'the namespace before the name': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: ns\n  name: a\n',
    'a dotted top-level key': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx.y/z-w: 1\n',
  }
  for (const [what, text] of Object.entries(texts)) {
    const { sources, documents, parserCalls } = scanCounted(t, scan, what, text)
    t.equal(parserCalls, 0, `${what}: without the parser`)
    t.same(documents?.map((d) => [d.documentIndex, d.line, d.object]), parsed(sources).map(([, index, line, apiVersion, kind, name, namespace]) =>
      [index, line, { apiVersion, kind, metadata: namespace === undefined ? { name } : { name, namespace } }]), what)
  }
})

t.test('what the lines alone cannot tell goes to the parser, which has the last word', async (t) => {
  const meta = (lines: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n${lines}`
  const texts: Record<string, string> = {
    'a comment after a value': meta('  name: a # c\n'),
    'a reserved word': meta('  name: yes\n'),
    'null namespace': meta('  name: a\n  namespace: null\n'),
    'an escape in quotes': meta('  name: "a\\u0062"\n'),
    'a value continued on the next line': meta('  name: a\n    b\n'),
    'a namespace continued': meta('  namespace: a\n   b\n  name: c\n'),
    'a top-level value continued': 'apiVersion: v1\nkind: Config\n Map\nmetadata:\n  name: a\n',
    'a flow mapping for metadata': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n',
    'a sequence entry at column 0 in metadata': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n- name: a\n',
    'a key less indented than the first': meta('    name: a\n  namespace: b\n'),
    'a duplicate metadata key': meta('  name: a\n  name: b\n'),
    'a quoted metadata key': meta('  "name": a\n'),
    'an anchor on a value': meta('  name: &n a\n'),
    'the name on the next line': meta('  name:\n    a\n'),
    'quotes after plain text': meta('  name: b"a"\n'),
    'apiVersion continued': 'apiVersion: v\n 1\nkind: ConfigMap\nmetadata:\n  name: a\n',
    // Booleans and null in YAML 1.1 or 1.2 (kubectl reads 1.1): the parser decides what each one is.
    ...Object.fromEntries(['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'null', 'Null', 'NULL', 'yes', 'Yes', 'YES', 'no', 'No', 'NO', 'on', 'On', 'ON', 'off', 'Off', 'OFF', 'y', 'Y', 'n', 'N']
      .map((word) => [`the word ${word}`, meta(`  name: ${word}\n`)])),
  }
  const scan = await scanWithParserCount(t)
  for (const [what, text] of Object.entries(texts)) {
    const { sources, documents, parserCalls } = scanCounted(t, scan, what, text)
    t.ok(parserCalls > 0, `${what}: the parser was asked`)
    let expected
    try {
      expected = parsed(sources).map(([, , , apiVersion, kind, name, namespace]) => [apiVersion, kind, name, namespace])
    } catch {
      expected = undefined
    }
    if (documents) t.same(documents.map((d) => [d.object.apiVersion, d.object.kind, d.object.metadata.name, d.object.metadata.namespace]), expected, `${what}: as the parser reads it`)
  }
})

t.test('document boundaries: what ends a document, what is not a marker, what the scan leaves alone', async (t) => {
  const lines = (text: string) => sliceDocuments([source(text)])?.map((s) => [s.documentIndex, s.line])
  t.same(lines(`${cm('a')}---\n${cm('b')}`), [[0, 1], [1, 7]])
  t.same(lines(`${cm('a')}---\t\n${cm('b')}`), [[0, 1], [1, 7]], 'a tab after the marker')
  t.same(lines(`${cm('a')}--- # b\n${cm('b')}`), [[0, 1], [1, 7]], 'a comment after the marker')
  t.same(lines(`${cm('a')}----\n`), [[0, 1]], 'four dashes at column 0 are not a marker')
  t.same(lines(`${cm('a')}---x: 1\n`), [[0, 1]], '---x is a key, not a marker')
  t.same(lines(`${cm('a')}items:\n- ---\n`), [[0, 1]], 'a sequence entry that is three dashes')
  t.same(lines(`${cm('a')}items:\n- 50%\n- a...\n`), [[0, 1]], 'a % or ... inside a line is text')
  t.same(lines(`${cm('a')}...\n`), undefined, 'a document end')
  t.same(lines(`${cm('a')}... # end\n`), undefined, 'a document end with a comment')
  t.same(lines(`${cm('a')}...x: 1\n`), [[0, 1]], '...x is a key')
  t.same(lines(`%YAML 1.2\n---\n${cm('a')}`), undefined, 'a directive')
  t.same(lines(`${cm('a')}--- |\n  text\n`), undefined, 'content on the marker')
  t.same(lines(`# a\n# b\n---\n${cm('a')}`), [[0, 4]], 'comments before the first marker are no document')
  t.same(lines(`---\n# only a comment\n---\n${cm('a')}`), [[1, 4]], 'a comment-only document between markers counts')
  t.same(lines(`${cm('a')}---\n`), [[0, 1]], 'a trailing marker starts no document with content')
  t.same(lines(`- a\n`), undefined, 'a document that is a sequence')
  t.same(lines(`"a": 1\n`), undefined, 'a quoted top-level key')
})
