/** Preflight reports as text, JSON or JUnit, in the style of validate's (report.ts). */
import type { PreflightFinding, PreflightReport } from '../preflight/live.js'
import { displayPath, printable, xml } from './report.js'

const count = (findings: PreflightFinding[], severity: string) => findings.filter((f) => f.severity === severity).length

function place(f: PreflightFinding, cwd: string): string {
  if (f.file) return `${displayPath(f.file, cwd)}${f.line !== undefined ? `:${f.line}` : ''}: `
  return ''
}

/** One finding as a line (and its hint): `severity: Object: field: message`. */
export function formatPreflightFinding(f: PreflightFinding, cwd: string): string {
  const lines = [printable(`${place(f, cwd)}${f.severity}: ${f.object}: ${f.field ? `${f.field}: ` : ''}${f.message}`)]
  if (f.hint) lines.push(`  hint: ${printable(f.hint)}`)
  return lines.join('\n') + '\n'
}

export function formatPreflightText(report: PreflightReport, cwd: string): string {
  const findings = report.findings.map((f) => formatPreflightFinding(f, cwd)).join('')
  return `${findings}${report.checks.length} checks: ${count(report.findings, 'error')} errors, ${count(report.findings, 'warning')} warnings\n`
}

/** Stable shape, documented in the README. */
export function formatPreflightJson(report: PreflightReport, cwd: string): string {
  const findings = report.findings.map((f) => ({
    check: f.check,
    severity: f.severity,
    object: f.object,
    field: f.field ?? null,
    message: f.message,
    hint: f.hint ?? null,
    file: f.file ? displayPath(f.file, cwd) : null,
    line: f.line ?? null,
  }))
  const summary = { checks: report.checks.length, errors: count(report.findings, 'error'), warnings: count(report.findings, 'warning') }
  return `${JSON.stringify({ summary, checks: report.checks, findings }, null, 2)}\n`
}

/**
 * JUnit XML: one suite, a case per check; an error finding is a failure, a check left unchecked (a
 * warning) is skipped with its message, so CI shows what was not looked at.
 */
export function formatPreflightJunit(report: PreflightReport, cwd: string): string {
  const failed = report.checks.filter((c) => report.findings.some((f) => f.check === c && f.severity === 'error'))
  const skipped = report.checks.filter((c) => !failed.includes(c) && report.findings.some((f) => f.check === c))
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="kubectl-pharos-net preflight" tests="${report.checks.length}" failures="${failed.length}" errors="0" skipped="${skipped.length}">`,
    `  <testsuite name="preflight" tests="${report.checks.length}" failures="${failed.length}" errors="0" skipped="${skipped.length}">`,
  ]
  for (const check of report.checks) {
    const open = `    <testcase classname="preflight" name="${xml(check)}"`
    const own = report.findings.filter((f) => f.check === check)
    const detail = (fs: PreflightFinding[]) => xml(fs.map((f) => formatPreflightFinding(f, cwd).trimEnd()).join('\n'))
    const errors = own.filter((f) => f.severity === 'error')
    if (errors.length > 0) {
      lines.push(`${open}>`, `      <failure message="${xml(`${errors[0]!.object}: ${errors[0]!.message}`)}" type="${xml(check)}">${detail(own)}</failure>`, '    </testcase>')
    } else if (own.length > 0) {
      lines.push(`${open}>`, `      <skipped message="${xml(own[0]!.message)}"/>`, '    </testcase>')
    } else lines.push(`${open}/>`)
  }
  lines.push('  </testsuite>', '</testsuites>')
  return lines.join('\n') + '\n'
}
