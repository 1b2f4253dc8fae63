/**
 * Checked documents → a kustomize-ready folder or a YAML stream (design §6). Deterministic bytes; the
 * folder is written beside the target and renamed into place, so a failure leaves earlier output alone.
 * Render runs unattended on input nobody here controls, so writing the folder is guarded: it never
 * replaces an input, the current or home folder or a system folder, takes over only a folder it provably
 * wrote (or one passed with --force), serialises concurrent renders with a lock and repairs killed ones.
 */
import { randomBytes } from 'node:crypto'
import { linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { Document, isAlias, isMap, isScalar, isSeq, Pair, Scalar, stringify, visit, YAMLMap, type Node } from 'yaml'
import { byUtf8Bytes } from './byte-order.js'
import { KUSTOMIZATION_FILE } from './discover.js'
import type { ManifestDocument } from './documents.js'
import { EnvironmentError, ManifestError, UsageError } from './errors.js'
import { errnoCode, fileSystemError } from './fs-errors.js'
import { REWRITTEN_CONTAINER_LISTS, rewrittenImage, type ImageRewrite } from './images.js'

export const STACK_LABEL = 'pharos.kontena.io/stack'
export const STACK_NAME = 'custom-network'
/** Marks a folder as ours and lists the files we wrote, so re-rendering may replace it without --force. */
export const OUTPUT_MARKER = '.kubectl-pharos-net'
const MARKER_HEADER = 'This folder was written by kubectl-pharos-net render and is replaced on each render.\nIts files:\n'

const YAML_OPTIONS = { lineWidth: 0 } as const

export interface OutputFile {
  name: string
  text: string
}

/**
 * The files of the output folder, in processing order, kustomization.yaml and the marker last. `images`
 * become the kustomization's `images:`, so that `kubectl apply -k` pulls from the registry they name.
 */
export function outputFiles(documents: ManifestDocument[], images: readonly ImageRewrite[] = []): OutputFile[] {
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
    ...(images.length > 0 ? { images: images.map(({ name, newName }) => ({ name, newName })) } : {}),
  }
  const written = [...files, { name: KUSTOMIZATION_FILE, text: stringify(kustomization, YAML_OPTIONS) }]
  return [...written, { name: OUTPUT_MARKER, text: markerText(written.map((f) => f.name)) }]
}

/** The marker's exact text for a set of file names: the only text that proves a folder is ours. */
export function markerText(names: readonly string[]): string {
  return MARKER_HEADER + [...new Set(names)].sort(byUtf8Bytes).map((name) => `${name}\n`).join('')
}

/**
 * What `kubectl kustomize` builds from the output folder: every object, labelled, its images rewritten as
 * the kustomization's `images:` say, in processing order.
 */
export function outputStream(documents: ManifestDocument[], images: readonly ImageRewrite[] = []): string {
  // withImages changes the copy's image scalars in place: only a full copy keeps them from the original.
  if (images.length > 0) return joinDocuments(documents.map((doc) => withImages(withStackLabel(doc), images)))
  return joinDocuments(documents.map((doc) => labelledAlongPath(doc.yaml) ?? withStackLabel(doc)))
}

/** kustomize's images transformer: the `image` of every item of `containers` and `initContainers`, at any depth. */
function withImages(doc: Document, images: readonly ImageRewrite[]): Document {
  if (images.length === 0) return doc
  // Each image becomes its spot's own first (`image: &img ...` used again by alias elsewhere changes here only).
  // Neither step changes which pairs hold images, so one walk finds them for all three.
  const pairs = imagePairs(doc)
  for (const pair of pairs) if (isAlias(pair.value)) pair.value = copyOf(pair.value.resolve(doc))
  for (const pair of pairs) if (pair.value) ownAnchor(doc, pair.value as Node)
  const scalars = new Set(pairs.map((pair) => pair.value))
  for (const scalar of scalars) {
    if (isScalar(scalar) && typeof scalar.value === 'string') scalar.value = rewrittenImage(scalar.value, images)
  }
  return doc
}

function imagePairs(doc: Document): Pair[] {
  const lists: readonly string[] = REWRITTEN_CONTAINER_LISTS
  const pairs: Pair[] = []
  visit(doc, {
    Pair: (_key, pair) => {
      if (!isScalar(pair.key) || !lists.includes(String(pair.key.value))) return
      const containers = isAlias(pair.value) ? pair.value.resolve(doc) : pair.value
      if (!isSeq(containers)) return
      for (const item of containers.items) {
        const container = isAlias(item) ? item.resolve(doc) : item
        if (!isMap(container)) continue
        const image = container.items.find((p) => isScalar(p.key) && p.key.value === 'image')
        if (image) pairs.push(image as Pair)
      }
    },
  })
  return pairs
}

/** The documents as a YAML stream, as they are: outputStream without the stack label. */
export function documentStream(documents: ManifestDocument[]): string {
  return joinDocuments(documents.map((doc) => doc.yaml))
}

/** The stack label on a full copy of the document: the plain path, for any document. */
export function withStackLabel(doc: ManifestDocument): Document {
  const labelled = doc.yaml.clone()
  for (const path of [['metadata'], ['metadata', 'labels']]) unshare(labelled, path)
  const labels = labelled.getIn(['metadata', 'labels'], true)
  if (labels === undefined || (isScalar(labels) && labels.value === null)) {
    labelled.setIn(['metadata', 'labels'], labelled.createNode({ [STACK_LABEL]: STACK_NAME }))
  } else if (isMap(labels)) {
    labels.set(STACK_LABEL, STACK_NAME)
  } else {
    throw new ManifestError(`metadata.labels of ${doc.object.kind} ${doc.object.metadata.name} is not a mapping`, {
      file: doc.source.path,
      line: doc.line,
      hint: 'write labels as a mapping of names to strings',
    })
  }
  return labelled
}

/**
 * withStackLabel without copying the whole document, which took most of a large stream's time: only the
 * root, `metadata` and `labels` mappings are copied and the rest is shared, which nothing here changes.
 * The result is what withStackLabel gives, key for key and style for style. Undefined where an anchor or
 * an alias on that path could carry the change elsewhere, or labels is not a mapping: withStackLabel
 * handles those.
 */
export function labelledAlongPath(yaml: Document): Document | undefined {
  const root = yaml.contents
  if (!isMap(root) || root.anchor) return undefined
  const metadataPair = pairOf(root, 'metadata')
  const metadata = metadataPair?.value
  if (!metadataPair || !isMap(metadata) || metadata.anchor) return undefined
  const labelsPair = pairOf(metadata, 'labels')
  const labels = labelsPair?.value
  const metadataCopy = copyOfMap(metadata)
  if (labelsPair === undefined) {
    metadataCopy.items.push(new Pair('labels', yaml.createNode({ [STACK_LABEL]: STACK_NAME })))
  } else if (labels === null || (isScalar(labels) && labels.value === null && !labels.anchor)) {
    metadataCopy.items[metadata.items.indexOf(labelsPair)] = withValue(labelsPair, yaml.createNode({ [STACK_LABEL]: STACK_NAME }))
  } else if (isMap(labels) && !labels.anchor) {
    const labelsCopy = copyOfMap(labels)
    const label = pairOf(labels, STACK_LABEL)
    if (label === undefined) {
      labelsCopy.items.push(new Pair(STACK_LABEL, STACK_NAME))
    } else {
      // As YAMLMap#set does it: a scalar keeps its node (and style) with the new value.
      const value = isScalar(label.value) ? Object.assign(new Scalar(STACK_NAME), label.value, { value: STACK_NAME }) : STACK_NAME
      labelsCopy.items[labels.items.indexOf(label)] = withValue(label, value)
    }
    metadataCopy.items[metadata.items.indexOf(labelsPair)] = withValue(labelsPair, labelsCopy)
  } else {
    return undefined
  }
  const rootCopy = copyOfMap(root)
  rootCopy.items[root.items.indexOf(metadataPair)] = withValue(metadataPair, metadataCopy)
  const copy = Object.create(Object.getPrototypeOf(yaml), Object.getOwnPropertyDescriptors(yaml)) as Document
  copy.contents = rootCopy
  return copy
}

/** The pair of `map` whose key is `key`, found as YAMLMap#get finds it. */
function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => pair.key === key || (isScalar(pair.key) && pair.key.value === key))
}

/** A mapping with the same properties and its own list of the same pairs. */
function copyOfMap(map: YAMLMap): YAMLMap {
  const copy = Object.assign(new YAMLMap(map.schema), map)
  copy.items = map.items.slice()
  return copy
}

function withValue(pair: Pair, value: unknown): Pair {
  return Object.assign(new Pair(pair.key), pair, { value })
}

/**
 * Makes the node at `path` this document's own before it is changed: an alias there becomes a copy of what
 * it stands for, and aliases elsewhere that stand for it become copies, so the label lands nowhere else
 * (`metadata.labels: &x` shared with `spec.selector.matchLabels: *x` must leave the selector alone).
 */
function unshare(doc: Document, path: string[]): void {
  const node = doc.getIn(path, true) as Node | undefined
  if (isAlias(node)) {
    doc.setIn(path, copyOf(node.resolve(doc)))
    return
  }
  if (node !== undefined) ownAnchor(doc, node)
}

/** Aliases that stand for `node` become copies of it, and it loses its anchor. */
function ownAnchor(doc: Document, node: Node): void {
  if (!node.anchor) return
  // Aliases resolve to the last anchor of their name before them, in document order.
  const latest = new Map<string, unknown>()
  visit(doc, {
    Node: (_key, visited) => {
      if (isAlias(visited)) return latest.get(visited.source) === node ? copyOf(node) : undefined
      if (visited.anchor) latest.set(visited.anchor, visited)
      return undefined
    },
  })
  node.anchor = undefined
}

function copyOf(node: Node | undefined): Node | undefined {
  const copy = node?.clone() as Node | undefined
  if (copy) copy.anchor = undefined
  return copy
}

function joinDocuments(docs: Document[]): string {
  return docs.map((doc) => doc.toString(YAML_OPTIONS)).join('---\n')
}

/** A path that the output folder must never be, nor contain. */
export interface ProtectedPath {
  /** What it is, for the message: "the config file", "the current folder". */
  role: string
  /** Absolute. */
  path: string
  /** How the message names it, when not `path` (a real path reached through a symbolic link). */
  shown?: string
}

export interface WriteOutputOptions {
  /** Absolute. */
  dir: string
  /** Take over an ordinary non-empty folder that this tool did not write. Never a protected one. */
  force?: boolean
  /** The inputs and the places never replaced, whatever `force` says: config file, manifest path, cwd, HOME. */
  protect: ProtectedPath[]
  /** Called once, with the holder's pid, when another render holds the folder's lock and this one waits. */
  onWait?: (pid: number) => void
  /** How long to wait for another render's lock; default LOCK_WAIT_MS. */
  lockWaitMs?: number
}

/** A render waits this long for another one into the same folder (far longer than any real render). */
export const LOCK_WAIT_MS = 10 * 60_000
const LOCK_POLL_MS = 100

const REFUSAL_HINT = 'write the output to a folder of its own, e.g. -o out or -o rendered/; no flag allows replacing this one'

/**
 * Why the folder `dir` must not be replaced, or undefined when it may be. Pure, so that tests can ask about
 * `/` and system folders: the caller passes each path in every form (as given, and with symbolic links
 * resolved). Refused: `/`, any folder whose parent is `/`, and a folder that is or contains a protected path.
 */
export function outputFolderProblem(dir: string, protectedPaths: readonly ProtectedPath[], shownDir = dir): string | undefined {
  const target = resolve(dir)
  const refuse = (why: string) => `refusing to replace the output folder ${shownDir}: ${why}`
  if (dirname(target) === target) return refuse('it is the root folder')
  if (dirname(dirname(target)) === dirname(target)) return refuse('it is a top-level system folder')
  const inside = protectedPaths.map((p) => ({ ...p, rest: relative(target, resolve(p.path)) }))
  const same = inside.find((p) => p.rest === '')
  if (same) return refuse(`it is ${same.role} ${same.shown ?? same.path}`)
  const below = inside.find((p) => p.rest !== '..' && !p.rest.startsWith('../') && !isAbsolute(p.rest))
  return below && refuse(`it contains ${below.role} ${below.shown ?? below.path}`)
}

/** outputFolderProblem on every form of the paths, so that no symbolic link gets round it. */
export function checkOutputFolder(dir: string, protectedPaths: readonly ProtectedPath[]): void {
  const forms = protectedPaths.flatMap((p) => {
    const real = realPath(p.path)
    return real === p.path ? [p] : [p, { ...p, path: real, shown: `${p.shown ?? p.path} (${real})` }]
  })
  const realDir = realPath(dir)
  const dirs = realDir === dir ? [{ path: dir, shown: dir }] : [{ path: dir, shown: dir }, { path: realDir, shown: `${dir} (${realDir})` }]
  for (const { path, shown } of dirs) {
    const problem = outputFolderProblem(path, forms, shown)
    if (problem) throw new UsageError(problem, { hint: REFUSAL_HINT })
  }
}

/** The real path of `path`: symbolic links resolved in the part that exists, the rest appended as given. */
export function realPath(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    const parent = dirname(path)
    return parent === path ? path : join(realPath(parent), basename(path))
  }
}

/**
 * Writes the files into a fresh sibling folder, then swaps it in place of `dir`, holding the folder's lock.
 * A protected folder is always refused; a folder that is neither empty nor provably ours needs `force`.
 */
export async function writeOutput(files: OutputFile[], options: WriteOutputOptions): Promise<void> {
  await writeOutputs([{ files, options }])
}

export interface OutputFolder {
  files: OutputFile[]
  options: WriteOutputOptions
}

/**
 * writeOutput for several folders, all or nothing as far as renames allow: every folder is checked, locked
 * and staged before any is swapped in, so a refused folder or a failed write changes none of them. The
 * previous folders stay aside until all are in; if a later swap fails, those already swapped are put back.
 * Only a kill between two swaps (or a put-back that fails, named in the error) leaves some folders new and
 * some old, each of them whole.
 */
export async function writeOutputs(folders: readonly OutputFolder[]): Promise<void> {
  // Locks are taken in one order, so that two runs sharing folders cannot each wait for the other.
  const ordered = [...folders].sort((a, b) => byUtf8Bytes(resolve(a.options.dir), resolve(b.options.dir)))
  const staged: StagedOutput[] = []
  try {
    for (const folder of ordered) staged.push(await stageOutput(folder.files, folder.options))
    const swapped: StagedOutput[] = []
    try {
      for (const output of staged) {
        swapIn(output)
        swapped.push(output)
      }
    } catch (error) {
      const stuck = swapped.reverse().filter((output) => !putBack(output))
      if (stuck.length === 0) throw error
      throw new EnvironmentError(`${errorMessage(error)}; then could not put back ${stuck.map((o) => o.dir).join(', ')}`, {
        cause: error,
        hint: 'the previous output of each is beside it as .NAME.pharos-net-old-*, and the next render into it restores it',
      })
    }
  } finally {
    release(staged)
  }
}

/** A folder written beside its place, its lock held, waiting to be swapped in. */
interface StagedOutput {
  dir: string
  lock: string
  staging: string
  /** Whether a folder is at `dir` already, to move aside. */
  replaces: boolean
  /** Where the previous folder went, once swapped in. */
  old?: string
  /** Swapped in, and not put back. */
  done: boolean
}

async function stageOutput(files: OutputFile[], options: WriteOutputOptions): Promise<StagedOutput> {
  const dir = resolve(options.dir)
  checkOutputFolder(dir, options.protect)
  const parent = dirname(dir)
  attempt('create the folder', parent, () => mkdirSync(parent, { recursive: true }))
  const lock = await acquireLock(dir, options)
  const staging = sibling(dir, `staging-${randomHex()}`)
  try {
    repairLeftovers(dir)
    const state = folderState(dir)
    if (state === 'file') {
      throw new UsageError(`output path ${dir} is a file, not a folder`, { hint: 'choose a folder with -o' })
    }
    if (state === 'foreign' && !options.force) {
      throw new UsageError(`output folder ${dir} is not empty and was not written by this tool`, {
        hint: 'choose another folder with -o, or pass --force to replace it (its files are deleted)',
      })
    }
    attempt('create the folder', staging, () => mkdirSync(staging))
    for (const file of files) {
      const path = join(staging, file.name)
      attempt('write', path, () => writeFileSync(path, file.text))
    }
    return { dir, lock, staging, replaces: state !== 'missing', done: false }
  } catch (error) {
    rmSync(staging, { recursive: true, force: true })
    rmSync(lock, { force: true })
    throw error
  }
}

/**
 * Node has no renameat2(RENAME_EXCHANGE), so the old folder steps aside and the new one takes its place in
 * two synchronous renames: no JavaScript (a signal handler) runs between them. Only a SIGKILL or a power cut
 * in that sub-microsecond window between two syscalls leaves `dir` missing with the old folder beside it,
 * and the next render puts it back first (repairLeftovers).
 */
function swapIn(output: StagedOutput): void {
  const { staging, dir } = output
  if (!output.replaces) {
    attempt('rename the new output to', dir, () => renameSync(staging, dir))
    output.done = true
    return
  }
  const old = sibling(dir, `old-${randomHex()}`)
  attempt('move aside the previous output', dir, () => renameSync(dir, old))
  try {
    renameSync(staging, dir)
  } catch (error) {
    renameSync(old, dir)
    throw fileSystemError('rename the new output to', dir, error)
  }
  output.old = old
  output.done = true
}

/**
 * Undoes swapIn: the new folder goes back to its staging name (release removes it), the previous one back
 * to `dir`. False when a rename fails; a previous folder left aside is restored by the next render.
 */
function putBack(output: StagedOutput): boolean {
  try {
    renameSync(output.dir, output.staging)
    output.done = false
    if (output.old) renameSync(output.old, output.dir)
    output.old = undefined
    return true
  } catch {
    return false
  }
}

/** Removes what each staged output leaves beside its folder (the previous one, once replaced), then its lock. */
function release(outputs: readonly StagedOutput[]): void {
  let failure: unknown
  for (const output of outputs) {
    try {
      const { old } = output
      if (output.done && old) attempt('remove the previous output', old, () => rmSync(old, { recursive: true, force: true }))
    } catch (error) {
      failure ??= error
    } finally {
      rmSync(output.staging, { recursive: true, force: true })
      rmSync(output.lock, { force: true })
    }
  }
  if (failure !== undefined) throw failure
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * `.NAME.pharos-net-<what>` beside `dir`: with the lock `.NAME.pharos-net.lock`, the only names the tool
 * creates, or deletes, outside it.
 */
function sibling(dir: string, what: string): string {
  return join(dirname(dir), `.${basename(dir)}.pharos-net-${what}`)
}

const LEFTOVER = /^-(staging|old)-[0-9a-f]{8}$|^\.lock\.stale-[0-9a-f]{8}$/

/**
 * What killed renders left beside `dir`: a folder moved aside is put back when `dir` is missing (a run
 * killed between the two renames of swapIn), then every leftover of exactly our names is deleted. Called
 * only under the lock, so no running render's staging folder is touched.
 */
function repairLeftovers(dir: string): void {
  const parent = dirname(dir)
  const prefix = `.${basename(dir)}.pharos-net`
  const names = attempt('read the folder', parent, () => readdirSync(parent))
  const leftovers = names.filter((name) => name.startsWith(prefix) && LEFTOVER.test(name.slice(prefix.length)))
  if (!exists(dir)) {
    const newest = leftovers
      .filter((name) => name.slice(prefix.length).startsWith('-old-'))
      .map((name) => ({ name, changed: statSync(join(parent, name)).ctimeMs }))
      .sort((a, b) => b.changed - a.changed)[0]
    if (newest) attempt('restore the previous output to', dir, () => renameSync(join(parent, newest.name), dir))
  }
  for (const name of leftovers) {
    const path = join(parent, name)
    attempt('remove the leftover', path, () => rmSync(path, { recursive: true, force: true }))
  }
}

/**
 * `.NAME.pharos-net.lock` beside `dir`, created exclusively and holding our pid. A live holder is waited
 * for (up to `lockWaitMs`); a lock whose process is gone is taken over.
 */
async function acquireLock(dir: string, options: WriteOutputOptions): Promise<string> {
  const lock = join(dirname(dir), `.${basename(dir)}.pharos-net.lock`)
  const deadline = Date.now() + (options.lockWaitMs ?? LOCK_WAIT_MS)
  let told = false
  for (;;) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' })
      return lock
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw fileSystemError('create the lock file', lock, error)
    }
    const holder = readLock(lock)
    if (holder === undefined) continue
    if (holder.pid !== undefined && !isRunning(holder.pid)) {
      takeOverStaleLock(lock, holder.text)
      continue
    }
    if (holder.pid === undefined && Date.now() - holder.modified > 10_000) {
      // Empty for this long: its writer was killed between creating it and writing its pid.
      takeOverStaleLock(lock, holder.text)
      continue
    }
    if (Date.now() >= deadline) {
      throw new EnvironmentError(`another render (pid ${holder.pid ?? 'unknown'}) still holds ${lock}`, {
        hint: `it held it for longer than ${Math.round((options.lockWaitMs ?? LOCK_WAIT_MS) / 1000)}s; ` +
          `if no render is running, delete ${lock}`,
      })
    }
    if (!told && holder.pid !== undefined) {
      options.onWait?.(holder.pid)
      told = true
    }
    await delay(LOCK_POLL_MS)
  }
}

function readLock(lock: string): { text: string; pid?: number; modified: number } | undefined {
  try {
    const text = readFileSync(lock, 'utf8')
    const match = /^([1-9]\d{0,9})\n$/.exec(text)
    return { text, pid: match ? Number(match[1]) : undefined, modified: statSync(lock).mtimeMs }
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined
    throw fileSystemError('read the lock file', lock, error)
  }
}

/** Signal 0 checks that a process exists; EPERM means it does, under another user. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return errnoCode(error) !== 'ESRCH'
  }
}

/**
 * Moves the stale lock aside before deleting it, and checks that what moved is still the stale lock: two
 * renders finding the same stale lock must not delete the fresh lock the faster one created meanwhile.
 */
function takeOverStaleLock(lock: string, staleText: string): void {
  const aside = `${lock}.stale-${randomHex()}`
  try {
    renameSync(lock, aside)
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return
    throw fileSystemError('take over the stale lock file', lock, error)
  }
  let moved: string | undefined
  try {
    moved = readFileSync(aside, 'utf8')
  } catch {
    // Removed meanwhile by the render that holds the lock now (leftover cleanup): nothing to put back.
  }
  if (moved !== undefined && moved !== staleText) {
    try {
      linkSync(aside, lock)
    } catch {
      // A third render created a lock in these microseconds; it and the one whose lock this was now both
      // write, each through its own staging folder and renames, so the output is still one whole render.
    }
  }
  rmSync(aside, { force: true })
}

type FolderState = 'missing' | 'empty' | 'ours' | 'foreign' | 'file'

/** 'ours' only when the marker is exactly what we write and the folder holds nothing it does not list. */
function folderState(dir: string): FolderState {
  let entries
  try {
    if (!statSync(dir).isDirectory()) return 'file'
    entries = readdirSync(dir, { withFileTypes: true })
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 'missing'
    throw fileSystemError('read the output folder', dir, error)
  }
  if (entries.length === 0) return 'empty'
  const marker = entries.find((entry) => entry.name === OUTPUT_MARKER)
  if (!marker?.isFile()) return 'foreign'
  const text = attempt('read', join(dir, OUTPUT_MARKER), () => readFileSync(join(dir, OUTPUT_MARKER), 'utf8'))
  if (!text.startsWith(MARKER_HEADER)) return 'foreign'
  const listed = text.slice(MARKER_HEADER.length).split('\n').slice(0, -1)
  if (markerText(listed) !== text) return 'foreign'
  const ours = entries.every((entry) => entry === marker || (entry.isFile() && listed.includes(entry.name)))
  return ours ? 'ours' : 'foreign'
}

function exists(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false
    throw fileSystemError('read', path, error)
  }
}

/** Runs one file-system step, turning its failure into an EnvironmentError that names `path`. */
function attempt<T>(action: string, path: string, step: () => T): T {
  try {
    return step()
  } catch (error) {
    throw fileSystemError(action, path, error)
  }
}

function randomHex(): string {
  return randomBytes(4).toString('hex')
}
