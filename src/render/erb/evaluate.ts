/**
 * Evaluation of parsed expressions over Ruby values (./values.ts): nil and false are falsy, `&&`/`||` return
 * an operand, a Ruby method wins over a hash key of the same name, and values print as Ruby's `to_s` prints
 * them. Nothing reaches JavaScript: every value is data built here, every method is in ./methods.ts.
 */
import { BASE64, convert, elementsOf, ENUMERATOR_METHODS, findMethod, methodNames, prettyJson, toJson, type Site } from './methods.js'
import { formatString } from './format.js'
import { findMatches } from './matcher.js'
import { LIQUID_HINT, type Block, type Expr, type Param, type TemplateSource } from './parse.js'
import {
  describeKind, inspect, isTruthy, kindOf, Opaque, rubyEquals, RubyClass, RubyEnumerator, RubyHash, RubyRange, RubySymbol, toS, type RubyRegexp,
  type Value,
} from './values.js'

type Fail = (message: string, hint?: string) => never

const PLAIN_DATA_HINT = 'templates see plain data: strings, numbers, booleans, nil, arrays and hashes'

/** Local variables: a block's parameters and what it assigns live in its own frame. */
export class Frame {
  private readonly variables = new Map<string, Value>()

  constructor(readonly parent?: Frame) {}

  private owner(name: string): Frame | undefined {
    for (let frame: Frame | undefined = this; frame; frame = frame.parent) if (frame.variables.has(name)) return frame
    return undefined
  }

  has(name: string): boolean {
    return this.owner(name) !== undefined
  }

  get(name: string): Value | undefined {
    return this.owner(name)?.variables.get(name)
  }

  /** Assigns where the variable lives, or here when it is new. */
  assign(name: string, value: Value): void {
    ;(this.owner(name) ?? this).variables.set(name, value)
  }

  declare(name: string, value: Value): void {
    this.variables.set(name, value)
  }

  names(): string[] {
    const names = new Set<string>()
    for (let frame: Frame | undefined = this; frame; frame = frame.parent) for (const name of frame.variables.keys()) names.add(name)
    return [...names]
  }
}

/** What a render spends: one step per evaluated tag and block call, and what it may build. */
export interface Meter {
  step(at: number): void
  allocate(size: number, at: number): void
  /** When the render's time runs out (Date.now() milliseconds). */
  readonly deadline: number
  timedOut(at: number): never
}

/** `next` or `break` on its way to the block call (next) or the method call (break) it leaves. */
export class Jump {
  constructor(
    readonly jump: 'next' | 'break',
    readonly value: Value,
    readonly at: number,
  ) {}
}

/** A block to call: its parameters are bound in a new frame, and it gives back a value. */
export type BlockCall = (args: Value[]) => Value

export class Interpreter {
  constructor(
    readonly source: TemplateSource,
    private readonly context: ReadonlyMap<string, Value>,
    private readonly meter: Meter,
  ) {}

  failAt(offset: number): Fail {
    return (message, hint) => {
      throw this.source.error(message, offset, hint)
    }
  }

  private textOf(node: Expr): string {
    return this.source.text.slice(node.start, node.end)
  }

  /** Ruby's block arguments: one yielded array spreads over several parameters, `(k, v)` takes one apart. */
  bind(frame: Frame, params: Param[], yielded: Value[]): void {
    const values = yielded.length === 1 && params.length > 1 && Array.isArray(yielded[0]) ? yielded[0] : yielded
    params.forEach((param, i) => {
      const value = values[i] ?? null
      if (typeof param === 'string') frame.declare(param, value)
      else this.bind(frame, param, [value])
    })
  }

  private blockOf(block: Block, frame: Frame): BlockCall {
    return (args) => {
      const inner = new Frame(frame)
      this.bind(inner, block.params, args)
      return catchNext(() => this.evaluate(block.body, inner))
    }
  }

  evaluate(expr: Expr, frame: Frame): Value {
    switch (expr.type) {
      case 'literal':
        return expr.value
      case 'string':
        return this.interpolate(expr.parts, frame)
      case 'symbol':
        return RubySymbol.of(this.interpolate(expr.parts, frame))
      case 'regexp':
        return expr.regexp
      case 'array':
        return expr.items.map((item) => this.evaluate(item, frame))
      case 'hash':
        return RubyHash.from(expr.pairs.map(([key, value]) => [this.evaluate(key, frame), this.evaluate(value, frame)]))
      case 'range':
        return new RubyRange(
          expr.first ? this.evaluate(expr.first, frame) : null,
          expr.last ? this.evaluate(expr.last, frame) : null,
          expr.exclusive,
        )
      case 'variable':
        return this.variable(expr.name, expr.start, frame)
      case 'constant':
        return this.failAt(expr.start)(`\`${expr.name}\` is a module: call one of its functions`)
      case 'not':
        return !isTruthy(this.evaluate(expr.operand, frame))
      case 'negate': {
        const operand = this.evaluate(expr.operand, frame)
        return this.send(operand, '-@', [], undefined, this.textOf(expr.operand), expr.start)
      }
      case 'binary':
        return this.binary(expr, frame)
      case 'ternary':
        return this.evaluate(isTruthy(this.evaluate(expr.condition, frame)) ? expr.then : expr.otherwise, frame)
      case 'if': {
        const branch = expr.branches.find((b) => isTruthy(this.evaluate(b.condition, frame)) !== b.negate)
        const body = branch?.body ?? expr.otherwise
        return body ? this.evaluate(body, frame) : null
      }
      case 'sequence': {
        let last: Value = null
        for (const item of expr.items) last = this.evaluate(item, frame)
        return last
      }
      case 'assign':
        return this.assign(expr, frame)
      case 'jump':
        throw new Jump(expr.jump, expr.value ? this.evaluate(expr.value, frame) : null, expr.start)
      case 'index': {
        const object = this.evaluate(expr.object, frame)
        const args = expr.args.map((arg) => this.evaluate(arg, frame))
        if (object === null) {
          const receiver = this.textOf(expr.object)
          return this.failAt(expr.bracketAt)(`undefined method \`[]\` for nil (${receiver} is nil)`, nilHint(receiver))
        }
        if (!findMethod(object, '[]')) {
          return this.failAt(expr.bracketAt)(`cannot index ${this.textOf(expr.object)} (${describeKind(object)})`,
            kindOf(object) === 'other' ? PLAIN_DATA_HINT : 'only hashes, arrays and strings can be indexed')
        }
        return this.send(object, '[]', args, undefined, this.textOf(expr.object), expr.bracketAt)
      }
      case 'call':
        return this.call(expr, frame)
    }
  }

  private interpolate(parts: (string | Expr)[], frame: Frame): string {
    return parts.map((part) => (typeof part === 'string' ? part : this.toText(this.evaluate(part, frame), part.start))).join('')
  }

  /** What `<%= value %>` and `"#{value}"` write: Ruby's `to_s`; JavaScript values have none. */
  toText(value: Value, at: number): string {
    if (value instanceof Opaque) return this.failAt(at)(`cannot print ${describeKind(value)}`, PLAIN_DATA_HINT)
    if (value instanceof RubyEnumerator) {
      return this.failAt(at)('cannot print an Enumerator as Ruby would', 'give the method a block, or call `.to_a`')
    }
    return toS(value)
  }

  private variable(name: string, at: number, frame: Frame): Value {
    if (frame.has(name)) return frame.get(name)!
    const value = this.context.get(name)
    if (value !== undefined) return value
    const names = someNames([...frame.names().filter((n) => /^[a-z_]/.test(n)), ...this.context.keys()])
    return this.failAt(at)(`undefined local variable or method \`${name}\``, `the variables are: ${names}`)
  }

  private binary(expr: Expr & { type: 'binary' }, frame: Frame): Value {
    const left = this.evaluate(expr.left, frame)
    switch (expr.operator) {
      case '&&':
        return isTruthy(left) ? this.evaluate(expr.right, frame) : left
      case '||':
        return isTruthy(left) ? left : this.evaluate(expr.right, frame)
      case '==':
        return rubyEquals(left, this.evaluate(expr.right, frame))
      case '!=':
        return !rubyEquals(left, this.evaluate(expr.right, frame))
      case '===':
        return caseEquals(left, this.evaluate(expr.right, frame), this.site(undefined, expr.operatorAt))
      case '!~':
        return !isTruthy(this.send(left, '=~', [this.evaluate(expr.right, frame)], undefined, this.textOf(expr.left), expr.operatorAt))
    }
    const right = this.evaluate(expr.right, frame)
    return this.send(left, expr.operator, [right], undefined, this.textOf(expr.left), expr.operatorAt)
  }

  private assign(expr: Expr & { type: 'assign' }, frame: Frame): Value {
    const { target, operator } = expr
    const binaryOperator = operator.slice(0, -1)
    if (target.type === 'variable') {
      const current = (): Value => (frame.has(target.name) ? frame.get(target.name)! : (this.context.get(target.name) ?? null))
      let value: Value
      if (operator === '=') value = this.evaluate(expr.value, frame)
      else if (operator === '||=') value = isTruthy(current()) ? current() : this.evaluate(expr.value, frame)
      else if (operator === '&&=') value = isTruthy(current()) ? this.evaluate(expr.value, frame) : current()
      else value = this.send(current(), binaryOperator, [this.evaluate(expr.value, frame)], undefined, target.name, expr.operatorAt)
      frame.assign(target.name, value)
      return value
    }
    const object = this.evaluate(target.object, frame)
    const keys = target.args.map((arg) => this.evaluate(arg, frame))
    const receiver = this.textOf(target.object)
    if (!(object instanceof RubyHash) && !Array.isArray(object)) {
      return this.failAt(target.bracketAt)(`cannot assign into ${receiver} (${describeKind(object)})`, 'only hashes and arrays take `[key] =`')
    }
    const current = (): Value => this.send(object, '[]', keys, undefined, receiver, target.bracketAt)
    let value: Value
    if (operator === '=') value = this.evaluate(expr.value, frame)
    else if (operator === '||=') value = isTruthy(current()) ? current() : this.evaluate(expr.value, frame)
    else if (operator === '&&=') value = isTruthy(current()) ? this.evaluate(expr.value, frame) : current()
    else value = this.send(current(), binaryOperator, [this.evaluate(expr.value, frame)], undefined, receiver, expr.operatorAt)
    if (object instanceof RubyHash) object.set(keys[0]!, value)
    else {
      if (keys.length !== 1 || typeof keys[0] !== 'bigint') return this.failAt(target.bracketAt)('an Array takes `[integer] =` only')
      const at = Number(keys[0] < 0n ? keys[0] + BigInt(object.length) : keys[0])
      if (at < 0) return this.failAt(target.bracketAt)(`index ${keys[0]} too small for array`)
      this.meter.allocate(at, target.bracketAt)
      while (object.length < at) object.push(null)
      object[at] = value
    }
    return value
  }

  private call(expr: Expr & { type: 'call' }, frame: Frame): Value {
    const fail = this.failAt(expr.nameAt)
    if (expr.object?.type === 'constant') {
      const args = (expr.args ?? []).map((arg) => this.evaluate(arg, frame))
      const site = this.site(undefined, expr.nameAt)
      if (expr.object.name === 'JSON') {
        if (args.length !== 1) return fail(`\`JSON.${expr.name}\` takes one value here`)
        return expr.name === 'pretty_generate' ? prettyJson(args[0]!, site) : toJson(args[0]!, site)
      }
      if (args.length !== 1 || typeof args[0] !== 'string') {
        return fail(`\`${expr.object.name}.${expr.name}\` takes one String`)
      }
      return BASE64[expr.name]!(args[0], site)
    }
    if (expr.object === null) return this.function(expr, frame)
    const object = this.evaluate(expr.object, frame)
    if (expr.safe && object === null) return null
    const args = expr.args?.map((arg) => this.evaluate(arg, frame))
    const block = expr.block ? this.blockOf(expr.block, frame) : undefined
    return this.send(object, expr.name, args, block, this.textOf(expr.object), expr.nameAt)
  }

  private function(expr: Expr & { type: 'call' }, frame: Frame): Value {
    const fail = this.failAt(expr.nameAt)
    const args = (expr.args ?? []).map((arg) => this.evaluate(arg, frame))
    const site = this.site(undefined, expr.nameAt)
    switch (expr.name) {
      case 'raise': {
        if (args.length === 0) return fail('unhandled exception', 'the template raised this error itself')
        const [first, second] = args
        const message = first instanceof RubyClass ? (second === undefined ? first.name : toS(second)) : toS(first!)
        return fail(message, 'the template raised this error itself')
      }
      case 'format':
      case 'sprintf':
        if (typeof args[0] !== 'string') return fail(`${expr.name} needs a format String first`)
        return formatString(args[0], args.slice(1), site)
      default:
        if (args.length !== 1) return fail(`wrong number of arguments for \`${expr.name}\` (given ${args.length}, expected 1)`)
        return convert(expr.name, args[0]!, site)
    }
  }

  site(block: BlockCall | undefined, at: number): Site {
    const fail = this.failAt(at)
    return {
      fail,
      hasBlock: block !== undefined,
      yield: (...args) => {
        if (!block) return fail('no block given (yield)', 'give the method a block: `{ |x| … }`')
        this.meter.step(at)
        return block(args)
      },
      allocate: (size) => this.meter.allocate(size, at),
      step: () => this.meter.step(at),
      respondsTo: (value, name) => findMethod(value, name) !== undefined,
      send: (receiver, name, args) => this.send(receiver, name, args, undefined, inspect(receiver), at),
      matches: (pattern, text, all) => {
        const found = findMatches(pattern, text, all, this.meter.deadline)
        return found === 'timed-out' ? this.meter.timedOut(at) : found
      },
    }
  }

  /**
   * `object.name(args)`: a Ruby method first; a Hash's key answers a name no method has and no arguments
   * follow (`options.mtu`). `receiver` is the source text of `object`, for messages.
   */
  send(object: Value, name: string, args: Value[] | undefined, block: BlockCall | undefined, receiver: string, at: number): Value {
    const fail = this.failAt(at)
    const kind = kindOf(object)
    const isRead = object instanceof RubyHash && args === undefined && !block
    // A guarded hash stands for one of Pharos' structs (or ENV): its attributes are its methods.
    if (isRead && object.guard && object.has(name)) return object.get(name)!
    const method = kind === 'other' ? undefined : findMethod(object, name)
    if (!method && isRead) {
      const refused = object.refusal(name)
      if (refused) return fail(refused.message, refused.hint)
      if (!object.guard && RUBY_HASH_METHODS.has(name)) {
        return fail(`\`${name}\` is a method of Ruby's Hash that the ERB subset does not have`,
          `Ruby would call the method, not read the key; read the key with ${receiver}['${name}']`)
      }
      const value = object.has(name) ? object.get(name) : object.get(RubySymbol.of(name))
      if (value !== undefined) return value
      return fail(`undefined method or key \`${name}\` for ${receiver}`,
        `${receiver} has the keys ${someNames(object.keys().map((key) => (typeof key === 'string' ? key : inspect(key))))}; ` +
        `${receiver}['${name}'] gives nil when the key may be missing`)
    }
    if (!method) {
      if (kind === 'nil') return fail(`undefined method \`${name}\` for nil (${receiver} is nil)`, nilHint(receiver))
      if (kind === 'other') return fail(`cannot use ${receiver} (${describeKind(object)}) in a template`, PLAIN_DATA_HINT)
      return fail(`undefined method \`${name}\` for ${receiver} (${describeKind(object)})`,
        `the ERB subset's methods for ${describeKind(object)}: ${methodNames(kind).filter((n) => /^[a-z]/.test(n)).join(', ')}; ${LIQUID_HINT}`)
    }
    const given = args ?? []
    const searches = (name === 'find_index' || name === 'index') && given.length > 0
    if (!block && ENUMERATOR_METHODS.has(name) && !searches) {
      // Without a block, the method's yields become an Enumerator's items (`2.times.map { … }`).
      const items: Value[] = []
      const recorder: BlockCall = (yielded) => {
        items.push(yielded.length === 1 ? yielded[0]! : yielded)
        return null
      }
      this.send(object, name, args, recorder, receiver, at)
      return new RubyEnumerator(items, name)
    }
    const [min, max] = method.arity
    if (given.length < min || given.length > max) {
      const expected = min === max ? `${min}` : max === 9 ? `${min}+` : `${min}..${max}`
      return fail(`wrong number of arguments for \`${name}\` (given ${given.length}, expected ${expected})`)
    }
    if (!block) return method.call(object as never, given, this.site(block, at))
    try {
      return method.call(object as never, given, this.site(block, at))
    } catch (error) {
      // `break` leaves the method whose block it is in, with its value.
      if (error instanceof Jump && error.jump === 'break') return error.value
      throw error
    }
  }

  /** The items `each` and `for` walk, for the template-bodied loops of ../erb.ts. */
  elements(value: Value, at: number): Value[] {
    return elementsOf(value, this.site(undefined, at))
  }
}

/** Runs a block's body; `next` ends this call of it, with its value. */
export function catchNext(body: () => Value): Value {
  try {
    return body()
  } catch (error) {
    if (error instanceof Jump && error.jump === 'next') return error.value
    throw error
  }
}

/** `when pattern`: a Range holds the value, a Regexp matches it, a class holds it, anything else is `==`. */
export function caseEquals(pattern: Value, value: Value, site: Site): boolean {
  if (pattern instanceof RubyRange) {
    return findMethod(pattern, 'include?')!.call(pattern as never, [value], site) === true
  }
  if (pattern instanceof RubyClass) return pattern.includes(value)
  if (kindOf(pattern) === 'regexp') {
    return (typeof value === 'string' || value instanceof RubySymbol) && site.matches((pattern as RubyRegexp).pattern, toS(value), false).length > 0
  }
  return rubyEquals(pattern, value)
}

/**
 * The public methods of Ruby 3.1's Hash (`Hash.instance_methods`): `options.name` is the method in Ruby, so
 * the key shortcut must not answer for one the subset lacks.
 */
const RUBY_HASH_METHODS = new Set(`
  all? any? assoc chain chunk chunk_while class clear clone collect collect_concat compact compact!
  compare_by_identity compare_by_identity? count cycle deconstruct_keys default default= default_proc
  default_proc= define_singleton_method delete delete_if detect dig display drop drop_while dup each each_cons
  each_entry each_key each_pair each_slice each_value each_with_index each_with_object empty? entries enum_for
  eql? equal? except extend fetch fetch_values filter filter! filter_map find find_all find_index first flat_map
  flatten freeze frozen? grep grep_v group_by has_key? has_value? hash include? inject inspect instance_eval
  instance_exec instance_of? instance_variable_defined? instance_variable_get instance_variable_set
  instance_variables invert is_a? itself keep_if key key? keys kind_of? lazy length map max max_by member? merge
  merge! method methods min min_by minmax minmax_by nil? none? object_id one? partition private_methods
  protected_methods public_method public_methods public_send rassoc reduce rehash reject reject!
  remove_instance_variable replace respond_to? reverse_each select select! send shift singleton_class
  singleton_method singleton_methods size slice slice_after slice_before slice_when sort sort_by store sum taint
  tainted? take take_while tally tap then to_a to_enum to_h to_hash to_proc to_s transform_keys transform_keys!
  transform_values transform_values! trust uniq untaint untrust untrusted? update value? values values_at
  yield_self zip`.trim().split(/\s+/))

/** A few names, enough to spot a typo without flooding the terminal. */
function someNames(names: string[], limit = 8): string {
  const shown = names.slice(0, limit).join(', ')
  return names.length > limit ? `${shown}, … (${names.length - limit} more)` : shown || '(none)'
}

function nilHint(expression: string): string {
  return `test it first with \`<% if ${expression} %>\`, or give a default: \`${expression} || 'default'\``
}

