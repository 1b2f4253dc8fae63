/**
 * `completion bash|zsh` in-process: the script on stdout, nothing else; both ask the program itself with
 * `__complete` and follow its directive (test/e2e/completion.ts runs the bash one in a real bash).
 */
import t from 'tap'
import { runCli } from '../../helpers/cli.js'

t.test('completion bash: a script that completes kubectl-pharos_net through __complete', async (t) => {
  const run = await runCli(['completion', 'bash'], { cwd: t.testdir({}) })
  t.equal(run.code, 0)
  t.equal(run.stderr, '')
  t.match(run.stdout, /^# bash completion for kubectl-pharos_net \(bash 4 or later\)\n/)
  t.match(run.stdout, /"\$\{COMP_WORDS\[0\]\}" __complete "\$\{words\[@\]\}"/)
  t.match(run.stdout, /\ncomplete -F _kubectl_pharos_net_complete kubectl-pharos_net\n$/)
})

t.test('completion zsh: a #compdef function that can be sourced or autoloaded', async (t) => {
  const run = await runCli(['completion', 'zsh'], { cwd: t.testdir({}) })
  t.equal(run.code, 0)
  t.match(run.stdout, /^#compdef kubectl-pharos_net\n/)
  t.match(run.stdout, /\$\{~words\[1\]\} __complete "\$\{\(@\)words\[2,CURRENT\]\}"/)
  t.match(run.stdout, /compdef _kubectl_pharos_net kubectl-pharos_net\n/)
})

t.test('another shell, or none, is a usage error naming the choices', async (t) => {
  const cwd = t.testdir({})
  const fish = await runCli(['completion', 'fish'], { cwd })
  t.equal(fish.code, 2)
  t.match(fish.stderr, /Invalid values:[\s\S]*Choices: "bash", "zsh"/)
  t.equal(fish.stdout, '')
  const none = await runCli(['completion'], { cwd })
  t.equal(none.code, 2)
  t.match(none.stderr, /Not enough non-option arguments/)
})
