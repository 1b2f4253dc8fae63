/**
 * apply and diff (design §9): the rendered set validated against the target cluster's own schemas, applied
 * server-side through kubectl, and what left the set pruned by the stack label.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import {
  applyStream,
  clusterVersion,
  defaultNamespace,
  deleteObjects,
  diffStream,
  fetchClusterOpenApi,
  findPruneCandidates,
  groupKindOf,
  waitForCrds,
  waitForRollouts,
  type ClusterVersion,
  type DryRun,
  type KubectlTarget,
  type ObjectRef,
  type RolloutResult,
} from './cluster.js'
import type { ManifestDocument } from './documents.js'
import type { ImageRewrite } from './images.js'
import { UsageError } from './errors.js'
import { outputStream } from './output.js'
import { asRecord } from './records.js'
import { recordManifest, sortedKinds } from './stack-record.js'
import { findRemovedApis } from './removed-apis.js'
import { kubernetesRelease, schemasFromOpenApi, writeSchemaSet } from './schemas.js'
import { hasFindings, validateManifests, type ValidationReport } from './validate.js'
import { acceptForeignCni, hasErrors, runLivePreflight, type PreflightReport } from './preflight/live.js'

/** The networks cluster.yml (or a bundle's metadata) configures, for the live preflight. */
export interface PreflightNetwork {
  podNetworkCidr: string
  serviceCidr: string
}

export interface DeployOptions {
  target: KubectlTarget
  documents: ManifestDocument[]
  /** Schema locations for validation; empty means the cluster's own /openapi/v2, cached in cacheDir. */
  schemaLocations: string[]
  kubeconform: string
  /** Where schemas generated from a cluster are kept, one folder per server version. */
  cacheDir: string
  /** Schema files of schemaLocations may refer outside themselves (see validateManifests). */
  allowExternalRefs?: boolean
  /** The version schemaLocations hold schemas for (a bundle's); default: the server's. */
  schemaVersion?: string
  /** Images moved to another registry, as the output folder's kustomization moves them. */
  images?: ImageRewrite[]
  /** Run the live preflight against these networks first; undefined skips it (--skip-preflight). */
  preflight?: PreflightNetwork
}

export interface ApplyOptions extends DeployOptions {
  dryRun: DryRun
  prune: boolean
  allowEmpty: boolean
  /** Seconds to wait for rollouts, within the target's deadline; undefined: do not wait. */
  waitSeconds?: number
  /** Apply beside another CNI's DaemonSets: their findings become warnings (--replace-cni). */
  replaceCni?: boolean
}

export interface ApplyResult {
  serverVersion: string
  warnings: string[]
  /** The live preflight's report; undefined when it was skipped. */
  preflight?: PreflightReport
  /** Undefined when preflight found errors: nothing was validated or applied. */
  validation?: ValidationReport
  /** False when preflight or validation found problems: nothing was applied. */
  applied: boolean
  output: string
  pruned: ObjectRef[]
  rollouts: RolloutResult[]
}

export async function applyManifests(options: ApplyOptions): Promise<ApplyResult> {
  if (options.documents.length === 0 && options.prune && !options.allowEmpty) {
    throw new UsageError('the rendered set is empty: pruning would delete every object of the stack', {
      hint: 'check network.custom.manifest_path; pass --allow-empty to prune everything on purpose, or --no-prune',
    })
  }
  const [version, report] = await versionAndPreflight(options)
  const warnings = version.skewWarning ? [version.skewWarning] : []
  const result: ApplyResult = { serverVersion: version.server, warnings, applied: false, output: '', pruned: [], rollouts: [] }
  if (report) {
    result.preflight = options.replaceCni ? acceptForeignCni(report) : report
    if (hasErrors(result.preflight)) return result
  }
  const [first, rest] = applyPhases(options.documents)
  const documents = [...first, ...rest]
  // The prune scan only reads: its kubectl runs while kubeconform validates and the streams are made, and
  // is waited for whatever comes of the validation, so that no kubectl is left running.
  const scanning = options.prune ? settled(scanStack(options.target, documents)) : undefined
  const validating = await settled(validateAgainstCluster(options, version.server))
  if (validating.status === 'rejected') {
    await scanning
    throw validating.reason
  }
  result.validation = validating.value
  if (hasFindings(result.validation)) {
    await scanning
    return result
  }
  const crds = crdsDefiningKindsOf(first, rest)
  const calls = applyCalls(first, rest, options.target, crds.length > 0)
  const streams = calls.map((call) => (call.documents.length > 0 ? [outputStream(call.documents, options.images)] : []))
  const scanned = await scanning
  if (scanned?.status === 'rejected') throw scanned.reason
  const scan = scanned?.value
  // The record names, before anything is written, every kind this run may leave objects of: the set's and
  // those still to prune (and what an earlier record named). Without a prune, or when a scan without a
  // record could not list everything, it is written without kinds, so that the next prune lists everything.
  const setKinds = sortedKinds(documents.map((d) => groupKindOf(d.object)))
  const recording = scan && (scan.recordedKinds || scan.warnings.length === 0)
    ? sortedKinds([...setKinds, ...(scan.recordedKinds ?? []), ...scan.candidates.map(groupKindOf)])
    : undefined
  for (const [index, call] of calls.entries()) {
    // When the rest needs them, the CRDs were sent by the first call alone (applyCalls).
    if (index === 1 && options.dryRun === 'none') await waitForCrds(options.target, crds)
    const stream = [...(index === 0 ? [recordManifest(recording)] : []), ...(streams[index] ?? [])]
    result.output += await applyStream(options.target, stream.join('---\n'), options.dryRun, call.namespace)
  }
  result.applied = true
  if (scan) {
    warnings.push(...scan.warnings)
    result.output += await deleteObjects(options.target, scan.candidates, options.dryRun)
    result.pruned = scan.candidates
    // Pruned: the kinds that left the set leave the record, unless some objects could not be listed.
    if (options.dryRun === 'none' && scan.warnings.length === 0 && recording?.join(',') !== setKinds.join(',')) {
      result.output += await applyStream(options.target, recordManifest(setKinds), options.dryRun)
    }
  }
  if (options.waitSeconds !== undefined && options.dryRun === 'none') {
    const deadline = options.target.deadline
    const left = deadline ? Math.max(1, Math.floor((deadline.at - Date.now()) / 1000)) : options.waitSeconds
    result.rollouts = await waitForRollouts(options.target, documents.map(refOf), Math.min(options.waitSeconds, left))
  }
  return result
}

export interface DiffResult {
  serverVersion: string
  warnings: string[]
  changed: boolean
  diff: string
  /** Objects an apply with prune would delete. */
  wouldPrune: ObjectRef[]
  /** The live preflight's report (diff shows its findings and goes on); undefined when skipped. */
  preflight?: PreflightReport
}

export async function diffManifests(options: Omit<DeployOptions, 'schemaLocations' | 'kubeconform' | 'cacheDir'>): Promise<DiffResult> {
  const [version, preflight] = await versionAndPreflight(options)
  const warnings = version.skewWarning ? [version.skewWarning] : []
  const documents = applyOrder(options.documents)
  let [changed, diff] = [false, '']
  for (const part of byNamespace(documents, options.target)) {
    const result = await diffStream(options.target, outputStream(part.documents, options.images), part.namespace)
    changed ||= result.changed
    diff += result.diff
  }
  const scan = await scanStack(options.target, documents)
  warnings.push(...scan.warnings)
  return { serverVersion: version.server, warnings, changed: changed || scan.candidates.length > 0, diff, wouldPrune: scan.candidates, preflight }
}

/** The promise's outcome, without a rejection left unhandled while other work goes on. */
const settled = <T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> =>
  Promise.allSettled([promise]).then(([outcome]) => outcome as PromiseSettledResult<T>)

/**
 * The server's version and the live preflight (when asked for), side by side: the preflight's reads need no
 * version. Both are waited for, so that no kubectl is left running; the version's error comes first, as it
 * names an unreachable cluster.
 */
async function versionAndPreflight(options: Pick<DeployOptions, 'target' | 'preflight'>): Promise<[ClusterVersion, PreflightReport | undefined]> {
  const [version, preflight] = await Promise.allSettled([
    clusterVersion(options.target),
    options.preflight && runLivePreflight({ target: options.target, ...options.preflight }),
  ])
  if (version.status === 'rejected') throw version.reason
  if (preflight.status === 'rejected') throw preflight.reason
  return [version.value, preflight.value]
}

async function validateAgainstCluster(options: DeployOptions, server: string): Promise<ValidationReport> {
  const serverVersion = kubernetesRelease(server) ?? 'master'
  const schemaLocations = options.schemaLocations.length > 0
    ? options.schemaLocations
    : [await clusterSchemas(options.target, options.cacheDir, serverVersion)]
  const validation = await validateManifests({
    documents: options.documents,
    // What the server no longer serves is refused by it, whatever version the schemas were made for.
    removedApis: findRemovedApis(options.documents, serverVersion),
    kubernetesVersion: options.schemaVersion ?? serverVersion,
    schemaLocations,
    kubeconform: options.kubeconform,
    allowExternalRefs: options.allowExternalRefs,
    toolTimeout: options.target.toolTimeout,
    deadline: options.target.deadline,
    signal: options.target.signal,
  })
  return validation
}

/** Schemas of the cluster's own API, generated once per server version and kept for the next run. */
async function clusterSchemas(target: KubectlTarget, cacheDir: string, version: string): Promise<string> {
  const dir = join(cacheDir, 'schemas', `v${version}`)
  if (await stat(dir).then(() => true, () => false)) return dir
  const set = schemasFromOpenApi(await fetchClusterOpenApi(target), { kubernetesVersion: version })
  await mkdir(dirname(dir), { recursive: true })
  const staging = `${dir}.tmp-${process.pid}`
  try {
    await writeSchemaSet(set, staging)
    await rename(staging, dir)
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  return dir
}

/** The stack's objects in the cluster that are no longer in `documents`. */
function scanStack(target: KubectlTarget, documents: ManifestDocument[]) {
  return findPruneCandidates(target, { set: documents.map(refOf), defaultNamespace: () => defaultNamespace(target) })
}

function refOf(doc: ManifestDocument): ObjectRef {
  const { apiVersion, kind, metadata } = doc.object
  return { apiVersion, kind, name: metadata.name, namespace: metadata.namespace }
}

/**
 * Namespaces and CRDs, then the rest in the set's order: apply sends them in two calls, so that what lives
 * in a new namespace or is of a new kind can be created in the same run.
 */
export function applyPhases(documents: ManifestDocument[]): [ManifestDocument[], ManifestDocument[]] {
  const first = (d: ManifestDocument) => d.object.kind === 'Namespace' || d.object.kind === 'CustomResourceDefinition'
  return [documents.filter(first), documents.filter((d) => !first(d))]
}

/**
 * The CRDs of the first phase that define a kind of the rest: kubectl maps each object of a stream to its
 * resource when it reads the stream, so those objects need a call of their own once these CRDs are
 * Established. A set without its own custom resources waits for nothing.
 */
export function crdsDefiningKindsOf(first: ManifestDocument[], rest: ManifestDocument[]): string[] {
  const used = new Set(rest.map((d) => groupKindOf(d.object)))
  return first
    .filter((d) => d.object.kind === 'CustomResourceDefinition')
    .filter((d) => {
      const spec = asRecord(d.object.spec)
      return used.has(`${String(asRecord(spec.names).kind)}.${String(spec.group)}`)
    })
    .map((d) => d.object.metadata.name)
}

/** One kubectl apply: its documents and its -n. */
export interface ApplyCall {
  documents: ManifestDocument[]
  namespace?: string
}

/**
 * The kubectl apply calls for the phases: the first (Namespaces and CRDs, cluster-scoped, so never under -n)
 * by itself when the rest waits for its CRDs, else in the first call of the rest when that call has no -n
 * (otherwise by itself too).
 * Each call costs a kubectl start and its discovery, so there are as few as the order allows.
 */
export function applyCalls(first: ManifestDocument[], rest: ManifestDocument[], target: Pick<KubectlTarget, 'namespace'>, waits: boolean): ApplyCall[] {
  const parts = byNamespace(rest, target)
  const [head] = parts
  if (!waits && head && head.namespace === undefined) return [{ documents: [...first, ...head.documents] }, ...parts.slice(1)]
  return [{ documents: first }, ...parts]
}

/**
 * The documents as kubectl is given them: with a target namespace (Helm's -n, or --namespace), the objects
 * that name none go in a call of their own with `-n`, since kubectl refuses, under -n, an object that names
 * another namespace. Empty parts are left out.
 */
export function byNamespace(documents: ManifestDocument[], target: Pick<KubectlTarget, 'namespace'>): Array<{ documents: ManifestDocument[]; namespace?: string }> {
  const parts = target.namespace
    ? [
        { documents: documents.filter((d) => d.object.metadata.namespace) },
        { documents: documents.filter((d) => !d.object.metadata.namespace), namespace: target.namespace },
      ]
    : [{ documents }]
  return parts.filter((part) => part.documents.length > 0)
}

/** The set in apply order, for diff and the prune scan. */
export function applyOrder(documents: ManifestDocument[]): ManifestDocument[] {
  return applyPhases(documents).flat()
}
