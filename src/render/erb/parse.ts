/**
 * The code inside ERB tags: a lexer and a recursive-descent parser for the Ruby these templates use (the
 * README's ERB section lists it). Both work on offsets into the whole template, so every error points at the
 * template's own line and column, not at a position inside the tag. What is outside the subset fails here,
 * at compile time, by name.
 */
import { codeFrame, TemplateError } from '../../errors.js'
import { LimitError, type LimitName, type Limits } from '../../limits.js'
import { compileRegexp } from './regexp.js'
import { RubyClass, RubySymbol, type RubyRegexp, type Value } from './values.js'

export const LIQUID_HINT = 'for anything more, write the file as a Liquid template (.yml.liquid)'
export const SUBSET_HINT =
  'the ERB subset is plain data and the Ruby the README lists (literals, paths, operators, if/unless/case, ' +
  `blocks, local variables and the common methods of String, Array and Hash); ${LIQUID_HINT}`

/** The template text with its line starts, to turn offsets into positions and errors. */
export class TemplateSource {
  private readonly lineStarts = [0]

  constructor(
    readonly text: string,
    readonly file: string,
  ) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1)
  }

  position(offset: number): { line: number; col: number } {
    let low = 0
    let high = this.lineStarts.length - 1
    while (low < high) {
      const mid = (low + high + 1) >> 1
      if (this.lineStarts[mid]! <= offset) low = mid
      else high = mid - 1
    }
    return { line: low + 1, col: offset - this.lineStarts[low]! + 1 }
  }

  error(message: string, offset: number, hint?: string): TemplateError {
    const { line, col } = this.position(offset)
    return new TemplateError(message, { file: this.file, line, col, hint, frame: codeFrame(this.text, line, col) })
  }

  /** A limit hit while rendering, at the tag or expression that was running. */
  limitError(limit: LimitName, message: string, offset: number, limits: Limits): LimitError {
    const { line, col } = this.position(offset)
    return new LimitError(limit, message, { file: this.file, line, col, frame: codeFrame(this.text, line, col), limits })
  }

  unsupported(construct: string, offset: number): TemplateError {
    return this.error(`${inlineCode(construct)} is not supported by the ERB subset`, offset, SUBSET_HINT)
  }
}

/** Markdown-style inline code; code that itself holds a backtick gets double backticks. */
export function inlineCode(code: string): string {
  return code.includes('`') ? `\`\` ${code} \`\`` : `\`${code}\``
}

interface Span {
  start: number
  end: number
}

/** A block parameter: a name, or `(k, v)` that takes an array apart. */
export type Param = string | Param[]

/** `{ |a, b| body }` or `do |a, b| body end` inside one tag. */
export interface Block {
  params: Param[]
  /** Opened with `{` (closed by `}`), not `do`. */
  brace?: boolean
  body: Expr
}

export type BinaryOperator =
  | '==' | '!=' | '&&' | '||' | '<' | '<=' | '>' | '>=' | '<=>' | '===' | '=~' | '!~'
  | '+' | '-' | '*' | '/' | '%' | '**' | '<<' | '&' | '|'

export type Expr = Span &
  (
    | { type: 'literal'; value: Value }
    | { type: 'string'; parts: (string | Expr)[] }
    | { type: 'symbol'; parts: (string | Expr)[] }
    | { type: 'regexp'; regexp: RubyRegexp }
    | { type: 'array'; items: Expr[] }
    | { type: 'hash'; pairs: [Expr, Expr][] }
    | { type: 'range'; first: Expr | null; last: Expr | null; exclusive: boolean }
    | { type: 'variable'; name: string }
    /** `ENV`, or a module whose methods the subset has (`Base64`). */
    | { type: 'constant'; name: string }
    /**
     * `.name`, `.name(args)`, `&.name`; no receiver for `format(...)` and `raise`. Without parentheses a
     * hash's key answers when no method has the name.
     */
    | { type: 'call'; object: Expr | null; name: string; nameAt: number; args?: Expr[]; block?: Block; safe: boolean }
    | { type: 'index'; object: Expr; args: Expr[]; bracketAt: number }
    | { type: 'not'; operand: Expr }
    | { type: 'negate'; operand: Expr }
    | { type: 'binary'; operator: BinaryOperator; left: Expr; right: Expr; operatorAt: number }
    | { type: 'ternary'; condition: Expr; then: Expr; otherwise: Expr }
    | { type: 'assign'; target: Expr & { type: 'variable' | 'index' }; operator: string; value: Expr; operatorAt: number }
    | { type: 'sequence'; items: Expr[] }
    | { type: 'if'; branches: { condition: Expr; negate: boolean; body: Expr }[]; otherwise?: Expr }
    /** `next`/`break` in a block: leave this call of the block, or the method that calls it. */
    | { type: 'jump'; jump: 'next' | 'break'; value: Expr | null }
  )

export type Statement =
  | { kind: 'none' }
  | { kind: 'if'; condition: Expr; at: number }
  | { kind: 'unless'; condition: Expr; at: number }
  | { kind: 'elsif'; condition: Expr; at: number }
  | { kind: 'else'; at: number }
  /** `brace`: `<% } %>`, which closes a `{ |x| %>` block only. */
  | { kind: 'end'; at: number; brace?: boolean }
  | { kind: 'case'; subject: Expr | null; at: number }
  | { kind: 'when'; patterns: Expr[]; at: number }
  | { kind: 'for'; params: Param[]; iterable: Expr; at: number }
  /** `<% call do |x| %>` … `<% end %>`: the block's body is template. */
  | { kind: 'block'; call: Expr & { type: 'call' }; params: Param[]; brace: boolean; at: number }
  | { kind: 'code'; expr: Expr }

/** `<%= code %>`: one or more statements, the last one printed. */
export function parseOutput(source: TemplateSource, start: number, end: number): Expr {
  const parser = new Parser(source, start, end)
  const expr = parser.statements(() => parser.token.kind === 'eof')
  parser.expectEndOfTag()
  return expr
}

/** `<% code %>`: a control statement that opens or continues a block, or code run for its effect. */
export function parseStatement(source: TemplateSource, start: number, end: number): Statement {
  const parser = new Parser(source, start, end)
  const first = parser.token
  if (first.kind === 'eof') return { kind: 'none' }
  if (first.kind === 'ident') {
    switch (first.text) {
      case 'if':
      case 'unless':
      case 'elsif': {
        const kind = first.text
        parser.advance()
        const condition = parser.expression()
        if (parser.isKeyword('then')) parser.advance()
        if (parser.token.kind !== 'eof' && kind !== 'elsif') {
          parser.reset(start)
          break
        }
        parser.expectEndOfTag()
        return { kind, condition, at: first.start }
      }
      case 'else':
      case 'end': {
        const kind = first.text as 'else' | 'end'
        parser.advance()
        if (kind === 'else' && parser.isKeyword('if')) {
          throw source.error('`else if` opens a new `if`; Ruby writes `elsif`', first.start, SUBSET_HINT)
        }
        parser.expectEndOfTag()
        return { kind, at: first.start }
      }
      case 'case': {
        parser.advance()
        const subject = parser.atEndOfTag() ? null : parser.expression()
        if (!parser.atEndOfTag()) {
          parser.reset(start)
          break
        }
        return { kind: 'case', subject, at: first.start }
      }
      case 'when': {
        parser.advance()
        const patterns = parser.list(() => parser.token.kind === 'eof' || parser.isKeyword('then'))
        if (parser.isKeyword('then')) parser.advance()
        parser.expectEndOfTag()
        return { kind: 'when', patterns, at: first.start }
      }
      case 'for': {
        parser.advance()
        const params = parser.names(() => parser.isKeyword('in'))
        if (!parser.isKeyword('in')) throw parser.unexpected('`in`')
        parser.advance()
        const iterable = parser.expression()
        if (parser.isKeyword('do')) parser.advance()
        parser.expectEndOfTag()
        return { kind: 'for', params, iterable, at: first.start }
      }
    }
  }
  if (first.kind === 'punct' && first.text === '}') {
    // `<% } %>` closes a `{ |x| %>` block that spans tags, as `<% end %>` closes `do`.
    parser.advance()
    parser.expectEndOfTag()
    return { kind: 'end', at: first.start, brace: true }
  }
  const expr = parser.statements(() => parser.token.kind === 'eof', true)
  parser.expectEndOfTag()
  if (expr.type === 'call' && expr.block && expr.block.body === OPEN_BODY) {
    const { block, ...call } = expr
    return { kind: 'block', call: { ...call, block: undefined }, params: block.params, brace: block.brace === true, at: expr.nameAt }
  }
  return { kind: 'code', expr }
}

/** The parameter of `&:name`'s block: no template can name it. */
const BLOCK_PASS_PARAM = '&'

/** The body of a `do` block that the tag leaves open: the template up to `<% end %>` is the body. */
const OPEN_BODY: Expr = { type: 'literal', value: null, start: 0, end: 0 }

type Token = Span & { text: string } & (
    | { kind: 'ident' | 'punct' | 'other' | 'eof' }
    | { kind: 'number'; value: bigint | number }
    | { kind: 'string' | 'symbol'; parts: (string | Expr)[] }
    | { kind: 'regexp'; regexp: RubyRegexp }
    | { kind: 'words'; words: string[]; symbols: boolean }
  )

const SUPPORTED_KEYWORDS = new Set([
  ...['if', 'elsif', 'else', 'unless', 'end', 'do', 'then', 'true', 'false', 'nil', 'and', 'or', 'not'],
  ...['case', 'when', 'for', 'in', 'next', 'break'],
])
const RUBY_KEYWORDS = new Set([
  ...SUPPORTED_KEYWORDS,
  ...['alias', 'begin', 'BEGIN', 'class', 'def', 'defined?', 'END', 'ensure', 'module'],
  ...['redo', 'rescue', 'retry', 'return', 'self', 'super', 'undef', 'until', 'while', 'yield'],
  ...['__FILE__', '__LINE__', '__ENCODING__', '__method__'],
])
/** Keywords after which a value has ended: `/` after them divides. */
const VALUE_KEYWORDS = new Set(['end', 'nil', 'true', 'false', 'self', '__FILE__', '__LINE__', '__method__'])
/** Ruby constants are not variables: `ENV` is given (cluster.yml.erb reads it), `Base64` has its functions. */
const PROVIDED_CONSTANTS = new Set(['ENV'])
const MODULES: Record<string, readonly string[]> = {
  Base64: ['strict_encode64', 'encode64', 'decode64', 'strict_decode64', 'urlsafe_encode64', 'urlsafe_decode64'],
  JSON: ['generate', 'pretty_generate', 'dump'],
}
/** Functions called without a receiver. */
const FUNCTIONS = new Set(['format', 'sprintf', 'raise', 'Integer', 'Float', 'String', 'Array'])
// Longest first, so `==` wins over `=`; the ones the parser does not take lex whole for a precise error.
const OPERATORS = [
  ...['**=', '<=>', '===', '...', '||=', '&&=', '<<=', '>>='],
  ...['**', '==', '!=', '>=', '<=', '&&', '||', '<<', '>>', '=~', '!~', '..', '::', '=>', '->'],
  ...['+=', '-=', '*=', '/=', '%=', '|=', '&=', '^=', '&.'],
]
/** Operators the lexer knows and the parser never takes: refused by name. */
const UNSUPPORTED_OPERATORS = new Set(['**=', '<<=', '>>=', '|=', '&=', '^=', '>>', '^', '~', '->', '::'])
const SINGLE_PUNCTUATION = '.[](),|!-+*/%<>=?:{}&;^~'
const IDENT = /[A-Za-z_][A-Za-z0-9_]*(?:[?!](?![=~]))?/y
const NUMBER = /[0-9][0-9_]*(\.[0-9][0-9_]*)?([eE][+-]?[0-9]+)?/y
const RADIX_NUMBER = /0(?:[xX][0-9a-fA-F_]+|[bB][01_]+|[oO]?[0-7_]+)(?![0-9])/y
/** `File`, `File.read`, `Kernel::exit`: what the error message quotes. */
const CONSTANT_USE = /[A-Z]\w*(?:(?:\.|::)[A-Za-z_]\w*[?!]?)?/y
const SYMBOL = /:(?:[A-Za-z_][A-Za-z0-9_]*[?!=]?|\[\]=?|<=>|===?|=~|[<>]=?|[+\-*/%!~^&|]|\*\*)/y
const SIGIL = /[@$]{1,2}[A-Za-z0-9_]*/y
const WORDS = /%([wWiI])([([{<|!/])/y
const ESCAPES: Record<string, string> = {
  n: '\n', t: '\t', r: '\r', '0': '\0', s: ' ', e: '\x1b', a: '\x07', b: '\b', f: '\f', v: '\v',
}
const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' }
/** Operators the parser takes, loosest first; `==` and its kin do not chain. */
const BINARY_LEVELS: readonly (readonly BinaryOperator[])[] = [
  ['||'], ['&&'], ['==', '!=', '=~', '!~', '===', '<=>'], ['<', '<=', '>', '>='], ['|'], ['&'], ['<<'], ['+', '-'],
  ['*', '/', '%'],
]
const NON_ASSOCIATIVE = 2
const ASSIGNMENTS = new Set(['=', '||=', '&&=', '+=', '-=', '*=', '/=', '%=', '<<='])

class Parser {
  token!: Token
  private previousEnd = 0
  /** A `&:name` read among the arguments, for the call they belong to. */
  private blockPass: Block | undefined
  /** Whether the token before could end a value: then `/` divides and `[` indexes. */
  private afterValue = false

  constructor(
    private readonly source: TemplateSource,
    start: number,
    private readonly end: number,
  ) {
    this.reset(start)
  }

  reset(start: number): void {
    this.previousEnd = start
    this.afterValue = false
    this.token = this.lex(start)
  }

  advance(): void {
    this.previousEnd = this.token.end
    const { kind, text } = this.token
    const isOperatorKeyword = kind === 'ident' && RUBY_KEYWORDS.has(text) && !VALUE_KEYWORDS.has(text)
    this.afterValue = (['ident', 'number', 'string', 'symbol', 'regexp', 'words'].includes(kind) && !isOperatorKeyword) ||
      [')', ']', '}'].includes(text)
    this.token = this.lex(this.token.end)
  }

  /** Resumes lexing at `offset`, inside the current token (the `:` after a hash label). */
  private skipTo(offset: number): void {
    this.previousEnd = offset
    this.afterValue = false
    this.token = this.lex(offset)
  }

  isKeyword(word: string): boolean {
    return this.token.kind === 'ident' && this.token.text === word
  }

  private isPunct(text: string, token = this.token): boolean {
    return token.kind === 'punct' && token.text === text
  }

  /** A newline between the previous token and this one ends a statement in Ruby. */
  private newlineBefore(): boolean {
    return this.source.text.slice(this.previousEnd, this.token.start).includes('\n')
  }

  private expect(text: string): void {
    if (!this.isPunct(text)) throw this.unexpected(`\`${text}\``)
    this.advance()
  }

  /** A method, so that TypeScript does not narrow `token` across `advance()`. */
  atEndOfTag(): boolean {
    return this.token.kind === 'eof'
  }

  expectEndOfTag(): void {
    if (this.token.kind !== 'eof') throw this.unexpected('the end of the tag')
  }

  /** Statements separated by `;` or newlines, up to `done()`; their value is the last one's. */
  statements(done: () => boolean, openBlockAllowed = false, closer?: string): Expr {
    const items: Expr[] = []
    const start = this.token.start
    for (let separated = true; ; separated = false) {
      while (this.isPunct(';')) {
        this.advance()
        separated = true
      }
      if (done()) break
      if (closer && this.atEndOfTag()) throw this.unexpected(closer)
      if (!separated && !this.newlineBefore()) throw this.unexpected(closer ?? 'the end of the tag')
      items.push(this.modified(this.expression(openBlockAllowed)))
    }
    if (items.length === 1) return items[0]!
    if (items.length === 0) {
      if (this.token.kind === 'eof') throw this.unexpected('an expression')
      return { type: 'literal', value: null, start, end: start }
    }
    return { type: 'sequence', items, start, end: this.previousEnd }
  }

  /** `statement if condition`, `statement unless condition` (repeatable, as in Ruby). */
  private modified(statement: Expr): Expr {
    let expr = statement
    while ((this.isKeyword('if') || this.isKeyword('unless')) && !this.newlineBefore()) {
      const negate = this.token.text === 'unless'
      this.advance()
      const condition = this.expression()
      expr = { type: 'if', branches: [{ condition, negate, body: expr }], start: expr.start, end: condition.end }
    }
    return expr
  }

  /** Ruby's precedence, loosest first: `and`/`or`, `not`, assignment, `? :`, `..`, `||` … `*`, unary, `.`. */
  expression(openBlockAllowed = false): Expr {
    let left = this.notExpression(openBlockAllowed)
    while ((this.isKeyword('and') || this.isKeyword('or')) && !this.newlineBefore()) {
      const operator = this.token.text === 'and' ? '&&' : '||'
      const operatorAt = this.token.start
      this.advance()
      const right = this.notExpression(false)
      left = { type: 'binary', operator, left, right, operatorAt, start: left.start, end: right.end }
    }
    return left
  }

  private notExpression(openBlockAllowed: boolean): Expr {
    if (!this.isKeyword('not')) return this.assignment(openBlockAllowed)
    const start = this.token.start
    this.advance()
    const operand = this.notExpression(false)
    return { type: 'not', operand, start, end: operand.end }
  }

  private assignment(openBlockAllowed: boolean): Expr {
    const target = this.ternary(openBlockAllowed)
    const operator = this.token
    const isAssignment = (operator.kind === 'punct' || operator.kind === 'other') && ASSIGNMENTS.has(operator.text)
    if (!isAssignment || this.newlineBefore()) return target
    if (target.type !== 'variable' && target.type !== 'index') {
      throw this.source.unsupported(`${this.source.text.slice(target.start, target.end)} ${operator.text}`, operator.start)
    }
    this.advance()
    const value = this.assignment(false)
    return { type: 'assign', target, operator: operator.text, value, operatorAt: operator.start, start: target.start, end: value.end }
  }

  private ternary(openBlockAllowed: boolean): Expr {
    const condition = this.range(openBlockAllowed)
    if (!this.isPunct('?') || this.newlineBefore()) return condition
    this.advance()
    const then = this.ternary(false)
    this.expect(':')
    const otherwise = this.ternary(false)
    return { type: 'ternary', condition, then, otherwise, start: condition.start, end: otherwise.end }
  }

  private range(openBlockAllowed: boolean): Expr {
    const first = this.binary(0, openBlockAllowed)
    if (!(this.token.text === '..' || this.token.text === '...') || this.token.kind !== 'punct' || this.newlineBefore()) {
      return first
    }
    const exclusive = this.token.text === '...'
    this.advance()
    const endless = this.atEndOfTag() || this.isPunct(')') || this.isPunct(']')
    const last = endless ? null : this.binary(0, false)
    return { type: 'range', first, last, exclusive, start: first.start, end: this.previousEnd }
  }

  private binary(level: number, openBlockAllowed: boolean): Expr {
    const operators = BINARY_LEVELS[level]
    if (!operators) return this.unary(openBlockAllowed)
    let left = this.binary(level + 1, openBlockAllowed)
    while (this.token.kind === 'punct' && operators.includes(this.token.text as BinaryOperator) && !this.newlineBefore()) {
      const operator = this.token.text as BinaryOperator
      const operatorAt = this.token.start
      this.advance()
      const right = this.binary(level + 1, false)
      left = { type: 'binary', operator, left, right, operatorAt, start: left.start, end: right.end }
      if (level === NON_ASSOCIATIVE) break
    }
    return left
  }

  private unary(openBlockAllowed: boolean): Expr {
    const start = this.token.start
    if (this.isPunct('!')) {
      this.advance()
      const operand = this.unary(false)
      return { type: 'not', operand, start, end: operand.end }
    }
    if (this.isPunct('-')) {
      const next = this.lex(this.token.end)
      if (next.kind === 'number' && next.start === this.token.end) {
        // `-2.abs` is 2: a minus sign is part of the number it touches.
        this.advance()
        this.advance()
        if (this.isPunct('**')) {
          // `-2 ** 2` is -(2 ** 2).
          const operand = this.power({ type: 'literal', value: next.value, start: next.start, end: next.end })
          return { type: 'negate', operand, start, end: operand.end }
        }
        const value = typeof next.value === 'bigint' ? -next.value : -next.value
        return this.power(this.postfix({ type: 'literal', value, start, end: next.end }, openBlockAllowed))
      }
      this.advance()
      const operand = this.unary(false)
      return { type: 'negate', operand, start, end: operand.end }
    }
    return this.power(this.postfix(this.primary(), openBlockAllowed))
  }

  private power(base: Expr): Expr {
    if (!this.isPunct('**') || this.newlineBefore()) return base
    const operatorAt = this.token.start
    this.advance()
    const right = this.unary(false)
    return { type: 'binary', operator: '**', left: base, right, operatorAt, start: base.start, end: right.end }
  }

  private postfix(initial: Expr, openBlockAllowed: boolean): Expr {
    let expr = initial
    for (;;) {
      const safe = this.isPunct('&.')
      if (this.isPunct('.') || safe) {
        this.advance()
        const name = this.token
        if (name.kind !== 'ident') throw this.unexpected('a method or key name')
        this.advance()
        const args = this.callArguments() ?? this.commandArguments()
        const blockPass = this.blockPass
        this.blockPass = undefined
        const block = blockPass ?? this.block(openBlockAllowed)
        expr = { type: 'call', object: expr, name: name.text, nameAt: name.start, args, block, safe, start: expr.start, end: this.previousEnd }
        if (block?.body === OPEN_BODY) return expr
      } else if (this.isPunct('[') && !this.newlineBefore() && this.previousEnd === this.token.start) {
        const bracketAt = this.token.start
        this.advance()
        const args = this.list(() => this.isPunct(']'), false, '`]`')
        if (args.length === 0) throw this.unexpected('an index')
        this.expect(']')
        expr = { type: 'index', object: expr, args, bracketAt, start: expr.start, end: this.previousEnd }
      } else {
        return expr
      }
    }
  }

  /** `(a, b)` right after a method name; none at all is `undefined`. */
  private callArguments(): Expr[] | undefined {
    if (!this.isPunct('(') || this.previousEnd !== this.token.start) return undefined
    this.advance()
    const args = this.list(() => this.isPunct(')'), true, '`)`')
    this.expect(')')
    return args
  }

  /** `x.include? 'a'`: arguments without parentheses, on the same line, after a blank. */
  private commandArguments(): Expr[] | undefined {
    const token = this.token
    const startsArgument = token.kind === 'string' || token.kind === 'number' || token.kind === 'symbol' ||
      token.kind === 'regexp' || token.kind === 'words' || (token.kind === 'ident' && !RUBY_KEYWORDS.has(token.text))
    if (!startsArgument || this.previousEnd === token.start || this.newlineBefore()) return undefined
    const args = [this.ternary(false)]
    while (this.isPunct(',')) {
      this.advance()
      args.push(this.ternary(false))
    }
    return args
  }

  /** Comma-separated expressions up to `done()`; a trailing `key: value` list is one hash argument. */
  list(done: () => boolean, allowKeywords = false, closer?: string): Expr[] {
    const items: Expr[] = []
    const pairs: [Expr, Expr][] = []
    const pairsStart = this.token.start
    while (!done()) {
      if (items.length + pairs.length > 0) {
        if (!this.isPunct(',')) throw this.unexpected(closer ? `\`,\` or ${closer}` : '`,`')
        this.advance()
      }
      if (done()) break
      if (allowKeywords && this.isPunct('&')) {
        this.blockPass = this.symbolBlock()
        continue
      }
      const label = allowKeywords ? this.label() : undefined
      if (label) {
        pairs.push([label, this.expression()])
        continue
      }
      const item = this.expression()
      if (allowKeywords && this.isPunct('=>')) {
        this.advance()
        pairs.push([item, this.expression()])
      } else {
        if (pairs.length > 0) throw this.unexpected('`key: value`')
        items.push(item)
      }
    }
    if (pairs.length > 0) items.push({ type: 'hash', pairs, start: pairsStart, end: this.previousEnd })
    return items
  }

  /** `&:name` among a call's arguments: the block `{ |x| x.name }`. */
  private symbolBlock(): Block {
    const ampersand = this.token
    this.advance()
    const symbol = this.token
    if (symbol.kind !== 'symbol' || symbol.start !== ampersand.end || typeof symbol.parts[0] !== 'string' || symbol.parts.length > 1) {
      throw this.source.unsupported('&', ampersand.start)
    }
    this.advance()
    const span = { start: symbol.start, end: symbol.end }
    const receiver: Expr = { type: 'variable', name: BLOCK_PASS_PARAM, ...span }
    return { params: [BLOCK_PASS_PARAM], body: { type: 'call', object: receiver, name: symbol.parts[0], nameAt: symbol.start + 1, safe: false, ...span } }
  }

  /** `name:` in a hash literal or argument list: a Symbol key. */
  private label(): Expr | undefined {
    const token = this.token
    const { text } = this.source
    if (token.kind === 'string' && text[token.end] === ':' && text[token.end + 1] !== ':') {
      this.skipTo(token.end + 1)
      return { type: 'symbol', parts: token.parts, start: token.start, end: token.end + 1 }
    }
    if (token.kind !== 'ident' || text[token.end] !== ':' || text[token.end + 1] === ':') return undefined
    this.skipTo(token.end + 1)
    return { type: 'literal', value: RubySymbol.of(token.text), start: token.start, end: token.end + 1 }
  }

  /** `{ |x| … }` or `do |x| … end` after a call; a `do` whose tag ends at once takes the template as its body. */
  private block(openBlockAllowed: boolean): Block | undefined {
    if (this.isPunct('{')) {
      this.advance()
      const params = this.blockParams()
      if (this.atEndOfTag() && openBlockAllowed) return { params, body: OPEN_BODY, brace: true }
      const body = this.statements(() => this.isPunct('}'), false, '`}`')
      this.expect('}')
      return { params, body }
    }
    if (!this.isKeyword('do')) return undefined
    const at = this.token.start
    this.advance()
    const params = this.blockParams()
    if (this.token.kind === 'eof') {
      if (!openBlockAllowed) throw this.source.unsupported('do … end across tags inside an expression', at)
      return { params, body: OPEN_BODY }
    }
    const body = this.statements(() => this.isKeyword('end') || this.token.kind === 'eof')
    if (!this.isKeyword('end')) throw this.unexpected('`end`')
    this.advance()
    return { params, body }
  }

  private primary(): Expr {
    const token = this.token
    const start = token.start
    switch (token.kind) {
      case 'number':
        this.advance()
        return { type: 'literal', value: token.value, start, end: token.end }
      case 'string':
      case 'symbol':
        this.advance()
        return { type: token.kind, parts: token.parts, start, end: token.end }
      case 'regexp':
        this.advance()
        return { type: 'regexp', regexp: token.regexp, start, end: token.end }
      case 'words': {
        this.advance()
        const items: Expr[] = token.words.map((word) => token.symbols
          ? { type: 'literal', value: RubySymbol.of(word), start, end: token.end }
          : { type: 'string', parts: [word], start, end: token.end })
        return { type: 'array', items, start, end: token.end }
      }
    }
    if (this.isPunct('(')) {
      this.advance()
      const inner = this.statements(() => this.isPunct(')'), false, '`)`')
      this.expect(')')
      return { ...inner, start, end: this.previousEnd }
    }
    if (this.isPunct('[')) {
      this.advance()
      const items = this.list(() => this.isPunct(']'), false, '`]`')
      this.expect(']')
      return { type: 'array', items, start, end: this.previousEnd }
    }
    if (this.isPunct('{')) {
      this.advance()
      const items = this.list(() => this.isPunct('}'), true, '`}`')
      const hash = items.at(-1)
      if (items.length > 1 || (hash && hash.type !== 'hash')) throw this.source.error('a hash literal holds `key => value` or `key: value` pairs', items[0]!.start, SUBSET_HINT)
      this.expect('}')
      return { type: 'hash', pairs: hash?.type === 'hash' ? hash.pairs : [], start, end: this.previousEnd }
    }
    if (this.isPunct('..') || this.isPunct('...')) {
      const exclusive = token.text === '...'
      this.advance()
      const last = this.binary(0, false)
      return { type: 'range', first: null, last, exclusive, start, end: last.end }
    }
    if (token.kind !== 'ident') throw this.unexpected('an expression')
    const name = token.text
    if (name === 'true' || name === 'false' || name === 'nil') {
      this.advance()
      return { type: 'literal', value: name === 'nil' ? null : name === 'true', start, end: token.end }
    }
    if (name === 'if' || name === 'unless') return this.ifExpression()
    if (name === 'case') return this.caseExpression()
    if (name === 'next' || name === 'break') {
      this.advance()
      const ends = this.atEndOfTag() || this.newlineBefore() || this.isPunct(';') || this.isPunct('}') ||
        this.isKeyword('if') || this.isKeyword('unless') || this.isKeyword('end')
      const value = ends ? null : this.expression()
      return { type: 'jump', jump: name, value, start, end: this.previousEnd }
    }
    if (/^[A-Z]\w*(Error|Exception)$/.test(name) && !this.isPunct('.', this.lex(token.end))) {
      this.advance()
      return { type: 'literal', value: RubyClass.of(name), start, end: token.end }
    }
    if (SUPPORTED_KEYWORDS.has(name)) throw this.unexpected('an expression')
    if (RUBY_KEYWORDS.has(name)) throw this.source.unsupported(name, start)
    const following = this.lex(token.end)
    const isFunction = FUNCTIONS.has(name) && (/^[a-z]/.test(name) || (this.isPunct('(', following) && following.start === token.end))
    if (Object.hasOwn(RubyClass.KINDS, name) && !isFunction && !this.isPunct('.', following) && !this.isPunct('::', following)) {
      this.advance()
      return { type: 'literal', value: RubyClass.of(name), start, end: token.end }
    }
    if (/^[A-Z]/.test(name) && !PROVIDED_CONSTANTS.has(name) && !isFunction) {
      const methods = MODULES[name]
      const method = this.lex(following.end)
      if (methods && this.isPunct('.', following) && method.kind === 'ident' && methods.includes(method.text)) {
        this.advance()
        return { type: 'constant', name, start, end: token.end }
      }
      CONSTANT_USE.lastIndex = start
      throw this.source.unsupported(CONSTANT_USE.exec(this.source.text)![0], start)
    }
    if (isFunction) return this.functionCall()
    if (this.isPunct('(', following) && following.start === token.end) throw this.source.unsupported(`${name}(…)`, start)
    const isCommandCall =
      following.start > token.end && !this.source.text.slice(token.end, following.start).includes('\n') &&
      (following.kind === 'string' || following.kind === 'number' || following.kind === 'symbol' ||
        (following.kind === 'ident' && !RUBY_KEYWORDS.has(following.text)))
    if (isCommandCall) throw this.source.unsupported(name, start)
    this.advance()
    return { type: 'variable', name, start, end: token.end }
  }

  /** `format('%d', n)`, `Integer(x)`, `raise 'message'` (with or without parentheses). */
  private functionCall(): Expr {
    const token = this.token
    this.advance()
    const args = this.callArguments() ?? this.commandArguments() ?? []
    if (args.length === 0 && token.text !== 'raise') throw this.unexpected('`(`')
    return { type: 'call', object: null, name: token.text, nameAt: token.start, args, safe: false, start: token.start, end: this.previousEnd }
  }

  /** `if a then b elsif c then d else e end` inside one tag. */
  private ifExpression(): Expr {
    const start = this.token.start
    const branches: { condition: Expr; negate: boolean; body: Expr }[] = []
    let otherwise: Expr | undefined
    let keyword = this.token.text
    for (;;) {
      this.advance()
      if (keyword === 'else') {
        otherwise = this.statements(() => this.isKeyword('end') || this.token.kind === 'eof')
      } else {
        const condition = this.expression()
        if (this.isKeyword('then')) this.advance()
        const body = this.statements(() => ['elsif', 'else', 'end'].some((word) => this.isKeyword(word)) || this.token.kind === 'eof')
        branches.push({ condition, negate: keyword === 'unless', body })
      }
      if (this.token.kind === 'eof') throw this.unexpected('`end`')
      keyword = this.token.text
      if (keyword === 'end') break
      if (otherwise || (keyword === 'elsif' && branches[0]!.negate)) throw this.unexpected('`end`')
    }
    this.advance()
    return { type: 'if', branches, otherwise, start, end: this.previousEnd }
  }

  /** `case x when a, b then … else … end` inside one tag: an `if` over `===` tests. */
  private caseExpression(): Expr {
    const start = this.token.start
    this.advance()
    const subject = this.isKeyword('when') ? null : this.expression()
    const branches: { condition: Expr; negate: boolean; body: Expr }[] = []
    let otherwise: Expr | undefined
    while (this.isKeyword('when')) {
      this.advance()
      const patterns = this.list(() => this.isKeyword('then') || this.newlineBefore() || this.atEndOfTag())
      if (this.isKeyword('then')) this.advance()
      const body = this.statements(() => ['when', 'else', 'end'].some((word) => this.isKeyword(word)) || this.atEndOfTag())
      const tests = patterns.map((pattern): Expr => subject
        ? { type: 'binary', operator: '===', left: pattern, right: subject, operatorAt: pattern.start, start: pattern.start, end: pattern.end }
        : pattern)
      const condition = tests.reduce((left, right): Expr =>
        ({ type: 'binary', operator: '||', left, right, operatorAt: right.start, start: left.start, end: right.end }))
      branches.push({ condition, negate: false, body })
    }
    if (branches.length === 0) throw this.unexpected('`when`')
    if (this.isKeyword('else')) {
      this.advance()
      otherwise = this.statements(() => this.isKeyword('end') || this.atEndOfTag())
    }
    if (!this.isKeyword('end')) throw this.unexpected('`end`')
    this.advance()
    return { type: 'if', branches, otherwise, start, end: this.previousEnd }
  }

  /** `|x|`, `|k, v|` or `|(k, v), i|`; none at all is allowed too. */
  blockParams(): Param[] {
    if (this.isPunct('||')) {
      this.advance()
      return []
    }
    if (!this.isPunct('|')) return []
    this.advance()
    const params = this.names(() => this.isPunct('|'))
    this.expect('|')
    return params
  }

  /** Local variable names separated by commas, up to `done()`; `(a, b)` takes an array apart. */
  names(done: () => boolean): Param[] {
    const names: Param[] = []
    while (!done() && this.token.kind !== 'eof') {
      if (names.length > 0) this.expect(',')
      if (this.isPunct('(')) {
        this.advance()
        names.push(this.names(() => this.isPunct(')')))
        this.expect(')')
        continue
      }
      const name = this.token
      if (name.kind !== 'ident' || RUBY_KEYWORDS.has(name.text) || !/^[a-z_]\w*$/.test(name.text)) {
        throw this.unexpected('a block parameter name')
      }
      names.push(name.text)
      this.advance()
    }
    return names
  }

  unexpected(expected: string): TemplateError {
    const token = this.token
    if (token.kind === 'eof') {
      return this.source.error(`expected ${expected}, found the end of the tag`, token.start, SUBSET_HINT)
    }
    if (token.text === '#') {
      return this.source.error('a Ruby comment inside a code tag is not supported by the ERB subset', token.start,
        'Ruby\'s ERB would comment out the text after the tag too; write comments as `<%# … %>`')
    }
    const isKeyword = token.kind === 'ident' && RUBY_KEYWORDS.has(token.text)
    const isUnsupported = token.kind === 'other' || UNSUPPORTED_OPERATORS.has(token.text)
    if (isUnsupported || (isKeyword && !SUPPORTED_KEYWORDS.has(token.text))) {
      return this.source.unsupported(token.text, token.start)
    }
    if ((token.text === 'if' || token.text === 'unless') && isKeyword && expected === 'the end of the tag') {
      const message = `\`${token.text}\` as a modifier is not supported by the ERB subset`
      return this.source.error(message, token.start, SUBSET_HINT)
    }
    return this.source.error(`unexpected ${inlineCode(token.text)}, expected ${expected}`, token.start, SUBSET_HINT)
  }

  private lex(from: number): Token {
    const { text } = this.source
    const end = this.end
    let pos = from
    while (pos < end && ' \t\r\n'.includes(text[pos]!)) pos++
    // A backslash before a newline continues the line.
    if (text[pos] === '\\' && text[pos + 1] === '\n') return this.lex(pos + 2)
    if (pos >= end) return { kind: 'eof', text: '', start: end, end }
    const char = text[pos]!
    const at = (kind: 'ident' | 'punct' | 'other', length: number): Token =>
      ({ kind, text: text.slice(pos, pos + length), start: pos, end: pos + length })
    // No token runs past the tag's end: that is `%>`, `-%>` or an interpolation's `}`, which none includes.
    const sticky = (pattern: RegExp): RegExpExecArray | null => {
      pattern.lastIndex = pos
      const match = pattern.exec(text)
      return match && match.index + match[0].length <= end ? match : null
    }
    if (char === '"' || char === "'") return this.lexString(pos, char, 'string')
    const radix = sticky(RADIX_NUMBER)
    if (radix) {
      const digits = radix[0].replaceAll('_', '')
      const value = BigInt(/^0[0-7]/.test(digits) ? `0o${digits.slice(1)}` : digits.replace(/^0O/, '0o'))
      return { kind: 'number', value, text: radix[0], start: pos, end: pos + radix[0].length }
    }
    const number = sticky(NUMBER)
    if (number) {
      const digits = number[0].replaceAll('_', '')
      const value = number[1] || number[2] ? Number(digits) : BigInt(digits)
      return { kind: 'number', value, text: number[0], start: pos, end: pos + number[0].length }
    }
    const ident = sticky(IDENT)
    if (ident) return at('ident', ident[0].length)
    if (char === '`') {
      const close = text.indexOf('`', pos + 1)
      return at('other', close !== -1 && close < end ? close + 1 - pos : 1)
    }
    if (char === ':' && text[pos + 1] === '"') {
      const string = this.lexString(pos + 1, '"', 'symbol')
      return { ...string, start: pos, text: text.slice(pos, string.end) }
    }
    if (char === '/' && !this.afterValue) return this.lexRegexp(pos)
    const words = char === '%' && !this.afterValue ? sticky(WORDS) : null
    if (words) return this.lexWords(pos, words[1]!, words[2]!)
    const symbol = text[pos + 1] !== ':' ? sticky(SYMBOL) : null
    if (symbol && !(char === ':' && this.afterValue && text[pos + 1] === ' ')) {
      return { kind: 'symbol', parts: [symbol[0].slice(1)], text: symbol[0], start: pos, end: pos + symbol[0].length }
    }
    const operator = OPERATORS.find((op) => text.startsWith(op, pos))
    if (operator) return at(operator === '->' || operator === '::' ? 'other' : 'punct', operator.length)
    const sigil = sticky(SIGIL)
    if (sigil) return at('other', sigil[0].length)
    if (SINGLE_PUNCTUATION.includes(char)) return at('punct', 1)
    return at('other', String.fromCodePoint(text.codePointAt(pos)!).length)
  }

  private lexString(start: number, quote: string, kind: 'string' | 'symbol', close = quote, interpolate = quote === '"'): Token {
    const { text } = this.source
    const parts: (string | Expr)[] = []
    let literal = ''
    let pos = start + 1
    while (pos < this.end) {
      const char = text[pos]!
      if (char === close) {
        parts.push(literal)
        return { kind, parts, text: text.slice(start, pos + 1), start, end: pos + 1 }
      }
      if (text.startsWith('%%>', pos)) {
        // ERB's own escape: the tag did not end here, and the code sees `%>`.
        literal += '%>'
        pos += 3
      } else if (char === '\\') {
        const [unescaped, length] = interpolate ? unescapeDouble(text, pos + 1) : unescapeSingle(text[pos + 1]!, close)
        if (unescaped === undefined) {
          throw this.source.error('invalid Unicode code point (too large)', pos, 'Unicode ends at \\u{10FFFF}')
        }
        literal += unescaped
        pos += 1 + length
      } else if (interpolate && text.startsWith('#{', pos)) {
        parts.push(literal)
        literal = ''
        const closing = this.interpolationEnd(pos)
        parts.push(parseOutput(this.source, pos + 2, closing))
        pos = closing + 1
      } else {
        literal += char
        pos++
      }
    }
    throw this.source.error('unterminated string literal', start,
      'ERB ends a tag at the first `%>`, even inside a string; write `%%>` for a literal `%>`')
  }

  /** `/pattern/flags`, without interpolation; ./regexp.ts refuses what could backtrack for minutes. */
  private lexRegexp(start: number): Token {
    const { text } = this.source
    let pos = start + 1
    let inClass = false
    for (; pos < this.end; pos++) {
      const char = text[pos]!
      if (char === '\\') pos++
      else if (char === '[') inClass = true
      else if (char === ']') inClass = false
      else if (char === '/' && !inClass) break
      else if (char === '#' && text[pos + 1] === '{') throw this.source.unsupported('#{…} in a regexp', pos)
    }
    if (pos >= this.end) throw this.source.error('unterminated regexp literal', start, 'close it with `/`')
    const flags = /^[mix]*/.exec(text.slice(pos + 1, this.end))![0]
    const source = text.slice(start + 1, pos)
    const tokenEnd = pos + 1 + flags.length
    const regexp = compileRegexp(source, flags, (message, offset) => this.source.error(message, start + 1 + offset,
      'the ERB subset takes regexps that cannot backtrack without bound: no backreferences, lookaround, ' +
      'or repetition of a group that itself repeats or alternates'))
    return { kind: 'regexp', regexp, text: text.slice(start, tokenEnd), start, end: tokenEnd }
  }

  /** `%w(a b)`, `%i[a b]`: words split on blanks. */
  private lexWords(start: number, letter: string, open: string): Token {
    const { text } = this.source
    const close = CLOSERS[open] ?? open
    const closeAt = text.indexOf(close, start + 3)
    if (closeAt === -1 || closeAt >= this.end) throw this.source.error(`unterminated %${letter} literal`, start, `close it with \`${close}\``)
    const body = text.slice(start + 3, closeAt)
    if (body.includes('\\') || (letter === letter.toUpperCase() && body.includes('#{'))) {
      throw this.source.unsupported(`%${letter} with escapes or interpolation`, start)
    }
    const words = body.split(/[ \t\r\n]+/).filter(Boolean)
    return { kind: 'words', words, symbols: letter.toLowerCase() === 'i', text: text.slice(start, closeAt + 1), start, end: closeAt + 1 }
  }

  /** The offset of the `}` that closes the `#{` at `open`, counting the braces of hashes and blocks inside. */
  private interpolationEnd(open: number): number {
    let depth = 0
    for (let token = this.lex(open + 2); token.kind !== 'eof'; token = this.lex(token.end)) {
      if (token.text === '{') depth++
      else if (token.text === '}' && depth-- === 0) return token.start
    }
    throw this.source.error('unterminated `#{` in a string', open, 'close the interpolation with `}`')
  }
}

function unescapeSingle(next: string, quote: string): [string, number] {
  return [next === '\\' || next === quote ? next : `\\${next}`, 1]
}

/** The text an escape stands for (none for a code point past Unicode, which Ruby refuses) and its length. */
function unescapeDouble(text: string, at: number): [string | undefined, number] {
  const next = text[at]!
  const unicode = /^u(?:\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{4}))/.exec(text.slice(at, at + 9))
  if (unicode) {
    const codePoint = parseInt(unicode[1] ?? unicode[2]!, 16)
    return [codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : undefined, unicode[0].length]
  }
  const hex = /^x([0-9a-fA-F]{1,2})/.exec(text.slice(at, at + 3))
  if (hex) return [String.fromCharCode(parseInt(hex[1]!, 16)), hex[0].length]
  if (next === '\n') return ['', 1]
  return [ESCAPES[next] ?? next, 1]
}
