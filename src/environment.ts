/**
 * What `cluster.yml.erb` sees of the environment as `ENV` (Pharos allowed `<%= ENV['X'] %>` there). In
 * Argo CD or CI the environment holds secrets, and cluster.yml comes from a repository nobody here controls:
 * `ENV` shows only the variables the user allows with `--allow-env NAME` (globs allowed) or
 * PHAROS_NET_ALLOW_ENV, and reading another is an error that says so.
 */
import picomatch from 'picomatch'
import { KEY_GUARD, type KeyGuard } from './render/erb/guard.js'

/** Comma-separated names or globs, for where the command line is fixed (Argo CD, Helm). */
export const ALLOW_ENV_VARIABLE = 'PHAROS_NET_ALLOW_ENV'

/** The allowed patterns: the environment variable's, then the flags'. */
export function allowedEnvPatterns(flags: readonly string[], env: Record<string, string | undefined>): string[] {
  const fromEnv = (env[ALLOW_ENV_VARIABLE] ?? '').split(',').map((p) => p.trim()).filter(Boolean)
  return [...fromEnv, ...flags.filter((p) => p !== '')]
}

/** `ENV` for an ERB template: the allowed variables that are set, and a guard that refuses the others. */
export function environmentView(env: Record<string, string | undefined>, patterns: readonly string[]): Record<string, string> {
  // No pattern matches nothing; `*` allows every name, a leading dot included.
  const allowed = picomatch([...patterns], { dot: true })
  const view: Record<string, string> = {}
  for (const name of Object.keys(env).sort()) {
    const value = env[name]
    if (value !== undefined && allowed(name)) view[name] = value
  }
  const guard: KeyGuard = (name) =>
    allowed(name)
      ? undefined
      : {
          message: `ENV['${name}'] is not visible: cluster.yml.erb sees only the environment variables you allow`,
          hint: `allow it with --allow-env ${name} (repeatable, globs such as 'CLUSTER_*' work), or list it in ` +
            `${ALLOW_ENV_VARIABLE}=${name}`,
        }
  Object.defineProperty(view, KEY_GUARD, { value: guard, enumerable: false })
  return view
}
