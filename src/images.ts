/**
 * Container images of a manifest set, and their move to another registry for air-gapped clusters (design §10):
 * `image_repository` in cluster.yml or `--image-registry` becomes kustomize `images:` entries, which keep
 * each image's path and tag or digest and change only where it is pulled from.
 */
import type { ManifestDocument, ManifestObject } from './documents.js'
import { ConfigError, UsageError } from './errors.js'
import { byUtf8Bytes } from './byte-order.js'
import { isRecord } from './records.js'

/** Docker's default registry, which an image without one comes from (`busybox` is docker.io/library/busybox). */
export const DEFAULT_REGISTRY = 'docker.io'

export interface ImageReference {
  /** As written in the manifest. */
  image: string
  /** The part before the tag and digest: what kustomize's `images: - name:` matches. */
  name: string
  registry: string
  /** Repository path inside the registry, with `library/` for Docker Hub's single names. */
  path: string
  /** `:tag`, `@sha256:...`, both or empty. */
  suffix: string
}

/** An entry of a kustomization's `images:`: every image named `name` is pulled as `newName` instead. */
export interface ImageRewrite {
  name: string
  newName: string
}

/** Where pod specs sit in each workload kind. */
const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
}

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const

/** Every image of `object`'s containers, init and ephemeral containers, in the order written. */
export function imagesOf(object: ManifestObject): string[] {
  const path = POD_SPEC_PATHS[object.kind]
  if (!path) return []
  let spec: unknown = object
  for (const key of path) spec = isRecord(spec) ? spec[key] : undefined
  if (!isRecord(spec)) return []
  const podSpec = spec
  return CONTAINER_LISTS.flatMap((list) => {
    const containers = podSpec[list]
    return Array.isArray(containers)
      ? containers.flatMap((c) => (isRecord(c) && typeof c.image === 'string' && c.image !== '' ? [c.image] : []))
      : []
  })
}

/** The set's images, sorted (by UTF-8 bytes, as `sort` in the C locale) and unique. */
export function findContainerImages(documents: readonly ManifestDocument[]): string[] {
  return [...new Set(documents.flatMap((d) => imagesOf(d.object)))].sort(byUtf8Bytes)
}

/**
 * Docker's reading of an image reference: the first component is a registry only when it has a `.` or a
 * `:` or is `localhost`; otherwise the image is Docker Hub's, under `library/` when it is a single name.
 */
export function parseImageReference(image: string): ImageReference {
  const digestAt = image.indexOf('@')
  const beforeDigest = digestAt === -1 ? image : image.slice(0, digestAt)
  const lastSlash = beforeDigest.lastIndexOf('/')
  const tagAt = beforeDigest.indexOf(':', lastSlash + 1)
  const name = tagAt === -1 ? beforeDigest : beforeDigest.slice(0, tagAt)
  const suffix = image.slice(name.length)
  const [first = '', ...rest] = name.split('/')
  if (rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    return { image, name, registry: first, path: rest.join('/'), suffix }
  }
  return { image, name, registry: DEFAULT_REGISTRY, path: rest.length === 0 ? `library/${first}` : name, suffix }
}

/** `registry.local:5000` or `registry.local:5000/mirror`: a host with an optional port and path. */
const REGISTRY = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/

/** The registry as given, without a trailing slash; refused when it could not prefix an image name. */
export function checkRegistry(registry: string, origin: { flag?: string; file?: string; line?: number }): string {
  const trimmed = registry.replace(/\/+$/, '')
  if (REGISTRY.test(trimmed)) return trimmed
  const message = `${origin.flag ?? 'image_repository'} '${registry}' is not a registry host (with an optional :port and /path)`
  const hint = 'write it as registry.local:5000 or registry.example.com/mirror, without a scheme or tag'
  throw origin.flag ? new UsageError(message, { hint }) : new ConfigError(message, { file: origin.file, line: origin.line, hint })
}

/** One `images:` entry for each image name of the set, each moved to `registry` with its path kept. */
export function imageRewrites(images: readonly string[], registry: string): ImageRewrite[] {
  const byName = new Map<string, ImageRewrite>()
  for (const image of images) {
    const reference = parseImageReference(image)
    byName.set(reference.name, { name: reference.name, newName: `${registry}/${reference.path}` })
  }
  return [...byName.values()].sort((a, b) => byUtf8Bytes(a.name, b.name))
}

/** What kustomize makes of `image` under `rewrites` (none: the image itself). */
export function rewrittenImage(image: string, rewrites: readonly ImageRewrite[]): string {
  const reference = parseImageReference(image)
  const rewrite = rewrites.find((r) => r.name === reference.name)
  return rewrite ? rewrite.newName + reference.suffix : image
}

/**
 * Where kustomize's images transformer changes an image: `containers` and `initContainers` at any depth of
 * any object. Ephemeral containers are not among them (a manifest cannot create a pod with them anyway).
 */
export const REWRITTEN_CONTAINER_LISTS = ['containers', 'initContainers'] as const
