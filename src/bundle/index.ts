/** Air-gapped bundles: made by `bundle`, read by `validate FILE.tgz`, `diff --bundle` and `apply --bundle`. */
export * from './bundle.js'
export { collectBundleSchemas, type BundleSchemaSources } from './schemas.js'
export { MIRROR_TOOLS, type MirrorTool } from './mirror.js'
export { writeBundleFile } from './write.js'
