import { resolve } from 'node:path'
import type { Argv, CommandModule } from 'yargs'
import { outputFiles, outputStream, writeOutput } from '../../output.js'
import { renderManifestSet } from '../../pipeline.js'
import type { CliIO, GlobalArgs } from '../io.js'
import { formatDiagnostic } from '../report.js'
import type { CommandResult } from '../main.js'

interface RenderArgs extends GlobalArgs {
  config?: string
  'output-dir'?: string
  stdout?: boolean
  force: boolean
}

export function renderCommand(io: CliIO, done: (result: CommandResult) => void): CommandModule<GlobalArgs, RenderArgs> {
  return {
    command: 'render',
    describe: 'Render the manifest folder into a kustomize-ready folder, or a YAML stream on stdout',
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .option('config', { alias: 'c', type: 'string', describe: 'cluster.yml to read (default ./cluster.yml)' })
        .option('output-dir', { alias: 'o', type: 'string', describe: 'write a kustomize-ready folder here' })
        .option('stdout', { type: 'boolean', describe: 'print the YAML stream (the default without -o)' })
        .option('force', { type: 'boolean', default: false, describe: 'replace an output folder this tool did not write' })
        .conflicts('output-dir', 'stdout')
        .example('$0 render -c cluster.yml -o out/', 'write out/ for `kubectl apply -k out/`')
        .example('$0 render --stdout | kubectl apply -f -', 'pipe the manifests'),
    handler: (args) =>
      done(async () => {
        const set = await renderManifestSet({ configFile: args.config, cwd: io.cwd, env: io.env })
        if (!args.quiet) for (const w of set.warnings) io.stderr.write(formatDiagnostic(w, io.cwd))
        if (args.debug) {
          for (const name of set.discovered.ignored) {
            io.stderr.write(formatDiagnostic({ severity: 'note', message: `ignored ${name}: not a manifest` }, io.cwd))
          }
        }
        if (args['output-dir'] === undefined) {
          io.stdout.write(outputStream(set.documents))
          return 0
        }
        const dir = resolve(io.cwd, args['output-dir'])
        await writeOutput(outputFiles(set.documents), { dir, force: args.force })
        if (!args.quiet) {
          io.stderr.write(`rendered ${set.documents.length} objects from ${set.discovered.sources.length} files into ${args['output-dir']}\n`)
        }
        return 0
      }),
  }
}
