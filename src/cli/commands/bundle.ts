import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Argv, CommandModule } from 'yargs'
import { UsageError } from '../../errors.js'
import type { CliIO, GlobalArgs } from '../io.js'
import type { CommandResult } from '../main.js'
import {
  kubectlTarget,
  limitsOf,
  renderOptionsFrom,
  withClusterOptions,
  withRenderOptions,
  type ClusterArgs,
  type RenderArgs,
} from '../options.js'
import { reportRenderNotes } from '../report.js'

interface BundleArgs extends RenderArgs, ClusterArgs {
  output?: string
  verify?: string
  'schema-location': string[]
  'from-cluster': boolean
  'allow-external-refs': boolean
  'images-script'?: 'crane' | 'skopeo' | 'docker'
  force: boolean
}

export function bundleCommand(io: CliIO, done: (result: CommandResult) => void): CommandModule<GlobalArgs, BundleArgs> {
  return {
    command: 'bundle',
    describe: 'Write an air-gapped bundle: rendered folder, schemas, image list and checksums in one .tgz',
    builder: (yargs: Argv<GlobalArgs>) =>
      withClusterOptions(withRenderOptions(yargs))
        .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'the bundle file to write (FILE.tgz)' })
        .option('verify', { type: 'string', requiresArg: true, describe: 'check a bundle\'s checksums and contents, and write nothing' })
        .option('schema-location', {
          type: 'string',
          array: true,
          default: [] as string[],
          describe: 'a local schema folder (`schemas -d DIR`) to take the set\'s schemas from; repeatable',
        })
        .option('from-cluster', { type: 'boolean', default: false, describe: 'take the schemas from the cluster of --kubeconfig/--context' })
        .option('allow-external-refs', {
          type: 'boolean',
          default: false,
          describe: 'let schema files of a --schema-location refer to other files or URLs',
        })
        .option('images-script', {
          choices: ['crane', 'skopeo', 'docker'] as const,
          describe: 'add mirror-images.sh, which copies every image into the registry with this tool',
        })
        .option('force', { type: 'boolean', default: false, describe: 'replace an -o file that is not a bundle' })
        .conflicts('verify', 'output')
        .example('$0 bundle -c cluster.yml --schema-location schemas/ -o network.tgz', 'make a bundle where there is a network')
        .example('$0 validate network.tgz && $0 apply --bundle network.tgz', 'use it where there is none'),
    handler: (args) =>
      done(async () => {
        if (args.verify !== undefined) return verify(args, io, args.verify)
        if (args.output === undefined || args.output.trim() === '') {
          throw new UsageError('bundle needs -o FILE.tgz', { hint: 'e.g. kubectl pharos-net bundle -c cluster.yml -o network.tgz' })
        }
        const [{ renderManifestSet }, { clusterVersion, fetchClusterOpenApi }, { isRemoteLocation, kubernetesRelease, normalizeKubernetesVersion }, { resolveKubernetesVersion }, bundle] =
          await Promise.all([
            import('../../pipeline.js'), import('../../cluster.js'), import('../../schemas.js'), import('../../validate.js'),
            import('../../bundle/index.js'),
          ])
        const remote = args['schema-location'].find(isRemoteLocation)
        if (remote !== undefined) {
          throw new UsageError(`--schema-location ${remote} is not a local folder: a bundle carries its schemas`, {
            hint: 'write them first with `kubectl pharos-net schemas ... -d DIR` and pass --schema-location DIR, or use --from-cluster',
          })
        }
        const locations = args['schema-location'].map((l) => resolve(io.cwd, l))
        const target = kubectlTarget(args, io)
        const clusterServer = args['from-cluster'] && !args['kubernetes-version']
          ? kubernetesRelease((await clusterVersion(target)).server)
          : undefined
        const version = await resolveKubernetesVersion(args['kubernetes-version'] ?? clusterServer, locations)
        const set = await renderManifestSet(renderOptionsFrom(args, io, version))
        reportRenderNotes(set, args, io)
        if (args['images-script'] && set.imageRegistry === undefined) {
          throw new UsageError('--images-script needs a registry to copy the images into', {
            hint: 'set image_repository in cluster.yml or pass --image-registry REGISTRY',
          })
        }
        const schemas = await bundle.collectBundleSchemas({
          documents: set.documents,
          kubernetesVersion: version,
          locations,
          openapi: args['from-cluster'] ? await fetchClusterOpenApi(target) : undefined,
          allowExternalRefs: args['allow-external-refs'],
        })
        const bytes = await bundle.createBundle({
          documents: set.documents,
          images: set.images,
          imageRegistry: set.imageRegistry,
          network: set.config.config.network,
          configText: await readFile(set.config.file),
          kubernetesVersion: normalizeKubernetesVersion(version).replace(/^v/, ''),
          schemas,
          toolVersion: (await import('../../version.js')).toolVersion(),
          mirrorTool: args['images-script'],
        })
        await bundle.writeBundleFile(resolve(io.cwd, args.output), bytes, {
          force: args.force,
          protect: [
            { role: 'the config file', path: set.config.file },
            { role: 'the manifest path', path: set.config.manifestPath },
          ],
        })
        if (!args.quiet) {
          io.stderr.write(`bundled ${set.documents.length} objects, ${schemas.files.size} schemas for Kubernetes ${version} into ${args.output}\n`)
        }
        return 0
      }),
  }
}

async function verify(args: BundleArgs, io: CliIO, file: string) {
  const { verifyBundle, METADATA_FILE } = await import('../../bundle/index.js')
  const { metadata, members } = await verifyBundle(resolve(io.cwd, file), limitsOf(args, io))
  if (!args.quiet) {
    io.stderr.write(
      `${file}: ${members.length} members match SHA256SUMS; ${metadata.counts.objects} objects, ` +
        `${metadata.counts.schemas} schemas for Kubernetes ${metadata.kubernetesVersion}, ${metadata.counts.images} images ` +
        `(${METADATA_FILE}: kubectl-pharos-net ${metadata.tool.version})\n`,
    )
  }
  return 0 as const
}
