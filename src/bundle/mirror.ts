/**
 * A shell script that copies every image of a bundle into the air-gapped cluster's registry, with the tool
 * the user names. The bundle carries the list and the way to mirror it, not the image layers. Image names
 * come from manifests nobody here controls, so each must be a plain image reference before it is written,
 * and is single-quoted as well.
 */
import type { ManifestDocument } from '../documents.js'
import { ManifestError } from '../errors.js'

export const MIRROR_TOOLS = ['crane', 'skopeo', 'docker'] as const
export type MirrorTool = (typeof MIRROR_TOOLS)[number]

export interface MirroredImage {
  source: string
  target: string
}

/** Docker's reference grammar (distribution/reference), without the length limits. */
const IMAGE_REFERENCE =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$/

export function isImageReference(image: string): boolean {
  return IMAGE_REFERENCE.test(image)
}

const COPY: Record<MirrorTool, (source: string, target: string) => string> = {
  crane: (s, t) => `crane copy ${quote(s)} ${quote(t)}`,
  skopeo: (s, t) => `skopeo copy --all ${quote(`docker://${s}`)} ${quote(`docker://${t}`)}`,
  docker: (s, t) => `docker pull ${quote(s)} && docker tag ${quote(s)} ${quote(t)} && docker push ${quote(t)}`,
}

/**
 * `images` in order, one copy command a line; `documents` locate an image that is not a plain reference.
 */
export function mirrorScript(images: readonly MirroredImage[], tool: MirrorTool, documents: readonly ManifestDocument[]): string {
  for (const { source } of images) {
    if (!isImageReference(source)) {
      const doc = documents.find((d) => JSON.stringify(d.object).includes(JSON.stringify(source)))
      throw new ManifestError(`image ${JSON.stringify(source)} is not an image reference: it cannot go into the mirror script`, {
        file: doc?.source.path,
        line: doc?.line,
        hint: 'write images as [registry/]path[:tag][@digest], e.g. quay.io/coreos/flannel:v0.10.0-amd64',
      })
    }
  }
  const lines = [
    '#!/bin/sh',
    `# Copies the bundle's images into the registry the bundle was made for, with ${tool}.`,
    '# Run it where both registries can be reached; written by kubectl-pharos-net bundle --images-script.',
    'set -eu',
    ...images.filter((i) => i.source !== i.target).map((i) => COPY[tool](i.source, i.target)),
  ]
  return `${lines.join('\n')}\n`
}

function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`
}
