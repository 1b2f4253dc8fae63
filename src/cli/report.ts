/**
 * Everything the CLI prints about results: diagnostics as `path:line:col: severity: message`, render
 * notes, and validation reports as text, JSON or JUnit.
 */
import { isAbsolute, relative } from 'node:path'
import { formatObjectName } from '../object-name.js'
import type { Diagnostic } from '../errors.js'
import type { RenderedSet } from '../pipeline.js'
import { networkDiagnostic } from '../preflight/finding.js'
import type { ResourceResult, ValidationReport } from '../validate.js'
import type { CliIO, GlobalArgs } from './io.js'

export function displayPath(file: string, cwd: string): string {
  if (!isAbsolute(file)) return file
  const rel = relative(cwd, file)
  if (rel === '') return '.'
  // Far away, the absolute path reads better than a ladder of ../
  return rel.split('/').filter((part) => part === '..').length > 2 ? file : rel
}

/**
 * Text from manifests, shown on a terminal: control characters (escape sequences that could move the
 * cursor, rewrite earlier lines or change the title), C1 controls and bidirectional overrides become
 * visible escapes. Newlines inside a value are escaped too, so a value cannot fake a line of its own.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0)
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}

/** printable() for each line of a text whose line breaks are its own (excerpts, several lines). */
function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n')
}

export function formatDiagnostic(d: Diagnostic, cwd: string): string {
  const place = d.file
    ? [displayPath(d.file, cwd), d.line, d.line !== undefined ? d.col : undefined]
        .filter((part) => part !== undefined)
        .join(':') + ': '
    : ''
  const lines = [printable(`${place}${d.severity}: ${d.message}`)]
  if (d.frame) lines.push(printableLines(d.frame))
  if (d.hint) lines.push(`  hint: ${printable(d.hint)}`)
  return lines.join('\n') + '\n'
}

/** Warnings, API upgrades and dropped objects of a render, on stderr. */
export function reportRenderNotes(
  set: Pick<RenderedSet, 'warnings' | 'upgrades' | 'dropped'> & { discovered?: RenderedSet['discovered'] },
  args: GlobalArgs,
  io: CliIO,
): void {
  const note = (d: Diagnostic) => io.stderr.write(formatDiagnostic(d, io.cwd))
  if (args.debug && set.discovered) {
    for (const name of set.discovered.ignored) note({ severity: 'note', message: `ignored ${name}: not a manifest` })
  }
  if (args.quiet) return
  for (const w of set.warnings) note(w)
  for (const u of set.upgrades) {
    note({ severity: 'note', file: u.file, line: u.line, message: `${u.kind} ${u.name}: ${u.from} → ${u.to}${u.changes.length ? `; ${u.changes.join('; ')}` : ''}` })
  }
  for (const d of set.dropped) {
    note({ severity: 'note', file: d.file, line: d.line, message: `left out ${d.kind} ${d.name}: ${d.apiVersion} was removed in Kubernetes ${d.removedIn} without a replacement` })
  }
}

/** Readable: one line per problem, in file order, clickable `path:line`, then a summary. */
export function formatValidationText(report: ValidationReport, cwd: string): string {
  const out: string[] = []
  for (const r of report.resources) {
    if (r.status === 'valid') continue
    const severity = r.status === 'skipped' ? 'note' : 'error'
    for (const e of r.status === 'skipped' ? [{ path: '', message: 'skipped', line: r.line }] : r.errors) {
      const line = e.line ?? r.line
      const where = r.rendered ? `${displayPath(r.file, cwd)}: ` : `${displayPath(r.file, cwd)}:${line}: `
      const field = e.path ? `${e.path}: ` : ''
      const renderedNote = r.rendered ? ` (line ${line} of the rendered output)` : ''
      out.push(printable(`${where}${severity}: ${formatObjectName(r)}: ${field}${e.message}${renderedNote}`))
    }
    if (r.hint) out.push(`  hint: ${printable(r.hint)}`)
  }
  for (const f of report.network ?? []) out.push(formatDiagnostic({ severity: 'error', ...networkDiagnostic(f) }, cwd).trimEnd())
  const s = report.summary
  const network = report.network?.length ? `, ${report.network.length} network mismatches` : ''
  out.push(
    `${s.resources} resources: ${s.valid} valid, ${s.invalid} invalid, ${s.errors} errors, ${s.skipped} skipped, ` +
      `${s.removedApis} removed APIs${network} (Kubernetes ${report.kubernetesVersion})`,
  )
  return out.join('\n') + '\n'
}

/** Stable shape, documented in the README: paths relative to where the user stands. */
export function formatValidationJson(report: ValidationReport, cwd: string): string {
  const resources = report.resources.map((r) => ({
    file: displayPath(r.file, cwd),
    rendered: r.rendered,
    document: r.documentIndex,
    line: r.line,
    apiVersion: r.apiVersion,
    kind: r.kind,
    namespace: r.namespace ?? null,
    name: r.name,
    status: r.status,
    errors: r.errors.map((e) => ({ path: e.path, message: e.message, line: e.line ?? r.line })),
    removedApi: r.removedApi ? { removedIn: r.removedApi.removedIn, replacement: r.removedApi.replacement ?? null } : null,
    hint: r.hint ?? null,
  }))
  if (!report.network) return `${JSON.stringify({ kubernetesVersion: report.kubernetesVersion, summary: report.summary, resources }, null, 2)}\n`
  // Only a set rendered from cluster.yml was checked: the fields say so by being there.
  const network = report.network.map((f) => ({
    check: f.check,
    file: displayPath(f.file, cwd),
    rendered: f.rendered,
    line: f.line,
    templateLine: f.templateLine ?? null,
    expected: f.expected,
    found: f.found,
    message: f.message,
    hint: f.hint,
  }))
  const summary = { ...report.summary, network: network.length }
  return `${JSON.stringify({ kubernetesVersion: report.kubernetesVersion, summary, resources, network }, null, 2)}\n`
}

/**
 * Text as XML 1.0 character data or an attribute value: markup escaped, and the characters XML 1.0 cannot
 * hold at all (most controls, lone surrogates, U+FFFE/U+FFFF) written as visible escapes instead.
 */
export const xml = (text: string) =>
  text
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string)

/** JUnit XML: a suite per source file, a case per resource, for CI dashboards. */
export function formatValidationJunit(report: ValidationReport, cwd: string): string {
  const suites = new Map<string, ResourceResult[]>()
  for (const r of report.resources) suites.set(r.file, [...(suites.get(r.file) ?? []), r])
  const count = (rs: ResourceResult[], ...statuses: string[]) => rs.filter((r) => statuses.includes(r.status)).length
  const all = report.resources
  const network = report.network ?? []
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="kubectl-pharos-net validate" tests="${all.length + network.length}" failures="${count(all, 'invalid', 'removed-api') + network.length}" errors="${count(all, 'error')}" skipped="${count(all, 'skipped')}">`,
  ]
  for (const [file, rs] of suites) {
    const name = xml(displayPath(file, cwd))
    lines.push(
      `  <testsuite name="${name}" tests="${rs.length}" failures="${count(rs, 'invalid', 'removed-api')}" errors="${count(rs, 'error')}" skipped="${count(rs, 'skipped')}">`,
    )
    for (const r of rs) {
      const open = `    <testcase classname="${name}" name="${xml(`${formatObjectName(r)} (${r.apiVersion})`)}"`
      const detail = xml(r.errors.map((e) => `${e.path ? `${e.path}: ` : ''}${e.message}`).join('\n'))
      const tag = r.status === 'invalid' || r.status === 'removed-api' ? 'failure' : r.status === 'error' ? 'error' : undefined
      if (tag) lines.push(`${open}>`, `      <${tag} message="${xml(r.errors[0]?.message ?? r.status)}" type="${r.status}">${detail}</${tag}>`, '    </testcase>')
      else if (r.status === 'skipped') lines.push(`${open}>`, '      <skipped/>', '    </testcase>')
      else lines.push(`${open}/>`)
    }
    lines.push('  </testsuite>')
  }
  if (network.length > 0) {
    lines.push(`  <testsuite name="network" tests="${network.length}" failures="${network.length}" errors="0" skipped="0">`)
    for (const f of network) {
      const where = `${displayPath(f.file, cwd)}:${f.templateLine ?? f.line}`
      lines.push(
        `    <testcase classname="network" name="${xml(`${f.check}: ${where}`)}">`,
        `      <failure message="${xml(f.message)}" type="network">${xml(`${f.message}\nhint: ${f.hint}`)}</failure>`,
        '    </testcase>',
      )
    }
    lines.push('  </testsuite>')
  }
  lines.push('</testsuites>')
  return lines.join('\n') + '\n'
}
