/**
 * A static preflight finding and where it points: kept apart from the checks so that the report printers
 * can read findings without loading them.
 */
import type { Diagnostic } from '../errors.js'

export type NetworkCheck = 'flannel' | 'calico' | 'weave' | 'kube-router' | 'cilium' | 'antrea'

export interface NetworkFinding {
  check: NetworkCheck
  message: string
  /** The template or manifest file (absolute). */
  file: string
  /** The file is a template: `line` is a line of its rendered output. */
  rendered: boolean
  /** 1-based line of the value in the rendered output. */
  line: number
  /** 1-based line of the template that wrote the value, when it is written there literally. */
  templateLine?: number
  /** The network cluster.yml sets. */
  expected: string
  /** The network the manifest sets, as written. */
  found: string
  hint: string
}

/**
 * Where a network finding points, and what it says: a template's finding at the template's line when the
 * value is written there, with the line of the rendered output in the message.
 */
export function networkDiagnostic(finding: NetworkFinding): Omit<Diagnostic, 'severity'> {
  if (!finding.rendered) return { file: finding.file, line: finding.line, message: finding.message, hint: finding.hint }
  return {
    file: finding.file,
    line: finding.templateLine,
    message: `${finding.message} (line ${finding.line} of the rendered output)`,
    hint: finding.hint,
  }
}
