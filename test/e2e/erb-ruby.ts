/**
 * The differential suite (issue 11): every ERB template a case leads to is rendered by real Ruby, as Pharos
 * rendered it (test/helpers/render-erb.rb), and by our engine, in-process through the render pipeline's own
 * stages (loadClusterConfig, discoverManifests, renderTemplates), and the texts are compared byte for byte.
 * A case is a folder of test/fixtures/erb-ruby/ holding a cluster.yml whose manifest_path names the
 * templates, and a README line saying what it covers; the spec's example (examples/flannel) is a case too.
 *
 * Cases that do not render as Ruby does yet are listed in test/fixtures/erb-ruby/todo.json with the reason:
 * they run as tap todos, so the suite stays green while the interpreter grows, and a listed case that now
 * renders as Ruby does fails, to have it struck from the list.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { execa } from 'execa'
import t from 'tap'
import { loadClusterConfig } from '../../src/config.js'
import { discoverManifests } from '../../src/discover.js'
import { PharosError } from '../../src/errors.js'
import { buildTemplateContext } from '../../src/render/context.js'
import { renderTemplates } from '../../src/render/index.js'
import { fixturesDir, repoRoot } from '../helpers/paths.js'

const casesDir = join(fixturesDir, 'erb-ruby')
const rendererScript = join(repoRoot, 'test', 'helpers', 'render-erb.rb')
/** Cases outside erb-ruby/: folders holding a cluster.yml whose templates must render as Ruby renders them. */
const OTHER_CASES = ['examples/flannel']

/** What one side made of a template: its text, or the error it stopped with (`located`: naming a file and line). */
/** `configRefused`: Ruby stopped at cluster.yml itself, as Pharos' safe_load did. */
type Outcome = { text: string } | { error: string; located: boolean; configRefused?: boolean }

/**
 * identical: the same text, or both stopped with Ruby's message; refused: Ruby renders, we stop with an
 * error; silent: we render what Ruby renders differently or refuses.
 */
type Verdict = 'identical' | 'refused' | 'silent'

interface TemplateResult {
  verdict: Verdict
  /** Where the two differ, for a person to read; empty when identical. */
  detail: string
  /** We stopped with an error that names no file and line. */
  unlocated?: boolean
}

interface Case {
  name: string
  dir: string
  covers: string
}

async function rubyMissing(): Promise<string | false> {
  const probe = await execa('ruby', ['-rerb', '-ryaml', '-e', 'print RUBY_VERSION'], { reject: false })
  if (probe.exitCode === 0) return false
  return 'ruby is not installed (the tests need it, the CLI does not): `sudo apt-get install ruby`; scripts/install-tools.sh does it when run as root'
}

async function listCases(): Promise<Case[]> {
  const names = (await readdir(casesDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()
  const own = names.map((name) => ({ name, dir: join(casesDir, name) }))
  const others = OTHER_CASES.map((name) => ({ name, dir: join(repoRoot, name) }))
  return Promise.all([...own, ...others].map(async (found) => ({
    ...found,
    covers: (await readFile(join(found.dir, 'README'), 'utf8').catch(() => '')).trim(),
  })))
}

async function renderWithRuby(template: string, config: string): Promise<Outcome> {
  const run = await execa('ruby', [rendererScript, template, config], { reject: false, stripFinalNewline: false })
  if (run.exitCode === 0) return { text: run.stdout }
  if (run.exitCode === 1) return { error: run.stderr.trim(), located: true }
  if (run.exitCode === 3) return { error: run.stderr.trim(), located: true, configRefused: true }
  throw new Error(`render-erb.rb could not render ${template}: ${run.stderr}`)
}

function errorOutcome(error: unknown): Outcome {
  if (!(error instanceof PharosError)) throw error
  const at = error.file ? ` (${relative(repoRoot, error.file)}:${error.line ?? '?'}:${error.col ?? '?'})` : ''
  return { error: `${error.name}: ${error.message}${at}`, located: error.file !== undefined && error.line !== undefined }
}

/** Our outcome for each ERB template the case's config leads to, or one error when the config itself fails. */
async function renderWithUs(dir: string): Promise<Map<string, Outcome> | Outcome> {
  let loaded
  try {
    loaded = await loadClusterConfig({ file: 'cluster.yml', cwd: dir, allowOutsideManifests: true })
  } catch (error) {
    return errorOutcome(error)
  }
  const discovered = await discoverManifests(loaded.manifestPath)
  const context = buildTemplateContext(loaded)
  const outcomes = new Map<string, Outcome>()
  for (const source of discovered.sources.filter((s) => s.engine === 'erb')) {
    try {
      const [rendered] = await renderTemplates({ ...discovered, sources: [source] }, context, loaded.document)
      outcomes.set(source.path, { text: rendered!.text })
    } catch (error) {
      outcomes.set(source.path, errorOutcome(error))
    }
  }
  return outcomes
}

/** The first line that differs, both versions shown with their whitespace. */
function firstDifference(ruby: string, ours: string): string {
  const rubyLines = ruby.split('\n')
  const ourLines = ours.split('\n')
  const line = rubyLines.findIndex((text, i) => text !== ourLines[i])
  const at = line === -1 ? rubyLines.length : line
  return `first difference at line ${at + 1}:\n  ruby: ${JSON.stringify(rubyLines[at] ?? '<end of text>')}\n` +
    `  ours: ${JSON.stringify(ourLines[at] ?? '<end of text>')}`
}

function compare(template: string, ruby: Outcome, ours: Outcome): TemplateResult {
  const name = relative(repoRoot, template)
  if ('text' in ours) {
    if ('error' in ruby) return { verdict: 'silent', detail: `${name}: Ruby stops (${ruby.error}), we render` }
    if (ruby.text === ours.text) return { verdict: 'identical', detail: '' }
    return { verdict: 'silent', detail: `${name}: both render, the texts differ; ${firstDifference(ruby.text, ours.text)}` }
  }
  const unlocated = !ours.located
  if ('text' in ruby) return { verdict: 'refused', detail: `${name}: we refuse: ${ours.error}`, unlocated }
  // Both stop: the same failure when ours carries Ruby's message (a template's `raise`).
  if (ours.error.includes(ruby.error.replace(/^[\w:]+: /, ''))) return { verdict: 'identical', detail: '', unlocated }
  return { verdict: 'refused', detail: `${name}: both stop, differently; ruby: ${ruby.error}; ours: ${ours.error}`, unlocated }
}

async function runCase(found: Case): Promise<TemplateResult[]> {
  const config = join(found.dir, 'cluster.yml')
  const ours = await renderWithUs(found.dir)
  if (!(ours instanceof Map)) {
    if ('text' in ours) throw new Error('a config is refused or loaded, never rendered')
    // Pharos refused some files too (a :symbol or a date in cluster.yml): then both stop at the config.
    const ruby = await renderWithRuby(join(found.dir, 'template.yml.erb'), config)
    const both = 'error' in ruby && ruby.configRefused === true
    return [{ verdict: both ? 'identical' : 'refused', detail: `we refuse ${relative(repoRoot, config)}: ${ours.error}`, unlocated: !ours.located }]
  }
  if (ours.size === 0) throw new Error(`${found.name}: its cluster.yml leads to no ERB template`)
  const results: TemplateResult[] = []
  for (const [template, outcome] of ours) results.push(compare(template, await renderWithRuby(template, config), outcome))
  return results
}

/** The worst verdict of a case's templates: a silent difference outweighs a refusal. */
function caseVerdict(results: TemplateResult[]): Verdict {
  for (const verdict of ['silent', 'refused'] as const) if (results.some((r) => r.verdict === verdict)) return verdict
  return 'identical'
}

const missing = await rubyMissing()
if (missing && process.env.CI === 'true') t.fail(`CI needs the differential suite: ${missing}`)

t.test('ERB templates render as Ruby 3.1 renders them (trim mode -, Pharos\' context)', { skip: missing }, async (t) => {
  const todo: Record<string, string> = JSON.parse(await readFile(join(casesDir, 'todo.json'), 'utf8'))
  const cases = await listCases()
  for (const name of Object.keys(todo)) {
    t.ok(cases.some((found) => found.name === name), `todo.json lists ${name}, a case that exists`)
  }

  const counts: Record<Verdict, number> = { identical: 0, refused: 0, silent: 0 }
  for (const found of cases) {
    const results = await runCase(found)
    const verdict = caseVerdict(results)
    counts[verdict]++
    const details = results.filter((r) => r.verdict !== 'identical').map((r) => r.detail).join('\n')
    const title = found.covers ? `${found.name}: ${found.covers}` : found.name
    t.notOk(results.some((r) => r.unlocated), `${found.name}: each of our errors names the file and line`)
    const known = todo[found.name]
    if (known === undefined) {
      t.equal(verdict, 'identical', `${title}${details ? `\n${details}` : ''}`)
      continue
    }
    if (verdict === 'identical') {
      t.fail(`${found.name} renders as Ruby does now: remove it from test/fixtures/erb-ruby/todo.json`)
      continue
    }
    const loud = verdict === 'silent' ? 'SILENT DIFFERENCE (we render other text than Ruby): ' : 'refused by us: '
    if (verdict === 'silent') t.comment(`SILENT DIFFERENCE in ${found.name}\n${details}`)
    t.equal(verdict, 'identical', `${title}\n${details}`, { todo: `${loud}${known}` })
  }
  t.comment(`${cases.length} cases, ${counts.identical} identical, ${counts.refused} refused by us, ${counts.silent} silent differences`)
})
