/**
 * The methods templates may call, by receiver kind, with Ruby's results. Blocks run through `site.yield`,
 * which counts each call against the `template-steps` budget; what can grow without a loop (`'x' * n`,
 * ranges made into arrays) is measured against `output-size` before it is built.
 */
import { formatString } from './format.js'
import type { Match } from './matcher.js'
import { toYaml } from './yaml.js'
import {
  className, compare, describeKind, formatFloat, inspect, isTruthy, kindOf, rubyEquals, RubyClass, RubyEnumerator, RubyHash, RubyRange, RubySymbol, toS,
  type Kind, type RubyRegexp, type Value,
} from './values.js'

/** What a method sees of the call: its block, the budget, and how to fail at the call's position. */
export interface Site {
  fail(message: string, hint?: string): never
  readonly hasBlock: boolean
  /** Runs the block with these arguments (one step each). */
  yield(...args: Value[]): Value
  /** Refuses to build something of `size` items or characters past the output budget. */
  allocate(size: number): void
  step(): void
  /** Whether `name` is a method of `value` (for respond_to?). */
  respondsTo(value: Value, name: string): boolean
  /** Calls a method, as `inject(:+)` does. */
  send(receiver: Value, name: string, args: Value[]): Value
  /** The first match of `pattern` in `text`, or all of them; within the render's time (./matcher.ts). */
  matches(pattern: RegExp, text: string, all: boolean): Match[]
}

/** Methods that, called without a block, give an Enumerator of what they would yield. */
export const ENUMERATOR_METHODS = new Set([
  'each', 'each_with_index', 'each_pair', 'each_key', 'each_value', 'reverse_each', 'each_slice', 'each_with_object',
  'map', 'collect', 'flat_map', 'filter_map', 'select', 'filter', 'reject', 'times', 'upto', 'downto', 'step',
  'group_by', 'partition', 'sort_by', 'min_by', 'max_by', 'find', 'detect', 'find_index',
])

type Implementation = (self: never, args: Value[], site: Site) => Value

interface Method {
  arity: readonly [min: number, max: number]
  call: Implementation
}

const table = new Map<Kind, Map<string, Method>>()

function define(kinds: readonly Kind[], names: string, arity: readonly [number, number], call: Implementation): void {
  for (const kind of kinds) {
    let methods = table.get(kind)
    if (!methods) table.set(kind, (methods = new Map()))
    for (const name of names.split(' ')) methods.set(name, { arity, call })
  }
}

export function findMethod(value: Value, name: string): Method | undefined {
  return table.get(kindOf(value))?.get(name)
}

export function methodNames(kind: Kind): string[] {
  return [...(table.get(kind)?.keys() ?? [])].sort()
}

const ALL: readonly Kind[] = ['nil', 'boolean', 'integer', 'float', 'string', 'symbol', 'array', 'hash', 'range', 'regexp']
const NUMERIC: readonly Kind[] = ['integer', 'float']
const ENUMERABLE: readonly Kind[] = ['array', 'hash', 'range', 'enumerator']

// ---------------------------------------------------------------- helpers

function integerArgument(value: Value, site: Site): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.trunc(value))
  if (typeof value === 'number') return site.fail(`${formatFloat(value)} cannot be an Integer`)
  if (value === null) return site.fail('no implicit conversion from nil to integer')
  return site.fail(`no implicit conversion of ${className(value)} into Integer`)
}

function smallInteger(value: Value, site: Site): number {
  return Number(integerArgument(value, site))
}

/** A count of items (first(n), take(n)): Ruby refuses a negative one. */
function count(value: Value, site: Site): number {
  const n = smallInteger(value, site)
  return n < 0 ? site.fail('negative array size') : n
}

function stringArgument(value: Value, site: Site): string {
  if (typeof value === 'string') return value
  return site.fail(`no implicit conversion of ${className(value)} into String`)
}

const characters = (text: string): string[] => [...text]

/** The items an Enumerable yields: an Array's, a Hash's `[key, value]` pairs, a Range's members. */
export function elementsOf(value: Value, site: Site): Value[] {
  if (Array.isArray(value)) return value
  if (value instanceof RubyHash) return value.pairs()
  if (value instanceof RubyRange) return rangeMembers(value, site)
  if (value instanceof RubyEnumerator) return value.items
  return site.fail(`${describeKind(value)} cannot be iterated`)
}

function rangeMembers(range: RubyRange, site: Site): Value[] {
  const { first, last, exclusive } = range
  if (typeof first === 'bigint' && (typeof last === 'bigint' || typeof last === 'number')) {
    const end = typeof last === 'number' ? BigInt(Math.floor(last)) : last
    const stop = exclusive && typeof last === 'bigint' ? end - 1n : end
    if (stop < first) return []
    site.allocate(Number(stop - first + 1n))
    const items: Value[] = []
    for (let i = first; i <= stop; i++) items.push(i)
    return items
  }
  if (typeof first === 'string' && typeof last === 'string' && first.length === 1 && last.length === 1) {
    const [a, b] = [first.codePointAt(0)!, last.codePointAt(0)! - (exclusive ? 1 : 0)]
    return b < a ? [] : Array.from({ length: b - a + 1 }, (_, i) => String.fromCodePoint(a + i))
  }
  return site.fail(`cannot iterate over ${inspect(range)}`, 'ranges of integers (or of single letters) can be iterated')
}

function sortValues(items: Value[], site: Site, keyOf?: (item: Value) => Value): Value[] {
  const keyed = items.map((item) => [keyOf ? keyOf(item) : item, item] as const)
  keyed.sort(([a], [b]) => {
    const order = compare(a, b)
    if (order === undefined) site.fail(`comparison of ${describeKind(a)} with ${inspect(b)} failed`)
    return order
  })
  return keyed.map(([, item]) => item)
}

function extreme(items: Value[], site: Site, sign: 1 | -1, keyOf?: (item: Value) => Value): Value {
  if (items.length === 0) return null
  return sortValues(items, site, keyOf).at(sign === 1 ? -1 : 0)!
}

function flatten(items: Value[], depth: number): Value[] {
  return items.flatMap((item) => (Array.isArray(item) && depth !== 0 ? flatten(item, depth - 1) : [item]))
}

function uniqueBy(items: Value[], keyOf: (item: Value) => Value): Value[] {
  const seen = new RubyHash()
  return items.filter((item) => {
    const key = keyOf(item)
    if (seen.has(key)) return false
    seen.set(key, true)
    return true
  })
}

function pairsToHash(items: Value[], site: Site): RubyHash {
  const hash = new RubyHash()
  for (const item of items) {
    if (!Array.isArray(item) || item.length !== 2) site.fail(`wrong element type ${describeKind(item)} (expected a [key, value] pair)`)
    hash.set(item[0]!, item[1]!)
  }
  return hash
}

/** Ruby's `+`, `-`, `*`, `/`, `%`, `**` on two numbers. */
function arithmetic(operator: string, left: bigint | number, right: Value, site: Site): Value {
  if (typeof right !== 'bigint' && typeof right !== 'number') {
    return site.fail(`${describeKind(right)} can't be coerced into ${describeKind(left).replace(/^an? /, '')}`)
  }
  if (typeof left === 'bigint' && typeof right === 'bigint') {
    switch (operator) {
      case '+':
        return left + right
      case '-':
        return left - right
      case '*':
        return left * right
      case '/':
      case '%': {
        if (right === 0n) return site.fail('divided by 0')
        const remainder = left % right
        const adjust = remainder !== 0n && (remainder < 0n) !== (right < 0n)
        if (operator === '%') return adjust ? remainder + right : remainder
        return left / right - (adjust ? 1n : 0n)
      }
      case '**': {
        if (right < 0n) return site.fail('Integer ** negative Integer is a Rational, which the ERB subset does not have', 'write the base as a Float: 2.0 ** -1')
        const bits = BigInt(left.toString(2).length) * right
        if (bits > 100_000n) return site.fail(`${left} ** ${right} is too large a number`)
        return left ** right
      }
    }
  }
  const [a, b] = [Number(left), Number(right)]
  switch (operator) {
    case '+':
      return a + b
    case '-':
      return a - b
    case '*':
      return a * b
    case '/':
      return a / b
    case '%':
      return b === 0 ? NaN : a - b * Math.floor(a / b)
    default:
      return a ** b
  }
}

/** C's round(): halves away from zero. */
function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x))
}

/** Ruby's Float#round(digits > 0) (float.c round_half_up): scaled, rounded, then corrected by one step. */
function roundTo(value: number, digits: number): number {
  if (digits > 15 || !Number.isFinite(value)) return value
  const scale = 10 ** digits
  let rounded = roundHalfAway(value * scale)
  if (value > 0 && (rounded + 0.5) / scale <= value) rounded += 1
  if (value < 0 && (rounded - 0.5) / scale >= value) rounded -= 1
  return rounded / scale
}

/** Integer#round/floor/ceil with negative digits: to a multiple of 10**-digits. */
function roundInteger(value: bigint, digits: number, mode: 'round' | 'floor' | 'ceil'): bigint {
  if (digits >= 0) return value
  const unit = 10n ** BigInt(-digits)
  const remainder = ((value % unit) + unit) % unit
  const down = value - remainder
  if (mode === 'floor' || remainder === 0n) return down
  if (mode === 'ceil') return down + unit
  // Halves away from zero.
  const twice = remainder * 2n
  return twice > unit || (twice === unit && value > 0n) ? down + unit : down
}

/** Ruby's Float#floor/ceil(digits > 0), corrected by one step where the scaled value lost a digit. */
function floorTo(value: number, digits: number, mode: 'floor' | 'ceil'): number {
  if (digits > 15 || !Number.isFinite(value)) return value
  const scale = 10 ** digits
  let result = mode === 'floor' ? Math.floor(value * scale) : Math.ceil(value * scale)
  if (mode === 'floor' && (result + 1) / scale <= value) result += 1
  if (mode === 'ceil' && (result - 1) / scale >= value) result -= 1
  return result / scale
}

/** Ruby's sum: exact while the items are Integers, then Kahan-Babuska compensated once a Float comes. */
function sumNumbers(start: bigint | number, values: Value[], site: Site): Value {
  let total: bigint | number = start
  let compensation = 0
  for (const value of values) {
    if (typeof value !== 'bigint' && typeof value !== 'number') {
      return site.fail(`${describeKind(value)} can't be coerced into ${typeof total === 'bigint' ? 'Integer' : 'Float'}`)
    }
    if (typeof total === 'bigint' && typeof value === 'bigint') {
      total += value
      continue
    }
    const [f, x] = [Number(total), Number(value)]
    if (Number.isNaN(f) || Number.isNaN(x) || !Number.isFinite(x) || !Number.isFinite(f)) {
      total = f + x
      continue
    }
    const t = f + x
    compensation += Math.abs(f) >= Math.abs(x) ? (f - t) + x : (x - t) + f
    total = t
  }
  return typeof total === 'number' ? total + compensation : total
}

function toPattern(regexp: RubyRegexp | string): RegExp {
  return typeof regexp === 'string' ? new RegExp(escapeRegExp(regexp)) : regexp.pattern
}

function match(regexp: RubyRegexp | string, text: string, site: Site): Match | null {
  return site.matches(toPattern(regexp), text, false)[0] ?? null
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

function patternArgument(value: Value, site: Site): RubyRegexp | string {
  if (typeof value === 'string') return value
  if (kindOf(value) === 'regexp') return value as RubyRegexp
  return site.fail(`wrong argument type ${describeKind(value)} (expected Regexp)`)
}

/** `\1`, `\0`, `\&`, `\\` in a replacement string, as Ruby's sub and gsub read them. */
function expandReplacement(replacement: string, found: Match): string {
  return replacement.replace(/\\(\d|&|\\|k<(\w+)>)/g, (_, which: string, name?: string) => {
    if (which === '\\') return '\\'
    if (which === '&') return found.groups[0]!
    if (name) return found.named?.[name] ?? ''
    return found.groups[Number(which)] ?? ''
  })
}

function substitute(text: string, args: Value[], site: Site, global: boolean): string {
  const pattern = patternArgument(args[0]!, site)
  if (args.length === 1 && !site.hasBlock) return site.fail('wrong number of arguments (given 1, expected 2)')
  let out = ''
  let last = 0
  for (const found of site.matches(toPattern(pattern), text, global)) {
    site.step()
    const whole = found.groups[0]!
    // An empty match right after a non-empty one at the same place was skipped by Ruby's scan position.
    if (found.index < last) continue
    out += text.slice(last, found.index)
    const replacement = args.length > 1 ? args[1]! : site.yield(whole)
    if (typeof replacement === 'string' && args.length > 1) out += expandReplacement(replacement, found)
    else if (replacement instanceof RubyHash) out += toS(replacement.get(whole) ?? null)
    else out += toS(replacement)
    last = found.index + whole.length
    if (whole === '' && found.index < text.length) {
      out += text[found.index]
      last = found.index + 1
    }
  }
  return out + text.slice(last)
}

function split(text: string, args: Value[], site: Site): Value[] {
  const separator = args[0] ?? null
  const limit = args[1] === undefined ? 0 : smallInteger(args[1], site)
  if (limit === 1) return text === '' ? [] : [text]
  if (limit > 1) {
    // At most `limit` fields, the last one holding the rest.
    const fields = split(text, [separator, -1n], site) as string[]
    if (fields.length <= limit) return fields
    const awkStyle = separator === null || separator === ' '
    const pattern = typeof separator === 'string' && !awkStyle ? new RegExp(escapeRegExp(separator))
      : awkStyle ? /[ \t\n\v\f\r]+/ : (separator as RubyRegexp).pattern
    const start = awkStyle ? text.length - text.replace(/^[ \t\n\v\f\r]+/, '').length : 0
    let cut = start
    let cuts = 0
    for (const found of site.matches(pattern, text, true)) {
      if (cuts === limit - 1) break
      const end = found.index + found.groups[0]!.length
      if (found.index < cut || found.index >= text.length || end === cut) continue
      cut = end
      cuts++
    }
    return [...fields.slice(0, limit - 1), text.slice(cut)]
  }
  let parts: string[]
  if (separator === null || separator === ' ') {
    parts = text.split(/[ \t\n\v\f\r]+/)
    if (parts[0] === '') parts.shift()
  } else if (typeof separator === 'string') {
    parts = separator === '' ? characters(text) : text.split(separator)
  } else {
    const regexp = patternArgument(separator, site) as RubyRegexp
    parts = splitByMatches(text, site.matches(regexp.pattern, text, true))
  }
  if (limit === 0) while (parts.length > 0 && parts.at(-1) === '') parts.pop()
  return parts
}

/**
 * Ruby's String#split by a regexp (as JavaScript's split by one): the text between matches and the groups
 * each captured; an empty match splits between characters only, never where the last field ended.
 */
function splitByMatches(text: string, matches: Match[]): string[] {
  if (text === '') return []
  const parts: string[] = []
  let fieldStart = 0
  for (const found of matches) {
    const end = found.index + found.groups[0]!.length
    if (found.index >= text.length || end === fieldStart) continue
    parts.push(text.slice(fieldStart, found.index), ...found.groups.slice(1).filter((group): group is string => group !== undefined))
    fieldStart = end
  }
  parts.push(text.slice(fieldStart))
  return parts
}

function strip(text: string, start: boolean, end: boolean): string {
  let result = text
  if (start) result = result.replace(/^[ \t\n\v\f\r\0]+/, '')
  if (end) result = result.replace(/[ \t\n\v\f\r\0]+$/, '')
  return result
}

function toInteger(text: string): bigint {
  const found = /^[ \t\n\v\f\r]*([+-]?\d+(?:_\d+)*)/.exec(text)
  return found ? BigInt(found[1]!.replaceAll('_', '')) : 0n
}

function toFloat(text: string): number {
  const found = /^[ \t\n\v\f\r]*([+-]?\d+(?:_\d+)*(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text)
  return found ? Number(found[1]!.replaceAll('_', '')) : 0
}

/** Ruby's `to_json`, as the json gem writes it: compact, floats as Ruby prints them. */
export function toJson(value: Value, site: Site): string {
  switch (kindOf(value)) {
    case 'nil':
      return 'null'
    case 'boolean':
    case 'integer':
      return toS(value)
    case 'float':
      return Number.isFinite(value) ? formatFloat(value as number) : site.fail(`${formatFloat(value as number)} not allowed in JSON`)
    case 'array':
      return `[${(value as Value[]).map((item) => toJson(item, site)).join(',')}]`
    case 'hash':
      return `{${(value as RubyHash).pairs().map(([key, item]) => `${JSON.stringify(toS(key))}:${toJson(item, site)}`).join(',')}}`
    default:
      return JSON.stringify(toS(value))
  }
}

/**
 * `JSON.pretty_generate` as Ruby 3.1's json 2.6 writes it: two-space indents, `"key": value`, and its own
 * way with empty collections (`{` and `}` on two lines, `[` and `]` with an empty line between).
 */
export function prettyJson(value: Value, site: Site, indent = ''): string {
  const inner = `${indent}  `
  if (Array.isArray(value) && value.length === 0) return `[\n\n${indent}]`
  if (value instanceof RubyHash && value.size === 0) return `{\n${indent}}`
  if (Array.isArray(value) && value.length > 0) {
    return `[\n${value.map((item) => inner + prettyJson(item, site, inner)).join(',\n')}\n${indent}]`
  }
  if (value instanceof RubyHash && value.size > 0) {
    const pairs = value.pairs().map(([key, item]) => `${inner}${JSON.stringify(toS(key))}: ${prettyJson(item, site, inner)}`)
    return `{\n${pairs.join(',\n')}\n${indent}}`
  }
  return toJson(value, site)
}

function join(items: Value[], separator: string, site: Site): string {
  return items.map((item) => (Array.isArray(item) ? join(item, separator, site) : toS(item))).join(separator)
}

function dig(value: Value, keys: Value[], site: Site): Value {
  let current = value
  for (const key of keys) {
    if (current === null) return null
    if (current instanceof RubyHash) {
      const refused = current.refusal(key)
      if (refused) site.fail(refused.message, refused.hint)
      current = current.get(key) ?? null
    } else if (Array.isArray(current)) current = current.at(smallInteger(key, site)) ?? null
    else site.fail(`${describeKind(current)} does not have #dig method`)
  }
  return current
}

function base64(text: string, site: Site, alphabet: 'strict' | 'lines' | 'url'): string {
  const encoded = Buffer.from(text, 'utf8').toString(alphabet === 'url' ? 'base64url' : 'base64')
  if (alphabet === 'url') return encoded.padEnd(Math.ceil(encoded.length / 4) * 4, '=')
  if (alphabet === 'strict') return encoded
  site.allocate(encoded.length)
  return encoded.replace(/.{1,60}/g, '$&\n')
}

function unbase64(text: string, site: Site, strict: boolean, url = false): string {
  const alphabet = url ? /^[A-Za-z0-9_-]*={0,2}$/ : /^[A-Za-z0-9+/]*={0,2}$/
  if (strict && (!alphabet.test(text) || text.length % 4 !== 0)) site.fail('invalid base64')
  const bytes = Buffer.from(url ? text : text.replace(/[^A-Za-z0-9+/=]/g, ''), url ? 'base64url' : 'base64')
  const decoded = bytes.toString('utf8')
  if (!Buffer.from(decoded, 'utf8').equals(bytes)) {
    site.fail('the decoded bytes are not UTF-8 text', 'templates render text; binary data stays base64-encoded')
  }
  return decoded
}

/** Ruby's Base64 module. */
export const BASE64: Record<string, (text: string, site: Site) => string> = {
  strict_encode64: (text, site) => base64(text, site, 'strict'),
  encode64: (text, site) => base64(text, site, 'lines'),
  urlsafe_encode64: (text, site) => base64(text, site, 'url'),
  decode64: (text, site) => unbase64(text, site, false),
  strict_decode64: (text, site) => unbase64(text, site, true),
  urlsafe_decode64: (text, site) => unbase64(text, site, true, true),
}

/** Ruby's `Integer(x)`, `Float(x)`, `String(x)`, `Array(x)`. */
export function convert(name: string, value: Value, site: Site): Value {
  switch (name) {
    case 'String':
      return toS(value)
    case 'Array':
      return value === null ? [] : Array.isArray(value) ? value : value instanceof RubyHash ? value.pairs() : [value]
    case 'Integer': {
      if (typeof value === 'bigint') return value
      if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.trunc(value))
      const text = typeof value === 'string' ? value.trim().replaceAll('_', '') : undefined
      if (text !== undefined && /^[+-]?(?:0x[0-9a-f]+|0b[01]+|0o?[0-7]+|\d+)$/i.test(text)) {
        const negative = text.startsWith('-')
        const digits = text.replace(/^[+-]/, '')
        const parsed = BigInt(/^0[0-7]/.test(digits) ? `0o${digits.slice(1)}` : digits)
        return negative ? -parsed : parsed
      }
      return site.fail(`invalid value for Integer(): ${inspect(value)}`)
    }
    default: {
      if (typeof value === 'number') return value
      if (typeof value === 'bigint') return Number(value)
      const text = typeof value === 'string' ? value.trim().replaceAll('_', '') : undefined
      if (text !== undefined && /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return Number(text)
      return site.fail(`invalid value for Float(): ${inspect(value)}`)
    }
  }
}

// ---------------------------------------------------------------- every object

define(ALL, 'to_s', [0, 0], (self: Value) => toS(self))
define(ALL, 'inspect', [0, 0], (self: Value) => inspect(self))
define(ALL, 'to_json', [0, 0], (self: Value, _, site) => toJson(self, site))
define(ALL, 'to_yaml', [0, 0], (self: Value, _, site) => toYaml(self, site))
define(ALL, 'nil?', [0, 0], (self: Value) => self === null)
define(ALL, 'frozen? freeze dup clone itself', [0, 0], (self: Value) => self)
define(ALL, '== equal?', [1, 1], (self: Value, [other]) => rubyEquals(self, other!))
define(ALL, 'eql?', [1, 1], (self: Value, [other]) => kindOf(self) === kindOf(other!) && rubyEquals(self, other!))
define(ALL, '!=', [1, 1], (self: Value, [other]) => !rubyEquals(self, other!))
define(ALL, '!', [0, 0], (self: Value) => !isTruthy(self))
define(ALL, 'respond_to?', [1, 2], (self: Value, [name], site) => site.respondsTo(self, toS(name!)))
define(ALL, 'then', [0, 0], (self: Value, _, site) => site.yield(self))
define(ALL, 'tap', [0, 0], (self: Value, _, site) => {
  site.yield(self)
  return self
})
const WITH_CLASSES: readonly Kind[] = [...ALL, 'class']
define(WITH_CLASSES, 'class', [0, 0], (self: Value) => RubyClass.ofValue(self))
define(WITH_CLASSES, 'is_a? kind_of?', [1, 1], (self: Value, [type], site) => classArgument(type!, site).includes(self))
define(WITH_CLASSES, 'instance_of?', [1, 1], (self: Value, [type], site) => classArgument(type!, site) === RubyClass.ofValue(self))
define(['class'], 'name to_s inspect', [0, 0], (self: RubyClass) => self.name)
define(['class'], '== equal? eql?', [1, 1], (self: RubyClass, [other]) => self === other)
define(['class'], '===', [1, 1], (self: RubyClass, [value]) => self.includes(value!))

function classArgument(value: Value, site: Site): RubyClass {
  return value instanceof RubyClass ? value : site.fail('class or module required')
}

define(['nil'], 'to_a', [0, 0], () => [])
define(['nil'], 'to_i', [0, 0], () => 0n)
define(['nil'], 'to_f', [0, 0], () => 0)
define(['nil'], 'to_h', [0, 0], () => new RubyHash())
define(['nil', 'boolean'], '&', [1, 1], (self: Value, [other]) => isTruthy(self) && isTruthy(other!))
define(['nil', 'boolean'], '|', [1, 1], (self: Value, [other]) => isTruthy(self) || isTruthy(other!))
define(['nil', 'boolean', 'integer', 'float', 'string', 'symbol', 'array'], '<=>', [1, 1], (self: Value, [other]) => {
  const order = compare(self, other!)
  return order === undefined ? null : BigInt(order)
})

// ---------------------------------------------------------------- numbers

for (const operator of ['+', '-', '*', '/', '%', '**']) {
  define(NUMERIC, operator, [1, 1], (self: bigint | number, [other], site) => arithmetic(operator, self, other!, site))
}
define(NUMERIC, 'modulo', [1, 1], (self: bigint | number, [other], site) => arithmetic('%', self, other!, site))
define(NUMERIC, 'fdiv', [1, 1], (self: bigint | number, [other], site) => arithmetic('/', Number(self), other!, site))
define(NUMERIC, 'div', [1, 1], (self: bigint | number, [other], site) => {
  const quotient = arithmetic('/', self, other!, site)
  return typeof quotient === 'number' ? BigInt(Math.floor(quotient)) : quotient
})
for (const [operator, test] of [['<', (o: number) => o < 0], ['<=', (o: number) => o <= 0], ['>', (o: number) => o > 0], ['>=', (o: number) => o >= 0]] as const) {
  define(['integer', 'float', 'string'], operator, [1, 1], (self: Value, [other], site) => {
    const order = compare(self, other!)
    if (order === undefined) return site.fail(`comparison of ${describeKind(self).replace(/^an? /, '')} with ${inspect(other!)} failed`)
    return test(order)
  })
}
define(['integer', 'float', 'string'], 'between?', [2, 2], (self: Value, [low, high]) =>
  (compare(self, low!) ?? -1) >= 0 && (compare(self, high!) ?? 1) <= 0)
define(NUMERIC, 'abs magnitude', [0, 0], (self: bigint | number) => (typeof self === 'bigint' ? (self < 0n ? -self : self) : Math.abs(self)))
define(NUMERIC, 'zero?', [0, 0], (self: bigint | number) => Number(self) === 0)
define(NUMERIC, 'positive?', [0, 0], (self: bigint | number) => Number(self) > 0)
define(NUMERIC, 'negative?', [0, 0], (self: bigint | number) => Number(self) < 0)
define(NUMERIC, '-@', [0, 0], (self: bigint | number) => -self)
define(NUMERIC, 'to_i to_int truncate', [0, 0], (self: bigint | number, _, site) => integerArgument(self, site))
define(NUMERIC, 'to_f', [0, 0], (self: bigint | number) => Number(self))
define(['integer'], 'to_s', [0, 1], (self: bigint, [base], site) => {
  const radix = base === undefined ? 10 : smallInteger(base, site)
  return radix >= 2 && radix <= 36 ? self.toString(radix) : site.fail(`invalid radix ${radix}`)
})
define(['integer'], 'even?', [0, 0], (self: bigint) => self % 2n === 0n)
define(['integer'], 'odd?', [0, 0], (self: bigint) => self % 2n !== 0n)
define(['integer'], 'succ next', [0, 0], (self: bigint) => self + 1n)
define(['integer'], 'pred', [0, 0], (self: bigint) => self - 1n)
for (const mode of ['round', 'floor', 'ceil'] as const) {
  define(['integer'], mode, [0, 1], (self: bigint, [digits], site) => roundInteger(self, digits === undefined ? 0 : smallInteger(digits, site), mode))
}
define(['integer'], '&', [1, 1], (self: bigint, [other], site) => self & integerArgument(other!, site))
define(['integer'], '|', [1, 1], (self: bigint, [other], site) => self | integerArgument(other!, site))
define(['integer'], '<<', [1, 1], (self: bigint, [other], site) => self << integerArgument(other!, site))
define(['integer'], 'chr', [0, 0], (self: bigint) => String.fromCodePoint(Number(self)))
define(['integer'], 'times', [0, 0], (self: bigint, _, site) => {
  for (let i = 0n; i < self; i++) site.yield(i)
  return self
})
define(['integer'], 'upto', [1, 1], (self: bigint, [limit], site) => {
  for (let i = self; i <= integerArgument(limit!, site); i++) site.yield(i)
  return self
})
define(['integer'], 'downto', [1, 1], (self: bigint, [limit], site) => {
  for (let i = self; i >= integerArgument(limit!, site); i--) site.yield(i)
  return self
})
for (const mode of ['floor', 'ceil'] as const) {
  define(['float'], mode, [0, 1], (self: number, [digits], site) => {
    const places = digits === undefined ? 0 : smallInteger(digits, site)
    if (places > 0) return floorTo(self, places, mode)
    return roundInteger(integerArgument(mode === 'floor' ? Math.floor(self) : Math.ceil(self), site), places, mode)
  })
}
define(['float'], 'round', [0, 1], (self: number, [digits], site) => {
  const places = digits === undefined ? 0 : smallInteger(digits, site)
  if (places > 0) return roundTo(self, places)
  if (places === 0) return integerArgument(roundHalfAway(self), site)
  return roundInteger(integerArgument(self, site), places, 'round')
})
define(['float'], 'nan?', [0, 0], (self: number) => Number.isNaN(self))
define(['float'], 'infinite?', [0, 0], (self: number) => (Number.isFinite(self) || Number.isNaN(self) ? null : self > 0 ? 1n : -1n))
define(['float'], 'finite?', [0, 0], (self: number) => Number.isFinite(self))

// ---------------------------------------------------------------- strings and symbols

define(['string', 'symbol'], 'size length', [0, 0], (self: Value) => BigInt(characters(toS(self)).length))
define(['string', 'symbol'], 'upcase', [0, 0], (self: Value) => restring(self, toS(self).toUpperCase()))
define(['string', 'symbol'], 'downcase', [0, 0], (self: Value) => restring(self, toS(self).toLowerCase()))
define(['string', 'symbol'], 'capitalize', [0, 0], (self: Value) => {
  const text = toS(self)
  return restring(self, text.slice(0, 1).toUpperCase() + text.slice(1).toLowerCase())
})
define(['string', 'symbol'], 'empty?', [0, 0], (self: Value) => toS(self) === '')
define(['string', 'symbol'], 'to_sym', [0, 0], (self: Value) => RubySymbol.of(toS(self)))
define(['string', 'symbol'], 'start_with?', [1, 9], (self: Value, args, site) =>
  args.some((prefix) => (kindOf(prefix) === 'regexp' ? match(prefix as RubyRegexp, toS(self), site)?.index === 0 : toS(self).startsWith(stringArgument(prefix, site)))))
define(['string', 'symbol'], 'end_with?', [1, 9], (self: Value, args, site) => args.some((suffix) => toS(self).endsWith(stringArgument(suffix, site))))
define(['symbol'], 'to_proc', [0, 0], (self: RubySymbol, _, site) => site.fail(`${inspect(self)}.to_proc: write a block, or &${inspect(self)} as an argument`))

function restring(self: Value, text: string): Value {
  return self instanceof RubySymbol ? RubySymbol.of(text) : text
}

define(['string'], 'to_str', [0, 0], (self: string) => self)
define(['string'], 'to_i', [0, 1], (self: string, [base], site) => {
  if (base === undefined || base === 10n) return toInteger(self)
  const radix = smallInteger(base, site)
  if (radix < 2 || radix > 36) return site.fail(`invalid radix ${radix}`)
  const digits = /^\s*[+-]?[0-9a-z_]+/i.exec(self)?.[0].trim().replaceAll('_', '') ?? '0'
  const parsed = parseInt(digits, radix)
  return Number.isNaN(parsed) ? 0n : BigInt(parsed)
})
define(['string'], 'to_f', [0, 0], (self: string) => toFloat(self))
define(['string'], 'strip', [0, 0], (self: string) => strip(self, true, true))
define(['string'], 'lstrip', [0, 0], (self: string) => strip(self, true, false))
define(['string'], 'rstrip', [0, 0], (self: string) => strip(self, false, true))
define(['string'], 'chomp', [0, 1], (self: string, [suffix], site) => {
  if (suffix !== undefined) {
    const text = stringArgument(suffix, site)
    return self.endsWith(text) ? self.slice(0, self.length - text.length) : self
  }
  return self.replace(/(\r\n|\n|\r)$/, '')
})
define(['string'], 'chars', [0, 0], (self: string) => characters(self))
define(['string'], 'lines', [0, 0], (self: string) => self.split(/(?<=\n)/).filter((line) => line !== ''))
define(['string'], 'bytesize', [0, 0], (self: string) => BigInt(Buffer.byteLength(self, 'utf8')))
define(['string'], 'reverse', [0, 0], (self: string) => characters(self).reverse().join(''))
define(['string'], 'include?', [1, 1], (self: string, [part], site) => self.includes(stringArgument(part!, site)))
define(['string'], 'split', [0, 2], (self: string, args, site) => split(self, args, site))
define(['string'], 'gsub', [1, 2], (self: string, args, site) => substitute(self, args, site, true))
define(['string'], 'sub', [1, 2], (self: string, args, site) => substitute(self, args, site, false))
define(['string'], 'match?', [1, 1], (self: string, [pattern], site) => match(patternArgument(pattern!, site), self, site) !== null)
define(['string'], '=~', [1, 1], (self: string, [pattern], site) => {
  const found = match(patternArgument(pattern!, site), self, site)
  return found ? BigInt(characters(self.slice(0, found.index)).length) : null
})
define(['string'], 'scan', [1, 1], (self: string, [pattern], site) => {
  const found: Value[] = []
  for (const { groups } of site.matches(toPattern(patternArgument(pattern!, site)), self, true)) {
    site.step()
    found.push(groups.length > 1 ? groups.slice(1).map((group) => group ?? null) : groups[0]!)
  }
  return found
})
define(['string'], 'tr', [2, 2], (self: string, [from, to], site) => {
  const expand = (set: string): string[] => characters(set)
    .reduce<string[]>((out, char, i, all) => {
      if (char === '-' && i > 0 && i < all.length - 1) {
        const [a, b] = [out.pop()!.codePointAt(0)!, all[i + 1]!.codePointAt(0)!]
        for (let c = a; c < b; c++) out.push(String.fromCodePoint(c))
      } else out.push(char)
      return out
    }, [])
  const [source, target] = [expand(stringArgument(from!, site)), expand(stringArgument(to!, site))]
  if (source[0] === '^' && source.length > 1) return site.fail('tr with a negated set is not supported by the ERB subset')
  return characters(self).map((char) => {
    const at = source.indexOf(char)
    return at === -1 ? char : target.length === 0 ? '' : (target[at] ?? target.at(-1)!)
  }).join('')
})
define(['string'], 'delete', [1, 1], (self: string, [chars], site) => {
  const set = new Set(characters(stringArgument(chars!, site)))
  return characters(self).filter((char) => !set.has(char)).join('')
})
for (const [name, side] of [['ljust', 'end'], ['rjust', 'start'], ['center', 'both']] as const) {
  define(['string'], name, [1, 2], (self: string, [width, pad], site) => {
    const size = smallInteger(width!, site)
    site.allocate(size)
    const filler = pad === undefined ? ' ' : stringArgument(pad, site)
    const missing = size - characters(self).length
    if (missing <= 0 || filler === '') return self
    const fill = (n: number): string => filler.repeat(Math.ceil(n / filler.length)).slice(0, n)
    if (side === 'end') return self + fill(missing)
    if (side === 'start') return fill(missing) + self
    return fill(Math.floor(missing / 2)) + self + fill(Math.ceil(missing / 2))
  })
}
define(['string'], '+', [1, 1], (self: string, [other], site) => self + stringArgument(other!, site))
define(['string'], '*', [1, 1], (self: string, [times], site) => {
  const count = smallInteger(times!, site)
  if (count < 0) return site.fail('negative argument')
  site.allocate(self.length * count)
  return self.repeat(count)
})
define(['string'], '%', [1, 1], (self: string, [args], site) => formatString(self, Array.isArray(args) ? args : [args!], site))
define(['string'], '[] slice', [1, 2], (self: string, args, site) => {
  const [index, group] = args
  if (typeof index === 'string') return self.includes(index) ? index : null
  if (kindOf(index!) === 'regexp') {
    const found = match(index as RubyRegexp, self, site)
    return found ? (found.groups[group === undefined ? 0 : smallInteger(group, site)] ?? null) : null
  }
  return sliceOf(characters(self), args, site, (chars) => chars.join(''))
})
define(['string'], 'hex', [0, 0], (self: string) => {
  const found = /^\s*([+-]?)(?:0x)?([0-9a-f]+)/i.exec(self)
  return found ? BigInt(`${found[1]}0x${found[2]}`.replace(/^-0x(.*)$/, '-0x$1')) : 0n
})
define(['string'], 'unpack1 unpack encode force_encoding', [0, 9], (_self: string, _args, site) =>
  site.fail('binary string methods are not supported by the ERB subset'))

// ---------------------------------------------------------------- enumerables

/** `a[i]`, `a[start, length]`, `a[range]`, as Array and String slice. */
function sliceOf<T extends Value>(items: T[], args: Value[], site: Site, wrap: (items: T[]) => Value): Value {
  const [first, second] = args
  const size = items.length
  const index = (value: Value): number => {
    const n = smallInteger(value, site)
    return n < 0 ? n + size : n
  }
  if (first instanceof RubyRange) {
    const start = first.first === null ? 0 : index(first.first)
    let end = first.last === null ? size : index(first.last) + (first.exclusive ? 0 : 1)
    if (start < 0 || start > size) return null
    end = Math.min(Math.max(end, start), size)
    return wrap(items.slice(start, end))
  }
  if (second !== undefined) {
    const start = index(first!)
    const length = smallInteger(second, site)
    if (start < 0 || start > size || length < 0) return null
    return wrap(items.slice(start, start + length))
  }
  if (typeof first === 'string' || kindOf(first!) === 'regexp') return site.fail('this index is not supported by the ERB subset')
  const at = index(first!)
  return at < 0 || at >= size ? null : wrap([items[at]!])
}

define(['array'], '[] slice', [1, 2], (self: Value[], args, site) => {
  if (args.length === 1 && !(args[0] instanceof RubyRange)) {
    if (typeof args[0] !== 'bigint' && typeof args[0] !== 'number') {
      const which = args[0] === null ? 'from nil to integer' : `of ${className(args[0]!)} into Integer`
      return site.fail(`no implicit conversion ${which}`, 'use an integer index, e.g. [0]')
    }
    return self.at(smallInteger(args[0], site)) ?? null
  }
  return sliceOf(self, args, site, (items) => items)
})
define(['array'], 'size length', [0, 0], (self: Value[]) => BigInt(self.length))
define(['hash'], 'size length', [0, 0], (self: RubyHash) => BigInt(self.size))
define(['range'], 'size', [0, 0], (self: RubyRange, _, site) => BigInt(rangeMembers(self, site).length))
define(['array', 'hash'], 'empty?', [0, 0], (self: Value[] | RubyHash) => (Array.isArray(self) ? self.length : self.size) === 0)
define(ENUMERABLE, 'count', [0, 1], (self: Value, args, site) => {
  const items = elementsOf(self, site)
  if (args.length > 0) return BigInt(items.filter((item) => rubyEquals(item, args[0]!)).length)
  return BigInt(site.hasBlock ? items.filter((item) => isTruthy(site.yield(item))).length : items.length)
})
define(['array', 'range'], 'first', [0, 1], (self: Value, args, site) => {
  if (self instanceof RubyRange && args.length === 0) return self.first
  const items = elementsOf(self, site)
  return args.length === 0 ? (items[0] ?? null) : items.slice(0, count(args[0]!, site))
})
define(['hash'], 'first', [0, 1], (self: RubyHash, args, site) =>
  args.length === 0 ? (self.pairs()[0] ?? null) : self.pairs().slice(0, count(args[0]!, site)))
define(['array', 'range'], 'last', [0, 1], (self: Value, args, site) => {
  if (self instanceof RubyRange && args.length === 0) return self.last
  const items = elementsOf(self, site)
  return args.length === 0 ? (items.at(-1) ?? null) : items.slice(Math.max(0, items.length - count(args[0]!, site)))
})
define(ENUMERABLE, 'each', [0, 0], (self: Value, _, site) => {
  if (self instanceof RubyRange && typeof self.first === 'bigint' && typeof self.last === 'bigint') {
    const stop = self.exclusive ? self.last - 1n : self.last
    for (let i = self.first; i <= stop; i++) site.yield(i)
    return self
  }
  for (const item of elementsOf(self, site)) site.yield(item)
  return self
})
define(['hash'], 'each_pair', [0, 0], (self: RubyHash, _, site) => {
  for (const pair of self.pairs()) site.yield(pair)
  return self
})
define(['hash'], 'each_key', [0, 0], (self: RubyHash, _, site) => {
  for (const key of self.keys()) site.yield(key)
  return self
})
define(['hash'], 'each_value', [0, 0], (self: RubyHash, _, site) => {
  for (const value of self.values()) site.yield(value)
  return self
})
define(['array'], 'reverse_each', [0, 0], (self: Value[], _, site) => {
  for (const item of [...self].reverse()) site.yield(item)
  return self
})
define(ENUMERABLE, 'each_with_index', [0, 0], (self: Value, _, site) => {
  elementsOf(self, site).forEach((item, i) => site.yield(item, BigInt(i)))
  return self
})
define(ENUMERABLE, 'each_with_object', [1, 1], (self: Value, [memo], site) => {
  for (const item of elementsOf(self, site)) site.yield(item, memo!)
  return memo!
})
define(ENUMERABLE, 'each_slice', [1, 1], (self: Value, [size], site) => {
  const items = elementsOf(self, site)
  const n = smallInteger(size!, site)
  if (n <= 0) return site.fail('invalid slice size')
  for (let i = 0; i < items.length; i += n) site.yield(items.slice(i, i + n))
  return self
})
define(ENUMERABLE, 'map collect', [0, 0], (self: Value, _, site) => elementsOf(self, site).map((item) => site.yield(item)))
define(ENUMERABLE, 'flat_map', [0, 0], (self: Value, _, site) =>
  elementsOf(self, site).flatMap((item) => {
    const mapped = site.yield(item)
    return Array.isArray(mapped) ? mapped : [mapped]
  }))
define(ENUMERABLE, 'filter_map', [0, 0], (self: Value, _, site) =>
  elementsOf(self, site).map((item) => site.yield(item)).filter(isTruthy))
define(['array', 'range'], 'select filter', [0, 0], (self: Value, _, site) => elementsOf(self, site).filter((item) => isTruthy(site.yield(item))))
define(['array', 'range'], 'reject', [0, 0], (self: Value, _, site) => elementsOf(self, site).filter((item) => !isTruthy(site.yield(item))))
define(['hash'], 'select filter', [0, 0], (self: RubyHash, _, site) => RubyHash.from(self.pairs().filter((pair) => isTruthy(site.yield(pair))) as [Value, Value][]))
define(['hash'], 'reject', [0, 0], (self: RubyHash, _, site) => RubyHash.from(self.pairs().filter((pair) => !isTruthy(site.yield(pair))) as [Value, Value][]))
define(ENUMERABLE, 'find detect', [0, 0], (self: Value, _, site) => elementsOf(self, site).find((item) => isTruthy(site.yield(item))) ?? null)
define(['array'], 'find_index index', [0, 1], (self: Value[], args, site) => {
  const at = args.length > 0 ? self.findIndex((item) => rubyEquals(item, args[0]!)) : self.findIndex((item) => isTruthy(site.yield(item)))
  return at === -1 ? null : BigInt(at)
})
define(ENUMERABLE, 'any?', [0, 1], (self: Value, args, site) =>
  elementsOf(self, site).some((item) => (args.length > 0 ? rubyEquals(item, args[0]!) : isTruthy(site.hasBlock ? site.yield(item) : item))))
define(ENUMERABLE, 'all?', [0, 1], (self: Value, args, site) =>
  elementsOf(self, site).every((item) => (args.length > 0 ? rubyEquals(item, args[0]!) : isTruthy(site.hasBlock ? site.yield(item) : item))))
define(ENUMERABLE, 'none?', [0, 1], (self: Value, args, site) =>
  !elementsOf(self, site).some((item) => (args.length > 0 ? rubyEquals(item, args[0]!) : isTruthy(site.hasBlock ? site.yield(item) : item))))
define(['array', 'range'], 'include? member?', [1, 1], (self: Value, [item], site) => {
  if (self instanceof RubyRange) {
    const above = self.first === null || (compare(item!, self.first) ?? -1) >= 0
    const order = self.last === null ? -1 : (compare(item!, self.last) ?? 1)
    return above && (self.exclusive ? order < 0 : order <= 0)
  }
  return elementsOf(self, site).some((candidate) => rubyEquals(candidate, item!))
})
define(['range'], 'cover?', [1, 1], (self: RubyRange, [item]) => {
  const above = self.first === null || (compare(item!, self.first) ?? -1) >= 0
  const order = self.last === null ? -1 : (compare(item!, self.last) ?? 1)
  return above && (self.exclusive ? order < 0 : order <= 0)
})
define(ENUMERABLE, 'sort', [0, 0], (self: Value, _, site) => {
  const items = [...elementsOf(self, site)]
  if (!site.hasBlock) return sortValues(items, site)
  return items.sort((a, b) => {
    const order = site.yield(a, b)
    return typeof order === 'bigint' ? Number(order) : site.fail('the sort block must return an Integer (use <=>)')
  })
})
define(ENUMERABLE, 'sort_by', [0, 0], (self: Value, _, site) => sortValues([...elementsOf(self, site)], site, (item) => site.yield(item)))
define(ENUMERABLE, 'min', [0, 0], (self: Value, _, site) => extreme(elementsOf(self, site), site, -1))
define(ENUMERABLE, 'max', [0, 0], (self: Value, _, site) => extreme(elementsOf(self, site), site, 1))
define(ENUMERABLE, 'min_by', [0, 0], (self: Value, _, site) => extreme(elementsOf(self, site), site, -1, (item) => site.yield(item)))
define(ENUMERABLE, 'max_by', [0, 0], (self: Value, _, site) => extreme(elementsOf(self, site), site, 1, (item) => site.yield(item)))
define(ENUMERABLE, 'sum', [0, 1], (self: Value, args, site) => {
  const values = elementsOf(self, site).map((item) => (site.hasBlock ? site.yield(item) : item))
  const start = args[0] ?? 0n
  if (typeof start === 'bigint' || typeof start === 'number') return sumNumbers(start, values, site)
  return values.reduce<Value>((total, value) => {
    if (typeof total === 'string') return total + stringArgument(value, site)
    if (Array.isArray(total)) return Array.isArray(value) ? [...total, ...value] : site.fail(`no implicit conversion of ${className(value)} into Array`)
    return site.send(total, '+', [value])
  }, start)
})
define(ENUMERABLE, 'inject reduce', [0, 2], (self: Value, args, site) => {
  const items = [...elementsOf(self, site)]
  const operator = args.at(-1) instanceof RubySymbol && !site.hasBlock ? (args.pop() as RubySymbol).name : undefined
  let total: Value = args.length > 0 ? args[0]! : (items.shift() ?? null)
  for (const item of items) {
    site.step()
    total = operator ? site.send(total, operator, [item]) : site.yield(total, item)
  }
  return total
})
define(ENUMERABLE, 'group_by', [0, 0], (self: Value, _, site) => {
  const groups = new RubyHash()
  for (const item of elementsOf(self, site)) {
    const key = site.yield(item)
    const group = groups.get(key) as Value[] | undefined
    if (group) group.push(item)
    else groups.set(key, [item])
  }
  return groups
})
define(ENUMERABLE, 'partition', [0, 0], (self: Value, _, site) => {
  const [yes, no]: Value[][] = [[], []]
  for (const item of elementsOf(self, site)) (isTruthy(site.yield(item)) ? yes : no).push(item)
  return [yes, no]
})
define(ENUMERABLE, 'tally', [0, 0], (self: Value, _, site) => {
  const counts = new RubyHash()
  for (const item of elementsOf(self, site)) counts.set(item, ((counts.get(item) as bigint | undefined) ?? 0n) + 1n)
  return counts
})
define(ENUMERABLE, 'to_a entries', [0, 0], (self: Value, _, site) => [...elementsOf(self, site)])
define(ENUMERABLE, 'to_h', [0, 0], (self: Value, _, site) =>
  pairsToHash(site.hasBlock ? elementsOf(self, site).map((item) => site.yield(item)) : elementsOf(self, site), site))
define(['array'], 'to_ary', [0, 0], (self: Value[]) => self)
define(['array'], 'join', [0, 1], (self: Value[], [separator], site) => {
  if (separator !== undefined && separator !== null && typeof separator !== 'string') {
    return site.fail(`no implicit conversion of ${className(separator)} into String`, "quote it: join(', ')")
  }
  return join(self, separator ?? '', site)
})
define(['array'], 'uniq', [0, 0], (self: Value[], _, site) => uniqueBy(self, (item) => (site.hasBlock ? site.yield(item) : item)))
define(['array'], 'compact', [0, 0], (self: Value[]) => self.filter((item) => item !== null))
define(['hash'], 'compact', [0, 0], (self: RubyHash) => RubyHash.from(self.pairs().filter(([, value]) => value !== null) as [Value, Value][]))
define(['array'], 'flatten', [0, 1], (self: Value[], [depth], site) => flatten(self, depth === undefined ? -1 : smallInteger(depth, site)))
define(['array'], 'reverse', [0, 0], (self: Value[]) => [...self].reverse())
define(['array'], 'rotate', [0, 1], (self: Value[], [by], site) => {
  if (self.length === 0) return []
  const shift = ((smallInteger(by ?? 1n, site) % self.length) + self.length) % self.length
  return [...self.slice(shift), ...self.slice(0, shift)]
})
define(['array', 'range'], 'take', [1, 1], (self: Value, [n], site) => elementsOf(self, site).slice(0, count(n!, site)))
define(['array', 'range'], 'drop', [1, 1], (self: Value, [n], site) => elementsOf(self, site).slice(count(n!, site)))
define(['array'], 'zip', [1, 9], (self: Value[], others, site) =>
  self.map((item, i) => [item, ...others.map((other) => (Array.isArray(other) ? (other[i] ?? null) : site.fail('zip takes arrays')))]))
define(['array'], 'push append <<', [1, 9], (self: Value[], items) => {
  self.push(...items)
  return self
})
define(['array'], 'unshift prepend', [1, 9], (self: Value[], items) => {
  self.unshift(...items)
  return self
})
define(['array'], 'pop', [0, 0], (self: Value[]) => self.pop() ?? null)
define(['array'], 'shift', [0, 0], (self: Value[]) => self.shift() ?? null)
define(['array'], 'concat', [1, 9], (self: Value[], others, site) => {
  for (const other of others) self.push(...(Array.isArray(other) ? other : site.fail('concat takes arrays')))
  return self
})
define(['array'], '+', [1, 1], (self: Value[], [other], site) =>
  Array.isArray(other) ? [...self, ...other] : site.fail(`no implicit conversion of ${describeKind(other!)} into Array`))
define(['array'], '-', [1, 1], (self: Value[], [other], site) => {
  if (!Array.isArray(other)) return site.fail(`no implicit conversion of ${describeKind(other!)} into Array`)
  const removed = RubyHash.from(other.map((item) => [item, true]))
  return self.filter((item) => !removed.has(item))
})
define(['array'], '&', [1, 1], (self: Value[], [other], site) => {
  if (!Array.isArray(other)) return site.fail(`no implicit conversion of ${describeKind(other!)} into Array`)
  const kept = RubyHash.from(other.map((item) => [item, true]))
  return uniqueBy(self.filter((item) => kept.has(item)), (item) => item)
})
define(['array'], '|', [1, 1], (self: Value[], [other], site) =>
  Array.isArray(other) ? uniqueBy([...self, ...other], (item) => item) : site.fail(`no implicit conversion of ${describeKind(other!)} into Array`))
define(['array'], '*', [1, 1], (self: Value[], [times], site) => {
  if (typeof times === 'string') return join(self, times, site)
  const count = smallInteger(times!, site)
  site.allocate(self.length * count)
  return Array.from({ length: count }, () => self).flat(1)
})
define(['array', 'hash'], 'dig', [1, 9], (self: Value, keys, site) => dig(self, keys, site))
define(['array'], 'fetch', [1, 2], (self: Value[], [at, fallback], site) => {
  const found = self.at(smallInteger(at!, site))
  if (found !== undefined) return found
  if (site.hasBlock) return site.yield(at!)
  return fallback !== undefined ? fallback : site.fail(`index ${inspect(at!)} outside of array bounds`)
})
define(['array'], 'values_at', [0, 9], (self: Value[], indexes, site) => indexes.map((at) => self.at(smallInteger(at, site)) ?? null))
define(['array'], 'sample shuffle', [0, 1], (_self: Value[], _args, site) => site.fail('random choices are not supported: templates render the same every time'))

define(['enumerator'], 'with_index each_with_index', [0, 1], (self: RubyEnumerator, [offset], site) => {
  const start = offset === undefined || offset === null ? 0n : integerArgument(offset, site)
  const results = self.items.map((item, i) => site.yield(item, start + BigInt(i)))
  switch (self.method) {
    case 'map':
    case 'collect':
      return results
    case 'select':
    case 'filter':
      return self.items.filter((_, i) => isTruthy(results[i]!))
    case 'reject':
      return self.items.filter((_, i) => !isTruthy(results[i]!))
    default:
      return self.items
  }
})
define(['enumerator'], 'size', [0, 0], (self: RubyEnumerator) => BigInt(self.items.length))
define(['enumerator'], 'next', [0, 0], (self: RubyEnumerator, _, site) => self.items[0] ?? site.fail('iteration reached an end'))
define(['range'], 'step', [1, 1], (self: RubyRange, [by], site) => {
  const step = integerArgument(by!, site)
  if (step <= 0n) return site.fail("step can't be negative or 0")
  const items = rangeMembers(self, site).filter((_, i) => BigInt(i) % step === 0n)
  for (const item of items) site.yield(item)
  return self
})

// ---------------------------------------------------------------- hashes

function hashGet(self: RubyHash, key: Value, site: Site): Value | undefined {
  const refused = self.refusal(key)
  if (refused) site.fail(refused.message, refused.hint)
  return self.get(key)
}

define(['hash'], '[]', [1, 1], (self: RubyHash, [key], site) => hashGet(self, key!, site) ?? null)
define(['hash'], '[]= store', [2, 2], (self: RubyHash, [key, value]) => {
  self.set(key!, value!)
  return value!
})
define(['hash'], 'key? has_key? include? member?', [1, 1], (self: RubyHash, [key], site) => hashGet(self, key!, site) !== undefined)
define(['hash'], 'value? has_value?', [1, 1], (self: RubyHash, [value]) => self.values().some((item) => rubyEquals(item, value!)))
define(['hash'], 'fetch', [1, 2], (self: RubyHash, args, site) => {
  const [key, fallback] = args
  const found = hashGet(self, key!, site)
  if (found !== undefined) return found
  if (site.hasBlock) return site.yield(key!)
  if (args.length === 2) return fallback!
  const shown = inspect(key!)
  return site.fail(`key not found: ${shown}`, `give a default, fetch(${shown}, default), or test with key?(${shown})`)
})
define(['hash'], 'key', [1, 1], (self: RubyHash, [value]) => self.pairs().find(([, item]) => rubyEquals(item, value!))?.[0] ?? null)
define(['hash'], 'keys', [0, 0], (self: RubyHash) => self.keys())
define(['hash'], 'values', [0, 0], (self: RubyHash) => self.values())
define(['hash'], 'values_at', [0, 9], (self: RubyHash, keys, site) => keys.map((key) => hashGet(self, key, site) ?? null))
define(['hash'], 'delete', [1, 1], (self: RubyHash, [key]) => self.delete(key!) ?? null)
define(['hash'], 'merge', [0, 9], (self: RubyHash, others, site) => {
  const merged = RubyHash.from(self.pairs() as [Value, Value][])
  for (const other of others) {
    if (!(other instanceof RubyHash)) return site.fail(`no implicit conversion of ${describeKind(other)} into Hash`)
    for (const [key, value] of other.pairs()) {
      const existing = merged.get(key)
      merged.set(key, existing !== undefined && site.hasBlock ? site.yield(key, existing, value) : value)
    }
  }
  return merged
})
define(['hash'], 'update merge!', [1, 9], (self: RubyHash, others, site) => {
  for (const other of others) {
    if (!(other instanceof RubyHash)) return site.fail(`no implicit conversion of ${describeKind(other)} into Hash`)
    for (const [key, value] of other.pairs()) self.set(key, value)
  }
  return self
})
define(['hash'], 'transform_values', [0, 0], (self: RubyHash, _, site) =>
  RubyHash.from(self.pairs().map(([key, value]) => [key, site.yield(value)])))
define(['hash'], 'transform_keys', [0, 0], (self: RubyHash, _, site) =>
  RubyHash.from(self.pairs().map(([key, value]) => [site.yield(key), value])))
define(['hash'], 'invert', [0, 0], (self: RubyHash) => RubyHash.from(self.pairs().map(([key, value]) => [value, key])))
define(['hash'], 'slice', [0, 9], (self: RubyHash, keys) =>
  RubyHash.from(keys.filter((key) => self.has(key)).map((key) => [key, self.get(key)!])))
define(['hash'], 'except', [0, 9], (self: RubyHash, keys) => {
  const removed = RubyHash.from(keys.map((key) => [key, true]))
  return RubyHash.from(self.pairs().filter(([key]) => !removed.has(key)) as [Value, Value][])
})

// ---------------------------------------------------------------- regexps

define(['regexp'], 'match?', [1, 1], (self: RubyRegexp, [text], site) => text !== null && match(self, toS(text!), site) !== null)
define(['regexp'], '=~', [1, 1], (self: RubyRegexp, [text], site) => {
  if (text === null) return null
  const found = match(self, toS(text!), site)
  return found ? BigInt(characters(toS(text!).slice(0, found.index)).length) : null
})
define(['regexp'], 'source', [0, 0], (self: RubyRegexp) => self.source)
