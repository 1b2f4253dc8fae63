/**
 * Checked documents → kubeconform results mapped back to the source file, document and line that produced
 * each resource (design §7). Each document goes to kubeconform as a file of its own, so every result names
 * exactly one document.
 */
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isNode, type Document } from 'yaml'
import { describeObject, documentKey, type ManifestDocument } from './documents.js'
import { EnvironmentError } from './errors.js'
import { runTool, toolFailure } from './exec.js'
import type { RemovedApiFinding } from './removed-apis.js'
import { normalizeKubernetesVersion, schemasFromCrds, writeSchemaSet } from './schemas.js'

export type ResourceStatus = 'valid' | 'invalid' | 'error' | 'skipped' | 'removed-api'

export interface FieldError {
  /** Dotted path of the field, e.g. `spec.template.spec.containers.0.image`; empty for the whole object. */
  path: string
  message: string
  /** 1-based line of the field in the file (in the rendered output for templates). */
  line?: number
}

export interface ResourceResult {
  file: string
  /** The file is a template: lines are lines of its rendered output. */
  rendered: boolean
  documentIndex: number
  line: number
  apiVersion: string
  kind: string
  name: string
  namespace?: string
  status: ResourceStatus
  errors: FieldError[]
  removedApi?: { removedIn: string; replacement?: string }
  hint?: string
}

export interface ValidationSummary {
  resources: number
  valid: number
  invalid: number
  errors: number
  skipped: number
  removedApis: number
}

export interface ValidationReport {
  kubernetesVersion: string
  resources: ResourceResult[]
  summary: ValidationSummary
}

export interface ValidateOptions {
  documents: ManifestDocument[]
  /** Removed-API findings, reported instead of sending those documents to kubeconform. */
  removedApis: RemovedApiFinding[]
  /** kubeconform's form: x.y.z or master. */
  kubernetesVersion: string
  /** Empty means kubeconform's default location. */
  schemaLocations: string[]
  /** Path or name of the kubeconform binary. */
  kubeconform: string
  /** Where to put temporary files (default: the OS temp folder). */
  tmpDir?: string
}

export const KUBECONFORM_INSTALL_HINT =
  'install kubeconform v0.7.0 (`go install github.com/yannh/kubeconform/cmd/kubeconform@v0.7.0`, or ' +
  '`scripts/install-tools.sh` in a checkout) and put it on PATH, or pass --kubeconform PATH'

interface KubeconformResource {
  filename: string
  kind: string
  name: string
  version: string
  status: 'statusValid' | 'statusInvalid' | 'statusError' | 'statusSkipped' | 'statusEmpty'
  msg: string
  validationErrors?: Array<{ path: string; msg: string }>
}

const STATUS: Record<KubeconformResource['status'], ResourceStatus | undefined> = {
  statusValid: 'valid',
  statusInvalid: 'invalid',
  statusError: 'error',
  statusSkipped: 'skipped',
  statusEmpty: undefined,
}

/**
 * The version kubeconform validates against, in its `x.y.z` form: the one given; else the one a local
 * schema folder was generated for (so `schemas -d DIR` then `validate --schema-location DIR` just works);
 * else `master`.
 */
export async function resolveKubernetesVersion(given: string | undefined, schemaLocations: string[]): Promise<string> {
  if (given !== undefined) return normalizeKubernetesVersion(given).replace(/^v/, '')
  const found = new Set<string>()
  for (const location of schemaLocations.filter((l) => l.startsWith('/'))) {
    const entries = await readdir(location).catch(() => [] as string[])
    for (const entry of entries) {
      const match = /^v(\d+\.\d+\.\d+)-standalone/.exec(entry)
      if (match?.[1]) found.add(match[1])
    }
  }
  return found.size === 1 ? ([...found][0] as string) : 'master'
}

export async function validateManifests(options: ValidateOptions): Promise<ValidationReport> {
  const removedByDocument = new Map(options.removedApis.map((f) => [documentKey(f.file, f.documentIndex, f.line), f]))
  const results: ResourceResult[] = []
  const toCheck: Array<{ doc: ManifestDocument; slot: number }> = []
  for (const doc of options.documents) {
    const removed = removedByDocument.get(documentKey(doc.source.path, doc.documentIndex, doc.line))
    if (removed) {
      results.push({
        ...describe(doc),
        status: 'removed-api',
        errors: [{ path: '', message: removedApiMessage(removed), line: doc.line }],
        removedApi: { removedIn: removed.removedIn, replacement: removed.replacement },
        hint: removed.hint,
      })
      continue
    }
    toCheck.push({ doc, slot: results.length })
    results.push({ ...describe(doc), status: 'valid', errors: [] })
  }

  if (toCheck.length > 0) {
    const work = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'pharos-net-validate-'))
    try {
      const checked = await runKubeconform(work, toCheck.map((c) => c.doc), options)
      checked.forEach((result, i) => {
        const entry = toCheck[i]
        if (entry) results[entry.slot] = result
      })
    } finally {
      await rm(work, { recursive: true, force: true })
    }
  }
  return { kubernetesVersion: options.kubernetesVersion, resources: results, summary: summarize(results) }
}

async function runKubeconform(
  work: string,
  documents: ManifestDocument[],
  options: ValidateOptions,
): Promise<ResourceResult[]> {
  const resourcesDir = join(work, 'resources')
  await mkdir(resourcesDir)
  // JSON: already at hand as `object`, and quicker than YAML to write and for kubeconform to read.
  const fileNames = documents.map((_, i) => `${String(i).padStart(5, '0')}.json`)
  await Promise.all(documents.map((doc, i) => writeFile(join(resourcesDir, fileNames[i] as string), JSON.stringify(doc.object))))

  const locations = options.schemaLocations.length > 0 ? [...options.schemaLocations] : ['default']
  // The set's own CRDs validate its custom resources without extra flags.
  const crds = documents.filter((d) => d.object.kind === 'CustomResourceDefinition').map((d) => d.object)
  if (crds.length > 0) {
    const crdDir = join(work, 'crd-schemas')
    await writeSchemaSet(schemasFromCrds(crds, { kubernetesVersion: options.kubernetesVersion }), crdDir)
    locations.push(crdDir)
  }
  const args = [
    '-output', 'json', '-summary', '-verbose', '-strict',
    '-kubernetes-version', options.kubernetesVersion,
    ...locations.flatMap((l) => ['-schema-location', l]),
    resourcesDir,
  ]
  const run = await runTool(options.kubeconform, args, { installHint: KUBECONFORM_INSTALL_HINT })
  let parsed: { resources?: KubeconformResource[] }
  try {
    parsed = JSON.parse(run.stdout) as { resources?: KubeconformResource[] }
  } catch {
    throw toolFailure(options.kubeconform, run, 'kubeconform did not print its JSON report; run it by hand to see why')
  }
  if (run.exitCode > 1) throw toolFailure(options.kubeconform, run)

  const byFile = new Map<string, KubeconformResource>()
  for (const r of parsed.resources ?? []) byFile.set(r.filename.slice(r.filename.lastIndexOf('/') + 1), r)
  return documents.map((doc, i) => {
    const found = byFile.get(fileNames[i] as string)
    const status = found ? STATUS[found.status] : undefined
    if (!found || !status) {
      throw new EnvironmentError(`kubeconform reported nothing for ${describeObject(doc.object)} (${doc.source.name}:${doc.line})`, {
        hint: 'this is unexpected; rerun with --debug and report it with the kubeconform version',
      })
    }
    return mapResult(doc, status, found, options)
  })
}

function mapResult(
  doc: ManifestDocument,
  status: ResourceStatus,
  found: KubeconformResource,
  options: ValidateOptions,
): ResourceResult {
  const base = { ...describe(doc), status }
  if (status === 'valid' || status === 'skipped') return { ...base, errors: [] }
  if (status === 'error' && /could not find schema/i.test(found.msg)) {
    return {
      ...base,
      errors: [{ path: '', message: `no schema for ${doc.object.kind} ${doc.object.apiVersion} in the schema locations`, line: doc.line }],
      hint: options.schemaLocations.length > 0
        ? `generate schemas with \`kubectl pharos-net schemas --from-openapi FILE -d DIR\` (or --from-cluster), and add ` +
          `--crds for custom resources; looked in: ${options.schemaLocations.join(', ')}`
        : 'pass --schema-location DIR with schemas from `kubectl pharos-net schemas` (the default location is online)',
    }
  }
  const fieldErrors = found.validationErrors ?? []
  if (fieldErrors.length === 0) return { ...base, errors: [{ path: '', message: found.msg, line: doc.line }] }
  return {
    ...base,
    errors: fieldErrors.map((e) => {
      const segments = e.path.split('/').filter(Boolean).map(unescapePointer)
      return { path: segments.join('.'), message: e.msg, line: lineOf(doc, segments) }
    }),
  }
}

/** The line of the deepest existing node on `segments`, so a missing field points at its parent. */
function lineOf(doc: ManifestDocument, segments: string[]): number {
  for (let depth = segments.length; depth >= 0; depth--) {
    const path = segments.slice(0, depth).map((s) => (/^\d+$/.test(s) ? Number(s) : s))
    const node = depth === 0 ? doc.yaml.contents : (doc.yaml as Document).getIn(path, true)
    if (isNode(node) && node.range && doc.lineStarts) return lineAt(doc.lineStarts, node.range[0])
  }
  return doc.line
}

function lineAt(lineStarts: number[], offset: number): number {
  let low = 0
  let high = lineStarts.length - 1
  while (low < high) {
    const mid = (low + high + 1) >> 1
    if ((lineStarts[mid] as number) <= offset) low = mid
    else high = mid - 1
  }
  return low + 1
}

function removedApiMessage(f: RemovedApiFinding): string {
  const instead = f.replacement ? `; use ${f.replacement}` : ', with no replacement'
  return `${f.apiVersion} was removed in Kubernetes ${f.removedIn}${instead}`
}

function unescapePointer(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~')
}

function describe(doc: ManifestDocument) {
  return {
    file: doc.source.path,
    rendered: doc.source.engine !== 'plain',
    documentIndex: doc.documentIndex,
    line: doc.line,
    apiVersion: doc.object.apiVersion,
    kind: doc.object.kind,
    name: doc.object.metadata.name,
    namespace: doc.object.metadata.namespace,
  }
}



function summarize(results: ResourceResult[]): ValidationSummary {
  const count = (status: ResourceStatus) => results.filter((r) => r.status === status).length
  return {
    resources: results.length,
    valid: count('valid'),
    invalid: count('invalid'),
    errors: count('error'),
    skipped: count('skipped'),
    removedApis: count('removed-api'),
  }
}

export function hasFindings(report: ValidationReport): boolean {
  const { invalid, errors, removedApis } = report.summary
  return invalid + errors + removedApis > 0
}
