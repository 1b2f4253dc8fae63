import { resolve } from 'node:path'
import type { Argv, CommandModule } from 'yargs'
import type { CliIO, GlobalArgs } from '../io.js'
import type { CommandResult } from '../main.js'
import { renderOptionsFrom, withRenderOptions, type RenderArgs } from '../options.js'
import { reportRenderNotes } from '../report.js'

interface RenderCommandArgs extends RenderArgs {
  'output-dir'?: string
  stdout?: boolean
  force: boolean
}

export function renderCommand(io: CliIO, done: (result: CommandResult) => void): CommandModule<GlobalArgs, RenderCommandArgs> {
  return {
    command: 'render',
    describe: 'Render the manifest folder into a kustomize-ready folder, or a YAML stream on stdout',
    builder: (yargs: Argv<GlobalArgs>) =>
      withRenderOptions(yargs)
        .option('output-dir', { alias: 'o', type: 'string', describe: 'write a kustomize-ready folder here' })
        .option('stdout', { type: 'boolean', describe: 'print the YAML stream (the default without -o)' })
        .option('force', { type: 'boolean', default: false, describe: 'replace an output folder this tool did not write' })
        .conflicts('output-dir', 'stdout')
        .example('$0 render -c cluster.yml -o out/', 'write out/ for `kubectl apply -k out/`')
        .example('$0 render --stdout | kubectl apply -f -', 'pipe the manifests'),
    handler: (args) =>
      done(async () => {
        const [{ outputFiles, outputStream, writeOutput }, { renderManifestSet }, { normalizeKubernetesVersion }] =
          await Promise.all([import('../../output.js'), import('../../pipeline.js'), import('../../schemas.js')])
        const version = args['kubernetes-version'] && normalizeKubernetesVersion(args['kubernetes-version'])
        const set = await renderManifestSet(renderOptionsFrom(args, io, version || undefined))
        reportRenderNotes(set, args, io)
        if (args['output-dir'] === undefined) {
          io.stdout.write(outputStream(set.documents))
          return 0
        }
        await writeOutput(outputFiles(set.documents), { dir: resolve(io.cwd, args['output-dir']), force: args.force })
        if (!args.quiet) {
          io.stderr.write(
            `rendered ${set.documents.length} objects from ${set.discovered.sources.length} files into ${args['output-dir']}\n`,
          )
        }
        return 0
      }),
  }
}
