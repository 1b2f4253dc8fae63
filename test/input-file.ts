import t from 'tap'
import { execa } from 'execa'
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { ConfigError, EnvironmentError, ManifestError } from '../src/errors.js'
import { decodeInputText, readInputFile, readInputStream } from '../src/input-file.js'
import { Budget, LimitError, resolveLimits } from '../src/limits.js'

const limits = resolveLimits(['file-size=64', 'input-size=100'])

t.test('UTF-8 text: byte-order mark dropped, CR LF and lone CR made LF', async (t) => {
  t.equal(decodeInputText(Buffer.from('\uFEFFa: 1\r\nb: 2\rc: 3\n'), 'x.yml'), 'a: 1\nb: 2\nc: 3\n')
  t.equal(decodeInputText(Buffer.from('name: café ☕ 𝄞\n'), 'x.yml'), 'name: café ☕ 𝄞\n')
})

t.test('UTF-16 and invalid UTF-8 are errors at the first bad byte', async (t) => {
  for (const bom of [[0xff, 0xfe], [0xfe, 0xff]]) {
    t.throws(() => decodeInputText(Buffer.from([...bom, 0x61, 0]), 'x.yml'), { message: 'x.yml is UTF-16 text', line: 1, col: 1 })
  }
  const cases: Array<[Buffer, number, number, string]> = [
    [Buffer.from('a: 1\nb: caf\xe9\n', 'latin1'), 2, 7, '0xe9'],
    [Buffer.concat([Buffer.from('ok: ☕\nx: '), Buffer.from([0xc3])]), 2, 4, '0xc3'],
    [Buffer.from([0x61, 0xed, 0xa0, 0x80]), 1, 2, '0xed'],
    [Buffer.from([0xf8, 0x88]), 1, 1, '0xf8'],
  ]
  for (const [bytes, line, col, byte] of cases) {
    t.throws(() => decodeInputText(bytes, 'x.yml', ConfigError), { constructor: ConfigError, message: new RegExp(`invalid UTF-8: byte ${byte}`), line, col })
  }
})

t.test('only regular files within file-size, counted against input-size', async (t) => {
  const dir = t.testdir({ 'a.yml': 'x'.repeat(60), 'b.yml': 'y'.repeat(60), 'big.yml': 'z'.repeat(65), folder: {} })
  const inputBudget = new Budget('input-size', limits)
  t.equal(await readInputFile(join(dir, 'a.yml'), { limits, inputBudget }), 'x'.repeat(60))
  await t.rejects(readInputFile(join(dir, 'b.yml'), { limits, inputBudget }), { constructor: LimitError, limit: 'input-size' })
  await t.rejects(readInputFile(join(dir, 'big.yml'), { limits }), { constructor: LimitError, limit: 'file-size', message: /the file is 65 bytes \(limit file-size: 64\)/ })
  await t.rejects(readInputFile(join(dir, 'folder'), { limits }), { constructor: ManifestError, message: /is a folder/ })
  await execa('mkfifo', [join(dir, 'fifo.yml')])
  await t.rejects(readInputFile(join(dir, 'fifo.yml'), { limits, errorClass: ConfigError }), { constructor: ConfigError, message: /a FIFO \(named pipe\), not a regular file/ })
  await symlink('missing', join(dir, 'dangling.yml'))
  await t.rejects(readInputFile(join(dir, 'dangling.yml'), { limits }), { constructor: ManifestError, message: /does not exist/ })
  await symlink('loop.yml', join(dir, 'loop.yml'))
  await t.rejects(readInputFile(join(dir, 'loop.yml'), { limits }), { constructor: ManifestError, message: /loop/ })
  await writeFile(join(dir, 'bad.yml'), Buffer.from([0x61, 0x80]))
  await t.rejects(readInputFile(join(dir, 'bad.yml'), { limits }), { message: /invalid UTF-8/, line: 1, col: 2 })
})

t.test('a stream, as stdin is read: file-size and UTF-8', async (t) => {
  async function* chunks(...parts: Array<string | Buffer>) {
    yield* parts
  }
  t.equal(await readInputStream(chunks('a: 1\r\n', Buffer.from('b: ☕\n')), '<stdin>', limits), 'a: 1\nb: ☕\n')
  // A character split across two chunks is read whole.
  const cup = Buffer.from('☕')
  t.equal(await readInputStream(chunks(cup.subarray(0, 1), cup.subarray(1)), '<stdin>', limits), '☕')
  await t.rejects(readInputStream(chunks('x'.repeat(40), 'y'.repeat(40)), '<stdin>', limits), { constructor: LimitError, limit: 'file-size' })
  await t.rejects(readInputStream(chunks(Buffer.from([0xff, 0xfe, 0x61, 0])), '<stdin>', limits), { message: /<stdin> is UTF-16/ })
})

t.test('the limits are inclusive: a file or stream of exactly file-size bytes is read', async (t) => {
  const dir = t.testdir({ 'a.yml': 'x'.repeat(64), 'b.yml': 'y'.repeat(36), 'c.yml': 'z' })
  const inputBudget = new Budget('input-size', limits)
  t.equal(await readInputFile(join(dir, 'a.yml'), { limits, inputBudget }), 'x'.repeat(64))
  t.equal(await readInputFile(join(dir, 'b.yml'), { limits, inputBudget }), 'y'.repeat(36), 'input-size reached exactly')
  await t.rejects(readInputFile(join(dir, 'c.yml'), { limits, inputBudget }), {
    constructor: LimitError,
    file: join(dir, 'c.yml'),
    message: 'the manifest files are too large together (limit input-size: 100)',
  })
  async function* chunks(...parts: Array<string | Buffer>) {
    yield* parts
  }
  t.equal(await readInputStream(chunks('x'.repeat(32), 'y'.repeat(32)), '<stdin>', limits), 'x'.repeat(32) + 'y'.repeat(32))
  await t.rejects(readInputStream(chunks('x'.repeat(32), 'y'.repeat(33)), '<stdin>', limits), {
    constructor: LimitError,
    file: '<stdin>',
    message: 'more than 65 bytes (limit file-size: 64)',
  })
  await t.rejects(readInputStream(chunks(Buffer.from([0x61, 0xff])), '<stdin>', limits), { constructor: ManifestError, file: '<stdin>' }, 'a stream is a manifest by default')
})

t.test('each kind of file that is not regular text is named, with what to do', async (t) => {
  const dir = t.testdir({ folder: {} })
  await t.rejects(readInputFile('/dev/null', { limits }), {
    constructor: ManifestError,
    file: '/dev/null',
    message: '/dev/null is a device, not a regular file',
    hint: /manifests must be regular files/,
  })
  await t.rejects(readInputFile(join(dir, 'folder'), { limits }), { message: `${join(dir, 'folder')} is a folder, not a regular file` })
  // A socket's path must be short (108 bytes), shorter than tap's fixture folders.
  const socketDir = await mkdtemp(join(tmpdir(), 'pharos-net-'))
  t.teardown(() => rm(socketDir, { recursive: true, force: true }))
  const socket = join(socketDir, 'socket.yml')
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(socket, resolve))
  t.teardown(() => server.close())
  // Opening a socket fails (ENXIO) before it can be inspected.
  await t.rejects(readInputFile(socket, { limits, errorClass: ConfigError }), {
    constructor: ConfigError,
    message: `${socket} is a socket or a device, not a regular file`,
    hint: 'remove it',
  })
  await symlink('missing', join(dir, 'dangling.yml'))
  await t.rejects(readInputFile(join(dir, 'dangling.yml'), { limits }), {
    message: `${join(dir, 'dangling.yml')} does not exist (a link pointing nowhere?)`,
    hint: /fix or remove the link/,
  })
  await symlink('loop.yml', join(dir, 'loop.yml'))
  await t.rejects(readInputFile(join(dir, 'loop.yml'), { limits }), { message: `${join(dir, 'loop.yml')} is a symbolic link loop`, hint: 'remove the link' })
  const long = join(dir, 'n'.repeat(300) + '.yml')
  await t.rejects(readInputFile(long, { limits }), {
    constructor: EnvironmentError,
    file: long,
    message: new RegExp(`^cannot read ${long}: ENAMETOOLONG`),
    hint: "check the file's permissions",
  }, 'any other failure to open is the machine\'s, exit 3')
})

t.test('an encoding error names the byte, its offset, and what to do', async (t) => {
  t.throws(() => decodeInputText(Buffer.from('a: 1\nb: caf\xe9\n', 'latin1'), 'x.yml'), {
    constructor: ManifestError,
    file: 'x.yml',
    message: 'invalid UTF-8: byte 0xe9 at offset 11',
    hint: /save the file as UTF-8/,
  })
  t.throws(() => decodeInputText(Buffer.from([0x0a, 0x0a, 0x05, 0x80]), 'x.yml'), { message: 'invalid UTF-8: byte 0x80 at offset 3', line: 3, col: 2 }, 'a lone continuation byte')
  // Valid characters at both edges of each sequence length, then a bad byte: the offset counts them whole
  // (the column counts UTF-16 units, as yaml's positions do).
  const edges = Buffer.from('\u007f\u0080\u07ff\u0800\uffff\u{10000}\u{10ffff}')
  for (const bad of [[0x80], [0xc0, 0x80], [0xc1], [0xf5], [0xff], [0xe2, 0x28, 0xa1], [0xe2, 0x82]]) {
    t.throws(() => decodeInputText(Buffer.concat([edges, Buffer.from(bad)]), 'x.yml'), { message: `invalid UTF-8: byte 0x${bad[0]?.toString(16)} at offset ${edges.length}`, col: 10 }, bad.join(' '))
  }
  t.throws(() => decodeInputText(Buffer.from([0xc1, 0x81]), 'x.yml'), { message: /byte 0xc1 at offset 0/ }, 'an overlong lead byte')
  t.throws(() => decodeInputText(Buffer.from([0xe2, 0x98]), 'x.yml'), { message: /byte 0xe2 at offset 0/ }, 'a sequence cut short by the end')
  t.throws(() => decodeInputText(Buffer.from([0xf4, 0x90, 0x80, 0x80]), 'x.yml'), { message: /byte 0xf4 at offset 0/ }, 'beyond U+10FFFF')
  t.throws(() => decodeInputText(Buffer.from([0xf5, 0x80, 0x80, 0x80]), 'x.yml'), { message: /byte 0xf5 at offset 0/ })
  t.equal(decodeInputText(Buffer.from('\u00e9\u0800\u{10000}\u{10FFFF}'), 'x.yml'), '\u00e9\u0800\u{10000}\u{10FFFF}', 'the edges of each sequence length')
  t.throws(() => decodeInputText(Buffer.from([0xff, 0x61]), 'x.yml'), { message: /invalid UTF-8: byte 0xff/ }, 'one byte of a UTF-16 mark is not UTF-16')
  t.throws(() => decodeInputText(Buffer.from([0x61, 0xfe]), 'x.yml'), { message: /invalid UTF-8: byte 0xfe/ })
  t.throws(() => decodeInputText(Buffer.from([0xfe, 0x61]), 'x.yml'), { message: /invalid UTF-8: byte 0xfe at offset 0/ })
  t.throws(() => decodeInputText(Buffer.from([0x61, 0xff]), 'x.yml'), { message: /invalid UTF-8: byte 0xff at offset 1/ })
  t.throws(() => decodeInputText(Buffer.from([0xfe, 0xff, 0, 0x61]), 'x.yml'), { message: 'x.yml is UTF-16 text', hint: /save the file as UTF-8/ })
  t.equal(decodeInputText(Buffer.from('a\uFEFF\r\n'), 'x.yml'), 'a\uFEFF\n', 'only a leading byte-order mark is dropped')
})

t.test('a file that grew between stat and read is measured again; the file is closed either way', async (t) => {
  let closed = 0
  const handle = {
    stat: async () => ({ isFile: () => true, size: 10 }),
    readFile: async () => Buffer.alloc(65, 0x61),
    close: async () => { closed++ },
  }
  const { readInputFile: readGrowing } = await t.mockImport<typeof import('../src/input-file.js')>('../src/input-file.js', {
    'node:fs/promises': { open: async () => handle },
  })
  const inputBudget = new Budget('input-size', limits)
  await t.rejects(readGrowing('grows.yml', { limits, inputBudget }), { limit: 'file-size', message: /the file is 65 bytes/ })
  t.equal(closed, 1)
  t.equal(inputBudget.remaining, 90, 'the size at stat was counted; the read stopped at the limit')
})
