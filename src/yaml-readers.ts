/**
 * YAML read the way the programs these files were written for read it, not as YAML 1.2 (the `yaml`
 * package's default), since the same text means different data to them:
 * - cluster.yml as Pharos read it: Psych 3.0 (Ruby 2.5's libyaml binding; Pharos' Dockerfile and release
 *   builds ran Ruby 2.5) through `YAML.safe_load(text, [], [], true)` (pharos-cluster's yaml_file.rb): YAML 1.1 scalars as Psych's
 *   ScalarScanner reads them (`yes`/`on`/`off` booleans in any letter case but not `y`/`n`, `0644` octal,
 *   `1_000` and `1,000`, sexagesimal `12:30`), and no Date, Time or Symbol (safe_load refuses them);
 * - manifests as kubectl reads them: sigs.k8s.io/yaml, which is go-yaml v2's YAML 1.1 (`y`, `on`, `0644`,
 *   `0o17`, `1e3`, but no sexagesimal numbers and timestamps kept as strings).
 * `yaml`'s own `version: '1.1'` schema is neither (it reads `y` as true for Psych, `0o17` as a string for
 * kubectl), so each reader is one scalar tag resolving plain scalars by its program's rules.
 * Both merge `<<` keys as Psych and go-yaml v2 do (a merged mapping replaces the keys written before it;
 * `yaml`'s merge keeps them), by rewriting the mapping: its nodes then hold what the program built.
 * Both also read what libyaml reads and `yaml` does not: a block scalar ending the file without a final
 * newline has none added, and a double-quoted scalar's continuation lines may be less indented.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Lexer,
  Pair,
  Scalar,
  type Document,
  type Node,
  type CollectionTag,
  type ScalarTag,
  type Tags,
  type YAMLMap,
} from 'yaml'
import { someNode } from './yaml-walk.js'

export type YamlReader = 'psych' | 'kubectl'

/** A value the program refuses to load, found while resolving a scalar; reported at the scalar. */
export const REFUSED = Symbol('refused')
type RefusedScalar = Scalar & { [REFUSED]?: string }

/** A plain scalar's value as Psych 3.0.2's ScalarScanner#tokenize gives it; Integer is bigint, Float number. */
export function psychScalar(text: string): unknown {
  if (text === '') return null
  // Ruby's ^ and $ match at line ends too; a plain scalar spans lines when it holds an empty line.
  if (/^[^\d.:-]?[A-Za-z_\s!@#$%^&*(){}<>|\/\\~;=]+/m.test(text) || text.includes('\n')) {
    if (text.length > 5 || /^[^ytonf~]/im.test(text)) return text
    if (text === '~' || /^null$/im.test(text)) return null
    if (/^(yes|true|on)$/im.test(text)) return true
    if (/^(no|false|off)$/im.test(text)) return false
    return text
  }
  if (PSYCH_TIME.test(text)) return refused('Time', text)
  if (/^\d{4}-(?:1[012]|0\d|\d)-(?:[12]\d|3[01]|0\d|\d)$/m.test(text)) return refused('Date', text)
  if (/^\.inf$/im.test(text)) return Infinity
  if (/^-\.inf$/im.test(text)) return -Infinity
  if (/^\.nan$/im.test(text)) return NaN
  if (/^:./m.test(text)) return refused('Symbol', text)
  if (/^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}$/m.test(text)) {
    // Psych's quirk, kept: the first part counts 60² whether there are two parts or three (12:30 is 45000).
    return text.split(':').reduce((sum, part, e) => sum + rubyToI(part) * 60n ** BigInt(Math.abs(e - 2)), 0n)
  }
  if (/^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}\.[0-9_]*$/m.test(text)) {
    return text.split(':').reduce((sum, part, e) => sum + Number.parseFloat(part.replace(/_/g, '')) * 60 ** Math.abs(e - 2), 0)
  }
  if (PSYCH_FLOAT.test(text)) {
    if (/^[-+]?\.\n?$/.test(text)) return text
    const number = text.replace(/[,_]|\.([Ee]|$)/gm, '$1')
    // Psych 3.0 sends `+.inf` to Ruby's Float(), which raises: Pharos stopped there.
    if (/inf/i.test(number)) return refused('Float', text)
    return Number(number)
  }
  const digits = text.replace(/[,_]/g, '')
  if (PSYCH_INTEGER.test(digits)) return signed(digits, (unsigned) => BigInt(/^0[0-7]/.test(unsigned) ? `0o${unsigned.slice(1)}` : unsigned))
  return text
}

const PSYCH_TIME = /^-?\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|\s+)\d{1,2}:\d\d:\d\d(?:\.\d*)?(?:\s*(?:Z|[-+]\d{1,2}:?(?:\d\d)?))?$/m
const PSYCH_FLOAT = /^(?:[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$/m
const PSYCH_INTEGER = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$/m

/** Ruby's String#to_i for the digits of a sexagesimal part: sign, digits and underscores. */
function rubyToI(part: string): bigint {
  return signed(part.replace(/_/g, ''), (digits) => BigInt(digits))
}

function signed(text: string, parse: (unsigned: string) => bigint): bigint {
  const sign = text[0] === '-' || text[0] === '+' ? text[0] : ''
  const value = parse(text.slice(sign.length))
  return sign === '-' ? -value : value
}

function refused(className: string, text: string): RefusedScalar {
  const scalar: RefusedScalar = new Scalar(text)
  scalar[REFUSED] = className
  return scalar
}

/** A plain scalar's value as go-yaml v2's resolve() gives it when decoding into interface{} (kubectl). */
export function kubectlScalar(text: string): unknown {
  if (text in GO_YAML_V2_WORDS) return GO_YAML_V2_WORDS[text]
  const first = text[0] ?? ''
  if (first === '.') {
    return GO_FLOAT.test(text) ? Number(text) : text
  }
  if (!/[-+0-9]/.test(first)) return text
  // Timestamps stay strings: go-yaml v2 keeps them so for interface{} targets.
  const plain = text.replace(/_/g, '')
  const integer = goParseInt(plain)
  if (integer !== undefined) return integer
  if (GO_FLOAT.test(plain)) return Number(plain)
  return text
}

const GO_YAML_V2_WORDS: Record<string, unknown> = Object.fromEntries([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((w) => [w, true]),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((w) => [w, false]),
  ...['~', 'null', 'Null', 'NULL'].map((w) => [w, null]),
  ...['.nan', '.NaN', '.NAN'].map((w) => [w, NaN]),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((w) => [w, Infinity]),
  ...['-.inf', '-.Inf', '-.INF'].map((w) => [w, -Infinity]),
])
GO_YAML_V2_WORDS[''] = null

const GO_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/

/** Go's strconv.ParseInt(text, 0, 64), then ParseUint: prefixes 0x, 0o, 0b and a leading 0 (octal). */
function goParseInt(text: string): number | undefined {
  const match = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text)
  if (!match) return undefined
  const [, sign, digits] = match as unknown as [string, string, string]
  const octal = /^0[0-7]/.test(digits) ? `0o${digits.slice(1)}` : digits
  const value = BigInt(octal.toLowerCase())
  const result = sign === '-' ? -value : value
  if (result < -(2n ** 63n) || result >= 2n ** 64n) return undefined
  return Number(result)
}

/**
 * Psych's reading as a tag whose test says which plain text is not a string (`yaml` calls only `test` of a
 * tag's RegExp); any other text is a string.
 */
const psychTag: ScalarTag = {
  identify: () => false,
  default: true,
  tag: 'tag:pharos.kontena.io,2018:psych',
  test: { test: (text: string) => typeof psychScalar(text) !== 'string' } as unknown as RegExp,
  resolve: (text) => {
    const value = psychScalar(text)
    return value instanceof Scalar ? value : new Scalar(value)
  },
}

/** kubectl's reading, the same way; also the `compat` check of output documents, which quotes such text. */
export const kubectlTag: ScalarTag = {
  identify: () => false,
  default: true,
  tag: 'tag:pharos.kontena.io,2018:kubectl',
  test: { test: (text: string) => typeof kubectlScalar(text) !== 'string' } as unknown as RegExp,
  resolve: (text) => new Scalar(kubectlScalar(text)),
}

/**
 * Explicit tags on scalars as Psych's ToRuby#deserialize reads them: `!!str` is a string, `!!float` a
 * Float of what the scanner reads, `!!binary` decoded Base64; any other tag reads as if untagged.
 */
const psychTaggedTags: ScalarTag[] = [
  { identify: () => false, tag: 'tag:yaml.org,2002:str', resolve: (text) => text },
  {
    identify: () => false,
    tag: 'tag:yaml.org,2002:float',
    resolve: (text) => {
      const value = psychScalar(text)
      if (typeof value === 'bigint') return new Scalar(Number(value))
      // Ruby's Float() raises on anything else: Pharos stopped there.
      return typeof value === 'number' ? new Scalar(value) : refused('Float', text)
    },
  },
  { identify: () => false, tag: 'tag:yaml.org,2002:binary', resolve: (text) => Buffer.from(text, 'base64').toString('latin1') },
  ...['int', 'bool', 'null', 'timestamp'].map((name): ScalarTag => ({ ...psychTag, default: false, tag: `tag:yaml.org,2002:${name}` })),
]

/** Explicit tags on scalars as go-yaml v2 reads them: `!!str` is a string, the others resolve as if untagged. */
const kubectlTaggedTags: ScalarTag[] = [
  { identify: () => false, tag: 'tag:yaml.org,2002:str', resolve: (text) => text },
  ...['int', 'float', 'bool', 'null', 'timestamp'].map((name): ScalarTag => ({ ...kubectlTag, default: false, tag: `tag:yaml.org,2002:${name}` })),
]

/**
 * The `yaml` parse options of each reader. YAML 1.1's own tags stay, without their tests, for writing
 * values out (a collection used as a key is written as its text), never for reading plain scalars.
 */
export function readerOptions(reader: YamlReader) {
  const tags = (reading: ScalarTag[]) => (yaml11: Tags): Tags => {
    const objects = yaml11.filter((tag): tag is ScalarTag | CollectionTag => typeof tag !== 'string')
    const scalars = objects.filter((tag): tag is ScalarTag => !('collection' in tag) && tag.tag !== 'tag:yaml.org,2002:merge')
    return [...objects.filter((tag) => 'collection' in tag), ...reading, ...scalars.map((tag) => ({ ...tag, test: undefined }))]
  }
  return reader === 'psych'
    ? { version: '1.1', merge: false, intAsBigInt: true, customTags: tags([psychTag, ...psychTaggedTags]) } as const
    : { version: '1.1', merge: false, customTags: tags([kubectlTag, ...kubectlTaggedTags]) } as const
}

/** Options for a document written out: strings kubectl or Psych would read as something else are quoted. */
export const OUTPUT_DOCUMENT_OPTIONS = { compat: [kubectlTag, psychTag] }

export interface ReaderProblem {
  node: Node
  code: 'BAD_SCALAR' | 'BAD_MERGE'
  message: string
}

/**
 * What the reader does once scalars are resolved: a block scalar ending the text gets libyaml's value,
 * merge keys are merged. Returns the first value the program would refuse.
 */
export function finishDocument(doc: Document.Parsed, text: string, reader: YamlReader): ReaderProblem | undefined {
  let problem: ReaderProblem | undefined
  let merging = false
  someNode(doc, (node) => {
    if (isMap(node)) merging ||= node.items.some((pair) => isMergeKey(pair.key, reader))
    if (!isScalar(node)) return false
    endOfTextBlockScalar(node, text)
    const refusedAs = (node as RefusedScalar)[REFUSED]
    if (refusedAs && !problem) problem = { node, code: 'BAD_SCALAR', message: refusal(refusedAs, String(node.source)) }
    if (reader === 'kubectl' && typeof node.value === 'number' && !Number.isFinite(node.value) && !problem) {
      problem = {
        node,
        code: 'BAD_SCALAR',
        message: `${node.source} is not a number JSON can carry: kubectl refuses it ("unsupported value")`,
      }
    }
    return false
  })
  // Most documents merge nothing: only those with a `<<` key are walked again.
  return problem ?? (merging ? expandMerges(doc, reader) : undefined)
}

function refusal(className: string, text: string): string {
  if (className === 'Float') return `${text} is a Float Pharos' YAML reader (Psych 3) failed to read: Ruby's Float() refused it`
  return `${text} reads as a Ruby ${className}, which Pharos' YAML.safe_load refused ("Tried to load unspecified class: ${className}")`
}

/** libyaml adds no line break to a block scalar whose last line ends the text; `yaml` adds one. */
function endOfTextBlockScalar(scalar: Scalar, text: string): void {
  if (scalar.type !== 'BLOCK_LITERAL' && scalar.type !== 'BLOCK_FOLDED') return
  if (text.endsWith('\n') || scalar.range?.[1] !== text.length) return
  const lastLine = text.slice(text.lastIndexOf('\n') + 1)
  if (lastLine.trim() === '' || typeof scalar.value !== 'string' || !scalar.value.endsWith('\n')) return
  scalar.value = scalar.value.slice(0, -1)
}

/**
 * Each mapping with `<<` keys becomes the mapping the program built: pairs in order, a merged mapping's
 * pairs replacing the values of keys already there (Ruby's Hash#merge!, go-yaml v2's decoding into the
 * same map), a list of mappings merged last to first so that the first wins. Merged pairs are copies
 * without anchors or aliases, so that written out they read the same to every YAML reader.
 */
function expandMerges(doc: Document.Parsed, reader: YamlReader): ReaderProblem | undefined {
  let problem: ReaderProblem | undefined
  someNode(doc, (map) => {
    if (!isMap(map) || !map.items.some((pair) => isMergeKey(pair.key, reader))) return false
    const merged = new PairsByKey()
    for (const pair of map.items) {
      if (!isMergeKey(pair.key, reader)) {
        merged.set(pair)
        continue
      }
      const sources = mergeSources(doc, pair.value as Node | null)
      if (sources) {
        for (const { map: source, aliased } of sources.toReversed()) {
          // A mapping written in place moves here as it is, anchors inside it included.
          for (const item of source.items) merged.set(aliased ? new Pair(detached(doc, item.key), detached(doc, item.value)) : item)
        }
      } else if (reader === 'psych') {
        // Psych keeps what it cannot merge as an ordinary `<<` key.
        merged.set(pair)
      } else {
        problem = { node: pair.key as Node, code: 'BAD_MERGE', message: 'map merge requires map or sequence of maps as the value (kubectl refuses this `<<`)' }
        return true
      }
    }
    map.items = merged.pairs()
    return false
  })
  return problem
}

function isMergeKey(key: unknown, reader: YamlReader): boolean {
  if (!isScalar(key) || key.source !== '<<' || key.tag === 'tag:yaml.org,2002:str') return false
  // Psych merges a quoted "<<" too; go-yaml v2 only a plain one.
  return reader === 'psych' || key.type === 'PLAIN'
}

/** The mappings a `<<` merges, and whether each is an alias (whose pairs are then copied). */
function mergeSources(doc: Document, value: Node | null): { map: YAMLMap; aliased: boolean }[] | undefined {
  const source = (node: unknown) => {
    const target = isAlias(node) ? node.resolve(doc) : node
    return isMap(target) ? { map: target, aliased: isAlias(node) } : undefined
  }
  const single = source(value)
  if (single) return [single]
  // Psych merges a list written in place (not an alias to one); so does go-yaml v2.
  if (!isSeq(value)) return undefined
  const maps = value.items.map(source)
  return maps.every((item) => item !== undefined) ? maps : undefined
}

/** A copy of a node with its aliases replaced by copies of what they stand for, and no anchors. */
function detached<T>(doc: Document, node: T): T {
  if (isAlias(node)) return detached(doc, node.resolve(doc)) as T
  if (!isScalar(node) && !isMap(node) && !isSeq(node)) return node
  const copy = node.clone() as Node
  copy.anchor = undefined
  if (isMap(copy)) copy.items = copy.items.map((pair) => new Pair(detached(doc, pair.key), detached(doc, pair.value)))
  if (isSeq(copy)) copy.items = copy.items.map((item) => detached(doc, item))
  return copy as T
}

/** Pairs in insertion order, a key set again keeping its place (a Ruby Hash). */
class PairsByKey {
  private readonly byKey = new Map<unknown, number>()
  private readonly list: Pair[] = []

  set(pair: Pair): void {
    const key = isScalar(pair.key) ? `${typeof pair.key.value}:${String(pair.key.value)}` : pair.key
    const at = this.byKey.get(key)
    if (at === undefined) {
      this.byKey.set(key, this.list.length)
      this.list.push(pair)
    } else {
      ;(this.list[at] as Pair).value = pair.value
    }
  }

  pairs(): Pair<unknown, unknown>[] {
    return this.list
  }
}

/**
 * The text with the continuation lines of double-quoted scalars indented past the line they start on,
 * when `yaml` would otherwise stop at them: libyaml (Psych, kubectl) reads `a: "x` and `y"` on two lines
 * as "x y", and leading spaces of continuation lines are not part of the value. Lines keep their numbers.
 */
export function indentQuotedContinuations(text: string): string {
  let result = text
  // Each repair re-lexes the text it changed; a scalar left as it was is not tried again.
  let from = 0
  for (let repairs = 0; repairs < MAX_QUOTE_REPAIRS; repairs++) {
    const start = unclosedQuote(result, from)
    if (start === undefined) break
    const end = closingQuote(result, start)
    if (end === undefined) break
    const column = start - (result.lastIndexOf('\n', start) + 1)
    const body = result.slice(start, end).replace(/\n([ \t]*)(?=\S)/g, (whole, spaces: string, at: number) => {
      const line = result.slice(start + at + 1, start + at + 4)
      // A document marker ends the scalar for libyaml too: leave it for the error.
      if (spaces === '' && (line === '---' || line === '...')) return whole
      return spaces.length > column ? whole : `\n${' '.repeat(column + 1)}`
    })
    result = result.slice(0, start) + body + result.slice(end)
    from = start + body.length
  }
  return result
}

/** Each repair lexes the whole text again: a bound keeps a hostile file from making that quadratic. */
const MAX_QUOTE_REPAIRS = 100

/** Where the first double-quoted scalar at or after `from` that `yaml` leaves unclosed starts. */
function unclosedQuote(text: string, from: number): number | undefined {
  let offset = 0
  for (const token of new Lexer().lex(text)) {
    // Control tokens mark structure and take no room in the text.
    if (token.length === 1 && '\x02\x18\x1f'.includes(token)) continue
    const start = offset
    offset += token.length
    if (start >= from && token[0] === '"' && !closesQuote(token)) return start
  }
  return undefined
}

function closesQuote(token: string): boolean {
  return closingQuote(token, 0) !== undefined
}

/** The offset just past the `"` closing the double-quoted scalar that opens at `start`. */
function closingQuote(text: string, start: number): number | undefined {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++
    else if (text[i] === '"') return i + 1
  }
  return undefined
}

