import type { Argv, CommandModule } from 'yargs'
import { UsageError } from '../../errors.js'
import type { CliIO, GlobalArgs } from '../io.js'
import type { CommandResult } from '../main.js'
import { limitsOf, withApiOptions, type RenderArgs } from '../options.js'
import { reportRenderNotes } from '../report.js'

interface PostRenderArgs extends Pick<RenderArgs, keyof GlobalArgs | 'upgrade-apis' | 'drop-removed' | 'kubernetes-version'> {
  label: boolean
}

export function postRenderCommand(io: CliIO, done: (result: CommandResult) => void): CommandModule<GlobalArgs, PostRenderArgs> {
  return {
    command: 'post-render',
    describe: 'Helm post-renderer: check a manifest stream on stdin, upgrade removed APIs, label it, print it',
    builder: (yargs: Argv<GlobalArgs>) =>
      withApiOptions(yargs)
        .option('label', {
          type: 'boolean',
          default: true,
          describe: 'label every object pharos.kontena.io/stack=custom-network (--no-label to leave them as they are)',
        })
        .example('helm template ./chart --post-renderer kubectl-pharos_net --post-renderer-args post-render', 'Helm 3')
        .example('helm template ./chart --post-renderer pharos-net-postrender', 'Helm 4, with packaging/helm-postrenderer installed'),
    handler: (args) =>
      done(async () => {
        if (!io.stdin) throw new UsageError('no standard input to read', { hint: 'pipe manifests in: helm runs post-renderers that way' })
        const [{ postRenderManifests }, { normalizeKubernetesVersion }] =
          await Promise.all([import('../../post-render.js'), import('../../schemas.js')])
        const version = args['kubernetes-version'] && normalizeKubernetesVersion(args['kubernetes-version'])
        const result = await postRenderManifests(io.stdin, {
          upgradeApis: args['upgrade-apis'],
          dropRemoved: args['drop-removed'],
          kubernetesVersion: version || undefined,
          label: args.label,
          limits: limitsOf(args, io),
        })
        reportRenderNotes(result, args, io)
        io.stdout.write(result.stream)
        return 0
      }),
  }
}
