/** init through the CLI in-process: what it prints, where it points next, and its refusals. */
import t from 'tap'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { runCli } from '../../helpers/cli.js'

t.test('init writes the set and says what to run next, relative to where the user stands', async (t) => {
  const cwd = t.testdir({})
  const run = await runCli(['init', '--provider', 'flannel', 'net'], { cwd })
  t.same(run, { code: 0, stdout: '', stderr: 'wrote 8 files into net\nnext: kubectl pharos-net render -c net/cluster.yml -o net/out\n' })
  t.same(await readdir(join(cwd, 'net')), ['README.md', 'cluster.yml', 'manifests'])

  const here = t.testdir({})
  t.equal((await runCli(['init', '--provider', 'flannel', '.'], { cwd: here })).stderr,
    'wrote 8 files into .\nnext: kubectl pharos-net render -c ./cluster.yml -o ./out\n', 'the current folder is .')
  t.same(await runCli(['init', '-q', '--provider', 'flannel', 'quiet'], { cwd }), { code: 0, stdout: '', stderr: '' }, '--quiet prints nothing')
})

t.test('a non-empty folder needs --force; an unknown provider and a missing flag are usage errors', async (t) => {
  const cwd = t.testdir({ net: { 'notes.txt': 'mine\n' } })
  const refused = await runCli(['init', '--provider', 'flannel', 'net'], { cwd })
  t.equal(refused.code, 2)
  t.match(refused.stderr, /^error: .*\/net is not empty\n {2}hint: choose an empty or new folder, or pass --force/)
  t.equal((await runCli(['init', '--provider', 'flannel', '--force', 'net'], { cwd })).code, 0)
  t.same((await readdir(join(cwd, 'net'))).sort(), ['README.md', 'cluster.yml', 'manifests', 'notes.txt'])

  const unknown = await runCli(['init', '--provider', 'weave', 'other'], { cwd })
  t.equal(unknown.code, 2)
  t.match(unknown.stderr, 'error: unknown provider "weave"; available: flannel')
  const missing = await runCli(['init', 'other'], { cwd })
  t.equal(missing.code, 2)
  t.match(missing.stderr, /Missing required argument: provider/)
})
