// Builds the CLI and packs the release archive that Krew installs, release/kubectl-pharos_net-<version>.tar.gz,
// then writes its version, address and sha256 into the Krew manifest (krew/pharos-net.yaml).
//
//   npm run pack:release [-- --base-url https://github.com/OWNER/kubectl-pharos-net/releases/download]
//
// The same sources give the same bytes: sorted entries, fixed mtime, owner and modes, gzip without a
// timestamp. The archive's address is <base-url>/v<version>/<archive>; without --base-url, the base of
// the address already in the manifest is kept. Tests pack the build the suite made (--skip-build: other
// tests run dist/ meanwhile) and write elsewhere (--out-dir, --manifest-out).
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import tar from 'tar-stream'
import { parseDocument } from 'yaml'

const MANIFEST = 'krew/pharos-net.yaml'
/** What the archive holds: the bundled CLI with its completion helper, the templates of `init`, the licence. */
const CONTENTS = ['bin', 'dist', 'templates', 'LICENSE', 'package.json']
/** Every entry's mtime (1 January 2000): a fixed time keeps the bytes the same from one build to the next. */
const MTIME = new Date(Date.UTC(2000, 0, 1))

const { values: options } = parseArgs({
  options: {
    'base-url': { type: 'string' },
    'skip-build': { type: 'boolean', default: false },
    'out-dir': { type: 'string', default: 'release' },
    'manifest-out': { type: 'string' },
  },
})

// Paths given on the command line are the caller's; the sources are the checkout's.
const invokedFrom = process.cwd()
const outDir = resolve(options['out-dir'])
const manifestOut = resolve(options['manifest-out'] ?? MANIFEST)
process.chdir(fileURLToPath(new URL('..', import.meta.url)))

const { version } = JSON.parse(await readFile('package.json', 'utf8'))
const archiveName = `kubectl-pharos_net-${version}.tar.gz`

if (!options['skip-build']) execFileSync('npm', ['run', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] })

const archive = gzipSync(await tarOf(await listEntries(CONTENTS)), { level: 9 })
const sha256 = createHash('sha256').update(archive).digest('hex')
const archivePath = join(outDir, archiveName)
await mkdir(outDir, { recursive: true })
await writeAtomically(archivePath, archive)

const manifest = parseDocument(await readFile(MANIFEST, 'utf8'))
const platforms = manifest.getIn(['spec', 'platforms'])
const baseUrl = (options['base-url'] ?? baseOf(platforms.items[0].get('uri'))).replace(/\/+$/, '')
manifest.setIn(['spec', 'version'], `v${version}`)
for (const platform of platforms.items) {
  platform.set('uri', `${baseUrl}/v${version}/${archiveName}`)
  platform.set('sha256', sha256)
}
await writeAtomically(manifestOut, manifest.toString())

process.stderr.write(`wrote ${relative(invokedFrom, archivePath)} (${archive.length} bytes, sha256 ${sha256}) and ${relative(invokedFrom, manifestOut)}\n`)

/** Files and folders under the given paths, folders first within their parent, in byte order. */
async function listEntries(paths) {
  const entries = []
  for (const path of paths) {
    const info = await stat(path)
    if (!info.isDirectory()) {
      entries.push({ name: path, type: 'file', executable: (info.mode & 0o111) !== 0 })
      continue
    }
    entries.push({ name: `${path}/`, type: 'directory' })
    const children = (await readdir(path)).map((child) => `${path}/${child}`)
    entries.push(...(await listEntries(children)))
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** An uncompressed tar of the entries: root-owned, mode 755 for folders and executables, 644 otherwise. */
async function tarOf(entries) {
  const pack = tar.pack()
  const chunks = []
  pack.on('data', (chunk) => chunks.push(chunk))
  const ended = new Promise((resolve, reject) => {
    pack.on('end', resolve)
    pack.on('error', reject)
  })
  for (const entry of entries) {
    const header = { name: entry.name, type: entry.type, mtime: MTIME, uid: 0, gid: 0, uname: '', gname: '' }
    if (entry.type === 'directory') {
      await new Promise((resolve, reject) => pack.entry({ ...header, mode: 0o755 }, (error) => (error ? reject(error) : resolve())))
    } else {
      const content = await readFile(entry.name)
      const mode = entry.executable ? 0o755 : 0o644
      await new Promise((resolve, reject) => pack.entry({ ...header, mode }, content, (error) => (error ? reject(error) : resolve())))
    }
  }
  pack.finalize()
  await ended
  return Buffer.concat(chunks)
}

/** `https://host/path/v0.1.0/kubectl-pharos_net-0.1.0.tar.gz` → `https://host/path`. */
function baseOf(uri) {
  const base = /^(.*)\/v[^/]+\/[^/]+$/.exec(uri)?.[1]
  if (!base) throw new Error(`${MANIFEST}: cannot tell the release base from uri ${uri}; give --base-url`)
  return base
}

async function writeAtomically(path, content) {
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, content)
  await rename(temporary, path)
}
