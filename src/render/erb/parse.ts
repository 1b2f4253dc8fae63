/**
 * The code inside ERB tags: a lexer and a recursive-descent parser for the subset of Ruby that design §5
 * allows. Both work on offsets into the whole template, so every error points at the template's own line
 * and column, not at a position inside the tag.
 */
import { codeFrame, TemplateError } from '../../errors.js'
import { LimitError, type LimitName, type Limits } from '../../limits.js'

export const LIQUID_HINT = 'for anything more, write the file as a Liquid template (.yml.liquid)'
export const SUBSET_HINT =
  'the ERB subset has <%= expr %>, <% if/elsif/else/unless/end %>, <% xs.each do |x| %>, paths (a.b, ' +
  "a['key'], a[0]), string/number/true/false/nil literals, ==, !=, &&, ||, ! and the methods to_json, to_s, " +
  `to_i, join, empty?, nil?, size, length, upcase, downcase, first, last, key?, fetch; ${LIQUID_HINT}`

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

export type Expr = Span &
  (
    | { type: 'literal'; value: string | number | boolean | null }
    | { type: 'string'; parts: (string | Expr)[] }
    | { type: 'variable'; name: string }
    /** `.name` or `.name(args)`: a method, or a key of a hash when there are no parentheses. */
    | { type: 'call'; object: Expr; name: string; nameAt: number; args?: Expr[] }
    | { type: 'index'; object: Expr; key: Expr; bracketAt: number }
    | { type: 'not'; operand: Expr }
    | { type: 'binary'; operator: '==' | '!=' | '&&' | '||'; left: Expr; right: Expr }
  )

export type Statement =
  | { kind: 'none' }
  | { kind: 'if'; condition: Expr; at: number }
  | { kind: 'unless'; condition: Expr; at: number }
  | { kind: 'elsif'; condition: Expr; at: number }
  | { kind: 'else'; at: number }
  | { kind: 'end'; at: number }
  | { kind: 'each'; iterable: Expr; method: 'each' | 'each_with_index'; params: string[]; at: number }

/** `<%= code %>`: exactly one expression. */
export function parseOutput(source: TemplateSource, start: number, end: number): Expr {
  const parser = new Parser(source, start, end)
  const expr = parser.expression()
  parser.expectEndOfTag()
  return expr
}

/** `<% code %>`: a control statement, or nothing (an empty tag or a comment). */
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
        parser.expectEndOfTag()
        return { kind, condition, at: first.start }
      }
      case 'else':
      case 'end': {
        const kind = first.text
        parser.advance()
        if (kind === 'else' && parser.isKeyword('if')) {
          throw source.error('`else if` opens a new `if`; Ruby writes `elsif`', first.start, SUBSET_HINT)
        }
        parser.expectEndOfTag()
        return { kind, at: first.start }
      }
    }
  }
  const expr = parser.expression()
  if (parser.isKeyword('do')) {
    if (expr.type !== 'call') throw source.unsupported('do', parser.token.start)
    if ((expr.name !== 'each' && expr.name !== 'each_with_index') || expr.args?.length) {
      throw source.unsupported(`${expr.name} do … end`, expr.nameAt)
    }
    parser.advance()
    const params = parser.blockParams()
    parser.expectEndOfTag()
    return { kind: 'each', iterable: expr.object, method: expr.name, params, at: expr.nameAt }
  }
  parser.expectEndOfTag()
  throw source.error(
    'a `<% %>` tag holds if/elsif/else/unless/end or `xs.each do |x|`; print a value with `<%= %>`',
    expr.start,
    SUBSET_HINT,
  )
}

type Token = Span & { text: string } & (
    | { kind: 'ident' | 'punct' | 'other' | 'eof' }
    | { kind: 'number'; value: number }
    | { kind: 'string'; parts: (string | Expr)[] }
  )

const SUPPORTED_KEYWORDS = new Set([
  ...['if', 'elsif', 'else', 'unless', 'end', 'do', 'then', 'true', 'false', 'nil', 'and', 'or', 'not'],
])
const RUBY_KEYWORDS = new Set([
  ...SUPPORTED_KEYWORDS,
  ...['alias', 'begin', 'BEGIN', 'break', 'case', 'class', 'def', 'defined?', 'END', 'ensure', 'for', 'in', 'module'],
  ...['next', 'redo', 'rescue', 'retry', 'return', 'self', 'super', 'undef', 'until', 'when', 'while', 'yield'],
  ...['__FILE__', '__LINE__', '__ENCODING__', '__method__'],
])
/** Ruby constants are not variables; `ENV` is the one the tool provides (cluster.yml.erb reads it). */
const PROVIDED_CONSTANTS = new Set(['ENV'])
// Longest first, so `==` wins over `=`; only some are supported, the rest lex whole for a precise error.
const OPERATORS = [
  ...['**=', '<=>', '===', '...', '||=', '&&=', '<<=', '>>='],
  ...['**', '==', '!=', '>=', '<=', '&&', '||', '<<', '>>', '=~', '!~', '..', '::', '=>', '->'],
  ...['+=', '-=', '*=', '/=', '%=', '|=', '&=', '^=', '&.'],
]
const SUPPORTED_PUNCTUATION = new Set(['==', '!=', '&&', '||', '.', '[', ']', '(', ')', ',', '|', '!', '-'])
const IDENT = /[A-Za-z_][A-Za-z0-9_]*(?:[?!](?!=))?/y
const NUMBER = /[0-9][0-9_]*(\.[0-9][0-9_]*)?([eE][+-]?[0-9]+)?/y
/** `File`, `File.read`, `Kernel::exit`: what the error message quotes. */
const CONSTANT_USE = /[A-Z]\w*(?:(?:\.|::)[A-Za-z_]\w*[?!]?)?/y
const SYMBOL_OR_SIGIL = /(?::[A-Za-z_]|[@$]{1,2})[A-Za-z0-9_]*[?!]?/y
const ESCAPES: Record<string, string> = {
  n: '\n', t: '\t', r: '\r', '0': '\0', s: ' ', e: '\x1b', a: '\x07', b: '\b', f: '\f', v: '\v',
}

class Parser {
  token: Token
  private previousEnd: number

  constructor(
    private readonly source: TemplateSource,
    start: number,
    private readonly end: number,
  ) {
    this.previousEnd = start
    this.token = this.lex(start)
  }

  advance(): void {
    this.previousEnd = this.token.end
    this.token = this.lex(this.token.end)
  }

  isKeyword(word: string): boolean {
    return this.token.kind === 'ident' && this.token.text === word
  }

  private isPunct(text: string, token = this.token): boolean {
    return token.kind === 'punct' && token.text === text
  }

  private expect(text: string): void {
    if (!this.isPunct(text)) throw this.unexpected(`\`${text}\``)
    this.advance()
  }

  expectEndOfTag(): void {
    if (this.token.kind !== 'eof') throw this.unexpected('the end of the tag')
  }

  /** Ruby's precedence, loosest first: `and`/`or`, `not`, `||`, `&&`, `==`/`!=`, `!`, `.`/`[]`. */
  expression(): Expr {
    let left = this.notExpression()
    while (this.isKeyword('and') || this.isKeyword('or')) {
      const operator = this.token.text === 'and' ? '&&' : '||'
      this.advance()
      const right = this.notExpression()
      left = { type: 'binary', operator, left, right, start: left.start, end: right.end }
    }
    return left
  }

  private notExpression(): Expr {
    if (!this.isKeyword('not')) return this.binary(0)
    const start = this.token.start
    this.advance()
    const operand = this.notExpression()
    return { type: 'not', operand, start, end: operand.end }
  }

  private binary(level: number): Expr {
    const operators = [['||'], ['&&'], ['==', '!=']][level]
    if (!operators) return this.unary()
    let left = this.binary(level + 1)
    while (this.token.kind === 'punct' && operators.includes(this.token.text)) {
      const operator = this.token.text as '==' | '!=' | '&&' | '||'
      this.advance()
      const right = this.binary(level + 1)
      left = { type: 'binary', operator, left, right, start: left.start, end: right.end }
      if (level === 2) break // Ruby's == does not chain
    }
    return left
  }

  private unary(): Expr {
    if (!this.isPunct('!')) return this.postfix()
    const start = this.token.start
    this.advance()
    const operand = this.unary()
    return { type: 'not', operand, start, end: operand.end }
  }

  private postfix(): Expr {
    let expr = this.primary()
    for (;;) {
      if (this.isPunct('.')) {
        this.advance()
        const name = this.token
        if (name.kind !== 'ident') throw this.unexpected('a method or key name')
        this.advance()
        let args: Expr[] | undefined
        if (this.isPunct('(')) {
          this.advance()
          args = []
          while (!this.isPunct(')')) {
            if (args.length > 0) this.expect(',')
            args.push(this.expression())
          }
          this.advance()
        }
        const isBlockMethod = name.text === 'each' || name.text === 'each_with_index'
        if (isBlockMethod && !this.isKeyword('do') && !(this.token.kind === 'other' && this.token.text === '{')) {
          const message = `\`${name.text}\` without a \`do |x| … end\` block is not supported by the ERB subset`
          throw this.source.error(message, name.start, SUBSET_HINT)
        }
        const call = { object: expr, name: name.text, nameAt: name.start, args }
        expr = { type: 'call', ...call, start: expr.start, end: this.previousEnd }
      } else if (this.isPunct('[')) {
        const bracketAt = this.token.start
        this.advance()
        const key = this.expression()
        this.expect(']')
        expr = { type: 'index', object: expr, key, bracketAt, start: expr.start, end: this.previousEnd }
      } else {
        return expr
      }
    }
  }

  private primary(): Expr {
    const token = this.token
    const start = token.start
    if (token.kind === 'number' || token.kind === 'string') {
      this.advance()
      return token.kind === 'number'
        ? { type: 'literal', value: token.value, start, end: token.end }
        : { type: 'string', parts: token.parts, start, end: token.end }
    }
    if (this.isPunct('-')) {
      const number = this.lex(token.end)
      if (number.kind !== 'number' || number.start !== token.end) throw this.source.unsupported('-', start)
      this.advance()
      this.advance()
      return { type: 'literal', value: -number.value, start, end: number.end }
    }
    if (this.isPunct('(')) {
      this.advance()
      const inner = this.expression()
      this.expect(')')
      return inner
    }
    if (token.kind !== 'ident') throw this.unexpected('an expression')
    const name = token.text
    if (name === 'true' || name === 'false' || name === 'nil') {
      this.advance()
      return { type: 'literal', value: name === 'nil' ? null : name === 'true', start, end: token.end }
    }
    if (SUPPORTED_KEYWORDS.has(name)) throw this.unexpected('an expression')
    if (RUBY_KEYWORDS.has(name)) throw this.source.unsupported(name, start)
    if (/^[A-Z]/.test(name) && !PROVIDED_CONSTANTS.has(name)) {
      CONSTANT_USE.lastIndex = start
      throw this.source.unsupported(CONSTANT_USE.exec(this.source.text)![0], start)
    }
    const following = this.lex(token.end)
    if (this.isPunct('(', following)) throw this.source.unsupported(`${name}(…)`, start)
    const isCommandCall =
      following.start > token.end &&
      (following.kind === 'string' || following.kind === 'number' ||
        (following.kind === 'ident' && !RUBY_KEYWORDS.has(following.text)))
    if (isCommandCall) throw this.source.unsupported(name, start)
    this.advance()
    return { type: 'variable', name, start, end: token.end }
  }

  /** `|x|` or `|k, v|` after `do`; none at all is allowed too. */
  blockParams(): string[] {
    const params: string[] = []
    if (!this.isPunct('|')) return params
    this.advance()
    while (!this.isPunct('|')) {
      if (params.length > 0) this.expect(',')
      const param = this.token
      if (param.kind !== 'ident' || RUBY_KEYWORDS.has(param.text) || !/^[a-z_]\w*$/.test(param.text)) {
        throw this.unexpected('a block parameter name')
      }
      params.push(param.text)
      this.advance()
    }
    this.advance()
    return params
  }

  private unexpected(expected: string): TemplateError {
    const token = this.token
    if (token.kind === 'eof') {
      return this.source.error(`expected ${expected}, found the end of the tag`, token.start, SUBSET_HINT)
    }
    if (token.text === '#') {
      return this.source.error('a Ruby comment inside a code tag is not supported by the ERB subset', token.start,
        'Ruby\'s ERB would comment out the text after the tag too; write comments as `<%# … %>`')
    }
    const isKeyword = token.kind === 'ident' && RUBY_KEYWORDS.has(token.text)
    if (token.kind === 'other' || (isKeyword && !SUPPORTED_KEYWORDS.has(token.text))) {
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
    if (pos >= end) return { kind: 'eof', text: '', start: end, end }
    const char = text[pos]!
    const at = (kind: 'ident' | 'punct' | 'other', length: number): Token =>
      ({ kind, text: text.slice(pos, pos + length), start: pos, end: pos + length })
    // No token runs past the tag's end: that is `%>`, `-%>` or an interpolation's `}`, which none includes.
    const sticky = (pattern: RegExp): string | undefined => {
      pattern.lastIndex = pos
      return pattern.exec(text)?.[0]
    }
    if (char === '"' || char === "'") return this.lexString(pos)
    const number = sticky(NUMBER)
    if (number !== undefined) {
      const value = Number(number.replaceAll('_', ''))
      return { kind: 'number', value, text: number, start: pos, end: pos + number.length }
    }
    const ident = sticky(IDENT)
    if (ident !== undefined) return at('ident', ident.length)
    if (char === '`') {
      const close = text.indexOf('`', pos + 1)
      return at('other', close !== -1 && close < end ? close + 1 - pos : 1)
    }
    const operator = OPERATORS.find((op) => text.startsWith(op, pos))
    if (operator) return at(SUPPORTED_PUNCTUATION.has(operator) ? 'punct' : 'other', operator.length)
    const symbol = sticky(SYMBOL_OR_SIGIL)
    if (symbol !== undefined) return at('other', symbol.length)
    if (SUPPORTED_PUNCTUATION.has(char)) return at('punct', 1)
    return at('other', String.fromCodePoint(text.codePointAt(pos)!).length)
  }

  private lexString(start: number): Token {
    const { text } = this.source
    const quote = text[start]
    const parts: (string | Expr)[] = []
    let literal = ''
    let pos = start + 1
    while (pos < this.end) {
      const char = text[pos]!
      if (char === quote) {
        parts.push(literal)
        return { kind: 'string', parts, text: text.slice(start, pos + 1), start, end: pos + 1 }
      }
      if (text.startsWith('%%>', pos)) {
        // ERB's own escape: the tag did not end here, and the code sees `%>`.
        literal += '%>'
        pos += 3
      } else if (char === '\\') {
        const [unescaped, length] = quote === "'" ? unescapeSingle(text[pos + 1]!) : unescapeDouble(text, pos + 1)
        if (unescaped === undefined) {
          throw this.source.error('invalid Unicode code point (too large)', pos, 'Unicode ends at \\u{10FFFF}')
        }
        literal += unescaped
        pos += 1 + length
      } else if (quote === '"' && text.startsWith('#{', pos)) {
        parts.push(literal)
        literal = ''
        const close = this.interpolationEnd(pos)
        parts.push(parseOutput(this.source, pos + 2, close))
        pos = close + 1
      } else {
        literal += char
        pos++
      }
    }
    throw this.source.error('unterminated string literal', start,
      'ERB ends a tag at the first `%>`, even inside a string; write `%%>` for a literal `%>`')
  }

  /**
   * The offset of the `}` that closes the `#{` at `open`, skipping nested strings. A `{` inside is not
   * counted: no expression of the subset holds one, and the parser refuses it where it stands.
   */
  private interpolationEnd(open: number): number {
    for (let token = this.lex(open + 2); token.kind !== 'eof'; token = this.lex(token.end)) {
      if (token.text === '}') return token.start
    }
    throw this.source.error('unterminated `#{` in a string', open, 'close the interpolation with `}`')
  }
}

function unescapeSingle(next: string): [string, number] {
  return [next === '\\' || next === "'" ? next : `\\${next}`, 1]
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
