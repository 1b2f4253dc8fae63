import { relative, resolve } from 'node:path'
import type { Argv, CommandModule } from 'yargs'
import type { CliIO, GlobalArgs } from '../io.js'
import type { CommandResult } from '../main.js'

interface InitArgs extends GlobalArgs {
  provider: string
  dir: string
  force: boolean
}

export function initCommand(io: CliIO, done: (result: CommandResult) => void): CommandModule<GlobalArgs, InitArgs> {
  return {
    command: 'init <dir>',
    describe: 'Scaffold a cluster.yml and a manifest folder from a built-in template set',
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .positional('dir', { type: 'string', demandOption: true, describe: 'folder to create' })
        .option('provider', { type: 'string', demandOption: true, describe: 'template set, e.g. flannel' })
        .option('force', { type: 'boolean', default: false, describe: 'write into a non-empty folder' })
        .example('$0 init --provider flannel my-network', 'then: $0 render -c my-network/cluster.yml'),
    handler: (args) =>
      done(async () => {
        const { defaultTemplatesDir, scaffoldProvider } = await import('../../scaffold.js')
        const dir = resolve(io.cwd, args.dir)
        const result = await scaffoldProvider({
          provider: args.provider,
          dir,
          templatesDir: defaultTemplatesDir(),
          force: args.force,
        })
        if (!args.quiet) {
          const shown = relative(io.cwd, dir) || '.'
          io.stderr.write(`wrote ${result.files.length} files into ${shown}\n`)
          io.stderr.write(`next: kubectl pharos-net render -c ${shown}/cluster.yml -o ${shown}/out\n`)
        }
        return 0
      }),
  }
}
