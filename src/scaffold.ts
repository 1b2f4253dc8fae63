/**
 * `init`: copy a built-in template set (`templates/<provider>/`: a cluster.yml, a manifests/ folder and a
 * README) into a new folder, which then renders as it is.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { byUtf8Bytes } from './byte-order.js'
import { EnvironmentError, UsageError } from './errors.js'
import { errnoCode, fileSystemError } from './fs-errors.js'

export interface ScaffoldOptions {
  provider: string
  /** The folder to write; created with its parents when missing. */
  dir: string
  /** The folder holding one template set per provider. */
  templatesDir: string
  /**
   * Write into a non-empty folder. Files of the set overwrite their namesakes; nothing is deleted. All the
   * files are written, or, when one fails, none.
   */
  force?: boolean
}

export interface ScaffoldResult {
  dir: string
  /** Written files, relative to `dir` with `/` separators, sorted. */
  files: string[]
}

interface SetFile {
  /** Relative to the set's folder, with `/` separators. */
  path: string
  text: string
}

/** A template set is marked by its cluster.yml. */
const SET_MARKER = 'cluster.yml'

/** `templates/` of this package, one level above both src/ and dist/. */
export function defaultTemplatesDir(): string {
  return fileURLToPath(new URL('../templates', import.meta.url))
}

/** The providers with a template set in `templatesDir`, sorted. */
export async function listProviders(templatesDir: string): Promise<string[]> {
  let entries
  try {
    entries = await readdir(templatesDir, { withFileTypes: true })
  } catch (error) {
    throw new EnvironmentError(`cannot read the template sets in ${templatesDir}: ${errnoCode(error) ?? String(error)}`, {
      hint: 'the installation of kubectl-pharos-net is incomplete; reinstall it',
      cause: error,
    })
  }
  const providers: string[] = []
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue
    if (await isFile(join(templatesDir, entry.name, SET_MARKER))) providers.push(entry.name)
  }
  return providers.sort(byUtf8Bytes)
}

export async function scaffoldProvider(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const { provider, dir, templatesDir } = options
  const providers = await listProviders(templatesDir)
  if (!providers.includes(provider)) {
    throw new UsageError(`unknown provider "${provider}"; available: ${providers.join(', ') || 'none'}`, {
      hint: `pass --provider with one of: ${providers.join(', ')}`,
    })
  }
  const setDir = join(templatesDir, provider)
  const files = await Promise.all(
    (await listFiles(setDir)).map(async (path) => ({ path, text: withLF(await readFile(join(setDir, path))) })),
  )

  const state = await folderState(dir)
  if (state === 'file') {
    throw new UsageError(`${dir} exists and is not a folder`, { hint: 'choose a new or empty folder for init' })
  }
  if (state === 'non-empty' && !options.force) {
    throw new UsageError(`${dir} is not empty`, {
      hint: 'choose an empty or new folder, or pass --force to write into it anyway ' +
        '(files of the same name are overwritten, nothing is deleted)',
    })
  }
  if (state === 'missing') await writeNewFolder(dir, files)
  else await installFiles(dir, files)
  return { dir, files: files.map((file) => file.path) }
}

/** Every file below `root`, relative with `/` separators, sorted, so the copy is the same every time. */
async function listFiles(root: string, prefix = ''): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name
    if (entry.isDirectory()) found.push(...(await listFiles(root, relative)))
    else if (entry.isFile()) found.push(relative)
  }
  return found.sort(byUtf8Bytes)
}

/** A checkout with CRLF line endings still scaffolds LF files, as every other output of the tool. */
function withLF(bytes: Buffer): string {
  return bytes.toString('utf8').replace(/\r\n/g, '\n')
}

type FolderState = 'missing' | 'empty' | 'non-empty' | 'file'

async function folderState(dir: string): Promise<FolderState> {
  try {
    if (!(await stat(dir)).isDirectory()) return 'file'
    return (await readdir(dir)).length === 0 ? 'empty' : 'non-empty'
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 'missing'
    throw writeError(dir, error)
  }
}

/** A new folder appears whole or not at all: written beside its place, then renamed. */
async function writeNewFolder(dir: string, files: SetFile[]): Promise<void> {
  const staging = join(dirname(dir), `.${basename(dir)}.pharos-net-init-${randomBytes(4).toString('hex')}`)
  try {
    await writeFiles(staging, files)
    await rename(staging, dir).catch((error) => {
      throw writeError(dir, error)
    })
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}

/**
 * Into an existing folder, all the files or none: whatever is in the way is found first; the files are
 * written into a staging folder inside `dir` (the same file system, so renames work) and renamed into place
 * one by one, each original kept aside until the last is in. A failure puts everything back as it was.
 */
async function installFiles(dir: string, files: SetFile[]): Promise<void> {
  for (const file of files) checkNothingInTheWay(dir, file.path)
  const staging = join(dir, `.pharos-net-init-${randomBytes(4).toString('hex')}`)
  const undo: Array<() => void> = []
  let current = dir
  try {
    await writeFiles(join(staging, 'new'), files)
    for (const file of files) {
      const target = (current = join(dir, ...file.path.split('/')))
      const created = mkdirSync(dirname(target), { recursive: true })
      if (created) undo.push(() => rmSync(created, { recursive: true, force: true }))
      if (existsSync(target)) {
        const aside = join(staging, 'old', ...file.path.split('/'))
        mkdirSync(dirname(aside), { recursive: true })
        renameSync(target, aside)
        undo.push(() => renameSync(aside, target))
      }
      renameSync(join(staging, 'new', ...file.path.split('/')), target)
      undo.push(() => rmSync(target))
    }
  } catch (error) {
    for (const step of undo.reverse()) step()
    throw error instanceof UsageError || error instanceof EnvironmentError ? error : writeError(current, error)
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

/** A folder where the set has a file, or a file where it needs a folder, stops init before it writes. */
function checkNothingInTheWay(dir: string, path: string): void {
  const parts = path.split('/')
  for (let depth = 1; depth <= parts.length; depth++) {
    const at = join(dir, ...parts.slice(0, depth))
    let isDirectory
    try {
      isDirectory = statSync(at).isDirectory()
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return
      throw writeError(at, error)
    }
    const last = depth === parts.length
    if (isDirectory === last) {
      throw writeError(join(dir, ...parts), Object.assign(new Error(at), { code: last ? 'EISDIR' : 'ENOTDIR' }))
    }
  }
}

async function writeFiles(dir: string, files: SetFile[]): Promise<void> {
  for (const file of files) {
    const target = join(dir, ...file.path.split('/'))
    try {
      await mkdir(dirname(target), { recursive: true })
      await writeFile(target, file.text)
    } catch (error) {
      throw writeError(target, error)
    }
  }
}

/** Something in the way is the user's to move (exit 2); anything else is the machine's (exit 3). */
function writeError(path: string, error: unknown): Error {
  const code = errnoCode(error)
  if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') {
    return new UsageError(`cannot write ${path}: a file or folder is in the way (${code})`, {
      hint: 'move it aside, or choose a new folder for init',
      cause: error,
    })
  }
  return fileSystemError('write', path, error)
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}
