/**
 * The few error types the core throws. Each carries the exit code the CLI maps it to and, where there is
 * one, the place in a user's file that caused it, so the CLI can print `path:line:col: error: message`.
 */

export type Severity = 'error' | 'warning' | 'note'

/** One user-facing problem, as data. Lines and columns are 1-based. */
export interface Diagnostic {
  severity: Severity
  message: string
  file?: string
  line?: number
  col?: number
  hint?: string
  /** A few lines of source around the problem, already formatted. */
  frame?: string
}

export interface ErrorDetails {
  file?: string
  line?: number
  col?: number
  hint?: string
  frame?: string
  cause?: unknown
}

/** Exit codes, design §2: 1 findings, 2 bad input, 3 environment. */
export type ExitCode = 0 | 1 | 2 | 3

export abstract class PharosError extends Error {
  abstract readonly exitCode: 2 | 3
  readonly file?: string
  readonly line?: number
  readonly col?: number
  readonly hint?: string
  readonly frame?: string

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = new.target.name
    this.file = details.file
    this.line = details.line
    this.col = details.col
    this.hint = details.hint
    this.frame = details.frame
  }

  toDiagnostic(): Diagnostic {
    return {
      severity: 'error',
      message: this.message,
      file: this.file,
      line: this.line,
      col: this.col,
      hint: this.hint,
      frame: this.frame,
    }
  }
}

/** Bad command-line usage: conflicting or missing flags. */
export class UsageError extends PharosError {
  readonly exitCode = 2
}

/** cluster.yml is missing, unparsable or inconsistent. */
export class ConfigError extends PharosError {
  readonly exitCode = 2
}

/** A template failed to parse or render. */
export class TemplateError extends PharosError {
  readonly exitCode = 2
}

/** A manifest (plain or rendered) is not a valid set of Kubernetes objects. */
export class ManifestError extends PharosError {
  readonly exitCode = 2
}

/** A bundle is damaged, altered, or holds what may not be extracted. */
export class BundleError extends PharosError {
  readonly exitCode = 2
}

/** An external tool is missing, timed out or failed; a cluster is unreachable or refuses us. */
export class EnvironmentError extends PharosError {
  readonly exitCode = 3
}

/** Several input problems found in one pass (all exit 2), reported together. */
export class InputErrors extends PharosError {
  readonly exitCode = 2
  readonly diagnostics: Diagnostic[]

  constructor(diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join('; '))
    this.diagnostics = diagnostics
  }

  override toDiagnostic(): Diagnostic {
    return this.diagnostics[0] ?? super.toDiagnostic()
  }
}

/**
 * A short excerpt of `source` around `line` (1-based) with a caret under `col`, in the style of
 * compilers: enough context to find the spot without opening the file.
 */
export function codeFrame(source: string, line: number, col = 1, context = 1): string {
  const first = Math.max(1, line - context)
  const lines = linesOf(source, first, line + context)
  const last = first + lines.length - 1
  const width = String(last).length
  // Long lines (minified JSON, a base64 blob) are cut to a window around the column.
  const start = Math.max(0, col - 1 - FRAME_WIDTH / 2)
  const out: string[] = []
  for (let n = first; n <= last; n++) {
    const marker = n === line ? '>' : ' '
    const text = lines[n - first] ?? ''
    // A line that fits starts at 0 and is shown whole.
    const from = Math.min(start, Math.max(0, text.length - FRAME_WIDTH))
    const shown = `${from > 0 ? '…' : ''}${text.slice(from, from + FRAME_WIDTH)}${from + FRAME_WIDTH < text.length ? '…' : ''}`
    out.push(`${marker} ${String(n).padStart(width)} | ${shown}`)
    if (n === line) {
      const caret = col - 1 - from + (from > 0 ? 1 : 0)
      out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, caret))}^`)
    }
  }
  return out.join('\n')
}

/** How many characters of a line an excerpt shows. */
const FRAME_WIDTH = 120

/** Lines `from` to `to` (1-based) of `source`, found without splitting all of a large text. */
function linesOf(source: string, from: number, to: number): string[] {
  const out: string[] = []
  let start = 0
  for (let n = 1; n <= to && start <= source.length; n++) {
    let end = source.indexOf('\n', start)
    if (end === -1) end = source.length
    if (n >= from) out.push(source.slice(start, end).replace(/\r$/, ''))
    start = end + 1
  }
  return out
}

/**
 * SIGINT or SIGTERM stopped the run: the running tool was stopped and work folders removed. Not a
 * PharosError: its exit code is the shell's for a death by that signal (128 + 2, 128 + 15), which the
 * process exits with after saying "interrupted".
 */
export class InterruptedError extends Error {
  readonly exitCode: 130 | 143

  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super('interrupted')
    this.name = 'InterruptedError'
    this.exitCode = signal === 'SIGTERM' ? 143 : 130
  }
}
