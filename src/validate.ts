/**
 * Manifests → kubeconform results mapped back to the source file, document and line that produced each
 * resource (design §7). Two routes: parsed documents go to kubeconform as one JSON file each, so every
 * result names its document; plain files go as written, and results are matched to the documents a quick
 * scan found in them (see validateManifestFiles).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isNode, type Document } from 'yaml'
import type { ManifestSource } from './discover.js'
import { identifyDocuments, sliceDocuments } from './document-scan.js'
import { checkDocumentsOf, describeObject, documentKey, lineAt, type ManifestDocument, type ObjectDocument } from './documents.js'
import { EnvironmentError } from './errors.js'
import { runTool, toolFailure, type ToolLimits } from './exec.js'
import type { Limits } from './limits.js'
import type { NetworkFinding } from './preflight/static.js'
import { findRemovedApis, type RemovedApiFinding } from './removed-apis.js'
import { checkSchemaLocations, normalizeKubernetesVersion, schemasFromCrds, writeSchemaSet, type CrdSchemaOptions } from './schemas.js'

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
  /** Static preflight findings; present only when the set was rendered from cluster.yml (validate -c). */
  network?: NetworkFinding[]
}

export interface ValidateOptions extends ToolLimits {
  documents: ManifestDocument[]
  /** Removed-API findings, reported instead of sending those documents to kubeconform. */
  removedApis: RemovedApiFinding[]
  /** kubeconform's form: x.y.z or master. */
  kubernetesVersion: string
  /** Empty means kubeconform's default location. */
  schemaLocations: string[]
  /** Local schema files may refer to other files and URLs (refused by default: kubeconform would load them). */
  allowExternalRefs?: boolean
  /** Path or name of the kubeconform binary. */
  kubeconform: string
  /** Where to put temporary files (default: the OS temp folder). */
  tmpDir?: string
  /** Told when kubeconform starts on the set and when it is done, for a progress line. */
  onProgress?: (progress: ValidationProgress) => void
}

export interface ValidationProgress {
  objects: number
  files: number
  done: boolean
}

export const KUBECONFORM_INSTALL_HINT =
  'install kubeconform v0.7.0 (`go install github.com/yannh/kubeconform/cmd/kubeconform@v0.7.0`, or ' +
  '`scripts/install-tools.sh` in a checkout) and put it on PATH, or pass --kubeconform PATH'

interface KubeconformResource {
  filename: string
  kind: string
  name: string
  version: string
  /** '' for a document with no content (kubeconform v0.7.0 -verbose reports a comment-only one so). */
  status: 'statusValid' | 'statusInvalid' | 'statusError' | 'statusSkipped' | 'statusEmpty' | ''
  msg: string
  validationErrors?: Array<{ path: string; msg: string }>
}

const STATUS: Record<KubeconformResource['status'], ResourceStatus | undefined> = {
  statusValid: 'valid',
  statusInvalid: 'invalid',
  statusError: 'error',
  statusSkipped: 'skipped',
  statusEmpty: undefined,
  '': undefined,
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

/** Parsed documents, such as a set rendered from cluster.yml or one with upgraded APIs. */
export async function validateManifests(options: ValidateOptions): Promise<ValidationReport> {
  const removedByDocument = new Map(options.removedApis.map((f) => [documentKey(f.file, f.documentIndex, f.line), f]))
  const results: ResourceResult[] = []
  const toCheck: Array<{ doc: ManifestDocument; slot: number }> = []
  for (const doc of options.documents) {
    const removed = removedByDocument.get(documentKey(doc.source.path, doc.documentIndex, doc.line))
    if (removed) {
      results.push(removedApiResult(doc, removed))
      continue
    }
    toCheck.push({ doc, slot: results.length })
    results.push({ ...describe(doc), status: 'valid', errors: [] })
  }

  if (toCheck.length > 0) {
    const documents = toCheck.map((c) => c.doc)
    await checkSchemaLocations(options.schemaLocations, documents.map((d) => d.object), options)
    const checked = await withWorkFolder(options, async (work) => {
      // JSON: already at hand as `object`, and quicker than YAML to write and for kubeconform to read.
      const files = documents.map((doc, i) => ({ name: workFileName(i, 'json'), text: JSON.stringify(doc.object) }))
      const locations = schemaLocationsOf(options)
      // The set's own CRDs validate its custom resources without extra flags.
      const crds = documents.filter((d) => d.object.kind === 'CustomResourceDefinition')
      if (crds.length > 0) {
        const crdDir = join(work, 'crd-schemas')
        const set = schemasFromCrds(crds.map((d) => d.object), { kubernetesVersion: options.kubernetesVersion, locate: crdLocator(crds) })
        await writeSchemaSet(set, crdDir)
        locations.push(crdDir)
      }
      const running = startKubeconform(work, files, locations, options).results
      const progress = { objects: documents.length, files: new Set(documents.map((d) => d.source)).size }
      options.onProgress?.({ ...progress, done: false })
      const found = byFileName(await running.finally(() => options.onProgress?.({ ...progress, done: true })))
      return documents.map((doc, i) => {
        const result = found.get(files[i]!.name)
        const status = result && STATUS[result.status]
        if (!result || !status) {
          throw new EnvironmentError(`kubeconform reported nothing for ${describeObject(doc.object)} (${doc.source.name}:${doc.line})`, {
            hint: 'this is unexpected; rerun with --debug and report it with the kubeconform version',
          })
        }
        return mapResult(doc, status, result, options)
      })
    })
    checked.forEach((result, i) => {
      const entry = toCheck[i]
      if (entry) results[entry.slot] = result
    })
  }
  return report(options.kubernetesVersion, results)
}

export type ValidateFilesOptions = Omit<ValidateOptions, 'documents' | 'removedApis'> & {
  sources: ManifestSource[]
  /** yaml-nodes and alias-size for the documents that are parsed. */
  limits?: Limits
}

/**
 * Plain manifest files (a rendered folder, a file, stdin). kubeconform starts on the files' own text, as
 * kubectl would read it, while a quick scan identifies their documents; its results are matched to
 * documents by file, apiVersion, kind and name. When that quick route cannot answer with certainty (a
 * shape the scan does not read, two documents kubeconform cannot tell apart, a custom resource whose CRD
 * is in the set, a document kubeconform cannot read), the documents are parsed and validateManifests runs.
 */
export async function validateManifestFiles(options: ValidateFilesOptions): Promise<ValidationReport> {
  // The kinds decide which schema files kubeconform reads, and those are checked before it runs.
  const slices = sliceDocuments(options.sources)
  const documents = slices && identifyDocuments(slices)
  const quick = documents && await withWorkFolder(options, async (work) => {
    await checkSchemaLocations(options.schemaLocations, documents.map((d) => d.object), options)
    const files = options.sources.map((source, i) => ({ name: workFileName(i, 'yaml'), text: source.text }))
    const progress = { objects: documents.length, files: options.sources.length }
    options.onProgress?.({ ...progress, done: false })
    const found = await startKubeconform(work, files, schemaLocationsOf(options), options).results
      .catch((error: unknown) => {
        // Bad input is reported first, as the parsed route would; then what stopped kubeconform.
        checkDocumentsOf(options.sources, options.limits)
        throw error
      })
      .finally(() => options.onProgress?.({ ...progress, done: true }))
    const fileOf = new Map(options.sources.map((source, i) => [source, files[i]!.name]))
    const matched = matchResults(documents, found, (doc) => fileOf.get(doc.source) ?? '')
    return matched && resultsFromRawDocuments(documents, matched, options)
  })
  if (quick) return report(options.kubernetesVersion, quick)
  const parsed = checkDocumentsOf(options.sources, options.limits)
  return validateManifests({ ...options, documents: parsed, removedApis: findRemovedApis(parsed, options.kubernetesVersion) })
}

/**
 * kubeconform's result for each document, by file name, apiVersion, kind and name (its results carry no
 * namespace and arrive in any order); undefined unless every result finds its document and documents it
 * cannot tell apart got the same result.
 */
function matchResults(
  documents: ObjectDocument[],
  found: KubeconformResource[],
  fileOf: (doc: ObjectDocument) => string,
): KubeconformResource[] | undefined {
  const byIdentity = new Map<string, KubeconformResource[]>()
  for (const result of found) {
    if (result.status === 'statusEmpty' || (result.status === '' && result.kind === '')) continue
    const key = [fileName(result), result.version, result.kind, result.name].join('\0')
    byIdentity.set(key, [...(byIdentity.get(key) ?? []), result])
  }
  const keys = documents.map((doc) => [fileOf(doc), doc.object.apiVersion, doc.object.kind, doc.object.metadata.name].join('\0'))
  const documentsPerKey = new Map<string, number>()
  for (const key of keys) documentsPerKey.set(key, (documentsPerKey.get(key) ?? 0) + 1)
  if ([...byIdentity.keys()].some((key) => !documentsPerKey.has(key))) return undefined
  const matched: KubeconformResource[] = []
  for (const key of keys) {
    const results = byIdentity.get(key) ?? []
    const [first] = results
    const same = (r: KubeconformResource) => r.status === first?.status && r.msg === first.msg &&
      JSON.stringify(r.validationErrors) === JSON.stringify(first.validationErrors)
    if (!first || results.length !== documentsPerKey.get(key) || !results.every(same)) return undefined
    matched.push(first)
  }
  return matched
}

/** kubeconform's results for raw documents, or undefined where only the parsed route can tell. */
function resultsFromRawDocuments(
  documents: ObjectDocument[],
  found: KubeconformResource[],
  options: ValidateFilesOptions,
): ResourceResult[] | undefined {
  // The scan read apiVersion, kind and metadata only: whatever needs more reads the fully parsed document.
  const parsed = new Map<ManifestSource, ManifestDocument[]>()
  const fullDocument = (doc: ObjectDocument) => {
    if (!parsed.has(doc.source)) parsed.set(doc.source, checkDocumentsOf([doc.source], options.limits))
    return parsed.get(doc.source)?.find((d) => d.documentIndex === doc.documentIndex && d.line === doc.line)
  }
  const hasCrds = documents.some((d) => d.object.kind === 'CustomResourceDefinition')
  const results: ResourceResult[] = []
  for (const [i, doc] of documents.entries()) {
    if (findRemovedApis([doc], options.kubernetesVersion).length > 0) {
      // The finding's hint depends on the whole object (an upgrade may need the pod template's labels).
      const full = fullDocument(doc)
      const finding = full && findRemovedApis([full], options.kubernetesVersion)[0]
      if (!finding) return undefined
      results.push(removedApiResult(full, finding))
      continue
    }
    const result = found[i]
    const status = result && STATUS[result.status]
    if (!result || !status) return undefined
    if (status === 'error' && (hasCrds || !isMissingSchema(result))) return undefined
    if (status !== 'invalid') {
      results.push(mapResult(doc, status, result, options))
      continue
    }
    // Field errors point at lines.
    const full = fullDocument(doc)
    if (!full) return undefined
    results.push(mapResult(full, status, result, options))
  }
  return results
}

async function withWorkFolder<T>(options: Pick<ValidateOptions, 'tmpDir'>, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'pharos-net-validate-'))
  try {
    return await work(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function schemaLocationsOf(options: Pick<ValidateOptions, 'schemaLocations'>): string[] {
  return options.schemaLocations.length > 0 ? [...options.schemaLocations] : ['default']
}

/**
 * Writes `files` into `work` and starts kubeconform on them; `results` (in no particular order) settles
 * when it is done, so the caller can work meanwhile.
 */
function startKubeconform(
  work: string,
  files: Array<{ name: string; text: string }>,
  locations: string[],
  options: Pick<ValidateOptions, 'kubeconform' | 'kubernetesVersion' | 'toolTimeout' | 'deadline' | 'signal'>,
): { results: Promise<KubeconformResource[]> } {
  const resourcesDir = join(work, 'resources')
  // Synchronous: small files are written faster than promises for them can be settled.
  mkdirSync(resourcesDir)
  for (const file of files) writeFileSync(join(resourcesDir, file.name), file.text)
  const args = [
    '-output', 'json', '-summary', '-verbose', '-strict',
    '-kubernetes-version', options.kubernetesVersion,
    ...locations.flatMap((l) => ['-schema-location', l]),
    resourcesDir,
  ]
  const results = runTool(options.kubeconform, args, {
    installHint: KUBECONFORM_INSTALL_HINT,
    toolTimeout: options.toolTimeout,
    deadline: options.deadline,
    signal: options.signal,
  }).then((run) => {
    let parsed: { resources?: unknown }
    try {
      parsed = JSON.parse(run.stdout) as { resources?: unknown }
    } catch {
      throw toolFailure(options.kubeconform, run, 'kubeconform did not print its JSON report; run it by hand to see why')
    }
    if (run.exitCode > 1) throw toolFailure(options.kubeconform, run)
    if (!isKubeconformReport(parsed)) {
      throw toolFailure(options.kubeconform, run, 'kubeconform printed JSON that is not its report; check `kubeconform -v` (v0.7.0 is supported)')
    }
    const resources = parsed.resources ?? []
    const unreachable = resources.map((r) => unreachableLocation(r.msg)).find(Boolean)
    if (unreachable) throw unreachable
    return resources
  })
  return { results }
}

function isKubeconformReport(value: unknown): value is { resources?: KubeconformResource[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const resources = (value as { resources?: unknown }).resources
  return resources === undefined || (Array.isArray(resources) && resources.every((r) =>
    typeof r === 'object' && r !== null && typeof r.filename === 'string' && typeof r.status === 'string' && typeof (r.msg ?? '') === 'string'))
}

/** A schema location kubeconform could not reach is the machine's problem, not the resource's (exit 3). */
function unreachableLocation(message: string | undefined): EnvironmentError | undefined {
  const match = /failed downloading schema at (\S+): .*?(connection refused|no such host|i\/o timeout|timeout|network is unreachable|connection reset|TLS handshake|certificate)/i
    .exec(message ?? '')
  if (!match) return undefined
  const url = (match[1] ?? '').replace(/^(\w+:\/\/[^/]+).*$/, '$1')
  return new EnvironmentError(`cannot reach the schema location ${url}: ${match[2]}`, {
    hint: 'check the URL and the network; offline, generate schemas with `kubectl pharos-net schemas` and pass --schema-location DIR',
  })
}

/** The name of the `index`th file handed to kubeconform: its results name files, not documents. */
function workFileName(index: number, extension: 'json' | 'yaml'): string {
  return `${String(index).padStart(5, '0')}.${extension}`
}

/** Results of files that hold one resource each, by file name. */
function byFileName(results: KubeconformResource[]): Map<string, KubeconformResource> {
  return new Map(results.map((r) => [fileName(r), r]))
}

function fileName(result: KubeconformResource): string {
  return result.filename.slice(result.filename.lastIndexOf('/') + 1)
}

function isMissingSchema(result: KubeconformResource): boolean {
  return /could not find schema/i.test(result.msg)
}

function mapResult(
  doc: ObjectDocument | ManifestDocument,
  status: ResourceStatus,
  found: KubeconformResource,
  options: Pick<ValidateOptions, 'schemaLocations'>,
): ResourceResult {
  const base = { ...describe(doc), status }
  if (status === 'valid' || status === 'skipped') return { ...base, errors: [] }
  if (status === 'error' && isMissingSchema(found)) {
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

/** Where a field of one of `documents`' CRDs is, for schemasFromCrds' errors. */
export function crdLocator(documents: ManifestDocument[]): CrdSchemaOptions['locate'] {
  return (crd, path) => {
    const doc = documents.find((d) => d.object === crd)
    return doc && { file: doc.source.path, line: lineOf(doc, path.map(String)) }
  }
}

/** The line of the deepest existing node on `segments`, so a missing field points at its parent. */
function lineOf(doc: ObjectDocument | ManifestDocument, segments: string[]): number {
  if (!('yaml' in doc)) return doc.line
  for (let depth = segments.length; depth >= 0; depth--) {
    const path = segments.slice(0, depth).map((s) => (/^\d+$/.test(s) ? Number(s) : s))
    const node = depth === 0 ? doc.yaml.contents : (doc.yaml as Document).getIn(path, true)
    if (isNode(node) && node.range && doc.lineStarts) return lineAt(doc.lineStarts, node.range[0])
  }
  return doc.line
}

function removedApiMessage(f: RemovedApiFinding): string {
  const instead = f.replacement ? `; use ${f.replacement}` : ', with no replacement'
  return `${f.apiVersion} was removed in Kubernetes ${f.removedIn}${instead}`
}

function unescapePointer(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~')
}

function removedApiResult(doc: ObjectDocument, removed: RemovedApiFinding): ResourceResult {
  return {
    ...describe(doc),
    status: 'removed-api',
    errors: [{ path: '', message: removedApiMessage(removed), line: doc.line }],
    removedApi: { removedIn: removed.removedIn, replacement: removed.replacement },
    hint: removed.hint,
  }
}

function describe(doc: ObjectDocument) {
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

function report(kubernetesVersion: string, resources: ResourceResult[]): ValidationReport {
  return { kubernetesVersion, resources, summary: summarize(resources) }
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
  return invalid + errors + removedApis + (report.network?.length ?? 0) > 0
}
