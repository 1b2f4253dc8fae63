/**
 * A quick first look at plain manifests, for `validate`: where each YAML document starts and what object
 * it defines (apiVersion, kind, metadata), without parsing whole documents. Parsing a 350 KB file of
 * CRDs takes `yaml` 150 ms in a fresh process; this takes a few, so kubeconform can start on the raw
 * documents at once. It only reads the common shape (a block mapping at column 0, plain top-level keys)
 * and gives up on anything else: the caller then parses with `checkDocuments`, which has the exact errors.
 */
import { parseDocument } from 'yaml'
import type { ManifestSource } from './discover.js'
import { objectIdentity, type ManifestObject, type ObjectDocument } from './documents.js'

/** One YAML document of a file, as text. */
export interface DocumentSlice {
  source: ManifestSource
  /** 0-based, counted as `yaml` counts documents (empty ones included). */
  documentIndex: number
  /** 1-based line of the document's first key. */
  line: number
  /** The document's lines, without its `---` marker. */
  text: string
}

const MARKER = /^---(?=\s|$)/
const PLAIN_MARKER = /^---\s*(?:#.*)?$/
/** `...` and directives change how documents are counted; leave them to the full parser. */
const UNUSUAL_LINE = /^(?:\.\.\.(?:\s|$)|%)/
const CONTENT_LINE = /^\s*[^\s#]/
const TOP_LEVEL_KEY = /^([A-Za-z_][\w./-]*):(?:\s|$)/
const IDENTITY_KEYS = new Set(['apiVersion', 'kind', 'metadata'])

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
      if (line !== undefined && UNUSUAL_LINE.test(line)) return undefined
      if (line !== undefined && !MARKER.test(line)) continue
      if (line !== undefined && !PLAIN_MARKER.test(line)) return undefined
      const body = lines.slice(start, i)
      const first = body.findIndex((l) => CONTENT_LINE.test(l))
      if (first >= 0) {
        if (!TOP_LEVEL_KEY.test(body[first] as string)) return undefined
        slices.push({ source, documentIndex, line: start + first + 1, text: body.join('\n') })
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
    const object = identityOf(slice.text)
    if (!object) return undefined
    const key = objectIdentity(object)
    if (seen.has(key)) return undefined
    seen.add(key)
    documents.push({ source: slice.source, documentIndex: slice.documentIndex, line: slice.line, object })
  }
  return documents
}

function identityOf(text: string): ManifestObject | undefined {
  const kept: string[] = []
  let keep = false
  for (const line of text.split('\n')) {
    const first = line[0]
    // Column-0 comments and block sequence entries belong to the key above them.
    if (first !== undefined && first !== ' ' && first !== '#' && first !== '-') {
      const key = TOP_LEVEL_KEY.exec(line)?.[1]
      if (key === undefined) return undefined
      keep = IDENTITY_KEYS.has(key)
    }
    if (keep) kept.push(line)
  }
  const doc = parseDocument(kept.join('\n'), { uniqueKeys: true })
  if (doc.errors.length > 0) return undefined
  let value: unknown
  try {
    value = doc.toJS()
  } catch {
    // An alias to an anchor outside the lines kept.
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { apiVersion, kind, metadata } = value as Record<string, unknown>
  const name = (metadata as Record<string, unknown> | undefined)?.name
  const valid = typeof apiVersion === 'string' && apiVersion !== '' && typeof kind === 'string' && kind !== '' &&
    kind !== 'List' && typeof name === 'string' && name !== ''
  return valid ? (value as ManifestObject) : undefined
}
