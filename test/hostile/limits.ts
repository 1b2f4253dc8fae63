/**
 * Hostile input, the "exhaust memory or time" class: templates and YAML that grow without bound. Every case
 * runs the built CLI under a 256 MiB heap and a 20 s wall clock, and must end with exit 2 within seconds,
 * naming the limit it hit, how to raise it and where, with no stack trace, and nothing outside its sandbox
 * changed. Real sets stay far from every limit: ten copies of the calico corpus render and validate.
 */
import t, { type Test } from 'tap'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { corpusMissing } from '../helpers/corpus.js'
import { hostileSandbox, runHostile, snapshotTree, type HostileRun } from '../helpers/hostile.js'
import { corpusDir } from '../helpers/paths.js'
import { testSchemaDir } from '../helpers/schemas.js'

const config = (path = './net') => `network:\n  provider: custom\n  custom:\n    manifest_path: ${path}\n    options:\n      list: [${Array.from({ length: 100 }, (_, i) => i).join(', ')}]\n`
const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n${data}`

interface Case {
  /** Files of the sandbox's work folder. */
  files: Record<string, string | Buffer>
  args?: string[]
  limit: string
  /** The located first line of the error. */
  at: RegExp
}

const aliasList = `list: &big [${Array.from({ length: 4000 }, () => '"xxxxxxxx"').join(', ')}]\n`
const aliasBomb = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\nx: ${aliasList.replace('list: ', '')}data:\n${Array.from({ length: 999 }, (_, i) => `  k${i}: *big`).join('\n')}\n`
const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
for (let i = 1; i < 12; i++) laughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`)

const cases: Record<string, Case> = {
  ...Object.fromEntries([
    "'x' * 10 ** 11",
    '(1..100_000_000_000).to_a.size',
    '[1] * 1_000_000_000',
    '(1..1_000_000_000).map { |i| i }.size',
    "'%0999999999d' % 1",
    "format('%.999999999f', 1.0)",
    "'%999999999{a}' % { a: 1 }",
  ].map((expr) => [`ERB: ${expr} grows past the output budget without a loop`, {
    files: { 'cluster.yml': config(), 'net/01.yml.erb': cm(`  a: "<%= ${expr} %>"\n`) },
    limit: 'output-size',
    at: new RegExp(`^net/01\\.yml\\.erb:6:\\d+: error: the template builds a value of \\d+ items or characters \\(limit output-size: 64MiB\\)`),
  }])),
  'a Liquid partial that includes itself': {
    files: { 'cluster.yml': config(), 'net/01.yml.liquid': "{% include 'loop' %}\n", 'net/loop.liquid': "x{% include 'loop' %}\n" },
    limit: 'partial-depth',
    at: /^net\/loop\.liquid:1:2: error: .*\(limit partial-depth: 20\)/,
  },
  'two Liquid partials that render each other': {
    files: { 'cluster.yml': config(), 'net/01.yml.liquid': "{% render 'a' %}\n", 'net/a.liquid': "{% render 'b' %}", 'net/b.liquid': "{% render 'a' %}" },
    limit: 'partial-depth',
    at: /^net\/[ab]\.liquid:1:1: error: /,
  },
  'a Liquid partial that doubles itself': {
    files: { 'cluster.yml': config(), 'net/01.yml.liquid': "{% include 'p' %}\n", 'net/p.liquid': `${'y'.repeat(2000)}{% include 'p' %}{% include 'p' %}` },
    limit: 'partial-depth',
    at: /^net\/p\.liquid:1:2001: error: partials include each other too deeply/,
  },
  'Liquid partials that fan out': {
    files: {
      'cluster.yml': config(),
      'net/01.yml.liquid': "{% include 'a' %}\n",
      'net/a.liquid': "{% include 'b' %}".repeat(50),
      'net/b.liquid': "{% include 'c' %}".repeat(50),
      'net/c.liquid': 'y'.repeat(40_000),
    },
    limit: 'output-size',
    at: /^net\/[abc]\.liquid:1:\d+: error: the templates render too much output \(limit output-size: 64MiB\)/,
  },
  'a Liquid range of a hundred million': {
    files: { 'cluster.yml': config(), 'net/01.yml.liquid': '{% for i in (1..100000000) %}{{ i }}{% endfor %}\n' },
    limit: 'output-size',
    at: /^net\/01\.yml\.liquid:1:1: error: /,
  },
  'five nested Liquid loops over a hundred options': {
    files: {
      'cluster.yml': config(),
      'net/01.yml.liquid': '{% for a in options.list %}{% for b in options.list %}{% for c in options.list %}{% for d in options.list %}{% for e in options.list %}{{ e }}-{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}\n',
    },
    limit: 'render-time',
    at: /^net\/01\.yml\.liquid:1:\d+: error: the template is still rendering \(limit render-time: 5s\)/,
  },
  'nested Liquid loops that print nothing': {
    files: {
      'cluster.yml': config(),
      'net/01.yml.liquid': '{% for a in options.list %}{% for b in options.list %}{% for c in options.list %}{% for d in options.list %}{% for e in options.list %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}\n',
    },
    args: ['--limit', 'render-time=2s'],
    limit: 'render-time',
    at: /^net\/01\.yml\.liquid:1:\d+: error: .*\(limit render-time: 2s\)/,
  },
  'a Liquid string doubled in a loop': {
    files: { 'cluster.yml': config(), 'net/01.yml.liquid': '{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}\n' },
    limit: 'output-size',
    at: /^net\/01\.yml\.liquid:1:\d+: error: /,
  },
  'five nested ERB loops over a hundred options': {
    files: {
      'cluster.yml': config(),
      'net/01.yml.erb': '<% options.list.each do |a| %><% options.list.each do |b| %><% options.list.each do |c| %><% options.list.each do |d| %><% options.list.each do |e| %><% end %><% end %><% end %><% end %><% end %>\n',
    },
    limit: 'template-steps',
    at: /^net\/01\.yml\.erb:1:\d+: error: .*evaluation steps.*\(limit template-steps: 1000000\)/,
  },
  'ERB loops that print a lot': {
    files: {
      'cluster.yml': config(),
      'net/01.yml.erb': `<% options.list.each do |a| %><% options.list.each do |b| %><% options.list.each do |c| %>${'z'.repeat(10000)}<% end %><% end %><% end %>\n`,
    },
    limit: 'output-size',
    at: /^net\/01\.yml\.erb:1:\d+: error: .*too much output/,
  },
  'a YAML alias bomb in a manifest': {
    files: { 'cluster.yml': config(), 'net/01.yml': aliasBomb },
    limit: 'alias-size',
    at: /^net\/01\.yml:\d+:\d+: error: YAML aliases .*\(limit alias-size: 16MiB\)/,
  },
  'billion laughs in a manifest': {
    files: { 'cluster.yml': config(), 'net/01.yml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\n${laughs.join('\n')}\n` },
    limit: 'alias-size',
    at: /^net\/01\.yml:\d+:\d+: error: YAML aliases/,
  },
  'billion laughs in cluster.yml': {
    files: { 'cluster.yml': `${config()}${laughs.join('\n')}\n`, 'net/01.yml': cm('  a: b\n') },
    limit: 'alias-size',
    at: /^cluster\.yml:\d+:\d+: error: YAML aliases/,
  },
  'an alias inside what it names': {
    files: { 'cluster.yml': config(), 'net/01.yml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: self\ndata: &d\n  a: *d\n` },
    limit: 'alias-size',
    at: /^net\/01\.yml:6:\d+: error: YAML aliases .* without end/,
  },
  'a manifest over the file size': {
    files: { 'cluster.yml': config(), 'net/01.yml': cm(`  big: "${'a'.repeat(17 * 1024 * 1024)}"\n`) },
    limit: 'file-size',
    at: /^net\/01\.yml: error: the file is 17825860 bytes \(limit file-size: 16MiB\)/,
  },
  'flow YAML with millions of nodes': {
    files: { 'cluster.yml': config(), 'net/01.yml': cm(`  a: "x"\nitems: [${'0,'.repeat(2_500_000)}0]\n`) },
    limit: 'yaml-nodes',
    at: /^net\/01\.yml: error: too much YAML: about \d+ nodes in this file \(limit yaml-nodes: 2000000\)/,
  },
  'a template that renders millions of nodes': {
    files: { 'cluster.yml': config(), 'net/01.yml.liquid': `${cm('  a: b\n')}x: [{% for i in (1..25000) %}${'0,'.repeat(100)}{% endfor %}0]\n` },
    limit: 'yaml-nodes',
    at: /^net\/01\.yml\.liquid: error: .*too much YAML/,
  },
  'a Liquid template over the limits lowered by PHAROS_NET_LIMITS': {
    files: { 'cluster.yml': config(), 'net/01.yml.liquid': `${cm('  a: b\n')}# {% for i in (1..1000) %}padding {% endfor %}\n` },
    args: [],
    limit: 'output-size',
    at: /^net\/01\.yml\.liquid:\d+:\d+: error: .*\(limit output-size: 4KiB\)/,
  },
}

async function layOut(work: string, files: Case['files']): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(work, path, '..'), { recursive: true })
    await writeFile(join(work, path), content)
  }
}

function assertLimitError(t: Test, run: HostileRun, bad: Case): void {
  t.equal(run.exitCode, 2, `exit 2\n${run.stderr.slice(0, 2000)}`)
  t.notOk(run.timedOut, 'within the time cap')
  t.match(run.stderr, bad.at, 'the located message names the limit')
  t.match(run.stderr, new RegExp(`hint: .*--limit ${bad.limit}=.*PHAROS_NET_LIMITS=${bad.limit}=`), 'the hint says how to raise it')
  t.notMatch(run.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace')
  t.ok(run.peakMiB < 450, `peak RSS ${run.peakMiB} MiB`)
}

for (const [name, bad] of Object.entries(cases)) {
  t.test(name, async (t) => {
    const { work, outside, home } = await hostileSandbox(t.testdir({}))
    await writeFile(join(outside, 'canary.txt'), 'canary\n')
    await layOut(work, bad.files)
    const before = { outside: await snapshotTree(outside), home: await snapshotTree(home) }
    const env = name.includes('PHAROS_NET_LIMITS') ? { PHAROS_NET_LIMITS: 'output-size=4KiB' } : {}
    const render = await runHostile(['render', '-o', 'out', ...(bad.args ?? [])], { cwd: work, env })
    assertLimitError(t, render, bad)
    t.same({ outside: await snapshotTree(outside), home: await snapshotTree(home) }, before, 'nothing outside work/ changed')
  })
}

t.test('validate: an alias bomb is refused before it is expanded', async (t) => {
  const { work } = await hostileSandbox(t.testdir({}))
  await writeFile(join(work, 'bomb.yml'), aliasBomb)
  await mkdir(join(work, 'no-schemas'))
  const run = await runHostile(['validate', 'bomb.yml', '--schema-location', join(work, 'no-schemas')], { cwd: work })
  assertLimitError(t, run, { files: {}, limit: 'alias-size', at: /^bomb\.yml:\d+:\d+: error: YAML aliases/ })
})

t.test('a mapping with 80,000 keys is read in seconds; a duplicate among them is found', async (t) => {
  const { work } = await hostileSandbox(t.testdir({}))
  const keys = Array.from({ length: 80_000 }, (_, i) => `  k${i}: v`).join('\n')
  await layOut(work, { 'cluster.yml': config(), 'net/01.yml': cm(`${keys}\n`) })
  const ok = await runHostile(['render', '-o', 'out'], { cwd: work, heapMiB: 512 })
  t.equal(ok.exitCode, 0, ok.stderr)
  t.ok(ok.ms < 15_000, `rendered in ${ok.ms} ms`)
  await writeFile(join(work, 'net/01.yml'), cm(`${keys}\n  k40000: again\n`))
  const dup = await runHostile(['render', '-o', 'out'], { cwd: work, heapMiB: 512 })
  t.equal(dup.exitCode, 2)
  t.match(dup.stderr, /^net\/01\.yml:80006:3: error: invalid YAML: Map keys must be unique/)
})

t.test('real sets stay far from every limit: ten copies of calico render and validate', { skip: corpusMissing() }, async (t) => {
  const { work } = await hostileSandbox(t.testdir({}))
  const calico = await readFile(join(corpusDir, 'calico', 'calico.yaml'), 'utf8')
  const files: Record<string, string> = { 'cluster.yml': config() }
  for (let copy = 1; copy <= 10; copy++) files[`net/${String(copy).padStart(2, '0')}-calico.yaml`] = calico.replace(/^ {2}name: (.*)$/gm, `  name: $1-copy${copy}`)
  await layOut(work, files)
  const render = await runHostile(['render', '-o', 'out'], { cwd: work, heapMiB: 1024, timeoutMs: 120_000 })
  t.equal(render.exitCode, 0, render.stderr)
  t.match(render.stderr, /rendered 380 objects from 10 files/)
  const schemas = await testSchemaDir()
  const validate = await runHostile(['validate', 'out', '--schema-location', schemas], { cwd: work, heapMiB: 1024, timeoutMs: 120_000 })
  t.equal(validate.exitCode, 0, validate.stdout.slice(-2000) + validate.stderr)
  t.match(validate.stdout, /380 resources: 380 valid/)
  const rendered = await runHostile(['validate', '-c', 'cluster.yml', '--schema-location', schemas], { cwd: work, heapMiB: 1024, timeoutMs: 120_000 })
  t.equal(rendered.exitCode, 0, rendered.stdout.slice(-2000) + rendered.stderr)
})
