/**
 * Archives for the bundle tests, written with tar-stream and zlib directly rather than packArchive: a hostile
 * bundle holds what packArchive never writes (links, devices, `..`, duplicates, sizes past the limits).
 */
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip, gzipSync } from 'node:zlib'
import tar, { type Header } from 'tar-stream'
import { checkDocuments, type ManifestDocument } from '../../src/documents.js'
import type { ManifestSource } from '../../src/discover.js'
import type { BundleInput } from '../../src/bundle/bundle.js'

export interface RawEntry {
  header: Partial<Header> & { name: string }
  data?: Buffer | string
}

/** A plain file entry, as another tar tool would write it. */
export const fileEntry = (name: string, data: Buffer | string = 'x\n'): RawEntry => ({ header: { name, type: 'file', mode: 0o644 }, data })

/** The uncompressed tar of `entries`, in the order given. */
export async function rawTar(entries: readonly RawEntry[]): Promise<Buffer> {
  const pack = tar.pack()
  const chunks: Buffer[] = []
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer)
  })()
  for (const { header, data } of entries) {
    await new Promise<void>((resolve, reject) => {
      pack.entry(header, data ?? '', (error) => (error ? reject(error) : resolve()))
    })
  }
  pack.finalize()
  await collected
  return Buffer.concat(chunks)
}

export async function rawTarGz(entries: readonly RawEntry[]): Promise<Buffer> {
  return gzipSync(await rawTar(entries))
}

/**
 * A ustar header of a plain file, by hand: tar-stream's pack takes minutes for the half a million entries of a
 * member-count bomb, and only this one kind of header is needed.
 */
export function ustarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(512)
  header.write(name, 0, 100)
  header.write('0000644\0', 100)
  header.write('0000000\0', 108)
  header.write('0000000\0', 116)
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124)
  header.write('07033241600\0', 136) // 2000-01-01, as packArchive
  // The checksum is taken with its own field as spaces.
  header.write('        ', 148)
  header.write('0', 156)
  header.write('ustar\0' + '00', 257)
  const sum = header.reduce((total, byte) => total + byte, 0)
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
  return header
}

/** The end of a tar: two zero blocks. */
export const TAR_END = Buffer.alloc(1024)

/** Writes the tar `blocks` gzipped into `file`, a block at a time, so that a bomb never sits in memory. */
export async function writeTarGz(file: string, blocks: Iterable<Buffer>): Promise<void> {
  await pipeline(Readable.from(blocks), createGzip({ level: 9 }), createWriteStream(file))
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

/** `sha256sum` lines for `entries`, in the order given. */
export function sumsOf(entries: ReadonlyArray<{ path: string; data: Buffer | string }>): string {
  return entries.map((e) => `${sha256Hex(e.data)}  ${e.path}\n`).join('')
}

const source = (name: string): ManifestSource => ({ path: `/set/${name}`, name, outputName: name, engine: 'plain', text: '' })

/** Checked documents from `files` (name → YAML text), in the order given. */
export function documentsOf(files: Record<string, string>): ManifestDocument[] {
  return checkDocuments(Object.entries(files).map(([name, text]) => ({ source: source(name), text })))
}

export const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: b\n`

export const daemonSet = (name: string, images: readonly string[]) =>
  `apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: ${name}\nspec:\n  selector:\n    matchLabels:\n      app: ${name}\n` +
  `  template:\n    metadata:\n      labels:\n        app: ${name}\n    spec:\n      containers:\n` +
  images.map((image, i) => `        - name: c${i}\n          image: ${JSON.stringify(image)}\n`).join('')

/** A small bundle's input: a ConfigMap and a DaemonSet with two images, and a schema of each kind. */
export function smallBundleInput(overrides: Partial<BundleInput> = {}): BundleInput {
  return {
    documents: documentsOf({
      '01-config.yml': configMap('cni-config'),
      '02-ds.yml': daemonSet('cni', ['quay.io/coreos/flannel:v0.10.0-amd64', 'busybox:1.36', 'quay.io/coreos/flannel:v0.10.0-amd64']),
    }),
    images: [],
    network: { provider: 'custom', pod_network_cidr: '10.32.0.0/12', service_cidr: '10.96.0.0/12' },
    configText: Buffer.from('network:\n  provider: custom\n'),
    kubernetesVersion: '1.32.13',
    schemas: {
      files: new Map<string, object>([
        ['v1.32.13-standalone-strict/configmap-v1.json', { type: 'object', additionalProperties: false }],
        ['v1.32.13-standalone/configmap-v1.json', { type: 'object' }],
      ]),
    },
    toolVersion: '0.1.0',
    ...overrides,
  }
}
