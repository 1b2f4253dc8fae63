import { join, resolve } from 'node:path'
import type { Argv, CommandModule } from 'yargs'
import type { DryRun } from '../../cluster.js'
import type { ManifestDocument } from '../../documents.js'
import { UsageError } from '../../errors.js'
import type { ImageRewrite } from '../../images.js'
import { formatObjectName } from '../../object-name.js'
import type { CliIO, GlobalArgs } from '../io.js'
import type { CommandResult } from '../main.js'
import {
  kubectlTarget,
  limitsOf,
  renderOptionsFrom,
  withClusterOptions,
  withNamespaceOption,
  withRenderOptions,
  type ClusterArgs,
  type RenderArgs,
} from '../options.js'
import { formatValidationText, reportRenderNotes } from '../report.js'
import { formatPreflightFinding } from '../preflight-report.js'
import type { PreflightNetwork } from '../../deploy.js'
import type { PreflightReport } from '../../preflight/live.js'

interface DeployArgs extends RenderArgs, ClusterArgs {
  bundle?: string
  'skip-preflight': boolean
}

interface ApplyArgs extends DeployArgs {
  'dry-run': DryRun
  prune: boolean
  'allow-empty': boolean
  wait: boolean
  timeout: string
  'schema-location': string[]
  'allow-external-refs': boolean
  kubeconform: string
  'replace-cni': boolean
}

/** Where schemas generated from clusters are kept between runs. */
function cacheDir(io: CliIO): string {
  const base = io.env.XDG_CACHE_HOME || join(io.env.HOME || io.cwd, '.cache')
  return join(base, 'kubectl-pharos-net')
}

/** `90s`, `5m`, `1h` or plain seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(s|m|h)?$/.exec(text.trim())
  if (!match) throw new UsageError(`--timeout ${text} is not a duration`, { hint: 'write it as 90s, 5m or 1h' })
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 's' | 'm' | 'h']
}

/**
 * Preflight's findings on stderr, before what apply or diff print; warnings only unless --quiet. diff
 * changes nothing, so for it every finding is a warning.
 */
function reportPreflight(report: PreflightReport, args: GlobalArgs, io: CliIO, asWarnings = false): void {
  for (const f of report.findings) {
    const severity = asWarnings ? 'warning' : f.severity
    if (severity === 'error' || !args.quiet) io.stderr.write(`preflight: ${formatPreflightFinding({ ...f, severity }, io.cwd)}`)
  }
}

const warn = (io: CliIO, args: GlobalArgs, messages: string[]) => {
  if (!args.quiet) for (const m of messages) io.stderr.write(`warning: ${m}\n`)
}

/** What apply and diff send: the set rendered from cluster.yml, or a bundle's. */
interface DeploySet {
  documents: ManifestDocument[]
  images: ImageRewrite[]
  /** A bundle's schemas, and the version they were made for. */
  schemaLocations: string[]
  schemaVersion?: string
  /** The networks the set was rendered for: cluster.yml's, or the bundle's metadata. */
  network: PreflightNetwork
}

/** Runs `work` on the set; a bundle's extracted folder lives as long as `work` runs. */
async function withDeploySet<T>(args: DeployArgs, io: CliIO, work: (set: DeploySet) => Promise<T>): Promise<T> {
  if (args.bundle === undefined) {
    const { renderManifestSet } = await import('../../pipeline.js')
    const set = await renderManifestSet(renderOptionsFrom(args, io))
    // Removed APIs are checked against the server's version during validation, not as render warnings.
    reportRenderNotes({ ...set, warnings: set.config.warnings }, args, io)
    const { pod_network_cidr: podNetworkCidr, service_cidr: serviceCidr } = set.config.config.network
    return work({ documents: set.documents, images: set.images, schemaLocations: [], network: { podNetworkCidr, serviceCidr } })
  }
  if (args['upgrade-apis'] || args['drop-removed']) {
    throw new UsageError('--bundle takes the set as it was bundled: --upgrade-apis and --drop-removed do not apply', {
      hint: 'pass them to `kubectl pharos-net bundle` when making the bundle',
    })
  }
  const [{ withOpenedBundle }, { readRenderedManifests }] = await Promise.all([import('../../bundle/index.js'), import('../../pipeline.js')])
  const limits = limitsOf(args, io)
  return withOpenedBundle(resolve(io.cwd, args.bundle), { limits }, async (bundle) =>
    work({
      documents: await readRenderedManifests(bundle.manifestsDir, limits),
      images: bundle.images,
      schemaLocations: [bundle.schemasDir],
      schemaVersion: bundle.metadata.kubernetesVersion,
      network: { podNetworkCidr: bundle.metadata.network.podNetworkCidr, serviceCidr: bundle.metadata.network.serviceCidr },
    }))
}

/** --bundle FILE.tgz: apply and diff take a bundle's set instead of rendering one; --skip-preflight. */
function withBundleOption<T extends GlobalArgs>(yargs: Argv<T>) {
  return yargs
    .option('skip-preflight', {
      type: 'boolean',
      default: false,
      describe: 'do not check the live cluster\'s networks against cluster.yml first (see `preflight`)',
    })
    .option('bundle', { type: 'string', requiresArg: true, describe: 'use this bundle\'s manifests (and schemas) instead of rendering: no network needed' })
    .conflicts('bundle', ['config', 'image-registry'])
}

export function applyCommand(io: CliIO, done: (result: CommandResult) => void): CommandModule<GlobalArgs, ApplyArgs> {
  return {
    command: 'apply',
    describe: 'Validate, then apply the rendered set server-side and prune what left it',
    builder: (yargs: Argv<GlobalArgs>) =>
      withBundleOption(withNamespaceOption(withClusterOptions(withRenderOptions(yargs))))
        .option('dry-run', {
          choices: ['none', 'client', 'server'] as const,
          default: 'none' as const,
          describe: 'none applies; client or server only shows what would be applied',
        })
        .option('prune', { type: 'boolean', default: true, describe: 'delete labelled objects that left the set (--no-prune to keep them)' })
        .option('allow-empty', { type: 'boolean', default: false, describe: 'prune even when the rendered set is empty' })
        .option('wait', { type: 'boolean', default: false, describe: 'wait for DaemonSet and Deployment rollouts' })
        .option('timeout', {
          type: 'string',
          default: '5m',
          describe: 'how long the whole apply may take: every kubectl and kubeconform call, and --wait',
        })
        .option('schema-location', { type: 'string', array: true, default: [] as string[], describe: 'validate with these schemas instead of the cluster\'s own' })
        .option('allow-external-refs', {
          type: 'boolean',
          default: false,
          describe: 'let schema files of a local --schema-location refer to other files or URLs (kubeconform loads them)',
        })
        .option('kubeconform', { type: 'string', default: 'kubeconform', describe: 'the kubeconform binary' })
        .option('replace-cni', {
          type: 'boolean',
          default: false,
          describe: 'apply although another CNI\'s DaemonSets run in kube-system (preflight names them; remove them yourself)',
        })
        .example('$0 apply -c cluster.yml --wait', '')
        .example('$0 apply --bundle network.tgz', 'apply an air-gapped bundle'),
    handler: (args) =>
      done(async () => {
        const timeout = parseDuration(args.timeout)
        const deadline = { at: Date.now() + timeout * 1000, flag: '--timeout', value: args.timeout }
        const { applyManifests } = await import('../../deploy.js')
        const result = await withDeploySet(args, io, (set) => applyManifests({
          target: { ...kubectlTarget(args, io), deadline },
          documents: set.documents,
          images: set.images,
          schemaVersion: set.schemaVersion,
          schemaLocations: [...set.schemaLocations, ...args['schema-location'].map((l) => resolve(io.cwd, l))],
          kubeconform: args.kubeconform,
          allowExternalRefs: args['allow-external-refs'],
          cacheDir: cacheDir(io),
          dryRun: args['dry-run'],
          prune: args.prune,
          allowEmpty: args['allow-empty'],
          waitSeconds: args.wait ? timeout : undefined,
          preflight: args['skip-preflight'] ? undefined : set.network,
          replaceCni: args['replace-cni'],
        }))
        warn(io, args, result.warnings)
        if (result.preflight) reportPreflight(result.preflight, args, io)
        if (!result.validation) {
          io.stderr.write('error: preflight found problems in the cluster; nothing was applied\n' +
            '  hint: fix them, or pass --skip-preflight (--replace-cni for another CNI\'s DaemonSets) to apply anyway\n')
          return 1
        }
        if (!result.applied) {
          io.stdout.write(formatValidationText(result.validation, io.cwd))
          io.stderr.write('error: validation failed; nothing was applied\n')
          return 1
        }
        io.stdout.write(result.output)
        const notReady = result.rollouts.filter((r) => !r.ready)
        for (const r of notReady) io.stderr.write(`error: ${formatObjectName(r.ref)} is not ready: ${r.message}\n`)
        if (notReady.length > 0) {
          io.stderr.write(`  hint: check its pods (kubectl describe, kubectl logs); --timeout gives it longer\n`)
          return 1
        }
        return 0
      }),
  }
}

export function diffCommand(io: CliIO, done: (result: CommandResult) => void): CommandModule<GlobalArgs, DeployArgs> {
  return {
    command: 'diff',
    describe: 'Show what apply would change in the cluster (exit 0 none, 1 differences)',
    builder: (yargs: Argv<GlobalArgs>) => withBundleOption(withNamespaceOption(withClusterOptions(withRenderOptions(yargs)))),
    handler: (args) =>
      done(async () => {
        const { diffManifests } = await import('../../deploy.js')
        const result = await withDeploySet(args, io, (set) =>
          diffManifests({
            target: kubectlTarget(args, io),
            documents: set.documents,
            images: set.images,
            preflight: args['skip-preflight'] ? undefined : set.network,
          }))
        warn(io, args, result.warnings)
        // diff changes nothing: preflight's findings are shown, and do not decide its exit code.
        if (result.preflight) reportPreflight(result.preflight, args, io, true)
        io.stdout.write(result.diff)
        for (const ref of result.wouldPrune) io.stdout.write(`prune: ${formatObjectName(ref)} (${ref.apiVersion}) would be deleted\n`)
        return result.changed ? 1 : 0
      }),
  }
}
