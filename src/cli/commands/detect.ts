import type { Argv, CommandModule } from 'yargs'
import { allowedEnvPatterns, ALLOW_ENV_VARIABLE } from '../../environment.js'
import { argocdConfig } from '../argocd.js'
import type { CliIO, GlobalArgs } from '../io.js'
import type { CommandResult } from '../main.js'
import { limitsOf } from '../options.js'
import { displayPath } from '../report.js'

interface DetectArgs extends GlobalArgs {
  config?: string
  'allow-env': string[]
  argocd: boolean
}

/**
 * Argo CD's plugin discovery (`discover.find.command`): a folder matches when the command exits 0 and
 * prints something, so "no" is exit 0 and silence, and only a usage error fails.
 */
export function detectCommand(io: CliIO, done: (result: CommandResult) => void): CommandModule<GlobalArgs, DetectArgs> {
  return {
    command: 'detect',
    describe: 'Print the cluster config here when it is a custom network, else nothing (Argo CD plugin discovery)',
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .option('config', { alias: 'c', type: 'string', requiresArg: true, describe: 'cluster.yml to look at (default ./cluster.yml, then ./cluster.yml.erb)' })
        .option('allow-env', {
          type: 'string',
          array: true,
          default: [] as string[],
          requiresArg: true,
          describe: `let cluster.yml.erb read this environment variable as ENV, as for render (also $${ALLOW_ENV_VARIABLE})`,
        })
        .option('argocd', { type: 'boolean', default: false, describe: 'read the config from ARGOCD_ENV_CLUSTER_CONFIG when -c is not given' })
        .example('$0 detect', 'prints cluster.yml when it says network.provider: custom'),
    handler: (args) =>
      done(async () => {
        const { detectCustomNetwork } = await import('../../detect.js')
        const file = await detectCustomNetwork({
          configFile: args.config ?? (args.argocd ? argocdConfig(io.env, io.cwd) : undefined),
          cwd: io.cwd,
          env: io.env,
          allowEnv: allowedEnvPatterns(args['allow-env'], io.env),
          limits: limitsOf(args, io),
        })
        if (file !== undefined) io.stdout.write(`${displayPath(file, io.cwd)}\n`)
        return 0
      }),
  }
}
