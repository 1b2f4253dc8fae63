import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { codeFrame, TemplateError } from '../../src/errors.js'
import { Budget, LimitError, resolveLimits } from '../../src/limits.js'
import { compileErb } from '../../src/render/erb.js'
import { KEY_GUARD } from '../../src/render/erb/guard.js'
import { fixturesDir, repoRoot } from '../helpers/paths.js'

const render = (source: string, context: Record<string, unknown> = {}): string =>
  compileErb(source, 'test.yml.erb').render(context)

function thrown(action: () => unknown): TemplateError {
  try {
    action()
  } catch (error) {
    if (error instanceof TemplateError) return error
    throw error
  }
  throw new Error('expected a TemplateError')
}

/** `line:col message` of the error `action` throws, after checking its frame is the code frame there. */
function failure(action: () => unknown, source: string): string {
  const error = thrown(action)
  if (error.frame !== codeFrame(source, error.line!, error.col)) throw new Error(`unexpected frame:\n${error.frame}`)
  return `${error.line}:${error.col} ${error.message}`
}

const compileFailure = (source: string): string => failure(() => compileErb(source, 'test.yml.erb'), source)
const renderFailure = (source: string, context: Record<string, unknown>): string => {
  const template = compileErb(source, 'test.yml.erb')
  return failure(() => template.render(context), source)
}

t.test("renders the spec's 04-config-map.yml.erb unchanged", async (t) => {
  const dir = join(fixturesDir, 'erb-spec')
  const source = await readFile(join(dir, '04-config-map.yml.erb'), 'utf8')
  const spec = await readFile(join(repoRoot, '..', 'shared', 'spec', 'custom-networking.md'), 'utf8')
  t.ok(spec.includes(`_04-config-map.yml.erb_\n\`\`\`yaml\n${source}\`\`\``), 'the fixture is the spec’s file, verbatim')
  const network = {
    provider: 'custom',
    pod_network_cidr: '172.31.0.0/16',
    service_cidr: '172.32.0.0/16',
    custom: { manifest_path: './flannel/', options: {} },
  }
  const context = { cluster_config: { network, networking: network }, options: {}, name: 'custom_network' }
  const expected = await readFile(join(dir, '04-config-map.yml'), 'utf8')
  t.equal(compileErb(source, '04-config-map.yml.erb').render(context), expected)
  const options = { cluster_config: { networking: { custom: { options: { option_name: 'x' } } } } }
  t.equal(render('<%= cluster_config.networking.custom.options.option_name %>', options), 'x',
    'the spelling the spec gives for options')
})

t.test('renders a Pharos-style template as Ruby does (output recorded from Ruby)', async (t) => {
  const dir = join(fixturesDir, 'erb-features')
  const context = JSON.parse(await readFile(join(dir, 'context.json'), 'utf8')) as Record<string, unknown>
  const template = compileErb(await readFile(join(dir, 'daemon-set.yml.erb'), 'utf8'), 'daemon-set.yml.erb')
  t.equal(template.render(context), await readFile(join(dir, 'daemon-set.yml'), 'utf8'))
})

t.test('the Ruby templates use renders as Ruby renders it (expected.json recorded from Ruby 3.1 by record.rb)', async (t) => {
  const dir = join(fixturesDir, 'erb-recorded')
  const read = async (name: string): Promise<unknown> => JSON.parse(await readFile(join(dir, name), 'utf8')) as unknown
  const [cases, expected] = [await read('cases.json') as string[], await read('expected.json') as string[]]
  const context = await read('context.json') as Record<string, unknown>
  t.equal(cases.length, expected.length)
  // Each render gets its own copy: templates may change the hashes and arrays they are given.
  cases.forEach((source, i) => t.equal(render(source, structuredClone(context)), expected[i], source.slice(0, 60)))
})

t.test('if, elsif, else, unless', async (t) => {
  const ladder = '<% if a %>A<% elsif b %>B<% else %>C<% end %>'
  t.equal(render(ladder, { a: true, b: true }), 'A')
  t.equal(render(ladder, { a: false, b: 'yes' }), 'B')
  t.equal(render(ladder, { a: null, b: false }), 'C')
  t.equal(render('<% if a then %>T<% end %>', { a: 1 }), 'T')
  const unless = '<% unless a %>U<% else %>E<% end %>'
  t.equal(render(unless, { a: false }), 'U')
  t.equal(render(unless, { a: 'x' }), 'E')
  t.equal(render('<% if a %><% if b %>AB<% else %>A<% end %><% end %>', { a: true, b: false }), 'A', 'nested')
  t.equal(render('a<% %>b'), 'ab', 'an empty code tag does nothing')
})

t.test('truthiness is Ruby’s: only nil and false are falsy', async (t) => {
  const truthy = '<% if v %>T<% else %>F<% end %>'
  for (const value of [0, '', [], {}, 'false']) t.equal(render(truthy, { v: value }), 'T', JSON.stringify(value))
  for (const value of [null, undefined, false]) t.equal(render(truthy, { v: value }), 'F', String(value))
  t.equal(render("<%= a || 'default' %>|<%= s && 'and' %>|<%= a && 'x' %>", { a: null, s: '' }), 'default|and|')
  t.equal(render('<%= !a %> <%= !s %> <%= not a %> <%= (a or s) == s %> <%= a and s %>', { a: null, s: '' }),
    'true false true true ')
  const context = { a: undefined, n: 0, xs: [1, [2]], ys: [1, [2]], h: { a: { b: 1 } }, g: { a: { b: 1 } } }
  t.equal(render("<%= a == nil %> <%= n != 0 %> <%= 1 == 1.0 %> <%= xs == ys %> <%= h == g %> <%= '1' == 1 %>", context),
    'true false true true true false')
})

t.test('values print as Ruby prints them', async (t) => {
  t.equal(render('[<%= nil %>][<%= n %>][<%= true %>][<%= false %>][<%= s %>]', { n: null, s: 'raw "text"' }),
    '[][][true][false][raw "text"]')
  t.equal(render('<%= 42 %> <%= -3 %> <%= 1.5 %> <%= 0.0001 %> <%= 0.00001 %> <%= -2.5e-7 %> <%= big %>', { big: 1e21 }),
    '42 -3 1.5 0.0001 1.0e-05 -2.5e-07 1000000000000000000000')
  t.equal(render('<%= xs %>', { xs: ['a', 1, null, 2.5, true, ['b']] }), '["a", 1, nil, 2.5, true, ["b"]]')
  t.equal(render('<%= h %> <%= e %>', { h: { a: 1, b: { c: 'd"\n#{x}' } }, e: {} }),
    '{"a"=>1, "b"=>{"c"=>"d\\"\\n\\#{x}"}} {}')
})

t.test('each over arrays and hashes', async (t) => {
  t.equal(render('<% xs.each do |x| %>[<%= x %>]<% end %>', { xs: ['a', 'b'] }), '[a][b]')
  t.equal(render('<% xs.each do |x| %>[<%= x %>]<% end %>', { xs: [] }), '')
  t.equal(render('<% h.each do |k, v| %><%= k %>=<%= v %>;<% end %>', { h: { a: 1, b: 'two' } }), 'a=1;b=two;')
  t.equal(render('<% h.each do |pair| %><%= pair %><% end %>', { h: { a: 1 } }), '["a", 1]')
  t.equal(render('<% xs.each_with_index do |x, i| %><%= i %>:<%= x %> <% end %>', { xs: ['a', 'b'] }), '0:a 1:b ')
  t.equal(render('<% ps.each do |a, b| %><%= a %>/<%= b %>,<% end %>', { ps: [[1, 2], [3]] }), '1/2,3/,')
  const nested = '<% xs.each do |x| %><% ys.each do |y| %><%= x %><%= y %> <% end %><% end %><%= x %>'
  t.equal(render(nested, { xs: [1, 2], ys: ['a'], x: 'outer' }), '1a 2a outer',
    'block parameters shadow the context, which comes back after the block')
  const hosts = [{ address: '10.0.0.1' }, { address: '10.0.0.2' }]
  t.equal(render('<% hosts.each do |host| %><%= host.address %>,<% end %>', { hosts }), '10.0.0.1,10.0.0.2,')
})

t.test("trim mode '-' as Ruby's ERB (outputs recorded from Ruby 3.1)", async (t) => {
  const xs = ['a', 'b']
  t.equal(render('<% xs.each do |x| -%>\n  - <%= x %>\n<% end -%>\n', { xs }), '  - a\n  - b\n')
  t.equal(render('  <%- xs.each do |x| -%>\n  - <%= x %>\n  <%- end -%>\ntail\n', { xs }), '  - a\n  - b\ntail\n')
  t.equal(render('a  <%- if true -%>  b\n<%- if true -%>\r\nc\n\t <%- end %>\nd<% end %>'), 'a    b\nc\n\nd')
  t.equal(render('<%= 1 %>  <%- if true -%>\n  <%- end -%>x'), '1x', 'blanks right after a tag count as a line start')
  t.equal(render('x  <%- if true -%>z<%- end -%>'), 'x  z')
  t.equal(render('<%%  <%- if true %>Y<% end %>x|<%# c %>\t<%- if true -%>\n  Z\n <%- end -%>\n\n'), '<%Yx|  Z\n\n')
  t.equal(render('<%= 1 -%>\n2 <%= 3 -%> 4'), '12 3 4', '`-%>` eats a newline only')
})

t.test("trims as Pharos' ERB.new(source, nil, '%<>-') did (outputs recorded from Ruby by record.rb)", async (t) => {
  const dir = join(fixturesDir, 'erb-trim')
  const context = JSON.parse(await readFile(join(dir, 'context.json'), 'utf8')) as Record<string, unknown>
  const templates = (await readdir(dir)).filter((name) => name.endsWith('.yml.erb')).sort()
  t.same(templates, ['column-one.yml.erb', 'dash.yml.erb', 'indented.yml.erb', 'same-line.yml.erb'])
  for (const name of templates) {
    const expected = await readFile(join(dir, name.slice(0, -'.erb'.length)), 'utf8')
    t.equal(compileErb(await readFile(join(dir, name), 'utf8'), name).render(context), expected, name)
  }
  const xs = ['a', 'b']
  t.equal(render('<% xs.each do |x| %>\n  - <%= x %>\n<% end %>\n', { xs }), '\n  - a\n\n  - b\n\n',
    'a tag alone on its line keeps its newline: `-` wins over `<>` in Ruby')
  t.equal(render('%YAML 1.2\n% if true\n<%= 1 %>\n% end\n'), '%YAML 1.2\n% if true\n1\n% end\n',
    'lines starting with % stay text')
})

t.test('comments and literal tags', async (t) => {
  t.equal(render('a<%# a comment -%>\nb<%# c %>\nc'), 'ab\nc')
  t.equal(render('<%# a comment ends at the first %>, as in Ruby %>'), ', as in Ruby %>')
  t.equal(render('<%% literal %> <%%= x %> %%>'), '<% literal %> <%= x %> %%>')
  t.equal(render('<%= "a%%>b" %>|<%= \'c%%>d\' %>'), 'a%>b|c%>d', '`%%>` keeps a tag open')
})

t.test('string literals', async (t) => {
  t.equal(render('<%= "x#{h[\'a\']}y#{"n#{1}"}\\t\\u00e9\\#{no}" %>', { h: { a: 1 } }), 'x1yn1\té#{no}')
  t.equal(render('<%= \'a\\\'b\\\\c\\n#{x}\' %>'), 'a\'b\\c\\n#{x}', 'single quotes: no escapes but \\\' and \\\\')
})

t.test('methods', async (t) => {
  const context = { s: 'Ünïcode', xs: [1, 2, 3], h: { k: 'v', j: 2 }, e: [], n: null }
  t.equal(render('<%= s.upcase %> <%= s.downcase %> <%= s.size %> <%= s.length %> <%= xs.first %> <%= xs.last %>', context),
    'ÜNÏCODE ünïcode 7 7 1 3')
  t.equal(render('<%= h.first %> <%= e.first.nil? %> <%= e.empty? %> <%= s.empty? %> <%= h.size %> <%= xs.length %>', context),
    '["k", "v"] true true false 2 3')
  t.equal(render('<%= n.nil? %> <%= s.nil? %> <%= s.upcase() %>', context), 'true false ÜNÏCODE')
  const joined = { xs: ['a', 1, null, ['b', ['c']]], ys: [{ a: 1 }] }
  t.equal(render('<%= xs.join %>|<%= xs.join(", ") %>|<%= ys.join("-") %>', joined), 'a1bc|a, 1, , b, c|{"a"=>1}')
  const numbers = { a: ' 12abc', b: 'x', c: '-1_000' }
  t.equal(render('<%= a.to_i %> <%= b.to_i %> <%= c.to_i %> <%= nil.to_i %> <%= 2.9.to_i %> <%= -2.9.to_i %>', numbers),
    '12 0 -1000 0 2 -2')
  t.equal(render('<%= 7.to_s.size %>[<%= nil.to_s %>]'), '1[]')
  const keys = { h: { a: 1, n: null }, ENV: {} }
  t.equal(render('<%= h.key?("a") %> <%= h.key?("q") %> <%= h.key?("n") %> <%= h.fetch("q", "d") %>', keys), 'true false true d')
  t.equal(render('<%= h.fetch("a") %> <%= ENV.fetch("HOME", "~") %>', keys), '1 ~')
})

t.test('to_json', async (t) => {
  const config = { Network: '172.31.0.0/16', Backend: { Type: 'vxlan', Port: 8472 }, flags: [true, null, 1.5, 'a"b/é\t'] }
  t.equal(render('<%= config.to_json %>', { config: { ...config, unset: undefined } }),
    '{"Network":"172.31.0.0/16","Backend":{"Type":"vxlan","Port":8472},"flags":[true,null,1.5,"a\\"b/é\\t"]}')
  t.equal(render('<%= nil.to_json %> <%= "s".to_json %> <%= xs.to_json %> <%= 1.to_json %>', { xs: [] }), 'null "s" [] 1')
})

t.test('hash access: ["key"] and .key both work; a missing ["key"] is nil', async (t) => {
  const context = { options: { mtu: 1450, 'key-with-dash': 'd', nested: { list: ['a', 'b'] } } }
  t.equal(render(`<%= options['mtu'] %> <%= options["mtu"] %> <%= options.mtu %>`, context), '1450 1450 1450')
  t.equal(render("<%= options['key-with-dash'] %> <%= options.nested.list[1] %> <%= options['nested']['list'][-1] %>", context),
    'd b b')
  t.equal(render("[<%= options['missing'] %>] <%= options['missing'].nil? %> <%= options.nested.list[5].nil? %>", context),
    '[] true true')
  t.equal(render('<%= h.size %> <%= h.first %> <%= h.mtu %>', { h: { size: 'key', first: 'also', mtu: 1 } }), '3 ["size", "key"] 1',
    'a Ruby method wins over a key of the same name; a key no method has answers as a shortcut')
  t.equal(render('<%= h.size() %>', { h: { size: 'key' } }), '1', 'with parentheses it is the method')
})

t.test("a key named like a Ruby Hash method the subset lacks is refused by name; a struct's attributes answer first", async (t) => {
  t.equal(renderProblem('<%= options.default %>', { options: { default: 'x' } }),
    "1:13 `default` is a method of Ruby's Hash that the ERB subset does not have | Ruby would call the method, not read the key; read the key with options['default']")
  t.equal(render("<%= options['default'] %> <%= options.mtu %>", { options: { default: 'x', mtu: 1 } }), 'x 1')
  const taint = { key: 'node-role', value: 'master', effect: 'NoSchedule' }
  Object.defineProperty(taint, KEY_GUARD, { value: (name: string) => (name in taint ? undefined : { message: `no ${name}`, hint: 'h' }), enumerable: false })
  t.equal(render('<%= taint.key %>=<%= taint.value %>:<%= taint.effect %> <%= taint.size %>', { taint }), 'node-role=master:NoSchedule 3',
    'a guarded hash stands for a struct: its attributes answer before Hash methods of the same name')
  t.equal(renderFailure('<%= taint.nope %>', { taint }), '1:11 no nope')
})

t.test('prototype keys never resolve', async (t) => {
  const context = { c: { a: 1 }, xs: [1], s: 'str' }
  t.equal(render("[<%= c['constructor'] %>][<%= c['__proto__'] %>][<%= c['toString'] %>]", context), '[][][]')
  t.equal(render("<%= c.key?('constructor') %> <%= c.fetch('__proto__', 2) %>", context), 'false 2')
  t.equal(renderFailure('<%= c.constructor %>', context), '1:7 undefined method or key `constructor` for c')
  t.equal(renderFailure('<%= c.__proto__ %>', context), '1:7 undefined method or key `__proto__` for c')
  t.equal(renderFailure('<%= xs.constructor %>', context), '1:8 undefined method `constructor` for xs (an Array)')
  t.equal(renderFailure('<%= s.length.constructor %>', context),
    '1:14 undefined method `constructor` for s.length (an Integer)')
  t.equal(renderFailure('<%= constructor %>', context), '1:5 undefined local variable or method `constructor`')
  t.equal(renderFailure('<%= __proto__ %>', {}), '1:5 undefined local variable or method `__proto__`')
})

t.test('a template is parsed once and rendered many times', async (t) => {
  const template = compileErb('<%= a.b %>', 'test.yml.erb')
  t.equal(template.render({ a: { b: 1 } }), '1')
  t.equal(template.render({ a: { b: 2 } }), '2')
  t.throws(() => template.render({}), TemplateError, 'runtime errors come from render, not compile')
})

t.test('unsupported constructs fail at compile time, at their own line and column', async (t) => {
  // The expression starts at column 12 of line 3.
  const expressions: [code: string, expected: string][] = [
    ['`ls`', '3:12 `` `ls` `` is not supported by the ERB subset'],
    ['system("ls")', '3:12 `system(…)` is not supported by the ERB subset'],
    ['File.read("/etc/passwd")', '3:12 `File.read` is not supported by the ERB subset'],
    ['require "json"', '3:12 `require` is not supported by the ERB subset'],
    ['a ^ 1', '3:14 `^` is not supported by the ERB subset'],
    ['a.b = 1', '3:16 `a.b =` is not supported by the ERB subset'],
    ['->(x) { x }', '3:12 `->` is not supported by the ERB subset'],
    ['@var', '3:12 `@var` is not supported by the ERB subset'],
    ['self', '3:12 `self` is not supported by the ERB subset'],
    ['a rescue b', '3:14 `rescue` is not supported by the ERB subset'],
    ['/a#{b}/', '3:14 `#{…} in a regexp` is not supported by the ERB subset'],
    ['/(a+)+/', '3:17 a repeated group that repeats or alternates inside can backtrack for minutes; not supported in an ERB regexp'],
    ['/(a|b)*/', '3:18 a repeated group that repeats or alternates inside can backtrack for minutes; not supported in an ERB regexp'],
    ['/(a)\\1/', '3:16 `\\1` is not supported in an ERB regexp'],
    ['/(?=a)/', '3:13 lookaround, atomic groups and inline options are not supported in an ERB regexp'],
    ['xs.map do |x| %><% end %><%= 1', '3:19 `do … end across tags inside an expression` is not supported by the ERB subset'],
  ]
  for (const [code, expected] of expressions) {
    t.equal(compileFailure(`kind: ConfigMap\ndata:\n  key: <%= ${code} %>\n`), expected, code)
  }
  // The statement starts at column 9 of line 3.
  const statements: [code: string, expected: string][] = [
    ['def x', '3:9 `def` is not supported by the ERB subset'],
    ['while true', '3:9 `while` is not supported by the ERB subset'],
    ['begin', '3:9 `begin` is not supported by the ERB subset'],
    ['# a comment', '3:9 a Ruby comment inside a code tag is not supported by the ERB subset'],
  ]
  for (const [code, expected] of statements) t.equal(compileFailure(`a: 1\nb:\n  - <%- ${code} %>\n`), expected, code)

  const error = thrown(() => compileErb('x\n  y: <%= `ls` %>', 'manifests/01.yml.erb'))
  t.equal(error.file, 'manifests/01.yml.erb')
  t.match(error.hint, /Liquid template \(\.yml\.liquid\)/)
  t.equal(error.frame, '  1 | x\n> 2 |   y: <%= `ls` %>\n    |          ^')
})

t.test('syntax errors', async (t) => {
  t.equal(compileFailure('a: 1\n  b: <%= x.y\nc: 2\n'), '2:6 unclosed ERB tag, expected `%>`')
  t.equal(compileFailure('a\n<% if x %>\n  <% xs.each do |y| %>\n  <% end %>\n'), '2:4 `if` without a matching `end`')
  t.equal(compileFailure('a\n<% if x %>\n<% end %>\n  <%- end -%>\n'),
    '4:7 `end` without a matching `if`, `unless`, `case`, `for` or `do`')
  t.equal(compileFailure('<% xs.each do |x| %>\n<% else %>\n<% end %>'), '2:4 `else` without a matching `if`')
  t.equal(compileFailure('<% if a %><% else %><% elsif b %><% end %>'), '1:24 `elsif` after `else`')
  t.equal(compileFailure('<% unless a %><% elsif b %><% end %>'), '1:18 `elsif` cannot follow `unless`')
  t.equal(compileFailure('<% if a %>\n<% else if b %><% end %>'), '2:4 `else if` opens a new `if`; Ruby writes `elsif`')
  t.equal(compileFailure('x\n <%= %>'), '2:6 expected an expression, found the end of the tag')
  t.equal(compileFailure('<%= "abc %>'), '1:5 unterminated string literal')
  t.equal(compileFailure('<%= a == b == c %>'), '1:12 unexpected `==`, expected the end of the tag')
  t.equal(render('<% x %>', { x: 1 }), '', 'a code tag runs its code and prints nothing')
})

t.test('runtime errors name the expression and point at it', async (t) => {
  const network = { provider: 'custom', pod_network_cidr: '172.31.0.0/16', service_cidr: '10.96.0.0/12', custom: null }
  const context = { cluster_config: { network }, xs: ['a'], s: 'str' }
  const source = 'data:\n  cidr: <%= cluster_config.network.pod_cidr %>\n'
  t.equal(renderFailure(source, context), '2:36 undefined method or key `pod_cidr` for cluster_config.network')
  t.equal(thrown(() => compileErb(source, 'x').render(context)).hint,
    'cluster_config.network has the keys provider, pod_network_cidr, service_cidr, custom; ' +
    "cluster_config.network['pod_cidr'] gives nil when the key may be missing")
  t.equal(renderFailure('a: <%= cluster_config.network.custom.options.mtu %>', context),
    '1:38 undefined method `options` for nil (cluster_config.network.custom is nil)')
  t.equal(renderFailure("a: <%= cluster_config.network.custom['mtu'] %>", context),
    '1:37 undefined method `[]` for nil (cluster_config.network.custom is nil)')
  t.equal(renderFailure('\n <%= clusterconfig.network %>', context), '2:6 undefined local variable or method `clusterconfig`')
  t.equal(renderFailure('<%= xs.upcase %>', context), '1:8 undefined method `upcase` for xs (an Array)')
  t.equal(renderFailure('<%= xs["a"] %>', context), '1:7 no implicit conversion of String into Integer')
  t.equal(renderFailure('<%= xs.join(",", 1) %>', context),
    '1:8 wrong number of arguments for `join` (given 2, expected 0..1)')
  t.equal(renderFailure('<%= ENV.fetch("X") %>', { ENV: {} }), '1:9 key not found: "X"')
  t.equal(renderFailure('\n<% s.each do |c| %><% end %>', context), '2:6 undefined method `each` for s (a String)')
  t.equal(renderFailure('<%= f %>', { f: () => 1 }), '1:5 cannot print a JavaScript function')
  t.equal(thrown(() => compileErb('<%= nope %>', 'x').render({ a: 1, b: 2 })).hint, 'the variables are: a, b')
})

t.test('a render spends at most template-steps steps, render-time and output-size', async (t) => {
  const list = Array.from({ length: 100 }, (_, i) => i)
  const loops = '<% xs.each do |a| %><% xs.each do |b| %><% xs.each do |c| %>.<% end %><% end %><% end %>'
  const template = compileErb(`a: 1\n${loops}\n`, 'loops.yml.erb')
  t.throws(() => template.render({ xs: list }, { limits: resolveLimits(['template-steps=5000']) }), {
    constructor: LimitError, limit: 'template-steps', file: 'loops.yml.erb', line: 2, message: /5000 evaluation steps and not done/,
  })
  const limits = resolveLimits(['output-size=1000'])
  t.throws(() => template.render({ xs: list }, { limits }), { constructor: LimitError, limit: 'output-size', line: 2 })
  const budget = new Budget('output-size', resolveLimits(['output-size=20']))
  const small = compileErb('0123456789', 'small.yml.erb')
  small.render({}, { limits, outputBudget: budget })
  small.render({}, { limits, outputBudget: budget })
  t.throws(() => small.render({}, { limits, outputBudget: budget }), { limit: 'output-size' }, 'the budget is shared by every template of a run')
  t.equal(template.render({ xs: list.slice(0, 3) }), `a: 1\n${'.'.repeat(27)}\n`, 'within the limits nothing changes')
  t.throws(() => compileErb(`<%= ${'('.repeat(20000)}1${')'.repeat(20000)} %>`, 'deep.yml.erb'), { message: /nested too deeply/ })
})

/** `line:col message | hint` of the error `action` throws. */
function problem(action: () => unknown, source: string): string {
  const error = thrown(action)
  return `${failure(() => { throw error }, source)} | ${error.hint}`
}
const compileProblem = (source: string): string => problem(() => compileErb(source, 'test.yml.erb'), source)
const renderProblem = (source: string, context: Record<string, unknown>): string =>
  problem(() => compileErb(source, 'test.yml.erb').render(context), source)

// The hint every unsupported construct gets: written out here, so that a change to it is seen.
const SUBSET =
  'the ERB subset is plain data and the Ruby the README lists (literals, paths, operators, if/unless/case, ' +
  'blocks, local variables and the common methods of String, Array and Hash); ' +
  'for anything more, write the file as a Liquid template (.yml.liquid)'

t.test('every Ruby keyword outside the subset is refused by name; the subset’s own are out of place as values', async (t) => {
  const refused = [
    'alias', 'begin', 'BEGIN', 'class', 'def', 'defined?', 'END', 'ensure', 'module',
    'redo', 'rescue', 'retry', 'return', 'self', 'super', 'undef', 'until', 'while', 'yield',
    '__FILE__', '__LINE__', '__ENCODING__', '__method__',
  ]
  for (const word of refused) {
    t.equal(compileProblem(`<%= ${word} %>`), `1:5 \`${word}\` is not supported by the ERB subset | ${SUBSET}`, word)
    t.equal(compileFailure(`<%= a == ${word} %>`), `1:10 \`${word}\` is not supported by the ERB subset`, `${word} after ==`)
  }
  for (const word of ['elsif', 'else', 'end', 'do', 'then', 'and', 'or', 'when', 'for', 'in']) {
    t.equal(compileProblem(`<%= ${word} %>`), `1:5 unexpected \`${word}\`, expected an expression | ${SUBSET}`, word)
  }
  t.equal(render('<%= true %> <%= false %> <%= nil.nil? %> <%= not nil %>'), 'true false true true', 'literals and not')
  t.equal(renderProblem('a\n<% next if true %>', {}),
    '2:4 `next` outside a block | `next` leaves a block: use it inside `each do … end` or `{ … }`')
  t.equal(render('<% [1, 2, 3].each do |x| %><% next if x == 2 %><% break if x == 3 %><%= x %><% end %>|<%= [1, 2].map { |x| next 0 if x == 1; x } %>|<%= [1, 2].each { |x| break x * 10 } %>'),
    '1|[0, 2]|10', 'next and break')
  t.equal(render('<%= a if b %>|<%= a unless b %>|<%= a if b if c %>', { a: 1, b: false, c: true }), '|1|', 'modifiers')
  t.equal(render('[<%= (a if b) %>]', { a: 1, b: false }), '[]', 'a modified statement in parentheses')
  t.equal(compileFailure('<%= a while b %>'), '1:7 `while` is not supported by the ERB subset')
  t.equal(compileFailure('<%= a b %>'), '1:5 `a` is not supported by the ERB subset', 'a method called without parentheses')
  t.equal(compileFailure('<%= puts "x" %>'), '1:5 `puts` is not supported by the ERB subset')
  t.equal(compileFailure('<%= p 1 %>'), '1:5 `p` is not supported by the ERB subset')
  t.equal(compileFailure('<%= a"x" %>'), '1:6 unexpected `"x"`, expected the end of the tag', 'no space: not a command call')
  t.equal(compileFailure('<%= a 1 == b %>'), '1:5 `a` is not supported by the ERB subset')
  t.equal(compileFailure('<%= a and end %>'), '1:11 unexpected `end`, expected an expression')
})

t.test('every operator outside the subset is refused by name', async (t) => {
  const operators = ['**=', '>>=', '>>', '::', '->', '|=', '&=', '^=', '^']
  for (const op of operators) {
    t.equal(compileProblem(`<%= a ${op} b %>`), `1:7 \`${op}\` is not supported by the ERB subset | ${SUBSET}`, op)
  }
  t.equal(compileFailure('<%= Kernel::exit %>'), '1:5 `Kernel::exit` is not supported by the ERB subset')
  t.equal(compileFailure('<%= Base64.crypt(x) %>'), '1:5 `Base64.crypt` is not supported by the ERB subset')
  t.equal(render('<%= Integer %> <%= 1.is_a?(Integer) %> <%= x.class %>', { x: 1.5 }), 'Integer true Float', 'class names are values')
  t.equal(compileFailure('<%= Hash.new %>'), '1:5 `Hash.new` is not supported by the ERB subset')
})

t.test('lexing: sigils, symbols, backticks, numbers and string escapes', async (t) => {
  for (const [code, shown] of [['$stdout', '`$stdout`'], ['@@x', '`@@x`'], ['@x', '`@x`'], ['`ls %>', '`` ` ``']]) {
    t.equal(compileFailure(`<%= ${code} %>`), `1:5 ${shown} is not supported by the ERB subset`, code)
  }
  t.equal(compileFailure('<%= a `b` %>'), '1:7 `` `b` `` is not supported by the ERB subset', 'a backtick string is one token')
  t.equal(render('<%= 1_000 %> <%= 2.5e-3 %> <%= 1e2 %> <%= 25e-1 %> <%= -1 %> <%= -2.5 %> <%= 12e-10 %>'), '1000 0.0025 100.0 2.5 -1 -2.5 1.2e-09')
  t.equal(render('<%= "a\\nb\\tc\\rd" %>'), 'a\nb\tc\rd')
  t.equal(render('<%= - 1 %> <%= -a %> <%= -2.abs %> <%= a-1 %> <%= a - -1 %>', { a: 3 }), '-1 -3 2 2 4', 'unary and binary minus')
  t.equal(render('<%= "\\s\\e\\a\\b\\f\\v\\0\\q\\x41\\x4g\\u{1F600}\\u00e9\\\n!" %>'),
    ' \x1b\x07\b\f\v\0qA\x04g😀é!', 'escapes as Ruby reads them; a backslash before a newline joins the lines')
  t.equal(render('<%= "\\u{10FFFF}".size %>'), '1')
  t.equal(render('<%= "\\qx41" %>'), 'qx41', 'an escape is read where the backslash is')
  t.equal(compileProblem('<%= "a\\u{110000}" %>'), '1:7 invalid Unicode code point (too large) | Unicode ends at \\u{10FFFF}')
  t.equal(render('<%= "#{a}#{b}" %>|<%= "" %>|<%= "#{c}" %>|<%= "x#{c}" %>', { a: 1, b: 2, c: '' }), '12|||x')
  t.equal(compileProblem('<%= "a#{b" %>'),
    '1:10 unterminated string literal | ERB ends a tag at the first `%>`, even inside a string; write `%%>` for a literal `%>`')
  t.equal(compileProblem('<%= "#{a %>'), '1:6 unterminated `#{` in a string | close the interpolation with `}`')
  t.equal(render('<%= "#{"}"}" %>'), '}', 'a string inside an interpolation may hold a brace')
})

t.test('parsing: precedence, chains and what each place expects', async (t) => {
  const context = { a: 1, b: 2, c: false }
  t.equal(render('<%= a != b %>|<%= a!=b %>|<%= a and b or c %>|<%= a or b and c %>|<%= (a || b) && c %>|<%= !a == b %>', context),
    'true|true|2|false|false|false')
  t.equal(render('<%= c || c || b %> <%= a && b && a %> <%= not not a %> <%= !!a %>', context), '2 1 true true')
  const failures: [code: string, expected: string][] = [
    ['<%= a. %>', '1:8 expected a method or key name, found the end of the tag'],
    ['<%= a.1 %>', '1:7 unexpected `1`, expected a method or key name'],
    ['<%= a[1 %>', '1:9 expected `,` or `]`, found the end of the tag'],
    ['<%= (a %>', '1:8 expected `)`, found the end of the tag'],
    ['<%= f(1 %>', '1:5 `f(…)` is not supported by the ERB subset'],
    ['<%= a.b(1 2) %>', '1:11 unexpected `2`, expected `,` or `)`'],
    ['<%= a.b(1, %>', '1:12 expected an expression, found the end of the tag'],
    ['<%= a ! b %>', '1:7 unexpected `!`, expected the end of the tag'],
    ['<%= a"x" %>', '1:6 unexpected `"x"`, expected the end of the tag'],
    ['<% x do %><% end %>', '1:6 unexpected `do`, expected the end of the tag'],
    ['<% xs.each do |1| %><% end %>', '1:16 unexpected `1`, expected a block parameter name'],
    ['<% xs.each do |X| %><% end %>', '1:16 unexpected `X`, expected a block parameter name'],
    ['<% xs.each do |end| %><% end %>', '1:16 unexpected `end`, expected a block parameter name'],
    ['<% xs.each do |self| %><% end %>', '1:16 `self` is not supported by the ERB subset'],
    ['<% xs.each do |a b| %><% end %>', '1:18 unexpected `b`, expected `,`'],
    ['<% if a then b %><% end %>', '1:16 expected `end`, found the end of the tag'],
    ['<% end if x %>', '1:8 `if` as a modifier is not supported by the ERB subset'],
    ['<% xs.each do |Xy| %><% end %>', '1:16 unexpected `Xy`, expected a block parameter name'],
    ['<% xs.each do |x?| %><% end %>', '1:16 unexpected `x?`, expected a block parameter name'],
    ['<% else x %>', '1:9 unexpected `x`, expected the end of the tag'],
  ]
  for (const [code, expected] of failures) t.equal(compileFailure(code), expected, code)
  t.equal(render('<% xs.each do %>x<% end %>', { xs: [1, 2] }), 'xx', 'a block without parameters')
  t.equal(render('<%= fooBar %>', { fooBar: 1 }), '1', 'a capital inside a name is not a constant')
  t.equal(compileProblem('<% # a comment %>'), '1:4 a Ruby comment inside a code tag is not supported by the ERB subset | ' +
    "Ruby's ERB would comment out the text after the tag too; write comments as `<%# … %>`")
})

t.test('values print as Ruby’s inspect and to_s print them, to the last escape', async (t) => {
  t.equal(render('<%= xs %>', { xs: ['"\\\n\t\r\f\v\b\x07\x1b#{#$#@#x\x01\x7fé'] }),
    '["\\"\\\\\\n\\t\\r\\f\\v\\b\\a\\e\\#{\\#$\\#@#x\\u0001\\u007Fé"]')
  t.equal(render('<%= f %> <%= g %> <%= n %>', { f: Infinity, g: -Infinity, n: NaN }), 'Infinity -Infinity NaN')
  t.equal(render('<%= 1234567890123456.8 %> <%= 123456789012345.67 %> <%= 0.001 %> <%= -0.5 %> <%= 0.5 %> <%= 1e-4 %>'),
    '1234567890123456.8 123456789012345.67 0.001 -0.5 0.5 0.0001', 'fixed notation up to 16 digits before the point')
  t.equal(render('<%= xs %> <%= h %>', { xs: [2 ** 60, -3], h: { a: true, b: null } }),
    '[1152921504606846976, -3] {"a"=>true, "b"=>nil}')
  t.equal(render('<%= h.to_json %> <%= xs.to_json %>', { h: { a: true, b: false, n: 2 ** 60 }, xs: [null, 'x'] }),
    '{"a":true,"b":false,"n":1152921504606846976} [null,"x"]')
  t.equal(renderFailure('<%= f.to_json %>', { f: NaN }), '1:7 NaN not allowed in JSON')
})

t.test('== compares as Ruby does', async (t) => {
  const context = { xs: [1, 2], ys: [1, 3], zs: [1], h: { a: 1 }, k: { a: 2 }, l: { b: 1 }, m: { a: 1, b: 2 }, u: { a: 1, b: undefined } }
  t.equal(render('<%= 1.5 == 1.5 %> <%= 1 == 2 %> <%= xs == ys %> <%= xs == zs %> <%= zs == xs %> <%= nil == false %> <%= h == xs %>', context),
    'true false false false false false false')
  t.equal(render('<%= h == k %> <%= h == l %> <%= h == m %> <%= m == h %> <%= h == u %> <%= nil == nil %>', context),
    'false false false false true true', 'a key holding undefined is no key')
})

t.test('each method, on the kinds it serves, with the arguments it takes', async (t) => {
  const arity: [code: string, expected: string][] = [
    ['n.to_s(1)', '1:7 invalid radix 1'],
    ['n.to_json(1)', '1:7 wrong number of arguments for `to_json` (given 1, expected 0)'],
    ['s.to_i(1)', '1:7 invalid radix 1'],
    ['n.nil?(1)', '1:7 wrong number of arguments for `nil?` (given 1, expected 0)'],
    ['s.empty?(1)', '1:7 wrong number of arguments for `empty?` (given 1, expected 0)'],
    ['s.size(1)', '1:7 wrong number of arguments for `size` (given 1, expected 0)'],
    ['s.length(1)', '1:7 wrong number of arguments for `length` (given 1, expected 0)'],
    ['s.upcase(1)', '1:7 wrong number of arguments for `upcase` (given 1, expected 0)'],
    ['s.downcase(1)', '1:7 wrong number of arguments for `downcase` (given 1, expected 0)'],
    ['xs.first(1, 2)', '1:8 wrong number of arguments for `first` (given 2, expected 0..1)'],
    ['xs.last(1, 2)', '1:8 wrong number of arguments for `last` (given 2, expected 0..1)'],
    ['h.key?', '1:7 wrong number of arguments for `key?` (given 0, expected 1)'],
    ['h.fetch', '1:7 wrong number of arguments for `fetch` (given 0, expected 1..2)'],
    ['h.fetch(1, 2, 3)', '1:7 wrong number of arguments for `fetch` (given 3, expected 1..2)'],
  ]
  const context = { n: 1, s: 'Ab😀', xs: [], h: {}, f: 2.5, b: true }
  for (const [code, expected] of arity) t.equal(renderFailure(`<%= ${code} %>`, context), expected, code)
  const liquid = 'for anything more, write the file as a Liquid template (.yml.liquid)'
  const undefinedMethods: [code: string, expected: string, kind: string][] = [
    ['f.upcase', '1:7 undefined method `upcase` for f (a Float)', 'a Float'],
    ['b.size', '1:7 undefined method `size` for b (a Boolean)', 'a Boolean'],
    ['h.upcase()', '1:7 undefined method `upcase` for h (a Hash)', 'a Hash'],
    ['n.last', '1:7 undefined method `last` for n (an Integer)', 'an Integer'],
    ['s.first', '1:7 undefined method `first` for s (a String)', 'a String'],
    ['xs.key?(1)', '1:8 undefined method `key?` for xs (an Array)', 'an Array'],
  ]
  for (const [code, expected, kind] of undefinedMethods) {
    t.equal(renderFailure(`<%= ${code} %>`, context), expected, code)
    const { hint } = thrown(() => render(`<%= ${code} %>`, context))
    t.match(hint, new RegExp(`^the ERB subset's methods for ${kind}: [^;]+; ${liquid.replace(/[.()]/g, '\\$&')}$`), `${code}: the hint lists the methods`)
  }
  t.match(thrown(() => render('<%= xs.key?(1) %>', context)).hint, /: [^;]*\binclude\?, /, 'an Array’s list names include?')
  t.equal(renderProblem('<%= h.upcase %>', context),
    "1:7 undefined method or key `upcase` for h | h has the keys (none); h['upcase'] gives nil when the key may be missing")

  t.equal(render('<%= n.to_s %> <%= f.to_s %> <%= b.to_s %> <%= xs.to_s %> <%= h.to_s %> <%= b.to_json %> <%= b.nil? %>', context),
    '1 2.5 true [] {} true false')
  t.equal(render('<%= s.size %> <%= s.length %> <%= s.empty? %> <%= h.empty? %> <%= xs.empty? %> <%= s.upcase %> <%= s.downcase %>', context),
    '3 3 false true true AB😀 ab😀', 'sizes count characters, not UTF-16 units')
  t.equal(render('[<%= xs.first %>][<%= xs.last %>][<%= h.first %>] <%= u.size %> <%= u.first %>', { ...context, u: { a: undefined, b: 1 } }),
    '[][][] 1 ["b", 1]')
  t.equal(render('<%= big.to_i %> <%= x.to_i %> <%= f.to_i %> <%= n.to_i %> <%= " -7".to_i %>', { ...context, big: 1e21, x: 'x12' }),
    '1000000000000000000000 0 2 1 -7')
  t.equal(renderFailure('<%= f.to_i %>', { f: -Infinity }), '1:7 -Infinity cannot be an Integer')
  t.equal(render('<%= xs.join(nil) %>|<%= xs.join("") %>', { xs: [1, 2] }), '12|12')
  t.equal(renderProblem('<%= xs.join(1) %>', context), "1:8 no implicit conversion of Integer into String | quote it: join(', ')")
  const keys = { h: { n: null, u: undefined, z: 0 } }
  t.equal(render('<%= h.key?("n") %> <%= h.key?("u") %> <%= h.key?(1) %> <%= h.fetch("n").nil? %> <%= h.fetch("u", "d") %> <%= h.fetch("z") %>', keys),
    'true false false true d 0')
  t.equal(renderProblem('<%= h.fetch(1) %>', keys), '1:7 key not found: 1 | give a default, fetch(1, default), or test with key?(1)')
})

t.test('what cannot be indexed, called or looked up says why, and what to do', async (t) => {
  const context = { n: 1, nothing: null, f: () => 1, xs: ['a'], h: { 0: 'zero', '1.5': 'x', true: 'y' } }
  t.equal(renderProblem('<%= n[0] %>', context), '1:6 cannot index n (an Integer) | only hashes, arrays and strings can be indexed')
  t.equal(renderProblem('<%= f[0] %>', context), '1:6 cannot index f (a JavaScript function) | templates see plain data: strings, numbers, booleans, nil, arrays and hashes')
  t.equal(renderProblem('<%= xs["0"] %>', context), '1:7 no implicit conversion of String into Integer | use an integer index, e.g. [0]')
  t.equal(renderProblem('<%= f.x %>', context),
    '1:7 cannot use f (a JavaScript function) in a template | templates see plain data: strings, numbers, booleans, nil, arrays and hashes')
  t.equal(renderProblem('<%= f %>', context),
    '1:5 cannot print a JavaScript function | templates see plain data: strings, numbers, booleans, nil, arrays and hashes')
  t.equal(renderProblem('<%= nothing.x %>', context),
    "1:13 undefined method `x` for nil (nothing is nil) | test it first with `<% if nothing %>`, or give a default: `nothing || 'default'`")
  t.equal(renderProblem('<%= nothing[0] %>', context),
    "1:12 undefined method `[]` for nil (nothing is nil) | test it first with `<% if nothing %>`, or give a default: `nothing || 'default'`")
  t.equal(render('<%= h[0] %> [<%= h[1.5] %>] [<%= h[true] %>] [<%= h[nil] %>] <%= xs[0] %> <%= h["0"] %>', context), ' [] [] [] a zero',
    'an integer key finds the key YAML gave as a string; other kinds find nothing')
  const many = Object.fromEntries('abcdefghij'.split('').map((name) => [name, 1]))
  t.equal(thrown(() => render('<%= nope %>', many)).hint, 'the variables are: a, b, c, d, e, f, g, h, … (2 more)')
  t.equal(thrown(() => render('<%= nope %>', Object.fromEntries(Object.entries(many).slice(0, 8)))).hint,
    'the variables are: a, b, c, d, e, f, g, h')
  t.equal(thrown(() => render('<%= nope %>', {})).hint, 'the variables are: (none)')
})

t.test('blocks: every mismatch is located and says how to mend it', async (t) => {
  const problems: [code: string, expected: string][] = [
    ['<% else %>', '1:4 `else` without a matching `if` | start the block with `<% if condition %>`'],
    ['<% elsif a %>', '1:4 `elsif` without a matching `if` | start the block with `<% if condition %>`'],
    ['<% end %>', '1:4 `end` without a matching `if`, `unless`, `case`, `for` or `do` | remove it, or check that the blocks above open where you expect'],
    ['<% xs.each do |x| %>', '1:7 `each` without a matching `end` | close the block with `<% end %>`'],
    ['<% if a %><% else %><% else %><% end %>', '1:24 `else` after `else` | `else` comes last in an if block'],
    ['<% unless a %><% elsif b %><% end %>', '1:18 `elsif` cannot follow `unless` | rewrite the block with `if`, or use `else`'],
    ['a\n<%= x', '2:1 unclosed ERB tag, expected `%>` | close the tag with `%>`; write `<%%` for a literal `<%`'],
    ['<% xs.each { |x| %><% end %>', '1:23 `end` cannot close `each` opened with `{` | close a `{ |x| %>` block with `<% } %>`'],
    ['<% xs.each do |x| %><% } %>', '1:24 `}` cannot close `each` opened without `{` | close it with `<% end %>`'],
    ['<% if a %><% } %>', '1:14 `}` cannot close `if` opened without `{` | close it with `<% end %>`'],
    ['<% } %>', '1:4 `}` without a matching `{ |x|` | remove it, or check that the blocks above open where you expect'],
    [`<%= ${'('.repeat(20000)}1${')'.repeat(20000)} %>`, '1:1 expression nested too deeply | write it with fewer levels of nesting'],
  ]
  for (const [code, expected] of problems) t.equal(compileProblem(code), expected, code.slice(0, 40))
  t.equal(renderProblem('<% xs.each do |x| %><% end %>', { xs: null }), '1:7 undefined method `each` for nil (xs is nil) | test it first with `<% if xs %>`, or give a default: `xs || \'default\'`')
  t.equal(renderFailure('<% n.each_with_index do |x| %><% end %>', { n: 1 }),
    '1:6 undefined method `each_with_index` for n (an Integer)')
  t.equal(render('<% xs.each_with_index do |x, i| %><%= x %>:<%= i %>,<% end %>', { xs: [[1, 2], [3]] }), '[1, 2]:0,[3]:1,',
    'each_with_index yields the item whole, arrays too')
  t.equal(render('<% xs.each_with_index do |x| %><%= x %>,<% end %>', { xs: ['a'] }), 'a,')
  t.equal(render('<% if a %>A<% elsif b %>B<% end %>|<% unless a %>U<% end %>', { a: false, b: false }), '|U', 'no branch, no else')
})

t.test('a render stops at render-time, and says so, even when every step is cheap', async (t) => {
  const list = Array.from({ length: 200 }, (_, i) => i)
  const template = compileErb('<% xs.each do |a| %><% xs.each do |b| %><% xs.each do |c| %><% end %><% end %><% end %>', 'slow.yml.erb')
  t.throws(() => template.render({ xs: list }, { limits: resolveLimits(['render-time=1ms', 'template-steps=100000000']) }), {
    constructor: LimitError, limit: 'render-time', file: 'slow.yml.erb', line: 1, message: /the template is still rendering/,
  })
  const output = compileErb('a: 1\n<% xs.each do |a| %>0123456789<% end %>', 'big.yml.erb')
  t.throws(() => output.render({ xs: list }, { limits: resolveLimits(['output-size=1000']) }), {
    constructor: LimitError, limit: 'output-size', line: 2, col: 7, message: /the templates render too much output/,
  })
})

t.test('blocks, ranges and repetition spend the same budgets as loops over the template', async (t) => {
  const steps = resolveLimits(['template-steps=1000'])
  for (const code of ['(1..10**9).each { |i| i }', '(10**9).times { }', '(1..10**9).map { |i| i }', '[1] * 10**9', '"x" * 10**12']) {
    t.throws(() => compileErb(`<%= ${code} %>`, 'big.yml.erb').render({}, { limits: steps }), { constructor: LimitError }, code)
  }
  t.throws(() => compileErb('<%= 2 ** (2 ** 40) %>', 'pow.yml.erb').render({}), { message: /too large a number/ })
  t.equal(render('<%= 2 ** 100 %>'), '1267650600228229401496703205376')
})

t.test('a regexp that could backtrack for long runs apart and stops at render-time', async (t) => {
  t.equal(render('<%= ("a " * 3000).gsub(/\\s+/, "_").size %> <%= ("ab" * 3000).scan(/a+b/).size %> <%= ("x," * 2000).split(/,\\s*/).size %>'),
    '6000 3000 2000', 'long texts with repetitions: run on the worker, same results')
  const started = Date.now()
  t.throws(() => compileErb('a: 1\nb: <%= ("a" * 20000).match?(/a*a*a*a*b/) %>', 'slow.yml.erb').render({}, { limits: resolveLimits(['render-time=300ms']) }), {
    constructor: LimitError, limit: 'render-time', line: 2, col: 22, message: /a regexp match is still running/,
  })
  t.ok(Date.now() - started < 5000, 'the match was stopped, not waited for')
  t.equal(render('<%= "b".match?(/a*a*a*a*b/) %>'), 'true', 'and the next match starts a new worker')
  t.equal(render('<%= ("a" * 30).sub(/a*a*b/, "x") %>'), 'a'.repeat(30), 'short texts run in place')
})

t.test('KEY_GUARD travels into the Ruby Hash: refused keys stay refused however they are read', async (t) => {
  const env = { A: '1' }
  Object.defineProperty(env, KEY_GUARD, { value: (key: string) => (key === 'A' ? undefined : { message: `no ${key}`, hint: 'allow it' }), enumerable: false })
  t.equal(render("<%= ENV['A'] %> <%= ENV.fetch('A') %> <%= ENV.keys %> <%= ENV.key?('A') %> <%= ENV.to_h %>", { ENV: env }), '1 1 ["A"] true {"A"=>"1"}')
  for (const code of ["ENV['B']", "ENV.fetch('B', 'x')", "ENV.key?('B')", "ENV.dig('B')", 'ENV.B', "ENV.values_at('B')"]) {
    t.equal(renderProblem(`<%= ${code} %>`, { ENV: env }).replace(/^1:\d+ /, ''), 'no B | allow it', code)
  }
})

t.test('format refuses a decimal rounding tie, which Ruby rounds its own way', async (t) => {
  for (const [code, shown] of [['"%.2f" % 2.675', '2.675e+0'], ['format("%.1f", 0.45)', '4.5e-1'], ['"%.2e" % 9.995', '9.995e+0'], ['"%.1f" % -0.05', '5e-2']]) {
    t.equal(renderProblem(`<%= ${code} %>`, {}).replace(/^1:\d+ /, ''),
      `${shown} lies on a rounding tie that Ruby's format rounds its own way | round it first, e.g. value.round(2), whose result Ruby and this tool agree on`, code)
  }
  t.equal(render('<%= "%.2f" % 2.675.round(2) %> <%= "%.1f" % 2.25 %> <%= "%.2f" % 0.125 %>'), '2.68 2.2 0.12', 'rounded first, or a true binary tie')
})

t.test('to_yaml refuses what it would write differently from libyaml', async (t) => {
  t.equal(renderFailure('<%= "trail\\n".to_yaml %>', {}),
    '1:15 to_yaml: this string would be single-quoted over several lines, which the ERB subset does not write')
  t.equal(renderFailure('<%= ("word " * 20).to_yaml %>', {}),
    '1:20 to_yaml: a string this long with spaces would be folded by libyaml, which the ERB subset does not do')
  t.equal(renderFailure('<%= {nil => 1}.to_yaml %>', {}), '1:16 to_yaml: a nil, multi-line, Array or Hash key is not supported by the ERB subset')
})

t.test('a value that holds itself is an error where the render was, not a crash', async (t) => {
  t.equal(renderFailure('<% xs = [1] %>\n<% xs << xs %><%= xs %>', {}), '2:19 the value is nested too deeply, or holds itself')
})

t.test('values from YAML that Ruby has no plain form for', async (t) => {
  t.equal(renderProblem('<%= d %>', { d: new Date(0) }),
    '1:5 cannot print a date or time, which the ERB subset does not have | templates see plain data: strings, numbers, booleans, nil, arrays and hashes')
})

t.test('undefined, which YAML never gives but JavaScript callers might, is nil everywhere', async (t) => {
  const context = { xs: [undefined], s: 'x' }
  t.equal(render('<%= xs %> [<%= xs[0] %>] <% xs.each do |x| %>[<%= x %>]<%= x.nil? %><% if x %>T<% else %>F<% end %><% end %>', context),
    '[nil] [] []trueF')
  t.equal(renderFailure('<%= s[nil] %>', context), '1:6 no implicit conversion from nil to integer')
  t.equal(renderFailure('<%= xs[nil] %>', context), '1:7 no implicit conversion from nil to integer')
  t.equal(render('<%= s.to_s %> <%= v.to_json %> <%= "\\u0001".to_json %>', { ...context, v: '#{x}\x07' }), 'x "#{x}\\u0007" "\\u0001"',
    'to_json writes strings as JSON, not as inspect')
})

t.test("the README's ERB example renders as Ruby 3.1 renders it (output recorded from Ruby)", async (t) => {
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('### ERB (`.yml.erb`)'))
  const example = /```erb\n([\s\S]*?)```/.exec(section)![1]!
  const options = {
    mtu: 1400, backend: { type: 'VXLAN' }, pools: [{ cidr: '10.0.0.0/16' }, { cidr: '10.1.0.0/16' }], mode: 'ipip', token: 's3cret',
  }
  t.equal(render(example, { options }),
    'veth_mtu: 1380\nbackend: vxlan\npools: 10.0.0.0/16,10.1.0.0/16\nencapsulation: IPIP\ntoken: czNjcmV0\n')
})
