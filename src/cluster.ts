/**
 * Cluster operations through the user's own kubectl (design §9): their kubeconfig, context and auth
 * plugins apply as they are.
 */
import { EnvironmentError } from './errors.js'
import { apiGroupOf } from './object-name.js'
import { runTool, timeBound, toolFailure, type ToolLimits, type ToolResult } from './exec.js'
import { STACK_LABEL, STACK_NAME } from './output.js'
import { isStackRecord, RECORD_LABEL_VALUE, recordedKinds, sortedKinds } from './stack-record.js'

/** Where and how kubectl runs; its ToolLimits bound every call (tool-timeout, apply's --timeout, signals). */
export interface KubectlTarget extends ToolLimits {
  /** Path or name of the kubectl binary. */
  kubectl: string
  kubeconfig?: string
  context?: string
  /**
   * Where objects that name no namespace go (kubectl's -n). Given to kubectl only with those objects:
   * with -n, kubectl refuses an object that names another namespace.
   */
  namespace?: string
  /** Environment for kubectl (KUBECONFIG is honoured there). */
  env: Record<string, string | undefined>
}

export const KUBECTL_INSTALL_HINT = 'install kubectl (https://kubernetes.io/docs/tasks/tools/) or pass --kubectl PATH'

function targetArgs(target: KubectlTarget): string[] {
  return [
    ...(target.kubeconfig ? ['--kubeconfig', target.kubeconfig] : []),
    ...(target.context ? ['--context', target.context] : []),
  ]
}

/** The call's time bound (tool-timeout or the deadline) in whole seconds, as kubectl's timeout flags take it. */
function boundSeconds(target: KubectlTarget): number {
  return Math.max(1, Math.ceil(timeBound(target).ms / 1000))
}

/**
 * Runs kubectl against the target; non-zero exits are returned for the caller to classify. Requests to
 * the server carry --request-timeout, so kubectl itself gives up on a server that accepts and never
 * answers, with its own message; `rollout status` is a watch that its --timeout bounds, `config` is local.
 */
export function runKubectl(target: KubectlTarget, args: string[], input?: string): Promise<ToolResult> {
  const requestTimeout = args[0] === 'rollout' || args[0] === 'config' ? [] : [`--request-timeout=${boundSeconds(target)}s`]
  return runTool(target.kubectl, [...targetArgs(target), ...requestTimeout, ...args], {
    input,
    env: target.env,
    installHint: KUBECTL_INSTALL_HINT,
    toolTimeout: target.toolTimeout,
    deadline: target.deadline,
    signal: target.signal,
  })
}

/** Turns kubectl's stderr into the error a user can act on: unreachable or forbidden are exit 3. */
export function kubectlFailure(target: KubectlTarget, result: ToolResult): EnvironmentError {
  const stderr = result.stderr
  const refused = /(connection refused|was refused|no such host|i\/o timeout|dial tcp [^:]+:\d+|Unable to connect to the server)/i
  if (refused.test(stderr)) {
    const server =
      /to the server ([^\s]+) was refused/.exec(stderr)?.[1] ??
      /(https?:\/\/[^\s"]+)/.exec(stderr)?.[1]?.replace(/\/(api|apis|openapi|version)\b.*$/, '')
    return new EnvironmentError(`cannot reach the cluster${server ? ` at ${server}` : ''}`, {
      hint: 'check --kubeconfig/--context (or KUBECONFIG) and that the API server is up',
    })
  }
  if (/Please enter (Username|Password)/.test(result.stdout + stderr)) {
    return new EnvironmentError('kubectl asked for a username: the kubeconfig user has no credentials', {
      hint: 'give the user of --kubeconfig/--context (or KUBECONFIG) a token, a client certificate or an exec plugin; ' +
        'nothing here answers prompts',
    })
  }
  const forbidden = /is forbidden: User "([^"]*)" cannot ([a-z]+) resource "([^"]+)"(?: in API group "([^"]*)")?/.exec(stderr)
  if (forbidden) {
    const [, user, verb, resource, group] = forbidden
    return new EnvironmentError(
      `forbidden: user ${user} cannot ${verb} ${resource}${group ? ` in API group ${group}` : ''}`,
      { hint: 'use a context with more permissions, or ask a cluster admin for a role that allows it' },
    )
  }
  return toolFailure(target.kubectl, result)
}

export async function fetchClusterOpenApi(target: KubectlTarget): Promise<object> {
  const result = await runKubectl(target, ['get', '--raw', '/openapi/v2'])
  if (result.exitCode !== 0) throw kubectlFailure(target, result)
  try {
    return JSON.parse(result.stdout) as object
  } catch {
    throw new EnvironmentError('the cluster answered /openapi/v2 with something that is not JSON', {
      hint: 'check that --kubeconfig/--context point at a Kubernetes API server',
    })
  }
}

export interface ClusterVersion {
  server: string
  client?: string
  /** Set when kubectl and the server are more than one minor version apart. */
  skewWarning?: string
}

/** Asks the server its version; the first call that reaches the cluster, so it names an unreachable one. */
export async function clusterVersion(target: KubectlTarget): Promise<ClusterVersion> {
  const result = await runKubectl(target, ['version', '-o', 'json'])
  const parsed = parseJson(result.stdout) as
    | { clientVersion?: { gitVersion?: string; minor?: string }; serverVersion?: { gitVersion?: string; minor?: string } }
    | undefined
  const server = parsed?.serverVersion
  if (result.exitCode !== 0 || !server?.gitVersion) throw kubectlFailure(target, result)
  const client = parsed?.clientVersion
  const skew = client?.minor && server.minor ? Math.abs(parseInt(client.minor, 10) - parseInt(server.minor, 10)) : 0
  return {
    server: server.gitVersion,
    client: client?.gitVersion,
    skewWarning: skew > 1
      ? `kubectl ${client?.gitVersion} is ${skew} minor versions away from the server (${server.gitVersion}); ` +
        'kubectl supports one minor version of skew'
      : undefined,
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** An object as the cluster identifies it. */
export interface ObjectRef {
  apiVersion: string
  kind: string
  name: string
  namespace?: string
}


/** The kind across versions as kubectl takes it for a resource: `Kind.group`, or `Kind` in the core group. */
export const groupKindOf = (ref: Pick<ObjectRef, 'apiVersion' | 'kind'>) =>
  apiGroupOf(ref.apiVersion) ? `${ref.kind}.${apiGroupOf(ref.apiVersion)}` : ref.kind

/**
 * Kinds that copy their owner's labels without an ownerReference (a Service's Endpoints and
 * EndpointSlices), or that are records rather than objects we apply: as discovery names their resources,
 * and as group-kinds.
 */
const NEVER_PRUNED = new Set(['events', 'events.events.k8s.io', 'endpoints', 'endpointslices.discovery.k8s.io', 'componentstatuses'])
const NEVER_PRUNED_KINDS = new Set(['Event', 'Event.events.k8s.io', 'Endpoints', 'EndpointSlice.discovery.k8s.io', 'ComponentStatus'])

export interface PruneQuery {
  /** The set's objects: never candidates; their kinds are listed. */
  set: ObjectRef[]
  /** Where kubectl put the set's objects that name no namespace; asked only when a listed object needs it. */
  defaultNamespace: () => Promise<string>
}

export interface PruneScan {
  /** Labelled objects in the cluster that are not in the set. */
  candidates: ObjectRef[]
  /** Discovery problems that were tolerated (an aggregated API whose backend is down). */
  warnings: string[]
  /**
   * The group-kinds the stack's record named, all of them listed; undefined when there was no record naming
   * them (a cluster applied by an older version, or by --no-prune), and every listable resource was listed.
   */
  recordedKinds?: string[]
}

/** The resources a prune lists: the names `kubectl api-resources -o name` printed, minus NEVER_PRUNED. */
export function prunableResources(discovery: string): string[] {
  return discovery.split('\n').map((l) => l.trim()).filter((l) => l && !NEVER_PRUNED.has(l))
}

/** Whether a set object without a namespace has a namespaced twin among `items`: only then is the default namespace needed. */
function needsDefaultNamespace(items: Array<Record<string, any>>, set: ObjectRef[]): boolean {
  return items.some((item) => item.metadata?.namespace && set.some((s) =>
    s.namespace === undefined && s.name === item.metadata?.name && s.kind === item.kind && apiGroupOf(s.apiVersion) === apiGroupOf(String(item.apiVersion))))
}

/**
 * The listed objects to delete: those without an owner and not being deleted already, minus what `set`
 * defines. A set object without a namespace matches the object in `defaultNamespace` (where kubectl puts
 * it) or a cluster-scoped one.
 */
export function selectPruneCandidates(items: Array<Record<string, any>>, set: ObjectRef[], defaultNamespace: string | undefined): ObjectRef[] {
  const inSet = (o: ObjectRef) =>
    set.some(
      (s) =>
        apiGroupOf(s.apiVersion) === apiGroupOf(o.apiVersion) &&
        s.kind === o.kind &&
        s.name === o.name &&
        (!o.namespace || o.namespace === (s.namespace ?? defaultNamespace)),
    )
  return items
    // Owned objects follow their owner; objects already being deleted need no second delete.
    .filter((item) => !(item.metadata?.ownerReferences?.length > 0) && !item.metadata?.deletionTimestamp)
    .map((item) => ({
      apiVersion: String(item.apiVersion),
      kind: String(item.kind),
      name: String(item.metadata?.name),
      namespace: item.metadata?.namespace || undefined,
    }))
    .filter((ref) => !inSet(ref))
}

/** Listed objects, the warnings of a partial listing, and the kinds of the record when it guided the listing. */
type Listing = { items: Array<Record<string, any>>; warnings: string[]; recorded?: string[] }

/**
 * `kubectl get RESOURCES --all-namespaces -l SELECTOR -o json`: one process, one list request per resource.
 * Undefined when kubectl does not know one of them (a kind whose CRD is gone, or not there yet for diff).
 */
async function listLabelled(target: KubectlTarget, resources: string[], selector: string): Promise<Listing | undefined> {
  if (resources.length === 0) return { items: [], warnings: [] }
  const listed = await runKubectl(target, ['get', resources.join(','), '--all-namespaces', '-l', selector, '-o', 'json'])
  const items = (parseJson(listed.stdout) as { items?: Array<Record<string, any>> } | undefined)?.items
  if (!items) {
    if (/the server doesn't have a resource type/.test(listed.stderr)) return undefined
    throw kubectlFailure(target, listed)
  }
  const warnings = listed.exitCode === 0 ? [] : [`some objects could not be listed: ${listed.stderr.trim().split('\n')[0]}`]
  return { items, warnings }
}

/** Every resource discovery finds that can be listed and deleted: the prune of a cluster without a record. */
async function listEverything(target: KubectlTarget, selector: string): Promise<Listing> {
  const warnings: string[] = []
  const discovery = await runKubectl(target, ['api-resources', '--verbs=list,delete', '-o', 'name'])
  const resources = prunableResources(discovery.stdout)
  if (discovery.exitCode !== 0) {
    if (resources.length === 0) throw kubectlFailure(target, discovery)
    warnings.push(`some API groups could not be listed and are not pruned: ${discovery.stderr.trim().split('\n')[0]}`)
  }
  const listing = await listLabelled(target, resources, selector)
  // Discovery has just named them all; kubectl not knowing one of them is a failure, not a fallback.
  if (!listing) throw new EnvironmentError('kubectl does not know a resource type that `kubectl api-resources` listed', {
    hint: 'run the apply again; if it persists, check the cluster\'s aggregated APIs (kubectl get apiservices)',
  })
  return { items: listing.items, warnings: [...warnings, ...listing.warnings] }
}

/**
 * The stack's objects of the set's kinds and of the kinds the record names: one listing of the set's kinds
 * that reads the record too, and one of the recorded kinds that left the set, if any. Undefined when there
 * is no record naming kinds, or kubectl does not know one of them (its CRD is gone, or not there yet).
 */
async function listRecordedKinds(target: KubectlTarget, setKinds: string[]): Promise<Listing | undefined> {
  const first = await listLabelled(target, sortedKinds([...setKinds, 'ConfigMap']), `${STACK_LABEL} in (${STACK_NAME},${RECORD_LABEL_VALUE})`)
  const record = first?.items.find(isStackRecord)
  const recorded = record && recordedKinds(record)
  if (!first || !recorded) return undefined
  const left = recorded.filter((k) => !setKinds.includes(k) && k !== 'ConfigMap' && !NEVER_PRUNED_KINDS.has(k))
  const more = await listLabelled(target, left, `${STACK_LABEL}=${STACK_NAME}`)
  return more && { items: [...first.items, ...more.items], warnings: [...first.warnings, ...more.warnings], recorded }
}

/**
 * The stack's objects in the cluster that are not in the set: those of the kinds the stack's record names
 * and of the set's own (listRecordedKinds), else those of every listable resource (listEverything), as
 * the record cannot say which.
 */
export async function findPruneCandidates(target: KubectlTarget, query: PruneQuery): Promise<PruneScan> {
  const setKinds = sortedKinds(query.set.map(groupKindOf)).filter((k) => !NEVER_PRUNED_KINDS.has(k))
  const listing = await listRecordedKinds(target, setKinds) ?? await listEverything(target, `${STACK_LABEL}=${STACK_NAME}`)
  const items = listing.items.filter((item) => item.metadata?.labels?.[STACK_LABEL] === STACK_NAME)
  const namespace = needsDefaultNamespace(items, query.set) ? await query.defaultNamespace() : undefined
  return { candidates: selectPruneCandidates(items, query.set, namespace), warnings: listing.warnings, recordedKinds: listing.recorded }
}

/** The namespace objects without one go to: the target's, else the context's, else `default` (as kubectl does). */
export async function defaultNamespace(target: KubectlTarget): Promise<string> {
  if (target.namespace) return target.namespace
  const result = await runKubectl(target, ['config', 'view', '--minify', '-o', 'jsonpath={.contexts[0].context.namespace}'])
  return (result.exitCode === 0 && result.stdout.trim()) || 'default'
}

export type DryRun = 'none' | 'client' | 'server'

export const FIELD_MANAGER = 'kubectl-pharos-net'

const namespaceArgs = (namespace: string | undefined) => (namespace ? ['-n', namespace] : [])

/**
 * Server-side apply of a YAML stream; takes fields over from earlier managers (Pharos, kubectl).
 * `namespace` goes with a stream whose objects name none.
 */
export async function applyStream(target: KubectlTarget, stream: string, dryRun: DryRun, namespace?: string): Promise<string> {
  const result = await runKubectl(
    target,
    [
      'apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', `--dry-run=${dryRun}`,
      ...namespaceArgs(namespace), '-f', '-',
    ],
    stream,
  )
  if (result.exitCode !== 0) throw kubectlFailure(target, result)
  return result.stdout
}

/**
 * Waits until the server serves the kinds these CRDs define: kubectl finds each object's kind when it reads
 * a stream, so a custom resource can only be applied by a call after its CRD is Established.
 */
export async function waitForCrds(target: KubectlTarget, names: string[]): Promise<void> {
  if (names.length === 0) return
  const result = await runKubectl(target, [
    'wait', '--for=condition=Established', `--timeout=${boundSeconds(target)}s`,
    ...names.map((name) => `customresourcedefinitions.apiextensions.k8s.io/${name}`),
  ])
  if (result.exitCode !== 0) throw kubectlFailure(target, result)
}

export async function deleteObjects(target: KubectlTarget, refs: ObjectRef[], dryRun: DryRun): Promise<string> {
  let output = ''
  for (const ref of refs) {
    const result = await runKubectl(target, [
      'delete', groupKindOf(ref), ref.name, ...(ref.namespace ? ['-n', ref.namespace] : []),
      '--ignore-not-found', '--wait=false', `--dry-run=${dryRun}`,
    ])
    if (result.exitCode !== 0) throw kubectlFailure(target, result)
    output += result.stdout
  }
  return output
}

/** `kubectl diff --server-side`: exit 0 same, 1 different, anything else an error. `namespace` as for applyStream. */
export async function diffStream(target: KubectlTarget, stream: string, namespace?: string): Promise<{ changed: boolean; diff: string }> {
  const result = await runKubectl(
    target,
    ['diff', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', ...namespaceArgs(namespace), '-f', '-'],
    stream,
  )
  if (result.exitCode > 1) throw kubectlFailure(target, result)
  return { changed: result.exitCode === 1, diff: result.stdout }
}

export interface RolloutResult {
  ref: ObjectRef
  ready: boolean
  message: string
}

const ROLLOUT_GRACE_MS = 10_000

/** Waits for each DaemonSet and Deployment in turn, all within one deadline. */
export async function waitForRollouts(target: KubectlTarget, refs: ObjectRef[], timeoutSeconds: number): Promise<RolloutResult[]> {
  const deadline = Date.now() + timeoutSeconds * 1000
  // kubectl's own --timeout ends the wait with a message that names the rollout; the run's deadline,
  // a little later, only stops a kubectl that hangs.
  const watcher = { ...target, deadline: target.deadline && { ...target.deadline, at: target.deadline.at + ROLLOUT_GRACE_MS } }
  const results: RolloutResult[] = []
  for (const ref of refs.filter((r) => r.kind === 'DaemonSet' || r.kind === 'Deployment')) {
    const left = Math.max(1, Math.round((deadline - Date.now()) / 1000))
    const result = await runKubectl(watcher, [
      'rollout', 'status', `${ref.kind.toLowerCase()}/${ref.name}`, ...namespaceArgs(ref.namespace ?? target.namespace),
      `--timeout=${left}s`,
    ])
    const message = (result.exitCode === 0 ? result.stdout : result.stderr || result.stdout).trim().split('\n').at(-1) ?? ''
    if (result.exitCode !== 0 && !/timed out|rollout to finish/i.test(message + result.stdout)) throw kubectlFailure(target, result)
    results.push({ ref, ready: result.exitCode === 0, message })
  }
  return results
}
