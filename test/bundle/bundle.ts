import t, { type Test } from 'tap'
import { execa } from 'execa'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { packArchive, type ArchiveMember } from '../../src/bundle/archive.js'
import {
  bundleMembers,
  checksumsText,
  createBundle,
  verifyBundle,
  withOpenedBundle,
  type OpenedBundle,
} from '../../src/bundle/bundle.js'
import { mirrorScript } from '../../src/bundle/mirror.js'
import { BundleError } from '../../src/errors.js'
import { findContainerImages, imageRewrites } from '../../src/images.js'
import { LimitError, resolveLimits } from '../../src/limits.js'
import { outputFiles, outputStream } from '../../src/output.js'
import { rawTarGz, sha256Hex, smallBundleInput, sumsOf } from '../helpers/bundle.js'
import { snapshotTree } from '../helpers/hostile.js'

const sha256 = (data: string | Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`
const text = (members: readonly ArchiveMember[], path: string) => members.find((m) => m.path === path)?.data.toString('utf8')

const MANIFESTS = ['manifests/01-config.yml', 'manifests/02-ds.yml', 'manifests/kustomization.yaml', 'manifests/.kubectl-pharos-net']
const SCHEMAS = ['schemas/v1.32.13-standalone-strict/configmap-v1.json', 'schemas/v1.32.13-standalone/configmap-v1.json']

t.test('bundleMembers: the rendered folder, the schemas, images, metadata, and SHA256SUMS last', async (t) => {
  const input = smallBundleInput()
  const members = bundleMembers(input)
  t.same(members.map((m) => m.path), [...MANIFESTS, ...SCHEMAS, 'images.txt', 'metadata.json', 'SHA256SUMS'])
  t.notOk(members.some((m) => m.executable), 'no executable without a mirror script')
  for (const file of outputFiles(input.documents)) t.equal(text(members, `manifests/${file.name}`), file.text, `manifests/${file.name} as render writes it`)
  t.equal(text(members, SCHEMAS[0]!), '{"type":"object","additionalProperties":false}\n', 'compact JSON, a final newline')
  t.equal(text(members, SCHEMAS[1]!), '{"type":"object"}\n')
  t.equal(text(members, 'images.txt'), 'busybox:1.36\nquay.io/coreos/flannel:v0.10.0-amd64\n', 'sorted, unique')
  const metadataText = text(members, 'metadata.json')!
  t.match(metadataText, /^\{\n {2}"bundleFormat": 1,\n/, 'indented')
  t.ok(metadataText.endsWith('}\n'))
  t.same(JSON.parse(metadataText), {
    bundleFormat: 1,
    tool: { name: 'kubectl-pharos-net', version: '0.1.0' },
    kubernetesVersion: '1.32.13',
    network: { provider: 'custom', podNetworkCidr: '10.32.0.0/12', serviceCidr: '10.96.0.0/12' },
    imageRegistry: null,
    digests: { config: sha256('network:\n  provider: custom\n'), manifests: sha256(outputStream(input.documents)) },
    counts: { objects: 2, images: 2, schemas: 2 },
  })
  const others = members.slice(0, -1)
  t.equal(text(members, 'SHA256SUMS'), sumsOf([...others].sort((a, b) => (a.path < b.path ? -1 : 1))), 'every other member, sorted')
  t.equal(checksumsText(others), text(members, 'SHA256SUMS'))
  t.equal(checksumsText([...others].reverse()), checksumsText(others), 'whatever the order given')
})

t.test('bundleMembers: rewritten images side by side, the kustomization pulls from the registry', async (t) => {
  const base = smallBundleInput()
  const images = imageRewrites(findContainerImages(base.documents), 'registry.local:5000')
  const input = { ...base, images, imageRegistry: 'registry.local:5000' }
  const members = bundleMembers(input)
  t.equal(
    text(members, 'images.txt'),
    'busybox:1.36 registry.local:5000/library/busybox:1.36\n' +
      'quay.io/coreos/flannel:v0.10.0-amd64 registry.local:5000/coreos/flannel:v0.10.0-amd64\n',
  )
  t.match(text(members, 'manifests/kustomization.yaml'), /images:\n {2}- name: busybox\n {4}newName: registry\.local:5000\/library\/busybox\n/)
  t.equal(text(members, 'manifests/02-ds.yml'), outputFiles(base.documents)[1]?.text, 'the manifests themselves are kept as written')
  const metadata = JSON.parse(text(members, 'metadata.json')!)
  t.equal(metadata.imageRegistry, 'registry.local:5000')
  t.equal(metadata.digests.manifests, sha256(outputStream(input.documents, images)), 'the digest of what kustomize builds')
  t.not(metadata.digests.manifests, sha256(outputStream(input.documents)))
})

t.test('bundleMembers: mirror-images.sh only with a mirror tool, executable, and checksummed', async (t) => {
  const base = smallBundleInput()
  const images = imageRewrites(findContainerImages(base.documents), 'registry.local:5000')
  const members = bundleMembers({ ...base, images, imageRegistry: 'registry.local:5000', mirrorTool: 'crane' })
  const script = members.find((m) => m.path === 'mirror-images.sh')
  t.ok(script?.executable, 'executable')
  t.same(members.filter((m) => m.executable).map((m) => m.path), ['mirror-images.sh'], 'nothing else is')
  t.equal(
    script?.data.toString(),
    mirrorScript(
      [
        { source: 'busybox:1.36', target: 'registry.local:5000/library/busybox:1.36' },
        { source: 'quay.io/coreos/flannel:v0.10.0-amd64', target: 'registry.local:5000/coreos/flannel:v0.10.0-amd64' },
      ],
      'crane',
      base.documents,
    ),
  )
  t.match(script?.data.toString(), /^crane copy 'busybox:1\.36' 'registry\.local:5000\/library\/busybox:1\.36'$/m)
  t.match(text(members, 'SHA256SUMS'), new RegExp(`^${sha256Hex(script!.data)} {2}mirror-images\\.sh$`, 'm'))
  t.equal(members.at(-1)?.path, 'SHA256SUMS')
})

t.test('createBundle: the same input gives the same bytes', async (t) => {
  const first = await createBundle(smallBundleInput())
  t.ok(first.equals(await createBundle(smallBundleInput())))
  t.ok(first.equals(await packArchive(bundleMembers(smallBundleInput()))))
  t.notOk(first.equals(await createBundle(smallBundleInput({ toolVersion: '0.1.1' }))))
})

t.test('SHA256SUMS checks with sha256sum -c in an extracted bundle', async (t) => {
  const dir = t.testdir({ out: {} })
  const file = join(dir, 'b.tgz')
  await writeFile(file, await createBundle(smallBundleInput({ mirrorTool: 'skopeo' })))
  const out = join(dir, 'out')
  await execa('tar', ['xzf', file, '-C', out])
  const check = await execa('sha256sum', ['-c', '--strict', 'SHA256SUMS'], { cwd: out })
  const checked = check.stdout.split('\n')
  t.equal(checked.length, 9, 'every member but SHA256SUMS')
  t.ok(checked.every((line) => line.endsWith(': OK')), check.stdout)
  t.match(check.stdout, /^manifests\/\.kubectl-pharos-net: OK$/m)
  await writeFile(join(out, 'images.txt'), 'busybox:1.37\n')
  const tampered = await execa('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out, reject: false })
  t.equal(tampered.exitCode, 1, 'and sha256sum sees a change')
  t.match(tampered.stdout, /^images\.txt: FAILED$/m)
})

/** The members of a good bundle, for tests to alter. */
const goodMembers = () => bundleMembers(smallBundleInput())

/** `members` with SHA256SUMS made again to match them. */
const resummed = (members: ArchiveMember[]): ArchiveMember[] => {
  const others = members.filter((m) => m.path !== 'SHA256SUMS')
  return [...others, { path: 'SHA256SUMS', data: Buffer.from(checksumsText(others)) }]
}

const replaced = (members: ArchiveMember[], path: string, data: string | Buffer): ArchiveMember[] =>
  members.map((m) => (m.path === path ? { ...m, data: Buffer.from(data) } : m))

async function bundleFile(t: Test, members: ArchiveMember[] | Buffer, name = 'b.tgz'): Promise<string> {
  const file = join(t.testdir({}), name)
  await writeFile(file, Buffer.isBuffer(members) ? members : await packArchive(members))
  return file
}

async function expectAltered(t: Test, members: ArchiveMember[], message: string | RegExp): Promise<void> {
  const file = await bundleFile(t, members)
  const error = (await verifyBundle(file).catch((e: unknown) => e)) as BundleError
  t.type(error, BundleError)
  t.equal(error.exitCode, 2)
  t.equal(error.file, file)
  if (typeof message === 'string') t.equal(error.message, message)
  else t.match(error.message, message)
  t.match(error.hint, /altered or damaged: make it again with `kubectl pharos-net bundle`/)
}

t.test('verifyBundle: a good bundle passes, with its members and metadata', async (t) => {
  const file = await bundleFile(t, await createBundle(smallBundleInput({ mirrorTool: 'docker' })))
  const verified = await verifyBundle(file)
  t.equal(verified.file, file)
  t.same(verified.members.map((m) => m.path).sort(), bundleMembers(smallBundleInput({ mirrorTool: 'docker' })).map((m) => m.path).sort())
  t.ok(verified.members.find((m) => m.path === 'mirror-images.sh')?.executable, 'the script stays executable')
  t.equal(verified.metadata.kubernetesVersion, '1.32.13')
  t.same(verified.metadata.counts, { objects: 2, images: 2, schemas: 2 })
})

t.test('verifyBundle: a member that does not match SHA256SUMS is refused, by name', async (t) => {
  const members = goodMembers()
  const original = text(members, 'manifests/02-ds.yml')!
  // One byte changed: an image pulled from elsewhere.
  await expectAltered(t, replaced(members, 'manifests/02-ds.yml', original.replace('quay.io', 'quay.in')), 'member manifests/02-ds.yml does not match its checksum in SHA256SUMS')
  const schema = Buffer.from(text(members, SCHEMAS[0]!)!)
  schema[schema.length - 2] = 0x20
  await expectAltered(t, replaced(members, SCHEMAS[0]!, schema), `member ${SCHEMAS[0]} does not match its checksum in SHA256SUMS`)
})

t.test('verifyBundle: SHA256SUMS must list exactly the members', async (t) => {
  const members = goodMembers()
  await expectAltered(t, [...members, { path: 'manifests/03-extra.yml', data: Buffer.from('kind: Secret\n') }], 'member manifests/03-extra.yml has no line in SHA256SUMS')
  await expectAltered(t, members.filter((m) => m.path !== 'images.txt'), 'member images.txt, listed in SHA256SUMS, is missing')
  await expectAltered(t, members.filter((m) => m.path !== 'SHA256SUMS'), 'the bundle has no SHA256SUMS')
  const sums = text(members, 'SHA256SUMS')!
  await expectAltered(t, replaced(members, 'SHA256SUMS', `${sums}not a checksum line\n`), 'SHA256SUMS line 9 is not "<sha256>  <member>"')
  await expectAltered(t, replaced(members, 'SHA256SUMS', sums.replace(/^[0-9a-f]{64}/, (h) => h.toUpperCase())), 'SHA256SUMS line 1 is not "<sha256>  <member>"')
  await expectAltered(t, replaced(members, 'SHA256SUMS', sums.replace(/^([0-9a-f]{64}) {2}/, '$1 ')), 'SHA256SUMS line 1 is not "<sha256>  <member>"')
  const binary = sums.replace(/ {2}/g, ' *')
  await t.resolves(verifyBundle(await bundleFile(t, replaced(members, 'SHA256SUMS', binary))), 'the binary marker of sha256sum -b is read too')
})

t.test('verifyBundle: metadata.json must be this format, with a Kubernetes version', async (t) => {
  const members = goodMembers()
  const metadata = JSON.parse(text(members, 'metadata.json')!)
  const withMetadata = (data: string) => resummed(replaced(members, 'metadata.json', data))
  await expectAltered(t, withMetadata('{"bundleFormat": 1,'), 'metadata.json is not JSON')
  await expectAltered(t, withMetadata(JSON.stringify({ ...metadata, bundleFormat: 2 })), 'metadata.json says bundle format 2; this version reads format 1')
  await expectAltered(t, withMetadata(JSON.stringify({ ...metadata, bundleFormat: '1' })), /says bundle format 1; this version reads format 1/)
  await expectAltered(t, withMetadata(JSON.stringify({ ...metadata, bundleFormat: undefined })), /says bundle format undefined/)
  for (const version of ['latest', 'v1.32.13', '1.32', '1.32.13; rm -rf /', 42, null]) {
    await expectAltered(t, withMetadata(JSON.stringify({ ...metadata, kubernetesVersion: version })), 'metadata.json has no valid kubernetesVersion')
  }
  await expectAltered(t, withMetadata('null'), 'metadata.json is not a JSON object')
  for (const notAnObject of ['[]', '"text"', '1']) {
    await expectAltered(t, withMetadata(notAnObject), /^metadata\.json (is not a JSON object|says bundle format undefined)/)
  }
  await expectAltered(t, resummed(members.filter((m) => m.path !== 'metadata.json')), 'the bundle has no metadata.json')
  await t.resolves(verifyBundle(await bundleFile(t, withMetadata(JSON.stringify({ ...metadata, kubernetesVersion: 'master' })))), 'master')
})

t.test('verifyBundle: a hostile archive is refused before its checksums are read', async (t) => {
  const file = await bundleFile(t, await rawTarGz([{ header: { name: '../SHA256SUMS', type: 'file' }, data: '' }]))
  await t.rejects(verifyBundle(file), { constructor: BundleError, message: /"\.\.\/SHA256SUMS" leads out of the bundle/ })
  const big = await bundleFile(t, await createBundle(smallBundleInput()), 'big.tgz')
  await t.rejects(verifyBundle(big, resolveLimits(['file-size=100'])), { constructor: LimitError, message: /\(limit file-size: 100\)$/ }, 'the limits are passed on')
})

/** A test folder with tmp/ (the extraction's parent), outside/ (a canary) and the bundle beside them. */
async function openingSandbox(t: Test, bundle: Buffer) {
  const dir = t.testdir({ tmp: {}, outside: { 'canary.txt': 'canary\n' } })
  const file = join(dir, 'b.tgz')
  await writeFile(file, bundle)
  return { dir, file, tmp: join(dir, 'tmp'), outside: join(dir, 'outside') }
}

t.test('withOpenedBundle: extracts into a fresh folder under tmpDir, and removes it afterwards', async (t) => {
  const base = smallBundleInput()
  const images = imageRewrites(findContainerImages(base.documents), 'registry.local:5000')
  const box = await openingSandbox(t, await createBundle({ ...base, images, imageRegistry: 'registry.local:5000', mirrorTool: 'crane' }))
  const before = await snapshotTree(box.dir)
  let seen: OpenedBundle | undefined
  const result = await withOpenedBundle(box.file, { tmpDir: box.tmp }, async (bundle) => {
    seen = bundle
    const [folder] = await readdir(box.tmp)
    t.match(folder, /^pharos-net-bundle-/)
    t.equal(bundle.manifestsDir, join(box.tmp, folder!, 'manifests'))
    t.equal(bundle.schemasDir, join(box.tmp, folder!, 'schemas'))
    t.same((await readdir(bundle.manifestsDir)).sort(), ['.kubectl-pharos-net', '01-config.yml', '02-ds.yml', 'kustomization.yaml'])
    t.equal(await readFile(join(bundle.manifestsDir, '01-config.yml'), 'utf8'), outputFiles(base.documents)[0]?.text)
    t.same(await readdir(join(bundle.schemasDir, 'v1.32.13-standalone-strict')), ['configmap-v1.json'])
    t.equal((await stat(join(box.tmp, folder!, 'mirror-images.sh'))).mode & 0o777, 0o755)
    t.equal((await stat(join(box.tmp, folder!, 'images.txt'))).mode & 0o777, 0o644)
    t.same(bundle.images, images, "the kustomization's images:")
    t.equal(bundle.metadata.imageRegistry, 'registry.local:5000')
    return 'result'
  })
  t.equal(result, 'result', "work's result")
  t.ok(seen)
  t.same(await readdir(box.tmp), [], 'the extraction folder is removed')
  t.same(await snapshotTree(box.dir), before, 'nothing else under the test folder changed')
})

t.test('withOpenedBundle: the folder is removed when work throws, and the error passes through', async (t) => {
  const box = await openingSandbox(t, await createBundle(smallBundleInput()))
  const before = await snapshotTree(box.dir)
  const failure = new Error('work failed')
  await t.rejects(
    withOpenedBundle(box.file, { tmpDir: box.tmp }, async (bundle) => {
      await writeFile(join(bundle.manifestsDir, 'left-behind.yml'), 'x\n')
      await mkdir(join(bundle.manifestsDir, 'sub'))
      throw failure
    }),
    failure,
  )
  t.same(await readdir(box.tmp), [])
  t.same(await snapshotTree(box.dir), before)
  t.same((await withOpenedBundle(box.file, { tmpDir: box.tmp }, async (bundle) => bundle.images)), [], 'no images: none')
})

t.test('withOpenedBundle: a bundle that fails verification creates no folder at all', async (t) => {
  const members = goodMembers()
  const box = await openingSandbox(t, await packArchive(replaced(members, 'images.txt', 'evil:latest\n')))
  const before = await snapshotTree(box.dir)
  let ran = false
  await t.rejects(withOpenedBundle(box.file, { tmpDir: box.tmp }, async () => (ran = true)), { constructor: BundleError, message: /images\.txt does not match/ })
  t.notOk(ran, 'work never runs')
  t.same(await snapshotTree(box.dir), before)
})

t.test('withOpenedBundle: members that clash when extracted are refused, and the folder removed', async (t) => {
  // Both names pass the reader's checks and SHA256SUMS; only one can exist on disk.
  const members = resummed([...goodMembers(), { path: 'images.txt/x', data: Buffer.from('x\n') }])
  const box = await openingSandbox(t, await packArchive(members))
  const before = await snapshotTree(box.dir)
  await t.rejects(withOpenedBundle(box.file, { tmpDir: box.tmp }, async () => 'ran'), {
    constructor: BundleError,
    message: /^bundle member images\.txt\/x cannot be extracted \(EEXIST\): it clashes with another member$/,
  }, 'the file first: its name is taken for the folder')
  t.same(await snapshotTree(box.dir), before)
  // Another tar tool may write them in any order.
  const folderFirst = [...members].sort((a, b) => (a.path === 'images.txt/x' ? -1 : b.path === 'images.txt/x' ? 1 : 0))
  await writeFile(box.file, await rawTarGz(folderFirst.map((m) => ({ header: { name: m.path, type: 'file' }, data: m.data }))))
  await t.rejects(withOpenedBundle(box.file, { tmpDir: box.tmp }, async () => 'ran'), {
    constructor: BundleError,
    message: /^bundle member images\.txt cannot be extracted \(EEXIST\): it clashes with another member$/,
  }, 'the folder first: the file cannot take its name')
  t.same(await readdir(box.tmp), [])
})

t.test("withOpenedBundle: the kustomization's images: must be name/newName pairs", async (t) => {
  const members = goodMembers()
  const kustomization = text(members, 'manifests/kustomization.yaml')!
  const opened = async (data: string | undefined) => {
    const altered = data === undefined ? members.filter((m) => m.path !== 'manifests/kustomization.yaml') : replaced(members, 'manifests/kustomization.yaml', data)
    const box = await openingSandbox(t, await packArchive(resummed(altered)))
    const result = await withOpenedBundle(box.file, { tmpDir: box.tmp }, async (bundle) => bundle.images).catch((e: unknown) => e)
    t.same(await readdir(box.tmp), [], 'removed')
    return result
  }
  t.same(await opened(`${kustomization}images:\n  - name: busybox\n    newName: r.local/busybox\n    newTag: x\n`), [{ name: 'busybox', newName: 'r.local/busybox' }])
  t.match(await opened(undefined), { constructor: BundleError, message: 'the bundle has no manifests/kustomization.yaml' })
  t.match(await opened(`${kustomization}images:\n  - name: busybox\n`), { constructor: BundleError, message: /images: that are not name\/newName pairs/ })
  t.match(await opened(`${kustomization}images: busybox\n`), { constructor: BundleError, message: /images: that are not name\/newName pairs/ })
  t.match(await opened(`${kustomization}images:\n  - null\n`), { constructor: BundleError, message: /images: that are not name\/newName pairs/ })
  t.match(await opened(`a: &a [x]\nb: *a\n`), { constructor: BundleError, message: /kustomization\.yaml does not parse/ }, 'no aliases')
  t.match(await opened(`a: [\n`), { constructor: BundleError, message: /kustomization\.yaml does not parse/ })
})
