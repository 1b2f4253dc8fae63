import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'yaml'
import { TemplateError } from '../../src/errors.js'
import { LimitError, resolveLimits } from '../../src/limits.js'
import { createLiquidRenderer, type LiquidRenderer } from '../../src/render/liquid.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures')
const partials = join(fixtures, 'liquid-partials')
const escape = join(fixtures, 'liquid-escape', 'manifests')
const main = join(partials, 'main.yml.liquid')

const network = {
  provider: 'custom',
  pod_network_cidr: '10.32.0.0/12',
  service_cidr: '10.96.0.0/12',
  dns_service_ip: '10.96.0.10',
  firewalld: { enabled: false },
  custom: {
    manifest_path: './manifests',
    options: { mtu: 1400, token: '', cni: { name: 'cbr0', plugins: [{ type: 'flannel', hairpinMode: true }] } },
  },
}
/** Shaped as buildTemplateContext's result. */
const context = {
  cluster_config: { name: 'c1', hosts: [{ address: '10.0.0.1', role: 'master' }], network, networking: network },
  options: network.custom.options,
  name: 'custom_network',
  firewalld_enabled: false,
  reload_iptables: false,
}

async function renderError(
  renderer: LiquidRenderer,
  source: string,
  scope: Record<string, unknown> = context,
): Promise<TemplateError> {
  const failure = await renderer.compile(source, main).render(scope).then(
    (text) => new Error(`rendered instead of failing: ${text}`),
    (error: unknown) => error,
  )
  if (!(failure instanceof TemplateError)) throw failure
  return failure
}

function compileError(renderer: LiquidRenderer, source: string): TemplateError {
  try {
    renderer.compile(source, main)
  } catch (error) {
    if (error instanceof TemplateError) return error
    throw error
  }
  throw new Error('compiled instead of failing')
}

t.test('renders with the template context and the CIDR helpers', async (t) => {
  const renderer = createLiquidRenderer({ root: partials })
  const source = [
    'metadata:',
    '  name: {{ name }}',
    'data:',
    '  cluster: {{ cluster_config.name }}',
    '  first-host: {{ cluster_config.hosts.first.address }}',
    '  pods: {{ cluster_config.networking.pod_network_cidr }}',
    '  dns: {{ cluster_config.network.service_cidr | cidr_host: 10 }}',
    '  prefix: "{{ cluster_config.network.service_cidr | cidr_prefix }}"',
    '  netmask: {{ cluster_config.network.service_cidr | cidr_netmask }}',
    '  firewalld: "{{ firewalld_enabled }}"',
    '  mtu: {{ options.mtu | quote }}',
    '',
  ].join('\n')
  t.equal(
    await renderer.compile(source, main).render(context),
    [
      'metadata:',
      '  name: custom_network',
      'data:',
      '  cluster: c1',
      '  first-host: 10.0.0.1',
      '  pods: 10.32.0.0/12',
      '  dns: 10.96.0.10',
      '  prefix: "12"',
      '  netmask: 255.240.0.0',
      '  firewalld: "false"',
      '  mtu: "1400"',
      '',
    ].join('\n'),
  )
})

t.test('to_yaml, to_json, nindent, b64enc compose in a ConfigMap', async (t) => {
  const renderer = createLiquidRenderer({ root: partials })
  const source = [
    'kind: ConfigMap',
    'data:',
    '  cni-conf.json: |{{ options.cni | to_json | nindent: 4 }}',
    '  net-conf.yaml: |{{ options.cni | to_yaml | nindent: 4 }}',
    '  hosts: {{ cluster_config.hosts | to_json | quote }}',
    '  token: {{ "s3cret" | b64enc }}',
    '',
  ].join('\n')
  const text = await renderer.compile(source, main).render(context)
  t.equal(
    text,
    [
      'kind: ConfigMap',
      'data:',
      '  cni-conf.json: |',
      '    {"name":"cbr0","plugins":[{"type":"flannel","hairpinMode":true}]}',
      '  net-conf.yaml: |',
      '    name: cbr0',
      '    plugins:',
      '      - type: flannel',
      '        hairpinMode: true',
      '  hosts: "[{\\"address\\":\\"10.0.0.1\\",\\"role\\":\\"master\\"}]"',
      '  token: czNjcmV0',
      '',
    ].join('\n'),
  )
  const { data } = parse(text) as { data: Record<string, string> }
  t.same(JSON.parse(data['cni-conf.json'] as string), network.custom.options.cni)
  t.same(parse(data['net-conf.yaml'] as string), network.custom.options.cni)
  t.same(JSON.parse(data.hosts as string), context.cluster_config.hosts)
})

t.test('a missing key is nil for `default` and `if`, an error anywhere else', async (t) => {
  const renderer = createLiquidRenderer({ root: partials })
  const lenient = [
    '{{ options.vxlan_port | default: 8472 }}',
    '{{ options.backend.type | default: "vxlan" }}',
    '{% if options.ipip %}ipip{% else %}no-ipip{% endif %}',
    '{% unless options.ipip %}unless{% endunless %}',
    '{% if options.mtu %}{{ options.mtu | default: 1450 }}{% endif %}',
  ].join(' ')
  t.equal(await renderer.compile(lenient, main).render(context), '8472 vxlan no-ipip unless 1400')
  const error = await renderError(renderer, 'port: {{ options.vxlan_port | plus: 1 }}')
  t.equal(error.message, 'undefined variable `options.vxlan_port`')
})

t.test('undefined variable: position, frame, and a hint listing the keys that exist', async (t) => {
  const renderer = createLiquidRenderer({ root: partials })
  const error = await renderError(renderer, 'a: 1\nb: {{ cluster_config.network.mtu }}\nc: 3\n')
  t.has(error, {
    message: 'undefined variable `cluster_config.network.mtu`',
    file: main,
    line: 2,
    col: 7,
    hint:
      'if it is optional, give a fallback (`| default: ...`) or test it (`{% if cluster_config.network.mtu %}`); ' +
      'otherwise check the spelling. `cluster_config.network` has: custom, dns_service_ip, firewalld, ' +
      'pod_network_cidr, provider, service_cidr',
    frame: '  1 | a: 1\n> 2 | b: {{ cluster_config.network.mtu }}\n    |       ^\n  3 | c: 3',
  })
  const top = await renderError(renderer, '{{ nmae }}')
  t.match(top.hint, /The variables are: cluster_config, firewalld_enabled, name, options, reload_iptables$/)
  const deep = await renderError(renderer, '\n  {% for h in cluster_config.hosts %}{{ h.adress }}{% endfor %}')
  t.has(deep, { message: 'undefined variable `h.adress`', line: 2, col: 41 })
})

t.test('required: the author\'s message at the value, whether it is missing or empty', async (t) => {
  const renderer = createLiquidRenderer({ root: partials })
  const missing = await renderError(renderer, 'x: 1\nkey: {{ options.key | required: "options.key must be set" }}')
  t.has(missing, {
    message: 'options.key must be set',
    file: main,
    line: 2,
    col: 9,
    hint: 'the template requires this value: set it in cluster.yml (`options.*` is network.custom.options)',
  })
  const empty = await renderError(renderer, 'x: 1\ntoken: {{ options.token | required: "options.token must be set" }}')
  t.has(empty, { message: 'options.token must be set', line: 2, col: 27 })
  const bare = await renderError(renderer, '{{ options.key | required }}')
  t.has(bare, { message: 'a required value is missing', line: 1, col: 4 })
  t.equal(await renderer.compile('{{ options.mtu | required: "m" }}', main).render(context), '1400')
})

t.test('filter errors carry the template position', async (t) => {
  const renderer = createLiquidRenderer({ root: partials })
  const error = await renderError(renderer, 'a: 1\n  dns: {{ options.mtu | cidr_host: 10 }}\n')
  t.has(error, {
    message: 'cidr_host: expected a CIDR such as 10.96.0.0/12, got 1400',
    file: main,
    line: 2,
    col: 25,
    hint: 'apply it to a CIDR setting, e.g. cluster_config.network.service_cidr',
  })
})

t.test('unknown filter: refused at compile time, at the filter name, with a suggestion', async (t) => {
  const renderer = createLiquidRenderer({ root: partials })
  const error = compileError(renderer, 'a: |\n  {{ options.cni | to_yml | nindent: 4 }}\n')
  t.has(error, {
    message: 'unknown filter `to_yml`',
    file: main,
    line: 2,
    col: 20,
    hint: 'did you mean `to_yaml`?',
  })
  const inTag = compileError(renderer, '{% assign x = name | frobnicate %}')
  t.has(inTag, { message: 'unknown filter `frobnicate`', line: 1, col: 22 })
  t.match(inTag.hint, /^check the spelling; besides Liquid's own filters there are to_yaml, to_json, indent,/)
})

t.test('syntax errors: position of the unclosed tag or output', async (t) => {
  const renderer = createLiquidRenderer({ root: partials })
  t.has(compileError(renderer, 'a: 1\n  {% if options.mtu %}\nb: 2\n'), {
    message: '`{% if options.mtu %}` is not closed',
    file: main,
    line: 2,
    col: 3,
    hint: 'add `{% endif %}` where the block ends',
  })
  t.has(compileError(renderer, 'a: 1\nb: {{ name\n'), {
    message: '`{{` without a closing `}}`',
    line: 2,
    col: 4,
    hint: 'close the value with `}}`',
  })
  t.has(compileError(renderer, '{% if x %}\n{% endif'), { message: '`{%` without a closing `%}`', line: 2, col: 1 })
  t.has(compileError(renderer, 'a: {{ name | upcase x }}'), {
    message: 'expected ":" after filter name',
    file: main,
    line: 1,
    col: 21,
    hint: 'check the Liquid syntax here: tags are written `{% ... %}`, values `{{ ... }}`',
  })
  t.has(compileError(renderer, '\n\n{% iff name %}{% endif %}'), { message: 'unknown tag `iff`', line: 3, col: 1 })
})

t.test('includes and renders read partials from the manifest folder and see the context', async (t) => {
  const renderer = createLiquidRenderer({ root: partials })
  const source = [
    'metadata:',
    '  labels:{% capture labels %}{% include "_labels" %}{% endcapture %}{{ labels | strip | nindent: 4 }}',
    "{% render 'role.yml.part', role: 'cni' -%}",
    "{% include '_labels.liquid' %}",
  ].join('\n')
  t.equal(
    await renderer.compile(source, main).render(context),
    [
      'metadata:',
      '  labels:',
      '    app: custom_network',
      '    stack: custom-network',
      'role: cni (custom_network, 10.96.0.0/12)',
      'app: custom_network',
      'stack: custom-network',
      '',
    ].join('\n'),
  )
})

t.test('errors inside a partial point into the partial', async (t) => {
  const renderer = createLiquidRenderer({ root: partials })
  const undefinedInPartial = await renderError(renderer, 'x: 1\n{% include "_broken" %}', {
    ...context,
    options: {},
  })
  t.has(undefinedInPartial, {
    message: 'undefined variable `options.mtu` (in a partial rendered by main.yml.liquid)',
    file: join(partials, '_broken.liquid'),
    line: 3,
    col: 11,
    frame: '  2 | metadata:\n> 3 |   mtu: {{ options.mtu }}\n    |           ^\n  4 | ',
  })
  const syntaxInPartial = await renderError(renderer, 'x: 1\n{% render "_unclosed" %}')
  t.has(syntaxInPartial, {
    message: '`{% if options.mtu %}` is not closed (in a partial rendered by main.yml.liquid)',
    file: join(partials, '_unclosed.liquid'),
    line: 2,
    col: 3,
  })
})

t.test('partials outside the manifest folder are refused', async (t) => {
  const renderer = createLiquidRenderer({ root: escape })
  t.equal(await renderer.compile('{% include "_inside" %}', main).render(context), 'inside: yes\n')
  for (const [source, partial] of [
    ["{% include '../secret.yml' %}", '../secret.yml'],
    ["{% include '../secret' %}", '../secret'],
    ["{% render '/etc/passwd' %}", '/etc/passwd'],
    [`{% include '${join(escape, '..', 'secret.yml')}' %}`, join(escape, '..', 'secret.yml')],
    ['{% include "{{ options.path }}" %}', '../secret.yml'],
  ] as const) {
    const error = await renderError(renderer, `a: 1\n  ${source}`, { ...context, options: { path: '../secret.yml' } })
    t.has(
      error,
      {
        message: `partial \`${partial}\` not found in the manifest folder`,
        line: 2,
        col: 3,
        hint:
          `{% include %} and {% render %} read files inside ${escape} only (a name without an extension gets ` +
          '.liquid); paths leaving it (.., absolute paths, symlinks pointing outside) are refused',
      },
      source,
    )
  }
})

t.test('symlinks leading out of the manifest folder are refused', async (t) => {
  const dir = t.testdir({
    'secret.yml': 'secret: do-not-read\n',
    manifests: {
      'inner.liquid': 'inner: yes\n',
      'link-in.liquid': t.fixture('symlink', 'inner.liquid'),
      'link-out.liquid': t.fixture('symlink', '../secret.yml'),
      parent: t.fixture('symlink', '..'),
    },
  })
  const renderer = createLiquidRenderer({ root: join(dir, 'manifests') })
  t.equal(await renderer.compile('{% include "link-in" %}', main).render(context), 'inner: yes\n')
  for (const partial of ['link-out', 'parent/secret.yml']) {
    const error = await renderError(renderer, `{% include "${partial}" %}`)
    t.equal(error.message, `partial \`${partial}\` not found in the manifest folder`)
  }
})

t.test('prototype properties are not reachable', async (t) => {
  const renderer = createLiquidRenderer({ root: partials })
  const paths = ['cluster_config.constructor', 'options.__proto__', 'name.constructor', 'options.toString', 'constructor']
  for (const path of paths) {
    const error = await renderError(renderer, `{{ ${path} }}`)
    t.equal(error.message, `undefined variable \`${path}\``)
  }
  const probe = '{% if cluster_config.constructor %}reachable{% else %}hidden{% endif %}'
  t.equal(await renderer.compile(probe, main).render(context), 'hidden')
})

t.test('parsed once: one compile renders many contexts; partials are read once per run', async (t) => {
  const dir = t.testdir({ '_part.liquid': 'v1 {{ name }}' })
  const renderer = createLiquidRenderer({ root: dir })
  const template = renderer.compile('{{ options.mtu }} {% include "_part" %}', join(dir, 'a.yml.liquid'))
  t.equal(await template.render(context), '1400 v1 custom_network')
  await writeFile(join(dir, '_part.liquid'), 'v2 {{ name }}')
  t.equal(await template.render({ ...context, name: 'other', options: { mtu: 9000 } }), '9000 v1 other')
  const other = renderer.compile('{% include "_part" %}', join(dir, 'b.yml.liquid'))
  t.equal(await other.render(context), 'v1 custom_network')
  const fresh = createLiquidRenderer({ root: dir })
  t.equal(await fresh.compile('{% include "_part" %}', join(dir, 'a.yml.liquid')).render(context), 'v2 custom_network')
})

t.test('partials, loops and output are bounded by the limits', async (t) => {
  const root = t.testdir({ 'self.liquid': "x{% include 'self' %}", 'wide.liquid': 'y'.repeat(100) })
  const render = (source: string, flags: string[] = []) =>
    createLiquidRenderer({ root, limits: resolveLimits(flags) }).compile(source, `${root}/t.yml.liquid`).render({ options: {} })
  await t.rejects(render("{% include 'self' %}"), { constructor: LimitError, limit: 'partial-depth', line: 1, col: 2 })
  await t.rejects(render("{% render 'self' %}", ['partial-depth=3']), { limit: 'partial-depth', message: /\(limit partial-depth: 3\)/ })
  await t.rejects(render("{% for i in (1..50) %}{% include 'wide' %}{% endfor %}", ['output-size=1000']), { constructor: LimitError, limit: 'output-size' })
  await t.rejects(render('{% for i in (1..100000000) %}{% endfor %}'), { constructor: LimitError, limit: 'output-size', message: /builds too much text/ })
  await t.rejects(render('{% for i in (1..10000000) %}{% for j in (1..10) %}{% endfor %}{% endfor %}', ['render-time=200ms']), { constructor: LimitError, limit: 'render-time' })
  t.equal(await render("{% for i in (1..3) %}{% include 'wide' %}{% endfor %}"), 'y'.repeat(300))
})

t.test('unknown filters: a suggestion only when one is near, the nearest one', async (t) => {
  const renderer = createLiquidRenderer({ root: partials })
  const hintFor = (filter: string) => compileError(renderer, `{{ x | ${filter} }}`).hint
  t.equal(hintFor('upcse'), 'did you mean `upcase`?', 'one edit away')
  t.equal(hintFor('dat'), 'did you mean `date`?', 'an edit at the end of the name')
  t.equal(hintFor('downcasex'), 'did you mean `downcase`?')
  t.equal(hintFor('uppcasse'), 'did you mean `upcase`?', 'two edits for a name longer than five')
  t.match(hintFor('upcsa'), /^check the spelling; besides Liquid's own filters there are to_yaml, to_json, indent, nindent, quote, b64enc, b64dec, required, cidr_host, cidr_prefix, cidr_netmask$/,
    'two edits are too many for a name of five')
  t.equal(hintFor('lstripx'), 'did you mean `lstrip`?', 'the nearest wins over later ones within the limit (rstrip, strip)')
  t.equal(hintFor('slize'), 'did you mean `size`?', 'of two as near, the first (size, then slice)')
  t.has(compileError(renderer, 'a: {{ x | upcase? }}'), { message: 'unknown filter `upcase?`', col: 11, hint: 'did you mean `upcase`?' },
    'a name with a regular-expression character is found where it is')
})

t.test('undefined variables list what the parent holds, when it is a map', async (t) => {
  const renderer = createLiquidRenderer({ root: partials })
  const hintOf = async (source: string, scope: Record<string, unknown>) => (await renderError(renderer, source, scope)).hint
  const base = 'if it is optional, give a fallback (`| default: ...`) or test it (`{% if x.y.z %}`); otherwise check the spelling'
  t.equal(await hintOf('{{ x.y.z }}', { x: { y: 's' } }), base, 'the parent is a string')
  t.equal(await hintOf('{{ x.y.z }}', { x: { y: [1] } }), base, 'the parent is a list')
  t.equal(await hintOf('{{ x.y.z }}', { x: 5 }), base.replace('x.y.z', 'x.y'), 'a grandparent that is not a map')
  t.equal(await hintOf('{{ x.q }}', { x: {} }),
    'if it is optional, give a fallback (`| default: ...`) or test it (`{% if x.q %}`); otherwise check the spelling. `x` has: (nothing)')
  const wide = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${String(i).padStart(2, '0')}`, i]))
  t.match(await hintOf('{{ x.q }}', { x: wide }), /`x` has: k00, k01, .*, k19, \.\.\.$/)
  t.match(await hintOf('{{ x.q }}', { x: Object.fromEntries(Object.entries(wide).slice(0, 20)) }), /`x` has: k00, .*, k19$/)
  t.equal((await renderError(renderer, 'a: 1\n{{ nope }}', {})).message, 'undefined variable `nope`', 'no partial note in the template itself')
})

t.test('other errors keep liquidjs’ words at the right place', async (t) => {
  const renderer = createLiquidRenderer({ root: partials })
  t.has(await renderError(renderer, 'a: 1\n{% include x %}', { x: null }), { message: 'illegal file path "null"', line: 2, col: 1, hint: undefined })
  t.has(compileError(renderer, '{% if x %}{% endif %}{% for %}'), {
    message: 'illegal tag: {% for %}',
    col: 22,
    hint: 'check the Liquid syntax here: tags are written `{% ... %}`, values `{{ ... }}`',
  }, 'a broken tag that is not an unclosed block')
  t.has(compileError(renderer, '{% if x %}\n{% endif'), { hint: 'close the tag with `%}`' })
  t.equal(compileError(renderer, '{% iff name %}{% endif %}').hint, "Liquid's tags are #, assign, block, break, capture, case, " +
    'comment, continue, cycle, decrement, echo, for, if, include, increment, layout, liquid, raw, render, tablerow, unless', 'sorted')
})

t.test('what the engine writes out: text, nil, lists, numbers and booleans as Liquid prints them', async (t) => {
  const renderer = createLiquidRenderer({ root: partials })
  t.equal(await renderer.compile('{{ x }}|{{ n }}|{{ xs }}|{{ 1 }}|{{ b }}', main).render({ x: 's', n: null, xs: ['a', 'b'], b: true }),
    's||ab|1|true')
})

t.test('partials: names resolve against the folder, render sees the cluster, depth is counted per nesting', async (t) => {
  const root = t.testdir({
    'b.liquid': 'root-b',
    sub: { 'a.liquid': "{% include './b' %}", 'b.liquid': 'sub-b' },
    'self.liquid': "{% render 'self' %}",
    'leaf.liquid': 'L',
    'two.liquid': "{% include 'leaf' %}",
    'names.liquid': '{{ name }} {{ options.mtu }}',
    'big.liquid': 'x'.repeat(2000),
  })
  const renderer = (flags: string[] = []) => createLiquidRenderer({ root, limits: resolveLimits(flags) })
  const render = (source: string, flags: string[] = []) => renderer(flags).compile(source, join(root, 'main.yml.liquid')).render(context)
  t.equal(await render("{% include 'sub/a' %}"), 'root-b', './ in a partial is the manifest folder, not the partial’s own')
  t.equal(await render("{% render 'names' %}"), 'custom_network 1400', '{% render %} isolates variables, not the cluster’s')
  t.equal(await render("{% include 'two' %}", ['partial-depth=2']), 'L', 'two levels fit a depth of two')
  await t.rejects(render("{% include 'two' %}", ['partial-depth=1']), {
    constructor: LimitError, limit: 'partial-depth', message: 'partials include each other too deeply (limit partial-depth: 1)',
  })
  t.equal(await render("{% include 'leaf' %}{% include 'leaf' %}{% render 'leaf' %}", ['partial-depth=1']), 'LLL', 'siblings do not add up')
  await t.rejects(render("{% render 'self' %}", ['partial-depth=4']), { constructor: LimitError, limit: 'partial-depth', file: join(root, 'self.liquid') },
    'render, like include, is bounded')
  await t.rejects(render("a: 1\n{% include 'big' %}", ['file-size=1000']), { constructor: LimitError, limit: 'file-size' },
    'a partial is input like any manifest')
})

t.test('each limit liquidjs enforces is reported by our name, at the template', async (t) => {
  const root = t.testdir({ 'wide.liquid': 'y'.repeat(100) })
  const render = (source: string, flags: string[]) =>
    createLiquidRenderer({ root, limits: resolveLimits(flags) }).compile(source, join(root, 't.yml.liquid')).render({})
  t.throws(() => createLiquidRenderer({ root, limits: resolveLimits(['file-size=1000']) }).compile(`a: 1\n${'x'.repeat(2000)}`, join(root, 't.yml.liquid')), {
    constructor: LimitError, limit: 'file-size', message: /^the template is too long to parse /, file: join(root, 't.yml.liquid'),
  })
  await t.rejects(render('{% for i in (1..10000000) %}{% for j in (1..10) %}{% endfor %}{% endfor %}', ['render-time=100ms']), {
    constructor: LimitError, limit: 'render-time', message: /^the template is still rendering /, line: 1, col: 1,
  })
  await t.rejects(render('a: 1\n{% for i in (1..100000000) %}{% endfor %}', []), {
    constructor: LimitError, limit: 'output-size', message: /^the template builds too much text /, line: 2, col: 1,
  })
  await t.rejects(render("a: 1\n{% for i in (1..50) %}{% include 'wide' %}{% endfor %}", ['output-size=1000']), {
    constructor: LimitError, limit: 'output-size', message: /^the templates render too much output /, file: join(root, 'wide.liquid'), line: 1, col: 1,
  })
})
