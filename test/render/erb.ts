import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { codeFrame, TemplateError } from '../../src/errors.js'
import { Budget, LimitError, resolveLimits } from '../../src/limits.js'
import { compileErb } from '../../src/render/erb.js'
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
  t.equal(render('<%= h.size %> <%= h.first %>', { h: { size: 'key wins', first: 'also' } }), 'key wins also',
    'without parentheses a key of the hash wins over a method of the same name')
  t.equal(render('<%= h.size() %>', { h: { size: 'key' } }), '1', 'with parentheses it is the method')
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
    ['a + 1', '3:14 `+` is not supported by the ERB subset'],
    ['x = 1', '3:14 `=` is not supported by the ERB subset'],
    ['a ? 1 : 2', '3:14 `?` is not supported by the ERB subset'],
    ['xs.map { |x| x }', '3:19 `{` is not supported by the ERB subset'],
    ['options[:mtu]', '3:20 `:mtu` is not supported by the ERB subset'],
    ['@var', '3:12 `@var` is not supported by the ERB subset'],
    ['self', '3:12 `self` is not supported by the ERB subset'],
    ['a&.b', '3:13 `&.` is not supported by the ERB subset'],
    ['a if b', '3:14 `if` as a modifier is not supported by the ERB subset'],
    ['xs.each', '3:15 `each` without a `do |x| … end` block is not supported by the ERB subset'],
    ['1; 2', '3:13 `;` is not supported by the ERB subset'],
  ]
  for (const [code, expected] of expressions) {
    t.equal(compileFailure(`kind: ConfigMap\ndata:\n  key: <%= ${code} %>\n`), expected, code)
  }
  // The statement starts at column 9 of line 3.
  const statements: [code: string, expected: string][] = [
    ['def x', '3:9 `def` is not supported by the ERB subset'],
    ['while true', '3:9 `while` is not supported by the ERB subset'],
    ['for x in xs', '3:9 `for` is not supported by the ERB subset'],
    ['xs.map do |x|', '3:12 `map do … end` is not supported by the ERB subset'],
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
    '4:7 `end` without a matching `if`, `unless` or `each`')
  t.equal(compileFailure('<% xs.each do |x| %>\n<% else %>\n<% end %>'), '2:4 `else` without a matching `if`')
  t.equal(compileFailure('<% if a %><% else %><% elsif b %><% end %>'), '1:24 `elsif` after `else`')
  t.equal(compileFailure('<% unless a %><% elsif b %><% end %>'), '1:18 `elsif` cannot follow `unless`')
  t.equal(compileFailure('<% if a %>\n<% else if b %><% end %>'), '2:4 `else if` opens a new `if`; Ruby writes `elsif`')
  t.equal(compileFailure('x\n <%= %>'), '2:6 expected an expression, found the end of the tag')
  t.equal(compileFailure('<%= "abc %>'), '1:5 unterminated string literal')
  t.equal(compileFailure('<%= a == b == c %>'), '1:12 unexpected `==`, expected the end of the tag')
  t.equal(compileFailure('<% x %>'),
    '1:4 a `<% %>` tag holds if/elsif/else/unless/end or `xs.each do |x|`; print a value with `<%= %>`')
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
  t.equal(renderFailure('<%= xs["a"] %>', context), '1:7 cannot index xs (an Array) with a String')
  t.equal(renderFailure('<%= xs.join(",", 1) %>', context),
    '1:8 wrong number of arguments for `join` (given 2, expected 0..1)')
  t.equal(renderFailure('<%= ENV.fetch("X") %>', { ENV: {} }), '1:9 key not found: "X"')
  t.equal(renderFailure('\n<% s.each do |c| %><% end %>', context), '2:4 undefined method `each` for s (a String)')
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
