/** How every message names a Kubernetes object, and its API group. Dependency-free, so the CLI can use it at start-up. */
export interface ObjectName {
  kind: string
  name: string
  namespace?: string
}

/** `Kind namespace/name`, or `Kind name` when cluster-scoped. */
export function formatObjectName(o: ObjectName): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`
}

/** The API group of an apiVersion: `apps` of `apps/v1`, empty for the core group's `v1`. */
export function apiGroupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? (apiVersion.split('/')[0] as string) : ''
}
