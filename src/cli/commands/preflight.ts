import type { Argv, CommandModule } from 'yargs'
import { allowedEnvPatterns } from '../../environment.js'
import type { CliIO, GlobalArgs } from '../io.js'
import type { CommandResult } from '../main.js'
import { configOptions, kubectlTarget, limitsOf, withClusterOptions, type ClusterArgs } from '../options.js'
import { formatPreflightJson, formatPreflightJunit, formatPreflightText } from '../preflight-report.js'
import { formatDiagnostic } from '../report.js'
import type { OutputFormat } from './validate.js'

interface PreflightArgs extends ClusterArgs {
  config?: string
  'allow-env': string[]
  'allow-outside-manifests': boolean
  output: OutputFormat
}

export function preflightCommand(io: CliIO, done: (result: CommandResult) => void): CommandModule<GlobalArgs, PreflightArgs> {
  return {
    command: 'preflight',
    describe: 'Check the live cluster against cluster.yml: node pod CIDRs, the service network, kube-proxy, the controller manager, another CNI',
    builder: (yargs: Argv<GlobalArgs>) =>
      withClusterOptions(yargs)
        .options(configOptions())
        .option('output', {
          alias: 'o',
          choices: ['text', 'json', 'junit'] as const,
          default: 'text' as const,
          describe: 'report format: text for people, json or junit for CI',
        })
        .example('$0 preflight -c cluster.yml --context prod', 'exit 0 clean, 1 findings, 3 the cluster cannot be read')
        .example('$0 preflight -o junit > preflight.xml', ''),
    handler: (args) =>
      done(async () => {
        const [{ loadClusterConfig }, { runLivePreflight, hasErrors }] = await Promise.all([
          import('../../config.js'),
          import('../../preflight/live.js'),
        ])
        const loaded = await loadClusterConfig({
          file: args.config,
          cwd: io.cwd,
          env: io.env,
          allowEnv: allowedEnvPatterns(args['allow-env'], io.env),
          allowOutsideManifests: args['allow-outside-manifests'],
          limits: limitsOf(args, io),
        })
        if (!args.quiet) for (const w of loaded.warnings) io.stderr.write(formatDiagnostic(w, io.cwd))
        const { pod_network_cidr: podNetworkCidr, service_cidr: serviceCidr } = loaded.config.network
        const report = await runLivePreflight({ target: kubectlTarget(args, io), podNetworkCidr, serviceCidr })
        const format = { text: formatPreflightText, json: formatPreflightJson, junit: formatPreflightJunit }[args.output]
        io.stdout.write(format(report, io.cwd))
        return hasErrors(report) ? 1 : 0
      }),
  }
}
