import { resolve } from 'node:path'
import type { Argv, CommandModule } from 'yargs'
import { UsageError } from '../../errors.js'
import type { CliIO, GlobalArgs } from '../io.js'
import type { CommandResult } from '../main.js'
import { kubectlTarget, limitsOf, withClusterOptions, type ClusterArgs } from '../options.js'

interface SchemasArgs extends ClusterArgs {
  'from-openapi'?: string
  'from-cluster'?: boolean
  crds: string[]
  dir: string
  'kubernetes-version'?: string
}

export function schemasCommand(io: CliIO, done: (result: CommandResult) => void): CommandModule<GlobalArgs, SchemasArgs> {
  return {
    command: 'schemas',
    describe: "Write JSON schemas in kubeconform's layout from OpenAPI and CRDs, for offline validation",
    builder: (yargs: Argv<GlobalArgs>) =>
      withClusterOptions(yargs)
        .option('from-openapi', { type: 'string', describe: 'an OpenAPI v2 document (a cluster\'s /openapi/v2, or swagger.json)' })
        .option('from-cluster', { type: 'boolean', describe: 'read /openapi/v2 from the cluster of --kubeconfig/--context' })
        .option('crds', { type: 'string', array: true, default: [] as string[], describe: 'CRD files or folders; repeatable' })
        .option('dir', { alias: 'd', type: 'string', demandOption: true, describe: 'folder to write the schemas into' })
        .option('kubernetes-version', { type: 'string', describe: 'version the schemas are for (default: the document\'s)' })
        .conflicts('from-openapi', 'from-cluster')
        .example('$0 schemas --from-openapi swagger.json --kubernetes-version 1.32.4 -d schemas/', '')
        .example('$0 schemas --from-cluster --crds net/ -d schemas/', ''),
    handler: (args) =>
      done(async () => {
        if (!args['from-openapi'] && !args['from-cluster'] && args.crds.length === 0) {
          throw new UsageError('schemas needs --from-openapi FILE, --from-cluster or --crds PATH', {
            hint: 'run `kubectl pharos-net schemas --help`',
          })
        }
        const [{ clusterVersion, fetchClusterOpenApi }, { readRenderedManifests }, schemas, { crdLocator }] = await Promise.all([
          import('../../cluster.js'), import('../../pipeline.js'), import('../../schemas.js'), import('../../validate.js'),
        ])
        const { mergeSchemaSets, normalizeKubernetesVersion, readOpenApiFile, schemasFromCrds, schemasFromOpenApi, writeSchemaSet } = schemas
        const openapi = args['from-openapi']
          ? await readOpenApiFile(resolve(io.cwd, args['from-openapi']))
          : args['from-cluster']
            ? await fetchClusterOpenApi(kubectlTarget(args, io))
            : undefined
        // A cluster's /openapi/v2 does not carry its version; `kubectl version` does.
        const clusterServer = args['from-cluster'] && !args['kubernetes-version']
          ? schemas.kubernetesRelease((await clusterVersion(kubectlTarget(args, io))).server)
          : undefined
        const given = args['kubernetes-version'] ?? clusterServer
        const openApiRelease = schemas.kubernetesRelease(openApiVersion(openapi) ?? '')
        const version = normalizeKubernetesVersion(given ?? openApiRelease ?? 'master')
        const crds = (await Promise.all(args.crds.map((p) => readRenderedManifests(resolve(io.cwd, p), limitsOf(args, io)))))
          .flat()
          .filter((d) => d.object.kind === 'CustomResourceDefinition')
        const set = mergeSchemaSets(
          ...(openapi ? [schemasFromOpenApi(openapi, { kubernetesVersion: version })] : []),
          schemasFromCrds(crds.map((d) => d.object), { kubernetesVersion: version, locate: crdLocator(crds) }),
        )
        const written = await writeSchemaSet(set, resolve(io.cwd, args.dir))
        if (!args.quiet) io.stderr.write(`wrote ${written} schemas for Kubernetes ${version} into ${args.dir}\n`)
        return 0
      }),
  }
}

/** `info.version` of a Kubernetes OpenAPI document is the server's version, e.g. v1.32.13. */
function openApiVersion(openapi: object | undefined): string | undefined {
  const version = (openapi as { info?: { version?: unknown } } | undefined)?.info?.version
  return typeof version === 'string' ? version : undefined
}
