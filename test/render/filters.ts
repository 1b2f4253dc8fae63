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
