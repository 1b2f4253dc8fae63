/**
 * YAML from a repository nobody here controls, parsed under the limits (design §13). yaml itself bounds
 * nesting (a RESOURCE_EXHAUSTION error at the spot), but not the rest:
 * - size: the number of nodes is estimated from the text before parsing (yaml needs about 1 KB of memory
 *   per node) and counted against the run's `yaml-nodes` budget;
 * - duplicate keys: yaml's own check (`uniqueKeys`) compares every key with every other, quadratic in the
 *   size of a mapping (80,000 keys take 38 s); this one is linear and reports the same error;
 * - aliases: yaml's `maxAliasCount` counts aliases, not what they expand to, so 999 aliases of a long list
 *   pass it and then take gigabytes as JSON; the bytes aliases add when expanded count against
 *   `alias-size`.
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseAllDocuments,
  parseDocument,
  YAMLParseError,
  type Alias,
  type Document,
  type ErrorCode,
  type LineCounter,
  type Node,
  type ParseOptions,
  type DocumentOptions,
  type SchemaOptions,
} from 'yaml'
import { LimitError, type Budget, type Limits } from './limits.js'
import { someNode } from './yaml-walk.js'
import { finishDocument, indentQuotedContinuations, readerOptions, type YamlReader } from './yaml-readers.js'

export type YamlOptions = ParseOptions & DocumentOptions & SchemaOptions

export interface YamlLimitOptions {
  file: string
  limits: Limits
  /** The run's `yaml-nodes` budget, shared by every file it parses. */
  nodeBudget: Budget
  lineCounter: LineCounter
  /**
   * Whose reading of YAML 1.1 the text gets (see yaml-readers.ts): by default a stream is manifests, read
   * as kubectl reads them, and a single document is cluster.yml, read as Pharos (Psych) read it.
   */
  reader?: YamlReader
}

/** An upper bound of the nodes in `text`, cheap to count: lines plus flow separators and openers. */
export function estimateYamlNodes(text: string): number {
  let count = 1
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    // \n , [ {
    if (c === 10 || c === 44 || c === 91 || c === 123) count++
  }
  return count
}

/** Every document of a stream, checked as the module comment says; problems land in `doc.errors`. */
export function parseYamlStream(text: string, options: YamlLimitOptions, yamlOptions: YamlOptions = {}): Document.Parsed[] {
  countNodes(text, options)
  const reader = options.reader ?? 'kubectl'
  const parse = (source: string) => {
    const parsed = parseAllDocuments(source, { ...readerOptions(reader), ...yamlOptions, ...CHECKED_BY_US, lineCounter: options.lineCounter })
    // An EmptyStream (no document at all) is not an array.
    return Array.isArray(parsed) ? parsed : []
  }
  const { source, result: documents } = parseLikeLibyaml(text, options, parse)
  for (const doc of documents) checkParsed(doc, source, reader, options)
  return documents
}

/** A single document (cluster.yml), checked the same way. */
export function parseYamlDocument(text: string, options: YamlLimitOptions, yamlOptions: YamlOptions = {}): Document.Parsed {
  countNodes(text, options)
  const reader = options.reader ?? 'psych'
  const parse = (source: string) => [parseDocument(source, { ...readerOptions(reader), ...yamlOptions, ...CHECKED_BY_US, lineCounter: options.lineCounter })]
  const { source, result } = parseLikeLibyaml(text, options, parse)
  const doc = result[0] as Document.Parsed
  checkParsed(doc, source, reader, options)
  return doc
}

/**
 * The documents as parsed; where `yaml` stops at a double-quoted scalar whose continuation lines libyaml
 * reads, they are indented and the text parsed again (lines keep their numbers; see yaml-readers.ts).
 */
function parseLikeLibyaml(
  text: string,
  options: YamlLimitOptions,
  parse: (source: string) => Document.Parsed[],
): { source: string; result: Document.Parsed[] } {
  const result = parse(text)
  const unclosedQuote = result.some((doc) => doc.errors.some((e) => e.code === 'MISSING_CHAR' && e.message.startsWith('Missing closing "quote')))
  if (!unclosedQuote) return { source: text, result }
  const source = indentQuotedContinuations(text)
  if (source === text) return { source, result }
  // The line counter saw the first parse; it counts the second alone.
  options.lineCounter.lineStarts.splice(0)
  return { source, result: parse(source) }
}

// Duplicate keys are found here, in linear time. yaml's warnings (a mapping used as a key) would reach the
// user's stderr as a Node process warning; what we report comes from the document's own checks.
const CHECKED_BY_US = { uniqueKeys: false, prettyErrors: true, logLevel: 'error' } as const

function countNodes(text: string, options: YamlLimitOptions): void {
  const nodes = estimateYamlNodes(text)
  options.nodeBudget.use(nodes, () => `too much YAML: about ${nodes} nodes in this file`, { file: options.file })
}

function checkParsed(doc: Document.Parsed, source: string, reader: YamlReader, options: YamlLimitOptions): void {
  if (doc.errors.length > 0) return
  const addError = (node: Node, code: 'DUPLICATE_KEY' | 'BAD_ALIAS' | 'BAD_SCALAR' | 'BAD_MERGE', message: string) => {
    const [start, end] = node.range ?? [0, 0]
    // BAD_SCALAR and BAD_MERGE are ours: what the program these files were written for refuses.
    const error = new YAMLParseError([start, end], code as ErrorCode, message)
    error.linePos = [options.lineCounter.linePos(start), options.lineCounter.linePos(end)]
    doc.errors.push(error)
  }
  const { duplicate, aliased } = scanKeysAndAliases(doc)
  if (duplicate) return addError(duplicate, 'DUPLICATE_KEY', 'Map keys must be unique')
  if (aliased) {
    // yaml leaves an alias without its anchor for toJS() to trip over; say where it is instead.
    const dangling = firstAlias(doc, (alias) => alias.resolve(doc) === undefined)
    if (dangling) return addError(dangling, 'BAD_ALIAS', `alias *${dangling.source} has no anchor before it`)
    const added = aliasExpansion(doc)
    if (added > options.limits['alias-size']) {
      const at = firstAlias(doc, () => true)
      const place = at?.range ? options.lineCounter.linePos(at.range[0]) : undefined
      const by = Number.isFinite(added) ? `by ${added} bytes` : 'without end (an alias inside what it names)'
      throw new LimitError('alias-size', `YAML aliases (*name) expand this document ${by}`, {
        file: options.file,
        line: place?.line,
        col: place?.col,
        limits: options.limits,
      })
    }
  }
  const problem = finishDocument(doc, source, reader)
  if (problem) addError(problem.node, problem.code, problem.message)
}

/**
 * The first key of a mapping that repeats an earlier key of the same mapping (as yaml's uniqueKeys sees
 * keys), and whether the document has an alias at all: one walk, since most documents have neither.
 */
function scanKeysAndAliases(doc: Document.Parsed): { duplicate?: Node; aliased: boolean } {
  let duplicate: Node | undefined
  let aliased = false
  someNode(doc, (node) => {
    if (isAlias(node)) aliased = true
    if (!isMap(node)) return false
    const seen = new Set<unknown>()
    for (const pair of node.items) {
      // Keys that are collections are compared by identity in yaml: never equal to another.
      if (!isScalar(pair.key)) continue
      const value = pair.key.value
      if (seen.has(value)) {
        duplicate = pair.key
        return true
      }
      seen.add(value)
    }
    return false
  })
  return { duplicate, aliased }
}

/**
 * How many bytes of source text the document's aliases stand for, counted as if each were written out: an
 * alias counts the size of its anchored node, aliases inside that included (memoised per node, so the
 * count is linear in the document).
 */
export function aliasExpansion(doc: Document.Parsed): number {
  const sizes = new Map<Node, number>()
  let added = 0
  const sizeOf = (node: unknown): number => {
    if (isAlias(node)) {
      const target = node.resolve(doc)
      return target ? sizeOf(target) : 0
    }
    if (!isScalar(node) && !isMap(node) && !isSeq(node)) return 0
    const known = sizes.get(node)
    if (known !== undefined) return known
    // An alias inside the node it names (`&x [*x]`) would expand without end.
    sizes.set(node, Infinity)
    let size: number
    if (isScalar(node)) {
      size = node.range ? Math.max(1, node.range[1] - node.range[0]) : String(node.value).length
    } else {
      size = 2
      for (const item of node.items) {
        if (isPair(item)) size += sizeOf(item.key) + sizeOf(item.value) + 2
        else size += sizeOf(item) + 1
      }
    }
    sizes.set(node, size)
    return size
  }
  someNode(doc, (node) => {
    if (isAlias(node)) added += sizeOf(node)
    return false
  })
  return added
}

function firstAlias(doc: Document.Parsed, test: (alias: Alias) => boolean): Alias | undefined {
  let found: Alias | undefined
  someNode(doc, (node) => {
    if (!isAlias(node) || !test(node)) return false
    found = node
    return true
  })
  return found
}
