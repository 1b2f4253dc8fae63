import t from 'tap'
import { Liquid } from 'liquidjs'
import { parse } from 'yaml'
import { TemplateError } from '../../src/errors.js'
import {
  b64dec,
  b64enc,
  cidrHost,
  cidrNetmask,
  cidrPrefix,
  indent,
  nindent,
  quote,
  registerDeterministicFilters,
  registerFilters,
  required,
  toJson,
  toYaml,
} from '../../src/render/filters.js'

t.test('to_yaml: yaml without the trailing newline, long strings never folded', async (t) => {
  t.equal(toYaml({ a: 1, b: ['x', 'y'] }), 'a: 1\nb:\n  - x\n  - y')
  t.equal(toYaml('plain'), 'plain')
  t.equal(toYaml(null), 'null')
  t.equal(toYaml(undefined), 'null')
  const long = 'x '.repeat(100).trim()
  t.equal(toYaml({ long }), `long: ${long}`)
})

t.test('to_json: compact', async (t) => {
  t.equal(toJson({ a: [1, 'b'], c: null }), '{"a":[1,"b"],"c":null}')
  t.equal(toJson(undefined), 'null')
})

t.test('indent and nindent, as Helm: every line, blank ones included', async (t) => {
  t.equal(indent('a\nb', 2), '  a\n  b')
  t.equal(indent('a\n\nb', 2), '  a\n  \n  b')
  t.equal(nindent('a\nb', 4), '\n    a\n    b')
  t.equal(indent(12, '3'), '   12')
  t.throws(() => indent('a', -1), { message: 'indent: expected a non-negative whole number, got -1' })
  t.throws(() => nindent('a', 1.5), { message: 'nindent: expected a non-negative whole number, got 1.5' })
  t.throws(() => indent({ a: 1 }, 2), {
    message: 'indent: expected text, got a map',
    hint: 'turn structured values into text first, e.g. `| to_yaml` or `| to_json`',
  })
})

t.test('quote: a double-quoted YAML string', async (t) => {
  t.equal(quote('a "b"\n'), '"a \\"b\\"\\n"')
  t.equal(quote(1450), '"1450"')
  t.equal(quote(true), '"true"')
  t.equal(quote(null), '""')
  t.equal(parse(`k: ${quote('x: y # z')}`).k, 'x: y # z')
})

t.test('b64enc and b64dec', async (t) => {
  t.equal(b64enc('héllo'), 'aMOpbGxv')
  t.equal(b64dec('aMOpbGxv'), 'héllo')
  t.equal(b64dec(b64enc('')), '')
  t.throws(() => b64dec('not base64!'), {
    message: 'b64dec: "not base64!" is not valid base64',
  })
  t.throws(() => b64dec('abc'), TemplateError)
})

t.test('required: nil and empty text are missing, anything else passes', async (t) => {
  t.equal(required(0, 'm'), 0)
  t.equal(required(false, 'm'), false)
  t.same(required([], 'm'), [])
  t.throws(() => required(null, 'options.mtu must be set'), { message: 'options.mtu must be set' })
  t.throws(() => required('', 'options.mtu must be set'), TemplateError)
  t.throws(() => required(undefined), { message: 'a required value is missing' })
})

t.test('CIDR helpers', async (t) => {
  t.equal(cidrHost('10.96.0.0/12', 10), '10.96.0.10')
  t.equal(cidrHost('10.96.0.0/12', -1), '10.111.255.255')
  t.equal(cidrHost('fd00:10:96::/108', 10), 'fd00:10:96::a')
  t.equal(cidrPrefix('10.96.0.0/12'), 12)
  t.equal(cidrNetmask('10.96.0.0/12'), '255.240.0.0')
  t.throws(() => cidrHost('10.0.0.0/30', 4), {
    message: 'cidr_host: host number 4 does not fit in 10.0.0.0/30 (4 addresses)',
  })
  t.throws(() => cidrPrefix('10.0.0.0'), {
    message: 'cidr_prefix: "10.0.0.0" is not in CIDR notation (address/prefix, e.g. 10.32.0.0/12)',
  })
  t.throws(() => cidrNetmask(12), { message: 'cidr_netmask: expected a CIDR such as 10.96.0.0/12, got 12' })
  t.throws(() => cidrHost('10.0.0.0/8', 'x'), { message: 'cidr_host: expected a whole number, got "x"' })
})

t.test('registered filters: errors carry the position of the filter in the template', async (t) => {
  const engine = new Liquid({ strictFilters: true })
  registerFilters(engine)
  const context = { cidr: '10.96.0.0/12', bad: '10.96.0.0' }
  t.equal(await engine.parseAndRender('{{ cidr | cidr_host: 10 }}', context), '10.96.0.10')
  const template = engine.parse('a: 1\nb: {{ bad | cidr_prefix }}\n', 'x.yml.liquid')
  const error = await engine.render(template, context).then(
    () => undefined,
    (e: { originalError?: unknown }) => e.originalError,
  )
  t.type(error, TemplateError)
  t.match(error, {
    message: 'cidr_prefix: "10.96.0.0" is not in CIDR notation (address/prefix, e.g. 10.32.0.0/12)',
    file: 'x.yml.liquid',
    line: 2,
    col: 13,
    frame: '  1 | a: 1\n> 2 | b: {{ bad | cidr_prefix }}\n    |             ^\n  3 | ',
  })
})

t.test('every filter that needs text names itself when given a structure', async (t) => {
  const hint = 'turn structured values into text first, e.g. `| to_yaml` or `| to_json`'
  const calls: [name: string, call: () => unknown][] = [
    ['indent', () => indent({}, 2)],
    ['nindent', () => nindent({}, 2)],
    ['quote', () => quote({})],
    ['b64enc', () => b64enc({})],
    ['b64dec', () => b64dec({})],
  ]
  for (const [name, call] of calls) t.throws(call, { message: `${name}: expected text, got a map`, hint }, name)
  t.throws(() => quote(['a']), { message: 'quote: expected text, got a list' })
  t.equal(quote(undefined), '""')
})

t.test('numbers for indent and cidr_host: whole, non-negative where it must be, with a hint', async (t) => {
  t.equal(indent('a', 0), 'a')
  t.equal(indent('a', ' 2 '), '  a', 'a number written as text')
  t.throws(() => indent('a', ' '), { message: 'indent: expected a non-negative whole number, got " "', hint: 'write it as `| indent: 4`' })
  t.throws(() => indent('a', null), { message: 'indent: expected a non-negative whole number, got nil' })
  t.throws(() => nindent('a', [2]), { message: 'nindent: expected a non-negative whole number, got a list', hint: 'write it as `| nindent: 4`' })
  t.throws(() => cidrHost('10.0.0.0/8', 1.5), { message: 'cidr_host: expected a whole number, got 1.5', hint: 'write it as `| cidr_host: 4`' })
})

t.test('base64 refuses what is not base64, and says what base64 is', async (t) => {
  const hint = 'base64 uses A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4 characters'
  t.equal(b64dec(' aGk= \n'), 'hi', 'surrounding blanks are not part of it')
  t.throws(() => b64dec('!aGk'), { message: 'b64dec: "!aGk" is not valid base64', hint })
  t.throws(() => b64dec('aGk!'), { message: 'b64dec: "aGk!" is not valid base64', hint })
  t.throws(() => b64dec('=aGk'), { message: 'b64dec: "=aGk" is not valid base64' })
  t.throws(() => b64dec(`${'A'.repeat(40)}!!!!`), { message: `b64dec: "${'A'.repeat(37)}..." is not valid base64` })
  t.throws(() => b64dec(`${'A'.repeat(39)}!`), { message: `b64dec: "${'A'.repeat(39)}!" is not valid base64`, hint }, '40 characters are shown whole')
})

t.test('required and the CIDR filters hint at the fix', async (t) => {
  t.throws(() => required(null), {
    hint: 'the template requires this value: set it in cluster.yml (`options.*` is network.custom.options)',
  })
  t.throws(() => cidrHost('10.0.0.0/30', 4), { hint: 'pick a host number inside the network, or a negative one to count from its end' })
  t.throws(() => cidrPrefix('10.0.0.0'), { hint: 'write the network as address/prefix, e.g. 10.96.0.0/12 or fd00:10:96::/108' })
  t.throws(() => cidrNetmask(null), {
    message: 'cidr_netmask: expected a CIDR such as 10.96.0.0/12, got nil',
    hint: 'apply it to a CIDR setting, e.g. cluster_config.network.service_cidr',
  })
})

t.test('the clock and chance are refused, at the filter, whatever the case and blanks', async (t) => {
  const engine = new Liquid({ strictFilters: true })
  registerDeterministicFilters(engine)
  const clockHint = 'rendered manifests must be the same on every run; write the date, or pass it in through custom.options'
  for (const name of ['date', 'date_to_xmlschema', 'date_to_rfc822', 'date_to_string', 'date_to_long_string']) {
    const failure = await engine.parseAndRender(`x: 1\ny: {{ " Now " | ${name} }}`).then(() => undefined, (e: { originalError?: unknown }) => e.originalError)
    t.match(failure, { constructor: TemplateError, message: `${name}: "Now" would make every render differ`, hint: clockHint, line: 2, col: 17 }, name)
  }
  await t.rejects(engine.parseAndRender('{{ "today" | date: "%Y" }}'), { originalError: { message: 'date: "today" would make every render differ' } })
  t.equal(await engine.parseAndRender('{{ "2020-01-02" | date: "%Y %B" }}|{{ "nowhere" | date: "%Y" }}'), '2020 January|nowhere',
    'written dates still format; other text passes through as Liquid passes it')
  await t.rejects(engine.parseAndRender('x: {{ xs | sample }}', { xs: [1, 2] }), {
    originalError: {
      message: 'sample picks at random: every render would differ',
      hint: 'rendered manifests must be the same on every run; use `first`, `last` or an index instead',
      line: 1,
      col: 12,
    },
  })
})
