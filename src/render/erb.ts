/**
 * The ERB subset (design §5): Pharos' `*.yml.erb` manifests render as Pharos rendered them, without running
 * Ruby. Pharos called `ERB.new(content, nil, '%<>-')`, which Ruby (2.4/2.5, which Pharos ran on, and 3.x
 * alike) reads as percent lines plus trim mode `-`: its `prepare_trim_mode` checks `-` before `<>`. So we
 * trim as `-` does (`<%-`, `-%>`; a plain `<% %>` line keeps its newline). Percent lines are left out: a line
 * starting with `%` is a YAML directive, and stays text. The template is split into text and tags, control
 * tags are nested into a tree, and expressions are parsed once, here; `render` only walks the tree. Lexing,
 * parsing and evaluation live in `./erb/`.
 */
import { Budget, DEFAULT_LIMITS, type Limits } from '../limits.js'
import { describeKind, evaluate, hashEntries, isTruthy, kindOf, toS, type Scope } from './erb/evaluate.js'
import { parseOutput, parseStatement, TemplateSource, type Expr } from './erb/parse.js'

export interface ErbRenderLimits {
  limits: Limits
  /** The run's `output-size` budget, shared by every template. */
  outputBudget?: Budget
}

export interface ErbTemplate {
  render(context: Record<string, unknown>, limits?: ErbRenderLimits): string
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'output'; expr: Expr }
  | { kind: 'if'; branches: { condition: Expr; negate: boolean; body: Node[] }[]; otherwise?: Node[] }
  | { kind: 'each'; iterable: Expr; method: 'each' | 'each_with_index'; params: string[]; body: Node[] }

interface Tag {
  kind: 'output' | 'code' | 'comment'
  /** Offset of `<%`, where an unclosed tag is reported. */
  open: number
  codeStart: number
  codeEnd: number
}

/**
 * Parses once; throws TemplateError (file, line, col, frame, hint) for syntax outside the subset or an unclosed
 * tag. `render` throws TemplateError too, at the expression, for runtime problems (an undefined key, a method
 * called on nil).
 */
export function compileErb(source: string, file: string): ErbTemplate {
  const template = new TemplateSource(source, file)
  let nodes: Node[]
  try {
    nodes = buildTree(template, scan(template))
  } catch (error) {
    // The parser descends once per nesting level: thousands of parentheses exhaust the stack.
    if (error instanceof RangeError) throw template.error('expression nested too deeply', 0, 'write it with fewer levels of nesting')
    throw error
  }
  return {
    render(context, { limits = DEFAULT_LIMITS, outputBudget = new Budget('output-size', limits) } = { limits: DEFAULT_LIMITS }) {
      const out: string[] = []
      const meter = new RenderMeter(template, limits, outputBudget)
      renderNodes(nodes, { context, locals: new Map() }, template, out, meter)
      return out.join('')
    },
  }
}

/**
 * What a render may spend (design §13): evaluation steps, output and time. A loop over a loop over a loop
 * of a hundred options is a billion steps; each is counted, and the clock is read every few thousand.
 */
class RenderMeter {
  private steps = 0
  /** Where the last step ran: text has no position of its own, the loop that repeats it does. */
  private lastAt = 0
  private readonly deadline: number

  constructor(
    private readonly source: TemplateSource,
    private readonly limits: Limits,
    private readonly outputBudget: Budget,
  ) {
    this.deadline = Date.now() + limits['render-time']
  }

  step(at: number): void {
    this.steps++
    this.lastAt = at
    if (this.steps > this.limits['template-steps']) {
      throw this.source.limitError('template-steps', `${this.steps - 1} evaluation steps and not done`, at, this.limits)
    }
    if ((this.steps & 0x3ff) === 0 && Date.now() > this.deadline) {
      throw this.source.limitError('render-time', 'the template is still rendering', at, this.limits)
    }
  }

  output(text: string, at = this.lastAt): void {
    if (text.length > this.outputBudget.remaining) {
      throw this.source.limitError('output-size', 'the templates render too much output', at, this.limits)
    }
    this.outputBudget.use(text.length, () => 'the templates render too much output')
  }
}

/** Text and tags, with trim mode `-` applied to the text, as Ruby's ERB::Compiler::ExplicitScanner does. */
function scan(source: TemplateSource): (string | Tag)[] {
  const { text } = source
  const pieces: (string | Tag)[] = []
  let literal = ''
  let pos = 0
  for (let open = text.indexOf('<%'); open !== -1; open = text.indexOf('<%', pos)) {
    let before = text.slice(pos, open)
    if (text[open + 2] === '%') {
      literal += `${before}<%`
      pos = open + 3
      continue
    }
    let codeStart = open + 2
    let kind: Tag['kind'] = 'code'
    const marker = text[codeStart]
    if (marker === '-') {
      codeStart++
      // `<%-` drops the blanks before it back to the line start or, as Ruby's StringScanner anchors `^` at
      // its position, back to the end of the previous tag.
      const blanksStart = Math.max(pos, text.lastIndexOf('\n', open) + 1)
      if (/^[ \t]*$/.test(text.slice(blanksStart, open))) before = before.slice(0, blanksStart - pos)
    } else if (marker === '=' || marker === '#') {
      codeStart++
      kind = marker === '=' ? 'output' : 'comment'
    }
    const close = findClose(text, codeStart)
    if (!close) {
      const hint = 'close the tag with `%>`; write `<%%` for a literal `<%`'
      throw source.error('unclosed ERB tag, expected `%>`', open, hint)
    }
    pieces.push(literal + before)
    literal = ''
    pieces.push({ kind, open, codeStart, codeEnd: close.codeEnd })
    pos = close.after
  }
  pieces.push(literal + text.slice(pos))
  return pieces
}

/** The first `%>` or `-%>` (which also eats the newline after it); `%%>` stays inside the tag. */
function findClose(text: string, from: number): { codeEnd: number; after: number } | undefined {
  for (let i = from; i < text.length - 1; i++) {
    if (text.startsWith('%%>', i)) {
      i += 2
    } else if (text.startsWith('-%>', i)) {
      const after = i + 3
      const newline = text.startsWith('\r\n', after) ? 2 : text[after] === '\n' ? 1 : 0
      return { codeEnd: i, after: after + newline }
    } else if (text.startsWith('%>', i)) {
      return { codeEnd: i, after: i + 2 }
    }
  }
  return undefined
}

interface OpenBlock {
  node: Extract<Node, { kind: 'if' | 'each' }>
  keyword: string
  at: number
  parent: Node[]
}

function buildTree(source: TemplateSource, pieces: (string | Tag)[]): Node[] {
  const root: Node[] = []
  const open: OpenBlock[] = []
  let body = root
  for (const piece of pieces) {
    if (typeof piece === 'string') {
      body.push({ kind: 'text', text: piece })
      continue
    }
    if (piece.kind === 'comment') continue
    if (piece.kind === 'output') {
      body.push({ kind: 'output', expr: parseOutput(source, piece.codeStart, piece.codeEnd) })
      continue
    }
    const statement = parseStatement(source, piece.codeStart, piece.codeEnd)
    switch (statement.kind) {
      case 'if':
      case 'unless': {
        const branch = { condition: statement.condition, negate: statement.kind === 'unless', body: [] as Node[] }
        const node: Node = { kind: 'if', branches: [branch] }
        body.push(node)
        open.push({ node, keyword: statement.kind, at: statement.at, parent: body })
        body = branch.body
        break
      }
      case 'each': {
        const { iterable, method, params } = statement
        const node: Node = { kind: 'each', iterable, method, params, body: [] }
        body.push(node)
        open.push({ node, keyword: statement.method, at: statement.at, parent: body })
        body = node.body
        break
      }
      case 'elsif':
      case 'else': {
        const block = open.at(-1)
        const word = `\`${statement.kind}\``
        if (block?.node.kind !== 'if') {
          throw source.error(`${word} without a matching \`if\``, statement.at,
            'start the block with `<% if condition %>`')
        }
        if (block.node.otherwise) {
          throw source.error(`${word} after \`else\``, statement.at, '`else` comes last in an if block')
        }
        if (statement.kind === 'else') {
          block.node.otherwise = body = []
        } else if (block.keyword === 'unless') {
          throw source.error('`elsif` cannot follow `unless`', statement.at,
            'rewrite the block with `if`, or use `else`')
        } else {
          const branch = { condition: statement.condition, negate: false, body: [] as Node[] }
          block.node.branches.push(branch)
          body = branch.body
        }
        break
      }
      case 'end': {
        const block = open.pop()
        if (!block) {
          throw source.error('`end` without a matching `if`, `unless` or `each`', statement.at,
            'remove it, or check that the blocks above open where you expect')
        }
        body = block.parent
        break
      }
    }
  }
  const unclosed = open.at(-1)
  if (unclosed) {
    throw source.error(`\`${unclosed.keyword}\` without a matching \`end\``, unclosed.at,
      'close the block with `<% end %>`')
  }
  return root
}

function renderNodes(nodes: Node[], scope: Scope, source: TemplateSource, out: string[], meter: RenderMeter): void {
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        meter.output(node.text)
        out.push(node.text)
        break
      case 'output': {
        meter.step(node.expr.start)
        const text = toS(evaluate(node.expr, scope, source), (message, hint) => {
          throw source.error(message, node.expr.start, hint)
        })
        meter.output(text, node.expr.start)
        out.push(text)
        break
      }
      case 'if': {
        const branch = node.branches.find((b) => {
          meter.step(b.condition.start)
          return isTruthy(evaluate(b.condition, scope, source)) !== b.negate
        })
        renderNodes(branch?.body ?? node.otherwise ?? [], scope, source, out, meter)
        break
      }
      case 'each':
        for (const [index, item] of iterate(node, scope, source).entries()) {
          meter.step(node.iterable.start)
          const yielded = node.method === 'each_with_index' ? [item, index] : [item]
          const locals = bindParams(scope.locals, node.params, yielded)
          renderNodes(node.body, { context: scope.context, locals }, source, out, meter)
        }
        break
    }
  }
}

/** The items `each` yields: an array's elements, a hash's `[key, value]` pairs. */
function iterate(node: Extract<Node, { kind: 'each' }>, scope: Scope, source: TemplateSource): unknown[] {
  const iterable = evaluate(node.iterable, scope, source)
  if (Array.isArray(iterable)) return iterable
  if (kindOf(iterable) === 'hash') return hashEntries(iterable as Record<string, unknown>)
  const expression = source.text.slice(node.iterable.start, node.iterable.end)
  const which = kindOf(iterable) === 'nil' ? `nil (${expression} is nil)` : `${expression} (${describeKind(iterable)})`
  throw source.error(`undefined method \`${node.method}\` for ${which}`, node.iterable.start,
    '`each` walks an array or a hash')
}

/** Ruby's block arguments: one yielded array spreads over several parameters (`|k, v|` on a hash). */
function bindParams(outer: ReadonlyMap<string, unknown>, params: string[], yielded: unknown[]): Map<string, unknown> {
  const values = yielded.length === 1 && params.length > 1 && Array.isArray(yielded[0]) ? yielded[0] : yielded
  const locals = new Map(outer)
  params.forEach((param, i) => locals.set(param, values[i] ?? null))
  return locals
}
