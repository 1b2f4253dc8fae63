/**
 * `__complete WORDS...` in-process: cobra's protocol (candidates, then `:<directive>`) for every kind of
 * word: a command, a flag, a flag's value (a file, a folder, a choice, a plain word), a positional.
 */
import t from 'tap'
import { runCli } from '../helpers/cli.js'
import { formatCompletions } from '../../src/cli/completion.js'

interface Answer {
  values: string[]
  descriptions: Record<string, string>
  directive: number
}

async function complete(words: string[], env: Record<string, string> = {}): Promise<Answer> {
  const run = await runCli(['__complete', ...words], { cwd: t.testdirName, env })
  if (run.code !== 0 || run.stderr !== '') throw new Error(`__complete ${words.join(' ')}: exit ${run.code}: ${run.stderr}`)
  const lines = run.stdout.split('\n')
  if (lines.pop() !== '') throw new Error('no final newline')
  const directive = /^:(\d+)$/.exec(lines.pop() ?? '')
  if (!directive) throw new Error(`no directive line: ${run.stdout}`)
  const pairs = lines.map((line) => line.split('\t') as [string, string?])
  return {
    values: pairs.map(([value]) => value),
    descriptions: Object.fromEntries(pairs.filter(([, d]) => d !== undefined)) as Record<string, string>,
    directive: Number(directive[1]),
  }
}

const NO_FILES = 4
const FILES = 0
const FOLDERS = 16

t.test('commands: those starting with the word, with their descriptions; no file names', async (t) => {
  t.testdir({})
  const re = await complete(['re'])
  t.same(re.values, ['render'])
  t.match(re.descriptions.render, /^Render the manifest folder/)
  t.equal(re.directive, NO_FILES)

  const all = await complete([''])
  t.same(all.values, ['render', 'validate', 'schemas', 'preflight', 'diff', 'apply', 'bundle', 'init', 'post-render', 'detect', 'completion'])
  t.same(await complete([]), all, 'no words at all is an empty word')
  t.same((await complete(['--debug', 'val'])).values, ['validate'], 'after a global flag')
  t.same((await complete(['x'])).values, [])
})

t.test('flags: those of the command typed, not given yet, short aliases with one dash', async (t) => {
  t.testdir({})
  const up = await complete(['render', '--up'])
  t.same(up.values, ['--upgrade-apis'])
  t.match(up.descriptions['--upgrade-apis'], /rewrite removed APIs/)
  t.equal(up.directive, NO_FILES)

  const render = await complete(['render', '--'])
  t.ok(render.values.includes('--output-dir') && render.values.includes('--debug'), 'the command\'s and the global flags')
  t.notOk(render.values.includes('--schema-location'), 'not another command\'s')
  t.notOk(render.values.some((v) => /^--.$/.test(v)), 'no --c, --o')

  const given = await complete(['render', '--upgrade-apis', '--'])
  t.notOk(given.values.includes('--upgrade-apis'), 'a flag given already')

  const dash = await complete(['validate', '-'])
  t.ok(dash.values.includes('-c') && dash.values.includes('--config'))
  t.equal(dash.descriptions['-c'], dash.descriptions['--config'], 'an alias has its flag\'s description')
  const word = await complete(['render', ''])
  t.same(word.values.filter((v) => v.startsWith('--')), render.values, 'a new word after a command without positionals: its flags')
  t.same(word.values.filter((v) => !v.startsWith('--')), ['-q', '-c', '-o'], 'and their short aliases')
})

t.test('a flag\'s value: files, folders, choices or a word, by what the flag takes', async (t) => {
  t.testdir({})
  const cases: Array<[string[], number, string[]]> = [
    [['render', '-c', ''], FILES, []],
    [['render', '--config', 'clu'], FILES, []],
    [['validate', '--schema-location', 'sch'], FILES, []],
    [['apply', '--kubeconfig', ''], FILES, []],
    [['schemas', '--crds', 'a.yml', ''], FILES, ['a second value of a list']],
    [['render', '-o', ''], FOLDERS, []],
    [['render', '--output-dir', 'ou'], FOLDERS, []],
    [['schemas', '-d', ''], FOLDERS, []],
    [['render', '--kubernetes-version', ''], NO_FILES, []],
    [['--limit', ''], NO_FILES, []],
    [['init', '--provider', ''], NO_FILES, []],
    [['apply', '--context', ''], NO_FILES, []],
  ]
  for (const [words, directive] of cases) {
    const answer = await complete(words)
    t.same([answer.values, answer.directive], [[], directive], words.join(' '))
  }
  t.same(await complete(['validate', '-o', '']), { values: ['text', 'json', 'junit'], descriptions: {}, directive: NO_FILES })
  t.same((await complete(['validate', '-o', 'j'])).values, ['json', 'junit'])
  t.same((await complete(['validate', '--output=j'])).values, ['--output=json', '--output=junit'], 'flag=value in one word')
  t.same(await complete(['render', '--config=clu']), { values: [], descriptions: {}, directive: FILES })
})

t.test('positionals: validate\'s path is a file, init\'s a folder, completion\'s a shell', async (t) => {
  t.testdir({})
  t.same(await complete(['validate', '']), { values: [], descriptions: {}, directive: FILES })
  t.same(await complete(['validate', 'out/']), { values: [], descriptions: {}, directive: FILES })
  t.same(await complete(['init', 'my-']), { values: [], descriptions: {}, directive: FOLDERS })
  t.same(await complete(['completion', '']), { values: ['bash', 'zsh'], descriptions: {}, directive: NO_FILES })
  t.same((await complete(['completion', 'z'])).values, ['zsh'])
})

t.test('the same answer whatever the shell: yargs\' zsh format ($SHELL) is read too', async (t) => {
  t.testdir({})
  const saved = process.env.SHELL
  process.env.SHELL = '/bin/zsh'
  t.teardown(() => {
    if (saved === undefined) delete process.env.SHELL
    else process.env.SHELL = saved
  })
  const up = await complete(['render', '--up'])
  t.same(up.values, ['--upgrade-apis'])
  t.same((await complete(['re'])).values, ['render'])
})

t.test('formatCompletions: cobra\'s lines; a description on one line', async (t) => {
  t.equal(formatCompletions({ candidates: [], directive: 4 }), ':4\n')
  t.equal(
    formatCompletions({ candidates: [{ value: 'a', description: 'first\n  line' }, { value: 'b' }], directive: 0 }),
    'a\tfirst line\nb\n:0\n',
  )
})

t.test('bundle: -o is a file to write, --bundle a file to read, --images-script a choice', async (t) => {
  t.testdir({})
  t.equal((await complete(['bundle', '-o', ''])).directive, FILES)
  t.equal((await complete(['apply', '--bundle', ''])).directive, FILES)
  t.same((await complete(['bundle', '--images-script', ''])).values, ['crane', 'skopeo', 'docker'])
})
