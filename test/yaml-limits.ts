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

t.test('cluster.yml merges << keys as Psych did: a merged mapping replaces the keys written before it', async (t) => {
  // Expected from Ruby 3.1 (Psych 3.0.2's scanner loaded, YAML.safe_load with aliases), by hand; key order
  // is the Hash's.
  const text = [
    'x: &a {p: 1, q: 2}',
    'y:\n  p: 9\n  <<: *a\n  q: 7',
    'z:\n  "<<": *a',
    'w:\n  !!str <<: *a',
    'v:\n  <<: [*a, {p: 5, r: 1}]',
    'u:\n  <<: 1',
    't: &s [1, 2]',
    's:\n  <<: *s',
    'r:\n  k: 1\n  <<: {k: 2, nested: &n {a: 1}}\n  m: *n',
  ].join('\n')
  const doc = parseYamlDocument(`${text}\n`, options())
  t.same(doc.errors, [])
  const data = doc.toJS() as Record<string, unknown>
  t.strictSame(data, {
    x: { p: 1n, q: 2n },
    y: { p: 1n, q: 7n },
    z: { p: 1n, q: 2n },
    w: { '<<': { p: 1n, q: 2n } },
    v: { p: 1n, r: 1n, q: 2n },
    u: { '<<': 1n },
    t: [1n, 2n],
    s: { '<<': [1n, 2n] },
    r: { k: 2n, nested: { a: 1n }, m: { a: 1n } },
  })
  t.same(Object.keys(data.v as object), ['p', 'r', 'q'], 'the order Ruby\'s Hash#merge! gives')
})

t.test('cluster.yml nodes tell Integer from Float', async (t) => {
  const doc = parseYamlDocument('mtu: 1500\nratio: 1500.0\nbig: 1.0e+16\nhuge: 9007199254740993\noctal: 0644\n', options())
  t.strictSame(doc.toJS(), { mtu: 1500n, ratio: 1500, big: 1e16, huge: 9007199254740993n, octal: 420n })
})

t.test('cluster.yml values Pharos refused are errors where they stand', async (t) => {
  const refused = (text: string) => parseYamlDocument(text, options()).errors.map((e) => [e.code, e.message.split(' at line')[0], e.linePos?.[0]])
  t.same(refused('a:\n  b: 2001-12-14\n'), [
    ['BAD_SCALAR', '2001-12-14 reads as a Ruby Date, which Pharos\' YAML.safe_load refused ("Tried to load unspecified class: Date")', { line: 2, col: 6 }],
  ])
  t.match(refused('a: :sym\n'), [['BAD_SCALAR', /Ruby Symbol/, { line: 1, col: 4 }]])
  t.match(refused('a: 2001-12-14 21:59:43.10 -5\n'), [['BAD_SCALAR', /Ruby Time/]])
  t.match(refused('a: +.inf\n'), [['BAD_SCALAR', /\+\.inf is a Float Pharos' YAML reader \(Psych 3\) failed to read/]])
  t.same(refused('a: "2001-12-14"\nb: !!str :sym\n'), [], 'quoted or tagged as strings, they are strings')
})

t.test('manifests merge << keys as kubectl (go-yaml v2) does', async (t) => {
  // Expected from kubectl v1.32 (`kubectl label --local -f ... -o json`), by hand.
  const [doc] = parseYamlStream('x: &a {p: "1", q: "2"}\ndata:\n  p: "9"\n  <<: *a\n  q: "7"\n', options())
  t.same(doc?.toJS(), { x: { p: '1', q: '2' }, data: { p: '1', q: '7' } })
  const [quoted] = parseYamlStream('x: &a {p: "1"}\ndata:\n  "<<": *a\n', options())
  t.same(quoted?.toJS(), { x: { p: '1' }, data: { '<<': { p: '1' } } }, 'a quoted << is an ordinary key to go-yaml v2')
  const [bad] = parseYamlStream('data:\n  <<: 1\n', options())
  t.match(bad?.errors, [{ code: 'BAD_MERGE', message: /^map merge requires map or sequence of maps as the value/, linePos: [{ line: 2, col: 3 }] }])
  const [infinite] = parseYamlStream('data:\n  a: .inf\n', options())
  t.match(infinite?.errors, [{ code: 'BAD_SCALAR', message: /^\.inf is not a number JSON can carry/, linePos: [{ line: 2, col: 6 }] }])
})

t.test('a block scalar whose last line ends the text keeps libyaml\'s value: no line break added', async (t) => {
  // Ruby: YAML.load("a: |\n  l1\n\n  l2") is {"a"=>"l1\n\nl2"}, for |, |+, |2 and > (folded: "l1\nl2").
  for (const header of ['|', '|+', '|2']) {
    t.same(parseYamlDocument(`a: ${header}\n  l1\n\n  l2`, options()).toJS(), { a: 'l1\n\nl2' }, header)
    t.same(parseYamlStream(`a: ${header}\n  l1\n\n  l2`, options())[0]?.toJS(), { a: 'l1\n\nl2' }, `${header}, a manifest`)
  }
  t.same(parseYamlDocument('a: >\n  l1\n  l2', options()).toJS(), { a: 'l1 l2' })
  t.same(parseYamlDocument('a: |\n  l1\n', options()).toJS(), { a: 'l1\n' }, 'with its final newline, one line break')
  t.same(parseYamlDocument('a: |\n  l1\n  ', options()).toJS(), { a: 'l1\n' }, 'a last line of spaces is no content (Ruby: "l1\\n")')
})

t.test('a double-quoted value whose continuation lines are not indented reads as libyaml reads it', async (t) => {
  // Ruby: {"a"=>"x y", "b"=>1}; kubectl reads "x y" too.
  const doc = parseYamlDocument('a: "x\ny"\nb: 1\n  # c\nb: 2\n', options())
  t.match(doc.errors, [{ code: 'DUPLICATE_KEY', linePos: [{ line: 5, col: 1 }] }], 'lines keep their numbers')
  t.same(parseYamlDocument('a: "x\ny"\nb: 1\n', options()).toJS(), { a: 'x y', b: 1n })
  t.same(parseYamlStream('k:\n  - key: "a\n b\\" c\n  d"\n  - z\n', options())[0]?.toJS(), { k: [{ key: 'a b" c d' }, 'z'] })
  t.match(parseYamlDocument('a: "x\n---\ny"\n', options()).errors, [{ code: 'MISSING_CHAR' }], 'a document marker still ends it')
})
