/**
 * The help of the program and of each command, word for word: every flag, its default, choices and
 * description, and the examples are what users read first. `UPDATE_GOLDEN=1` rewrites the texts.
 */
import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fixturesDir } from '../helpers/paths.js'
import { compareWithGolden } from '../helpers/golden.js'
import { runCli } from '../helpers/cli.js'

t.test('help texts, as printed to a pipe (not wrapped)', async (t) => {
  const dir = t.testdir({})
  for (const command of ['', 'render', 'validate', 'schemas', 'preflight', 'diff', 'apply', 'bundle', 'init', 'post-render', 'detect', 'completion']) {
    const run = await runCli([...(command ? [command] : []), '--help'], { cwd: dir })
    t.equal(run.code, 0, command || 'the program')
    t.equal(run.stderr, '')
    await writeFile(join(dir, `${command || 'main'}.txt`), run.stdout)
  }
  await compareWithGolden(t, dir, join(fixturesDir, 'cli-help'))
})
