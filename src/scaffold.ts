/**
 * `init`: copy a built-in template set (`templates/<provider>/`: a cluster.yml, a manifests/ folder and a
 * README) into a new folder, which then renders as it is.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EnvironmentError, UsageError } from './errors.js'

export interface ScaffoldOptions {
  provider: string
  /** The folder to write; created with its parents when missing. */
  dir: string
  /** The folder holding one template set per provider. */
  templatesDir: string
  /** Write into a non-empty folder. Files of the set overwrite their namesakes; nothing is deleted. */
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
    throw new EnvironmentError(`cannot read the template sets in ${templatesDir}: ${errorCode(error)}`, {
      hint: 'the installation of kubectl-pharos-net is incomplete; reinstall it',
      cause: error,
    })
  }
  const providers: string[] = []
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue
    if (await isFile(join(templatesDir, entry.name, SET_MARKER))) providers.push(entry.name)
  }
  return providers.sort(byCodeUnit)
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
  else await writeFiles(dir, files)
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
  return found.sort(byCodeUnit)
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
    if (errorCode(error) === 'ENOENT') return 'missing'
    throw writeError(dir, error)
  }
}

/** A new folder appears whole or not at all: written beside its place, then renamed. */
async function writeNewFolder(dir: string, files: SetFile[]): Promise<void> {
  const staging = join(dirname(dir), `.${basename(dir)}.tmp-${randomBytes(4).toString('hex')}`)
  try {
    await writeFiles(staging, files)
    await rename(staging, dir)
  } finally {
    await rm(staging, { recursive: true, force: true })
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
  const code = errorCode(error)
  if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') {
    return new UsageError(`cannot write ${path}: a file or folder is in the way (${code})`, {
      hint: 'move it aside, or choose a new folder for init',
      cause: error,
    })
  }
  return new EnvironmentError(`cannot write ${path}: ${code}`, {
    hint: code === 'EACCES' || code === 'EPERM' ? 'choose a folder you can write to' : undefined,
    cause: error,
  })
}

function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code ?? (error instanceof Error ? error.message : String(error))
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
