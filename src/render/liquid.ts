/**
 * The Liquid engine (design §5): one liquidjs engine per run, strict about variables and filters, blind to
 * prototypes, reading partials only from inside the manifest folder. liquidjs' errors carry the token that
 * failed; they become TemplateErrors at that token's file:line:col.
 */
import { basename } from 'node:path'
import {
  Context,
  defaultOptions,
  evalQuotedToken,
  IncludeTag,
  Liquid,
  LiquidError,
  ParseError,
  RenderError,
  RenderTag,
  TokenizationError,
  Tokenizer,
  toPromise,
  TypeGuards,
  UndefinedVariableError,
  type Emitter,
  type FS,
  type Template,
  type Token,
} from 'liquidjs'
import { codeFrame, TemplateError } from '../errors.js'
import { readInputFile } from '../input-file.js'
import { Budget, DEFAULT_LIMITS, LimitError, type LimitName, type Limits } from '../limits.js'
import { filters, REQUIRED_DEFAULT_MESSAGE, REQUIRED_HINT, registerDeterministicFilters, registerFilters } from './filters.js'

export interface LiquidRenderer {
  /** Parses once; throws TemplateError with file, line, col, frame and hint. */
  compile(source: string, file: string): LiquidTemplate
}

export interface LiquidTemplate {
  render(context: Record<string, unknown>): Promise<string>
}

/** Partial names without an extension get this one: `{% include '_labels' %}` reads `_labels.liquid`. */
const PARTIAL_EXTENSION = '.liquid'

export interface LiquidRendererOptions {
  /** The manifest folder, as an absolute path; partials are read from inside it and nowhere else. */
  root: string
  limits?: Limits
  /** The run's `output-size` budget, shared with the other templates. */
  outputBudget?: Budget
}

export function createLiquidRenderer(options: LiquidRendererOptions): LiquidRenderer {
  const { root } = options
  const limits = options.limits ?? DEFAULT_LIMITS
  const outputBudget = options.outputBudget ?? new Budget('output-size', limits)
  // A partial's file name is on the tokens of its tags but not on those of its variables, which keep only
  // the text they came from: remember which file each text was read from.
  const fileOfSource = new Map<string, string>()
  const remember = (text: string, file: string): string => {
    if (!fileOfSource.has(text)) fileOfSource.set(text, file)
    return text
  }
  const fs: FS = {
    ...defaultOptions.fs,
    // Partials are input like any manifest: regular files, UTF-8, within file-size.
    readFile: async (file) => remember(await readInputFile(file, { limits }), file),
    readFileSync: () => {
      throw new Error('templates render asynchronously')
    },
    // On a miss liquidjs would try require.resolve(name): a search of node_modules, outside the folder.
    fallback: undefined,
  }
  const engine = new Liquid({
    root,
    partials: root,
    layouts: root,
    // Names resolve against the manifest folder only, never against the including file; liquidjs then
    // refuses any resolved path whose real path (symlinks followed) is not inside the folder.
    relativeReference: false,
    extname: PARTIAL_EXTENSION,
    fs,
    // Partials are parsed on first use and kept for the run.
    cache: true,
    strictVariables: true,
    strictFilters: true,
    ownPropertyOnly: true,
    // With strictVariables, `{% if options.x %}` and `options.x | default: 1` must still treat a missing
    // key as nil; everywhere else a missing key is an error.
    lenientIf: true,
    // The same output on every machine: dates in UTC and one locale, whatever TZ and LANG say.
    timezoneOffset: 0,
    locale: 'en-US',
    // Bounds liquidjs enforces itself (design §13); rendered output is counted by BoundedEmitter below.
    parseLimit: limits['file-size'],
    renderLimit: limits['render-time'],
    memoryLimit: limits['output-size'],
  })
  registerFilters(engine)
  registerDeterministicFilters(engine)
  registerBoundedPartials(engine, limits)

  return {
    compile(source, file) {
      remember(source, file)
      let templates: Template[]
      try {
        templates = engine.parse(source, file)
      } catch (error) {
        throw toTemplateError(error, { engine, limits, root, file, fileOfSource })
      }
      return {
        async render(context) {
          try {
            // As globals too: `{% render %}` isolates a partial from the including template's variables,
            // but the cluster's belong to every template.
            const ctx = new Context(context, engine.options, { globals: context }, { liquid: engine })
            const emitter = new BoundedEmitter(outputBudget)
            await toPromise(engine.renderer.renderTemplates(templates, ctx, emitter))
            return emitter.buffer
          } catch (error) {
            throw toTemplateError(error, { engine, limits, root, file, fileOfSource, context })
          }
        },
      }
    },
  }
}

interface ErrorScene {
  engine: Liquid
  limits: Limits
  root: string
  /** The template being compiled or rendered. */
  file: string
  fileOfSource: ReadonlyMap<string, string>
  /** The render context, to list the keys next to an undefined one. */
  context?: Record<string, unknown>
}

interface Explanation {
  message: string
  hint?: string
  /** Where in the token's input the problem is, when more precise than the token's start. */
  offset?: number
}

/**
 * Output written as it is rendered, counted against the run's `output-size` budget: loops nested over a
 * list of options can render gigabytes long before any time limit is reached.
 */
class BoundedEmitter implements Emitter {
  buffer = ''

  constructor(private readonly budget: Budget) {}

  write(html: unknown): void {
    const text = typeof html === 'string' ? html : html === null || html === undefined ? '' : Array.isArray(html) ? html.join('') : String(html)
    if (text.length > this.budget.remaining) throw new OutputLimitReached()
    this.budget.use(text.length, () => 'the templates render too much output')
    this.buffer += text
  }
}

/** Thrown inside liquidjs' render, which wraps it with the token that was rendering. */
class OutputLimitReached extends Error {}

/**
 * `{% include %}` and `{% render %}` nested at most `partial-depth` deep: a partial that includes itself
 * would otherwise recurse until memory runs out. liquidjs renders one tag at a time, so a counter is the
 * depth.
 */
function registerBoundedPartials(engine: Liquid, limits: Limits): void {
  let depth = 0
  function* nested(render: Generator<unknown, void, unknown>): Generator<unknown, void, unknown> {
    if (depth >= limits['partial-depth']) throw new PartialDepthReached()
    depth++
    try {
      yield* render
    } finally {
      depth--
    }
  }
  engine.registerTag('include', class extends IncludeTag {
    override *render(ctx: Context, emitter: Emitter): Generator<unknown, void, unknown> {
      yield* nested(super.render(ctx, emitter))
    }
  })
  engine.registerTag('render', class extends RenderTag {
    override *render(ctx: Context, emitter: Emitter): Generator<unknown, void, unknown> {
      yield* nested(super.render(ctx, emitter))
    }
  })
}

class PartialDepthReached extends Error {}

/** liquidjs' own limits name themselves in English; ours by name. */
const LIQUID_LIMITS: ReadonlyArray<readonly [RegExp | (new () => Error), LimitName, string]> = [
  [/^parse length limit exceeded/, 'file-size', 'the template is too long to parse'],
  [/^template render limit exceeded/, 'render-time', 'the template is still rendering'],
  [/^memory alloc limit exceeded/, 'output-size', 'the template builds too much text'],
  [OutputLimitReached, 'output-size', 'the templates render too much output'],
  [PartialDepthReached, 'partial-depth', 'partials include each other too deeply'],
]

function limitReached(error: Error, scene: ErrorScene): LimitError | undefined {
  const original = error instanceof LiquidError ? error.originalError : undefined
  const reason = original?.message ?? error.message
  const match = LIQUID_LIMITS.find(([test]) => (test instanceof RegExp ? test.test(reason) : original instanceof test))
  if (!match) return undefined
  const [, limit, message] = match
  // liquidjs' parse limit fails an assertion, not a LiquidError: no token, the whole template is too long.
  if (!(error instanceof LiquidError)) return new LimitError(limit, message, { file: scene.file, limits: scene.limits })
  const { token } = error
  const [line, col] = positionAt(token.input, token.begin)
  return new LimitError(limit, message, {
    file: token.file ?? scene.fileOfSource.get(token.input) ?? scene.file,
    line,
    col,
    frame: codeFrame(token.input, line, col),
    limits: scene.limits,
  })
}

function toTemplateError(error: unknown, scene: ErrorScene): unknown {
  const original = error instanceof LiquidError ? error.originalError : undefined
  if (original instanceof TemplateError) return fromPartial(original, scene)
  if (original instanceof LimitError) return original
  if (!(error instanceof Error)) return error
  const limit = limitReached(error, scene)
  if (limit) return limit
  if (!(error instanceof LiquidError)) return error
  const { token } = error
  const { message, hint, offset = token.begin } = explain(error, scene)
  const [line, col] = positionAt(token.input, offset)
  const positioned = new TemplateError(message, {
    file: token.file ?? scene.fileOfSource.get(token.input) ?? scene.file,
    line,
    col,
    hint,
    frame: codeFrame(token.input, line, col),
    cause: error,
  })
  return fromPartial(positioned, scene)
}

/** An error inside a partial is reported at the partial's position, saying which template rendered it. */
function fromPartial(error: TemplateError, scene: ErrorScene): TemplateError {
  if (error.file === undefined || error.file === scene.file) return error
  return new TemplateError(`${error.message} (in a partial rendered by ${basename(scene.file)})`, {
    file: error.file,
    line: error.line,
    col: error.col,
    hint: error.hint,
    frame: error.frame,
    cause: error.cause,
  })
}

const SYNTAX_HINT = 'check the Liquid syntax here: tags are written `{% ... %}`, values `{{ ... }}`'

function explain(error: LiquidError, scene: ErrorScene): Explanation {
  const { token } = error
  const reason = error.originalError?.message ?? withoutPosition(error)

  if (error instanceof UndefinedVariableError) {
    const name = (error.originalError as { variableName?: string } | undefined)?.variableName ?? reason
    const requiredMessage = requiredMessageAfter(token)
    if (requiredMessage !== undefined) return { message: requiredMessage, hint: REQUIRED_HINT }
    const keys = scene.context && availableKeys(scene.context, name)
    return {
      message: `undefined variable \`${name}\``,
      hint:
        `if it is optional, give a fallback (\`| default: ...\`) or test it (\`{% if ${name} %}\`); ` +
        `otherwise check the spelling${keys ? `. ${keys}` : ''}`,
    }
  }

  if (error instanceof ParseError) {
    const unknownFilter = /^undefined filter: (.+)$/.exec(reason)?.[1]
    if (unknownFilter !== undefined) {
      const suggestion = closest(unknownFilter, Object.keys(scene.engine.filters))
      return {
        message: `unknown filter \`${unknownFilter}\``,
        hint: suggestion
          ? `did you mean \`${suggestion}\`?`
          : `check the spelling; besides Liquid's own filters there are ${Object.keys(filters).join(', ')}`,
        offset: filterOffset(token, unknownFilter),
      }
    }
    const unknownTag = /^tag "(.+)" not found$/.exec(reason)?.[1]
    if (unknownTag !== undefined) {
      return {
        message: `unknown tag \`${unknownTag}\``,
        hint: `Liquid's tags are ${Object.keys(scene.engine.tags).sort().join(', ')}`,
      }
    }
    if (TypeGuards.isTagToken(token) && reason.endsWith(' not closed')) {
      return {
        message: `\`${token.getText()}\` is not closed`,
        hint: `add \`{% end${token.name} %}\` where the block ends`,
      }
    }
    return { message: reason, hint: SYNTAX_HINT }
  }

  if (error instanceof TokenizationError) {
    // liquidjs quotes the rest of the file here; the frame shows it better.
    const unclosed = /^(tag|output) ".*" not closed$/s.exec(reason)?.[1]
    if (unclosed === 'tag') return { message: '`{%` without a closing `%}`', hint: 'close the tag with `%}`' }
    if (unclosed === 'output') return { message: '`{{` without a closing `}}`', hint: 'close the value with `}}`' }
    return { message: reason, hint: SYNTAX_HINT }
  }

  if (error instanceof RenderError && (error.originalError as { code?: string } | undefined)?.code === 'ENOENT') {
    const partial = /^ENOENT: Failed to lookup "(.*)" in "/.exec(reason)?.[1] ?? token.getText()
    return {
      message: `partial \`${partial}\` not found in the manifest folder`,
      hint:
        `{% include %} and {% render %} read files inside ${scene.root} only (a name without an extension ` +
        `gets ${PARTIAL_EXTENSION}); paths leaving it (.., absolute paths, symlinks pointing outside) are refused`,
    }
  }

  return { message: reason }
}

/** liquidjs appends ", file:..., line:..., col:..." to its own messages; we report those separately. */
function withoutPosition(error: LiquidError): string {
  const [line, col] = error.token.getPosition()
  const suffix = `${error.token.file ? `, file:${error.token.file}` : ''}, line:${line}, col:${col}`
  return error.message.endsWith(suffix) ? error.message.slice(0, -suffix.length) : error.message
}

/**
 * strictVariables fails `{{ options.x | required: "..." }}` on the variable before `required` runs; the
 * author's message says more than "undefined variable", so read it from the filter that follows.
 */
function requiredMessageAfter(token: Token): string | undefined {
  try {
    const tokenizer = new Tokenizer(token.input, undefined, undefined, [token.end, token.input.length])
    tokenizer.skipBlank()
    if (tokenizer.read() !== '|' || tokenizer.readIdentifier().content !== 'required') return undefined
    tokenizer.skipBlank()
    if (tokenizer.peek() !== ':') return REQUIRED_DEFAULT_MESSAGE
    tokenizer.advance()
    const argument = tokenizer.readFilterArg()
    return TypeGuards.isQuotedToken(argument) ? evalQuotedToken(argument) : REQUIRED_DEFAULT_MESSAGE
  } catch {
    return undefined
  }
}

/** "`cluster_config.network` has: a, b, c" for `cluster_config.network.x`, when that parent is a map. */
function availableKeys(context: Record<string, unknown>, name: string): string | undefined {
  const parentPath = name.split('.').slice(0, -1)
  let value: unknown = context
  for (const key of parentPath) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
  const keys = Object.keys(value).sort()
  const shown = keys.length > 20 ? [...keys.slice(0, 20), '...'] : keys
  const list = shown.length ? shown.join(', ') : '(nothing)'
  return parentPath.length ? `\`${parentPath.join('.')}\` has: ${list}` : `The variables are: ${list}`
}

/** The offset of `name` after a `|` in the token's text (the token starts at `{{` or `{%`). */
function filterOffset(token: Token, name: string): number {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const match = new RegExp(`\\|\\s*${escaped}(?![\\w-])`).exec(token.getText())
  return match ? token.begin + match.index + match[0].length - name.length : token.begin
}

/** 1-based line and column of an offset, counted as liquidjs' Token.getPosition counts. */
function positionAt(input: string, offset: number): [line: number, col: number] {
  const before = input.slice(0, offset)
  const lineStart = before.lastIndexOf('\n') + 1
  return [before.split('\n').length, offset - lineStart + 1]
}

/** The nearest candidate within one edit of `name` (two for longer names), if there is one. */
function closest(name: string, candidates: string[]): string | undefined {
  const limit = name.length > 5 ? 2 : 1
  let best: { candidate: string; distance: number } | undefined
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate)
    if (distance <= limit && (!best || distance < best.distance)) best = { candidate, distance }
  }
  return best?.candidate
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution))
    }
    previous = current
  }
  return previous[b.length] as number
}
