/**
 * Manifest folder → ordered list of sources, by Pharos' rules (design §4): non-recursive, dotfiles skipped,
 * lexicographic order of names, plain YAML never templated.
 */
import { readdir, realpath, stat } from 'node:fs/promises'
import { basename, dirname, join, relative, isAbsolute } from 'node:path'
import { byUtf8Bytes } from './byte-order.js'
import { ConfigError, ManifestError, UsageError } from './errors.js'
import { normalizeText, readInputFile } from './input-file.js'
import { Budget, DEFAULT_LIMITS, type Limits } from './limits.js'

export type TemplateEngine = 'plain' | 'erb' | 'liquid'

export interface ManifestSource {
  /** Absolute path. */
  path: string
  /** File name in the manifest folder. */
  name: string
  /** File name in the output folder: the template suffix dropped. */
  outputName: string
  engine: TemplateEngine
  text: string
}

export interface DiscoveredManifests {
  /** The folder templates may read from (the manifest folder, or the folder holding a single file). */
  root: string
  sources: ManifestSource[]
  /** Files in the folder that are not manifests, for --debug. */
  ignored: string[]
}

const SUFFIXES: ReadonlyArray<readonly [suffix: string, engine: TemplateEngine]> = [
  ['.yml', 'plain'],
  ['.yaml', 'plain'],
  ['.yml.erb', 'erb'],
  ['.yaml.erb', 'erb'],
  ['.yml.liquid', 'liquid'],
  ['.yaml.liquid', 'liquid'],
]

/** The engine for a file name, or undefined when the file is not a manifest. */
export function manifestEngine(name: string): TemplateEngine | undefined {
  if (name.startsWith('.')) return undefined
  const match = SUFFIXES.find(([suffix]) => name.endsWith(suffix) && name.length > suffix.length)
  return match?.[1]
}

function outputNameOf(name: string, engine: TemplateEngine): string {
  return engine === 'plain' ? name : name.slice(0, name.lastIndexOf('.'))
}

/** The output folder's own file: a source that would overwrite it is refused. */
export const KUSTOMIZATION_FILE = 'kustomization.yaml'
/** Every name kustomize reads as a kustomization: a source of any of them would make a second one. */
export const KUSTOMIZATION_NAMES: readonly string[] = [KUSTOMIZATION_FILE, 'kustomization.yml', 'Kustomization', 'kustomization']

export interface DiscoverOptions {
  /** File names to pass over, as if they were not manifests (a rendered folder's kustomization.yaml). */
  ignore?: readonly string[]
  /** `file-size` for each file, `input-size` for all of them. */
  limits?: Limits
}

export async function discoverManifests(manifestPath: string, options: DiscoverOptions = {}): Promise<DiscoveredManifests> {
  const limits = options.limits ?? DEFAULT_LIMITS
  const read = { limits, inputBudget: new Budget('input-size', limits) }
  const info = await stat(manifestPath).catch((cause: unknown) => {
    throw new ConfigError(`manifest path does not exist: ${manifestPath}`, {
      cause,
      hint: 'set network.custom.manifest_path to a folder or file, relative to the folder holding cluster.yml',
    })
  })
  if (info.isFile()) {
    const name = basename(manifestPath)
    const engine = manifestEngine(name)
    if (!engine) {
      throw new ConfigError(`manifest path is not a manifest file: ${manifestPath}`, {
        hint: 'a single manifest must end in .yml, .yaml, .yml.erb, .yaml.erb, .yml.liquid or .yaml.liquid',
      })
    }
    const root = dirname(manifestPath)
    const sources = [await readSource(root, name, engine, read)]
    checkOutputNames(sources)
    return { root, sources, ignored: [] }
  }

  const root = manifestPath
  // Byte order of the names, as Pharos sorted them: `10-a.yml` before `9-b.yml`, `B.yml` before `a.yml`.
  // (Node's readdir happens to sort on Linux; not everywhere.)
  const entries = (await readdir(root, { withFileTypes: true })).sort((a, b) => byUtf8Bytes(a.name, b.name))
  const sources: ManifestSource[] = []
  const ignored: string[] = []
  for (const entry of entries) {
    const { name } = entry
    const engine = options.ignore?.includes(name) ? undefined : manifestEngine(name)
    // Folders are not read (the folder is read non-recursively); any other non-file is refused when read.
    if (!engine || entry.isDirectory()) {
      if (!name.startsWith('.')) ignored.push(name)
      continue
    }
    sources.push(await readSource(root, name, engine, read))
  }
  if (sources.length === 0) {
    throw new ConfigError(`no manifests in ${manifestPath}`, {
      hint: 'the folder must hold *.yml, *.yaml, *.yml.erb or *.yml.liquid files (read non-recursively)',
    })
  }
  checkOutputNames(sources)
  return { root, sources, ignored }
}

async function readSource(
  root: string,
  name: string,
  engine: TemplateEngine,
  read: Parameters<typeof readInputFile>[1],
): Promise<ManifestSource> {
  const path = join(root, name)
  // A link pointing out of the folder would let a manifest set read arbitrary files.
  const real = await realpath(path).catch((cause: NodeJS.ErrnoException) => {
    const loop = cause.code === 'ELOOP'
    throw new ManifestError(loop ? `manifest ${name} is a symbolic link loop` : `manifest ${name} is a link to nothing`, {
      file: path,
      cause,
      hint: 'fix or remove the link; manifests are regular files inside the folder',
    })
  })
  const inside = relative(await realpath(root), real)
  if (inside.startsWith('..') || isAbsolute(inside)) {
    throw new ManifestError(`manifest ${name} is a link to ${real}, outside the manifest folder`, {
      file: path,
      hint: 'copy the file into the manifest folder instead of linking to it',
    })
  }
  const text = await readInputFile(path, read)
  return { path, name, outputName: outputNameOf(name, engine), engine, text }
}

function checkOutputNames(sources: ManifestSource[]): void {
  const seen = new Map<string, ManifestSource>()
  for (const source of sources) {
    // Case-insensitively: on macOS' file systems `Kustomization.yaml` is the generated file.
    if (KUSTOMIZATION_NAMES.includes(source.outputName.toLowerCase())) {
      throw new ManifestError(`${source.name} would be read by kustomize as a second kustomization beside the generated ${KUSTOMIZATION_FILE}`, {
        file: source.path,
        hint: 'rename the file; the output folder gets its own kustomization.yaml',
      })
    }
    const earlier = seen.get(source.outputName)
    if (earlier) {
      throw new ManifestError(`${earlier.name} and ${source.name} both render to ${source.outputName}`, {
        file: source.path,
        hint: 'rename one of them: each source file becomes one output file, its template suffix dropped',
      })
    }
    seen.set(source.outputName, source)
  }
}

/**
 * Manifests that are already rendered: a folder (a `render -o` output, its kustomization.yaml passed over)
 * or a file. Templates there are refused: they need the cluster.yml to render.
 */
export async function discoverRenderedManifests(path: string, limits?: Limits): Promise<ManifestSource[]> {
  const discovered = await discoverManifests(path, { ignore: KUSTOMIZATION_NAMES, limits })
  const template = discovered.sources.find((s) => s.engine !== 'plain')
  if (template) {
    throw new UsageError(`${template.name} is a template`, {
      file: template.path,
      hint: 'validate the manifest set with -c cluster.yml, which renders its templates first',
    })
  }
  return discovered.sources
}

/** Manifests read from a stream (stdin): one pseudo-file named `name`. */
export function manifestStreamSource(text: string, name: string): ManifestSource {
  return { path: name, name, outputName: name, engine: 'plain', text: normalizeText(text) }
}
