/**
 * Ruby's values, as the ERB engine sees them. JavaScript's own types lose what Ruby keeps: a number is an
 * Integer or a Float (`1500` and `1500.0` print differently), integers past 2^53 are exact, and a Hash keeps
 * every key's type and its insertion order (a JavaScript object puts `"2"` before `"b"` and turns `80` into
 * `"80"`). So: Integer is a bigint, Float a number, Symbol and Hash and Range are classes here, Array an
 * array, String a string, nil null. The context's plain data is converted once per render; where the YAML
 * document behind it is known, its nodes say what plain data lost.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type Node as YamlNode, type YAMLMap } from 'yaml'
import { KEY_GUARD, type KeyGuard } from './guard.js'

/** A Ruby Symbol; interned, so two `:a` are the same object and `===` compares them. */
export class RubySymbol {
  private static readonly table = new Map<string, RubySymbol>()

  private constructor(readonly name: string) {}

  static of(name: string): RubySymbol {
    let symbol = RubySymbol.table.get(name)
    if (!symbol) RubySymbol.table.set(name, (symbol = new RubySymbol(name)))
    return symbol
  }
}

/** `(first..last)` or `(first...last)`. */
export class RubyRange {
  constructor(
    readonly first: Value,
    readonly last: Value,
    readonly exclusive: boolean,
  ) {}
}

/**
 * A Ruby Hash: insertion order for every key, keys compared as Ruby's `eql?` does (`1` is not `1.0` nor
 * `"1"`). A guard (KEY_GUARD, e.g. ENV's) refuses some String keys, even to say whether they exist.
 */
export class RubyHash {
  private readonly entries = new Map<string, [key: Value, value: Value]>()

  constructor(readonly guard?: KeyGuard) {}

  get size(): number {
    return this.entries.size
  }

  has(key: Value): boolean {
    return this.entries.has(hashKey(key))
  }

  get(key: Value): Value | undefined {
    return this.entries.get(hashKey(key))?.[1]
  }

  set(key: Value, value: Value): void {
    const normalized = hashKey(key)
    const existing = this.entries.get(normalized)
    // Ruby keeps the first key object and its place; a String key is frozen (copied) as it goes in.
    if (existing) existing[1] = value
    else this.entries.set(normalized, [key, value])
  }

  delete(key: Value): Value | undefined {
    const normalized = hashKey(key)
    const value = this.entries.get(normalized)?.[1]
    this.entries.delete(normalized)
    return value
  }

  pairs(): [Value, Value][] {
    return [...this.entries.values()].map(([key, value]) => [key, value])
  }

  keys(): Value[] {
    return [...this.entries.values()].map(([key]) => key)
  }

  values(): Value[] {
    return [...this.entries.values()].map(([, value]) => value)
  }

  /** The refusal of the guard for `key`, if it refuses it. */
  refusal(key: Value): { message: string; hint: string } | undefined {
    return this.guard && typeof key === 'string' ? this.guard(key) : undefined
  }

  static from(pairs: Iterable<[Value, Value]>, guard?: KeyGuard): RubyHash {
    const hash = new RubyHash(guard)
    for (const [key, value] of pairs) hash.set(key, value)
    return hash
  }
}

/** A class named in a template (`x.is_a?(Hash)`, `when String`): only its name and what it holds. */
export class RubyClass {
  private static readonly table = new Map<string, RubyClass>()

  private constructor(
    readonly name: string,
    /** The kinds whose values are instances of it. */
    readonly kinds: readonly Kind[],
  ) {}

  static readonly KINDS: Record<string, readonly Kind[]> = {
    Object: ['nil', 'boolean', 'integer', 'float', 'string', 'symbol', 'array', 'hash', 'range', 'regexp'],
    String: ['string'], Symbol: ['symbol'], Integer: ['integer'], Float: ['float'], Numeric: ['integer', 'float'],
    Array: ['array'], Hash: ['hash'], Range: ['range'], Regexp: ['regexp'], NilClass: ['nil'],
    TrueClass: ['boolean'], FalseClass: ['boolean'],
  }

  static of(name: string): RubyClass {
    let found = RubyClass.table.get(name)
    if (!found) RubyClass.table.set(name, (found = new RubyClass(name, RubyClass.KINDS[name] ?? [])))
    return found
  }

  /** The class of a value. */
  static ofValue(value: Value): RubyClass {
    return RubyClass.of(className(value))
  }

  includes(value: Value): boolean {
    if (this.name === 'TrueClass') return value === true
    if (this.name === 'FalseClass') return value === false
    return this.kinds.includes(kindOf(value))
  }
}

/** What a block method called without a block gives (`2.times`, `xs.each_with_index`): the items it would yield. */
export class RubyEnumerator {
  constructor(
    readonly items: Value[],
    /** The method that made it: `with_index` returns what that method returns. */
    readonly method: string,
  ) {}
}

/** A compiled Ruby regexp literal (see ./regexp.ts). */
export interface RubyRegexp {
  readonly kind: 'regexp'
  readonly source: string
  readonly flags: string
  readonly pattern: RegExp
}

/** What the ERB engine computes with; `unknown` covers a context value that is not data (a function). */
export type Value =
  | null
  | boolean
  | bigint
  | number
  | string
  | RubySymbol
  | Value[]
  | RubyHash
  | RubyRange
  | RubyRegexp
  | RubyClass
  | RubyEnumerator
  | Opaque

/** A JavaScript value that is not data (a function handed in by a caller): it can only be refused. */
export class Opaque {
  constructor(readonly value: unknown) {}
}

export type Kind =
  | 'nil' | 'boolean' | 'integer' | 'float' | 'string' | 'symbol' | 'array' | 'hash' | 'range' | 'regexp' | 'class'
  | 'enumerator' | 'other'

export function kindOf(value: Value): Kind {
  if (value === null) return 'nil'
  switch (typeof value) {
    case 'boolean':
      return 'boolean'
    case 'bigint':
      return 'integer'
    case 'number':
      return 'float'
    case 'string':
      return 'string'
  }
  if (Array.isArray(value)) return 'array'
  if (value instanceof RubyHash) return 'hash'
  if (value instanceof RubySymbol) return 'symbol'
  if (value instanceof RubyRange) return 'range'
  if (value instanceof Opaque) return 'other'
  if (value instanceof RubyClass) return 'class'
  if (value instanceof RubyEnumerator) return 'enumerator'
  return 'regexp'
}

export function describeKind(value: Value): string {
  const kind = kindOf(value)
  if (kind === 'other') {
    const { value: inner } = value as Opaque
    return inner instanceof Date ? 'a date or time, which the ERB subset does not have' : `a JavaScript ${typeof inner}`
  }
  return {
    nil: 'nil', boolean: 'a Boolean', integer: 'an Integer', float: 'a Float', string: 'a String', symbol: 'a Symbol',
    array: 'an Array', hash: 'a Hash', range: 'a Range', regexp: 'a Regexp', class: 'a Class',
    enumerator: 'an Enumerator',
  }[kind]
}

/** Ruby's class name of a value, as its own messages give it. */
export function className(value: Value): string {
  const kind = kindOf(value)
  if (kind === 'boolean') return value ? 'TrueClass' : 'FalseClass'
  if (kind === 'nil') return 'NilClass'
  if (kind === 'other') return describeKind(value)
  return kind[0]!.toUpperCase() + kind.slice(1)
}

export function isTruthy(value: Value): boolean {
  return value !== null && value !== false
}

/** The key a Hash files `value` under: equal when Ruby's `eql?` says so. */
function hashKey(value: Value): string {
  switch (kindOf(value)) {
    case 'nil':
      return 'n'
    case 'boolean':
      return value ? 't' : 'f'
    case 'integer':
      return `i${value as bigint}`
    case 'float':
      return `d${Object.is(value, -0) ? 0 : (value as number)}`
    case 'string':
      return `s${value as string}`
    case 'symbol':
      return `y${(value as RubySymbol).name}`
    case 'array':
      return `a${(value as Value[]).map(hashKey).join('\0')}\x01`
    case 'hash':
      return `h${(value as RubyHash).pairs().map(([k, v]) => `${hashKey(k)}\0${hashKey(v)}`).join('\0')}\x01`
    default:
      return `o${inspect(value)}`
  }
}

// ---------------------------------------------------------------- from JavaScript and from YAML nodes

/**
 * Plain data → Ruby values. `node` is the YAML node the data was read from, when known: its scalars say
 * Integer or Float (`1500.0`), its big integers are exact, its mappings give key order and key types.
 * Keys the data has and the node lacks (defaults the config filled in) follow the node's, in the data's order.
 */
export function fromPlain(data: unknown, node?: YamlNode | null, document?: Document, seen = new Map<object, Value>()): Value {
  const resolved = document && isAlias(node) ? (node.resolve(document) as YamlNode | undefined) : node
  if (data === null || data === undefined) return null
  if (typeof data === 'object' && seen.has(data)) return seen.get(data)!
  switch (typeof data) {
    case 'boolean':
      return data
    case 'string':
      return data
    case 'bigint':
      return data
    case 'number':
      return fromNumber(data, resolved)
    case 'object':
      break
    default:
      return new Opaque(data)
  }
  if (data instanceof Date) return new Opaque(data)
  if (Array.isArray(data)) {
    const items = isSeq(resolved) ? resolved.items : []
    const array: Value[] = []
    seen.set(data, array)
    data.forEach((item, i) => array.push(fromPlain(item, items[i] as YamlNode | undefined, document, seen)))
    return array
  }
  const record = data as Record<string, unknown>
  const guard = (record as { [KEY_GUARD]?: KeyGuard })[KEY_GUARD]
  const hash = new RubyHash(guard)
  seen.set(data, hash)
  const taken = new Set<string>()
  if (isMap(resolved)) {
    const pairs = expandedPairs(resolved, document, !Object.hasOwn(record, '<<'))
    // The value a key ends with is its last one in the document: Psych's merge and later keys overwrite.
    const lastValue = new Map(pairs.map(([name, , value]) => [name, value]))
    for (const [name, keyNode] of pairs) {
      if (taken.has(name) || !Object.hasOwn(record, name) || record[name] === undefined) continue
      taken.add(name)
      const keyValue = isScalar(keyNode) ? keyNode.value : undefined
      const key = isScalar(keyNode) && (typeof keyValue === 'number' || typeof keyValue === 'bigint' || typeof keyValue === 'boolean' || keyValue === null)
        ? fromPlain(keyValue, keyNode, document)
        : name
      hash.set(key, fromPlain(record[name], lastValue.get(name), document, seen))
    }
  }
  for (const [name, item] of Object.entries(record)) {
    if (!taken.has(name) && item !== undefined) hash.set(name, fromPlain(item, undefined, document, seen))
  }
  return hash
}

/**
 * A mapping's pairs in document order as `[name, key node, value node]`, with the pairs of a merge key
 * (`<<: *defaults`, `<<: [*a, *b]`) in its place, as Psych inserts them.
 */
function expandedPairs(map: YAMLMap, document: Document | undefined, merges: boolean, depth = 0): [string, YamlNode | null, YamlNode | null][] {
  const resolve = (node: unknown): YamlNode | null =>
    (document && isAlias(node) ? (node.resolve(document) as YamlNode | undefined) ?? null : (node as YamlNode | null))
  return map.items.flatMap((pair): [string, YamlNode | null, YamlNode | null][] => {
    const keyNode = pair.key as YamlNode | null
    const name = String(isScalar(keyNode) ? keyNode.value : keyNode)
    const value = resolve(pair.value)
    // yaml reads a merge key as a Scalar whose value is its own marker, not the string '<<'.
    const isMerge = isScalar(keyNode) && keyNode.source === '<<' && (typeof keyNode.value !== 'string' || merges)
    if (isMerge && depth < 20) {
      const sources = isSeq(value) ? value.items.map(resolve) : [value]
      return sources.flatMap((source) => (isMap(source) ? expandedPairs(source, document, merges, depth + 1) : []))
    }
    return [[name, keyNode, value]]
  })
}

/**
 * The config's readers (src/yaml-readers.ts) give a Ruby Integer as a bigint and a Float as a number, so the
 * node decides; plain data without a node is an Integer when integral.
 */
function fromNumber(value: number, node: YamlNode | null | undefined): Value {
  if (isScalar(node) && typeof node.value === 'bigint' && Number(node.value) === value) return node.value
  if (isScalar(node) && typeof node.value === 'number' && Object.is(node.value, value)) return value
  return Number.isInteger(value) ? BigInt(value) : value
}

// ---------------------------------------------------------------- printing

/** Ruby's `to_s`. */
export function toS(value: Value): string {
  switch (kindOf(value)) {
    case 'nil':
      return ''
    case 'string':
      return value as string
    case 'symbol':
      return (value as RubySymbol).name
    case 'regexp':
      return `(?${regexpOptions((value as RubyRegexp).flags)}:${(value as RubyRegexp).source})`
    default:
      return inspect(value)
  }
}

function regexpOptions(flags: string): string {
  const on = ['m', 'i', 'x'].filter((f) => flags.includes(f)).join('')
  const off = ['m', 'i', 'x'].filter((f) => !flags.includes(f)).join('')
  return off ? `${on}-${off}` : on
}

/** Ruby's `inspect` (Ruby < 3.4 spacing for hashes: `{"a"=>1, :b=>2}`). */
export function inspect(value: Value): string {
  switch (kindOf(value)) {
    case 'nil':
      return 'nil'
    case 'boolean':
      return String(value)
    case 'integer':
      return (value as bigint).toString()
    case 'float':
      return formatFloat(value as number)
    case 'string':
      return inspectString(value as string)
    case 'symbol':
      return inspectSymbol((value as RubySymbol).name)
    case 'array':
      return `[${(value as Value[]).map(inspect).join(', ')}]`
    case 'hash':
      return `{${(value as RubyHash).pairs().map(([key, item]) => `${inspect(key)}=>${inspect(item)}`).join(', ')}}`
    case 'range': {
      const range = value as RubyRange
      const end = range.last === null ? '' : inspect(range.last)
      return `${range.first === null ? '' : inspect(range.first)}${range.exclusive ? '...' : '..'}${end}`
    }
    case 'regexp':
      return `/${(value as RubyRegexp).source}/${['m', 'i', 'x'].filter((f) => (value as RubyRegexp).flags.includes(f)).join('')}`
    case 'class':
      return (value as RubyClass).name
    case 'enumerator':
      return `#<Enumerator: ${(value as RubyEnumerator).method}>`
    case 'other':
      return `#<JavaScript ${typeof (value as Opaque).value}>`
  }
}

const PLAIN_SYMBOL = /^(?:[A-Za-z_][A-Za-z0-9_]*[?!=]?|\[\]=?|[+\-*/%<>!~^&|]|\*\*|[<>=!]=|<=>|===?|=~|!~|<<|>>|[+-]@)$/

function inspectSymbol(name: string): string {
  return PLAIN_SYMBOL.test(name) ? `:${name}` : `:${inspectString(name)}`
}

/**
 * Ruby's Float#to_s: shortest round-trip digits; fixed notation while the decimal exponent is below 16 (or
 * is 16 with a fraction left), `0.000ddd` down to 1e-4, else `d.ddde+XX`.
 */
export function formatFloat(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity'
  const sign = value < 0 || Object.is(value, -0) ? '-' : ''
  if (value === 0) return `${sign}0.0`
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e') as [string, string]
  const digits = mantissa.replace('.', '')
  const point = Number(exponentText) + 1
  if (point > 0 && (point < 16 || (point === 16 && digits.length > point))) {
    return `${sign}${digits.slice(0, point).padEnd(point, '0')}.${digits.slice(point) || '0'}`
  }
  if (point > -4 && point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`
  const exponent = point - 1
  const exponentDigits = String(Math.abs(exponent)).padStart(2, '0')
  return `${sign}${digits[0]}.${digits.slice(1) || '0'}e${exponent < 0 ? '-' : '+'}${exponentDigits}`
}

const STRING_ESCAPES: Record<string, string> = {
  '"': '\\"', '\\': '\\\\', '\n': '\\n', '\t': '\\t', '\r': '\\r',
  '\f': '\\f', '\v': '\\v', '\b': '\\b', '\x07': '\\a', '\x1b': '\\e',
}

export function inspectString(text: string): string {
  let out = '"'
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!
    const code = char.charCodeAt(0)
    if (Object.hasOwn(STRING_ESCAPES, char)) out += STRING_ESCAPES[char]
    else if (char === '#' && '{$@'.includes(text[i + 1] ?? ' ')) out += '\\#'
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`
    else out += char
  }
  return `${out}"`
}

// ---------------------------------------------------------------- equality and order

/** Ruby's `==`: `1 == 1.0`, but `"1" != 1` and `:a != "a"`. */
export function rubyEquals(left: Value, right: Value): boolean {
  const [leftKind, rightKind] = [kindOf(left), kindOf(right)]
  if (isNumeric(leftKind) && isNumeric(rightKind)) return compareNumbers(left as bigint | number, right as bigint | number) === 0
  if (leftKind !== rightKind) return false
  switch (leftKind) {
    case 'array': {
      const [a, b] = [left as Value[], right as Value[]]
      return a.length === b.length && a.every((item, i) => rubyEquals(item, b[i]!))
    }
    case 'hash': {
      const [a, b] = [left as RubyHash, right as RubyHash]
      return a.size === b.size && a.pairs().every(([key, item]) => b.has(key) && rubyEquals(item, b.get(key)!))
    }
    case 'range': {
      const [a, b] = [left as RubyRange, right as RubyRange]
      return a.exclusive === b.exclusive && rubyEquals(a.first, b.first) && rubyEquals(a.last, b.last)
    }
    case 'regexp':
      return (left as RubyRegexp).source === (right as RubyRegexp).source && (left as RubyRegexp).flags === (right as RubyRegexp).flags
    case 'other':
      return (left as Opaque).value === (right as Opaque).value
    default:
      return left === right
  }
}

function isNumeric(kind: Kind): boolean {
  return kind === 'integer' || kind === 'float'
}

/** -1, 0, 1, or NaN when a Float NaN is involved. */
export function compareNumbers(left: bigint | number, right: bigint | number): number {
  if (typeof left === 'bigint' && typeof right === 'bigint') return left < right ? -1 : left > right ? 1 : 0
  if (Number.isNaN(left) || Number.isNaN(right)) return NaN
  // A Float against a big Integer: compare exactly when the Float is integral.
  if (typeof left === 'bigint' && Number.isInteger(right)) return compareNumbers(left, BigInt(right))
  if (typeof right === 'bigint' && Number.isInteger(left)) return compareNumbers(BigInt(left), right)
  const [a, b] = [Number(left), Number(right)]
  return a < b ? -1 : a > b ? 1 : 0
}

/** Ruby's `<=>` for the kinds that have it; undefined where Ruby gives nil (no order). */
export function compare(left: Value, right: Value): number | undefined {
  const [leftKind, rightKind] = [kindOf(left), kindOf(right)]
  if (isNumeric(leftKind) && isNumeric(rightKind)) {
    const order = compareNumbers(left as bigint | number, right as bigint | number)
    return Number.isNaN(order) ? undefined : order
  }
  if (leftKind === 'string' && rightKind === 'string') return compareStrings(left as string, right as string)
  if (leftKind === 'symbol' && rightKind === 'symbol') {
    return compareStrings((left as RubySymbol).name, (right as RubySymbol).name)
  }
  if (leftKind === 'array' && rightKind === 'array') {
    const [a, b] = [left as Value[], right as Value[]]
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const order = compare(a[i]!, b[i]!)
      if (order !== 0) return order
    }
    return Math.sign(a.length - b.length)
  }
  if (leftKind === 'nil' && rightKind === 'nil') return 0
  if (leftKind === 'boolean' && left === right) return 0
  return undefined
}

/** Byte order of the UTF-8 encodings, as Ruby's String#<=> compares. */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0
  const [x, y] = [Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')]
  return Buffer.compare(x, y)
}
