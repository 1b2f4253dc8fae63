/**
 * Ruby's `format` (`sprintf`, `String#%`): flags `-+ 0#`, width, precision, and the conversions
 * `d i u f e E g G s p x X o b B c %`, with `%<name>s` and `%{name}` reading a hash argument.
 */
import type { Site } from './methods.js'
import { describeKind, inspect, RubyHash, RubySymbol, toS, type Value } from './values.js'

/**
 * A directive: flags, width, `.precision` and `<name>` in any order (Ruby reads `%<a>5s` and `%5<a>s` alike),
 * then a conversion, or `{name}`, which ends the directive (`%{a}5d` is the value, then the text `5d`).
 */
const DIRECTIVE = /%((?:[-+ 0#]|\d+|\*|\.\d+|<\w+>)*)(?:\{(\w+)\}|([diufeEgGspxXobBc%]))?/g
const PART = /[-+ 0#]|\d+|\*|\.\d+|<(\w+)>/g

export function formatString(template: string, args: Value[], site: Site): string {
  let next = 0
  const take = (): Value => {
    if (next >= args.length) site.fail('too few arguments')
    return args[next++]!
  }
  const named = (name: string): Value => {
    const hash = args[0]
    if (!(hash instanceof RubyHash)) return site.fail('one hash required')
    const value = hash.get(RubySymbol.of(name))
    return value === undefined ? site.fail(`key<${name}> not found`) : value
  }
  return template.replace(DIRECTIVE, (whole, spec: string, brace?: string, conversion?: string) => {
    if (whole === '%%') return '%'
    if (!brace && (!conversion || conversion === '%')) return site.fail(`malformed format string - ${whole}`)
    let flags = ''
    let widthText: string | undefined
    let precision: number | undefined
    let angle: string | undefined
    for (const [part, name] of spec.matchAll(PART)) {
      if (name !== undefined) angle = name
      else if (part.length === 1 && '-+ 0#'.includes(part)) flags += part
      else if (part.startsWith('.')) precision = Number(part.slice(1))
      else widthText = part
    }
    const width = widthText === '*' ? Number(toInteger(take(), site)) : widthText === undefined ? 0 : Number(widthText)
    // A width or precision is text about to be built, like `'x' * n`.
    site.allocate(Math.max(Math.abs(width), precision ?? 0))
    if (brace) {
      const text = toS(named(brace))
      return pad(precision === undefined ? text : [...text].slice(0, precision).join(''), flags, width)
    }
    const value = angle ? named(angle) : take()
    return pad(convert(conversion!, value, flags, precision, site), flags, width, 'dieEfgGxXobBu'.includes(conversion!))
  })
}

function pad(text: string, flags: string, width: number, numeric = false): string {
  if (text.length >= width) return text
  if (flags.includes('-')) return text.padEnd(width)
  if (numeric && flags.includes('0')) {
    const sign = /^[-+ ]/.test(text) ? text[0]! : ''
    return sign + text.slice(sign.length).padStart(width - sign.length, '0')
  }
  return text.padStart(width)
}

function toInteger(value: Value, site: Site): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.floor(value))
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return BigInt(value.trim())
  return site.fail(`can't convert ${describeKind(value)} into Integer`)
}

function toFloat(value: Value, site: Site): number {
  if (typeof value === 'number') return value
  if (typeof value === 'bigint') return Number(value)
  if (typeof value === 'string' && /^\s*[+-]?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/.test(value)) return Number(value)
  return site.fail(`can't convert ${describeKind(value)} into Float`)
}

function signed(text: string, negative: boolean, flags: string): string {
  return (negative ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') + text
}

function convert(conversion: string, value: Value, flags: string, precision: number | undefined, site: Site): string {
  switch (conversion) {
    case 's':
    case 'p': {
      const text = conversion === 's' ? toS(value) : inspect(value)
      return precision === undefined ? text : [...text].slice(0, precision).join('')
    }
    case 'c':
      return typeof value === 'string' ? [...value][0] ?? '' : String.fromCodePoint(Number(toInteger(value, site)))
    case 'd':
    case 'i':
    case 'u': {
      const n = toInteger(value, site)
      const digits = (n < 0n ? -n : n).toString()
      return signed(precision === undefined ? digits : digits.padStart(precision, '0'), n < 0n, flags)
    }
    case 'x':
    case 'X':
    case 'o':
    case 'b':
    case 'B': {
      const n = toInteger(value, site)
      const radix = { x: 16, X: 16, o: 8, b: 2, B: 2 }[conversion]
      if (n < 0n && !flags.includes('+') && !flags.includes(' ')) {
        return site.fail(`negative numbers with %${conversion} (two's complement) are not supported by the ERB subset`, 'add the + flag: %+x')
      }
      let digits = (n < 0n ? -n : n).toString(radix)
      if (conversion === 'X') digits = digits.toUpperCase()
      if (precision !== undefined) digits = digits.padStart(precision, '0')
      const prefix = flags.includes('#') && n !== 0n ? { x: '0x', X: '0X', o: '0', b: '0b', B: '0B' }[conversion] : ''
      return signed(prefix + digits, n < 0n, flags)
    }
    default: {
      const n = toFloat(value, site)
      if (!Number.isFinite(n)) return signed(Number.isNaN(n) ? 'NaN' : 'Inf', n < 0, flags)
      const places = precision ?? 6
      let text: string
      if (conversion === 'f') text = fixed(Math.abs(n), places, site)
      else if (conversion === 'e' || conversion === 'E') text = exponential(Math.abs(n), places, site)
      else text = general(Math.abs(n), places === 0 ? 1 : places, flags.includes('#'), site)
      if (conversion === 'E' || conversion === 'G') text = text.toUpperCase()
      return signed(text, n < 0 || Object.is(n, -0), flags)
    }
  }
}

/**
 * `n × 10**shift` rounded to an integer as C's printf rounds: from the double's exact binary value, a tie
 * to even (JavaScript's toFixed rounds ties up: 2.25 → "2.3" where C writes "2.2").
 */
function scaledInteger(n: number, shift: number): bigint {
  return scaled(n, shift).value
}

function scaled(n: number, shift: number): { value: bigint; exactTie: boolean } {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, n)
  const bits = view.getBigUint64(0)
  const biased = Number((bits >> 52n) & 0x7ffn)
  const fraction = bits & ((1n << 52n) - 1n)
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n)
  const exponent = (biased === 0 ? 1 : biased) - 1075
  let numerator = exponent >= 0 ? mantissa << BigInt(exponent) : mantissa
  let denominator = exponent >= 0 ? 1n : 1n << BigInt(-exponent)
  if (shift >= 0) numerator *= 10n ** BigInt(shift)
  else denominator *= 10n ** BigInt(-shift)
  const quotient = numerator / denominator
  const twice = (numerator % denominator) * 2n
  const value = twice > denominator || (twice === denominator && quotient % 2n === 1n) ? quotient + 1n : quotient
  return { value, exactTie: twice === denominator }
}

/**
 * Ruby's sprintf rounds a value whose shortest decimal form ends in a 5 right where the digits are cut
 * (2.675 to two places) its own way, neither by the exact binary value nor by that decimal: refused, so
 * that nothing differs silently. True binary ties (2.25, 0.125) round to even, as in Ruby.
 */
function refuseDecimalTie(n: number, kept: number, shift: number, site: Site): void {
  const [mantissa, exponent] = n.toExponential().split('e') as [string, string]
  const digits = mantissa.replace('.', '')
  if (kept < 0 || kept !== digits.length - 1 || digits[kept] !== '5' || scaled(n, shift).exactTie) return
  site.fail(`${mantissa}e${exponent} lies on a rounding tie that Ruby's format rounds its own way`,
    'round it first, e.g. value.round(2), whose result Ruby and this tool agree on')
}

/** C's `%.Nf` of a finite, non-negative number. */
function fixed(n: number, places: number, site: Site): string {
  if (n !== 0) refuseDecimalTie(n, Number(n.toExponential().split('e')[1]) + 1 + places, places, site)
  const digits = scaledInteger(n, places).toString().padStart(places + 1, '0')
  return places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`
}

/** C's `%.Ne` of a finite, non-negative number: at least two exponent digits. */
function exponential(n: number, places: number, site: Site): string {
  if (n !== 0) refuseDecimalTie(n, places + 1, places - Number(n.toExponential().split('e')[1]), site)
  let exponent = n === 0 ? 0 : Math.floor(Math.log10(n))
  let digits = scaledInteger(n, places - exponent)
  // log10 can be off by one at powers of ten, and rounding can carry into a new digit.
  if (n !== 0 && digits < 10n ** BigInt(places)) digits = scaledInteger(n, places - --exponent)
  if (digits >= 10n ** BigInt(places + 1)) digits = scaledInteger(n, places - ++exponent)
  const text = digits.toString().padStart(places + 1, '0')
  const mantissa = places === 0 ? text : `${text[0]}.${text.slice(1)}`
  return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`
}

/** C's `%g`: `%e` below 1e-4 or at the precision's exponent and above, else `%f`; trailing zeros dropped. */
function general(n: number, precision: number, keepZeros: boolean, site: Site): string {
  if (n === 0) return keepZeros ? `0.${'0'.repeat(precision - 1)}` : '0'
  const exponent = Number(exponential(n, precision - 1, site).split('e')[1])
  const trim = (text: string): string => (keepZeros || !text.includes('.') ? text : text.replace(/\.?0+$/, ''))
  if (exponent < -4 || exponent >= precision) {
    const [mantissa, rest] = exponential(n, precision - 1, site).split('e') as [string, string]
    return `${trim(mantissa)}e${rest}`
  }
  return trim(fixed(n, Math.max(0, precision - 1 - exponent), site))
}

