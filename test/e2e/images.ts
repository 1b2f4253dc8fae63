/**
 * Moving images to an air-gapped registry, end to end: the output folder built by the real `kubectl
 * kustomize` with and without the move differs in container images only, each moved as Docker names it,
 * and `render --stdout` gives what kustomize builds.
 */
import t, { type Test } from 'tap'
import { cp, readdir, writeFile, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { corpusCluster, corpusMissing } from '../helpers/corpus.js'
import { corpusDir, repoRoot } from '../helpers/paths.js'
import { kubectl } from '../helpers/tool.js'

const REGISTRY = 'registry.local:5000'

function objectsIn(text: string): Array<Record<string, any>> {
  return parseAllDocuments(text)
    .map((d) => d.toJS())
    .filter((o) => o !== null)
    .flatMap((o) => (o.kind === 'List' ? o.items : [o]))
}

/** The image in REGISTRY, written out by hand from Docker's rules (not with the code under test). */
function moved(image: string): string {
  const [first = '', ...rest] = image.split('/')
  const hasRegistry = rest.length > 0 && /[.:]|^localhost$/.test(first)
  if (hasRegistry) return [REGISTRY, ...rest].join('/')
  return rest.length === 0 ? `${REGISTRY}/library/${image}` : `${REGISTRY}/${image}`
}

/** Every place where `a` and `b` differ, as a dotted path with both values. */
function differences(a: unknown, b: unknown, path = ''): Array<{ path: string; from: unknown; to: unknown }> {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])]
    return keys.flatMap((k) => differences((a as any)[k], (b as any)[k], path ? `${path}.${k}` : k))
  }
  return Object.is(a, b) ? [] : [{ path, from: a, to: b }]
}

const CONTAINER_IMAGE = /(^|\.)(containers|initContainers)\.\d+\.image$/

async function checkMove(t: Test, cwd: string, args: string[] = []) {
  const render = async (out: string, extra: string[]) => {
    const run = await kubectl(['pharos-net', 'render', '-q', '-o', out, ...args, ...extra], { cwd })
    t.equal(run.exitCode, 0, run.stderr)
    const built = await kubectl(['kustomize', out])
    t.equal(built.exitCode, 0, built.stderr)
    return objectsIn(built.stdout)
  }
  const before = await render(join(cwd, 'plain'), [])
  const after = await render(join(cwd, 'moved'), ['--image-registry', REGISTRY])
  t.equal(after.length, before.length, 'the same objects')
  const changes = before.flatMap((object, i) => differences(object, after[i]).map((d) => ({ ...d, object: `${object.kind}/${object.metadata.name}` })))
  t.same(changes.filter((c) => !CONTAINER_IMAGE.test(c.path)), [], 'nothing but container images changed')
  for (const c of changes) t.equal(c.to, moved(String(c.from)), `${c.object} ${c.path}: ${c.from}`)
  const images = after.flatMap((o) => imagesIn(o))
  t.ok(images.length > 0, `${images.length} images`)
  t.same(images.filter((i) => !i.startsWith(`${REGISTRY}/`)), [], 'every container image moved')

  const stream = await kubectl(['pharos-net', 'render', '-q', '--stdout', ...args, '--image-registry', REGISTRY], { cwd })
  t.same(objectsIn(stream.stdout), after, '--stdout gives what kustomize builds')
}

/** Images of `containers` and `initContainers` anywhere in `value`. */
function imagesIn(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return []
  return Object.entries(value).flatMap(([key, child]) =>
    (key === 'containers' || key === 'initContainers') && Array.isArray(child)
      ? child.map((c) => c.image as string)
      : imagesIn(child))
}

t.test('the spec example: the flannel image moves, nothing else changes', async (t) => {
  const cwd = t.testdir({})
  await cp(join(repoRoot, 'examples', 'flannel'), cwd, { recursive: true })
  await checkMove(t, cwd)
})

t.test('image_repository in cluster.yml moves images; --image-registry wins over it', async (t) => {
  const cwd = t.testdir({})
  await cp(join(repoRoot, 'examples', 'flannel'), cwd, { recursive: true })
  const config = join(cwd, 'cluster.yml')
  await writeFile(config, `image_repository: mirror.example.com/pharos\n${await readFile(config, 'utf8')}`)
  const fromConfig = await kubectl(['pharos-net', 'render', '-q'], { cwd })
  t.match(fromConfig.stdout, /image: mirror\.example\.com\/pharos\/coreos\/flannel:v0\.10\.0-amd64/)
  const fromFlag = await kubectl(['pharos-net', 'render', '-q', '--image-registry', REGISTRY], { cwd })
  t.match(fromFlag.stdout, /image: registry\.local:5000\/coreos\/flannel:v0\.10\.0-amd64/)

  await writeFile(config, (await readFile(config, 'utf8')).replace('mirror.example.com/pharos', 'https://mirror.example.com'))
  const bad = await kubectl(['pharos-net', 'render'], { cwd })
  t.equal(bad.exitCode, 2)
  t.match(bad.stderr, /^cluster\.yml: error: image_repository 'https:\/\/mirror\.example\.com' is not a registry host/m)
  const badFlag = await kubectl(['pharos-net', 'render', '--image-registry', 'a b'], { cwd })
  t.equal(badFlag.exitCode, 2)
  t.match(badFlag.stderr, /--image-registry 'a b' is not a registry host/)
})

t.test('every corpus file: every image moves, nothing else changes', { skip: corpusMissing() }, async (t) => {
  for (const folder of (await readdir(corpusDir, { withFileTypes: true })).filter((d) => d.isDirectory())) {
    t.test(folder.name, async (t) => {
      const cwd = t.testdir({})
      await corpusCluster(cwd, folder.name)
      await checkMove(t, cwd)
    })
  }
})
