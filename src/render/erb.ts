/**
 * The ERB subset (design §5): Pharos' `*.yml.erb` manifests render as Pharos rendered them, without running
 * Ruby. Pharos called `ERB.new(content, nil, '%<>-')`, which Ruby (2.4/2.5, which Pharos ran on, and 3.x
 * alike) reads as percent lines plus trim mode `-`: its `prepare_trim_mode` checks `-` before `<>`. So we
 * trim as `-` does (`<%-`, `-%>`; a plain `<% %>` line keeps its newline). Percent lines are left out: a line
 * starting with `%` is a YAML directive, and stays text. The template is split into text and tags, control
 * tags are nested into a tree, and expressions are parsed once, here; `render` only walks the tree. The code
 * in the tags is the Ruby these templates use, interpreted over Ruby values (the README lists it): lexing and
 * parsing in `./erb/parse.ts`, values in `./erb/values.ts`, methods in `./erb/methods.ts`, evaluation in
 * `./erb/evaluate.ts`.
 */
import type { Document, Node as YamlNode } from 'yaml'
import { Budget, DEFAULT_LIMITS, type Limits } from '../limits.js'
import { caseEquals, catchNext, Frame, Interpreter, Jump, type Meter } from './erb/evaluate.js'
import { parseOutput, parseStatement, TemplateSource, type Expr, type Param } from './erb/parse.js'
import { fromPlain, isTruthy, type Value } from './erb/values.js'

export interface ErbRenderLimits {
  limits: Limits
  /** The run's `output-size` budget, shared by every template. */
  outputBudget?: Budget
}

/**
 * The variables a template sees, as Ruby values. Built from plain data; `nodes` names the YAML node each
 * variable was read from (cluster_config: the document's root), so Integer or Float, key order and key
 * types come from cluster.yml itself. One plain object seen twice (`networking` and `network`) is one Hash.
 */
export class ErbContext {
  readonly variables: ReadonlyMap<string, Value>

  constructor(context: Record<string, unknown>, nodes: Record<string, YamlNode | null | undefined> = {}, document?: Document) {
    const seen = new Map<object, Value>()
    this.variables = new Map(Object.entries(context)
      .sort(([a], [b]) => Number(b in nodes) - Number(a in nodes))
      .map(([name, value]) => [name, fromPlain(value, nodes[name], document, seen)]))
  }
}

export interface ErbTemplate {
  /** Plain data is converted on each render: a template that changes a hash changes its own copy. */
  render(context: Record<string, unknown> | ErbContext, limits?: ErbRenderLimits): string
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'output'; expr: Expr }
  | { kind: 'code'; expr: Expr }
  | { kind: 'if'; branches: { condition: Expr; negate: boolean; body: Node[] }[]; otherwise?: Node[] }
  | { kind: 'case'; subject: Expr | null; whens: { patterns: Expr[]; body: Node[] }[]; otherwise?: Node[]; at: number }
  /** `<% call do |x| %>` … `<% end %>`: the call runs with the template between as its block. */
  | { kind: 'block'; call: Expr & { type: 'call' }; params: Param[]; body: Node[] }
  | { kind: 'for'; params: Param[]; iterable: Expr; body: Node[] }

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
      const variables = (context instanceof ErbContext ? context : new ErbContext(context)).variables
      const renderer = new Renderer(new Interpreter(template, variables, meter), meter, out)
      try {
        renderer.nodes(nodes, new Frame())
      } catch (error) {
        // A value that holds itself (`xs << xs`) has no end to print or compare: stopped where the render was.
        if (error instanceof RangeError) {
          throw template.error('the value is nested too deeply, or holds itself', meter.lastAt,
            'build values that do not contain themselves')
        }
        if (error instanceof Jump) {
          throw template.error(`\`${error.jump}\` outside a block`, error.at, `\`${error.jump}\` leaves a block: use it inside \`each do … end\` or \`{ … }\``)
        }
        throw error
      }
      return out.join('')
    },
  }
}

/**
 * What a render may spend (design §13): evaluation steps, output and time. A loop over a loop over a loop
 * of a hundred options is a billion steps; each is counted, and the clock is read every few thousand.
 */
class RenderMeter implements Meter {
  private steps = 0
  /** Where the last step ran: text has no position of its own, the loop that repeats it does. */
  lastAt = 0
  readonly deadline: number

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

  /** A regexp match that ran past the render's time and was stopped. */
  timedOut(at: number): never {
    throw this.source.limitError('render-time', 'a regexp match is still running', at, this.limits)
  }

  /** Something of `size` characters or items about to be built: refused past the output budget. */
  allocate(size: number, at: number): void {
    if (size > this.outputBudget.remaining) {
      throw this.source.limitError('output-size', `the template builds a value of ${size} items or characters`, at, this.limits)
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
  node: Extract<Node, { kind: 'if' | 'case' | 'block' | 'for' }>
  keyword: string
  /** A `{ |x| %>` block, closed by `<% } %>` and nothing else. */
  brace?: boolean
  at: number
  parent: Node[]
}

function buildTree(source: TemplateSource, pieces: (string | Tag)[]): Node[] {
  const root: Node[] = []
  const open: OpenBlock[] = []
  let body = root
  for (const piece of pieces) {
    if (typeof piece === 'string') {
      const block = open.at(-1)
      if (block?.node.kind === 'case' && block.node.whens.length === 0 && !block.node.otherwise) {
        if (piece.trim() !== '') throw source.error('text between `case` and its first `when`', block.at, 'start with `<% when … %>` right after `<% case … %>`')
        continue
      }
      body.push({ kind: 'text', text: piece })
      continue
    }
    if (piece.kind === 'comment') continue
    if (piece.kind === 'output') {
      body.push({ kind: 'output', expr: parseOutput(source, piece.codeStart, piece.codeEnd) })
      continue
    }
    const statement = parseStatement(source, piece.codeStart, piece.codeEnd)
    const openBlock = (node: OpenBlock['node'], keyword: string, at: number, inner: Node[]): void => {
      body.push(node)
      open.push({ node, keyword, at, parent: body })
      body = inner
    }
    switch (statement.kind) {
      case 'none':
        break
      case 'code':
        body.push({ kind: 'code', expr: statement.expr })
        break
      case 'if':
      case 'unless': {
        const branch = { condition: statement.condition, negate: statement.kind === 'unless', body: [] as Node[] }
        openBlock({ kind: 'if', branches: [branch] }, statement.kind, statement.at, branch.body)
        break
      }
      case 'case':
        openBlock({ kind: 'case', subject: statement.subject, whens: [], at: statement.at }, 'case', statement.at, [])
        break
      case 'block': {
        const node: Node = { kind: 'block', call: statement.call, params: statement.params, body: [] }
        openBlock(node, statement.call.name, statement.at, node.body)
        open.at(-1)!.brace = statement.brace
        break
      }
      case 'for': {
        const node: Node = { kind: 'for', params: statement.params, iterable: statement.iterable, body: [] }
        openBlock(node, 'for', statement.at, node.body)
        break
      }
      case 'when': {
        const block = open.at(-1)
        if (block?.node.kind !== 'case') {
          throw source.error('`when` without a matching `case`', statement.at, 'start the block with `<% case value %>`')
        }
        if (block.node.otherwise) throw source.error('`when` after `else`', statement.at, '`else` comes last in a case block')
        const branch = { patterns: statement.patterns, body: [] as Node[] }
        block.node.whens.push(branch)
        body = branch.body
        break
      }
      case 'elsif':
      case 'else': {
        const block = open.at(-1)
        const word = `\`${statement.kind}\``
        const isCase = block?.node.kind === 'case' && statement.kind === 'else'
        if (block?.node.kind !== 'if' && !isCase) {
          throw source.error(`${word} without a matching \`if\``, statement.at,
            'start the block with `<% if condition %>`')
        }
        const node = block!.node as Extract<Node, { kind: 'if' | 'case' }>
        if (node.otherwise) {
          throw source.error(`${word} after \`else\``, statement.at, `\`else\` comes last in ${isCase ? 'a case' : 'an if'} block`)
        }
        if (statement.kind === 'else') {
          node.otherwise = body = []
        } else if (block!.keyword === 'unless') {
          throw source.error('`elsif` cannot follow `unless`', statement.at,
            'rewrite the block with `if`, or use `else`')
        } else {
          const branch = { condition: statement.condition, negate: false, body: [] as Node[] }
          ;(node as Extract<Node, { kind: 'if' }>).branches.push(branch)
          body = branch.body
        }
        break
      }
      case 'end': {
        const block = open.pop()
        const word = statement.brace ? '`}`' : '`end`'
        if (!block) {
          const openers = statement.brace ? '`{ |x|`' : '`if`, `unless`, `case`, `for` or `do`'
          throw source.error(`${word} without a matching ${openers}`, statement.at,
            'remove it, or check that the blocks above open where you expect')
        }
        if ((block.brace === true) !== (statement.brace === true)) {
          throw source.error(`${word} cannot close \`${block.keyword}\` opened ${block.brace ? 'with `{`' : 'without `{`'}`,
            statement.at, block.brace ? 'close a `{ |x| %>` block with `<% } %>`' : 'close it with `<% end %>`')
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

/** Walks the tree: text and values to the output, control nodes through the interpreter. */
class Renderer {
  constructor(
    private readonly interpreter: Interpreter,
    private readonly meter: RenderMeter,
    private readonly out: string[],
  ) {}

  nodes(nodes: Node[], frame: Frame): void {
    for (const node of nodes) this.node(node, frame)
  }

  private node(node: Node, frame: Frame): void {
    const { interpreter, meter } = this
    switch (node.kind) {
      case 'text':
        meter.output(node.text)
        this.out.push(node.text)
        break
      case 'output': {
        meter.step(node.expr.start)
        const text = interpreter.toText(interpreter.evaluate(node.expr, frame), node.expr.start)
        meter.output(text, node.expr.start)
        this.out.push(text)
        break
      }
      case 'code':
        meter.step(node.expr.start)
        interpreter.evaluate(node.expr, frame)
        break
      case 'if': {
        const branch = node.branches.find((b) => {
          meter.step(b.condition.start)
          return isTruthy(interpreter.evaluate(b.condition, frame)) !== b.negate
        })
        this.nodes(branch?.body ?? node.otherwise ?? [], frame)
        break
      }
      case 'case': {
        meter.step(node.at)
        const subject = node.subject ? interpreter.evaluate(node.subject, frame) : null
        const matches = (pattern: Expr): boolean => {
          const value = interpreter.evaluate(pattern, frame)
          return node.subject ? caseEquals(value, subject, interpreter.site(undefined, pattern.start)) : isTruthy(value)
        }
        const branch = node.whens.find((when) => when.patterns.some(matches))
        this.nodes(branch?.body ?? node.otherwise ?? [], frame)
        break
      }
      case 'for': {
        const iterable = interpreter.evaluate(node.iterable, frame)
        try {
          for (const item of interpreter.elements(iterable, node.iterable.start)) {
            meter.step(node.iterable.start)
            // `for` has no scope of its own: its variables outlive the loop, as in Ruby.
            const bound = new Frame()
            interpreter.bind(bound, node.params, [item])
            for (const name of bound.names()) frame.assign(name, bound.get(name)!)
            catchNext(() => {
              this.nodes(node.body, frame)
              return null
            })
          }
        } catch (error) {
          if (!(error instanceof Jump && error.jump === 'break')) throw error
        }
        break
      }
      case 'block': {
        const { call } = node
        const object = call.object ? interpreter.evaluate(call.object, frame) : null
        if (call.safe && object === null) break
        const args = call.args?.map((arg) => interpreter.evaluate(arg, frame))
        const receiver = call.object ? interpreter.source.text.slice(call.object.start, call.object.end) : ''
        interpreter.send(object, call.name, args ?? [], (yielded) => {
          const inner = new Frame(frame)
          interpreter.bind(inner, node.params, yielded)
          return catchNext(() => {
            this.nodes(node.body, inner)
            return null
          })
        }, receiver, call.nameAt)
        break
      }
    }
  }
}

