/**
 * The stack's record: a ConfigMap naming the kinds apply wrote objects of, so that a prune lists those
 * kinds only, instead of every resource of the cluster, and still finds the objects of a kind that left the
 * set. kubectl's ApplySet (KEP-3659) keeps the same list on its parent object, in the same form
 * (`applyset.kubernetes.io/contains-group-kinds`); ours is not an ApplySet parent, so it has its own key.
 */
import { isRecord } from './records.js'
import { STACK_LABEL, STACK_NAME } from './output.js'

export const STACK_RECORD = { namespace: 'kube-system', name: 'kubectl-pharos-net-stack' } as const
export const RECORD_KINDS_ANNOTATION = 'pharos.kontena.io/contains-group-kinds'
/**
 * The stack label's value on the record: a selector for both values reads the record in the same listing as
 * the stack's objects, and neither a prune nor `-l pharos.kontena.io/stack=custom-network` takes it for one of them.
 */
export const RECORD_LABEL_VALUE = `${STACK_NAME}.record`

/** Group-kinds as ApplySet writes them: `Kind.group` (`Kind` for the core group), sorted, no duplicates. */
export function sortedKinds(kinds: Iterable<string>): string[] {
  return [...new Set(kinds)].sort()
}

/**
 * The record as a manifest for kubectl apply, in YAML: a stream that starts with `{` is read by kubectl as
 * JSON throughout. `kinds` undefined writes it without the list: the next prune then lists every resource,
 * as for a cluster no record was written in.
 */
export function recordManifest(kinds: readonly string[] | undefined): string {
  return [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    `  name: ${STACK_RECORD.name}`,
    `  namespace: ${STACK_RECORD.namespace}`,
    '  labels:',
    `    ${STACK_LABEL}: ${RECORD_LABEL_VALUE}`,
    // A JSON string is a YAML double-quoted scalar.
    ...(kinds ? ['  annotations:', `    ${RECORD_KINDS_ANNOTATION}: ${JSON.stringify(sortedKinds(kinds).join(','))}`] : []),
    '',
  ].join('\n')
}

/** Whether a listed object is the record. */
export function isStackRecord(item: Record<string, any>): boolean {
  return item.kind === 'ConfigMap' && item.metadata?.namespace === STACK_RECORD.namespace &&
    item.metadata?.name === STACK_RECORD.name && item.metadata?.labels?.[STACK_LABEL] === RECORD_LABEL_VALUE
}

/** The kinds a listed record names; undefined when it names none (written by --no-prune) or is not readable. */
export function recordedKinds(record: Record<string, any>): string[] | undefined {
  const annotations: unknown = record.metadata?.annotations
  const value = isRecord(annotations) ? annotations[RECORD_KINDS_ANNOTATION] : undefined
  if (typeof value !== 'string') return undefined
  return sortedKinds(value.split(',').map((k) => k.trim()).filter(Boolean))
}
