import { homedir } from 'node:os'
import { resolve } from 'node:path'
import type { Argv, CommandModule } from 'yargs'
import { UsageError } from '../../errors.js'
import type { ProtectedPath } from '../../output.js'
import { allowedEnvPatterns } from '../../environment.js'
import { argocdSettings, unknownSettingsWarning } from '../argocd.js'
import type { CliIO, GlobalArgs } from '../io.js'
import type { CommandResult } from '../main.js'
import { renderOptionsFrom, withRenderOptions, type RenderArgs } from '../options.js'
import { reportRenderNotes } from '../report.js'

interface RenderCommandArgs extends Omit<RenderArgs, 'config'> {
  /** render only: several -c (and globs) render a fleet. */
  config?: string[]
  'output-dir'?: string
  stdout?: boolean
  force: boolean
  argocd: boolean
}

export function renderCommand(io: CliIO, done: (result: CommandResult) => void): CommandModule<GlobalArgs, RenderCommandArgs> {
  return {
    command: 'render',
    describe: 'Render the manifest folder into a kustomize-ready folder, or a YAML stream on stdout',
    builder: (yargs: Argv<GlobalArgs>) =>
      withRenderOptions(yargs)
        // render's own -c (withRenderOptions' alias kept): a list, where the other commands take one config.
        .option('config', {
          type: 'string',
          array: true,
          requiresArg: true,
          describe: 'cluster.yml to read (default ./cluster.yml); several, or a quoted glob, render a fleet into OUT/<name>/',
        })
        .option('output-dir', { alias: 'o', type: 'string', requiresArg: true, describe: 'write a kustomize-ready folder here' })
        .option('stdout', { type: 'boolean', describe: 'print the YAML stream (the default without -o)' })
        .option('force', {
          type: 'boolean',
          default: false,
          describe: 'replace an output folder this tool did not write (never an input, the current or home folder)',
        })
        .option('argocd', {
          type: 'boolean',
          default: false,
          describe: 'run as an Argo CD plugin: read the Application\'s ARGOCD_ENV_CLUSTER_CONFIG, _UPGRADE_APIS, _DROP_REMOVED, _KUBERNETES_VERSION',
        })
        .conflicts('output-dir', 'stdout')
        .example('$0 render -c cluster.yml -o out/', 'write out/ for `kubectl apply -k out/`')
        .example('$0 render --stdout | kubectl apply -f -', 'pipe the manifests')
        .example("$0 render -c 'fleet/*/cluster.yml' -o out/", 'a fleet: out/<folder name>/ for each cluster'),
    handler: (args) =>
      done(async () => {
        const outputDir = args['output-dir']
        if (outputDir !== undefined && outputDir.trim() === '') {
          // An empty name is the current folder to path.resolve: replacing it would delete the inputs.
          throw new UsageError('-o needs a folder name', { hint: 'write the output to a folder of its own, e.g. -o out' })
        }
        const renderArgs = withArgoCdSettings(args, io)
        const configs = args.config ?? []
        const { isConfigGlob } = await import('../../fleet.js')
        if (configs.length > 1 || configs.some(isConfigGlob)) return renderFleetCommand(configs, { ...args, ...renderArgs, config: undefined }, io)
        // ARGOCD_ENV_CLUSTER_CONFIG is one file, taken as written.
        return renderOne({ ...args, ...renderArgs, config: configs[0] ?? renderArgs.config }, io)
      }),
  }
}

type SingleRenderArgs = Omit<RenderCommandArgs, 'config'> & RenderArgs

/** With --argocd, the Application's settings fill in what the command line leaves unset. */
function withArgoCdSettings(args: RenderCommandArgs, io: CliIO): Omit<RenderArgs, keyof GlobalArgs | 'allow-env' | 'allow-outside-manifests'> {
  const own = { 'upgrade-apis': args['upgrade-apis'], 'drop-removed': args['drop-removed'], 'kubernetes-version': args['kubernetes-version'] }
  if (!args.argocd) return own
  const settings = argocdSettings(io.env, io.cwd, allowedEnvPatterns(args['allow-env'], io.env))
  if (settings.unknown.length > 0 && !args.quiet) io.stderr.write(`warning: ${unknownSettingsWarning(settings.unknown)}\n`)
  return {
    config: settings.config,
    'upgrade-apis': own['upgrade-apis'] || (settings.upgradeApis ?? false),
    'drop-removed': own['drop-removed'] || (settings.dropRemoved ?? false),
    'kubernetes-version': own['kubernetes-version'] ?? settings.kubernetesVersion,
  }
}

async function renderOne(args: SingleRenderArgs, io: CliIO): Promise<0> {
  const outputDir = args['output-dir']
  const [{ outputFiles, outputStream, writeOutput }, { renderManifestSet }, { normalizeKubernetesVersion }] =
    await Promise.all([import('../../output.js'), import('../../pipeline.js'), import('../../schemas.js')])
  const version = args['kubernetes-version'] && normalizeKubernetesVersion(args['kubernetes-version'])
  const set = await renderManifestSet(renderOptionsFrom(args, io, version || undefined))
  reportRenderNotes(set, args, io)
  if (outputDir === undefined) {
    io.stdout.write(outputStream(set.documents, set.images))
    return 0
  }
  await writeOutput(outputFiles(set.documents, set.images), {
    dir: resolve(io.cwd, outputDir),
    force: args.force,
    protect: [
      { role: 'the config file', path: set.config.file },
      { role: 'the manifest path', path: set.config.manifestPath },
      ...placesNeverReplaced(io),
    ],
    onWait: waitNotice(outputDir, io),
  })
  if (!args.quiet) {
    io.stderr.write(`rendered ${set.documents.length} objects from ${set.discovered.sources.length} files into ${outputDir}\n`)
  }
  return 0
}

/** Several configs: each renders into OUT/<name>/, and all are written only when all render. */
async function renderFleetCommand(configs: string[], args: SingleRenderArgs, io: CliIO): Promise<0> {
  const outputDir = args['output-dir']
  if (outputDir === undefined) {
    throw new UsageError(`${configs.length > 1 ? `${configs.length} configs render` : `the glob ${configs[0]} renders`} a fleet, one folder per cluster, which ${args.stdout ? '--stdout' : 'standard output'} cannot hold`, {
      hint: 'give -o OUT: each cluster is written to OUT/<name>/ (its config file\'s name, or for a cluster.yml the name of its folder)',
    })
  }
  const [{ expandConfigPaths, fleetMembers, renderFleet, writeFleet }, { normalizeKubernetesVersion }] =
    await Promise.all([import('../../fleet.js'), import('../../schemas.js')])
  const version = args['kubernetes-version'] && normalizeKubernetesVersion(args['kubernetes-version'])
  const members = fleetMembers(await expandConfigPaths(configs, io.cwd), io.cwd)
  const rendered = await renderFleet(members, renderOptionsFrom(args, io, version || undefined))
  for (const { set } of rendered) reportRenderNotes(set, args, io)
  await writeFleet(rendered, {
    outDir: resolve(io.cwd, outputDir),
    force: args.force,
    protect: placesNeverReplaced(io),
    onWait: (pid, name) => waitNotice(`${outputDir}/${name}`, io)(pid),
  })
  if (!args.quiet) {
    for (const { member, set } of rendered) {
      io.stderr.write(`rendered ${set.documents.length} objects from ${set.discovered.sources.length} files into ${outputDir}/${member.name}\n`)
    }
  }
  return 0
}

function placesNeverReplaced(io: CliIO): ProtectedPath[] {
  const home = io.env.HOME || homedir()
  return [
    { role: 'the current folder', path: io.cwd },
    { role: 'the home folder', path: resolve(io.cwd, home) },
  ]
}

function waitNotice(outputDir: string, io: CliIO): (pid: number) => void {
  return (pid) => io.stderr.write(`waiting for another render (pid ${pid}) into ${outputDir}\n`)
}
