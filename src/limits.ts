/**
 * The limits every parser, template engine and external tool runs under (design §13). cluster.yml and the
 * manifest folder may come from a repository nobody here controls: nothing they hold may exhaust memory or
 * time. Each limit has a name; hitting one is a LimitError (exit 2) that names it and says how to raise it,
 * with `--limit NAME=VALUE` or the PHAROS_NET_LIMITS environment variable (for Argo CD and Helm, where the
 * command line is fixed).
 */
import { PharosError, UsageError, type ErrorDetails } from './errors.js'

export interface Limits {
  /** Bytes of one input file: cluster.yml, a manifest, a partial, standard input. */
  'file-size': number
  /** Bytes of all the sources of a manifest set together. */
  'input-size': number
  /** YAML nodes of all the files of one run, estimated from the text before anything is parsed. */
  'yaml-nodes': number
  /** Bytes that YAML aliases add to one document when expanded (a "billion laughs" document). */
  'alias-size': number
  /** Bytes that the templates of one run may render, all together. */
  'output-size': number
  /** Evaluation steps of one ERB template (a loop over a loop over a loop...). */
  'template-steps': number
  /** Milliseconds one template may take to render. */
  'render-time': number
  /** Nesting of Liquid `{% include %}` and `{% render %}`. */
  'partial-depth': number
  /** Milliseconds an external tool (kubeconform, kubectl) may run before it is stopped. */
  'tool-timeout': number
}

export type LimitName = keyof Limits

type Unit = 'bytes' | 'count' | 'duration'

const MiB = 1024 * 1024

/**
 * Defaults far above real CNI sets (calico is 350 KB, 38 objects and about 10,000 YAML nodes by
 * the estimate; a hundred copies of it stay under every limit) and far below what exhausts a machine.
 */
export const DEFAULT_LIMITS: Readonly<Limits> = {
  'file-size': 16 * MiB,
  'input-size': 256 * MiB,
  'yaml-nodes': 2_000_000,
  'alias-size': 16 * MiB,
  'output-size': 64 * MiB,
  'template-steps': 1_000_000,
  'render-time': 5_000,
  'partial-depth': 20,
  'tool-timeout': 600_000,
}

const UNITS: Record<LimitName, Unit> = {
  'file-size': 'bytes',
  'input-size': 'bytes',
  'yaml-nodes': 'count',
  'alias-size': 'bytes',
  'output-size': 'bytes',
  'template-steps': 'count',
  'render-time': 'duration',
  'partial-depth': 'count',
  'tool-timeout': 'duration',
}

export const LIMIT_NAMES = Object.keys(DEFAULT_LIMITS) as LimitName[]

/** The environment variable read before --limit flags: `name=value,name=value`. */
export const LIMITS_ENV = 'PHAROS_NET_LIMITS'

/** A limit was hit: bad input (exit 2), located where the input is known. */
export class LimitError extends PharosError {
  readonly exitCode = 2
  readonly limit: LimitName

  constructor(limit: LimitName, message: string, details: Omit<ErrorDetails, 'hint'> & { limits?: Limits } = {}) {
    const current = details.limits?.[limit] ?? DEFAULT_LIMITS[limit]
    super(`${message} (limit ${limit}: ${formatLimit(limit, current)})`, {
      ...details,
      hint: `if the input is trusted and really this large, raise the limit: --limit ${limit}=${formatLimit(limit, current * 4)} ` +
        `(or ${LIMITS_ENV}=${limit}=${formatLimit(limit, current * 4)})`,
    })
    this.limit = limit
  }
}

/** A limit's value as a person writes it: `32MiB`, `60s`, `20`. */
export function formatLimit(limit: LimitName, value: number): string {
  switch (UNITS[limit]) {
    case 'bytes':
      return value % MiB === 0 ? `${value / MiB}MiB` : value % 1024 === 0 ? `${value / 1024}KiB` : `${value}`
    case 'duration':
      return value % 1000 === 0 ? `${value / 1000}s` : `${value}ms`
    case 'count':
      return String(value)
  }
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1000, kib: 1024, m: MiB, mb: 1e6, mib: MiB, g: 1024 * MiB, gb: 1e9, gib: 1024 * MiB }
const TIME_UNITS: Record<string, number> = { '': 1000, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

function parseValue(limit: LimitName, text: string, origin: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  const units = UNITS[limit] === 'bytes' ? BYTE_UNITS : UNITS[limit] === 'duration' ? TIME_UNITS : { '': 1 }
  const factor = match ? units[(match[2] ?? '').toLowerCase()] : undefined
  const exact = UNITS[limit] !== 'count' || !match?.[1]?.includes('.')
  const value = match && factor !== undefined && exact ? Math.round(Number(match[1]) * factor) : NaN
  if (!Number.isSafeInteger(value) || value <= 0) {
    const example = formatLimit(limit, DEFAULT_LIMITS[limit])
    throw new UsageError(`${origin}: ${limit}=${text} is not a valid value`, {
      hint: UNITS[limit] === 'bytes'
        ? `write a size such as ${example} (B, KiB, MiB, GiB; KB, MB, GB)`
        : UNITS[limit] === 'duration'
          ? `write a duration such as ${example} (ms, s, m, h; plain numbers are seconds)`
          : `write a positive whole number such as ${example}`,
    })
  }
  return value
}

/**
 * The limits in force: defaults, then PHAROS_NET_LIMITS, then each `--limit NAME=VALUE` in order (a later
 * one wins).
 */
export function resolveLimits(flags: readonly string[] = [], env: string | undefined = undefined): Limits {
  const limits: Limits = { ...DEFAULT_LIMITS }
  const settings = [
    ...(env ?? '').split(',').filter((s) => s.trim() !== '').map((text) => ({ text, origin: LIMITS_ENV })),
    ...flags.map((text) => ({ text, origin: '--limit' })),
  ]
  for (const { text, origin } of settings) {
    const eq = text.indexOf('=')
    const name = text.slice(0, eq).trim()
    if (eq <= 0 || !(LIMIT_NAMES as string[]).includes(name)) {
      throw new UsageError(`${origin}: ${eq <= 0 ? `${text} is not NAME=VALUE` : `unknown limit ${name}`}`, {
        hint: `the limits are ${LIMIT_NAMES.join(', ')}`,
      })
    }
    limits[name as LimitName] = parseValue(name as LimitName, text.slice(eq + 1), origin)
  }
  return limits
}

/** Counts what one run uses of a cumulative limit, and throws when the budget is spent. */
export class Budget {
  private used = 0

  constructor(
    readonly limit: LimitName,
    readonly limits: Limits,
  ) {}

  get remaining(): number {
    return this.limits[this.limit] - this.used
  }

  /** Adds `amount`; `describe` says what went over, and `details` where. */
  use(amount: number, describe: () => string, details: ErrorDetails = {}): void {
    this.used += amount
    if (this.used > this.limits[this.limit]) throw new LimitError(this.limit, describe(), { ...details, limits: this.limits })
  }
}
