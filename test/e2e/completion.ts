/**
 * Completion end to end: the real kubectl's own completion entry (`kubectl __complete pharos-net ...`)
 * finds bin/kubectl_complete-pharos_net on PATH and passes its answer on; the script of `completion bash`
 * completes in a real bash, as the shell calls it (COMP_WORDS, COMP_CWORD, then the function); the one of
 * `completion zsh` in a real interactive zsh, where the words are typed and followed by TAB.
 */
import t from 'tap'
import { execa } from 'execa'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { binDir, repoRoot } from '../helpers/paths.js'
import { kubectl, pharosNet } from '../helpers/tool.js'

/** kubectl's answer: the candidates (without descriptions) and the directive it ended with. */
async function kubectlComplete(words: string[], cwd?: string) {
  const run = await kubectl(['__complete', 'pharos-net', ...words], { cwd })
  if (run.exitCode !== 0) throw new Error(`kubectl __complete failed: ${run.stderr}`)
  const lines = run.stdout.trimEnd().split('\n')
  const directive = Number(/^:(\d+)$/.exec(lines.pop() ?? '')?.[1])
  return { values: lines.map((line) => line.split('\t')[0]), directive, stderr: run.stderr }
}

t.test('kubectl __complete pharos-net: commands, flags, and file names where a file goes', async (t) => {
  const re = await kubectlComplete(['re'])
  t.same(re.values, ['render'])
  t.equal(re.directive, 4, 'no file names')
  t.match(re.stderr, /About to call: \S*kubectl_complete-pharos_net re/, 'through the completion executable')

  t.same((await kubectlComplete(['render', '--up'])).values, ['--upgrade-apis'])
  t.same((await kubectlComplete(['validate', '-o', 'j'])).values, ['json', 'junit'])

  const config = await kubectlComplete(['render', '-c', ''])
  t.same([config.values, config.directive], [[], 0], 'a file: the shell completes file names')
  const folder = await kubectlComplete(['render', '-o', ''])
  t.same([folder.values, folder.directive], [[], 16], 'a folder: folder names only')
})

/** COMPREPLY after the completion function of `completion bash` ran on these words, in `cwd`. */
async function bashComplete(script: string, words: string[], cwd: string): Promise<string[]> {
  const program = `${script}
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
_kubectl_pharos_net_complete
printf '%s\\n' "\${COMPREPLY[@]}"`
  const run = await execa('env', ['-u', 'NODE_OPTIONS', 'bash', '--norc', '--noprofile', '-c', program, 'bash', 'kubectl-pharos_net', ...words], {
    cwd,
    env: { PATH: `${binDir}:${process.env.PATH}`, NODE_OPTIONS: '' },
    reject: false,
  })
  if (run.exitCode !== 0) throw new Error(`bash failed: ${run.stderr}`)
  return run.stdout.split('\n').filter((line) => line !== '').sort()
}

t.test('the bash script of `completion bash` completes in a real bash', async (t) => {
  const cwd = t.testdir({ 'cluster.yml': '', 'clients.txt': '', 'schemas': {}, 'net': { 'a.yml': '' } })
  const { stdout: script, exitCode } = await pharosNet(['completion', 'bash'])
  t.equal(exitCode, 0)
  t.same(await bashComplete(script, ['re'], cwd), ['render'])
  t.same(await bashComplete(script, ['render', '--up'], cwd), ['--upgrade-apis'])
  t.same(await bashComplete(script, ['validate', '-o', ''], cwd), ['json', 'junit', 'text'])
  t.same(await bashComplete(script, ['render', '-c', 'cl'], cwd), ['clients.txt', 'cluster.yml'], 'file names')
  t.same(await bashComplete(script, ['validate', ''], cwd), ['clients.txt', 'cluster.yml', 'net', 'schemas'], 'a path: anything')
  t.same(await bashComplete(script, ['render', '-o', ''], cwd), ['net', 'schemas'], 'folders only')
  t.same(await bashComplete(script, ['render', '--kubernetes-version', ''], cwd), [], 'a word: no file names')
  t.same(await bashComplete(script, ['validate', 'net/'], cwd), ['net/a.yml'], 'inside a folder')
  // bash splits --flag=value at the = (COMP_WORDBREAKS) and replaces only the value.
  t.same(await bashComplete(script, ['validate', '--output', '=', 'j'], cwd), ['json', 'junit'])
  t.same(await bashComplete(script, ['validate', '--output', '='], cwd), ['json', 'junit', 'text'])
  t.same(await bashComplete(script, ['render', '--config', '=', 'cl'], cwd), ['clients.txt', 'cluster.yml'])
})

const zshMissing = (await execa('zsh', ['--version'], { reject: false })).exitCode !== 0

/** What zsh's completion system offers for `line` followed by TAB (test/helpers/zsh-complete.zsh). */
async function zshComplete(scriptFile: string, line: string, cwd: string): Promise<string[]> {
  const run = await execa('env', ['-u', 'NODE_OPTIONS', 'zsh', '-f', join(repoRoot, 'test', 'helpers', 'zsh-complete.zsh')], {
    cwd,
    env: { PATH: `${binDir}:${process.env.PATH}`, NODE_OPTIONS: '', SCRIPT: scriptFile, WORDS: line },
    timeout: 30_000,
    reject: false,
  })
  if (run.exitCode !== 0) throw new Error(`zsh failed: ${run.stderr || run.message}`)
  return run.stdout.split('\n').filter((l) => l !== '').sort()
}

t.test('the zsh script of `completion zsh` completes in a real zsh', { skip: zshMissing && 'zsh is not installed' }, async (t) => {
  const cwd = t.testdir({ 'cluster.yml': '', 'clients.txt': '', 'schemas': {} })
  const { stdout: script, exitCode } = await pharosNet(['completion', 'zsh'])
  t.equal(exitCode, 0)
  const scriptFile = join(cwd, '_kubectl-pharos_net')
  await writeFile(scriptFile, script)
  t.same(await zshComplete(scriptFile, 'kubectl-pharos_net re', cwd), ['render'])
  t.same(await zshComplete(scriptFile, 'kubectl-pharos_net render --up', cwd), ['--upgrade-apis'])
  t.same(await zshComplete(scriptFile, 'kubectl-pharos_net validate -o ', cwd), ['json', 'junit', 'text'])
  t.same(await zshComplete(scriptFile, 'kubectl-pharos_net validate --output=j', cwd), ['--output=json', '--output=junit'])
  t.same(await zshComplete(scriptFile, 'kubectl-pharos_net render -c cl', cwd), ['clients.txt', 'cluster.yml'], 'file names')
  t.same(await zshComplete(scriptFile, 'kubectl-pharos_net render --config=cl', cwd), ['clients.txt', 'cluster.yml'], 'after --flag=')
  t.same(await zshComplete(scriptFile, 'kubectl-pharos_net render -o ', cwd), ['schemas'], 'folders only')
  t.same(await zshComplete(scriptFile, 'kubectl-pharos_net --limit ', cwd), [], 'a word: no file names')
})
