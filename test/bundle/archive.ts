import t, { type Test } from 'tap'
import { execa } from 'execa'
import { mkdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createGzip, gunzipSync, gzipSync } from 'node:zlib'
import { pipeline } from 'node:stream/promises'
import { createWriteStream } from 'node:fs'
import { Readable } from 'node:stream'
import tar, { type Header } from 'tar-stream'
import { packArchive, readArchive, type ArchiveMember } from '../../src/bundle/archive.js'
import { BundleError } from '../../src/errors.js'
import { DEFAULT_LIMITS, LimitError, resolveLimits, type Limits } from '../../src/limits.js'
import { fileEntry, rawTar, rawTarGz, TAR_END, ustarHeader, writeTarGz, type RawEntry } from '../helpers/bundle.js'

const members: ArchiveMember[] = [
  { path: 'metadata.json', data: Buffer.from('{}\n') },
  { path: 'manifests/kustomization.yaml', data: Buffer.from('resources: []\n') },
  { path: 'mirror-images.sh', data: Buffer.from('#!/bin/sh\n'), executable: true },
  { path: 'images.txt', data: Buffer.from('busybox:1.36\n') },
  { path: 'manifests/01-a.yml', data: Buffer.from('a: b\n') },
]
const SORTED = ['images.txt', 'manifests/01-a.yml', 'manifests/kustomization.yaml', 'metadata.json', 'mirror-images.sh']

/** The headers of a tar, in order. */
async function headersOf(tarBytes: Buffer): Promise<Header[]> {
  const extract = tar.extract()
  const headers: Header[] = []
  const reading = (async () => {
    for await (const entry of extract) {
      headers.push(entry.header)
      entry.resume()
    }
  })()
  extract.end(tarBytes)
  await reading
  return headers
}

async function writeArchive(t: Test, bytes: Buffer, name = 'b.tgz'): Promise<string> {
  const file = join(t.testdir({}), name)
  await writeFile(file, bytes)
  return file
}

t.test('packArchive: the same members in any order give the same bytes', async (t) => {
  const first = await packArchive(members)
  t.ok(first.equals(await packArchive([...members].reverse())), 'reversed')
  t.ok(first.equals(await packArchive([members[2]!, members[0]!, members[4]!, members[1]!, members[3]!])), 'shuffled')
  t.ok(first.equals(await packArchive(members)), 'again')
  t.notOk(first.equals(await packArchive([...members.slice(1), { path: 'metadata.json', data: Buffer.from('{ }\n') }])), 'a changed member changes the bytes')
})

t.test('packArchive: sorted plain files with fixed metadata, gzip without a timestamp', async (t) => {
  const bytes = await packArchive(members)
  t.same([...bytes.subarray(0, 3)], [0x1f, 0x8b, 8], 'gzip, deflate')
  t.same([...bytes.subarray(4, 8)], [0, 0, 0, 0], 'gzip header mtime 0')
  t.equal(bytes[3]! & 0x08, 0, 'no file name in the gzip header')
  const headers = await headersOf(gunzipSync(bytes))
  t.same(headers.map((h) => h.name), SORTED, 'in byte order of the names')
  for (const h of headers) {
    t.equal(h.type, 'file', h.name)
    t.equal(h.mtime?.toISOString(), '2000-01-01T00:00:00.000Z', h.name)
    t.equal(h.uid, 0, h.name)
    t.equal(h.gid, 0, h.name)
    t.equal(h.uname, '', h.name)
    t.equal(h.gname, '', h.name)
    t.equal(h.mode, h.name === 'mirror-images.sh' ? 0o755 : 0o644, h.name)
  }
  t.same(
    await packArchive([{ path: 'b', data: Buffer.from('') }, { path: 'é', data: Buffer.from('') }, { path: '😀', data: Buffer.from('') }, { path: 'Z', data: Buffer.from('') }, { path: '\uff21', data: Buffer.from('') }]).then((b) => headersOf(gunzipSync(b))).then((hs) => hs.map((h) => h.name)),
    ['Z', 'b', 'é', '\uff21', '😀'],
    'by UTF-8 bytes, not UTF-16 units',
  )
})

t.test('packArchive: GNU tar lists and extracts what it wrote', async (t) => {
  const file = await writeArchive(t, await packArchive(members))
  const listed = await execa('tar', ['tzvf', file, '--numeric-owner'], { env: { TZ: 'UTC', LC_ALL: 'C' } })
  const lines = listed.stdout.split('\n')
  t.same(lines.map((l) => l.split(/\s+/).slice(-1)[0]), SORTED)
  t.match(lines[0], /^-rw-r--r-- 0\/0 +13 2000-01-01 00:00 images\.txt$/)
  t.match(lines[4], /^-rwxr-xr-x 0\/0 +10 2000-01-01 00:00 mirror-images\.sh$/)
  t.equal(listed.stderr, '', 'no warning')
  const out = join(file, '..', 'extracted')
  await mkdir(out)
  await execa('tar', ['xzf', file, '-C', out])
  const content = await execa('cat', [join(out, 'manifests/01-a.yml')])
  t.equal(content.stdout, 'a: b')
})

t.test('readArchive reads what packArchive wrote', async (t) => {
  const read = await readArchive(await writeArchive(t, await packArchive(members)))
  t.same(
    read.map((m) => [m.path, m.data.toString(), m.executable]),
    SORTED.map((path) => {
      const m = members.find((x) => x.path === path)!
      return [path, m.data.toString(), m.executable === true]
    }),
  )
})

t.test('readArchive takes directory entries and files from other tar tools', async (t) => {
  const file = await writeArchive(t, await rawTarGz([
    { header: { name: 'manifests/', type: 'directory', mode: 0o755 } },
    { header: { name: 'manifests/a.yml', type: 'file', mode: 0o600, uid: 1000, gid: 1000, uname: 'ann', gname: 'ann' }, data: 'a: b\n' },
    { header: { name: 'run.sh', type: 'file', mode: 0o700 }, data: '#!/bin/sh\n' },
  ]))
  const read = await readArchive(file)
  t.same(read.map((m) => [m.path, m.data.toString(), m.executable]), [['manifests/a.yml', 'a: b\n', false], ['run.sh', '#!/bin/sh\n', true]])
})

/** Refused with a BundleError, exit 2, naming the member and saying why. */
async function refused(t: Test, entries: RawEntry[], name: string, why: RegExp): Promise<void> {
  const file = await writeArchive(t, await rawTarGz(entries))
  const error = (await readArchive(file).then(
    () => undefined,
    (e: unknown) => e,
  )) as BundleError | undefined
  t.type(error, BundleError, name)
  t.equal(error?.exitCode, 2, name)
  t.equal(error?.file, file, name)
  t.ok(error?.message.startsWith(`bundle member ${JSON.stringify(name)} `), String(error?.message))
  t.match(error?.message, why, name)
  t.match(error?.hint, /not made by it, or was altered/)
}

t.test('readArchive refuses members that could land outside the folder or are not plain files', async (t) => {
  const ok = fileEntry('SHA256SUMS')
  await refused(t, [ok, fileEntry('../x')], '../x', /leads out of the bundle/)
  await refused(t, [ok, fileEntry('a/../../x')], 'a/../../x', /leads out of the bundle/)
  await refused(t, [ok, fileEntry('a/..')], 'a/..', /leads out of the bundle/)
  await refused(t, [ok, { header: { name: '../up', type: 'directory' } }], '../up', /leads out of the bundle/)
  await refused(t, [ok, fileEntry('/etc/passwd')], '/etc/passwd', /absolute or non-portable path/)
  await refused(t, [ok, fileEntry('/étc/passwd')], '/étc/passwd', /absolute or non-portable path/)
  await refused(t, [ok, fileEntry(`${'d/'.repeat(60)}../é`)], `${'d/'.repeat(60)}../é`, /leads out of the bundle/)
  await refused(t, [ok, fileEntry('C:/x')], 'C:/x', /absolute or non-portable path/)
  await refused(t, [ok, fileEntry('a\\..\\..\\x')], 'a\\..\\..\\x', /absolute or non-portable path/)
  await refused(t, [ok, fileEntry('a//b')], 'a//b', /empty or \. path segment/)
  await refused(t, [ok, fileEntry('./a')], './a', /empty or \. path segment/)
  await refused(t, [ok, fileEntry(`${'d/'.repeat(60)}../../${'x'.repeat(90)}`)], `${'d/'.repeat(60)}../../${'x'.repeat(90)}`, /leads out/)
  await refused(t, [ok, { header: { name: 'link', type: 'symlink', linkname: '/etc/passwd' } }], 'link', /is a symlink, not a plain file/)
  await refused(t, [ok, { header: { name: 'hard', type: 'link', linkname: 'SHA256SUMS' } }], 'hard', /is a link, not a plain file/)
  await refused(t, [ok, { header: { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 } }], 'null', /is a character-device, not a plain file/)
  await refused(t, [ok, { header: { name: 'disk', type: 'block-device', devmajor: 8, devminor: 0 } }], 'disk', /is a block-device/)
  await refused(t, [ok, { header: { name: 'pipe', type: 'fifo' } }], 'pipe', /is a fifo, not a plain file/)
  await refused(t, [ok, fileEntry('a.yml', 'one'), fileEntry('a.yml', 'two')], 'a.yml', /appears twice/)
  await refused(t, [ok, { header: { name: 'd/', type: 'directory' } }, { header: { name: 'd/', type: 'directory' } }], 'd/', /appears twice/)
})

t.test('names in pax headers are read whole: a leading slash or .. there is seen too', async (t) => {
  // tar-stream writes a non-ASCII name in a pax header; check that it did, so the cases above test pax.
  const tarBytes = await rawTar([fileEntry('/étc/passwd')])
  t.equal(tarBytes[156], 'x'.charCodeAt(0), 'a pax header first')
  t.match(tarBytes.subarray(512, 1024).toString(), /path=\/étc\/passwd\n/)
})

t.test('the hand-made ustar header of the bomb tests reads like any other', async (t) => {
  const dir = t.testdir({})
  const file = join(dir, 'hand.tgz')
  await writeTarGz(file, [ustarHeader('manifests/a.yml', 5), Buffer.concat([Buffer.from('a: b\n'), Buffer.alloc(507)]), TAR_END])
  const read = await readArchive(file)
  t.same(read.map((m) => [m.path, m.data.toString(), m.executable]), [['manifests/a.yml', 'a: b\n', false]])
  const listed = await execa('tar', ['tzvf', file, '--numeric-owner'], { env: { TZ: 'UTC', LC_ALL: 'C' } })
  t.match(listed.stdout, /^-rw-r--r-- 0\/0 +5 2000-01-01 00:00 manifests\/a\.yml$/)
})

t.test('a refused member is refused before the next one is read', async (t) => {
  // A link first, then a member far over the size limit: the link is what is reported.
  const file = await writeArchive(t, await rawTarGz([{ header: { name: 'l', type: 'symlink', linkname: 'x' } }, fileEntry('big', Buffer.alloc(2048))]))
  await t.rejects(readArchive(file, resolveLimits(['file-size=1KiB'])), { constructor: BundleError, message: /"l" is a symlink/ })
})

t.test('readArchive refuses a member over file-size, naming it and the limit', async (t) => {
  const limits = resolveLimits(['file-size=1KiB'])
  const file = await writeArchive(t, await rawTarGz([fileEntry('small', 'x'.repeat(1024)), fileEntry('manifests/big.yml', Buffer.alloc(1025))]))
  const error = (await readArchive(file, limits).catch((e: unknown) => e)) as LimitError
  t.type(error, LimitError)
  t.equal(error.exitCode, 2)
  t.equal(error.limit, 'file-size')
  t.equal(error.file, file)
  t.equal(error.message, 'bundle member manifests/big.yml is 1025 bytes (limit file-size: 1KiB)')
  t.match(error.hint, /--limit file-size=4KiB/)
  await t.resolves(readArchive(file, resolveLimits(['file-size=2KiB'])), 'within a higher limit')
})

t.test('readArchive refuses an archive over input-size: as a file, and unpacked', async (t) => {
  const limits: Limits = { ...DEFAULT_LIMITS, 'input-size': 4096 }
  // Random bytes do not compress: the file itself is over the limit.
  const noise = Buffer.from(Array.from({ length: 6000 }, (_, i) => (i * 7919) % 251))
  const big = await writeArchive(t, gzipSync(noise, { level: 0 }), 'big.tgz')
  await t.rejects(readArchive(big, limits), { constructor: LimitError, limit: 'input-size', message: /^bundle .*big\.tgz is \d+ bytes \(limit input-size: 4KiB\)$/ })
  // Small members whose sum (with their headers) passes the limit.
  const many = await writeArchive(t, await rawTarGz(Array.from({ length: 8 }, (_, i) => fileEntry(`m${i}`, 'x'.repeat(500)))), 'many.tgz')
  const error = (await readArchive(many, limits).catch((e: unknown) => e)) as LimitError
  t.type(error, LimitError)
  t.equal(error.limit, 'input-size')
  t.equal(error.file, many)
  t.match(error.message, /^bundle .*many\.tgz unpacks to more than 4096 bytes \(limit input-size: 4KiB\)$/)
})

t.test('a gzip bomb is stopped part way', async (t) => {
  // 64 MiB of zeros, as 4 members of 16 MiB - 1 (each under file-size), compress to about 64 KiB.
  const dir = t.testdir({})
  const file = join(dir, 'bomb.tgz')
  const pack = tar.pack()
  const writing = pipeline(pack, createGzip({ level: 9 }), createWriteStream(file))
  const size = 16 * 1024 * 1024 - 1
  for (let i = 0; i < 4; i++) {
    await new Promise<void>((resolve, reject) => {
      const entry = pack.entry({ name: `zeros-${i}`, size, type: 'file' }, (e) => (e ? reject(e) : resolve()))
      Readable.from((function* () {
        for (let left = size; left > 0; left -= 65536) yield Buffer.alloc(Math.min(65536, left))
      })()).pipe(entry)
    })
  }
  pack.finalize()
  await writing
  const limits = resolveLimits(['input-size=1MiB'])
  const { size: compressed } = await stat(file)
  t.ok(compressed < 1024 * 1024, `the bomb is ${compressed} bytes, under the limit as a file`)
  const rssBefore = process.memoryUsage().rss
  const started = performance.now()
  const error = (await readArchive(file, limits).catch((e: unknown) => e)) as LimitError
  const ms = performance.now() - started
  t.type(error, LimitError)
  t.equal(error.limit, 'input-size')
  t.match(error.message, /unpacks to more than 1048576 bytes \(limit input-size: 1MiB\)/)
  t.ok(ms < 2000, `stopped after ${Math.round(ms)} ms, not after unpacking 64 MiB`)
  t.ok(process.memoryUsage().rss - rssBefore < 32 * 1024 * 1024, 'without holding the unpacked bytes')
})

t.test('readArchive: what is not a gzipped tar is a BundleError saying so', async (t) => {
  const expectNotABundle = async (bytes: Buffer, label: string) => {
    const file = await writeArchive(t, bytes, `${label.replace(/\W+/g, '-')}.tgz`)
    const error = (await readArchive(file).catch((e: unknown) => e)) as BundleError
    t.type(error, BundleError, label)
    t.equal(error.exitCode, 2, label)
    t.equal(error.file, file, label)
    t.match(error.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a bundle: `), label)
    t.match(error.hint, /check that the file is complete/, label)
  }
  const good = await packArchive(members)
  await expectNotABundle(Buffer.from('apiVersion: v1\nkind: ConfigMap\n'), 'YAML')
  await expectNotABundle(await rawTar([fileEntry('a')]), 'an uncompressed tar')
  await expectNotABundle(good.subarray(0, good.length - 20), 'a truncated gzip')
  await expectNotABundle(good.subarray(0, 10), 'a gzip header alone')
  await expectNotABundle(gzipSync(Buffer.from('not a tar, but long enough to be read as a header?'.repeat(20))), 'gzip of something else')
  const tarBytes = await rawTar([fileEntry('a', 'x'.repeat(2000))])
  await expectNotABundle(gzipSync(tarBytes.subarray(0, 1024)), 'a complete gzip of a truncated tar')
  const corrupted = Buffer.from(good)
  corrupted[corrupted.length - 12] = corrupted[corrupted.length - 12]! ^ 0xff
  await expectNotABundle(corrupted, 'a gzip whose checksum does not match')
})

t.test('readArchive: a missing file is not reported as a bad bundle', async (t) => {
  await t.rejects(readArchive(join(t.testdir({}), 'missing.tgz')), { code: 'ENOENT' })
})
