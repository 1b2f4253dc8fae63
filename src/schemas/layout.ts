/**
 * kubeconform's schema folder layout (pkg/registry/registry.go): for a location DIR it reads
 * `DIR/<version>-standalone[-strict]/<kind>[-<group label>]-<version>.json`, everything lower-cased.
 */
import { UsageError } from '../errors.js'
import { isSchema, type Schema } from './convert.js'

export interface SchemaSet {
  /** Relative path (e.g. `v1.32.13-standalone-strict/daemonset-apps-v1.json`) → schema. */
  files: Map<string, object>
}

export interface SchemaOptions {
  /** With or without the leading `v` (`1.32.13`, `v1.32.13`), or `master`. */
  kubernetesVersion: string
}

export interface GroupVersionKind {
  group: string
  version: string
  kind: string
}

export type Flavour = 'standalone' | 'standalone-strict'

/** Both are always written: kubeconform picks `-strict` when it runs with `-strict`. */
export const FLAVOURS: readonly Flavour[] = ['standalone', 'standalone-strict']

/**
 * The X.Y.Z that a server's version (`kubectl version`) or an OpenAPI document's `info.version` starts with:
 * `v1.32.13-gke.100` and `v1.32.13+k3s1` → `1.32.13`; undefined when there is none.
 */
export function kubernetesRelease(version: string): string | undefined {
  return /^v?(\d+\.\d+\.\d+)/.exec(version.trim())?.[1]
}

/** kubeconform's version folder name: `v1.33` and `1.33` → `v1.33.0`, `1.32.4` → `v1.32.4`, `master` stays. */
export function normalizeKubernetesVersion(version: string): string {
  const trimmed = version.trim()
  if (trimmed === 'master') return 'master'
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(trimmed)
  if (!match) {
    throw new UsageError(`invalid Kubernetes version '${version}'`, {
      hint: 'give it as X.Y.Z (1.32.4), X.Y (1.33 means 1.33.0), with or without a leading v, or master',
    })
  }
  return `v${match[1]}.${match[2]}.${match[3] ?? '0'}`
}

/** The file for a GVK: the lower-cased kind, the group's first label (none for the core group), the version. */
export function schemaPath(version: string, flavour: Flavour, gvk: GroupVersionKind): string {
  const groupLabel = gvk.group === '' ? '' : `-${gvk.group.split('.')[0]}`
  return `${version}-${flavour}/${`${gvk.kind}${groupLabel}-${gvk.version}`.toLowerCase()}.json`
}

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/**
 * The part of a GVK the API server would refuse, as the API server checks CRD names; such a name must not
 * become a path either (`../x`).
 */
export function invalidName(gvk: GroupVersionKind): string | undefined {
  if (!DNS_LABEL.test(gvk.kind.toLowerCase())) return `kind '${gvk.kind}'`
  if (!DNS_LABEL.test(gvk.version)) return `version '${gvk.version}'`
  if (gvk.group !== '' && !DNS_SUBDOMAIN.test(gvk.group)) return `group '${gvk.group}'`
  return undefined
}

/** `apiVersion` and `kind` pinned to the file's GVK: strings, never null, and only this kind's. */
export function withTypeMeta(schema: Schema, gvk: GroupVersionKind): Schema {
  const properties = isSchema(schema.properties) ? schema.properties : {}
  const pinned = (existing: unknown, value: string): Schema => ({
    ...(isSchema(existing) ? existing : {}),
    type: 'string',
    enum: [value],
  })
  return {
    ...schema,
    properties: {
      ...properties,
      apiVersion: pinned(properties.apiVersion, gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`),
      kind: pinned(properties.kind, gvk.kind),
    },
  }
}
