/**
 * Evaluating the ERB subset's expressions over plain data with Ruby's semantics where they show: only nil
 * and false are falsy, `&&`/`||` return an operand, and values print as Ruby's `to_s` prints them. Only own
 * properties are ever read, so nothing reaches a prototype (`constructor`, `__proto__`).
 */
import { KEY_GUARD, type KeyGuard } from './guard.js'
import { LIQUID_HINT, type Expr, type TemplateSource } from './parse.js'

type Kind = 'nil' | 'boolean' | 'integer' | 'float' | 'string' | 'array' | 'hash' | 'other'
type Hash = Record<string, unknown>
type Fail = (message: string, hint?: string) => never

const PLAIN_DATA_HINT = 'templates see plain data: strings, numbers, booleans, nil, arrays and hashes'

function refusal(hash: unknown, key: unknown): { message: string; hint: string } | undefined {
  const guard = (hash as { [KEY_GUARD]?: KeyGuard })[KEY_GUARD]
  return guard && typeof key === 'string' ? guard(key) : undefined
}

/** Variables in reach: block parameters first, then the render context. */
export interface Scope {
  context: Record<string, unknown>
  locals: ReadonlyMap<string, unknown>
}

export function kindOf(value: unknown): Kind {
  if (value === null || value === undefined) return 'nil'
  switch (typeof value) {
    case 'boolean':
      return 'boolean'
    case 'string':
      return 'string'
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'float'
    case 'object':
      return Array.isArray(value) ? 'array' : 'hash'
    default:
      return 'other'
  }
}

export function isTruthy(value: unknown): boolean {
  return value !== null && value !== undefined && value !== false
}

/** An own key holding `undefined` reads as nil but is left out of iteration and printing, as JSON does. */
export function hashEntries(hash: Hash): [string, unknown][] {
  return Object.entries(hash).filter(([, value]) => value !== undefined)
}

function ownValue(hash: Hash, key: string): unknown {
  return Object.hasOwn(hash, key) ? (hash[key] ?? null) : null
}

export function describeKind(value: unknown): string {
  const kind = kindOf(value)
  return {
    nil: 'nil',
    boolean: 'a Boolean',
    integer: 'an Integer',
    float: 'a Float',
    string: 'a String',
    array: 'an Array',
    hash: 'a Hash',
    other: `a JavaScript ${typeof value}`,
  }[kind]
}

/** What `<%= value %>` prints: Ruby's `to_s`. */
export function toS(value: unknown, fail: Fail): string {
  if (typeof value === 'string') return value
  return value === null || value === undefined ? '' : inspect(value, fail)
}

/** Ruby's `inspect` (Ruby < 3.4 spacing for hashes: `{"a"=>1}`). */
function inspect(value: unknown, fail: Fail): string {
  switch (kindOf(value)) {
    case 'nil':
      return 'nil'
    case 'boolean':
      return String(value)
    case 'integer':
      return formatInteger(value as number)
    case 'float':
      return formatFloat(value as number)
    case 'string':
      return inspectString(value as string)
    case 'array':
      return `[${(value as unknown[]).map((item) => inspect(item, fail)).join(', ')}]`
    case 'hash': {
      const pairs = hashEntries(value as Hash).map(([key, item]) => `${inspectString(key)}=>${inspect(item, fail)}`)
      return `{${pairs.join(', ')}}`
    }
    case 'other':
      return fail(`cannot print ${describeKind(value)}`, PLAIN_DATA_HINT)
  }
}

/** Ruby's `to_json`: compact, floats as Ruby prints them. */
function toJson(value: unknown, fail: Fail): string {
  switch (kindOf(value)) {
    case 'nil':
      return 'null'
    case 'float':
      return Number.isFinite(value) ? formatFloat(value as number) : fail(`${String(value)} cannot be written as JSON`)
    case 'string':
      return JSON.stringify(value)
    case 'array':
      return `[${(value as unknown[]).map((item) => toJson(item, fail)).join(',')}]`
    case 'hash': {
      const pairs = hashEntries(value as Hash).map(([key, item]) => `${JSON.stringify(key)}:${toJson(item, fail)}`)
      return `{${pairs.join(',')}}`
    }
    default:
      return inspect(value, fail)
  }
}

/** All digits, also past 2^53 where JavaScript would switch to `1e+21`. */
function formatInteger(value: number): string {
  return BigInt(value).toString()
}

/**
 * Ruby's Float#to_s: shortest digits, fixed notation for decimal exponents -4 < e <= 16, else `1.0e-05`. A
 * JavaScript number is a float only when it has a fraction, so it has digits after the point and is below
 * 2^53: the large exponents of Ruby's `1.0e+20` never reach here.
 */
function formatFloat(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity'
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e') as [string, string]
  const digits = mantissa.replace('.', '')
  const exponent = Number(exponentText)
  const point = exponent + 1
  const sign = value < 0 ? '-' : ''
  if (point > 0 && point <= 16) {
    return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`
  }
  if (point > -4 && point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`
  const exponentDigits = String(-exponent).padStart(2, '0')
  return `${sign}${digits[0]}.${digits.slice(1) || '0'}e-${exponentDigits}`
}

const STRING_ESCAPES: Record<string, string> = {
  '"': '\\"', '\\': '\\\\', '\n': '\\n', '\t': '\\t', '\r': '\\r',
  '\f': '\\f', '\v': '\\v', '\b': '\\b', '\x07': '\\a', '\x1b': '\\e',
}

function inspectString(text: string): string {
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

function rubyEquals(left: unknown, right: unknown): boolean {
  // JavaScript has one number type: `1 == 1.0` compares two numbers of the same kind.
  const [leftKind, rightKind] = [kindOf(left), kindOf(right)]
  if (leftKind !== rightKind) return false
  if (leftKind === 'nil') return true
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((item, i) => rubyEquals(item, right[i]))
  }
  if (leftKind === 'hash') {
    const [entries, other] = [hashEntries(left as Hash), right as Hash]
    return entries.length === hashEntries(other).length &&
      entries.every(([key, item]) => Object.hasOwn(other, key) && rubyEquals(item, other[key]))
  }
  return left === right
}

interface Method {
  receivers: readonly Kind[]
  arity: readonly [min: number, max: number]
  call(receiver: never, args: unknown[], fail: Fail): unknown
}

const ANY: readonly Kind[] = ['nil', 'boolean', 'integer', 'float', 'string', 'array', 'hash']
const SIZED: readonly Kind[] = ['string', 'array', 'hash']

const sizeOf = (value: string | unknown[] | Hash): number =>
  typeof value === 'string' ? [...value].length : Array.isArray(value) ? value.length : hashEntries(value).length

const hasKey = (hash: Hash, key: unknown): key is string =>
  typeof key === 'string' && Object.hasOwn(hash, key) && hash[key] !== undefined

const METHODS = new Map<string, Method>([
  ['to_s', { receivers: ANY, arity: [0, 0], call: (value: unknown, _, fail) => toS(value, fail) }],
  ['to_json', { receivers: ANY, arity: [0, 0], call: (value: unknown, _, fail) => toJson(value, fail) }],
  ['to_i', { receivers: ['nil', 'integer', 'float', 'string'], arity: [0, 0], call: toInteger }],
  ['nil?', { receivers: ANY, arity: [0, 0], call: (value: unknown) => value === null || value === undefined }],
  ['empty?', { receivers: SIZED, arity: [0, 0], call: (value: string | Hash) => sizeOf(value) === 0 }],
  ['size', { receivers: SIZED, arity: [0, 0], call: sizeOf }],
  ['length', { receivers: SIZED, arity: [0, 0], call: sizeOf }],
  ['upcase', { receivers: ['string'], arity: [0, 0], call: (value: string) => value.toUpperCase() }],
  ['downcase', { receivers: ['string'], arity: [0, 0], call: (value: string) => value.toLowerCase() }],
  ['first', { receivers: ['array', 'hash'], arity: [0, 0], call: first }],
  ['last', { receivers: ['array'], arity: [0, 0], call: (value: unknown[]) => value.at(-1) ?? null }],
  ['join', { receivers: ['array'], arity: [0, 1], call: (value: unknown[], args, fail) => join(value, args[0], fail) }],
  ['key?', { receivers: ['hash'], arity: [1, 1], call: (value: Hash, [key]) => hasKey(value, key) }],
  ['fetch', { receivers: ['hash'], arity: [1, 2], call: fetch }],
])

function toInteger(value: unknown, _: unknown[], fail: Fail): number {
  if (typeof value === 'string') {
    const match = /^\s*([+-]?\d+(?:_\d+)*)/.exec(value)
    return match ? Number(match[1]!.replaceAll('_', '')) : 0
  }
  if (typeof value !== 'number') return 0 // nil
  if (!Number.isFinite(value)) return fail(`cannot convert ${String(value)} to an Integer`)
  return Math.trunc(value)
}

/** A hash's first `[key, value]` pair, or an array's first item. */
function first(value: unknown[] | Hash): unknown {
  return (Array.isArray(value) ? value : hashEntries(value))[0] ?? null
}

function join(items: unknown[], separator: unknown, fail: Fail): string {
  if (separator !== undefined && separator !== null && typeof separator !== 'string') {
    return fail(`join needs a String separator, not ${describeKind(separator)}`, "quote it: join(', ')")
  }
  const strings = items.map((item) => (Array.isArray(item) ? join(item, separator, fail) : toS(item, fail)))
  return strings.join(separator ?? '')
}

function fetch(hash: Hash, args: unknown[], fail: Fail): unknown {
  const [key, fallback] = args
  if (hasKey(hash, key)) return hash[key]
  if (args.length === 2) return fallback
  const shown = inspect(key, fail)
  return fail(`key not found: ${shown}`, `give a default, fetch(${shown}, default), or test with key?(${shown})`)
}

function methodsFor(kind: Kind): string {
  return [...METHODS].filter(([, method]) => method.receivers.includes(kind)).map(([name]) => name).join(', ')
}

/** A few names, enough to spot a typo without flooding the terminal. */
function someNames(names: string[], limit = 8): string {
  const shown = names.slice(0, limit).join(', ')
  return names.length > limit ? `${shown}, … (${names.length - limit} more)` : shown || '(none)'
}

function nilHint(expression: string): string {
  return `test it first with \`<% if ${expression} %>\`, or give a default: \`${expression} || 'default'\``
}

export function evaluate(expr: Expr, scope: Scope, source: TemplateSource): unknown {
  const failAt = (offset: number): Fail => (message, hint) => {
    throw source.error(message, offset, hint)
  }
  const evaluateIn = (node: Expr): unknown => evaluate(node, scope, source)
  const textOf = (node: Expr): string => source.text.slice(node.start, node.end)

  switch (expr.type) {
    case 'literal':
      return expr.value
    case 'string':
      return expr.parts
        .map((part) => (typeof part === 'string' ? part : toS(evaluateIn(part), failAt(part.start))))
        .join('')
    case 'variable': {
      if (scope.locals.has(expr.name)) return scope.locals.get(expr.name)
      if (Object.hasOwn(scope.context, expr.name)) return scope.context[expr.name] ?? null
      const names = someNames([...scope.locals.keys(), ...Object.keys(scope.context)])
      return failAt(expr.start)(`undefined local variable or method \`${expr.name}\``, `the variables are: ${names}`)
    }
    case 'not':
      return !isTruthy(evaluateIn(expr.operand))
    case 'binary': {
      const left = evaluateIn(expr.left)
      if (expr.operator === '&&') return isTruthy(left) ? evaluateIn(expr.right) : left
      if (expr.operator === '||') return isTruthy(left) ? left : evaluateIn(expr.right)
      return rubyEquals(left, evaluateIn(expr.right)) === (expr.operator === '==')
    }
    case 'index':
      return index(evaluateIn(expr.object), evaluateIn(expr.key), textOf(expr.object), failAt(expr.bracketAt))
    case 'call': {
      const object = evaluateIn(expr.object)
      return call(object, expr.name, expr.args?.map(evaluateIn), textOf(expr.object), failAt(expr.nameAt))
    }
  }
}

/** `object[key]`; `receiver` is the source text of `object`, for messages. */
function index(object: unknown, key: unknown, receiver: string, fail: Fail): unknown {
  switch (kindOf(object)) {
    case 'hash': {
      const refused = refusal(object, key)
      if (refused) return fail(refused.message, refused.hint)
      // `h[0]` finds the key "0": YAML's integer keys arrive here as strings.
      return typeof key === 'string' || kindOf(key) === 'integer' ? ownValue(object as Hash, String(key)) : null
    }
    case 'array':
      if (kindOf(key) === 'integer') return (object as unknown[]).at(Number(key)) ?? null
      return fail(`cannot index ${receiver} (an Array) with ${describeKind(key)}`, 'use an integer index, e.g. [0]')
    case 'nil':
      return fail(`undefined method \`[]\` for nil (${receiver} is nil)`, nilHint(receiver))
    default:
      return fail(`cannot index ${receiver} (${describeKind(object)})`, 'only hashes and arrays can be indexed')
  }
}

/**
 * `object.name` or `object.name(args)`. Without parentheses a hash's own key comes first, so `options.mtu`
 * reads the option; otherwise it is one of the subset's methods.
 */
function call(object: unknown, name: string, args: unknown[] | undefined, receiver: string, fail: Fail): unknown {
  const kind = kindOf(object)
  const refused = kind === 'hash' && refusal(object, args
    ? (name === 'fetch' || name === 'key?' ? args[0] : undefined)
    : (METHODS.has(name) ? undefined : name))
  if (refused) return fail(refused.message, refused.hint)
  if (kind === 'hash' && !args && Object.hasOwn(object as Hash, name)) return (object as Hash)[name] ?? null
  const method = METHODS.get(name)
  if (method?.receivers.includes(kind)) {
    const given = args ?? []
    const [min, max] = method.arity
    if (given.length < min || given.length > max) {
      const expected = min === max ? `${min}` : `${min}..${max}`
      return fail(`wrong number of arguments for \`${name}\` (given ${given.length}, expected ${expected})`)
    }
    return method.call(object as never, given, fail)
  }
  switch (kind) {
    case 'hash':
      if (args) break
      return fail(`undefined method or key \`${name}\` for ${receiver}`,
        `${receiver} has the keys ${someNames(Object.keys(object as Hash))}; ` +
        `${receiver}['${name}'] gives nil when the key may be missing`)
    case 'nil':
      return fail(`undefined method \`${name}\` for nil (${receiver} is nil)`, nilHint(receiver))
    case 'other':
      return fail(`cannot use ${receiver} (${describeKind(object)}) in a template`, PLAIN_DATA_HINT)
  }
  return fail(`undefined method \`${name}\` for ${receiver} (${describeKind(object)})`,
    `the ERB subset's methods for ${describeKind(object)}: ${methodsFor(kind)}; ${LIQUID_HINT}`)
}
