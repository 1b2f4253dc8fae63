/**
 * Whether a path holds a bundle, by gzip's magic bytes (a rendered manifest never starts with them): what
 * `validate PATH` asks to pick its route, and `bundle -o` before it replaces a file. Small on purpose, so
 * that asking does not load the archive code.
 */
import { open } from 'node:fs/promises'

export type BundlePathKind = 'missing' | 'folder' | 'gzip' | 'other'

/** What is at `path`; reading errors other than a missing path or a folder are thrown. */
export async function bundlePathKind(path: string): Promise<BundlePathKind> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return 'missing' as const
    if (error.code === 'EISDIR') return 'folder' as const
    throw error
  })
  if (typeof handle === 'string') return handle
  try {
    if ((await handle.stat()).isDirectory()) return 'folder'
    const buffer = Buffer.alloc(2)
    const { bytesRead } = await handle.read(buffer, 0, 2, 0)
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b ? 'gzip' : 'other'
  } finally {
    await handle.close()
  }
}
