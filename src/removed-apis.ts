/**
 * Removed Kubernetes APIs (design §8): which objects use an apiVersion that a given Kubernetes release no
 * longer serves, and the mechanical rewrites that move them to the replacement. Old CNI manifests (Pharos
 * shipped flannel with extensions/v1beta1 and rbac v1beta1) are the main reason this exists.
 */
import { isMap, isScalar, type Document, type YAMLMap } from 'yaml'
import { describeObject, type ManifestDocument, type ManifestObject, type ObjectDocument } from './documents.js'
import { UsageError } from './errors.js'
import { isRecord } from './records.js'

/** The mechanical rewrites --upgrade-apis knows; each is a blocker check plus an edit (see REWRITES). */
export type RewriteName = 'apiVersion' | 'workload' | 'webhooks'

export interface RemovedApi {
  apiVersion: string
  kinds: readonly string[] | '*'
  /** First minor release that no longer serves it, 'major.minor'. */
  removedIn: string
  /** Undefined when nothing took its place. */
  replacement?: string
  /** How --upgrade-apis rewrites it (one of REWRITES); undefined means report only. */
  rewrite?: RewriteName
  /**
   * Report-only rows: what to change by hand. Rewritten rows: a behaviour change worth telling. Rows without
   * a replacement: what took its place.
   */
  note?: string
}

const WORKLOAD_KINDS = ['DaemonSet', 'Deployment', 'StatefulSet', 'ReplicaSet'] as const
const WEBHOOK_KINDS = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'] as const
const INGRESS_NOTE =
  'convert it to networking.k8s.io/v1 by hand: a backend is now service.name with service.port.number ' +
  'or service.port.name, and every path needs a pathType'
const HPA_NOTE =
  'convert it to autoscaling/v2 by hand: metric targets are now target.type with averageUtilization, ' +
  'averageValue or value'

export const REMOVED_APIS: readonly RemovedApi[] = [
  ...['extensions/v1beta1', 'apps/v1beta1', 'apps/v1beta2'].map(
    (apiVersion): RemovedApi => ({
      apiVersion,
      kinds: WORKLOAD_KINDS,
      removedIn: '1.16',
      replacement: 'apps/v1',
      rewrite: 'workload',
    }),
  ),
  {
    apiVersion: 'extensions/v1beta1',
    kinds: ['NetworkPolicy'],
    removedIn: '1.16',
    replacement: 'networking.k8s.io/v1',
    rewrite: 'apiVersion',
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1beta1',
    kinds: '*',
    removedIn: '1.22',
    replacement: 'rbac.authorization.k8s.io/v1',
    rewrite: 'apiVersion',
  },
  {
    apiVersion: 'apiextensions.k8s.io/v1beta1',
    kinds: ['CustomResourceDefinition'],
    removedIn: '1.22',
    replacement: 'apiextensions.k8s.io/v1',
    note:
      'convert it to apiextensions.k8s.io/v1 by hand: v1 needs spec.versions with a structural ' +
      'schema (openAPIV3Schema) for every version',
  },
  {
    apiVersion: 'admissionregistration.k8s.io/v1beta1',
    kinds: WEBHOOK_KINDS,
    removedIn: '1.22',
    replacement: 'admissionregistration.k8s.io/v1',
    rewrite: 'webhooks',
    note:
      'v1 defaults differ where a webhook leaves them unset: failurePolicy Fail (was Ignore), matchPolicy ' +
      'Equivalent (was Exact), timeoutSeconds 10 (was 30)',
  },
  {
    apiVersion: 'apiregistration.k8s.io/v1beta1',
    kinds: ['APIService'],
    removedIn: '1.22',
    replacement: 'apiregistration.k8s.io/v1',
    rewrite: 'apiVersion',
  },
  {
    apiVersion: 'extensions/v1beta1',
    kinds: ['Ingress'],
    removedIn: '1.22',
    replacement: 'networking.k8s.io/v1',
    note: INGRESS_NOTE,
  },
  {
    apiVersion: 'networking.k8s.io/v1beta1',
    kinds: ['Ingress', 'IngressClass'],
    removedIn: '1.22',
    replacement: 'networking.k8s.io/v1',
    note: INGRESS_NOTE,
  },
  {
    apiVersion: 'policy/v1beta1',
    kinds: ['PodDisruptionBudget'],
    removedIn: '1.25',
    replacement: 'policy/v1',
    rewrite: 'apiVersion',
    note: 'an empty spec.selector now selects every pod in the namespace',
  },
  {
    apiVersion: 'policy/v1beta1',
    kinds: ['PodSecurityPolicy'],
    removedIn: '1.25',
    note: 'Pod Security Admission replaced it',
  },
  // extensions/v1beta1 stopped serving PodSecurityPolicy with the other extensions kinds in 1.16.
  {
    apiVersion: 'extensions/v1beta1',
    kinds: ['PodSecurityPolicy'],
    removedIn: '1.16',
    note: 'policy/v1beta1 served it up to 1.24, then Pod Security Admission replaced it',
  },
  {
    apiVersion: 'batch/v1beta1',
    kinds: ['CronJob'],
    removedIn: '1.25',
    replacement: 'batch/v1',
    rewrite: 'apiVersion',
  },
  {
    apiVersion: 'autoscaling/v2beta1',
    kinds: ['HorizontalPodAutoscaler'],
    removedIn: '1.25',
    replacement: 'autoscaling/v2',
    note: HPA_NOTE,
  },
  {
    apiVersion: 'autoscaling/v2beta2',
    kinds: ['HorizontalPodAutoscaler'],
    removedIn: '1.26',
    replacement: 'autoscaling/v2',
    note: 'change apiVersion to autoscaling/v2 by hand and check spec.behavior against the v2 defaults',
  },
  {
    apiVersion: 'storage.k8s.io/v1beta1',
    kinds: ['CSIStorageCapacity'],
    removedIn: '1.27',
    replacement: 'storage.k8s.io/v1',
    rewrite: 'apiVersion',
  },
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta2',
    kinds: '*',
    removedIn: '1.29',
    replacement: 'flowcontrol.apiserver.k8s.io/v1',
    note:
      'convert it to flowcontrol.apiserver.k8s.io/v1 by hand: assuredConcurrencyShares is now ' +
      'nominalConcurrencyShares, and an explicit 0 no longer means the default',
  },
]

export interface RemovedApiFinding {
  file: string
  line: number
  documentIndex: number
  apiVersion: string
  kind: string
  name: string
  namespace?: string
  removedIn: string
  /** Undefined when the API has no replacement (PodSecurityPolicy). */
  replacement?: string
  message: string
  hint: string
}

/**
 * The minor version that `kubernetesVersion` names ('1.32.0', 'v1.32.4', '1.33'), or Infinity for 'master',
 * against which every removal counts.
 */
export function parseKubernetesMinor(kubernetesVersion: string): number {
  if (kubernetesVersion === 'master') return Number.POSITIVE_INFINITY
  const match = /^v?1\.(\d+)(?:\.\d+(?:[-+][0-9A-Za-z.+-]*)?)?$/.exec(kubernetesVersion)
  if (!match) {
    throw new UsageError(`${JSON.stringify(kubernetesVersion)} is not a Kubernetes version`, {
      hint: 'give it as 1.32, 1.32.0, v1.32.4 or master',
    })
  }
  return Number(match[1])
}

/** Objects in `documents` whose API `kubernetesVersion` no longer serves, in document order. */
export function findRemovedApis(documents: ObjectDocument[], kubernetesVersion: string): RemovedApiFinding[] {
  const minor = parseKubernetesMinor(kubernetesVersion)
  return documents.flatMap((doc) => {
    const removed = removedApiOf(doc.object)
    return removed && minorOf(removed.removedIn) <= minor ? [finding(doc, removed)] : []
  })
}

export interface ApiUpgrade {
  file: string
  line: number
  from: string
  to: string
  kind: string
  name: string
  /** What the rewrite changed beyond apiVersion, or a behaviour that differs. */
  changes: string[]
}

export interface UpgradeResult {
  documents: ManifestDocument[]
  upgrades: ApiUpgrade[]
  /** Objects left out because their API has no replacement (only with dropRemoved). */
  dropped: RemovedApiFinding[]
}

/**
 * Rewrites every removed API that has a mechanical replacement, whatever the target version (an old
 * apiVersion is never better), and leaves out objects whose API has no replacement when `dropRemoved`.
 * Rewritten documents are new objects; the input is never mutated.
 */
export function upgradeRemovedApis(documents: ManifestDocument[], options: { dropRemoved: boolean }): UpgradeResult {
  const upgrades: ApiUpgrade[] = []
  const dropped: RemovedApiFinding[] = []
  const kept: ManifestDocument[] = []
  for (const doc of documents) {
    const removed = removedApiOf(doc.object)
    if (removed?.rewrite && removed.replacement && REWRITES[removed.rewrite].blockers(doc.object).length === 0) {
      const { document, changes } = rewrite(doc, removed.replacement, removed.rewrite)
      kept.push(document)
      upgrades.push({
        file: doc.source.path,
        line: doc.line,
        from: removed.apiVersion,
        to: removed.replacement,
        kind: doc.object.kind,
        name: doc.object.metadata.name,
        changes: removed.note ? [...changes, removed.note] : changes,
      })
    } else if (removed && removed.replacement === undefined && options.dropRemoved) {
      dropped.push(finding(doc, removed))
    } else {
      kept.push(doc)
    }
  }
  return { documents: kept, upgrades, dropped }
}

function removedApiOf(object: ManifestObject): RemovedApi | undefined {
  return REMOVED_APIS.find(
    (api) => api.apiVersion === object.apiVersion && (api.kinds === '*' || api.kinds.includes(object.kind)),
  )
}

function minorOf(removedIn: string): number {
  return Number(removedIn.split('.')[1])
}

function finding(doc: ObjectDocument, removed: RemovedApi): RemovedApiFinding {
  const { apiVersion, kind, metadata } = doc.object
  const { name, namespace } = metadata
  const instead = removed.replacement ? `; use ${removed.replacement}` : ', with no replacement'
  return {
    file: doc.source.path,
    line: doc.line,
    documentIndex: doc.documentIndex,
    apiVersion,
    kind,
    name,
    ...(namespace === undefined ? {} : { namespace }),
    removedIn: removed.removedIn,
    replacement: removed.replacement,
    message: `${describeObject(doc.object)} uses ${apiVersion}, removed in Kubernetes ${removed.removedIn}${instead}`,
    hint: hintFor(doc.object, removed),
  }
}

function hintFor(object: ManifestObject, removed: RemovedApi): string {
  if (removed.replacement === undefined) {
    const why = removed.note ? ` (${removed.note})` : ''
    return `${object.kind} has no replacement: remove it, or render with --drop-removed${why}`
  }
  if (!removed.rewrite) return removed.note ?? `change it to ${removed.replacement} by hand`
  const blockers = REWRITES[removed.rewrite].blockers(object)
  if (blockers.length > 0) return `${blockers.join('; ')}, then render with --upgrade-apis`
  return 'render with --upgrade-apis to rewrite it'
}

interface Rewrite {
  /** What the user must add by hand before the rewrite gives a valid object; empty when it can go ahead. */
  blockers(object: ManifestObject): string[]
  /** Changes beyond apiVersion, made to the (already copied) document; returns notes for ApiUpgrade.changes. */
  apply(yaml: Document, before: ManifestObject): string[]
}

const REWRITES: Record<RewriteName, Rewrite> = {
  apiVersion: { blockers: () => [], apply: () => [] },
  workload: { blockers: workloadBlockers, apply: upgradeWorkloadSpec },
  webhooks: { blockers: webhookBlockers, apply: () => [] },
}

function rewrite(
  original: ManifestDocument,
  to: string,
  how: RewriteName,
): { document: ManifestDocument; changes: string[] } {
  const yaml = original.yaml.clone()
  // Setting an existing key keeps its position, scalar style and comments.
  yaml.set('apiVersion', to)
  const changes = REWRITES[how].apply(yaml, original.object)
  const object = yaml.toJS({ maxAliasCount: 1000 }) as ManifestObject
  return { document: { ...original, object, yaml }, changes }
}

function workloadBlockers(object: ManifestObject): string[] {
  const spec = isRecord(object.spec) ? object.spec : {}
  if (spec.selector !== undefined) return []
  const template = isRecord(spec.template) ? spec.template : {}
  const labels = isRecord(template.metadata) ? template.metadata.labels : undefined
  if (isRecord(labels) && Object.keys(labels).length > 0) return []
  return ['apps/v1 requires spec.selector and the pod template has no labels to take it from: add labels to ' +
    'spec.template.metadata.labels']
}

/** v1 rejects a webhook without these, and accepts only the side-effect classes that honour dry runs. */
const V1_SIDE_EFFECTS = ['None', 'NoneOnDryRun']

function webhookBlockers(object: ManifestObject): string[] {
  const webhooks = Array.isArray(object.webhooks) ? (object.webhooks as unknown[]) : []
  return webhooks.flatMap((webhook, index) => {
    const fields = isRecord(webhook) ? webhook : {}
    const missing: string[] = []
    if (!V1_SIDE_EFFECTS.includes(fields.sideEffects as string)) {
      const had = fields.sideEffects === undefined ? '' : ` (not ${String(fields.sideEffects)})`
      missing.push(`sideEffects: None or NoneOnDryRun${had}`)
    }
    const versions = fields.admissionReviewVersions
    if (!Array.isArray(versions) || versions.length === 0) {
      missing.push('admissionReviewVersions (e.g. [v1, v1beta1], the AdmissionReview versions it understands)')
    }
    if (missing.length === 0) return []
    const name = typeof fields.name === 'string' ? ` (${fields.name})` : ''
    return [`webhooks[${index}]${name} needs ${missing.join(' and ')}, which v1 requires`]
  })
}

/** What apps/v1 requires of a workload that the beta APIs did not (so kubeconform -strict accepts it). */
function upgradeWorkloadSpec(yaml: Document, before: ManifestObject): string[] {
  const spec = yaml.get('spec', true)
  if (!isMap(spec)) return []
  const changes: string[] = []
  if (!spec.has('selector')) changes.push(addSelector(yaml, spec, before))
  // Fields the beta APIs had and apps/v1 does not.
  for (const field of ['templateGeneration', 'rollbackTo']) {
    if (spec.has(field)) {
      spec.delete(field)
      changes.push(`removed spec.${field}, which apps/v1 does not have`)
    }
  }
  // The update strategy default changed; a manifest that relied on OnDelete now rolls pods on every change.
  const defaultedOnDelete =
    (before.apiVersion === 'extensions/v1beta1' && before.kind === 'DaemonSet') ||
    (before.apiVersion === 'apps/v1beta1' && before.kind === 'StatefulSet')
  if (defaultedOnDelete && !spec.has('updateStrategy')) {
    changes.push(`spec.updateStrategy now defaults to RollingUpdate (${before.apiVersion} defaulted to OnDelete)`)
  }
  return changes
}

/** Only called when workloadBlockers found the template labels. */
function addSelector(yaml: Document, spec: YAMLMap, before: ManifestObject): string {
  const { template } = before.spec as { template: { metadata: { labels: Record<string, unknown> } } }
  const selector = yaml.createPair('selector', { matchLabels: template.metadata.labels })
  const templateAt = spec.items.findIndex((pair) => (isScalar(pair.key) ? pair.key.value : pair.key) === 'template')
  spec.items.splice(templateAt === -1 ? spec.items.length : templateAt, 0, selector)
  return 'added spec.selector.matchLabels from the pod template labels'
}
