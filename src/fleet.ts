/**
 * Fleets: several cluster configs rendered in one run, each into `OUT/<name>/`. Every config renders before
 * anything is written, and the folders are written together (writeOutputs), so one bad config fails the
 * run and leaves every output folder as it was.
 */
import type { Dirent } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import picomatch from 'picomatch'
import { byUtf8Bytes } from './byte-order.js'
import { InputErrors, PharosError, UsageError, type Diagnostic } from './errors.js'
import { errnoCode, fileSystemError } from './fs-errors.js'
import { outputFiles, writeOutputs, type ProtectedPath, type WriteOutputOptions } from './output.js'
import { renderManifestSet, type RenderedSet, type RenderOptions } from './pipeline.js'

export interface FleetMember {
  /** Absolute. */
  configFile: string
  /** The path as given or as a glob matched it, for messages. */
  shown: string
  /** Its output folder's name below OUT. */
  name: string
}

export interface RenderedMember {
  member: FleetMember
  set: RenderedSet
}

/** Whether a -c value is a glob (picomatch's syntax: `*`, `**`, `?`, `[...]`, `{a,b}`, extglobs). */
export function isConfigGlob(pattern: string): boolean {
  return picomatch.scan(pattern).isGlob
}

/**
 * The config files that -c values name, in the order given: a path as it is (a missing one is reported when
 * it renders), a glob as the files it matches below the current folder, sorted by bytes. A glob that
 * matches nothing is a usage error; a file named twice counts once.
 */
export async function expandConfigPaths(patterns: readonly string[], cwd: string): Promise<string[]> {
  const seen = new Set<string>()
  const paths: string[] = []
  for (const pattern of patterns) {
    const found = isConfigGlob(pattern) ? await globFiles(pattern, cwd) : [pattern]
    if (found.length === 0) {
      throw new UsageError(`-c ${pattern} matches no file`, {
        hint: 'globs are matched from the current folder, and `*` does not match names starting with a dot; quote the glob so that the shell leaves it to us',
      })
    }
    for (const path of found) {
      const absolute = resolve(cwd, path)
      if (seen.has(absolute)) continue
      seen.add(absolute)
      paths.push(path)
    }
  }
  return paths
}

async function globFiles(pattern: string, cwd: string): Promise<string[]> {
  const { base, glob } = picomatch.scan(pattern)
  const matches = picomatch(glob)
  // Without `**`, no match lies deeper than the glob has segments.
  const depth = glob.includes('**') ? Infinity : glob.split('/').length
  const found: string[] = []
  const walk = async (folder: string, relative: string, level: number): Promise<void> => {
    let entries: Dirent[]
    try {
      entries = await readdir(resolve(cwd, base, folder), { withFileTypes: true })
    } catch (error) {
      // A glob below a folder that does not exist matches nothing.
      if (['ENOENT', 'ENOTDIR'].includes(errnoCode(error) ?? '')) return
      throw fileSystemError('read the folder', resolve(cwd, base, folder), error)
    }
    for (const entry of entries.sort((a, b) => byUtf8Bytes(a.name, b.name))) {
      // Hidden entries are never matched (picomatch's default), nor walked into.
      if (entry.name.startsWith('.')) continue
      const path = relative ? `${relative}/${entry.name}` : entry.name
      const kind = entry.isSymbolicLink() ? await targetKind(resolve(cwd, base, path)) : entry.isDirectory() ? 'folder' : 'file'
      // Links to folders are not followed: a link loop must not hang the run.
      if (kind === 'folder' && !entry.isSymbolicLink() && level < depth) await walk(path, path, level + 1)
      else if (kind === 'file' && matches(path)) found.push(base ? join(base, path) : path)
    }
  }
  await walk('', '', 1)
  return found.sort(byUtf8Bytes)
}

async function targetKind(path: string): Promise<'file' | 'folder' | 'other'> {
  const info = await stat(path).catch(() => undefined)
  return info?.isFile() ? 'file' : info?.isDirectory() ? 'folder' : 'other'
}

/**
 * The cluster's name, its folder below OUT: the config file's stem (`prod.yml` → `prod`), or for the
 * default name (`cluster.yml`, `cluster.yml.erb`) the name of the folder holding it (`eu-1/cluster.yml` →
 * `eu-1`).
 */
export function clusterName(configFile: string, cwd: string): string {
  const path = resolve(cwd, configFile)
  const stem = basename(path).replace(/\.erb$/, '').replace(/\.ya?ml$/, '')
  return stem === 'cluster' ? basename(dirname(path)) : stem
}

export function fleetMembers(configs: readonly string[], cwd: string): FleetMember[] {
  const byName = new Map<string, FleetMember>()
  for (const shown of configs) {
    const member = { configFile: resolve(cwd, shown), shown, name: clusterName(shown, cwd) }
    if (member.name === '' || member.name.startsWith('.')) {
      throw new UsageError(`cannot name the output folder of ${shown}: its name would be "${member.name}"`, {
        hint: 'name config files after their cluster (prod.yml), or keep each cluster.yml in a folder named after its cluster',
      })
    }
    const other = byName.get(member.name)
    if (other) {
      throw new UsageError(`${other.shown} and ${shown} both render into the folder ${member.name}`, {
        hint: 'a cluster is named after its config file (prod.yml → prod), or after the folder holding a cluster.yml; rename one of them',
      })
    }
    byName.set(member.name, member)
  }
  return [...byName.values()]
}

/**
 * Renders every member, in order. Bad input (exit 2) in one config does not stop the others, so that one
 * run reports them all; an environment failure or an interruption ends the run at once.
 */
export async function renderFleet(members: readonly FleetMember[], options: Omit<RenderOptions, 'configFile'>): Promise<RenderedMember[]> {
  const rendered: RenderedMember[] = []
  const failed: Array<{ member: FleetMember; error: PharosError }> = []
  for (const member of members) {
    try {
      rendered.push({ member, set: await renderManifestSet({ ...options, configFile: member.shown }) })
    } catch (error) {
      if (!(error instanceof PharosError) || error.exitCode !== 2) throw error
      failed.push({ member, error })
    }
  }
  if (failed.length === 0) return rendered
  const diagnostics = failed.flatMap(({ member, error }) => {
    const found = error instanceof InputErrors ? error.diagnostics : [error.toDiagnostic()]
    return found.map((d): Diagnostic => (d.file === undefined ? { ...d, file: member.configFile } : d))
  })
  const names = failed.map(({ member }) => member.shown).join(', ')
  throw new InputErrors([
    ...diagnostics,
    {
      severity: 'error',
      message: `${failed.length} of ${members.length} cluster configs did not render (${names}); no output folder was changed`,
      hint: 'a fleet is written whole or not at all: fix the configs above and render again',
    },
  ])
}

export interface WriteFleetOptions extends Pick<WriteOutputOptions, 'force'> {
  /** Called when another render holds the lock of a member's folder, with its pid and the member's name. */
  onWait?: (pid: number, name: string) => void
  /** Absolute: OUT, the folder holding one folder per cluster. */
  outDir: string
  /** Places never replaced besides the fleet's own inputs (the current and home folders). */
  protect: ProtectedPath[]
}

/**
 * Writes `OUT/<name>/` for every member, with render's guarantees for each folder, and all folders
 * together: no member's folder may replace any member's config file or manifest path.
 */
export async function writeFleet(rendered: readonly RenderedMember[], options: WriteFleetOptions): Promise<void> {
  const inputs = rendered.flatMap(({ member, set }): ProtectedPath[] => [
    { role: `the config file of ${member.name}`, path: set.config.file },
    { role: `the manifest path of ${member.name}`, path: set.config.manifestPath },
  ])
  try {
    await writeOutputs(
      rendered.map(({ member, set }) => ({
        files: outputFiles(set.documents, set.images),
        options: {
          dir: join(options.outDir, member.name),
          force: options.force,
          onWait: (pid) => options.onWait?.(pid, member.name),
          protect: [...inputs, ...options.protect],
        },
      })),
    )
  } catch (error) {
    if (error instanceof UsageError) {
      throw new UsageError(`${error.message}; no output folder was changed`, { hint: error.hint, cause: error })
    }
    throw error
  }
}
