import { resolve } from 'node:path'
import type { Argv, CommandModule } from 'yargs'
import { UsageError } from '../../errors.js'
import type { ManifestSource } from '../../discover.js'
import type { RenderedSet } from '../../pipeline.js'
import type { NetworkFinding } from '../../preflight/static.js'
import type { ValidationProgress } from '../../validate.js'
import type { CliIO, GlobalArgs } from '../io.js'
import type { CommandResult } from '../main.js'
import { limitsOf, renderOptionsFrom, withRenderOptions, type RenderArgs } from '../options.js'
import { formatValidationJson, formatValidationJunit, formatValidationText, reportRenderNotes } from '../report.js'

export type OutputFormat = 'text' | 'json' | 'junit'

interface ValidateArgs extends RenderArgs {
  path?: string
  'schema-location': string[]
  'allow-external-refs': boolean
  output: OutputFormat
  kubeconform: string
  /** Words after `--`: yargs leaves them here, after the command's name. */
  _: Array<string | number>
}

export function validateCommand(io: CliIO, done: (result: CommandResult) => void): CommandModule<GlobalArgs, ValidateArgs> {
  return {
    command: 'validate [path]',
    describe: 'Validate manifests with kubeconform: a rendered folder, a file, a bundle, - for stdin, or -c cluster.yml',
    builder: (yargs: Argv<GlobalArgs>) =>
      withRenderOptions(yargs)
        .positional('path', { type: 'string', describe: 'rendered folder or file, a bundle .tgz, or - for stdin (default: render -c)' })
        .option('schema-location', {
          type: 'string',
          array: true,
          default: [] as string[],
          describe: 'kubeconform schema location (a folder from `schemas`, or a URL template); repeatable',
        })
        .option('allow-external-refs', {
          type: 'boolean',
          default: false,
          describe: 'let schema files of a local --schema-location refer to other files or URLs (kubeconform loads them)',
        })
        .option('output', {
          alias: 'o',
          choices: ['text', 'json', 'junit'] as const,
          default: 'text' as const,
          describe: 'report format: text for people, json or junit for CI',
        })
        .option('kubeconform', { type: 'string', default: 'kubeconform', describe: 'the kubeconform binary' })
        .conflicts('path', 'config')
        .example('$0 validate -c cluster.yml --schema-location ./schemas', 'render, then validate offline')
        .example('$0 render | $0 validate - -o junit', 'validate a stream')
        .example('$0 validate network.tgz', 'validate a bundle offline, with its own schemas'),
    handler: (args) =>
      done(async () => {
        const { hasFindings, resolveKubernetesVersion, validateManifestFiles, validateManifests } = await import('../../validate.js')
        const locations = args['schema-location'].map((l) => (/^[a-z]+:\/\//.test(l) || l === 'default' ? l : resolve(io.cwd, l)))
        const limits = limitsOf(args, io)
        const format = { text: formatValidationText, json: formatValidationJson, junit: formatValidationJunit }[args.output]
        const tool = {
          schemaLocations: locations,
          allowExternalRefs: args['allow-external-refs'],
          kubeconform: args.kubeconform,
          onProgress: io.stderr.isTTY && !args.quiet ? progressLine(io) : undefined,
          toolTimeout: limits['tool-timeout'],
          signal: io.signal,
        }
        const path = pathOf(args)
        if (path !== undefined && (await isBundle(resolve(io.cwd, path)))) {
          const { validateBundle } = await import('../../bundle/validate.js')
          const report = await validateBundle(resolve(io.cwd, path), {
            ...tool,
            kubernetesVersion: args['kubernetes-version'],
            limits,
            ...optionsOf(args),
          })
          io.stdout.write(format(report, io.cwd))
          return hasFindings(report) ? 1 : 0
        }
        const version = await resolveKubernetesVersion(args['kubernetes-version'], locations)
        const target = { ...tool, kubernetesVersion: version }
        const input = await readInput(args, io, version)
        const validated = 'sources' in input
          ? await validateManifestFiles({ ...target, sources: input.sources, limits })
          : await validateManifests({ ...target, ...input })
        // Only a set rendered from cluster.yml knows the networks to check against.
        const report = 'sources' in input || !input.networkFindings ? validated : { ...validated, network: input.networkFindings }
        io.stdout.write(format(report, io.cwd))
        return hasFindings(report) ? 1 : 0
      }),
  }
}

type ValidateInput =
  | { sources: ManifestSource[] }
  | (Pick<RenderedSet, 'documents' | 'removedApis'> & { networkFindings?: NetworkFinding[] })

/**
 * Plain files as they are, for validateManifestFiles; or parsed documents, when the set comes from
 * cluster.yml or removed APIs are to be upgraded or dropped first.
 */
async function readInput(args: ValidateArgs, io: CliIO, version: string): Promise<ValidateInput> {
  const path = pathOf(args)
  if (path === undefined) {
    const { renderManifestSet } = await import('../../pipeline.js')
    const set = await renderManifestSet(renderOptionsFrom(args, io, version))
    // Removed APIs are findings here, not warnings: keep stderr for the rest.
    reportRenderNotes({ ...set, warnings: set.config.warnings }, args, io)
    return set
  }
  const [{ discoverRenderedManifests, manifestStreamSource }, { readInputStream }] =
    await Promise.all([import('../../discover.js'), import('../../input-file.js')])
  const limits = limitsOf(args, io)
  let sources
  // yargs-parser reads a lone `-` as a flag without a name and leaves an empty string.
  if (path === '-' || path === '') {
    if (!io.stdin) throw new UsageError('no standard input to read', { hint: 'pipe manifests in, or pass a PATH' })
    const text = await readInputStream(io.stdin, '<stdin>', limits)
    if (!hasContent(text)) {
      throw new UsageError('no manifests on standard input', {
        hint: 'pipe manifests in (`kubectl pharos-net render | kubectl pharos-net validate -`), or pass a PATH or -c cluster.yml',
      })
    }
    sources = [manifestStreamSource(text, '<stdin>')]
  } else {
    sources = await discoverRenderedManifests(resolve(io.cwd, path), limits)
  }
  if (!args['upgrade-apis'] && !args['drop-removed']) return { sources }
  const { checkDocumentsOf } = await import('../../documents.js')
  const { applyApiOptions } = await import('../../pipeline.js')
  return applyApiOptions(checkDocumentsOf(sources, limits), { ...optionsOf(args), kubernetesVersion: version })
}

/** PATH, also after `--` (`validate -- -`), where yargs leaves it among the plain words. */
function pathOf(args: ValidateArgs): string | undefined {
  const words = args._.slice(1).map(String)
  if (words.length === 0) return args.path
  if (words.length > 1 || args.path !== undefined) {
    throw new UsageError(`validate takes one PATH, got ${[args.path, ...words].filter((w) => w !== undefined).join(' ')}`, {
      hint: 'validate one folder, file or - at a time',
    })
  }
  if (args.config !== undefined) throw new UsageError('PATH and --config cannot be used together', { hint: 'validate a PATH, or render -c cluster.yml' })
  return words[0]
}

/** A path that cannot be read is not a bundle: the plain route reports it. */
async function isBundle(path: string): Promise<boolean> {
  const { bundlePathKind } = await import('../../bundle/gzip.js')
  return (await bundlePathKind(path).catch(() => 'other')) === 'gzip'
}

/** Anything but blank lines, comments and document markers. */
function hasContent(text: string): boolean {
  return text.split('\n').some((line) => !/^\s*(#.*)?$/.test(line) && !/^(---|\.\.\.)\s*(#.*)?$/.test(line))
}

/** A status line on a terminal while kubeconform runs, erased when it is done. */
function progressLine(io: CliIO) {
  return ({ objects, files, done }: ValidationProgress) => {
    io.stderr.write(done ? '\r\x1b[K' : `validating ${plural(objects, 'object')} from ${plural(files, 'file')} with kubeconform…`)
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

function optionsOf(args: ValidateArgs) {
  return { upgradeApis: args['upgrade-apis'], dropRemoved: args['drop-removed'] }
}
