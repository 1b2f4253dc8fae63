import t from 'tap'
import { parseDocument, Scalar } from 'yaml'
import { indentQuotedContinuations, kubectlScalar, psychScalar, readerOptions, REFUSED } from '../src/yaml-readers.js'

t.test('plain scalars as Pharos read them: Psych 3.0.2', async (t) => {
  // Expected values obtained by hand from Ruby 3.1 with Psych 3.0.2's lib/psych/scalar_scanner.rb loaded
  // over its own (Ruby 2.5's, which Pharos ran), through YAML.safe_load(text, permitted_classes: [],
  // permitted_symbols: [], aliases: true). Integer is a bigint, Float a number.
  const cases: Array<[string, unknown]> = [
    ['y', 'y'], ['n', 'n'], ['Y', 'Y'], ['on', true], ['oN', true], ['yes', true], ['tRUE', true],
    ['OFF', false], ['No', false], ['false', false], ['~', null], ['Null', null], ['', null],
    ['0644', 420n], ['-0644', -420n], ['0x1F', 31n], ['0b101', 5n], ['1_000', 1000n], ['1,000', 1000n],
    ['1_', 1n], ['1__0', 10n], ['+12', 12n], ['09', '09'], ['0o17', '0o17'], ['_1000', '_1000'],
    ['123456789012345678901234567890', 123456789012345678901234567890n],
    ['12:30', 45000n], ['-1:00:01', -3599n], ['12:60', '12:60'], ['1_0:3_0', '1_0:3_0'], ['1:30.5', 5430],
    ['1500.0', 1500], ['1.0e+16', 1e16], ['3.0e-2', 0.03], ['1.', 1], ['.5', 0.5], ['1e3', '1e3'],
    ['1.5e3', '1.5e3'], ['1.5_0', '1.5_0'], ['.inf', Infinity], ['-.Inf', -Infinity], ['.NaN', NaN],
    ['true_x', 'true_x'], ['<<', '<<'], ['.', '.'],
  ]
  for (const [text, expected] of cases) t.same(psychScalar(text), expected, JSON.stringify(text))
  t.equal(typeof psychScalar('1500'), 'bigint', 'an Integer')
  t.equal(typeof psychScalar('1500.0'), 'number', 'a Float')
})

t.test('what Pharos refused: Date, Time, Symbol, and +.inf that Psych 3 sent to Float()', async (t) => {
  // Ruby: Psych::DisallowedClass "Tried to load unspecified class: Date" (Time, Symbol); ArgumentError
  // `invalid value for Float(): "+.inf"`.
  const cases: Array<[string, string]> = [
    ['2001-12-14', 'Date'], ['2001-12-14 21:59:43.10 -5', 'Time'], ['2001-12-14t21:59:43Z', 'Time'],
    [':sym', 'Symbol'], ['+.inf', 'Float'],
  ]
  for (const [text, className] of cases) {
    const value = psychScalar(text)
    t.type(value, Scalar, text)
    t.equal((value as Scalar & { [REFUSED]?: string })[REFUSED], className, text)
  }
})

t.test('plain scalars as kubectl reads them: go-yaml v2 into interface{}', async (t) => {
  // Expected values obtained by hand from kubectl v1.32: `kubectl label --local -f cm.yaml x=y -o json`
  // on a ConfigMap whose data holds each text.
  const cases: Array<[string, unknown]> = [
    ['y', true], ['Y', true], ['on', true], ['oN', 'oN'], ['Yes', true], ['NO', false], ['Off', false], ['n', false],
    ['~', null], ['', null], ['0644', 420], ['0x1F', 31], ['-0x1F', -31], ['0x_1F', 31], ['0o17', 15], ['0b101', 5],
    ['+0b11', 3], ['0b1_0', 2], ['1_000', 1000], ['1,000', '1,000'], ['1__0', 10], ['7_', 7], ['0_7', 7],
    ['00', 0], ['08', 8], ['-0', 0], ['+12', 12], ['12:30', '12:30'], ['190:20:30', '190:20:30'],
    ['2001-12-14', '2001-12-14'], ['2001-12-14T21:59:43.10-05:00', '2001-12-14T21:59:43.10-05:00'],
    ['1e3', 1000], ['1e+3', 1000], ['1.5e+3', 1500], ['1.0', 1], ['1.', 1], ['.5', 0.5], ['1_0.5', 10.5],
    ['+.inf_', '+.inf_'], ['.NaN_', '.NaN_'], ['.inf', Infinity], ['-.INF', -Infinity],
  ]
  for (const [text, expected] of cases) t.same(kubectlScalar(text), expected, JSON.stringify(text))
})

t.test('double-quoted continuation lines are indented past the column of the opening quote', async (t) => {
  t.equal(indentQuotedContinuations('a: "x\ny"\nb: 1\n'), 'a: "x\n    y"\nb: 1\n')
  const nested = 'k:\n  - key: "a\n b\\" c\n  d"\n  - z\n'
  t.equal(indentQuotedContinuations(nested), 'k:\n  - key: "a\n          b\\" c\n          d"\n  - z\n', 'escaped quotes inside')
  t.equal(indentQuotedContinuations('a: "x\n---\ny"\n'), 'a: "x\n---\n    y"\n', 'a document marker is left for the error')
  const fine = 'a: "x\n  y"\n'
  t.equal(indentQuotedContinuations(fine), fine)
})

t.test('explicit tags: !!str is a string, !!int and !!float read the text as each program does', async (t) => {
  // Ruby (Psych 3.0.2's scanner): {"a"=>3, "b"=>3.0, "c"=>"12", "d"=>"123"}; `!!float abc` raises in Float().
  const psych = parseDocument('a: !!int "3"\nb: !!float 3\nc: !!str 12\nd: |-\n  123\n', readerOptions('psych'))
  t.strictSame(psych.toJS(), { a: 3n, b: 3, c: '12', d: '123' })
  const refusedFloat = parseDocument('a: !!float abc\n', readerOptions('psych')).get('a', true) as Scalar & { [REFUSED]?: string }
  t.equal(refusedFloat[REFUSED], 'Float')
  // kubectl v1.32, by hand (`kubectl label --local -f`): {"a": 3, "b": "on", "c": true}.
  const kubectl = parseDocument('a: !!int 3\nb: !!str on\nc: !!bool on\n', readerOptions('kubectl'))
  t.strictSame(kubectl.toJS(), { a: 3, b: 'on', c: true })
})
