/**
 * The filters we add to Liquid's built-ins (design §5): Helm's habits for writing YAML (`to_yaml`, `nindent`,
 * `quote`, `required`...) and CIDR arithmetic for the addresses CNI manifests need.
 *
 * Each filter is a plain function that throws a TemplateError without a position; `registerFilters` puts
 * them on an engine and gives their errors the position of the filter in the template.
 */
import type { FilterImplOptions, Liquid } from 'liquidjs'
import { stringify } from 'yaml'
import * as cidr from '../cidr.js'
import { codeFrame, TemplateError } from '../errors.js'

/** What liquidjs binds `this` to in a filter call: its token among others (the type itself is not exported). */
type FilterImpl = ThisParameterType<Extract<FilterImplOptions, (...args: never[]) => unknown>>

/** Helm's toYaml: YAML without the trailing newline, so `| nindent: n` composes. */
export function toYaml(value: unknown): string {
  // lineWidth 0: never fold long strings, a folded scalar inside a ConfigMap is hard to read back.
  return stringify(value ?? null, { lineWidth: 0 }).replace(/\n$/, '')
}

/** Compact JSON, as Helm's toJson. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null)
}

/** Helm's indent: every line, the first included, gets `spaces` spaces. */
export function indent(value: unknown, spaces: unknown): string {
  const pad = ' '.repeat(count('indent', spaces))
  return pad + text('indent', value).replaceAll('\n', `\n${pad}`)
}

/** Helm's nindent: a newline, then `indent`. */
export function nindent(value: unknown, spaces: unknown): string {
  const pad = ' '.repeat(count('nindent', spaces))
  return `\n${pad}${text('nindent', value).replaceAll('\n', `\n${pad}`)}`
}

/** A double-quoted YAML string (JSON escapes are valid YAML). Nil becomes `""`: `quote` promises a string. */
export function quote(value: unknown): string {
  return JSON.stringify(value === null || value === undefined ? '' : text('quote', value))
}

export function b64enc(value: unknown): string {
  return Buffer.from(text('b64enc', value), 'utf8').toString('base64')
}

export function b64dec(value: unknown): string {
  const encoded = text('b64dec', value).trim()
  // Buffer.from skips what it cannot decode; a typo should not turn into silently different bytes.
  if (encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) {
    throw new TemplateError(`b64dec: "${abbreviate(encoded)}" is not valid base64`, {
      hint: 'base64 uses A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4 characters',
    })
  }
  return Buffer.from(encoded, 'base64').toString('utf8')
}

export const REQUIRED_DEFAULT_MESSAGE = 'a required value is missing'

/** Helm's required: nil and the empty string are missing, anything else passes through. */
export function required(value: unknown, message: unknown = REQUIRED_DEFAULT_MESSAGE): unknown {
  if (value === null || value === undefined || value === '') {
    throw new TemplateError(String(message), { hint: REQUIRED_HINT })
  }
  return value
}

export const REQUIRED_HINT =
  'the template requires this value: set it in cluster.yml (`options.*` is network.custom.options)'

/** The n-th address of a CIDR (negative n counts from the end): `10.96.0.0/12 | cidr_host: 10` → 10.96.0.10. */
export function cidrHost(value: unknown, n: unknown): string {
  const network = parseCidrValue('cidr_host', value)
  const index = count('cidr_host', n, { allowNegative: true })
  try {
    return cidr.cidrHost(network, index)
  } catch (error) {
    throw new TemplateError(`cidr_host: ${(error as Error).message}`, {
      cause: error,
      hint: 'pick a host number inside the network, or a negative one to count from its end',
    })
  }
}

/** The prefix length: `10.96.0.0/12 | cidr_prefix` → 12. */
export function cidrPrefix(value: unknown): number {
  return parseCidrValue('cidr_prefix', value).prefix
}

/** The netmask: `10.96.0.0/12 | cidr_netmask` → 255.240.0.0. */
export function cidrNetmask(value: unknown): string {
  return cidr.cidrNetmask(parseCidrValue('cidr_netmask', value))
}

/** Filter names as templates spell them. */
export const filters = {
  to_yaml: toYaml,
  to_json: toJson,
  indent,
  nindent,
  quote,
  b64enc,
  b64dec,
  required,
  cidr_host: cidrHost,
  cidr_prefix: cidrPrefix,
  cidr_netmask: cidrNetmask,
} satisfies Record<string, (value: unknown, ...args: never[]) => unknown>

/**
 * Registers `filters` on `engine`. A filter's error becomes a TemplateError at the filter's name in the
 * template (liquidjs hands each filter call its token), which the renderer passes on as it is.
 */
export function registerFilters(engine: Liquid): void {
  for (const [name, filter] of Object.entries(filters)) {
    const call = filter as (value: unknown, ...args: unknown[]) => unknown
    engine.registerFilter(name, function (this: FilterImpl, value: unknown, ...args: unknown[]) {
      try {
        return call(value, ...args)
      } catch (error) {
        throw positioned(error as TemplateError, this)
      }
    })
  }
}

/** Liquid's filters that read the clock when given "now" or "today". */
const CLOCK_FILTERS = ['date', 'date_to_xmlschema', 'date_to_rfc822', 'date_to_string', 'date_to_long_string']

/**
 * The same input gives the same output: Liquid's date filters refuse "now" and "today" (dates written in the
 * template or the config still format, in UTC, see createLiquidRenderer), and `sample`, which picks at
 * random, is refused outright.
 */
export function registerDeterministicFilters(engine: Liquid): void {
  for (const name of CLOCK_FILTERS) {
    const builtin = engine.filters[name]
    if (typeof builtin !== 'function') continue
    engine.registerFilter(name, function (this: FilterImpl, value: unknown, ...args: unknown[]) {
      if (typeof value === 'string' && /^\s*(now|today)\s*$/i.test(value)) {
        throw positioned(new TemplateError(`${name}: "${value.trim()}" would make every render differ`, {
          hint: 'rendered manifests must be the same on every run; write the date, or pass it in through custom.options',
        }), this)
      }
      return builtin.call(this as never, value, ...args)
    })
  }
  engine.registerFilter('sample', function (this: FilterImpl) {
    throw positioned(new TemplateError('sample picks at random: every render would differ', {
      hint: 'rendered manifests must be the same on every run; use `first`, `last` or an index instead',
    }), this)
  })
}

/** The filters above throw only TemplateErrors (no position yet); this gives one the filter's. */
function positioned(error: TemplateError, filter: FilterImpl): TemplateError {
  const { token } = filter
  const [line, col] = token.getPosition()
  return new TemplateError(error.message, {
    file: token.file,
    line,
    col,
    hint: error.hint,
    frame: codeFrame(token.input, line, col),
    cause: error.cause,
  })
}

function parseCidrValue(filter: string, value: unknown): cidr.Cidr {
  if (typeof value !== 'string') {
    throw new TemplateError(`${filter}: expected a CIDR such as 10.96.0.0/12, got ${describe(value)}`, {
      hint: 'apply it to a CIDR setting, e.g. cluster_config.network.service_cidr',
    })
  }
  try {
    return cidr.parseCidr(value)
  } catch (error) {
    throw new TemplateError(`${filter}: ${(error as Error).message}`, {
      cause: error,
      hint: 'write the network as address/prefix, e.g. 10.96.0.0/12 or fd00:10:96::/108',
    })
  }
}

function text(filter: string, value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  throw new TemplateError(`${filter}: expected text, got ${describe(value)}`, {
    hint: 'turn structured values into text first, e.g. `| to_yaml` or `| to_json`',
  })
}

function count(filter: string, value: unknown, { allowNegative = false } = {}): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  // Number.isInteger is false for anything that is not a number.
  if (!Number.isInteger(n) || (!allowNegative && (n as number) < 0)) {
    throw new TemplateError(
      `${filter}: expected a ${allowNegative ? 'whole' : 'non-negative whole'} number, got ${describe(value)}`,
      { hint: `write it as \`| ${filter}: 4\`` },
    )
  }
  return n as number
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nil'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a map'
  return typeof value === 'string' ? `"${abbreviate(value)}"` : String(value)
}

function abbreviate(value: string): string {
  return value.length > 40 ? `${value.slice(0, 37)}...` : value
}
