import t from 'tap'
import { parseDocument } from 'yaml'
import { KEY_GUARD } from '../../../src/render/erb/guard.js'
import { finishDocument, readerOptions } from '../../../src/yaml-readers.js'
import { formatFloat, fromPlain, inspect, RubyHash } from '../../../src/render/erb/values.js'

t.test('plain data read with its YAML nodes keeps what Psych read (inspect recorded from Ruby 3.1)', async (t) => {
  const source = 'defaults: &d\n  mtu: 1450\n  backend: vxlan\noptions:\n  first: 0\n  <<: *d\n  backend: host-gw\n' +
    '  extra: 1.0\n  80: http\n  "2": two\n  big: 123456789012345678901\n  quoted: ":x"\n'
  // Read as cluster.yml is read (src/config.ts): Psych's scalars, Integers as bigints, merges as Psych merges.
  const document = parseDocument(source, readerOptions('psych'))
  t.equal(finishDocument(document, source, 'psych'), undefined)
  const options = plainNumbers(document.toJS()).options as Record<string, unknown>
  const node = document.getIn(['options'], true) as Parameters<typeof fromPlain>[1]
  t.equal(inspect(fromPlain(options, node, document)),
    '{"first"=>0, "mtu"=>1450, "backend"=>"host-gw", "extra"=>1.0, 80=>"http", "2"=>"two", "big"=>123456789012345678901, "quoted"=>":x"}')
  t.equal(inspect(fromPlain(options)), '{"2"=>"two", "80"=>"http", "first"=>0, "mtu"=>1450, "backend"=>"host-gw", "extra"=>1, ' +
    '"big"=>123456789012345683968, "quoted"=>":x"}', 'without the nodes, only what plain data holds')
})

/** The config's plain data holds numbers where the document holds bigints (it must stay JSON-safe). */
function plainNumbers(value: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))) as Record<string, unknown>
}

t.test('one plain object seen twice is one Hash; the KEY_GUARD comes along', async (t) => {
  const shared = { a: 1 }
  Object.defineProperty(shared, KEY_GUARD, { value: () => ({ message: 'no', hint: 'h' }), enumerable: false })
  const value = fromPlain({ x: shared, y: shared }) as RubyHash
  t.equal(value.get('x'), value.get('y'))
  t.same((value.get('x') as RubyHash).refusal('b'), { message: 'no', hint: 'h' })
})

t.test('Float#to_s', async (t) => {
  const cases: [number, string][] = [
    [1500, '1500.0'], [1e16, '1.0e+16'], [1e15, '1.0e+15'], [1e14, '100000000000000.0'], [0.1, '0.1'], [-0, '-0.0'],
    [1234567890123456.8, '1234567890123456.8'], [1.2e15, '1.2e+15'], [0.0001, '0.0001'], [0.00001, '1.0e-05'],
    [Infinity, 'Infinity'], [NaN, 'NaN'], [1e100, '1.0e+100'], [123456789.123456789, '123456789.12345679'],
  ]
  for (const [value, expected] of cases) t.equal(formatFloat(value), expected, expected)
})
