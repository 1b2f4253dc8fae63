/**
 * A quick first look at plain manifests, for `validate`: where each YAML document starts and what object
 * it defines (apiVersion, kind, metadata), without parsing whole documents. Parsing a 350 KB file of
 * CRDs takes `yaml` 150 ms in a fresh process; this takes a few, while kubeconform reads the same files.
 * It only reads the common shape (a block mapping at column 0, plain top-level keys) and gives up on
 * anything else: the caller then parses with `checkDocuments`, which has the exact errors.
 */
import { parseDocument } from 'yaml'
import type { ManifestSource } from './discover.js'
import { objectIdentity, type ManifestObject, type ObjectDocument } from './documents.js'
import { readerOptions } from './yaml-readers.js'

/** One YAML document of a file, as text. */
export interface DocumentSlice {
  source: ManifestSource
  /** 0-based, counted as `yaml` counts documents (empty ones included). */
  documentIndex: number
  /** 1-based line of the document's first key. */
  line: number
  /** The document's lines, without its `---` marker. */
  lines: string[]
}

const MARKER = /^---(?=\s|$)/
const PLAIN_MARKER = /^---\s*(?:#.*)?$/
/** `...` and directives change how documents are counted; leave them to the full parser. */
const UNUSUAL_LINE = /^(?:\.\.\.(?:\s|$)|%)/
const CONTENT_LINE = /^\s*[^\s#]/
const TOP_LEVEL_KEY = /^([A-Za-z_][\w./-]*):(?:\s|$)/
const IDENTITY_KEYS = new Set(['apiVersion', 'kind', 'metadata'])
/** The keys whose values make the identity. */
const IDENTITY_VALUES = new Set(['apiVersion', 'kind', 'name', 'namespace'])

/**
 * The documents of each source that has one, or undefined when a file has a shape the scan does not
 * read (a document marker with content, `...`, directives, a document not starting at column 0).
 */
export function sliceDocuments(sources: ManifestSource[]): DocumentSlice[] | undefined {
  const slices: DocumentSlice[] = []
  for (const source of sources) {
    const lines = source.text.split('\n')
    let start = 0
    let documentIndex = 0
    for (let i = 0; i <= lines.length; i++) {
      const line = lines[i]
      if (line !== undefined) {
        // Most lines are indented or plain keys: only lines starting with these can be markers or directives.
        if (!'-.%'.includes(line[0] ?? ' ')) continue
        if (UNUSUAL_LINE.test(line)) return undefined
        if (!MARKER.test(line)) continue
        if (!PLAIN_MARKER.test(line)) return undefined
      }
      const body = lines.slice(start, i)
      const first = body.findIndex((l) => CONTENT_LINE.test(l))
      if (first >= 0) {
        if (!TOP_LEVEL_KEY.test(body[first] as string)) return undefined
        slices.push({ source, documentIndex, line: start + first + 1, lines: body })
      }
      // Only comments before the first marker: that marker starts the first document.
      if (first >= 0 || start > 0) documentIndex++
      start = i + 1
    }
  }
  return slices
}

/**
 * The object each slice defines, read from its apiVersion, kind and metadata lines only; undefined when
 * any slice is not plainly an object with a name, or two slices define the same object.
 */
export function identifyDocuments(slices: DocumentSlice[]): ObjectDocument[] | undefined {
  const documents: ObjectDocument[] = []
  const seen = new Set<string>()
  for (const slice of slices) {
    const object = identityOf(slice.lines)
    if (!object) return undefined
    const key = objectIdentity(object)
    if (seen.has(key)) return undefined
    seen.add(key)
    documents.push({ source: slice.source, documentIndex: slice.documentIndex, line: slice.line, object })
  }
  return documents
}

function identityOf(lines: string[]): ManifestObject | undefined {
  const object = plainIdentity(lines) ?? parsedIdentity(lines)
  const valid = object !== undefined && isText(object.apiVersion) && isText(object.kind) && object.kind !== 'List' &&
    isText(object.metadata?.name)
  return valid ? object : undefined
}

/** A value that reads as the same string in every YAML schema: no quotes, escapes, comments or types. */
const PLAIN_TEXT = /^[A-Za-z][\w./-]*$/
/** The same, quoted: quotes make any such text a string, whatever its first character. */
const QUOTED_TEXT = /^(?:"([\w./-]+)"|'([\w./-]+)')$/
const CHILD_KEY = /^( +)([A-Za-z_][\w./-]*):(?:\s|$)/

/**
 * The identity from the lines as written, when they are the everyday `key: value` form: `yaml` costs tens
 * of milliseconds on its first use in a process, which would be spent while kubeconform needs the CPU.
 * Anything else (quoting, comments after values, anchors, duplicates) is left to parsedIdentity.
 */
function plainIdentity(lines: string[]): ManifestObject | undefined {
  const top = new Map<string, string>()
  const metadata = new Map<string, string>()
  let inMetadata = false
  let childIndent = 0
  // Lines indented deeper than this continue the identity value just read (a multi-line scalar).
  let continuedAbove: number | undefined
  for (const line of lines) {
    const first = line[0]
    // The bulk of a document: lines inside a top-level key other than metadata.
    if (first === ' ' && !inMetadata && continuedAbove === undefined) continue
    const text = line.trimStart()
    if (text === '' || text[0] === '#') continue
    // A block sequence at column 0 belongs to the key above it: fine, unless that key is metadata.
    if (first === '-') {
      if (inMetadata) return undefined
      continue
    }
    const indent = line.length - text.length
    if (continuedAbove !== undefined && indent > continuedAbove) return undefined
    if (indent === 0) {
      const match = TOP_LEVEL_KEY.exec(line)
      const key = match?.[1] as string
      if (!match || top.has(key)) return undefined
      const value = line.slice(match[0].length).trim()
      top.set(key, value)
      inMetadata = key === 'metadata'
      if (inMetadata && value !== '') return undefined
      continuedAbove = IDENTITY_VALUES.has(key) ? 0 : undefined
      continue
    }
    if (!inMetadata) continue
    childIndent ||= indent
    if (indent > childIndent || text.startsWith('- ')) continue
    const child = CHILD_KEY.exec(line)
    const key = child?.[2] as string
    if (!child || indent !== childIndent || metadata.has(key)) return undefined
    metadata.set(key, line.slice(child[0].length).trim())
    continuedAbove = IDENTITY_VALUES.has(key) ? childIndent : undefined
  }
  const read = (value: string | undefined) => (value === undefined ? undefined : plainText(value))
  const [apiVersion, kind, name, namespace] = [read(top.get('apiVersion')), read(top.get('kind')), read(metadata.get('name')), read(metadata.get('namespace'))]
  if (!apiVersion || !kind || !name || namespace === null) return undefined
  return { apiVersion, kind, metadata: namespace === undefined ? { name } : { name, namespace } }
}

/** The string a value reads as in every YAML schema, or null when that takes a parser to tell. */
function plainText(value: string): string | null {
  const quoted = QUOTED_TEXT.exec(value)
  if (quoted) return (quoted[1] ?? quoted[2]) as string
  return PLAIN_TEXT.test(value) && !RESERVED.has(value) ? value : null
}

/** Plain scalars that YAML reads as booleans or null. */
const RESERVED = new Set(['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'null', 'Null', 'NULL', 'yes', 'Yes', 'YES', 'no', 'No', 'NO', 'on', 'On', 'ON', 'off', 'Off', 'OFF', 'y', 'Y', 'n', 'N'])

/** The identity from `yaml`, given the apiVersion, kind and metadata lines only. */
function parsedIdentity(lines: string[]): ManifestObject | undefined {
  const kept: string[] = []
  let keep = false
  for (const line of lines) {
    const first = line[0]
    // Column-0 comments and block sequence entries belong to the key above them.
    if (first !== undefined && first !== ' ' && first !== '#' && first !== '-') {
      const key = TOP_LEVEL_KEY.exec(line)?.[1]
      if (key === undefined) return undefined
      keep = IDENTITY_KEYS.has(key)
    }
    if (keep) kept.push(line)
  }
  // Read as kubectl reads them, as the full parse does: `name: on` is no name.
  const doc = parseDocument(kept.join('\n'), { ...readerOptions('kubectl'), uniqueKeys: true })
  if (doc.errors.length > 0) return undefined
  try {
    const value: unknown = doc.toJS()
    return typeof value === 'object' && value !== null ? (value as ManifestObject) : undefined
  } catch {
    // An alias to an anchor outside the lines kept.
    return undefined
  }
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}
