// scripts/bench-render.sh compares tools only on the same work: this reads YAML streams (our render's,
// helm template's, kubectl kustomize's) and our output folders, and fails unless they hold the same
// objects, whatever their order, key order, comments and quoting. Prints the number of objects, then
// each kind's count.
//   node scripts/bench-render-same.mjs STREAM.yaml|OUTPUT_DIR STREAM.yaml|OUTPUT_DIR...
// An output folder is read as kubectl kustomize builds it (which takes minutes at 40,000 objects): its
// kustomization's resources, with its labels added. Any other kustomization field is refused, so that
// this reading never silently falls short of kustomize's.
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { parse, parseAllDocuments } from 'yaml'

const KUSTOMIZATION_FIELDS = new Set(['apiVersion', 'kind', 'sortOptions', 'labels', 'resources'])

// Key order is the writer's choice, not the object's: sort keys at every level.
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical(value[key])]))
}

async function streamObjects(path) {
  const documents = parseAllDocuments(await readFile(path, 'utf8'), { maxAliasCount: -1 })
  const found = []
  for (const document of documents) {
    if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0].message}`)
    const object = document.toJS()
    if (object !== null) found.push(object)
  }
  return found
}

async function folderObjects(dir) {
  const kustomization = parse(await readFile(join(dir, 'kustomization.yaml'), 'utf8'))
  const unread = Object.keys(kustomization).filter((field) => !KUSTOMIZATION_FIELDS.has(field))
  if (unread.length > 0) throw new Error(`${dir}/kustomization.yaml: ${unread.join(', ')} not read here`)
  const found = []
  for (const resource of kustomization.resources) found.push(...(await streamObjects(join(dir, resource))))
  for (const { pairs, includeSelectors, includeTemplates } of kustomization.labels ?? []) {
    if (includeSelectors || includeTemplates) throw new Error(`${dir}/kustomization.yaml: labels beyond metadata not read here`)
    for (const object of found) object.metadata.labels = { ...object.metadata.labels, ...pairs }
  }
  return found
}

async function objects(path) {
  return (await stat(path)).isDirectory() ? folderObjects(path) : streamObjects(path)
}

function fail(message) {
  console.error(`bench-render-same: ${message}`)
  process.exit(1)
}

async function canonicalObjects(path) {
  try {
    return (await objects(path)).map((object) => JSON.stringify(canonical(object))).sort()
  } catch (error) {
    fail(error.message)
  }
}

const [first, ...others] = process.argv.slice(2)
const expected = await canonicalObjects(first)
for (const path of others) {
  const actual = await canonicalObjects(path)
  if (actual.length !== expected.length) fail(`${first} holds ${expected.length} objects, ${path} ${actual.length}`)
  const index = actual.findIndex((text, i) => text !== expected[i])
  if (index !== -1) fail(`${first} and ${path} differ:\n  ${expected[index]}\n  ${actual[index]}`)
}
const kinds = new Map()
for (const text of expected) {
  const { kind } = JSON.parse(text)
  kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
}
console.log([expected.length, ...[...kinds].sort().map(([kind, count]) => `${count} ${kind}`)].join(' '))
