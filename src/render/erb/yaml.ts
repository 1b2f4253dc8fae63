/**
 * `to_yaml` as Ruby 3.1's Psych (over libyaml) writes it: a `---` header, block style, sequences inside
 * mappings not indented, strings quoted exactly when Psych quotes them. Where libyaml would fold a long line
 * or pick an indentation indicator, the subset refuses rather than guess.
 */
import type { Site } from './methods.js'
import { formatFloat, kindOf, RubyHash, RubySymbol, type Value } from './values.js'

const WIDTH = 80

export function toYaml(value: Value, site: Site): string {
  const state: EmitState = { openEnded: false }
  const head = node(value, 0, site, state)
  // libyaml closes a document holding a `|+` block, which keeps its trailing newlines, with `...`.
  const end = state.openEnded ? '...\n' : ''
  if (head.inline !== undefined) return `--- ${head.inline}\n${end}`
  if (head.block) return `--- ${head.block.header}\n${head.block.lines.map((line) => (line ? `  ${line}` : '')).join('\n')}\n${end}`
  return `${['---', ...head.lines!].join('\n')}\n${end}`
}

interface EmitState {
  /** Whether a `|+` block was written. */
  openEnded: boolean
}

interface Rendered {
  /** A value that fits after `key: ` or `- `. */
  inline?: string
  /** A literal block scalar: `|-` and its lines, indented by the caller. */
  block?: { header: string; lines: string[] }
  /** A collection's lines, not yet indented. */
  lines?: string[]
}

function node(value: Value, depth: number, site: Site, state: EmitState): Rendered {
  if (depth > 100) site.fail('to_yaml: the value is nested too deeply')
  switch (kindOf(value)) {
    case 'nil':
      return { inline: '' }
    case 'boolean':
    case 'integer':
      return { inline: String(value) }
    case 'float': {
      const n = value as number
      return { inline: Number.isNaN(n) ? '.nan' : !Number.isFinite(n) ? (n > 0 ? '.inf' : '-.inf') : formatFloat(n) }
    }
    case 'symbol':
      return { inline: scalar(`:${(value as RubySymbol).name}`, site, true) }
    case 'string':
      return stringNode(value as string, site, state)
    case 'array': {
      const items = value as Value[]
      if (items.length === 0) return { inline: '[]' }
      return { lines: items.flatMap((item) => entry('-', node(item, depth + 1, site, state), true)) }
    }
    case 'hash': {
      const hash = value as RubyHash
      if (hash.size === 0) return { inline: '{}' }
      return {
        lines: hash.pairs().flatMap(([key, item]) => {
          const keyText = node(key, depth + 1, site, state)
          if (keyText.inline === undefined || keyText.inline === '') return site.fail('to_yaml: a nil, multi-line, Array or Hash key is not supported by the ERB subset')
          return entry(`${keyText.inline}:`, node(item, depth + 1, site, state), false)
        }),
      }
    }
    default:
      return site.fail(`to_yaml of ${kindOf(value)} values is not supported by the ERB subset`)
  }
}

/** `- item` or `key: value`, with a collection below it; a sequence in a mapping is not indented. */
function entry(prefix: string, rendered: Rendered, inSequence: boolean): string[] {
  if (rendered.inline !== undefined) return [rendered.inline === '' ? prefix : `${prefix} ${rendered.inline}`]
  if (rendered.block) return [`${prefix} ${rendered.block.header}`, ...rendered.block.lines.map((line) => (line ? `  ${line}` : ''))]
  const lines = rendered.lines!
  const nestedSequence = lines[0]!.startsWith('-')
  if (inSequence) return [`${prefix} ${lines[0]}`, ...lines.slice(1).map((line) => `  ${line}`)]
  return [prefix, ...lines.map((line) => (nestedSequence ? line : `  ${line}`))]
}

const WORD = /[\p{L}\p{M}\p{N}\p{Pc}]/u

function stringNode(text: string, site: Site, state: EmitState): Rendered {
  if (literalRequested(text)) {
    const spaceBreak = / \n/.test(text)
    const special = /[^\P{Cc}\n]|[\u2028\u2029\u0085\ufeff]/u.test(text)
    // libyaml writes a literal block unless a space ends a line or the text ends with one.
    if (spaceBreak || special || text.endsWith(' ')) return { inline: doubleQuoted(text) }
    const trailing = /\n*$/.exec(text)![0].length
    const chomping = trailing === 0 ? '-' : trailing === 1 ? '' : '+'
    const indicator = /^[ \n]/.test(text) ? '2' : ''
    if (chomping === '+') state.openEnded = true
    return { block: { header: `|${indicator}${chomping}`, lines: text.replace(/\n$/, '').split('\n') } }
  }
  if (text.includes('\n')) {
    if (/ \n|\n /.test(text) || /[^\P{Cc}\n]/u.test(text) || startsNonWordLine(text)) return { inline: doubleQuoted(text) }
    return site.fail('to_yaml: this string would be single-quoted over several lines, which the ERB subset does not write')
  }
  return { inline: scalar(text, site, false) }
}

/** Psych's test `/\n(?!\Z)/`: a line break that neither ends the text nor comes right before its last one. */
function literalRequested(text: string): boolean {
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    const endsText = i + 1 === text.length || (i + 2 === text.length && text[i + 1] === '\n')
    if (!endsText) return true
  }
  return false
}

/** A scalar in the style Psych chooses, then as libyaml allows it. */
function scalar(text: string, site: Site, symbol: boolean): string {
  if (text === '<<') return "!!str '<<'"
  if (!symbol && (text === 'y' || text === 'n')) return doubleQuoted(text)
  if (!symbol && text.length > WIDTH && /[ ]/.test(text)) {
    return site.fail('to_yaml: a string this long with spaces would be folded by libyaml, which the ERB subset does not do')
  }
  if (!symbol && startsNonWordLine(text)) return doubleQuoted(text)
  if (!symbol && (resolvesToNonString(text) || /^0[0-7]*[89]/.test(text))) return singleQuoted(text)
  if (plainAllowed(text)) return text
  return /[^\P{Cc}]|[\u2028\u2029\u0085\ufeff]/u.test(text) ? doubleQuoted(text) : singleQuoted(text)
}

/** Psych's `/^[^[:word:]][^"]*$/`: some line starts with a non-word character and the rest has no `"`. */
function startsNonWordLine(text: string): boolean {
  const starts = [0]
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1)
  return starts.some((start) => {
    const char = text[start]
    if (char === undefined || WORD.test(String.fromCodePoint(text.codePointAt(start)!))) return false
    const lineEnd = text.indexOf('\n', start + 1)
    const rest = text.slice(start + 1, lineEnd === -1 ? text.length : lineEnd)
    return !rest.includes('"')
  })
}

/** What Psych's ScalarScanner reads as something other than a String: booleans, null, numbers, dates. */
function resolvesToNonString(text: string): boolean {
  if (text === '') return true
  if (/^(?:yes|no|true|false|on|off|null|~)$/i.test(text)) return true
  if (/^\d{4}-\d{1,2}-\d{1,2}(?:[Tt\s]\d{1,2}:\d\d:\d\d(?:\.\d*)?(?:\s*(?:Z|[-+]\d{1,2}(?::?\d\d)?))?)?$/.test(text)) return true
  if (/^[-+]?(?:\.inf|\.Inf|\.INF)$|^\.(?:nan|NaN|NAN)$/.test(text)) return true
  if (/^:./.test(text)) return true
  if (/^[-+]?(?:0b[01_]+|0[0-7_]+|(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)|0x[0-9a-fA-F_]+)$/.test(text)) return true
  if (/^[-+]?[0-9][0-9_,]*(?::[0-5]?[0-9])+$/.test(text)) return true
  if (/^[-+]?(?:[0-9][0-9_,]*)?\.[0-9]*(?:[eE][-+][0-9]+)?$/.test(text) && /[0-9]/.test(text)) return true
  if (/^[-+]?[0-9][0-9_,]*(?::[0-5]?[0-9])+\.[0-9_]*$/.test(text)) return true
  return false
}

/** libyaml's analysis for a plain scalar in block context. */
function plainAllowed(text: string): boolean {
  if (text === '' || /^\s|\s$/.test(text) || text.includes('\n')) return false
  if (/^[-?:]( |$)/.test(text) || /^[,[\]{}#&*!|>'"%@`]/.test(text)) return false
  if (text.includes(': ') || text.includes(' #') || text.endsWith(':')) return false
  return !/[^\P{Cc}]|[\u2028\u2029\u0085\ufeff]/u.test(text)
}

function singleQuoted(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

const DOUBLE_ESCAPES: Record<string, string> = {
  '\0': '\\0', '\x07': '\\a', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\v': '\\v', '\f': '\\f', '\r': '\\r',
  '\x1b': '\\e', '"': '\\"', '\\': '\\\\', '\u0085': '\\N', '\u00a0': '\\_', '\u2028': '\\L', '\u2029': '\\P',
}

function doubleQuoted(text: string): string {
  let out = '"'
  for (const char of text) {
    const code = char.codePointAt(0)!
    if (Object.hasOwn(DOUBLE_ESCAPES, char)) out += DOUBLE_ESCAPES[char]
    else if (code < 0x20 || code === 0x7f || code === 0xfeff) out += `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`
    else out += char
  }
  return `${out}"`
}
