/**
 * Argo CD's config management plugin hands an Application's settings (`spec.source.plugin.env`) to the
 * plugin's commands as `ARGOCD_ENV_<NAME>` variables. With `--argocd`, and only then, render and detect
 * read the few below; a flag on the command line (the plugin's, fixed by the Argo CD operator) wins. What
 * could widen what the repository may do (--allow-env, --allow-outside-manifests, --limit) is not among
 * them: an Application may pick its config and render options, not loosen the operator's rules.
 */
import { isAbsolute, relative, resolve } from 'node:path'
import picomatch from 'picomatch'
import { UsageError } from '../errors.js'

export const ARGOCD_ENV_PREFIX = 'ARGOCD_ENV_'

/** Each setting, by its name in the Application's `plugin.env`, with the flag it stands for. */
export const ARGOCD_SETTINGS = {
  CLUSTER_CONFIG: { flag: '-c', describe: 'the cluster config, relative to the application folder and inside it' },
  UPGRADE_APIS: { flag: '--upgrade-apis', describe: '`true` or `false`' },
  DROP_REMOVED: { flag: '--drop-removed', describe: '`true` or `false`' },
  KUBERNETES_VERSION: { flag: '--kubernetes-version', describe: 'x.y or x.y.z: removed APIs are reported against it' },
} as const

export type ArgoCdSettingName = keyof typeof ARGOCD_SETTINGS

export interface ArgoCdSettings {
  config?: string
  upgradeApis?: boolean
  dropRemoved?: boolean
  kubernetesVersion?: string
  /** `ARGOCD_ENV_*` names that are none of the settings nor allowed to cluster.yml.erb: probably typos. */
  unknown: string[]
}

/**
 * The settings in `env`; an empty value is unset (Argo CD itself never passes one). `allowEnv`: the
 * --allow-env patterns, which may let cluster.yml.erb read other `ARGOCD_ENV_*` variables.
 */
export function argocdSettings(env: Record<string, string | undefined>, cwd: string, allowEnv: readonly string[] = []): ArgoCdSettings {
  const value = (name: ArgoCdSettingName) => env[ARGOCD_ENV_PREFIX + name] || undefined
  const allowed = picomatch([...allowEnv], { dot: true })
  const unknown = Object.keys(env)
    .filter((name) => name.startsWith(ARGOCD_ENV_PREFIX) && !(name.slice(ARGOCD_ENV_PREFIX.length) in ARGOCD_SETTINGS) && !allowed(name))
    .sort()
  return {
    config: argocdConfig(env, cwd),
    upgradeApis: booleanSetting('UPGRADE_APIS', value('UPGRADE_APIS')),
    dropRemoved: booleanSetting('DROP_REMOVED', value('DROP_REMOVED')),
    kubernetesVersion: value('KUBERNETES_VERSION'),
    unknown,
  }
}

/** ARGOCD_ENV_CLUSTER_CONFIG alone: all that discovery (detect) reads. */
export function argocdConfig(env: Record<string, string | undefined>, cwd: string): string | undefined {
  const config = env[`${ARGOCD_ENV_PREFIX}CLUSTER_CONFIG`] || undefined
  if (config !== undefined) insideAppFolder(config, cwd)
  return config
}

function booleanSetting(name: ArgoCdSettingName, text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined
  if (text === 'true' || text === 'false') return text === 'true'
  throw new UsageError(`${ARGOCD_ENV_PREFIX}${name} must be true or false, not ${JSON.stringify(text)}`, {
    hint: `set ${name} to "true" or "false" in the Application's spec.source.plugin.env`,
  })
}

/**
 * Argo CD shows a plugin's stderr in its UI: a config path leading out of the application folder could show
 * excerpts of other files there.
 */
function insideAppFolder(path: string, cwd: string): void {
  const rest = relative(cwd, resolve(cwd, path))
  if (isAbsolute(path) || rest === '' || rest === '..' || rest.startsWith('../')) {
    throw new UsageError(`${ARGOCD_ENV_PREFIX}CLUSTER_CONFIG must name a file inside the application folder, not ${JSON.stringify(path)}`, {
      hint: 'give a path relative to the Application\'s spec.source.path, such as cluster.yml or clusters/prod.yml',
    })
  }
}

export function unknownSettingsWarning(names: readonly string[]): string {
  const known = Object.keys(ARGOCD_SETTINGS).join(', ')
  return `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} not read by kubectl-pharos-net (it reads ${known} from plugin.env)`
}
