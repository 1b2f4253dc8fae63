import t from 'tap'
import { execa } from 'execa'
import { symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError, ManifestError } from '../src/errors.js'
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
