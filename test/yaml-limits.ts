import t from 'tap'
import { LineCounter } from 'yaml'
import { Budget, LimitError, resolveLimits } from '../src/limits.js'
import { aliasExpansion, estimateYamlNodes, parseYamlDocument, parseYamlStream } from '../src/yaml-limits.js'

const options = (flags: string[] = []) => {
  const limits = resolveLimits(flags)
  return { file: 'x.yml', limits, nodeBudget: new Budget('yaml-nodes', limits), lineCounter: new LineCounter() }
}

t.test('the node estimate is an upper bound from lines and flow separators', async (t) => {
  t.equal(estimateYamlNodes(''), 1)
  t.equal(estimateYamlNodes('a: 1\nb: [1, 2, {c: 3}]\n'), 1 + 2 + 2 + 1 + 1)
  const opts = options(['yaml-nodes=10'])
  parseYamlStream('a: 1\nb: 2\n', opts)
  t.throws(() => parseYamlStream(`x: [${'0,'.repeat(20)}0]\n`, opts), {
    constructor: LimitError, limit: 'yaml-nodes', file: 'x.yml', message: /^too much YAML: about 23 nodes in this file/,
  })
})

t.test('duplicate keys are found in linear time, where yaml reports them', async (t) => {
  const text = `a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n`
  const doc = parseYamlDocument(text, options())
  t.equal(doc.errors.length, 1)
  t.match(doc.errors[0], { code: 'DUPLICATE_KEY', message: 'Map keys must be unique', linePos: [{ line: 5, col: 3 }] })
  t.equal(parseYamlDocument('{a: 1, "a": 2}', options()).errors[0]?.code, 'DUPLICATE_KEY', 'flow maps, quoted keys')
  t.equal(parseYamlDocument('? [a]\n: 1\n? [a]\n: 2\n', options()).errors.length, 0, 'collection keys are never equal, as in yaml')
  t.equal(parseYamlDocument('1: a\n"1": b\n', options()).errors.length, 0, 'an integer and a string differ, as in yaml')

  const keys = Array.from({ length: 80_000 }, (_, i) => `k${i}: v`).join('\n')
  const started = performance.now()
  t.equal(parseYamlDocument(`${keys}\nk79999: again\n`, options()).errors[0]?.linePos?.[0]?.line, 80_001)
  t.ok(performance.now() - started < 20_000, 'not quadratic')
})

t.test('aliases count by what they expand to', async (t) => {
  const list = `[${Array(100).fill('"xxxxxxxx"').join(', ')}]`
  const doc = parseYamlDocument(`a: &l ${list}\nb: *l\nc: *l\n`, options())
  t.equal(aliasExpansion(doc), 2 * (2 + 100 * 11))
  t.throws(() => parseYamlDocument(`a: &l ${list}\n${Array.from({ length: 20 }, (_, i) => `b${i}: *l`).join('\n')}\n`, options(['alias-size=10KiB'])), {
    constructor: LimitError, limit: 'alias-size', line: 2, col: 5, message: /^YAML aliases \(\*name\) expand this document by 22040 bytes/,
  })
  const map = 'a: &m {k: v}\nb: *m\n'
  t.equal(aliasExpansion(parseYamlDocument(map, options())), 6, 'a map: its braces, and each pair its key, value, colon and comma')
  t.equal(parseYamlDocument(map, options(['alias-size=6'])).errors.length, 0, 'exactly the limit is allowed')
  t.throws(() => parseYamlDocument(map, options(['alias-size=5'])), { limit: 'alias-size' })
  t.throws(() => parseYamlStream('a: &x\n  b: *x\n', options()), { message: /without end/ })
  const laughs = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]']
  for (let i = 1; i < 9; i++) laughs.push(`${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(9).fill(`*${'abcdefghij'[i - 1]}`).join(', ')}]`)
  t.throws(() => parseYamlStream(laughs.join('\n'), options()), { limit: 'alias-size' })
  t.match(parseYamlStream('a: &x 1\n---\nb: *x\n', options())[1]?.errors, [{ code: 'BAD_ALIAS', linePos: [{ line: 3, col: 4 }] }], 'an alias without its anchor is an error where it stands')
})

t.test('a document with a syntax error gets no further checks', async (t) => {
  const doc = parseYamlDocument('a: 1\na: 2\nb: [\n', options())
  t.same(doc.errors.map((e) => e.code), ['BAD_INDENT'], 'the syntax error only, not the duplicate key as well')
})

t.test('an alias of a mapping with a key and no value', async (t) => {
  t.equal(aliasExpansion(parseYamlDocument('a: &x\n  ? q\nb: *x\n', options())), 2 + 1 + 0 + 2)
})

t.test("yaml's warnings do not reach the user's stderr as Node process warnings", async (t) => {
  const warnings: string[] = []
  const listener = (warning: Error) => warnings.push(warning.message)
  process.on('warning', listener)
  t.teardown(() => process.off('warning', listener))
  t.same(parseYamlDocument('? [a, b]\n: 1\n', options()).toJS(), { '[ a, b ]': 1n })
  t.same(parseYamlStream('? {a: 1}\n: 2\n', options())[0]?.toJS(), { '{ a: 1 }': 2 })
  await new Promise((resolve) => setImmediate(resolve))
  t.same(warnings, [])
})
