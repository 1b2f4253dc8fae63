/**
 * The Krew release end to end: `scripts/pack-release.mjs` packs the build the suite made (rebuilding
 * dist/ here would pull it from under the tests running beside this one), and the real krew
 * (scripts/install-tools.sh) installs the archive with the manifest into a throwaway KREW_ROOT, from
 * where the real kubectl runs the plugin, with the checkout's bin/ nowhere on PATH.
 */
import t from 'tap'
import { execa } from 'execa'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, readFile, symlink, realpath } from 'node:fs/promises'
import { delimiter, dirname, join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import tar from 'tar-stream'
import { parse } from 'yaml'
import { binDir, repoRoot, toolsBinDir } from '../helpers/paths.js'

const { version } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
const archiveName = `kubectl-pharos_net-${version}.tar.gz`

interface KrewManifest {
  apiVersion: string
  kind: string
  metadata: { name: string }
  spec: {
    version: string
    caveats: string
    platforms: Array<{ selector: { matchLabels: { os: string; arch: string } }; uri: string; sha256: string; bin: string }>
  }
}

async function packRelease(dir: string, extra: string[] = []) {
  const run = await execa('node', [join(repoRoot, 'scripts', 'pack-release.mjs'), '--skip-build', '--out-dir', dir,
    '--manifest-out', join(dir, 'pharos-net.yaml'), ...extra], { env: { NODE_OPTIONS: '' }, reject: false })
  if (run.exitCode !== 0) throw new Error(`pack-release failed: ${run.stderr}`)
  return {
    archive: await readFile(join(dir, archiveName)),
    manifest: parse(await readFile(join(dir, 'pharos-net.yaml'), 'utf8')) as KrewManifest,
    path: join(dir, archiveName),
    manifestPath: join(dir, 'pharos-net.yaml'),
  }
}

interface TarEntry {
  name: string
  type: string
  mode: number
  mtime: number
  uid: number
  gid: number
}

async function entriesOf(archive: Buffer): Promise<TarEntry[]> {
  const extract = tar.extract()
  const entries: TarEntry[] = []
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      entries.push({ name: header.name, type: header.type ?? 'file', mode: header.mode ?? 0, mtime: header.mtime?.getTime() ?? 0, uid: header.uid ?? -1, gid: header.gid ?? -1 })
      stream.on('end', next)
      stream.resume()
    })
    extract.on('finish', resolve)
    extract.on('error', reject)
  })
  extract.end(gunzipSync(archive))
  await done
  return entries
}

t.test('two packs give the same bytes, which the manifest names by sha256', async (t) => {
  const dir = t.testdir({})
  const [first, second] = [await packRelease(join(dir, 'a')), await packRelease(join(dir, 'b'))]
  t.ok(first.archive.equals(second.archive), 'byte for byte the same archive')
  t.equal(first.archive[3]! & 0x08, 0, 'gzip header: no file name')
  t.equal(first.archive.readUInt32LE(4), 0, 'gzip header: no timestamp')

  const sha256 = createHash('sha256').update(first.archive).digest('hex')
  const { apiVersion, kind, metadata, spec } = first.manifest
  t.same([apiVersion, kind, metadata.name, spec.version], ['krew.googlecontainertools.github.com/v1alpha2', 'Plugin', 'pharos-net', `v${version}`])
  t.same(spec.platforms.map((p) => `${p.selector.matchLabels.os}/${p.selector.matchLabels.arch}`).sort(),
    ['darwin/amd64', 'darwin/arm64', 'linux/amd64', 'linux/arm64'])
  for (const platform of spec.platforms) {
    t.equal(platform.sha256, sha256, 'the archive\'s sha256')
    t.match(platform.uri, new RegExp(`/v${version.replace(/\./g, '\\.')}/${archiveName.replace(/\./g, '\\.')}$`))
    t.equal(platform.bin, 'bin/kubectl-pharos_net')
  }
  t.match(spec.caveats, /Node\.js >= 20\.19/)
})

t.test('the archive holds the whole build, sorted, root-owned, with fixed times and modes', async (t) => {
  const { archive } = await packRelease(t.testdir({}))
  const entries = await entriesOf(archive)
  const names = entries.map((e) => e.name)
  t.same(names, [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), 'sorted')
  // dist/ has code-split chunks with hashed names: every one must travel.
  const dist = (await readdir(join(repoRoot, 'dist'))).sort()
  t.same(names.filter((n) => n.startsWith('dist/') && n !== 'dist/'), dist.map((f) => `dist/${f}`), 'every file of dist/')
  for (const name of ['LICENSE', 'package.json', 'bin/kubectl-pharos_net', 'bin/kubectl_complete-pharos_net', 'templates/']) {
    t.ok(names.includes(name), name)
  }
  t.ok(names.some((n) => n.startsWith('templates/flannel/')), 'the template sets')
  t.same(new Set(entries.map((e) => `${e.uid}:${e.gid}:${e.mtime}`)), new Set([`0:0:${Date.UTC(2000, 0, 1)}`]))
  for (const entry of entries) {
    const executable = entry.type === 'directory' || entry.name.startsWith('bin/')
    t.equal(entry.mode, executable ? 0o755 : 0o644, `${entry.name} mode`)
  }
  t.match(await readFile(join(repoRoot, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004/)
})

t.test('pack-release --base-url sets where the archive will be downloaded from', async (t) => {
  const { manifest } = await packRelease(t.testdir({}), ['--base-url', 'https://downloads.example/pharos/'])
  t.same(new Set(manifest.spec.platforms.map((p) => p.uri)), new Set([`https://downloads.example/pharos/v${version}/${archiveName}`]))
})

t.test('krew installs the archive; kubectl pharos-net runs from KREW_ROOT/bin', async (t) => {
  const krew = join(toolsBinDir, 'kubectl-krew')
  if (!existsSync(krew)) throw new Error(`${krew} is missing: run scripts/install-tools.sh (npm test does)`)
  const release = await packRelease(t.testdir({ krew: {}, work: {} }))
  const krewRoot = join(t.testdirName, 'krew')
  // The checkout's bin/ must not answer in place of the installed plugin.
  const path = [join(krewRoot, 'bin'), toolsBinDir, ...(process.env.PATH ?? '').split(delimiter).filter((p) => p !== binDir)].join(delimiter)
  const env = { KREW_ROOT: krewRoot, PATH: path, NODE_OPTIONS: '' }
  const kubectl = (args: string[]) =>
    execa('env', ['-u', 'NODE_OPTIONS', 'kubectl', ...args], { env, cwd: join(t.testdirName, 'work'), reject: false, stdin: 'ignore' })

  const install = await kubectl(['krew', 'install', `--manifest=${release.manifestPath}`, `--archive=${release.path}`])
  t.equal(install.exitCode, 0, install.stderr)
  t.match(install.stderr, /Installed plugin: pharos-net/)
  const installed = await realpath(join(krewRoot, 'bin', 'kubectl-pharos_net'))
  t.equal(installed, join(krewRoot, 'store', 'pharos-net', `v${version}`, 'bin', 'kubectl-pharos_net'))

  const versionRun = await kubectl(['pharos-net', '--version'])
  t.equal(versionRun.exitCode, 0, versionRun.stderr)
  t.equal(versionRun.stdout, version)

  // The templates and the command chunks came along: scaffold, then render what was scaffolded.
  const init = await kubectl(['pharos-net', 'init', '--provider', 'flannel', 'net'])
  t.equal(init.exitCode, 0, init.stderr)
  const render = await kubectl(['pharos-net', 'render', '-c', 'net/cluster.yml', '--stdout'])
  t.equal(render.exitCode, 0, render.stderr)
  t.match(render.stdout, /kind: DaemonSet/)

  // The caveat's step makes kubectl complete the plugin's arguments.
  await symlink(join(dirname(installed), 'kubectl_complete-pharos_net'), join(krewRoot, 'bin', 'kubectl_complete-pharos_net'))
  const completion = await kubectl(['__complete', 'pharos-net', 're'])
  t.match(completion.stdout, /^render\t/m)
  t.match(release.manifest.spec.caveats, /ln -s .*kubectl_complete-pharos_net/)
})
