/**
 * The bundle's container: a gzip'd tar (tar-stream) with reproducible bytes, and a reader that trusts none of
 * it. A bundle may come from anywhere, so reading refuses, before anything is written, every member that
 * could land outside the target folder or stand for something other than a plain file: absolute names,
 * `..`, links, devices, duplicates, and members or a total past the size limits.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip, gzipSync } from 'node:zlib'
import tar from 'tar-stream'
import { byUtf8Bytes } from '../byte-order.js'
import { BundleError } from '../errors.js'
import { Budget, DEFAULT_LIMITS, LimitError, type Limits } from '../limits.js'

export interface ArchiveMember {
  /** Relative, `/`-separated: `manifests/kustomization.yaml`. */
  path: string
  data: Buffer
  /** Executable (a script): mode 0755 instead of 0644. */
  executable?: boolean
}

/** 2000-01-01: a fixed mtime, since 0 makes some tar tools warn of an implausibly old file. */
const FIXED_MTIME = new Date(Date.UTC(2000, 0, 1))

/** Every member as a regular file with fixed metadata, in byte order of the names; gzip writes no timestamp. */
export async function packArchive(members: readonly ArchiveMember[]): Promise<Buffer> {
  const pack = tar.pack()
  const chunks: Buffer[] = []
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer)
  })()
  for (const member of [...members].sort((a, b) => byUtf8Bytes(a.path, b.path))) {
    await new Promise<void>((resolve, reject) => {
      pack.entry(
        {
          name: member.path,
          size: member.data.length,
          mode: member.executable ? 0o755 : 0o644,
          mtime: FIXED_MTIME,
          uid: 0,
          gid: 0,
          uname: '',
          gname: '',
          type: 'file',
        },
        member.data,
        (error) => (error ? reject(error) : resolve()),
      )
    })
  }
  pack.finalize()
  await collected
  // Node's gzip header has mtime 0 and no file name: the same tar gives the same bytes.
  return gzipSync(Buffer.concat(chunks), { level: 9 })
}

/**
 * The members of the archive `file`, checked as above, in memory. `file-size` bounds each member and
 * `input-size` the whole archive as unpacked (which also stops a gzip bomb part way).
 */
export async function readArchive(file: string, limits: Limits = DEFAULT_LIMITS): Promise<ArchiveMember[]> {
  const { size } = await stat(file)
  if (size > limits['input-size']) {
    throw new LimitError('input-size', `bundle ${file} is ${size} bytes`, { file, limits })
  }
  const unpacked = new Budget('input-size', limits)
  const members: ArchiveMember[] = []
  const seen = new Set<string>()
  const extract = tar.extract()
  const reading = (async () => {
    for await (const entry of extract) {
      const { name, type } = entry.header
      const problem = memberProblem(name, type ?? 'file', seen)
      if (problem) throw new BundleError(`bundle member ${JSON.stringify(name)} ${problem}`, { file, hint: UNSAFE_HINT })
      seen.add(name)
      if ((entry.header.size ?? 0) > limits['file-size']) {
        throw new LimitError('file-size', `bundle member ${name} is ${entry.header.size} bytes`, { file, limits })
      }
      const chunks: Buffer[] = []
      for await (const chunk of entry) chunks.push(chunk as Buffer)
      if (type !== 'directory') members.push({ path: name, data: Buffer.concat(chunks), executable: ((entry.header.mode ?? 0) & 0o111) !== 0 })
    }
  })()
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        unpacked.use(chunk.length, () => `bundle ${file} unpacks to more than ${limits['input-size']} bytes`, { file })
        callback(null, chunk)
      } catch (error) {
        callback(error as Error)
      }
    },
  })
  try {
    await Promise.all([pipeline(createReadStream(file), createGunzip(), counted, extract), reading])
  } catch (error) {
    extract.destroy()
    if (error instanceof BundleError || error instanceof LimitError) throw error
    throw new BundleError(`${file} is not a bundle: ${(error as Error).message}`, {
      file,
      hint: 'a bundle is the .tgz that `kubectl pharos-net bundle -o FILE.tgz` writes; check that the file is complete',
    })
  }
  return members
}

const UNSAFE_HINT = 'a bundle from `kubectl pharos-net bundle` holds only plain files below its top; this one was not made by it, or was altered'

/** Why a member may not be extracted, or undefined. */
function memberProblem(name: string, type: string, seen: ReadonlySet<string>): string | undefined {
  if (type !== 'file' && type !== 'directory') return `is a ${type}, not a plain file`
  if (name === '' || name.includes('\0')) return 'has an empty or invalid name'
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name) || name.includes('\\')) return 'has an absolute or non-portable path'
  const segments = name.replace(/\/$/, '').split('/')
  if (segments.includes('..')) return 'leads out of the bundle (..)'
  if (segments.some((s) => s === '' || s === '.')) return 'has an empty or . path segment'
  if (seen.has(name)) return 'appears twice'
  return undefined
}
