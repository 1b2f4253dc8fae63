/**
 * The fast paths give exactly what the plain paths give, on every plain YAML file of the repository and
 * every corpus file: the labelled stream (output.ts labelledAlongPath) and the tree walk (yaml-walk.ts).
 */
import t, { type Test } from 'tap'
import { visit, type Node } from 'yaml'
import type { ManifestSource } from '../src/discover.js'
import { checkDocuments, type ManifestDocument } from '../src/documents.js'
import { labelledAlongPath, withStackLabel } from '../src/output.js'
import { someNode } from '../src/yaml-walk.js'
import { corpusFiles, corpusMissing, repositoryYamlFiles, type YamlFile } from './helpers/corpus.js'

/** The file's documents, or undefined for a fixture of bad input. */
function documentsOf(file: YamlFile): ManifestDocument[] | undefined {
  const source: ManifestSource = { path: `/set/${file.name}`, name: file.name, outputName: file.name, engine: 'plain', text: file.text }
  try {
    return checkDocuments([{ source, text: file.text }])
  } catch {
    return undefined
  }
}

function compareLabelled(t: Test, files: YamlFile[]): void {
  let fast = 0
  let documents = 0
  for (const file of files) {
    for (const doc of documentsOf(file) ?? []) {
      documents++
      const before = doc.yaml.toString()
      const plain = withStackLabel(doc).toString()
      const labelled = labelledAlongPath(doc.yaml)
      if (labelled === undefined) continue
      fast++
      t.equal(labelled.toString(), plain, `${file.name}:${doc.line}: the labelled copy is the full copy's text`)
      t.equal(doc.yaml.toString(), before, `${file.name}:${doc.line}: the original is unchanged`)
    }
  }
  t.ok(fast > documents * 0.9, `most documents take the fast path (${fast} of ${documents})`)
}

function compareWalks(t: Test, files: YamlFile[]): void {
  let walked = 0
  for (const file of files) {
    for (const doc of documentsOf(file) ?? []) {
      const visited: Node[] = []
      visit(doc.yaml, { Node: (_key, node) => void visited.push(node) })
      const walkedNodes: Node[] = []
      someNode(doc.yaml, (node) => void walkedNodes.push(node))
      t.ok(walkedNodes.length === visited.length && walkedNodes.every((n, i) => n === visited[i]), `${file.name}:${doc.line}: the walk meets visit()'s nodes in its order`)
      walked++
    }
  }
  t.ok(walked > 0)
}

t.test('the labelled stream: fast path and full copy agree on every repository file', async (t) => {
  compareLabelled(t, await repositoryYamlFiles())
})

t.test('the labelled stream: fast path and full copy agree on every corpus file', { skip: corpusMissing() }, async (t) => {
  compareLabelled(t, await corpusFiles())
})

t.test('the tree walk meets the nodes visit() meets, in the same order', async (t) => {
  compareWalks(t, await repositoryYamlFiles())
})

t.test('the tree walk on the corpus', { skip: corpusMissing() }, async (t) => {
  compareWalks(t, await corpusFiles())
})

t.test('the labelled copy: each shape of labels, and where it leaves it to the full copy', async (t) => {
  const cases: Array<[string, boolean]> = [
    ['apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n', true],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n', true],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: ~\n', true],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {x: y}\n', true],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    pharos.kontena.io/stack: "other" # kept style\n', true],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {x: y}}\n', true],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: a\n', false],
    ['apiVersion: v1\nkind: Deployment\nmetadata:\n  name: a\n  labels: &l\n    app: a\nspec:\n  selector:\n    matchLabels: *l\n', false],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: not-a-map\n', false],
  ]
  for (const [text, fast] of cases) {
    const [doc] = documentsOf({ name: 'case.yml', text }) ?? []
    if (!doc) {
      t.fail(`${JSON.stringify(text)} parses`)
      continue
    }
    const labelled = labelledAlongPath(doc.yaml)
    t.equal(labelled !== undefined, fast, `${JSON.stringify(text)}: fast path ${fast ? 'taken' : 'left'}`)
    if (labelled) t.equal(labelled.toString(), withStackLabel(doc).toString(), JSON.stringify(text))
  }
})
