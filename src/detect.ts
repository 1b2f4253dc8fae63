/**
 * Whether a folder holds a cluster config this tool renders: the question Argo CD's plugin discovery asks
 * of every application folder, answered without rendering (discovery runs for every Application and every
 * refresh, and must not fail where the render would only report a problem).
 */
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { LineCounter, type Document } from 'yaml'
import { ConfigError, PharosError } from './errors.js'
import { environmentView } from './environment.js'
import { readInputFile } from './input-file.js'
import { Budget, DEFAULT_LIMITS, type Limits } from './limits.js'
import { compileErb } from './render/erb.js'
import { parseYamlDocument } from './yaml-limits.js'

export interface DetectOptions {
  /** -c; undefined means ./cluster.yml, then ./cluster.yml.erb, as render reads them. */
  configFile?: string
  cwd: string
  env?: Record<string, string | undefined>
  /** What a cluster.yml.erb may read as ENV (--allow-env), as for render. */
  allowEnv?: readonly string[]
  limits?: Limits
}

/**
 * The config file (absolute) when it says `network.provider: custom`, or when it cannot be read at all: a
 * broken cluster.yml is claimed, so that the render reports its located error where the user looks (Argo
 * CD's UI) rather than Argo CD saying that no plugin supports the folder. Undefined when there is no config
 * file, or it names another provider (or none: Pharos' default is weave).
 */
export async function detectCustomNetwork(options: DetectOptions): Promise<string | undefined> {
  const limits = options.limits ?? DEFAULT_LIMITS
  const candidates = options.configFile === undefined ? ['cluster.yml', 'cluster.yml.erb'] : [options.configFile]
  for (const candidate of candidates) {
    const file = resolve(options.cwd, candidate)
    if (!(await stat(file).catch(() => undefined))) continue
    try {
      const doc = await parsedConfig(file, options, limits)
      if (doc.errors.length > 0) return file
      return doc.getIn(['network', 'provider']) === 'custom' ? file : undefined
    } catch (error) {
      if (error instanceof PharosError) return file
      throw error
    }
  }
  return undefined
}

async function parsedConfig(file: string, options: DetectOptions, limits: Limits): Promise<Document.Parsed> {
  const raw = await readInputFile(file, { limits, errorClass: ConfigError })
  const source = file.endsWith('.erb')
    ? compileErb(raw, file).render({ ENV: environmentView(options.env ?? {}, options.allowEnv ?? []) }, { limits })
    : raw
  return parseYamlDocument(source, { file, limits, nodeBudget: new Budget('yaml-nodes', limits), lineCounter: new LineCounter() })
}
