import t from 'tap'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'yaml'
import type { ManifestSource } from '../src/discover.js'
import { checkDocuments } from '../src/documents.js'
import { UsageError } from '../src/errors.js'
import { OUTPUT_MARKER, outputFiles, outputStream, writeOutput } from '../src/output.js'

const source = (name: string): ManifestSource => ({ path: `/set/${name}`, name, outputName: name, engine: 'plain', text: '' })
const docs = checkDocuments([
  { source: source('01-a.yml'), text: '# keep me\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: |\n    line\n' },
  { source: source('02-b.yml'), text: 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: b\n  labels:\n    app: b\n' },
])

t.test('one file per source and a kustomization in processing order', async (t) => {
  const files = outputFiles(docs)
  t.same(files.map((f) => f.name), ['01-a.yml', '02-b.yml', 'kustomization.yaml', OUTPUT_MARKER])
  t.equal(files[0]?.text, '# keep me\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: |\n    line\n')
  t.same(parse(files[2]?.text ?? ''), {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    sortOptions: { order: 'fifo' },
    labels: [{ pairs: { 'pharos.kontena.io/stack': 'custom-network' }, includeSelectors: false, includeTemplates: false }],
    resources: ['01-a.yml', '02-b.yml'],
  })
})

t.test('the stream carries the stack label and leaves the documents untouched', async (t) => {
  const stream = outputStream(docs)
  t.match(stream, /^# keep me\napiVersion: v1\nkind: ConfigMap\nmetadata:\n {2}name: a\n {2}labels:\n {4}pharos.kontena.io\/stack: custom-network\n/)
  t.match(stream, /---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n {2}name: b\n {2}labels:\n {4}app: b\n {4}pharos.kontena.io\/stack: custom-network\n$/)
  t.notMatch(outputFiles(docs)[0]?.text ?? '', /stack/)
})

t.test('writes a new folder, replaces its own, refuses a foreign one', async (t) => {
  const root = t.testdir({ foreign: { 'keep.txt': 'mine' }, empty: {} })
  const out = join(root, 'out')
  await writeOutput(outputFiles(docs), { dir: out })
  t.same((await readdir(out)).sort(), [OUTPUT_MARKER, '01-a.yml', '02-b.yml', 'kustomization.yaml'].sort())

  await writeFile(join(out, 'stale.yml'), 'x')
  await writeOutput(outputFiles(docs.slice(0, 1)), { dir: out })
  t.same((await readdir(out)).sort(), [OUTPUT_MARKER, '01-a.yml', 'kustomization.yaml'].sort(), 'replaced whole')
  t.same((await readdir(root)).sort(), ['empty', 'foreign', 'out'], 'no staging folders left behind')

  await t.rejects(writeOutput(outputFiles(docs), { dir: join(root, 'foreign') }), UsageError)
  t.equal(await readFile(join(root, 'foreign', 'keep.txt'), 'utf8'), 'mine')
  await writeOutput(outputFiles(docs), { dir: join(root, 'empty') })
  await writeOutput(outputFiles(docs), { dir: join(root, 'foreign'), force: true })
  t.same((await readdir(join(root, 'foreign'))).includes('keep.txt'), false)
})

t.test('a failed write leaves the previous output as it was', async (t) => {
  const root = t.testdir({})
  const out = join(root, 'out')
  await writeOutput(outputFiles(docs), { dir: out })
  const before = await readFile(join(out, '01-a.yml'), 'utf8')
  await t.rejects(writeOutput([{ name: 'sub/x.yml', text: 'boom' }], { dir: out }))
  t.equal(await readFile(join(out, '01-a.yml'), 'utf8'), before)
  t.same((await readdir(root)), ['out'])
})
