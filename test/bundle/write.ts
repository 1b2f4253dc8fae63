import t, { type Test } from 'tap'
import { open, readdir, readFile, stat, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { writeBundleFile, type WriteBundleOptions } from '../../src/bundle/write.js'
import { UsageError } from '../../src/errors.js'
import { snapshotTree } from '../helpers/hostile.js'

const bundleBytes = (text: string) => gzipSync(Buffer.from(text))
const none: WriteBundleOptions = { protect: [] }

t.test('writes a new bundle, readable by everyone, and nothing else', async (t) => {
  const dir = t.testdir({})
  const file = join(dir, 'network.tgz')
  await writeBundleFile(file, bundleBytes('one'), none)
  t.ok((await readFile(file)).equals(bundleBytes('one')))
  t.equal((await stat(file)).mode & 0o777, 0o644)
  t.same(await readdir(dir), ['network.tgz'], 'no staging file left')
})

t.test('replaces an earlier bundle by a rename: a reader of the old one still reads it whole', async (t) => {
  const dir = t.testdir({})
  const file = join(dir, 'network.tgz')
  await writeBundleFile(file, bundleBytes('old'), none)
  const before = await stat(file)
  const reader = await open(file, 'r')
  try {
    await writeBundleFile(file, bundleBytes('new'), none)
    t.ok((await readFile(file)).equals(bundleBytes('new')), 'the new bundle, without --force')
    t.not((await stat(file)).ino, before.ino, 'a new file took the name')
    t.ok((await reader.readFile()).equals(bundleBytes('old')), 'the old file was not written into')
  } finally {
    await reader.close()
  }
  t.same(await readdir(dir), ['network.tgz'])
})

async function expectUsage(t: Test, promise: Promise<unknown>, message: string | RegExp, hint: RegExp): Promise<void> {
  const error = (await promise.then(() => undefined, (e: unknown) => e)) as UsageError | undefined
  t.type(error, UsageError)
  t.equal(error?.exitCode, 2)
  if (typeof message === 'string') t.equal(error?.message, message)
  else t.match(error?.message, message)
  t.match(error?.hint, hint)
}

t.test('a file that is not a gzip archive is replaced only with force', async (t) => {
  const dir = t.testdir({ 'notes.txt': 'my notes\n', 'empty': '', 'one-byte': '\x1f' })
  const before = await snapshotTree(dir)
  for (const name of ['notes.txt', 'empty', 'one-byte']) {
    await expectUsage(t, writeBundleFile(join(dir, name), bundleBytes('b'), none), `refusing to replace ${join(dir, name)}: it is not a bundle (not a gzip archive)`, /pass --force/)
  }
  t.same(await snapshotTree(dir), before, 'every file unchanged, no staging file')
  await writeBundleFile(join(dir, 'notes.txt'), bundleBytes('b'), { ...none, force: true })
  t.ok((await readFile(join(dir, 'notes.txt'))).equals(bundleBytes('b')), 'replaced with force')
})

t.test('a folder is refused, even with force', async (t) => {
  const dir = t.testdir({ 'out.tgz': { 'keep.txt': 'x' } })
  const before = await snapshotTree(dir)
  await expectUsage(t, writeBundleFile(join(dir, 'out.tgz'), bundleBytes('b'), { ...none, force: true }), `${join(dir, 'out.tgz')} is a folder`, /give -o a file name/)
  await symlink('out.tgz', join(dir, 'link.tgz'))
  await expectUsage(t, writeBundleFile(join(dir, 'link.tgz'), bundleBytes('b'), none), `${join(dir, 'link.tgz')} is a folder`, /give -o a file name/)
  t.same(await snapshotTree(dir), { ...before, 'link.tgz': 'link:out.tgz' })
})

t.test('the inputs are never written, even with force, whatever the spelling of the path', async (t) => {
  const dir = t.testdir({ 'cluster.yml': 'network: {}\n', net: { '01.yml': 'kind: ConfigMap\n' } })
  const protect = [
    { role: 'the config file', path: join(dir, 'cluster.yml') },
    { role: 'the manifest path', path: join(dir, 'net') },
  ]
  await symlink('cluster.yml', join(dir, 'config-link.yml'))
  const before = await snapshotTree(dir)
  const options = { protect, force: true }
  const config = `it is the config file ${join(dir, 'cluster.yml')}`
  await expectUsage(t, writeBundleFile(join(dir, 'cluster.yml'), bundleBytes('b'), options), `refusing to write the bundle to ${join(dir, 'cluster.yml')}: ${config}`, /write the bundle elsewhere/)
  await expectUsage(t, writeBundleFile(`${dir}/net/../cluster.yml`, bundleBytes('b'), options), new RegExp(`: ${config.replace(/[./]/g, '\\$&')}$`), /elsewhere/)
  await expectUsage(t, writeBundleFile(join(dir, 'config-link.yml'), bundleBytes('b'), options), new RegExp(`: ${config.replace(/[./]/g, '\\$&')}$`), /elsewhere/)
  await expectUsage(t, writeBundleFile(join(dir, 'net'), bundleBytes('b'), options), `refusing to write the bundle to ${join(dir, 'net')}: it is the manifest path ${join(dir, 'net')}`, /elsewhere/)
  await expectUsage(t, writeBundleFile(join(dir, 'net', 'bundle.tgz'), bundleBytes('b'), options), `refusing to write the bundle to ${join(dir, 'net', 'bundle.tgz')}: it is inside the manifest path ${join(dir, 'net')}`, /elsewhere/)
  await expectUsage(t, writeBundleFile(join(dir, 'net', 'new', 'b.tgz'), bundleBytes('b'), options), /: it is inside the manifest path /, /elsewhere/)
  t.same(await snapshotTree(dir), before, 'nothing written')
  await writeBundleFile(join(dir, 'net.tgz'), bundleBytes('b'), options)
  t.ok((await readFile(join(dir, 'net.tgz'))).equals(bundleBytes('b')), 'a name that only starts like an input is fine')
})

t.test('a target whose folder is a file fails before anything is written', async (t) => {
  const dir = t.testdir({ 'a-file': 'x\n' })
  const before = await snapshotTree(dir)
  await t.rejects(writeBundleFile(join(dir, 'a-file', 'b.tgz'), bundleBytes('b'), none), { code: 'ENOTDIR' })
  t.same(await snapshotTree(dir), before)
})

t.test('a failed write or rename leaves the earlier bundle as it was, and no staging file', async (t) => {
  const fs = await import('node:fs/promises')
  const dir = t.testdir({})
  const file = join(dir, 'network.tgz')
  await writeBundleFile(file, bundleBytes('old'), none)
  const before = await snapshotTree(dir)
  const failing = (name: 'rename' | 'writeFile') =>
    t.mockImport<typeof import('../../src/bundle/write.js')>('../../src/bundle/write.js', {
      'node:fs/promises': {
        ...fs,
        [name]: async (...args: unknown[]) => {
          // A partly written staging file, as a full disk leaves it.
          if (name === 'writeFile') await fs.writeFile(args[0] as string, 'part')
          throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })
        },
      },
    })
  for (const name of ['writeFile', 'rename'] as const) {
    const { writeBundleFile: write } = await failing(name)
    await t.rejects(write(file, bundleBytes('new'), none), { code: 'ENOSPC' }, name)
    t.same(await snapshotTree(dir), before, `${name} failed: the old bundle, nothing beside it`)
  }
})
