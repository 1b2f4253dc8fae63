/**
 * Air-gapped bundles end to end: the built tool through kubectl, the real kubeconform, the network made
 * unreachable (proxies pointed at a closed port) and every temporary folder kept in the test's own TMPDIR,
 * so that "nothing written outside the target" is seen, not assumed.
 */
import t, { type Test } from 'tap'
import { execa } from 'execa'
import { cp, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createGunzip } from 'node:zlib'
import { Readable } from 'node:stream'
import tar from 'tar-stream'
import { packArchive, type ArchiveMember } from '../../src/bundle/archive.js'
import { corpusCluster, corpusMissing } from '../helpers/corpus.js'
import { snapshotTree } from '../helpers/hostile.js'
import { repoRoot } from '../helpers/paths.js'
import { testSchemaDir, TEST_KUBERNETES_VERSION } from '../helpers/schemas.js'
import { pharosNet } from '../helpers/tool.js'

/** A closed port on loopback: any attempt to reach the network through a proxy fails at once. */
const OFFLINE = { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9', http_proxy: 'http://127.0.0.1:9' }

/**
 * The spec's flannel example in the test's own folder (t.testdir is one folder a test, laid anew on each
 * call: call it once), beside `tmp/` for TMPDIR and `extracted/`.
 */
async function example(t: Test, extra: Record<string, string> = {}): Promise<string> {
  const dir = t.testdir({ tmp: {}, extracted: {}, ...extra })
  await cp(join(repoRoot, 'examples', 'flannel'), join(dir, 'example'), { recursive: true })
  return join(dir, 'example')
}

async function makeBundle(t: Test, cwd: string, extra: string[] = []): Promise<string> {
  const file = join(cwd, '..', `net-${extra.length}.tgz`)
  const run = await pharosNet(['bundle', '-q', '--upgrade-apis', '--schema-location', await testSchemaDir(), '-o', file, ...extra], { cwd })
  t.equal(run.exitCode, 0, run.stderr)
  return file
}

/** The members of a .tgz as they are, read with tar-stream rather than the code under test. */
async function membersOf(file: string): Promise<ArchiveMember[]> {
  const extract = tar.extract()
  const members: ArchiveMember[] = []
  const reading = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = []
      for await (const chunk of entry) chunks.push(chunk as Buffer)
      members.push({ path: entry.header.name, data: Buffer.concat(chunks), executable: ((entry.header.mode ?? 0) & 0o111) !== 0 })
    }
  })()
  Readable.from(await readFile(file)).pipe(createGunzip()).pipe(extract)
  await reading
  return members
}

t.test('a bundle of the spec example: the same bytes twice, the members as documented', async (t) => {
  const cwd = await example(t)
  const first = await makeBundle(t, cwd)
  const again = join(cwd, '..', 'again.tgz')
  const run = await pharosNet(['bundle', '-q', '--upgrade-apis', '--schema-location', await testSchemaDir(), '-o', again], { cwd })
  t.equal(run.exitCode, 0, run.stderr)
  t.ok((await readFile(first)).equals(await readFile(again)), 'byte-identical')

  const members = await membersOf(first)
  const names = members.map((m) => m.path)
  const version = `v${TEST_KUBERNETES_VERSION}`
  t.same(names, [
    'SHA256SUMS',
    'images.txt',
    'manifests/.kubectl-pharos-net',
    'manifests/01-cluster-role.yml',
    'manifests/02-cluster-role-binding.yml',
    'manifests/03-daemon-set.yml',
    'manifests/03-service-account.yml',
    'manifests/04-config-map.yml',
    'manifests/kustomization.yaml',
    'metadata.json',
    ...['standalone-strict', 'standalone'].flatMap((flavour) =>
      ['clusterrole-rbac-v1', 'clusterrolebinding-rbac-v1', 'configmap-v1', 'daemonset-apps-v1', 'serviceaccount-v1']
        .map((kind) => `schemas/${version}-${flavour}/${kind}.json`)),
  ], 'sorted; exactly the schemas of the set\'s kinds')

  const rendered = join(cwd, '..', 'rendered')
  t.equal((await pharosNet(['render', '-q', '--upgrade-apis', '-o', rendered], { cwd })).exitCode, 0)
  for (const name of await readdir(rendered)) {
    t.equal(members.find((m) => m.path === `manifests/${name}`)?.data.toString(), await readFile(join(rendered, name), 'utf8'), `manifests/${name} as render -o writes it`)
  }
  t.equal(members.find((m) => m.path === 'images.txt')?.data.toString(), 'quay.io/coreos/flannel:v0.10.0-amd64\n')
  const metadata = JSON.parse(members.find((m) => m.path === 'metadata.json')?.data.toString() ?? '')
  t.match(metadata, {
    bundleFormat: 1,
    tool: { name: 'kubectl-pharos-net', version: JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')).version },
    kubernetesVersion: TEST_KUBERNETES_VERSION,
    network: { provider: 'custom', podNetworkCidr: '172.31.0.0/16', serviceCidr: '172.32.0.0/16' },
    imageRegistry: null,
    digests: { config: /^sha256:[0-9a-f]{64}$/, manifests: /^sha256:[0-9a-f]{64}$/ },
    counts: { objects: 5, images: 1, schemas: 10 },
  })

  // sha256sum itself checks the extracted members.
  const extracted = join(cwd, '..', 'extracted')
  await execa('tar', ['-xzf', first, '-C', extracted])
  const check = await execa('sha256sum', ['-c', 'SHA256SUMS'], { cwd: extracted, reject: false })
  t.equal(check.exitCode, 0, check.stderr)
  t.equal(check.stdout.split('\n').filter((l) => l.endsWith(': OK')).length, names.length - 1, 'every other member listed and OK')
})

t.test('validate FILE.tgz: offline, with the bundle\'s own schemas, members named as such', async (t) => {
  const cwd = await example(t)
  const file = await makeBundle(t, cwd)
  const elsewhere = join(cwd, '..')
  const env = { ...OFFLINE, TMPDIR: join(elsewhere, 'tmp') }
  const text = await pharosNet(['validate', file], { cwd: elsewhere, env })
  t.equal(text.exitCode, 0, text.stdout + text.stderr)
  t.match(text.stdout, new RegExp(`5 resources: 5 valid, 0 invalid, 0 errors, 0 skipped, 0 removed APIs \\(Kubernetes ${TEST_KUBERNETES_VERSION}\\)`))
  const json = JSON.parse((await pharosNet(['validate', file, '-o', 'json'], { cwd: elsewhere, env })).stdout)
  t.same(json.resources.map((r: { file: string }) => r.file.replace(/^.*\/(?=net-0\.tgz:)/, '')), [
    'net-0.tgz:manifests/01-cluster-role.yml',
    'net-0.tgz:manifests/02-cluster-role-binding.yml',
    'net-0.tgz:manifests/03-daemon-set.yml',
    'net-0.tgz:manifests/03-service-account.yml',
    'net-0.tgz:manifests/04-config-map.yml',
  ])
  t.same(await readdir(join(elsewhere, 'tmp')), [], 'the extracted bundle is gone')

  const verify = await pharosNet(['bundle', '--verify', file], { cwd: elsewhere, env })
  t.equal(verify.exitCode, 0, verify.stderr)
  t.match(verify.stderr, /20 members match SHA256SUMS; 5 objects, 10 schemas for Kubernetes/)
})

t.test('a bundle that cannot be validated offline is not made', async (t) => {
  const cwd = await example(t)
  const file = join(cwd, '..', 'never.tgz')
  const run = await pharosNet(['bundle', '--schema-location', await testSchemaDir(), '-o', file], { cwd })
  t.equal(run.exitCode, 2)
  t.match(run.stderr, /error: no schema for ClusterRole \(rbac\.authorization\.k8s\.io\/v1beta1\), ClusterRoleBinding \(rbac\.authorization\.k8s\.io\/v1beta1\), DaemonSet \(extensions\/v1beta1\)/)
  t.match(run.stderr, /hint: .*--upgrade-apis/)
  t.same(await readdir(join(cwd, '..')), ['example', 'extracted', 'tmp'], 'no file, not even a temporary one')
  const remote = await pharosNet(['bundle', '--upgrade-apis', '--schema-location', 'https://example.com/{{.ResourceKind}}.json', '-o', file], { cwd })
  t.equal(remote.exitCode, 2)
  t.match(remote.stderr, /is not a local folder: a bundle carries its schemas/)
})

/** Each way a bundle can be wrong, made from a good one: what to change, and what the error must say. */
const DAMAGED: Array<{ name: string; change: (members: ArchiveMember[]) => ArchiveMember[]; error: RegExp; limit?: string }> = [
  {
    name: 'a tampered member',
    change: (ms) => ms.map((m) => (m.path === 'manifests/04-config-map.yml' ? { ...m, data: Buffer.concat([m.data, Buffer.from('# x\n')]) } : m)),
    error: /member manifests\/04-config-map\.yml does not match its checksum in SHA256SUMS/,
  },
  {
    name: 'a missing checksum line',
    change: (ms) => ms.map((m) => (m.path === 'SHA256SUMS' ? { ...m, data: Buffer.from(m.data.toString().replace(/^.*images\.txt\n/m, '')) } : m)),
    error: /member images\.txt has no line in SHA256SUMS/,
  },
  { name: 'a .. member', change: (ms) => [...ms, { path: 'manifests/../../escaped.yml', data: Buffer.from('x') }], error: /"manifests\/\.\.\/\.\.\/escaped\.yml" leads out of the bundle/ },
  { name: 'an absolute member', change: (ms) => [...ms, { path: '/tmp/absolute.yml', data: Buffer.from('x') }], error: /"\/tmp\/absolute\.yml" has an absolute or non-portable path/ },
  {
    name: 'an oversized member',
    change: (ms) => [...ms, { path: 'big.txt', data: Buffer.alloc(2 * 1024 * 1024, 'a') }],
    error: /bundle member big\.txt is 2097152 bytes \(limit file-size: 1MiB\)/,
    limit: 'file-size=1MiB',
  },
]

t.test('damaged or unsafe bundles are refused with exit 2, and nothing is written', async (t) => {
  const good = await membersOf(await makeBundle(t, await example(t)))
  const cases = [
    ...DAMAGED.map((c) => ({ ...c, bytes: () => packArchive(c.change(good)) })),
    { name: 'a symlink member', bytes: () => linkBundle('symlink'), error: /"manifests\/link\.yml" is a symlink, not a plain file/, limit: undefined },
    { name: 'a hard link member', bytes: () => linkBundle('link'), error: /"manifests\/link\.yml" is a link, not a plain file/, limit: undefined },
  ]
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const dir = t.testdir({ tmp: {}, outside: { 'keep.txt': 'keep' } })
      const file = join(dir, 'bad.tgz')
      await writeFile(file, await c.bytes())
      const before = await snapshotTree(dir)
      const env = { ...OFFLINE, TMPDIR: join(dir, 'tmp') }
      const limits = c.limit ? ['--limit', c.limit] : []
      for (const args of [['validate', file], ['bundle', '--verify', file], ['diff', '--bundle', file, '--kubeconfig', join(dir, 'none')]]) {
        const run = await pharosNet([...args, ...limits], { cwd: dir, env })
        t.equal(run.exitCode, 2, `${args[0]}: ${run.stderr}`)
        t.match(run.stderr, c.error, args[0])
        t.equal(run.stdout, '', `${args[0]}: nothing on stdout`)
        t.notMatch(run.stderr, /\n\s+at /, 'no stack trace')
      }
      t.same(await snapshotTree(dir), before, 'nothing written, inside or outside')
    })
  }
})

/** A bundle whose member is a link (to /etc/passwd) beside a regular file, with checksums that match. */
async function linkBundle(type: 'symlink' | 'link'): Promise<Buffer> {
  const { gzipSync } = await import('node:zlib')
  const pack = tar.pack()
  const chunks: Buffer[] = []
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer)
  })()
  pack.entry({ name: 'SHA256SUMS', size: 0 }, Buffer.alloc(0))
  pack.entry({ name: 'manifests/link.yml', type, linkname: '/etc/passwd' })
  pack.finalize()
  await collected
  return gzipSync(Buffer.concat(chunks))
}

t.test('image rewrite in a bundle: images.txt side by side, the kustomization, and a mirror script', async (t) => {
  const cwd = await example(t, { crane: '#!/bin/sh\nprintf "%s|" "$@" >> "$CRANE_LOG"\necho >> "$CRANE_LOG"\n' })
  const file = await makeBundle(t, cwd, ['--image-registry', 'registry.local:5000', '--images-script', 'crane'])
  const members = await membersOf(file)
  t.equal(members.find((m) => m.path === 'images.txt')?.data.toString(),
    'quay.io/coreos/flannel:v0.10.0-amd64 registry.local:5000/coreos/flannel:v0.10.0-amd64\n')
  const script = members.find((m) => m.path === 'mirror-images.sh')
  t.ok(script?.executable, 'the script is executable')
  t.match(script?.data.toString(), /^crane copy 'quay\.io\/coreos\/flannel:v0\.10\.0-amd64' 'registry\.local:5000\/coreos\/flannel:v0\.10\.0-amd64'$/m)
  t.equal(JSON.parse(members.find((m) => m.path === 'metadata.json')?.data.toString() ?? '').imageRegistry, 'registry.local:5000')

  // The script runs the named tool with the images as plain arguments: a stand-in crane records them.
  const bin = join(cwd, '..')
  await execa('chmod', ['+x', join(bin, 'crane')])
  const extracted = join(cwd, '..', 'extracted')
  await execa('tar', ['-xzf', file, '-C', extracted])
  const log = join(extracted, 'crane.log')
  await execa(join(extracted, 'mirror-images.sh'), [], { env: { PATH: `${bin}:/usr/bin:/bin`, CRANE_LOG: log } })
  t.equal(await readFile(log, 'utf8'), 'copy|quay.io/coreos/flannel:v0.10.0-amd64|registry.local:5000/coreos/flannel:v0.10.0-amd64|\n')

  const noRegistry = await pharosNet(['bundle', '--upgrade-apis', '--schema-location', await testSchemaDir(), '-o', join(cwd, '..', 'x.tgz'), '--images-script', 'skopeo'], { cwd })
  t.equal(noRegistry.exitCode, 2)
  t.match(noRegistry.stderr, /--images-script needs a registry/)
})

t.test('every corpus file bundles with its CRDs\' schemas and validates offline', { skip: corpusMissing() }, async (t) => {
  const LEGACY = new Set(['flannel-legacy', 'flannel-legacy-2019'])
  for (const folder of (await readdir(join(repoRoot, '..', 'shared', 'corpus'), { withFileTypes: true })).filter((d) => d.isDirectory())) {
    t.test(folder.name, async (t) => {
      const dir = t.testdir({})
      const { config } = await corpusCluster(dir, folder.name)
      const file = join(dir, 'net.tgz')
      const extra = LEGACY.has(folder.name) ? ['--upgrade-apis', '--drop-removed'] : []
      const run = await pharosNet(['bundle', '-q', '-c', config, '--schema-location', await testSchemaDir(), '-o', file, ...extra])
      t.equal(run.exitCode, 0, run.stderr)
      const validated = await pharosNet(['validate', file, '-o', 'json'], { env: OFFLINE })
      t.equal(validated.exitCode, 0, validated.stdout + validated.stderr)
      const report = JSON.parse(validated.stdout)
      t.equal(report.summary.valid, report.summary.resources, `${report.summary.resources} resources, all valid`)
    })
  }
})
