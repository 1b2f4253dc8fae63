/**
 * Air-gapped bundles (design §10): one .tgz with the rendered folder, the schemas it needs, its images and
 * checksums, made once where there is a network and used where there is none. Reading one verifies every
 * checksum before anything is extracted, and extracts only into a fresh folder of its own.
 */
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { parse } from 'yaml'
import type { ManifestDocument } from '../documents.js'
import { byUtf8Bytes } from '../byte-order.js'
import { BundleError } from '../errors.js'
import { rewrittenImage, findContainerImages, type ImageRewrite } from '../images.js'
import { DEFAULT_LIMITS, type Limits } from '../limits.js'
import { outputFiles, outputStream } from '../output.js'
import type { SchemaSet } from '../schemas.js'
import { packArchive, readArchive, type ArchiveMember } from './archive.js'
import { mirrorScript, type MirrorTool } from './mirror.js'

export const BUNDLE_FORMAT = 1
export const MANIFESTS_DIR = 'manifests'
export const SCHEMAS_DIR = 'schemas'
export const IMAGES_FILE = 'images.txt'
export const METADATA_FILE = 'metadata.json'
export const CHECKSUMS_FILE = 'SHA256SUMS'
export const MIRROR_SCRIPT = 'mirror-images.sh'

export interface BundleMetadata {
  bundleFormat: number
  tool: { name: string; version: string }
  /** x.y.z or master: the version of the schemas, and of validation against them. */
  kubernetesVersion: string
  network: { provider: string; podNetworkCidr: string; serviceCidr: string }
  imageRegistry: string | null
  digests: { config: string; manifests: string }
  counts: { objects: number; images: number; schemas: number }
}

export interface BundleInput {
  documents: ManifestDocument[]
  images: ImageRewrite[]
  /** The registry `images` move to, for metadata.json and the mirror script. */
  imageRegistry?: string
  network: { provider: string; pod_network_cidr: string; service_cidr: string }
  /** cluster.yml's bytes: only its digest goes into the bundle. */
  configText: Buffer
  kubernetesVersion: string
  schemas: SchemaSet
  toolVersion: string
  /** Add mirror-images.sh, copying the images with this tool. */
  mirrorTool?: MirrorTool
}

/** Every member of the bundle; packArchive orders them. */
export function bundleMembers(input: BundleInput): ArchiveMember[] {
  const manifests = outputFiles(input.documents, input.images).map((f) => member(`${MANIFESTS_DIR}/${f.name}`, f.text))
  const schemas = [...input.schemas.files].map(([path, schema]) => member(`${SCHEMAS_DIR}/${path}`, `${JSON.stringify(schema)}\n`))
  const images = findContainerImages(input.documents).map((source) => ({ source, target: rewrittenImage(source, input.images) }))
  const imagesText = images.map((i) => (input.images.length > 0 ? `${i.source} ${i.target}\n` : `${i.source}\n`)).join('')
  const metadata: BundleMetadata = {
    bundleFormat: BUNDLE_FORMAT,
    tool: { name: 'kubectl-pharos-net', version: input.toolVersion },
    kubernetesVersion: input.kubernetesVersion,
    network: {
      provider: input.network.provider,
      podNetworkCidr: input.network.pod_network_cidr,
      serviceCidr: input.network.service_cidr,
    },
    imageRegistry: input.imageRegistry ?? null,
    digests: { config: sha256(input.configText), manifests: sha256(outputStream(input.documents, input.images)) },
    counts: { objects: input.documents.length, images: images.length, schemas: schemas.length },
  }
  const members = [
    ...manifests,
    ...schemas,
    member(IMAGES_FILE, imagesText),
    member(METADATA_FILE, `${JSON.stringify(metadata, null, 2)}\n`),
    ...(input.mirrorTool ? [{ ...member(MIRROR_SCRIPT, mirrorScript(images, input.mirrorTool, input.documents)), executable: true }] : []),
  ]
  return [...members, member(CHECKSUMS_FILE, checksumsText(members))]
}

export function createBundle(input: BundleInput): Promise<Buffer> {
  return packArchive(bundleMembers(input))
}

/** `sha256sum` format, so that `sha256sum -c SHA256SUMS` checks an extracted bundle too. */
export function checksumsText(members: readonly ArchiveMember[]): string {
  return [...members]
    .sort((a, b) => byUtf8Bytes(a.path, b.path))
    .map((m) => `${sha256Hex(m.data)}  ${m.path}\n`)
    .join('')
}

export interface VerifiedBundle {
  file: string
  members: ArchiveMember[]
  metadata: BundleMetadata
}

/** The bundle's members, each checked against SHA256SUMS, and its metadata; nothing is written. */
export async function verifyBundle(file: string, limits: Limits = DEFAULT_LIMITS): Promise<VerifiedBundle> {
  const members = await readArchive(file, limits)
  const fail = (message: string) => new BundleError(message, { file, hint: 'the bundle was altered or damaged: make it again with `kubectl pharos-net bundle`' })
  const sums = members.find((m) => m.path === CHECKSUMS_FILE)
  if (!sums) throw fail(`the bundle has no ${CHECKSUMS_FILE}`)
  const listed = new Map<string, string>()
  for (const [index, line] of sums.data.toString('utf8').split('\n').entries()) {
    if (line === '') continue
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line)
    if (!match) throw fail(`${CHECKSUMS_FILE} line ${index + 1} is not "<sha256>  <member>"`)
    listed.set(match[2]!, match[1]!)
  }
  for (const m of members) {
    if (m === sums) continue
    const expected = listed.get(m.path)
    if (expected === undefined) throw fail(`member ${m.path} has no line in ${CHECKSUMS_FILE}`)
    if (expected !== sha256Hex(m.data)) throw fail(`member ${m.path} does not match its checksum in ${CHECKSUMS_FILE}`)
    listed.delete(m.path)
  }
  const [absent] = listed.keys()
  if (absent !== undefined) throw fail(`member ${absent}, listed in ${CHECKSUMS_FILE}, is missing`)
  return { file, members, metadata: readMetadata(members, fail) }
}

function readMetadata(members: readonly ArchiveMember[], fail: (message: string) => BundleError): BundleMetadata {
  const text = members.find((m) => m.path === METADATA_FILE)?.data.toString('utf8')
  if (text === undefined) throw fail(`the bundle has no ${METADATA_FILE}`)
  let metadata: Partial<BundleMetadata> | null
  try {
    metadata = JSON.parse(text) as Partial<BundleMetadata> | null
  } catch {
    throw fail(`${METADATA_FILE} is not JSON`)
  }
  if (typeof metadata !== 'object' || metadata === null) throw fail(`${METADATA_FILE} is not a JSON object`)
  if (metadata.bundleFormat !== BUNDLE_FORMAT) {
    throw fail(`${METADATA_FILE} says bundle format ${String(metadata.bundleFormat)}; this version reads format ${BUNDLE_FORMAT}`)
  }
  if (typeof metadata.kubernetesVersion !== 'string' || !/^(\d+\.\d+\.\d+|master)$/.test(metadata.kubernetesVersion)) {
    throw fail(`${METADATA_FILE} has no valid kubernetesVersion`)
  }
  return metadata as BundleMetadata
}

export interface OpenedBundle extends VerifiedBundle {
  /** The extracted rendered folder. */
  manifestsDir: string
  /** The extracted schemas, a kubeconform schema location. */
  schemasDir: string
  /** The kustomization's `images:`, to apply as `kubectl apply -k` would. */
  images: ImageRewrite[]
}

/**
 * Verifies the bundle, extracts it into a fresh temporary folder, runs `work` on it, and removes the folder
 * whatever happens.
 */
export async function withOpenedBundle<T>(
  file: string,
  options: { limits?: Limits; tmpDir?: string },
  work: (bundle: OpenedBundle) => Promise<T>,
): Promise<T> {
  const verified = await verifyBundle(file, options.limits)
  const dir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'pharos-net-bundle-'))
  try {
    for (const m of verified.members) {
      const target = join(dir, m.path)
      // Names were checked when read; this keeps the promise even if that check were ever loosened.
      if (relative(dir, target).startsWith('..')) throw new BundleError(`bundle member ${m.path} leads out of the bundle`, { file })
      // A member named like another's folder (`a` and `a/b`) fails the mkdir or the write, whichever comes first.
      const extracted = mkdir(dirname(target), { recursive: true }).then(() => writeFile(target, m.data, { flag: 'wx', mode: m.executable ? 0o755 : 0o644 }))
      await extracted.catch((error: NodeJS.ErrnoException) => {
        throw new BundleError(`bundle member ${m.path} cannot be extracted (${error.code ?? error.message}): it clashes with another member`, { file })
      })
    }
    const manifestsDir = join(dir, MANIFESTS_DIR)
    return await work({ ...verified, manifestsDir, schemasDir: join(dir, SCHEMAS_DIR), images: kustomizationImages(verified) })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** `images:` of the bundle's kustomization.yaml (a YAML we wrote, read without aliases since it may not be). */
function kustomizationImages(bundle: VerifiedBundle): ImageRewrite[] {
  const text = bundle.members.find((m) => m.path === `${MANIFESTS_DIR}/kustomization.yaml`)?.data.toString('utf8')
  if (text === undefined) {
    throw new BundleError(`the bundle has no ${MANIFESTS_DIR}/kustomization.yaml`, { file: bundle.file })
  }
  let images: unknown
  try {
    images = (parse(text, { maxAliasCount: 0 }) as { images?: unknown } | null)?.images
  } catch (error) {
    throw new BundleError(`${MANIFESTS_DIR}/kustomization.yaml does not parse: ${(error as Error).message}`, { file: bundle.file })
  }
  if (images === undefined) return []
  const valid = Array.isArray(images) && images.every((i) => typeof i?.name === 'string' && typeof i?.newName === 'string')
  if (!valid) throw new BundleError(`${MANIFESTS_DIR}/kustomization.yaml has images: that are not name/newName pairs`, { file: bundle.file })
  return (images as ImageRewrite[]).map(({ name, newName }) => ({ name, newName }))
}

function member(path: string, text: string): ArchiveMember {
  return { path, data: Buffer.from(text) }
}

function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

function sha256(data: Buffer | string): string {
  return `sha256:${sha256Hex(data)}`
}
