/** Flags shared by every command that renders the manifest set. */
import { resolve } from 'node:path'
import type { Argv } from 'yargs'
import type { KubectlTarget } from '../cluster.js'
import { ALLOW_ENV_VARIABLE, allowedEnvPatterns } from '../environment.js'
import { LIMITS_ENV, resolveLimits, type Limits } from '../limits.js'
import type { RenderOptions } from '../pipeline.js'
import type { CliIO, GlobalArgs } from './io.js'

export interface RenderArgs extends GlobalArgs {
  config?: string
  'upgrade-apis': boolean
  'drop-removed': boolean
  'kubernetes-version'?: string
  'allow-env': string[]
  'allow-outside-manifests': boolean
  'image-registry'?: string
}

/**
 * The flags of every command that reads cluster.yml: which file, and what it may reach. A function, so that
 * each parser gets its own default list.
 */
export const configOptions = () => ({
  config: { alias: 'c', type: 'string', describe: 'cluster.yml to read (default ./cluster.yml)' },
  'allow-env': {
    type: 'string',
    array: true,
    default: [] as string[],
    requiresArg: true,
    describe: `let cluster.yml.erb read this environment variable as ENV (repeatable, globs; also $${ALLOW_ENV_VARIABLE})`,
  },
  'allow-outside-manifests': {
    type: 'boolean',
    default: false,
    describe: 'let network.custom.manifest_path lead outside the folder holding cluster.yml',
  },
} as const)

export function withRenderOptions<T extends GlobalArgs>(yargs: Argv<T>) {
  const config = configOptions()
  return withApiOptions(yargs.option('config', config.config))
    .option('allow-env', config['allow-env'])
    .option('allow-outside-manifests', config['allow-outside-manifests'])
    .option('image-registry', {
      type: 'string',
      requiresArg: true,
      describe: 'pull every image from this registry, path and tag kept (over cluster.yml\'s image_repository)',
    })
}

/** What to do about removed APIs: for a rendered set, and for a stream Helm rendered (post-render). */
export function withApiOptions<T extends GlobalArgs>(yargs: Argv<T>) {
  return yargs
    .option('upgrade-apis', {
      type: 'boolean',
      default: false,
      describe: 'rewrite removed APIs that have a mechanical replacement (apps/v1, rbac v1, ...)',
    })
    .option('drop-removed', {
      type: 'boolean',
      default: false,
      describe: 'leave out objects whose API was removed without replacement (PodSecurityPolicy)',
    })
    .option('kubernetes-version', {
      type: 'string',
      describe: 'report removed APIs for this version (x.y or x.y.z; default: the newest)',
    })
}

export function renderOptionsFrom(args: RenderArgs, io: CliIO, kubernetesVersion?: string): RenderOptions {
  return {
    configFile: args.config,
    cwd: io.cwd,
    env: io.env,
    upgradeApis: args['upgrade-apis'],
    dropRemoved: args['drop-removed'],
    kubernetesVersion: kubernetesVersion ?? args['kubernetes-version'],
    allowEnv: allowedEnvPatterns(args['allow-env'], io.env),
    allowOutsideManifests: args['allow-outside-manifests'],
    imageRegistry: args['image-registry'],
    limits: limitsOf(args, io),
  }
}

/** Flags of commands that talk to a cluster through kubectl. */
export interface ClusterArgs extends GlobalArgs {
  kubeconfig?: string
  context?: string
  /** apply and diff only (withNamespaceOption). */
  namespace?: string
  kubectl: string
}

export function withClusterOptions<T extends GlobalArgs>(yargs: Argv<T>) {
  return yargs
    .option('kubeconfig', { type: 'string', describe: 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)' })
    .option('context', { type: 'string', describe: 'kubeconfig context to use' })
    .option('kubectl', { type: 'string', default: 'kubectl', describe: 'the kubectl binary' })
}

/** The namespace of objects that name none, for the commands that send objects to the cluster. */
export function withNamespaceOption<T extends GlobalArgs>(yargs: Argv<T>) {
  return yargs.option('namespace', {
    alias: 'n',
    type: 'string',
    requiresArg: true,
    describe: 'namespace for objects that name none (default: the context\'s, or $HELM_NAMESPACE under Helm); ' +
      'objects that name one keep it',
  })
}

/**
 * Helm runs plugins with its choices as environment: HELM_KUBECONTEXT, HELM_NAMESPACE (its -n, else the
 * context's namespace) and KUBECONFIG (which kubectl reads itself). An explicit flag wins. They count only
 * under Helm (which also sets HELM_PLUGIN_NAME): variables a user exported for Helm must not steer a plain
 * `kubectl pharos-net apply` to another context or namespace.
 */
export function kubectlTarget(args: ClusterArgs, io: CliIO): KubectlTarget {
  const helm = io.env.HELM_PLUGIN_NAME ? io.env : {}
  return {
    kubectl: args.kubectl,
    kubeconfig: args.kubeconfig ? resolve(io.cwd, args.kubeconfig) : undefined,
    context: args.context ?? (helm.HELM_KUBECONTEXT || undefined),
    namespace: args.namespace ?? (helm.HELM_NAMESPACE || undefined),
    env: io.env,
    toolTimeout: limitsOf(args, io)['tool-timeout'],
    signal: io.signal,
  }
}

/** The limits in force for this run: defaults, then $PHAROS_NET_LIMITS, then --limit flags. */
export function limitsOf(args: GlobalArgs, io: CliIO): Limits {
  return resolveLimits(args.limit, io.env[LIMITS_ENV])
}
