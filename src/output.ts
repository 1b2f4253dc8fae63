/**
 * Checked documents → a kustomize-ready folder or a YAML stream (design §6). Deterministic bytes; the
 * folder is written beside the target and renamed into place, so a failure leaves earlier output alone.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, rename, rm, stat, writeFile, readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { Document, stringify } from 'yaml'
import { KUSTOMIZATION_FILE } from './discover.js'
import type { ManifestDocument } from './documents.js'
import { UsageError } from './errors.js'

export const STACK_LABEL = 'pharos.kontena.io/stack'
export const STACK_NAME = 'custom-network'
/** Marks a folder as ours, so re-rendering may replace it without --force. */
export const OUTPUT_MARKER = '.kubectl-pharos-net'

const YAML_OPTIONS = { lineWidth: 0 } as const

export interface OutputFile {
  name: string
  text: string
}

/** The files of the output folder, in processing order, kustomization.yaml last. */
export function outputFiles(documents: ManifestDocument[]): OutputFile[] {
  const byFile = new Map<string, ManifestDocument[]>()
  for (const doc of documents) {
    const list = byFile.get(doc.source.outputName) ?? []
    list.push(doc)
    byFile.set(doc.source.outputName, list)
  }
  const files = [...byFile].map(([name, docs]) => ({ name, text: joinDocuments(docs.map((d) => d.yaml)) }))
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    // Pharos applied files in name order; keep it rather than kustomize's kind-based order.
    sortOptions: { order: 'fifo' },
    labels: [{ pairs: { [STACK_LABEL]: STACK_NAME }, includeSelectors: false, includeTemplates: false }],
    resources: files.map((f) => f.name),
  }
  return [
    ...files,
    { name: KUSTOMIZATION_FILE, text: stringify(kustomization, YAML_OPTIONS) },
    { name: OUTPUT_MARKER, text: 'This folder was written by kubectl-pharos-net render and is replaced on each render.\n' },
  ]
}

/** What `kubectl kustomize` builds from the output folder: every object, labelled, in processing order. */
export function outputStream(documents: ManifestDocument[]): string {
  return joinDocuments(documents.map((d) => withStackLabel(d.yaml)))
}

function withStackLabel(doc: Document): Document {
  const labelled = doc.clone()
  labelled.setIn(['metadata', 'labels', STACK_LABEL], STACK_NAME)
  return labelled
}

function joinDocuments(docs: Document[]): string {
  return docs.map((doc) => doc.toString(YAML_OPTIONS)).join('---\n')
}

export interface WriteOutputOptions {
  dir: string
  /** Replace a non-empty folder that an earlier render did not write. */
  force?: boolean
}

/**
 * Writes the files into a fresh sibling folder, then swaps it in place of `dir`. A folder that is neither
 * empty nor ours is refused without `force`.
 */
export async function writeOutput(files: OutputFile[], options: WriteOutputOptions): Promise<void> {
  const { dir } = options
  const existing = await folderState(dir)
  if (existing === 'foreign' && !options.force) {
    throw new UsageError(`output folder ${dir} is not empty and was not written by this tool`, {
      hint: 'choose another folder with -o, or pass --force to replace it',
    })
  }
  if (existing === 'file') {
    throw new UsageError(`output path ${dir} is a file, not a folder`, { hint: 'choose a folder with -o' })
  }
  const parent = dirname(dir)
  await mkdir(parent, { recursive: true })
  const suffix = randomBytes(4).toString('hex')
  const staging = join(parent, `.${basename(dir)}.tmp-${suffix}`)
  try {
    await mkdir(staging)
    for (const file of files) await writeFile(join(staging, file.name), file.text)
    if (existing === 'missing') {
      await rename(staging, dir)
      return
    }
    const previous = join(parent, `.${basename(dir)}.old-${suffix}`)
    await rename(dir, previous)
    await rename(staging, dir)
    await rm(previous, { recursive: true, force: true })
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}

type FolderState = 'missing' | 'empty' | 'ours' | 'foreign' | 'file'

async function folderState(dir: string): Promise<FolderState> {
  const info = await stat(dir).catch(() => undefined)
  if (!info) return 'missing'
  if (!info.isDirectory()) return 'file'
  const entries = await readdir(dir)
  if (entries.length === 0) return 'empty'
  const marker = await readFile(join(dir, OUTPUT_MARKER), 'utf8').catch(() => undefined)
  return marker === undefined ? 'foreign' : 'ours'
}
