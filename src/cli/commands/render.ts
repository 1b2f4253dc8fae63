import { homedir } from 'node:os'
import { resolve } from 'node:path'
import type { Argv, CommandModule } from 'yargs'
import { UsageError } from '../../errors.js'
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
        .option('output-dir', { alias: 'o', type: 'string', requiresArg: true, describe: 'write a kustomize-ready folder here' })
        .option('stdout', { type: 'boolean', describe: 'print the YAML stream (the default without -o)' })
        .option('force', {
          type: 'boolean',
          default: false,
          describe: 'replace an output folder this tool did not write (never an input, the current or home folder)',
        })
        .conflicts('output-dir', 'stdout')
        .example('$0 render -c cluster.yml -o out/', 'write out/ for `kubectl apply -k out/`')
        .example('$0 render --stdout | kubectl apply -f -', 'pipe the manifests'),
    handler: (args) =>
      done(async () => {
        const outputDir = args['output-dir']
        if (outputDir !== undefined && outputDir.trim() === '') {
          // An empty name is the current folder to path.resolve: replacing it would delete the inputs.
          throw new UsageError('-o needs a folder name', { hint: 'write the output to a folder of its own, e.g. -o out' })
        }
        const [{ outputFiles, outputStream, writeOutput }, { renderManifestSet }, { normalizeKubernetesVersion }] =
          await Promise.all([import('../../output.js'), import('../../pipeline.js'), import('../../schemas.js')])
        const version = args['kubernetes-version'] && normalizeKubernetesVersion(args['kubernetes-version'])
        const set = await renderManifestSet(renderOptionsFrom(args, io, version || undefined))
        reportRenderNotes(set, args, io)
        if (outputDir === undefined) {
          io.stdout.write(outputStream(set.documents, set.images))
          return 0
        }
        const home = io.env.HOME || homedir()
        await writeOutput(outputFiles(set.documents, set.images), {
          dir: resolve(io.cwd, outputDir),
          force: args.force,
          protect: [
            { role: 'the config file', path: set.config.file },
            { role: 'the manifest path', path: set.config.manifestPath },
            { role: 'the current folder', path: io.cwd },
            { role: 'the home folder', path: resolve(io.cwd, home) },
          ],
          onWait: (pid) => io.stderr.write(`waiting for another render (pid ${pid}) into ${outputDir}\n`),
        })
        if (!args.quiet) {
          io.stderr.write(
            `rendered ${set.documents.length} objects from ${set.discovered.sources.length} files into ${outputDir}\n`,
          )
        }
        return 0
      }),
  }
}
