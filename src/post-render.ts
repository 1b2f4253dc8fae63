/**
 * Helm's post-renderer step (design §11): the manifest stream Helm rendered, read from standard input, goes
 * through the checks, API upgrades and stack label of our own rendered set, and comes back as a stream.
 */
import { manifestStreamSource } from './discover.js'
import { parseDocuments, refuseDuplicates, type ManifestDocument } from './documents.js'
import { ManifestError } from './errors.js'
import { readInputStream } from './input-file.js'
import { DEFAULT_LIMITS, type Limits } from './limits.js'
import { documentStream, outputStream } from './output.js'
import { applyApiOptions, removedApiWarning, type RenderedSet } from './pipeline.js'

/** How the input is named in messages (`<stdin>:12:3: error: ...`). */
export const POST_RENDER_INPUT = '<stdin>'

/** Helm marks hooks with this annotation; Helm 4 sends them to post-renderers with the other objects. */
export const HELM_HOOK_ANNOTATION = 'helm.sh/hook'

export interface PostRenderOptions {
  upgradeApis?: boolean
  dropRemoved?: boolean
  /** Removed APIs still in the stream are reported against this version (x.y.z or master). */
  kubernetesVersion?: string
  /** Add the stack label to every object, as render does. */
  label: boolean
  limits?: Limits
}

export interface PostRenderResult extends Pick<RenderedSet, 'documents' | 'removedApis' | 'upgrades' | 'dropped' | 'warnings'> {
  /** The stream to hand back to Helm. */
  stream: string
}

export async function postRenderManifests(input: AsyncIterable<string | Buffer>, options: PostRenderOptions): Promise<PostRenderResult> {
  const limits = options.limits ?? DEFAULT_LIMITS
  const source = manifestStreamSource(await readInputStream(input, POST_RENDER_INPUT, limits), POST_RENDER_INPUT)
  const checked = parseDocuments([{ source, text: source.text }], limits)
  // A hook may define an object that the chart's templates define too (a ServiceAccount that a pre-install
  // Job needs before the release exists): Helm creates it twice on purpose, so only the rest must be unique.
  refuseDuplicates(checked.filter((doc) => !isHelmHook(doc)))
  if (checked.length === 0) {
    throw new ManifestError('the input holds no Kubernetes object', {
      file: POST_RENDER_INPUT,
      hint: 'a post-renderer reads the manifests Helm rendered on standard input; check that the chart renders ' +
        'objects (`helm template` without --post-renderer)',
    })
  }
  const set = applyApiOptions(checked, options)
  if (set.documents.length === 0) {
    throw new ManifestError(`every object was left out by --drop-removed (${checked.length} of them)`, {
      file: POST_RENDER_INPUT,
      hint: 'Helm refuses an empty post-render; drop --drop-removed, or replace the removed APIs in the chart',
    })
  }
  return {
    ...set,
    warnings: set.removedApis.map(removedApiWarning),
    stream: options.label ? outputStream(set.documents) : documentStream(set.documents),
  }
}

function isHelmHook(doc: ManifestDocument): boolean {
  const annotations = doc.object.metadata.annotations
  return typeof annotations === 'object' && annotations !== null && HELM_HOOK_ANNOTATION in annotations
}
