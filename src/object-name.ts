/** How every message names a Kubernetes object. Dependency-free, so the CLI can use it at start-up. */
export interface ObjectName {
  kind: string
  name: string
  namespace?: string
}

/** `Kind namespace/name`, or `Kind name` when cluster-scoped. */
export function formatObjectName(o: ObjectName): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`
}
