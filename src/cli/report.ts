/** Turns diagnostics into the one text format users see: `path:line:col: severity: message`. */
import { isAbsolute, relative } from 'node:path'
import type { Diagnostic } from '../errors.js'

export function displayPath(file: string, cwd: string): string {
  if (!isAbsolute(file)) return file
  const rel = relative(cwd, file)
  return rel === '' ? '.' : rel.startsWith('..') && rel.split('/').filter((p) => p === '..').length > 2 ? file : rel
}

export function formatDiagnostic(d: Diagnostic, cwd: string): string {
  const place = d.file
    ? [displayPath(d.file, cwd), d.line, d.line !== undefined ? d.col : undefined]
        .filter((part) => part !== undefined)
        .join(':') + ': '
    : ''
  const lines = [`${place}${d.severity}: ${d.message}`]
  if (d.frame) lines.push(d.frame)
  if (d.hint) lines.push(`  hint: ${d.hint}`)
  return lines.join('\n') + '\n'
}
