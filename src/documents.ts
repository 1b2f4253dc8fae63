/**
 * Rendered text → checked Kubernetes objects: every document parses, read as kubectl reads it (YAML 1.1 as
 * go-yaml v2 reads it: `on` is true, `0644` is 420; see yaml-readers.ts), empty ones are dropped,
 * `kind: List` is expanded, each object has apiVersion/kind/metadata.name, and no object is defined twice.
 */
import { Document, isAlias, isMap, isSeq, LineCounter, type Node, type YAMLError } from 'yaml'
import { codeFrame, ManifestError } from './errors.js'
import { Budget, DEFAULT_LIMITS, type Limits } from './limits.js'
import { parseYamlStream } from './yaml-limits.js'
import { OUTPUT_DOCUMENT_OPTIONS } from './yaml-readers.js'
import { someNode } from './yaml-walk.js'
import { apiGroupOf, formatObjectName } from './object-name.js'
import type { ManifestSource } from './discover.js'

export interface RenderedManifest {
  source: ManifestSource
  /** Template output (the file's own text for plain manifests). */
  text: string
}

export interface ManifestObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown }
  [key: string]: unknown
}

export interface ManifestDocument {
  source: ManifestSource
  /** 0-based position of the YAML document in the rendered file. */
  documentIndex: number
  /** 1-based line in the rendered text where this object starts. */
  line: number
  object: ManifestObject
  /** The parsed node, kept so that output keeps comments and scalar styles. */
  yaml: Document
  /** Offsets where each line of the rendered text starts, to turn node ranges into lines. */
  lineStarts: number[]
}

/** A document reduced to where it is and the object it defines. */
export type ObjectDocument = Pick<ManifestDocument, 'source' | 'documentIndex' | 'line' | 'object'>

/** What identifies an object in a cluster; two documents with the same identity clash. */
export function objectIdentity(object: ManifestObject): string {
  return [apiGroupOf(object.apiVersion), object.kind, object.metadata.namespace ?? '', object.metadata.name].join('/')
}

export function describeObject(object: ManifestObject): string {
  return formatObjectName({ kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace })
}

/** The 1-based line holding `offset`, from a document's `lineStarts` (a binary search). */
export function lineAt(lineStarts: number[], offset: number): number {
  let low = 0
  let high = lineStarts.length - 1
  while (low < high) {
    const mid = (low + high + 1) >> 1
    if ((lineStarts[mid] as number) <= offset) low = mid
    else high = mid - 1
  }
  return low + 1
}

/** Identifies one document of one rendered file, across stages that copy documents. */
export function documentKey(file: string, documentIndex: number, line: number): string {
  return `${file}\0${documentIndex}\0${line}`
}

/** `limits`: `yaml-nodes` counts for the whole set, `alias-size` per document. */
export function checkDocuments(rendered: RenderedManifest[], limits: Limits = DEFAULT_LIMITS): ManifestDocument[] {
  const documents = parseDocuments(rendered, limits)
  refuseDuplicates(documents)
  return documents
}

/** Every document parsed and checked on its own (see checkDocuments, which also refuses duplicates). */
export function parseDocuments(rendered: RenderedManifest[], limits: Limits = DEFAULT_LIMITS): ManifestDocument[] {
  const nodeBudget = new Budget('yaml-nodes', limits)
  return rendered.flatMap((manifest) => parseManifest(manifest, limits, nodeBudget))
}

/** No object may be defined twice: the second definition would silently replace the first. */
export function refuseDuplicates(documents: ManifestDocument[]): void {
  const seen = new Map<string, ManifestDocument>()
  for (const doc of documents) {
    const key = objectIdentity(doc.object)
    const earlier = seen.get(key)
    if (earlier) {
      throw new ManifestError(
        `${describeObject(doc.object)} is defined twice: here and in ${earlier.source.name}:${earlier.line}`,
        {
          file: doc.source.path,
          line: doc.line,
          col: 1,
          hint: 'keep one definition; objects are identified by API group, kind, namespace and name',
        },
      )
    }
    seen.set(key, doc)
  }
}

/** checkDocuments for plain files, whose text is their own. */
export function checkDocumentsOf(sources: ManifestSource[], limits: Limits = DEFAULT_LIMITS): ManifestDocument[] {
  return checkDocuments(sources.map((source) => ({ source, text: source.text })), limits)
}

function parseManifest({ source, text }: RenderedManifest, limits: Limits, nodeBudget: Budget): ManifestDocument[] {
  const lineCounter = new LineCounter()
  const parsed = parseYamlStream(text, { file: source.path, limits, nodeBudget, lineCounter })
  const place = (offset: number) => lineCounter.linePos(offset)
  const { lineStarts } = lineCounter
  const documents: ManifestDocument[] = []
  parsed.forEach((doc, documentIndex) => {
    const error = doc.errors[0]
    if (error) throw yamlError(source, text, error)
    // Aliases were measured by what they expand to (alias-size); their count alone says little.
    const value: unknown = doc.toJS({ maxAliasCount: -1 })
    if (value === null || value === undefined) return
    const start = place(doc.contents?.range?.[0] ?? doc.range[0])
    if (!isMap(doc.contents) || typeof value !== 'object' || Array.isArray(value)) {
      throw manifestError(source, text, start.line, start.col, 'a manifest document must be a mapping (an object)')
    }
    const object = requireObjectFields(source, text, start.line, value as Record<string, unknown>)
    if (object.kind === 'List' && object.apiVersion === 'v1') {
      const items = doc.get('items', true)
      const itemNodes: Node[] = isSeq(items) ? (items.items as Node[]) : []
      itemNodes.forEach((node) => {
        const at = place(node.range?.[0] ?? 0)
        const item = requireObjectFields(source, text, at.line, node.toJS(doc) as Record<string, unknown>)
        // An item may use an anchor of another item: on its own it keeps what the alias stands for.
        const yaml = hasAlias(node) ? new Document(item, OUTPUT_DOCUMENT_OPTIONS) : documentOf(node)
        documents.push({ source, documentIndex, line: at.line, object: item, yaml, lineStarts })
      })
      return
    }
    documents.push({ source, documentIndex, line: start.line, object, yaml: documentOf(doc.contents, doc), lineStarts })
  })
  return documents
}

function hasAlias(node: Node): boolean {
  return someNode(node, isAlias)
}

/**
 * Every output document is a copy of this empty one: building each one's schema anew took a tenth of a large
 * set's parse. They share the schema and directives, which nothing changes after parsing, and own their lists.
 */
const EMPTY_OUTPUT_DOCUMENT = Object.getOwnPropertyDescriptors(new Document(undefined, OUTPUT_DOCUMENT_OPTIONS))

/**
 * A document to write out: values as kubectl read them, written so that every YAML reader (kubectl's
 * go-yaml v2, kustomize's go-yaml v3, YAML 1.2) reads the same: `on` is written `true`, `0644` as 420, and
 * a string that kubectl would read as something else is quoted.
 */
function documentOf(node: Node, from?: Document): Document {
  const doc = Object.create(Document.prototype, EMPTY_OUTPUT_DOCUMENT) as Document
  doc.errors = []
  doc.warnings = []
  doc.contents = node
  if (from) {
    doc.commentBefore = from.commentBefore
    doc.comment = from.comment
  }
  return doc
}

function requireObjectFields(
  source: ManifestSource,
  text: string,
  line: number,
  value: Record<string, unknown>,
): ManifestObject {
  const metadata = value.metadata as Record<string, unknown> | undefined
  const missing = [
    typeof value.apiVersion === 'string' && value.apiVersion ? undefined : 'apiVersion',
    typeof value.kind === 'string' && value.kind ? undefined : 'kind',
    value.kind === 'List' || (typeof metadata?.name === 'string' && metadata.name) ? undefined : 'metadata.name',
  ].filter((field): field is string => field !== undefined)
  if (missing.length > 0) {
    throw manifestError(
      source,
      text,
      line,
      1,
      `document has no ${missing.join(', ')}`,
      'every Kubernetes object needs apiVersion, kind and metadata.name; a template that renders nothing ' +
        'for a document should leave it empty or comment-only',
    )
  }
  return value as ManifestObject
}

function yamlError(source: ManifestSource, text: string, error: YAMLError): ManifestError {
  const [line, col] = [error.linePos?.[0].line ?? 1, error.linePos?.[0].col ?? 1]
  if (error.code === 'RESOURCE_EXHAUSTION') {
    return manifestError(source, text, line, col, 'invalid YAML: nested too deeply to read',
      'collections nested several hundred levels deep are not a Kubernetes object; flatten the document')
  }
  const message = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'YAML error'
  // Valid YAML that kubectl refuses (see yaml-readers.ts): the message says why.
  if (error.code === ('BAD_SCALAR' as string)) return manifestError(source, text, line, col, message, 'quote the value to send it as text')
  if (error.code === ('BAD_MERGE' as string)) {
    return manifestError(source, text, line, col, message, 'merge a mapping (`<<: *name`) or a list of them, or write the keys out')
  }
  return manifestError(source, text, line, col, `invalid YAML: ${message}`, 'fix the YAML syntax')
}

function manifestError(
  source: ManifestSource,
  text: string,
  line: number,
  col: number,
  message: string,
  hint?: string,
): ManifestError {
  const templated = source.engine !== 'plain'
  return new ManifestError(templated ? `${message} (line ${line} of the rendered output)` : message, {
    file: source.path,
    // For a template the position is in its output, which is what the frame shows.
    line: templated ? undefined : line,
    col: templated ? undefined : col,
    frame: codeFrame(text, line, col),
    hint: templated ? `${hint ? `${hint}; ` : ''}the excerpt shows the template's output, not its source` : hint,
  })
}
