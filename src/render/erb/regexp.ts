/**
 * Ruby regexp literals, translated to JavaScript's RegExp. JavaScript's engine backtracks, and one match
 * cannot be interrupted by the step budget: so only patterns that cannot backtrack exponentially are taken
 * (no backreferences, no lookaround, no repeated group that itself repeats or alternates), and the rest are
 * refused where they are written. Ruby's meanings are kept: `^`/`$` match at every line (`$` before `\n` only), `.` stops at
 * `\n` only, `/m` lets `.` match `\n`, `\A`, `\z`, `\Z` and `\h` mean what they mean in Ruby.
 */
import type { RubyRegexp } from './values.js'

type Fail = (message: string, offset: number) => Error

const ESCAPES: Record<string, string> = {
  A: '(?<![\\s\\S])',
  z: '(?![\\s\\S])',
  Z: '(?=\\n?(?![\\s\\S]))',
  h: '[0-9a-fA-F]',
  H: '[^0-9a-fA-F]',
}
const UNSUPPORTED_ESCAPES = new Set(['G', 'K', 'R', 'X', 'k', 'g', 'p', 'P'])

interface Group {
  repeats: boolean
}

export function compileRegexp(source: string, flags: string, fail: Fail): RubyRegexp {
  if (flags.includes('x')) throw fail('the `x` flag (extended regexps) is not supported by the ERB subset', source.length)
  let out = ''
  const groups: Group[] = [{ repeats: false }]
  /** Whether the atom just written is a group that repeats inside (its quantifier would nest). */
  let lastGroupRepeats = false
  let lastAtomQuantifiable = false
  for (let i = 0; i < source.length; i++) {
    const char = source[i]!
    const current = groups.at(-1)!
    let groupJustClosed = false
    if (char === '\\') {
      const next = source[i + 1] ?? ''
      if (/[1-9]/.test(next) || UNSUPPORTED_ESCAPES.has(next)) throw fail(`\`\\${next}\` is not supported in an ERB regexp`, i)
      out += ESCAPES[next] ?? `\\${next}`
      i++
      lastAtomQuantifiable = !['A', 'z', 'Z', 'b', 'B'].includes(next)
    } else if (char === '[') {
      const end = classEnd(source, i, fail)
      const body = source.slice(i + 1, end)
      if (body.includes('[') || body.includes('&&')) throw fail('nested character classes are not supported in an ERB regexp', i)
      out += `[${body.replaceAll('\\h', '0-9a-fA-F')}]`
      i = end
      lastAtomQuantifiable = true
    } else if (char === '(') {
      if (source[i + 1] === '?') {
        const named = /^\(\?<[A-Za-z_]\w*>/.exec(source.slice(i))
        if (source[i + 2] === ':') {
          out += '(?:'
          i += 2
        } else if (named) {
          out += named[0]
          i += named[0].length - 1
        } else {
          throw fail('lookaround, atomic groups and inline options are not supported in an ERB regexp', i)
        }
      } else {
        out += '('
      }
      groups.push({ repeats: false })
      lastAtomQuantifiable = false
    } else if (char === ')') {
      if (groups.length === 1) throw fail('unmatched `)` in a regexp', i)
      const closed = groups.pop()!
      groups.at(-1)!.repeats ||= closed.repeats
      lastGroupRepeats = closed.repeats
      groupJustClosed = true
      out += ')'
      lastAtomQuantifiable = true
    } else if (char === '|') {
      current.repeats = true
      out += '|'
      lastAtomQuantifiable = false
    } else if ('*+?{'.includes(char)) {
      const quantifier = char === '{' ? /^\{\d*(?:,\d*)?\}/.exec(source.slice(i))?.[0] : char
      if (quantifier === undefined) {
        out += '\\{'
        lastAtomQuantifiable = true
        continue
      }
      if (!lastAtomQuantifiable) throw fail(`target of repeat operator is not specified: ${quantifier}`, i)
      const repeats = quantifier !== '?' && quantifier !== '{0,1}' && quantifier !== '{1}'
      if (repeats && lastGroupRepeatsAt(out) && lastGroupRepeats) {
        throw fail('a repeated group that repeats or alternates inside can backtrack for minutes; not supported in an ERB regexp', i)
      }
      if (source[i + quantifier.length] === '+') throw fail('possessive quantifiers are not supported in an ERB regexp', i)
      out += quantifier
      i += quantifier.length - 1
      if (source[i + 1] === '?') {
        out += '?'
        i++
      }
      current.repeats ||= repeats
      lastAtomQuantifiable = false
    } else if (char === '.') {
      out += flags.includes('m') ? '[\\s\\S]' : '[^\\n]'
      lastAtomQuantifiable = true
    } else if (char === '^') {
      // Ruby's `^` starts every line but not the empty one after a final newline; `$` ends lines at `\n` only.
      out += '(?:(?<![\\s\\S])|(?<=\\n)(?=[\\s\\S]))'
      lastAtomQuantifiable = false
    } else if (char === '$') {
      out += '(?=\\n|(?![\\s\\S]))'
      lastAtomQuantifiable = false
    } else {
      out += char
      lastAtomQuantifiable = true
    }
    if (!groupJustClosed) lastGroupRepeats = false
  }
  if (groups.length > 1) throw fail('unmatched `(` in a regexp', source.length)
  let pattern: RegExp
  try {
    pattern = new RegExp(out, flags.includes('i') ? 'i' : '')
  } catch (error) {
    throw fail(`invalid regexp: ${(error as Error).message}`, 0)
  }
  return { kind: 'regexp', source, flags: flags.replace(/[^mi]/g, ''), pattern }
}

/** Whether the output ends with a group, whose quantifier the caller is about to write. */
function lastGroupRepeatsAt(out: string): boolean {
  return out.endsWith(')')
}

/** The offset of the `]` that closes the class opened at `open`. */
function classEnd(source: string, open: number, fail: Fail): number {
  let i = open + 1
  if (source[i] === '^') i++
  if (source[i] === ']') i++
  for (; i < source.length; i++) {
    if (source[i] === '\\') i++
    else if (source[i] === ']') return i
  }
  throw fail('premature end of char-class', open)
}
