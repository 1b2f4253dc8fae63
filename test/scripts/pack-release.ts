/**
 * `npm run pack:release` in full (build included) in a copy of the checkout, twice: the build and the
 * archive are the same bytes each time, and the manifest names them. A copy, because the build replaces
 * dist/, which the tests running beside this one use.
 */
import t from 'tap'
import { execa } from 'execa'
import { createHash } from 'node:crypto'
import { cp, readFile, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'yaml'
import { repoRoot } from '../helpers/paths.js'

const SOURCES = ['src', 'bin', 'scripts', 'templates', 'krew', 'LICENSE', 'package.json', 'package-lock.json', 'tsconfig.json']

async function packInCopy(dir: string): Promise<{ archive: Buffer; sha256s: string[] }> {
  for (const name of SOURCES) await cp(join(repoRoot, name), join(dir, name), { recursive: true })
  await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'))
  const run = await execa('npm', ['run', 'pack:release'], { cwd: dir, env: { NODE_OPTIONS: '' }, reject: false })
  if (run.exitCode !== 0) throw new Error(`npm run pack:release failed: ${run.stderr}`)
  const { version } = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version: string }
  const manifest = parse(await readFile(join(dir, 'krew', 'pharos-net.yaml'), 'utf8')) as { spec: { platforms: Array<{ sha256: string }> } }
  return {
    archive: await readFile(join(dir, 'release', `kubectl-pharos_net-${version}.tar.gz`)),
    sha256s: manifest.spec.platforms.map((p) => p.sha256),
  }
}

t.test('npm run pack:release twice from the same sources: the same archive, named by the manifest', async (t) => {
  const dir = t.testdir({ first: {}, second: {} })
  const first = await packInCopy(join(dir, 'first'))
  const second = await packInCopy(join(dir, 'second'))
  t.ok(first.archive.equals(second.archive), 'byte for byte the same archive, built twice')
  const sha256 = createHash('sha256').update(first.archive).digest('hex')
  t.same(first.sha256s, [sha256, sha256, sha256, sha256], 'every platform names the archive')
})
