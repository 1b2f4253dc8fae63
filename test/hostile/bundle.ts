/**
 * Hostile bundles: `validate FILE.tgz` runs where a bundle arrives from elsewhere, so a gzip bomb, a
 * member-count bomb, a member past the size limit, a member that leads out of the folder or a link must each
 * end with exit 2 within seconds, under the heap and time caps of test/helpers/hostile.ts, naming the limit
 * or the member, with nothing written outside the sandbox and no extraction folder left in TMPDIR.
 */
import t, { type Test } from 'tap'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { createBundle } from '../../src/bundle/bundle.js'
import { rawTarGz, smallBundleInput, TAR_END, ustarHeader, writeTarGz } from '../helpers/bundle.js'
import { hostileSandbox, runHostile, snapshotTree, type HostileRun } from '../helpers/hostile.js'

const MiB = 1024 * 1024

interface Box {
  work: string
  outside: string
  home: string
  tmp: string
}

async function sandbox(t: Test): Promise<Box> {
  const root = t.testdir({})
  const box = { ...(await hostileSandbox(root)), tmp: join(root, 'tmp') }
  await mkdir(box.tmp)
  await writeFile(join(box.outside, 'canary.txt'), 'canary\n')
  return box
}

/** `validate FILE` under the caps: exit 2 with `at`, a hint, no stack trace, and nothing left anywhere. */
async function expectRefused(t: Test, box: Box, file: string, at: RegExp, hint: RegExp): Promise<HostileRun> {
  const before = { outside: await snapshotTree(box.outside), home: await snapshotTree(box.home) }
  const run = await runHostile(['validate', file], { cwd: box.work, env: { TMPDIR: box.tmp } })
  t.equal(run.exitCode, 2, `exit 2\n${run.stderr.slice(0, 2000)}`)
  t.notOk(run.timedOut, `within the time cap (${run.ms} ms)`)
  t.match(run.stderr, at)
  t.match(run.stderr, hint)
  t.notMatch(run.stderr, /this is a bug|\n\s+at .*:\d+:\d+\)/, 'not reported as a bug, no stack trace')
  t.ok(run.peakMiB < 450, `peak RSS ${run.peakMiB} MiB`)
  t.same({ outside: await snapshotTree(box.outside), home: await snapshotTree(box.home) }, before, 'nothing outside work/ changed')
  t.same(await readdir(box.tmp), [], 'no extraction folder left in TMPDIR')
  return run
}

const RAISE = (limit: string) => new RegExp(`hint: .*--limit ${limit}=.*PHAROS_NET_LIMITS=${limit}=`)

/** A member of `size` zero bytes, padded to whole blocks. */
function* zeroMember(name: string, size: number): Generator<Buffer> {
  yield ustarHeader(name, size)
  const block = Buffer.alloc(MiB)
  for (let left = Math.ceil(size / 512) * 512; left > 0; left -= block.length) yield left >= block.length ? block : block.subarray(0, left)
}

t.test('a gzip bomb: 320 MiB of zeros in 20 members under file-size, about 300 KiB packed, stops at input-size', async (t) => {
  const box = await sandbox(t)
  await writeTarGz(join(box.work, 'bomb.tgz'), (function* () {
    for (let i = 0; i < 20; i++) yield* zeroMember(`manifests/zeros-${i}.yml`, 16 * MiB - 1)
    yield TAR_END
  })())
  await expectRefused(t, box, 'bomb.tgz', /^bomb\.tgz: error: bundle .*bomb\.tgz unpacks to more than 268435456 bytes \(limit input-size: 256MiB\)/, RAISE('input-size'))
})

t.test('a member-count bomb: 600,000 empty members stop at input-size, their headers counted', async (t) => {
  const box = await sandbox(t)
  await writeTarGz(join(box.work, 'many.tgz'), (function* () {
    for (let i = 0; i < 600_000; i++) yield ustarHeader(`manifests/${i}.yml`, 0)
    yield TAR_END
  })())
  await expectRefused(t, box, 'many.tgz', /^many\.tgz: error: bundle .*many\.tgz unpacks to more than 268435456 bytes \(limit input-size: 256MiB\)/, RAISE('input-size'))
})

t.test('one member over file-size is refused by its header, before its data is unpacked', async (t) => {
  const box = await sandbox(t)
  await writeTarGz(join(box.work, 'big.tgz'), (function* () {
    yield* zeroMember('manifests/big.yml', 64 * MiB)
    yield TAR_END
  })())
  const run = await expectRefused(t, box, 'big.tgz', /^big\.tgz: error: bundle member manifests\/big\.yml is 67108864 bytes \(limit file-size: 16MiB\)/, RAISE('file-size'))
  t.ok(run.peakMiB < 200, `peak RSS ${run.peakMiB} MiB: the member was never held`)
  const lowered = await runHostile(['validate', 'big.tgz', '--limit', 'file-size=128MiB', '--limit', 'input-size=1MiB'], { cwd: box.work, env: { TMPDIR: box.tmp } })
  t.equal(lowered.exitCode, 2)
  t.match(lowered.stderr, /unpacks to more than 1048576 bytes \(limit input-size: 1MiB\)/, '--limit reaches the reader')
})

t.test('a member leading out of the folder, a link or a device: refused by name, nothing written', async (t) => {
  const box = await sandbox(t)
  const cases: Array<[string, Parameters<typeof rawTarGz>[0], RegExp]> = [
    ['dotdot.tgz', [{ header: { name: 'SHA256SUMS', type: 'file' }, data: '' }, { header: { name: '../outside/canary.txt', type: 'file' }, data: 'pwned\n' }], /bundle member "\.\.\/outside\/canary\.txt" leads out of the bundle/],
    // A non-ASCII name goes into a pax header, which keeps the leading slash (tar-stream's ustar prefix drops it).
    ['absolute.tgz', [{ header: { name: join(box.outside, 'canäry.txt'), type: 'file' }, data: 'pwned\n' }], /bundle member ".*\/outside\/canäry\.txt" has an absolute or non-portable path/],
    ['symlink.tgz', [{ header: { name: 'manifests', type: 'symlink', linkname: box.outside } }, { header: { name: 'manifests/canary.txt', type: 'file' }, data: 'pwned\n' }], /bundle member "manifests" is a symlink, not a plain file/],
    ['hardlink.tgz', [{ header: { name: 'x', type: 'link', linkname: join(box.outside, 'canary.txt') } }], /bundle member "x" is a link, not a plain file/],
    ['device.tgz', [{ header: { name: 'x', type: 'character-device', devmajor: 1, devminor: 3 } }], /bundle member "x" is a character-device/],
  ]
  for (const [name, entries, at] of cases) {
    await writeFile(join(box.work, name), await rawTarGz(entries))
    await expectRefused(t, box, name, new RegExp(`^${name.replace('.', '\\.')}: error: ${at.source}`), /hint: a bundle from `kubectl pharos-net bundle` holds only plain files/)
  }
})

t.test('a bundle changed after it was made is refused, naming the member', async (t) => {
  const box = await sandbox(t)
  const good = await createBundle(smallBundleInput())
  // Altered inside the tar: a change to the packed bytes would be caught by gzip's own CRC first.
  const tarBytes = gunzipSync(good)
  const at = tarBytes.indexOf('image: "quay.io/coreos')
  t.ok(at > 0)
  tarBytes.write('image: "quay.in', at)
  await writeFile(join(box.work, 'changed.tgz'), gzipSync(tarBytes))
  await expectRefused(t, box, 'changed.tgz', /^changed\.tgz: error: member manifests\/02-ds\.yml does not match its checksum in SHA256SUMS/, /hint: the bundle was altered or damaged/)
  await writeFile(join(box.work, 'cut.tgz'), good.subarray(0, good.length / 2))
  await expectRefused(t, box, 'cut.tgz', /^cut\.tgz: error: .*cut\.tgz is not a bundle: /, /hint: .*check that the file is complete/)
})

t.test('a member name with terminal escapes is printed escaped', async (t) => {
  const box = await sandbox(t)
  const evil = 'x\u001b]0;pwned\u0007\u001b[2J\u202e.yml'
  await writeFile(join(box.work, 'escapes.tgz'), await rawTarGz([{ header: { name: 'SHA256SUMS', type: 'file' }, data: '' }, { header: { name: evil, type: 'file' }, data: 'x\n' }]))
  const run = await expectRefused(t, box, 'escapes.tgz', /^escapes\.tgz: error: member x\\x1b\]0;pwned\\x07\\x1b\[2J\\u202e\.yml has no line in SHA256SUMS/, /hint: /)
  t.notMatch(run.stderr, /[\u001b\u0007\u202e]/, 'no raw control character reaches the terminal')
})
