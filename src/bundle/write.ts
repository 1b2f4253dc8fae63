/**
 * Writes a bundle file whole or not at all: beside the target, then renamed over it, so that a failed run
 * leaves an earlier bundle as it was. It never replaces an input, a folder, or a file that is not a gzip
 * archive (what a mistyped `-o cluster.yml` would destroy) unless --force says so.
 */
import { randomBytes } from 'node:crypto'
import { rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { UsageError } from '../errors.js'
import { realPath } from '../output.js'
import { bundlePathKind } from './gzip.js'

export interface WriteBundleOptions {
  /** Replace a file that is not a gzip archive. */
  force?: boolean
  /** The inputs, never replaced: the config file, the manifest folder. */
  protect: ReadonlyArray<{ role: string; path: string }>
}

export async function writeBundleFile(file: string, bytes: Buffer, options: WriteBundleOptions): Promise<void> {
  const target = realPath(resolve(file))
  for (const p of options.protect) {
    const path = realPath(p.path)
    if (target === path || target.startsWith(`${path}/`)) {
      throw new UsageError(`refusing to write the bundle to ${file}: it is ${target === path ? '' : 'inside '}${p.role} ${p.path}`, {
        hint: 'write the bundle elsewhere, e.g. -o network-bundle.tgz',
      })
    }
  }
  const existing = await bundlePathKind(target)
  if (existing === 'folder') throw new UsageError(`${file} is a folder`, { hint: 'give -o a file name, e.g. -o network-bundle.tgz' })
  if (existing === 'other' && !options.force) {
    throw new UsageError(`refusing to replace ${file}: it is not a bundle (not a gzip archive)`, {
      hint: 'choose another name, or pass --force to replace it',
    })
  }
  const staging = join(dirname(target), `.${basename(target)}.tmp-${randomBytes(4).toString('hex')}`)
  try {
    await writeFile(staging, bytes, { flag: 'wx', mode: 0o644 })
    await rename(staging, target)
  } finally {
    await rm(staging, { force: true })
  }
}
