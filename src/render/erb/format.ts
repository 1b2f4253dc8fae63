/**
 * Ruby's `format` (`sprintf`, `String#%`): flags `-+ 0#`, width, precision, and the conversions
 * `d i u f e E g G s p x X o b B c %`, with `%<name>s` and `%{name}` reading a hash argument.
 */
import type { Site } from './methods.js'
import { describeKind, inspect, RubyHash, RubySymbol, toS, type Value } from './values.js'

const DIRECTIVE = /%(?:<(\w+)>|\{(\w+)\})?([-+ 0#]*)(\d+|\*)?(?:\.(\d+))?([diufeEgGspxXobBc%])?/g

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
  return template.replace(DIRECTIVE, (whole, angle?: string, brace?: string, flags = '', widthText?: string, precisionText?: string, conversion?: string) => {
    if (brace) return pad(toS(named(brace)), flags, widthText === undefined ? 0 : Number(widthText))
    if (conversion === '%' && whole === '%%') return '%'
    if (!conversion) return site.fail(`malformed format string - ${whole}`)
    const width = widthText === '*' ? Number(toInteger(take(), site)) : widthText === undefined ? 0 : Number(widthText)
    const precision = precisionText === undefined ? undefined : Number(precisionText)
    const value = angle ? named(angle) : take()
    return pad(convert(conversion, value, flags, precision, site), flags, width, 'dieEfgGxXobBu'.includes(conversion))
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
      if (conversion === 'f') text = Math.abs(n).toFixed(places)
      else if (conversion === 'e' || conversion === 'E') text = exponential(Math.abs(n), places)
      else text = general(Math.abs(n), places === 0 ? 1 : places, flags.includes('#'))
      if (conversion === 'E' || conversion === 'G') text = text.toUpperCase()
      return signed(text, n < 0 || Object.is(n, -0), flags)
    }
  }
}

/** C's `%e`: at least two exponent digits. */
function exponential(n: number, places: number): string {
  const [mantissa, exponent] = n.toExponential(places).split('e') as [string, string]
  const sign = exponent.startsWith('-') ? '-' : '+'
  return `${mantissa}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`
}

/** C's `%g`: `%e` below 1e-4 or at the precision's exponent and above, else `%f`; trailing zeros dropped. */
function general(n: number, precision: number, keepZeros: boolean): string {
  if (n === 0) return keepZeros ? `0.${'0'.repeat(precision - 1)}` : '0'
  const exponent = Number(n.toExponential(precision - 1).split('e')[1])
  const trim = (text: string): string => (keepZeros || !text.includes('.') ? text : text.replace(/\.?0+$/, ''))
  if (exponent < -4 || exponent >= precision) {
    const [mantissa, rest] = exponential(n, precision - 1).split('e') as [string, string]
    return `${trim(mantissa)}e${rest}`
  }
  return trim(n.toFixed(Math.max(0, precision - 1 - exponent)))
}

